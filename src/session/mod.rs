//! The session with IVR Server as a pure state machine (sans I/O): which
//! server to connect to and when (the server list, failover, back-off), the
//! login and what its answers mean, keep-alive probes and silence, link loss.
//!
//! Inputs come with the current time: a connection came up or failed, bytes
//! and frames arrived, the link closed, a deadline was reached, shutdown.
//! Outputs come out in order through [`Session::poll_output`] (connect to
//! server N, write a frame, answer a keep-alive, close, session up/down) and
//! [`Session::poll_log`]; [`Session::next_deadline`] says when to call
//! [`Session::on_deadline`] next.
//!
//! Must not open sockets, spawn threads or read the clock; knows nothing of
//! calls (call messages are handed back to the caller for the flow machine).
//! The engine runs it on its core thread beside the flow machine.

mod login;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use crate::machine::{LogLevel, LogQueue, LogRecord, Millis};
use crate::wire::{
    self, hex, latin1_debug, Body, Inbound, LoginResp, Message, ProtocolError, KEEPALIVE_REQUEST,
};

use self::login::Verdict;

/// Names one connection attempt and the link it may become; a report about
/// any other link than the current one is stale and ignored.
pub type LinkId = u64;

/// Log records kept for [`Session::poll_log`] before the oldest are dropped.
const LOG_CAPACITY: usize = 256;

/// The keys of the configuration that govern the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// `host:port` of each server: the primary first, then the backups.
    pub servers: Vec<String>,
    pub client_name: String,
    pub protocol_version: String,
    /// Sent verbatim; empty leaves the attribute out.
    pub report_status: String,
    /// Sent verbatim; empty leaves the attribute out.
    pub server_monitor: String,
    /// Bounds a connect attempt and the wait for each `LoginResp`.
    pub connect_timeout_ms: u64,
    pub reconnect_min_ms: u64,
    pub reconnect_max_ms: u64,
    /// Probe after this much silence; 0 = no probes.
    pub keepalive_interval_ms: u64,
    /// Silence this long = link lost; 0 = no silence check.
    pub keepalive_timeout_ms: u64,
}

impl SessionConfig {
    /// The defaults of the configuration keys, for `servers` and `client_name`.
    pub fn new(servers: Vec<String>, client_name: &str) -> SessionConfig {
        SessionConfig {
            servers,
            client_name: client_name.to_string(),
            protocol_version: "4.0".into(),
            report_status: "true".into(),
            server_monitor: "clear".into(),
            connect_timeout_ms: 5000,
            reconnect_min_ms: 200,
            reconnect_max_ms: 30000,
            keepalive_interval_ms: 10000,
            keepalive_timeout_ms: 30000,
        }
    }
}

/// What the session asks its driver to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Open a TCP connection to `target` (server number `server` of the
    /// list) and report on it as `link`. Any earlier link is already closed.
    Connect {
        link: LinkId,
        server: usize,
        target: String,
    },
    /// Write this frame (header included) on the open link.
    Write(Vec<u8>),
    /// Write a keep-alive ack on the open link. A driver may fold this into
    /// an ack it has not written yet: one answers any number of requests.
    AckKeepAlive,
    /// Close `link` (or give up on the attempt), discarding unread input and
    /// unwritten output.
    Close { link: LinkId },
    /// Logged in (READY): calls may start. `text` is `<host:port> <version>`.
    Up { text: String },
    /// The READY session was lost: `text` is `<host:port>: <reason>`.
    Down { text: String },
}

/// Where the login of the open link stands (PROTOCOL 4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Login {
    /// `LoginReq` sent, answer due by `deadline`.
    Pending {
        deadline: Millis,
    },
    /// `InitInProgress`: send the next `LoginReq` at `at`.
    Initializing {
        at: Millis,
    },
    Ready {
        since: Millis,
    },
}

/// The open link.
#[derive(Debug, Clone)]
struct Link {
    id: LinkId,
    server: usize,
    last_rx: Millis,
    /// Set once a `LoginResp` arrived on this link: probes and the silence
    /// check run from then on.
    answered: bool,
    next_probe: Millis,
    login: Login,
    /// The last `InitInProgress` wait on this link (doubles each time).
    init_wait: Option<u64>,
    /// Reading was paused by the driver (the application is behind) since
    /// this time: silence is then ours, not the server's.
    paused_since: Option<Millis>,
}

