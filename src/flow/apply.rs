//! Turns one transition into outputs: runs `machine::step` for a call, then
//! emits, in this order, the CALL_STATUS event, the message to send, the
//! timer changes, OPERATION_DONE and CALL_ENDED (FLOWS.md: a status is
//! reported before anything it causes; CALL_ENDED is a call's last event).
//!
//! Owns message and event construction and the timer bookkeeping; makes no
//! protocol decision of its own.

use super::call::Call;
use super::calls::Slot;
use super::machine::{self, Done, Effects, Input, Note, Reconciled, Request};
use super::timers;
use super::types::{
    CallEvent, CallEventKind, CallState, LogLevel, Millis, OpId, OpKind, Output, Remark,
};
use super::Flow;
use crate::wire::{Body, EndCall, FailedReq, Message, PlainRequest};

impl Flow {
    /// Runs `input` for the call in `slot` and emits what it caused.
    pub(super) fn apply(&mut self, slot: Slot, now: Millis, input: Input) {
        let Some(call) = self.calls.get_mut(slot) else {
            return;
        };
        let op_before = call.op.as_ref().map(|op| (op.id, op.kind));
        let status = match &input {
            Input::Status(event) => Some(*event),
            _ => None,
        };
        let detail = error_detail(&input);
        let end_reason = end_reason(&input, self.connected);
        let fx = machine::step(call, now, input);
        if let Some(event) = status {
            self.status_event(slot, event, op_before, fx.note);
        }
        if let Some(request) = fx.send {
            self.send(slot, now, request);
        }
        self.reconcile_timer(slot);
        self.finish(slot, fx, detail, end_reason);
    }

    /// OPERATION_DONE and CALL_ENDED, the tail of every transition.
    fn finish(
        &mut self,
        slot: Slot,
        fx: Effects,
        detail: Option<String>,
        end_reason: &'static str,
    ) {
        let Some(call) = self.calls.get(slot) else {
            return;
        };
        if let Some(done) = fx.done {
            let event = operation_done(call, &done, detail);
            self.out.push_back(Output::Event(event));
        }
        if fx.ended {
            let remark = Remark::Ended(end_reason);
            let event = call_event(CallEventKind::CallEnded, call, None, remark);
            self.out.push_back(Output::Event(event));
            self.calls.remove(slot);
        }
    }

    fn status_event(
        &mut self,
        slot: Slot,
        event: crate::wire::StatusEvent,
        op: Option<(OpId, OpKind)>,
        note: Note,
    ) {
        let Some(call) = self.calls.get(slot) else {
            return;
        };
        let remark = match note {
            Note::Applied | Note::Reported => Remark::None,
            Note::Duplicate => Remark::Status(" (duplicate: changes nothing)"),
            Note::Misfit => Remark::Status(" (does not fit the current step: changes nothing)"),
        };
        let mut ev = call_event(CallEventKind::CallStatus, call, op, remark);
        ev.status = Some(event);
        let level = match note {
            Note::Misfit => Some(LogLevel::Warn),
            Note::Duplicate => Some(LogLevel::Debug),
            Note::Applied | Note::Reported => None,
        };
        if let Some(level) = level {
            let text = ev.text();
            self.log(level, Some(&ev.call_id), text);
        }
        self.out.push_back(Output::Event(ev));
    }

