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
    // One pass: find raw control bytes (never allowed in XML 1.0, in any of
    // our encodings they are the same code points) and whether any byte is
    // above ASCII.
    let mut high = false;
    for (i, &b) in payload.iter().enumerate() {
        if b < 0x20 && !is_ws(b) {
            return Err(DecodeError::ill_formed(format!(
                "raw control byte 0x{b:02x} at byte {i}"
            )));
        }
        high |= b >= 0x80;
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

fn is_one_of(label: &[u8], labels: &[&str]) -> bool {
    labels
        .iter()
        .any(|l| l.as_bytes().eq_ignore_ascii_case(label))
}

/// The `encoding` of an XML declaration at the very start of the payload.
/// `None` when there is no declaration, no encoding in it, or the
/// declaration is cut short (the parser then reports the truncation).
fn declared_encoding(payload: &[u8]) -> Result<Option<&[u8]>, DecodeError> {
    let Some(rest) = payload.strip_prefix(b"<?xml") else {
        return Ok(None);
    };
    if !rest.first().copied().is_some_and(is_ws) {
        // `<?xml-stylesheet ...?>` and the like: a processing instruction.
        return Ok(None);
    }
    let Some(end) = rest.windows(2).position(|w| w == b"?>") else {
        return Ok(None);
    };
    let mut decl = &rest[..end];
    let bad = || DecodeError::ill_formed("malformed XML declaration");
    loop {
        decl = skip_ws(decl);
        if decl.is_empty() {
            return Ok(None);
        }
        let name_len = decl
            .iter()
            .position(|&b| is_ws(b) || b == b'=')
            .unwrap_or(decl.len());
        let (name, after) = decl.split_at(name_len);
        let after = skip_ws(after);
        let after = after.strip_prefix(b"=").ok_or_else(bad)?;
        let after = skip_ws(after);
        let (&quote, value_start) = after.split_first().ok_or_else(bad)?;
        if quote != b'"' && quote != b'\'' {
            return Err(bad());
        }
        let value_len = value_start
            .iter()
            .position(|&b| b == quote)
            .ok_or_else(bad)?;
        if name == b"encoding" {
            return Ok(Some(&value_start[..value_len]));
        }
        decl = &value_start[value_len + 1..];
    }
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
        assert!(matches!(
            text(b"<?xml version=\"1.0\" encoding=UTF-16?><a/>"),
            Err(DecodeError::NotWellFormed { .. })
        ));
        // A declaration without an encoding means ISO-8859-1.
        assert_eq!(
            text(b"<?xml version='1.0'?>\xe9").unwrap(),
            "<?xml version='1.0'?>\u{e9}"
        );
    }
}
