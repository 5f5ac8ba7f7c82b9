//! Table tests of the session rules (PROTOCOL.md 1.7 and 4): every rule
//! driven through the machine's inputs with a made-up clock, no sockets.

use super::*;
use crate::wire::{
    decode, CallStatus, MonitorInfo, ProtocolError, ProtocolErrorKind, StatusEvent,
    KEEPALIVE_REQUEST,
};

const A: &str = "10.0.0.1:7000";
const B: &str = "10.0.0.2:7000";
const C: &str = "10.0.0.3:7000";

fn config(servers: &[&str]) -> SessionConfig {
    SessionConfig::new(servers.iter().map(|s| s.to_string()).collect(), "ivr1")
}

/// A session plus a clock, with short names for what the tests do.
struct Run {
    s: Session,
    now: Millis,
}

impl Run {
    fn new(c: SessionConfig) -> Run {
        Run {
            s: Session::new(c, 0),
            now: 0,
        }
    }

    fn outputs(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.s.poll_output()).collect()
    }

    fn logs(&mut self) -> Vec<LogRecord> {
        std::iter::from_fn(|| self.s.poll_log()).collect()
    }

    /// Moves the clock to `t` and runs what is due.
    fn at(&mut self, t: Millis) -> Vec<Output> {
        assert!(t >= self.now, "time goes forward");
        self.now = t;
        self.s.on_deadline(t);
        self.outputs()
    }

    /// Advances to the next deadline and runs it.
    fn next(&mut self) -> Vec<Output> {
        let t = self.s.next_deadline().expect("a deadline");
        self.at(t.max(self.now))
    }

    /// The next attempt: returns its link and the server index.
    fn attempt(&mut self) -> (LinkId, usize, Millis) {
        let out = self.next();
        match out.as_slice() {
            [Output::Connect {
                link,
                server,
                target,
            }] => {
                assert_eq!(&self.s.config.servers[*server], target);
                (*link, *server, self.now)
            }
            other => panic!("expected one Connect, got {other:?}"),
        }
    }

    fn connect(&mut self, link: LinkId) -> Vec<Output> {
        self.s.connected(self.now, link);
        self.outputs()
    }

    fn frame(&mut self, link: LinkId, item: Inbound) -> Option<Message> {
        self.s.bytes_received(self.now, link);
        self.s.frame_received(self.now, link, item)
    }

    fn login_resp(&mut self, link: LinkId, result: &str, status: Option<&str>) -> Vec<Output> {
        let msg = Message {
            call_id: Some("whatever".into()),
            body: Body::LoginResp(LoginResp {
                iserver_version: Some("8.5.1".into()),
                result: result.into(),
                status: status.map(Into::into),
                config_options: None,
            }),
        };
        assert_eq!(self.frame(link, Inbound::Message(msg)), None);
        self.outputs()
    }

    /// Attempt, TCP up, LoginResp OK: READY on `link`.
    fn ready(&mut self) -> LinkId {
        let (link, _, _) = self.attempt();
        self.connect(link);
        let out = self.login_resp(link, "Success", Some("OK"));
        assert!(matches!(out.as_slice(), [Output::Up { .. }]), "{out:?}");
        link
    }
}

fn is_login(out: &Output) -> Option<String> {
    let Output::Write(frame) = out else {
        return None;
    };
    let msg = decode(&frame[wire::HEADER_LEN..]).ok()?;
    matches!(msg.body, Body::LoginReq(_)).then(|| msg.call_id.unwrap_or_default())
}

fn closes(out: &[Output], link: LinkId) -> bool {
    out.contains(&Output::Close { link })
}

fn down_text(out: &[Output]) -> Option<&str> {
    out.iter().find_map(|o| match o {
        Output::Down { text } => Some(text.as_str()),
        _ => None,
    })
}

// ---- connecting and logging in (4.2) ------------------------------------

#[test]
fn first_attempt_goes_to_the_primary_at_once() {
    let mut r = Run::new(config(&[A, B]));
    assert_eq!(r.s.next_deadline(), Some(0));
    let (_, server, t) = r.attempt();
    assert_eq!((server, t), (0, 0));
}

