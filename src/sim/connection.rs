//! One accepted connection: a reader thread that cuts frames, records them
//! and applies the "drop" faults, and a worker thread that owns the timers
//! and the socket's write side, so frames never interleave and a slow or
//! hostile client only ever stalls its own threads. The worker also holds
//! the call model, which it shares with the client's other connections
//! only when `drop_forgets_calls=false` (keyed by the login's
//! `ClientName`).
//!
//! Transport faults (spelling, split / coalesced writes, interleaved
//! keep-alives, duplicates, swaps, omissions, stray call ids, delays) are
//! applied here, on the steps the pure `script` model produced.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::Ordering as AtomicOrdering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::config::{Settings, SpellingMode};
use super::lifecycle::{Change, CloseCause, CloseReason};
use super::record::Dir;
use super::replay::Reaction;
use super::rng::Rng;
use super::script::{Calls, Step};
use super::server::{Shared, SharedCalls};
use super::spelling::{self, Spelling};
use crate::wire::{self, Body, FlowControl, FrameType, LoginResp, Message, StatusEvent};

/// Frames the reader may queue ahead of the worker; beyond it the reader
/// blocks and TCP pushes back on a flooding client.
const QUEUE: usize = 256;

/// The longest gap a replay waits before a frame (one day), whatever the
/// recording and `replay_speed` say.
const MAX_REPLAY_GAP_MS: u64 = 86_400_000;

/// What the reader and the API tell a connection's worker.
pub(crate) enum Ev {
    Frame(FrameType, Option<Message>),
    Inject(Message),
    /// Settings changed: recompute keep-alive deadlines.
    Wake,
    Closed,
}

/// The API's handle on a live connection.
pub(crate) struct ConnHandle {
    pub stream: TcpStream,
    pub tx: Sender<Ev>,
    cause: Arc<CloseCause>,
}

