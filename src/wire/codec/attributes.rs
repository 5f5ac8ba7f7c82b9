//! Attributes of a start tag, read straight from the input text.
//!
//! Our own scanner rather than quick-xml's iterator: it lends `&'a str`
//! slices of the payload (so values are copied only if the message keeps
//! them), and it checks duplicates in a small inline array, spilling to the
//! heap only past 8 attributes (rare), instead of a heap vector for every
//! element. Must not
//! resolve references or normalise values (`xml::attr_value` does), and must
//! not know what the attributes mean.

use super::error::DecodeError;
use super::xml::is_ws;

/// Most attributes one element may carry (2.5).
pub const MAX_ATTRIBUTES: usize = 64;
/// Attribute names kept inline for the duplicate check.
const INLINE: usize = 8;

/// Iterates `name="value"` pairs (raw values, quotes stripped) and enforces
/// the attribute limit and XML's attribute syntax.
pub(crate) struct Attributes<'a> {
    rest: &'a str,
    seen: [&'a str; INLINE],
    spilled: Vec<&'a str>,
    count: usize,
}

impl<'a> Attributes<'a> {
    /// `after_name` is the tag content after the element name (quick-xml has
    /// already cut the `<`, the `>` and, for an empty element, the `/`).
    pub fn new(after_name: &'a str) -> Self {
        Attributes {
            rest: after_name,
            seen: [""; INLINE],
            spilled: Vec::new(),
            count: 0,
        }
    }

    fn step(&mut self) -> Result<Option<(&'a str, &'a str)>, DecodeError> {
        let bytes = self.rest.as_bytes();
        let ws = bytes.iter().position(|&b| !is_ws(b)).unwrap_or(bytes.len());
        if ws == bytes.len() {
            return Ok(None);
        }
        // XML needs whitespace before every attribute (after the name and
        // between attributes).
        if ws == 0 {
            return Err(DecodeError::ill_formed("missing space before attribute"));
        }
        let s = &self.rest[ws..];
        let name_len = s
            .bytes()
            .position(|b| is_ws(b) || b == b'=')
            .unwrap_or(s.len());
        let (name, after) = s.split_at(name_len);
        let after = after.trim_start_matches([' ', '\t', '\r', '\n']);
        let after = after
            .strip_prefix('=')
            .ok_or_else(|| DecodeError::ill_formed("attribute without '='"))?
            .trim_start_matches([' ', '\t', '\r', '\n']);
        let quote = match after.bytes().next() {
            Some(q @ (b'"' | b'\'')) => char::from(q),
            _ => return Err(DecodeError::ill_formed("attribute value not quoted")),
        };
        let body = &after[1..];
        let end = body
            .find(quote)
            .ok_or_else(|| DecodeError::ill_formed("attribute value not closed"))?;
        let value = &body[..end];
        self.rest = &body[end + 1..];
        if self.count == MAX_ATTRIBUTES {
            return Err(DecodeError::TooManyAttributes);
        }
        let inline = &self.seen[..self.count.min(INLINE)];
        if inline.contains(&name) || self.spilled.contains(&name) {
            return Err(DecodeError::ill_formed("duplicate attribute"));
        }
        match self.seen.get_mut(self.count) {
            Some(slot) => *slot = name,
            None => self.spilled.push(name),
        }
        self.count += 1;
        Ok(Some((name, value)))
    }
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Result<(&'a str, &'a str), DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.step() {
            Ok(Some(pair)) => Some(Ok(pair)),
            Ok(None) => None,
            Err(e) => {
                // One error ends the iteration.
                self.rest = "";
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(s: &str) -> Result<Vec<(&str, &str)>, DecodeError> {
        Attributes::new(s).collect()
    }

    #[test]
    fn pairs_quotes_and_spacing() {
        assert_eq!(
            all(" a=\"1\"  b = '2>'\t c=\"it's\" ").unwrap(),
            vec![("a", "1"), ("b", "2>"), ("c", "it's")]
        );
        assert_eq!(all("").unwrap(), vec![]);
    }

    #[test]
    fn malformed_attributes_are_refused() {
        for bad in [
            " a",
            " a=1",
            " a=\"1",
            " a=\"1\"b=\"2\"",
            "x a=\"1\"",
            " a=\"1\" a=\"2\"",
        ] {
            assert!(
                matches!(all(bad), Err(DecodeError::NotWellFormed { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_65th_attribute_is_refused() {
        let ok: String = (0..64).map(|i| format!(" a{i}=\"1\"")).collect();
        assert_eq!(all(&ok).unwrap().len(), 64);
        // Duplicates are found both among the inline names and past them.
        let twenty: String = (0..20).map(|i| format!(" a{i}=\"1\"")).collect();
        for again in ["a3", "a15"] {
            let dup = format!("{twenty} {again}=\"2\"");
            assert!(matches!(all(&dup), Err(DecodeError::NotWellFormed { .. })));
        }
        let bad = format!("{ok} z=\"1\"");
        assert_eq!(all(&bad), Err(DecodeError::TooManyAttributes));
    }
}
