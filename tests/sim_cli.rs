//! The `ivrconf-sim` binary: `--help`, the `listening on` line, the traffic
//! lines and settings from stdin.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sim_common;
use sim_common::*;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

use ivrconf::sim::{Behaviour, KEYS};

const BIN: &str = env!("CARGO_BIN_EXE_ivrconf-sim");

struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    fn start(args: &[&str]) -> Running {
        let mut child = Command::new(BIN)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines() {
                let Ok(l) = l else { break };
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Running { child, lines }
    }

    fn line(&self) -> String {
        self.lines.recv_timeout(WAIT).expect("a line on stdout")
    }

    /// Skips lines until one equals `want`.
    fn expect_line(&self, want: &str) {
        let mut seen = vec![];
        loop {
            match self.lines.recv_timeout(WAIT) {
                Ok(l) if l == want => return,
                Ok(l) => seen.push(l),
                Err(_) => panic!("no line {want:?}; saw {seen:?}"),
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn help_documents_every_destination_and_every_key() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for b in Behaviour::ALL {
        assert!(
            text.contains(b.name()) && text.contains(b.help()),
            "{}",
            b.name()
        );
    }
    for k in KEYS {
        assert!(text.contains(k.key), "{}", k.key);
    }
    assert!(text.contains("--listen HOST:PORT"));
}

#[test]
fn bad_flags_exit_with_a_message() {
    let out = Command::new(BIN).args(["--drop-at"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(BIN)
        .args(["--slow-ms", "soon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("slow_ms"));
}

#[test]
fn prints_the_real_port_then_every_message_in_and_out() {
    let run = Running::start(&[
        "--listen",
        "127.0.0.1:0",
        "--seed",
        "3",
        "--flow-control",
        "off",
    ]);
    let first = run.line();
    let addr = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {first:?}"));
    let port: u16 = addr.strip_prefix("127.0.0.1:").unwrap().parse().unwrap();
    assert_ne!(port, 0);

    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(&xml(
        "login-1",
        r#"<LoginReq Version="4.0" ClientName="IVR_01" ReportStatus="true" ServerMonitor="clear"/>"#,
    ))
    .unwrap();
    run.expect_line("I->S LoginReq CallId=login-1 Version=4.0 ClientName=IVR_01 ReportStatus=true ServerMonitor=clear");
    run.expect_line(
        "S->I LoginResp CallId=login-1 IServerVersion=\"IVR Server:8.1.001.02\" Result=Success Status=OK",
    );
    run.expect_line("S->I FlowControl CallId=login-1 Status=off");
    s.write_all(&xml("C1", r#"<InitConf DestDN="busy" ReqId="4"/>"#))
        .unwrap();
    run.expect_line("I->S InitConf CallId=C1 DestDN=busy ReqId=4");
    run.expect_line("S->I CallError CallId=C1 FailedReq=NoSuchCall ReqId=4");
    s.write_all(&wire::KEEPALIVE_REQUEST).unwrap();
    run.expect_line("I->S #keepalive_request len=6");
    run.expect_line("S->I #keepalive_ack len=6");
}

#[test]
fn stdin_lines_change_settings_while_running() {
    let mut run = Running::start(&["--quiet"]);
    let first = run.line();
    let addr = first.strip_prefix("listening on ").unwrap().to_string();
    let mut s = TcpStream::connect(&addr).unwrap();
    // A keep-alive answered proves the connection was accepted.
    s.write_all(&wire::KEEPALIVE_REQUEST).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    let mut ack = [0u8; 6];
    std::io::Read::read_exact(&mut s, &mut ack).unwrap();
    assert_eq!(ack, wire::KEEPALIVE_ACK);
    let stdin = run.child.stdin.as_mut().unwrap();
    stdin.write_all(b"close_connections=now\n").unwrap();
    stdin.flush().unwrap();
    // The connection is closed by the server: a read returns end of stream.
    let mut buf = [0u8; 16];
    match std::io::Read::read(&mut s, &mut buf) {
        Ok(n) => assert_eq!(n, 0),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset),
    }
}

#[test]
fn version_prints_the_crate_version() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("ivrconf-sim {}\n", ivrconf::VERSION)
    );
}

#[test]
fn dash_h_is_the_same_help_as_dash_dash_help() {
    let long = Command::new(BIN).arg("--help").output().unwrap();
    let short = Command::new(BIN).arg("-h").output().unwrap();
    assert!(short.status.success());
    assert!(String::from_utf8_lossy(&short.stdout).contains("--listen HOST:PORT"));
    assert_eq!(short.stdout, long.stdout);
}

/// Milliseconds since 1970 of a `YYYY-MM-DDTHH:MM:SS.mmmZ` time (checked
/// to be exactly that form).
fn parse_utc_ms(text: &str) -> u64 {
    let b = text.as_bytes();
    assert_eq!(b.len(), 24, "{text}");
    for (i, c) in b.iter().enumerate() {
        let want = match i {
            4 | 7 => b'-',
            10 => b'T',
            13 | 16 => b':',
            19 => b'.',
            23 => b'Z',
            _ => {
                assert!(c.is_ascii_digit(), "{text}");
                continue;
            }
        };
        assert_eq!(*c, want, "{text}");
    }
    let n = |r: std::ops::Range<usize>| text[r].parse::<u64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    assert!((1..=12).contains(&m) && (1..=31).contains(&d), "{text}");
    // Days since 1970 by counting whole years and months.
    let leap = |y: u64| y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400));
    let mut days: u64 = (1970..y).map(|y| if leap(y) { 366 } else { 365 }).sum();
    let months = [
        31,
        if leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    days += months[..(m - 1) as usize].iter().sum::<u64>() + d - 1;
    let secs = days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19);
    secs * 1000 + n(20..23)
}

fn now_ms() -> u64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    u64::try_from(since.as_millis()).unwrap()
}

impl Running {
    /// Skips lines until one about connection `conn`; returns its time and
    /// the rest after `conn N `.
    fn conn_line(&self, conn: u64) -> (u64, String) {
        let tag = format!(" conn {conn} ");
        let mut seen = vec![];
        loop {
            match self.lines.recv_timeout(WAIT) {
                Ok(l) => match l.split_once(&tag) {
                    Some((time, rest)) => return (parse_utc_ms(time), rest.to_string()),
                    None => seen.push(l),
                },
                Err(_) => panic!("no line for conn {conn}; saw {seen:?}"),
            }
        }
    }
}

#[test]
fn each_connection_is_announced_and_closed_with_utc_time() {
    // No test below logs in before the third connection, which the fault
    // closes.
    let mut run = Running::start(&["--listen", "127.0.0.1:0", "--drop-at", "LoginReq"]);
    let first = run.line();
    let addr = first.strip_prefix("listening on ").unwrap().to_string();

    // Closed by the client.
    let before = now_ms();
    let a = TcpStream::connect(&addr).unwrap();
    let (at, what) = run.conn_line(1);
    assert_eq!(what, format!("accepted from {}", a.local_addr().unwrap()));
    assert!(before <= at && at <= now_ms(), "{at} not within the test");
    drop(a);
    let (closed_at, what) = run.conn_line(1);
    assert_eq!(what, "closed: end of stream");
    assert!(at <= closed_at && closed_at <= now_ms());

    // Closed by close_connections.
    let b = TcpStream::connect(&addr).unwrap();
    assert_eq!(
        run.conn_line(2).1,
        format!("accepted from {}", b.local_addr().unwrap())
    );
    {
        let stdin = run.child.stdin.as_mut().unwrap();
        stdin.write_all(b"close_connections=now\n").unwrap();
        stdin.flush().unwrap();
    }
    assert_eq!(run.conn_line(2).1, "closed: close_connections");

    // Closed by a fault.
    let mut c = TcpStream::connect(&addr).unwrap();
    assert!(run.conn_line(3).1.starts_with("accepted from 127.0.0.1:"));
    c.write_all(&xml(
        "login-1",
        r#"<LoginReq Version="4.0" ClientName="IVR_01"/>"#,
    ))
    .unwrap();
    assert_eq!(run.conn_line(3).1, "closed: drop_at fault at LoginReq");
}
