//! A checker for the five invariants of FLOWS.md, fed everything a flow
//! emits and everything the server sent, in the order it happened.
//!
//! Public (not test-only) so that the end-to-end tests over TCP run it on a
//! real engine: `tests/common/checker.rs` feeds it every run built with
//! `Harness::new` (all of `tests/engine_flows.rs`) from the simulator's record of the wire and the
//! application's events, merged into one causally ordered stream (how, and
//! why that order is sound, is argued there). The flow tests
//! (`tests/flow_support`) feed it a bare `Flow` directly. It re-derives
//! what it needs from the outputs alone (op ids, M5 ownership of
//! CallErrors, timer owners) instead of asking the flow, so a bug in the
//! flow cannot hide itself from the check.
//!
//! Seen from outside the engine there are no `SetTimer`/`CancelTimer`
//! outputs and the clock is the simulator's, so the end-to-end run checks
//! invariants 1, 2, 3 and 5 (within the limits stated there) and, of 4,
//! only the deadline of ops (with slack for scheduling); the timer half of
//! 4 is checked by the flow tests.
//!
//! How to feed it: `observe_link(true)` when the session comes up;
//! `advance(now)` whenever the clock moves; `observe_received(msg)` before
//! the flow gets `msg`; `observe_timer_fired(id)` before the flow gets the
//! expiry; then every output of that input, in order, with
//! `observe_output`. It relies on the flow's documented output order: a
//! `SetTimer` follows an output (message or event) of the call it belongs
//! to.
//!
//! The checks, by invariant:
//! 1. every OPERATION_DONE names the op in flight on its call (op ids are
//!    numbered from 1 in the order the start requests go out) and comes
//!    once; a call ends only after its op; ops in flight when the link drops
//!    end LINK_LOST before anything else is observed.
//! 2. no `RetrieveCall` after a `CallError` that M5 gives to the op, and
//!    such an error ends the op FAILED or RETRIEVE_FAILED (or BUSY, when
//!    the server sent `Busy` after a complete: M1). Nor a `RetrieveCall`
//!    while a complete is outstanding and not yet timed out: the server
//!    answers the complete first, and a CallError for it restores the call
//!    (R3), so the retrieve would reach the server after that CallError.
//! 3. at most one `RetrieveCall` per op, none for one-step ops, and exactly
//!    one before BUSY, NO_ANSWER, CONSULT_RELEASED, a consult TIMEOUT or
//!    RETRIEVE_FAILED, unless the server had already sent `Retrieved`
//!    (then none is needed; FLOWS.md M4).
//! 4. no op stays open longer than `request_timeout_ms +
//!    no_answer_timeout_ms` after its last request (time spent waiting in
//!    CONSULT_ESTABLISHED restarts the count); no timer is live for a call
//!    without an op, except one for a TRANSFERRED call; none when the call
//!    ends.
//! 5. each documented `CallStatus` received for a live call is reported as
//!    CALL_STATUS, in order, before the next server message, and before the
//!    op's OPERATION_DONE or the CALL_ENDED it causes; no event for a call
//!    that was not announced or has ended.
//!
//! And M4's naming of a silent consult: NO_ANSWER only after the server
//! sent some CallStatus for the op (with none at all it is TIMEOUT,
//! whichever timer fired first).

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::types::{
    CallEvent, CallEventKind, CallState, FlowConfig, Millis, OpId, OpKind, Outcome, Output, TimerId,
};
use crate::wire::{Body, CallError, FailedReq, Message, StatusEvent};

/// An op as seen from the outside.
#[derive(Debug)]
struct OpTrack {
    id: OpId,
    kind: OpKind,
    /// (ReqId written, request) for every request the op sent.
    requests: Vec<(Option<u32>, FailedReq)>,
    /// When the op's count towards invariant 4 started.
    since: Millis,
    /// Waiting in CONSULT_ESTABLISHED for the application.
    waiting: bool,
    retrieves: u32,
    /// A CallError that M5 gives to this op was received.
    errored: bool,
    /// The server sent Retrieved while the op was in flight.
    retrieved: bool,
    /// The server sent some documented CallStatus before the op's second
    /// request (the reaction to its start request).
    reacted: bool,
    /// When the op's complete went out.
    complete_at: Option<Millis>,
    /// The server sent Busy after the complete went out.
    busy_after_complete: bool,
    /// The link dropped while the op was in flight.
    link_lost: bool,
    overdue_reported: bool,
}

