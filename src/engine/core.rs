//! The core: runs the two pure machines — the session
//! ([`crate::session`]) and the calls ([`crate::flow`]) — and moves bytes,
//! events and time between them and the outside. It lives behind one
//! mutex: the core thread takes it for each input from its channel and for
//! every timer; an API call takes it on the caller's own thread and runs
//! its request there, and a connection's reader hands over what it read
//! the same way ([`CoreRef`]), so neither costs a hand-over to another
//! thread.
//!
//! It makes no protocol decision of its own: it carries out the machines'
//! outputs (connect, write, close, deliver an event, arm a timer). It never
//! blocks on a socket (a write the socket does not take at once goes to
//! the connection's writer thread) nor on the application (the dispatcher
//! has its own queue), so API calls get their synchronous answer at once,
//! even from inside a callback.

use std::cell::Cell;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use parking_lot::{Mutex, MutexGuard};

use super::backlog::Outbox;
use super::config::{Config, LogLevel};
use super::conn::{self, ConnEvent, LinkIo, Received};
use super::dispatch::Item;
use super::event::Event;
use super::stats::add;
use super::tape::{ApiCall, Tape};
use super::userdata::CallUserdata;
use super::{panic_text, Shared};
use crate::flow::{CallEventKind, Flow, Millis, Output as FlowOutput, TimerId};
use crate::machine::LogRecord;
use crate::recorder::{Answer, RecorderConfig};
use crate::session::{self, LinkId, Session};
use crate::wire::{self, latin1_debug, Inbound, Message, KEEPALIVE_ACK, KEEPALIVE_REQUEST};

/// The body of one API request: runs on the caller's thread, with the
/// core's lock held, against the flow machine (and the recorder) at `now`,
/// keeps its own typed answer for the caller, and returns that answer's
/// summary for the call's trace.
pub(crate) type Run<'r> = &'r mut dyn FnMut(&mut Desk<'_>, Millis) -> Answer;

/// What an API request works on: the flow machine, the recorder (to render
/// a trace) and the values attached to calls.
pub(crate) struct Desk<'a> {
    pub flow: &'a mut Flow,
    pub tape: &'a Tape,
    pub userdata: &'a mut CallUserdata,
}

/// Everything the core thread reacts to.
pub(crate) enum Input {
    Conn {
        link: LinkId,
        event: ConnEvent,
    },
    /// The application has taken half of its backlog: read again.
    Resume,
    /// Cancel every operation, close the link, stop; answered when done.
    Shutdown(Sender<()>),
    /// Work done on another thread (an API call, a reader) armed a timer
    /// due before the core thread's wake-up, or the core failed: look
    /// again.
    Wake,
}

/// What goes to the application: events, and log lines at or above the
/// current level (`Shared::log_filter`). Remembers when the backlog became
/// full, so the core pauses reading after the input that filled it.
struct ToApp {
    outbox: Outbox,
    shared: Arc<Shared>,
    full: Cell<bool>,
}

impl ToApp {
    fn event(&self, event: Event) {
        if self.outbox.event(event) {
            self.full.set(true);
        }
    }

    fn log(&self, level: LogLevel, text: impl FnOnce() -> String) {
        if self.shared.log_filter.passes(level) && self.outbox.log(level, text()) {
            self.full.set(true);
        }
    }

    fn record(&self, rec: LogRecord) {
        self.log(rec.level, || match &rec.call_id {
            Some(id) => format!("call {id}: {}", rec.text),
            None => rec.text,
        });
    }
}

/// A handle on the core for the threads that work on it under its lock
/// (API callers, connection readers). Weak: the core goes with the engine.
#[derive(Clone)]
pub(crate) struct CoreRef(Weak<Mutex<Core>>);

impl CoreRef {
    pub(crate) fn new(core: Weak<Mutex<Core>>) -> CoreRef {
        CoreRef(core)
    }

    /// Runs `work` on this thread with the core's lock held. `None` when
    /// the core has stopped (shut down, dead, or the engine is gone). A
    /// panic inside `work` is a failure of the core: the engine is marked
    /// dead (`None`).
    pub(crate) fn with<R>(&self, work: impl FnOnce(&mut Core) -> R) -> Option<R> {
        let core = self.0.upgrade()?;
        under_lock(&core, work)
    }
}

