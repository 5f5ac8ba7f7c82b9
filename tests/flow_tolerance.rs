#![allow(clippy::unwrap_used, clippy::expect_used)]
//! FLOWS.md "Tolerance": every scenario again under every outcome-preserving
//! variant a real server may produce (bracketed messages omitted, Held and
//! Dialing swapped, duplicates, statuses that do not fit, other spellings,
//! undocumented StatusEvent values, messages for unknown calls) must give the same
//! outcome, final state, party count and messages sent. Then table-driven
//! tests of the call model: M5 CallError matching, M3 Released and server
//! EndCall in every situation, M4 timers, M2 refusal precedence and `can`.

mod flow_support;

use flow_support::*;
use ivrconf::flow::{CallEventKind, CallState, FlowConfig, OpKind, Outcome, Refusal};
use ivrconf::wire::{
    Body, CallError, CallStatus, EndCall, FailedReq, KeyValue, StatusEvent, StatusEvent::*,
};

// ---------------------------------------------------------------------------
// Scenario scripts and their variants

#[derive(Clone, Copy, Debug, PartialEq)]
enum Step {
    Start(OpKind),
    /// A CallStatus the scenario requires.
    Status(StatusEvent),
    /// A bracketed CallStatus: a real server may leave it out.
    Opt(StatusEvent),
    /// A CallStatus with this exact StatusEvent text.
    Raw(&'static str),
    /// CallError FailedReq, ReqId.
    Error(&'static str, &'static str),
    Complete(OpKind),
    Cancel,
    Advance(u64),
    ServerEnd,
    LinkDown,
    /// A message for a call id nobody announced.
    Unknown(u8),
}

use Step::*;

struct Scenario {
    name: &'static str,
    steps: Vec<Step>,
    outcome: Outcome,
    state: CallState,
    parties: u32,
    sent: &'static [&'static str],
    /// Extra statuses are harmless (false where "no reaction" is the point).
    reactive: bool,
}

/// What a run produced, compared across variants.
#[derive(Debug, PartialEq)]
struct Result_ {
    outcome: Option<Outcome>,
    state: CallState,
    parties: u32,
    sent: Vec<String>,
    /// Index of the step after which OPERATION_DONE appeared.
    done_at: Option<usize>,
}

fn run(steps: &[Step]) -> Result_ {
    let mut h = Harness::with_call();
    let mut done_at = None;
    let mut parties = 2;
    for (i, step) in steps.iter().enumerate() {
        match *step {
            Start(kind) => {
                h.start(kind);
            }
            Status(e) | Opt(e) => h.status(e),
            Raw(text) => h.raw_status(text),
            Error(failed, req) => h.error(failed, None, Some(req)),
            Complete(kind) => h.complete(kind),
            Cancel => h.cancel(),
            Advance(ms) => h.advance(ms),
            ServerEnd => h.server_end(),
            LinkDown => h.link(false),
            Unknown(n) => {
                let body = match n % 3 {
                    0 => Body::CallStatus(CallStatus::of(Busy)),
                    1 => Body::CallError(CallError {
                        failed_req: Some("Unknown".into()),
                        tlib_err_code: None,
                        req_id: None,
                    }),
                    _ => Body::EndCall(EndCall { end_cause: None }),
                };
                h.recv("C9999", body);
                assert!(h.events.iter().all(|e| e.call_id == CALL));
            }
        }
        if done_at.is_none()
            && h.events
                .iter()
                .any(|e| e.kind == CallEventKind::OperationDone)
        {
            done_at = Some(i);
        }
        if let Some(e) = h.events.last() {
            parties = e.party_count;
        }
    }
    h.ok();
    let events = h.take_events();
    let done: Vec<_> = events
        .iter()
        .filter(|e| e.kind == CallEventKind::OperationDone)
        .collect();
    assert!(done.len() <= 1, "{events:#?}");
    Result_ {
        outcome: done.first().and_then(|e| e.outcome),
        state: h.flow.call_state(CALL).unwrap_or(CallState::Ended),
        parties,
        sent: names(&h.take_sent()),
        done_at,
    }
}

