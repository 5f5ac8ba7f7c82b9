//! Property tests of the wire layer: encode/decode identity for every
//! message kind, chunking-independence of the frame reader, no panic on
//! arbitrary input, and the decoder's plain and event paths agreeing
//! (PROTOCOL.md 1.4, 2.1-2.3).
//!
//! Generated values follow the encoder's rules (2.2) so every message is
//! encodable; child-element values have no leading or trailing whitespace
//! because the decoder trims it (2.1).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ivrconf::wire::*;
use proptest::prelude::*;
use proptest::strategy::Union;

// ---------------------------------------------------------------------------
// Value strategies
// ---------------------------------------------------------------------------

/// An attribute value: printable Latin-1, spaces anywhere, maybe empty.
fn attr() -> impl Strategy<Value = String> {
    "[ -~\u{a0}-\u{ff}]{0,12}"
}

fn attr_req() -> impl Strategy<Value = String> {
    "[ -~\u{a0}-\u{ff}]{1,12}"
}

/// A child-element value: no leading or trailing space (it would be
/// trimmed), maybe empty.
fn child() -> impl Strategy<Value = String> {
    "([!-~\u{a0}-\u{ff}]([ -~\u{a0}-\u{ff}]{0,10}[!-~\u{a0}-\u{ff}])?)?"
}

fn child_req() -> impl Strategy<Value = String> {
    "[!-~\u{a0}-\u{ff}]([ -~\u{a0}-\u{ff}]{0,10}[!-~\u{a0}-\u{ff}])?"
}

/// A call id by the rules of 5.1.
fn call_id() -> impl Strategy<Value = String> {
    "[!-~\u{a0}-\u{ff}]([ -~\u{a0}-\u{ff}]{0,30}[!-~\u{a0}-\u{ff}])?"
}

fn opt<S: Strategy<Value = String>>(s: S) -> impl Strategy<Value = Option<String>> {
    proptest::option::of(s)
}

fn key_value() -> impl Strategy<Value = KeyValue> {
    (
        attr_req(),
        prop_oneof![
            attr().prop_map(Value::Str),
            any::<i32>().prop_map(|i| Value::Int(i64::from(i))),
        ],
    )
        .prop_map(|(key, value)| KeyValue { key, value })
}

fn list() -> impl Strategy<Value = KeyValues> {
    proptest::collection::vec(key_value(), 0..4)
}

/// Field names for open and unknown messages: XML names, unique ignoring
/// case, never one the message recognises.
fn open_fields(recognised: &'static str) -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec(("[A-Za-z_][A-Za-z0-9_.-]{0,8}", attr()), 0..4).prop_map(
        move |fields| {
            let mut out: Vec<(String, String)> = Vec::new();
            for (k, v) in fields {
                let clash = k.eq_ignore_ascii_case(recognised)
                    || out.iter().any(|(n, _)| n.eq_ignore_ascii_case(&k));
                if !clash {
                    out.push((k, v));
                }
            }
            out
        },
    )
}

// ---------------------------------------------------------------------------
// Message strategies, one per kind
// ---------------------------------------------------------------------------

fn dest_request() -> impl Strategy<Value = DestRequest> {
    (attr_req(), opt(attr()), list(), list()).prop_map(|(dest_dn, req_id, udata, extensions)| {
        DestRequest {
            dest_dn,
            req_id,
            udata,
            extensions,
        }
    })
}

fn plain_request() -> impl Strategy<Value = PlainRequest> {
    opt(attr()).prop_map(|req_id| PlainRequest { req_id })
}

fn udata_keys() -> impl Strategy<Value = UDataKeys> {
    (
        proptest::collection::vec("[ -9;-~\u{a0}-\u{ff}]{1,8}", 1..4),
        child_req(),
    )
        .prop_map(|(keys, request_id)| UDataKeys { keys, request_id })
}