/// Runs `work` on this thread with `core`'s lock held, as
/// [`CoreRef::with`] does, for a caller that holds the core itself.
pub(crate) fn under_lock<R>(core: &Mutex<Core>, work: impl FnOnce(&mut Core) -> R) -> Option<R> {
    let ran = catch_unwind(AssertUnwindSafe(|| {
        let mut c = core.lock();
        (!c.stopped).then(|| work(&mut c))
    }));
    match ran {
        Ok(answer) => answer,
        Err(payload) => {
            // The unwind released the lock.
            let what = panic_text(&*payload);
            core.lock().fail(format!("core failed: {what}"));
            None
        }
    }
}

pub(crate) struct Core {
    /// This core, for the connection threads it starts.
    this: CoreRef,
    config: Config,
    app: ToApp,
    shared: Arc<Shared>,
    flow: Flow,
    session: Session,
    tape: Tape,
    userdata: CallUserdata,
    /// The session's last failure as last copied to `Shared`.
    failure_seen: Option<String>,
    /// The socket of the session's current link, once it is up.
    link: Option<LinkIo>,
    /// Since when reading is paused for the application (flow timers wait).
    paused_at: Option<Millis>,
    /// Received items of `parked_link` not handled yet (back-pressure).
    parked: VecDeque<Received>,
    parked_link: LinkId,
    input: Sender<Input>,
    epoch: Instant,
    stopped: bool,
    /// When the core thread will look at the timers next, while it waits
    /// for an input (`None` while it is working): an API call that arms an
    /// earlier timer wakes it.
    sleep_until: Option<Millis>,
    timers: BTreeSet<(Millis, TimerId)>,
    timer_at: HashMap<TimerId, Millis>,
}

impl Core {
    pub(crate) fn new(
        this: CoreRef,
        config: Config,
        shared: Arc<Shared>,
        outbox: Outbox,
        input: Sender<Input>,
    ) -> Core {
        let flow = Flow::new(config.flow_config());
        let session = Session::new(config.session_config(), 0);
        let epoch = Instant::now();
        let tape = Tape::new(
            RecorderConfig {
                keep_ended: config.trace_keep_ended,
                max_entries: config.trace_max_entries,
            },
            epoch,
        );
        Core {
            this,
            app: ToApp {
                outbox,
                shared: shared.clone(),
                full: Cell::new(false),
            },
            config,
            shared,
            flow,
            session,
            tape,
            userdata: CallUserdata::default(),
            failure_seen: None,
            link: None,
            paused_at: None,
            parked: VecDeque::new(),
            parked_link: 0,
            input,
            epoch,
            stopped: false,
            sleep_until: None,
            timers: BTreeSet::new(),
            timer_at: HashMap::new(),
        }
    }

    fn now(&self) -> Millis {
        self.epoch.elapsed().as_millis() as Millis
    }

    fn emit(&self, event: Event) {
        self.app.event(event);
    }

    /// The core thread's loop: wait (without the lock) for an input or the
    /// earliest deadline, then handle it with the lock held. Ends after a
    /// shutdown, or when the engine is dead (an API call panicked in it).
    pub(crate) fn run(core: &Mutex<Core>, inputs: Receiver<Input>) {
        // At most this many queued inputs are taken before the timers are
        // looked at again, so a busy engine still keeps its deadlines.
        const BATCH: usize = 256;
        let mut next = None;
        loop {
            let wait = {
                let mut c = core.lock();
                // A reader already waiting for the lock with what it read
                // goes first: bytes already read count before the silence
                // check, a server answer before its request's timeout.
                MutexGuard::bump(&mut c);
                c.sleep_until = None;
                if !c.turn(next.take(), &inputs, BATCH) {
                    c.stop();
                    return;
                }
                let at = c.next_deadline();
                c.sleep_until = Some(at.unwrap_or(Millis::MAX));
                at.map(|at| at.saturating_sub(c.now()))
            };
            next = match wait {
                Some(wait) => match inputs.recv_timeout(Duration::from_millis(wait)) {
                    Ok(i) => Some(i),
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => None,
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
                },
                None => match inputs.recv() {
                    Ok(i) => Some(i),
                    Err(_) => break,
                },
            };
        }
        core.lock().stop();
    }

