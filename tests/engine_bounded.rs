//! Bounded memory end to end: a server that floods the engine while the
//! application stops taking events, and a server that floods keep-alive
//! requests and never reads. Each flood must leave the process's memory
//! under a ceiling, end the link as the contract says, and leave an engine
//! that recovers and completes a normal flow.
//!
//! The flooding servers are raw TCP listeners in the test (the bundled
//! simulator queues what it sends, so it would grow itself); the simulator
//! is the backup server the engine fails over to afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ivrconf::engine::{Config, Engine, EventKind, Handlers, LogLevel};
use ivrconf::flow::{CallEventKind, OpKind, Outcome};
use ivrconf::sim::Simulator;
use ivrconf::wire::{
    encode_frame, Body, CallStatus, LoginResp, Message, StatusEvent, KEEPALIVE_REQUEST,
};

/// The floods measure the whole process's memory: one at a time.
static ONE_AT_A_TIME: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

/// Generous bound on a login over loopback (returns as soon as ready; a
/// loaded CI machine can be slow).
const READY_WAIT: Duration = Duration::from_secs(20);

/// Memory the process may gain during a flood. Without back-pressure the
/// floods below grow it by hundreds of megabytes a second.
const CEILING_MB: u64 = 64;

fn rss_mb() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096 / (1024 * 1024)
}

fn login_resp() -> Vec<u8> {
    encode_frame(&Message::new(
        "login-1",
        Body::LoginResp(LoginResp {
            result: "Success".into(),
            status: Some("OK".into()),
            iserver_version: Some("flood".into()),
            config_options: None,
        }),
    ))
    .unwrap()
}

/// Accepts one connection, reads the `LoginReq` (whatever it says) and
/// answers it with a successful `LoginResp`.
fn accept_and_log_in(listener: &TcpListener) -> TcpStream {
    let (mut conn, _) = listener.accept().unwrap();
    let mut buf = [0u8; 4096];
    let _ = conn.read(&mut buf).unwrap();
    conn.write_all(&login_resp()).unwrap();
    conn
}

/// An engine with an event callback that passes every event on.
fn callback_engine(
    config: Config,
) -> (Engine, crossbeam_channel::Receiver<ivrconf::engine::Event>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let handlers = Handlers {
        on_event: Some(Box::new(move |e: ivrconf::engine::Event| {
            let _ = tx.send(e);
        })),
        ..Handlers::default()
    };
    let engine = Engine::new(config, handlers).unwrap();
    assert!(engine.wait_ready(READY_WAIT).unwrap());
    (engine, rx)
}

/// A server that logs the engine in, then writes `frame` as fast as the
/// connection takes it (never reading) until `stop`, counting frames.
struct Flooder {
    port: u16,
    written: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    closed: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Flooder {
    fn start(frame: Vec<u8>, start_after: Duration) -> Flooder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let written = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let closed = Arc::new(AtomicBool::new(false));
        let (w, s, c) = (written.clone(), stop.clone(), closed.clone());
        let thread = thread::spawn(move || {
            let mut conn = accept_and_log_in(&listener);
            thread::sleep(start_after);
            conn.set_write_timeout(Some(Duration::from_millis(50)))
                .unwrap();
            let batch: Vec<u8> = frame.repeat(64);
            // Whole frames only: a short write is finished before the next.
            let mut pos = 0;
            while !s.load(Ordering::SeqCst) {
                match conn.write(&batch[pos..]) {
                    Ok(n) => {
                        pos += n;
                        if pos == batch.len() {
                            pos = 0;
                            w.fetch_add(64, Ordering::Relaxed);
                        }
                    }
                    Err(e) if is_timeout(&e) => {}
                    Err(_) => break,
                }
            }
            c.store(true, Ordering::SeqCst);
            // Further connections are refused by dropping the listener.
        });
        Flooder {
            port,
            written,
            stop,
            closed,
            thread: Some(thread),
        }
    }

