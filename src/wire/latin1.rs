//! Payload text for log lines (PROTOCOL.md 2.6, 4.7): bytes shown as
//! Latin-1 with everything non-printable escaped, so a log line is always
//! one line of readable text whatever a server sent.
//!
//! Formatting only; must not decode or judge the bytes.

use std::fmt::Write;

/// `bytes` as Latin-1 text; bytes outside 0x20..0x7E and 0xA0..0xFF, and the
/// backslash itself, are written `\xNN`.
pub fn latin1_debug(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if matches!(b, 0x20..=0x7e | 0xa0..=0xff) && b != b'\\' {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Lower-case hex, two digits per byte, no separators (for protocol-error
/// and error-ack log lines).
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_printables_are_escaped() {
        assert_eq!(
            latin1_debug(b"a\x01\x80\xe9\\\n"),
            "a\\x01\\x80\u{e9}\\x5c\\x0a"
        );
        assert_eq!(hex(&[0, 0xab]), "00ab");
    }
}