#[rustfmt::skip]
fn scenarios() -> Vec<Scenario> {
    use OpKind::*;
    use CallState as S;
    use Outcome as O;
    let s = |name, steps: Vec<Step>, outcome, state, parties, sent, reactive| Scenario {
        name, steps, outcome, state, parties, sent, reactive,
    };
    vec![
        s("c1", vec![Start(ConferenceOneStep), Opt(Dialing), Opt(Ringing), Status(ConfPartyAdd)],
          O::Completed, S::Conferenced, 3, &["OneStepConf"], true),
        s("c1_error", vec![Start(ConferenceOneStep), Opt(Dialing), Error("OneStepConf", "1")],
          O::Failed, S::Active, 2, &["OneStepConf"], true),
        s("c2", vec![Start(ConferenceOneStep), Opt(Dialing), Opt(Ringing), Status(ConfPartyAdd), Status(ConfPartyDel)],
          O::Completed, S::Active, 2, &["OneStepConf"], true),
        s("c3", vec![Start(ConferenceConsult), Opt(Held), Opt(Dialing), Opt(Ringing), Status(Established),
                     Complete(ConferenceComplete), Opt(Released), Opt(Retrieved), Status(ConfPartyAdd)],
          O::Completed, S::Conferenced, 3, &["InitConf", "CompleteConf"], true),
        s("c4_before_answer", vec![Start(ConferenceConsult), Opt(Held), Opt(Dialing), Opt(Ringing),
                     Complete(ConferenceComplete), Status(ConfPartyAdd)],
          O::Completed, S::Conferenced, 3, &["InitConf", "CompleteConf"], true),
        s("c4_hang_up", vec![Start(ConferenceConsult), Opt(Held), Opt(Dialing), Opt(Ringing), Status(Established),
                     Status(Released), Status(Retrieved)],
          O::ConsultReleased, S::Active, 2, &["InitConf", "RetrieveCall"], true),
        s("c4_blind_busy", vec![Start(ConferenceConsult), Opt(Held), Opt(Dialing), Complete(ConferenceComplete),
                     Status(Busy), Opt(Released), Error("CompleteConf", "2"), Opt(Retrieved)],
          O::Busy, S::Active, 2, &["InitConf", "CompleteConf"], true),
        s("c4_blind_busy_restored_first", vec![Start(ConferenceConsult), Opt(Held), Opt(Dialing),
                     Complete(ConferenceComplete), Status(Busy), Opt(Released), Status(Retrieved),
                     Error("CompleteConf", "2")],
          O::Busy, S::Active, 2, &["InitConf", "CompleteConf"], true),
        s("c5", vec![Start(ConferenceConsult), Opt(Held), Opt(Dialing), Status(Busy), Opt(Released), Status(Retrieved)],
          O::Busy, S::Active, 2, &["InitConf", "RetrieveCall"], true),
        s("c5_refused", vec![Start(ConferenceConsult), Opt(Held), Opt(Dialing), Status(Busy), Error("RetrieveCall", "2")],
          O::RetrieveFailed, S::Held, 2, &["InitConf", "RetrieveCall"], true),
        s("c6_init", vec![Start(ConferenceConsult), Opt(Held), Opt(Dialing), Error("InitConf", "1"), Opt(Retrieved)],
          O::Failed, S::Active, 2, &["InitConf"], true),
        s("c6_complete", vec![Start(ConferenceConsult), Opt(Held), Opt(Dialing), Opt(Ringing), Status(Established),
                     Complete(ConferenceComplete), Error("CompleteConf", "2"), Opt(Retrieved)],
          O::Failed, S::Active, 2, &["InitConf", "CompleteConf"], true),
        s("t1", vec![Start(TransferOneStep), Status(XferComplete)],
          O::Completed, S::Transferred, 2, &["OneStepXfer"], true),
        s("t1_error", vec![Start(TransferOneStep), Error("OneStepXfer", "1")],
          O::Failed, S::Active, 2, &["OneStepXfer"], true),
        s("t1_released", vec![Start(TransferOneStep), Status(XferComplete), Status(Released)],
          O::Completed, S::Ended, 2, &["OneStepXfer"], true),
        s("t2", vec![Start(TransferConsult), Opt(Held), Opt(Dialing), Opt(Ringing), Status(Established),
                     Complete(TransferComplete), Status(XferComplete), ServerEnd],
          O::Completed, S::Ended, 2, &["InitXfer", "CompleteXfer"], true),
        s("t2_before_answer", vec![Start(TransferConsult), Opt(Held), Opt(Dialing), Opt(Ringing),
                     Complete(TransferComplete), Status(XferComplete)],
          O::Completed, S::Transferred, 2, &["InitXfer", "CompleteXfer"], true),
        s("t2_end_timer", vec![Start(TransferConsult), Opt(Held), Opt(Dialing), Status(Established),
                     Complete(TransferComplete), Status(XferComplete), Advance(10_000)],
          O::Completed, S::Ended, 2, &["InitXfer", "CompleteXfer", "EndCall"], true),
        s("t2_blind_busy", vec![Start(TransferConsult), Opt(Held), Opt(Dialing), Complete(TransferComplete),
                     Status(Busy), Opt(Released), Error("CompleteXfer", "2"), Opt(Retrieved)],
          O::Busy, S::Active, 2, &["InitXfer", "CompleteXfer"], true),
        s("t2_blind_busy_timeout", vec![Start(TransferConsult), Opt(Held), Opt(Dialing), Complete(TransferComplete),
                     Status(Busy), Advance(10_000), Opt(Released), Status(Retrieved)],
          O::Busy, S::Active, 2, &["InitXfer", "CompleteXfer", "RetrieveCall"], true),
        s("t3", vec![Start(TransferConsult), Opt(Held), Opt(Dialing), Status(Busy), Opt(Released), Status(Retrieved)],
          O::Busy, S::Active, 2, &["InitXfer", "RetrieveCall"], true),
        s("t3_refused", vec![Start(TransferConsult), Opt(Held), Opt(Dialing), Status(Busy), Error("RetrieveCall", "2")],
          O::RetrieveFailed, S::Held, 2, &["InitXfer", "RetrieveCall"], true),
        s("t4", vec![Start(TransferConsult), Opt(Held), Opt(Dialing), Error("InitXfer", "1"), Opt(Retrieved)],
          O::Failed, S::Active, 2, &["InitXfer"], true),
        s("t4_complete", vec![Start(TransferConsult), Opt(Held), Opt(Dialing), Status(Established),
                     Complete(TransferComplete), Error("CompleteXfer", "2")],
          O::Failed, S::Active, 2, &["InitXfer", "CompleteXfer"], true),
        s("cancel", vec![Start(ConferenceConsult), Opt(Held), Opt(Dialing), Cancel, Status(Retrieved)],
          O::Cancelled, S::Active, 2, &["InitConf", "RetrieveCall"], true),
        s("no_answer", vec![Start(TransferConsult), Status(Held), Opt(Dialing), Opt(Ringing), Advance(30_000),
                     Status(Retrieved)],
          O::NoAnswer, S::Active, 2, &["InitXfer", "RetrieveCall"], true),
        s("request_timeout", vec![Start(ConferenceConsult), Advance(10_000), Status(Retrieved)],
          O::Timeout, S::Active, 2, &["InitConf", "RetrieveCall"], false),
        s("one_step_timeout", vec![Start(ConferenceOneStep), Advance(10_000)],
          O::Timeout, S::Active, 2, &["OneStepConf"], false),
        s("caller_hangs_up", vec![Start(ConferenceConsult), Opt(Held), Opt(Dialing), ServerEnd],
          O::CallEnded, S::Ended, 2, &["InitConf"], true),
        s("link_lost", vec![Start(TransferConsult), Opt(Held), Opt(Dialing), LinkDown],
          O::LinkLost, S::Held, 2, &["InitXfer"], true),
    ]
}

