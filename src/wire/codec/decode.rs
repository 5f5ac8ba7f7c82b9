//! The decoder (PROTOCOL.md 2.3-2.7): one XML payload to a typed message.
//!
//! A single streaming pass over quick-xml events: limits are enforced as
//! elements open, fields are captured as they go by, and no tree is built.
//! User-data `Node`s in the common form are read straight from the text
//! between two events, with the same outcome (`decode/node_fast.rs`), and
//! a payload in the plain envelope form is read without quick-xml at all
//! (`decode/envelope.rs`), driving the same element and text handling.
//! Errors of form and safety (steps 2-5) stop the pass at once; errors of
//! meaning (steps 6-11) are decided only once the whole document has proved
//! well-formed, so each payload gets the reason of the earliest step it
//! fails. Values stay borrowed from the payload until the message is built.
//! Must never resolve, open or fetch anything (no DTD, no entity beyond the
//! five predefined ones and character references), and must not panic on
//! any input.

use std::borrow::Cow;

use quick_xml::errors::{Error as XmlError, IllFormedError, SyntaxError};
use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::Reader;

use super::attributes::Attributes;
use super::catalogue::{Spec, MAX_FIELDS};
use super::charset::payload_text;
use super::error::DecodeError;
use super::fields::Parts;
use super::xml::{attr_value, is_name, is_ws, resolve_reference, text_line_ends, trim_ws};
use crate::wire::message::{
    parse_decimal, Body, KeyValue, KeyValues, Message, UnknownMessage, Value,
};

mod envelope;
mod node_fast;

/// Deepest element allowed; `GctiMsg` is depth 1 (2.5).
pub const MAX_DEPTH: usize = 8;
/// Most elements named `Node` in one message (2.5); the encoder refuses more
/// than this many user-data entries (`UDataEx` and `ExtnsEx` together) so we
/// never send what we would refuse.
pub const MAX_NODES: usize = 1024;

/// Decodes one XML payload (the bytes after a type `0x03` header).
pub fn decode(payload: &[u8]) -> Result<Message, DecodeError> {
    if payload.is_empty() {
        return Err(DecodeError::EmptyPayload);
    }
    let text = payload_text(payload)?;
    // The plain envelope (`decode/envelope.rs`) gives a message only when it
    // read the whole payload; anything else is decided by the event path.
    // Not moved into a method by value: the decoder is large, and a move
    // is a copy.
    let mut plain = Decoder::new(&text);
    if let Some(message) = plain.run_plain() {
        return Ok(message);
    }
    Decoder::new(&text).run()
}

/// [`decode`] by the quick-xml event path alone, skipping the plain
/// envelope scanner: for tests and the fuzz target that hold the two paths
/// to the same results.
#[doc(hidden)]
pub fn decode_by_events(payload: &[u8]) -> Result<Message, DecodeError> {
    if payload.is_empty() {
        return Err(DecodeError::EmptyPayload);
    }
    let text = payload_text(payload)?;
    Decoder::new(&text).run()
}

/// Text gathered for one captured element: borrowed while it is a single
/// piece of the input, owned once pieces must be joined.
#[derive(Default)]
struct TextAcc<'a> {
    text: Cow<'a, str>,
}

impl<'a> TextAcc<'a> {
    fn push(&mut self, piece: Cow<'a, str>) {
        if self.text.is_empty() {
            self.text = piece;
        } else {
            self.text.to_mut().push_str(&piece);
        }
    }

    fn push_char(&mut self, c: char) {
        self.text.to_mut().push(c);
    }

    /// The value as 2.3 step 9 defines it: XML whitespace trimmed.
    fn finish(self) -> Cow<'a, str> {
        match self.text {
            Cow::Borrowed(s) => Cow::Borrowed(trim_ws(s)),
            Cow::Owned(s) => Cow::Owned(trim_ws(&s).to_owned()),
        }
    }
}

/// What a captured element's text becomes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    CallId,
    /// A catalogue field of the message element.
    Slot(usize),
    /// A field of an open or unknown message, kept by name.
    Other,
    /// `Name`, `Type` or `Val` of the current `Node`.
    NodeField(usize),
}

/// An element whose direct text is being gathered. Captures never nest: only
/// direct text counts, so deeper elements are merely noted.
struct Capture<'a> {
    target: Target,
    depth: usize,
    name: &'a str,
    text: TextAcc<'a>,
    /// No child elements seen: an open message keeps only scalar children.
    scalar: bool,
}

