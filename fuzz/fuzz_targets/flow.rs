//! Fuzz target for the flow machine: arbitrary bytes become a run of
//! inputs to one `ivrconf::flow::Flow` (application commands, server
//! messages for known and unknown calls, timer expiries in deadline order
//! with a monotonic clock, link changes, shutdown), and the invariants
//! `Checker` watches every input and output.
//!
//! Fails (panics) on: any invariant violation; `can` disagreeing with the
//! command it predicts; a refused command emitting output; a cancel of a
//! timer the flow never set; a live timer or open op after the clock has run
//! past every deadline; a timer left after shutdown.
//!
//! Byte layout: the first byte picks the timeouts (both orders of
//! `request_timeout_ms` and `no_answer_timeout_ms`, and equal ones) and
//! `send_req_id`; then each action is one opcode byte and its argument
//! bytes (missing bytes read as 0).

#![no_main]

use std::collections::{BTreeMap, HashMap};

use ivrconf::flow::invariants::Checker;
use ivrconf::flow::{CallState, Flow, FlowConfig, Millis, OpKind, Output, Refusal, TimerId};
use ivrconf::wire::{
    Body, CallError, CallStatus, EndCall, FailedReq, KeyValue, Message, StatusEvent,
};
use libfuzzer_sys::fuzz_target;

/// Call ids: three the application may announce, one it never does.
const IDS: [&str; 4] = ["C1", "C2", "C3", "NEVER"];
const REQUEST_MS: [u64; 4] = [500, 2_000, 10_000, 4_000];
const NO_ANSWER_MS: [u64; 4] = [300, 2_000, 30_000, 7_000];

/// Reads argument bytes; past the end every byte is 0.
struct Bytes<'a> {
    data: &'a [u8],
}

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[usize::from(self.byte()) % from.len()]
    }

    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// One flow, its checker, a clock and the timers the flow asked for.
struct Rig {
    flow: Flow,
    checker: Checker,
    now: Millis,
    /// Live timers: id -> due time.
    timers: BTreeMap<TimerId, Millis>,
    /// Timers that fired or were cancelled (for stale expiries).
    retired: Vec<TimerId>,
    /// ReqIds sent per call, newest last (for CallErrors that echo them).
    req_ids: HashMap<String, Vec<String>>,
}

impl Rig {
    fn new(config: FlowConfig) -> Rig {
        Rig {
            checker: Checker::new(&config),
            flow: Flow::new(config),
            now: 0,
            timers: BTreeMap::new(),
            retired: Vec::new(),
            req_ids: HashMap::new(),
        }
    }

    /// Hands every pending output to the checker and the timer wheel.
    fn pump(&mut self) {
        while let Some(out) = self.flow.poll_output() {
            self.checker.observe_output(&out);
            match out {
                Output::Send(msg) => {
                    if let (Some(call), Some(req)) = (msg.call_id.clone(), req_id_of(&msg)) {
                        let ids = self.req_ids.entry(call).or_default();
                        ids.push(req);
                        if ids.len() > 4 {
                            ids.remove(0);
                        }
                    }
                }
                Output::Event(_) => {}
                Output::SetTimer { timer, at } => {
                    assert!(
                        self.timers.insert(timer, at).is_none(),
                        "timer {timer:?} set twice"
                    );
                }
                Output::CancelTimer(timer) => {
                    assert!(
                        self.timers.remove(&timer).is_some(),
                        "cancel of timer {timer:?}, which is not live"
                    );
                    self.retire(timer);
                }
            }
        }
        while self.flow.poll_log().is_some() {}
        let violations = self.checker.violations();
        assert!(
            violations.is_empty(),
            "invariants violated:\n{}",
            violations.join("\n")
        );
    }

    fn retire(&mut self, timer: TimerId) {
        if self.retired.len() >= 8 {
            self.retired.remove(0);
        }
        self.retired.push(timer);
    }

    /// Moves the clock forward (never back).
    fn set_clock(&mut self, t: Millis) {
        self.now = self.now.max(t);
        self.checker.advance(self.now);
    }