impl ConnHandle {
    /// Closes the socket for `reason`; both threads notice and end.
    pub fn close(&self, reason: CloseReason) {
        self.cause.set(reason);
        // The reader sees the end of the stream and tells the worker after
        // every frame it has already read and recorded: a frame a test saw
        // in the record is always handled before the close.
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// Starts the threads of connection number `conn`, announcing it (and,
/// should it fail to start, its close) to the connection observer.
pub(crate) fn spawn(shared: &Arc<Shared>, stream: TcpStream, conn: u64, peer: SocketAddr) {
    if let Err(e) = start(shared, stream, conn, peer) {
        // Not announced yet: every accepted line gets its closed line.
        shared.notify(conn, Change::Accepted { peer });
        let reason = CloseReason::SetupFailed(e.to_string());
        shared.notify(conn, Change::Closed { reason });
    }
}

/// Err only before the connection is registered and announced; after
/// that, a failure closes it through its handle like any other reason.
fn start(
    shared: &Arc<Shared>,
    stream: TcpStream,
    conn: u64,
    peer: SocketAddr,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_nodelay(true)?;
    // A blocked write this long means the client stopped reading: the
    // connection is closed rather than stalling its worker for ever.
    let write_timeout = shared.settings().write_timeout_ms;
    stream.set_write_timeout(Some(Duration::from_millis(write_timeout.max(1))))?;
    let read_side = stream.try_clone()?;
    let handle_side = stream.try_clone()?;
    let (tx, rx) = crossbeam_channel::bounded(QUEUE);
    let cause = Arc::new(CloseCause::default());
    let seed = shared.settings().seed;
    let worker = Worker {
        shared: shared.clone(),
        conn,
        stream,
        cause: cause.clone(),
        calls: Arc::new(parking_lot::Mutex::new(Calls::new())),
        client: None,
        rng: Rng::for_connection(seed, conn),
        timers: BinaryHeap::new(),
        seq: 0,
        next_keepalive: None,
        closed: false,
        write_timeout_ms: write_timeout,
    };
    let handle = ConnHandle {
        stream: handle_side,
        tx: tx.clone(),
        cause: cause.clone(),
    };
    shared.conns.lock().insert(conn, handle);
    // Registered first, so that whoever reacts to the notice (say, with
    // `close_connections`) reaches this connection; announced before its
    // threads start, so the notice comes before any of its traffic.
    shared.notify(conn, Change::Accepted { peer });
    let writer = std::thread::Builder::new()
        .name(format!("ivrconf-sim-conn-{conn}"))
        .spawn(move || worker.run(&rx));
    match writer {
        Ok(h) => shared.threads.lock().push(h),
        Err(e) => {
            // No worker to report the close: done here.
            if let Some(c) = shared.conns.lock().remove(&conn) {
                c.close(CloseReason::SetupFailed(e.to_string()));
            }
            let reason = CloseReason::SetupFailed(e.to_string());
            shared.notify(conn, Change::Closed { reason });
            return Ok(());
        }
    }
    let r_shared = shared.clone();
    let reader = std::thread::Builder::new()
        .name(format!("ivrconf-sim-read-{conn}"))
        .spawn(move || read_loop(&r_shared, conn, read_side, &tx, &cause));
    match reader {
        Ok(h) => shared.threads.lock().push(h),
        Err(e) => {
            // Without its reader the connection is useless; the worker
            // ends on this and reports it.
            if let Some(c) = shared.conns.lock().get(&conn) {
                c.close(CloseReason::SetupFailed(e.to_string()));
            }
        }
    }
    Ok(())
}

fn read_loop(
    shared: &Shared,
    conn: u64,
    mut stream: TcpStream,
    tx: &Sender<Ev>,
    cause: &CloseCause,
) {
    let mut frames_in = wire::Reassembler::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut frames = 0u64;
    'read: loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => {
                cause.set(CloseReason::EndOfStream);
                break;
            }
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                cause.set(CloseReason::ReadError(e.to_string()));
                break;
            }
        };
        frames_in.push(&buf[..n]);
        while let Some(next) = frames_in.next_raw_frame() {
            let (header, raw) = match next {
                Ok(f) => f,
                Err(e) => {
                    // Out of step: keep the evidence (header + 64 bytes,
                    // as PROTOCOL.md 1.5 logs it) and close.
                    cause.set(CloseReason::ProtocolError(e.to_string()));
                    shared.recorder.record(Dir::ToServer, conn, None, e.bytes);
                    break 'read;
                }
            };
            frames += 1;
            let message = match header.frame_type {
                FrameType::Xml => wire::decode(&raw[wire::HEADER_LEN..]).ok(),
                _ => None,
            };
            shared
                .recorder
                .record(Dir::ToServer, conn, message.clone(), raw.to_vec());
            let cfg = shared.settings();
            let drop_count = cfg.drop_after_frames > 0 && frames >= cfg.drop_after_frames;
            let drop_name = !cfg.drop_at.is_empty()
                && message
                    .as_ref()
                    .is_some_and(|m| m.name().eq_ignore_ascii_case(&cfg.drop_at));
            if drop_count {
                cause.set(CloseReason::DropAfterFrames(frames));
                break 'read;
            }
            if drop_name {
                cause.set(CloseReason::DropAt(cfg.drop_at.clone()));
                break 'read;
            }
            if tx.send(Ev::Frame(header.frame_type, message)).is_err() {
                break 'read;
            }
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
    let _ = tx.send(Ev::Closed);
}

/// Something to write.
#[derive(Debug, Clone)]
enum Outgoing {
    Xml(Box<Message>),
    KeepAliveRequest,
    KeepAliveAck,
    /// A replayed payload, written exactly as recorded (no spelling).
    Replayed(Vec<u8>),
}

enum Pending {
    Out(Outgoing),
    Step(String, Box<Step>),
}

struct Timer {
    due: Instant,
    seq: u64,
    what: Pending,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}