/// Which list a `UDataEx` / `ExtnsEx` element feeds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ListKind {
    UData,
    Extensions,
}

/// The message element and everything gathered for it. Fields that lose to
/// an earlier occurrence, `Type` tokens and integers never allocate.
struct MessageState<'a> {
    /// Name as received (kept for unknown messages).
    name: &'a str,
    spec: Option<&'static Spec>,
    slots: [Option<Cow<'a, str>>; MAX_FIELDS],
    udata: KeyValues,
    extensions: KeyValues,
    udata_seen: bool,
    extensions_seen: bool,
    other: Vec<(&'a str, Cow<'a, str>)>,
}

/// `Name`, `Type`, `Val` of the `Node` being read (first occurrence wins).
struct NodeState<'a> {
    depth: usize,
    fields: [Option<Cow<'a, str>>; 3],
}

const NODE_FIELDS: [&str; 3] = ["Name", "Type", "Val"];

/// The role an opening element plays, decided before its attributes are read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Ignored,
    Message,
    Node,
}

struct Decoder<'a> {
    /// The whole payload text; every slice kept borrows from it.
    text: &'a str,
    /// Elements currently open.
    depth: usize,
    nodes: usize,
    seen_root: bool,
    root_closed: bool,
    root_is_gcti: bool,
    seen_doctype: bool,
    call_id: Option<Cow<'a, str>>,
    /// Valid once `has_message`; kept in place (not in an `Option`) so the
    /// large slot array is never moved.
    message: MessageState<'a>,
    has_message: bool,
    /// The message element is open (at depth 2).
    in_message: bool,
    /// The open list element (at depth 3), if it is one we read.
    list: Option<ListKind>,
    node: Option<NodeState<'a>>,
    capture: Option<Capture<'a>>,
}

impl<'a> Decoder<'a> {
    fn new(text: &'a str) -> Self {
        Decoder {
            text,
            depth: 0,
            nodes: 0,
            seen_root: false,
            root_closed: false,
            root_is_gcti: false,
            seen_doctype: false,
            call_id: None,
            message: MessageState {
                name: "",
                spec: None,
                slots: Default::default(),
                udata: Vec::new(),
                extensions: Vec::new(),
                udata_seen: false,
                extensions_seen: false,
                other: Vec::new(),
            },
            has_message: false,
            in_message: false,
            list: None,
            node: None,
            capture: None,
        }
    }

    /// The input text behind a slice quick-xml lends us. quick-xml hands out
    /// sub-slices of our own `&'a str`, so the slice's address gives its
    /// position; `str::get` refuses anything that is not a whole-character
    /// sub-slice, so no input can make this panic or misread.
    fn sub(&self, bytes: &[u8]) -> Result<&'a str, DecodeError> {
        let start = (bytes.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        start
            .checked_add(bytes.len())
            .and_then(|end| self.text.get(start..end))
            .ok_or_else(|| DecodeError::ill_formed("parser slice outside the input"))
    }

    fn run(mut self) -> Result<Message, DecodeError> {
        let text = self.text;
        let mut reader = Reader::from_str(text);
        {
            let config = reader.config_mut();
            config.check_comments = true;
            config.check_end_names = true;
            config.allow_unmatched_ends = false;
            config.expand_empty_elements = false;
        }
        let mut first = true;
        loop {
            // Matched in place: binding the `Result` first would copy it
            // (quick-xml's error type is large) on every event.
            match reader.read_event() {
                Err(e) => return Err(xml_error(&e, &reader, text)),
                Ok(XmlEvent::Decl(_)) => {
                    // Its content was checked with the encoding (charset.rs),
                    // which reads a declaration only at the very start.
                    if !first {
                        return Err(DecodeError::ill_formed("XML declaration not at the start"));
                    }
                }
                Ok(XmlEvent::PI(pi)) => {
                    let target = pi.target();
                    if !is_name(target) || target.eq_ignore_ascii_case(b"xml") {
                        return Err(DecodeError::ill_formed("bad processing instruction"));
                    }
                }
                Ok(XmlEvent::DocType(doctype)) => self.doctype(&doctype)?,
                Ok(XmlEvent::Start(e)) => {
                    self.open(&e)?;
                    self.list_fast_path(&mut reader)?;
                }
                Ok(XmlEvent::Empty(e)) => {
                    self.open(&e)?;
                    self.close();
                    self.list_fast_path(&mut reader)?;
                }
                Ok(XmlEvent::End(_)) => {
                    self.close();
                    self.list_fast_path(&mut reader)?;
                }
                Ok(XmlEvent::Text(t)) => {
                    let piece = self.sub(&t)?;
                    self.text(piece, true)?;
                }
                Ok(XmlEvent::CData(c)) => {
                    if self.depth == 0 {
                        return Err(DecodeError::ill_formed("CDATA outside the root element"));
                    }
                    let piece = self.sub(&c)?;
                    self.text(piece, false)?;
                }
                Ok(XmlEvent::GeneralRef(r)) => {
                    if self.depth == 0 {
                        return Err(DecodeError::ill_formed(
                            "reference outside the root element",
                        ));
                    }
                    let c = resolve_reference(&r)?;
                    if let Some(cap) = self.capture.as_mut().filter(|c| c.depth == self.depth) {
                        cap.text.push_char(c);
                    }
                }
                Ok(XmlEvent::Comment(_)) => {}
                Ok(XmlEvent::Eof) => break,
            }
            first = false;
        }
        if !self.seen_root || self.depth > 0 {
            return Err(DecodeError::Truncated);
        }
        self.take_message()
    }

