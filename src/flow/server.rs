//! Inputs that do not come from the application: decoded server messages,
//! timer expiries, the link going up or down, and shutdown.
//!
//! Routes each to the call it concerns (never creating one) and hands it to
//! `apply`; decides nothing beyond "which call, which op".

use super::callerror;
use super::calls::{Calls, Slot};
use super::machine::{Input, Reconciled};
use super::timers;
use super::types::{LogLevel, Millis, Output, ReconcileCalls, TimerId};
use super::Flow;
use crate::wire::{Body, Message};

impl Flow {
    /// The session is logged in (READY): requests are allowed. The calls
    /// that were live at the last link loss are checked or ended as
    /// `reconcile_calls` says.
    pub fn link_up(&mut self, now: Millis) {
        self.connected = true;
        let mode = self.config.reconcile_calls;
        for slot in self.calls.slots() {
            if !self.calls.get(slot).is_some_and(|call| call.unconfirmed) {
                continue;
            }
            match mode {
                ReconcileCalls::None => {}
                ReconcileCalls::End => self.apply(slot, now, Input::Reconciled(Reconciled::Ended)),
                ReconcileCalls::CallInfo => {
                    if let Some(call) = self.calls.get(slot) {
                        let msg = Message::new(&*call.id, Body::CallInfoReq);
                        self.out.push_back(Output::Send(msg));
                    }
                }
            }
        }
    }

    /// The link is lost: every op in flight ends LINK_LOST (consults leave
    /// the call HELD); calls stay known; nothing is sent.
    pub fn link_down(&mut self, now: Millis) {
        self.connected = false;
        let check = self.config.reconcile_calls != ReconcileCalls::None;
        for slot in self.calls.slots() {
            if let Some(call) = self.calls.get_mut(slot) {
                call.unconfirmed |= check;
            }
            if self.calls.get(slot).is_some_and(|call| call.op.is_some()) {
                self.apply(slot, now, Input::LinkLost);
            }
        }
    }

    /// A decoded server message. Only call messages for known calls matter;
    /// the rest is logged and ignored (a message never creates a call).
    pub fn on_message(&mut self, now: Millis, msg: &Message) {
        let Some(call_id) = msg.call_id.as_deref() else {
            return;
        };
        let relevant = matches!(
            msg.body,
            Body::CallStatus(_) | Body::CallError(_) | Body::EndCall(_) | Body::CallInfoResp(_)
        );
        if !relevant {
            return;
        }
        let Some(slot) = self.calls.find(call_id) else {
            let text = format!("{} for unknown call {call_id:?} ignored", msg.name());
            self.log(LogLevel::Debug, Some(call_id), text);
            return;
        };
        match &msg.body {
            Body::CallStatus(status) => match status.event() {
                Some(event) => self.apply(slot, now, Input::Status(event)),
                None => {
                    let text = format!(
                        "CallStatus Event={:?} is not documented: ignored",
                        status.event
                    );
                    self.log(LogLevel::Warn, Some(call_id), text);
                }
            },
            Body::CallError(err) => self.on_call_error(slot, now, call_id, err),
            Body::EndCall(_) => self.apply(slot, now, Input::ServerEnd),
            Body::CallInfoResp(_) => {
                let was = self
                    .calls
                    .get_mut(slot)
                    .map(|call| std::mem::replace(&mut call.unconfirmed, false));
                let text = if was == Some(true) {
                    "CallInfoResp: the server still knows the call after the reconnect"
                } else {
                    "CallInfoResp ignored"
                };
                self.log(LogLevel::Debug, Some(call_id), text.to_string());
            }
            _ => {}
        }
    }

    fn on_call_error(
        &mut self,
        slot: Slot,
        now: Millis,
        call_id: &str,
        err: &crate::wire::CallError,
    ) {
        let by_req_id = self.config.send_req_id;
        let target = self
            .calls
            .get(slot)
            .and_then(|call| call.op.as_ref())
            .and_then(|op| callerror::target(op, err, by_req_id));
        let failed = err.failed_req();
        // PROTOCOL 3.11: an unknown token is reported as Unknown, raw in text.
        let raw = err
            .failed_req
            .as_deref()
            .filter(|raw| !raw.trim().eq_ignore_ascii_case(failed.as_str()))
            .map(Box::from);
        match target {
            Some(target) => self.apply(
                slot,
                now,
                Input::Error {
                    target,
                    failed,
                    tlib: err.tlib_error(),
                    raw,
                },
            ),
            // Not an op's: the answer to our CallInfoReq after a reconnect.
            None if self.connected
                && self.config.reconcile_calls == ReconcileCalls::CallInfo
                && self.calls.get(slot).is_some_and(|call| call.unconfirmed) =>
            {
                self.apply(slot, now, Input::Reconciled(Reconciled::Unknown));
            }
            None => {
                let text = format!(
                    "CallError FailedReq={:?} ReqId={:?} belongs to no operation: ignored",
                    err.failed_req.as_deref().unwrap_or(""),
                    err.req_id.as_deref().unwrap_or("")
                );
                self.log(LogLevel::Warn, Some(call_id), text);
            }
        }
    }

    /// A timer is due. Ids that are stale (cancelled, already fired, of an
    /// ended call) are ignored.
    pub fn on_timer(&mut self, now: Millis, timer: TimerId) {
        let slot = Calls::timer_slot(timer);
        let Some(call) = self.calls.get_mut(slot) else {
            return;
        };
        if call.armed.map(|(armed, _)| armed) != Some(timer) {
            return;
        }
        call.armed = None;
        if let Some((_, expiry)) = timers::deadline(call, &self.config) {
            self.apply(slot, now, Input::Timer(expiry));
        }
    }

    /// Engine shutdown: every op in flight ends CANCELLED in the call's
    /// current state; every timer is cancelled; nothing is sent and no call
    /// ends.
    pub fn shutdown(&mut self, now: Millis) {
        self.shut_down = true;
        self.connected = false;
        for slot in self.calls.slots() {
            if self.calls.get(slot).is_some_and(|call| call.op.is_some()) {
                self.apply(slot, now, Input::Shutdown);
            } else {
                self.reconcile_timer(slot);
            }
        }
    }
}
