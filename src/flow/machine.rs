//! The transition function: how one input changes one call (FLOWS.md call
//! model M1-M6). Everything the state machine decides is in the `match`es
//! below; docs/STATE-MACHINE.md shows the same table and a test keeps the two
//! in step.
//!
//! Pure: mutates the [`Call`] and says what to send and which op ended, but
//! builds no message, event or timer (that is `apply`'s job) and never
//! reads a clock. Argument and permission checks happened before.

use super::call::{Call, Op, Phase};
use super::types::{CallState, Millis, Outcome};
use crate::wire::{FailedReq, StatusEvent};

/// An input for one call, already matched to it.
#[derive(Debug, Clone)]
pub(crate) enum Input {
    /// A documented `CallStatus`.
    Status(StatusEvent),
    /// A `CallError` that belongs to the op in flight (see `callerror`).
    Error {
        target: ErrorTarget,
        failed: FailedReq,
        tlib: Option<i32>,
        /// The `FailedReq` text when it is not a known token (for the
        /// event text; PROTOCOL 3.11).
        raw: Option<Box<str>>,
    },
    /// `EndCall` from the server.
    ServerEnd,
    /// `call_end` from the application.
    AppEnd,
    /// `*_complete` (permitted by `Call::check`).
    Complete,
    /// `consult_cancel` (permitted by `Call::check`).
    Cancel,
    /// The call's armed timer expired; which deadline it was.
    Timer(Expiry),
    LinkLost,
    Shutdown,
    /// After a reconnect, `reconcile_calls` ends the call locally.
    Reconciled(Reconciled),
}

/// Why `reconcile_calls` ended a call after a reconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reconciled {
    /// `reconcile_calls = end`.
    Ended,
    /// `reconcile_calls = callinfo` and the server answered the
    /// `CallInfoReq` with a `CallError`.
    Unknown,
}

/// Which request a matched `CallError` hits (M5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorTarget {
    /// The init, complete or one-step request: the server restored the call.
    Request,
    /// Our own `RetrieveCall`: the caller may still be held.
    Retrieve,
}

/// The deadline behind a timer (M4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// No (first or terminal) reaction to a request in time.
    Request,
    /// An init's consult leg was not answered in time.
    NoAnswer,
    /// A TRANSFERRED call the server did not end.
    EndCall,
}

/// What the call asks to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Request {
    Complete,
    Retrieve,
    /// Only when logged in; otherwise the call ends locally.
    EndCall,
}

/// How a `CallStatus` was taken, for the event text and the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Note {
    /// It changed the call or the op.
    Applied,
    /// It fits the step but changes nothing (e.g. `Released` during a merge).
    Reported,
    /// Same StatusEvent as the previous one with no request in between (M6).
    Duplicate,
    /// It does not fit the current step: logged at warn, nothing changes.
    Misfit,
}

/// An op that ended, with how.
#[derive(Debug, Clone)]
pub(crate) struct Done {
    pub op: Op,
    pub outcome: Outcome,
    pub failed: Option<FailedReq>,
    pub tlib: Option<i32>,
}

/// Everything one input caused.
#[derive(Debug, Clone)]
pub(crate) struct Effects {
    pub note: Note,
    pub send: Option<Request>,
    pub done: Option<Done>,
    /// The call is over: CALL_ENDED follows and the id is freed.
    pub ended: bool,
}

impl Effects {
    fn note(note: Note) -> Effects {
        Effects {
            note,
            send: None,
            done: None,
            ended: false,
        }
    }
    fn send(request: Request) -> Effects {
        Effects {
            send: Some(request),
            ..Effects::note(Note::Applied)
        }
    }
}

/// Applies `input` to `call` at time `now`.
pub(crate) fn step(call: &mut Call, now: Millis, input: Input) -> Effects {
    match input {
        Input::Status(event) => status(call, now, event),
        Input::Error {
            target,
            failed,
            tlib,
            ..
        } => {
            // M5: a failed retrieve leaves the caller held; any other failure
            // means the server restored the call itself (R1, R3). After a
            // blind complete met Busy, that CallError is how the server
            // answers the busy party (M1): the op ends BUSY.
            let busy = call
                .op
                .as_ref()
                .is_some_and(|op| op.phase == Phase::CompletingBusy);
            let (outcome, state) = match target {
                ErrorTarget::Retrieve => (Outcome::RetrieveFailed, CallState::Held),
                ErrorTarget::Request if busy && failed != FailedReq::NoSuchCall => {
                    (Outcome::Busy, call.base_state())
                }
                ErrorTarget::Request => (Outcome::Failed, call.base_state()),
            };
            call.state = state;
            let mut fx = finish(call, outcome);
            if let Some(done) = fx.done.as_mut() {
                done.failed = Some(failed);
                done.tlib = tlib;
            }
            fx
        }
        Input::ServerEnd => end(call, None),
        Input::AppEnd => end(call, Some(Request::EndCall)),
        Input::Complete => {
            if let Some(op) = call.op.as_mut() {
                op.phase = Phase::Completing;
            }
            Effects::send(Request::Complete)
        }
        Input::Cancel => retrieve_or_finish(call, Outcome::Cancelled, false),
        Input::Timer(expiry) => timer(call, expiry),
        Input::LinkLost => {
            // M6 and C-API: a consult may have left the caller on hold;
            // a one-step op leaves the state alone.
            if call.op.as_ref().is_some_and(Op::is_consult) {
                call.state = CallState::Held;
            }
            finish(call, Outcome::LinkLost)
        }
        Input::Shutdown => finish(call, Outcome::Cancelled),
        Input::Reconciled(_) => end(call, None),
    }
}

