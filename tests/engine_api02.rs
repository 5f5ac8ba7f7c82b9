//! The 0.2 conveniences of the engine over real loopback TCP: the value an
//! application attaches to a call and the events that carry it, the
//! counters of `Engine::stats`, the log level changed at run time, and the
//! last connection failure a `wait_ready` timeout can name.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{config, Harness, WAIT};
use ivrconf::engine::{ApiError, Config, Engine, Event, EventKind, Handlers, LogLevel, Stats};
use ivrconf::flow::{CallEventKind, OpKind, Outcome, Refusal};
use ivrconf::sim::Simulator;
use ivrconf::wire::{frame_bytes, FrameType};

/// The call events of `call` in `events`, with the value each carried.
fn carried(events: &[Event], call: &str) -> Vec<(CallEventKind, usize)> {
    events
        .iter()
        .filter_map(|e| {
            e.call()
                .filter(|c| c.call_id == call)
                .map(|c| (c.kind, e.call_userdata()))
        })
        .collect()
}

/// Waits (bounded) until the engine's counters satisfy `ready`.
fn stats_when(engine: &Engine, what: &str, ready: impl Fn(&Stats) -> bool) -> Stats {
    let deadline = Instant::now() + WAIT;
    loop {
        let s = engine.stats();
        if ready(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "{what} never happened: {s:#?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn quiet(mut c: Config) -> Config {
    for (k, v) in [
        ("log_level", "error"),
        ("keepalive_interval_ms", "0"),
        ("keepalive_timeout_ms", "0"),
    ] {
        c.set(k, v).unwrap();
    }
    c
}

#[test]
fn call_userdata_rides_on_every_later_event_of_its_call_only() {
    let mut h = Harness::new(&[]);
    h.call_new("U1");
    h.call_new("U2");
    h.engine().call_set_userdata("U1", 0xA1).unwrap();
    let op1 = h.start("U1", OpKind::ConferenceOneStep, "6001");
    let op2 = h.start("U2", OpKind::ConferenceConsult, "busy6003");
    h.done(op1);
    h.done(op2);
    // Clearing: the CALL_ENDED of U1 carries nothing.
    h.engine().call_set_userdata("U1", 0).unwrap();
    h.engine().call_end("U1").unwrap();
    h.ended("U1");
    // Set late: only U2's events from then on carry it, its CALL_ENDED too.
    h.engine().call_set_userdata("U2", 0xB2).unwrap();
    h.engine().call_end("U2").unwrap();
    h.ended("U2");
    assert_eq!(
        h.engine().call_set_userdata("U1", 7),
        Err(ApiError::Refused(Refusal::UnknownCall)),
        "an ended call"
    );
    assert_eq!(
        h.engine().call_set_userdata("nope", 7),
        Err(ApiError::Refused(Refusal::UnknownCall))
    );
    let seen = h.finish();

    let u1 = carried(&seen, "U1");
    let (ended, before) = u1.split_last().unwrap();
    assert!(before.len() >= 2, "statuses and the done: {u1:?}");
    assert!(before.iter().all(|(_, v)| *v == 0xA1), "{u1:?}");
    assert_eq!(*ended, (CallEventKind::CallEnded, 0), "cleared");

    let u2 = carried(&seen, "U2");
    let (ended, before) = u2.split_last().unwrap();
    assert!(
        before.len() >= 2 && before.iter().all(|(_, v)| *v == 0),
        "{u2:?}"
    );
    assert_eq!(*ended, (CallEventKind::CallEnded, 0xB2));

    assert!(seen
        .iter()
        .filter(|e| e.call().is_none())
        .all(|e| e.call_userdata() == 0));
}

#[test]
fn a_reused_call_id_starts_without_the_old_calls_value() {
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    let engine = Engine::new(quiet(config(sim.port())), Handlers::default()).unwrap();
    assert!(engine.wait_ready(WAIT).unwrap());
    let ended = || loop {
        let e = engine.next_event(WAIT).expect("an event in time");
        if e.call().is_some_and(|c| c.kind == CallEventKind::CallEnded) {
            return e.call_userdata();
        }
    };
    engine.call_new("R1", "5001", None, None, vec![]).unwrap();
    engine.call_set_userdata("R1", 5).unwrap();
    engine.call_end("R1").unwrap();
    assert_eq!(ended(), 5);
    engine.call_new("R1", "5001", None, None, vec![]).unwrap();
    engine.call_end("R1").unwrap();
    assert_eq!(ended(), 0);
    engine.free();
}

#[test]
fn stats_count_the_wire_the_session_the_calls_and_each_outcome() {
    let mut h = Harness::new(&[]);
    h.call_new("S1");
    h.call_new("S2");
    let completed = h.start("S1", OpKind::ConferenceOneStep, "6001");
    let busy = h.start("S2", OpKind::ConferenceConsult, "busy6003");
    h.done(completed);
    h.done(busy);
    let s = h.engine().stats();
    assert_eq!((s.calls_total, s.calls_live, s.ops_started), (2, 2, 2));
    assert_eq!(s.ops_ended(Outcome::Completed), 1);
    assert_eq!(s.ops_ended(Outcome::Busy), 1);
    assert_eq!(s.ops_ended.iter().sum::<u64>(), 2, "{s:#?}");
    assert_eq!((s.connect_attempts, s.logins, s.link_losses), (1, 1, 0));
    // Every XML message the simulator got was a frame the engine wrote.
    let xml_received = h.sim.received_count(None);
    assert!(s.frames_out >= xml_received && xml_received >= 5, "{s:#?}");
    assert!(s.bytes_out > 6 * s.frames_out, "{s:#?}");
    assert!(s.frames_in >= 4 && s.bytes_in > 6 * s.frames_in, "{s:#?}");
    assert_eq!(s.decode_errors, 0);

    h.engine().call_end("S1").unwrap();
    h.ended("S1");
    let s = h.engine().stats();
    assert_eq!((s.calls_total, s.calls_live), (2, 1));

    // A link loss, then a new login.
    h.sim.set("close_connections", "now").unwrap();
    h.next_matching(|e| e.kind() == EventKind::SessionDown, "SESSION_DOWN");
    h.next_matching(|e| e.kind() == EventKind::SessionUp, "SESSION_UP again");
    let s = h.engine().stats();
    assert_eq!((s.connect_attempts, s.logins, s.link_losses), (2, 2, 1));
    assert!(s.events_queued_max >= 1);
    assert_eq!(s.event_queue_full, 0, "the callback kept up");
    h.finish();
}

#[test]
fn stats_count_frames_that_do_not_decode() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        sock.write_all(&frame_bytes(FrameType::Xml, b"<Broken"))
            .unwrap();
        // Held open until the engine is gone.
        let mut buf = [0u8; 4096];
        while matches!(sock.read(&mut buf), Ok(n) if n > 0) {}
    });
    let engine = Engine::new(quiet(config(port)), Handlers::default()).unwrap();
    let s = stats_when(&engine, "a decode error", |s| s.decode_errors >= 1);
    assert!(s.frames_in >= 1 && s.bytes_in >= 6 + 7, "{s:#?}");
    assert!(s.frames_out >= 1, "the LoginReq: {s:#?}");
    assert_eq!(s.logins, 0);
    engine.free();
    server.join().unwrap();
}

