//! Sorts the frames of a capture into traces: which side of each
//! connection is the IVR Server, then one trace per call (by the message's
//! call id; a second `NewCall` for an id starts a new trace) and one for
//! the session frames (login, keep-alives, and anything without a call).
//!
//! Owns those two decisions and the file names. Must not read packets or
//! write JSON: it hands `jsonl.rs` lines.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use ivrconf::wire::Body;

use super::frames::Frame;
use super::jsonl::{Dir, Line};

/// One trace to write.
#[derive(Debug)]
pub struct Trace<'f> {
    /// The file name (no directory).
    pub file: String,
    /// The call id; empty for the session trace.
    pub call_id: String,
    pub lines: Vec<Line<'f>>,
}

/// What sorting found besides the traces.
#[derive(Debug, Default)]
pub struct Sorted<'f> {
    /// The session trace first (when there are session frames), then the
    /// calls in the order they first appear.
    pub traces: Vec<Trace<'f>>,
    /// Connections whose server side could not be told, each with why.
    pub problems: Vec<String>,
    /// Connections left out because they do not involve `--server`.
    pub skipped: usize,
}

/// The server end of each connection: the `--server` address, else the
/// endpoint that sent a `LoginResp` (on this or another connection), else
/// the one that did not send the opening SYN.
fn servers(
    frames: &[Frame],
    connections: &[((SocketAddr, SocketAddr), Option<SocketAddr>)],
    given: Option<SocketAddr>,
    problems: &mut Vec<String>,
    skipped: &mut usize,
) -> HashMap<(SocketAddr, SocketAddr), SocketAddr> {
    let answered_login: HashSet<SocketAddr> = frames
        .iter()
        .filter(|f| matches!(&f.message, Some(Ok(m)) if matches!(m.body, Body::LoginResp(_))))
        .map(|f| f.from)
        .collect();
    let mut out = HashMap::new();
    for ((a, b), client) in connections {
        let server = match given {
            Some(s) if s == *a || s == *b => Some(s),
            Some(_) => {
                *skipped += 1;
                continue;
            }
            None if answered_login.contains(a) => Some(*a),
            None if answered_login.contains(b) => Some(*b),
            None => client.map(|c| if c == *a { *b } else { *a }),
        };
        match server {
            Some(s) => {
                out.insert((*a, *b), s);
            }
            None => problems.push(format!(
                "connection {a} <-> {b}: no LoginResp and no captured connection opening tell \
                 which side is the IVR Server; its frames are not imported (give --server \
                 HOST:PORT)"
            )),
        }
    }
    out
}