impl OpTrack {
    fn is_consult(&self) -> bool {
        matches!(
            self.kind,
            OpKind::ConferenceConsult | OpKind::TransferConsult
        )
    }
}

#[derive(Debug, Default)]
struct CallTrack {
    /// Documented statuses received and not yet reported.
    unreported: VecDeque<StatusEvent>,
    op: Option<OpTrack>,
    state: Option<CallState>,
}

/// Checks FLOWS.md invariants 1-5 on an output stream; see the module doc.
#[derive(Debug)]
pub struct Checker {
    request_timeout_ms: u64,
    no_answer_timeout_ms: u64,
    by_req_id: bool,
    now: Millis,
    link_up: bool,
    calls: HashMap<String, CallTrack>,
    /// Op ids that got their OPERATION_DONE.
    done: Vec<OpId>,
    next_op: OpId,
    /// Live timers and the call each belongs to.
    timers: BTreeMap<TimerId, String>,
    /// The call of the latest message or event (owner of a following SetTimer).
    current: Option<String>,
    violations: Vec<String>,
}

impl Checker {
    pub fn new(config: &FlowConfig) -> Checker {
        Checker {
            request_timeout_ms: config.request_timeout_ms,
            no_answer_timeout_ms: config.no_answer_timeout_ms,
            by_req_id: config.send_req_id,
            now: 0,
            link_up: false,
            calls: HashMap::new(),
            done: Vec::new(),
            next_op: 1,
            timers: BTreeMap::new(),
            current: None,
            violations: Vec::new(),
        }
    }

    /// Everything found so far, one line each.
    pub fn violations(&self) -> &[String] {
        &self.violations
    }

    /// Panics with every violation found so far.
    pub fn assert_ok(&self) {
        assert!(
            self.violations.is_empty(),
            "FLOWS.md invariants violated:\n{}",
            self.violations.join("\n")
        );
    }

    fn violation(&mut self, text: String) {
        self.violations.push(format!("t={}: {text}", self.now));
    }

    /// The clock moved to `now`.
    pub fn advance(&mut self, now: Millis) {
        self.settle();
        self.now = now;
        let limit = self.request_timeout_ms + self.no_answer_timeout_ms;
        let mut overdue = Vec::new();
        for (call_id, call) in self.calls.iter_mut() {
            if let Some(op) = call.op.as_mut() {
                if !op.waiting && !op.overdue_reported && now > op.since + limit {
                    op.overdue_reported = true;
                    overdue.push(format!(
                        "inv 4: op {} on {call_id} still open {} ms after its last request",
                        op.id,
                        now - op.since
                    ));
                }
            }
        }
        for text in overdue {
            self.violation(text);
        }
    }

    /// The session came up (`true`) or the link was lost (`false`); call
    /// before the flow hears of it.
    pub fn observe_link(&mut self, up: bool) {
        self.settle();
        self.link_up = up;
        if !up {
            for call in self.calls.values_mut() {
                if let Some(op) = call.op.as_mut() {
                    op.link_lost = true;
                }
            }
        }
    }

    /// A timer was handed to the flow as expired.
    pub fn observe_timer_fired(&mut self, timer: TimerId) {
        self.settle();
        self.timers.remove(&timer);
    }

    /// A message from the server, before the flow gets it.
    pub fn observe_received(&mut self, msg: &Message) {
        self.settle();
        let by_req_id = self.by_req_id;
        let Some(call) = msg.call_id.as_deref().and_then(|id| self.calls.get_mut(id)) else {
            return;
        };
        match &msg.body {
            Body::CallStatus(status) => {
                if let Some(event) = status.event() {
                    call.unreported.push_back(event);
                    if let Some(op) = call.op.as_mut().filter(|op| op.requests.len() == 1) {
                        op.reacted = true;
                    }
                    match (event, call.op.as_mut()) {
                        (StatusEvent::Retrieved, Some(op)) => op.retrieved = true,
                        (StatusEvent::Busy, Some(op)) if op.complete_at.is_some() => {
                            op.busy_after_complete = true;
                        }
                        _ => {}
                    }
                }
            }
            Body::CallError(err) => {
                if let Some(op) = call.op.as_mut() {
                    if belongs(op, err, by_req_id) {
                        op.errored = true;
                    }
                }
            }
            _ => {}
        }
    }