#[test]
fn the_queue_peak_and_the_times_it_was_full_are_counted() {
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    let mut cfg = quiet(config(sim.port()));
    cfg.set("event_queue_max", "4").unwrap();
    let engine = Engine::new(cfg, Handlers::default()).unwrap();
    assert!(engine.wait_ready(WAIT).unwrap());
    // Poll mode, nothing read: SESSION_UP plus a CALL_ENDED per call.
    for i in 0..6 {
        let id = format!("Q{i}");
        engine.call_new(&id, "5001", None, None, vec![]).unwrap();
        engine.call_end(&id).unwrap();
    }
    // Answered after the core has handled (and counted) every earlier call.
    assert!(engine.call_state("Q0").is_err());
    let before = engine.stats();
    assert!(before.events_queued >= 7, "{before:#?}");
    assert!(before.events_queued_max >= before.events_queued);
    assert_eq!(before.event_queue_full, 1, "full once, never drained");
    let mut taken = 0;
    while engine.next_event(Duration::from_millis(100)).is_ok() {
        taken += 1;
    }
    assert!(taken >= before.events_queued, "{taken} < {before:#?}");
    let after = engine.stats();
    assert_eq!(after.events_queued, 0);
    assert!(after.events_queued_max >= before.events_queued_max);
    assert_eq!((after.calls_total, after.calls_live), (6, 0));
    engine.free();
}

