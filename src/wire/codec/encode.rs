//! The encoder (PROTOCOL.md 2.1, 2.2, 2.7): a typed message to the exact
//! bytes we send.
//!
//! Everything is checked before a byte is built; then the output is measured
//! and written into one allocation of exactly the right size. Must not write
//! anything but the one canonical form (the decoder is where tolerance
//! lives), and must not map characters through any encoding table: a
//! character is its own byte or it is refused.

use super::catalogue::Spec;
use super::decode::MAX_NODES;
use super::error::EncodeError;
use super::fields::{Text, View};
use super::validate::{validate_call_id, validate_text};
use super::xml::is_name;
use super::PROLOG;
use crate::wire::frame::{push_header, FrameType, HEADER_LEN, MAX_PAYLOAD};
use crate::wire::message::{KeyValue, Message, Value};

/// The XML payload of `msg`, ISO-8859-1 bytes.
pub fn encode(msg: &Message) -> Result<Vec<u8>, EncodeError> {
    let view = View::of(&msg.body);
    let call_id = validate(msg, &view)?;
    let size = measure(msg, &view, call_id)?;
    let mut out = Vec::with_capacity(size);
    write_message(&mut out, msg, &view, call_id);
    debug_assert_eq!(out.len(), size);
    Ok(out)
}

/// The whole frame for `msg`: header plus [`encode`]'s payload.
pub fn encode_frame(msg: &Message) -> Result<Vec<u8>, EncodeError> {
    let view = View::of(&msg.body);
    let call_id = validate(msg, &view)?;
    let size = measure(msg, &view, call_id)?;
    let mut out = Vec::with_capacity(HEADER_LEN + size);
    push_header(&mut out, FrameType::Xml, size);
    write_message(&mut out, msg, &view, call_id);
    debug_assert_eq!(out.len(), HEADER_LEN + size);
    Ok(out)
}

fn measure(msg: &Message, view: &View<'_>, call_id: &str) -> Result<usize, EncodeError> {
    let mut counter = Counter(0);
    write_message(&mut counter, msg, view, call_id);
    if counter.0 > MAX_PAYLOAD {
        return Err(EncodeError::TooLarge { size: counter.0 });
    }
    Ok(counter.0)
}

/// All refusals of 2.2, in the order the vector generator applies them.
/// Returns the call id to write.
fn validate<'m>(msg: &'m Message, view: &View<'m>) -> Result<&'m str, EncodeError> {
    let call_id = msg.call_id.as_deref().unwrap_or("");
    validate_call_id(call_id)?;
    if let Some(keys) = view.keys {
        for k in keys {
            if k.is_empty() {
                return Err(EncodeError::EmptyKey);
            }
            if k.contains(':') {
                return Err(EncodeError::KeyContainsColon);
            }
        }
    }
    match view.spec {
        Some(spec) => {
            for &r in spec.required {
                // A child element's text is trimmed on decode (2.3 step 9),
                // so a blank required child would reach our own decoder as
                // missing: refuse it here, as 2.2 refuses everything our
                // decoder would.
                let blank = |v: &str| {
                    if spec.is_attr(r) {
                        v.is_empty()
                    } else {
                        v.trim_matches(' ').is_empty()
                    }
                };
                let present = match view.keys {
                    Some(keys) if r == 0 => !keys.is_empty(),
                    _ => view.slots[r].is_some_and(|v| !blank(v)),
                };
                if !present {
                    return Err(EncodeError::MissingField {
                        field: spec.fields[r],
                    });
                }
            }
            for (name, value) in spec.fields.iter().zip(view.slots) {
                if let Some(v) = value {
                    validate_text(name, v)?;
                }
            }
            if let Some(keys) = view.keys {
                for k in keys {
                    validate_text("Keys", k)?;
                }
            }
            if spec.open {
                validate_open_fields(Some(spec), view.other)?;
            }
        }
        None => {
            validate_element_name(msg.body.name())?;
            validate_open_fields(None, view.other)?;
        }
    }
    if view.udata.len() + view.extensions.len() > MAX_NODES {
        return Err(EncodeError::TooManyNodes);
    }
    for kv in view.udata.iter().chain(view.extensions) {
        validate_node(kv)?;
    }
    Ok(call_id)
}

fn validate_node(kv: &KeyValue) -> Result<(), EncodeError> {
    if kv.key.is_empty() {
        return Err(EncodeError::EmptyKey);
    }
    validate_text("user-data key", &kv.key)?;
    match &kv.value {
        Value::Int(i) if i32::try_from(*i).is_err() => Err(EncodeError::IntOutOfRange),
        Value::Int(_) => Ok(()),
        Value::Str(s) => validate_text("user-data value", s),
    }
}

/// A caller-chosen element or attribute name must be an XML name we can
/// write in Latin-1.
fn validate_name(name: &str) -> Result<(), EncodeError> {
    if is_name(name.as_bytes()) && name.chars().all(|c| u32::from(c) <= 0xff) {
        Ok(())
    } else {
        Err(EncodeError::InvalidName {
            name: name.to_owned(),
        })
    }
}