    /// One turn of the core thread: `first` (the input it woke up for),
    /// then what is queued, then the timers. `false` once it must stop.
    fn turn(&mut self, first: Option<Input>, inputs: &Receiver<Input>, batch: usize) -> bool {
        if self.shared.dead.load(Ordering::SeqCst) {
            return false;
        }
        if let Some(input) = first {
            if !self.handle(input) {
                return false;
            }
        }
        // Inputs already queued happened before any deadline that is due
        // now (readers waiting for the lock went first, in `run`).
        for _ in 0..batch {
            match inputs.try_recv() {
                Ok(input) => {
                    if !self.handle(input) {
                        return false;
                    }
                }
                Err(_) => break,
            }
        }
        self.on_deadlines(self.now());
        self.pause_if_full();
        !self.stopped
    }

    /// The core thread is done: the link (and with it the connection's
    /// threads) ends now, not when the last handle on the core goes.
    pub(crate) fn stop(&mut self) {
        self.stopped = true;
        self.link = None;
        self.parked.clear();
    }

    /// The core failed (a bug): every later call answers `Dead`, the link
    /// and its threads end, the application gets an `ENGINE_ERROR` with
    /// `text`, and the core thread is woken to end too.
    pub(crate) fn fail(&mut self, text: String) {
        if self.shared.dead.swap(true, Ordering::SeqCst) {
            return;
        }
        self.stop();
        self.shared.set_ready(false);
        self.app.outbox.event(Event::EngineError { text });
        // Poll readers must not wait for events that cannot come.
        self.app.outbox.control(Item::Seal);
        let _ = self.input.send(Input::Wake);
    }

    /// Runs an API request on the caller's thread (the lock held) and
    /// carries out what it caused; wakes the core thread when the request
    /// armed a timer due before it would look again.
    /// One API request; `call` names it for its call's trace (`None`: a
    /// query, not recorded).
    pub(crate) fn api(&mut self, call: Option<ApiCall>, run: Run<'_>) {
        let now = self.now();
        let calls_before = self.flow.call_count();
        let mut desk = Desk {
            flow: &mut self.flow,
            tape: &self.tape,
            userdata: &mut self.userdata,
        };
        let answer = run(&mut desk, now);
        // Only call_new adds a call.
        let announced = self.flow.call_count().saturating_sub(calls_before);
        add(&self.shared.counters.calls_total, announced as u64);
        if let Answer::Op(_) = answer {
            add(&self.shared.counters.ops_started, 1);
        }
        if let Some(call) = call {
            self.tape.api(call, answer);
        }
        // What the flow sends now is the direct result of the call.
        self.tape.set_by_app(true);
        self.pump_flow();
        self.tape.set_by_app(false);
        self.pause_if_full();
        self.wake_if_earlier();
    }

    /// What a connection reports, on the connection's own thread.
    pub(crate) fn conn_event(&mut self, link: LinkId, event: ConnEvent) {
        self.on_conn(link, event);
        self.pause_if_full();
        self.wake_if_earlier();
    }

    /// Wakes the core thread when a deadline is now due before it would
    /// look at the timers again (work done on another thread armed it).
    fn wake_if_earlier(&mut self) {
        if let (Some(asleep), Some(due)) = (self.sleep_until, self.next_deadline()) {
            if due < asleep {
                self.sleep_until = Some(due);
                let _ = self.input.send(Input::Wake);
            }
        }
    }

    /// Handles one input; `false` once the core must stop.
    fn handle(&mut self, input: Input) -> bool {
        let go_on = self.handle_one(input);
        self.pause_if_full();
        go_on
    }

    fn handle_one(&mut self, input: Input) -> bool {
        match input {
            Input::Wake => true,
            Input::Conn { link, event } => {
                self.on_conn(link, event);
                true
            }
            Input::Resume => {
                self.resume_reading();
                true
            }
            Input::Shutdown(done) => {
                self.shutdown();
                let _ = done.send(());
                false
            }
        }
    }

    // ---- back-pressure -----------------------------------------------

    /// The application's backlog reached `event_queue_max`: stop reading
    /// the server until it has taken half (TCP pushes back on the server).
    fn pause_if_full(&mut self) {
        if !self.app.full.replace(false) {
            return;
        }
        self.app.log(LogLevel::Warn, || {
            format!(
                "the application is {} events and log lines behind: reading paused",
                self.shared.backlog.queued()
            )
        });
        self.pause_link();
    }