#[test]
fn log_level_changes_at_run_time() {
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    let (log_tx, log_rx) = mpsc::channel();
    let (ev_tx, ev_rx) = mpsc::channel();
    let handlers = Handlers {
        on_event: Some(Box::new(move |e: Event| {
            let _ = ev_tx.send(e);
        })),
        on_log: Some(Box::new(move |level: LogLevel, text: &str| {
            let _ = log_tx.send((level, text.to_string()));
        })),
        on_free: None,
    };
    let mut cfg = quiet(config(sim.port()));
    cfg.set("log_level", "warn").unwrap();
    let engine = Engine::new(cfg, handlers).unwrap();
    assert!(engine.wait_ready(WAIT).unwrap());
    assert_eq!(engine.log_level(), LogLevel::Warn);
    // Ends a call and waits for its CALL_ENDED: the lines logged on its
    // way were delivered before it.
    let end_call = |id: &str| {
        engine.call_new(id, "5001", None, None, vec![]).unwrap();
        engine.call_end(id).unwrap();
        loop {
            let e = ev_rx.recv_timeout(WAIT).expect("CALL_ENDED in time");
            if e.call()
                .is_some_and(|c| c.call_id == id && c.kind == CallEventKind::CallEnded)
            {
                return;
            }
        }
    };
    end_call("L0");
    engine.set_log_level(LogLevel::Debug).unwrap();
    end_call("L1");
    engine.set_log_level(LogLevel::Error).unwrap();
    end_call("L2");
    let lines: Vec<(LogLevel, String)> = log_rx.try_iter().collect();
    assert!(
        lines.iter().all(|(l, _)| *l <= LogLevel::Debug),
        "{lines:#?}"
    );
    let about = |id: &str| lines.iter().filter(|(_, t)| t.contains(id)).count();
    assert_eq!(about("call L0"), 0, "warn: no debug line: {lines:#?}");
    assert!(about("call L1") >= 1, "debug: the event's line: {lines:#?}");
    assert_eq!(about("call L2"), 0, "error again: {lines:#?}");
    assert!(
        !lines.iter().any(|(_, t)| t.contains("logged in")),
        "info lines of the login were filtered: {lines:#?}"
    );
    engine.shutdown().unwrap();
    assert_eq!(
        engine.set_log_level(LogLevel::Info),
        Err(ApiError::ShutDown)
    );
    assert_eq!(engine.stats().calls_total, 3, "stats after shutdown");
    engine.free();
}

#[test]
fn the_last_connection_failure_is_kept_for_wait_ready() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let engine = Engine::new(quiet(config(port)), Handlers::default()).unwrap();
    assert!(!engine.wait_ready(Duration::from_millis(100)).unwrap());
    let deadline = Instant::now() + WAIT;
    let failure = loop {
        if let Some(f) = engine.last_failure() {
            break f;
        }
        assert!(Instant::now() < deadline, "no failure recorded");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(
        failure.contains(&format!("127.0.0.1:{port}"))
            && failure.to_lowercase().contains("refused"),
        "{failure}"
    );
    let s = engine.stats();
    assert!(s.connect_attempts >= 1 && s.logins == 0, "{s:#?}");
    engine.free();

    // After a login the failure is cleared.
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    let engine = Engine::new(quiet(config(sim.port())), Handlers::default()).unwrap();
    assert!(engine.wait_ready(WAIT).unwrap());
    assert_eq!(engine.last_failure(), None);
    engine.free();
}
