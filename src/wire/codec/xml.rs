//! XML 1.0 lexical rules the decoder enforces itself because quick-xml is
//! lenient about them: characters, names, references, attribute-value
//! normalisation and line ends.
//!
//! Works on already-decoded text (`&str`). Must not know messages or the
//! catalogue; must never resolve anything but the five predefined entities
//! and character references (2.3 step 4).

use std::borrow::Cow;

use super::error::DecodeError;

/// XML whitespace: space, tab, CR, LF.
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Strips leading and trailing XML whitespace (not Unicode whitespace).
pub(crate) fn trim_ws(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// The `Char` production of XML 1.0.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(u32::from(c),
        0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

fn is_name_start(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c,
            '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

// Byte classes (ASCII only; other bytes have none), one table lookup per
// byte in the hot loops of the decoder.
pub(crate) const WS: u8 = 1;
pub(crate) const EQ: u8 = 2;
/// May start a plain ASCII name.
pub(crate) const NAME_START: u8 = 4;
/// May continue a plain ASCII name.
pub(crate) const NAME: u8 = 8;
/// Makes an attribute value need [`attr_value`] (a reference, `<`, tab, CR,
/// LF).
pub(crate) const SPECIAL: u8 = 16;

const CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let mut k = 0;
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
            k |= WS;
        }
        if c == b'=' {
            k |= EQ;
        }
        if c.is_ascii_alphabetic() || c == b'_' || c == b':' {
            k |= NAME_START | NAME;
        }
        if c.is_ascii_digit() || c == b'-' || c == b'.' {
            k |= NAME;
        }
        if matches!(c, b'&' | b'<' | b'\t' | b'\r' | b'\n') {
            k |= SPECIAL;
        }
        t[i] = k;
        i += 1;
    }
    t
};

/// The class bits of one byte.
pub(crate) fn class(c: u8) -> u8 {
    CLASSES[usize::from(c)]
}

/// The `Name` production of XML 1.0 (no namespace processing: a prefix is
/// just part of the name).
pub(crate) fn is_name(name: &[u8]) -> bool {
    let Some((&first, rest)) = name.split_first() else {
        return false;
    };
    // ASCII fast path: every catalogue name takes it.
    if class(first) & NAME_START != 0 && rest.iter().all(|&c| class(c) & NAME != 0) {
        return true;
    }
    if name.is_ascii() {
        return false;
    }
    let Ok(s) = std::str::from_utf8(name) else {
        return false;
    };
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

/// What `&name;` stands for: one of the five predefined entities or a
/// character reference that denotes an XML `Char`. Anything else is refused;
/// nothing is ever looked up in a DTD.
pub(crate) fn resolve_reference(name: &[u8]) -> Result<char, DecodeError> {
    match name {
        b"amp" => return Ok('&'),
        b"lt" => return Ok('<'),
        b"gt" => return Ok('>'),
        b"quot" => return Ok('"'),
        b"apos" => return Ok('\''),
        _ => {}
    }
    if let Some(num) = name.strip_prefix(b"#") {
        // XML allows `&#x` (lower-case x only) with hex digits, or decimal.
        let (digits, radix) = match num.strip_prefix(b"x") {
            Some(hex) => (hex, 16),
            None => (num, 10),
        };
        let mut value: u32 = 0;
        if digits.is_empty() {
            return Err(DecodeError::ill_formed("empty character reference"));
        }
        for &d in digits {
            let digit = char::from(d)
                .to_digit(radix)
                .ok_or_else(|| DecodeError::ill_formed("bad character reference"))?;
            value = value
                .checked_mul(radix)
                .and_then(|v| v.checked_add(digit))
                .filter(|&v| v <= 0x10FFFF)
                .ok_or_else(|| DecodeError::ill_formed("character reference out of range"))?;
        }
        return char::from_u32(value)
            .filter(|&c| is_xml_char(c))
            .ok_or_else(|| {
                DecodeError::ill_formed(format!("character reference to U+{value:04X}"))
            });
    }
    if is_name(name) {
        Err(DecodeError::UnknownEntity {
            name: String::from_utf8_lossy(name).into_owned(),
        })
    } else {
        Err(DecodeError::ill_formed("bad entity reference"))
    }
}

/// An attribute value as a conforming parser delivers it: references
/// resolved, and each literal tab, CR, LF (CR LF as one) turned into a space
/// (XML 1.0 3.3.3). Borrowed when there is nothing to change.
pub(crate) fn attr_value(raw: &str) -> Result<Cow<'_, str>, DecodeError> {
    let bytes = raw.as_bytes();
    let Some(first) = bytes
        .iter()
        .position(|&b| matches!(b, b'&' | b'<' | b'\t' | b'\r' | b'\n'))
    else {
        return Ok(Cow::Borrowed(raw));
    };
    let mut out = String::with_capacity(raw.len());
    out.push_str(&raw[..first]);
    let mut rest = &raw[first..];
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => return Err(DecodeError::ill_formed("'<' in attribute value")),
            '&' => {
                let end = rest
                    .find(';')
                    .ok_or_else(|| DecodeError::ill_formed("unterminated reference"))?;
                out.push(resolve_reference(&rest.as_bytes()[1..end])?);
                rest = &rest[end + 1..];
            }
            '\r' => {
                out.push(' ');
                rest = rest.strip_prefix("\r\n").unwrap_or(&rest[1..]);
            }
            '\t' | '\n' => {
                out.push(' ');
                rest = &rest[1..];
            }
            _ => {
                let stop = rest
                    .find(['&', '<', '\t', '\r', '\n'])
                    .unwrap_or(rest.len());
                out.push_str(&rest[..stop]);
                rest = &rest[stop..];
            }
        }
    }
    Ok(Cow::Owned(out))
}

