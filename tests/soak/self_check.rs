//! The wire audit and its referee checked on made-up traffic before the
//! soak starts: each case must be reported (or excused) exactly as
//! expected, so a soak that says "no violation" is known to be able to say
//! otherwise.
//!
//! Feeds records the way the simulator's observer does, with the time each
//! frame is seen, and writes what the engine would have seen into a real
//! flight recorder (`ivrconf::recorder`), whose JSONL the referee reads as
//! it reads the engine's; never opens a socket.

use std::sync::Arc;
use std::time::Duration;

use ivrconf::recorder::{Answer, Entry, Format, Recorder, RecorderConfig, SentBy, TimerChange};
use ivrconf::sim::{Dir, Record};
use ivrconf::wire::{encode, Body, CallError, CallStatus, DestRequest, Message, PlainRequest};

use crate::hub::{Hub, Ledger, Violations};
use crate::referee::{Referee, TraceSource};
use crate::wire_audit::WireAudit;

const CALL: &str = "w0p0c1";

/// One step of a made-up exchange.
enum Step {
    /// The engine wrote this (milliseconds, body): on the wire and in its
    /// trace.
    Engine(u64, Body),
    /// The simulator wrote this (on the wire only).
    Server(u64, Body),
    /// The engine took this in (its trace only).
    Got(u64, Body),
    /// One of the engine's timers fired (its trace only).
    Fired(u64),
    /// The engine cancelled one of its timers (its trace only).
    TimerCancelled(u64),
    /// consult_cancel called for operation N: token kept for `Settle`;
    /// in the trace as an accepted API call.
    CancelBegin(u32),
    /// ... and returned (accepted or refused).
    CancelSettle(bool),
}

/// What the referee can read of the call's trace.
#[derive(Clone, Copy)]
enum Keep {
    /// Everything.
    Whole,
    /// Nothing (evicted, or the engine gone).
    Missing,
    /// At most this many entries (the recorder drops the oldest after
    /// its first 32).
    Entries(usize),
}

/// What a case must come out as.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Expect {
    violations: usize,
    /// Crossings excused on the wire: a cancel, the timer window.
    cancel: u64,
    timer: u64,
    /// Suspects the referee ruled on: excused as a wire delay, the engine
    /// had the CallError, sent not on a timer, the trace could not tell.
    wire_delay: u64,
    status_crossing: u64,
    had_error: u64,
    not_on_timer: u64,
    unknown: u64,
}

const NONE: Expect = Expect {
    violations: 0,
    cancel: 0,
    timer: 0,
    wire_delay: 0,
    status_crossing: 0,
    had_error: 0,
    not_on_timer: 0,
    unknown: 0,
};

struct Case {
    name: &'static str,
    steps: Vec<Step>,
    keep: Keep,
    expect: Expect,
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
        event: event.to_string().into(),
    })
}

fn case(name: &'static str, steps: Vec<Step>, expect: Expect) -> Case {
    Case {
        name,
        steps,
        keep: Keep::Whole,
        expect,
    }
}

