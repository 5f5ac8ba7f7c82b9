//! The runtime around the flow machine: the server session (connect, login,
//! keep-alive, reconnect, backups), the reader/writer threads, the core
//! that owns all call state (behind one lock), its timer thread and the
//! event dispatcher.
//!
//! Owns every thread and socket of the client side. Must not contain protocol
//! decisions (those live in `flow` and `wire`) or anything `extern "C"`.
//!
//! Threads (all named `ivrconf-*`): one core thread (`core`), one dispatcher
//! (`dispatch`), and per connection attempt a connect/read thread plus a
//! writer (`conn`). The core lives behind a mutex: API calls take it and run
//! on the caller's thread, so their answer never waits for another thread,
//! the network or the application.

mod backlog;
pub mod config;
mod conn;
mod core;
mod dispatch;
pub mod event;
#[cfg(test)]
mod failure_tests;
mod logging;
mod stats;
mod tape;
mod userdata;

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded, Sender};
use parking_lot::{Condvar, Mutex};

use self::backlog::{Backlog, Outbox};
pub use self::config::{Config, ConfigError, LogLevel, ServerAddr};
use self::core::{Core, CoreRef, Desk, Input};
pub use self::dispatch::{EventFn, FreeFn, Handlers, LogFn};
use self::dispatch::{Item, PollQueue, Polled};
pub use self::event::{Event, EventKind};
pub use self::logging::LOG_ENV;
use self::logging::{EnvLog, LogFilter};
use self::stats::Counters;
pub use self::stats::Stats;
use self::tape::ApiCall;
use crate::flow::{CallState, Millis, OpId, OpKind, Refusal};
use crate::recorder::{Answer, Format, TraceError};
use crate::wire::KeyValue;

/// Why an API call was not carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The flow machine refused the command (nothing was sent).
    Refused(Refusal),
    /// `shutdown` was called.
    ShutDown,
    /// The engine failed (a panic in its core, on any thread); it can do
    /// nothing more.
    Dead,
    /// A wait ran out.
    Timeout,
    /// `next_event` on an engine with an event callback.
    CallbackMode,
    /// `next_event` from inside one of the engine's own callbacks, where it
    /// could only wait out its timeout (the dispatcher fills the queue).
    InCallback,
}

