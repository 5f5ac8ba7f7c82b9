//! Value rules of PROTOCOL.md 2.2 and 5.1, shared by the encoder and by the
//! C API layer (which refuses bad arguments before it builds a message).
//!
//! Pure checks on `&str`; must not escape, encode or allocate on success.

use super::error::EncodeError;

/// Longest call id we send (5.1).
pub const MAX_CALL_ID: usize = 64;

/// Whether `c` is a control character the encoder refuses (2.2):
/// U+0000..U+001F (tab, CR and LF included) and U+007F..U+009F.
pub fn is_refused_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// Checks one value for 2.2: Latin-1 only, no control characters. `field`
/// names the value in the error (`DestDN`, `user-data key`, ...).
pub fn validate_text(field: &str, value: &str) -> Result<(), EncodeError> {
    // Fast path: printable ASCII is the overwhelming case.
    if value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Ok(());
    }
    for c in value.chars() {
        // The first offending character decides, as in the vector generator.
        if u32::from(c) > 0xff {
            return Err(EncodeError::NotLatin1 {
                field: field.to_owned(),
            });
        }
        if is_refused_control(c) {
            return Err(EncodeError::ControlCharacter {
                field: field.to_owned(),
            });
        }
    }
    Ok(())
}

/// Checks a call id against 5.1: 1 to 64 printable Latin-1 characters, no
/// space first or last. (Uniqueness among live calls is the engine's rule.)
pub fn validate_call_id(id: &str) -> Result<(), EncodeError> {
    if id.is_empty() {
        return Err(EncodeError::EmptyCallId);
    }
    validate_text("call id", id)?;
    // Latin-1 only by now, so characters are bytes on the wire.
    if id.chars().count() > MAX_CALL_ID {
        return Err(EncodeError::CallIdTooLong);
    }
    if id.starts_with(' ') || id.ends_with(' ') {
        return Err(EncodeError::CallIdSpace);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert!(validate_text("X", "Andr\u{e9} <&> \u{a0}\u{ff}").is_ok());
        assert_eq!(
            validate_text("ANI", "41\u{85}"),
            Err(EncodeError::ControlCharacter {
                field: "ANI".into()
            })
        );
        assert_eq!(
            validate_text("v", "5 \u{20ac}").unwrap_err().to_string(),
            "character outside Latin-1 in v"
        );
        assert!(validate_text("v", "a\u{7f}").is_err());
        assert!(validate_text("v", "a\tb").is_err());
    }

    #[test]
    fn call_id_rules() {
        assert_eq!(validate_call_id(""), Err(EncodeError::EmptyCallId));
        assert!(validate_call_id(&"C".repeat(64)).is_ok());
        assert!(validate_call_id(&"\u{e9}".repeat(64)).is_ok());
        assert_eq!(
            validate_call_id(&"C".repeat(65)),
            Err(EncodeError::CallIdTooLong)
        );
        assert_eq!(validate_call_id(" C1"), Err(EncodeError::CallIdSpace));
        assert_eq!(validate_call_id("C1 "), Err(EncodeError::CallIdSpace));
        assert!(validate_call_id("C 1").is_ok());
        assert_eq!(
            validate_call_id("C\t1").unwrap_err().to_string(),
            "control character in call id"
        );
    }
}
