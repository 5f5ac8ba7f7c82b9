//! Every case of the three vector files (PROTOCOL.md section 8) against the
//! wire layer: `frames.json` through the encoder, the decoder and the frame
//! reader; `streams.json` through the frame reader chunk by chunk;
//! `encoder_rejects.json` through the encoder.
//!
//! The JSON message form is mapped to and from the typed `Message` here, by
//! hand, field by canonical field, so the mapping is checked independently
//! of the codec's own catalogue. Reason texts are mapped 1:1 to typed error
//! variants by explicit tables; an unmapped reason fails the test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use ivrconf::wire::*;
use serde_json::{json, Map, Value as Json};

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

fn load(name: &str) -> Vec<Json> {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("vector file");
    serde_json::from_str::<Vec<Json>>(&text).expect("vector JSON")
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn str_of(v: &Json) -> String {
    v.as_str().expect("string").to_owned()
}

// ---------------------------------------------------------------------------
// Reason text -> typed variant (1:1)
// ---------------------------------------------------------------------------

fn protocol_kind(reason: &str) -> ProtocolErrorKind {
    match reason {
        "byte0 != 0" => ProtocolErrorKind::NonZeroByte0,
        "unknown frame type" => ProtocolErrorKind::UnknownFrameType,
        "bad version byte" => ProtocolErrorKind::BadVersion,
        "length < 2" => ProtocolErrorKind::LengthTooSmall,
        other => panic!("unmapped protocol error reason {other:?}"),
    }
}

type DecodeCheck = fn(&DecodeError, &str) -> bool;

/// Reason text (prefix for reasons carrying a name) -> variant check.
const DECODE_REASONS: &[(&str, DecodeCheck)] = &[
    ("empty XML payload", |e, _| {
        matches!(e, DecodeError::EmptyPayload)
    }),
    ("invalid UTF-8", |e, _| {
        matches!(e, DecodeError::InvalidUtf8 { .. })
    }),
    ("unsupported encoding", |e, _| {
        matches!(e, DecodeError::UnsupportedEncoding { .. })
    }),
    ("not well-formed XML", |e, _| {
        matches!(e, DecodeError::NotWellFormed { .. })
    }),
    ("truncated XML", |e, _| matches!(e, DecodeError::Truncated)),
    ("DTD internal subset", |e, _| {
        matches!(e, DecodeError::DtdInternalSubset)
    }),
    ("unknown entity", |e, _| {
        matches!(e, DecodeError::UnknownEntity { .. })
    }),
    ("depth > 8", |e, _| matches!(e, DecodeError::TooDeep)),
    ("more than 64 attributes", |e, _| {
        matches!(e, DecodeError::TooManyAttributes)
    }),
    ("more than 1024 user-data nodes", |e, _| {
        matches!(e, DecodeError::TooManyNodes)
    }),
    ("root is not GctiMsg", |e, _| {
        matches!(e, DecodeError::RootNotGctiMsg)
    }),
    ("no message element", |e, _| {
        matches!(e, DecodeError::NoMessageElement)
    }),
    (
        "missing required field ",
        |e, arg| matches!(e, DecodeError::MissingField { field } if *field == arg),
    ),
    ("missing CallId", |e, _| {
        matches!(e, DecodeError::MissingCallId)
    }),
];

/// The check of `reason` in a reason table, with the name the reason
/// carries after a prefix entry (one ending in a space; empty otherwise).
fn find_reason<'t, 'r, C>(table: &'t [(&str, C)], reason: &'r str) -> Option<(&'t C, &'r str)> {
    table
        .iter()
        .find(|(p, _)| {
            if p.ends_with(' ') {
                reason.starts_with(p)
            } else {
                reason == *p
            }
        })
        .map(|(prefix, check)| (check, &reason[prefix.len()..]))
}

/// An error's display starts with its vector reason text.
#[track_caller]
fn assert_display_starts_with(err: &dyn std::fmt::Display, reason: &str, case: &str) {
    assert!(
        err.to_string().starts_with(reason),
        "{case}: display {:?} does not start with {reason:?}",
        err.to_string()
    );
}

fn check_decode_error(err: &DecodeError, reason: &str, case: &str) {
    let (check, arg) = find_reason(DECODE_REASONS, reason)
        .unwrap_or_else(|| panic!("{case}: unmapped decode error reason {reason:?}"));
    assert!(
        check(err, arg),
        "{case}: expected {reason:?}, got {err:?} ({err})"
    );
    assert_display_starts_with(err, reason, case);
}

type EncodeCheck = fn(&EncodeError, &str) -> bool;

const ENCODE_REASONS: &[(&str, EncodeCheck)] = &[
    ("empty call id", |e, _| {
        matches!(e, EncodeError::EmptyCallId)
    }),
    ("call id longer than 64", |e, _| {
        matches!(e, EncodeError::CallIdTooLong)
    }),
    ("call id starts or ends with a space", |e, _| {
        matches!(e, EncodeError::CallIdSpace)
    }),
    (
        "character outside Latin-1 in ",
        |e, arg| matches!(e, EncodeError::NotLatin1 { field } if field == arg),
    ),
    (
        "control character in ",
        |e, arg| matches!(e, EncodeError::ControlCharacter { field } if field == arg),
    ),
    (
        "missing required field ",
        |e, arg| matches!(e, EncodeError::MissingField { field } if *field == arg),
    ),
    ("empty user-data key", |e, _| {
        matches!(e, EncodeError::EmptyKey)
    }),
    ("user-data key contains ':'", |e, _| {
        matches!(e, EncodeError::KeyContainsColon)
    }),
    ("integer user-data value out of 32-bit range", |e, _| {
        matches!(e, EncodeError::IntOutOfRange)
    }),
    ("more than 1024 user-data nodes", |e, _| {
        matches!(e, EncodeError::TooManyNodes)
    }),
    ("message too large", |e, _| {
        matches!(e, EncodeError::TooLarge { .. })
    }),
];

fn check_encode_error(err: &EncodeError, reason: &str, case: &str) {
    let (check, arg) = find_reason(ENCODE_REASONS, reason)
        .unwrap_or_else(|| panic!("{case}: unmapped encoder reason {reason:?}"));
    assert!(check(err, arg), "{case}: expected {reason:?}, got {err:?}");
    assert_display_starts_with(err, reason, case);
}

// ---------------------------------------------------------------------------
// JSON message form <-> typed Message
// ---------------------------------------------------------------------------

fn kvs_from_json(v: Option<&Json>) -> KeyValues {
    let Some(list) = v else { return Vec::new() };
    list.as_array()
        .expect("list")
        .iter()
        .map(|pair| {
            let pair = pair.as_array().expect("pair");
            let key = str_of(&pair[0]);
            match &pair[1] {
                Json::String(s) => KeyValue::str(key, s.clone()),
                Json::Number(n) => KeyValue::int(key, n.as_i64().expect("integer")),
                other => panic!("bad user-data value {other}"),
            }
        })
        .collect()
}

fn kvs_to_json(list: &KeyValues) -> Json {
    Json::Array(
        list.iter()
            .map(|kv| match &kv.value {
                Value::Str(s) => json!([kv.key, s]),
                Value::Int(i) => json!([kv.key, i]),
            })
            .collect(),
    )
}

/// Field access on the JSON `fields` object that remembers which names were
/// read, so a field the mapping does not know fails the test.
struct Fields<'j> {
    map: &'j Map<String, Json>,
    used: BTreeSet<&'static str>,
}