/// Every outcome-preserving variant of `steps`, named.
fn variants(sc: &Scenario, done_at: usize) -> Vec<(String, Vec<Step>)> {
    let steps = &sc.steps;
    let mut out = Vec::new();
    // Bracketed messages omitted: every subset.
    let optional: Vec<usize> = (0..steps.len())
        .filter(|i| matches!(steps[*i], Opt(_)))
        .collect();
    for mask in 1u32..(1 << optional.len()) {
        let drop: Vec<usize> = optional
            .iter()
            .enumerate()
            .filter(|(bit, _)| mask & (1 << bit) != 0)
            .map(|(_, i)| *i)
            .collect();
        let v = steps
            .iter()
            .enumerate()
            .filter(|(i, _)| !drop.contains(i))
            .map(|(_, s)| *s)
            .collect();
        out.push((format!("omit {drop:?}"), v));
    }
    // Held and Dialing in either order.
    for i in 0..steps.len().saturating_sub(1) {
        if matches!(steps[i], Opt(Held) | Status(Held))
            && matches!(steps[i + 1], Opt(Dialing) | Status(Dialing))
        {
            let mut v = steps.clone();
            v.swap(i, i + 1);
            out.push((format!("swap {i}"), v));
        }
    }
    // Other spellings of every StatusEvent token.
    let spelled = steps
        .iter()
        .map(|s| match s {
            Status(e) | Opt(e) => Raw(Box::leak(
                format!(" {} ", e.as_str().to_lowercase()).into_boxed_str(),
            )),
            other => *other,
        })
        .collect();
    out.push(("lower case".into(), spelled));
    for i in 0..=steps.len() {
        // Undocumented StatusEvent values and messages for unknown calls, anywhere.
        for extra in [Raw("Queued"), Unknown(0), Unknown(1), Unknown(2)] {
            let mut v = steps.clone();
            v.insert(i, extra);
            out.push((format!("{extra:?} at {i}"), v));
        }
    }
    if sc.reactive {
        for i in 0..steps.len() {
            // A repeated CallStatus.
            if let Status(e) | Opt(e) = steps[i] {
                let mut v = steps.clone();
                v.insert(i + 1, Status(e));
                out.push((format!("duplicate {i}"), v));
            }
        }
        // A CallStatus that does not fit, anywhere while the op is in flight.
        let start = steps
            .iter()
            .position(|s| matches!(s, Start(_)))
            .unwrap_or(0);
        let conference = matches!(
            steps[start],
            Start(OpKind::ConferenceOneStep | OpKind::ConferenceConsult)
        );
        let stray = if conference {
            XferComplete
        } else {
            ConfPartyAdd
        };
        for i in start + 1..=done_at {
            let mut v = steps.clone();
            v.insert(i, Status(stray));
            out.push((format!("stray {stray:?} at {i}"), v));
        }
    }
    out
}

#[test]
fn every_scenario_under_every_tolerance_variant() {
    let mut runs = 0;
    for sc in scenarios() {
        let canonical = run(&sc.steps);
        assert_eq!(canonical.outcome, Some(sc.outcome), "{}", sc.name);
        assert_eq!(canonical.state, sc.state, "{}", sc.name);
        assert_eq!(canonical.parties, sc.parties, "{}", sc.name);
        assert_eq!(canonical.sent, sc.sent, "{}", sc.name);
        let done_at = canonical.done_at.unwrap();
        for (what, steps) in variants(&sc, done_at) {
            let r = run(&steps);
            let label = format!("{} / {what}: {steps:?}", sc.name);
            assert_eq!(r.outcome, canonical.outcome, "{label}");
            assert_eq!(r.state, canonical.state, "{label}");
            assert_eq!(r.parties, canonical.parties, "{label}");
            assert_eq!(r.sent, canonical.sent, "{label}");
            runs += 1;
        }
    }
    eprintln!("{runs} tolerance variants run");
    assert!(runs > 500, "only {runs} variants");
}

#[test]
fn undocumented_events_report_nothing() {
    let mut h = Harness::with_call();
    h.start(OpKind::ConferenceConsult);
    h.take_events();
    let before = h.next_timer();
    h.raw_status("Queued");
    h.raw_status("");
    assert!(h.take_events().is_empty());
    assert_eq!(h.next_timer(), before, "not a reaction either");
    assert_eq!(h.state(), CallState::Active);
    let log = h.flow.poll_log().unwrap();
    assert!(log.text.contains("Queued"), "{log:?}");
    h.ok();
}

#[test]
fn messages_for_unknown_calls_never_create_a_call() {
    let mut h = Harness::new();
    h.recv("C9", Body::CallStatus(CallStatus::of(Established)));
    h.recv("C9", Body::EndCall(EndCall { end_cause: None }));
    h.recv("C9", Body::CallError(CallError::default()));
    assert_eq!(h.flow.call_count(), 0);
    assert!(h.take_events().is_empty() && h.take_sent().is_empty());
    h.ok();
}

// ---------------------------------------------------------------------------
// M5: CallError matching

/// Situations with an op in flight, and the ReqIds it sent.
#[derive(Clone, Copy, Debug)]
enum Situation {
    /// OneStepConf ReqId 1.
    OneStep,
    /// InitConf ReqId 1, CONSULTING.
    Init,
    /// InitConf 1, CompleteConf 2.
    Completing,
    /// InitConf 1, CompleteConf 2 before Established, Busy (HELD, M1).
    CompletingBusy,
    /// InitConf 1, Busy, RetrieveCall 2 (HELD).
    RetrieveAfterBusy,
    /// InitConf 1, CompleteConf 2, complete timed out, RetrieveCall 3.
    RetrieveAfterTimeout,
}