    /// Fires the earliest timer (by due time, then id), if any.
    fn fire_next(&mut self) -> bool {
        let Some((at, timer)) = self.timers.iter().map(|(id, at)| (*at, *id)).min() else {
            return false;
        };
        self.set_clock(at);
        self.timers.remove(&timer);
        self.retire(timer);
        self.checker.observe_timer_fired(timer);
        self.flow.on_timer(self.now, timer);
        self.pump();
        true
    }

    /// Moves the clock to `now + ms`, firing every timer due on the way at
    /// its own due time.
    fn advance(&mut self, ms: u64) {
        let until = self.now.saturating_add(ms);
        while self.timers.values().any(|at| *at <= until) {
            self.fire_next();
        }
        self.set_clock(until);
    }

    fn receive(&mut self, call: &str, body: Body) {
        let msg = Message::new(call, body);
        self.checker.observe_received(&msg);
        self.flow.on_message(self.now, &msg);
        self.pump();
    }

    fn link(&mut self, up: bool) {
        self.checker.observe_link(up);
        if up {
            self.flow.link_up(self.now);
        } else {
            self.flow.link_down(self.now);
        }
        self.pump();
    }

    /// A command's result must be what `can` predicted (when given), and a
    /// refusal emits nothing.
    fn command(&mut self, predicted: Option<Result<(), Refusal>>, got: Result<(), Refusal>) {
        if let Some(predicted) = predicted {
            assert_eq!(got, predicted, "`can` disagrees with the command");
        }
        if got.is_err() {
            assert!(
                self.flow.poll_output().is_none(),
                "a refusal emitted output"
            );
        }
        self.pump();
    }

    /// One action; false once the flow is shut down (it takes no more input).
    fn step(&mut self, op: u8, b: &mut Bytes) -> bool {
        let now = self.now;
        match op % 20 {
            0 | 1 => {
                // The last id is never announced.
                let call = b.pick(&IDS[..3]);
                let got = self
                    .flow
                    .call_new(now, call, "5001", None, Some("4155550100"), vec![]);
                self.command(None, got);
            }
            2 => {
                let call = b.pick(&IDS);
                let known = self.flow.call_state(call).is_ok();
                let got = self.flow.call_end(now, call);
                assert_eq!(got.is_ok(), known, "call_end refused a live call");
                self.command(None, got);
                assert!(
                    self.flow.call_state(call).is_err(),
                    "the id is free at once"
                );
            }
            3 | 4 => {
                let call = b.pick(&IDS);
                let kind = b.pick(&OpKind::ALL);
                let predicted = kind.is_start().then(|| self.flow.can(call, kind));
                let udata = vec![KeyValue::str("Reason", "fuzz")];
                let got = self.flow.start(now, call, kind, "6001", udata).map(|_| ());
                self.command(predicted, got);
            }
            5 => {
                let call = b.pick(&IDS);
                let kind = b.pick(&[
                    OpKind::ConferenceComplete,
                    OpKind::TransferComplete,
                    OpKind::ConferenceComplete,
                    OpKind::TransferComplete,
                    OpKind::ConsultCancel,
                ]);
                let predicted = (kind != OpKind::ConsultCancel).then(|| self.flow.can(call, kind));
                let got = self.flow.complete(now, call, kind);
                self.command(predicted, got);
            }
            6 => {
                let call = b.pick(&IDS);
                let predicted = self.flow.can(call, OpKind::ConsultCancel);
                let got = self.flow.consult_cancel(now, call);
                self.command(Some(predicted), got);
            }
            7..=11 => {
                let call = b.pick(&IDS);
                let n = usize::from(b.byte()) % (StatusEvent::ALL.len() + 1);
                let event = match StatusEvent::ALL.get(n) {
                    Some(e) => e.as_str().to_string(),
                    None => "Queued".to_string(),
                };
                self.receive(
                    call,
                    Body::CallStatus(CallStatus {
                        event: event.into(),
                    }),
                );
            }
            12 | 13 => {
                let call = b.pick(&IDS);
                let n = usize::from(b.byte()) % (FailedReq::ALL.len() + 2);
                let failed_req = match FailedReq::ALL.get(n) {
                    Some(f) => Some(f.as_str().to_string()),
                    None if n == FailedReq::ALL.len() => None,
                    None => Some("Bogus".to_string()),
                };
                let sent = self.req_ids.get(call).cloned().unwrap_or_default();
                let choice = b.byte();
                let req_id = match choice % 4 {
                    0 => None,
                    1 if !sent.is_empty() => {
                        Some(sent[usize::from(choice / 4) % sent.len()].clone())
                    }
                    2 => Some((choice / 4).to_string()),
                    3 => Some("x".to_string()),
                    _ => sent.last().cloned(),
                };
                let tlib_err_code = (choice & 0x80 != 0).then(|| "56".to_string());
                self.receive(
                    call,
                    Body::CallError(CallError {
                        failed_req,
                        tlib_err_code,
                        req_id,
                    }),
                );
            }
            14 => {
                let call = b.pick(&IDS);
                self.receive(call, Body::EndCall(EndCall { end_cause: None }));
            }
            15 | 16 => {
                self.fire_next();
            }
            17 => {
                let ms = u64::from(b.byte()) * 200;
                self.advance(ms);
            }
            18 => {
                let choice = b.byte();
                if choice.is_multiple_of(8) {
                    self.flow.shutdown(now);
                    self.pump();
                    return false;
                }
                if choice.is_multiple_of(2) {
                    // A stale expiry: a timer that already fired or was
                    // cancelled; the flow must ignore it.
                    if let Some(timer) = self.retired.get(usize::from(choice / 2) % 8).copied() {
                        self.checker.observe_timer_fired(timer);
                        self.flow.on_timer(now, timer);
                        self.pump();
                    }
                } else {
                    let up = !self.flow.is_connected();
                    self.link(up);
                }
            }
            _ => {
                let up = b.byte().is_multiple_of(2);
                if up != self.flow.is_connected() {
                    self.link(up);
                }
            }
        }
        true
    }
}

