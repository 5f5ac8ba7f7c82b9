//! What the engine saw: a `RetrieveCall` the wire audit found after a
//! `CallError` for the same operation is judged by the call's flight
//! recorder (`ivrconf_call_trace` in JSONL, docs/TRACE.md), where the
//! engine's core thread wrote down, in its own order, every frame it sent
//! and took in and every timer that fired.
//!
//! A crossing (excusable) is a `RetrieveCall` the engine sent because one
//! of its timers fired, before it took in the `CallError`: it had given up
//! waiting, and the answer was still on its way. Sent after taking in the
//! `CallError` is a violation; so is one sent for any other reason (a
//! `Busy` while a complete is unanswered) before the answer came, since
//! the engine must wait for an answer it knows may still come, except
//! when the status it acted on was written by the server before it read
//! the request (`Suspect::status_since_request`, ruled in `referee.rs`):
//! a status after a request is never a duplicate, so the engine rightly
//! took it for the new operation's.
//!
//! Pure: a trace's text and a [`Suspect`] in, a [`Verdict`] out. Fetching
//! the trace and acting on the verdict belong to `referee.rs`.

use std::time::Duration;

use ivrconf::wire::FailedReq;
use serde_json::Value;

/// A `RetrieveCall` the wire audit found after a failed request of the
/// same operation, not excused by the wire's own rules.
#[derive(Debug, Clone)]
pub struct Suspect {
    pub call_id: String,
    /// The operation's number on the call (start requests seen).
    pub op: u32,
    /// The request the server failed, and the `ReqId` the engine gave it.
    pub request: FailedReq,
    pub request_req_id: Option<u32>,
    /// The answering `CallError`'s `ReqId` and `FailedReq`, as the
    /// simulator wrote them.
    pub error_req_id: Option<u32>,
    pub error_failed_req: FailedReq,
    /// The `RetrieveCall`'s `ReqId`.
    pub retrieve_req_id: Option<u32>,
    /// Simulator record times: request read, `CallError` queued,
    /// `RetrieveCall` read.
    pub request_at: Duration,
    pub error_at: Duration,
    pub retrieve_at: Duration,
    /// The server wrote a `CallStatus` for the call after it read the
    /// request and before it read the `RetrieveCall`. When it did not, any
    /// status the engine acted on was written before the server knew of
    /// the request: the two crossed on the wire.
    pub status_since_request: bool,
    /// The wire audit's violation text.
    pub text: String,
}

/// The trace's judgement. Times are µs after the engine sent the request;
/// `received_us` is when it took in the `CallError`, `None` when it had
/// not by the time the trace was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Sent as a timer fired, before the `CallError` was taken in: the
    /// two crossed on the way.
    Crossing {
        sent_us: u64,
        received_us: Option<u64>,
    },
    /// Sent after the engine had taken in the `CallError`.
    HadError { sent_us: u64, received_us: u64 },
    /// Sent before the `CallError` was taken in, but not on a timer:
    /// `cause` is what the engine was handling (`S->I CallStatus`, `app
    /// consult_cancel`).
    NotOnTimer {
        sent_us: u64,
        received_us: Option<u64>,
        cause: String,
    },
    /// The trace cannot tell; why.
    Unknown(String),
}

/// One trace entry, the parts the judgement reads.
#[derive(Debug)]
struct Entry {
    t_us: u64,
    dir: String,
    name: String,
    req_id: Option<u32>,
    failed_req: Option<FailedReq>,
}

fn parse(trace: &str) -> Result<Vec<Entry>, String> {
    let mut lines = trace.lines().filter(|l| !l.trim().is_empty());
    let header: Value = lines
        .next()
        .ok_or("empty trace")
        .and_then(|l| serde_json::from_str(l).map_err(|_| "header is not JSON"))?;
    if header.get("ivrconf_trace").and_then(Value::as_u64) != Some(1) {
        return Err(format!("trace schema not version 1: {header}"));
    }
    let mut entries = Vec::new();
    for (n, line) in lines.enumerate() {
        let v: Value = serde_json::from_str(line)
            .map_err(|e| format!("trace line {} is not JSON: {e}", n + 2))?;
        let text = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
        let field = |key: &str| {
            v.get("fields")
                .and_then(|f| f.get(key))
                .and_then(Value::as_str)
        };
        entries.push(Entry {
            t_us: v
                .get("t_us")
                .and_then(Value::as_u64)
                .ok_or_else(|| format!("trace line {} has no t_us", n + 2))?,
            dir: text("dir").ok_or_else(|| format!("trace line {} has no dir", n + 2))?,
            name: text("name").unwrap_or_default(),
            req_id: field("ReqId").and_then(|r| r.trim().parse().ok()),
            failed_req: field("FailedReq").map(FailedReq::parse),
        });
    }
    Ok(entries)
}