fn situation(config: FlowConfig, s: Situation) -> Harness {
    let mut h = Harness::with_config(config);
    h.new_call(CALL);
    match s {
        Situation::OneStep => {
            h.start(OpKind::ConferenceOneStep);
            h.status(Dialing);
        }
        Situation::Init => {
            h.start(OpKind::ConferenceConsult);
            h.statuses(&[Held, Dialing]);
        }
        Situation::Completing => {
            h.start(OpKind::ConferenceConsult);
            h.statuses(&[Held, Dialing, Established]);
            h.complete(OpKind::ConferenceComplete);
        }
        Situation::CompletingBusy => {
            h.start(OpKind::ConferenceConsult);
            h.statuses(&[Held, Dialing]);
            h.complete(OpKind::ConferenceComplete);
            h.status(Busy);
        }
        Situation::RetrieveAfterBusy => {
            h.start(OpKind::ConferenceConsult);
            h.statuses(&[Held, Dialing, Busy]);
        }
        Situation::RetrieveAfterTimeout => {
            h.start(OpKind::ConferenceConsult);
            h.statuses(&[Held, Dialing, Established]);
            h.complete(OpKind::ConferenceComplete);
            h.advance(10_000);
        }
    }
    h.take_events();
    h.take_sent();
    h
}

/// The op's outcome, state and failed request; `None`: the error is ignored.
type Want = Option<(Outcome, CallState, FailedReq)>;
/// (situation, FailedReq, ReqId, send_req_id, expected)
type M5Case = (
    Situation,
    Option<&'static str>,
    Option<&'static str>,
    bool,
    Want,
);

#[test]
fn m5_call_error_matching() {
    use Situation::*;
    let failed = |s| Some((Outcome::Failed, CallState::Active, s));
    let retrieve_failed = |s| Some((Outcome::RetrieveFailed, CallState::Held, s));
    let busy = |s| Some((Outcome::Busy, CallState::Active, s));
    // (situation, FailedReq, ReqId, send_req_id, expected)
    #[rustfmt::skip]
    let cases: Vec<M5Case> = vec![
        (OneStep, Some("OneStepConf"), Some("1"), true, failed(FailedReq::OneStepConf)),
        (OneStep, Some("OneStepConf"), None, true, failed(FailedReq::OneStepConf)),
        (OneStep, Some("OneStepConf"), Some("7"), true, None),
        (OneStep, Some("OneStepConf"), Some("7"), false, failed(FailedReq::OneStepConf)),
        (OneStep, Some("OneStepXfer"), None, true, None),
        (OneStep, Some("OneStepXfer"), Some("1"), true, failed(FailedReq::OneStepXfer)),
        (OneStep, None, None, true, failed(FailedReq::Unknown)),
        (OneStep, Some("Bogus"), None, true, failed(FailedReq::Unknown)),
        (OneStep, Some("NoSuchCall"), None, true, failed(FailedReq::NoSuchCall)),
        (OneStep, Some("NotAllowed"), None, true, failed(FailedReq::NotAllowed)),
        (OneStep, Some("MakeCall"), None, true, None),
        (OneStep, Some("AgentControl"), None, true, None),
        (OneStep, Some("RetrieveCall"), None, true, None),
        (Init, Some("InitConf"), None, true, failed(FailedReq::InitConf)),
        (Init, Some("initconf"), Some(" 1 "), true, failed(FailedReq::InitConf)),
        (Init, Some("InitXfer"), None, true, None),
        (Init, Some("CompleteConf"), None, true, None),
        (Init, Some("InitConf"), Some("2"), true, None),
        (Init, Some("InitConf"), Some("x"), true, failed(FailedReq::InitConf)),
        (Completing, Some("CompleteConf"), Some("2"), true, failed(FailedReq::CompleteConf)),
        (Completing, Some("CompleteConf"), None, true, failed(FailedReq::CompleteConf)),
        (Completing, Some("InitConf"), Some("1"), true, failed(FailedReq::InitConf)),
        (Completing, Some("Unknown"), None, true, failed(FailedReq::Unknown)),
        (Completing, Some("RetrieveCall"), None, true, None),
        (CompletingBusy, Some("CompleteConf"), Some("2"), true, busy(FailedReq::CompleteConf)),
        (CompletingBusy, Some("CompleteConf"), None, true, busy(FailedReq::CompleteConf)),
        (CompletingBusy, Some("CompleteConf"), Some("2"), false, busy(FailedReq::CompleteConf)),
        (CompletingBusy, Some("Unknown"), None, true, busy(FailedReq::Unknown)),
        (CompletingBusy, Some("NoSuchCall"), None, true, failed(FailedReq::NoSuchCall)),
        (CompletingBusy, Some("RetrieveCall"), None, true, None),
        (CompletingBusy, Some("CompleteConf"), Some("3"), true, None),
        (RetrieveAfterBusy, Some("RetrieveCall"), Some("2"), true, retrieve_failed(FailedReq::RetrieveCall)),
        (RetrieveAfterBusy, Some("RetrieveCall"), None, true, retrieve_failed(FailedReq::RetrieveCall)),
        (RetrieveAfterBusy, Some("Unknown"), None, true, retrieve_failed(FailedReq::Unknown)),
        (RetrieveAfterBusy, None, None, false, retrieve_failed(FailedReq::Unknown)),
        (RetrieveAfterBusy, Some("InitConf"), None, true, failed(FailedReq::InitConf)),
        (RetrieveAfterBusy, Some("InitConf"), Some("1"), true, failed(FailedReq::InitConf)),
        (RetrieveAfterBusy, Some("Unknown"), Some("1"), true, failed(FailedReq::Unknown)),
        (RetrieveAfterBusy, Some("NoSuchCall"), Some("2"), true, failed(FailedReq::NoSuchCall)),
        (RetrieveAfterBusy, Some("NotAllowed"), None, true, failed(FailedReq::NotAllowed)),
        (RetrieveAfterBusy, Some("RetrieveCall"), Some("3"), true, None),
        (RetrieveAfterTimeout, Some("CompleteConf"), Some("2"), true, failed(FailedReq::CompleteConf)),
        (RetrieveAfterTimeout, Some("RetrieveCall"), Some("3"), true, retrieve_failed(FailedReq::RetrieveCall)),
        (RetrieveAfterTimeout, Some("InitConf"), Some("3"), true, retrieve_failed(FailedReq::InitConf)),
    ];
    for (i, (sit, failed_req, req_id, send_req_id, want)) in cases.into_iter().enumerate() {
        let config = FlowConfig {
            send_req_id,
            ..FlowConfig::default()
        };
        let mut h = situation(config, sit);
        let state_before = h.state();
        h.recv(
            CALL,
            Body::CallError(CallError {
                failed_req: failed_req.map(str::to_string),
                tlib_err_code: Some("42".into()),
                req_id: req_id.map(str::to_string),
            }),
        );
        let events = h.take_events();
        let label =
            format!("case {i}: {sit:?} {failed_req:?} {req_id:?} send_req_id={send_req_id}");
        match want {
            None => {
                assert!(events.is_empty(), "{label}: {events:#?}");
                assert_eq!(h.state(), state_before, "{label}");
                assert!(h.flow.poll_log().is_some(), "{label}: logged");
            }
            Some((outcome, state, req)) => {
                let d = done(&events);
                assert_eq!(
                    (d.outcome, d.state, d.failed_request, d.tlib_error),
                    (Some(outcome), state, Some(req), Some(42)),
                    "{label}"
                );
                assert!(h.timers.is_empty(), "{label}");
            }
        }
        assert!(
            h.take_sent().is_empty(),
            "{label}: never a RetrieveCall after a CallError"
        );
        h.ok();
    }
}

