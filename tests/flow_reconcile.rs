//! Calls after a reconnect (`reconcile_calls`): what the flow machine does
//! with the calls that were live when the link was lost, once the session
//! is up again. Every run goes through the invariants checker.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod flow_support;

use flow_support::{briefs, names, Harness, CALL};
use ivrconf::flow::{CallEventKind, CallState, FlowConfig, OpKind, ReconcileCalls};
use ivrconf::wire::{Body, CallError, CallInfoResp, StatusEvent};

const OTHER: &str = "C0002";

fn harness(mode: ReconcileCalls) -> Harness {
    let mut h = Harness::with_config(FlowConfig {
        reconcile_calls: mode,
        ..FlowConfig::default()
    });
    h.new_call(CALL);
    h.new_call(OTHER);
    h
}

fn no_such_call(h: &mut Harness, call: &str) {
    h.recv(
        call,
        Body::CallError(CallError {
            failed_req: Some("NoSuchCall".into()),
            tlib_err_code: None,
            req_id: None,
        }),
    );
}

fn ended_text(h: &mut Harness) -> Vec<(String, String)> {
    h.take_events()
        .into_iter()
        .filter(|e| e.kind == CallEventKind::CallEnded)
        .map(|e| (e.call_id.to_string(), e.text()))
        .collect()
}

#[test]
fn none_keeps_the_calls_and_sends_nothing() {
    let mut h = harness(ReconcileCalls::None);
    h.link(false);
    h.link(true);
    assert!(h.take_sent().is_empty());
    assert!(h.take_events().is_empty());
    assert_eq!(h.state(), CallState::Active);
    // A CallError for the call is a stray one, as before: no effect.
    no_such_call(&mut h, CALL);
    assert!(h.take_events().is_empty());
    assert_eq!(h.state(), CallState::Active);
    h.ok();
}

#[test]
fn end_ends_every_call_live_at_the_loss_locally_after_the_login() {
    let mut h = harness(ReconcileCalls::End);
    h.start(OpKind::ConferenceConsult);
    h.statuses(&[StatusEvent::Held, StatusEvent::Dialing]);
    h.drain();
    h.link(false);
    // The op ends LINK_LOST at the loss; the calls stay until the login.
    assert_eq!(briefs(&h.take_events()), ["D:LINK_LOST/HELD/2"]);
    assert_eq!(h.state(), CallState::Held);
    h.link(true);
    assert!(h.take_sent().is_empty(), "no EndCall: ended locally");
    let ended = ended_text(&mut h);
    assert_eq!(ended.len(), 2, "{ended:?}");
    assert!(ended
        .iter()
        .all(|(_, text)| text.contains("reconcile_calls=end")));
    assert!(h.flow.call_state(CALL).is_err());
    assert!(h.flow.call_state(OTHER).is_err());
    h.ok();
}

#[test]
fn end_leaves_calls_announced_after_the_loss_alone() {
    let mut h = harness(ReconcileCalls::End);
    h.link(false);
    // A second loss before the login changes nothing.
    h.link(true);
    h.drain();
    h.new_call("C0003");
    h.link(false);
    h.link(true);
    let ended: Vec<String> = ended_text(&mut h).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ended, ["C0003"], "only the call live at the second loss");
    h.ok();
}

#[test]
fn callinfo_asks_once_per_live_call_and_keeps_those_the_server_knows() {
    let mut h = harness(ReconcileCalls::CallInfo);
    h.link(false);
    assert!(h.take_sent().is_empty(), "nothing while the link is down");
    h.link(true);
    let sent = h.take_sent();
    assert_eq!(names(&sent), ["CallInfoReq", "CallInfoReq"]);
    let mut ids: Vec<_> = sent.iter().filter_map(|m| m.call_id.clone()).collect();
    ids.sort();
    assert_eq!(ids, [CALL, OTHER]);
    // The server knows CALL: it stays live, and a later CallError for it
    // is an ordinary stray one.
    h.recv(CALL, Body::CallInfoResp(CallInfoResp::default()));
    assert!(h.take_events().is_empty());
    no_such_call(&mut h, CALL);
    assert!(h.take_events().is_empty());
    assert_eq!(h.state(), CallState::Active);
    // It forgot OTHER: ended locally, no EndCall.
    no_such_call(&mut h, OTHER);
    assert!(h.take_sent().is_empty());
    let ended = ended_text(&mut h);
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].0, OTHER);
    assert!(ended[0].1.contains("CallInfoReq"), "{}", ended[0].1);
    assert!(h.flow.call_state(OTHER).is_err());
    h.ok();
}

#[test]
fn callinfo_any_call_error_ends_the_call() {
    let mut h = harness(ReconcileCalls::CallInfo);
    h.link(false);
    h.link(true);
    h.drain();
    h.recv(
        CALL,
        Body::CallError(CallError {
            failed_req: Some("Unknown".into()),
            tlib_err_code: Some("56".into()),
            req_id: None,
        }),
    );
    assert_eq!(ended_text(&mut h).len(), 1);
    h.ok();
}

#[test]
fn callinfo_a_call_error_owned_by_a_new_op_goes_to_the_op() {
    let mut h = harness(ReconcileCalls::CallInfo);
    h.link(false);
    h.link(true);
    h.drain();
    // The application starts an op before the server answered; the
    // server's CallError names the op's request (M5), not our CallInfoReq.
    let op = h.start(OpKind::ConferenceOneStep);
    h.take_sent();
    h.error("OneStepConf", None, Some("1"));
    let events = h.take_events();
    assert_eq!(briefs(&events), ["D:FAILED/ACTIVE/2"], "{events:#?}");
    assert_eq!(events[0].op_id, op);
    assert_eq!(h.state(), CallState::Active, "the call stays live");
    h.ok();
}

#[test]
fn callinfo_every_loss_asks_again_about_every_live_call() {
    let mut h = harness(ReconcileCalls::CallInfo);
    h.link(false);
    h.link(true);
    h.recv(CALL, Body::CallInfoResp(CallInfoResp::default()));
    h.drain();
    h.link(false);
    h.link(true);
    let sent = h.take_sent();
    assert_eq!(names(&sent), ["CallInfoReq", "CallInfoReq"]);
    h.ok();
}