impl<'j> Fields<'j> {
    fn opt(&mut self, name: &'static str) -> Option<String> {
        self.used.insert(name);
        self.map.get(name).map(str_of)
    }
    fn req(&mut self, name: &'static str) -> String {
        self.opt(name).unwrap_or_default()
    }
    fn rest(&self) -> Vec<(String, String)> {
        self.map
            .iter()
            .filter(|(k, _)| !self.used.contains(k.as_str()))
            .map(|(k, v)| (k.clone(), str_of(v)))
            .collect()
    }
    fn all_used(&self, case: &str) {
        let rest = self.rest();
        assert!(rest.is_empty(), "{case}: unmapped fields {rest:?}");
    }
}

fn message_from_json(m: &Json, case: &str) -> Message {
    let name = m["type"].as_str().expect("type");
    let call_id = m["call_id"].as_str().map(str::to_owned);
    let empty = Map::new();
    let mut f = Fields {
        map: m["fields"].as_object().unwrap_or(&empty),
        used: BTreeSet::new(),
    };
    let udata = kvs_from_json(m.get("udata"));
    let extensions = kvs_from_json(m.get("extensions"));
    let dest = |f: &mut Fields| DestRequest {
        dest_dn: f.req("DestDN"),
        req_id: f.opt("ReqId"),
        udata: udata.clone(),
        extensions: extensions.clone(),
    };
    let plain = |f: &mut Fields| PlainRequest {
        req_id: f.opt("ReqId"),
    };
    let keys = |f: &mut Fields| {
        f.used.insert("Keys");
        let keys = match f.map.get("Keys") {
            None => Vec::new(),
            Some(Json::String(s)) => s.split(':').map(str::to_owned).collect(),
            Some(Json::Array(list)) => list.iter().map(str_of).collect(),
            Some(other) => panic!("bad Keys {other}"),
        };
        UDataKeys {
            keys,
            request_id: f.req("RequestId"),
        }
    };
    let body = match name {
        "LoginReq" => Body::LoginReq(LoginReq {
            version: f.req("Version"),
            client_name: f.req("ClientName"),
            report_status: f.opt("ReportStatus"),
            server_monitor: f.opt("ServerMonitor"),
        }),
        "LoginResp" => Body::LoginResp(LoginResp {
            iserver_version: f.opt("IServerVersion"),
            result: f.req("Result"),
            status: f.opt("Status"),
            config_options: f.opt("ConfigOptions"),
        }),
        "FlowControl" => {
            let status = f.opt("Status");
            let other = f.rest();
            f.used.clear();
            return Message {
                call_id,
                body: Body::FlowControl(FlowControl { status, other }),
            };
        }
        "MonitorInfo" => {
            let req_id = f.opt("ReqId");
            let other = f.rest();
            return Message {
                call_id,
                body: Body::MonitorInfo(MonitorInfo { req_id, other }),
            };
        }
        "NewCall" => Body::NewCall(NewCall {
            call_control_mode: f.opt("CallControlMode"),
            version: f.opt("Version"),
            called_num: f.req("CalledNum"),
            dnis: f.opt("DNIS"),
            ani: f.opt("ANI"),
            udata: udata.clone(),
            extensions: extensions.clone(),
        }),
        "CallInfoReq" => Body::CallInfoReq,
        "CallInfoResp" => Body::CallInfoResp(CallInfoResp {
            ani: f.opt("ANI"),
            dnis: f.opt("DNIS"),
            called_num: f.opt("CalledNum"),
            conn_id: f.opt("ConnId"),
            ts_call_id: f.opt("TSCallId"),
            port_dn: f.opt("PortDN"),
            port_trunk: f.opt("PortTrunk"),
            port_queue: f.opt("PortQueue"),
            other_dn: f.opt("OtherDN"),
            other_trunk: f.opt("OtherTrunk"),
            other_queue: f.opt("OtherQueue"),
            last_event: f.opt("LastEvent"),
            first_home_location: f.opt("FirstHomeLocation"),
            third_party_dn: f.opt("ThirdPartyDN"),
            udata: udata.clone(),
        }),
        "EndCall" => Body::EndCall(EndCall {
            end_cause: f.opt("EndCause"),
        }),
        "OneStepConf" => Body::OneStepConf(dest(&mut f)),
        "OneStepXfer" => Body::OneStepXfer(dest(&mut f)),
        "InitConf" => Body::InitConf(dest(&mut f)),
        "InitXfer" => Body::InitXfer(dest(&mut f)),
        "CompleteConf" => Body::CompleteConf(plain(&mut f)),
        "CompleteXfer" => Body::CompleteXfer(plain(&mut f)),
        "RetrieveCall" => Body::RetrieveCall(plain(&mut f)),
        "CallStatus" => Body::CallStatus(CallStatus {
            event: f.req("Event").into(),
        }),
        "CallError" => Body::CallError(CallError {
            failed_req: f.opt("FailedReq"),
            tlib_err_code: f.opt("TLibErrCode"),
            req_id: f.opt("ReqId"),
        }),
        "UDataSet" => Body::UDataSet(UDataSet {
            action: f.opt("Action"),
            request_id: f.req("RequestId"),
            udata: udata.clone(),
        }),
        "UDataGet" => Body::UDataGet(keys(&mut f)),
        "UDataDel" => Body::UDataDel(keys(&mut f)),
        "UDataResp" => Body::UDataResp(UDataResp {
            result: f.req("Result"),
            request_id: f.req("RequestId"),
            udata: udata.clone(),
        }),
        "RouteRequest" => Body::RouteRequest(RouteRequest {
            route_dn: f.req("RouteDN"),
            ced: f.opt("CED"),
            udata: udata.clone(),
            extensions: extensions.clone(),
        }),
        "RouteResponse" => Body::RouteResponse(RouteResponse {
            route_type: f.opt("RouteType"),
            dest: f.opt("Dest"),
            extensions: extensions.clone(),
        }),
        other => panic!("{case}: no typed mapping for message {other}"),
    };
    f.all_used(case);
    Message { call_id, body }
}