#[test]
fn call_error_without_op_is_ignored() {
    let mut h = Harness::with_call();
    h.error("InitConf", None, None);
    h.error("Unknown", None, Some("1"));
    assert!(h.take_events().is_empty());
    assert_eq!(h.state(), CallState::Active);
    h.ok();
}

// ---------------------------------------------------------------------------
// M3: Released and server EndCall in every situation

#[derive(Clone, Copy, Debug)]
enum Where {
    Active,
    Conferenced,
    OneStep,
    Consulting,
    ConsultEstablished,
    Completing,
    Retrieving,
    Held,
    Transferred,
}

/// Every situation of [`reach`].
const EVERYWHERE: [Where; 9] = [
    Where::Active,
    Where::Conferenced,
    Where::OneStep,
    Where::Consulting,
    Where::ConsultEstablished,
    Where::Completing,
    Where::Retrieving,
    Where::Held,
    Where::Transferred,
];

fn reach(w: Where) -> Harness {
    let mut h = Harness::with_call();
    match w {
        Where::Active => {}
        Where::Conferenced => {
            h.start(OpKind::ConferenceOneStep);
            h.status(ConfPartyAdd);
        }
        Where::OneStep => {
            h.start(OpKind::TransferOneStep);
        }
        Where::Consulting => {
            h.start(OpKind::ConferenceConsult);
            h.statuses(&[Held, Dialing]);
        }
        Where::ConsultEstablished => {
            h.start(OpKind::TransferConsult);
            h.statuses(&[Held, Dialing, Established]);
        }
        Where::Completing => {
            h.start(OpKind::ConferenceConsult);
            h.statuses(&[Held, Dialing, Established]);
            h.complete(OpKind::ConferenceComplete);
        }
        Where::Retrieving => {
            h.start(OpKind::ConferenceConsult);
            h.statuses(&[Held, Dialing]);
            h.cancel();
        }
        Where::Held => {
            h.start(OpKind::ConferenceConsult);
            h.statuses(&[Held, Busy]);
            h.error("RetrieveCall", None, None);
        }
        Where::Transferred => {
            h.start(OpKind::TransferOneStep);
            h.status(XferComplete);
        }
    }
    h.take_events();
    h.take_sent();
    h
}

#[test]
fn m3_released_in_every_state() {
    use Where::*;
    // (where, events after Released, messages sent)
    #[rustfmt::skip]
    let cases: &[(Where, &[&str], &[&str])] = &[
        (Active, &["S:Released/ENDED/2", "E/ENDED"], &[]),
        (Conferenced, &["S:Released/ENDED/3", "E/ENDED"], &[]),
        (OneStep, &["S:Released/ACTIVE/2"], &[]),
        (Consulting, &["S:Released/HELD/2"], &["RetrieveCall"]),
        (
            ConsultEstablished,
            &["S:Released/HELD/2"],
            &["RetrieveCall"],
        ),
        (Completing, &["S:Released/CONSULT_ESTABLISHED/2"], &[]),
        (Retrieving, &["S:Released/CONSULTING/2"], &[]),
        (Held, &["S:Released/HELD/2"], &[]),
        (Transferred, &["S:Released/ENDED/2", "E/ENDED"], &[]),
    ];
    for (w, events, sent) in cases {
        let mut h = reach(*w);
        h.status(Released);
        assert_eq!(briefs(&h.take_events()), *events, "{w:?}");
        assert_eq!(names(&h.take_sent()), *sent, "{w:?}");
        if events.contains(&"E/ENDED") {
            assert!(h.timers.is_empty(), "{w:?}: timers die with the call");
            assert_eq!(h.flow.call_count(), 0, "{w:?}");
        }
        h.ok();
    }
}

#[test]
fn m3_server_end_call_in_every_state() {
    use Where::*;
    for w in EVERYWHERE {
        let mut h = reach(w);
        let had_op = h.flow.can(CALL, OpKind::ConferenceOneStep) == Err(Refusal::OperationPending);
        let parties = if matches!(w, Conferenced) { 3 } else { 2 };
        h.server_end();
        let want: Vec<String> = if had_op {
            vec![format!("D:CALL_ENDED/ENDED/{parties}"), "E/ENDED".into()]
        } else {
            vec!["E/ENDED".into()]
        };
        assert_eq!(briefs(&h.take_events()), want, "{w:?}");
        assert!(
            h.take_sent().is_empty(),
            "{w:?}: a server EndCall is not answered"
        );
        assert!(h.timers.is_empty(), "{w:?}");
        assert_eq!(h.flow.call_state(CALL), Err(Refusal::UnknownCall));
        h.ok();
    }
}