/// Judges `suspect` by `trace` (JSONL).
pub fn judge(trace: &str, suspect: &Suspect) -> Verdict {
    match parse(trace) {
        Ok(entries) => judge_entries(&entries, suspect),
        Err(why) => Verdict::Unknown(why),
    }
}

fn sent(e: &Entry, name: &str, req_id: Option<u32>) -> bool {
    e.dir == "I->S" && e.name == name && (req_id.is_none() || e.req_id == req_id)
}

fn judge_entries(entries: &[Entry], s: &Suspect) -> Verdict {
    // The RetrieveCall and the failed request before it: found from the
    // RetrieveCall's ReqId when it has one (the engine always gives one).
    let request = s.request.as_str();
    let request_before = |end: usize| {
        entries[..end]
            .iter()
            .rposition(|e| sent(e, request, s.request_req_id))
    };
    let (q, r) = match s.retrieve_req_id {
        Some(_) => {
            let r = entries
                .iter()
                .rposition(|e| sent(e, "RetrieveCall", s.retrieve_req_id));
            (r.and_then(request_before), r)
        }
        None => {
            let q = request_before(entries.len());
            let r = q.and_then(|q| {
                entries[q..]
                    .iter()
                    .position(|e| sent(e, "RetrieveCall", None))
                    .map(|r| r + q)
            });
            (q, r)
        }
    };
    let (q, r) = match (q, r) {
        (Some(q), Some(r)) => (q, r),
        (None, r) if r.is_some() || s.retrieve_req_id.is_none() => {
            return Verdict::Unknown(format!(
                "the {request} before the RetrieveCall is not in the trace"
            ))
        }
        _ => return Verdict::Unknown("the RetrieveCall is not in the trace".into()),
    };
    // Entries dropped between the two may have held the CallError.
    if entries[q..r].iter().any(|e| e.dir == "note") {
        return Verdict::Unknown(format!(
            "entries were dropped between the {request} and the RetrieveCall"
        ));
    }
    let answers = |e: &Entry| {
        e.dir == "S->I"
            && e.name == "CallError"
            && match s.error_req_id {
                Some(id) => e.req_id == Some(id),
                None => e.failed_req == Some(s.error_failed_req),
            }
    };
    let base = entries[q].t_us;
    let sent_us = entries[r].t_us.saturating_sub(base);
    let error = entries
        .iter()
        .skip(q + 1)
        .position(answers)
        .map(|i| i + q + 1);
    let received_us = error.map(|c| entries[c].t_us.saturating_sub(base));
    match (error, received_us) {
        (Some(c), Some(received_us)) if c < r => Verdict::HadError {
            sent_us,
            received_us,
        },
        _ => match cause(&entries[q..r]) {
            None => Verdict::Crossing {
                sent_us,
                received_us,
            },
            Some(cause) => Verdict::NotOnTimer {
                sent_us,
                received_us,
                cause,
            },
        },
    }
}

/// What the engine was handling when it sent the frame that follows
/// `before`: `None` for a timer firing, else the frame or API call. The
/// core thread records a fired timer, then what the flow sends for it, in
/// one turn; events, warnings, timer changes and other frames sent in the
/// same turn may come between.
fn cause(before: &[Entry]) -> Option<String> {
    for e in before.iter().rev() {
        match (e.dir.as_str(), e.name.as_str()) {
            ("timer", "fired") => return None,
            ("S->I", name) => return Some(format!("S->I {name}")),
            ("app", name) => return Some(format!("app {name}")),
            _ => {}
        }
    }
    Some(format!(
        "nothing after the {}",
        before.first().map_or("request", |e| e.name.as_str())
    ))
}

/// `+1500.2 ms`
pub fn ms(us: u64) -> String {
    format!("+{}.{} ms", us / 1000, us % 1000 / 100)
}
