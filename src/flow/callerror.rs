//! M5: which op a `CallError` belongs to, and which of its requests it hits.
//!
//! Pure lookup over what the op sent; the consequence (FAILED or
//! RETRIEVE_FAILED) is decided in `machine`.

use super::call::{Op, Phase};
use super::machine::ErrorTarget;
use crate::wire::{CallError, FailedReq};

/// The request of `op` that `err` hits, or `None` when it belongs to no op.
/// `by_req_id` is false when we write no `ReqId`s (PROTOCOL 5.2): then a
/// `ReqId` in the error cannot be ours and `FailedReq` alone decides.
pub(crate) fn target(op: &Op, err: &CallError, by_req_id: bool) -> Option<ErrorTarget> {
    let failed = err.failed_req();
    let echoed = match err.req_id().filter(|_| by_req_id) {
        // A ReqId we did not send for this op: someone else's error.
        Some(n) => Some(op.sent.by_req_id(n)?),
        None => None,
    };
    let hits = |req: FailedReq| {
        if req == FailedReq::RetrieveCall {
            ErrorTarget::Retrieve
        } else {
            ErrorTarget::Request
        }
    };
    let retrieving = matches!(op.phase, Phase::Retrieving(_));
    match (echoed, failed) {
        // The server no longer knows the call: nothing can be held there.
        (_, FailedReq::NoSuchCall) => Some(ErrorTarget::Request),
        (Some(req), _) => Some(hits(req)),
        (None, FailedReq::Unknown) if retrieving => Some(ErrorTarget::Retrieve),
        (None, FailedReq::Unknown | FailedReq::NotAllowed) => Some(ErrorTarget::Request),
        (None, req) if op.sent.contains(req) => Some(hits(req)),
        (None, _) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::call::Sent;
    use crate::flow::types::OpKind;

    fn op(phase: Phase) -> Op {
        let mut sent = Sent::default();
        sent.push(4, FailedReq::InitConf);
        if phase == Phase::Retrieving(crate::flow::types::Outcome::Busy) {
            sent.push(5, FailedReq::RetrieveCall);
        }
        Op {
            id: 1,
            kind: OpKind::ConferenceConsult,
            phase,
            sent,
            sent_at: 0,
            reacted: true,
            original_back: false,
        }
    }

    fn err(failed: Option<&str>, req_id: Option<&str>) -> CallError {
        CallError {
            failed_req: failed.map(str::to_string),
            tlib_err_code: None,
            req_id: req_id.map(str::to_string),
        }
    }

    /// (op, FailedReq, ReqId, match by ReqId, expected target)
    type Case<'a> = (
        &'a Op,
        Option<&'a str>,
        Option<&'a str>,
        bool,
        Option<ErrorTarget>,
    );

    #[test]
    fn m5_table() {
        use ErrorTarget::*;
        let init = op(Phase::Init);
        let retr = op(Phase::Retrieving(crate::flow::types::Outcome::Busy));
        let cases: &[Case] = &[
            (&init, Some("InitConf"), Some("4"), true, Some(Request)),
            (&init, Some("InitConf"), Some("9"), true, None),
            (&init, Some("InitConf"), Some("9"), false, Some(Request)),
            (&init, Some("InitConf"), None, true, Some(Request)),
            (&init, Some("InitXfer"), None, true, None),
            (&init, Some("RetrieveCall"), None, true, None),
            (&init, None, None, true, Some(Request)),
            (&init, Some("NotAllowed"), None, true, Some(Request)),
            (&init, Some("MakeCall"), None, true, None),
            (&retr, Some("RetrieveCall"), None, true, Some(Retrieve)),
            (&retr, Some("Unknown"), None, true, Some(Retrieve)),
            (&retr, Some("InitConf"), Some("5"), true, Some(Retrieve)),
            (&retr, Some("RetrieveCall"), Some("4"), true, Some(Request)),
            (&retr, Some("NoSuchCall"), Some("5"), true, Some(Request)),
            (&retr, Some("InitConf"), None, true, Some(Request)),
        ];
        for (i, (op, failed, req, by_id, want)) in cases.iter().enumerate() {
            assert_eq!(target(op, &err(*failed, *req), *by_id), *want, "case {i}");
        }
    }
}
