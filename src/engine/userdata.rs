//! The values the application attached to its live calls
//! (`Engine::call_set_userdata`): the core thread tags each call event with
//! its call's value as it hands the event on, and forgets the value once the
//! call's `CALL_ENDED` has been tagged.
//!
//! Owns the table only: whether a call exists is the flow machine's answer,
//! and the values are opaque (never read, never dereferenced).

use std::collections::HashMap;

use crate::flow::{CallEvent, CallEventKind};

/// Call id -> the application's value (0 is never stored: it means none).
#[derive(Debug, Default)]
pub(crate) struct CallUserdata {
    by_call: HashMap<String, usize>,
}

impl CallUserdata {
    /// Attaches `value` to `call_id`; 0 clears it.
    pub(crate) fn set(&mut self, call_id: &str, value: usize) {
        if value == 0 {
            self.by_call.remove(call_id);
        } else {
            self.by_call.insert(call_id.to_string(), value);
        }
    }

    /// The value `event` carries: its call's, 0 when none. After the call's
    /// `CALL_ENDED` the value is forgotten, so a reused call id starts
    /// without one.
    pub(crate) fn tag(&mut self, event: &CallEvent) -> usize {
        if event.kind == CallEventKind::CallEnded {
            self.by_call.remove(event.call_id.as_str()).unwrap_or(0)
        } else {
            self.by_call
                .get(event.call_id.as_str())
                .copied()
                .unwrap_or(0)
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_call.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::CallState;

    fn event(kind: CallEventKind, call_id: &str) -> CallEvent {
        CallEvent {
            kind,
            call_id: call_id.into(),
            op_id: 0,
            op_kind: None,
            status: None,
            outcome: None,
            failed_request: None,
            tlib_error: None,
            state: CallState::Active,
            party_count: 2,
            remark: crate::flow::Remark::None,
        }
    }

    #[test]
    fn events_carry_their_calls_value_until_call_ended() {
        let mut t = CallUserdata::default();
        let status = event(CallEventKind::CallStatus, "c1");
        assert_eq!(t.tag(&status), 0, "nothing attached yet");
        t.set("c1", 0xbeef);
        t.set("c2", 7);
        assert_eq!(t.tag(&status), 0xbeef);
        assert_eq!(t.tag(&event(CallEventKind::OperationDone, "c2")), 7);
        assert_eq!(t.tag(&event(CallEventKind::CallEnded, "c1")), 0xbeef);
        assert_eq!(t.tag(&status), 0, "forgotten after CALL_ENDED");
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn zero_clears() {
        let mut t = CallUserdata::default();
        t.set("c1", 5);
        t.set("c1", 0);
        assert_eq!(t.tag(&event(CallEventKind::CallStatus, "c1")), 0);
        assert_eq!(t.len(), 0);
    }
}