/// A documented `CallStatus` (M1, M3, M6).
fn status(call: &mut Call, now: Millis, event: StatusEvent) -> Effects {
    use StatusEvent::*;
    if call.last_event == Some(event) && event != ConfPartyDel {
        return Effects::note(Note::Duplicate);
    }
    call.last_event = Some(event);
    let Some(op) = call.op.as_mut() else {
        return status_without_op(call, now, event);
    };
    op.reacted = true;
    let (phase, conference) = (op.phase, op.is_conference());
    let base = call.base_state();
    match (phase, event) {
        // One-step ops: only the terminal message or Busy ends them; nothing
        // else changes the state (M1), Released included (M3).
        (Phase::OneStep, ConfPartyAdd) if conference => join(call),
        (Phase::OneStep, XferComplete) if !conference => transferred(call, now),
        (Phase::OneStep, Busy) => finish(call, Outcome::Busy),
        (Phase::OneStep, ConfPartyAdd | ConfPartyDel | XferComplete) => Effects::note(Note::Misfit),
        (Phase::OneStep, _) => Effects::note(Note::Reported),

        // The consult leg progressing, before or after a blind complete.
        (Phase::Init | Phase::Completing, Held | Dialing | Ringing) => {
            if event == Held {
                if let Some(op) = call.op.as_mut() {
                    op.original_back = false;
                }
            }
            if call.state == base {
                call.state = CallState::Consulting;
                Effects::note(Note::Applied)
            } else if call.state == CallState::Consulting {
                Effects::note(Note::Reported)
            } else {
                Effects::note(Note::Misfit)
            }
        }
        (Phase::Init | Phase::Completing, Established) => {
            call.state = CallState::ConsultEstablished;
            Effects::note(Note::Applied)
        }
        // R2: Busy on a consult is no error; the engine retrieves.
        (Phase::Init, Busy) if call.state != CallState::ConsultEstablished => {
            retrieve_or_finish(call, Outcome::Busy, true)
        }
        // M1: Busy after a blind complete. The server answers the complete
        // with a CallError and restores the call itself (R3); a
        // RetrieveCall now would reach it after that CallError (R4), so
        // none is sent unless the complete times out.
        (Phase::Completing, Busy) if call.state != CallState::ConsultEstablished => {
            if let Some(op) = call.op.as_mut() {
                op.phase = Phase::CompletingBusy;
            }
            call.state = CallState::Held;
            Effects::note(Note::Applied)
        }
        // M3: the consulted party hung up before completion.
        (Phase::Init, Released) => retrieve_or_finish(call, Outcome::ConsultReleased, true),
        // M1: the server took the original back on its own.
        (Phase::Init, Retrieved) => {
            mark_original_back(call);
            call.state = base;
            Effects::note(Note::Applied)
        }
        // M1: during a merge Released and Retrieved change nothing, also
        // after Busy; the terminal message still completes.
        (Phase::Completing | Phase::CompletingBusy, Released) => Effects::note(Note::Reported),
        (Phase::Completing | Phase::CompletingBusy, Retrieved) => {
            mark_original_back(call);
            Effects::note(Note::Reported)
        }
        (Phase::Completing | Phase::CompletingBusy, ConfPartyAdd) if conference => join(call),
        (Phase::Completing | Phase::CompletingBusy, XferComplete) if !conference => {
            transferred(call, now)
        }
        (Phase::Init | Phase::Completing | Phase::CompletingBusy, _) => Effects::note(Note::Misfit),

        // Our RetrieveCall: only Retrieved ends it; the rest is reported.
        (Phase::Retrieving(outcome), Retrieved) => {
            call.state = base;
            finish(call, outcome)
        }
        (Phase::Retrieving(_), Released) => Effects::note(Note::Reported),
        (Phase::Retrieving(_), _) => Effects::note(Note::Misfit),
    }
}