    fn finish(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// The flooder first, the simulator as its backup.
fn config(flood_port: u16, sim_port: u16, max: usize) -> Config {
    let mut c = Config::default();
    c.set("server", &format!("127.0.0.1:{flood_port}")).unwrap();
    c.set("server", &format!("127.0.0.1:{sim_port}")).unwrap();
    c.set("client_name", "IVR_BOUNDED").unwrap();
    c.set("reconnect_min_ms", "50").unwrap();
    c.set("reconnect_max_ms", "200").unwrap();
    c.set("keepalive_interval_ms", "200").unwrap();
    c.set("keepalive_timeout_ms", "1000").unwrap();
    c.set("request_timeout_ms", "2000").unwrap();
    c.set("event_queue_max", &max.to_string()).unwrap();
    c.set("log_level", "info").unwrap();
    c
}

/// Runs a one-step conference on a fresh call and expects SUCCESS.
fn normal_flow_completes(engine: &Engine, next: &mut dyn FnMut() -> ivrconf::engine::Event) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !engine.is_ready() {
        assert!(Instant::now() < deadline, "never logged in to the backup");
        thread::sleep(Duration::from_millis(10));
    }
    engine
        .call_new("AFTER-1", "5000", None, None, Vec::new())
        .unwrap();
    let op = engine
        .start("AFTER-1", OpKind::ConferenceOneStep, "7001", Vec::new())
        .unwrap();
    loop {
        let e = next();
        if let Some(c) = e.call() {
            if c.kind == CallEventKind::OperationDone && c.op_id == op {
                assert_eq!(c.outcome, Some(Outcome::Completed), "{c:?}");
                return;
            }
        }
    }
}

#[test]
fn poll_application_that_stops_reading_bounds_memory_and_loses_the_link() {
    let _one = ONE_AT_A_TIME.lock();
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    let flood = encode_frame(&Message::new(
        "F1",
        Body::CallStatus(CallStatus::of(StatusEvent::Held)),
    ))
    .unwrap();
    let flooder = Flooder::start(flood, Duration::from_millis(300));
    let logs = Arc::new(parking_lot::Mutex::new(Vec::<String>::new()));
    let logs2 = logs.clone();
    let handlers = Handlers {
        on_log: Some(Box::new(move |_: LogLevel, text: &str| {
            logs2.lock().push(text.to_string())
        })),
        ..Handlers::default()
    };
    let max = 2000;
    let engine = Engine::new(config(flooder.port, sim.port(), max), handlers).unwrap();
    assert!(engine.wait_ready(READY_WAIT).unwrap());
    // Announced before the flood starts, so every status is reported.
    engine
        .call_new("F1", "5000", None, None, Vec::new())
        .unwrap();

    // The application now takes nothing while the server floods.
    let before = rss_mb();
    let mut peak = before;
    let started = Instant::now();
    while !flooder.closed.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(6) {
        peak = peak.max(rss_mb());
        thread::sleep(Duration::from_millis(20));
    }
    let written = flooder.written.load(Ordering::Relaxed);
    eprintln!(
        "status flood: RSS +{} MB, {written} frames written",
        peak - before
    );
    assert!(
        peak - before < CEILING_MB,
        "RSS grew {} MB during the flood ({written} frames written)",
        peak - before
    );
    assert!(
        flooder.closed.load(Ordering::SeqCst),
        "the engine must drop a link whose application stays behind \
         ({written} frames written in {:?})",
        started.elapsed()
    );
    flooder.finish();

    // Nothing was dropped: every event queued before the pause is there,
    // at most the limit plus what one read batch held.
    let mut next = || engine.next_event(Duration::from_secs(10)).unwrap();
    let mut statuses = 0usize;
    let down = loop {
        let e = next();
        match e.kind() {
            EventKind::CallStatus => statuses += 1,
            EventKind::SessionDown => break e,
            _ => {}
        }
    };
    // The limit counts log lines too (a handful here); one status can add
    // at most a couple of items past it.
    assert!(
        statuses + 50 >= max && statuses <= max + 4,
        "{statuses} statuses queued for a limit of {max}"
    );
    assert!(
        down.text().contains("the application is not taking events"),
        "{}",
        down.text()
    );
    assert!(logs
        .lock()
        .iter()
        .any(|l| l.contains("the application is not taking events")));
    // The engine fails over to the simulator and works normally.
    normal_flow_completes(&engine, &mut next);
    engine.free();
}

#[test]
fn keep_alive_flood_from_a_server_that_never_reads_bounds_memory() {
    let _one = ONE_AT_A_TIME.lock();
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    let flooder = Flooder::start(KEEPALIVE_REQUEST.to_vec(), Duration::ZERO);
    let (engine, rx) = callback_engine(config(flooder.port, sim.port(), 65536));
    let before = rss_mb();
    let mut peak = before;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        peak = peak.max(rss_mb());
        thread::sleep(Duration::from_millis(20));
    }
    let written = flooder.written.load(Ordering::Relaxed);
    eprintln!(
        "keep-alive flood: RSS +{} MB, {written} requests",
        peak - before
    );
    assert!(
        written > 100_000,
        "the flood must be a flood: {written} requests in 3 s"
    );
    assert!(
        peak - before < CEILING_MB,
        "RSS grew {} MB while {written} keep-alive requests were answered",
        peak - before
    );
    // The flood is traffic: the link stays up while it lasts.
    assert!(engine.is_ready());
    flooder.finish();
    let mut next = || rx.recv_timeout(Duration::from_secs(10)).unwrap();
    loop {
        if next().kind() == EventKind::SessionDown {
            break;
        }
    }
    normal_flow_completes(&engine, &mut next);
    engine.free();
}

