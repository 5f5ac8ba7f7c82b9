//! The core thread: runs the two pure machines — the session
//! ([`crate::session`]) and the calls ([`crate::flow`]) — and moves bytes,
//! events and time between them and the outside. All its inputs come from
//! one channel; it owns every timer.
//!
//! It makes no protocol decision of its own: it carries out the machines'
//! outputs (connect, write, close, deliver an event, arm a timer). It never
//! blocks on a socket (connections have their own threads) nor on the
//! application (the dispatcher has its own queue), so API calls get their
//! synchronous answer at once, even from inside a callback.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use super::config::{Config, LogLevel};
use super::conn::{self, ConnEvent, LinkIo};
use super::dispatch::Item;
use super::event::Event;
use super::Shared;
use crate::flow::{Flow, Millis, Output as FlowOutput, TimerId};
use crate::machine::LogRecord;
use crate::session::{self, LinkId, Session};
use crate::wire::{self, latin1_debug, Inbound, Message, KEEPALIVE_REQUEST};

/// One API request: runs on the core thread against the flow machine at
/// `now`, and sends its own typed answer back to the waiting caller.
pub(crate) type Request = Box<dyn FnOnce(&mut Flow, Millis) + Send>;

/// Everything the core thread reacts to.
pub(crate) enum Input {
    Api(Request),
    Conn {
        link: LinkId,
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

    fn record(&self, rec: LogRecord) {
        self.log(rec.level, || match &rec.call_id {
            Some(id) => format!("call {id}: {}", rec.text),
            None => rec.text,
        });
    }
}

pub(crate) struct Core {
    config: Config,
    logger: Logger,
    shared: Arc<Shared>,
    flow: Flow,
    session: Session,
    /// The socket of the session's current link, once it is up.
    link: Option<LinkIo>,
    dispatch: Sender<Item>,
    input: Sender<Input>,
    epoch: Instant,
    stopped: bool,
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
        let session = Session::new(config.session_config(), 0);
        Core {
            logger: Logger {
                dispatch: dispatch.clone(),
                level: config.log_level,
            },
            config,
            shared,
            flow,
            session,
            link: None,
            dispatch,
            input,
            epoch: Instant::now(),
            stopped: false,
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
            if self.stopped {
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
            Input::Api(request) => {
                let now = self.now();
                request(&mut self.flow, now);
                self.pump_flow();
                true
            }
            Input::Conn { link, event } => {
                self.on_conn(link, event);
                true
            }
            Input::Shutdown(done) => {
                self.shutdown();
                let _ = done.send(());
                false
            }
        }
    }

    // ---- the machines' outputs ---------------------------------------

    /// Carries out everything the flow machine asked for, in order, and
    /// passes on what it wanted logged.
    fn pump_flow(&mut self) {
        while let Some(rec) = self.flow.poll_log() {
            self.logger.record(rec);
        }
        while let Some(out) = self.flow.poll_output() {
            match out {
                FlowOutput::Send(msg) => self.send(&msg),
                FlowOutput::Event(ev) => {
                    self.logger.log(LogLevel::Debug, || {
                        format!("call {}: {}", ev.call_id, ev.text)
                    });
                    self.emit(Event::Call(ev));
                }
                FlowOutput::SetTimer { timer, at } => {
                    if let Some(old) = self.timer_at.insert(timer, at) {
                        self.timers.remove(&(old, timer));
                    }
                    self.timers.insert((at, timer));
                }
                FlowOutput::CancelTimer(timer) => {
                    if let Some(old) = self.timer_at.remove(&timer) {
                        self.timers.remove(&(old, timer));
                    }
                }
            }
        }
    }

