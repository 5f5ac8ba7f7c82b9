//! Plays a [`Recording`] against live traffic: matches the live calls to
//! the recorded ones by the order of their `NewCall`, each live request to
//! the next recorded request of the same name, and answers with the frames
//! the server sent after it in the recording (call id substituted). Every
//! departure from the recording is kept as a [`Difference`].
//!
//! Pure: messages in, payloads and gaps out; no clock, no sockets (the
//! connection's worker sends and times them).

use std::collections::HashMap;
use std::sync::Arc;

use super::recording::{Answer, Exchange, Recording, Script};
use super::{Difference, DifferenceKind, Subject};
use crate::wire::{Body, Message, Value};

/// What the player does with a message from the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    /// Not the replay's to answer (a login when no session trace was
    /// given): the simulator answers it as usual.
    Pass,
    /// Send these payloads, each after its gap (possibly none at all).
    Play(Vec<Answer>),
}

/// Where one script stands: the next recorded request, and which were
/// matched.
#[derive(Debug, Clone)]
struct Cursor {
    next: usize,
    matched: Vec<bool>,
}

impl Cursor {
    fn new(script: &Script) -> Cursor {
        Cursor {
            next: 0,
            matched: vec![false; script.exchanges.len()],
        }
    }

    fn done(&self) -> bool {
        self.next >= self.matched.len()
    }
}

/// The live side of one recorded call.
#[derive(Debug, Clone)]
struct Call {
    cursor: Cursor,
    /// The live call id it was matched to.
    live: Option<String>,
}

/// A replay in progress.
#[derive(Debug)]
pub struct Player {
    recording: Arc<Recording>,
    session: Option<Cursor>,
    calls: Vec<Call>,
    /// Live call id -> recorded call (the latest `NewCall` wins).
    live: HashMap<String, usize>,
    /// Differences seen so far (the missing requests are added on demand).
    seen: Vec<Difference>,
    /// Payloads handed out to be sent.
    played: u64,
}

impl Player {
    pub fn new(recording: Arc<Recording>) -> Player {
        Player {
            session: recording.session.as_ref().map(Cursor::new),
            calls: recording
                .calls
                .iter()
                .map(|s| Call {
                    cursor: Cursor::new(s),
                    live: None,
                })
                .collect(),
            live: HashMap::new(),
            seen: Vec::new(),
            played: 0,
            recording,
        }
    }

    /// The driver sent `m`.
    pub fn on_request(&mut self, m: &Message) -> Reaction {
        let recording = self.recording.clone();
        let live_id = m.call_id.clone().unwrap_or_default();
        let answers = match (&m.body, &m.call_id) {
            (Body::LoginReq(_), _) | (_, None) => {
                let (Some(script), Some(cursor)) = (&recording.session, self.session.as_mut())
                else {
                    return Reaction::Pass;
                };
                let found = take(script, cursor, m, &Subject::Session, &mut self.seen);
                match found {
                    Some(e) => substituted(e, &live_id),
                    // A login the recording does not have: still answered
                    // (with the last recorded login's answer) so the
                    // driver can go on, and listed.
                    None if matches!(m.body, Body::LoginReq(_)) => script
                        .exchanges
                        .iter()
                        .rev()
                        .find(|e| e.request.name() == m.name())
                        .map(|e| substituted(e, &live_id))
                        .unwrap_or_default(),
                    None => vec![],
                }
            }
            (Body::NewCall(_), Some(id)) => {
                let Some(index) = self.calls.iter().position(|c| c.live.is_none()) else {
                    self.seen.push(Difference {
                        subject: Subject::Unrecorded { live: id.clone() },
                        kind: DifferenceKind::Unexpected {
                            request: m.name().to_string(),
                        },
                    });
                    self.live.remove(id);
                    return Reaction::Play(vec![]);
                };
                self.live.insert(id.clone(), index);
                self.calls[index].live = Some(id.clone());
                self.call_request(&recording, index, m)
            }
            (_, Some(id)) => match self.live.get(id) {
                Some(&index) => self.call_request(&recording, index, m),
                None => {
                    self.seen.push(Difference {
                        subject: Subject::Unrecorded { live: id.clone() },
                        kind: DifferenceKind::Unexpected {
                            request: m.name().to_string(),
                        },
                    });
                    vec![]
                }
            },
        };
        self.played += answers.len() as u64;
        Reaction::Play(answers)
    }

