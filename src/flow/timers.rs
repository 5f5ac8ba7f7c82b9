//! M4 deadlines: the one timer a call needs now, derived from its state and
//! its op. `apply` re-derives it after every input and arms, moves or cancels
//! the call's timer to match, so no timer can outlive its op.
//!
//! Pure arithmetic on the call record; no clock, no output.

use super::call::{Call, Phase};
use super::machine::Expiry;
use super::types::{CallState, FlowConfig, Millis};

/// When the call's timer must fire, and why; `None` when no timer runs.
pub(crate) fn deadline(call: &Call, cfg: &FlowConfig) -> Option<(Millis, Expiry)> {
    let request = cfg.request_timeout_ms;
    let no_answer = cfg.no_answer_timeout_ms;
    let Some(op) = call.op.as_ref() else {
        // The post-transfer EndCall timer is the only one without an op.
        return (call.state == CallState::Transferred)
            .then(|| (call.transferred_at.saturating_add(request), Expiry::EndCall));
    };
    let from = |ms: u64| op.sent_at.saturating_add(ms);
    match op.phase {
        // Request timeout to the first reaction, then the no-answer bound,
        // both counted from the request; either way TIMEOUT.
        Phase::OneStep if !op.reacted => Some((from(request.min(no_answer)), Expiry::Request)),
        Phase::OneStep => Some((from(no_answer), Expiry::Request)),
        // After Established the op waits for the application: no timer.
        Phase::Init if call.state == CallState::ConsultEstablished => None,
        // Before any reaction the earlier of the two bounds fires, and
        // either way the server never reacted: TIMEOUT, not NO_ANSWER, so
        // the outcome does not depend on which timeout is the shorter.
        Phase::Init if !op.reacted => Some((from(request.min(no_answer)), Expiry::Request)),
        Phase::Init => Some((from(no_answer), Expiry::NoAnswer)),
        Phase::Completing | Phase::CompletingBusy | Phase::Retrieving(_) => {
            Some((from(request), Expiry::Request))
        }
    }
}