impl Eq for Timer {}
impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timer {
    // Equal deadlines keep the order they were scheduled in.
    fn cmp(&self, other: &Self) -> Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

struct Worker {
    shared: Arc<Shared>,
    conn: u64,
    stream: TcpStream,
    cause: Arc<CloseCause>,
    /// This connection's calls; after a `LoginReq`, possibly shared with
    /// earlier connections of the same client (`drop_forgets_calls`).
    calls: SharedCalls,
    /// The `ClientName` of the last `LoginReq`, if any.
    client: Option<String>,
    rng: Rng,
    timers: BinaryHeap<Reverse<Timer>>,
    seq: u64,
    next_keepalive: Option<Instant>,
    closed: bool,
    write_timeout_ms: u64,
}

impl Worker {
    fn run(mut self, rx: &Receiver<Ev>) {
        while !self.closed {
            let cfg = self.shared.settings();
            self.plan_keepalive(&cfg);
            let deadline = match (self.timers.peek(), self.next_keepalive) {
                (Some(Reverse(t)), Some(k)) => Some(t.due.min(k)),
                (Some(Reverse(t)), None) => Some(t.due),
                (None, k) => k,
            };
            let ev = match deadline {
                Some(d) => rx.recv_deadline(d),
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            let cfg = self.shared.settings();
            if cfg.write_timeout_ms != self.write_timeout_ms {
                self.write_timeout_ms = cfg.write_timeout_ms;
                let t = Duration::from_millis(cfg.write_timeout_ms.max(1));
                let _ = self.stream.set_write_timeout(Some(t));
            }
            match ev {
                Ok(Ev::Frame(kind, message)) => self.on_frame(kind, message, &cfg),
                Ok(Ev::Inject(m)) => self.write_batch(vec![Outgoing::Xml(Box::new(m))], &cfg, true),
                Ok(Ev::Wake) | Err(RecvTimeoutError::Timeout) => {}
                Ok(Ev::Closed) | Err(RecvTimeoutError::Disconnected) => break,
            }
            if !self.closed {
                self.fire_due(&cfg);
            }
        }
        let _ = self.stream.shutdown(Shutdown::Both);
        self.shared.conns.lock().remove(&self.conn);
        self.leave_client();
        // Last: after this the connection is gone in every respect.
        let reason = self.cause.get();
        self.shared.notify(self.conn, Change::Closed { reason });
    }

    /// A `LoginReq` names the client: with `drop_forgets_calls=false` this
    /// connection continues the calls kept for that name (its own calls so
    /// far join them), otherwise its calls become the ones a later login
    /// of that name would continue.
    fn join_client(&mut self, req: &Message, cfg: &Settings) {
        let Body::LoginReq(login) = &req.body else {
            return;
        };
        if login.client_name.is_empty() {
            return;
        }
        let mut clients = self.shared.clients.lock();
        let kept = clients.get(&login.client_name).cloned();
        match kept {
            Some(kept) if Arc::ptr_eq(&kept, &self.calls) => {}
            Some(kept) if !cfg.drop_forgets_calls => {
                let own = std::mem::take(&mut *self.calls.lock());
                kept.lock().absorb(own);
                self.calls = kept;
            }
            _ => {
                clients.insert(login.client_name.clone(), self.calls.clone());
            }
        }
        self.client = Some(login.client_name.clone());
    }

    /// The connection ends: with `drop_forgets_calls=true` its calls end
    /// too (unless a newer connection of the client already holds others).
    fn leave_client(&mut self) {
        let Some(name) = self.client.take() else {
            return;
        };
        if !self.shared.settings().drop_forgets_calls {
            return;
        }
        let mut clients = self.shared.clients.lock();
        if clients
            .get(&name)
            .is_some_and(|c| Arc::ptr_eq(c, &self.calls))
        {
            clients.remove(&name);
        }
    }

    fn plan_keepalive(&mut self, cfg: &Settings) {
        if cfg.keepalive_interval_ms == 0 {
            self.next_keepalive = None;
        } else if self.next_keepalive.is_none() {
            self.next_keepalive =
                Some(Instant::now() + Duration::from_millis(cfg.keepalive_interval_ms));
        }
    }

    fn on_frame(&mut self, kind: FrameType, message: Option<Message>, cfg: &Settings) {
        match kind {
            FrameType::KeepAliveRequest if cfg.keepalive_answer => {
                self.respond(vec![Outgoing::KeepAliveAck], cfg)
            }
            FrameType::Xml => {
                let Some(m) = message else { return };
                if self.replay(&m, cfg) {
                    return;
                }
                if let Body::LoginReq(_) = &m.body {
                    self.join_client(&m, cfg);
                    let out = self.login(&m, cfg);
                    self.respond(out, cfg);
                } else if let Some(id) = m.call_id.clone() {
                    let steps = self.calls.lock().react(&id, &m.body, cfg);
                    self.schedule(&id, steps, cfg);
                }
            }
            _ => {}
        }
    }

    fn login(&mut self, req: &Message, cfg: &Settings) -> Vec<Outgoing> {
        if !cfg.login_answer {
            return vec![];
        }
        let initialising = self
            .shared
            .login_init_left
            .fetch_update(AtomicOrdering::SeqCst, AtomicOrdering::SeqCst, |n| {
                n.checked_sub(1)
            })
            .is_ok();
        let status = if initialising {
            Some("InitInProgress".to_string())
        } else {
            non_empty(&cfg.login_status)
        };
        let ready = cfg.login_result.eq_ignore_ascii_case("Success")
            && status.as_deref().is_none_or(|s| {
                !s.eq_ignore_ascii_case("NoSuchClient") && !s.eq_ignore_ascii_case("InitInProgress")
            });
        let resp = LoginResp {
            iserver_version: non_empty(&cfg.iserver_version),
            result: cfg.login_result.clone(),
            status,
            config_options: non_empty(&cfg.config_options),
        };
        let mut out = vec![Outgoing::Xml(Box::new(Message {
            call_id: req.call_id.clone(),
            body: Body::LoginResp(resp),
        }))];
        if ready && !cfg.flow_control.is_empty() {
            out.push(Outgoing::Xml(Box::new(Message {
                call_id: req.call_id.clone(),
                body: Body::FlowControl(FlowControl {
                    status: Some(cfg.flow_control.clone()),
                    other: vec![],
                }),
            })));
        }
        out
    }

    /// Replay: hands the message to the player and sends what it plays,
    /// each frame after its recorded gap times `replay_speed`. False when
    /// there is no replay or the player passes the message on.
    fn replay(&mut self, m: &Message, cfg: &Settings) -> bool {
        let reaction = match self.shared.replay.lock().as_mut() {
            Some(player) => player.on_request(m),
            None => return false,
        };
        let Reaction::Play(answers) = reaction else {
            return false;
        };
        let now = Instant::now();
        let mut due = now;
        let mut batch = vec![];
        for a in answers {
            let gap = a.after.as_secs_f64() * cfg.replay_speed;
            let gap = Duration::try_from_secs_f64(gap)
                .unwrap_or(Duration::MAX)
                .min(Duration::from_millis(MAX_REPLAY_GAP_MS));
            due += gap;
            if due <= now && self.timers.is_empty() {
                batch.push(Outgoing::Replayed(a.payload));
            } else {
                self.push_timer(due, Pending::Out(Outgoing::Replayed(a.payload)));
            }
        }
        self.write_batch(batch, cfg, false);
        true
    }

    /// Session answers: now, or after `response_delay_ms`.
    fn respond(&mut self, out: Vec<Outgoing>, cfg: &Settings) {
        if cfg.response_delay_ms == 0 {
            self.write_batch(out, cfg, false);
            return;
        }
        let due = Instant::now() + Duration::from_millis(cfg.response_delay_ms);
        for o in out {
            self.push_timer(due, Pending::Out(o));
        }
    }

    fn push_timer(&mut self, due: Instant, what: Pending) {
        self.seq += 1;
        self.timers.push(Reverse(Timer {
            due,
            seq: self.seq,
            what,
        }));
    }

    /// Applies the event faults to a reaction and sends or schedules it.
    fn schedule(&mut self, call_id: &str, steps: Vec<Step>, cfg: &Settings) {
        let steps = self.event_faults(call_id, steps, cfg);
        let now = Instant::now();
        let delay = Duration::from_millis(cfg.response_delay_ms);
        let mut batch = vec![];
        let mut last_due = now;
        for (id, step) in steps {
            let due = (now + delay + step.after).max(last_due);
            if due <= now && self.timers.is_empty() {
                if self.fire(&id, &step) {
                    batch.push(Outgoing::Xml(Box::new(Message::new(id, step.body))));
                }
            } else {
                // Anything behind a delayed step waits for it, so order is
                // kept even when a later step has a shorter delay.
                last_due = due;
                self.push_timer(due, Pending::Step(id, Box::new(step)));
            }
        }
        self.write_batch(batch, cfg, false);
    }

    /// Omissions, Held/Dialing swaps, duplicates and stray call ids.
    fn event_faults(
        &mut self,
        call_id: &str,
        steps: Vec<Step>,
        cfg: &Settings,
    ) -> Vec<(String, Step)> {
        let mut steps: Vec<Step> = steps
            .into_iter()
            .filter(|s| !(s.optional && self.rng.chance(cfg.omit_optional)))
            .collect();
        for i in 1..steps.len() {
            let pair = (event_of(&steps[i - 1]), event_of(&steps[i]));
            if pair == (Some(StatusEvent::Held), Some(StatusEvent::Dialing))
                && steps[i - 1].after == steps[i].after
                && self.rng.chance(cfg.swap_held_dialing)
            {
                steps.swap(i - 1, i);
            }
        }
        let mut out = vec![];
        for step in steps {
            let is_status = matches!(step.body, Body::CallStatus(_));
            if is_status && self.rng.chance(cfg.unknown_call_events) {
                let stray = Step {
                    guard: super::script::Guard::None,
                    effect: super::script::Effect::None,
                    ..step.clone()
                };
                out.push((self.calls.lock().unknown_id(), stray));
            }
            let dup = is_status && self.rng.chance(cfg.duplicate_events);
            out.push((call_id.to_string(), step.clone()));
            if dup {
                // The copy changes nothing when it fires (M6 duplicate) but
                // keeps the guard: a cancelled event has no copy either.
                let copy = Step {
                    effect: super::script::Effect::None,
                    ..step
                };
                out.push((call_id.to_string(), copy));
            }
        }
        out
    }

    fn fire_due(&mut self, cfg: &Settings) {
        let now = Instant::now();
        let mut batch = vec![];
        while self.timers.peek().is_some_and(|Reverse(t)| t.due <= now) {
            let Some(Reverse(t)) = self.timers.pop() else {
                break;
            };
            match t.what {
                Pending::Out(o) => batch.push(o),
                Pending::Step(id, step) => {
                    if self.fire(&id, &step) {
                        batch.push(Outgoing::Xml(Box::new(Message::new(id, step.body))));
                    }
                }
            }
        }
        if let Some(k) = self.next_keepalive {
            if k <= now {
                batch.push(Outgoing::KeepAliveRequest);
                let every = Duration::from_millis(cfg.keepalive_interval_ms.max(1));
                self.next_keepalive = Some(now + every);
            }
        }
        self.write_batch(batch, cfg, false);
    }

    /// A step is due: true when it is still to be sent (its state change
    /// then applied and its event noted).
    fn fire(&mut self, call_id: &str, step: &Step) -> bool {
        let mut calls = self.calls.lock();
        let send = calls.fire(call_id, step);
        if send {
            calls.sent(call_id, &step.body);
        }
        send
    }

    /// Encodes, records and writes frames. `forced` (injected messages)
    /// ignores `silent`.
    fn write_batch(&mut self, batch: Vec<Outgoing>, cfg: &Settings, forced: bool) {
        if batch.is_empty() || (cfg.silent && !forced) {
            return;
        }
        let mut frames: Vec<(Option<Message>, Vec<u8>)> = vec![];
        let mut replayed = 0;
        for o in batch {
            match o {
                // A hand-written trace may hold more than a frame carries.
                Outgoing::Replayed(payload) if payload.len() > wire::MAX_PAYLOAD => {}
                Outgoing::Replayed(payload) => {
                    replayed += 1;
                    let m = wire::decode(&payload).ok();
                    // Recorded payloads fit a frame: they came in one.
                    frames.push((m, wire::frame_bytes(FrameType::Xml, &payload)));
                }
                Outgoing::KeepAliveRequest => frames.push((None, wire::KEEPALIVE_REQUEST.to_vec())),
                Outgoing::KeepAliveAck => frames.push((None, wire::KEEPALIVE_ACK.to_vec())),
                Outgoing::Xml(m) => {
                    let sp = match cfg.spelling {
                        SpellingMode::Fixed(sp) => sp,
                        SpellingMode::Random => Spelling::from_bits(self.rng.next_u64()),
                    };
                    let bytes = if sp.is_canonical() {
                        wire::encode_frame(&m).ok()
                    } else {
                        spelling::frame(&m, sp)
                    };
                    // Unencodable (an injected message too large): skipped.
                    let Some(bytes) = bytes else { continue };
                    if cfg.interleave_keepalive {
                        frames.push((None, wire::KEEPALIVE_REQUEST.to_vec()));
                    }
                    frames.push((Some(*m), bytes));
                }
            }
        }
        for (m, bytes) in &frames {
            self.shared
                .recorder
                .record(Dir::FromServer, self.conn, m.clone(), bytes.clone());
        }
        let result = if cfg.coalesce && !cfg.split_writes {
            let all: Vec<u8> = frames.iter().flat_map(|(_, b)| b.iter().copied()).collect();
            self.stream.write_all(&all)
        } else {
            frames.iter().try_for_each(|(_, b)| {
                if cfg.split_writes {
                    b.chunks(1).try_for_each(|c| {
                        self.stream.write_all(c)?;
                        self.stream.flush()
                    })
                } else {
                    self.stream.write_all(b)
                }
            })
        };
        match result {
            Ok(()) => {
                self.shared
                    .replay_written
                    .fetch_add(replayed, AtomicOrdering::SeqCst);
            }
            Err(e) => {
                self.cause.set(CloseReason::WriteError(e.to_string()));
                self.closed = true;
            }
        }
    }
}

fn event_of(s: &Step) -> Option<StatusEvent> {
    match &s.body {
        Body::CallStatus(c) => c.event(),
        _ => None,
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}