#[derive(Debug, Clone)]
enum State {
    /// No connection; the next attempt starts at `at`.
    Waiting {
        at: Millis,
    },
    /// Connecting `link`; the attempt fails at `deadline`.
    Connecting {
        link: LinkId,
        server: usize,
        deadline: Millis,
    },
    Connected(Link),
    Stopped,
}

/// The session: one connection at a time over the server list.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    state: State,
    /// The next server to try (an index into `config.servers`).
    next_server: usize,
    /// The last back-off wait; `None` = the next retry waits
    /// `reconnect_min_ms`.
    last_wait: Option<u64>,
    last_link: LinkId,
    logins_sent: u64,
    /// Why the last attempt or link failed, for "why am I not logged in".
    last_failure: Option<String>,
    out: VecDeque<Output>,
    log: LogQueue,
}

impl Session {
    /// A session whose first attempt (to the primary) is due at `now`.
    pub fn new(config: SessionConfig, now: Millis) -> Session {
        Session {
            config,
            state: State::Waiting { at: now },
            next_server: 0,
            last_wait: None,
            last_link: 0,
            logins_sent: 0,
            last_failure: None,
            out: VecDeque::new(),
            log: LogQueue::new(LOG_CAPACITY),
        }
    }

    /// The oldest pending output (FIFO).
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// The oldest pending log record.
    pub fn poll_log(&mut self) -> Option<LogRecord> {
        self.log.pop()
    }

    /// Whether the session is logged in (READY).
    pub fn is_ready(&self) -> bool {
        matches!(
            &self.state,
            State::Connected(Link {
                login: Login::Ready { .. },
                ..
            })
        )
    }

    /// The link whose reports count now, if any.
    pub fn current_link(&self) -> Option<LinkId> {
        match &self.state {
            State::Connecting { link, .. } => Some(*link),
            State::Connected(l) => Some(l.id),
            State::Waiting { .. } | State::Stopped => None,
        }
    }

    /// Why the last attempt or link failed (`<host:port>: <reason>`).
    pub fn last_failure(&self) -> Option<&str> {
        self.last_failure.as_deref()
    }

    /// The `LoginReq` frames sent so far.
    pub fn logins_sent(&self) -> u64 {
        self.logins_sent
    }

    /// When [`Session::on_deadline`] is due next: the next attempt, the
    /// connect or login bound, the next probe, the silence limit.
    pub fn next_deadline(&self) -> Option<Millis> {
        match &self.state {
            State::Waiting { at } => Some(*at),
            State::Connecting { deadline, .. } => Some(*deadline),
            State::Stopped => None,
            State::Connected(link) => {
                let c = &self.config;
                let login = match link.login {
                    Login::Pending { deadline } => Some(deadline),
                    Login::Initializing { at } => Some(at),
                    Login::Ready { .. } => None,
                };
                let supervised = link.answered && link.paused_since.is_none();
                let probe = (supervised && c.keepalive_interval_ms > 0).then_some(link.next_probe);
                let silence = (link.answered && c.keepalive_timeout_ms > 0).then(|| {
                    match link.paused_since {
                        Some(since) => since + c.keepalive_timeout_ms,
                        None => link.last_rx + c.keepalive_timeout_ms,
                    }
                });
                [login, probe, silence].into_iter().flatten().min()
            }
        }
    }

    // ---- inputs ------------------------------------------------------

    /// The TCP connection of `link` is up: the `LoginReq` goes first.
    pub fn connected(&mut self, now: Millis, link: LinkId) {
        let State::Connecting {
            link: current,
            server,
            ..
        } = self.state
        else {
            return self.stale(link);
        };
        if current != link {
            return self.stale(link);
        }
        let target = self.server_name(server);
        self.log(LogLevel::Info, format!("connected to {target}"));
        self.state = State::Connected(Link {
            id: link,
            server,
            last_rx: now,
            answered: false,
            next_probe: 0,
            login: Login::Pending {
                deadline: now + self.config.connect_timeout_ms,
            },
            init_wait: None,
            paused_since: None,
        });
        self.send_login(now);
    }

