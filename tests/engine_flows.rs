//! Every FLOWS.md scenario end to end: the real engine against the bundled
//! simulator over loopback TCP, checking outcomes, states, party counts, the
//! wire traffic the simulator recorded, and the invariants on every run;
//! then the whole set again under every simulator fault variant.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_done, Harness};
use ivrconf::flow::{CallEventKind, CallState, OpKind, Outcome};
use ivrconf::wire::{Body, CallStatus, Message, StatusEvent as Status};

type Scenario = fn(&mut Harness, &str);

fn play_c1_one_step(h: &mut Harness, id: &str) {
    h.call_new(id);
    let op = h.start(id, OpKind::ConferenceOneStep, "6001");
    let done = h.done(op);
    assert_done(&done, Outcome::Completed, CallState::Conferenced, 3);
    assert_eq!(done.op_kind, Some(OpKind::ConferenceOneStep));
    h.engine().call_end(id).unwrap();
    let end = h.ended(id);
    h.wait_sim_got(id, "EndCall");
    assert_eq!(end.state, CallState::Ended);
    assert!(
        h.engine().call_state(id).is_err(),
        "id is free after CALL_ENDED"
    );
    assert_eq!(h.sent_names(id), ["NewCall", "OneStepConf", "EndCall"]);
}

fn play_c1_call_error(h: &mut Harness, id: &str) {
    h.call_new(id);
    let op = h.start(id, OpKind::ConferenceOneStep, "fail6001");
    let done = h.done(op);
    assert_done(&done, Outcome::Failed, CallState::Active, 2);
    assert!(done.failed_request.is_some());
    assert!(
        !h.sent_names(id).contains(&"RetrieveCall".to_string()),
        "R1: nothing sent after CallError"
    );
}

fn play_c2_alternative_disconnect(h: &mut Harness, id: &str) {
    h.call_new(id);
    let op = h.start(id, OpKind::ConferenceOneStep, "6001");
    assert_done(&h.done(op), Outcome::Completed, CallState::Conferenced, 3);
    assert!(h.sim.send(&Message::new(
        id,
        Body::CallStatus(CallStatus::of(Status::ConfPartyDel))
    )));
    let del = h.status(id, Status::ConfPartyDel);
    assert_eq!((del.state, del.party_count), (CallState::Active, 2));
    // The call goes on: it can be transferred now.
    h.engine().call_can(id, OpKind::TransferOneStep).unwrap();
    let op = h.start(id, OpKind::TransferOneStep, "6002");
    assert_done(&h.done(op), Outcome::Completed, CallState::Transferred, 2);
}

fn play_c3_consult_conference(h: &mut Harness, id: &str) {
    h.call_new(id);
    let op = h.start(id, OpKind::ConferenceConsult, "6003");
    let est = h.status(id, Status::Established);
    assert_eq!(est.state, CallState::ConsultEstablished);
    h.engine().complete(id, OpKind::ConferenceComplete).unwrap();
    assert_done(&h.done(op), Outcome::Completed, CallState::Conferenced, 3);
    let names = h.sent_names(id);
    assert_eq!(names, ["NewCall", "InitConf", "CompleteConf"]);
}

fn play_c4_complete_before_answer(h: &mut Harness, id: &str) {
    h.call_new(id);
    let op = h.start(id, OpKind::ConferenceConsult, "slow6003");
    h.engine().complete(id, OpKind::ConferenceComplete).unwrap();
    assert_done(&h.done(op), Outcome::Completed, CallState::Conferenced, 3);
}

fn play_c4_consulted_party_hangs_up(h: &mut Harness, id: &str) {
    h.call_new(id);
    let op = h.start(id, OpKind::ConferenceConsult, "hangup6003");
    let done = h.done(op);
    assert_done(&done, Outcome::ConsultReleased, CallState::Active, 2);
    assert_eq!(
        h.sent_names(id)
            .iter()
            .filter(|n| *n == "RetrieveCall")
            .count(),
        1
    );
}

fn play_c5_busy(h: &mut Harness, id: &str) {
    h.call_new(id);
    let op = h.start(id, OpKind::ConferenceConsult, "busy6003");
    let retrieved = h.status(id, Status::Retrieved);
    assert_eq!(retrieved.state, CallState::Active);
    assert_done(&h.done(op), Outcome::Busy, CallState::Active, 2);
    assert_eq!(
        h.sent_names(id),
        ["NewCall", "InitConf", "RetrieveCall"],
        "R2: the engine retrieves"
    );
}