    /// One output of the flow, in order.
    pub fn observe_output(&mut self, output: &Output) {
        match output {
            Output::Send(msg) => self.sent(msg),
            Output::Event(ev) => self.event(ev),
            Output::SetTimer { timer, .. } => match self.current.clone() {
                Some(call_id) => {
                    let has_op = self.calls.get(&call_id).is_some_and(|c| c.op.is_some());
                    let transferred = self
                        .calls
                        .get(&call_id)
                        .is_some_and(|c| c.state == Some(CallState::Transferred));
                    if !has_op && !transferred {
                        self.violation(format!(
                            "inv 4: timer {timer:?} set for {call_id} with no op in flight"
                        ));
                    }
                    self.timers.insert(*timer, call_id);
                }
                None => self.violation(format!("timer {timer:?} set before any call output")),
            },
            Output::CancelTimer(timer) => {
                if self.timers.remove(timer).is_none() {
                    self.violation(format!("cancel of timer {timer:?}, which is not live"));
                }
            }
        }
    }

    /// Ops that had to end LINK_LOST at once.
    fn settle(&mut self) {
        let mut stuck = Vec::new();
        for (call_id, call) in &self.calls {
            if let Some(op) = call.op.as_ref().filter(|op| op.link_lost) {
                stuck.push(format!(
                    "inv 1: op {} on {call_id} outlived the link",
                    op.id
                ));
            }
            if !call.unreported.is_empty() {
                stuck.push(format!(
                    "inv 5: {call_id}: CallStatus {:?} received but never reported",
                    call.unreported
                ));
            }
        }
        for call in self.calls.values_mut() {
            call.unreported.clear();
            if call.op.as_ref().is_some_and(|op| op.link_lost) {
                call.op = None;
            }
        }
        for text in stuck {
            self.violation(text);
        }
    }

