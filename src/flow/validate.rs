//! Argument checks behind `IVRCONF_ERR_INVALID_ARGUMENT` (C-API.md "Strings
//! in", PROTOCOL.md 2.2 and 5.1), done before anything else so that a refused
//! command never reaches the wire.
//!
//! Checks text only; knows nothing of calls or states.

use super::types::Refusal;
use crate::wire::{KeyValue, Value};

/// Longest call id, in characters (= bytes on the wire).
pub const MAX_CALL_ID: usize = 64;
/// Largest XML payload of one frame (PROTOCOL 1.2).
const MAX_PAYLOAD: usize = 65_533;
/// Most user-data nodes in one message (PROTOCOL 2.2).
const MAX_NODES: usize = 1024;
/// Generous bound on what one message adds around its values: prolog,
/// envelope, element and attribute names, ReqId.
const ENVELOPE_BYTES: usize = 400;
/// Generous bound on the markup of one `<Node Name="" Type="Str" Val=""/>`.
const NODE_BYTES: usize = 48;

fn invalid(why: String) -> Refusal {
    Refusal::InvalidArgument(why)
}

/// Call id rules of PROTOCOL 5.1.
pub fn call_id(id: &str) -> Result<(), Refusal> {
    let count = id.chars().count();
    if count == 0 {
        return Err(invalid("call_id is empty".into()));
    }
    if count > MAX_CALL_ID {
        return Err(invalid(format!(
            "call_id has {count} characters, at most {MAX_CALL_ID} allowed"
        )));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !matches!(*c as u32, 0x20..=0x7E | 0xA0..=0xFF))
    {
        return Err(invalid(format!(
            "call_id contains U+{:04X}, only printable Latin-1 is allowed",
            c as u32
        )));
    }
    if id.starts_with(' ') || id.ends_with(' ') {
        return Err(invalid("call_id starts or ends with a space".into()));
    }
    Ok(())
}

/// Latin-1 without control characters (PROTOCOL 2.2); `what` names the
/// argument in the refusal.
pub fn text(what: &str, value: &str) -> Result<(), Refusal> {
    match value.chars().find(|c| (*c as u32) > 0xFF || c.is_control()) {
        None => Ok(()),
        Some(c) if (c as u32) > 0xFF => Err(invalid(format!(
            "{what} contains U+{:04X}, which is outside Latin-1",
            c as u32
        ))),
        Some(c) => Err(invalid(format!(
            "{what} contains the control character U+{:04X}",
            c as u32
        ))),
    }
}

/// A required text argument: non-empty, then [`text`].
pub fn required(what: &str, value: &str) -> Result<(), Refusal> {
    if value.is_empty() {
        return Err(invalid(format!("{what} is empty")));
    }
    text(what, value)
}

/// User data: keys non-empty, every text valid, integers in 32 bits, and the
/// message small enough for one frame. `fields` are the message's other
/// values, counted towards the size.
pub fn udata(udata: &[KeyValue], fields: &[&str]) -> Result<(), Refusal> {
    if udata.len() > MAX_NODES {
        return Err(invalid(format!(
            "udata has {} entries, at most {MAX_NODES} allowed",
            udata.len()
        )));
    }
    let mut size = ENVELOPE_BYTES + fields.iter().map(|f| escaped_len(f)).sum::<usize>();
    for (i, kv) in udata.iter().enumerate() {
        if kv.key.is_empty() {
            return Err(invalid(format!("udata key {i} is empty")));
        }
        text(&format!("udata key {:?}", kv.key), &kv.key)?;
        size += NODE_BYTES + escaped_len(&kv.key);
        match &kv.value {
            Value::Str(s) => {
                text(&format!("udata value of {:?}", kv.key), s)?;
                size += escaped_len(s);
            }
            Value::Int(n) => {
                if i32::try_from(*n).is_err() {
                    return Err(invalid(format!(
                        "udata value of {:?} ({n}) is outside 32 bits",
                        kv.key
                    )));
                }
                size += 11;
            }
        }
    }
    if size > MAX_PAYLOAD {
        return Err(invalid(format!(
            "message too large: about {size} bytes of XML, at most {MAX_PAYLOAD}"
        )));
    }
    Ok(())
}

/// Bytes of `s` once written as Latin-1 with the five XML escapes.
fn escaped_len(s: &str) -> usize {
    s.chars()
        .map(|c| match c {
            '&' => 5,
            '<' | '>' => 4,
            '"' | '\'' => 6,
            _ => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_ids() {
        assert!(call_id("C0001").is_ok());
        assert!(call_id("é-ÿ ~").is_ok());
        assert!(call_id(&"x".repeat(64)).is_ok());
        for bad in ["", " a", "a ", "a\tb", "a\u{7f}", "a\u{85}", "a\u{100}"] {
            assert!(call_id(bad).is_err(), "{bad:?}");
        }
        assert!(call_id(&"é".repeat(65)).is_err());
    }

    #[test]
    fn texts_and_udata() {
        assert!(required("dest", "").is_err());
        assert!(required("dest", "6001").is_ok());
        assert!(text("ani", "a\nb").is_err());
        assert!(text("ani", "\u{20ac}").is_err());
        assert!(udata(&[KeyValue::str("", "v")], &[]).is_err());
        assert!(udata(&[KeyValue::int("n", 1 << 40)], &[]).is_err());
        assert!(udata(&[KeyValue::str("k", "x".repeat(65_000))], &[]).is_ok());
        assert!(udata(&[KeyValue::str("k", "\"".repeat(11_000))], &[]).is_err());
        let many = vec![KeyValue::int("n", 1); 1025];
        assert!(udata(&many, &[]).is_err());
    }
}