fn play_c5_busy_retrieve_refused(h: &mut Harness, id: &str) {
    h.call_new(id);
    let op = h.start(id, OpKind::ConferenceConsult, "retrievefail6003");
    assert_done(&h.done(op), Outcome::RetrieveFailed, CallState::Held, 2);
}

fn play_c6_failed_at_init(h: &mut Harness, id: &str) {
    h.call_new(id);
    let op = h.start(id, OpKind::ConferenceConsult, "fail6003");
    let done = h.done(op);
    assert_done(&done, Outcome::Failed, CallState::Active, 2);
    assert_eq!(
        done.tlib_error,
        Some(56),
        "TLibErrCode of the CallError reaches the application"
    );
    assert_eq!(
        h.sent_names(id),
        ["NewCall", "InitConf"],
        "R3/R4: no RetrieveCall"
    );
}

fn play_c6_failed_at_complete(h: &mut Harness, id: &str) {
    h.call_new(id);
    let op = h.start(id, OpKind::ConferenceConsult, "failcomplete6003");
    h.status(id, Status::Established);
    h.engine().complete(id, OpKind::ConferenceComplete).unwrap();
    assert_done(&h.done(op), Outcome::Failed, CallState::Active, 2);
    assert_eq!(
        h.sent_names(id),
        ["NewCall", "InitConf", "CompleteConf"],
        "R4: no RetrieveCall"
    );
}

fn play_t1_one_step_transfer(h: &mut Harness, id: &str) {
    h.call_new(id);
    let op = h.start(id, OpKind::TransferOneStep, "6002");
    assert_done(&h.done(op), Outcome::Completed, CallState::Transferred, 2);
    // The server does not end the call: the engine does, after request_timeout_ms.
    h.ended(id);
    h.wait_sim_got(id, "EndCall");
    assert_eq!(h.sent_names(id), ["NewCall", "OneStepXfer", "EndCall"]);
}

fn play_t2_consult_transfer(h: &mut Harness, id: &str) {
    h.call_new(id);
    let op = h.start(id, OpKind::TransferConsult, "6004");
    h.status(id, Status::Established);
    h.engine().complete(id, OpKind::TransferComplete).unwrap();
    assert_done(&h.done(op), Outcome::Completed, CallState::Transferred, 2);
    h.ended(id);
}

fn play_t3_consult_transfer_busy(h: &mut Harness, id: &str) {
    h.call_new(id);
    let op = h.start(id, OpKind::TransferConsult, "busy6004");
    assert_done(&h.done(op), Outcome::Busy, CallState::Active, 2);
    assert_eq!(h.sent_names(id), ["NewCall", "InitXfer", "RetrieveCall"]);
}

fn play_t4_consult_transfer_failed(h: &mut Harness, id: &str) {
    h.call_new(id);
    let op = h.start(id, OpKind::TransferConsult, "fail6004");
    assert_done(&h.done(op), Outcome::Failed, CallState::Active, 2);
    assert_eq!(h.sent_names(id), ["NewCall", "InitXfer"]);
}

fn play_cancel_consult(h: &mut Harness, id: &str) {
    h.call_new(id);
    let inits = h.sim.received_count(Some("InitConf"));
    let op = h.start(id, OpKind::ConferenceConsult, "noanswer6003");
    // Cancel is allowed from the moment the init is sent (M2), so wait only
    // for the server to have it: every status before the answer is optional.
    assert!(h.sim.wait_received("InitConf", inits + 1, common::WAIT));
    h.engine().consult_cancel(id).unwrap();
    assert_done(&h.done(op), Outcome::Cancelled, CallState::Active, 2);
}

fn play_no_answer(h: &mut Harness, id: &str) {
    h.call_new(id);
    let op = h.start(id, OpKind::ConferenceConsult, "noanswer6003");
    let done = h.done(op);
    // M4: with no reaction at all (every ringing status is optional and a
    // server may omit them all) the request timer decides: TIMEOUT, after
    // the same single retrieve. Any reaction hands over to the no-answer timer.
    let reacted = h.sim.records().iter().any(|r| {
        r.dir == ivrconf::sim::Dir::FromServer
            && matches!(&r.message, Some(m) if m.call_id.as_deref() == Some(id) && matches!(m.body, Body::CallStatus(_)) && !matches!(&m.body, Body::CallStatus(s) if s.event() == Some(Status::Retrieved) || s.event() == Some(Status::Released)))
    });
    let expected = if reacted {
        Outcome::NoAnswer
    } else {
        Outcome::Timeout
    };
    assert_done(&done, expected, CallState::Active, 2);
    assert_eq!(
        h.sent_names(id)
            .iter()
            .filter(|n| *n == "RetrieveCall")
            .count(),
        1
    );
}

