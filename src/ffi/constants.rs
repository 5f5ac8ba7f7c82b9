//! The enum-like constants of the C API. Each set starts at 1; 0 means
//! "none". Their values equal the discriminants of the Rust enums below the
//! ffi layer (checked by the tests at the end of this file).

/// Logged in to a server; the text names it and its version.
pub const IVRCONF_EVENT_SESSION_UP: u32 = 1;
/// The logged-in session was lost.
pub const IVRCONF_EVENT_SESSION_DOWN: u32 = 2;
/// The server reported a documented `CallStatus` for a call.
pub const IVRCONF_EVENT_CALL_STATUS: u32 = 3;
/// An operation ended (exactly once per op id).
pub const IVRCONF_EVENT_OPERATION_DONE: u32 = 4;
/// A call ended (once per call, its last event).
pub const IVRCONF_EVENT_CALL_ENDED: u32 = 5;
/// An internal thread failed; the text gives the reason.
pub const IVRCONF_EVENT_ENGINE_ERROR: u32 = 6;

/// The consult or one-step destination is being dialled.
pub const IVRCONF_STATUS_DIALING: u32 = 1;
/// The destination is ringing.
pub const IVRCONF_STATUS_RINGING: u32 = 2;
/// The destination answered (a consult leg is up).
pub const IVRCONF_STATUS_ESTABLISHED: u32 = 3;
/// The original call is back with the IVR (after a retrieve, or restored by the server).
pub const IVRCONF_STATUS_RETRIEVED: u32 = 4;
/// The destination is busy.
pub const IVRCONF_STATUS_BUSY: u32 = 5;
/// The caller was put on hold for a consult.
pub const IVRCONF_STATUS_HELD: u32 = 6;
/// A party joined the conference.
pub const IVRCONF_STATUS_CONF_PARTY_ADD: u32 = 7;
/// A party left the conference.
pub const IVRCONF_STATUS_CONF_PARTY_DEL: u32 = 8;
/// The transfer is done; the IVR is out of the call.
pub const IVRCONF_STATUS_XFER_COMPLETE: u32 = 9;
/// A party (the consult leg, or the caller) hung up.
pub const IVRCONF_STATUS_RELEASED: u32 = 10;

/// Conference joined (`ConfPartyAdd`) / transfer done (`XferComplete`).
pub const IVRCONF_OUTCOME_COMPLETED: u32 = 1;
/// Consult destination busy; the engine retrieved the original call.
pub const IVRCONF_OUTCOME_BUSY: u32 = 2;
/// Consult leg unanswered for `no_answer_timeout_ms`; call retrieved.
pub const IVRCONF_OUTCOME_NO_ANSWER: u32 = 3;
/// The server sent `CallError`; it restored the call itself.
pub const IVRCONF_OUTCOME_FAILED: u32 = 4;
/// `consult_cancel`, or `engine_shutdown` / `engine_free`.
pub const IVRCONF_OUTCOME_CANCELLED: u32 = 5;
/// The consulted party hung up before completion; call retrieved.
pub const IVRCONF_OUTCOME_CONSULT_RELEASED: u32 = 6;
/// The engine's own `RetrieveCall` got `CallError`; the caller may be held.
pub const IVRCONF_OUTCOME_RETRIEVE_FAILED: u32 = 7;
/// The call ended while the op was in flight.
pub const IVRCONF_OUTCOME_CALL_ENDED: u32 = 8;
/// No server reaction in time.
pub const IVRCONF_OUTCOME_TIMEOUT: u32 = 9;
/// The connection to the server was lost while the op was in flight.
pub const IVRCONF_OUTCOME_LINK_LOST: u32 = 10;

