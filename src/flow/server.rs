//! Inputs that do not come from the application: decoded server messages,
//! timer expiries, the link going up or down, and shutdown.
//!
//! Routes each to the call it concerns (never creating one) and hands it to
//! `apply`; decides nothing beyond "which call, which op".

use super::callerror;
use super::calls::{Calls, Slot};
use super::machine::Input;
use super::timers;
use super::types::{LogLevel, Millis, TimerId};
use super::Flow;
use crate::wire::{Body, Message};

impl Flow {
    /// The session is logged in (READY): requests are allowed.
    pub fn link_up(&mut self, _now: Millis) {
        self.connected = true;
    }

    /// The link is lost: every op in flight ends LINK_LOST (consults leave
    /// the call HELD); calls stay known; nothing is sent.
    pub fn link_down(&mut self, now: Millis) {
        self.connected = false;
        for slot in self.calls.slots() {
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
            Body::CallStatus(_) | Body::CallError(_) | Body::EndCall(_)
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
