#![allow(clippy::unwrap_used, clippy::expect_used)]
//! One test per scenario of FLOWS.md (C1-C6, T1-T4, cancel, no answer,
//! timeouts, hang-up, link loss, shutdown), in the canonical form the
//! reference simulator sends: the exact messages sent, the events in order,
//! the outcome, the final state and party count, with the invariants
//! checker watching every step.

mod flow_support;

use flow_support::*;
use ivrconf::flow::{CallEventKind, CallState, OpKind, Outcome, Refusal};
use ivrconf::wire::{FailedReq, StatusEvent::*};

#[test]
fn c1_one_step_conference() {
    let mut h = Harness::with_call();
    let op = h.start(OpKind::ConferenceOneStep);
    assert_eq!(op, 1);
    assert_eq!(h.take_sent(), [start_msg(OpKind::ConferenceOneStep, 1)]);
    assert_eq!(
        h.state(),
        CallState::Active,
        "sending changes no state (M1)"
    );
    h.statuses(&[Dialing, Ringing, ConfPartyAdd]);
    let events = h.take_events();
    assert_eq!(
        briefs(&events),
        [
            "S:Dialing/ACTIVE/2",
            "S:Ringing/ACTIVE/2",
            "S:ConfPartyAdd/CONFERENCED/3",
            "D:COMPLETED/CONFERENCED/3"
        ]
    );
    let d = done(&events);
    assert_eq!((d.op_id, d.op_kind), (1, Some(OpKind::ConferenceOneStep)));
    assert!(h.take_sent().is_empty());
    assert!(h.timers.is_empty(), "no timer outlives the op");
    assert_eq!(h.state(), CallState::Conferenced);

    // Normal disconnect: the IVR leaves.
    h.end();
    assert_eq!(h.take_sent(), [end_call_msg()]);
    h.assert_events(&["E/ENDED"]);
    assert_eq!(h.flow.call_state(CALL), Err(Refusal::UnknownCall));
    h.ok();
}

#[test]
fn c1_one_step_conference_call_error() {
    let mut h = Harness::with_call();
    h.start(OpKind::ConferenceOneStep);
    h.take_sent();
    h.error("OneStepConf", Some("56"), Some("1"));
    let events = h.take_events();
    assert_eq!(briefs(&events), ["D:FAILED/ACTIVE/2"]);
    let d = done(&events);
    assert_eq!(d.failed_request, Some(FailedReq::OneStepConf));
    assert_eq!(d.tlib_error, Some(56));
    h.assert_settled_because(CallState::Active, "R1: nothing sent");
}

#[test]
fn c2_alternative_disconnect() {
    let mut h = Harness::with_call();
    h.start(OpKind::ConferenceOneStep);
    h.statuses(&[Dialing, Ringing, ConfPartyAdd]);
    h.drain();
    h.status(ConfPartyDel);
    let events = h.take_events();
    assert_eq!(briefs(&events), ["S:ConfPartyDel/ACTIVE/2"]);
    assert_eq!(events[0].op_id, 0);
    assert_eq!(h.state(), CallState::Active);
    // The call goes on and can be conferenced or transferred again.
    assert_eq!(h.flow.can(CALL, OpKind::ConferenceOneStep), Ok(()));
    assert_eq!(h.flow.can(CALL, OpKind::TransferConsult), Ok(()));
    // It ends later from the server side.
    h.server_end();
    h.assert_events(&["E/ENDED"]);
    assert!(h.take_sent().is_empty());
    assert_eq!(h.flow.call_count(), 0);
    h.ok();
}