/// Why an engine could not be created.
#[derive(Debug)]
pub enum StartError {
    /// The configuration cannot run an engine (`IVRCONF_ERR_CONFIG`).
    Config(ConfigError),
    /// A thread could not be started (`IVRCONF_ERR_IO`).
    Thread(std::io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Config(e) => e.fmt(f),
            StartError::Thread(e) => write!(f, "cannot start an engine thread: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

impl From<ConfigError> for StartError {
    fn from(e: ConfigError) -> Self {
        StartError::Config(e)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Refused(r) => r.fmt(f),
            ApiError::ShutDown => f.write_str("the engine has been shut down"),
            ApiError::Dead => {
                f.write_str("the engine has failed (an internal error, reported by ENGINE_ERROR)")
            }
            ApiError::Timeout => f.write_str("timed out"),
            ApiError::CallbackMode => {
                f.write_str("next_event is for poll mode; this engine has an event callback")
            }
            ApiError::InCallback => {
                f.write_str("next_event cannot be called from inside the engine's own callback")
            }
        }
    }
}

/// The message a panic carried (`panic!` gives a `&str` or a `String`).
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".into())
}

/// Counts items out of the backlog as the application takes them, and asks
/// the core to read again when it has caught up.
pub(crate) struct Taken {
    backlog: Arc<Backlog>,
    input: Sender<Input>,
}

impl Taken {
    pub(crate) fn one(&self) {
        if self.backlog.taken() {
            let _ = self.input.send(Input::Resume);
        }
    }
}

/// What a successful API call answered, for its call's trace.
trait Answered {
    fn answer(&self) -> Answer {
        Answer::Ok
    }
}

impl Answered for () {}
impl Answered for CallState {}
impl Answered for String {}

/// An op id: the op the call started.
impl Answered for OpId {
    fn answer(&self) -> Answer {
        Answer::Op(*self)
    }
}

fn traced(name: &'static str, call_id: &str, args: String) -> Option<ApiCall> {
    Some(ApiCall {
        name,
        call_id: call_id.to_string(),
        args,
    })
}

/// State other threads must read without asking the core.
pub(crate) struct Shared {
    ready: Mutex<bool>,
    ready_changed: Condvar,
    shut_down: AtomicBool,
    /// The core failed (a panic on its thread or in an API call): every
    /// call answers `Dead`, the core thread ends.
    pub(crate) dead: AtomicBool,
    dispatcher: OnceLock<ThreadId>,
    /// Held for the whole of a shutdown, so a concurrent caller (engine
    /// free, say) waits for the CANCELLED events to be queued.
    shutting_down: Mutex<()>,
    /// Connection threads, joined when the engine is freed.
    pub(crate) conn_threads: Mutex<Vec<JoinHandle<()>>>,
    /// What the application has not taken yet (back-pressure).
    pub(crate) backlog: Arc<Backlog>,
    /// Counted by the core, read by `Engine::stats`.
    pub(crate) counters: Counters,
    /// The log level the core writes at (changed by `set_log_level`).
    pub(crate) log_filter: LogFilter,
    /// The session's last connection failure, copied by the core whenever
    /// it changes (for the text of a `wait_ready` timeout).
    pub(crate) last_failure: Mutex<Option<String>>,
}

impl Shared {
    pub(crate) fn set_ready(&self, ready: bool) {
        *self.ready.lock() = ready;
        self.ready_changed.notify_all();
    }
}

/// A running engine. Every method may be called from any thread, including
/// from inside the engine's own callbacks.
pub struct Engine {
    shared: Arc<Shared>,
    core: Arc<Mutex<Core>>,
    input: Sender<Input>,
    outbox: Outbox,
    poll: Arc<PollQueue>,
    poll_mode: bool,
    threads: Mutex<Vec<JoinHandle<()>>>,
    released: AtomicBool,
}

impl Engine {
    /// Validates `config`, starts the threads and begins connecting in the
    /// background (never blocks on the network). On failure no handler has
    /// run, `on_free` included: the caller keeps what it owns.
    ///
    /// Without an `on_log` handler, the environment variable `IVRCONF_LOG`
    /// naming a level (`error` ... `trace`) sends the log to stderr at that
    /// level (it replaces the config's `log_level`); unset, nothing is
    /// written.
    pub fn new(config: Config, mut handlers: Handlers) -> Result<Engine, StartError> {
        config.validate()?;
        let mut log_level = config.log_level;
        if handlers.on_log.is_none() {
            match EnvLog::from_env() {
                EnvLog::Off => {}
                EnvLog::Stderr(level) => {
                    log_level = level;
                    handlers.on_log = Some(logging::stderr_sink());
                }
                EnvLog::Invalid(value) => logging::report_invalid(&value),
            }
        }
        let shared = Arc::new(Shared {
            ready: Mutex::new(false),
            ready_changed: Condvar::new(),
            shut_down: AtomicBool::new(false),
            dead: AtomicBool::new(false),
            dispatcher: OnceLock::new(),
            shutting_down: Mutex::new(()),
            conn_threads: Mutex::new(Vec::new()),
            backlog: Arc::new(Backlog::new(config.event_queue_max)),
            counters: Counters::default(),
            log_filter: LogFilter::new(log_level),
            last_failure: Mutex::new(None),
        });
        let poll_mode = handlers.on_event.is_none();
        let poll = Arc::new(PollQueue::default());
        let on_free = Arc::new(Mutex::new(handlers.on_free.take()));
        let (dispatch_tx, dispatch_rx) = unbounded();
        let (input_tx, input_rx) = unbounded();

        let outbox = Outbox::new(dispatch_tx.clone(), shared.backlog.clone());
        let poll2 = poll.clone();
        let on_free2 = on_free.clone();
        let taken = Taken {
            backlog: shared.backlog.clone(),
            input: input_tx.clone(),
        };
        let dispatcher = thread::Builder::new()
            .name("ivrconf-dispatch".into())
            .spawn(move || dispatch::run(dispatch_rx, handlers, poll2, on_free2, taken))
            .map_err(StartError::Thread)?;
        let _ = shared.dispatcher.set(dispatcher.thread().id());

        let core = Arc::new_cyclic(|this| {
            let this = CoreRef::new(this.clone());
            let core = Core::new(
                this,
                config,
                shared.clone(),
                outbox.clone(),
                input_tx.clone(),
            );
            Mutex::new(core)
        });
        let core2 = core.clone();
        let core_thread = thread::Builder::new()
            .name("ivrconf-core".into())
            .spawn(move || {
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| Core::run(&core2, input_rx)))
                {
                    // The unwind released the lock.
                    let what = panic_text(&*payload);
                    core2.lock().fail(format!("core thread failed: {what}"));
                }
            });
        let core_thread = match core_thread {
            Ok(t) => t,
            Err(e) => {
                // Not started: the application keeps its userdata.
                on_free.lock().take();
                outbox.control(Item::Stop);
                let _ = dispatcher.join();
                return Err(StartError::Thread(e));
            }
        };
        Ok(Engine {
            shared,
            core,
            input: input_tx,
            outbox,
            poll,
            poll_mode,
            threads: Mutex::new(vec![core_thread, dispatcher]),
            released: AtomicBool::new(false),
        })
    }

    fn gate(&self) -> Result<(), ApiError> {
        if self.shared.dead.load(Ordering::SeqCst) {
            Err(ApiError::Dead)
        } else if self.shared.shut_down.load(Ordering::SeqCst) {
            Err(ApiError::ShutDown)
        } else {
            Ok(())
        }
    }

    /// Runs `request` against the flow machine, on the caller's thread with
    /// the core's lock held, and returns its answer: the one way every API
    /// call reaches the core. `call` names the API call for its call's
    /// trace (`None`: a query, not recorded).
    fn ask<T: Answered>(
        &self,
        call: Option<ApiCall>,
        request: impl FnOnce(&mut Desk<'_>, Millis) -> Result<T, Refusal>,
    ) -> Result<T, ApiError> {
        self.gate()?;
        let mut request = Some(request);
        let mut answer = None;
        let mut run = |desk: &mut Desk<'_>, now| match request.take() {
            Some(request) => {
                let result = request(desk, now);
                let summary = match &result {
                    Ok(value) => value.answer(),
                    Err(r) => Answer::Refused {
                        result: r.code_name(),
                        why: r.to_string(),
                    },
                };
                answer = Some(result);
                summary
            }
            // `Core::api` runs its request once.
            None => Answer::Ok,
        };
        if core::under_lock(&self.core, |c| c.api(call, &mut run)).is_none() {
            return Err(self.gone());
        }
        match answer {
            Some(answer) => answer.map_err(ApiError::Refused),
            None => Err(self.gone()),
        }
    }

    /// Why the core did not answer: shut down, or died.
    fn gone(&self) -> ApiError {
        if self.shared.dead.load(Ordering::SeqCst) {
            ApiError::Dead
        } else {
            ApiError::ShutDown
        }
    }

    /// Blocks until logged in (`true`) or `timeout` passes (`false`).
    pub fn wait_ready(&self, timeout: Duration) -> Result<bool, ApiError> {
        self.gate()?;
        let deadline = Instant::now() + timeout;
        let mut ready = self.shared.ready.lock();
        while !*ready {
            if self
                .shared
                .ready_changed
                .wait_until(&mut ready, deadline)
                .timed_out()
            {
                return Ok(*ready);
            }
            self.gate()?;
        }
        Ok(true)
    }

    /// Whether the session is logged in now.
    pub fn is_ready(&self) -> bool {
        *self.shared.ready.lock()
    }

    /// Announces a call (`NewCall`).
    pub fn call_new(
        &self,
        call_id: &str,
        called_num: &str,
        dnis: Option<&str>,
        ani: Option<&str>,
        udata: Vec<KeyValue>,
    ) -> Result<(), ApiError> {
        let (id, called) = (call_id.to_string(), called_num.to_string());
        let (dnis, ani) = (dnis.map(str::to_string), ani.map(str::to_string));
        let call = traced("call_new", call_id, format!("called_num={called_num}"));
        self.ask(call, move |desk, now| {
            desk.flow
                .call_new(now, &id, &called, dnis.as_deref(), ani.as_deref(), udata)
        })
    }

    /// Ends a call (`EndCall`, or locally when not logged in).
    pub fn call_end(&self, call_id: &str) -> Result<(), ApiError> {
        let id = call_id.to_string();
        let call = traced("call_end", call_id, String::new());
        self.ask(call, move |desk, now| desk.flow.call_end(now, &id))
    }

    /// The call's current state.
    pub fn call_state(&self, call_id: &str) -> Result<CallState, ApiError> {
        let id = call_id.to_string();
        self.ask(None, move |desk, _| desk.flow.call_state(&id))
    }

    /// Whether `kind` may start now, or the refusal it would get.
    pub fn call_can(&self, call_id: &str, kind: OpKind) -> Result<(), ApiError> {
        let id = call_id.to_string();
        self.ask(None, move |desk, _| desk.flow.can(&id, kind))
    }

    /// Starts a one-step or consult conference/transfer; returns its op id.
    pub fn start(
        &self,
        call_id: &str,
        kind: OpKind,
        dest: &str,
        udata: Vec<KeyValue>,
    ) -> Result<OpId, ApiError> {
        let (id, dest_dn) = (call_id.to_string(), dest.to_string());
        let call = traced(kind.api_name(), call_id, format!("dest={dest}"));
        self.ask(call, move |desk, now| {
            desk.flow.start(now, &id, kind, &dest_dn, udata)
        })
    }

    /// Completes the consult op (`kind`: conference or transfer complete).
    pub fn complete(&self, call_id: &str, kind: OpKind) -> Result<(), ApiError> {
        let id = call_id.to_string();
        let call = traced(kind.api_name(), call_id, String::new());
        self.ask(call, move |desk, now| desk.flow.complete(now, &id, kind))
    }

    /// Cancels the consult op (`RetrieveCall`).
    pub fn consult_cancel(&self, call_id: &str) -> Result<(), ApiError> {
        let id = call_id.to_string();
        let call = traced("consult_cancel", call_id, String::new());
        self.ask(call, move |desk, now| desk.flow.consult_cancel(now, &id))
    }

    /// The call's trace (live, or among the most recently ended ones),
    /// rendered now.
    pub fn call_trace(&self, call_id: &str, format: Format) -> Result<String, ApiError> {
        let id = call_id.to_string();
        self.ask(None, move |desk, _| {
            desk.tape.render(&id, format).map_err(|e| match e {
                TraceError::Off => {
                    Refusal::InvalidState("call traces are off (trace_max_entries = 0)".to_string())
                }
                TraceError::UnknownCall => Refusal::UnknownCall,
            })
        })
    }

    /// Attaches `userdata` to a live call: every event of the call produced
    /// from now on carries it ([`Event::call_userdata`]); 0 clears it. The
    /// engine never interprets the value.
    pub fn call_set_userdata(&self, call_id: &str, userdata: usize) -> Result<(), ApiError> {
        let id = call_id.to_string();
        let what = if userdata == 0 { "cleared" } else { "set" };
        let call = traced("call_set_userdata", call_id, what.to_string());
        self.ask(call, move |desk, _| {
            desk.flow.call_state(&id)?;
            desk.userdata.set(&id, userdata);
            Ok(())
        })
    }

    /// The counters now. Answers in every state, after shutdown too.
    pub fn stats(&self) -> Stats {
        let backlog = &self.shared.backlog;
        Stats {
            events_queued: backlog.queued() as u64,
            events_queued_max: backlog.peak() as u64,
            event_queue_full: backlog.times_full(),
            ..self.shared.counters.snapshot()
        }
    }

    /// Changes the level of the lines the engine logs, at once.
    pub fn set_log_level(&self, level: LogLevel) -> Result<(), ApiError> {
        self.gate()?;
        self.shared.log_filter.set(level);
        Ok(())
    }

    /// The level the engine logs at now.
    pub fn log_level(&self) -> LogLevel {
        self.shared.log_filter.level()
    }

    /// Why the last connection attempt or link failed
    /// (`connection attempt to HOST:PORT failed: ...`); `None` after a
    /// login, and before any failure.
    pub fn last_failure(&self) -> Option<String> {
        self.shared.last_failure.lock().clone()
    }

    /// Poll mode: the oldest event, waiting up to `timeout`. After
    /// `shutdown`, the events still queued, then `ShutDown` at once.
    pub fn next_event(&self, timeout: Duration) -> Result<Event, ApiError> {
        if !self.poll_mode {
            return Err(ApiError::CallbackMode);
        }
        if self.in_callback() {
            return Err(ApiError::InCallback);
        }
        match self.poll.pop(timeout) {
            Polled::Event(e) => {
                Taken {
                    backlog: self.shared.backlog.clone(),
                    input: self.input.clone(),
                }
                .one();
                Ok(e)
            }
            Polled::Timeout => Err(ApiError::Timeout),
            Polled::Drained => Err(self.gone()),
        }
    }

    /// Stops intake; every op in flight ends CANCELLED; nothing more is sent.
    /// Idempotent: a second call answers `ShutDown`.
    pub fn shutdown(&self) -> Result<(), ApiError> {
        let _one_at_a_time = self.shared.shutting_down.lock();
        if self.shared.dead.load(Ordering::SeqCst) {
            return Err(ApiError::Dead);
        }
        if self.shared.shut_down.swap(true, Ordering::SeqCst) {
            return Err(ApiError::ShutDown);
        }
        self.shared.set_ready(false);
        let (tx, rx) = bounded(1);
        if self.input.send(Input::Shutdown(tx)).is_ok() {
            // The core answers without waiting on anyone, so this is safe
            // even on the dispatcher thread.
            let _ = rx.recv();
        }
        // Queued behind the CANCELLED events the core just emitted.
        self.outbox.control(Item::Seal);
        Ok(())
    }

    /// Whether the caller is running inside one of this engine's callbacks.
    pub fn in_callback(&self) -> bool {
        self.shared.dispatcher.get() == Some(&thread::current().id())
    }

    /// Shuts down (if not done), delivers the remaining events, runs
    /// `on_free` once after the last callback and releases everything.
    /// From inside a callback it returns at once and the rest happens after
    /// that callback returns. Dropping an `Engine` does the same.
    pub fn free(self) {
        drop(self);
    }

    /// Wakes every caller blocked in `wait_ready` or `next_event` and makes
    /// later calls fail at once: the first half of freeing, for a handle
    /// that must wait until no other thread is inside it.
    pub fn begin_free(&self) {
        let _ = self.shutdown();
        if self.poll_mode {
            self.poll.close();
        }
    }

    fn release(&mut self) {
        if self.released.swap(true, Ordering::SeqCst) {
            return;
        }
        self.begin_free();
        self.outbox.control(Item::Stop);
        let mut threads = std::mem::take(&mut *self.threads.lock());
        threads.append(&mut self.shared.conn_threads.lock());
        if self.in_callback() {
            // Joining ourselves would deadlock: the threads end on their own.
            return;
        }
        for t in threads {
            let _ = t.join();
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.release();
    }
}
