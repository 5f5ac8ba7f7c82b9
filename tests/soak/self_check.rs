//! The wire audit checked on made-up traffic before the soak starts: each
//! case must be reported (or excused) exactly as expected, so a soak that
//! says "no violation" is known to be able to say otherwise.
//!
//! Feeds records the way the simulator's observer does, with the time each
//! frame is seen; never opens a socket.

use std::sync::Arc;
use std::time::Duration;

use ivrconf::sim::{Dir, Record};
use ivrconf::wire::{Body, CallError, CallStatus, DestRequest, Message, PlainRequest};

use crate::hub::{Hub, Ledger, Violations};
use crate::wire_audit::{WireAudit, WireStats};

const CALL: &str = "w0p0c1";

/// One step of a made-up exchange.
enum Step {
    /// The engine wrote this (milliseconds, body).
    Engine(u64, Body),
    /// The simulator wrote this.
    Server(u64, Body),
    /// consult_cancel called for operation N: token kept for `Settle`.
    CancelBegin(u32),
    /// ... and returned (accepted or refused).
    CancelSettle(bool),
}

fn dest(req: Option<&str>) -> DestRequest {
    DestRequest {
        dest_dn: "6001".into(),
        req_id: req.map(Into::into),
        ..DestRequest::default()
    }
}

fn plain(req: &str) -> PlainRequest {
    PlainRequest {
        req_id: Some(req.into()),
    }
}

fn error(failed: &str, req: Option<&str>) -> Body {
    Body::CallError(CallError {
        failed_req: Some(failed.into()),
        tlib_err_code: Some("56".into()),
        req_id: req.map(Into::into),
    })
}

fn status(event: &str) -> Body {
    Body::CallStatus(CallStatus {
        event: event.into(),
    })
}