    /// A DOCTYPE is accepted and ignored, but only as XML allows it (once,
    /// before the root) and never with an internal subset (2.3 step 4).
    fn doctype(&mut self, content: &[u8]) -> Result<(), DecodeError> {
        if self.seen_doctype || self.seen_root {
            return Err(DecodeError::ill_formed("misplaced DOCTYPE"));
        }
        self.seen_doctype = true;
        // The usual `GctiMsg SYSTEM "IServer.dtd"` has no '[' at all.
        if !content.contains(&b'[') {
            return Ok(());
        }
        let mut quote = None;
        for &b in content {
            match quote {
                Some(q) if b == q => quote = None,
                Some(_) => {}
                None if b == b'"' || b == b'\'' => quote = Some(b),
                None if b == b'[' => return Err(DecodeError::DtdInternalSubset),
                None => {}
            }
        }
        Ok(())
    }

    /// An element opens (a quick-xml start or empty tag).
    fn open(&mut self, e: &BytesStart<'_>) -> Result<(), DecodeError> {
        let content = self.sub(e)?;
        let name_len = e.name().as_ref().len();
        let (name, after_name) = content
            .split_at_checked(name_len)
            .ok_or_else(|| DecodeError::ill_formed("bad element name"))?;
        self.open_element(name, after_name)
    }

    /// An element opens: limits first, then its role, then its attributes.
    /// `after_name` is the tag content after the name, without the `/` of
    /// an empty element.
    fn open_element(&mut self, name: &'a str, after_name: &'a str) -> Result<(), DecodeError> {
        if self.root_closed {
            return Err(DecodeError::ill_formed("element after the root element"));
        }
        let depth = self.depth + 1;
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        if !is_name(name.as_bytes()) {
            return Err(DecodeError::ill_formed("bad element name"));
        }
        let is_node = name.eq_ignore_ascii_case("Node");
        if is_node {
            self.nodes += 1;
            if self.nodes > MAX_NODES {
                return Err(DecodeError::TooManyNodes);
            }
        }
        self.depth = depth;
        let role = match self.capture.as_mut() {
            Some(cap) => {
                // Anything inside a captured element is not part of its value.
                cap.scalar = false;
                Role::Ignored
            }
            None => self.role(name, depth, is_node),
        };
        self.attributes(after_name, role)
    }

    /// Decides what the element at `depth` is, and starts capturing its text
    /// when it carries a value.
    fn role(&mut self, name: &'a str, depth: usize, is_node: bool) -> Role {
        match depth {
            1 => {
                self.seen_root = true;
                self.root_is_gcti = name.eq_ignore_ascii_case("GctiMsg");
            }
            2 if self.root_is_gcti => {
                if name.eq_ignore_ascii_case("CallId") {
                    if self.call_id.is_none() {
                        self.start_capture(Target::CallId, depth, name);
                    }
                } else if !self.has_message {
                    self.has_message = true;
                    self.message.name = name;
                    self.message.spec = Spec::lookup(name.as_bytes());
                    self.in_message = true;
                    return Role::Message;
                }
            }
            3 if self.in_message => self.message_child(name, depth),
            4 if is_node && self.list.is_some() => {
                self.node = Some(NodeState {
                    depth,
                    fields: Default::default(),
                });
                return Role::Node;
            }
            5 => {
                let field = self
                    .node
                    .as_ref()
                    .and_then(|node| node_field(name).filter(|&i| node.fields[i].is_none()));
                if let Some(i) = field {
                    self.start_capture(Target::NodeField(i), depth, name);
                }
            }
            _ => {}
        }
        Role::Ignored
    }

