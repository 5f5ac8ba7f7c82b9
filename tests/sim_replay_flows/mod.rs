//! The flows the replay tests record and play again: five calls, one after
//! the other, covering a consult conference, a busy consult (the engine's
//! own RetrieveCall), a failed one-step, a one-step transfer and an
//! unanswered consult (the engine's timeout), each ended by the
//! application when it can be. Shared with tools/trace's capture tests.
//!
//! `run` returns what the application saw, without the call ids, so a run
//! with other ids compares equal.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use super::common::Harness;
use ivrconf::flow::{CallEvent, OpId, OpKind};
use ivrconf::wire::StatusEvent as Status;

/// How many calls `run` makes.
pub const CALLS: usize = 5;

/// The call ids `run` uses with `prefix`.
pub fn ids(prefix: &str) -> Vec<String> {
    (1..=CALLS).map(|n| format!("{prefix}{n}")).collect()
}

fn done(h: &mut Harness, what: &str, op: OpId) -> String {
    let e: CallEvent = h.done(op);
    format!(
        "{what}: {:?} {:?} {} parties",
        e.outcome, e.state, e.party_count
    )
}

fn end(h: &mut Harness, id: &str, what: &str) -> String {
    h.engine().call_end(id).unwrap();
    let e = h.ended(id);
    format!("{what} ended: {:?}", e.state)
}

/// The flows; `first_dest` is the first call's destination (another one
/// makes a run that departs from the recording).
pub fn run_with(h: &mut Harness, prefix: &str, first_dest: &str) -> Vec<String> {
    let ids = ids(prefix);
    let mut seen = Vec::new();

    let id = &ids[0];
    h.call_new(id);
    let op = h.start(id, OpKind::ConferenceConsult, first_dest);
    h.status(id, Status::Established);
    h.engine().complete(id, OpKind::ConferenceComplete).unwrap();
    seen.push(done(h, "1 consult conference", op));
    seen.push(end(h, id, "1"));

    let id = &ids[1];
    h.call_new(id);
    let op = h.start(id, OpKind::ConferenceConsult, "busy6001");
    seen.push(done(h, "2 busy consult", op));
    seen.push(end(h, id, "2"));

    let id = &ids[2];
    h.call_new(id);
    let op = h.start(id, OpKind::ConferenceOneStep, "fail6001");
    seen.push(done(h, "3 failed one-step", op));
    seen.push(end(h, id, "3"));

    let id = &ids[3];
    h.call_new(id);
    let op = h.start(id, OpKind::TransferOneStep, "6002");
    seen.push(done(h, "4 one-step transfer", op));
    seen.push(end(h, id, "4"));

    let id = &ids[4];
    h.call_new(id);
    let op = h.start(id, OpKind::TransferConsult, "noanswer6001");
    seen.push(done(h, "5 unanswered consult", op));
    seen.push(end(h, id, "5"));
    seen
}

/// The flows as recorded.
pub fn run(h: &mut Harness, prefix: &str) -> Vec<String> {
    run_with(h, prefix, "6003")
}
