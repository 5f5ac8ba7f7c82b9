//! The core thread: owns the flow machine, the session with IVR Server (its
//! rules are in `session.rs`) and every timer, and takes all its inputs from
//! one channel.
//!
//! It never blocks on a socket (connections have their own threads) nor on
//! the application (the dispatcher has its own queue), so API calls get their
//! synchronous answer at once, even from inside a callback.

mod session;

use std::collections::{BTreeSet, HashMap};
use std::net::Shutdown;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use self::session::Phase;
use super::config::{Config, LogLevel};
use super::conn::ConnEvent;
use super::dispatch::Item;
use super::event::Event;
use super::Shared;
use crate::flow::{CallState, Flow, Millis, OpId, OpKind, Output, Refusal, TimerId};
use crate::wire::{self, latin1_debug, KeyValue, Message};

/// A request from the API, answered on its reply channel.
pub(crate) enum ApiCmd {
    CallNew {
        call_id: String,
        called_num: String,
        dnis: Option<String>,
        ani: Option<String>,
        udata: Vec<KeyValue>,
    },
    CallEnd {
        call_id: String,
    },
    CallState {
        call_id: String,
    },
    Can {
        call_id: String,
        kind: OpKind,
    },
    Start {
        call_id: String,
        kind: OpKind,
        dest: String,
        udata: Vec<KeyValue>,
    },
    Complete {
        call_id: String,
        kind: OpKind,
    },
    Cancel {
        call_id: String,
    },
}

/// The synchronous answer to an [`ApiCmd`].
pub(crate) enum ApiValue {
    Done,
    Op(OpId),
    State(CallState),
}

pub(crate) type ApiReply = Result<ApiValue, Refusal>;

/// Everything the core thread reacts to.
pub(crate) enum Input {
    Api(ApiCmd, Sender<ApiReply>),
    Conn {
        gen: u64,
        event: ConnEvent,
    },
    /// Cancel every operation, close the link, stop; answered when done.
    Shutdown(Sender<()>),
}

/// Sends log lines at or above the configured level to the dispatcher.
struct Logger {
    dispatch: Sender<Item>,
    level: LogLevel,
}

impl Logger {
    fn log(&self, level: LogLevel, text: impl FnOnce() -> String) {
        if level <= self.level {
            let _ = self.dispatch.send(Item::Log(level, text()));
        }
    }
}

pub(crate) struct Core {
    config: Config,
    logger: Logger,
    shared: Arc<Shared>,
    flow: Flow,
    dispatch: Sender<Item>,
    input: Sender<Input>,
    epoch: Instant,
    phase: Phase,
    /// Next server to try (index into `config.servers`).
    next_server: usize,
    /// The last back-off wait; `None` = the next retry waits `reconnect_min_ms`.
    last_wait: Option<u64>,
    gen: u64,
    logins_sent: u64,
    timers: BTreeSet<(Millis, TimerId)>,
    timer_at: HashMap<TimerId, Millis>,
}

impl Core {
    pub(crate) fn new(
        config: Config,
        shared: Arc<Shared>,
        dispatch: Sender<Item>,
        input: Sender<Input>,
    ) -> Core {
        let flow = Flow::new(config.flow_config());
        Core {
            logger: Logger {
                dispatch: dispatch.clone(),
                level: config.log_level,
            },
            config,
            shared,
            flow,
            dispatch,
            input,
            epoch: Instant::now(),
            phase: Phase::Waiting { at: 0 },
            next_server: 0,
            last_wait: None,
            gen: 0,
            logins_sent: 0,
            timers: BTreeSet::new(),
            timer_at: HashMap::new(),
        }
    }

    fn now(&self) -> Millis {
        self.epoch.elapsed().as_millis() as Millis
    }

    fn emit(&self, event: Event) {
        let _ = self.dispatch.send(Item::Event(event));
    }

    /// The loop: wait for an input or the earliest deadline, handle it.
    pub(crate) fn run(mut self, inputs: Receiver<Input>) {
        // At most this many queued inputs are taken before the timers are
        // looked at again, so a busy engine still keeps its deadlines.
        const BATCH: usize = 256;
        loop {
            // Inputs already queued happened before any deadline that is due
            // now: bytes already read must count before the silence check,
            // a server answer before the request's timeout.
            for _ in 0..BATCH {
                match inputs.try_recv() {
                    Ok(input) => {
                        if !self.handle(input) {
                            return;
                        }
                    }
                    Err(_) => break,
                }
            }
            self.on_deadlines(self.now());
            if matches!(self.phase, Phase::Stopped) {
                return;
            }
            let input = match self.next_deadline() {
                Some(at) => {
                    let wait = at.saturating_sub(self.now());
                    match inputs.recv_timeout(Duration::from_millis(wait)) {
                        Ok(i) => i,
                        Err(crossbeam_channel::RecvTimeoutError::Timeout) => continue,
                        Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return,
                    }
                }
                None => match inputs.recv() {
                    Ok(i) => i,
                    Err(_) => return,
                },
            };
            if !self.handle(input) {
                return;
            }
        }
    }