#[test]
fn a_server_that_stops_reading_loses_the_link_after_the_write_timeout() {
    let _one = ONE_AT_A_TIME.lock();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let mut conn = accept_and_log_in(&listener);
        // Never reads again, but talks (so silence is never the reason)
        // until the engine closes the connection.
        for _ in 0..200 {
            if conn.write_all(&KEEPALIVE_REQUEST).is_err() {
                break;
            }
            thread::sleep(Duration::from_millis(100));
        }
    });
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    let (engine, rx) = callback_engine(config(port, sim.port(), 65536));
    // Requests the server never reads, until the socket's buffers are full
    // and a write blocks past keepalive_timeout_ms.
    let big = "x".repeat(30_000);
    let udata = vec![ivrconf::wire::KeyValue::str("blob", &big)];
    let started = Instant::now();
    let mut sent = 0;
    let down = loop {
        if let Ok(e) = rx.try_recv() {
            if e.kind() == EventKind::SessionDown {
                break e;
            }
            continue;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "link never lost after {sent} requests"
        );
        if engine
            .call_new(&format!("W{sent}"), "5000", None, None, udata.clone())
            .is_ok()
        {
            sent += 1;
        } else {
            thread::sleep(Duration::from_millis(5));
        }
    };
    assert!(
        down.text().contains("the server is not reading"),
        "{}",
        down.text()
    );
    let mut next = || rx.recv_timeout(Duration::from_secs(10)).unwrap();
    normal_flow_completes(&engine, &mut next);
    engine.free();
    drop(server);
}

/// Keeps the reading side honest: a stream of keep-alive requests on a
/// link the engine reads is answered, with no growth, and the link stays.
#[test]
fn acks_are_written_for_a_reading_server() {
    let _one = ONE_AT_A_TIME.lock();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let mut conn = accept_and_log_in(&listener);
        for _ in 0..100 {
            conn.write_all(&KEEPALIVE_REQUEST).unwrap();
        }
        // At least one ack comes back (requests may share one).
        let mut buf = [0u8; 4096];
        let mut acks = 0;
        let deadline = Instant::now() + Duration::from_secs(5);
        conn.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        while acks == 0 && Instant::now() < deadline {
            if let Ok(n) = conn.read(&mut buf) {
                acks += buf[..n]
                    .windows(6)
                    .filter(|w| *w == [0, 1, 0, 2, 2, 0])
                    .count();
            }
        }
        // The link stays open until the test has looked: a server that
        // closed it at once could end the session before `wait_ready`
        // saw it up.
        (acks, conn)
    });
    let mut c = Config::default();
    c.set("server", &format!("127.0.0.1:{port}")).unwrap();
    c.set("client_name", "IVR_ACK").unwrap();
    let engine = Engine::new(c, Handlers::default()).unwrap();
    assert!(engine.wait_ready(READY_WAIT).unwrap());
    let (acks, conn) = server.join().unwrap();
    assert!(acks >= 1, "no keep-alive ack written");
    assert!(engine.is_ready(), "the link stays");
    let _ = TcpStream::connect(("127.0.0.1", port));
    engine.free();
    drop(conn);
}