    fn call_request(&mut self, recording: &Recording, index: usize, m: &Message) -> Vec<Answer> {
        let (Some(script), Some(call)) = (recording.calls.get(index), self.calls.get_mut(index))
        else {
            return vec![];
        };
        let subject = subject(script, index, call.live.clone());
        let live_id = m.call_id.clone().unwrap_or_default();
        take(script, &mut call.cursor, m, &subject, &mut self.seen)
            .map(|e| substituted(e, &live_id))
            .unwrap_or_default()
    }

    /// Every difference so far, plus the recorded requests not sent yet
    /// (each one listed as missing): the verdict if the replay ended now.
    pub fn differences(&self) -> Vec<Difference> {
        let mut out = self.seen.clone();
        if let (Some(script), Some(cursor)) = (&self.recording.session, &self.session) {
            missing(script, cursor, &Subject::Session, &mut out);
        }
        for (index, (script, call)) in self.recording.calls.iter().zip(&self.calls).enumerate() {
            missing(
                script,
                &call.cursor,
                &subject(script, index, call.live.clone()),
                &mut out,
            );
        }
        out
    }

    /// Every recorded request has been matched or passed over.
    pub fn played_out(&self) -> bool {
        self.session.as_ref().is_none_or(Cursor::done) && self.calls.iter().all(|c| c.cursor.done())
    }

    /// Payloads handed out so far.
    pub fn played(&self) -> u64 {
        self.played
    }

    /// The recorded calls and how many were matched to live ones.
    pub fn calls(&self) -> (usize, usize) {
        let matched = self.calls.iter().filter(|c| c.live.is_some()).count();
        (self.calls.len(), matched)
    }
}

fn subject(script: &Script, index: usize, live: Option<String>) -> Subject {
    Subject::Call {
        number: index + 1,
        recorded: script.call_id.clone(),
        trace: script.file.clone(),
        live,
    }
}

/// Moves `cursor` to the next recorded request named like `m` and returns
/// its exchange; the recorded requests passed over are missing. A name the
/// rest of the script does not have is unexpected, and the cursor stays.
fn take<'s>(
    script: &'s Script,
    cursor: &mut Cursor,
    m: &Message,
    subject: &Subject,
    seen: &mut Vec<Difference>,
) -> Option<&'s Exchange> {
    let name = m.name();
    let Some(at) =
        (cursor.next..script.exchanges.len()).find(|&i| script.exchanges[i].request.name() == name)
    else {
        seen.push(Difference {
            subject: subject.clone(),
            kind: DifferenceKind::Unexpected {
                request: name.to_string(),
            },
        });
        return None;
    };
    for skipped in &script.exchanges[cursor.next..at] {
        seen.push(Difference {
            subject: subject.clone(),
            kind: DifferenceKind::Missing {
                request: skipped.request.name().to_string(),
            },
        });
    }
    cursor.next = at + 1;
    if let Some(flag) = cursor.matched.get_mut(at) {
        *flag = true;
    }
    let exchange = &script.exchanges[at];
    for (field, recorded, sent) in compare(&exchange.request, m) {
        seen.push(Difference {
            subject: subject.clone(),
            kind: DifferenceKind::Field {
                request: name.to_string(),
                field,
                recorded,
                sent,
            },
        });
    }
    Some(exchange)
}

fn missing(script: &Script, cursor: &Cursor, subject: &Subject, out: &mut Vec<Difference>) {
    for exchange in script.exchanges.iter().skip(cursor.next) {
        out.push(Difference {
            subject: subject.clone(),
            kind: DifferenceKind::Missing {
                request: exchange.request.name().to_string(),
            },
        });
    }
}

/// A message's fields by name, `CallId` left out (it is matched, not
/// compared): the scalar fields, then each user-data and extension entry
/// as `UDataEx.KEY` / `ExtnsEx.KEY` (`#2` on a repeated key).
fn named_fields(m: &Message) -> Vec<(String, String)> {
    let fields = m.body.fields();
    let mut out: Vec<(String, String)> = fields
        .scalars
        .iter()
        .map(|f| (f.name.to_string(), f.value.to_string()))
        .collect();
    for (list, entries) in [("UDataEx", fields.udata), ("ExtnsEx", fields.extensions)] {
        for kv in entries {
            let mut name = format!("{list}.{}", kv.key);
            let mut n = 1;
            while out.iter().any(|(k, _)| *k == name) {
                n += 1;
                name = format!("{list}.{}#{n}", kv.key);
            }
            let value = match &kv.value {
                Value::Str(s) => s.clone(),
                Value::Int(i) => i.to_string(),
            };
            out.push((name, value));
        }
    }
    out
}

