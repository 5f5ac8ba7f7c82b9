//! The wire audits, fed by the simulator's observer with every frame in
//! both directions as the simulator records it (its own record is switched
//! off: `record_limit=0`, so nothing piles up there).
//!
//! Per call the engine's requests are cut into operations at each start
//! request (`OneStepConf`, `OneStepXfer`, `InitConf`, `InitXfer`). Within
//! one operation, in the order the engine wrote its requests:
//! - `retrieve-after-callerror`: no `RetrieveCall` after an `InitConf`,
//!   `InitXfer`, `CompleteConf` or `CompleteXfer` that the server answered
//!   with `CallError` (matched by the echoed `ReqId`; without one, by
//!   `FailedReq`). The check is made when the later of the two frames is
//!   seen, so it does not depend on which of the simulator's threads
//!   recorded first. Two crossings are excused and counted: the one
//!   `RetrieveCall` of a `consult_cancel` the application had accepted for
//!   that operation, and a `RetrieveCall` written a timer's length after the
//!   request when the CallError was written at most `CROSSING_WINDOW`
//!   before it (the engine's own timeout crossing a late answer). Any
//!   other such `RetrieveCall` is a suspect for the referee (`referee.rs`),
//!   which rules by the engine's own trace of the call: excused when the
//!   engine sent it on one of its timers before it took in the `CallError`
//!   (the two crossed on the way), a violation otherwise.
//! - `one-retrieve-per-op`: at most one `RetrieveCall`, none in a one-step
//!   operation.
//!
//! Per-call state lives while the call does and is swept (every second)
//! once untouched for a while, so memory stays bounded however long the
//! soak runs.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use ivrconf::sim::{Dir, Record};
use ivrconf::wire::{Body, FailedReq};

use crate::engine_view::Suspect;
use crate::hub::Hub;
use crate::referee::Referee;

/// How close before the RetrieveCall a CallError must have been written
/// for the two to have crossed on the wire (the engine could not have had
/// it). Loopback transit plus scheduling on a loaded machine.
const CROSSING_WINDOW: Duration = Duration::from_millis(100);

/// A request of the current operation that a CallError may answer.
#[derive(Debug)]
struct Request {
    pos: u64,
    at: Duration,
    req_id: Option<u32>,
    name: FailedReq,
    /// The CallError that answered it.
    error: Option<String>,
    /// When the simulator wrote that CallError, and its ReqId and FailedReq.
    error_at: Duration,
    error_req_id: Option<u32>,
    error_failed_req: FailedReq,
    /// The call's `CallStatus` count from the server when it read this.
    statuses: u64,
}

impl Request {
    fn new(pos: u64, at: Duration, req_id: Option<u32>, name: FailedReq, statuses: u64) -> Request {
        Request {
            pos,
            at,
            req_id,
            name,
            error: None,
            error_at: Duration::ZERO,
            error_req_id: None,
            error_failed_req: FailedReq::Unknown,
            statuses,
        }
    }
}

#[derive(Debug)]
struct Retrieve {
    pos: u64,
    at: Duration,
    req_id: Option<u32>,
    judged: bool,
    /// The call's `CallStatus` count from the server when it read this.
    statuses: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenState {
    Pending,
    Accepted,
    Refused,
}

/// A `consult_cancel` call: issued before the call, settled after it.
#[derive(Debug)]
struct Token {
    id: u64,
    op: u32,
    state: TokenState,
    /// The suspect this token excuses if the cancel was accepted.
    excusing: Option<Suspect>,
}

#[derive(Debug)]
struct CallWire {
    /// Start requests seen (the driver counts its accepted starts alike).
    op: u32,
    one_step: bool,
    /// Frames the engine wrote for this call.
    pos: u64,
    /// `CallStatus` frames the server wrote for this call.
    statuses: u64,
    requests: Vec<Request>,
    retrieves: Vec<Retrieve>,
    tokens: Vec<Token>,
    touched: Instant,
    /// The server ended the call (`EndCall` from it): only frames already
    /// in flight can still come.
    ended_by_server: bool,
    /// The last frames of the call, both ways, for the violation text.
    history: VecDeque<String>,
}

/// Frames kept per call for the violation text.
const HISTORY: usize = 12;

impl CallWire {
    fn new() -> CallWire {
        CallWire {
            op: 0,
            one_step: false,
            pos: 0,
            statuses: 0,
            requests: Vec::new(),
            retrieves: Vec::new(),
            tokens: Vec::new(),
            touched: Instant::now(),
            ended_by_server: false,
            history: VecDeque::new(),
        }
    }

