//! The decoder's plain path: a payload in the form every sender writes
//! (our XML declaration or none, the usual `GctiMsg` DOCTYPE or none, then
//! elements with their attributes, and text holding no reference) is cut
//! into tags and text straight from the input, without building a quick-xml
//! `Reader`, and each tag and text piece drives the same handling the event
//! path uses (`Decoder::open_element`, `text`, `close`, `read_nodes`) in
//! the same order.
//!
//! It owns only the cutting of that form into tags and text. It gives a
//! message only when it read the whole payload with nothing unusual and no
//! error; on anything else (a comment, CDATA, a reference in text, a
//! processing instruction, another DOCTYPE, an end tag not written
//! `</name>`, a tag cut short, any error of form or meaning) it gives
//! nothing and the event path decodes the payload from the start, so every
//! error and its position come from one place. It must never decide an
//! outcome the event path would not: the tests hold the two paths to the
//! same results (`tests/wire_decode_paths.rs`, the `wire` fuzz target).

use super::{Decoder, MAX_DEPTH};
use crate::wire::codec::xml::{class, WS};
use crate::wire::codec::{DECLARATION, DOCTYPE};
use crate::wire::message::Message;

impl<'a> Decoder<'a> {
    /// The message, when the whole payload is in the plain form and
    /// decodes; `None` sends it to the event path.
    pub(super) fn run_plain(&mut self) -> Option<Message> {
        let s = self.text;
        let b = s.as_bytes();
        // Names of the open elements, for the end tags.
        let mut open: [&'a str; MAX_DEPTH] = [""; MAX_DEPTH];
        let mut i = if b.starts_with(DECLARATION) {
            DECLARATION.len()
        } else {
            0
        };
        loop {
            // Text up to the next tag; a reference is left to the event path.
            let rest = b.get(i..)?;
            let stop = rest
                .iter()
                .position(|&c| c == b'<' || c == b'&')
                .unwrap_or(rest.len());
            let lt = i + stop;
            if stop > 0 {
                self.text(s.get(i..lt)?, true).ok()?;
            }
            match b.get(lt..)? {
                [] => break,
                [b'<', b'/', ..] => {
                    let depth = self.depth;
                    let name = open.get(depth.checked_sub(1)?)?.as_bytes();
                    let end = lt + 2 + name.len();
                    if b.get(lt + 2..end)? != name || b.get(end) != Some(&b'>') {
                        return None;
                    }
                    self.close();
                    i = end + 1;
                }
                tag @ [b'<', b'!', ..] if tag.starts_with(DOCTYPE) => {
                    // Only its place is checked: it holds no '['.
                    self.doctype(DOCTYPE).ok()?;
                    i = lt + DOCTYPE.len();
                    continue;
                }
                [b'<', b'!' | b'?', ..] | [b'&', ..] => return None,
                _ => {
                    // A start tag: up to the first '>'. A '>' inside a quoted
                    // value cuts it inside the quotes, which the attribute
                    // scanner refuses, so such a tag goes to the event path.
                    let from = lt + 1;
                    let gt = from + b.get(from..)?.iter().position(|&c| c == b'>')?;
                    let content = s.get(from..gt)?;
                    let (content, empty) = match content.strip_suffix('/') {
                        Some(c) => (c, true),
                        None => (content, false),
                    };
                    let name_len = content
                        .bytes()
                        .position(|c| class(c) & WS != 0)
                        .unwrap_or(content.len());
                    let (name, after_name) = content.split_at_checked(name_len)?;
                    self.open_element(name, after_name).ok()?;
                    *open.get_mut(self.depth.checked_sub(1)?)? = name;
                    if empty {
                        self.close();
                    }
                    i = gt + 1;
                }
            }
            // After every tag, as the event path does.
            if self.depth == 3 && self.list.is_some() && self.capture.is_none() {
                i += self.read_nodes(s.get(i..)?);
            }
        }
        if !self.seen_root || self.depth > 0 {
            return None;
        }
        self.take_message().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::g;
    use super::*;
    use crate::wire::codec::decode::decode;
    use crate::wire::codec::encode::encode;
    use crate::wire::message::*;

    fn plain(xml: &str) -> Option<Message> {
        Decoder::new(xml).run_plain()
    }

    #[test]
    fn the_forms_senders_write_take_the_plain_path() {
        let messages = [
            Message::new("C1", Body::CallStatus(CallStatus::of(StatusEvent::Held))),
            Message::new(
                "C1",
                Body::NewCall(NewCall {
                    called_num: "5001".into(),
                    ani: Some("4155550100".into()),
                    udata: vec![KeyValue::int("n", 7), KeyValue::str("k", "a b")],
                    ..NewCall::default()
                }),
            ),
            Message::new(
                "C1",
                Body::EndCall(EndCall {
                    end_cause: Some("Normal".into()),
                }),
            ),
            Message::new("C1", Body::CallInfoReq),
        ];
        for m in messages {
            let bytes = encode(&m).unwrap();
            let text = std::str::from_utf8(&bytes).unwrap();
            assert_eq!(plain(text).as_ref(), Some(&m), "{text}");
        }
        // Without declaration or DOCTYPE, with whitespace between elements.
        let bare = g("\r\n <CallStatus Event=\"Held\" ></CallStatus>\n");
        assert!(plain(&bare).is_some(), "{bare}");
        // A reference in an attribute value is read by the attribute
        // handling both paths share.
        let reference = g("<CallStatus Event=\"&#72;eld\"/>");
        assert!(plain(&reference).is_some(), "{reference}");
    }

    #[test]
    fn anything_unusual_is_left_to_the_event_path() {
        for body in [
            "<!-- c --><CallStatus Event=\"Held\"/>",
            "<CallStatus Event=\"Held\"><![CDATA[x]]></CallStatus>",
            "<?pi x?><CallStatus Event=\"Held\"/>",
            "<CallStatus Event=\"Held\">&amp;</CallStatus>",
            "<CallStatus Event=\"Held\"></CallStatus >",
            "<CallStatus Event=\">\"/>",
        ] {
            let xml = g(body);
            assert!(plain(&xml).is_none(), "{xml}");
            assert!(decode(xml.as_bytes()).is_ok(), "{xml}");
        }
        // Errors too: the event path reports them, with their positions.
        for bad in [
            g("<CallStatus Event=\"Held\"/>").replace("</GctiMsg>", ""),
            g(""),
        ] {
            assert!(plain(&bad).is_none(), "{bad}");
            assert!(decode(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
