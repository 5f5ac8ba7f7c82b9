//! The referee for `retrieve-after-callerror`: takes each suspect the wire
//! audit finds (a `RetrieveCall` after a `CallError` for the same
//! operation, not excused on the wire), reads that call's trace from the
//! engine and rules by what the engine saw (`engine_view.rs`): a crossing
//! (sent on a timer before the `CallError` came in) is excused and
//! counted, a few kept as examples; anything else, or no trace to tell,
//! is a violation.
//!
//! In the soak it runs on its own thread: the audit finds suspects on the
//! simulator's threads, which must never wait for the engine (the engine
//! may be waiting to write to them). The self-check rules with `settle`.

use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{unbounded, Receiver, Sender};
use parking_lot::Mutex;

use crate::engine_view::{judge, ms, Suspect, Verdict};
use crate::hub::Hub;

/// Fetches a call's trace (JSONL) by call id, or says why it cannot.
pub type TraceSource = Box<dyn FnMut(&str) -> Result<String, String> + Send>;

/// Crossing examples kept for the report.
const EXAMPLES: usize = 5;
/// Distinct reasons counted for "the trace cannot tell".
const REASONS: usize = 8;

enum Msg {
    Suspect(Suspect),
    Flush(Sender<()>),
    Stop,
}

/// Counters for the report.
#[derive(Debug, Default, Clone)]
pub struct RefereeStats {
    pub suspects: u64,
    /// Excused: the engine sent the RetrieveCall on a timer before it took
    /// in the CallError.
    pub wire_delay: u64,
    /// Excused: sent on a `CallStatus` the server wrote before it read the
    /// request (no status from it between the request and the
    /// RetrieveCall). A status after a request is never a duplicate, so
    /// the engine rightly took it for the new operation's.
    pub status_crossing: u64,
    /// Violations: the engine had the CallError.
    pub had_error: u64,
    /// Violations: sent before the CallError came in, not on a timer.
    pub not_on_timer: u64,
    /// Violations: no trace could tell; by reason.
    pub unknown: u64,
    pub unknown_why: Vec<(String, u64)>,
    pub examples: Vec<String>,
}

pub struct Referee {
    hub: Arc<Hub>,
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
    /// Set by `stop`: later suspects are ruled at once, without a trace.
    closed: Mutex<bool>,
    stats: Mutex<RefereeStats>,
}

impl Referee {
    pub fn new(hub: Arc<Hub>) -> Referee {
        let (tx, rx) = unbounded();
        Referee {
            hub,
            tx,
            rx,
            closed: Mutex::new(false),
            stats: Mutex::new(RefereeStats::default()),
        }
    }

    pub fn stats(&self) -> RefereeStats {
        self.stats.lock().clone()
    }

    /// A suspect from the wire audit; never waits for the engine.
    pub fn submit(&self, suspect: Suspect) {
        let closed = self.closed.lock();
        if *closed {
            drop(closed);
            self.rule(&suspect, Err("found after the engine was gone".into()));
        } else if let Err(e) = self.tx.send(Msg::Suspect(suspect)) {
            drop(closed);
            if let Msg::Suspect(s) = e.into_inner() {
                self.rule(&s, Err("the referee's queue is closed".into()));
            }
        }
    }

    /// Rules on every suspect queued now (the self-check).
    pub fn settle(&self, source: &mut TraceSource) {
        while let Ok(msg) = self.rx.try_recv() {
            self.handle(msg, source);
        }
    }

    /// Rules on suspects as they come until `stop`.
    pub fn spawn(self: &Arc<Self>, mut source: TraceSource) -> Result<JoinHandle<()>, String> {
        let me = self.clone();
        std::thread::Builder::new()
            .name("soak-referee".into())
            .spawn(move || {
                while let Ok(msg) = me.rx.recv() {
                    if !me.handle(msg, &mut source) {
                        // Whatever was sent before `stop` closed the queue.
                        me.settle(&mut source);
                        return;
                    }
                }
            })
            .map_err(|e| format!("referee thread: {e}"))
    }

    /// Waits until every suspect submitted so far is ruled on (the
    /// thread must be running).
    pub fn flush(&self) {
        let (done, wait) = unbounded();
        if self.tx.send(Msg::Flush(done)).is_ok() {
            let _ = wait.recv();
        }
    }