/// An unknown message's name must also not read back as something else.
fn validate_element_name(name: &str) -> Result<(), EncodeError> {
    validate_name(name)?;
    if Spec::lookup(name.as_bytes()).is_some() || name.eq_ignore_ascii_case("CallId") {
        return Err(EncodeError::InvalidName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Open fields are written as attributes; names must be unique ignoring
/// case, also against the message's recognised field, or the decoder would
/// keep only the first.
fn validate_open_fields(
    spec: Option<&Spec>,
    other: &[(String, String)],
) -> Result<(), EncodeError> {
    for (i, (name, value)) in other.iter().enumerate() {
        validate_name(name)?;
        let clash = spec.is_some_and(|s| s.slot(name.as_bytes()).is_some())
            || other[..i].iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        if clash {
            return Err(EncodeError::DuplicateField { name: name.clone() });
        }
        validate_text(name, value)?;
    }
    Ok(())
}

/// Where bytes go: a counter first (so the size limit is checked before
/// anything is allocated), then the output vector.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
    fn put_byte(&mut self, b: u8);
}

struct Counter(usize);

impl Sink for Counter {
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
    fn put_byte(&mut self, _: u8) {
        self.0 += 1;
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    fn put_byte(&mut self, b: u8) {
        self.push(b);
    }
}

/// A validated value as ISO-8859-1 with the five specials escaped (2.2).
fn put_escaped<S: Sink>(out: &mut S, value: &str) {
    let bytes = value.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let entity: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&apos;",
            0x80.. => {
                // Validated as Latin-1: a two-byte UTF-8 sequence whose code
                // point is the byte we write.
                out.put(&bytes[run..i]);
                let c = value[i..].chars().next().unwrap_or('?');
                out.put_byte(u8::try_from(u32::from(c)).unwrap_or(b'?'));
                i += c.len_utf8();
                run = i;
                continue;
            }
            _ => {
                i += 1;
                continue;
            }
        };
        out.put(&bytes[run..i]);
        out.put(entity);
        i += 1;
        run = i;
    }
    out.put(&bytes[run..]);
}

/// A validated attribute name: the catalogue's (ASCII, written as is) or
/// an open field's Latin-1 XML name.
fn put_name<S: Sink>(out: &mut S, name: &str) {
    if name.is_ascii() {
        out.put(name.as_bytes());
    } else {
        put_escaped(out, name);
    }
}

fn write_message<S: Sink>(out: &mut S, msg: &Message, view: &View<'_>, call_id: &str) {
    let name = msg.body.name();
    out.put(PROLOG);
    out.put(b"<GctiMsg><CallId>");
    put_escaped(out, call_id);
    out.put(b"</CallId><");
    // Validated: an ASCII catalogue name, or a Latin-1 XML name.
    put_escaped(out, name);
    for (field, text) in view.attributes() {
        out.put_byte(b' ');
        put_name(out, field);
        out.put(b"=\"");
        match text {
            Text::Plain(v) => put_escaped(out, v),
            Text::Keys(keys) => {
                for (n, k) in keys.iter().enumerate() {
                    if n > 0 {
                        out.put_byte(b':');
                    }
                    put_escaped(out, k);
                }
            }
        }
        out.put_byte(b'"');
    }
    let children = view.children();
    let has_inner =
        children.clone().next().is_some() || !view.udata.is_empty() || !view.extensions.is_empty();
    if !has_inner {
        out.put(b"/></GctiMsg>");
        return;
    }
    out.put_byte(b'>');
    for (field, v) in children {
        out.put_byte(b'<');
        out.put(field.as_bytes());
        out.put_byte(b'>');
        put_escaped(out, v);
        out.put(b"</");
        out.put(field.as_bytes());
        out.put_byte(b'>');
    }
    put_list(out, "UDataEx", view.udata);
    put_list(out, "ExtnsEx", view.extensions);
    out.put(b"</");
    put_escaped(out, name);
    out.put(b"></GctiMsg>");
}

fn put_list<S: Sink>(out: &mut S, element: &str, list: &[KeyValue]) {
    if list.is_empty() {
        return;
    }
    out.put_byte(b'<');
    out.put(element.as_bytes());
    out.put_byte(b'>');
    for kv in list {
        out.put(b"<Node Name=\"");
        put_escaped(out, &kv.key);
        match &kv.value {
            Value::Str(s) => {
                out.put(b"\" Type=\"Str\" Val=\"");
                put_escaped(out, s);
            }
            Value::Int(i) => {
                out.put(b"\" Type=\"Int\" Val=\"");
                put_int(out, *i);
            }
        }
        out.put(b"\"/>");
    }
    out.put(b"</");
    out.put(element.as_bytes());
    out.put_byte(b'>');
}

/// Decimal, `-` for negatives, no `+`, no leading zeros (2.7).
fn put_int<S: Sink>(out: &mut S, v: i64) {
    let mut buf = [0u8; 20];
    let mut pos = buf.len();
    let mut n = v.unsigned_abs();
    loop {
        pos -= 1;
        // n % 10 < 10, so the narrowing cannot lose anything.
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        out.put_byte(b'-');
    }
    out.put(&buf[pos..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::message::*;

    fn text(msg: &Message) -> String {
        encode(msg)
            .unwrap()
            .iter()
            .map(|&b| char::from(b))
            .collect()
    }

    #[test]
    fn call_status_is_the_documented_149_bytes() {
        let m = Message::new("C0001", Body::CallStatus(CallStatus::of(StatusEvent::Held)));
        let p = encode(&m).unwrap();
        assert_eq!(p.len(), 149);
        assert!(
            p.ends_with(b"<GctiMsg><CallId>C0001</CallId><CallStatus Event=\"Held\"/></GctiMsg>")
        );
        assert_eq!(&encode_frame(&m).unwrap()[..6], &[0, 3, 0, 0x97, 2, 0]);
    }

    #[test]
    fn children_lists_and_escaping() {
        let m = Message::new(
            "C&1",
            Body::NewCall(NewCall {
                call_control_mode: Some("Network".into()),
                version: Some("4.0".into()),
                called_num: "5001".into(),
                dnis: Some("<'\">".into()),
                ani: None,
                udata: vec![
                    KeyValue::int("n", -1250),
                    KeyValue::str("Nom", "Andr\u{e9}"),
                ],
                extensions: vec![KeyValue::int("m", i64::from(i32::MIN))],
            }),
        );
        let t = text(&m);
        assert!(t.contains("<CallId>C&amp;1</CallId><NewCall CallControlMode=\"Network\" Version=\"4.0\"><CalledNum>5001</CalledNum><DNIS>&lt;&apos;&quot;&gt;</DNIS><UDataEx><Node Name=\"n\" Type=\"Int\" Val=\"-1250\"/><Node Name=\"Nom\" Type=\"Str\" Val=\"Andr\u{e9}\"/></UDataEx><ExtnsEx><Node Name=\"m\" Type=\"Int\" Val=\"-2147483648\"/></ExtnsEx></NewCall></GctiMsg>"), "{t}");
        assert!(encode(&m).unwrap().contains(&0xe9));
    }

    #[test]
    fn a_blank_required_child_is_missing_but_a_blank_attribute_is_not() {
        let call = |called_num: &str| {
            Message::new(
                "C1",
                Body::NewCall(NewCall {
                    called_num: called_num.into(),
                    ..NewCall::default()
                }),
            )
        };
        assert_eq!(
            encode(&call("  ")),
            Err(EncodeError::MissingField { field: "CalledNum" })
        );
        assert!(encode(&call(" 5 ")).is_ok());
        let status = Message::new("C1", Body::CallStatus(CallStatus { event: " ".into() }));
        assert!(encode(&status).is_ok());
    }

    #[test]
    fn keys_are_joined_and_checked() {
        let mut k = UDataKeys {
            keys: vec!["Acct".into(), "Lang".into()],
            request_id: "10".into(),
        };
        let m = Message::new("C1", Body::UDataGet(k.clone()));
        assert!(
            text(&m).contains("<UDataGet Keys=\"Acct:Lang\"><RequestId>10</RequestId></UDataGet>")
        );
        k.keys.push("a:b".into());
        let m = Message::new("C1", Body::UDataDel(k.clone()));
        assert_eq!(encode(&m), Err(EncodeError::KeyContainsColon));
        k.keys.clear();
        let m = Message::new("C1", Body::UDataDel(k));
        assert_eq!(encode(&m), Err(EncodeError::MissingField { field: "Keys" }));
    }

    #[test]
    fn open_and_unknown_messages() {
        let m = Message::new(
            "login-1",
            Body::MonitorInfo(MonitorInfo {
                req_id: Some("3".into()),
                other: vec![("Detail".into(), "x".into())],
            }),
        );
        assert!(text(&m).contains("<MonitorInfo ReqId=\"3\" Detail=\"x\"/>"));
        let dup = Message::new(
            "login-1",
            Body::FlowControl(FlowControl {
                status: None,
                other: vec![("STATUS".into(), "x".into())],
            }),
        );
        assert!(matches!(
            encode(&dup),
            Err(EncodeError::DuplicateField { .. })
        ));
        let unknown = |name: &str| {
            Message::new(
                "C1",
                Body::Unknown(UnknownMessage {
                    name: name.into(),
                    fields: vec![("Type".into(), "Play".into())],
                }),
            )
        };
        assert!(text(&unknown("TreatCall")).contains("<TreatCall Type=\"Play\"/>"));
        for bad in ["callstatus", "CallId", "1x", ""] {
            assert!(matches!(
                encode(&unknown(bad)),
                Err(EncodeError::InvalidName { .. })
            ));
        }
    }

    #[test]
    fn size_limit_is_checked_before_allocating() {
        let m = Message::new(
            "C1",
            Body::NewCall(NewCall {
                called_num: "1".into(),
                udata: vec![KeyValue::str("Pad", "x".repeat(1 << 20))],
                ..NewCall::default()
            }),
        );
        assert!(matches!(encode(&m), Err(EncodeError::TooLarge { .. })));
    }
}