/// The fields that differ: name, recorded value, sent value.
fn compare(recorded: &Message, sent: &Message) -> Vec<(String, Option<String>, Option<String>)> {
    let r = named_fields(recorded);
    let s = named_fields(sent);
    let find = |list: &[(String, String)], name: &str| {
        list.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    };
    let mut out = Vec::new();
    for (name, value) in &r {
        let other = find(&s, name);
        if other.as_deref() != Some(value.as_str()) {
            out.push((name.clone(), Some(value.clone()), other));
        }
    }
    for (name, value) in &s {
        if find(&r, name).is_none() {
            out.push((name.clone(), None, Some(value.clone())));
        }
    }
    out
}

/// The exchange's answers with the recorded request's call id replaced by
/// the live one.
fn substituted(exchange: &Exchange, live: &str) -> Vec<Answer> {
    let recorded = exchange.request.call_id.as_deref().unwrap_or_default();
    exchange
        .answers
        .iter()
        .map(|a| Answer {
            after: a.after,
            payload: substitute_call_id(&a.payload, recorded, live),
        })
        .collect()
}

/// Replaces the text of the `<CallId>` element when it is `recorded`;
/// every other byte is left as recorded.
pub fn substitute_call_id(payload: &[u8], recorded: &str, live: &str) -> Vec<u8> {
    if recorded == live {
        return payload.to_vec();
    }
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let Some(open) = find(payload, b"<CallId>", 0) else {
        return payload.to_vec();
    };
    let start = open + b"<CallId>".len();
    let Some(end) = find(payload, b"</CallId>", start) else {
        return payload.to_vec();
    };
    let text = &payload[start..end];
    let lead = text.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let trail = text[lead..]
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    let core = &text[lead..text.len() - trail];
    if !core.iter().copied().map(char::from).eq(recorded.chars()) {
        return payload.to_vec();
    }
    let mut out = Vec::with_capacity(payload.len() + live.len());
    out.extend_from_slice(&payload[..start + lead]);
    for c in live.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            // Call ids are Latin-1 (the encoder refuses the rest).
            c => out.push(u8::try_from(u32::from(c)).unwrap_or(b'?')),
        }
    }
    out.extend_from_slice(&payload[end - trail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{encode, CallStatus, DestRequest, KeyValue, LoginReq, NewCall, PlainRequest};
    use std::time::Duration;

    fn status(id: &str, event: &str) -> Vec<u8> {
        encode(&Message::new(
            id,
            Body::CallStatus(CallStatus {
                event: event.to_string().into(),
            }),
        ))
        .unwrap()
    }

    fn new_call(id: &str) -> Message {
        Message::new(
            id,
            Body::NewCall(NewCall {
                called_num: "5001".into(),
                ..NewCall::default()
            }),
        )
    }

    fn init(id: &str, dest: &str, req: &str) -> Message {
        Message::new(
            id,
            Body::InitConf(DestRequest {
                dest_dn: dest.into(),
                req_id: Some(req.into()),
                udata: vec![KeyValue::str("k", "v")],
                extensions: vec![],
            }),
        )
    }

    fn retrieve(id: &str) -> Message {
        Message::new(id, Body::RetrieveCall(PlainRequest { req_id: None }))
    }

    fn answer(ms: u64, payload: Vec<u8>) -> Answer {
        Answer {
            after: Duration::from_millis(ms),
            payload,
        }
    }

    fn call(id: &str) -> Script {
        Script {
            file: format!("{id}.jsonl"),
            call_id: id.into(),
            exchanges: vec![
                Exchange {
                    request: new_call(id),
                    answers: vec![],
                },
                Exchange {
                    request: init(id, "7001", "1"),
                    answers: vec![answer(5, status(id, "Held")), answer(7, status(id, "Busy"))],
                },
                Exchange {
                    request: retrieve(id),
                    answers: vec![answer(1, status(id, "Retrieved"))],
                },
            ],
        }
    }

    fn player(calls: Vec<Script>, session: Option<Script>) -> Player {
        Player::new(Arc::new(Recording {
            session,
            calls,
            notes: vec![],
        }))
    }

    fn played(r: Reaction) -> Vec<Answer> {
        match r {
            Reaction::Play(a) => a,
            Reaction::Pass => panic!("passed"),
        }
    }

    #[test]
    fn the_same_traffic_plays_the_recording_with_the_live_call_ids() {
        let mut p = player(vec![call("R1"), call("R2")], None);
        assert!(played(p.on_request(&new_call("L1"))).is_empty());
        assert!(played(p.on_request(&new_call("L2"))).is_empty());
        let a = played(p.on_request(&init("L2", "7001", "1")));
        assert_eq!(
            a,
            vec![
                answer(5, status("L2", "Held")),
                answer(7, status("L2", "Busy"))
            ]
        );
        played(p.on_request(&retrieve("L2")));
        assert!(!p.played_out());
        played(p.on_request(&init("L1", "7001", "1")));
        let a = played(p.on_request(&retrieve("L1")));
        assert_eq!(a, vec![answer(1, status("L1", "Retrieved"))]);
        assert!(p.played_out());
        assert_eq!(p.differences(), vec![]);
        assert_eq!((p.played(), p.calls()), (6, (2, 2)));
    }

    #[test]
    fn departures_are_listed_per_call() {
        let mut p = player(vec![call("R1")], None);
        played(p.on_request(&new_call("L1")));
        // Different field values, a request skipped, one never recorded.
        let a = played(p.on_request(&init("L1", "7002", "1")));
        assert_eq!(a.len(), 2);
        assert!(played(p.on_request(&Message::new("L1", Body::CallInfoReq))).is_empty());
        played(p.on_request(&new_call("L9")));
        played(p.on_request(&retrieve("L7")));
        let kinds: Vec<String> = p.differences().iter().map(|d| d.to_string()).collect();
        assert_eq!(
            kinds,
            [
                "call 1 (R1 in R1.jsonl, live L1): InitConf: DestDN recorded \"7001\", sent \"7002\"",
                "call 1 (R1 in R1.jsonl, live L1): CallInfoReq: not in the recording here",
                "unrecorded call L9: NewCall: not in the recording here",
                "unrecorded call L7: RetrieveCall: not in the recording here",
                "call 1 (R1 in R1.jsonl, live L1): RetrieveCall: recorded, never sent",
            ]
        );
        // Skipping ahead marks what was passed over as missing.
        let mut p = player(vec![call("R1")], None);
        played(p.on_request(&new_call("L1")));
        played(p.on_request(&retrieve("L1")));
        assert!(p.played_out());
        let d = p.differences();
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].kind,
            DifferenceKind::Missing {
                request: "InitConf".into()
            }
        );
        // A call never started: every request missing, NewCall first.
        let p = player(vec![call("R1")], None);
        let d = p.differences();
        assert_eq!(d.len(), 3);
        assert_eq!(
            d[0].to_string(),
            "call 1 (R1 in R1.jsonl, not started): NewCall: recorded, never sent"
        );
    }

    #[test]
    fn logins_pass_without_a_session_trace_and_replay_with_one() {
        let login = Message {
            call_id: Some("S1".into()),
            body: Body::LoginReq(LoginReq {
                version: "4.0".into(),
                client_name: "IVR".into(),
                ..LoginReq::default()
            }),
        };
        let mut p = player(vec![], None);
        assert_eq!(p.on_request(&login), Reaction::Pass);
        let session = Script {
            file: "session.jsonl".into(),
            call_id: String::new(),
            exchanges: vec![Exchange {
                request: login.clone(),
                answers: vec![answer(
                    0,
                    b"<GctiMsg><CallId>S1</CallId><LoginResp Result=\"Success\"/></GctiMsg>"
                        .to_vec(),
                )],
            }],
        };
        let mut p = player(vec![], Some(session));
        let again = Message {
            call_id: Some("S2".into()),
            ..login.clone()
        };
        let a = played(p.on_request(&again));
        assert_eq!(
            a[0].payload,
            b"<GctiMsg><CallId>S2</CallId><LoginResp Result=\"Success\"/></GctiMsg>"
        );
        assert!(p.played_out());
        // A second login is answered the same way, and listed.
        assert_eq!(played(p.on_request(&again)).len(), 1);
        assert_eq!(
            p.differences()[0].to_string(),
            "session: LoginReq: not in the recording here"
        );
    }

    #[test]
    fn call_id_substitution_touches_the_call_id_only() {
        let p = b"<GctiMsg><CallId> C1 </CallId><X a=\"C1\"/></GctiMsg>";
        assert_eq!(
            substitute_call_id(p, "C1", "a&b"),
            b"<GctiMsg><CallId> a&amp;b </CallId><X a=\"C1\"/></GctiMsg>"
        );
        assert_eq!(substitute_call_id(p, "C2", "Z"), p);
        assert_eq!(substitute_call_id(b"<x/>", "C1", "Z"), b"<x/>");
    }
}