    fn remember(&mut self, dir: Dir, body: &Body, at: Duration) {
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        let arrow = match dir {
            Dir::ToServer => "I->S",
            Dir::FromServer => "S->I",
        };
        let detail = match body {
            Body::CallStatus(s) => format!(" {}", s.event),
            Body::CallError(e) => format!(
                " {}/{}",
                e.failed_req.as_deref().unwrap_or("-"),
                e.req_id.as_deref().unwrap_or("-")
            ),
            Body::InitConf(r) | Body::InitXfer(r) | Body::OneStepConf(r) | Body::OneStepXfer(r) => {
                format!(" {}/{}", r.dest_dn, r.req_id.as_deref().unwrap_or("-"))
            }
            Body::CompleteConf(r) | Body::CompleteXfer(r) | Body::RetrieveCall(r) => {
                format!(" {}", r.req_id.as_deref().unwrap_or("-"))
            }
            _ => String::new(),
        };
        self.history.push_back(format!(
            "{}ms {arrow} {}{detail}",
            at.as_millis(),
            body.name()
        ));
    }
}

/// Counters for the report.
#[derive(Debug, Default, Clone)]
pub struct WireStats {
    pub to_server: u64,
    pub from_server: u64,
    pub retrieves: u64,
    pub call_errors: u64,
    /// Init/complete requests answered by CallError.
    pub errored_requests: u64,
    pub excused_cancel: u64,
    pub excused_timer: u64,
    pub calls_tracked_max: usize,
}

struct Inner {
    calls: HashMap<String, CallWire>,
    next_token: u64,
    stats: WireStats,
}

pub struct WireAudit {
    inner: Mutex<Inner>,
    hub: Arc<Hub>,
    referee: Arc<Referee>,
    /// A RetrieveCall written this long after the request is the engine's
    /// own timer firing (excused when it crosses a late CallError).
    timer_crossing: Duration,
}

fn is_consult_request(name: FailedReq) -> bool {
    matches!(
        name,
        FailedReq::InitConf
            | FailedReq::InitXfer
            | FailedReq::CompleteConf
            | FailedReq::CompleteXfer
    )
}

fn req_id(text: &Option<String>) -> Option<u32> {
    text.as_deref().and_then(|t| t.trim().parse().ok())
}

impl WireAudit {
    pub fn new(hub: Arc<Hub>, referee: Arc<Referee>, timer_crossing: Duration) -> WireAudit {
        WireAudit {
            inner: Mutex::new(Inner {
                calls: HashMap::new(),
                next_token: 1,
                stats: WireStats::default(),
            }),
            hub,
            referee,
            timer_crossing,
        }
    }

    pub fn stats(&self) -> WireStats {
        self.inner.lock().stats.clone()
    }