    /// A child of the message element: a list, a field, or ignored.
    fn message_child(&mut self, name: &'a str, depth: usize) {
        let msg = &mut self.message;
        let Some(spec) = msg.spec else {
            // Unknown message: every scalar child is kept.
            self.start_capture(Target::Other, depth, name);
            return;
        };
        if spec.udata && !msg.udata_seen && name.eq_ignore_ascii_case("UDataEx") {
            msg.udata_seen = true;
            self.list = Some(ListKind::UData);
        } else if spec.extensions && !msg.extensions_seen && name.eq_ignore_ascii_case("ExtnsEx") {
            msg.extensions_seen = true;
            self.list = Some(ListKind::Extensions);
        } else if let Some(i) = spec.slot(name.as_bytes()) {
            if msg.slots[i].is_none() {
                self.start_capture(Target::Slot(i), depth, name);
            }
        } else if spec.open {
            self.start_capture(Target::Other, depth, name);
        }
    }

    fn start_capture(&mut self, target: Target, depth: usize, name: &'a str) {
        self.capture = Some(Capture {
            target,
            depth,
            name,
            text: TextAcc::default(),
            scalar: true,
        });
    }

    /// Reads every attribute (all count towards the limit and all must be
    /// well-formed), keeping those the element's role needs.
    fn attributes(&mut self, after_name: &'a str, role: Role) -> Result<(), DecodeError> {
        for attr in Attributes::new(after_name) {
            let attr = attr?;
            let key = attr.name;
            let value = if attr.plain {
                Cow::Borrowed(attr.value)
            } else {
                attr_value(attr.value)?
            };
            match role {
                Role::Ignored => {}
                Role::Message => self.message_attr(key, value),
                Role::Node => {
                    if let (Some(node), Some(i)) = (self.node.as_mut(), node_field(key)) {
                        node.fields[i].get_or_insert(value);
                    }
                }
            }
        }
        Ok(())
    }

    fn message_attr(&mut self, key: &'a str, value: Cow<'a, str>) {
        let msg = &mut self.message;
        match msg.spec.map(|s| (s, s.slot(key.as_bytes()))) {
            Some((_, Some(i))) => {
                msg.slots[i].get_or_insert(value);
            }
            Some((spec, None)) if !spec.open => {}
            _ => msg.other.push((key, value)),
        }
    }

    /// Text or CDATA content.
    fn text(&mut self, piece: &'a str, is_text: bool) -> Result<(), DecodeError> {
        if self.depth == 0 {
            if piece.bytes().all(is_ws) {
                return Ok(());
            }
            return Err(DecodeError::ill_formed("text outside the root element"));
        }
        // A byte loop, not `str::contains`: text pieces are short and the
        // substring searcher's set-up would cost more than the search.
        if is_text && piece.as_bytes().windows(3).any(|w| w == b"]]>") {
            return Err(DecodeError::ill_formed("']]>' in text"));
        }
        if let Some(cap) = self.capture.as_mut().filter(|c| c.depth == self.depth) {
            cap.text.push(text_line_ends(piece));
        }
        Ok(())
    }

    /// The innermost open element closes.
    fn close(&mut self) {
        let depth = self.depth;
        if self.capture.as_ref().is_some_and(|c| c.depth == depth) {
            if let Some(cap) = self.capture.take() {
                self.finish_capture(cap);
            }
        }
        if self.node.as_ref().is_some_and(|n| n.depth == depth) {
            if let Some(node) = self.node.take() {
                self.finish_node(node);
            }
        }
        match depth {
            1 => self.root_closed = true,
            2 => self.in_message = false,
            3 => self.list = None,
            _ => {}
        }
        self.depth = depth.saturating_sub(1);
    }