fn cases() -> Vec<Case> {
    use Step::*;
    let init = |ms, req| Engine(ms, Body::InitConf(dest(Some(req))));
    let retrieve = |ms, req| Engine(ms, Body::RetrieveCall(plain(req)));
    let init_error = || error("InitConf", Some("1"));
    // The split-writes crossing: the simulator queued the CallError at
    // 723 ms, behind other frames; the engine's request timer fired at
    // 1500 ms.
    let timer_crossing = |got_error_at: Option<u64>| {
        let mut steps = vec![
            init(0, "1"),
            Server(1, status("Held")),
            Got(2, status("Held")),
            Server(723, init_error()),
            Fired(1500),
            retrieve(1500, "2"),
        ];
        if let Some(ms) = got_error_at {
            steps.push(Got(ms, init_error()));
        }
        steps
    };
    vec![
        case(
            "Busy during a blind complete: RetrieveCall sent on the Busy, before the complete's CallError",
            vec![
                init(0, "1"),
                Engine(1, Body::CompleteConf(plain("2"))),
                Server(1, status("Busy")),
                Got(1, status("Busy")),
                TimerCancelled(1),
                retrieve(2, "3"),
                Server(2, error("CompleteConf", Some("2"))),
                Got(3, error("CompleteConf", Some("2"))),
            ],
            Expect { violations: 1, not_on_timer: 1, ..NONE },
        ),
        case(
            "RetrieveCall after the init's CallError",
            vec![
                Engine(0, Body::InitXfer(dest(Some("1")))),
                Server(1, error("InitXfer", Some("1"))),
                Got(2, error("InitXfer", Some("1"))),
                retrieve(3, "2"),
            ],
            Expect { violations: 1, had_error: 1, ..NONE },
        ),
        case(
            "CallError without ReqId, matched by FailedReq",
            vec![
                Engine(0, Body::InitConf(dest(None))),
                Server(1, error("InitConf", None)),
                Got(2, error("InitConf", None)),
                Engine(3, Body::RetrieveCall(PlainRequest { req_id: None })),
            ],
            Expect { violations: 1, had_error: 1, ..NONE },
        ),
        case(
            "Busy, RetrieveCall, Retrieved: clean",
            vec![
                init(0, "1"),
                Server(1, status("Busy")),
                Got(1, status("Busy")),
                retrieve(2, "2"),
                Server(3, status("Retrieved")),
            ],
            NONE,
        ),
        case(
            "a new operation starts a new count",
            vec![
                init(0, "1"),
                Server(1, init_error()),
                Got(1, init_error()),
                init(5, "2"),
                Server(6, status("Busy")),
                Got(6, status("Busy")),
                retrieve(7, "3"),
            ],
            NONE,
        ),
        case(
            "an accepted cancel crossing the CallError is excused",
            vec![
                init(0, "1"),
                CancelBegin(1),
                retrieve(1, "2"),
                Server(1, init_error()),
                CancelSettle(true),
                Got(2, init_error()),
            ],
            Expect { cancel: 1, ..NONE },
        ),
        case(
            "a refused cancel excuses nothing",
            vec![
                init(0, "1"),
                Server(1, init_error()),
                Got(1, init_error()),
                CancelBegin(1),
                retrieve(2, "2"),
                CancelSettle(false),
            ],
            Expect { violations: 1, had_error: 1, ..NONE },
        ),
        case(
            "the engine's timeout crossing a late CallError on the wire is excused",
            vec![
                init(0, "1"),
                Server(1, status("Held")),
                Got(1, status("Held")),
                Fired(900),
                retrieve(900, "2"),
                Server(905, init_error()),
            ],
            Expect { timer: 1, ..NONE },
        ),
        case(
            "a timer's RetrieveCall long after the engine took in the CallError is a violation",
            vec![
                init(0, "1"),
                Server(2, init_error()),
                Got(3, init_error()),
                Fired(900),
                retrieve(900, "2"),
            ],
            Expect { violations: 1, had_error: 1, ..NONE },
        ),
        case(
            "the timer fired before the CallError came in (split writes): a wire delay",
            timer_crossing(Some(1600)),
            Expect { wire_delay: 1, ..NONE },
        ),
        case(
            "the timer fired and the CallError had not come in when the trace was read",
            timer_crossing(None),
            Expect { wire_delay: 1, ..NONE },
        ),
        case(
            "the engine took in the CallError before its timer fired: a violation",
            vec![
                init(0, "1"),
                Server(1, status("Held")),
                Got(2, status("Held")),
                Server(723, init_error()),
                Got(800, init_error()),
                Fired(1500),
                retrieve(1500, "2"),
            ],
            Expect { violations: 1, had_error: 1, ..NONE },
        ),
        Case {
            name: "no trace of the call: judged on the wire, a violation",
            steps: timer_crossing(Some(1600)),
            keep: Keep::Missing,
            expect: Expect { violations: 1, unknown: 1, ..NONE },
        },
        Case {
            name: "entries dropped between the request and the RetrieveCall: a violation",
            steps: {
                let mut steps = vec![init(0, "1"), Server(723, init_error())];
                steps.extend((0..40).map(|i| Got(800 + i, status("Ringing"))));
                steps.extend([Fired(1500), retrieve(1500, "2")]);
                steps
            },
            keep: Keep::Entries(40),
            expect: Expect { violations: 1, unknown: 1, ..NONE },
        },
        case(
            "a second RetrieveCall in one operation",
            vec![
                init(0, "1"),
                Server(1, status("Busy")),
                retrieve(2, "2"),
                retrieve(3, "3"),
            ],
            Expect { violations: 1, ..NONE },
        ),
        case(
            "a duplicate Busy the server wrote before it read the InitConf, taken in after the engine sent it: a status crossing",
            vec![
                Engine(0, Body::OneStepConf(dest(Some("1")))),
                Server(1, status("Busy")),
                Server(1, status("Busy")),
                Got(2, status("Busy")),
                Engine(3, Body::InitConf(dest(Some("2")))),
                Got(3, status("Busy")),
                retrieve(3, "3"),
                Server(4, error("InitConf", Some("2"))),
                Got(5, error("InitConf", Some("2"))),
            ],
            Expect { status_crossing: 1, ..NONE },
        ),
        case(
            "the same, but the server wrote the Busy after it read the InitConf: a violation",
            vec![
                Engine(0, Body::OneStepConf(dest(Some("1")))),
                Server(1, status("Busy")),
                Got(2, status("Busy")),
                Engine(3, Body::InitConf(dest(Some("2")))),
                Server(3, status("Busy")),
                Got(3, status("Busy")),
                retrieve(3, "3"),
                Server(4, error("InitConf", Some("2"))),
                Got(5, error("InitConf", Some("2"))),
            ],
            Expect { violations: 1, not_on_timer: 1, ..NONE },
        ),
        case(
            "a RetrieveCall in a one-step operation",
            vec![
                Engine(0, Body::OneStepConf(dest(Some("1")))),
                retrieve(2, "2"),
            ],
            Expect { violations: 1, ..NONE },
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

fn payload(body: Body) -> Vec<u8> {
    encode(&Message::new(CALL, body)).unwrap_or_default()
}

fn play(c: Case, crossing: Duration) -> Expect {
    let mut hub = Hub::new(Vec::new());
    hub.violations = Violations::silent();
    let hub = Arc::new(hub);
    let referee = Arc::new(Referee::new(hub.clone()));
    let audit = WireAudit::new(hub.clone(), referee.clone(), crossing);
    let max_entries = match c.keep {
        Keep::Entries(n) => n,
        _ => RecorderConfig::default().max_entries,
    };
    let mut tape = Recorder::new(RecorderConfig {
        max_entries,
        ..RecorderConfig::default()
    });
    if !matches!(c.keep, Keep::Missing) {
        tape.begin(CALL, 0, 0);
    }
    let mut token = None;
    for step in c.steps {
        match step {
            Step::Engine(ms, body) => {
                let by = SentBy::Engine;
                tape.record(
                    CALL,
                    ms * 1000,
                    Entry::Sent {
                        by,
                        payload: payload(body.clone()),
                    },
                );
                audit.observe(&record(Dir::ToServer, ms, body));
            }
            Step::Server(ms, body) => audit.observe(&record(Dir::FromServer, ms, body)),
            Step::Got(ms, body) => {
                tape.record(
                    CALL,
                    ms * 1000,
                    Entry::Received {
                        payload: payload(body),
                    },
                );
            }
            Step::Fired(ms) => tape.record(CALL, ms * 1000, Entry::Timer(TimerChange::Fired)),
            Step::TimerCancelled(ms) => {
                tape.record(CALL, ms * 1000, Entry::Timer(TimerChange::Cancelled))
            }
            Step::CancelBegin(op) => {
                let entry = Entry::App {
                    name: "consult_cancel",
                    args: String::new(),
                    answer: Answer::Ok,
                };
                tape.record(CALL, 0, entry);
                token = Some(audit.cancel_begin(CALL, op));
            }
            Step::CancelSettle(ok) => {
                if let Some(t) = token.take() {
                    audit.cancel_end(CALL, t, ok);
                }
            }
        }
    }
    let mut source: TraceSource =
        Box::new(move |id: &str| tape.render(id, Format::Jsonl).map_err(|e| format!("{e:?}")));
    referee.settle(&mut source);
    let (wire, judged) = (audit.stats(), referee.stats());
    Expect {
        violations: hub.violations.count(),
        cancel: wire.excused_cancel,
        timer: wire.excused_timer,
        wire_delay: judged.wire_delay,
        status_crossing: judged.status_crossing,
        had_error: judged.had_error,
        not_on_timer: judged.not_on_timer,
        unknown: judged.unknown,
    }
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
    for c in all {
        let (name, expect) = (c.name, c.expect);
        let got = play(c, crossing);
        if got != expect {
            return Err(format!(
                "wire audit self-check \"{name}\": expected {expect:?}, got {got:?}"
            ));
        }
    }
    Ok(n)
}