    /// Sends a request the machine asked for and records it on the op.
    fn send(&mut self, slot: Slot, now: Millis, request: Request) {
        // Nothing is ever written while the link is down (PROTOCOL 1.6); a
        // transferred call then just ends locally.
        if !self.connected {
            return;
        }
        let req_id = match request {
            Request::EndCall => None,
            Request::Complete | Request::Retrieve => Some(self.take_req_id()),
        };
        let req_id_text = req_id.and_then(|n| self.req_id_text(n));
        let Some(call) = self.calls.get_mut(slot) else {
            return;
        };
        let body = match (request, call.op.as_mut()) {
            (Request::EndCall, _) => Body::EndCall(EndCall {
                end_cause: Some("Normal".to_string()),
            }),
            (Request::Complete | Request::Retrieve, Some(op)) => {
                let kind = match request {
                    Request::Retrieve => FailedReq::RetrieveCall,
                    _ if op.is_conference() => FailedReq::CompleteConf,
                    _ => FailedReq::CompleteXfer,
                };
                if let Some(n) = req_id {
                    op.sent.push(n, kind);
                }
                op.sent_at = now;
                op.reacted = false;
                call.last_event = None;
                let plain = PlainRequest {
                    req_id: req_id_text,
                };
                match kind {
                    FailedReq::CompleteConf => Body::CompleteConf(plain),
                    FailedReq::CompleteXfer => Body::CompleteXfer(plain),
                    _ => Body::RetrieveCall(plain),
                }
            }
            // A request of an op that no longer exists: nothing to send.
            (Request::Complete | Request::Retrieve, None) => return,
        };
        let message = Message::new(call.id.as_str(), body);
        self.out.push_back(Output::Send(message));
    }

    /// Arms, moves or cancels the call's one timer to match its M4 deadline
    /// (none for a call about to be removed).
    pub(super) fn reconcile_timer(&mut self, slot: Slot) {
        let Some(call) = self.calls.get(slot) else {
            return;
        };
        let want = if self.shut_down || call.state == CallState::Ended {
            None
        } else {
            timers::deadline(call, &self.config).map(|(at, _)| at)
        };
        let have = call.armed;
        if have.map(|(_, at)| at) == want {
            return;
        }
        if let Some((timer, _)) = have {
            self.out.push_back(Output::CancelTimer(timer));
        }
        let armed = want.map(|at| {
            let timer = self.calls.new_timer(slot);
            self.out.push_back(Output::SetTimer { timer, at });
            (timer, at)
        });
        if let Some(call) = self.calls.get_mut(slot) {
            call.armed = armed;
        }
    }
}

/// The part of an OPERATION_DONE text that explains a CallError.
fn error_detail(input: &Input) -> Option<String> {
    let Input::Error {
        failed, tlib, raw, ..
    } = input
    else {
        return None;
    };
    let name = raw.as_deref().unwrap_or(failed.as_str());
    Some(match tlib {
        Some(code) => format!(" (CallError FailedReq={name} TLibErrCode={code})"),
        None => format!(" (CallError FailedReq={name})"),
    })
}

/// Why a call ended, for the CALL_ENDED text.
fn end_reason(input: &Input, connected: bool) -> &'static str {
    match input {
        Input::Status(_) => "the server sent Released",
        Input::ServerEnd => "the server sent EndCall",
        Input::AppEnd if connected => "ended by the application",
        Input::AppEnd => "ended locally by the application: not connected",
        Input::Timer(_) if connected => "EndCall sent: the server kept the transferred call",
        Input::Reconciled(Reconciled::Ended) => {
            "ended locally: live when the link was lost (reconcile_calls=end)"
        }
        Input::Reconciled(Reconciled::Unknown) => {
            "ended locally: after the reconnect the server answered CallInfoReq with CallError"
        }
        _ => "ended locally: the transferred call outlived its timer while not connected",
    }
}

fn operation_done(call: &Call, done: &Done, detail: Option<String>) -> CallEvent {
    let remark = detail.map_or(Remark::None, |d| Remark::Error(d.into()));
    let mut ev = call_event(
        CallEventKind::OperationDone,
        call,
        Some((done.op.id, done.op.kind)),
        remark,
    );
    ev.outcome = Some(done.outcome);
    ev.failed_request = done.failed;
    ev.tlib_error = done.tlib;
    ev
}

fn call_event(
    kind: CallEventKind,
    call: &Call,
    op: Option<(OpId, OpKind)>,
    remark: Remark,
) -> CallEvent {
    CallEvent {
        kind,
        call_id: call.id.clone(),
        op_id: op.map_or(0, |(id, _)| id),
        op_kind: op.map(|(_, kind)| kind),
        status: None,
        outcome: None,
        failed_request: None,
        tlib_error: None,
        state: call.state,
        party_count: call.parties,
        remark,
    }
}