    fn finish_capture(&mut self, cap: Capture<'a>) {
        match cap.target {
            Target::CallId => self.call_id = Some(cap.text.finish()),
            Target::Slot(i) => {
                if let Some(slot) = self.message.slots.get_mut(i) {
                    slot.get_or_insert(cap.text.finish());
                }
            }
            Target::Other => {
                if cap.scalar {
                    self.message.other.push((cap.name, cap.text.finish()));
                }
            }
            Target::NodeField(i) => {
                if let Some(field) = self.node.as_mut().and_then(|n| n.fields.get_mut(i)) {
                    field.get_or_insert(cap.text.finish());
                }
            }
        }
    }

    /// A `Node` closes: it becomes an entry unless it has no name (2.7).
    fn finish_node(&mut self, node: NodeState<'a>) {
        let [name, kind, val] = node.fields;
        let Some(key) = name.filter(|n| !n.is_empty()) else {
            return;
        };
        let val = val.unwrap_or_default();
        let int = kind
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("Int"))
            .then(|| parse_decimal(&val).filter(|v| i32::try_from(*v).is_ok()))
            .flatten();
        let value = match int {
            Some(i) => Value::Int(i),
            None => Value::Str(val.into_owned()),
        };
        let entries = match self.list {
            Some(ListKind::UData) => &mut self.message.udata,
            Some(ListKind::Extensions) => &mut self.message.extensions,
            None => return,
        };
        entries.push(KeyValue {
            key: key.into_owned(),
            value,
        });
    }

    /// Steps 6-11, once the document is known to be well-formed.
    fn take_message(&mut self) -> Result<Message, DecodeError> {
        if !self.root_is_gcti {
            return Err(DecodeError::RootNotGctiMsg);
        }
        if !self.has_message {
            return Err(DecodeError::NoMessageElement);
        }
        let msg = &mut self.message;
        let call_id = self
            .call_id
            .take()
            .filter(|id| !id.is_empty())
            .map(Cow::into_owned);
        let other = first_of_each_name(std::mem::take(&mut msg.other));
        let Some(spec) = msg.spec else {
            return Ok(Message {
                call_id,
                body: Body::Unknown(UnknownMessage {
                    name: msg.name.to_owned(),
                    fields: other,
                }),
            });
        };
        if !spec.session && call_id.is_none() {
            return Err(DecodeError::MissingCallId);
        }
        for &r in spec.required {
            if msg.slots[r].as_deref().is_none_or(str::is_empty) {
                return Err(DecodeError::MissingField {
                    field: spec.fields[r],
                });
            }
        }
        let parts = Parts {
            slots: &mut msg.slots,
            udata: std::mem::take(&mut msg.udata),
            extensions: std::mem::take(&mut msg.extensions),
            other,
        };
        Ok(Message {
            call_id,
            body: parts.into_body(spec.kind),
        })
    }
}

/// Which of `Name`, `Type`, `Val` a name is (any case). Dispatched on the
/// first letter: this runs for every attribute of every `Node`.
pub(super) fn node_field(name: &str) -> Option<usize> {
    // The spelling every sender uses, first.
    match name.as_bytes() {
        b"Name" => return Some(0),
        b"Type" => return Some(1),
        b"Val" => return Some(2),
        _ => {}
    }
    let i = match name.as_bytes().first()?.to_ascii_lowercase() {
        b'n' => 0,
        b't' => 1,
        b'v' => 2,
        _ => return None,
    };
    NODE_FIELDS[i].eq_ignore_ascii_case(name).then_some(i)
}