#[test]
fn c3_consult_conference() {
    let mut h = Harness::with_call();
    let t0 = h.now;
    h.start(OpKind::ConferenceConsult);
    assert_eq!(h.take_sent(), [start_msg(OpKind::ConferenceConsult, 1)]);
    assert_eq!(h.next_timer(), Some(t0 + 10_000), "request timeout first");
    h.statuses(&[Held, Dialing, Ringing]);
    assert_eq!(
        h.next_timer(),
        Some(t0 + 30_000),
        "then the no-answer bound"
    );
    h.status(Established);
    assert_eq!(h.next_timer(), None, "the op waits for the application");
    assert_eq!(h.state(), CallState::ConsultEstablished);
    h.advance(120_000);
    h.complete(OpKind::ConferenceComplete);
    assert_eq!(h.take_sent(), [complete_conf_msg(2)]);
    assert_eq!(h.next_timer(), Some(h.now + 10_000));
    h.statuses(&[Released, Retrieved, ConfPartyAdd]);
    h.assert_events(&[
        "S:Held/CONSULTING/2",
        "S:Dialing/CONSULTING/2",
        "S:Ringing/CONSULTING/2",
        "S:Established/CONSULT_ESTABLISHED/2",
        "S:Released/CONSULT_ESTABLISHED/2",
        "S:Retrieved/CONSULT_ESTABLISHED/2",
        "S:ConfPartyAdd/CONFERENCED/3",
        "D:COMPLETED/CONFERENCED/3",
    ]);
    h.assert_settled(CallState::Conferenced);
}

#[test]
fn c4_complete_before_answer() {
    let mut h = Harness::with_call();
    h.start(OpKind::ConferenceConsult);
    h.statuses(&[Held, Dialing, Ringing]);
    h.complete(OpKind::ConferenceComplete);
    assert_eq!(
        h.take_sent(),
        [
            start_msg(OpKind::ConferenceConsult, 1),
            complete_conf_msg(2)
        ]
    );
    h.status(ConfPartyAdd);
    h.assert_events(&[
        "S:Held/CONSULTING/2",
        "S:Dialing/CONSULTING/2",
        "S:Ringing/CONSULTING/2",
        "S:ConfPartyAdd/CONFERENCED/3",
        "D:COMPLETED/CONFERENCED/3",
    ]);
    h.assert_settled(CallState::Conferenced);
}

#[test]
fn c4_consulted_party_hangs_up() {
    let mut h = Harness::with_call();
    h.start(OpKind::ConferenceConsult);
    h.statuses(&[Held, Dialing, Ringing, Established]);
    h.drain();
    h.status(Released);
    h.assert_events(&["S:Released/HELD/2"]);
    assert_eq!(h.take_sent(), [retrieve_msg(2)]);
    assert_eq!(
        h.flow.can(CALL, OpKind::ConsultCancel),
        Err(Refusal::InvalidState(
            "no consult that can be cancelled (call is HELD, RetrieveCall outstanding)".into()
        ))
    );
    h.status(Retrieved);
    h.assert_events(&["S:Retrieved/ACTIVE/2", "D:CONSULT_RELEASED/ACTIVE/2"]);
    h.assert_settled(CallState::Active);
}

/// InitConf/InitXfer, Held, Dialing, Busy: the engine retrieves (R2).
fn busy(kind: OpKind) -> Harness {
    let mut h = Harness::with_call();
    h.start(kind);
    h.statuses(&[Held, Dialing, Busy]);
    assert_eq!(h.take_sent(), [start_msg(kind, 1), retrieve_msg(2)]);
    h.assert_events(&[
        "S:Held/CONSULTING/2",
        "S:Dialing/CONSULTING/2",
        "S:Busy/HELD/2",
    ]);
    assert_eq!(h.next_timer(), Some(h.now + 10_000));
    h
}

fn busy_retrieved(kind: OpKind) {
    let mut h = busy(kind);
    h.statuses(&[Released, Retrieved]);
    let events = h.take_events();
    assert_eq!(
        briefs(&events),
        [
            "S:Released/HELD/2",
            "S:Retrieved/ACTIVE/2",
            "D:BUSY/ACTIVE/2"
        ]
    );
    assert_eq!(done(&events).op_kind, Some(kind));
    h.assert_settled(CallState::Active);
}