/// Text content with line ends normalised (CR LF and lone CR become LF,
/// XML 1.0 2.11). Borrowed when there is no CR.
pub(crate) fn text_line_ends(text: &str) -> Cow<'_, str> {
    if !text.contains('\r') {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert_eq!(resolve_reference(b"amp"), Ok('&'));
        assert_eq!(resolve_reference(b"#233"), Ok('\u{e9}'));
        assert_eq!(resolve_reference(b"#xE9"), Ok('\u{e9}'));
        assert_eq!(resolve_reference(b"#x20AC"), Ok('\u{20ac}'));
        assert!(matches!(
            resolve_reference(b"#0"),
            Err(DecodeError::NotWellFormed { .. })
        ));
        assert!(matches!(
            resolve_reference(b"#xD800"),
            Err(DecodeError::NotWellFormed { .. })
        ));
        assert!(matches!(
            resolve_reference(b"#99999999999999"),
            Err(DecodeError::NotWellFormed { .. })
        ));
        assert!(matches!(
            resolve_reference(b"#XE9"),
            Err(DecodeError::NotWellFormed { .. })
        ));
        assert!(matches!(
            resolve_reference(b"nbsp"),
            Err(DecodeError::UnknownEntity { .. })
        ));
        assert!(matches!(
            resolve_reference(b" x"),
            Err(DecodeError::NotWellFormed { .. })
        ));
    }

    #[test]
    fn names() {
        assert!(is_name(b"GctiMsg"));
        assert!(is_name(b"ns:Node-1.x"));
        assert!(is_name("Andr\u{e9}".as_bytes()));
        assert!(!is_name(b""));
        assert!(!is_name(b"1abc"));
        assert!(!is_name(b"a b"));
        assert!(!is_name("a\u{d7}".as_bytes()));
    }

    #[test]
    fn attribute_values_are_normalised() {
        assert!(matches!(attr_value("plain"), Ok(Cow::Borrowed("plain"))));
        assert_eq!(attr_value("a&amp;b\r\nc\td").unwrap(), "a&b c d");
        assert_eq!(attr_value("&#10;").unwrap(), "\n");
        assert!(attr_value("a<b").is_err());
        assert!(attr_value("a&b").is_err());
    }

    #[test]
    fn text_line_ends_are_normalised() {
        assert_eq!(text_line_ends("a\r\nb\rc"), "a\nb\nc");
    }
}