    fn sent(&mut self, msg: &Message) {
        let Some(call_id) = msg.call_id.clone() else {
            self.violation(format!("{} sent without a call id", msg.name()));
            return;
        };
        if !self.link_up {
            self.violation(format!(
                "{} for {call_id} sent while the link is down",
                msg.name()
            ));
        }
        self.current = Some(call_id.clone());
        let now = self.now;
        let start = match &msg.body {
            Body::OneStepConf(r) => {
                Some((OpKind::ConferenceOneStep, FailedReq::OneStepConf, &r.req_id))
            }
            Body::OneStepXfer(r) => {
                Some((OpKind::TransferOneStep, FailedReq::OneStepXfer, &r.req_id))
            }
            Body::InitConf(r) => Some((OpKind::ConferenceConsult, FailedReq::InitConf, &r.req_id)),
            Body::InitXfer(r) => Some((OpKind::TransferConsult, FailedReq::InitXfer, &r.req_id)),
            _ => None,
        };
        let follow_up = match &msg.body {
            Body::CompleteConf(r) => Some((FailedReq::CompleteConf, &r.req_id)),
            Body::CompleteXfer(r) => Some((FailedReq::CompleteXfer, &r.req_id)),
            Body::RetrieveCall(r) => Some((FailedReq::RetrieveCall, &r.req_id)),
            _ => None,
        };
        if let Body::NewCall(_) = msg.body {
            if self.calls.contains_key(&call_id) {
                self.violation(format!("NewCall for {call_id}, which is live"));
            }
            self.calls.insert(call_id, CallTrack::default());
            return;
        }
        let mut found = Vec::new();
        let Some(call) = self.calls.get_mut(&call_id) else {
            self.violation(format!(
                "{} sent for {call_id}, which is not live",
                msg.name()
            ));
            return;
        };
        if let Some((kind, req, req_id)) = start {
            if call.op.is_some() {
                found.push(format!(
                    "{} for {call_id} while an op is in flight",
                    msg.name()
                ));
            }
            call.op = Some(OpTrack {
                id: self.next_op,
                kind,
                requests: vec![(parse_req_id(req_id), req)],
                since: now,
                waiting: false,
                retrieves: 0,
                errored: false,
                retrieved: false,
                reacted: false,
                complete_at: None,
                busy_after_complete: false,
                link_lost: false,
                overdue_reported: false,
            });
            self.next_op += 1;
        }
        if let Some((req, req_id)) = follow_up {
            match call.op.as_mut() {
                None => found.push(format!("{} for {call_id} with no op in flight", msg.name())),
                Some(op) => {
                    op.requests.push((parse_req_id(req_id), req));
                    op.since = now;
                    op.waiting = false;
                    if matches!(req, FailedReq::CompleteConf | FailedReq::CompleteXfer) {
                        op.complete_at = Some(now);
                    }
                    if req == FailedReq::RetrieveCall {
                        let complete_due = op
                            .complete_at
                            .map(|at| at.saturating_add(self.request_timeout_ms));
                        if complete_due.is_some_and(|due| now < due) {
                            found.push(format!(
                                "inv 2: RetrieveCall for {call_id} while the complete of op {} is outstanding (its CallError would come first, R3/R4)",
                                op.id
                            ));
                        }
                        op.retrieves += 1;
                        if op.errored {
                            found.push(format!(
                                "inv 2: RetrieveCall for {call_id} after a CallError of op {}",
                                op.id
                            ));
                        }
                        if !op.is_consult() {
                            found.push(format!(
                                "inv 3: RetrieveCall for one-step op {} on {call_id}",
                                op.id
                            ));
                        }
                        if op.retrieves > 1 {
                            found.push(format!(
                                "inv 3: second RetrieveCall for op {} on {call_id}",
                                op.id
                            ));
                        }
                    }
                }
            }
        }
        for text in found {
            self.violation(text);
        }
    }

    fn event(&mut self, ev: &CallEvent) {
        let call_id = ev.call_id.to_string();
        self.current = Some(call_id.clone());
        let live_timers = self.timers.values().filter(|c| **c == call_id).count();
        let now = self.now;
        let Some(call) = self.calls.get_mut(&call_id) else {
            self.violation(format!(
                "{:?} event for {call_id}, which is not live",
                ev.kind
            ));
            return;
        };
        let mut found = Vec::new();
        coherence(ev, &mut found);
        call.state = Some(ev.state);
        match ev.kind {
            CallEventKind::CallStatus => {
                let expected = call.unreported.pop_front();
                if expected != ev.status {
                    found.push(format!(
                        "inv 5: {call_id}: CALL_STATUS {:?} reported, {:?} was next from the server",
                        ev.status, expected
                    ));
                }
                let open = call.op.as_ref().map_or(0, |op| op.id);
                if ev.op_id != open {
                    found.push(format!(
                        "CALL_STATUS on {call_id} names op {}, op {open} is in flight",
                        ev.op_id
                    ));
                }
                if let Some(op) = call.op.as_mut() {
                    let waiting = ev.state == CallState::ConsultEstablished;
                    if op.waiting && !waiting {
                        op.since = now;
                    }
                    op.waiting = waiting;
                }
            }
            CallEventKind::OperationDone => {
                if !call.unreported.is_empty() {
                    found.push(format!(
                        "inv 5: {call_id}: OPERATION_DONE before CallStatus {:?}",
                        call.unreported
                    ));
                }
                match call.op.take() {
                    None => found.push(format!(
                        "inv 1: OPERATION_DONE op {} on {call_id} with no op in flight",
                        ev.op_id
                    )),
                    Some(op) => {
                        if op.id != ev.op_id || Some(op.kind) != ev.op_kind {
                            found.push(format!(
                                "inv 1: OPERATION_DONE names op {} {:?}, op {} {:?} is in flight on {call_id}",
                                ev.op_id, ev.op_kind, op.id, op.kind
                            ));
                        }
                        check_outcome(&op, ev, &call_id, &mut found);
                        let allowed = usize::from(ev.state == CallState::Transferred);
                        if live_timers > allowed {
                            found.push(format!(
                                "inv 4: op {} on {call_id} ended with {live_timers} timer(s) live",
                                op.id
                            ));
                        }
                    }
                }
                if self.done.contains(&ev.op_id) {
                    found.push(format!("inv 1: second OPERATION_DONE for op {}", ev.op_id));
                }
                self.done.push(ev.op_id);
            }
            CallEventKind::CallEnded => {
                if let Some(op) = &call.op {
                    found.push(format!(
                        "inv 1: {call_id} ended with op {} in flight",
                        op.id
                    ));
                }
                if !call.unreported.is_empty() {
                    found.push(format!(
                        "inv 5: {call_id}: CALL_ENDED before CallStatus {:?}",
                        call.unreported
                    ));
                }
                if live_timers > 0 {
                    found.push(format!(
                        "inv 4: {call_id} ended with {live_timers} timer(s) live"
                    ));
                }
                self.calls.remove(&call_id);
            }
        }
        for text in found {
            self.violation(text);
        }
    }
}