fn busy_retrieve_refused(kind: OpKind) {
    let mut h = busy(kind);
    h.error("RetrieveCall", None, Some("2"));
    let events = h.take_events();
    assert_eq!(briefs(&events), ["D:RETRIEVE_FAILED/HELD/2"]);
    assert_eq!(done(&events).failed_request, Some(FailedReq::RetrieveCall));
    assert_eq!(done(&events).tlib_error, None);
    assert_eq!(
        h.flow.can(CALL, kind),
        Err(Refusal::InvalidState("call is HELD".into()))
    );
    h.assert_settled_because(CallState::Held, "never a second RetrieveCall");
}

#[test]
fn c5_busy() {
    busy_retrieved(OpKind::ConferenceConsult);
}

#[test]
fn c5_busy_retrieve_refused() {
    busy_retrieve_refused(OpKind::ConferenceConsult);
}

/// InitConf/InitXfer, Held, Dialing, a blind complete, then Busy (M1): the
/// call is HELD and nothing more is sent, because the server answers the
/// complete with a CallError and restores the call itself (R3).
fn blind_complete_busy(kind: OpKind, complete: OpKind) -> Harness {
    let mut h = Harness::with_call();
    h.start(kind);
    h.statuses(&[Held, Dialing]);
    h.complete(complete);
    h.status(Busy);
    let complete_msg = match complete {
        OpKind::ConferenceComplete => complete_conf_msg(2),
        _ => complete_xfer_msg(2),
    };
    assert_eq!(
        h.take_sent(),
        [start_msg(kind, 1), complete_msg],
        "no RetrieveCall while the complete is outstanding (R4)"
    );
    h.assert_events(&[
        "S:Held/CONSULTING/2",
        "S:Dialing/CONSULTING/2",
        "S:Busy/HELD/2",
    ]);
    assert_eq!(
        h.next_timer(),
        Some(h.now + 10_000),
        "the complete's own timer runs on"
    );
    assert!(matches!(
        h.flow.can(CALL, OpKind::ConsultCancel),
        Err(Refusal::InvalidState(_))
    ));
    h
}

/// The server's CallError for the complete ends the op BUSY, ACTIVE, with
/// its TLibErrCode, and the engine never retrieves.
fn blind_complete_busy_call_error(kind: OpKind, complete: OpKind, failed: &str, want: FailedReq) {
    let mut h = blind_complete_busy(kind, complete);
    h.error(failed, Some("43"), Some("2"));
    let events = h.take_events();
    assert_eq!(briefs(&events), ["D:BUSY/ACTIVE/2"]);
    let d = done(&events);
    assert_eq!((d.op_id, d.op_kind), (1, Some(kind)));
    assert_eq!(d.failed_request, Some(want));
    assert_eq!(d.tlib_error, Some(43));
    assert!(
        h.take_sent().is_empty(),
        "R4: no RetrieveCall after the CallError"
    );
    assert!(h.timers.is_empty());
    // The server's own Retrieved is absorbed.
    h.status(Retrieved);
    h.assert_events(&["S:Retrieved/ACTIVE/2"]);
    h.assert_settled(CallState::Active);
}

/// Neither the CallError nor the terminal status within
/// request_timeout_ms of the complete: now the engine retrieves, once.
fn blind_complete_busy_timeout(kind: OpKind, complete: OpKind) {
    let mut h = blind_complete_busy(kind, complete);
    h.advance(9_999);
    assert!(h.take_sent().is_empty());
    h.advance(1);
    assert_eq!(h.take_sent(), [retrieve_msg(3)]);
    assert!(h.take_events().is_empty(), "BUSY waits for Retrieved");
    h.statuses(&[Released, Retrieved]);
    h.assert_events(&[
        "S:Released/HELD/2",
        "S:Retrieved/ACTIVE/2",
        "D:BUSY/ACTIVE/2",
    ]);
    h.assert_settled(CallState::Active);
}