    fn pause_link(&mut self) {
        if let Some(io) = &self.link {
            io.gate.pause();
            let now = self.now();
            self.session.reading_paused(now, io.link);
            self.paused_at.get_or_insert(now);
        }
    }

    fn resume_reading(&mut self) {
        // Full again since the taker asked: stay paused.
        if self.shared.backlog.is_paused() {
            return;
        }
        if let Some(io) = &self.link {
            io.gate.resume();
            let now = self.now();
            self.session.reading_resumed(now, io.link);
            self.thaw_timers(now);
            self.app.log(LogLevel::Info, || {
                "the application caught up: reading again".into()
            });
            self.take_parked(now);
        }
    }

    /// While reading is paused the server's answers may be waiting unread,
    /// so the flow's timers do not run: on resume every deadline moves by
    /// the time spent paused (a timer armed during the pause gains the
    /// whole pause too: generous, never early). Ops then end by what the
    /// server said, not by our own deafness.
    fn thaw_timers(&mut self, now: Millis) {
        let Some(at) = self.paused_at.take() else {
            return;
        };
        let shift = now.saturating_sub(at);
        if shift == 0 {
            return;
        }
        self.timers = self
            .timers
            .iter()
            .map(|&(due, timer)| (due.saturating_add(shift), timer))
            .collect();
        for due in self.timer_at.values_mut() {
            *due = due.saturating_add(shift);
        }
    }

    // ---- the machines' outputs ---------------------------------------

    /// Carries out everything the flow machine asked for, in order, and
    /// passes on what it wanted logged.
    fn pump_flow(&mut self) {
        while let Some(rec) = self.flow.poll_log() {
            if let (LogLevel::Warn, Some(call_id)) = (rec.level, &rec.call_id) {
                self.tape.warning(call_id, &rec.text);
            }
            self.app.record(rec);
        }
        while let Some(out) = self.flow.poll_output() {
            match out {
                FlowOutput::Send(msg) => self.send(&msg),
                FlowOutput::Event(ev) => {
                    self.app.log(LogLevel::Debug, || {
                        format!("call {}: {}", ev.call_id, ev.text())
                    });
                    self.tape.event(&ev);
                    if let (CallEventKind::OperationDone, Some(outcome)) = (ev.kind, ev.outcome) {
                        self.shared.counters.op_ended(outcome);
                    }
                    let userdata = self.userdata.tag(&ev);
                    self.emit(Event::Call(ev, userdata));
                }
                FlowOutput::SetTimer { timer, at } => {
                    if let Some(old) = self.timer_at.insert(timer, at) {
                        self.timers.remove(&(old, timer));
                    }
                    self.timers.insert((at, timer));
                    self.tape.timer_set(timer, at);
                }
                FlowOutput::CancelTimer(timer) => {
                    if let Some(old) = self.timer_at.remove(&timer) {
                        self.timers.remove(&(old, timer));
                    }
                    self.tape.timer_cancelled(timer);
                }
            }
        }
        let live = self.flow.call_count() as u64;
        self.shared
            .counters
            .calls_live
            .store(live, Ordering::Relaxed);
    }

    /// Carries out everything the session asked for, in order.
    fn pump_session(&mut self) {
        while let Some(rec) = self.session.poll_log() {
            self.app.record(rec);
        }
        while let Some(out) = self.session.poll_output() {
            match out {
                session::Output::Connect {
                    link,
                    server: _,
                    target,
                } => self.connect(link, target),
                session::Output::Write(frame) => self.write(frame),
                session::Output::AckKeepAlive => {
                    if let Some(io) = &self.link {
                        if io.ack_keep_alive() {
                            self.count_out(KEEPALIVE_ACK.len());
                        }
                    }
                }
                session::Output::Close { link } => {
                    if self.link.as_ref().is_some_and(|io| io.link == link) {
                        self.link = None;
                        // Nothing unread is waiting any more.
                        let now = self.now();
                        self.thaw_timers(now);
                    }
                }
                session::Output::Up { text } => {
                    // SESSION_UP first: what the flow does at login (the
                    // reconcile_calls checks) follows it.
                    let now = self.now();
                    add(&self.shared.counters.logins, 1);
                    self.shared.set_ready(true);
                    self.emit(Event::SessionUp { text });
                    self.flow.link_up(now);
                    self.pump_flow();
                }
                session::Output::Down { text } => {
                    let now = self.now();
                    add(&self.shared.counters.link_losses, 1);
                    self.shared.set_ready(false);
                    self.flow.link_down(now);
                    self.pump_flow();
                    self.emit(Event::SessionDown { text });
                }
            }
            // Log lines of later outputs follow the earlier outputs.
            while let Some(rec) = self.session.poll_log() {
                self.app.record(rec);
            }
        }
        self.note_failure();
    }