    /// Closes the queue; the thread rules on what is in it and ends.
    pub fn stop(&self) {
        let mut closed = self.closed.lock();
        *closed = true;
        let _ = self.tx.send(Msg::Stop);
    }

    /// `false` on `Stop`.
    fn handle(&self, msg: Msg, source: &mut TraceSource) -> bool {
        match msg {
            Msg::Suspect(s) => {
                let trace = source(&s.call_id);
                self.rule(&s, trace);
            }
            Msg::Flush(done) => {
                let _ = done.send(());
            }
            Msg::Stop => return false,
        }
        true
    }

    fn rule(&self, s: &Suspect, trace: Result<String, String>) {
        let verdict = match trace {
            Ok(text) => judge(&text, s),
            Err(why) => Verdict::Unknown(format!("no trace: {why}")),
        };
        let mut stats = self.stats.lock();
        stats.suspects += 1;
        match verdict {
            Verdict::Crossing {
                sent_us,
                received_us,
            } => {
                stats.wire_delay += 1;
                if stats.examples.len() < EXAMPLES {
                    stats.examples.push(crossing_text(s, sent_us, received_us));
                }
            }
            Verdict::HadError {
                sent_us,
                received_us,
            } => {
                stats.had_error += 1;
                drop(stats);
                self.hub.violations.report(
                    "retrieve-after-callerror",
                    format!(
                        "{}; in the engine's trace, after the {}: CallError taken in at {}, then RetrieveCall sent at {}",
                        s.text,
                        s.request.as_str(),
                        ms(received_us),
                        ms(sent_us)
                    ),
                );
            }
            Verdict::NotOnTimer {
                sent_us,
                received_us,
                cause,
            } if cause.starts_with("S->I CallStatus") && !s.status_since_request => {
                stats.status_crossing += 1;
                if stats.examples.len() < EXAMPLES {
                    stats.examples.push(format!(
                        "{}; RetrieveCall sent at {} on {cause}, written by the server before it read the {} ({})",
                        s.text,
                        ms(sent_us),
                        s.request.as_str(),
                        taken_in(received_us)
                    ));
                }
            }
            Verdict::NotOnTimer {
                sent_us,
                received_us,
                cause,
            } => {
                stats.not_on_timer += 1;
                drop(stats);
                self.hub.violations.report(
                    "retrieve-after-callerror",
                    format!(
                        "{}; in the engine's trace, after the {}: RetrieveCall sent at {} on {cause}, not on a timer, while the answer could still come ({})",
                        s.text,
                        s.request.as_str(),
                        ms(sent_us),
                        taken_in(received_us)
                    ),
                );
            }
            Verdict::Unknown(why) => {
                stats.unknown += 1;
                let key = if stats.unknown_why.len() < REASONS
                    || stats.unknown_why.iter().any(|(w, _)| *w == why)
                {
                    why.clone()
                } else {
                    "other".to_string()
                };
                match stats.unknown_why.iter_mut().find(|(w, _)| *w == key) {
                    Some((_, n)) => *n += 1,
                    None => stats.unknown_why.push((key, 1)),
                }
                drop(stats);
                self.hub.violations.report(
                    "retrieve-after-callerror",
                    format!(
                        "{}; judged on the wire alone, the engine's trace cannot tell: {why}",
                        s.text
                    ),
                );
            }
        }
    }
}

fn taken_in(received_us: Option<u64>) -> String {
    match received_us {
        Some(us) => format!("CallError taken in at {}", ms(us)),
        None => "CallError not taken in when the trace was read".into(),
    }
}

fn crossing_text(s: &Suspect, sent_us: u64, received_us: Option<u64>) -> String {
    let wire_ms = |d: std::time::Duration| d.saturating_sub(s.request_at).as_millis();
    format!(
        "{} operation #{}: engine sent {} ReqId={}, RetrieveCall on its timer at {}, {}; the simulator queued the CallError at +{} ms and read the RetrieveCall at +{} ms after it read the request",
        s.call_id,
        s.op,
        s.request.as_str(),
        s.request_req_id.map_or("-".into(), |n| n.to_string()),
        ms(sent_us),
        taken_in(received_us),
        wire_ms(s.error_at),
        wire_ms(s.retrieve_at)
    )
}
