//! Payload bytes to text (PROTOCOL.md 2.3 step 2): the declared encoding
//! decides, ISO-8859-1 when there is none, and every byte of the ISO-8859-1
//! family is the code point of the same value.
//!
//! Deliberately no label table from encoding_rs or any WHATWG lookup: those
//! map `ISO-8859-1` to windows-1252 (byte 80 -> U+20AC). Must not touch
//! anything after the characters are known (that is the parser's job),
//! except refusing characters XML 1.0 forbids, which no parser setting of
//! quick-xml does for us.

use std::borrow::Cow;

use super::error::DecodeError;
use super::xml::{is_ws, is_xml_char};
use super::DECLARATION;

/// Labels read as "each byte is the code point of the same value".
const LATIN1_LABELS: &[&str] = &[
    "ISO-8859-1",
    "ISO8859-1",
    "ISO_8859-1",
    "latin1",
    "latin-1",
    "l1",
    "US-ASCII",
    "ASCII",
];
const UTF8_LABELS: &[&str] = &["UTF-8", "utf8"];

/// The payload as text, ready for the XML parser. Borrowed for the common
/// all-ASCII payload, whatever it declares.
pub(crate) fn payload_text(payload: &[u8]) -> Result<Cow<'_, str>, DecodeError> {
    let utf8 = match declared_encoding(payload)? {
        None => false,
        Some(label) if is_one_of(label, LATIN1_LABELS) => false,
        Some(label) if is_one_of(label, UTF8_LABELS) => true,
        Some(label) => {
            return Err(DecodeError::UnsupportedEncoding {
                label: String::from_utf8_lossy(label).into_owned(),
            })
        }
    };
    // One branch-free pass (so it vectorises) to learn whether any byte is
    // above ASCII or a raw control byte (never allowed in XML 1.0; in each
    // of our encodings those bytes are the same code points).
    let (control, high) = scan(payload);
    if control {
        let i = payload
            .iter()
            .position(|&b| b < 0x20 && !is_ws(b))
            .unwrap_or(0);
        return Err(DecodeError::ill_formed(format!(
            "raw control byte 0x{:02x} at byte {i}",
            payload.get(i).copied().unwrap_or(0)
        )));
    }
    if !high {
        return std::str::from_utf8(payload)
            .map(Cow::Borrowed)
            .map_err(|_| DecodeError::ill_formed("not ASCII"));
    }
    if utf8 {
        let text = std::str::from_utf8(payload).map_err(|e| DecodeError::InvalidUtf8 {
            offset: e.valid_up_to(),
        })?;
        // U+FFFE / U+FFFF are valid UTF-8 but not XML characters.
        if let Some(c) = text.chars().find(|&c| !is_xml_char(c)) {
            return Err(DecodeError::ill_formed(format!(
                "character U+{:04X} not allowed",
                u32::from(c)
            )));
        }
        Ok(Cow::Borrowed(text))
    } else {
        Ok(Cow::Owned(payload.iter().map(|&b| char::from(b)).collect()))
    }
}

/// (any raw control byte, any byte above ASCII). Eight bytes at a time in
/// a `u64` with no branch (the baseline x86-64 target did not vectorise a
/// byte loop); this runs over every payload received.
fn scan(payload: &[u8]) -> (bool, bool) {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    let (words, tail) = payload.as_chunks::<8>();
    let (mut low, mut high) = (0u64, 0u64);
    for bytes in words {
        let w = u64::from_ne_bytes(*bytes);
        high |= w;
        // Non-zero exactly when some byte is below 0x20 (bytes above 0x7f
        // never count: `!w` clears their top bit, and no borrow reaches a
        // byte unless a lower one is below 0x20).
        low |= w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    }
    for &b in tail {
        high |= u64::from(b);
        low |= u64::from(b < 0x20);
    }
    // Tab, CR and LF are below 0x20 too: only then is every byte looked at.
    let control = low != 0 && payload.iter().any(|&b| b < 0x20 && !is_ws(b));
    (control, high & HIGH != 0)
}

fn is_one_of(label: &[u8], labels: &[&str]) -> bool {
    // The spelling as written (every sender's `ISO-8859-1`) before the
    // case-folding comparison, which costs about 15 instructions a byte.
    labels.iter().any(|l| l.as_bytes() == label)
        || labels
            .iter()
            .any(|l| l.as_bytes().eq_ignore_ascii_case(label))
}