fn message_to_json(msg: &Message) -> Json {
    let mut fields = Map::new();
    let mut put = |name: &str, v: Option<&String>| {
        if let Some(v) = v {
            fields.insert(name.to_owned(), Json::String(v.clone()));
        }
    };
    let none = Vec::new();
    let (mut udata, mut extensions) = (&none, &none);
    let mut unknown = false;
    match &msg.body {
        Body::LoginReq(m) => {
            put("Version", Some(&m.version));
            put("ClientName", Some(&m.client_name));
            put("ReportStatus", m.report_status.as_ref());
            put("ServerMonitor", m.server_monitor.as_ref());
        }
        Body::LoginResp(m) => {
            put("IServerVersion", m.iserver_version.as_ref());
            put("Result", Some(&m.result));
            put("Status", m.status.as_ref());
            put("ConfigOptions", m.config_options.as_ref());
        }
        Body::FlowControl(m) => {
            put("Status", m.status.as_ref());
            for (k, v) in &m.other {
                put(k, Some(v));
            }
        }
        Body::MonitorInfo(m) => {
            put("ReqId", m.req_id.as_ref());
            for (k, v) in &m.other {
                put(k, Some(v));
            }
        }
        Body::NewCall(m) => {
            put("CallControlMode", m.call_control_mode.as_ref());
            put("Version", m.version.as_ref());
            put("CalledNum", Some(&m.called_num));
            put("DNIS", m.dnis.as_ref());
            put("ANI", m.ani.as_ref());
            udata = &m.udata;
            extensions = &m.extensions;
        }
        Body::CallInfoReq => {}
        Body::CallInfoResp(m) => {
            put("ANI", m.ani.as_ref());
            put("DNIS", m.dnis.as_ref());
            put("CalledNum", m.called_num.as_ref());
            put("ConnId", m.conn_id.as_ref());
            put("TSCallId", m.ts_call_id.as_ref());
            put("PortDN", m.port_dn.as_ref());
            put("PortTrunk", m.port_trunk.as_ref());
            put("PortQueue", m.port_queue.as_ref());
            put("OtherDN", m.other_dn.as_ref());
            put("OtherTrunk", m.other_trunk.as_ref());
            put("OtherQueue", m.other_queue.as_ref());
            put("LastEvent", m.last_event.as_ref());
            put("FirstHomeLocation", m.first_home_location.as_ref());
            put("ThirdPartyDN", m.third_party_dn.as_ref());
            udata = &m.udata;
        }
        Body::EndCall(m) => put("EndCause", m.end_cause.as_ref()),
        Body::OneStepConf(m) | Body::OneStepXfer(m) | Body::InitConf(m) | Body::InitXfer(m) => {
            put("DestDN", Some(&m.dest_dn));
            put("ReqId", m.req_id.as_ref());
            udata = &m.udata;
            extensions = &m.extensions;
        }
        Body::CompleteConf(m) | Body::CompleteXfer(m) | Body::RetrieveCall(m) => {
            put("ReqId", m.req_id.as_ref());
        }
        Body::CallStatus(m) => put("Event", Some(&m.event.to_string())),
        Body::CallError(m) => {
            put("FailedReq", m.failed_req.as_ref());
            put("TLibErrCode", m.tlib_err_code.as_ref());
            put("ReqId", m.req_id.as_ref());
        }
        Body::UDataSet(m) => {
            put("Action", m.action.as_ref());
            put("RequestId", Some(&m.request_id));
            udata = &m.udata;
        }
        Body::UDataGet(m) | Body::UDataDel(m) => {
            put("Keys", Some(&m.keys.join(":")));
            put("RequestId", Some(&m.request_id));
        }
        Body::UDataResp(m) => {
            put("Result", Some(&m.result));
            put("RequestId", Some(&m.request_id));
            udata = &m.udata;
        }
        Body::RouteRequest(m) => {
            put("RouteDN", Some(&m.route_dn));
            put("CED", m.ced.as_ref());
            udata = &m.udata;
            extensions = &m.extensions;
        }
        Body::RouteResponse(m) => {
            put("RouteType", m.route_type.as_ref());
            put("Dest", m.dest.as_ref());
            extensions = &m.extensions;
        }
        Body::Unknown(m) => {
            unknown = true;
            for (k, v) in &m.fields {
                put(k, Some(v));
            }
        }
        other => panic!("no JSON mapping for {other:?}"),
    }
    let mut out = json!({
        "call_id": msg.call_id,
        "type": msg.name(),
        "fields": fields,
        "udata": kvs_to_json(udata),
        "extensions": kvs_to_json(extensions),
    });
    if unknown {
        out["unknown"] = Json::Bool(true);
    }
    out
}