    /// The connect attempt of `link` failed.
    pub fn connect_failed(&mut self, now: Millis, link: LinkId, why: &str) {
        match self.state {
            State::Connecting {
                link: current,
                server,
                ..
            } if current == link => {
                let target = self.server_name(server);
                self.attempt_failed(now, format!("connection attempt to {target} failed: {why}"));
            }
            _ => {}
        }
    }

    /// Bytes arrived on `link` (any byte counts for supervision, a partial
    /// frame too). Call before [`Session::frame_received`] for the frames
    /// they completed.
    pub fn bytes_received(&mut self, now: Millis, link: LinkId) {
        let interval = self.config.keepalive_interval_ms;
        if let Some(l) = self.link_mut(link) {
            l.last_rx = now;
            l.next_probe = now + interval;
        }
    }

    /// A whole frame arrived on `link`. Session frames are handled here;
    /// a call message is handed back for the flow machine.
    pub fn frame_received(&mut self, now: Millis, link: LinkId, item: Inbound) -> Option<Message> {
        self.link_mut(link)?;
        match item {
            Inbound::KeepAliveRequest { .. } => self.out.push_back(Output::AckKeepAlive),
            Inbound::KeepAliveAck { .. } => {}
            Inbound::ErrorAck { payload } => self.log(
                LogLevel::Warn,
                if payload.is_empty() {
                    "error ack from server".to_string()
                } else {
                    format!("error ack from server, payload {}", hex(&payload))
                },
            ),
            Inbound::DecodeError {
                error,
                payload,
                payload_len,
            } => {
                let cut = if payload_len > payload.len() {
                    format!(", first {} shown", payload.len())
                } else {
                    String::new()
                };
                self.log(
                    LogLevel::Warn,
                    format!(
                        "message dropped: {error}; payload ({payload_len} bytes{cut}): {}",
                        latin1_debug(&payload)
                    ),
                );
            }
            Inbound::Message(msg) => return self.on_message(now, msg),
        }
        None
    }

    /// The stream of `link` broke the framing rules: the link is lost.
    pub fn protocol_error(&mut self, now: Millis, link: LinkId, e: &ProtocolError) {
        if let Some(l) = self.link_mut(link) {
            let server = l.server;
            let target = self.server_name(server);
            self.log(
                LogLevel::Error,
                format!("protocol error from {target}: {e}"),
            );
            self.link_lost(now, &format!("protocol error: {e}"));
        }
    }

    /// `link` ended: end of stream, a read or write error, or a report that
    /// its threads failed.
    pub fn link_closed(&mut self, now: Millis, link: LinkId, why: &str) {
        match &self.state {
            State::Connected(l) if l.id == link => self.link_lost(now, why),
            State::Connecting { link: current, .. } if *current == link => {
                self.attempt_failed(now, format!("connection attempt failed: {why}"))
            }
            _ => {}
        }
    }

    /// The driver stopped reading `link` because the application is behind.
    /// Silence no longer counts against the server; if reading stays paused
    /// for `keepalive_timeout_ms`, the link is lost.
    pub fn reading_paused(&mut self, now: Millis, link: LinkId) {
        if let Some(l) = self.link_mut(link) {
            l.paused_since.get_or_insert(now);
        }
    }

    /// Reading `link` again: silence counts from now.
    pub fn reading_resumed(&mut self, now: Millis, link: LinkId) {
        let interval = self.config.keepalive_interval_ms;
        if let Some(l) = self.link_mut(link) {
            if l.paused_since.take().is_some() {
                l.last_rx = l.last_rx.max(now);
                l.next_probe = now + interval;
            }
        }
    }

    /// Carries out whatever is due at `now`.
    pub fn on_deadline(&mut self, now: Millis) {
        match &self.state {
            State::Waiting { at } if *at <= now => self.start_attempt(now),
            State::Connecting {
                server, deadline, ..
            } if *deadline <= now => {
                let target = self.server_name(*server);
                self.attempt_failed(
                    now,
                    format!(
                        "connection attempt to {target} failed: no connection within connect_timeout_ms"
                    ),
                );
            }
            State::Connected(link) => {
                let link = link.clone();
                self.on_link_deadline(now, link);
            }
            _ => {}
        }
    }

