//! Each destination behaviour plays exactly the documented FLOWS.md traffic
//! (every bracketed message sent by default), and the per-call model
//! answers what follows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sim_common;
use sim_common::*;

use wire::Body;

#[test]
fn login_default_answers_success_ok_echoing_the_call_id() {
    let sim = start();
    let mut c = Client::connect(&sim);
    let resp = c.login();
    assert_eq!(resp.call_id.as_deref(), Some("login-1"));
    match resp.body {
        Body::LoginResp(r) => {
            assert_eq!(r.result, "Success");
            assert_eq!(r.status.as_deref(), Some("OK"));
            assert_eq!(r.iserver_version.as_deref(), Some("IVR Server:8.1.001.02"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.received_count(Some("LoginReq")), 1);
    assert_eq!(sim.connection_count(), 1);
}

#[test]
fn c1_one_step_conference() {
    let sim = start();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<OneStepConf DestDN="6001" ReqId="1"/>"#);
    assert_eq!(c.labels(3), ["Dialing", "Ringing", "ConfPartyAdd"]);
    c.send("C1", r#"<OneStepConf DestDN="fail" ReqId="2"/>"#);
    assert_eq!(c.labels(1), ["CallError OneStepConf 56 2"]);
    assert_eq!(c.drain_until_info("C1"), Vec::<String>::new());
}

#[test]
fn c2_one_step_conference_then_a_member_leaves() {
    let sim = start();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<OneStepConf DestDN="hangup1" ReqId="1"/>"#);
    assert_eq!(
        c.labels(4),
        ["Dialing", "Ringing", "ConfPartyAdd", "ConfPartyDel"]
    );
}

#[test]
fn c3_conference_consult_then_complete() {
    let sim = start();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<InitConf DestDN="6003" ReqId="4"/>"#);
    assert_eq!(c.labels(4), ["Held", "Dialing", "Ringing", "Established"]);
    c.send("C1", r#"<CompleteConf ReqId="5"/>"#);
    assert_eq!(c.labels(3), ["Released", "Retrieved", "ConfPartyAdd"]);
    // A conferenced call takes a new consultation.
    c.send("C1", r#"<InitXfer DestDN="6004" ReqId="6"/>"#);
    assert_eq!(c.labels(4), ["Held", "Dialing", "Ringing", "Established"]);
}

#[test]
fn c4_complete_before_answer_and_consulted_party_hangs_up() {
    let sim = start();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<InitConf DestDN="noanswer" ReqId="1"/>"#);
    assert_eq!(c.labels(3), ["Held", "Dialing", "Ringing"]);
    assert_eq!(
        c.drain_until_info("C1"),
        Vec::<String>::new(),
        "rings forever"
    );
    c.send("C1", r#"<CompleteConf ReqId="2"/>"#);
    assert_eq!(c.labels(3), ["Released", "Retrieved", "ConfPartyAdd"]);

    c.new_call("C2");
    c.send("C2", r#"<InitConf DestDN="hangup" ReqId="3"/>"#);
    assert_eq!(
        c.labels(5),
        ["Held", "Dialing", "Ringing", "Established", "Released"]
    );
    c.send("C2", r#"<RetrieveCall ReqId="4"/>"#);
    assert_eq!(
        c.labels(1),
        ["Retrieved"],
        "the leg's Released was already sent"
    );
}

#[test]
fn c5_busy_then_retrieve_and_retrievefail() {
    let sim = start();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<InitConf DestDN="busy" ReqId="1"/>"#);
    assert_eq!(c.labels(3), ["Held", "Dialing", "Busy"]);
    c.send("C1", r#"<RetrieveCall ReqId="2"/>"#);
    assert_eq!(c.labels(2), ["Released", "Retrieved"]);

    c.send("C1", r#"<InitConf DestDN="retrievefail" ReqId="3"/>"#);
    assert_eq!(c.labels(3), ["Held", "Dialing", "Busy"]);
    c.send("C1", r#"<RetrieveCall ReqId="4"/>"#);
    assert_eq!(c.labels(1), ["CallError RetrieveCall 56 4"]);
}

#[test]
fn c6_consult_fails_at_init_and_at_completion() {
    let sim = start();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<InitConf DestDN="fail" ReqId="1"/>"#);
    assert_eq!(
        c.labels(4),
        ["Held", "Dialing", "CallError InitConf 56 1", "Retrieved"]
    );
    // R4: the call is no longer held, a RetrieveCall is refused.
    c.send("C1", r#"<RetrieveCall ReqId="2"/>"#);
    assert_eq!(c.labels(1), ["CallError RetrieveCall 56 2"]);

    c.send("C1", r#"<InitConf DestDN="failcomplete" ReqId="3"/>"#);
    assert_eq!(c.labels(4), ["Held", "Dialing", "Ringing", "Established"]);
    c.send("C1", r#"<CompleteConf ReqId="4"/>"#);
    assert_eq!(c.labels(2), ["CallError CompleteConf 56 4", "Retrieved"]);
}

#[test]
fn t1_one_step_transfer() {
    let sim = start();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<OneStepXfer DestDN="fail" ReqId="1"/>"#);
    assert_eq!(c.labels(1), ["CallError OneStepXfer 56 1"]);
    c.send("C1", r#"<OneStepXfer DestDN="6002" ReqId="2"/>"#);
    assert_eq!(c.labels(1), ["XferComplete"]);
    // By default the server does not end a transferred call itself.
    assert_eq!(c.drain_until_info("C1"), Vec::<String>::new());
    c.send("C1", r#"<EndCall EndCause="Normal"/>"#);
    c.send("C1", r#"<RetrieveCall ReqId="3"/>"#);
    assert_eq!(c.labels(1), ["CallError NoSuchCall - 3"]);
}

#[test]
fn t2_consult_transfer_and_t4_failure_at_completion() {
    let sim = start();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<InitXfer DestDN="6004" ReqId="1"/>"#);
    assert_eq!(c.labels(4), ["Held", "Dialing", "Ringing", "Established"]);
    c.send("C1", r#"<CompleteXfer ReqId="2"/>"#);
    assert_eq!(c.labels(1), ["XferComplete"]);

    c.new_call("C2");
    c.send("C2", r#"<InitXfer DestDN="failcomplete" ReqId="3"/>"#);
    assert_eq!(c.labels(4), ["Held", "Dialing", "Ringing", "Established"]);
    c.send("C2", r#"<CompleteXfer ReqId="4"/>"#);
    assert_eq!(c.labels(2), ["CallError CompleteXfer 56 4", "Retrieved"]);
}

#[test]
fn t3_consult_transfer_busy() {
    let sim = start();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<InitXfer DestDN="busy7" ReqId="1"/>"#);
    assert_eq!(c.labels(3), ["Held", "Dialing", "Busy"]);
    c.send("C1", r#"<RetrieveCall ReqId="2"/>"#);
    assert_eq!(c.labels(2), ["Released", "Retrieved"]);
}

#[test]
fn slow_answers_after_slow_ms() {
    let sim = start();
    sim.set("slow_ms", "150").unwrap();
    let mut c = client_with_call(&sim);
    let t0 = std::time::Instant::now();
    c.send("C1", r#"<InitConf DestDN="slow" ReqId="1"/>"#);
    assert_eq!(c.labels(4), ["Held", "Dialing", "Ringing", "Established"]);
    assert!(t0.elapsed() >= std::time::Duration::from_millis(150));
}

#[test]
fn silent_never_reacts_but_retrieve_still_answers() {
    let sim = start();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<InitConf DestDN="silent" ReqId="1"/>"#);
    assert_eq!(c.drain_until_info("C1"), Vec::<String>::new());
    c.send("C1", r#"<CompleteConf ReqId="2"/>"#);
    assert_eq!(c.drain_until_info("C1"), Vec::<String>::new());
    c.send("C1", r#"<RetrieveCall ReqId="3"/>"#);
    assert_eq!(c.labels(2), ["Released", "Retrieved"]);
}

#[test]
fn unknown_calls_get_no_such_call_with_the_req_id() {
    let sim = start();
    let mut c = Client::connect(&sim);
    c.login();
    c.send("C404", r#"<InitConf DestDN="6001" ReqId="9"/>"#);
    assert_eq!(c.labels(1), ["CallError NoSuchCall - 9"]);
    c.send("C404", "<CallInfoReq/>");
    assert_eq!(c.labels(1), ["CallError NoSuchCall - -"]);
}

#[test]
fn call_info_describes_the_call_and_its_last_event() {
    let sim = start();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<OneStepConf DestDN="6001" ReqId="1"/>"#);
    c.labels(3);
    c.send("C1", "<CallInfoReq/>");
    match c.next_message().unwrap().body {
        Body::CallInfoResp(r) => {
            assert_eq!(r.ani.as_deref(), Some("4155550100"));
            assert_eq!(r.dnis.as_deref(), Some("8005551212"));
            assert_eq!(r.called_num.as_deref(), Some("5001"));
            assert_eq!(r.last_event.as_deref(), Some("EventConfPartyAdd"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn requests_in_the_wrong_state_get_call_error() {
    let sim = start();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<CompleteConf ReqId="1"/>"#);
    assert_eq!(c.labels(1), ["CallError CompleteConf 56 1"]);
    c.send("C1", r#"<InitXfer DestDN="6001" ReqId="2"/>"#);
    c.labels(4);
    c.send("C1", r#"<CompleteConf ReqId="3"/>"#);
    assert_eq!(
        c.labels(1),
        ["CallError CompleteConf 56 3"],
        "kind must match"
    );
    c.send("C1", r#"<InitConf DestDN="6001" ReqId="4"/>"#);
    assert_eq!(
        c.labels(1),
        ["CallError InitConf 56 4"],
        "one consult at a time"
    );
}