/// `CallError` named a request this library does not know (its text is in the event text).
pub const IVRCONF_REQUEST_UNKNOWN: u32 = 1;
/// The server does not know the call.
pub const IVRCONF_REQUEST_NO_SUCH_CALL: u32 = 2;
/// The failed request was `OneStepXfer`.
pub const IVRCONF_REQUEST_ONE_STEP_XFER: u32 = 3;
/// The failed request was `OneStepConf`.
pub const IVRCONF_REQUEST_ONE_STEP_CONF: u32 = 4;
/// The failed request was `InitConf`.
pub const IVRCONF_REQUEST_INIT_CONF: u32 = 5;
/// The failed request was `CompleteConf`.
pub const IVRCONF_REQUEST_COMPLETE_CONF: u32 = 6;
/// The failed request was `InitXfer`.
pub const IVRCONF_REQUEST_INIT_XFER: u32 = 7;
/// The failed request was `CompleteXfer`.
pub const IVRCONF_REQUEST_COMPLETE_XFER: u32 = 8;
/// The failed request was `RetrieveCall` (sent by the engine).
pub const IVRCONF_REQUEST_RETRIEVE_CALL: u32 = 9;
/// The server named `MakeCall` (never sent by this library).
pub const IVRCONF_REQUEST_MAKE_CALL: u32 = 10;
/// The server named `AgentControl` (never sent by this library).
pub const IVRCONF_REQUEST_AGENT_CONTROL: u32 = 11;
/// The server refused the request as not allowed in the call's state.
pub const IVRCONF_REQUEST_NOT_ALLOWED: u32 = 12;

/// The IVR is with the caller; party count 2.
pub const IVRCONF_CALL_STATE_ACTIVE: u32 = 1;
/// Original held, consult leg dialing/ringing.
pub const IVRCONF_CALL_STATE_CONSULTING: u32 = 2;
/// Consult leg answered; waiting for complete or cancel.
pub const IVRCONF_CALL_STATE_CONSULT_ESTABLISHED: u32 = 3;
/// Held, no consult leg.
pub const IVRCONF_CALL_STATE_HELD: u32 = 4;
/// Party count >= 3.
pub const IVRCONF_CALL_STATE_CONFERENCED: u32 = 5;
/// Transferred away; the IVR is out of the call.
pub const IVRCONF_CALL_STATE_TRANSFERRED: u32 = 6;
/// Over.
pub const IVRCONF_CALL_STATE_ENDED: u32 = 7;

/// `ivrconf_conference_one_step`: add a party in one step.
pub const IVRCONF_OP_CONFERENCE_ONE_STEP: u32 = 1;
/// `ivrconf_conference_init`: consult a party, then complete or cancel.
pub const IVRCONF_OP_CONFERENCE_CONSULT: u32 = 2;
/// `ivrconf_transfer_one_step`: hand the call over in one step.
pub const IVRCONF_OP_TRANSFER_ONE_STEP: u32 = 3;
/// `ivrconf_transfer_init`: consult a party, then complete or cancel.
pub const IVRCONF_OP_TRANSFER_CONSULT: u32 = 4;
/// For `ivrconf_call_can` only.
pub const IVRCONF_OP_CONFERENCE_COMPLETE: u32 = 5;
/// For `ivrconf_call_can` only.
pub const IVRCONF_OP_TRANSFER_COMPLETE: u32 = 6;
/// For `ivrconf_call_can` only.
pub const IVRCONF_OP_CONSULT_CANCEL: u32 = 7;