#[test]
fn app_call_end_in_every_state_and_offline() {
    use Where::*;
    for w in EVERYWHERE {
        let mut h = reach(w);
        h.end();
        assert_eq!(names(&h.take_sent()), ["EndCall"], "{w:?}");
        assert_eq!(h.take_events().last().map(brief), Some("E/ENDED".into()));
        assert!(h.timers.is_empty());
        h.ok();
    }
    // Not logged in: the call ends locally, nothing is sent.
    let mut h = reach(Consulting);
    h.link(false);
    h.take_events();
    h.end();
    assert!(h.take_sent().is_empty());
    assert_eq!(briefs(&h.take_events()), ["E/ENDED"]);
    assert_eq!(h.flow.call_count(), 0);
    h.ok();
}

// ---------------------------------------------------------------------------
// M4: timers

/// An M4 case: `deadline` counts from the start of `setup`; `sends` and
/// `events` are what the expiry produces.
struct TimerCase {
    name: &'static str,
    config: fn() -> FlowConfig,
    setup: fn(&mut Harness),
    deadline: u64,
    sends: &'static [&'static str],
    events: &'static [&'static str],
}

fn short_no_answer() -> FlowConfig {
    FlowConfig {
        no_answer_timeout_ms: 4_000,
        ..FlowConfig::default()
    }
}

#[test]
fn m4_timers() {
    use OpKind::*;
    let def = FlowConfig::default;
    #[rustfmt::skip]
    let cases = [
        TimerCase { name: "one-step, no reaction", config: def, setup: |h| { h.start(ConferenceOneStep); },
                    deadline: 10_000, sends: &[], events: &["D:TIMEOUT/ACTIVE/2"] },
        TimerCase { name: "one-step, reacted", config: def, setup: |h| { h.start(ConferenceOneStep); h.advance(5_000); h.status(Ringing); },
                    deadline: 30_000, sends: &[], events: &["D:TIMEOUT/ACTIVE/2"] },
        TimerCase { name: "one-step, no-answer bound shorter", config: short_no_answer, setup: |h| { h.start(TransferOneStep); },
                    deadline: 4_000, sends: &[], events: &["D:TIMEOUT/ACTIVE/2"] },
        TimerCase { name: "init, no reaction", config: def, setup: |h| { h.start(ConferenceConsult); },
                    deadline: 10_000, sends: &["RetrieveCall"], events: &[] },
        TimerCase { name: "init, reacted", config: def, setup: |h| { h.start(TransferConsult); h.advance(9_000); h.status(Dialing); },
                    deadline: 30_000, sends: &["RetrieveCall"], events: &[] },
        TimerCase { name: "init, no-answer shorter", config: short_no_answer, setup: |h| { h.start(TransferConsult); },
                    deadline: 4_000, sends: &["RetrieveCall"], events: &[] },
        TimerCase { name: "complete", config: def, setup: |h| { h.start(ConferenceConsult); h.status(Established); h.advance(50_000); h.complete(ConferenceComplete); },
                    deadline: 60_000, sends: &["RetrieveCall"], events: &[] },
        TimerCase { name: "retrieve", config: def, setup: |h| { h.start(ConferenceConsult); h.status(Busy); },
                    deadline: 10_000, sends: &[], events: &["D:TIMEOUT/HELD/2"] },
        TimerCase { name: "transferred", config: def, setup: |h| { h.start(TransferOneStep); h.status(XferComplete); },
                    deadline: 10_000, sends: &["EndCall"], events: &["E/ENDED"] },
    ];
    for c in cases {
        let mut h = Harness::with_config((c.config)());
        h.new_call(CALL);
        let t0 = h.now;
        (c.setup)(&mut h);
        h.take_events();
        h.take_sent();
        assert_eq!(h.timers.len(), 1, "{}", c.name);
        assert_eq!(h.next_timer(), Some(t0 + c.deadline), "{}", c.name);
        h.advance_to(t0 + c.deadline - 1);
        assert!(
            h.take_sent().is_empty() && h.take_events().is_empty(),
            "{}",
            c.name
        );
        h.advance(1);
        assert_eq!(names(&h.take_sent()), c.sends, "{}", c.name);
        assert_eq!(briefs(&h.take_events()), c.events, "{}", c.name);
        h.ok();
    }
}