fn play_request_timeout(h: &mut Harness, id: &str) {
    h.call_new(id);
    let op = h.start(id, OpKind::ConferenceOneStep, "silent6001");
    assert_done(&h.done(op), Outcome::Timeout, CallState::Active, 2);
}

/// The scenarios every fault variant must get through with the same result.
const SCENARIOS: &[(&str, Scenario)] = &[
    ("c1_one_step_conference", play_c1_one_step),
    ("c1_one_step_conference_call_error", play_c1_call_error),
    ("c2_alternative_disconnect", play_c2_alternative_disconnect),
    ("c3_consult_conference", play_c3_consult_conference),
    ("c4_complete_before_answer", play_c4_complete_before_answer),
    (
        "c4_consulted_party_hangs_up",
        play_c4_consulted_party_hangs_up,
    ),
    ("c5_busy", play_c5_busy),
    ("c5_busy_retrieve_refused", play_c5_busy_retrieve_refused),
    ("c6_failed_at_init", play_c6_failed_at_init),
    ("c6_failed_at_complete", play_c6_failed_at_complete),
    ("t1_one_step_transfer", play_t1_one_step_transfer),
    ("t2_consult_transfer", play_t2_consult_transfer),
    ("t3_consult_transfer_busy", play_t3_consult_transfer_busy),
    (
        "t4_consult_transfer_failed",
        play_t4_consult_transfer_failed,
    ),
    ("cancel_consult", play_cancel_consult),
    ("no_answer", play_no_answer),
    ("request_timeout", play_request_timeout),
];

fn run_one(name: &str, faults: &[(&str, &str)]) {
    let (_, f) = SCENARIOS.iter().find(|(n, _)| *n == name).unwrap();
    let mut h = Harness::new(faults);
    f(&mut h, "CALL-1");
    h.finish();
}

