//! Writes server messages in the forms a real IVR Server was seen to use,
//! which the codec's encoder (canonical form only) never produces: single
//! quotes, every field as a child element, `TlibErrCode`, no prolog.
//!
//! With every flag off the output is the canonical form of PROTOCOL.md 2.1
//! byte for byte (a test checks this against the codec), so one writer can
//! serve any mix of flags.

use crate::wire::{KeyValue, Message, Placement, Value};

/// Largest XML payload a frame can carry (16-bit length minus 2).
pub const MAX_PAYLOAD: usize = 65533;

/// Which alternate forms to use; `Spelling::default()` is canonical.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spelling {
    /// `'...'` instead of `"..."` around attribute values and in the prolog.
    pub single_quotes: bool,
    /// Every scalar field written as `<Name>value</Name>`.
    pub child_elements: bool,
    /// `TlibErrCode` instead of the vendor spelling `TLibErrCode`.
    pub tlib_lower: bool,
    /// No XML declaration and no DOCTYPE: the document starts at `<GctiMsg>`.
    pub no_prolog: bool,
}

impl Spelling {
    /// The flag names accepted by the `spelling` key, in a stable order.
    pub const FLAGS: [&'static str; 4] =
        ["single_quotes", "child_elements", "tlib_lower", "no_prolog"];

    /// Every flag on.
    pub fn all() -> Spelling {
        Spelling {
            single_quotes: true,
            child_elements: true,
            tlib_lower: true,
            no_prolog: true,
        }
    }

    /// Sets one flag by name; false for an unknown name.
    pub fn set_flag(&mut self, name: &str) -> bool {
        match name {
            "single_quotes" => self.single_quotes = true,
            "child_elements" => self.child_elements = true,
            "tlib_lower" => self.tlib_lower = true,
            "no_prolog" => self.no_prolog = true,
            _ => return false,
        }
        true
    }

    /// The flags from four random bits (for `spelling=random`).
    pub fn from_bits(bits: u64) -> Spelling {
        Spelling {
            single_quotes: bits & 1 != 0,
            child_elements: bits & 2 != 0,
            tlib_lower: bits & 4 != 0,
            no_prolog: bits & 8 != 0,
        }
    }

    /// True when this is the canonical form.
    pub fn is_canonical(&self) -> bool {
        *self == Spelling::default()
    }
}

/// The XML payload of `msg` in the given spelling; `None` when it would not
/// fit in one frame.
pub fn payload(msg: &Message, sp: Spelling) -> Option<Vec<u8>> {
    let q = if sp.single_quotes { '\'' } else { '"' };
    let mut s = String::new();
    if !sp.no_prolog {
        s.push_str(&format!(
            "<?xml version={q}1.0{q} encoding={q}ISO-8859-1{q}?><!DOCTYPE GctiMsg SYSTEM {q}IServer.dtd{q}>"
        ));
    }
    s.push_str("<GctiMsg>");
    if let Some(id) = &msg.call_id {
        s.push_str("<CallId>");
        escape_into(&mut s, id);
        s.push_str("</CallId>");
    }
    let name = msg.name();
    let fields = msg.body.fields();
    s.push('<');
    s.push_str(name);
    let mut children = String::new();
    for field in &fields.scalars {
        let field_name = if sp.tlib_lower && field.name == "TLibErrCode" {
            "TlibErrCode"
        } else {
            field.name
        };
        if sp.child_elements || field.placement == Placement::Child {
            children.push('<');
            children.push_str(field_name);
            children.push('>');
            escape_into(&mut children, &field.value);
            children.push_str("</");
            children.push_str(field_name);
            children.push('>');
        } else {
            s.push(' ');
            s.push_str(field_name);
            s.push('=');
            s.push(q);
            escape_into(&mut s, &field.value);
            s.push(q);
        }
    }
    list_into(&mut children, "UDataEx", fields.udata, q);
    list_into(&mut children, "ExtnsEx", fields.extensions, q);
    if children.is_empty() {
        s.push_str("/>");
    } else {
        s.push('>');
        s.push_str(&children);
        s.push_str("</");
        s.push_str(name);
        s.push('>');
    }
    s.push_str("</GctiMsg>");
    let bytes = latin1(&s);
    (bytes.len() <= MAX_PAYLOAD).then_some(bytes)
}

/// A whole type-0x03 frame of `msg` in the given spelling.
pub fn frame(msg: &Message, sp: Spelling) -> Option<Vec<u8>> {
    let body = payload(msg, sp)?;
    let len = u16::try_from(body.len() + 2).ok()?;
    let mut out = Vec::with_capacity(body.len() + 6);
    out.extend_from_slice(&[0x00, 0x03]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&[0x02, 0x00]);
    out.extend_from_slice(&body);
    Some(out)
}

fn list_into(out: &mut String, element: &str, list: &[KeyValue], q: char) {
    if list.is_empty() {
        return;
    }
    out.push('<');
    out.push_str(element);
    out.push('>');
    for kv in list {
        let (ty, val) = match &kv.value {
            Value::Str(v) => ("Str", v.clone()),
            Value::Int(i) => ("Int", i.to_string()),
        };
        out.push_str("<Node Name=");
        out.push(q);
        escape_into(out, &kv.key);
        out.push(q);
        out.push_str(&format!(" Type={q}{ty}{q} Val={q}"));
        escape_into(out, &val);
        out.push(q);
        out.push_str("/>");
    }
    out.push_str("</");
    out.push_str(element);
    out.push('>');
}

fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Not Latin-1 (or a control character): a character reference
            // keeps the document well-formed where a raw byte could not.
            c if (c as u32) > 0xFF || (c as u32) < 0x20 => {
                out.push_str(&format!("&#{};", c as u32))
            }
            c => out.push(c),
        }
    }
}

