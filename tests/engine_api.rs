//! The Rust face of the engine API: poll mode, shutdown and free ordering,
//! free from inside a callback, and refusals that never touch the network.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{config, WAIT};
use ivrconf::engine::{ApiError, Engine, Event, EventKind, Handlers};
use ivrconf::flow::{CallEventKind, OpKind, Outcome};
use ivrconf::sim::Simulator;

fn next(engine: &Engine, pred: impl Fn(&Event) -> bool) -> Event {
    loop {
        let e = engine.next_event(WAIT).expect("an event in time");
        if pred(&e) {
            return e;
        }
    }
}

#[test]
fn poll_mode_delivers_cancelled_then_shut_down_and_wakes_a_blocked_reader() {
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    let engine = Arc::new(Engine::new(config(sim.port()), Handlers::default()).unwrap());
    assert!(engine.wait_ready(WAIT).unwrap());
    next(&engine, |e| e.kind() == EventKind::SessionUp);
    engine.call_new("P1", "5001", None, None, vec![]).unwrap();
    let op = engine
        .start("P1", OpKind::ConferenceConsult, "noanswer1", vec![])
        .unwrap();
    next(&engine, |e| e.kind() == EventKind::CallStatus);
    // Drain what is there, then block a reader on an empty queue.
    while engine.next_event(Duration::from_millis(50)).is_ok() {}
    let reader = {
        let engine = engine.clone();
        std::thread::spawn(move || {
            let mut got = Vec::new();
            loop {
                match engine.next_event(Duration::from_secs(30)) {
                    Ok(e) => got.push(e),
                    Err(err) => return (got, err),
                }
            }
        })
    };
    engine.shutdown().unwrap();
    let (got, end) = reader.join().unwrap();
    assert_eq!(
        end,
        ApiError::ShutDown,
        "the blocked reader wakes with SHUT_DOWN"
    );
    let done: Vec<_> = got
        .iter()
        .filter_map(Event::call)
        .filter(|c| c.kind == CallEventKind::OperationDone)
        .collect();
    assert_eq!(done.len(), 1);
    assert_eq!(
        (done[0].op_id, done[0].outcome),
        (op, Some(Outcome::Cancelled))
    );
    assert_eq!(engine.call_state("P1"), Err(ApiError::ShutDown));
    Arc::try_unwrap(engine).ok().unwrap().free();
}

#[test]
fn next_event_in_callback_mode_is_refused() {
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    let handlers = Handlers {
        on_event: Some(Box::new(|_| {})),
        ..Default::default()
    };
    let engine = Engine::new(config(sim.port()), handlers).unwrap();
    assert_eq!(
        engine.next_event(Duration::from_millis(1)).err(),
        Some(ApiError::CallbackMode)
    );
    engine.free();
}

#[test]
fn free_from_inside_a_callback_runs_on_free_once_after_the_last_callback() {
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    let slot: Arc<Mutex<Option<Engine>>> = Arc::new(Mutex::new(None));
    let after_free = Arc::new(AtomicUsize::new(0));
    let frees = Arc::new(AtomicUsize::new(0));
    let freed_in_cb = Arc::new(AtomicUsize::new(0));
    let (done_tx, done_rx) = crossbeam_channel::unbounded();
    let handlers = {
        let slot = slot.clone();
        let after_free = after_free.clone();
        let frees_seen = frees.clone();
        let frees = frees.clone();
        let freed_in_cb = freed_in_cb.clone();
        Handlers {
            on_event: Some(Box::new(move |e: Event| {
                if frees_seen.load(Ordering::SeqCst) > 0 {
                    after_free.fetch_add(1, Ordering::SeqCst);
                }
                if e.kind() == EventKind::SessionUp {
                    let engine = slot.lock().unwrap().take();
                    if let Some(engine) = engine {
                        assert!(engine.in_callback());
                        engine.free(); // returns at once
                        freed_in_cb.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })),
            on_log: None,
            on_free: Some(Box::new({
                let frees = frees.clone();
                move || {
                    frees.fetch_add(1, Ordering::SeqCst);
                    let _ = done_tx.send(());
                }
            })),
        }
    };
    *slot.lock().unwrap() = Some(Engine::new(config(sim.port()), handlers).unwrap());
    done_rx.recv_timeout(WAIT).expect("on_free ran");
    std::thread::sleep(Duration::from_millis(100)); // would a stray callback follow?
    assert_eq!(freed_in_cb.load(Ordering::SeqCst), 1);
    assert_eq!(frees.load(Ordering::SeqCst), 1, "on_free exactly once");
    assert_eq!(
        after_free.load(Ordering::SeqCst),
        0,
        "no callback after on_free"
    );
}

#[test]
fn bad_config_is_refused_at_creation() {
    let mut cfg = ivrconf::engine::Config::default();
    assert!(
        Engine::new(cfg.clone(), Handlers::default()).is_err(),
        "no server"
    );
    cfg.set("server", "127.0.0.1:1").unwrap();
    assert!(
        Engine::new(cfg.clone(), Handlers::default()).is_err(),
        "no client_name"
    );
    cfg.set("client_name", "X").unwrap();
    cfg.set("reconnect_min_ms", "500").unwrap();
    cfg.set("reconnect_max_ms", "100").unwrap();
    assert!(Engine::new(cfg, Handlers::default()).is_err(), "min > max");
}

#[test]
fn dropping_an_engine_frees_it() {
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let handlers = Handlers {
        on_free: Some(Box::new(move || {
            let _ = tx.send(());
        })),
        ..Default::default()
    };
    let engine = Engine::new(config(sim.port()), handlers).unwrap();
    assert!(engine.wait_ready(WAIT).unwrap());
    drop(engine);
    rx.try_recv().expect("on_free ran before drop returned");
    // The connection is gone too: the simulator sees it close.
    let deadline = std::time::Instant::now() + WAIT;
    while sim.open_connections() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "connection left open after drop"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn next_event_from_inside_a_callback_is_refused_not_stalled() {
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    let slot: Arc<Mutex<Option<Arc<Engine>>>> = Arc::new(Mutex::new(None));
    let (tx, rx) = crossbeam_channel::unbounded();
    let handlers = {
        let slot = slot.clone();
        Handlers {
            on_log: Some(Box::new(move |_, _| {
                let engine = slot.lock().unwrap().clone();
                if let Some(engine) = engine {
                    let _ = tx.send(engine.next_event(Duration::from_secs(10)).err());
                }
            })),
            ..Default::default()
        }
    };
    let engine = Arc::new(Engine::new(config(sim.port()), handlers).unwrap());
    *slot.lock().unwrap() = Some(engine.clone());
    let got = rx.recv_timeout(WAIT).expect("a log line");
    assert_eq!(got, Some(ApiError::InCallback));
    slot.lock().unwrap().take();
    drop(rx);
    // A log callback still running may hold a clone for a moment.
    let mut engine = engine;
    loop {
        match Arc::try_unwrap(engine) {
            Ok(e) => break e.free(),
            Err(shared) => {
                engine = shared;
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
}