    /// Closes the link for good; nothing is sent or attempted after this.
    pub fn shutdown(&mut self, _now: Millis) {
        if let Some(link) = self.current_link() {
            self.out.push_back(Output::Close { link });
        }
        self.state = State::Stopped;
    }

    // ---- the rules ---------------------------------------------------

    fn on_link_deadline(&mut self, now: Millis, link: Link) {
        let c = &self.config;
        if link.answered && c.keepalive_timeout_ms > 0 {
            if let Some(since) = link.paused_since {
                if now >= since + c.keepalive_timeout_ms {
                    self.link_lost(now, "the application is not taking events");
                    return;
                }
            } else if now >= link.last_rx + c.keepalive_timeout_ms {
                self.link_lost(now, "keep-alive timeout");
                return;
            }
        }
        match link.login {
            Login::Pending { deadline } if now >= deadline => {
                self.link_lost(now, "no LoginResp within connect_timeout_ms");
                return;
            }
            Login::Initializing { at } if now >= at => self.send_login(now),
            _ => {}
        }
        let interval = self.config.keepalive_interval_ms;
        let mut probe = false;
        if let State::Connected(l) = &mut self.state {
            if l.answered && l.paused_since.is_none() && interval > 0 && now >= l.next_probe {
                l.next_probe = now + interval;
                probe = true;
            }
        }
        if probe {
            self.out
                .push_back(Output::Write(KEEPALIVE_REQUEST.to_vec()));
        }
    }

    fn on_message(&mut self, now: Millis, msg: Message) -> Option<Message> {
        match &msg.body {
            Body::LoginResp(resp) => self.on_login_resp(now, resp),
            Body::FlowControl(f) => self.log(
                LogLevel::Info,
                format!("FlowControl Status={}", f.status.as_deref().unwrap_or("")),
            ),
            Body::MonitorInfo(m) => self.log(LogLevel::Info, format!("MonitorInfo {m:?}")),
            Body::Unknown(u) => self.log(
                LogLevel::Warn,
                format!(
                    "unknown message {} for call {}",
                    u.name,
                    msg.call_id.as_deref().unwrap_or("")
                ),
            ),
            Body::RouteResponse(_) => self.log(LogLevel::Info, format!("{msg:?}")),
            Body::UDataResp(_) => self.log(LogLevel::Debug, format!("{msg:?}")),
            _ => return Some(msg),
        }
        None
    }

    fn on_login_resp(&mut self, now: Millis, resp: &LoginResp) {
        let interval = self.config.keepalive_interval_ms;
        let State::Connected(link) = &mut self.state else {
            return;
        };
        link.answered = true;
        link.next_probe = now + interval;
        let server = link.server;
        if matches!(link.login, Login::Ready { .. }) {
            self.log(LogLevel::Warn, "unsolicited LoginResp ignored".into());
            return;
        }
        let target = self.server_name(server);
        let version = resp.iserver_version.clone().unwrap_or_default();
        match login::verdict(resp) {
            Verdict::Refused { hint } => {
                let c = &self.config;
                let text = format!(
                    "login refused by {target}: ClientName={} Version={} Result={} Status={} IServerVersion={version}: {hint}",
                    c.client_name,
                    c.protocol_version,
                    resp.result,
                    resp.status.as_deref().unwrap_or(""),
                );
                self.log(LogLevel::Error, text.clone());
                self.last_failure = Some(text);
                self.close_link();
                self.schedule_retry(now);
            }
            Verdict::Initializing => {
                let (min, max) = (self.config.reconnect_min_ms, self.config.reconnect_max_ms);
                let mut wait = min;
                if let State::Connected(link) = &mut self.state {
                    wait = link.init_wait.map_or(min, |w| w.saturating_mul(2).min(max));
                    link.init_wait = Some(wait);
                    link.login = Login::Initializing { at: now + wait };
                }
                self.log(
                    LogLevel::Info,
                    format!("{target}: server initialising, logging in again in {wait} ms"),
                );
            }
            Verdict::Ready { unknown_status } => {
                if let Some(status) = unknown_status {
                    self.log(
                        LogLevel::Warn,
                        format!("{target}: unknown LoginResp Status '{status}', treated as OK"),
                    );
                }
                if let State::Connected(link) = &mut self.state {
                    link.login = Login::Ready { since: now };
                }
                if let Some(opts) = &resp.config_options {
                    self.log(LogLevel::Info, format!("ConfigOptions: {opts}"));
                }
                self.log(LogLevel::Info, format!("logged in to {target} ({version})"));
                self.last_failure = None;
                self.out.push_back(Output::Up {
                    text: format!("{target} {version}").trim_end().to_string(),
                });
            }
        }
    }