/// Every character of `s` is at most U+00FF here (escape_into saw to it), so
/// each becomes the single byte of the same value.
fn latin1(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(c as u32).unwrap_or(b'?'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Body, CallError, CallStatus, StatusEvent};

    fn text(b: Option<Vec<u8>>) -> String {
        b.map(|v| v.iter().map(|&x| x as char).collect())
            .unwrap_or_default()
    }

    #[test]
    fn canonical_call_status_matches_the_spec_example() {
        let m = Message::new("C0001", Body::CallStatus(CallStatus::of(StatusEvent::Held)));
        let f = frame(&m, Spelling::default()).unwrap_or_default();
        assert_eq!(&f[..6], &[0, 3, 0, 0x97, 2, 0]);
        assert_eq!(
            text(payload(&m, Spelling::default())),
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><!DOCTYPE GctiMsg SYSTEM \"IServer.dtd\"><GctiMsg><CallId>C0001</CallId><CallStatus Event=\"Held\"/></GctiMsg>"
        );
    }

    #[test]
    fn every_flag_changes_the_bytes_as_documented() {
        let m = Message::new(
            "C1",
            Body::CallError(CallError {
                failed_req: Some("InitConf".into()),
                tlib_err_code: Some("56".into()),
                req_id: Some("4".into()),
            }),
        );
        let all = text(payload(&m, Spelling::all()));
        assert_eq!(
            all,
            "<GctiMsg><CallId>C1</CallId><CallError><FailedReq>InitConf</FailedReq><TlibErrCode>56</TlibErrCode><ReqId>4</ReqId></CallError></GctiMsg>"
        );
        let sq = text(payload(
            &m,
            Spelling {
                single_quotes: true,
                tlib_lower: true,
                ..Spelling::default()
            },
        ));
        assert!(sq.starts_with(
            "<?xml version='1.0' encoding='ISO-8859-1'?><!DOCTYPE GctiMsg SYSTEM 'IServer.dtd'>"
        ));
        assert!(sq.contains("<CallError FailedReq='InitConf' TlibErrCode='56' ReqId='4'/>"));
    }
}
