//! Session behaviour end to end (PROTOCOL.md section 4): login answers,
//! keep-alive supervision, link loss and reconnect, backups, back-off.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::{config, Harness, WAIT};
use ivrconf::engine::{Config, EventKind};
use ivrconf::sim::Simulator;

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    port
}

fn sim_with(keys: &[(&str, &str)]) -> Simulator {
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    for (k, v) in keys {
        sim.set(k, v)
            .unwrap_or_else(|e| panic!("sim key {k}={v}: {e}"));
    }
    sim
}

#[test]
fn login_refused_is_retried_with_back_off_and_never_ready() {
    let sim = sim_with(&[("login", "no_such_client")]);
    let cfg = config(sim.port());
    let h = Harness::with_config(sim, cfg, false);
    assert!(!h.engine().wait_ready(Duration::from_millis(1200)).unwrap());
    // min 100, max 400: attempts at ~0, 100, 300, 700, 1100 ms -> about 5.
    let attempts = h.sim.connection_count();
    assert!(
        (2..=8).contains(&attempts),
        "back-off bounds the retries: {attempts} connections in 1.2 s"
    );
    h.finish();
}

#[test]
fn init_in_progress_then_ready() {
    let sim = sim_with(&[("login_init_in_progress", "2")]);
    let cfg = config(sim.port());
    let h = Harness::with_config(sim, cfg, true);
    assert!(
        h.sim.received_count(Some("LoginReq")) >= 3,
        "re-login on the same connection"
    );
    assert_eq!(h.sim.connection_count(), 1);
    h.finish();
}

#[test]
fn keep_alive_timeout_drops_the_link_and_reconnects() {
    let sim = sim_with(&[]);
    let mut cfg = config(sim.port());
    cfg.set("keepalive_interval_ms", "100").unwrap();
    cfg.set("keepalive_timeout_ms", "300").unwrap();
    let mut h = Harness::with_config(sim, cfg, true);
    h.sim.set("silent", "true").unwrap();
    let down = h.next_matching(|e| e.kind() == EventKind::SessionDown, "SESSION_DOWN");
    assert!(down.text().contains("keep-alive"), "{}", down.text());
    h.sim.set("silent", "false").unwrap();
    h.next_matching(
        |e| e.kind() == EventKind::SessionUp,
        "SESSION_UP after reconnect",
    );
    h.finish();
}

#[test]
fn keep_alive_probes_keep_a_quiet_link_up() {
    let sim = sim_with(&[]);
    let mut cfg = config(sim.port());
    cfg.set("keepalive_interval_ms", "100").unwrap();
    cfg.set("keepalive_timeout_ms", "300").unwrap();
    let h = Harness::with_config(sim, cfg, true);
    std::thread::sleep(Duration::from_millis(600)); // a quiet period is the point of this test
    assert!(
        h.engine().is_ready(),
        "a server answering probes is never timed out"
    );
    assert_eq!(h.sim.connection_count(), 1);
    let events = h.finish();
    assert!(!events.iter().any(|e| e.kind() == EventKind::SessionDown));
}

#[test]
fn primary_down_goes_to_backup() {
    let sim = sim_with(&[]);
    let mut cfg = Config::default();
    cfg.set("server", &format!("127.0.0.1:{}", closed_port()))
        .unwrap();
    cfg.set("server", &format!("127.0.0.1:{}", sim.port()))
        .unwrap();
    cfg.set("client_name", "IVR_TEST").unwrap();
    cfg.set("reconnect_min_ms", "100").unwrap();
    cfg.set("reconnect_max_ms", "200").unwrap();
    cfg.set("connect_timeout_ms", "500").unwrap();
    let mut h = Harness::with_config(sim, cfg, false);
    assert!(h.engine().wait_ready(WAIT).unwrap());
    let up = h.next_matching(|e| e.kind() == EventKind::SessionUp, "SESSION_UP");
    assert!(
        up.text().contains(&h.sim.port().to_string()),
        "SESSION_UP names the backup: {}",
        up.text()
    );
    h.finish();
}

#[test]
fn server_closes_then_session_comes_back() {
    let mut h = Harness::new(&[]);
    let started = Instant::now();
    h.sim.close_connections();
    h.next_matching(|e| e.kind() == EventKind::SessionDown, "SESSION_DOWN");
    h.next_matching(|e| e.kind() == EventKind::SessionUp, "SESSION_UP");
    assert!(started.elapsed() < WAIT);
    assert_eq!(h.sim.connection_count(), 2);
    h.finish();
}

#[test]
fn not_connected_refuses_requests_but_ends_calls_locally() {
    let mut h = Harness::new(&[]);
    h.call_new("LOCAL");
    // The server stops answering logins and drops us: the engine is not READY.
    h.sim.set("login", "no_answer").unwrap();
    h.sim.close_connections();
    h.next_matching(|e| e.kind() == EventKind::SessionDown, "SESSION_DOWN");
    let e = h.engine();
    assert!(matches!(
        e.call_new("C2", "5001", None, None, vec![]),
        Err(ivrconf::engine::ApiError::Refused(
            ivrconf::flow::Refusal::NotConnected
        ))
    ));
    assert!(matches!(
        e.start(
            "LOCAL",
            ivrconf::flow::OpKind::ConferenceOneStep,
            "6001",
            vec![]
        ),
        Err(ivrconf::engine::ApiError::Refused(
            ivrconf::flow::Refusal::NotConnected
        ))
    ));
    assert_eq!(
        e.call_state("LOCAL").unwrap(),
        ivrconf::flow::CallState::Active,
        "call_state answers locally"
    );
    e.call_end("LOCAL").unwrap();
    h.ended("LOCAL");
    assert!(
        h.engine().call_state("LOCAL").is_err(),
        "the id is free at once"
    );
    assert_eq!(
        h.sim.received_count(Some("EndCall")),
        0,
        "a local end sends nothing"
    );
    h.finish();
}

#[test]
fn login_req_is_the_first_frame_even_when_the_server_speaks_first() {
    // A server that sends a keep-alive request the moment it accepts: the
    // engine's ack must not overtake its LoginReq (PROTOCOL 4.2).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut cfg = config(port);
    cfg.set("reconnect_min_ms", "100").unwrap();
    cfg.set("reconnect_max_ms", "100").unwrap();
    let engine = ivrconf::engine::Engine::new(cfg, Default::default()).unwrap();
    for round in 0..20 {
        let (mut sock, _) = listener.accept().unwrap();
        use std::io::{Read, Write};
        sock.write_all(&ivrconf::wire::KEEPALIVE_REQUEST).unwrap();
        let mut header = [0u8; 6];
        sock.read_exact(&mut header).unwrap();
        assert_eq!(
            header[1], 3,
            "round {round}: first frame is XML (the LoginReq), got type {}",
            header[1]
        );
        // Close: the engine counts it as a failed attempt and comes back.
    }
    engine.free();
}
