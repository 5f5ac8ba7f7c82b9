//! Shared driver for the flow tests: a simulated clock and timer wheel
//! around one `Flow`, every input and output shown to the invariants
//! `Checker`, and short helpers to speak as the server.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use ivrconf::flow::invariants::Checker;
use ivrconf::flow::{
    CallEvent, CallEventKind, CallState, Flow, FlowConfig, Millis, OpId, OpKind, Outcome, Output,
    TimerId,
};
use ivrconf::wire::{Body, CallError, CallStatus, EndCall, KeyValue, Message, StatusEvent};

pub const CALL: &str = "C0001";
pub const DEST: &str = "6001";

pub struct Harness {
    pub flow: Flow,
    pub checker: Checker,
    pub now: Millis,
    /// Live timers: id -> due time.
    pub timers: BTreeMap<TimerId, Millis>,
    /// Sent messages and events not yet taken by the test.
    pub sent: Vec<Message>,
    pub events: Vec<CallEvent>,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_config(FlowConfig::default())
    }

    pub fn with_config(config: FlowConfig) -> Harness {
        let mut h = Harness {
            checker: Checker::new(&config),
            flow: Flow::new(config),
            now: 1_000,
            timers: BTreeMap::new(),
            sent: Vec::new(),
            events: Vec::new(),
        };
        h.checker.advance(h.now);
        h.link(true);
        h
    }

    /// A harness with call `CALL` announced and its NewCall taken.
    pub fn with_call() -> Harness {
        let mut h = Harness::new();
        h.new_call(CALL);
        h
    }

    pub fn new_call(&mut self, id: &str) {
        self.flow
            .call_new(self.now, id, "5001", Some("8005551212"), None, vec![])
            .unwrap();
        self.pump();
        let sent = self.take_sent();
        assert_eq!(names(&sent), ["NewCall"]);
    }

    /// Hands every pending output to the checker and the recorders.
    pub fn pump(&mut self) {
        while let Some(out) = self.flow.poll_output() {
            self.checker.observe_output(&out);
            match out {
                Output::Send(m) => self.sent.push(m),
                Output::Event(e) => self.events.push(e),
                Output::SetTimer { timer, at } => {
                    self.timers.insert(timer, at);
                }
                Output::CancelTimer(t) => {
                    assert!(self.timers.remove(&t).is_some(), "cancel of unknown {t:?}");
                }
            }
        }
    }

    pub fn link(&mut self, up: bool) {
        self.checker.observe_link(up);
        if up {
            self.flow.link_up(self.now);
        } else {
            self.flow.link_down(self.now);
        }
        self.pump();
    }

    pub fn shutdown(&mut self) {
        self.flow.shutdown(self.now);
        self.pump();
    }

    pub fn recv(&mut self, call: &str, body: Body) {
        let msg = Message::new(call, body);
        self.checker.observe_received(&msg);
        self.flow.on_message(self.now, &msg);
        self.pump();
    }

    pub fn status(&mut self, event: StatusEvent) {
        self.recv(CALL, Body::CallStatus(CallStatus::of(event)));
    }

    pub fn statuses(&mut self, events: &[StatusEvent]) {
        for e in events {
            self.status(*e);
        }
    }

    pub fn raw_status(&mut self, text: &str) {
        self.recv(
            CALL,
            Body::CallStatus(CallStatus {
                event: text.to_string().into(),
            }),
        );
    }

    pub fn error(&mut self, failed: &str, tlib: Option<&str>, req_id: Option<&str>) {
        self.recv(
            CALL,
            Body::CallError(CallError {
                failed_req: Some(failed.to_string()),
                tlib_err_code: tlib.map(str::to_string),
                req_id: req_id.map(str::to_string),
            }),
        );
    }

    pub fn server_end(&mut self) {
        self.recv(CALL, Body::EndCall(EndCall { end_cause: None }));
    }

    pub fn start(&mut self, kind: OpKind) -> OpId {
        let id = self
            .flow
            .start(
                self.now,
                CALL,
                kind,
                DEST,
                vec![KeyValue::str("Reason", "Test")],
            )
            .unwrap();
        self.pump();
        id
    }

    pub fn complete(&mut self, kind: OpKind) {
        self.flow.complete(self.now, CALL, kind).unwrap();
        self.pump();
    }

    pub fn cancel(&mut self) {
        self.flow.consult_cancel(self.now, CALL).unwrap();
        self.pump();
    }

    pub fn end(&mut self) {
        self.flow.call_end(self.now, CALL).unwrap();
        self.pump();
    }

    /// Moves the clock to `t`, firing every timer due on the way at its
    /// own due time.
    pub fn advance_to(&mut self, t: Millis) {
        loop {
            let due = self
                .timers
                .iter()
                .map(|(id, at)| (*at, *id))
                .filter(|(at, _)| *at <= t)
                .min();
            let Some((at, id)) = due else { break };
            self.now = self.now.max(at);
            self.checker.advance(self.now);
            self.timers.remove(&id);
            self.checker.observe_timer_fired(id);
            self.flow.on_timer(self.now, id);
            self.pump();
        }
        self.now = self.now.max(t);
        self.checker.advance(self.now);
    }

    pub fn advance(&mut self, ms: Millis) {
        self.advance_to(self.now + ms);
    }

    /// The next timer's due time.
    pub fn next_timer(&self) -> Option<Millis> {
        self.timers.values().min().copied()
    }

    pub fn take_sent(&mut self) -> Vec<Message> {
        std::mem::take(&mut self.sent)
    }

    pub fn take_events(&mut self) -> Vec<CallEvent> {
        std::mem::take(&mut self.events)
    }

    pub fn state(&self) -> CallState {
        self.flow.call_state(CALL).unwrap()
    }

    /// Asserts the checker found nothing.
    pub fn ok(&self) {
        self.checker.assert_ok();
    }

    /// Discards everything sent and every event so far.
    pub fn drain(&mut self) {
        self.take_sent();
        self.take_events();
    }

    /// Asserts the events since the last take, in brief form.
    #[track_caller]
    pub fn assert_events(&mut self, want: &[&str]) {
        assert_eq!(briefs(&self.take_events()), want);
    }

    /// The closing checks of a settled call: nothing more sent, no live
    /// timer, the call in `state`, and the checker clean.
    #[track_caller]
    pub fn assert_settled(&mut self, state: CallState) {
        assert!(self.take_sent().is_empty());
        self.assert_settled_after_sends(state);
    }

    /// `assert_settled`, with `why` as the message of the nothing-sent check.
    #[track_caller]
    pub fn assert_settled_because(&mut self, state: CallState, why: &str) {
        assert!(self.take_sent().is_empty(), "{why}");
        self.assert_settled_after_sends(state);
    }

    #[track_caller]
    fn assert_settled_after_sends(&mut self, state: CallState) {
        assert!(self.timers.is_empty());
        assert_eq!(self.state(), state);
        self.ok();
    }
}

