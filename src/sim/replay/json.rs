//! A strict reader for one line of JSON, enough for the trace schema
//! (docs/TRACE.md): objects, arrays, strings with every escape, numbers,
//! `true`, `false`, `null`.
//!
//! Owns JSON syntax only; what the values mean is `recording.rs`'s. The
//! library writes JSON by hand and has no JSON dependency; reading one
//! schema does not justify adding one.

/// A JSON value. Numbers keep their text: the schema's are integers that
/// must not go through a float.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Value>),
    /// Members in the order written.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.parse().ok(),
            _ => None,
        }
    }
}

/// Nesting deeper than this is refused (the schema nests two levels).
const MAX_DEPTH: usize = 32;

/// Parses `text` as one JSON value with nothing after it but whitespace.
pub fn parse(text: &str) -> Result<Value, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
    };
    let v = p.value(0)?;
    p.space();
    if p.i < p.s.len() {
        return Err(p.error("text after the value"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        format!("{what} at column {}", self.i + 1)
    }

    fn space(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.space();
        match self.s.get(self.i) {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.word("true", Value::Bool(true)),
            Some(b'f') => self.word("false", Value::Bool(false)),
            Some(b'n') => self.word("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("unexpected character")),
            None => Err(self.error("unexpected end")),
        }
    }

    fn word(&mut self, word: &str, v: Value) -> Result<Value, String> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.error("unexpected word"))
        }
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.i;
        self.eat(b'-');
        let digits = |p: &mut Self| {
            let from = p.i;
            while matches!(p.s.get(p.i), Some(b'0'..=b'9')) {
                p.i += 1;
            }
            p.i > from
        };
        if !digits(self) {
            return Err(self.error("a number without digits"));
        }
        if self.eat(b'.') && !digits(self) {
            return Err(self.error("no digits after the decimal point"));
        }
        if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if !digits(self) {
                return Err(self.error("no digits in the exponent"));
            }
        }
        Ok(Value::Number(self.text[start..self.i].to_string()))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let hex = self
            .text
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.error("a short \\u escape"))?;
        let v = u32::from_str_radix(hex, 16).map_err(|_| self.error("a bad \\u escape"))?;
        self.i += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1; // the opening quote
        let mut out = String::new();
        loop {
            let start = self.i;
            while matches!(self.s.get(self.i), Some(b) if *b != b'"' && *b != b'\\' && *b >= 0x20) {
                self.i += 1;
            }
            out.push_str(&self.text[start..self.i]);
            match self.s.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let Some(&e) = self.s.get(self.i) else {
                        return Err(self.error("unexpected end in a string"));
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let mut c = self.hex4()?;
                            if (0xd800..0xdc00).contains(&c) && self.s[self.i..].starts_with(b"\\u")
                            {
                                self.i += 2;
                                let low = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&low) {
                                    return Err(self.error("a lone surrogate"));
                                }
                                c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
                            }
                            out.push(
                                char::from_u32(c).ok_or_else(|| self.error("a lone surrogate"))?,
                            );
                        }
                        _ => return Err(self.error("an unknown escape")),
                    }
                }
                Some(_) => return Err(self.error("a control character in a string")),
                None => return Err(self.error("unexpected end in a string")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, String> {
        self.i += 1;
        let mut items = Vec::new();
        self.space();
        if self.eat(b']') {
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.space();
            if self.eat(b']') {
                return Ok(Value::Array(items));
            }
            if !self.eat(b',') {
                return Err(self.error("expected , or ]"));
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, String> {
        self.i += 1;
        let mut members = Vec::new();
        self.space();
        if self.eat(b'}') {
            return Ok(Value::Object(members));
        }
        loop {
            self.space();
            if self.s.get(self.i) != Some(&b'"') {
                return Err(self.error("expected a member name"));
            }
            let key = self.string()?;
            self.space();
            if !self.eat(b':') {
                return Err(self.error("expected :"));
            }
            members.push((key, self.value(depth + 1)?));
            self.space();
            if self.eat(b'}') {
                return Ok(Value::Object(members));
            }
            if !self.eat(b',') {
                return Err(self.error("expected , or }"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_trace_line() {
        let v = parse(
            r#" {"t_us":12,"dir":"S->I","fields":{"CallId":"C1"},"bytes":"<a \"x\">\u00e9\ud83d\ude00\n","n":[1,-2.5e3,true,null]} "#,
        )
        .unwrap();
        assert_eq!(v.get("t_us").and_then(Value::as_u64), Some(12));
        assert_eq!(
            v.get("fields")
                .and_then(|f| f.get("CallId"))
                .and_then(Value::as_str),
            Some("C1")
        );
        assert_eq!(
            v.get("bytes").and_then(Value::as_str),
            Some("<a \"x\">\u{e9}\u{1f600}\n")
        );
        assert_eq!(
            v.get("n"),
            Some(&Value::Array(vec![
                Value::Number("1".into()),
                Value::Number("-2.5e3".into()),
                Value::Bool(true),
                Value::Null
            ]))
        );
        assert_eq!(Value::Number("-1".into()).as_u64(), None);
    }

    #[test]
    fn refuses_what_is_not_json_with_the_column() {
        for (bad, what) in [
            ("{\"a\":1", "expected , or }"),
            ("{\"a\" 1}", "expected :"),
            ("[1 2]", "expected , or ]"),
            ("\"a\u{1}\"", "control character"),
            ("\"\\x\"", "unknown escape"),
            ("\"\\ud800\"", "lone surrogate"),
            ("{} x", "text after the value"),
            ("tru", "unexpected word"),
            ("-", "without digits"),
            ("", "unexpected end"),
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains(what) && e.contains("column"), "{bad}: {e}");
        }
        let deep = "[".repeat(40) + &"]".repeat(40);
        assert!(parse(&deep).unwrap_err().contains("deeply"));
    }
}