macro_rules! scenario_tests {
    ($($name:ident),* $(,)?) => {
        $( #[test] fn $name() { run_one(stringify!($name), &[]); } )*
    };
}

scenario_tests!(
    c1_one_step_conference,
    c1_one_step_conference_call_error,
    c2_alternative_disconnect,
    c3_consult_conference,
    c4_complete_before_answer,
    c4_consulted_party_hangs_up,
    c5_busy,
    c5_busy_retrieve_refused,
    c6_failed_at_init,
    c6_failed_at_complete,
    t1_one_step_transfer,
    t2_consult_transfer,
    t3_consult_transfer_busy,
    t4_consult_transfer_failed,
    cancel_consult,
    no_answer,
    request_timeout,
);

/// Every scenario on one engine under one fault variant, each on its own call.
fn all_scenarios_under(faults: &[(&str, &str)]) {
    let mut h = Harness::new(faults);
    for (i, (name, f)) in SCENARIOS.iter().enumerate() {
        let id = format!("{name}-{i}");
        f(&mut h, &id);
    }
    h.finish();
}

#[test]
fn caller_hangs_up() {
    let mut h = Harness::new(&[]);
    h.call_new("HANG");
    let op = h.start("HANG", OpKind::ConferenceConsult, "noanswer6003");
    h.status("HANG", Status::Dialing);
    assert!(h
        .sim
        .send(&Message::new("HANG", Body::EndCall(Default::default()))));
    let done = h.done(op);
    assert_done(&done, Outcome::CallEnded, CallState::Ended, 2);
    let end = h.ended("HANG");
    assert_eq!(end.kind, CallEventKind::CallEnded);
    assert_eq!(
        h.sent_names("HANG"),
        ["NewCall", "InitConf"],
        "nothing sent after the server's EndCall"
    );
    h.finish();
}

#[test]
fn link_lost() {
    let mut h = Harness::new(&[]);
    h.call_new("LINK");
    let op = h.start("LINK", OpKind::ConferenceConsult, "noanswer6003");
    h.status("LINK", Status::Dialing);
    h.sim.close_connections();
    let done = h.done(op);
    assert_done(&done, Outcome::LinkLost, CallState::Held, 2);
    h.next_matching(
        |e| e.kind() == ivrconf::engine::EventKind::SessionDown,
        "SESSION_DOWN",
    );
    h.next_matching(
        |e| e.kind() == ivrconf::engine::EventKind::SessionUp,
        "SESSION_UP again",
    );
    // The call is still known, in its last state.
    assert_eq!(h.engine().call_state("LINK").unwrap(), CallState::Held);
    h.finish();
}

#[test]
fn shutdown_cancels() {
    let mut h = Harness::new(&[]);
    h.call_new("SHUT");
    let op = h.start("SHUT", OpKind::ConferenceConsult, "noanswer6003");
    h.status("SHUT", Status::Dialing);
    let before = h.sim.received_count(None);
    h.engine().shutdown().unwrap();
    let done = h.done(op);
    assert_eq!(done.outcome, Some(Outcome::Cancelled));
    assert_eq!(
        done.state,
        CallState::Consulting,
        "CANCELLED carries the call's current state"
    );
    assert!(matches!(
        h.engine().call_new("X", "1", None, None, vec![]),
        Err(ivrconf::engine::ApiError::ShutDown)
    ));
    h.engine.take().unwrap().free();
    assert_eq!(
        h.sim.received_count(None),
        before,
        "nothing is sent on shutdown"
    );
    let events = h.finish();
    assert!(!events
        .iter()
        .any(|e| matches!(e.call(), Some(c) if c.kind == CallEventKind::CallEnded)));
    assert!(!events
        .iter()
        .any(|e| e.kind() == ivrconf::engine::EventKind::SessionDown));
}

macro_rules! fault_variant_tests {
    ($($name:ident => [$(($k:expr, $v:expr)),* $(,)?]),* $(,)?) => {
        $( #[test] fn $name() { all_scenarios_under(&[$(($k, $v)),*]); } )*
    };
}

// FLOWS.md "Tolerance": the same outcomes whatever the server's variant.
fault_variant_tests!(
    all_scenarios_optional_messages_omitted => [("omit_optional", "1")],
    all_scenarios_held_dialing_swapped => [("swap_held_dialing", "1")],
    all_scenarios_duplicate_events => [("duplicate_events", "1")],
    all_scenarios_alternate_spellings => [("spelling", "all")],
    all_scenarios_random_spellings_and_omissions => [("spelling", "random"), ("omit_optional", "0.5"), ("seed", "7")],
    all_scenarios_single_byte_writes => [("split_writes", "true")],
    all_scenarios_coalesced_writes => [("coalesce", "true")],
    all_scenarios_interleaved_keepalives => [("interleave_keepalive", "true"), ("keepalive_interval_ms", "20")],
    all_scenarios_events_for_unknown_calls => [("unknown_call_events", "1")],
    all_scenarios_slow_responses => [("response_delay_ms", "40")],
);

#[test]
fn caller_hangs_up_by_simulator_fault() {
    let mut h = Harness::new(&[("caller_hangup_ms", "150")]);
    h.call_new("CALLER");
    let op = h.start("CALLER", OpKind::TransferConsult, "noanswer6004");
    assert_done(&h.done(op), Outcome::CallEnded, CallState::Ended, 2);
    h.ended("CALLER");
    h.finish();
}

#[test]
fn connection_dropped_at_init_is_link_lost() {
    let mut h = Harness::new(&[("drop_at", "InitConf")]);
    h.call_new("DROP");
    let op = h.start("DROP", OpKind::ConferenceConsult, "6003");
    let done = h.done(op);
    assert_eq!(done.outcome, Some(Outcome::LinkLost));
    h.next_matching(
        |e| e.kind() == ivrconf::engine::EventKind::SessionUp,
        "SESSION_UP again",
    );
    h.sim.set("drop_at", "").unwrap();
    // The call stays known, HELD (C-API: a consult ends LINK_LOST in HELD);
    // no new op may start on it, but it can be ended on the new session.
    assert_eq!(h.engine().call_state("DROP").unwrap(), CallState::Held);
    assert!(h
        .engine()
        .start("DROP", OpKind::ConferenceOneStep, "6001", vec![])
        .is_err());
    h.engine().call_end("DROP").unwrap();
    h.ended("DROP");
    h.wait_sim_got("DROP", "EndCall");
    h.finish();
}