fn body() -> impl Strategy<Value = Body> {
    Union::new(vec![
        (attr_req(), attr_req(), opt(attr()), opt(attr()))
            .prop_map(|(version, client_name, report_status, server_monitor)| {
                Body::LoginReq(LoginReq {
                    version,
                    client_name,
                    report_status,
                    server_monitor,
                })
            })
            .boxed(),
        (opt(attr()), attr_req(), opt(attr()), opt(attr()))
            .prop_map(|(iserver_version, result, status, config_options)| {
                Body::LoginResp(LoginResp {
                    iserver_version,
                    result,
                    status,
                    config_options,
                })
            })
            .boxed(),
        (opt(attr()), open_fields("Status"))
            .prop_map(|(status, other)| Body::FlowControl(FlowControl { status, other }))
            .boxed(),
        (opt(attr()), open_fields("ReqId"))
            .prop_map(|(req_id, other)| Body::MonitorInfo(MonitorInfo { req_id, other }))
            .boxed(),
        (
            opt(attr()),
            opt(attr()),
            child_req(),
            opt(child()),
            opt(child()),
            list(),
            list(),
        )
            .prop_map(
                |(call_control_mode, version, called_num, dnis, ani, udata, extensions)| {
                    Body::NewCall(NewCall {
                        call_control_mode,
                        version,
                        called_num,
                        dnis,
                        ani,
                        udata,
                        extensions,
                    })
                },
            )
            .boxed(),
        Just(Body::CallInfoReq).boxed(),
        (proptest::collection::vec(opt(attr()), 14), list())
            .prop_map(|(f, udata)| {
                let mut f = f.into_iter();
                let mut n = || f.next().flatten();
                Body::CallInfoResp(CallInfoResp {
                    ani: n(),
                    dnis: n(),
                    called_num: n(),
                    conn_id: n(),
                    ts_call_id: n(),
                    port_dn: n(),
                    port_trunk: n(),
                    port_queue: n(),
                    other_dn: n(),
                    other_trunk: n(),
                    other_queue: n(),
                    last_event: n(),
                    first_home_location: n(),
                    third_party_dn: n(),
                    udata,
                })
            })
            .boxed(),
        opt(attr())
            .prop_map(|end_cause| Body::EndCall(EndCall { end_cause }))
            .boxed(),
        dest_request().prop_map(Body::OneStepConf).boxed(),
        dest_request().prop_map(Body::OneStepXfer).boxed(),
        dest_request().prop_map(Body::InitConf).boxed(),
        dest_request().prop_map(Body::InitXfer).boxed(),
        plain_request().prop_map(Body::CompleteConf).boxed(),
        plain_request().prop_map(Body::CompleteXfer).boxed(),
        plain_request().prop_map(Body::RetrieveCall).boxed(),
        attr_req()
            .prop_map(|event| {
                Body::CallStatus(CallStatus {
                    event: event.into(),
                })
            })
            .boxed(),
        (opt(attr()), opt(attr()), opt(attr()))
            .prop_map(|(failed_req, tlib_err_code, req_id)| {
                Body::CallError(CallError {
                    failed_req,
                    tlib_err_code,
                    req_id,
                })
            })
            .boxed(),
        (opt(attr()), child_req(), list())
            .prop_map(|(action, request_id, udata)| {
                Body::UDataSet(UDataSet {
                    action,
                    request_id,
                    udata,
                })
            })
            .boxed(),
        udata_keys().prop_map(Body::UDataGet).boxed(),
        udata_keys().prop_map(Body::UDataDel).boxed(),
        (attr_req(), child_req(), list())
            .prop_map(|(result, request_id, udata)| {
                Body::UDataResp(UDataResp {
                    result,
                    request_id,
                    udata,
                })
            })
            .boxed(),
        (attr_req(), opt(child()), list(), list())
            .prop_map(|(route_dn, ced, udata, extensions)| {
                Body::RouteRequest(RouteRequest {
                    route_dn,
                    ced,
                    udata,
                    extensions,
                })
            })
            .boxed(),
        (opt(attr()), opt(child()), list())
            .prop_map(|(route_type, dest, extensions)| {
                Body::RouteResponse(RouteResponse {
                    route_type,
                    dest,
                    extensions,
                })
            })
            .boxed(),
        // No catalogue name starts with "Zz", and none is "CallId".
        ("Zz[A-Za-z0-9_.-]{0,10}", open_fields(""))
            .prop_map(|(name, fields)| Body::Unknown(UnknownMessage { name, fields }))
            .boxed(),
    ])
}

fn message() -> impl Strategy<Value = Message> {
    (call_id(), body()).prop_map(|(id, body)| Message::new(id, body))
}

/// A stream item: an XML message or one of the payload-less frames.
fn frame() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => message().prop_map(|m| encode_frame(&m).unwrap()),
        1 => Just(KEEPALIVE_REQUEST.to_vec()),
        1 => Just(KEEPALIVE_ACK.to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 0..8)
            .prop_map(|p| frame_bytes(FrameType::ErrorAck, &p)),
        // A frame that fails to decode but keeps the stream going.
        1 => Just(frame_bytes(FrameType::Xml, b"<GctiMsg><CallId>x</CallId></GctiMsg>")),
    ]
}

