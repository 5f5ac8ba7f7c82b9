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
use super::xml::{class, is_name, EQ, NAME, NAME_START, SPECIAL, WS};

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

    fn step(&mut self) -> Result<Option<Attr<'a>>, DecodeError> {
        // Slice iterators and a byte-class table: no bounds check per byte
        // and one lookup per byte. Every cut is at an ASCII delimiter (or
        // the end), so it is a character boundary; `get` would refuse it
        // otherwise.
        let s = self.rest;
        let b = s.as_bytes();
        let from = |i: usize| b.get(i..).unwrap_or_default();
        let skip_ws = |i: usize| i + from(i).iter().take_while(|&&c| class(c) & WS != 0).count();
        let name_start = skip_ws(0);
        if name_start == b.len() {
            return Ok(None);
        }
        // XML needs whitespace before every attribute (after the name and
        // between attributes).
        if name_start == 0 {
            return Err(DecodeError::ill_formed("missing space before attribute"));
        }
        let name_bytes = from(name_start);
        let mut simple = name_bytes
            .first()
            .is_some_and(|&c| class(c) & NAME_START != 0);
        let mut name_len = 0;
        for &c in name_bytes {
            let k = class(c);
            if k & (WS | EQ) != 0 {
                break;
            }
            simple &= k & NAME != 0;
            name_len += 1;
        }
        let name = s.get(name_start..name_start + name_len).unwrap_or("");
        // Plain ASCII names are settled above; anything else (non-ASCII
        // letters, a bad first character) goes to `is_name`.
        if !simple && !is_name(name.as_bytes()) {
            return Err(DecodeError::ill_formed("bad attribute name"));
        }
        let eq = skip_ws(name_start + name_len);
        if b.get(eq) != Some(&b'=') {
            return Err(DecodeError::ill_formed("attribute without '='"));
        }
        let q = skip_ws(eq + 1);
        let quote = match b.get(q) {
            Some(&c @ (b'"' | b'\'')) => c,
            _ => return Err(DecodeError::ill_formed("attribute value not quoted")),
        };
        let value_start = q + 1;
        let value_len = from(value_start)
            .iter()
            .position(|&c| c == quote)
            .ok_or_else(|| DecodeError::ill_formed("attribute value not closed"))?;
        let value = s.get(value_start..value_start + value_len).unwrap_or("");
        let plain = value.bytes().fold(0, |acc, c| acc | class(c)) & SPECIAL == 0;
        self.rest = s.get(value_start + value_len + 1..).unwrap_or("");
        if self.count == MAX_ATTRIBUTES {
            return Err(DecodeError::TooManyAttributes);
        }
        // Compared inline: names are a few bytes, and a libc memcmp call per
        // pair costs more than the comparison.
        let same = |seen: &&str| seen.len() == name.len() && seen.bytes().eq(name.bytes());
        let inline = &self.seen[..self.count.min(INLINE)];
        if inline.iter().any(same) || self.spilled.iter().any(same) {
            return Err(DecodeError::ill_formed("duplicate attribute"));
        }
        match self.seen.get_mut(self.count) {
            Some(slot) => *slot = name,
            None => self.spilled.push(name),
        }
        self.count += 1;
        Ok(Some(Attr { name, value, plain }))
    }
}

/// One attribute as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Attr<'a> {
    pub name: &'a str,
    /// Between the quotes, references unresolved.
    pub value: &'a str,
    /// No reference, `<` or literal tab/CR/LF: the value is final as is.
    pub plain: bool,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Result<Attr<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.step() {
            Ok(Some(attr)) => Some(Ok(attr)),
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
        Attributes::new(s)
            .map(|a| a.map(|a| (a.name, a.value)))
            .collect()
    }

    #[test]
    fn pairs_quotes_and_spacing() {
        assert_eq!(
            all(" a=\"1\"  b = '2>'\t c=\"it's\" ").unwrap(),
            vec![("a", "1"), ("b", "2>"), ("c", "it's")]
        );
        assert_eq!(all("").unwrap(), vec![]);
        let flags: Vec<bool> = Attributes::new(" a=\"x\" b=\"&amp;\" c=\"\t\"")
            .map(|a| a.unwrap().plain)
            .collect();
        assert_eq!(flags, [true, false, false]);
        assert_eq!(
            all(" \u{e9}t\u{e9}=\"1\"").unwrap(),
            vec![("\u{e9}t\u{e9}", "1")]
        );
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
            " 1a=\"1\"",
            " a\u{d7}=\"1\"",
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