/// The outcome of an op against what it sent and received (inv. 1-3).
fn check_outcome(op: &OpTrack, ev: &CallEvent, call_id: &str, found: &mut Vec<String>) {
    let outcome = ev.outcome;
    // M1: after Busy on a blind complete the complete's CallError ends
    // the op BUSY; the server restored the call, no retrieve is owed.
    let busy_by_error = outcome == Some(Outcome::Busy) && op.errored && op.busy_after_complete;
    if op.link_lost && outcome != Some(Outcome::LinkLost) {
        found.push(format!(
            "inv 1: op {} on {call_id} ended {outcome:?} after the link dropped",
            op.id
        ));
    }
    let by_error =
        matches!(outcome, Some(Outcome::Failed | Outcome::RetrieveFailed)) || busy_by_error;
    if op.errored != by_error {
        found.push(format!(
            "inv 2: op {} on {call_id} ended {outcome:?}; a CallError of it was {}received",
            op.id,
            if op.errored { "" } else { "not " }
        ));
    }
    let retrieving = matches!(
        outcome,
        Some(
            Outcome::Busy
                | Outcome::NoAnswer
                | Outcome::ConsultReleased
                | Outcome::Timeout
                | Outcome::RetrieveFailed
        )
    );
    if outcome == Some(Outcome::NoAnswer) && !op.reacted {
        found.push(format!(
            "M4: op {} on {call_id} ended NO_ANSWER though the server never reacted (TIMEOUT)",
            op.id
        ));
    }
    if op.is_consult() && retrieving && !busy_by_error {
        let needed = u32::from(!op.retrieved || outcome == Some(Outcome::RetrieveFailed));
        if op.retrieves < needed {
            found.push(format!(
                "inv 3: op {} on {call_id} ended {outcome:?} without a RetrieveCall",
                op.id
            ));
        }
    }
}

/// Fields an event of its kind must carry, and M1's meaning of the states.
fn coherence(ev: &CallEvent, found: &mut Vec<String>) {
    let ok = match ev.kind {
        CallEventKind::CallStatus => ev.status.is_some() && ev.outcome.is_none(),
        CallEventKind::OperationDone => {
            ev.outcome.is_some() && ev.op_id != 0 && ev.status.is_none()
        }
        CallEventKind::CallEnded => ev.state == CallState::Ended && ev.op_id == 0,
    };
    if !ok {
        found.push(format!("malformed {:?} event: {ev:?}", ev.kind));
    }
    let parties_fit = match ev.state {
        CallState::Active => ev.party_count == 2,
        CallState::Conferenced => ev.party_count >= 3,
        _ => ev.party_count >= 2,
    };
    if !parties_fit {
        found.push(format!(
            "M1: {} with {} parties on {}",
            ev.state, ev.party_count, ev.call_id
        ));
    }
}