#[test]
fn login_req_is_the_first_frame_even_when_the_server_speaks_first() {
    let mut r = Run::new(config(&[A]));
    let (link, _, _) = r.attempt();
    let out = r.connect(link);
    assert_eq!(out.len(), 1);
    assert_eq!(is_login(&out[0]).as_deref(), Some("login-1"));
    // A keep-alive request right after: answered, after the login.
    r.frame(link, Inbound::KeepAliveRequest { payload: vec![] });
    assert_eq!(r.outputs(), vec![Output::AckKeepAlive]);
}

#[test]
fn a_frame_before_login_is_handled_normally() {
    let mut r = Run::new(config(&[A]));
    let (link, _, _) = r.attempt();
    r.connect(link);
    // A call message before the LoginResp goes to the flow machine (which
    // ignores unknown calls); a session message is logged.
    let status = Message::new("C1", Body::CallStatus(CallStatus::of(StatusEvent::Busy)));
    assert_eq!(
        r.frame(link, Inbound::Message(status.clone())),
        Some(status)
    );
    let info = Message::new("x", Body::MonitorInfo(MonitorInfo::default()));
    assert_eq!(r.frame(link, Inbound::Message(info)), None);
    assert!(r
        .logs()
        .iter()
        .any(|l| l.level == LogLevel::Info && l.text.starts_with("MonitorInfo")));
    // No probes before the first LoginResp: only the login bound is a deadline.
    assert_eq!(r.s.next_deadline(), Some(5000));
    assert!(!r.s.is_ready());
}

#[test]
fn login_ready_emits_up_with_server_and_version() {
    let mut r = Run::new(config(&[A]));
    let (link, _, _) = r.attempt();
    r.connect(link);
    let out = r.login_resp(link, "Success", None);
    assert_eq!(
        out,
        vec![Output::Up {
            text: format!("{A} 8.5.1")
        }]
    );
    assert!(r.s.is_ready());
    assert!(r.logs().iter().any(|l| l.text.contains("logged in to")));
}

#[test]
fn unknown_login_status_is_ready_with_a_warning() {
    let mut r = Run::new(config(&[A]));
    let (link, _, _) = r.attempt();
    r.connect(link);
    let out = r.login_resp(link, "Success", Some("Sleepy"));
    assert!(matches!(out.as_slice(), [Output::Up { .. }]));
    assert!(r
        .logs()
        .iter()
        .any(|l| l.level == LogLevel::Warn && l.text.contains("'Sleepy'")));
}

#[test]
fn no_login_resp_within_connect_timeout_fails_the_attempt() {
    let mut r = Run::new(config(&[A]));
    let (link, _, _) = r.attempt();
    r.connect(link);
    assert_eq!(r.s.next_deadline(), Some(5000));
    let out = r.at(5000);
    assert!(closes(&out, link));
    assert_eq!(down_text(&out), None, "never READY: no SESSION_DOWN");
    assert_eq!(r.s.next_deadline(), Some(5000 + 200));
    assert!(r.s.last_failure().unwrap_or("").contains("no LoginResp"));
}

#[test]
fn connect_timeout_fails_the_attempt_and_ignores_the_late_connection() {
    let mut r = Run::new(config(&[A, B]));
    let (link, _, _) = r.attempt();
    let out = r.at(5000);
    assert!(closes(&out, link));
    assert!(r
        .logs()
        .iter()
        .any(|l| l.text.contains("connect_timeout_ms")));
    // The late connection is closed, and writes nothing.
    let out = r.connect(link);
    assert_eq!(out, vec![Output::Close { link }]);
    let (link2, server, t) = r.attempt();
    assert_eq!((server, t), (1, 5200));
    assert_ne!(link, link2);
}

// ---- LoginResp handling (4.3) --------------------------------------------

