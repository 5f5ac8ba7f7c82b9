//! The session with IVR Server, as the core thread runs it (PROTOCOL.md
//! section 4): connection attempts over the server list with back-off, the
//! login and its answers, keep-alive supervision, and link loss.
//!
//! A second `impl Core` beside the core loop, so the loop reads as inputs and
//! timers while this file reads as the session rules. Must not hold call
//! logic (that is the flow machine's).

use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use crossbeam_channel::Sender;

use super::Core;
use crate::engine::config::{Config, LogLevel};
use crate::engine::conn::{self, ConnEvent};
use crate::engine::event::Event;
use crate::flow::Millis;
use crate::wire::{
    self, hex, latin1_debug, Body, Inbound, LoginReq, LoginResp, Message, ProtocolError,
    KEEPALIVE_REQUEST,
};

/// An open TCP connection as the core sees it.
pub(super) struct Link {
    pub(super) gen: u64,
    pub(super) server: usize,
    pub(super) writer: Sender<Vec<u8>>,
    pub(super) stream: TcpStream,
    pub(super) last_rx: Millis,
    /// Set once a `LoginResp` arrived on this connection (probes start).
    pub(super) answered: bool,
    pub(super) next_probe: Millis,
    pub(super) login: Login,
    /// The last `InitInProgress` wait on this connection (doubles each time).
    pub(super) init_wait: Option<u64>,
}