/// M5, re-derived from what was on the wire.
fn belongs(op: &OpTrack, err: &CallError, by_req_id: bool) -> bool {
    if let Some(n) = err.req_id().filter(|_| by_req_id) {
        return op.requests.iter().any(|(id, _)| *id == Some(n));
    }
    let failed = err.failed_req();
    matches!(
        failed,
        FailedReq::Unknown | FailedReq::NoSuchCall | FailedReq::NotAllowed
    ) || op.requests.iter().any(|(_, r)| *r == failed)
}

fn parse_req_id(text: &Option<String>) -> Option<u32> {
    text.as_deref().and_then(|t| t.parse().ok())
}

#[cfg(test)]
mod tests {
    //! The checker must catch what it claims to; each test feeds a stream
    //! that breaks one invariant.
    use super::*;
    use crate::wire::{CallStatus, DestRequest, NewCall, PlainRequest};

    const C: &str = "C1";

    fn checker() -> Checker {
        let mut c = Checker::new(&FlowConfig::default());
        c.observe_link(true);
        c.observe_output(&send(Body::NewCall(NewCall::default())));
        c
    }

    fn send(body: Body) -> Output {
        Output::Send(Message::new(C, body))
    }

    fn init(c: &mut Checker) {
        c.observe_output(&send(Body::InitConf(DestRequest {
            dest_dn: "6001".into(),
            req_id: Some("1".into()),
            ..DestRequest::default()
        })));
    }

    fn retrieve() -> Output {
        send(Body::RetrieveCall(PlainRequest {
            req_id: Some("2".into()),
        }))
    }

    fn event(
        kind: CallEventKind,
        status: Option<StatusEvent>,
        outcome: Option<Outcome>,
        op_id: OpId,
    ) -> Output {
        Output::Event(CallEvent {
            kind,
            call_id: C.into(),
            op_id,
            op_kind: (op_id != 0).then_some(OpKind::ConferenceConsult),
            status,
            outcome,
            failed_request: None,
            tlib_error: None,
            state: if kind == CallEventKind::CallEnded {
                CallState::Ended
            } else {
                CallState::Active
            },
            party_count: 2,
            remark: crate::flow::Remark::None,
        })
    }

    fn done(outcome: Outcome) -> Output {
        event(CallEventKind::OperationDone, None, Some(outcome), 1)
    }

    fn received(c: &mut Checker, body: Body) {
        c.observe_received(&Message::new(C, body));
    }

    fn status(c: &mut Checker, e: StatusEvent) {
        received(c, Body::CallStatus(CallStatus::of(e)));
        c.observe_output(&event(CallEventKind::CallStatus, Some(e), None, 1));
    }

    fn found(c: &Checker, what: &str) -> bool {
        c.violations().iter().any(|v| v.contains(what))
    }

    #[test]
    fn a_clean_busy_flow_passes() {
        let mut c = checker();
        init(&mut c);
        status(&mut c, StatusEvent::Busy);
        c.observe_output(&retrieve());
        status(&mut c, StatusEvent::Retrieved);
        c.observe_output(&done(Outcome::Busy));
        c.advance(100_000);
        c.assert_ok();
    }

    #[test]
    fn inv1_second_done_and_done_without_op() {
        let mut c = checker();
        init(&mut c);
        c.observe_output(&done(Outcome::Timeout));
        c.observe_output(&done(Outcome::Timeout));
        assert!(found(&c, "inv 1"), "{:?}", c.violations());
    }

    #[test]
    fn inv2_retrieve_after_call_error() {
        let mut c = checker();
        init(&mut c);
        received(
            &mut c,
            Body::CallError(CallError {
                failed_req: Some("InitConf".into()),
                ..CallError::default()
            }),
        );
        c.observe_output(&retrieve());
        assert!(found(&c, "inv 2"), "{:?}", c.violations());
    }

    fn complete(c: &mut Checker) {
        c.observe_output(&send(Body::CompleteConf(PlainRequest {
            req_id: Some("3".into()),
        })));
    }