    /// Handles one input; `false` once the core must stop.
    fn handle(&mut self, input: Input) -> bool {
        match input {
            Input::Api(cmd, reply) => {
                let answer = self.on_api(cmd);
                let _ = reply.send(answer);
                true
            }
            Input::Conn { gen, event } => {
                self.on_conn(gen, event);
                true
            }
            Input::Shutdown(done) => {
                self.shutdown();
                let _ = done.send(());
                false
            }
        }
    }

    // ---- API ---------------------------------------------------------

    fn on_api(&mut self, cmd: ApiCmd) -> ApiReply {
        let now = self.now();
        let answer = match cmd {
            ApiCmd::CallNew {
                call_id,
                called_num,
                dnis,
                ani,
                udata,
            } => self
                .flow
                .call_new(
                    now,
                    &call_id,
                    &called_num,
                    dnis.as_deref(),
                    ani.as_deref(),
                    udata,
                )
                .map(|()| ApiValue::Done),
            ApiCmd::CallEnd { call_id } => {
                self.flow.call_end(now, &call_id).map(|()| ApiValue::Done)
            }
            ApiCmd::CallState { call_id } => self.flow.call_state(&call_id).map(ApiValue::State),
            ApiCmd::Can { call_id, kind } => self.flow.can(&call_id, kind).map(|()| ApiValue::Done),
            ApiCmd::Start {
                call_id,
                kind,
                dest,
                udata,
            } => self
                .flow
                .start(now, &call_id, kind, &dest, udata)
                .map(ApiValue::Op),
            ApiCmd::Complete { call_id, kind } => self
                .flow
                .complete(now, &call_id, kind)
                .map(|()| ApiValue::Done),
            ApiCmd::Cancel { call_id } => self
                .flow
                .consult_cancel(now, &call_id)
                .map(|()| ApiValue::Done),
        };
        self.pump();
        answer
    }

    /// Carries out everything the flow machine asked for, in order, and
    /// passes on what it wanted logged.
    fn pump(&mut self) {
        while let Some(rec) = self.flow.poll_log() {
            let level = match rec.level {
                crate::flow::LogLevel::Warn => LogLevel::Warn,
                crate::flow::LogLevel::Debug => LogLevel::Debug,
            };
            self.logger.log(level, || match &rec.call_id {
                Some(id) => format!("call {id}: {}", rec.text),
                None => rec.text.clone(),
            });
        }
        while let Some(out) = self.flow.poll_output() {
            match out {
                Output::Send(msg) => self.send(&msg),
                Output::Event(ev) => {
                    self.logger.log(LogLevel::Debug, || {
                        format!("call {}: {}", ev.call_id, ev.text)
                    });
                    self.emit(Event::Call(ev));
                }
                Output::SetTimer { timer, at } => {
                    if let Some(old) = self.timer_at.insert(timer, at) {
                        self.timers.remove(&(old, timer));
                    }
                    self.timers.insert((at, timer));
                }
                Output::CancelTimer(timer) => {
                    if let Some(old) = self.timer_at.remove(&timer) {
                        self.timers.remove(&(old, timer));
                    }
                }
            }
        }
    }

    // ---- writing -----------------------------------------------------

    fn send(&mut self, msg: &Message) {
        let Phase::Connected(link) = &self.phase else {
            self.logger.log(LogLevel::Warn, || {
                format!("not connected: {} dropped", msg.name())
            });
            return;
        };
        match wire::encode_frame(msg) {
            Ok(frame) => {
                self.trace_sent(&frame);
                let _ = link.writer.send(frame);
            }
            Err(e) => self.logger.log(LogLevel::Error, || {
                format!("cannot encode {}: {e}", msg.name())
            }),
        }
    }

    /// Traces a frame about to be written (its XML payload).
    fn trace_sent(&self, frame: &[u8]) {
        self.logger.log(LogLevel::Trace, || {
            format!(
                "I->S {} bytes: {}",
                frame.len(),
                latin1_debug(&frame[wire::HEADER_LEN..])
            )
        });
    }

    fn shutdown(&mut self) {
        let now = self.now();
        self.flow.shutdown(now);
        self.pump();
        if let Phase::Connected(link) = &self.phase {
            let _ = link.stream.shutdown(Shutdown::Both);
        }
        self.shared.set_ready(false);
        self.phase = Phase::Stopped;
    }

    // ---- time --------------------------------------------------------

    fn next_deadline(&self) -> Option<Millis> {
        let flow = self.timers.iter().next().map(|(at, _)| *at);
        [flow, self.session_deadline()].into_iter().flatten().min()
    }

    fn on_deadlines(&mut self, now: Millis) {
        // Flow timers first: they were set before anything this turn.
        while let Some(&(at, timer)) = self.timers.iter().next() {
            if at > now {
                break;
            }
            self.timers.remove(&(at, timer));
            self.timer_at.remove(&timer);
            self.flow.on_timer(now, timer);
            self.pump();
        }
        self.on_session_deadlines(now);
    }
}