impl Drop for Link {
    fn drop(&mut self) {
        // Whatever ends the link (loss, refusal, shutdown, a panic
        // unwinding the core) also ends the reader and writer threads.
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

pub(super) enum Login {
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

pub(super) enum Phase {
    /// No connection; the next attempt starts at `at`.
    Waiting {
        at: Millis,
    },
    /// A connect thread is running; the attempt fails at `deadline`.
    Connecting {
        gen: u64,
        server: usize,
        deadline: Millis,
    },
    Connected(Link),
    Stopped,
}

pub(super) fn server_name(config: &Config, index: usize) -> String {
    config
        .servers
        .get(index)
        .map(|s| s.to_string())
        .unwrap_or_default()
}

impl Core {
    /// The next `LoginReq` (`login-<n>`, PROTOCOL 5.3) as a frame.
    fn login_frame(&mut self) -> Option<Vec<u8>> {
        self.logins_sent += 1;
        let c = &self.config;
        let msg = Message {
            call_id: Some(format!("login-{}", self.logins_sent)),
            body: Body::LoginReq(LoginReq {
                version: c.protocol_version.clone(),
                client_name: c.client_name.clone().unwrap_or_default(),
                report_status: Some(c.report_status.clone()).filter(|s| !s.is_empty()),
                server_monitor: Some(c.server_monitor.clone()).filter(|s| !s.is_empty()),
            }),
        };
        match wire::encode_frame(&msg) {
            Ok(frame) => {
                self.trace_sent(&frame);
                Some(frame)
            }
            Err(e) => {
                // Config values are checked when set, so this is a bug.
                self.logger
                    .log(LogLevel::Error, || format!("cannot encode LoginReq: {e}"));
                None
            }
        }
    }

    /// A fresh `LoginReq` on the open connection (after `InitInProgress`).
    fn relogin(&mut self, now: Millis) {
        let frame = self.login_frame();
        let deadline = now + self.config.connect_timeout_ms;
        if let Phase::Connected(link) = &mut self.phase {
            if let Some(frame) = frame {
                let _ = link.writer.send(frame);
            }
            link.login = Login::Pending { deadline };
        }
    }

    // ---- connections -------------------------------------------------

    fn server_name(&self, index: usize) -> String {
        server_name(&self.config, index)
    }

    fn start_attempt(&mut self, now: Millis) {
        let server = self.next_server % self.config.servers.len().max(1);
        self.next_server = server + 1;
        self.gen += 1;
        let target = self.server_name(server);
        self.logger
            .log(LogLevel::Info, || format!("connecting to {target}"));
        let Some(first_frame) = self.login_frame() else {
            self.schedule_retry(now);
            return;
        };
        // The attempt as a whole (name lookup included) is bounded here;
        // the thread's own connect timeout is per address.
        let deadline = now + self.config.connect_timeout_ms;
        self.phase = Phase::Connecting {
            gen: self.gen,
            server,
            deadline,
        };
        let attempt = conn::Attempt {
            gen: self.gen,
            target,
            connect_timeout: Duration::from_millis(self.config.connect_timeout_ms),
            write_timeout: (self.config.keepalive_timeout_ms > 0)
                .then(|| Duration::from_millis(self.config.keepalive_timeout_ms)),
            first_frame,
        };
        if let Some(handle) = conn::spawn(attempt, self.input.clone()) {
            let mut threads = self.shared.conn_threads.lock();
            threads.retain(|t| !t.is_finished());
            threads.push(handle);
        }
    }

    /// Schedules the next attempt after the back-off of PROTOCOL 4.4.
    fn schedule_retry(&mut self, now: Millis) {
        let wait = match self.last_wait {
            None => self.config.reconnect_min_ms,
            Some(w) => (w.saturating_mul(2)).min(self.config.reconnect_max_ms),
        };
        self.last_wait = Some(wait);
        self.phase = Phase::Waiting { at: now + wait };
    }

    pub(super) fn on_conn(&mut self, gen: u64, event: ConnEvent) {
        let now = self.now();
        let current = match &self.phase {
            Phase::Connecting { gen: g, .. } => *g == gen,
            Phase::Connected(link) => link.gen == gen,
            _ => false,
        };
        if !current {
            // A late report from a connection we already gave up on.
            if let ConnEvent::Connected { stream, .. } = event {
                let _ = stream.shutdown(Shutdown::Both);
            }
            return;
        }
        match event {
            ConnEvent::Connected { stream, writer } => {
                let server = match self.phase {
                    Phase::Connecting { server, .. } => server,
                    _ => 0,
                };
                self.logger.log(LogLevel::Info, || {
                    format!("connected to {}", self.server_name(server))
                });
                self.phase = Phase::Connected(Link {
                    gen,
                    server,
                    writer,
                    stream,
                    last_rx: now,
                    answered: false,
                    next_probe: 0,
                    login: Login::Pending {
                        deadline: now + self.config.connect_timeout_ms,
                    },
                    init_wait: None,
                });
            }
            ConnEvent::ConnectFailed(why) => {
                let server = match self.phase {
                    Phase::Connecting { server, .. } => server,
                    _ => 0,
                };
                self.logger.log(LogLevel::Warn, || {
                    format!(
                        "connection attempt to {} failed: {why}",
                        self.server_name(server)
                    )
                });
                self.schedule_retry(now);
            }
            ConnEvent::Rx(items) => {
                if let Phase::Connected(link) = &mut self.phase {
                    link.last_rx = now;
                    link.next_probe = now + self.config.keepalive_interval_ms;
                }
                for item in items {
                    match item {
                        Ok(inbound) => self.on_inbound(now, inbound),
                        Err(e) => {
                            self.on_protocol_error(now, &e);
                            return;
                        }
                    }
                    if !matches!(self.phase, Phase::Connected(_)) {
                        return;
                    }
                }
            }
            ConnEvent::Closed(why) => self.link_lost(now, &why),
            ConnEvent::Panicked(why) => {
                self.emit(Event::EngineError {
                    text: format!("connection thread failed: {why}"),
                });
                self.link_lost(now, &format!("connection thread failed: {why}"));
            }
        }
    }

    fn on_protocol_error(&mut self, now: Millis, e: &ProtocolError) {
        let server = match &self.phase {
            Phase::Connected(link) => self.server_name(link.server),
            _ => String::new(),
        };
        self.logger.log(LogLevel::Error, || {
            format!("protocol error from {server}: {e}")
        });
        self.link_lost(now, &format!("protocol error: {e}"));
    }

    fn on_inbound(&mut self, now: Millis, inbound: Inbound) {
        match inbound {
            Inbound::KeepAliveRequest { .. } => self.logger.log(LogLevel::Trace, || {
                "S->I keep-alive request (answered)".into()
            }),
            Inbound::KeepAliveAck { .. } => self
                .logger
                .log(LogLevel::Trace, || "S->I keep-alive ack".into()),
            Inbound::ErrorAck { payload } => self.logger.log(LogLevel::Warn, || {
                format!("error ack from server, payload {}", hex(&payload))
            }),
            Inbound::DecodeError {
                error,
                payload,
                payload_len,
            } => self.logger.log(LogLevel::Warn, || {
                let cut = if payload_len > payload.len() {
                    format!(", first {} shown", payload.len())
                } else {
                    String::new()
                };
                format!(
                    "message dropped: {error}; payload ({payload_len} bytes{cut}): {}",
                    latin1_debug(&payload)
                )
            }),
            Inbound::Message(msg) => {
                // Re-encoded in our canonical form, so in and out read alike.
                self.logger
                    .log(LogLevel::Trace, || match wire::encode(&msg) {
                        Ok(xml) => format!("S->I {} bytes: {}", xml.len(), latin1_debug(&xml)),
                        Err(_) => format!("S->I {msg:?}"),
                    });
                self.on_message(now, msg);
            }
        }
    }

    fn on_message(&mut self, now: Millis, msg: Message) {
        match &msg.body {
            Body::LoginResp(resp) => self.on_login_resp(now, resp),
            Body::FlowControl(f) => self.logger.log(LogLevel::Info, || {
                format!("FlowControl Status={}", f.status.as_deref().unwrap_or(""))
            }),
            Body::MonitorInfo(m) => self
                .logger
                .log(LogLevel::Info, || format!("MonitorInfo {:?}", m)),
            Body::Unknown(u) => self.logger.log(LogLevel::Warn, || {
                format!(
                    "unknown message {} for call {}",
                    u.name,
                    msg.call_id.as_deref().unwrap_or("")
                )
            }),
            Body::RouteResponse(_) => self.logger.log(LogLevel::Info, || format!("{msg:?}")),
            Body::CallInfoResp(_) | Body::UDataResp(_) => {
                self.logger.log(LogLevel::Debug, || format!("{msg:?}"))
            }
            _ => {
                self.flow.on_message(now, &msg);
                self.pump();
            }
        }
    }

    fn on_login_resp(&mut self, now: Millis, resp: &LoginResp) {
        let Phase::Connected(link) = &mut self.phase else {
            return;
        };
        link.answered = true;
        link.next_probe = now + self.config.keepalive_interval_ms;
        if matches!(link.login, Login::Ready { .. }) {
            self.logger
                .log(LogLevel::Warn, || "unsolicited LoginResp ignored".into());
            return;
        }
        let status = resp.status.as_deref().unwrap_or("");
        let result = resp.result.as_str();
        let version = resp.iserver_version.clone().unwrap_or_default();
        let server = server_name(&self.config, link.server);
        let hint = if status.eq_ignore_ascii_case("NoSuchClient") {
            Some("no IVR object with this name in the Configuration Layer")
        } else if result.eq_ignore_ascii_case("InvalidProtocolVersion") {
            Some("the server does not accept protocol_version")
        } else if !result.eq_ignore_ascii_case("Success") {
            Some("the server refused the login")
        } else {
            None
        };
        if let Some(hint) = hint {
            let c = &self.config;
            self.logger.log(LogLevel::Error, || {
                format!(
                    "login refused by {server}: ClientName={} Version={} Result={result} Status={status} IServerVersion={version}: {hint}",
                    c.client_name.as_deref().unwrap_or(""),
                    c.protocol_version
                )
            });
            self.close_link();
            self.schedule_retry(now);
            return;
        }
        if status.eq_ignore_ascii_case("InitInProgress") {
            let wait = match link.init_wait {
                Some(w) => w.saturating_mul(2).min(self.config.reconnect_max_ms),
                None => self.config.reconnect_min_ms,
            };
            link.init_wait = Some(wait);
            link.login = Login::Initializing { at: now + wait };
            self.logger.log(LogLevel::Info, || {
                format!("{server}: server initialising, logging in again in {wait} ms")
            });
            return;
        }
        if !status.is_empty() && !status.eq_ignore_ascii_case("OK") {
            self.logger.log(LogLevel::Warn, || {
                format!("{server}: unknown LoginResp Status '{status}', treated as OK")
            });
        }
        link.login = Login::Ready { since: now };
        if let Some(opts) = &resp.config_options {
            self.logger
                .log(LogLevel::Info, || format!("ConfigOptions: {opts}"));
        }
        self.logger.log(LogLevel::Info, || {
            format!("logged in to {server} ({version})")
        });
        self.flow.link_up(now);
        self.pump();
        self.shared.set_ready(true);
        self.emit(Event::SessionUp {
            text: format!("{server} {version}").trim_end().to_string(),
        });
    }

    fn close_link(&mut self) {
        if let Phase::Connected(link) = &self.phase {
            let _ = link.stream.shutdown(Shutdown::Both);
        }
        self.phase = Phase::Waiting { at: 0 };
    }

    fn link_lost(&mut self, now: Millis, why: &str) {
        let Phase::Connected(link) = &self.phase else {
            if matches!(self.phase, Phase::Connecting { .. }) {
                self.logger.log(LogLevel::Warn, || {
                    format!("connection attempt failed: {why}")
                });
                self.schedule_retry(now);
            }
            return;
        };
        let server = self.server_name(link.server);
        let was_ready = match link.login {
            Login::Ready { since } => Some(since),
            _ => None,
        };
        self.logger
            .log(LogLevel::Warn, || format!("link to {server} lost: {why}"));
        self.close_link();
        if let Some(since) = was_ready {
            if now.saturating_sub(since) >= self.config.reconnect_max_ms {
                self.last_wait = None;
            }
            self.shared.set_ready(false);
            self.flow.link_down(now);
            self.pump();
            self.emit(Event::SessionDown {
                text: format!("{server}: {why}"),
            });
        }
        self.schedule_retry(now);
    }

    /// The session's next deadline: the next attempt, the connect or login
    /// bound, the next keep-alive probe, the silence limit.
    pub(super) fn session_deadline(&self) -> Option<Millis> {
        match &self.phase {
            Phase::Waiting { at } => Some(*at),
            Phase::Connecting { deadline, .. } => Some(*deadline),
            Phase::Stopped => None,
            Phase::Connected(link) => {
                let c = &self.config;
                let login = match link.login {
                    Login::Pending { deadline } => Some(deadline),
                    Login::Initializing { at } => Some(at),
                    Login::Ready { .. } => None,
                };
                let probe =
                    (link.answered && c.keepalive_interval_ms > 0).then_some(link.next_probe);
                let silence = (link.answered && c.keepalive_timeout_ms > 0)
                    .then_some(link.last_rx + c.keepalive_timeout_ms);
                [login, probe, silence].into_iter().flatten().min()
            }
        }
    }

    /// Carries out the session deadlines that are due.
    pub(super) fn on_session_deadlines(&mut self, now: Millis) {
        match &mut self.phase {
            Phase::Waiting { at } if *at <= now => self.start_attempt(now),
            Phase::Connecting {
                server, deadline, ..
            } if *deadline <= now => {
                let target = server_name(&self.config, *server);
                self.logger.log(LogLevel::Warn, || {
                    format!("connection attempt to {target} failed: no connection within connect_timeout_ms")
                });
                self.schedule_retry(now);
            }
            Phase::Connected(link) => {
                let c = &self.config;
                if link.answered
                    && c.keepalive_timeout_ms > 0
                    && now >= link.last_rx + c.keepalive_timeout_ms
                {
                    self.link_lost(now, "keep-alive timeout");
                    return;
                }
                match link.login {
                    Login::Pending { deadline } if now >= deadline => {
                        self.link_lost(now, "no LoginResp within connect_timeout_ms");
                        return;
                    }
                    Login::Initializing { at } if now >= at => self.relogin(now),
                    _ => {}
                }
                if let Phase::Connected(link) = &mut self.phase {
                    if link.answered
                        && self.config.keepalive_interval_ms > 0
                        && now >= link.next_probe
                    {
                        link.next_probe = now + self.config.keepalive_interval_ms;
                        let _ = link.writer.send(KEEPALIVE_REQUEST.to_vec());
                        self.logger
                            .log(LogLevel::Trace, || "I->S keep-alive request".into());
                    }
                }
            }
            _ => {}
        }
    }
}