fn frame_type_of(name: &str) -> Option<FrameType> {
    match name {
        "#keepalive_request" => Some(FrameType::KeepAliveRequest),
        "#keepalive_ack" => Some(FrameType::KeepAliveAck),
        "#error_ack" => Some(FrameType::ErrorAck),
        _ => None,
    }
}

fn raw_frame_json(name: &str, payload: &[u8]) -> Json {
    let fields = if payload.is_empty() {
        json!({})
    } else {
        json!({ "payload_hex": hex(payload) })
    };
    json!({"call_id": null, "type": name, "fields": fields, "udata": [], "extensions": []})
}

/// What one inbound item looks like in the vectors' terms.
#[derive(Debug)]
enum Seen {
    Message(Json),
    Send(Vec<u8>),
    Decode(DecodeError),
    Protocol(ProtocolError),
}

/// Drains the reader; a keep-alive request is followed by the ack the
/// receiver must write.
fn drain(reader: &mut FrameReader, out: &mut Vec<Seen>) {
    for item in reader.by_ref() {
        match item {
            Err(e) => out.push(Seen::Protocol(e)),
            Ok(Inbound::KeepAliveRequest { payload }) => {
                out.push(Seen::Message(raw_frame_json(
                    "#keepalive_request",
                    &payload,
                )));
                out.push(Seen::Send(KEEPALIVE_ACK.to_vec()));
            }
            Ok(Inbound::KeepAliveAck { payload }) => {
                out.push(Seen::Message(raw_frame_json("#keepalive_ack", &payload)))
            }
            Ok(Inbound::ErrorAck { payload }) => {
                out.push(Seen::Message(raw_frame_json("#error_ack", &payload)))
            }
            Ok(Inbound::Message(m)) => out.push(Seen::Message(message_to_json(&m))),
            Ok(Inbound::DecodeError { error, .. }) => out.push(Seen::Decode(error)),
        }
    }
}

