//! Unit tests of the call model and its sequences.

use super::*;
use crate::wire::{DestRequest, NewCall, PlainRequest};
use std::time::Duration;

fn events(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .map(|s| match &s.body {
            Body::CallStatus(c) => c.event.to_string(),
            Body::CallError(e) => {
                format!("CallError:{}", e.failed_req.clone().unwrap_or_default())
            }
            other => other.name().to_string(),
        })
        .collect()
}

fn setup() -> (Calls, Settings) {
    let mut calls = Calls::new();
    let cfg = Settings::default();
    let nc = Body::NewCall(NewCall {
        called_num: "5001".into(),
        ..NewCall::default()
    });
    assert!(calls.react("C1", &nc, &cfg).is_empty());
    (calls, cfg)
}

fn dest(d: &str) -> DestRequest {
    DestRequest {
        dest_dn: d.into(),
        req_id: Some("4".into()),
        ..DestRequest::default()
    }
}

fn plain() -> PlainRequest {
    PlainRequest {
        req_id: Some("5".into()),
    }
}

#[test]
fn busy_then_retrieve_then_retrieve_again_fails() {
    let (mut calls, cfg) = setup();
    let s = calls.react("C1", &Body::InitConf(dest("busy1")), &cfg);
    assert_eq!(events(&s), ["Held", "Dialing", "Busy"]);
    assert_eq!(calls.get("C1").map(|c| c.state), Some(State::Held));
    let s = calls.react("C1", &Body::RetrieveCall(plain()), &cfg);
    assert_eq!(events(&s), ["Released", "Retrieved"]);
    assert_eq!(calls.get("C1").map(|c| c.state), Some(State::Idle));
    let s = calls.react("C1", &Body::RetrieveCall(plain()), &cfg);
    assert_eq!(events(&s), ["CallError:RetrieveCall"]);
}

#[test]
fn conference_consult_then_complete_conferences() {
    let (mut calls, cfg) = setup();
    let s = calls.react("C1", &Body::InitConf(dest("6001")), &cfg);
    assert_eq!(events(&s), ["Held", "Dialing", "Ringing", "Established"]);
    assert_eq!(calls.get("C1").map(|c| c.state), Some(State::Established));
    let s = calls.react("C1", &Body::CompleteConf(plain()), &cfg);
    assert_eq!(events(&s), ["Released", "Retrieved", "ConfPartyAdd"]);
    let c = calls.get("C1").unwrap();
    assert_eq!((c.state, c.parties), (State::Conferenced, 3));
    // A conferenced call may consult again.
    let s = calls.react("C1", &Body::OneStepConf(dest("6002")), &cfg);
    assert_eq!(events(&s), ["Dialing", "Ringing", "ConfPartyAdd"]);
    assert_eq!(calls.get("C1").unwrap().parties, 4);
}

#[test]
fn slow_answer_is_cancelled_by_a_blind_completion() {
    let (mut calls, cfg) = setup();
    let s = calls.react("C1", &Body::InitXfer(dest("slow")), &cfg);
    assert_eq!(events(&s), ["Held", "Dialing", "Ringing", "Established"]);
    let est = s[3].clone();
    assert_eq!(est.after, Duration::from_millis(300));
    assert_eq!(calls.get("C1").unwrap().state, State::Consulting);
    let s = calls.react("C1", &Body::CompleteXfer(plain()), &cfg);
    assert_eq!(events(&s), ["XferComplete"]);
    assert!(!calls.fire("C1", &est), "the late Established is dropped");
    assert_eq!(calls.get("C1").unwrap().state, State::Transferred);
    let s = calls.react("C1", &Body::InitConf(dest("6001")), &cfg);
    assert_eq!(events(&s), ["CallError:InitConf"]);
}

#[test]
fn unknown_calls_and_failures_echo_the_req_id() {
    let (mut calls, cfg) = setup();
    let s = calls.react("C9", &Body::InitConf(dest("6001")), &cfg);
    match &s[0].body {
        Body::CallError(e) => {
            assert_eq!(e.failed_req.as_deref(), Some("NoSuchCall"));
            assert_eq!(e.req_id.as_deref(), Some("4"));
            assert_eq!(e.tlib_err_code, None);
        }
        other => panic!("{other:?}"),
    }
    let s = calls.react("C1", &Body::InitConf(dest("fail")), &cfg);
    assert_eq!(
        events(&s),
        ["Held", "Dialing", "CallError:InitConf", "Retrieved"]
    );
    match &s[2].body {
        Body::CallError(e) => {
            assert_eq!(e.tlib_err_code.as_deref(), Some("56"));
            assert_eq!(e.req_id.as_deref(), Some("4"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(calls.get("C1").unwrap().state, State::Idle);
}

#[test]
fn hangup_releases_the_leg_and_retrieve_sends_no_second_release() {
    let (mut calls, cfg) = setup();
    let s = calls.react("C1", &Body::InitConf(dest("hangup")), &cfg);
    assert_eq!(
        events(&s),
        ["Held", "Dialing", "Ringing", "Established", "Released"]
    );
    assert_eq!(calls.get("C1").unwrap().state, State::Held);
    let s = calls.react("C1", &Body::CompleteConf(plain()), &cfg);
    assert_eq!(events(&s), ["CallError:CompleteConf"]);
    let s = calls.react("C1", &Body::RetrieveCall(plain()), &cfg);
    assert_eq!(events(&s), ["Retrieved"]);
}

#[test]
fn absorbed_calls_join_the_kept_ones_and_win_on_the_same_id() {
    let (mut kept, cfg) = setup();
    let s = kept.react("C1", &Body::InitConf(dest("busy1")), &cfg);
    assert_eq!(events(&s), ["Held", "Dialing", "Busy"]);
    let mut newer = Calls::new();
    let nc = |n: &str| {
        Body::NewCall(NewCall {
            called_num: n.into(),
            ..NewCall::default()
        })
    };
    newer.react("C2", &nc("6000"), &cfg);
    kept.react("C3", &nc("7000"), &cfg);
    newer.react("C3", &nc("7001"), &cfg);
    kept.absorb(newer);
    assert_eq!(kept.len(), 3);
    assert_eq!(kept.get("C1").unwrap().state, State::Held, "kept as it was");
    let called =
        |calls: &mut Calls, id: &str| match &calls.react(id, &Body::CallInfoReq, &cfg)[0].body {
            Body::CallInfoResp(r) => r.called_num.clone().unwrap_or_default(),
            other => panic!("{other:?}"),
        };
    assert_eq!(called(&mut kept, "C2"), "6000");
    assert_eq!(called(&mut kept, "C3"), "7001", "the newer announcement");
}