fn read_in_chunks(stream: &[u8], sizes: &[usize]) -> Vec<Result<Inbound, ProtocolError>> {
    let mut reader = FrameReader::new();
    let mut out = Vec::new();
    let mut rest = stream;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].clamp(1, rest.len());
        reader.push(&rest[..n]);
        rest = &rest[n..];
        i += 1;
        out.extend(reader.by_ref());
    }
    out
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn encode_then_decode_gives_back_the_message(msg in message()) {
        let payload = encode(&msg).unwrap();
        prop_assert!(payload.len() <= MAX_PAYLOAD);
        prop_assert_eq!(decode(&payload).unwrap(), msg.clone());
        let frame = encode_frame(&msg).unwrap();
        prop_assert_eq!(&frame[HEADER_LEN..], &payload[..]);
        prop_assert_eq!(&frame[..HEADER_LEN], &frame_bytes(FrameType::Xml, &payload)[..HEADER_LEN]);
    }

    #[test]
    fn every_chunking_yields_the_same_items(
        frames in proptest::collection::vec(frame(), 1..6),
        sizes in proptest::collection::vec(1usize..40, 1..8),
    ) {
        let stream = frames.concat();
        let whole = read_in_chunks(&stream, &[stream.len()]);
        prop_assert_eq!(whole.len(), frames.len());
        prop_assert!(whole.iter().all(Result::is_ok));
        prop_assert_eq!(read_in_chunks(&stream, &sizes), whole.clone());
        prop_assert_eq!(read_in_chunks(&stream, &[1]), whole);

        // The bare reassembler cuts the same frames.
        let mut r = Reassembler::new();
        let mut cut = Vec::new();
        for chunk in stream.chunks(sizes[0]) {
            r.push(chunk);
            while let Some(f) = r.next_frame() {
                let f = f.unwrap();
                cut.push(frame_bytes(f.frame_type, &f.payload));
            }
        }
        prop_assert_eq!(cut, frames);
        prop_assert_eq!(r.buffered_len(), 0);
    }

    #[test]
    fn a_bad_header_ends_the_stream_whatever_the_chunking(
        frames in proptest::collection::vec(frame(), 0..3),
        bad in prop_oneof![
            Just([1u8, 3, 0, 2, 2, 0]),
            Just([0u8, 4, 0, 2, 2, 0]),
            Just([0u8, 3, 0, 2, 1, 0]),
            Just([0u8, 3, 0, 1, 2, 0]),
        ],
        tail in proptest::collection::vec(frame(), 0..3),
        sizes in proptest::collection::vec(1usize..40, 1..8),
    ) {
        let mut stream = frames.concat();
        stream.extend_from_slice(&bad);
        stream.extend(tail.concat());
        let items = read_in_chunks(&stream, &sizes);
        prop_assert_eq!(items.len(), frames.len() + 1);
        prop_assert!(items.last().unwrap().is_err());
    }
}

proptest! {
    // Garbage is cheap to decode: more cases.
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn decode_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn both_decode_paths_agree_on_encoded_and_damaged_messages(
        msg in message(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..4),
    ) {
        // Every message kind, as we encode it (the plain path's form), then
        // with a few bytes replaced, inserted or cut.
        let mut bytes = encode(&msg).unwrap();
        prop_assert_eq!(decode(&bytes), decode_by_events(&bytes));
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => bytes.truncate(i),
            }
            prop_assert_eq!(decode(&bytes), decode_by_events(&bytes));
        }
    }

    #[test]
    fn decode_never_panics_on_damaged_messages(
        msg in message(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let mut bytes = encode(&msg).unwrap();
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => bytes.truncate(i),
            }
        }
        let _ = decode(&bytes);
    }

    #[test]
    fn frame_reader_never_panics_on_arbitrary_streams(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
        sizes in proptest::collection::vec(1usize..64, 1..8),
    ) {
        // Start with a plausible header half the time so payloads get parsed.
        let mut stream = Vec::new();
        if bytes.first().is_some_and(|b| b % 2 == 0) {
            let len = u16::try_from(bytes.len().min(0xffff - 2) + 2).unwrap();
            stream.extend([0, 3]);
            stream.extend(len.to_be_bytes());
            stream.extend([2, 0]);
        }
        stream.extend(&bytes);
        let items = read_in_chunks(&stream, &sizes);
        prop_assert!(items.iter().filter(|i| i.is_err()).count() <= 1);
    }
}