// ---------------------------------------------------------------------------
// frames.json
// ---------------------------------------------------------------------------

#[test]
fn frames_json_every_case() {
    let cases = load("frames.json");
    assert_eq!(cases.len(), 113, "frames.json case count changed");
    let mut counts = [0usize; 3];
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let bytes = unhex(case["hex"].as_str().unwrap());
        let usage = case["use"].as_str().unwrap();

        let mut reader = FrameReader::new();
        reader.push(&bytes);
        let mut seen = Vec::new();
        drain(&mut reader, &mut seen);

        match usage {
            "encode_decode" | "decode_only" => {
                counts[usize::from(usage == "decode_only")] += 1;
                let want = &case["message"];
                let reply = case.get("reply_hex").map(|h| unhex(h.as_str().unwrap()));
                // The reader yields exactly the message (and the ack for a
                // keep-alive request), consuming the whole frame.
                // `reply_hex` states what *we* answer; a request we send
                // (direction to_server) is answered by the server, which
                // the vector leaves unstated.
                let to_server = case["direction"] == "to_server";
                match (&seen[..], &reply) {
                    ([Seen::Message(got)], None) => assert_eq!(got, want, "{name}"),
                    ([Seen::Message(got), Seen::Send(_)], None) if to_server => {
                        assert_eq!(got, want, "{name}")
                    }
                    ([Seen::Message(got), Seen::Send(ack)], Some(r)) => {
                        assert_eq!(got, want, "{name}");
                        assert_eq!(ack, r, "{name}: reply");
                    }
                    _ => panic!("{name}: reader gave {seen:?}"),
                }
                assert_eq!(reader.buffered_len(), 0, "{name}");
                // The payload decodes alike when handed straight to decode().
                if bytes[1] == 3 {
                    let msg = decode(&bytes[HEADER_LEN..])
                        .unwrap_or_else(|e| panic!("{name}: decode failed: {e}"));
                    assert_eq!(&message_to_json(&msg), want, "{name}");
                }
                if usage == "encode_decode" {
                    let mtype = want["type"].as_str().unwrap();
                    let encoded = match frame_type_of(mtype) {
                        Some(t) => {
                            let p = want["fields"]
                                .get("payload_hex")
                                .map(|h| unhex(h.as_str().unwrap()))
                                .unwrap_or_default();
                            frame_bytes(t, &p)
                        }
                        None => {
                            let msg = message_from_json(want, name);
                            let frame = encode_frame(&msg)
                                .unwrap_or_else(|e| panic!("{name}: encode refused: {e}"));
                            assert_eq!(
                                &encode(&msg).unwrap()[..],
                                &frame[HEADER_LEN..],
                                "{name}: encode vs encode_frame"
                            );
                            // Typed round trip too.
                            assert_eq!(decode(&frame[HEADER_LEN..]).unwrap(), msg, "{name}");
                            frame
                        }
                    };
                    assert_eq!(
                        hex(&encoded),
                        case["hex"].as_str().unwrap(),
                        "{name}: bytes"
                    );
                }
            }
            "invalid" => {
                counts[2] += 1;
                let reason = case["error"].as_str().unwrap();
                match case["error_class"].as_str().unwrap() {
                    "protocol_error" => {
                        let [Seen::Protocol(e)] = &seen[..] else {
                            panic!("{name}: expected one protocol error, got {seen:?}");
                        };
                        assert_eq!(e.kind, protocol_kind(reason), "{name}");
                        assert!(e.to_string().starts_with(reason), "{name}: {e}");
                        assert_eq!(&e.bytes[..], &bytes[..bytes.len().min(70)], "{name}");
                        // The bare reassembler agrees, and stays dead.
                        let mut r = Reassembler::new();
                        r.push(&bytes);
                        assert_eq!(r.next_frame().unwrap().unwrap_err().kind, e.kind);
                        r.push(&KEEPALIVE_REQUEST);
                        assert!(r.next_frame().is_none(), "{name}: not dead");
                        assert!(reader.next().is_none(), "{name}: reader not dead");
                    }
                    "decode_error" => {
                        let [Seen::Decode(e)] = &seen[..] else {
                            panic!("{name}: expected one decode error, got {seen:?}");
                        };
                        check_decode_error(e, reason, name);
                        assert_eq!(decode(&bytes[HEADER_LEN..]).unwrap_err(), *e, "{name}");
                    }
                    other => panic!("{name}: unknown error_class {other}"),
                }
            }
            other => panic!("{name}: unknown use {other}"),
        }
    }
    assert_eq!(counts, [51, 36, 26], "cases per use");
}

