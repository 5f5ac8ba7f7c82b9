//! A message as an ordered list of named scalar fields plus its lists.
//!
//! The simulator needs this view twice: to write the alternate byte forms a
//! real server may use (spelling.rs) and to print one-line summaries
//! (`I->S InitConf CallId=C1 DestDN=busy1 ReqId=4`). Field order and the
//! attribute/child placement are those of the catalogue (PROTOCOL.md 3).

use crate::wire::{Body, KeyValues, Message, Value};

/// Where the canonical encoder puts a scalar field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Attr,
    Child,
}

/// One scalar field: wire name, value, canonical placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub form: Form,
}

/// The flattened message element.
#[derive(Debug, Clone, Default)]
pub struct Flat {
    pub fields: Vec<Field>,
    pub udata: KeyValues,
    pub extensions: KeyValues,
}

impl Flat {
    fn push(&mut self, name: &str, value: &str, form: Form) {
        self.fields.push(Field {
            name: name.to_string(),
            value: value.to_string(),
            form,
        });
    }
    fn push_opt(&mut self, name: &str, value: &Option<String>, form: Form) {
        if let Some(v) = value {
            self.push(name, v, form);
        }
    }
    fn attr(&mut self, name: &str, value: &str) {
        self.push(name, value, Form::Attr);
    }
    fn opt_attr(&mut self, name: &str, value: &Option<String>) {
        self.push_opt(name, value, Form::Attr);
    }
    fn child(&mut self, name: &str, value: &str) {
        self.push(name, value, Form::Child);
    }
    fn opt_child(&mut self, name: &str, value: &Option<String>) {
        self.push_opt(name, value, Form::Child);
    }
}

/// Flattens the message element of `body` in catalogue order.
pub fn flatten(body: &Body) -> Flat {
    let mut f = Flat::default();
    match body {
        Body::LoginReq(m) => {
            f.attr("Version", &m.version);
            f.attr("ClientName", &m.client_name);
            f.opt_attr("ReportStatus", &m.report_status);
            f.opt_attr("ServerMonitor", &m.server_monitor);
        }
        Body::LoginResp(m) => {
            f.opt_attr("IServerVersion", &m.iserver_version);
            f.attr("Result", &m.result);
            f.opt_attr("Status", &m.status);
            f.opt_attr("ConfigOptions", &m.config_options);
        }
        Body::FlowControl(m) => {
            f.opt_attr("Status", &m.status);
            for (n, v) in &m.other {
                f.attr(n, v);
            }
        }
        Body::MonitorInfo(m) => {
            f.opt_attr("ReqId", &m.req_id);
            for (n, v) in &m.other {
                f.attr(n, v);
            }
        }
        Body::NewCall(m) => {
            f.opt_attr("CallControlMode", &m.call_control_mode);
            f.opt_attr("Version", &m.version);
            f.child("CalledNum", &m.called_num);
            f.opt_child("DNIS", &m.dnis);
            f.opt_child("ANI", &m.ani);
            f.udata = m.udata.clone();
            f.extensions = m.extensions.clone();
        }
        Body::CallInfoReq => {}
        Body::CallInfoResp(m) => {
            f.opt_attr("ANI", &m.ani);
            f.opt_attr("DNIS", &m.dnis);
            f.opt_attr("CalledNum", &m.called_num);
            f.opt_attr("ConnId", &m.conn_id);
            f.opt_attr("TSCallId", &m.ts_call_id);
            f.opt_attr("PortDN", &m.port_dn);
            f.opt_attr("PortTrunk", &m.port_trunk);
            f.opt_attr("PortQueue", &m.port_queue);
            f.opt_attr("OtherDN", &m.other_dn);
            f.opt_attr("OtherTrunk", &m.other_trunk);
            f.opt_attr("OtherQueue", &m.other_queue);
            f.opt_attr("LastEvent", &m.last_event);
            f.opt_attr("FirstHomeLocation", &m.first_home_location);
            f.opt_attr("ThirdPartyDN", &m.third_party_dn);
            f.udata = m.udata.clone();
        }
        Body::EndCall(m) => f.opt_attr("EndCause", &m.end_cause),
        Body::OneStepConf(m) | Body::OneStepXfer(m) | Body::InitConf(m) | Body::InitXfer(m) => {
            f.attr("DestDN", &m.dest_dn);
            f.opt_attr("ReqId", &m.req_id);
            f.udata = m.udata.clone();
            f.extensions = m.extensions.clone();
        }
        Body::CompleteConf(m) | Body::CompleteXfer(m) | Body::RetrieveCall(m) => {
            f.opt_attr("ReqId", &m.req_id)
        }
        Body::CallStatus(m) => f.attr("Event", &m.event),
        Body::CallError(m) => {
            f.opt_attr("FailedReq", &m.failed_req);
            f.opt_attr("TLibErrCode", &m.tlib_err_code);
            f.opt_attr("ReqId", &m.req_id);
        }
        Body::UDataSet(m) => {
            f.opt_attr("Action", &m.action);
            f.child("RequestId", &m.request_id);
            f.udata = m.udata.clone();
        }
        Body::UDataGet(m) | Body::UDataDel(m) => {
            f.attr("Keys", &m.keys.join(":"));
            f.child("RequestId", &m.request_id);
        }
        Body::UDataResp(m) => {
            f.attr("Result", &m.result);
            f.child("RequestId", &m.request_id);
            f.udata = m.udata.clone();
        }
        Body::RouteRequest(m) => {
            f.attr("RouteDN", &m.route_dn);
            f.opt_child("CED", &m.ced);
            f.udata = m.udata.clone();
            f.extensions = m.extensions.clone();
        }
        Body::RouteResponse(m) => {
            f.opt_attr("RouteType", &m.route_type);
            f.opt_child("Dest", &m.dest);
            f.extensions = m.extensions.clone();
        }
        Body::Unknown(m) => {
            for (n, v) in &m.fields {
                f.attr(n, v);
            }
        }
        // Body is non_exhaustive: a message added to the catalogue later is
        // summarised by name only until it is taught here.
        #[allow(unreachable_patterns)]
        _ => {}
    }
    f
}

/// `Name CallId=.. Field=value ...` on one line; values with spaces are
/// quoted so the line stays splittable. User data as `UDataEx=[k=v,...]`.
pub fn summary(msg: &Message) -> String {
    let mut out = msg.name().to_string();
    if let Some(id) = &msg.call_id {
        out.push_str(" CallId=");
        out.push_str(&quote(id));
    }
    let flat = flatten(&msg.body);
    for field in &flat.fields {
        out.push(' ');
        out.push_str(&field.name);
        out.push('=');
        out.push_str(&quote(&field.value));
    }
    for (label, list) in [("UDataEx", &flat.udata), ("ExtnsEx", &flat.extensions)] {
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
    use crate::wire::{CallError, DestRequest, KeyValue};

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
