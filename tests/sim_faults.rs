//! Login variants, keep-alive behaviour and every fault: each produces
//! exactly the documented traffic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sim_common;
use sim_common::*;

use std::time::{Duration, Instant};

use ivrconf::sim::{Dir, Simulator};
use wire::{Body, CallStatus, Message, StatusEvent};

/// For negative checks only ("nothing arrives"): there is no event to wait
/// for, so a short window is the assertion itself.
const QUIET: Duration = Duration::from_millis(250);

fn status(m: &Message) -> String {
    label(m)
}

#[test]
fn init_in_progress_for_n_logins_then_ok() {
    let sim = start();
    sim.set("login_init_in_progress", "2").unwrap();
    let mut c = Client::connect(&sim);
    let statuses: Vec<String> = (0..3)
        .map(|_| match c.login().body {
            Body::LoginResp(r) => r.status.unwrap_or_default(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(statuses, ["InitInProgress", "InitInProgress", "OK"]);
}

#[test]
fn login_refusals_and_no_answer() {
    let sim = start();
    for (mode, result, status) in [
        ("no_such_client", "Success", Some("NoSuchClient")),
        ("invalid_protocol_version", "InvalidProtocolVersion", None),
    ] {
        sim.set("login", mode).unwrap();
        match Client::connect(&sim).login().body {
            Body::LoginResp(r) => {
                assert_eq!(r.result, result);
                assert_eq!(r.status.as_deref(), status);
            }
            other => panic!("{other:?}"),
        }
    }
    sim.set("login", "no_answer").unwrap();
    let mut c = Client::connect(&sim);
    c.send(
        "login-1",
        r#"<LoginReq Version="4.0" ClientName="IVR_01"/>"#,
    );
    // Answered in order: an ack before any LoginResp proves there is none.
    c.send_raw(&wire::KEEPALIVE_REQUEST);
    assert_eq!(c.next_frame_within(WAIT), Some(Frame::KeepAliveAck));
    assert_eq!(sim.sent_count(Some("LoginResp")), 2);
}

#[test]
fn keepalive_answers_can_stop_and_the_server_can_probe() {
    let sim = start();
    let mut c = Client::connect(&sim);
    c.send_raw(&wire::KEEPALIVE_REQUEST);
    assert_eq!(c.next_frame_within(WAIT), Some(Frame::KeepAliveAck));
    sim.set("keepalive_answer", "false").unwrap();
    c.send_raw(&wire::KEEPALIVE_REQUEST);
    c.send("C9", "<CallInfoReq/>");
    assert_eq!(
        label(&match c.next_frame_within(WAIT) {
            Some(Frame::Message(m)) => m,
            other => panic!("{other:?}"),
        }),
        "CallError NoSuchCall - -"
    );
    sim.set("keepalive_interval_ms", "20").unwrap();
    for _ in 0..2 {
        assert_eq!(c.next_frame_within(WAIT), Some(Frame::KeepAliveRequest));
    }
    assert_eq!(sim.received_count(Some("#keepalive_request")), 2);
}

#[test]
fn silent_sends_nothing_at_all_until_lifted() {
    let sim = start();
    sim.set("silent", "true").unwrap();
    sim.set("keepalive_interval_ms", "10").unwrap();
    let mut c = Client::connect(&sim);
    c.send_raw(&wire::KEEPALIVE_REQUEST);
    c.send(
        "login-1",
        r#"<LoginReq Version="4.0" ClientName="IVR_01"/>"#,
    );
    assert!(sim.wait_received("LoginReq", 1, WAIT));
    assert_eq!(c.next_frame_within(QUIET), None);
    assert_eq!(sim.sent_count(None), 0);
    sim.set("keepalive_interval_ms", "0").unwrap();
    sim.set("silent", "false").unwrap();
    assert_eq!(label(&c.login()), "LoginResp");
}

#[test]
fn drop_after_n_frames_and_at_a_named_message() {
    let sim = start();
    sim.set("drop_after_frames", "2").unwrap();
    let mut c = Client::connect(&sim);
    c.login();
    c.new_call("C1");
    assert!(c.closed_by_server());
    sim.set("drop_after_frames", "0").unwrap();

    sim.set("drop_at", "InitConf").unwrap();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<InitConf DestDN="6001" ReqId="1"/>"#);
    assert!(c.closed_by_server());
    assert_eq!(sim.received_count(Some("InitConf")), 1);
    assert_eq!(
        sim.sent_count(Some("CallStatus")),
        0,
        "dropped before answering"
    );
    sim.set("drop_at", "").unwrap();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<InitConf DestDN="6001" ReqId="1"/>"#);
    assert_eq!(c.labels(4).len(), 4);
}

/// Logs in as `client` and expects a LoginResp.
fn login_as(c: &mut Client, client: &str) {
    c.send(
        "login-1",
        &format!(r#"<LoginReq Version="4.0" ClientName="{client}"/>"#),
    );
    assert_eq!(label(&c.next_message().expect("LoginResp")), "LoginResp");
}

/// What the server says to `CallInfoReq` for `call`: `CallInfoResp <CalledNum>`
/// or the CallError label.
fn call_info(c: &mut Client, call: &str) -> String {
    c.send(call, "<CallInfoReq/>");
    let m = c.next_message().expect("an answer to CallInfoReq");
    assert_eq!(m.call_id.as_deref(), Some(call));
    match m.body {
        Body::CallInfoResp(r) => format!("CallInfoResp {}", r.called_num.unwrap_or_default()),
        _ => label(&m),
    }
}

/// Client `IVR_01` announces C1 and C2, ends C2, and its link is dropped by
/// the `drop_at` fault.
fn calls_then_link_drop(sim: &Simulator) {
    sim.set("drop_at", "RouteRequest").unwrap();
    let mut a = client_with_call(sim);
    a.new_call("C2");
    a.send("C2", r#"<EndCall EndCause="Normal"/>"#);
    assert_eq!(call_info(&mut a, "C1"), "CallInfoResp 5001");
    a.send("C1", r#"<RouteRequest RouteDN="9000"/>"#);
    assert!(a.closed_by_server());
    sim.set("drop_at", "").unwrap();
}

#[test]
fn a_dropped_link_forgets_its_calls_by_default() {
    let sim = start();
    assert!(sim.settings().drop_forgets_calls);
    calls_then_link_drop(&sim);
    let mut b = Client::connect(&sim);
    b.login();
    assert_eq!(call_info(&mut b, "C1"), "CallError NoSuchCall - -");
    assert_eq!(call_info(&mut b, "C2"), "CallError NoSuchCall - -");
}

#[test]
fn a_dropped_link_can_keep_its_calls_for_the_next_login_of_the_client() {
    let sim = start();
    sim.set("drop_forgets_calls", "false").unwrap();
    calls_then_link_drop(&sim);
    // Another client does not see them.
    let mut other = Client::connect(&sim);
    login_as(&mut other, "IVR_02");
    assert_eq!(call_info(&mut other, "C1"), "CallError NoSuchCall - -");
    // The same client, re-logged in on a new connection, does; a call
    // it announced before logging in joins them.
    let mut b = Client::connect(&sim);
    b.new_call("C3");
    b.login();
    assert_eq!(call_info(&mut b, "C1"), "CallInfoResp 5001");
    assert_eq!(call_info(&mut b, "C3"), "CallInfoResp 5001");
    assert_eq!(call_info(&mut b, "C2"), "CallError NoSuchCall - -", "ended");
    assert_eq!(
        call_info(&mut b, "C9"),
        "CallError NoSuchCall - -",
        "never known"
    );
    // The kept call goes on where it was: idle, so a consultation works.
    b.send("C1", r#"<InitConf DestDN="busy" ReqId="1"/>"#);
    assert_eq!(b.labels(3), ["Held", "Dialing", "Busy"]);
    assert_eq!(sim.connection_count(), 3);
}

#[test]
fn drop_forgets_calls_is_read_at_the_next_login() {
    let sim = start();
    sim.set("drop_forgets_calls", "false").unwrap();
    calls_then_link_drop(&sim);
    sim.set("drop_forgets_calls", "true").unwrap();
    let mut b = Client::connect(&sim);
    b.login();
    assert_eq!(call_info(&mut b, "C1"), "CallError NoSuchCall - -");
}

#[test]
fn duplicate_swap_and_omit() {
    let sim = start();
    let mut c = client_with_call(&sim);
    sim.set("duplicate_events", "true").unwrap();
    c.send("C1", r#"<InitConf DestDN="busy" ReqId="1"/>"#);
    assert_eq!(
        c.labels(6),
        ["Held", "Held", "Dialing", "Dialing", "Busy", "Busy"]
    );
    sim.set("duplicate_events", "0").unwrap();
    c.send("C1", r#"<RetrieveCall ReqId="2"/>"#);
    assert_eq!(c.labels(2), ["Released", "Retrieved"]);

    sim.set("swap_held_dialing", "1").unwrap();
    c.send("C1", r#"<InitConf DestDN="6001" ReqId="3"/>"#);
    assert_eq!(c.labels(4), ["Dialing", "Held", "Ringing", "Established"]);
    sim.set("swap_held_dialing", "0").unwrap();

    sim.set("omit_optional", "1").unwrap();
    c.send("C1", r#"<CompleteConf ReqId="4"/>"#);
    assert_eq!(c.labels(1), ["ConfPartyAdd"]);
    c.send("C1", r#"<InitXfer DestDN="6002" ReqId="5"/>"#);
    assert_eq!(c.labels(1), ["Established"]);
    c.send("C1", r#"<RetrieveCall ReqId="6"/>"#);
    assert_eq!(c.labels(1), ["Retrieved"]);
    c.send("C1", r#"<InitXfer DestDN="busy" ReqId="7"/>"#);
    assert_eq!(
        c.labels(3),
        ["Held", "Dialing", "Busy"],
        "C5 has no optional events"
    );
    c.send("C1", r#"<RetrieveCall ReqId="8"/>"#);
    assert_eq!(c.labels(1), ["Retrieved"]);
    c.send("C1", r#"<InitConf DestDN="fail" ReqId="9"/>"#);
    assert_eq!(c.labels(1), ["CallError InitConf 56 9"]);
    assert_eq!(c.drain_until_info("C1"), Vec::<String>::new());
}

#[test]
fn caller_hangs_up_after_n_ms_unless_the_call_ended_first() {
    let sim = start();
    sim.set("caller_hangup_ms", "30").unwrap();
    let mut c = Client::connect(&sim);
    c.login();
    c.new_call("C1");
    c.send("C1", r#"<EndCall EndCause="Normal"/>"#);
    c.new_call("C2");
    let m = c.next_message().unwrap();
    assert_eq!(
        (m.call_id.as_deref(), label(&m).as_str()),
        (Some("C2"), "EndCall Abandoned"),
        "C1's hang-up was cancelled by its EndCall"
    );
    c.send("C2", r#"<InitConf DestDN="6001" ReqId="1"/>"#);
    assert_eq!(c.labels(1), ["CallError NoSuchCall - 1"]);
}

#[test]
fn alternate_spellings_are_written_and_still_decode() {
    let sim = start();
    sim.set("spelling", "all").unwrap();
    let mut c = Client::connect(&sim);
    c.login();
    c.new_call("C1");
    c.send("C1", r#"<InitConf DestDN="fail" ReqId="4"/>"#);
    assert_eq!(
        c.labels(4),
        ["Held", "Dialing", "CallError InitConf 56 4", "Retrieved"]
    );
    let raw = String::from_utf8_lossy(&c.raw_log).to_string();
    assert!(!raw.contains("<?xml"));
    assert!(raw.contains("<LoginResp><IServerVersion>IVR Server:8.1.001.02</IServerVersion>"));
    assert!(raw.contains("<CallError><FailedReq>InitConf</FailedReq><TlibErrCode>56</TlibErrCode><ReqId>4</ReqId></CallError>"));
    sim.set("spelling", "single_quotes").unwrap();
    c.send("C1", r#"<RetrieveCall ReqId="5"/>"#);
    assert_eq!(c.labels(1), ["CallError RetrieveCall 56 5"]);
    let raw = String::from_utf8_lossy(&c.raw_log).to_string();
    assert!(raw.contains(
        "<?xml version='1.0' encoding='ISO-8859-1'?><!DOCTYPE GctiMsg SYSTEM 'IServer.dtd'>"
    ));
    assert!(raw.contains("<CallError FailedReq='RetrieveCall' TLibErrCode='56' ReqId='5'/>"));
}

#[test]
fn split_and_coalesced_writes_carry_the_same_frames() {
    for (key, value) in [("split_writes", "true"), ("coalesce", "true")] {
        let sim = start();
        sim.set(key, value).unwrap();
        let mut c = client_with_call(&sim);
        c.send("C1", r#"<InitConf DestDN="6001" ReqId="1"/>"#);
        assert_eq!(c.labels(4), ["Held", "Dialing", "Ringing", "Established"]);
        let sent: Vec<u8> = sim
            .records()
            .into_iter()
            .filter(|r| r.dir == Dir::FromServer)
            .flat_map(|r| r.raw)
            .collect();
        assert_eq!(c.raw_log, sent, "{key}: the bytes are the recorded frames");
    }
}

#[test]
fn interleaved_keepalives_precede_every_message() {
    let sim = start();
    sim.set("interleave_keepalive", "true").unwrap();
    let mut c = Client::connect(&sim);
    c.send(
        "login-1",
        r#"<LoginReq Version="4.0" ClientName="IVR_01"/>"#,
    );
    assert_eq!(c.next_frame_within(WAIT), Some(Frame::KeepAliveRequest));
    assert!(matches!(c.next_frame_within(WAIT), Some(Frame::Message(_))));
}

#[test]
fn events_for_unknown_call_ids_come_before_each_status() {
    let sim = start();
    sim.set("unknown_call_events", "1").unwrap();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<InitConf DestDN="busy" ReqId="1"/>"#);
    let got: Vec<(String, String)> = (0..6)
        .map(|_| {
            let m = c.next_message().unwrap();
            (m.call_id.clone().unwrap_or_default(), status(&m))
        })
        .collect();
    assert_eq!(
        got,
        [
            ("SIM-UNKNOWN-1".into(), "Held".into()),
            ("C1".into(), "Held".into()),
            ("SIM-UNKNOWN-2".into(), "Dialing".into()),
            ("C1".into(), "Dialing".into()),
            ("SIM-UNKNOWN-3".into(), "Busy".into()),
            ("C1".into(), "Busy".into()),
        ]
    );
}

#[test]
fn every_response_can_be_delayed() {
    let sim = start();
    sim.set("response_delay_ms", "120").unwrap();
    let mut c = Client::connect(&sim);
    let t0 = Instant::now();
    c.login();
    assert!(t0.elapsed() >= Duration::from_millis(120));
    c.new_call("C1");
    let t1 = Instant::now();
    c.send("C1", r#"<InitConf DestDN="6001" ReqId="1"/>"#);
    assert_eq!(c.labels(4), ["Held", "Dialing", "Ringing", "Established"]);
    assert!(t1.elapsed() >= Duration::from_millis(120));
}

#[test]
fn close_connections_drops_every_open_connection_only() {
    let sim = start();
    let mut a = Client::connect(&sim);
    let mut b = Client::connect(&sim);
    a.login();
    b.login();
    sim.close_connections();
    assert!(a.closed_by_server());
    assert!(b.closed_by_server());
    let mut c = Client::connect(&sim);
    assert_eq!(label(&c.login()), "LoginResp");
    sim.set("close_connections", "now").unwrap();
    assert!(c.closed_by_server());
    assert_eq!(sim.connection_count(), 3);
}

#[test]
fn send_injects_to_every_open_connection() {
    let sim = start();
    let mut a = Client::connect(&sim);
    let mut b = Client::connect(&sim);
    a.login();
    b.login();
    let stray = Message::new("STRAY", Body::CallStatus(CallStatus::of(StatusEvent::Held)));
    assert!(sim.send(&stray));
    assert_eq!(a.next_message(), Some(stray.clone()));
    assert_eq!(b.next_message(), Some(stray));
    drop(sim);
    let idle = start();
    assert!(!idle.send(&Message::new("X", Body::CallInfoReq)));
}

fn seeded_run(seed: &str) -> Vec<String> {
    let sim = start();
    sim.set("seed", seed).unwrap();
    sim.set("duplicate_events", "0.5").unwrap();
    sim.set("omit_optional", "0.5").unwrap();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<InitConf DestDN="6001" ReqId="1"/>"#);
    c.drain_until_info("C1")
}

#[test]
fn a_seed_replays_the_same_faults() {
    let a = seeded_run("42");
    assert_eq!(a, seeded_run("42"));
    assert!(a.contains(&"Established".to_string()));
    let others: Vec<Vec<String>> = (1..6).map(|s| seeded_run(&s.to_string())).collect();
    assert!(others.iter().any(|o| *o != a), "seeds change the draw");
}

#[test]
fn the_server_may_end_a_transferred_call_itself() {
    let sim = start();
    sim.set("end_after_xfer", "endcall").unwrap();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<InitXfer DestDN="6004" ReqId="1"/>"#);
    c.labels(4);
    c.send("C1", r#"<CompleteXfer ReqId="2"/>"#);
    assert_eq!(c.labels(2), ["XferComplete", "EndCall Normal"]);
    sim.set("end_after_xfer", "released").unwrap();
    c.new_call("C2");
    c.send("C2", r#"<OneStepXfer DestDN="6004" ReqId="3"/>"#);
    assert_eq!(c.labels(2), ["XferComplete", "Released"]);
}

#[test]
fn user_prefix_rules_and_tlib_code() {
    let sim = start();
    sim.set("dest.6", "busy").unwrap();
    sim.set("dest.600", "failcomplete").unwrap();
    sim.set("tlib_err_code", "71").unwrap();
    sim.set("echo_req_id", "false").unwrap();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<InitConf DestDN="6100" ReqId="1"/>"#);
    assert_eq!(c.labels(3), ["Held", "Dialing", "Busy"]);
    c.send("C1", r#"<RetrieveCall ReqId="2"/>"#);
    c.labels(2);
    c.send("C1", r#"<InitConf DestDN="6001" ReqId="3"/>"#);
    c.labels(4);
    c.send("C1", r#"<CompleteConf ReqId="4"/>"#);
    assert_eq!(c.labels(2), ["CallError CompleteConf 71 -", "Retrieved"]);
}

#[test]
fn records_hold_both_directions_with_connection_numbers() {
    let sim = start();
    let _first = Client::connect(&sim);
    let mut c = Client::connect(&sim);
    c.login();
    let recs = sim.records();
    let names: Vec<(Dir, u64, String)> = recs
        .iter()
        .map(|r| {
            (
                r.dir,
                r.conn,
                r.message
                    .as_ref()
                    .map(|m| m.name().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            (Dir::ToServer, 2, "LoginReq".to_string()),
            (Dir::FromServer, 2, "LoginResp".to_string())
        ]
    );
    assert!(recs[0].at <= recs[1].at);
    assert_eq!(&recs[0].raw[..2], &[0, 3]);
    assert_eq!(sim.received_count(None), 1);
    assert_eq!(sim.received_count(Some("loginreq")), 1);
    assert!(sim.wait_received("LoginReq", 1, Duration::ZERO));
    assert!(!sim.wait_received("NewCall", 1, Duration::from_millis(10)));
}

#[test]
fn shutdown_joins_and_is_idempotent() {
    let sim: Simulator = start();
    let mut c = client_with_call(&sim);
    c.send("C1", r#"<InitConf DestDN="slow" ReqId="1"/>"#);
    sim.shutdown();
    sim.shutdown();
    assert!(c.closed_by_server());
    assert!(std::net::TcpStream::connect(sim.local_addr()).is_err());
}

#[test]
fn connection_notices_say_who_connected_and_why_each_closed() {
    use ivrconf::sim::{Change, CloseReason, ConnectionEvent};
    use std::sync::{mpsc, Arc, Mutex};

    let sim = start();
    let (tx, rx) = mpsc::channel::<ConnectionEvent>();
    let tx = Mutex::new(tx);
    sim.set_connection_observer(Some(Arc::new(move |ev: &ConnectionEvent| {
        let _ = tx.lock().unwrap().send(ev.clone());
    })));
    let next = |conn: u64| {
        let ev = rx.recv_timeout(WAIT).expect("a connection notice");
        assert_eq!(ev.conn, conn, "{ev:?}");
        ev.change
    };
    // Accepted from the client's address, then closed by the server.
    let closes = |c: &mut Client, conn: u64, reason: CloseReason| {
        assert_eq!(
            next(conn),
            Change::Accepted {
                peer: c.stream.local_addr().unwrap()
            }
        );
        assert!(c.closed_by_server());
        assert_eq!(next(conn), Change::Closed { reason });
    };

    let c = Client::connect(&sim);
    assert!(matches!(next(1), Change::Accepted { .. }));
    c.stream.shutdown(std::net::Shutdown::Both).unwrap();
    assert_eq!(
        next(1),
        Change::Closed {
            reason: CloseReason::EndOfStream
        }
    );

    let mut c = Client::connect(&sim);
    c.send_raw(&[0, 3, 0, 1, 2, 0]);
    assert!(matches!(next(2), Change::Accepted { .. }));
    assert!(c.closed_by_server());
    match next(2) {
        Change::Closed {
            reason: CloseReason::ProtocolError(text),
        } => assert!(!text.is_empty()),
        other => panic!("{other:?}"),
    }

    sim.set("drop_after_frames", "2").unwrap();
    let mut c = Client::connect(&sim);
    c.send_raw(&wire::KEEPALIVE_REQUEST);
    c.send_raw(&wire::KEEPALIVE_REQUEST);
    closes(&mut c, 3, CloseReason::DropAfterFrames(2));
    sim.set("drop_after_frames", "0").unwrap();

    let mut c = Client::connect(&sim);
    c.send_raw(&wire::KEEPALIVE_REQUEST);
    assert_eq!(c.next_frame_within(WAIT), Some(Frame::KeepAliveAck));
    sim.close_connections();
    closes(&mut c, 4, CloseReason::CloseConnections);

    let mut c = Client::connect(&sim);
    c.send_raw(&wire::KEEPALIVE_REQUEST);
    assert_eq!(c.next_frame_within(WAIT), Some(Frame::KeepAliveAck));
    sim.shutdown();
    closes(&mut c, 5, CloseReason::Shutdown);
}