/// The server restores the call before it sends the CallError: Retrieved
/// changes nothing while the complete is outstanding; the CallError ends
/// the op BUSY.
fn blind_complete_busy_retrieved_first(kind: OpKind, complete: OpKind, failed: &str) {
    let mut h = blind_complete_busy(kind, complete);
    h.statuses(&[Released, Retrieved]);
    h.assert_events(&["S:Released/HELD/2", "S:Retrieved/HELD/2"]);
    assert!(h.take_sent().is_empty());
    h.error(failed, None, None);
    h.assert_events(&["D:BUSY/ACTIVE/2"]);
    h.assert_settled(CallState::Active);
}

#[test]
fn c4_blind_complete_busy() {
    use OpKind::{ConferenceComplete as Complete, ConferenceConsult as Consult};
    blind_complete_busy_call_error(Consult, Complete, "CompleteConf", FailedReq::CompleteConf);
    blind_complete_busy_timeout(Consult, Complete);
    blind_complete_busy_retrieved_first(Consult, Complete, "CompleteConf");
}

#[test]
fn t2_blind_complete_busy() {
    use OpKind::{TransferComplete as Complete, TransferConsult as Consult};
    blind_complete_busy_call_error(Consult, Complete, "CompleteXfer", FailedReq::CompleteXfer);
    blind_complete_busy_timeout(Consult, Complete);
    blind_complete_busy_retrieved_first(Consult, Complete, "CompleteXfer");
}

fn failed_at_init(kind: OpKind, failed: &str, want: FailedReq) {
    let mut h = Harness::with_call();
    h.start(kind);
    h.statuses(&[Held, Dialing]);
    h.error(failed, Some("56"), Some("1"));
    let events = h.take_events();
    assert_eq!(
        briefs(&events),
        [
            "S:Held/CONSULTING/2",
            "S:Dialing/CONSULTING/2",
            "D:FAILED/ACTIVE/2"
        ]
    );
    assert_eq!(done(&events).failed_request, Some(want));
    assert_eq!(done(&events).tlib_error, Some(56));
    assert_eq!(
        h.take_sent(),
        [start_msg(kind, 1)],
        "R3/R4: no RetrieveCall"
    );
    assert!(h.timers.is_empty());
    // The server's own Retrieved is absorbed.
    h.status(Retrieved);
    h.assert_events(&["S:Retrieved/ACTIVE/2"]);
    assert!(h.take_sent().is_empty());
    assert_eq!(h.state(), CallState::Active);
    h.ok();
}

fn failed_at_complete(kind: OpKind, complete: OpKind, failed: &str, want: FailedReq) {
    let mut h = Harness::with_call();
    h.start(kind);
    h.statuses(&[Held, Dialing, Ringing, Established]);
    h.complete(complete);
    h.drain();
    h.error(failed, None, Some("2"));
    let events = h.take_events();
    assert_eq!(briefs(&events), ["D:FAILED/ACTIVE/2"]);
    assert_eq!(done(&events).failed_request, Some(want));
    h.assert_settled_because(CallState::Active, "R4: no RetrieveCall");
}

#[test]
fn c6_failed_at_init() {
    failed_at_init(OpKind::ConferenceConsult, "InitConf", FailedReq::InitConf);
}

#[test]
fn c6_failed_at_complete() {
    failed_at_complete(
        OpKind::ConferenceConsult,
        OpKind::ConferenceComplete,
        "CompleteConf",
        FailedReq::CompleteConf,
    );
}