#[test]
fn login_refused_closes_logs_an_error_and_backs_off() {
    let cases: &[(&str, Option<&str>, &str)] = &[
        ("Success", Some("NoSuchClient"), "IVR object"),
        ("InvalidProtocolVersion", None, "protocol_version"),
        ("Whatever", Some("OK"), "refused the login"),
    ];
    for (result, status, hint) in cases {
        let mut r = Run::new(config(&[A]));
        let mut waits = Vec::new();
        let mut last = 0;
        for _ in 0..10 {
            let (link, _, t) = r.attempt();
            waits.push(t - last);
            r.connect(link);
            let out = r.login_resp(link, result, *status);
            assert!(closes(&out, link), "{result}");
            assert!(!out.iter().any(|o| matches!(o, Output::Up { .. })));
            let errors: Vec<_> = r
                .logs()
                .into_iter()
                .filter(|l| l.level == LogLevel::Error)
                .collect();
            assert_eq!(errors.len(), 1, "one error line per rejection");
            assert!(errors[0].text.contains(hint), "{}", errors[0].text);
            assert!(errors[0].text.contains("ClientName=ivr1"));
            assert!(errors[0].text.contains(A));
            last = t;
        }
        assert_eq!(
            waits,
            [0, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000],
            "{result}"
        );
    }
}

#[test]
fn init_in_progress_relogs_on_the_same_connection_with_back_off() {
    let mut c = config(&[A]);
    c.reconnect_min_ms = 100;
    c.reconnect_max_ms = 350;
    let mut r = Run::new(c);
    let (link, _, _) = r.attempt();
    r.connect(link);
    let mut relogins = Vec::new();
    for _ in 0..4 {
        let sent = r.now;
        let out = r.login_resp(link, "Success", Some("InitInProgress"));
        assert!(out.is_empty(), "connection kept: {out:?}");
        assert!(r
            .logs()
            .iter()
            .any(|l| l.level == LogLevel::Info && l.text.contains("initialising")));
        let out = r.next();
        assert_eq!(out.len(), 1);
        relogins.push((r.now - sent, is_login(&out[0]).unwrap_or_default()));
    }
    assert_eq!(
        relogins,
        [
            (100, "login-2".to_string()),
            (200, "login-3".to_string()),
            (350, "login-4".to_string()),
            (350, "login-5".to_string())
        ]
    );
    let out = r.login_resp(link, "Success", Some("OK"));
    assert!(matches!(out.as_slice(), [Output::Up { .. }]));
}

#[test]
fn init_in_progress_keeps_keep_alives_going() {
    let mut r = Run::new(config(&[A]));
    let (link, _, _) = r.attempt();
    r.connect(link);
    r.login_resp(link, "Success", Some("InitInProgress"));
    // The re-login is due at 200; probes start 10 s after the LoginResp.
    r.next();
    r.login_resp(link, "Success", Some("InitInProgress"));
    assert!(r.s.next_deadline().is_some());
    r.frame(link, Inbound::KeepAliveRequest { payload: vec![] });
    assert_eq!(r.outputs(), vec![Output::AckKeepAlive]);
}

#[test]
fn unsolicited_login_resp_is_ignored_with_a_warning() {
    let mut r = Run::new(config(&[A]));
    let link = r.ready();
    r.logs();
    let out = r.login_resp(link, "Failure", Some("NoSuchClient"));
    assert!(out.is_empty());
    assert!(r.s.is_ready());
    assert!(r
        .logs()
        .iter()
        .any(|l| l.level == LogLevel::Warn && l.text.contains("unsolicited")));
}

// ---- keep-alive and supervision (1.7) --------------------------------------

#[test]
fn keep_alive_probe_after_silence_then_timeout() {
    let mut r = Run::new(config(&[A]));
    let link = r.ready();
    // Probes at 10 s, 20 s of silence; lost at 30 s.
    let mut probes = Vec::new();
    loop {
        let out = r.next();
        if let Some(text) = down_text(&out) {
            assert_eq!(text, format!("{A}: keep-alive timeout"));
            assert!(closes(&out, link));
            break;
        }
        assert_eq!(out, vec![Output::Write(KEEPALIVE_REQUEST.to_vec())]);
        probes.push(r.now);
    }
    assert_eq!(probes, [10_000, 20_000]);
    assert_eq!(r.now, 30_000);
    assert!(!r.s.is_ready());
}