    /// The simulator's observer.
    pub fn observe(&self, rec: &Record) {
        let mut guard = self.inner.lock();
        let inner = &mut *guard;
        match rec.dir {
            Dir::ToServer => inner.stats.to_server += 1,
            Dir::FromServer => inner.stats.from_server += 1,
        }
        let Some(msg) = rec.message.as_ref() else {
            return;
        };
        let Some(call_id) = msg.call_id.as_deref() else {
            return;
        };
        match rec.dir {
            Dir::ToServer => self.engine_wrote(inner, call_id, &msg.body, rec.at),
            Dir::FromServer => {
                if let Some(call) = inner.calls.get_mut(call_id) {
                    call.remember(rec.dir, &msg.body, rec.at);
                    if let Body::CallStatus(_) = msg.body {
                        call.statuses += 1;
                    }
                    if let Body::EndCall(_) = msg.body {
                        call.ended_by_server = true;
                    }
                }
                if let Body::CallError(err) = &msg.body {
                    inner.stats.call_errors += 1;
                    // Events for unknown ids never create an entry.
                    if let Some(call) = inner.calls.get_mut(call_id) {
                        call.touched = Instant::now();
                        let text = format!(
                            "CallError FailedReq={} ReqId={}",
                            err.failed_req.as_deref().unwrap_or("-"),
                            err.req_id.as_deref().unwrap_or("-")
                        );
                        let hit = match err.req_id() {
                            Some(n) => call.requests.iter_mut().find(|r| r.req_id == Some(n)),
                            None => call
                                .requests
                                .iter_mut()
                                .rev()
                                .find(|r| r.name == err.failed_req()),
                        };
                        if let Some(req) = hit.filter(|r| is_consult_request(r.name)) {
                            if req.error.is_none() {
                                inner.stats.errored_requests += 1;
                                req.error = Some(text);
                                req.error_at = rec.at;
                                req.error_req_id = err.req_id();
                                req.error_failed_req = err.failed_req();
                                self.judge(&mut inner.stats, call_id, call);
                            }
                        }
                    }
                }
            }
        }
        inner.stats.calls_tracked_max = inner.stats.calls_tracked_max.max(inner.calls.len());
    }

    fn engine_wrote(&self, inner: &mut Inner, call_id: &str, body: &Body, at: Duration) {
        if let Body::EndCall(_) = body {
            // The engine writes nothing more for this id.
            inner.calls.remove(call_id);
            return;
        }
        let call = inner
            .calls
            .entry(call_id.to_string())
            .or_insert_with(CallWire::new);
        call.touched = Instant::now();
        call.remember(Dir::ToServer, body, at);
        call.pos += 1;
        let pos = call.pos;
        match body {
            Body::NewCall(_) => {
                let tokens = std::mem::take(&mut call.tokens);
                let history = std::mem::take(&mut call.history);
                let statuses = call.statuses;
                *call = CallWire::new();
                call.tokens = tokens;
                call.history = history;
                call.pos = pos;
                call.statuses = statuses;
            }
            Body::OneStepConf(r) | Body::OneStepXfer(r) | Body::InitConf(r) | Body::InitXfer(r) => {
                call.op += 1;
                call.one_step = matches!(body, Body::OneStepConf(_) | Body::OneStepXfer(_));
                let name = FailedReq::parse(body.name());
                let request = Request::new(pos, at, req_id(&r.req_id), name, call.statuses);
                call.requests = vec![request];
                call.retrieves.clear();
                let op = call.op;
                call.tokens.retain(|t| t.op >= op);
            }
            Body::CompleteConf(r) | Body::CompleteXfer(r) => {
                let name = FailedReq::parse(body.name());
                let request = Request::new(pos, at, req_id(&r.req_id), name, call.statuses);
                call.requests.push(request);
            }
            Body::RetrieveCall(r) => {
                inner.stats.retrieves += 1;
                if call.op > 0 && call.one_step {
                    self.hub.violations.report(
                        "one-retrieve-per-op",
                        format!(
                            "{call_id}: RetrieveCall during one-step operation #{}",
                            call.op
                        ),
                    );
                }
                if !call.retrieves.is_empty() {
                    self.hub.violations.report(
                        "one-retrieve-per-op",
                        format!("{call_id}: second RetrieveCall in operation #{}", call.op),
                    );
                }
                call.retrieves.push(Retrieve {
                    pos,
                    at,
                    req_id: req_id(&r.req_id),
                    judged: false,
                    statuses: call.statuses,
                });
                self.judge(&mut inner.stats, call_id, call);
            }
            _ => {}
        }
    }