#[test]
fn t1_one_step_transfer() {
    let mut h = Harness::with_call();
    h.start(OpKind::TransferOneStep);
    assert_eq!(h.take_sent(), [start_msg(OpKind::TransferOneStep, 1)]);
    h.status(XferComplete);
    h.assert_events(&["S:XferComplete/TRANSFERRED/2", "D:COMPLETED/TRANSFERRED/2"]);
    assert_eq!(h.state(), CallState::Transferred);
    // The server does not end the call: the engine sends EndCall itself
    // request_timeout_ms later.
    let due = h.now + 10_000;
    assert_eq!(h.next_timer(), Some(due));
    h.advance(9_999);
    assert!(h.take_sent().is_empty());
    h.advance(1);
    assert_eq!(h.take_sent(), [end_call_msg()]);
    h.assert_events(&["E/ENDED"]);
    assert_eq!(h.flow.call_count(), 0);
    assert!(h.timers.is_empty());
    h.ok();
}

#[test]
fn t1_one_step_transfer_call_error() {
    let mut h = Harness::with_call();
    h.start(OpKind::TransferOneStep);
    h.take_sent();
    h.error("OneStepXfer", Some("1"), Some("1"));
    let events = h.take_events();
    assert_eq!(briefs(&events), ["D:FAILED/ACTIVE/2"]);
    assert_eq!(done(&events).failed_request, Some(FailedReq::OneStepXfer));
    h.assert_settled_because(CallState::Active, "R1: nothing sent");
}

#[test]
fn t2_consult_transfer() {
    let mut h = Harness::with_call();
    h.start(OpKind::TransferConsult);
    h.statuses(&[Held, Dialing, Ringing, Established]);
    assert_eq!(
        h.flow.can(CALL, OpKind::ConferenceComplete),
        Err(Refusal::InvalidState(
            "no conference consult waiting for completion (call is CONSULT_ESTABLISHED, consult of the other kind in flight)".into()
        ))
    );
    h.complete(OpKind::TransferComplete);
    assert_eq!(
        h.take_sent(),
        [start_msg(OpKind::TransferConsult, 1), complete_xfer_msg(2)]
    );
    h.status(XferComplete);
    h.assert_events(&[
        "S:Held/CONSULTING/2",
        "S:Dialing/CONSULTING/2",
        "S:Ringing/CONSULTING/2",
        "S:Established/CONSULT_ESTABLISHED/2",
        "S:XferComplete/TRANSFERRED/2",
        "D:COMPLETED/TRANSFERRED/2",
    ]);
    assert_eq!(h.timers.len(), 1, "the post-transfer EndCall timer");
    // The server ends the call: CALL_ENDED, the timer dies with the call.
    h.server_end();
    h.assert_events(&["E/ENDED"]);
    assert!(h.take_sent().is_empty());
    assert!(h.timers.is_empty());
    h.ok();
}

#[test]
fn t2_consult_transfer_complete_before_answer() {
    let mut h = Harness::with_call();
    h.start(OpKind::TransferConsult);
    h.statuses(&[Held, Dialing]);
    h.complete(OpKind::TransferComplete);
    h.status(XferComplete);
    assert_eq!(
        h.take_sent(),
        [start_msg(OpKind::TransferConsult, 1), complete_xfer_msg(2)]
    );
    h.assert_events(&[
        "S:Held/CONSULTING/2",
        "S:Dialing/CONSULTING/2",
        "S:XferComplete/TRANSFERRED/2",
        "D:COMPLETED/TRANSFERRED/2",
    ]);
    assert_eq!(h.state(), CallState::Transferred);
    h.status(Released);
    h.assert_events(&["S:Released/ENDED/2", "E/ENDED"]);
    assert!(h.timers.is_empty());
    h.ok();
}

#[test]
fn t3_consult_transfer_busy() {
    busy_retrieved(OpKind::TransferConsult);
}

#[test]
fn t3_consult_transfer_busy_retrieve_refused() {
    busy_retrieve_refused(OpKind::TransferConsult);
}

#[test]
fn t4_consult_transfer_failed() {
    failed_at_init(OpKind::TransferConsult, "InitXfer", FailedReq::InitXfer);
}