#[test]
fn any_byte_resets_the_silence_clock() {
    let mut r = Run::new(config(&[A]));
    let link = r.ready();
    for t in [9_000, 18_000, 27_000, 36_000] {
        r.at(t);
        // A partial frame counts too.
        r.s.bytes_received(t, link);
    }
    assert_eq!(r.s.next_deadline(), Some(46_000), "next probe");
    assert!(r.s.is_ready());
    // Bytes we send do not count: only received ones (none here).
    assert!(r
        .at(46_000)
        .contains(&Output::Write(KEEPALIVE_REQUEST.to_vec())));
    assert!(down_text(&r.at(66_000)).is_some());
}

#[test]
fn zero_turns_probes_and_silence_off() {
    let mut c = config(&[A]);
    c.keepalive_interval_ms = 0;
    c.keepalive_timeout_ms = 0;
    let mut r = Run::new(c);
    r.ready();
    assert_eq!(r.s.next_deadline(), None);
}

#[test]
fn paused_reading_is_not_silence_but_a_stuck_application_loses_the_link() {
    let mut r = Run::new(config(&[A]));
    let link = r.ready();
    r.at(1_000);
    r.s.reading_paused(1_000, link);
    // No probes while paused; the limit counts from the pause.
    assert_eq!(r.s.next_deadline(), Some(31_000));
    r.s.reading_resumed(20_000, link);
    r.now = 20_000;
    assert_eq!(
        r.s.next_deadline(),
        Some(30_000),
        "probe 10 s after resuming"
    );
    r.s.reading_paused(25_000, link);
    r.now = 25_000;
    let out = r.next();
    assert_eq!(r.now, 55_000);
    assert_eq!(
        down_text(&out),
        Some(format!("{A}: the application is not taking events").as_str())
    );
}

// ---- server list and back-off (4.4) ----------------------------------------

#[test]
fn primary_then_backups_then_wrap_with_back_off() {
    let mut r = Run::new(config(&[A, B, C]));
    let mut seen = Vec::new();
    for _ in 0..7 {
        let (link, server, t) = r.attempt();
        seen.push((server, t));
        r.s.connect_failed(r.now, link, "connection refused");
        assert_eq!(r.outputs(), vec![Output::Close { link }]);
    }
    assert_eq!(
        seen,
        [
            (0, 0),
            (1, 200),
            (2, 600),
            (0, 1400),
            (1, 3000),
            (2, 6200),
            (0, 12600)
        ]
    );
    assert!(r
        .s
        .last_failure()
        .unwrap_or("")
        .contains("connection refused"));
}

#[test]
fn a_lost_primary_is_followed_by_the_first_backup() {
    let mut r = Run::new(config(&[A, B]));
    let link = r.ready();
    r.s.link_closed(r.now, link, "end of stream");
    let out = r.outputs();
    assert_eq!(
        down_text(&out),
        Some(format!("{A}: end of stream").as_str())
    );
    let (_, server, t) = r.attempt();
    assert_eq!((server, t), (1, 200));
}

#[test]
fn back_off_restarts_only_after_a_long_ready_session() {
    let mut c = config(&[A]);
    c.reconnect_max_ms = 1000;
    let mut r = Run::new(c);
    // Logins dropped at once: waits keep growing.
    let mut waits = Vec::new();
    for _ in 0..4 {
        let before = r.now;
        let link = r.ready();
        waits.push(r.now - before);
        r.s.link_closed(r.now, link, "reset");
        r.outputs();
    }
    assert_eq!(waits, [0, 200, 400, 800]);
    // A session that stayed READY for reconnect_max_ms earns the minimum.
    let link = r.ready();
    r.at(r.now + 1000);
    r.s.link_closed(r.now, link, "reset");
    r.outputs();
    let lost = r.now;
    let (_, _, t) = r.attempt();
    assert_eq!(t - lost, 200);
}