    /// Every RetrieveCall written after a request that got CallError, not
    /// yet judged: excused, or a suspect for the referee.
    fn judge(&self, stats: &mut WireStats, call_id: &str, call: &mut CallWire) {
        for ret in call.retrieves.iter_mut().filter(|r| !r.judged) {
            let Some(req) = call
                .requests
                .iter()
                .find(|q| q.error.is_some() && q.pos < ret.pos)
            else {
                continue;
            };
            ret.judged = true;
            let history: Vec<&str> = call.history.iter().map(String::as_str).collect();
            let text = format!(
                "{call_id}: RetrieveCall written after {} (operation #{}) was answered by {}; last frames: {}",
                req.name.as_str(),
                call.op,
                req.error.as_deref().unwrap_or(""),
                history.join(", ")
            );
            let timer_fired = ret.at.saturating_sub(req.at) >= self.timer_crossing;
            let error_late = req.error_at + CROSSING_WINDOW >= ret.at;
            if timer_fired && error_late {
                stats.excused_timer += 1;
                continue;
            }
            let op = call.op;
            let suspect = Suspect {
                call_id: call_id.to_string(),
                op,
                request: req.name,
                request_req_id: req.req_id,
                error_req_id: req.error_req_id,
                error_failed_req: req.error_failed_req,
                retrieve_req_id: ret.req_id,
                request_at: req.at,
                error_at: req.error_at,
                retrieve_at: ret.at,
                status_since_request: ret.statuses > req.statuses,
                text,
            };
            let token = call
                .tokens
                .iter_mut()
                .find(|t| t.op == op && t.excusing.is_none() && t.state != TokenState::Refused);
            match token {
                Some(t) if t.state == TokenState::Accepted => {
                    t.excusing = Some(suspect);
                    stats.excused_cancel += 1;
                }
                // Settled when consult_cancel returns.
                Some(t) => t.excusing = Some(suspect),
                None => self.referee.submit(suspect),
            }
        }
    }

    /// Before `consult_cancel` for the `op`-th operation of `call_id`.
    pub fn cancel_begin(&self, call_id: &str, op: u32) -> u64 {
        let mut guard = self.inner.lock();
        let inner = &mut *guard;
        let id = inner.next_token;
        inner.next_token += 1;
        let call = inner
            .calls
            .entry(call_id.to_string())
            .or_insert_with(CallWire::new);
        call.tokens.push(Token {
            id,
            op,
            state: TokenState::Pending,
            excusing: None,
        });
        id
    }

    /// After `consult_cancel` returned (`accepted`: `IVRCONF_OK`).
    pub fn cancel_end(&self, call_id: &str, token: u64, accepted: bool) {
        let mut guard = self.inner.lock();
        let inner = &mut *guard;
        let Some(call) = inner.calls.get_mut(call_id) else {
            return;
        };
        let Some(t) = call.tokens.iter_mut().find(|t| t.id == token) else {
            return;
        };
        t.state = if accepted {
            TokenState::Accepted
        } else {
            TokenState::Refused
        };
        if let Some(suspect) = t.excusing.clone() {
            if accepted {
                inner.stats.excused_cancel += 1;
            } else {
                self.referee.submit(suspect);
            }
        }
    }

    /// Forgets calls the engine will write nothing more for: untouched for
    /// `ended_idle` after the server ended them, or for `idle` otherwise
    /// (ended by a `Released`, or locally while disconnected), unless a
    /// cancel is still being settled.
    pub fn sweep(&self, ended_idle: Duration, idle: Duration) {
        self.inner.lock().calls.retain(|_, c| {
            let limit = if c.ended_by_server { ended_idle } else { idle };
            c.touched.elapsed() < limit || c.tokens.iter().any(|t| t.state == TokenState::Pending)
        });
    }
}
