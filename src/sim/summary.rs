//! One-line summaries of messages for the traffic printer
//! (`I->S InitConf CallId=C1 DestDN=busy1 ReqId=4`).
//!
//! Field names, order and lists come from the wire catalogue
//! (`Body::fields`); this file only decides how a line looks and must not
//! know any message's fields itself.

use crate::wire::{Message, Value};

/// `Name CallId=.. Field=value ...` on one line; values with spaces are
/// quoted so the line stays splittable. User data as `UDataEx=[k=v,...]`.
pub fn summary(msg: &Message) -> String {
    let mut out = msg.name().to_string();
    if let Some(id) = &msg.call_id {
        out.push_str(" CallId=");
        out.push_str(&quote(id));
    }
    let fields = msg.body.fields();
    for field in &fields.scalars {
        out.push(' ');
        out.push_str(field.name);
        out.push('=');
        out.push_str(&quote(&field.value));
    }
    for (label, list) in [("UDataEx", fields.udata), ("ExtnsEx", fields.extensions)] {
        if list.is_empty() {
            continue;
        }
        let items: Vec<String> = list
            .iter()
            .map(|kv| match &kv.value {
                Value::Str(s) => format!("{}={}", kv.key, s),
                Value::Int(i) => format!("{}={}", kv.key, i),
            })
            .collect();
        out.push_str(&format!(" {label}=[{}]", quote(&items.join(","))));
    }
    out
}

fn quote(value: &str) -> String {
    if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c == '"') {
        format!("{value:?}")
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Body, CallError, DestRequest, KeyValue};

    #[test]
    fn summary_lists_fields_in_catalogue_order() {
        let m = Message::new(
            "C1",
            Body::InitConf(DestRequest {
                dest_dn: "busy1".into(),
                req_id: Some("4".into()),
                udata: vec![KeyValue::str("Lang", "EN")],
                extensions: vec![],
            }),
        );
        assert_eq!(
            summary(&m),
            "InitConf CallId=C1 DestDN=busy1 ReqId=4 UDataEx=[Lang=EN]"
        );
        let e = Message::new(
            "C 2",
            Body::CallError(CallError {
                failed_req: Some("InitConf".into()),
                tlib_err_code: None,
                req_id: None,
            }),
        );
        assert_eq!(summary(&e), "CallError CallId=\"C 2\" FailedReq=InitConf");
    }
}