#[test]
fn session_down_only_for_a_ready_session_and_once() {
    let mut r = Run::new(config(&[A]));
    let (link, _, _) = r.attempt();
    r.connect(link);
    r.s.link_closed(r.now, link, "end of stream");
    assert_eq!(down_text(&r.outputs()), None);
    let link = r.ready();
    r.s.link_closed(r.now, link, "end of stream");
    r.s.link_closed(r.now, link, "end of stream");
    let downs = r
        .outputs()
        .iter()
        .filter(|o| matches!(o, Output::Down { .. }))
        .count();
    assert_eq!(downs, 1);
}

// ---- link loss, stale reports, shutdown (4.5, 4.6) --------------------------

#[test]
fn protocol_error_loses_the_link_with_an_error_line() {
    let mut r = Run::new(config(&[A]));
    let link = r.ready();
    let e = ProtocolError {
        kind: ProtocolErrorKind::UnknownFrameType,
        bytes: vec![0, 9, 0, 2, 2, 0],
    };
    r.s.protocol_error(r.now, link, &e);
    let out = r.outputs();
    assert!(closes(&out, link));
    assert!(down_text(&out).unwrap_or("").contains("protocol error"));
    assert!(r
        .logs()
        .iter()
        .any(|l| l.level == LogLevel::Error && l.text.contains("protocol error from")));
}

#[test]
fn reports_about_old_links_change_nothing() {
    let mut r = Run::new(config(&[A]));
    let old = r.ready();
    r.s.link_closed(r.now, old, "reset");
    r.outputs();
    let link = r.ready();
    r.s.link_closed(r.now, old, "late close");
    r.s.connect_failed(r.now, old, "late failure");
    r.s.bytes_received(r.now, old);
    assert_eq!(
        r.s.frame_received(r.now, old, Inbound::KeepAliveRequest { payload: vec![] }),
        None
    );
    assert_eq!(r.outputs(), vec![]);
    assert!(r.s.is_ready());
    assert_eq!(r.s.current_link(), Some(link));
}

#[test]
fn session_frames_stay_here_and_call_frames_go_up() {
    let mut r = Run::new(config(&[A]));
    let link = r.ready();
    let status = Message::new("C1", Body::CallStatus(CallStatus::of(StatusEvent::Held)));
    assert_eq!(
        r.frame(link, Inbound::Message(status.clone())),
        Some(status)
    );
    assert_eq!(
        r.frame(link, Inbound::KeepAliveAck { payload: vec![] }),
        None
    );
    assert_eq!(
        r.frame(
            link,
            Inbound::ErrorAck {
                payload: vec![0xab]
            }
        ),
        None
    );
    assert!(r
        .logs()
        .iter()
        .any(|l| l.level == LogLevel::Warn && l.text.contains("ab")));
    assert_eq!(r.outputs(), vec![]);
}

#[test]
fn shutdown_closes_and_stops_for_good() {
    let mut r = Run::new(config(&[A]));
    let link = r.ready();
    r.s.shutdown(r.now);
    assert_eq!(r.outputs(), vec![Output::Close { link }]);
    assert_eq!(r.s.next_deadline(), None);
    r.s.on_deadline(1_000_000);
    assert_eq!(r.outputs(), vec![]);
}

#[test]
fn a_message_that_does_not_decode_is_logged_with_its_payload() {
    let mut r = Run::new(config(&[A]));
    let link = r.ready();
    r.logs();
    let payload = b"<GctiMsg><CallId>C1</CallId><Nonsense".to_vec();
    let error = match decode(&payload) {
        Err(e) => e,
        Ok(m) => panic!("decoded: {m:?}"),
    };
    let item = Inbound::DecodeError {
        error,
        payload: payload.clone(),
        payload_len: payload.len(),
    };
    assert_eq!(r.frame(link, item), None);
    let logs = r.logs();
    assert!(
        logs.iter().any(|l| l.level == LogLevel::Warn
            && l.text.starts_with("message dropped: ")
            && l.text.contains("<Nonsense")
            && l.text.contains(&format!("({} bytes)", payload.len()))),
        "{logs:?}"
    );
    assert!(r.s.is_ready(), "a decode error keeps the link");
}