    /// Sends the next `LoginReq` on the open link; its answer is due within
    /// `connect_timeout_ms`.
    fn send_login(&mut self, now: Millis) {
        self.logins_sent += 1;
        let msg = login::request(&self.config, self.logins_sent);
        match wire::encode_frame(&msg) {
            Ok(frame) => self.out.push_back(Output::Write(frame)),
            // Config values are checked when set, so this is a bug; the
            // login then times out and the attempt fails like any other.
            Err(e) => self.log(LogLevel::Error, format!("cannot encode LoginReq: {e}")),
        }
        let deadline = now + self.config.connect_timeout_ms;
        if let State::Connected(link) = &mut self.state {
            link.login = Login::Pending { deadline };
        }
    }

    fn start_attempt(&mut self, now: Millis) {
        let count = self.config.servers.len().max(1);
        let server = self.next_server % count;
        self.next_server = (server + 1) % count;
        self.last_link += 1;
        let link = self.last_link;
        let target = self.server_name(server);
        self.log(LogLevel::Info, format!("connecting to {target}"));
        self.state = State::Connecting {
            link,
            server,
            deadline: now + self.config.connect_timeout_ms,
        };
        self.out.push_back(Output::Connect {
            link,
            server,
            target,
        });
    }

    /// An attempt failed before READY: log, close, wait, try the next server.
    fn attempt_failed(&mut self, now: Millis, text: String) {
        self.log(LogLevel::Warn, text.clone());
        self.last_failure = Some(text);
        self.close_link();
        self.schedule_retry(now);
    }

    /// The back-off of PROTOCOL 4.4.
    fn schedule_retry(&mut self, now: Millis) {
        let c = &self.config;
        let wait = match self.last_wait {
            None => c.reconnect_min_ms,
            Some(w) => w.saturating_mul(2).min(c.reconnect_max_ms),
        };
        self.last_wait = Some(wait);
        self.state = State::Waiting { at: now + wait };
    }

    fn link_lost(&mut self, now: Millis, why: &str) {
        let State::Connected(link) = &self.state else {
            return;
        };
        let target = self.server_name(link.server);
        let ready_since = match link.login {
            Login::Ready { since } => Some(since),
            _ => None,
        };
        let text = format!("link to {target} lost: {why}");
        self.log(LogLevel::Warn, text.clone());
        self.last_failure = Some(text);
        self.close_link();
        if let Some(since) = ready_since {
            // Only a session that stayed up a while earns a fast retry.
            if now.saturating_sub(since) >= self.config.reconnect_max_ms {
                self.last_wait = None;
            }
            self.out.push_back(Output::Down {
                text: format!("{target}: {why}"),
            });
        }
        self.schedule_retry(now);
    }

    /// Closes the current link or attempt (if any); the state is set next.
    fn close_link(&mut self) {
        if let Some(link) = self.current_link() {
            self.out.push_back(Output::Close { link });
        }
        self.state = State::Waiting { at: Millis::MAX };
    }

    /// A report about a link that is not current: make sure it is closed.
    fn stale(&mut self, link: LinkId) {
        self.out.push_back(Output::Close { link });
    }

    fn link_mut(&mut self, link: LinkId) -> Option<&mut Link> {
        match &mut self.state {
            State::Connected(l) if l.id == link => Some(l),
            _ => None,
        }
    }

    fn server_name(&self, index: usize) -> String {
        self.config.servers.get(index).cloned().unwrap_or_default()
    }

    fn log(&mut self, level: LogLevel, text: String) {
        self.log.push(level, None, text);
    }
}
