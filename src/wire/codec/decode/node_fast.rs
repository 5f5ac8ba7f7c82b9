//! The decoder's fast path for user-data `Node` elements in the common form
//! (`<Node Name="k" Type="Str" Val="v"/>`, as every sender writes them):
//! inside a `UDataEx` / `ExtnsEx` list they are read straight from the text
//! between two quick-xml events, skipping quick-xml's event and the
//! generic attribute handling for each of them.
//!
//! It owns only the recognition of that form. It must decide nothing the
//! event path (`decode.rs`) would decide differently: anything it is not
//! sure of is left untouched for the event path, and the test below holds
//! the two paths to the same result, errors and their positions included.

use std::borrow::Cow;
use std::io::BufRead;

use quick_xml::Reader;

use super::{node_field, Decoder, ListKind, NodeState, MAX_NODES};
use crate::wire::codec::error::DecodeError;
use crate::wire::codec::xml::{class, NAME, NAME_START, SPECIAL, WS};

impl<'a> Decoder<'a> {
    /// Inside a user-data list, reads the `Node` elements that take the
    /// common form (`<Node` and plain attributes, closed by `/>`) straight
    /// from the text, and moves the reader past them. Each is one that the
    /// event path would accept without error and decode the same way, so
    /// this only saves quick-xml's event and our generic attribute handling;
    /// anything else (a child element, a reference, a tab, a duplicate, more
    /// than 8 attributes, the node limit) is left to the event path.
    pub(super) fn list_fast_path(
        &mut self,
        reader: &mut Reader<&'a [u8]>,
    ) -> Result<(), DecodeError> {
        if self.depth != 3 || self.list.is_none() || self.capture.is_some() {
            return Ok(());
        }
        let rest = self.sub(reader.get_ref())?;
        let done = self.read_nodes(rest);
        // `stream()` keeps the reader's byte count (error positions) right.
        reader.stream().consume(done);
        Ok(())
    }

    /// The common-form `Node`s at the start of `rest` (whitespace between
    /// them included), gathered into the open list; returns how many bytes
    /// they take. For [`Decoder::list_fast_path`] and the envelope scanner,
    /// which call it at the same points (after each tag, at depth 3 inside a
    /// list we read, no capture open).
    pub(super) fn read_nodes(&mut self, rest: &'a str) -> usize {
        let mut done = 0;
        // Gathered in batches so the list is sized once for the usual few
        // nodes instead of growing 4, 8, 16.
        let mut batch = [[None; 3]; NODE_BATCH];
        loop {
            let mut n = 0;
            while n < NODE_BATCH && self.nodes + n < MAX_NODES {
                let at = done + rest.as_bytes().get(done..).map_or(0, ws_len);
                let Some((end, fields)) = simple_node(rest, at) else {
                    break;
                };
                batch[n] = fields;
                n += 1;
                done = end;
            }
            let entries = match self.list {
                Some(ListKind::UData) => &mut self.message.udata,
                Some(ListKind::Extensions) => &mut self.message.extensions,
                None => break,
            };
            if entries.is_empty() {
                entries.reserve_exact(n);
            }
            for fields in &batch[..n] {
                self.nodes += 1;
                self.finish_node(NodeState {
                    depth: 4,
                    fields: fields.map(|f| f.map(Cow::Borrowed)),
                });
            }
            if n < NODE_BATCH {
                break;
            }
        }
        done
    }
}

/// Leading XML whitespace bytes.
fn ws_len(b: &[u8]) -> usize {
    b.iter().take_while(|&&c| class(c) & WS != 0).count()
}

/// Nodes the fast path gathers before it sizes the list.
const NODE_BATCH: usize = 16;

/// Attributes a [`simple_node`] may carry (kept inline for the duplicate
/// check).
const SIMPLE_ATTRS: usize = 8;

/// A `Node` element at byte `at` of `s` in the common form: `<Node` (any
/// case), at most [`SIMPLE_ATTRS`] attributes with plain ASCII names, values
/// quoted and holding no reference, `<`, tab, CR or LF, distinct names, and
/// `/>`. Returns the end of the element and its `Name`, `Type`, `Val`
/// (first occurrence of each, any case), or `None` for anything else, so
/// that the event path decides it.
fn simple_node(s: &str, at: usize) -> Option<(usize, [Option<&str>; 3])> {
    if let Some(found) = written_node(s, at) {
        return Some(found);
    }
    let b = s.as_bytes();
    let tag = b.get(at..at.checked_add(5)?)?;
    if tag != b"<Node" && (tag[0] != b'<' || !tag[1..].eq_ignore_ascii_case(b"node")) {
        return None;
    }
    let mut i = at + 5;
    let mut fields = [None; 3];
    let mut names = [""; SIMPLE_ATTRS];
    let mut count = 0;
    loop {
        let ws = ws_len(b.get(i..)?);
        i += ws;
        let c = *b.get(i)?;
        if c == b'/' {
            return (b.get(i + 1) == Some(&b'>')).then_some((i + 2, fields));
        }
        // Whitespace must separate the name and each attribute.
        if ws == 0 || class(c) & NAME_START == 0 || count == SIMPLE_ATTRS {
            return None;
        }
        let name_len = b[i..].iter().take_while(|&&c| class(c) & NAME != 0).count();
        let name = s.get(i..i + name_len)?;
        i += name_len;
        i += ws_len(b.get(i..)?);
        if b.get(i) != Some(&b'=') {
            return None;
        }
        i += 1;
        i += ws_len(b.get(i..)?);
        let quote = *b.get(i)?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        i += 1;
        // One pass finds the closing quote and refuses special bytes.
        let start = i;
        loop {
            let c = *b.get(i)?;
            if c == quote {
                break;
            }
            if class(c) & SPECIAL != 0 {
                return None;
            }
            i += 1;
        }
        let value = s.get(start..i)?;
        i += 1;
        let same = |seen: &&str| seen.len() == name.len() && seen.bytes().eq(name.bytes());
        if names[..count].iter().any(same) {
            return None;
        }
        names[count] = name;
        count += 1;
        if let Some(f) = node_field(name) {
            fields[f].get_or_insert(value);
        }
    }
}