/// While reading is paused for the application, the server's answer may be
/// sitting unread: the op's request timer must wait, and the op end by that
/// answer once the application catches up, not TIMEOUT.
#[test]
fn request_timers_wait_while_reading_is_paused() {
    let _one = ONE_AT_A_TIME.lock();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (answer_tx, answer_rx) = crossbeam_channel::bounded::<()>(1);
    let server = thread::spawn(move || {
        let mut conn = accept_and_log_in(&listener);
        // Wait until the engine has sent the OneStepConf, then fill the
        // application's backlog with statuses of another call, then answer
        // the op: the answer lies behind the pause.
        answer_rx.recv().unwrap();
        let status = encode_frame(&Message::new(
            "FILL",
            Body::CallStatus(CallStatus::of(StatusEvent::Held)),
        ))
        .unwrap();
        let done = encode_frame(&Message::new(
            "OP",
            Body::CallStatus(CallStatus::of(StatusEvent::ConfPartyAdd)),
        ))
        .unwrap();
        let mut bytes = status.repeat(400);
        bytes.extend(done);
        conn.write_all(&bytes).unwrap();
        thread::sleep(Duration::from_secs(5));
    });
    let mut c = Config::default();
    c.set("server", &format!("127.0.0.1:{port}")).unwrap();
    c.set("client_name", "IVR_PAUSE").unwrap();
    c.set("event_queue_max", "100").unwrap();
    c.set("request_timeout_ms", "300").unwrap();
    c.set("keepalive_interval_ms", "0").unwrap();
    c.set("keepalive_timeout_ms", "0").unwrap();
    // Poll mode: the application takes nothing until it decides to.
    let engine = Engine::new(c, Handlers::default()).unwrap();
    assert!(engine.wait_ready(READY_WAIT).unwrap());
    engine
        .call_new("FILL", "5000", None, None, Vec::new())
        .unwrap();
    engine
        .call_new("OP", "5000", None, None, Vec::new())
        .unwrap();
    let op = engine
        .start("OP", OpKind::ConferenceOneStep, "7001", Vec::new())
        .unwrap();
    answer_tx.send(()).unwrap();
    // Behind for three request timeouts.
    thread::sleep(Duration::from_millis(900));
    let outcome = loop {
        let e = engine.next_event(Duration::from_secs(10)).unwrap();
        if let Some(c) = e.call() {
            if c.kind == CallEventKind::OperationDone && c.op_id == op {
                break c.outcome;
            }
        }
    };
    assert_eq!(outcome, Some(Outcome::Completed));
    engine.free();
    drop(server);
}

/// Frames the socket does not take at once (a server that is slow to read,
/// not stopped) are queued and written later, each whole and in the order
/// the API calls made them, and frames made meanwhile wait behind them.
#[test]
fn a_slow_reader_gets_every_frame_whole_and_in_order() {
    let _one = ONE_AT_A_TIME.lock();
    const CALLS: usize = 300;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    // Small buffers on the server's side (the accepted socket inherits
    // them), so the engine's socket stops taking bytes early.
    socket2::SockRef::from(&listener)
        .set_recv_buffer_size(4096)
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let (go_tx, go_rx) = crossbeam_channel::bounded::<()>(1);
    let server = thread::spawn(move || {
        let mut conn = accept_and_log_in(&listener);
        // Not reading until every call was asked for: the socket's buffers
        // fill and the rest waits in the engine's queue.
        go_rx.recv_timeout(Duration::from_secs(20)).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut reader = ivrconf::wire::FrameReader::new();
        let mut ids = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        while ids.len() < CALLS {
            let n = conn.read(&mut buf).unwrap();
            assert!(n > 0, "closed after {} calls", ids.len());
            reader.push(&buf[..n]);
            for item in reader.by_ref() {
                match item.unwrap() {
                    ivrconf::wire::Inbound::Message(msg) => {
                        if let Body::NewCall(_) = msg.body {
                            ids.push(msg.call_id.unwrap());
                        }
                    }
                    ivrconf::wire::Inbound::KeepAliveRequest { .. } => {}
                    ivrconf::wire::Inbound::DecodeError { error, .. } => {
                        panic!("not a whole frame after {} calls: {error:?}", ids.len())
                    }
                    _ => panic!("not a whole frame after {} calls", ids.len()),
                }
            }
        }
        (ids, conn)
    });
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    let mut c = config(port, sim.port(), 65536);
    // Long enough for the whole test: the server is slow, not stopped.
    c.set("keepalive_timeout_ms", "20000").unwrap();
    c.set("keepalive_interval_ms", "10000").unwrap();
    let (engine, _rx) = callback_engine(c);
    assert!(engine.wait_ready(READY_WAIT).unwrap());
    let big = "x".repeat(30_000);
    let udata = vec![ivrconf::wire::KeyValue::str("blob", &big)];
    for n in 0..CALLS {
        engine
            .call_new(&format!("S{n}"), "5000", None, None, udata.clone())
            .unwrap();
    }
    // 300 frames of 30 kB are more than the socket's buffers take unread.
    assert!(engine.stats().bytes_out > 9_000_000);
    go_tx.send(()).unwrap();
    let (ids, conn) = server.join().unwrap();
    let want: Vec<String> = (0..CALLS).map(|n| format!("S{n}")).collect();
    assert_eq!(ids, want);
    assert!(engine.is_ready(), "a slow server keeps its link");
    engine.free();
    drop(conn);
}
