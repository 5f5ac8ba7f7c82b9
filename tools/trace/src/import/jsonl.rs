//! Writes imported frames as a JSONL trace, schema version 1
//! (docs/TRACE.md): the header line, then one frame entry per line with the
//! fields and the text the engine's recorder writes for the same bytes.
//!
//! Owns the text of an imported trace. Must not choose which frames go in
//! it (`traces.rs`). A unit test holds it to the recorder's own output, so
//! the two cannot drift apart.

use std::fmt::Write as _;
use std::time::{Duration, UNIX_EPOCH};

use ivrconf::recorder::{fields, fields_text, json_str};
use ivrconf::timestamp::rfc3339_utc_us;
use ivrconf::wire::{FrameType, Message};

/// Which way a frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Driver to IVR Server (`I->S`).
    ToServer,
    /// IVR Server to driver (`S->I`).
    FromServer,
}

/// One frame of a trace.
#[derive(Debug, Clone, Copy)]
pub struct Line<'f> {
    pub at_us: u64,
    pub dir: Dir,
    pub frame_type: FrameType,
    pub payload: &'f [u8],
    pub message: Option<&'f Result<Message, String>>,
}

/// The whole trace: the header (`call_id` empty for the session trace,
/// `capture` naming the file it came from), then the lines.
pub fn trace(call_id: &str, capture: &str, lines: &[Line]) -> String {
    let start = lines.first().map_or(0, |l| l.at_us);
    let started = rfc3339_utc_us(UNIX_EPOCH + Duration::from_micros(start));
    let mut out = format!(
        "{{\"ivrconf_trace\":1,\"version\":{},\"call_id\":{},\"started\":{},\"capture\":{}}}\n",
        json_str(ivrconf::VERSION),
        json_str(call_id),
        json_str(&started),
        json_str(capture)
    );
    for l in lines {
        line(&mut out, l.at_us.saturating_sub(start), l);
    }
    out
}

/// The name and the fields the recorder shows for a frame.
fn describe(l: &Line) -> (String, Vec<(String, String)>) {
    match (l.frame_type, l.message) {
        (_, Some(Ok(m))) => (m.name().to_string(), fields(m)),
        (_, Some(Err(why))) => (
            "#undecodable".to_string(),
            vec![("error".to_string(), why.clone())],
        ),
        // The simulator's pseudo-names for frames that carry no message.
        (FrameType::KeepAliveRequest, None) => ("#keepalive_request".to_string(), vec![]),
        (FrameType::KeepAliveAck, None) => ("#keepalive_ack".to_string(), vec![]),
        (FrameType::ErrorAck, None) => ("#error_ack".to_string(), vec![]),
        (FrameType::Xml, None) => ("#undecodable".to_string(), vec![]),
    }
}

fn line(out: &mut String, t_us: u64, l: &Line) {
    let (name, fields) = describe(l);
    let text = fields_text(&fields);
    let dir = match l.dir {
        Dir::ToServer => "I->S",
        Dir::FromServer => "S->I",
    };
    let _ = write!(
        out,
        "{{\"t_us\":{t_us},\"dir\":{},\"name\":{},\"text\":{}",
        json_str(dir),
        json_str(&name),
        json_str(&text)
    );
    if l.dir == Dir::ToServer {
        // A capture cannot tell the frames the engine sent on its own.
        out.push_str(",\"by\":\"app\"");
    }
    out.push_str(",\"fields\":{");
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{}:{}", json_str(k), json_str(v));
    }
    out.push('}');
    let bytes: String = l.payload.iter().map(|&b| char::from(b)).collect();
    let _ = writeln!(out, ",\"bytes\":{}}}", json_str(&bytes));
}

#[cfg(test)]
mod tests {
    use super::*;
    use ivrconf::recorder::{Entry, Format, Recorder, RecorderConfig, SentBy};
    use ivrconf::wire::{decode, encode, Body, DestRequest, KeyValue};

    /// Payloads with quotes, Latin-1, control characters, user data and
    /// an alternate spelling.
    fn payloads() -> Vec<Vec<u8>> {
        let init = Message::new(
            "C\"1",
            Body::InitConf(DestRequest {
                dest_dn: "70\u{e9}1".to_string(),
                req_id: Some("4".to_string()),
                udata: vec![KeyValue::str("k", "v<&>\""), KeyValue::int("n", 3)],
                extensions: vec![],
            }),
        );
        vec![
            encode(&init).unwrap(),
            b"<?xml version='1.0'?><GctiMsg><CallId>C1</CallId><CallStatus><Event>Held</Event></CallStatus></GctiMsg>".to_vec(),
        ]
    }

    /// The recorder's JSONL entry line for one frame.
    fn recorder_line(payload: &[u8], sent: bool) -> String {
        let mut r = Recorder::new(RecorderConfig::default());
        r.begin("X", 0, 0);
        let entry = if sent {
            Entry::Sent {
                by: SentBy::App,
                payload: payload.to_vec(),
            }
        } else {
            Entry::Received {
                payload: payload.to_vec(),
            }
        };
        r.record("X", 0, entry);
        r.render("X", Format::Jsonl)
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .to_string()
    }

    #[test]
    fn frame_lines_are_the_recorders_lines() {
        for payload in payloads() {
            let message = Some(decode(&payload).map_err(|e| e.to_string()));
            for (dir, sent) in [(Dir::ToServer, true), (Dir::FromServer, false)] {
                let l = Line {
                    at_us: 0,
                    dir,
                    frame_type: FrameType::Xml,
                    payload: &payload,
                    message: message.as_ref(),
                };
                let ours = trace("X", "c.pcap", &[l]);
                assert_eq!(ours.lines().nth(1).unwrap(), recorder_line(&payload, sent));
            }
        }
    }

    #[test]
    fn the_header_and_times_count_from_the_first_frame() {
        let ka = Line {
            at_us: 1_700_000_000_000_123,
            dir: Dir::ToServer,
            frame_type: FrameType::KeepAliveRequest,
            payload: &[],
            message: None,
        };
        let later = Line {
            at_us: ka.at_us + 2_500,
            dir: Dir::FromServer,
            frame_type: FrameType::KeepAliveAck,
            ..ka
        };
        let t = trace("", "lo.pcap", &[ka, later]);
        let lines: Vec<serde_json::Value> = t
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["ivrconf_trace"], 1);
        assert_eq!(lines[0]["call_id"], "");
        assert_eq!(lines[0]["capture"], "lo.pcap");
        assert_eq!(lines[0]["started"], "2023-11-14T22:13:20.000123Z");
        assert_eq!(lines[1]["name"], "#keepalive_request");
        assert_eq!(lines[1]["by"], "app");
        assert_eq!(lines[2]["t_us"], 2_500);
        assert_eq!(lines[2]["name"], "#keepalive_ack");
        assert!(lines[2].get("by").is_none());
        // The render tool's reader takes it.
        crate::trace::parse(&t).unwrap();
    }
}