/// First occurrence wins among open fields, names compared ignoring ASCII
/// case (2.3 step 9, 2.4). Sort-based so a hostile payload with thousands
/// of distinct names stays O(n log n).
fn first_of_each_name(fields: Vec<(&str, Cow<'_, str>)>) -> Vec<(String, String)> {
    let keep: Vec<bool> = if fields.len() < 2 {
        vec![true; fields.len()]
    } else {
        let folded = |s: &str| {
            s.bytes()
                .map(|b| b.to_ascii_lowercase())
                .collect::<Vec<u8>>()
        };
        let keys: Vec<Vec<u8>> = fields.iter().map(|(n, _)| folded(n)).collect();
        let mut order: Vec<usize> = (0..fields.len()).collect();
        // Stable: among equal names the earliest index comes first.
        order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
        let mut keep = vec![false; fields.len()];
        for (pos, &i) in order.iter().enumerate() {
            keep[i] = pos == 0 || keys[order[pos - 1]] != keys[i];
        }
        keep
    };
    fields
        .into_iter()
        .zip(keep)
        .filter_map(|((n, v), k)| k.then(|| (n.to_owned(), v.into_owned())))
        .collect()
}

/// Maps a quick-xml error to our reasons: running out of input inside a
/// construct is `truncated XML`, anything else `not well-formed XML`.
fn xml_error(e: &XmlError, reader: &Reader<&[u8]>, text: &str) -> DecodeError {
    let at = reader.error_position();
    let rest = usize::try_from(at).ok().and_then(|at| text.get(at..));
    // An entity declaration outside a DOCTYPE is malformed anyway, but 2.3
    // step 4 names the reason for any `<!ENTITY`.
    if matches!(e, XmlError::Syntax(SyntaxError::InvalidBangMarkup))
        && rest.is_some_and(|r| r.starts_with("<!ENTITY"))
    {
        return DecodeError::DtdInternalSubset;
    }
    let truncated = match e {
        // `<!`, `<![CD`, `<!DOC` at the very end: cut before quick-xml
        // could tell which declaration it is.
        XmlError::Syntax(SyntaxError::InvalidBangMarkup) => rest.is_some_and(|rest| {
            ["<!--", "<![CDATA[", "<!DOCTYPE"]
                .iter()
                .any(|full| full.len() > rest.len() && full.starts_with(rest))
        }),
        XmlError::Syntax(s) => matches!(
            s,
            SyntaxError::UnclosedPIOrXmlDecl
                | SyntaxError::UnclosedComment
                | SyntaxError::UnclosedDoctype
                | SyntaxError::UnclosedCData
                | SyntaxError::UnclosedTag
        ),
        // `&am` at the very end: cut inside a reference.
        XmlError::IllFormed(IllFormedError::UnclosedReference) => {
            rest.is_some_and(|rest| !rest.contains([';', '<']))
        }
        _ => false,
    };
    if truncated {
        DecodeError::Truncated
    } else {
        DecodeError::ill_formed(format!("{e} at byte {at}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::message::*;

    /// Decodes `xml` (shared with the node fast path's tests).
    pub(super) fn dec(xml: &str) -> Result<Message, DecodeError> {
        decode(&xml.bytes().collect::<Vec<u8>>())
    }

    /// `body` inside a `GctiMsg` of call `C1`.
    pub(super) fn g(body: &str) -> String {
        format!("<GctiMsg><CallId>C1</CallId>{body}</GctiMsg>")
    }

    #[test]
    fn attribute_values_are_normalised_child_text_trimmed_and_line_ends_joined() {
        let m = dec(&g(
            "<CallInfoResp ANI=\" a\tb\r\nc \"><DNIS>\r\n 8\r\n9 \r\n</DNIS></CallInfoResp>",
        ))
        .unwrap();
        let Body::CallInfoResp(r) = m.body else {
            panic!("{m:?}")
        };
        assert_eq!(r.ani.as_deref(), Some(" a b c "));
        assert_eq!(r.dnis.as_deref(), Some("8\n9"));
    }

    #[test]
    fn open_messages_keep_scalar_fields_first_of_each_name() {
        let m = dec(&g(
            "<MonitorInfo Link=\"down\" link=\"up\" reqid=\"7\"><ReqId>8</ReqId>\
             <Server>ts1</Server><LINK>x</LINK><Nested><a/></Nested></MonitorInfo>",
        ))
        .unwrap();
        assert_eq!(
            m.body,
            Body::MonitorInfo(MonitorInfo {
                req_id: Some("7".into()),
                other: vec![
                    ("Link".into(), "down".into()),
                    ("Server".into(), "ts1".into())
                ],
            })
        );
    }

    #[test]
    fn unknown_message_keeps_name_as_received_and_needs_no_call_id() {
        let m =
            dec("<GctiMsg><treatCALL Type=\"Play\"><Arg> 1 </Arg></treatCALL></GctiMsg>").unwrap();
        assert_eq!(m.call_id, None);
        assert_eq!(
            m.body,
            Body::Unknown(UnknownMessage {
                name: "treatCALL".into(),
                fields: vec![("Type".into(), "Play".into()), ("Arg".into(), "1".into())],
            })
        );
    }

    #[test]
    fn user_data_outside_its_place_is_ignored_and_nested_nodes_skipped() {
        let m = dec(&g(
            "<NewCall><CalledNum>1</CalledNum><Node Name=\"stray\"/>\
             <UDataEx><Node Name=\"a\" Val=\"1\"><Node Name=\"inner\"/></Node>\
             <Other><Node Name=\"deep\"/></Other></UDataEx>\
             <UDataEx><Node Name=\"second list\"/></UDataEx></NewCall>",
        ))
        .unwrap();
        let Body::NewCall(n) = m.body else {
            panic!("{m:?}")
        };
        assert_eq!(n.udata, vec![KeyValue::str("a", "1")]);
    }

    #[test]
    fn character_references_may_denote_any_character() {
        let m = dec(&g("<CallStatus Event=\"&#x20AC;&#65;\"/>")).unwrap();
        assert_eq!(
            m.body,
            Body::CallStatus(CallStatus {
                event: "\u{20ac}A".into()
            })
        );
    }

    #[test]
    fn form_errors_are_not_well_formed() {
        for bad in [
            "<GctiMsg><CallId>C1</CallId><EndCall/></GctiMsg>x",
            "x<GctiMsg><CallId>C1</CallId><EndCall/></GctiMsg>",
            "<GctiMsg><CallId>C1</CallId><EndCall/></GctiMsg><GctiMsg/>",
            "<GctiMsg><CallId>C1</CallId><EndCall/></GctiMsg>&amp;",
            " <?xml version=\"1.0\"?><GctiMsg><CallId>C1</CallId><EndCall/></GctiMsg>",
            "<?XML version=\"1.0\"?><GctiMsg><CallId>C1</CallId><EndCall/></GctiMsg>",
            "<GctiMsg><CallId>C1</CallId><EndCall/><!-- a -- b --></GctiMsg>",
            "<GctiMsg><CallId>C1]]>x</CallId><EndCall/></GctiMsg>",
            "<GctiMsg><CallId>C1</CallId><1EndCall/></GctiMsg>",
            "<GctiMsg><CallId>C1</CallId><EndCall EndCause=\"a<b\"/></GctiMsg>",
            "<GctiMsg><CallId>C1</CallId><EndCall/></GctiMsg><!DOCTYPE GctiMsg>",
            "<GctiMsg><CallId>C1</CallId><EndCall a='1' a='2'/></GctiMsg>",
            "<GctiMsg><CallId>C&#xD800;</CallId><EndCall/></GctiMsg>",
            "<GctiMsg><CallId>C& x;</CallId><EndCall/></GctiMsg>",
        ] {
            assert!(
                matches!(dec(bad), Err(DecodeError::NotWellFormed { .. })),
                "{bad}: {:?}",
                dec(bad)
            );
        }
    }

    #[test]
    fn documents_cut_short_are_truncated() {
        let whole = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><!DOCTYPE GctiMsg SYSTEM \
                     \"IServer.dtd\"><GctiMsg><CallId>C&amp;1</CallId><!-- c --><EndCall \
                     EndCause=\"Normal\"/><![CDATA[x]]></GctiMsg>";
        assert!(dec(whole).is_ok());
        for cut in 1..whole.len() {
            let part = &whole[..cut];
            match dec(part) {
                Err(DecodeError::Truncated) => {}
                other => panic!("{part:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn any_entity_declaration_is_a_dtd_internal_subset() {
        let stray = g("<EndCall/><!ENTITY x \"y\">");
        assert_eq!(dec(&stray), Err(DecodeError::DtdInternalSubset));
        let subset = "<!DOCTYPE GctiMsg SYSTEM 'IServer.dtd' [ ]><GctiMsg/>";
        assert_eq!(dec(subset), Err(DecodeError::DtdInternalSubset));
        // A '[' inside the quoted system id is not a subset.
        let quoted =
            "<!DOCTYPE GctiMsg SYSTEM 'I[1].dtd'><GctiMsg><CallId>C1</CallId><EndCall/></GctiMsg>";
        assert!(dec(quoted).is_ok());
    }

    #[test]
    fn limits_count_everything_even_ignored_parts() {
        let deep = g("<EndCall><a><b><c><d><e><f><g/></f></e></d></c></b></a></EndCall>");
        assert_eq!(dec(&deep), Err(DecodeError::TooDeep));
        let attrs: String = (0..65).map(|i| format!(" x{i}=\"1\"")).collect();
        let many = g(&format!("<EndCall/><Ignored{attrs}/>"));
        assert_eq!(dec(&many), Err(DecodeError::TooManyAttributes));
        let nodes = g(&format!("<EndCall/><x>{}</x>", "<node/>".repeat(1025)));
        assert_eq!(dec(&nodes), Err(DecodeError::TooManyNodes));
    }
}