#[test]
fn t4_consult_transfer_failed_at_complete() {
    failed_at_complete(
        OpKind::TransferConsult,
        OpKind::TransferComplete,
        "CompleteXfer",
        FailedReq::CompleteXfer,
    );
}

#[test]
fn cancel_consult() {
    let mut h = Harness::with_call();
    h.start(OpKind::ConferenceConsult);
    h.statuses(&[Held, Dialing]);
    assert_eq!(h.flow.can(CALL, OpKind::ConsultCancel), Ok(()));
    h.cancel();
    assert_eq!(
        h.take_sent(),
        [start_msg(OpKind::ConferenceConsult, 1), retrieve_msg(2)]
    );
    assert_eq!(h.state(), CallState::Consulting, "sending changes no state");
    assert_eq!(
        h.flow.can(CALL, OpKind::ConsultCancel),
        Err(Refusal::InvalidState(
            "no consult that can be cancelled (call is CONSULTING, RetrieveCall outstanding)"
                .into()
        ))
    );
    h.status(Retrieved);
    h.assert_events(&[
        "S:Held/CONSULTING/2",
        "S:Dialing/CONSULTING/2",
        "S:Retrieved/ACTIVE/2",
        "D:CANCELLED/ACTIVE/2",
    ]);
    assert!(h.timers.is_empty());
    assert_eq!(h.state(), CallState::Active);
    h.ok();
}

#[test]
fn no_answer() {
    let mut h = Harness::with_call();
    let t0 = h.now;
    h.start(OpKind::ConferenceConsult);
    h.statuses(&[Held, Dialing, Ringing]);
    h.take_events();
    h.advance_to(t0 + 29_999);
    assert_eq!(h.take_sent(), [start_msg(OpKind::ConferenceConsult, 1)]);
    h.advance(1);
    assert_eq!(h.take_sent(), [retrieve_msg(2)]);
    assert!(h.take_events().is_empty(), "NO_ANSWER waits for Retrieved");
    h.status(Retrieved);
    h.assert_events(&["S:Retrieved/ACTIVE/2", "D:NO_ANSWER/ACTIVE/2"]);
    assert!(h.timers.is_empty());
    assert_eq!(h.state(), CallState::Active);
    h.ok();
}

#[test]
fn request_timeout() {
    // One-step: no reaction in request_timeout_ms -> TIMEOUT, nothing sent,
    // state unchanged.
    let mut h = Harness::with_call();
    h.start(OpKind::TransferOneStep);
    h.take_sent();
    h.advance(10_000);
    h.assert_events(&["D:TIMEOUT/ACTIVE/2"]);
    assert!(h.take_sent().is_empty());
    assert!(h.timers.is_empty());
    h.ok();

    // Consult: no reaction to the init -> one RetrieveCall, TIMEOUT after
    // the Retrieved CALL_STATUS.
    let mut h = Harness::with_call();
    h.start(OpKind::ConferenceConsult);
    h.take_sent();
    h.advance(10_000);
    assert_eq!(h.take_sent(), [retrieve_msg(2)]);
    h.status(Retrieved);
    h.assert_events(&["S:Retrieved/ACTIVE/2", "D:TIMEOUT/ACTIVE/2"]);
    h.ok();

    // Consult: the complete gets no terminal message, nor the retrieve:
    // TIMEOUT, HELD, never a second RetrieveCall.
    let mut h = Harness::with_call();
    h.start(OpKind::TransferConsult);
    h.statuses(&[Held, Dialing, Established]);
    h.complete(OpKind::TransferComplete);
    h.drain();
    h.advance(10_000);
    assert_eq!(h.take_sent(), [retrieve_msg(3)]);
    h.advance(10_000);
    h.assert_events(&["D:TIMEOUT/HELD/2"]);
    h.assert_settled(CallState::Held);
}