/// Message names, for compact assertions.
pub fn names(msgs: &[Message]) -> Vec<String> {
    msgs.iter().map(|m| m.name().to_string()).collect()
}

/// The `ReqId` of a request message.
pub fn req_id(msg: &Message) -> Option<String> {
    match &msg.body {
        Body::OneStepConf(r) | Body::OneStepXfer(r) | Body::InitConf(r) | Body::InitXfer(r) => {
            r.req_id.clone()
        }
        Body::CompleteConf(r) | Body::CompleteXfer(r) | Body::RetrieveCall(r) => r.req_id.clone(),
        _ => None,
    }
}

/// A compact form of an event: `S:Held/CONSULTING/2`, `D:BUSY/ACTIVE/2`,
/// `E/ENDED`.
pub fn brief(e: &CallEvent) -> String {
    match e.kind {
        CallEventKind::CallStatus => format!(
            "S:{}/{}/{}",
            e.status.map(|s| s.as_str()).unwrap_or("?"),
            e.state,
            e.party_count
        ),
        CallEventKind::OperationDone => format!(
            "D:{}/{}/{}",
            e.outcome.map(|o| o.name()).unwrap_or("?"),
            e.state,
            e.party_count
        ),
        CallEventKind::CallEnded => format!("E/{}", e.state),
    }
}

pub fn briefs(events: &[CallEvent]) -> Vec<String> {
    events.iter().map(brief).collect()
}

/// The single OPERATION_DONE among `events`.
pub fn done(events: &[CallEvent]) -> &CallEvent {
    let done: Vec<_> = events
        .iter()
        .filter(|e| e.kind == CallEventKind::OperationDone)
        .collect();
    assert_eq!(done.len(), 1, "expected one OPERATION_DONE in {events:#?}");
    done[0]
}

pub fn outcome_of(events: &[CallEvent]) -> Option<Outcome> {
    events
        .iter()
        .find(|e| e.kind == CallEventKind::OperationDone)
        .and_then(|e| e.outcome)
}

/// The request message a start of `kind` sends with ReqId `req`.
pub fn start_msg(kind: OpKind, req: u32) -> Message {
    let r = ivrconf::wire::DestRequest {
        dest_dn: DEST.to_string(),
        req_id: Some(req.to_string()),
        udata: vec![KeyValue::str("Reason", "Test")],
        extensions: vec![],
    };
    let body = match kind {
        OpKind::ConferenceOneStep => Body::OneStepConf(r),
        OpKind::TransferOneStep => Body::OneStepXfer(r),
        OpKind::ConferenceConsult => Body::InitConf(r),
        OpKind::TransferConsult => Body::InitXfer(r),
        _ => panic!("not a start kind"),
    };
    Message::new(CALL, body)
}

fn plain(req: u32) -> ivrconf::wire::PlainRequest {
    ivrconf::wire::PlainRequest {
        req_id: Some(req.to_string()),
    }
}

pub fn retrieve_msg(req: u32) -> Message {
    Message::new(CALL, Body::RetrieveCall(plain(req)))
}

pub fn complete_conf_msg(req: u32) -> Message {
    Message::new(CALL, Body::CompleteConf(plain(req)))
}

pub fn complete_xfer_msg(req: u32) -> Message {
    Message::new(CALL, Body::CompleteXfer(plain(req)))
}

pub fn end_call_msg() -> Message {
    Message::new(
        CALL,
        Body::EndCall(EndCall {
            end_cause: Some("Normal".to_string()),
        }),
    )
}