// ---------------------------------------------------------------------------
// streams.json
// ---------------------------------------------------------------------------

#[test]
fn streams_json_every_case() {
    let cases = load("streams.json");
    assert_eq!(cases.len(), 10, "streams.json case count changed");
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let mut reader = FrameReader::new();
        let mut seen = Vec::new();
        for chunk in case["chunks"].as_array().unwrap() {
            reader.push(&unhex(chunk.as_str().unwrap()));
            drain(&mut reader, &mut seen);
        }
        let expect = case["expect"].as_array().unwrap();
        assert_eq!(
            seen.len(),
            expect.len(),
            "{name}: got {seen:?}, want {expect:?}"
        );
        for (got, want) in seen.iter().zip(expect) {
            match (want["event"].as_str().unwrap(), got) {
                ("message", Seen::Message(m)) => assert_eq!(m, &want["message"], "{name}"),
                ("send", Seen::Send(bytes)) => {
                    assert_eq!(hex(bytes), want["hex"].as_str().unwrap(), "{name}")
                }
                ("decode_error", Seen::Decode(e)) => {
                    check_decode_error(e, want["error"].as_str().unwrap(), name)
                }
                ("protocol_error", Seen::Protocol(e)) => {
                    let reason = want["error"].as_str().unwrap();
                    assert_eq!(e.kind, protocol_kind(reason), "{name}");
                    assert!(e.to_string().starts_with(reason), "{name}");
                }
                (event, got) => panic!("{name}: want {event}, got {got:?}"),
            }
        }
        if matches!(seen.last(), Some(Seen::Protocol(_))) {
            reader.push(&KEEPALIVE_REQUEST);
            assert!(reader.next().is_none(), "{name}: read after protocol error");
        }
    }
}

