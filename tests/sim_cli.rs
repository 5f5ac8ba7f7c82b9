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
