//! A minimal IVR-driver side for the simulator tests: builds request frames
//! by hand (canonical form), reads and decodes what the simulator sends.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::large_enum_variant
)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use ivrconf::sim::Simulator;
pub use ivrconf::wire;
use wire::{Body, Message};

/// Generous: only reached when a test fails.
pub const WAIT: Duration = Duration::from_secs(5);

pub fn start() -> Simulator {
    Simulator::start("127.0.0.1:0").expect("simulator starts")
}

/// One frame as read by the client.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    KeepAliveRequest,
    KeepAliveAck,
    ErrorAck,
    Message(Message),
    Undecodable(Vec<u8>),
}

pub struct Client {
    pub stream: TcpStream,
    buf: Vec<u8>,
    pub raw_log: Vec<u8>,
}

pub fn frame(payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() + 2) as u16;
    let mut f = vec![0, 3];
    f.extend_from_slice(&len.to_be_bytes());
    f.extend_from_slice(&[2, 0]);
    f.extend_from_slice(payload);
    f
}

pub fn xml(call_id: &str, element: &str) -> Vec<u8> {
    frame(
        format!(
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><!DOCTYPE GctiMsg SYSTEM \"IServer.dtd\"><GctiMsg><CallId>{call_id}</CallId>{element}</GctiMsg>"
        )
        .as_bytes(),
    )
}

impl Client {
    pub fn connect(sim: &Simulator) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", sim.port())).unwrap();
        stream.set_nodelay(true).unwrap();
        Client {
            stream,
            buf: vec![],
            raw_log: vec![],
        }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    pub fn send(&mut self, call_id: &str, element: &str) {
        let f = xml(call_id, element);
        self.send_raw(&f);
    }

    /// Logs in and returns the LoginResp.
    pub fn login(&mut self) -> Message {
        self.send(
            "login-1",
            "<LoginReq Version=\"4.0\" ClientName=\"IVR_01\" ReportStatus=\"true\" ServerMonitor=\"clear\"/>",
        );
        self.next_message().expect("LoginResp")
    }

    pub fn new_call(&mut self, call_id: &str) {
        self.send(
            call_id,
            "<NewCall CallControlMode=\"Network\" Version=\"4.0\"><CalledNum>5001</CalledNum><DNIS>8005551212</DNIS><ANI>4155550100</ANI></NewCall>",
        );
    }

    /// The next frame within `timeout`; `None` on timeout or end of stream.
    pub fn next_frame_within(&mut self, timeout: Duration) -> Option<Frame> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.buf.len() >= 6 {
                let len = u16::from_be_bytes([self.buf[2], self.buf[3]]) as usize;
                if self.buf.len() >= len + 4 {
                    let whole: Vec<u8> = self.buf.drain(..len + 4).collect();
                    let payload = &whole[6..];
                    return Some(match whole[1] {
                        0 => Frame::KeepAliveRequest,
                        1 => Frame::KeepAliveAck,
                        2 => Frame::ErrorAck,
                        _ => match wire::decode(payload) {
                            Ok(m) => Frame::Message(m),
                            Err(_) => Frame::Undecodable(payload.to_vec()),
                        },
                    });
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            self.stream.set_read_timeout(Some(left)).unwrap();
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => {
                    self.raw_log.extend_from_slice(&chunk[..n]);
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return None
                }
                Err(_) => return None,
            }
        }
    }

    /// The next XML message, skipping keep-alive frames.
    pub fn next_message(&mut self) -> Option<Message> {
        loop {
            match self.next_frame_within(WAIT)? {
                Frame::Message(m) => return Some(m),
                Frame::Undecodable(p) => panic!("undecodable frame: {p:?}"),
                _ => continue,
            }
        }
    }

    /// The next `n` messages as compact labels (see [`label`]).
    pub fn labels(&mut self, n: usize) -> Vec<String> {
        (0..n)
            .map(|_| label(&self.next_message().expect("a message")))
            .collect()
    }

    /// Proves nothing else was sent before it: asks for call info (answered
    /// in order) and returns every label up to and excluding the answer.
    pub fn drain_until_info(&mut self, call_id: &str) -> Vec<String> {
        self.send(call_id, "<CallInfoReq/>");
        let mut out = vec![];
        loop {
            let m = self.next_message().expect("CallInfoResp or CallError");
            let l = label(&m);
            if l.starts_with("CallInfoResp") || l.starts_with("CallError NoSuchCall") {
                return out;
            }
            out.push(l);
        }
    }

    /// True when the server closes the connection within `WAIT`.
    pub fn closed_by_server(&mut self) -> bool {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            self.stream
                .set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue
                }
                Err(_) => return true,
            }
        }
        false
    }
}

/// `Held` for a CallStatus, `CallError InitConf 56 4` (FailedReq, TLibErrCode,
/// ReqId, `-` when absent), otherwise the message name.
pub fn label(m: &Message) -> String {
    match &m.body {
        Body::CallStatus(s) => s.event.to_string(),
        Body::CallError(e) => format!(
            "CallError {} {} {}",
            e.failed_req.as_deref().unwrap_or("-"),
            e.tlib_err_code.as_deref().unwrap_or("-"),
            e.req_id.as_deref().unwrap_or("-")
        ),
        Body::EndCall(e) => format!("EndCall {}", e.end_cause.as_deref().unwrap_or("-")),
        other => other.name().to_string(),
    }
}

/// A logged-in client with call `C1` announced.
pub fn client_with_call(sim: &Simulator) -> Client {
    let mut c = Client::connect(sim);
    c.login();
    c.new_call("C1");
    c
}