/// M4: a consult the server never reacts to ends TIMEOUT whichever of
/// `request_timeout_ms` and `no_answer_timeout_ms` is the shorter; after a
/// reaction but no Established it ends NO_ANSWER. The expiry comes at the
/// earlier bound either way.
#[test]
fn m4_silent_consult_is_timeout_in_either_timer_order() {
    use Outcome::{NoAnswer, Timeout};
    // (request_timeout_ms, no_answer_timeout_ms, first reaction 1 s after
    // the init, deadline counted from the init, outcome)
    #[rustfmt::skip]
    let cases: &[(u64, u64, Option<StatusEvent>, u64, Outcome)] = &[
        (10_000, 30_000, None, 10_000, Timeout),
        (10_000, 4_000, None, 4_000, Timeout),
        (5_000, 5_000, None, 5_000, Timeout),
        (4_000, 10_000, None, 4_000, Timeout),
        (10_000, 30_000, Some(Dialing), 30_000, NoAnswer),
        (10_000, 4_000, Some(Dialing), 4_000, NoAnswer),
        (10_000, 4_000, Some(Held), 4_000, NoAnswer),
        (5_000, 5_000, Some(Ringing), 5_000, NoAnswer),
        (4_000, 10_000, Some(Ringing), 10_000, NoAnswer),
    ];
    for kind in [OpKind::ConferenceConsult, OpKind::TransferConsult] {
        for &(request, no_answer, reaction, deadline, outcome) in cases {
            let label = format!("{kind:?} request={request} no_answer={no_answer} {reaction:?}");
            let mut h = Harness::with_config(FlowConfig {
                request_timeout_ms: request,
                no_answer_timeout_ms: no_answer,
                ..FlowConfig::default()
            });
            h.new_call(CALL);
            let t0 = h.now;
            h.start(kind);
            if let Some(e) = reaction {
                h.advance(1_000);
                h.status(e);
            }
            h.take_events();
            h.take_sent();
            assert_eq!(h.next_timer(), Some(t0 + deadline), "{label}");
            h.advance_to(t0 + deadline - 1);
            assert!(h.take_sent().is_empty(), "{label}");
            h.advance(1);
            assert_eq!(names(&h.take_sent()), ["RetrieveCall"], "{label}");
            assert!(h.take_events().is_empty(), "{label}: the outcome waits");
            h.status(Retrieved);
            let want = format!("D:{}/ACTIVE/2", outcome.name());
            assert_eq!(
                briefs(&h.take_events()),
                ["S:Retrieved/ACTIVE/2", want.as_str()],
                "{label}"
            );
            h.assert_settled(CallState::Active);
        }
    }
}

#[test]
fn m4_consult_outcomes_after_expiry() {
    // NO_ANSWER and TIMEOUT come after the Retrieved CALL_STATUS.
    let mut h = Harness::with_call();
    h.start(OpKind::ConferenceConsult);
    h.status(Ringing);
    h.advance(30_000);
    h.take_events();
    h.status(Retrieved);
    assert_eq!(
        briefs(&h.take_events()),
        ["S:Retrieved/ACTIVE/2", "D:NO_ANSWER/ACTIVE/2"]
    );
    // The retrieve after a NO_ANSWER is refused: RETRIEVE_FAILED, HELD.
    let mut h = Harness::with_call();
    h.start(OpKind::ConferenceConsult);
    h.status(Ringing);
    h.advance(30_000);
    h.error("RetrieveCall", None, Some("2"));
    assert_eq!(
        briefs(&h.take_events()).last().unwrap(),
        "D:RETRIEVE_FAILED/HELD/2"
    );
    // A complete that times out after the server already sent Retrieved:
    // no RetrieveCall (the original is back), TIMEOUT at once.
    let mut h = Harness::with_call();
    h.start(OpKind::ConferenceConsult);
    h.statuses(&[Held, Established]);
    h.complete(OpKind::ConferenceComplete);
    h.statuses(&[Released, Retrieved]);
    h.take_sent();
    h.take_events();
    h.advance(10_000);
    assert!(h.take_sent().is_empty());
    assert_eq!(briefs(&h.take_events()), ["D:TIMEOUT/ACTIVE/2"]);
    h.ok();
}

#[test]
fn m4_stale_timers_are_ignored() {
    let mut h = Harness::with_call();
    h.start(OpKind::ConferenceConsult);
    let first = *h.timers.keys().next().unwrap();
    h.status(Dialing); // moves the deadline: the first id is cancelled
    assert!(!h.timers.contains_key(&first));
    h.flow.on_timer(h.now, first);
    h.flow.on_timer(h.now, ivrconf::flow::TimerId(u64::MAX));
    h.pump();
    assert!(h.take_sent()[1..].is_empty() && h.take_events().len() == 1);
    h.ok();
}

// ---------------------------------------------------------------------------
// M2: refusal precedence, and `can` agreeing with the commands

fn invalid<T>(r: &Result<T, Refusal>) -> bool {
    matches!(r, Err(Refusal::InvalidArgument(_)))
}

#[test]
fn m2_refusal_precedence() {
    let mut h = Harness::with_call();
    h.start(OpKind::ConferenceConsult);
    h.statuses(&[Held, Busy]); // op in flight, call HELD
    h.take_sent();
    h.take_events();
    let f = &mut h.flow;
    let now = 0;
    // INVALID_ARGUMENT beats everything.
    assert!(invalid(&f.start(
        now,
        "",
        OpKind::ConferenceOneStep,
        DEST,
        vec![]
    )));
    assert!(invalid(&f.start(
        now,
        " C1",
        OpKind::ConferenceOneStep,
        DEST,
        vec![]
    )));
    assert!(invalid(&f.start(
        now,
        &"x".repeat(65),
        OpKind::ConferenceOneStep,
        DEST,
        vec![]
    )));
    assert!(invalid(&f.start(
        now,
        "nope",
        OpKind::ConferenceOneStep,
        "",
        vec![]
    )));
    assert!(invalid(&f.start(
        now,
        CALL,
        OpKind::ConferenceOneStep,
        "60\u{20ac}",
        vec![]
    )));
    assert!(invalid(&f.start(
        now,
        CALL,
        OpKind::ConferenceOneStep,
        "60\n1",
        vec![]
    )));
    assert!(invalid(&f.start(
        now,
        CALL,
        OpKind::ConferenceOneStep,
        DEST,
        vec![KeyValue::str("", "v")]
    )));
    assert!(invalid(&f.start(
        now,
        CALL,
        OpKind::ConsultCancel,
        DEST,
        vec![]
    )));
    assert!(invalid(&f.complete(now, CALL, OpKind::ConferenceConsult)));
    assert!(invalid(&f.call_new(now, CALL, "", None, None, vec![])));
    assert!(invalid(&f.call_new(
        now,
        CALL,
        "5001",
        Some("a\u{7}"),
        None,
        vec![]
    )));
    assert!(invalid(&f.call_state("")));
    assert!(invalid(&f.call_end(now, "a\u{100}")));
    // OPERATION_PENDING beats INVALID_STATE (the call is HELD).
    assert_eq!(
        f.can(CALL, OpKind::ConferenceOneStep),
        Err(Refusal::OperationPending)
    );
    assert!(f.poll_output().is_none(), "refusals emit nothing");
    // UNKNOWN_CALL / CALL_EXISTS beat NOT_CONNECTED.
    h.link(false);
    let f = &mut h.flow;
    assert_eq!(
        f.can("nope", OpKind::ConferenceOneStep),
        Err(Refusal::UnknownCall)
    );
    assert_eq!(
        f.call_new(now, CALL, "5001", None, None, vec![]),
        Err(Refusal::CallExists)
    );
    assert_eq!(
        f.call_new(now, "C2", "5001", None, None, vec![]),
        Err(Refusal::NotConnected)
    );
    h.ok();

    // NOT_CONNECTED beats OPERATION_PENDING and INVALID_STATE; call_state
    // never returns it.
    let mut h = Harness::with_call();
    h.start(OpKind::ConferenceConsult);
    h.statuses(&[Held, Busy]);
    h.link(false);
    assert_eq!(
        h.flow.can(CALL, OpKind::TransferOneStep),
        Err(Refusal::NotConnected)
    );
    assert_eq!(h.flow.call_state(CALL), Ok(CallState::Held));
    h.ok();
}