/// Configuration errors (login refused), protocol errors, internal failures.
pub const IVRCONF_LOG_ERROR: u32 = 1;
/// Link losses, failed attempts, messages dropped or not understood.
pub const IVRCONF_LOG_WARN: u32 = 2;
/// Connections, logins, server notices.
pub const IVRCONF_LOG_INFO: u32 = 3;
/// Every call-state change and event.
pub const IVRCONF_LOG_DEBUG: u32 = 4;
/// Every frame in and out, its bytes as on the wire.
pub const IVRCONF_LOG_TRACE: u32 = 5;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{EventKind, LogLevel};
    use crate::flow::{request_code, status_code, CallState, OpKind, Outcome};
    use crate::wire::{FailedReq, StatusEvent};

    #[test]
    fn constants_equal_the_rust_discriminants() {
        assert_eq!(
            [
                EventKind::SessionUp,
                EventKind::SessionDown,
                EventKind::CallStatus,
                EventKind::OperationDone,
                EventKind::CallEnded,
                EventKind::EngineError
            ]
            .map(|k| k as u32),
            [
                IVRCONF_EVENT_SESSION_UP,
                IVRCONF_EVENT_SESSION_DOWN,
                IVRCONF_EVENT_CALL_STATUS,
                IVRCONF_EVENT_OPERATION_DONE,
                IVRCONF_EVENT_CALL_ENDED,
                IVRCONF_EVENT_ENGINE_ERROR
            ]
        );
        assert_eq!(
            StatusEvent::ALL.map(status_code),
            [
                IVRCONF_STATUS_DIALING,
                IVRCONF_STATUS_RINGING,
                IVRCONF_STATUS_ESTABLISHED,
                IVRCONF_STATUS_RETRIEVED,
                IVRCONF_STATUS_BUSY,
                IVRCONF_STATUS_HELD,
                IVRCONF_STATUS_CONF_PARTY_ADD,
                IVRCONF_STATUS_CONF_PARTY_DEL,
                IVRCONF_STATUS_XFER_COMPLETE,
                IVRCONF_STATUS_RELEASED
            ]
        );
        assert_eq!(
            FailedReq::ALL.map(request_code),
            [
                IVRCONF_REQUEST_UNKNOWN,
                IVRCONF_REQUEST_NO_SUCH_CALL,
                IVRCONF_REQUEST_ONE_STEP_XFER,
                IVRCONF_REQUEST_ONE_STEP_CONF,
                IVRCONF_REQUEST_INIT_CONF,
                IVRCONF_REQUEST_COMPLETE_CONF,
                IVRCONF_REQUEST_INIT_XFER,
                IVRCONF_REQUEST_COMPLETE_XFER,
                IVRCONF_REQUEST_RETRIEVE_CALL,
                IVRCONF_REQUEST_MAKE_CALL,
                IVRCONF_REQUEST_AGENT_CONTROL,
                IVRCONF_REQUEST_NOT_ALLOWED
            ]
        );
        assert_eq!(
            Outcome::ALL.map(|o| o as u32),
            [
                IVRCONF_OUTCOME_COMPLETED,
                IVRCONF_OUTCOME_BUSY,
                IVRCONF_OUTCOME_NO_ANSWER,
                IVRCONF_OUTCOME_FAILED,
                IVRCONF_OUTCOME_CANCELLED,
                IVRCONF_OUTCOME_CONSULT_RELEASED,
                IVRCONF_OUTCOME_RETRIEVE_FAILED,
                IVRCONF_OUTCOME_CALL_ENDED,
                IVRCONF_OUTCOME_TIMEOUT,
                IVRCONF_OUTCOME_LINK_LOST
            ]
        );
        assert_eq!(
            CallState::ALL.map(|s| s as u32),
            [
                IVRCONF_CALL_STATE_ACTIVE,
                IVRCONF_CALL_STATE_CONSULTING,
                IVRCONF_CALL_STATE_CONSULT_ESTABLISHED,
                IVRCONF_CALL_STATE_HELD,
                IVRCONF_CALL_STATE_CONFERENCED,
                IVRCONF_CALL_STATE_TRANSFERRED,
                IVRCONF_CALL_STATE_ENDED
            ]
        );
        assert_eq!(
            OpKind::ALL.map(|k| k as u32),
            [
                IVRCONF_OP_CONFERENCE_ONE_STEP,
                IVRCONF_OP_CONFERENCE_CONSULT,
                IVRCONF_OP_TRANSFER_ONE_STEP,
                IVRCONF_OP_TRANSFER_CONSULT,
                IVRCONF_OP_CONFERENCE_COMPLETE,
                IVRCONF_OP_TRANSFER_COMPLETE,
                IVRCONF_OP_CONSULT_CANCEL
            ]
        );
        assert_eq!(
            [
                LogLevel::Error,
                LogLevel::Warn,
                LogLevel::Info,
                LogLevel::Debug,
                LogLevel::Trace
            ]
            .map(|l| l as u32),
            [
                IVRCONF_LOG_ERROR,
                IVRCONF_LOG_WARN,
                IVRCONF_LOG_INFO,
                IVRCONF_LOG_DEBUG,
                IVRCONF_LOG_TRACE
            ]
        );
    }
}