#[test]
fn caller_hangs_up() {
    // Server EndCall during a consult: op CALL_ENDED, then CALL_ENDED;
    // nothing sent, timers gone.
    let mut h = Harness::with_call();
    h.start(OpKind::ConferenceConsult);
    h.statuses(&[Held, Dialing]);
    h.drain();
    h.server_end();
    let events = h.take_events();
    assert_eq!(briefs(&events), ["D:CALL_ENDED/ENDED/2", "E/ENDED"]);
    assert_eq!(events[0].op_id, 1);
    assert_eq!(events[1].op_id, 0);
    assert!(h.take_sent().is_empty(), "no RetrieveCall, no EndCall");
    assert!(h.timers.is_empty());
    assert_eq!(h.flow.call_state(CALL), Err(Refusal::UnknownCall));
    h.ok();

    // The application ends the call during a consult: only EndCall.
    let mut h = Harness::with_call();
    h.start(OpKind::TransferConsult);
    h.statuses(&[Held, Dialing, Established]);
    h.drain();
    h.end();
    assert_eq!(h.take_sent(), [end_call_msg()]);
    h.assert_events(&["D:CALL_ENDED/ENDED/2", "E/ENDED"]);
    assert_eq!(h.flow.call_count(), 0);
    // The id is free at once.
    h.new_call(CALL);
    h.ok();
}

#[test]
fn link_lost() {
    let mut h = Harness::with_call();
    h.new_call("C0002");
    h.start(OpKind::ConferenceConsult);
    h.statuses(&[Held, Dialing]);
    let one_step = h
        .flow
        .start(h.now, "C0002", OpKind::TransferOneStep, DEST, vec![])
        .unwrap();
    h.pump();
    h.drain();
    h.link(false);
    let events = h.take_events();
    assert_eq!(
        briefs(&events),
        ["D:LINK_LOST/HELD/2", "D:LINK_LOST/ACTIVE/2"]
    );
    assert_eq!(events[1].op_id, one_step);
    assert!(events
        .iter()
        .all(|e| e.kind == CallEventKind::OperationDone));
    assert!(h.take_sent().is_empty());
    assert!(h.timers.is_empty());
    // Calls stay known, requests are refused until the session is back.
    assert_eq!(h.flow.call_count(), 2);
    assert_eq!(h.state(), CallState::Held);
    assert_eq!(
        h.flow.can(CALL, OpKind::ConferenceConsult),
        Err(Refusal::NotConnected)
    );
    // Late messages change nothing and send nothing.
    h.status(Busy);
    assert!(h.take_sent().is_empty());
    h.link(true);
    assert_eq!(
        h.flow.can(CALL, OpKind::ConferenceConsult),
        Err(Refusal::InvalidState("call is HELD".into()))
    );
    assert_eq!(h.flow.can("C0002", OpKind::ConferenceConsult), Ok(()));
    h.take_events();
    h.ok();
}

#[test]
fn shutdown_cancels() {
    let mut h = Harness::with_call();
    h.new_call("C0002");
    h.start(OpKind::ConferenceConsult);
    h.statuses(&[Held, Dialing]);
    // C0002 is transferred and waits for its EndCall timer.
    h.flow
        .start(h.now, "C0002", OpKind::TransferOneStep, DEST, vec![])
        .unwrap();
    h.pump();
    h.recv(
        "C0002",
        ivrconf::wire::Body::CallStatus(ivrconf::wire::CallStatus::of(XferComplete)),
    );
    h.drain();
    assert_eq!(h.timers.len(), 2);
    h.shutdown();
    let events = h.take_events();
    assert_eq!(briefs(&events), ["D:CANCELLED/CONSULTING/2"]);
    assert_eq!(events[0].outcome, Some(Outcome::Cancelled));
    assert!(h.take_sent().is_empty(), "nothing sent");
    assert!(h.timers.is_empty(), "every timer cancelled");
    assert_eq!(h.flow.call_count(), 2, "no CALL_ENDED");
    h.advance(60_000);
    assert!(h.take_events().is_empty());
    h.ok();
}
