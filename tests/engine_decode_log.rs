//! A message that fails to decode is logged at warn with the reason and the
//! payload as received (its first 512 bytes, non-printables escaped), and
//! the connection stays up. The server here is a raw loopback listener, so
//! it can send bytes no encoder would write.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver};
use ivrconf::engine::{Config, Engine, Handlers, LogLevel};
use ivrconf::wire::{self, Body, FrameType, LoginResp, Message};

const WAIT: Duration = Duration::from_secs(5);

/// Reads one whole frame: (type byte, payload).
fn read_frame(s: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut header = [0u8; wire::HEADER_LEN];
    s.read_exact(&mut header).unwrap();
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    let mut payload = vec![0u8; len - 2];
    s.read_exact(&mut payload).unwrap();
    (header[1], payload)
}

/// Answers the engine's `LoginReq` with `Success`, then sends `frames`.
fn serve(listener: TcpListener, frames: Vec<Vec<u8>>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        let login = loop {
            let (kind, payload) = read_frame(&mut s);
            if kind == 3 {
                break wire::decode(&payload).unwrap();
            }
        };
        assert!(matches!(login.body, Body::LoginReq(_)), "{login:?}");
        let resp = Message {
            call_id: login.call_id,
            body: Body::LoginResp(LoginResp {
                iserver_version: None,
                result: "Success".into(),
                status: Some("OK".into()),
                config_options: None,
            }),
        };
        s.write_all(&wire::encode_frame(&resp).unwrap()).unwrap();
        for f in frames {
            s.write_all(&f).unwrap();
        }
        // Keep the link open (and answered) until the engine goes away.
        loop {
            match s.read(&mut [0u8; 256]) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
}

fn engine(port: u16) -> (Engine, Receiver<(LogLevel, String)>) {
    let mut cfg = Config::default();
    for (k, v) in [
        ("server", format!("127.0.0.1:{port}")),
        ("client_name", "IVR_TEST".into()),
        ("log_level", "warn".into()),
    ] {
        cfg.set(k, &v).unwrap();
    }
    let (tx, rx) = unbounded();
    let handlers = Handlers {
        on_event: None,
        on_log: Some(Box::new(move |level: LogLevel, text: &str| {
            let _ = tx.send((level, text.to_string()));
        })),
        on_free: None,
    };
    (Engine::new(cfg, handlers).unwrap(), rx)
}

/// The next log line containing `needle`.
fn log_line(rx: &Receiver<(LogLevel, String)>, needle: &str) -> (LogLevel, String) {
    let deadline = Instant::now() + WAIT;
    let mut seen = vec![];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((level, text)) if text.contains(needle) => return (level, text),
            Ok(other) => seen.push(other),
            Err(_) => panic!("no log line with {needle:?}; saw {seen:?}"),
        }
    }
}

#[test]
fn decode_error_log_line_carries_the_payload() {
    // A CallStatus without its Event: well-formed, but refused (missing field).
    let short = b"<GctiMsg><CallId>C1</CallId><CallStatus Note=\"a\x01b\"/></GctiMsg>".to_vec();
    // The same refusal with 600 bytes of payload: only 512 are shown.
    let head = b"<GctiMsg><CallId>C2</CallId><CallStatus Pad=\"".to_vec();
    let tail = b"\"/></GctiMsg>";
    let mut long = head.clone();
    long.resize(600 - tail.len(), b'x');
    long.extend_from_slice(tail);
    assert_eq!(long.len(), 600);

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = serve(
        listener,
        vec![
            wire::frame_bytes(FrameType::Xml, &short),
            wire::frame_bytes(FrameType::Xml, &long),
        ],
    );
    let (engine, logs) = engine(port);
    assert!(engine.wait_ready(WAIT).unwrap(), "engine did not log in");

    let (level, line) = log_line(&logs, "CallId>C1<");
    assert_eq!(level, LogLevel::Warn);
    let shown = "<GctiMsg><CallId>C1</CallId><CallStatus Note=\"a\\x01b\"/></GctiMsg>";
    assert!(line.starts_with("message dropped: "), "{line}");
    assert!(
        line.ends_with(&format!("; payload ({} bytes): {shown}", short.len())),
        "{line}"
    );

    let (level, line) = log_line(&logs, "CallId>C2<");
    assert_eq!(level, LogLevel::Warn);
    let first_512: String = long[..512].iter().map(|&b| char::from(b)).collect();
    assert!(
        line.ends_with(&format!(
            "; payload (600 bytes, first 512 shown): {first_512}"
        )),
        "{line}"
    );
    // The link survived both: the engine is still logged in.
    assert!(engine.is_ready());

    engine.free();
    server.join().unwrap();
}