/// (name, steps, violations expected, cancel crossings, timer crossings)
type Case = (&'static str, Vec<Step>, usize, u64, u64);

fn cases() -> Vec<Case> {
    use Step::*;
    let init = |ms, req| Engine(ms, Body::InitConf(dest(Some(req))));
    let retrieve = |ms, req| Engine(ms, Body::RetrieveCall(plain(req)));
    vec![
        (
            "Busy during a blind complete: RetrieveCall seen before the CallError",
            vec![
                init(0, "1"),
                Server(1, status("Busy")),
                Engine(1, Body::CompleteConf(plain("2"))),
                retrieve(2, "3"),
                Server(2, error("CompleteConf", Some("2"))),
            ],
            1,
            0,
            0,
        ),
        (
            "RetrieveCall after the init's CallError",
            vec![
                Engine(0, Body::InitXfer(dest(Some("1")))),
                Server(1, error("InitXfer", Some("1"))),
                retrieve(3, "2"),
            ],
            1,
            0,
            0,
        ),
        (
            "CallError without ReqId, matched by FailedReq",
            vec![
                Engine(0, Body::InitConf(dest(None))),
                Server(1, error("InitConf", None)),
                Engine(3, Body::RetrieveCall(PlainRequest { req_id: None })),
            ],
            1,
            0,
            0,
        ),
        (
            "Busy, RetrieveCall, Retrieved: clean",
            vec![
                init(0, "1"),
                Server(1, status("Busy")),
                retrieve(2, "2"),
                Server(3, status("Retrieved")),
            ],
            0,
            0,
            0,
        ),
        (
            "a new operation starts a new count",
            vec![
                init(0, "1"),
                Server(1, error("InitConf", Some("1"))),
                init(5, "2"),
                Server(6, status("Busy")),
                retrieve(7, "3"),
            ],
            0,
            0,
            0,
        ),
        (
            "an accepted cancel crossing the CallError is excused",
            vec![
                init(0, "1"),
                CancelBegin(1),
                retrieve(1, "2"),
                Server(1, error("InitConf", Some("1"))),
                CancelSettle(true),
            ],
            0,
            1,
            0,
        ),
        (
            "a refused cancel excuses nothing",
            vec![
                init(0, "1"),
                Server(1, error("InitConf", Some("1"))),
                CancelBegin(1),
                retrieve(2, "2"),
                CancelSettle(false),
            ],
            1,
            0,
            0,
        ),
        (
            "the engine's timeout crossing a late CallError is excused",
            vec![
                init(0, "1"),
                Server(1, status("Held")),
                retrieve(900, "2"),
                Server(905, error("InitConf", Some("1"))),
            ],
            0,
            0,
            1,
        ),
        (
            "a RetrieveCall long after the CallError is not a crossing",
            vec![
                init(0, "1"),
                Server(2, error("InitConf", Some("1"))),
                retrieve(900, "2"),
            ],
            1,
            0,
            0,
        ),
        (
            "a second RetrieveCall in one operation",
            vec![
                init(0, "1"),
                Server(1, status("Busy")),
                retrieve(2, "2"),
                retrieve(3, "3"),
            ],
            1,
            0,
            0,
        ),
        (
            "a RetrieveCall in a one-step operation",
            vec![
                Engine(0, Body::OneStepConf(dest(Some("1")))),
                retrieve(2, "2"),
            ],
            1,
            0,
            0,
        ),
    ]
}

fn record(dir: Dir, ms: u64, body: Body) -> Record {
    Record {
        dir,
        at: Duration::from_millis(ms),
        conn: 1,
        message: Some(Message::new(CALL, body)),
        raw: Vec::new(),
    }
}

fn play(steps: Vec<Step>, crossing: Duration) -> (usize, WireStats) {
    let mut hub = Hub::new(Vec::new());
    hub.violations = Violations::silent();
    let hub = Arc::new(hub);
    let audit = WireAudit::new(hub.clone(), crossing);
    let mut token = None;
    for step in steps {
        match step {
            Step::Engine(ms, body) => audit.observe(&record(Dir::ToServer, ms, body)),
            Step::Server(ms, body) => audit.observe(&record(Dir::FromServer, ms, body)),
            Step::CancelBegin(op) => token = Some(audit.cancel_begin(CALL, op)),
            Step::CancelSettle(ok) => {
                if let Some(t) = token.take() {
                    audit.cancel_end(CALL, t, ok);
                }
            }
        }
    }
    (hub.violations.count(), audit.stats())
}

/// The op ledger: either order of start and done, a second done, a done
/// for an op never started, an op never done.
fn ledger() -> Result<(), String> {
    let mut l = Ledger::default();
    let fine =
        l.started(1).is_ok() && l.done(1).is_ok() && l.done(2).is_ok() && l.started(2).is_ok();
    let twice = l.done(1).is_err();
    let started_twice = l.started(2).is_err();
    let (_, _) = (l.started(3), l.done(4));
    // 1 and 2 are complete and forgotten; a second done for 1 still counts.
    let forgotten_twice = l.done(1).is_err();
    if fine
        && twice
        && started_twice
        && forgotten_twice
        && l.open() == [3]
        && l.unknown_done() == [4]
        && l.window() == 2
    {
        Ok(())
    } else {
        Err("op ledger self-check failed".into())
    }
}

/// Runs every case; the first that comes out wrong, if any.
pub fn run(crossing: Duration) -> Result<usize, String> {
    ledger()?;
    let all = cases();
    let n = all.len() + 1;
    for (name, steps, violations, by_cancel, by_timer) in all {
        let (found, stats) = play(steps, crossing);
        let got = (found, stats.excused_cancel, stats.excused_timer);
        if got != (violations, by_cancel, by_timer) {
            return Err(format!(
                "wire audit self-check \"{name}\": expected (violations, cancel crossings, timer crossings) = {:?}, got {got:?}",
                (violations, by_cancel, by_timer)
            ));
        }
    }
    Ok(n)
}