    /// Copies the session's last failure to `Shared` when it changed, for
    /// the text of a `wait_ready` timeout on another thread.
    fn note_failure(&mut self) {
        if self.session.last_failure() != self.failure_seen.as_deref() {
            self.failure_seen = self.session.last_failure().map(str::to_string);
            *self.shared.last_failure.lock() = self.failure_seen.clone();
        }
    }

    // ---- the socket --------------------------------------------------

    fn connect(&mut self, link: LinkId, target: String) {
        self.link = None;
        add(&self.shared.counters.connect_attempts, 1);
        let attempt = conn::Attempt {
            link,
            target,
            connect_timeout: Duration::from_millis(self.config.connect_timeout_ms),
            write_timeout: (self.config.keepalive_timeout_ms > 0)
                .then(|| Duration::from_millis(self.config.keepalive_timeout_ms)),
            keep_payloads: self.tape.is_on() || self.shared.log_filter.passes(LogLevel::Trace),
        };
        if let Some(handle) = conn::spawn(attempt, self.input.clone(), self.this.clone()) {
            let mut threads = self.shared.conn_threads.lock();
            threads.retain(|t| !t.is_finished());
            threads.push(handle);
        }
    }

    /// A flow message for the server: written if there is a link.
    fn send(&mut self, msg: &Message) {
        if self.link.is_none() {
            self.app.log(LogLevel::Warn, || {
                format!("not connected: {} dropped", msg.name())
            });
            return;
        }
        match wire::encode_frame(msg) {
            Ok(frame) => {
                if let Some(call_id) = &msg.call_id {
                    let payload = frame.get(wire::HEADER_LEN..).unwrap_or_default();
                    self.tape.sent(call_id, payload);
                }
                self.write(frame)
            }
            Err(e) => self.app.log(LogLevel::Error, || {
                format!("cannot encode {}: {e}", msg.name())
            }),
        }
    }

    fn write(&mut self, frame: Vec<u8>) {
        let Some(io) = &self.link else {
            return;
        };
        self.app.log(LogLevel::Trace, || {
            if frame == KEEPALIVE_REQUEST {
                "I->S keep-alive request".to_string()
            } else {
                let payload = frame.get(wire::HEADER_LEN..).unwrap_or_default();
                format!("I->S {} bytes: {}", frame.len(), latin1_debug(payload))
            }
        });
        let len = frame.len();
        io.write(frame);
        self.count_out(len);
    }

    /// One frame of `len` bytes handed to the writer.
    fn count_out(&self, len: usize) {
        add(&self.shared.counters.frames_out, 1);
        add(&self.shared.counters.bytes_out, len as u64);
    }

    /// What a batch read from the socket holds, for the stats.
    fn count_in(&self, items: &[Received], bytes: usize) {
        let counters = &self.shared.counters;
        add(&counters.bytes_in, bytes as u64);
        let frames = items.iter().filter(|i| i.is_ok()).count();
        add(&counters.frames_in, frames as u64);
        let bad = items
            .iter()
            .filter(|i| matches!(i, Err(_) | Ok((Inbound::DecodeError { .. }, _))))
            .count();
        add(&counters.decode_errors, bad as u64);
    }