/// M6 facts and M3 with no op in flight.
fn status_without_op(call: &mut Call, now: Millis, event: StatusEvent) -> Effects {
    use CallState as S;
    use StatusEvent as E;
    match (call.state, event) {
        (S::Active | S::Conferenced | S::Transferred, E::Released) => end(call, None),
        (S::Held, E::Released) => Effects::note(Note::Reported),
        // The IVR is out of a transferred call: only its end matters.
        (S::Transferred, _) => Effects::note(Note::Misfit),
        (_, E::ConfPartyAdd) => {
            call.parties = call.parties.saturating_add(1);
            call.state = S::Conferenced;
            Effects::note(Note::Applied)
        }
        (_, E::ConfPartyDel) if call.parties <= 2 => Effects::note(Note::Misfit),
        (_, E::ConfPartyDel) => {
            call.parties -= 1;
            if call.state == S::Conferenced {
                call.state = call.base_state();
            }
            Effects::note(Note::Applied)
        }
        (_, E::XferComplete) => {
            call.state = S::Transferred;
            call.transferred_at = now;
            Effects::note(Note::Applied)
        }
        (S::Held | S::Consulting | S::ConsultEstablished, E::Retrieved) => {
            call.state = call.base_state();
            Effects::note(Note::Applied)
        }
        // The trailing `[Retrieved]` of R3 (FLOWS.md C6): after a CallError
        // the server takes the call back itself; expected, so not a warning.
        (S::Active | S::Conferenced, E::Retrieved) => Effects::note(Note::Reported),
        _ => Effects::note(Note::Misfit),
    }
}

/// A timer expired (M4).
fn timer(call: &mut Call, expiry: Expiry) -> Effects {
    let Some(phase) = call.op.as_ref().map(|op| op.phase) else {
        // Only a TRANSFERRED call arms a timer without an op.
        return match expiry {
            Expiry::EndCall => end(call, Some(Request::EndCall)),
            Expiry::Request | Expiry::NoAnswer => Effects::note(Note::Reported),
        };
    };
    match (phase, expiry) {
        (Phase::OneStep, _) => finish(call, Outcome::Timeout),
        (Phase::Init, Expiry::NoAnswer) => retrieve_or_finish(call, Outcome::NoAnswer, false),
        // M1: the busy party's complete got no answer in time: now retrieve.
        (Phase::CompletingBusy, _) => retrieve_or_finish(call, Outcome::Busy, true),
        (Phase::Init | Phase::Completing, _) => retrieve_or_finish(call, Outcome::Timeout, false),
        (Phase::Retrieving(_), _) => {
            call.state = CallState::Held;
            finish(call, Outcome::Timeout)
        }
    }
}

/// Gets the original call back after a consult ends without a merge: one
/// `RetrieveCall`, whose `Retrieved` ends the op with `outcome`. If the
/// server already retrieved it, sending one would only earn a CallError
/// (R4), so the op ends at once.
fn retrieve_or_finish(call: &mut Call, outcome: Outcome, holds: bool) -> Effects {
    let base = call.base_state();
    let Some(op) = call.op.as_mut() else {
        return Effects::note(Note::Reported);
    };
    if op.original_back {
        call.state = base;
        return finish(call, outcome);
    }
    op.phase = Phase::Retrieving(outcome);
    if holds {
        call.state = CallState::Held;
    }
    Effects::send(Request::Retrieve)
}

fn mark_original_back(call: &mut Call) {
    if let Some(op) = call.op.as_mut() {
        op.original_back = true;
    }
}

/// A conference joined one more party.
fn join(call: &mut Call) -> Effects {
    call.parties = call.parties.saturating_add(1);
    call.state = CallState::Conferenced;
    finish(call, Outcome::Completed)
}

fn transferred(call: &mut Call, now: Millis) -> Effects {
    call.state = CallState::Transferred;
    call.transferred_at = now;
    finish(call, Outcome::Completed)
}

/// Ends the op in flight (if any) with `outcome`, state as already set.
fn finish(call: &mut Call, outcome: Outcome) -> Effects {
    Effects {
        done: call.op.take().map(|op| Done {
            op,
            outcome,
            failed: None,
            tlib: None,
        }),
        ..Effects::note(Note::Applied)
    }
}

/// The call is over: the op (if any) ends CALL_ENDED first (M3).
fn end(call: &mut Call, send: Option<Request>) -> Effects {
    call.state = CallState::Ended;
    Effects {
        send,
        ended: true,
        ..finish(call, Outcome::CallEnded)
    }
}