/// `can(kind)` and the command for `kind` agree, in every situation, for
/// every op kind; refused commands emit nothing.
#[test]
fn m2_can_matches_the_commands() {
    let mut checked = 0;
    for w in EVERYWHERE {
        for kind in OpKind::ALL {
            for connected in [true, false] {
                let mut h = reach(w);
                if !connected {
                    h.link(false);
                    h.take_events();
                }
                let expected = h.flow.can(CALL, kind);
                let got = match kind {
                    k if k.is_start() => h.flow.start(h.now, CALL, k, DEST, vec![]).map(|_| ()),
                    OpKind::ConsultCancel => h.flow.consult_cancel(h.now, CALL),
                    k => h.flow.complete(h.now, CALL, k),
                };
                assert_eq!(got, expected, "{w:?} {kind:?} connected={connected}");
                if got.is_err() {
                    assert!(
                        h.flow.poll_output().is_none(),
                        "{w:?} {kind:?}: refusal emitted output"
                    );
                }
                h.pump();
                h.ok();
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 9 * 7 * 2);
}

#[test]
fn m2_state_rules() {
    let pending = Err(Refusal::OperationPending);
    let h = reach(Where::Retrieving);
    assert_eq!(h.flow.can(CALL, OpKind::TransferConsult), pending);
    let h = reach(Where::Transferred);
    assert_eq!(
        h.flow.can(CALL, OpKind::ConferenceOneStep),
        Err(Refusal::InvalidState("call is TRANSFERRED".into()))
    );
    let h = reach(Where::Conferenced);
    assert_eq!(h.flow.can(CALL, OpKind::TransferConsult), Ok(()));
    assert!(matches!(
        h.flow.can(CALL, OpKind::ConferenceComplete),
        Err(Refusal::InvalidState(_))
    ));
    let h = reach(Where::OneStep);
    assert!(matches!(
        h.flow.can(CALL, OpKind::ConsultCancel),
        Err(Refusal::InvalidState(_))
    ));
    let h = reach(Where::Completing);
    assert!(matches!(
        h.flow.can(CALL, OpKind::ConferenceComplete),
        Err(Refusal::InvalidState(_))
    ));
    assert!(matches!(
        h.flow.can(CALL, OpKind::ConsultCancel),
        Err(Refusal::InvalidState(_))
    ));
    // Blind completion: complete before any reaction to the init.
    let mut h = Harness::with_call();
    h.start(OpKind::TransferConsult);
    assert_eq!(h.flow.can(CALL, OpKind::TransferComplete), Ok(()));
    assert_eq!(h.flow.can(CALL, OpKind::ConsultCancel), Ok(()));
}

#[test]
fn req_ids_and_send_req_id_false() {
    let mut h = Harness::with_config(FlowConfig {
        send_req_id: false,
        ..FlowConfig::default()
    });
    h.new_call(CALL);
    h.start(OpKind::ConferenceConsult);
    h.statuses(&[Held, Busy]);
    let sent = h.take_sent();
    assert_eq!(names(&sent), ["InitConf", "RetrieveCall"]);
    assert!(sent.iter().all(|m| req_id(m).is_none()));
    h.status(Retrieved);
    // The counter still advanced: the next request is number 3.
    let mut h2 = Harness::with_call();
    h2.start(OpKind::ConferenceConsult);
    h2.statuses(&[Held, Busy, Retrieved]);
    h2.start(OpKind::TransferOneStep);
    let ids: Vec<_> = h2.take_sent().iter().map(req_id).collect();
    assert_eq!(ids, [Some("1".into()), Some("2".into()), Some("3".into())]);
    h.ok();
    h2.ok();
}

#[test]
fn consult_from_a_conference_returns_to_it() {
    let mut h = reach(Where::Conferenced);
    h.start(OpKind::ConferenceConsult);
    h.statuses(&[Held, Dialing, Busy, Retrieved]);
    assert_eq!(
        briefs(&h.take_events()).last().unwrap(),
        "D:BUSY/CONFERENCED/3"
    );
    h.start(OpKind::ConferenceConsult);
    h.statuses(&[Held, Established]);
    h.complete(OpKind::ConferenceComplete);
    h.status(ConfPartyAdd);
    assert_eq!(
        briefs(&h.take_events()).last().unwrap(),
        "D:COMPLETED/CONFERENCED/4"
    );
    h.statuses(&[ConfPartyDel, ConfPartyDel, ConfPartyDel]);
    assert_eq!(
        briefs(&h.take_events()),
        [
            "S:ConfPartyDel/CONFERENCED/3",
            "S:ConfPartyDel/ACTIVE/2",
            "S:ConfPartyDel/ACTIVE/2"
        ]
    );
    h.ok();
}
