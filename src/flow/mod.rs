//! The per-call conference and transfer state machine (sans I/O): commands,
//! decoded server messages, timer expiries and link events go in, with the
//! current time; messages to send, application events and timer requests
//! come out, in order, through [`Flow::poll_output`].
//!
//! Must not open sockets, spawn threads, read the clock or hold global state.
//! FLOWS.md (scenarios, call model M1-M6) and C-API.md (outcomes, refusals)
//! are the specification; docs/STATE-MACHINE.md draws it.
//!
//! Layout: `types` (public values), `validate` (argument rules), `call` (one
//! call's record and M2 permissions), `machine` (the transition table),
//! `callerror` (M5 matching), `timers` (M4 deadlines), `calls` (the call
//! table), and the `Flow` inputs in `commands` (application), `server`
//! (server, timers, link) and `apply` (turning transitions into outputs).
//! `invariants` checks FLOWS.md's five invariants on any output stream.
//!
//! Output order for one input of one call: the CALL_STATUS event (if the
//! input was a CallStatus), the message sent, the timer changes
//! (CancelTimer, SetTimer), OPERATION_DONE, CALL_ENDED. So a SetTimer always
//! follows an output of the call it belongs to.

mod apply;
mod call;
mod callerror;
mod calls;
mod commands;
mod machine;
mod server;
mod timers;
mod types;
mod validate;

#[cfg(test)]
mod doc_table;

pub mod invariants;

use std::collections::VecDeque;

pub use types::{
    request_code, status_code, CallEvent, CallEventKind, CallId, CallState, FlowConfig, LogLevel,
    LogRecord, Millis, OpId, OpKind, Outcome, Output, ReconcileCalls, Refusal, Remark, TimerId,
};
pub use validate::MAX_CALL_ID;

/// Log records kept for [`Flow::poll_log`] before the oldest are dropped,
/// so a caller that never reads them cannot make memory grow.
const LOG_CAPACITY: usize = 1024;

use crate::machine::LogQueue;

/// The call table plus one state machine per call.
pub struct Flow {
    config: FlowConfig,
    connected: bool,
    /// After `shutdown` no timer is armed again.
    shut_down: bool,
    calls: calls::Calls,
    /// The next op id (from 1, never 0).
    next_op: OpId,
    /// The next ReqId (1..=2147483647, then 1 again; PROTOCOL 5.2).
    next_req: u32,
    out: VecDeque<Output>,
    log: LogQueue,
}

impl Flow {
    pub fn new(config: FlowConfig) -> Flow {
        Flow {
            config,
            connected: false,
            shut_down: false,
            calls: calls::Calls::default(),
            next_op: 1,
            next_req: 1,
            out: VecDeque::new(),
            log: LogQueue::new(LOG_CAPACITY),
        }
    }

    /// Whether the session is logged in (requests allowed).
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// Live calls.
    pub fn call_count(&self) -> usize {
        self.calls.len()
    }

    /// The configuration the flow was made with.
    pub fn config(&self) -> &FlowConfig {
        &self.config
    }

    /// The oldest pending output (FIFO).
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// All pending outputs, oldest first.
    pub fn drain(&mut self) -> Vec<Output> {
        self.out.drain(..).collect()
    }

    /// The oldest pending log record: what the specs say to log that is no
    /// application event (unknown calls, undocumented statuses, stray
    /// CallErrors, statuses that do not fit). At most 1024 are kept.
    pub fn poll_log(&mut self) -> Option<LogRecord> {
        self.log.pop()
    }

    fn log(&mut self, level: LogLevel, call_id: Option<&str>, text: String) {
        self.log.push(level, call_id, text);
    }

    /// Takes the next ReqId.
    fn take_req_id(&mut self) -> u32 {
        let n = self.next_req;
        self.next_req = if n >= i32::MAX as u32 { 1 } else { n + 1 };
        n
    }

    /// The `ReqId` attribute for request number `n`.
    fn req_id_text(&self, n: u32) -> Option<String> {
        self.config.send_req_id.then(|| n.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runtime moves the flow onto its core thread.
    #[test]
    fn flow_and_checker_are_send() {
        fn send<T: Send>() {}
        send::<Flow>();
        send::<invariants::Checker>();
    }

    #[test]
    fn req_ids_wrap_to_one() {
        let mut flow = Flow::new(FlowConfig::default());
        flow.next_req = i32::MAX as u32;
        assert_eq!(flow.take_req_id(), 2_147_483_647);
        assert_eq!(flow.take_req_id(), 1);
        assert_eq!(flow.take_req_id(), 2);
    }
}
