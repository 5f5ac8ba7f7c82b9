//! TEMPORARY stand-in for the `wire` codec (branch `wire`), with the same
//! names, so the simulator builds and is tested before the codec lands.
//! Deleted when `wire` is merged; nothing outside `sim` may use it.

#![allow(dead_code)]

use quick_xml::events::Event as Xml;
use quick_xml::Reader;

use super::spelling::{self, Spelling};
pub use crate::wire::*;

pub const KEEPALIVE_REQUEST: [u8; 6] = [0, 0, 0, 2, 2, 0];
pub const KEEPALIVE_ACK: [u8; 6] = [0, 1, 0, 2, 2, 0];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError(pub String);
impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);
impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub fn encode_frame(msg: &Message) -> Result<Vec<u8>, EncodeError> {
    spelling::frame(msg, Spelling::default()).ok_or_else(|| EncodeError("message too large".into()))
}

pub fn encode(msg: &Message) -> Result<Vec<u8>, EncodeError> {
    spelling::payload(msg, Spelling::default())
        .ok_or_else(|| EncodeError("message too large".into()))
}

fn lossy(b: &[u8]) -> String {
    b.iter().map(|&x| x as char).collect()
}

pub fn decode(payload: &[u8]) -> Result<Message, DecodeError> {
    let err = |s: &str| DecodeError(s.to_string());
    if payload.is_empty() {
        return Err(err("empty XML payload"));
    }
    let mut r = Reader::from_reader(payload);
    let mut depth = 0usize;
    let mut call_id: Option<String> = None;
    let mut name: Option<String> = None;
    let mut fields: Vec<(String, String)> = vec![];
    let mut udata: KeyValues = vec![];
    let mut ext: KeyValues = vec![];
    let mut current_child: Option<String> = None;
    let mut text = String::new();
    let mut list: Option<bool> = None; // Some(true)=udata
    loop {
        let ev = r.read_event().map_err(|_| err("not well-formed XML"))?;
        let empty = matches!(ev, Xml::Empty(_));
        match ev {
            Xml::Start(e) | Xml::Empty(e) => {
                let n = lossy(e.name().as_ref());
                let attrs: Vec<(String, String)> = e
                    .attributes()
                    .filter_map(|a| a.ok())
                    .map(|a| (lossy(a.key.as_ref()), lossy(&a.value)))
                    .collect();
                let d = depth + 1;
                if d == 1 && !n.eq_ignore_ascii_case("GctiMsg") {
                    return Err(err("root is not GctiMsg"));
                }
                if d == 2 && n.eq_ignore_ascii_case("CallId") {
                    current_child = Some("#callid".into());
                } else if d == 2 && name.is_none() {
                    name = Some(n.clone());
                    fields.extend(attrs.clone());
                } else if d == 3 && n.eq_ignore_ascii_case("UDataEx") {
                    list = Some(true);
                } else if d == 3 && n.eq_ignore_ascii_case("ExtnsEx") {
                    list = Some(false);
                } else if d == 3 {
                    current_child = Some(n.clone());
                } else if d == 4 && n.eq_ignore_ascii_case("Node") {
                    let get = |k: &str| {
                        attrs
                            .iter()
                            .find(|(a, _)| a.eq_ignore_ascii_case(k))
                            .map(|(_, v)| v.clone())
                    };
                    let key = get("Name").unwrap_or_default();
                    let val = get("Val").unwrap_or_default();
                    let v = if get("Type").is_some_and(|t| t.eq_ignore_ascii_case("Int")) {
                        val.trim()
                            .parse::<i64>()
                            .map(Value::Int)
                            .unwrap_or(Value::Str(val))
                    } else {
                        Value::Str(val)
                    };
                    let kv = KeyValue { key, value: v };
                    match list {
                        Some(true) => udata.push(kv),
                        Some(false) => ext.push(kv),
                        None => {}
                    }
                }
                if !empty {
                    depth += 1;
                    text.clear();
                } else if d == 3 {
                    if let Some(c) = current_child.take() {
                        fields.push((c, String::new()));
                    }
                }
            }
            Xml::Text(t) => text.push_str(&lossy(&t)),
            Xml::End(_) => {
                if depth == 2 || depth == 3 {
                    if let Some(c) = current_child.take() {
                        if c == "#callid" {
                            call_id = Some(text.trim().to_string());
                        } else {
                            fields.push((c, text.trim().to_string()));
                        }
                    }
                    if depth == 3 {
                        list = None;
                    }
                }
                depth = depth.saturating_sub(1);
                text.clear();
            }
            Xml::Eof => break,
            _ => {}
        }
    }
    let name = name.ok_or_else(|| err("no message element"))?;
    let get = |k: &str| {
        fields
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    let req = |k: &str| get(k).ok_or_else(|| DecodeError(format!("missing required field {k}")));
    let dest = || -> Result<DestRequest, DecodeError> {
        Ok(DestRequest {
            dest_dn: req("DestDN")?,
            req_id: get("ReqId"),
            udata: udata.clone(),
            extensions: ext.clone(),
        })
    };
    let plain = || PlainRequest {
        req_id: get("ReqId"),
    };
    let keys = || -> Result<UDataKeys, DecodeError> {
        Ok(UDataKeys {
            keys: req("Keys")?.split(':').map(str::to_string).collect(),
            request_id: req("RequestId")?,
        })
    };
    let body = match name.to_ascii_lowercase().as_str() {
        "loginreq" => Body::LoginReq(LoginReq {
            version: req("Version")?,
            client_name: req("ClientName")?,
            report_status: get("ReportStatus"),
            server_monitor: get("ServerMonitor"),
        }),
        "loginresp" => Body::LoginResp(LoginResp {
            iserver_version: get("IServerVersion").or_else(|| get("IServerVer")),
            result: req("Result")?,
            status: get("Status"),
            config_options: get("ConfigOptions"),
        }),
        "newcall" => Body::NewCall(NewCall {
            call_control_mode: get("CallControlMode"),
            version: get("Version"),
            called_num: req("CalledNum")?,
            dnis: get("DNIS"),
            ani: get("ANI"),
            udata: udata.clone(),
            extensions: ext.clone(),
        }),
        "callinforeq" => Body::CallInfoReq,
        "callinforesp" => Body::CallInfoResp(CallInfoResp {
            ani: get("ANI"),
            dnis: get("DNIS"),
            called_num: get("CalledNum"),
            conn_id: get("ConnId"),
            port_dn: get("PortDN"),
            last_event: get("LastEvent"),
            udata: udata.clone(),
            ..CallInfoResp::default()
        }),
        "endcall" => Body::EndCall(EndCall {
            end_cause: get("EndCause"),
        }),
        "onestepconf" => Body::OneStepConf(dest()?),
        "onestepxfer" => Body::OneStepXfer(dest()?),
        "initconf" => Body::InitConf(dest()?),
        "initxfer" => Body::InitXfer(dest()?),
        "completeconf" => Body::CompleteConf(plain()),
        "completexfer" => Body::CompleteXfer(plain()),
        "retrievecall" => Body::RetrieveCall(plain()),
        "callstatus" => Body::CallStatus(CallStatus {
            event: req("Event")?,
        }),
        "callerror" => Body::CallError(CallError {
            failed_req: get("FailedReq"),
            tlib_err_code: get("TLibErrCode"),
            req_id: get("ReqId"),
        }),
        "udataset" => Body::UDataSet(UDataSet {
            action: get("Action"),
            request_id: req("RequestId")?,
            udata: udata.clone(),
        }),
        "udataget" => Body::UDataGet(keys()?),
        "udatadel" => Body::UDataDel(keys()?),
        "routerequest" => Body::RouteRequest(RouteRequest {
            route_dn: req("RouteDN")?,
            ced: get("CED"),
            udata: udata.clone(),
            extensions: ext.clone(),
        }),
        _ => Body::Unknown(UnknownMessage {
            name: name.clone(),
            fields: fields.clone(),
        }),
    };
    if !body.is_session() && call_id.as_deref().is_none_or(|c| c.trim().is_empty()) {
        return Err(err("missing CallId"));
    }
    Ok(Message { call_id, body })
}