    fn on_conn(&mut self, link: LinkId, event: ConnEvent) {
        let now = self.now();
        match event {
            ConnEvent::Connected(io) => {
                // Kept before the session decides: a stale connection is
                // then closed by the session's own Close.
                self.link = Some(io);
                self.session.connected(now, link);
                if self.shared.backlog.is_paused() {
                    self.pause_link();
                }
            }
            ConnEvent::ConnectFailed(why) => self.session.connect_failed(now, link, &why),
            ConnEvent::Rx { mut items, bytes } => {
                self.count_in(&items, bytes);
                self.session.bytes_received(now, link);
                if self.session.current_link() != Some(link) {
                    // A late batch of a link that has ended (its reader was
                    // waiting for the lock): nothing in it counts, and the
                    // current link's parked input stays.
                    self.pump_session();
                    return;
                }
                if self.parked_link != link {
                    self.parked.clear();
                    self.parked_link = link;
                }
                self.parked.extend(items.drain(..));
                // The emptied list goes back to the reader for a later read.
                if let Some(io) = self.link.as_ref().filter(|io| io.link == link) {
                    io.gate.batch_done(items);
                }
                self.take_parked(now);
            }
            ConnEvent::Closed(why) => self.session.link_closed(now, link, &why),
            ConnEvent::Panicked(why) => {
                self.emit(Event::EngineError {
                    text: format!("connection thread failed: {why}"),
                });
                self.session
                    .link_closed(now, link, &format!("connection thread failed: {why}"));
            }
        }
        self.pump_session();
    }

    /// Handles received items of the current link in order, until the
    /// application's backlog is full: the rest wait here (at most the
    /// batches a reader may have in flight) until it has caught up, so the
    /// backlog exceeds its limit only by what one item causes.
    fn take_parked(&mut self, now: Millis) {
        let link = self.parked_link;
        while !self.shared.backlog.is_paused() {
            let Some(item) = self.parked.pop_front() else {
                return;
            };
            match item {
                Ok((inbound, raw)) => {
                    self.trace_received(&inbound, raw.as_deref());
                    if let (Inbound::Message(msg), Some(raw)) = (&inbound, raw) {
                        if let Some(call_id) = &msg.call_id {
                            self.tape.received(call_id, raw);
                        }
                    }
                    if let Some(msg) = self.session.frame_received(now, link, inbound) {
                        self.flow.on_message(now, &msg);
                        self.pump_flow();
                    }
                }
                Err(e) => self.session.protocol_error(now, link, &e),
            }
            self.pump_session();
            if self.session.current_link() != Some(link) {
                // The link ended: the rest of its input is discarded.
                self.parked.clear();
                return;
            }
        }
    }

    /// The trace log line of a received item: the payload as received
    /// when the reader kept it, else re-encoded in our canonical form.
    fn trace_received(&self, inbound: &Inbound, raw: Option<&[u8]>) {
        self.app.log(LogLevel::Trace, || match inbound {
            Inbound::KeepAliveRequest { .. } => "S->I keep-alive request (answered)".into(),
            Inbound::KeepAliveAck { .. } => "S->I keep-alive ack".into(),
            Inbound::ErrorAck { .. } => "S->I error ack".into(),
            Inbound::DecodeError { .. } => "S->I message that does not decode".into(),
            Inbound::Message(msg) => match raw {
                Some(xml) => format!("S->I {} bytes: {}", xml.len(), latin1_debug(xml)),
                // Not kept (the reader started before trace level was on).
                None => match wire::encode(msg) {
                    Ok(xml) => format!("S->I {} bytes: {}", xml.len(), latin1_debug(&xml)),
                    Err(_) => format!("S->I {msg:?}"),
                },
            },
        });
    }

    fn shutdown(&mut self) {
        let now = self.now();
        self.flow.shutdown(now);
        self.pump_flow();
        self.session.shutdown(now);
        self.pump_session();
        self.link = None;
        self.shared.set_ready(false);
        self.stopped = true;
    }

    // ---- time --------------------------------------------------------

    fn next_deadline(&self) -> Option<Millis> {
        let flow = self
            .timers
            .iter()
            .next()
            .map(|(at, _)| *at)
            .filter(|_| self.paused_at.is_none());
        [flow, self.session.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    fn on_deadlines(&mut self, now: Millis) {
        // Flow timers first: they were set before anything this turn. None
        // runs while reading is paused (see `thaw_timers`).
        while let Some(&(at, timer)) = self
            .timers
            .iter()
            .next()
            .filter(|_| self.paused_at.is_none())
        {
            if at > now {
                break;
            }
            self.timers.remove(&(at, timer));
            self.timer_at.remove(&timer);
            self.tape.timer_fired(timer);
            self.flow.on_timer(now, timer);
            self.pump_flow();
        }
        if self.session.next_deadline().is_some_and(|at| at <= now) {
            self.session.on_deadline(now);
            self.pump_session();
        }
    }
}