    /// M1: Busy after a blind complete; a retrieve now would reach the
    /// server after its CallError for the complete.
    #[test]
    fn inv2_retrieve_while_a_complete_is_outstanding() {
        let mut c = checker();
        init(&mut c);
        complete(&mut c);
        status(&mut c, StatusEvent::Busy);
        c.observe_output(&retrieve());
        assert!(
            found(&c, "complete of op 1 is outstanding"),
            "{:?}",
            c.violations()
        );

        // Once the complete has timed out the retrieve is owed.
        let mut c = checker();
        init(&mut c);
        complete(&mut c);
        status(&mut c, StatusEvent::Busy);
        c.advance(10_000);
        c.observe_output(&retrieve());
        c.assert_ok();
    }

    /// The complete's CallError after Busy ends the op BUSY, with no
    /// retrieve; BUSY without that CallError still needs one.
    #[test]
    fn busy_by_the_completes_call_error() {
        let mut c = checker();
        init(&mut c);
        complete(&mut c);
        status(&mut c, StatusEvent::Busy);
        received(
            &mut c,
            Body::CallError(CallError {
                failed_req: Some("CompleteConf".into()),
                req_id: Some("3".into()),
                ..CallError::default()
            }),
        );
        c.observe_output(&done(Outcome::Busy));
        c.assert_ok();

        let mut c = checker();
        init(&mut c);
        complete(&mut c);
        status(&mut c, StatusEvent::Busy);
        c.observe_output(&done(Outcome::Busy));
        assert!(found(&c, "inv 3"), "{:?}", c.violations());
    }

    #[test]
    fn no_answer_needs_a_reaction() {
        let mut c = checker();
        init(&mut c);
        c.observe_output(&retrieve());
        status(&mut c, StatusEvent::Retrieved);
        c.observe_output(&done(Outcome::NoAnswer));
        assert!(found(&c, "never reacted"), "{:?}", c.violations());

        let mut c = checker();
        init(&mut c);
        status(&mut c, StatusEvent::Ringing);
        c.observe_output(&retrieve());
        status(&mut c, StatusEvent::Retrieved);
        c.observe_output(&done(Outcome::NoAnswer));
        c.assert_ok();
    }

    #[test]
    fn inv3_busy_without_retrieve_and_second_retrieve() {
        let mut c = checker();
        init(&mut c);
        status(&mut c, StatusEvent::Busy);
        c.observe_output(&done(Outcome::Busy));
        assert!(found(&c, "inv 3"), "{:?}", c.violations());
        let mut c = checker();
        init(&mut c);
        c.observe_output(&retrieve());
        c.observe_output(&retrieve());
        assert!(found(&c, "second RetrieveCall"), "{:?}", c.violations());
    }

    #[test]
    fn inv4_overdue_op_and_orphan_timer() {
        let mut c = checker();
        init(&mut c);
        c.advance(40_001);
        assert!(found(&c, "inv 4"), "{:?}", c.violations());
        let mut c = checker();
        c.observe_output(&Output::SetTimer {
            timer: TimerId(1),
            at: 5,
        });
        assert!(found(&c, "inv 4"), "{:?}", c.violations());
    }

    #[test]
    fn inv5_order_and_unreported_status() {
        let mut c = checker();
        init(&mut c);
        received(&mut c, Body::CallStatus(CallStatus::of(StatusEvent::Held)));
        received(
            &mut c,
            Body::CallStatus(CallStatus::of(StatusEvent::Dialing)),
        );
        c.observe_output(&event(
            CallEventKind::CallStatus,
            Some(StatusEvent::Dialing),
            None,
            1,
        ));
        assert!(found(&c, "inv 5"), "{:?}", c.violations());
        let mut c = checker();
        received(&mut c, Body::CallStatus(CallStatus::of(StatusEvent::Held)));
        c.advance(1);
        assert!(found(&c, "never reported"), "{:?}", c.violations());
    }

    #[test]
    fn events_for_calls_never_announced_and_sends_while_down() {
        let mut c = checker();
        c.observe_output(&Output::Event(CallEvent {
            call_id: "other".into(),
            ..match event(CallEventKind::CallEnded, None, None, 0) {
                Output::Event(e) => e,
                _ => unreachable!(),
            }
        }));
        assert!(found(&c, "not live"), "{:?}", c.violations());
        let mut c = checker();
        c.observe_link(false);
        init(&mut c);
        assert!(found(&c, "link is down"), "{:?}", c.violations());
    }
}