    /// Carries out everything the session asked for, in order.
    fn pump_session(&mut self) {
        while let Some(rec) = self.session.poll_log() {
            self.logger.record(rec);
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
                        io.ack_keep_alive();
                    }
                }
                session::Output::Close { link } => {
                    if self.link.as_ref().is_some_and(|io| io.link == link) {
                        self.link = None;
                    }
                }
                session::Output::Up { text } => {
                    let now = self.now();
                    self.flow.link_up(now);
                    self.pump_flow();
                    self.shared.set_ready(true);
                    self.emit(Event::SessionUp { text });
                }
                session::Output::Down { text } => {
                    let now = self.now();
                    self.shared.set_ready(false);
                    self.flow.link_down(now);
                    self.pump_flow();
                    self.emit(Event::SessionDown { text });
                }
            }
            // Log lines of later outputs follow the earlier outputs.
            while let Some(rec) = self.session.poll_log() {
                self.logger.record(rec);
            }
        }
    }

    // ---- the socket --------------------------------------------------

    fn connect(&mut self, link: LinkId, target: String) {
        self.link = None;
        let attempt = conn::Attempt {
            link,
            target,
            connect_timeout: Duration::from_millis(self.config.connect_timeout_ms),
            write_timeout: (self.config.keepalive_timeout_ms > 0)
                .then(|| Duration::from_millis(self.config.keepalive_timeout_ms)),
        };
        if let Some(handle) = conn::spawn(attempt, self.input.clone()) {
            let mut threads = self.shared.conn_threads.lock();
            threads.retain(|t| !t.is_finished());
            threads.push(handle);
        }
    }

    /// A flow message for the server: written if there is a link.
    fn send(&mut self, msg: &Message) {
        if self.link.is_none() {
            self.logger.log(LogLevel::Warn, || {
                format!("not connected: {} dropped", msg.name())
            });
            return;
        }
        match wire::encode_frame(msg) {
            Ok(frame) => self.write(frame),
            Err(e) => self.logger.log(LogLevel::Error, || {
                format!("cannot encode {}: {e}", msg.name())
            }),
        }
    }

    fn write(&mut self, frame: Vec<u8>) {
        let Some(io) = &self.link else {
            return;
        };
        self.logger.log(LogLevel::Trace, || {
            if frame == KEEPALIVE_REQUEST {
                "I->S keep-alive request".to_string()
            } else {
                let payload = frame.get(wire::HEADER_LEN..).unwrap_or_default();
                format!("I->S {} bytes: {}", frame.len(), latin1_debug(payload))
            }
        });
        io.write(frame);
    }

    fn on_conn(&mut self, link: LinkId, event: ConnEvent) {
        let now = self.now();
        match event {
            ConnEvent::Connected(io) => {
                // Kept before the session decides: a stale connection is
                // then closed by the session's own Close.
                self.link = Some(io);
                self.session.connected(now, link);
            }
            ConnEvent::ConnectFailed(why) => self.session.connect_failed(now, link, &why),
            ConnEvent::Rx(items) => {
                self.session.bytes_received(now, link);
                for item in items {
                    match item {
                        Ok(inbound) => {
                            self.trace_received(&inbound);
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
                        break;
                    }
                }
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

    fn trace_received(&self, inbound: &Inbound) {
        self.logger.log(LogLevel::Trace, || match inbound {
            Inbound::KeepAliveRequest { .. } => "S->I keep-alive request (answered)".into(),
            Inbound::KeepAliveAck { .. } => "S->I keep-alive ack".into(),
            Inbound::ErrorAck { .. } => "S->I error ack".into(),
            Inbound::DecodeError(_) => "S->I message that does not decode".into(),
            // Re-encoded in our canonical form, so in and out read alike.
            Inbound::Message(msg) => match wire::encode(msg) {
                Ok(xml) => format!("S->I {} bytes: {}", xml.len(), latin1_debug(&xml)),
                Err(_) => format!("S->I {msg:?}"),
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
        let flow = self.timers.iter().next().map(|(at, _)| *at);
        [flow, self.session.next_deadline()]
            .into_iter()
            .flatten()
            .min()
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
            self.pump_flow();
        }
        if self.session.next_deadline().is_some_and(|at| at <= now) {
            self.session.on_deadline(now);
            self.pump_session();
        }
    }
}
