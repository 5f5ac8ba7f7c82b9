//! Escaping text for XML and HTML, the one way every picture writes text
//! from a trace.
//!
//! Owns which characters are replaced and how. Must not decide what is
//! written, only how it is spelled.

use std::fmt::Write;

/// `text` as XML character data or attribute value: markup characters as
/// entities, and characters XML 1.0 cannot hold at all (most C0 controls,
/// U+FFFE, U+FFFF) written visibly as `\xNN` / `\u{NNNN}`, so a hostile
/// payload still gives a well-formed document.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            '\0'..='\u{1f}' => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            '\u{fffe}' | '\u{ffff}' => {
                let _ = write!(out, "\\u{{{:04X}}}", c as u32);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_and_forbidden_characters_are_replaced() {
        assert_eq!(
            escape(r#"<CallStatus Event="a&b"/> it's"#),
            "&lt;CallStatus Event=&quot;a&amp;b&quot;/&gt; it&#39;s"
        );
        assert_eq!(escape("a\u{1}b\u{ffff}\tc\né"), "a\\x01b\\u{FFFF}\tc\né");
    }
}