/// The `encoding` of an XML declaration at the very start of the payload,
/// checking the whole declaration on the way (XML 1.0 [23]-[32]: `version`
/// first, then optional `encoding`, then optional `standalone`). `None` when
/// there is no declaration, no encoding in it, or the declaration is cut
/// short (the parser then reports the truncation).
fn declared_encoding(payload: &[u8]) -> Result<Option<&[u8]>, DecodeError> {
    // Fast path: the declaration our own encoder (and so the simulator)
    // writes, which is also the one seen from real servers.
    if payload.starts_with(DECLARATION) {
        return Ok(Some(&DECLARATION[30..40]));
    }
    let Some(rest) = payload.strip_prefix(b"<?xml") else {
        return Ok(None);
    };
    if !rest.first().copied().is_some_and(is_ws) {
        // `<?xml-stylesheet ...?>` and the like: a processing instruction.
        return Ok(None);
    }
    // A well-formed declaration holds no '>' before its "?>".
    let Some(end) = rest
        .iter()
        .position(|&b| b == b'>')
        .and_then(|gt| gt.checked_sub(1))
        .filter(|&q| rest[q] == b'?')
    else {
        return Ok(None);
    };
    let bad = |why: &str| DecodeError::ill_formed(format!("XML declaration: {why}"));
    let mut decl = &rest[..end];
    let mut encoding = None;
    // Pseudo-attributes in their required order.
    let mut expect: &[&[u8]] = &[b"version", b"encoding", b"standalone"];
    loop {
        let trimmed = skip_ws(decl);
        if trimmed.is_empty() {
            break;
        }
        if trimmed.len() == decl.len() {
            return Err(bad("missing space"));
        }
        let name_len = trimmed
            .iter()
            .position(|&b| is_ws(b) || b == b'=')
            .unwrap_or(trimmed.len());
        let (name, after) = trimmed.split_at(name_len);
        let after = skip_ws(after)
            .strip_prefix(b"=")
            .ok_or_else(|| bad("no '='"))?;
        let after = skip_ws(after);
        let (&quote, value_start) = after.split_first().ok_or_else(|| bad("no value"))?;
        if quote != b'"' && quote != b'\'' {
            return Err(bad("value not quoted"));
        }
        let value_len = value_start
            .iter()
            .position(|&b| b == quote)
            .ok_or_else(|| bad("value not closed"))?;
        let value = &value_start[..value_len];
        let Some(at) = expect.iter().position(|&e| e == name) else {
            return Err(bad("unexpected or misplaced pseudo-attribute"));
        };
        if at > 0 && expect[0] == b"version" {
            return Err(bad("version must come first"));
        }
        let ok = match name {
            b"version" => value
                .strip_prefix(b"1.")
                .is_some_and(|d| !d.is_empty() && d.iter().all(u8::is_ascii_digit)),
            b"encoding" => {
                encoding = Some(value);
                true
            }
            _ => value == b"yes" || value == b"no",
        };
        if !ok {
            return Err(bad("bad value"));
        }
        expect = &expect[at + 1..];
        decl = &value_start[value_len + 1..];
    }
    if expect.first() == Some(&&b"version"[..]) {
        return Err(bad("no version"));
    }
    Ok(encoding)
}

fn skip_ws(s: &[u8]) -> &[u8] {
    let n = s.iter().position(|&b| !is_ws(b)).unwrap_or(s.len());
    &s[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(p: &[u8]) -> Result<String, DecodeError> {
        payload_text(p).map(Cow::into_owned)
    }

    #[test]
    fn every_byte_is_its_code_point_without_or_with_latin1_declaration() {
        let mut body: Vec<u8> = (0x20..=0xffu8).collect();
        body.extend_from_slice(b"\t\r\n");
        let expect: String = body.iter().map(|&b| char::from(b)).collect();
        assert_eq!(text(&body).unwrap(), expect);
        for label in LATIN1_LABELS {
            let decl = format!(
                "<?xml version=\"1.0\" encoding='{}'?>",
                label.to_lowercase()
            );
            let mut p = decl.clone().into_bytes();
            p.extend_from_slice(&body);
            assert_eq!(text(&p).unwrap(), format!("{decl}{expect}"));
        }
        // Not windows-1252.
        assert_eq!(text(b"\x80").unwrap(), "\u{80}");
    }

    #[test]
    fn scan_agrees_with_a_byte_loop() {
        let naive = |p: &[u8]| {
            (
                p.iter().any(|&b| b < 0x20 && !is_ws(b)),
                p.iter().any(|&b| b >= 0x80),
            )
        };
        for filler in [b'a', b'\t', 0x9f, 0xe9, 0x20, 0x7f] {
            for len in [1, 7, 8, 9, 23, 40] {
                for at in 0..len {
                    for b in 0..=255u8 {
                        let mut p = vec![filler; len];
                        p[at] = b;
                        assert_eq!(scan(&p), naive(&p), "{filler:#x} {len} {at} {b:#x}");
                    }
                }
            }
        }
    }

    #[test]
    fn utf8_declared() {
        let p = "<?xml version=\"1.0\" encoding=\"utf8\"?>Andr\u{e9}".as_bytes();
        assert!(text(p).unwrap().ends_with("Andr\u{e9}"));
        let bad = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>Andr\xe9";
        assert!(matches!(text(bad), Err(DecodeError::InvalidUtf8 { .. })));
        let nonchar = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\u{fffe}".as_bytes();
        assert!(matches!(
            text(nonchar),
            Err(DecodeError::NotWellFormed { .. })
        ));
    }

    #[test]
    fn other_labels_and_control_bytes_are_refused() {
        let p = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><a/>";
        assert!(matches!(
            text(p),
            Err(DecodeError::UnsupportedEncoding { .. })
        ));
        assert!(matches!(
            text(b"<a>\x01</a>"),
            Err(DecodeError::NotWellFormed { .. })
        ));
        for bad in [
            &b"<?xml version=\"1.0\" encoding=UTF-16?><a/>"[..],
            b"<?xml encoding=\"UTF-8\"?><a/>",
            b"<?xml version=\"2.0\"?><a/>",
            b"<?xml version=\"1.0\" standalone=\"yes\" encoding=\"UTF-8\"?><a/>",
            b"<?xml version=\"1.0\"encoding=\"UTF-8\"?><a/>",
            b"<?xml version=\"1.0\" foo=\"x\"?><a/>",
        ] {
            assert!(
                matches!(text(bad), Err(DecodeError::NotWellFormed { .. })),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(text(b"<?xml version='1.1' encoding='l1' standalone='no' ?><a/>").is_ok());
        // A declaration without an encoding means ISO-8859-1.
        assert_eq!(
            text(b"<?xml version='1.0'?>\xe9").unwrap(),
            "<?xml version='1.0'?>\u{e9}"
        );
    }
}