fn key(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// Session messages go to the session trace whatever call id they carry.
fn is_session(body: &Body) -> bool {
    matches!(
        body,
        Body::LoginReq(_) | Body::LoginResp(_) | Body::FlowControl(_) | Body::MonitorInfo(_)
    )
}

/// A call id as a file name: letters, digits, `.`, `-` and `_` kept,
/// anything else as `_`.
fn file_stem(call_id: &str) -> String {
    let stem: String = call_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.is_empty() {
        "_".to_string()
    } else {
        stem
    }
}

pub fn sort<'f>(
    frames: &'f [Frame],
    connections: &[((SocketAddr, SocketAddr), Option<SocketAddr>)],
    given: Option<SocketAddr>,
) -> Sorted<'f> {
    let mut sorted = Sorted::default();
    let server_of = servers(
        frames,
        connections,
        given,
        &mut sorted.problems,
        &mut sorted.skipped,
    );
    let mut session: Vec<Line> = Vec::new();
    let mut calls: Vec<Trace> = Vec::new();
    // The open trace of each call id (index into `calls`) and whether it
    // has had its NewCall.
    let mut open: HashMap<String, (usize, bool)> = HashMap::new();
    let mut files: HashSet<String> = HashSet::from(["session.jsonl".to_string()]);
    for f in frames {
        let Some(server) = server_of.get(&key(f.from, f.to)) else {
            continue;
        };
        let dir = if f.from == *server {
            Dir::FromServer
        } else {
            Dir::ToServer
        };
        let line = Line {
            at_us: f.at_us,
            dir,
            frame_type: f.frame_type,
            payload: &f.payload,
            message: f.message.as_ref(),
        };
        let call = match &f.message {
            Some(Ok(m)) if !is_session(&m.body) => m.call_id.as_ref().map(|id| {
                let new_call = dir == Dir::ToServer && matches!(m.body, Body::NewCall(_));
                (id, new_call)
            }),
            _ => None,
        };
        let Some((id, new_call)) = call else {
            session.push(line);
            continue;
        };
        let reopen = match open.get(id) {
            None => true,
            Some((_, announced)) => new_call && *announced,
        };
        if reopen {
            let stem = file_stem(id);
            let mut file = format!("call-{stem}.jsonl");
            let mut n = 1;
            while files.contains(&file) {
                n += 1;
                file = format!("call-{stem}-{n}.jsonl");
            }
            files.insert(file.clone());
            calls.push(Trace {
                file,
                call_id: id.clone(),
                lines: Vec::new(),
            });
            open.insert(id.clone(), (calls.len() - 1, false));
        }
        if let Some((index, announced)) = open.get_mut(id) {
            *announced |= new_call;
            if let Some(t) = calls.get_mut(*index) {
                t.lines.push(line);
            }
        }
    }
    if !session.is_empty() {
        sorted.traces.push(Trace {
            file: "session.jsonl".to_string(),
            call_id: String::new(),
            lines: session,
        });
    }
    sorted.traces.extend(calls);
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;
    use ivrconf::wire::{decode, encode, EndCall, FrameType, LoginResp, Message, NewCall};

    const IVR: &str = "10.0.0.1:40000";
    const SERVER: &str = "10.0.0.2:7000";

    fn frame(number: usize, from: &str, m: Message) -> Frame {
        let payload = encode(&m).unwrap();
        let to = if from == IVR { SERVER } else { IVR };
        Frame {
            at_us: number as u64,
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
            frame_type: FrameType::Xml,
            message: Some(decode(&payload).map_err(|e| e.to_string())),
            payload,
        }
    }

    fn new_call(id: &str) -> Message {
        Message::new(
            id,
            Body::NewCall(NewCall {
                called_num: "5001".to_string(),
                ..NewCall::default()
            }),
        )
    }

    fn frames() -> Vec<Frame> {
        vec![
            frame(
                1,
                SERVER,
                Message {
                    call_id: Some("L".to_string()),
                    body: Body::LoginResp(LoginResp {
                        result: "Success".to_string(),
                        ..LoginResp::default()
                    }),
                },
            ),
            frame(2, IVR, new_call("C/1")),
            frame(
                3,
                IVR,
                Message::new("C/1", Body::EndCall(EndCall::default())),
            ),
            frame(4, IVR, new_call("C/1")),
            frame(
                5,
                SERVER,
                Message::new("C_1", Body::EndCall(EndCall::default())),
            ),
        ]
    }

    fn conns() -> Vec<((SocketAddr, SocketAddr), Option<SocketAddr>)> {
        vec![((IVR.parse().unwrap(), SERVER.parse().unwrap()), None)]
    }

    #[test]
    fn the_login_answer_names_the_server_and_calls_get_traces_of_their_own() {
        let frames = frames();
        let s = sort(&frames, &conns(), None);
        assert!(s.problems.is_empty());
        let got: Vec<_> = s
            .traces
            .iter()
            .map(|t| (t.file.as_str(), t.call_id.as_str(), t.lines.len()))
            .collect();
        assert_eq!(
            got,
            [
                ("session.jsonl", "", 1),
                ("call-C_1.jsonl", "C/1", 2),
                ("call-C_1-2.jsonl", "C/1", 1),
                ("call-C_1-3.jsonl", "C_1", 1),
            ]
        );
        assert_eq!(s.traces[0].lines[0].dir, Dir::FromServer);
        assert_eq!(s.traces[1].lines[0].dir, Dir::ToServer);
    }

    #[test]
    fn without_a_login_or_a_syn_the_server_must_be_given() {
        let frames = frames()[1..].to_vec();
        let s = sort(&frames, &conns(), None);
        assert!(s.traces.is_empty());
        assert!(s.problems[0].contains("--server"), "{:?}", s.problems);
        let s = sort(&frames, &conns(), Some(SERVER.parse().unwrap()));
        assert!(s.problems.is_empty());
        assert_eq!(s.traces.len(), 3);
        let s = sort(&frames, &conns(), Some("10.0.0.3:7000".parse().unwrap()));
        assert_eq!((s.traces.len(), s.skipped), (0, 1));
        let with_syn = vec![(conns()[0].0, Some(IVR.parse().unwrap()))];
        let s = sort(&frames, &with_syn, None);
        assert_eq!(s.traces[0].lines[0].dir, Dir::ToServer);
    }
}