#[test]
fn streams_json_waiting_cases_hold_their_bytes_without_preallocating() {
    // large_frame_waits_for_payload: a header announcing 65533 bytes and 4
    // of them: 10 bytes are buffered, not 65539.
    let mut r = Reassembler::new();
    r.push(&unhex("0003ffff0200"));
    r.push(b"xxxx");
    assert!(r.next_frame().is_none());
    assert_eq!(r.buffered_len(), 10);
}

// ---------------------------------------------------------------------------
// encoder_rejects.json
// ---------------------------------------------------------------------------

#[test]
fn encoder_rejects_json_every_case() {
    let cases = load("encoder_rejects.json");
    assert_eq!(cases.len(), 13, "encoder_rejects.json case count changed");
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let reason = case["error"].as_str().unwrap();
        let msg = message_from_json(&case["message"], name);
        let err = encode(&msg).expect_err(name);
        check_encode_error(&err, reason, name);
        assert_eq!(encode_frame(&msg).unwrap_err(), err, "{name}");
    }
}

#[test]
fn reason_tables_cover_every_variant_reason() {
    // Each table entry is a distinct reason (1:1), and every reason text the
    // codec can produce is in a table (the additions InvalidName and
    // DuplicateField are ours and appear in no vector).
    let decode_reasons: BTreeSet<_> = DECODE_REASONS.iter().map(|(r, _)| r.trim_end()).collect();
    assert_eq!(decode_reasons.len(), DECODE_REASONS.len());
    let encode_reasons: BTreeSet<_> = ENCODE_REASONS.iter().map(|(r, _)| r.trim_end()).collect();
    assert_eq!(encode_reasons.len(), ENCODE_REASONS.len());
    for e in [
        DecodeError::EmptyPayload,
        DecodeError::Truncated,
        DecodeError::DtdInternalSubset,
        DecodeError::TooDeep,
        DecodeError::TooManyAttributes,
        DecodeError::TooManyNodes,
        DecodeError::RootNotGctiMsg,
        DecodeError::NoMessageElement,
        DecodeError::MissingCallId,
    ] {
        assert!(decode_reasons.contains(e.reason()), "{e:?}");
    }
}