/// The ReqId text of a request message.
fn req_id_of(msg: &Message) -> Option<String> {
    match &msg.body {
        Body::OneStepConf(r) | Body::OneStepXfer(r) | Body::InitConf(r) | Body::InitXfer(r) => {
            r.req_id.clone()
        }
        Body::CompleteConf(r) | Body::CompleteXfer(r) | Body::RetrieveCall(r) => r.req_id.clone(),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let config = FlowConfig {
        request_timeout_ms: REQUEST_MS[usize::from(head & 3)],
        no_answer_timeout_ms: NO_ANSWER_MS[usize::from((head >> 2) & 3)],
        send_req_id: head & 0x10 == 0,
        ..FlowConfig::default()
    };
    let limit = config.request_timeout_ms + config.no_answer_timeout_ms;
    let mut rig = Rig::new(config);
    rig.set_clock(1_000);
    rig.link(true);
    let mut bytes = Bytes { data: rest };
    let mut running = true;
    while running && !bytes.is_empty() {
        let op = bytes.byte();
        running = rig.step(op, &mut bytes);
    }
    if !running {
        assert!(
            rig.timers.is_empty(),
            "a timer survived shutdown: {:?}",
            rig.timers
        );
        return;
    }
    // Let every deadline pass: each op must end and only the EndCall
    // timer of a transferred call may be left, and that one fires too.
    rig.advance(2 * limit + 1);
    assert!(
        rig.timers.is_empty(),
        "timers live after every deadline: {:?}",
        rig.timers
    );
    for call in IDS {
        // Only a consult waiting in CONSULT_ESTABLISHED for the
        // application may still be open (no timer runs then).
        let pending =
            rig.flow.can(call, OpKind::ConferenceOneStep) == Err(Refusal::OperationPending);
        let waiting = rig.flow.call_state(call) == Ok(CallState::ConsultEstablished)
            && rig.flow.can(call, OpKind::ConsultCancel).is_ok();
        assert!(
            !pending || waiting,
            "an op on {call} outlived every deadline"
        );
    }
    rig.flow.shutdown(rig.now);
    rig.pump();
    assert!(rig.timers.is_empty(), "a timer survived shutdown");
});
