//! Tests of a failure of the core (a panic while its lock is held, on an
//! API caller's thread): the engine is dead for every later call, the
//! application is told once, and nothing hangs, freeing included.
//!
//! Tests only; reaches the private `Engine::ask` to make one request panic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn config() -> Config {
    let mut c = Config::default();
    // Nobody listens there: the engine keeps trying, which is enough.
    c.set("server", "127.0.0.1:1").unwrap();
    c.set("client_name", "IVR_TEST").unwrap();
    c
}

fn boom(engine: &Engine) -> Result<(), ApiError> {
    engine.ask(None, |_, _| -> Result<(), Refusal> {
        panic!("boom in an API call")
    })
}

/// Poll mode: a panic inside an API call (under the core's lock) marks
/// the engine dead: that call and every later one answer Dead, the
/// ENGINE_ERROR is readable, then next_event answers Dead at once, and
/// free returns.
#[test]
fn a_panic_under_the_lock_marks_the_engine_dead() {
    let engine = Engine::new(config(), Handlers::default()).unwrap();
    assert_eq!(boom(&engine), Err(ApiError::Dead));
    assert_eq!(
        engine.call_new("C1", "5001", None, None, vec![]),
        Err(ApiError::Dead)
    );
    assert_eq!(
        engine.wait_ready(Duration::from_secs(5)),
        Err(ApiError::Dead)
    );
    let ev = engine.next_event(Duration::from_secs(5)).unwrap();
    assert_eq!(ev.kind(), EventKind::EngineError, "{ev:?}");
    assert!(ev.text().contains("boom"), "{ev:?}");
    assert_eq!(
        engine.next_event(Duration::from_secs(5)).err(),
        Some(ApiError::Dead)
    );
    assert_eq!(engine.shutdown(), Err(ApiError::Dead));
    engine.free();
}

/// Callback mode: the panicking API call is made from inside the log
/// callback (on the dispatcher thread) while the engine is alive: it gets
/// Dead back, so does the next call, the ENGINE_ERROR follows, and free
/// joins every thread.
#[test]
fn a_panic_in_an_api_call_from_a_callback_marks_the_engine_dead() {
    let (events_tx, events) = crossbeam_channel::unbounded();
    let (answers_tx, answers) = crossbeam_channel::unbounded();
    let slot: Arc<Mutex<Option<Arc<Engine>>>> = Arc::new(Mutex::new(None));
    let in_log = slot.clone();
    let handlers = Handlers {
        on_event: Some(Box::new(move |e: Event| {
            let _ = events_tx.send(e.kind());
        })),
        on_log: Some(Box::new(move |_, _| {
            // Taken: only the first line with the engine in place asks.
            if let Some(engine) = in_log.lock().take() {
                let answers = (engine.in_callback(), boom(&engine), engine.call_end("x"));
                let _ = answers_tx.send(answers);
            }
        })),
        on_free: None,
    };
    let mut cfg = config();
    cfg.set("log_level", "trace").unwrap();
    cfg.set("reconnect_min_ms", "10").unwrap();
    cfg.set("reconnect_max_ms", "20").unwrap();
    let mut engine = Arc::new(Engine::new(cfg, handlers).unwrap());
    *slot.lock() = Some(engine.clone());
    let answers = answers.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(answers, (true, Err(ApiError::Dead), Err(ApiError::Dead)));
    let kind = events.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(kind, EventKind::EngineError);
    assert_eq!(engine.gate(), Err(ApiError::Dead));
    // The callback dropped its handle when it returned.
    let engine = loop {
        match Arc::try_unwrap(engine) {
            Ok(e) => break e,
            Err(e) => {
                std::thread::yield_now();
                engine = e;
            }
        }
    };
    engine.free();
}