/// The spelling every sender writes, `<Node Name="k" Type="t" Val="v"/>`
/// exactly (single spaces, double quotes, plain values), matched piece by
/// piece with no name scanning or duplicate check: a shortcut through
/// [`simple_node`], which reads the same bytes to the same result.
fn written_node(s: &str, at: usize) -> Option<(usize, [Option<&str>; 3])> {
    const PIECES: [&[u8]; 3] = [b"<Node Name=\"", b"\" Type=\"", b"\" Val=\""];
    let b = s.as_bytes();
    let mut i = at;
    let mut fields = [None; 3];
    for (field, piece) in fields.iter_mut().zip(PIECES) {
        if !b.get(i..)?.starts_with(piece) {
            return None;
        }
        i += piece.len();
        let len = b
            .get(i..)?
            .iter()
            .position(|&c| c == b'"' || class(c) & SPECIAL != 0)?;
        let end = i + len;
        *field = Some(s.get(i..end)?);
        i = end;
    }
    if !b.get(i..)?.starts_with(b"\"/>") {
        return None;
    }
    Some((i + 3, fields))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{dec, g};
    use super::*;

    #[test]
    fn common_form_nodes_decode_as_the_event_path_does() {
        // `~` in a value becomes a space or a tab. A tab keeps the node off
        // the fast path, and normalised it reads as the space it replaces at
        // the same byte positions, so both payloads must decode alike, error
        // positions included.
        let nodes = [
            "<Node Name=\"a~b\" Type=\"Int\" Val=\"12\"/>",
            "<node val='x~y' NAME=\"k~l\" type=\"str\" Name=\"later\"/>",
            "<NODE\tName = 'c~d'\r\n Type='Int' Val=\"99999999999~\"  />",
            "<Node Name=\"d~d\" Name=\"dup\"/>",
            "<Node Name=\"n~o\"><Val>t</Val></Node>",
            "<Node Name=\"a~b\" Val=\"1 &amp; 2\"/>",
            "<Node Name=\"a~b\" Val=\"x>y/>z\"/>",
            "<Node Name=\"a~b\"Val=\"1\"/>",
            "<Node Name=\"~\" a1='1' a2='2' a3='3' a4='4' a5='5' a6='6' a7='7'/>",
            "<Node Name=\"~\" a1='1' a2='2' a3='3' a4='4' a5='5' a6='6' a7='7' a8='8'/>",
            "<Node Name=\"\u{e9}~\" \u{e9}='1'/>",
            "<Nodes Name=\"x~y\"/>",
            "<Node Name=\"x~y\">",
            "<Node Name=\"x~y\" / >",
            "<Node Val=\"only~value\"/>",
            "<Node/>",
            " \r\n",
        ];
        let tails = [
            "</UDataEx></NewCall></GctiMsg>",
            "</UDataEx></NewCal></GctiMsg>",
            "</UDataEx><!-- a -- b --></NewCall></GctiMsg>",
            "<Node Name=\"x~y\"",
            "<Node Name=\"x~",
            "",
        ];
        let head = "<GctiMsg><CallId>C1</CallId><NewCall><CalledNum>1</CalledNum><UDataEx>";
        for a in nodes {
            for b in nodes {
                for tail in tails {
                    let doc = format!("{head}{a}{b}{a}{tail}");
                    let fast = dec(&doc.replace('~', " "));
                    let slow = dec(&doc.replace('~', "\t"));
                    assert_eq!(fast, slow, "{doc}");
                }
            }
        }
        let many = g(&format!(
            "<NewCall><CalledNum>1</CalledNum><UDataEx>{}</UDataEx></NewCall>",
            "<Node Name=\"k\"/>".repeat(MAX_NODES + 1)
        ));
        assert_eq!(dec(&many), Err(DecodeError::TooManyNodes));
    }
}
