//! The latency test server, in the bench process: a minimal IVR Server that
//! logs a client in, counts the calls it announces, and on request writes
//! CallStatus frames round robin over those calls at a steady rate,
//! stamping each in the [`Probe`] just before its write. The engine and the
//! floor's client are measured against the same server.
//!
//! Each call gets `ConfPartyAdd` and `ConfPartyDel` in turn: on an active
//! call with no operation each is applied (a party joins, a party leaves)
//! and reported as CALL_STATUS, with no warning and no reply, and never as
//! a duplicate of the one before, so the stream can run for as long as
//! wanted and every event takes the ordinary path.
//!
//! Its threads are the bench's own: their allocations are not counted.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, select, unbounded, Receiver, Sender};
use ivrconf::wire::{
    decode, encode_frame, Body, CallStatus, LoginResp, Message, StatusEvent, HEADER_LEN,
    KEEPALIVE_ACK,
};

use crate::alloc::not_counted;
use crate::floor::read_frames;
use crate::probe::{call_id, Probe};

/// Asks the connected client's writer to send `count` CallStatus frames at
/// `rate` per second; `done` is signalled after the last.
pub struct Pace {
    pub rate: f64,
    pub count: usize,
    pub done: Sender<()>,
}

pub struct TickServer {
    pub port: u16,
    pace: Sender<Pace>,
    /// NewCall messages received (all connections).
    pub announced: Arc<AtomicUsize>,
    /// Connections accepted so far; a connection is served (and takes
    /// `pace` requests) once counted here, after the previous one ended.
    pub accepted: Arc<AtomicUsize>,
    /// The CallStatus frames, as written: call `i`'s `ConfPartyAdd` at
    /// `2 * i`, its `ConfPartyDel` at `2 * i + 1`.
    pub frames: Arc<Vec<Vec<u8>>>,
}

/// The CallStatus frame at `j` of [`TickServer::frames`].
fn status_frame(j: usize) -> Vec<u8> {
    let event = if j.is_multiple_of(2) {
        StatusEvent::ConfPartyAdd
    } else {
        StatusEvent::ConfPartyDel
    };
    let msg = Message::new(call_id(j / 2), Body::CallStatus(CallStatus::of(event)));
    encode_frame(&msg).unwrap_or_default()
}

enum Local {
    Frame(Vec<u8>),
    Closed,
}

impl TickServer {
    /// Serves one connection at a time, until the process ends.
    pub fn start(calls: usize, probe: Arc<Probe>) -> std::io::Result<TickServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let (pace_tx, pace_rx) = unbounded::<Pace>();
        let announced = Arc::new(AtomicUsize::new(0));
        let frames: Arc<Vec<Vec<u8>>> = Arc::new((0..2 * calls).map(status_frame).collect());
        let accepted = Arc::new(AtomicUsize::new(0));
        let (a, f, n) = (announced.clone(), frames.clone(), accepted.clone());
        thread::Builder::new()
            .name("tick-accept".into())
            .spawn(move || {
                not_counted();
                for stream in listener.incoming().flatten() {
                    let _ = stream.set_nodelay(true);
                    n.fetch_add(1, Ordering::SeqCst);
                    serve(stream, &pace_rx, &a, &f, &probe);
                }
            })?;
        Ok(TickServer {
            port,
            pace: pace_tx,
            announced,
            accepted,
            frames,
        })
    }

    /// Writes `count` frames at `rate`/s to the connected client; returns
    /// when the last is written.
    pub fn pace(&self, rate: f64, count: usize) {
        let (done, wait) = bounded(1);
        if self.pace.send(Pace { rate, count, done }).is_ok() {
            let _ = wait.recv();
        }
    }
}

/// One connection: a reader thread (login, NewCall count, keep-alive acks)
/// and this thread as the writer.
fn serve(
    stream: TcpStream,
    pace: &Receiver<Pace>,
    announced: &Arc<AtomicUsize>,
    frames: &Arc<Vec<Vec<u8>>>,
    probe: &Probe,
) {
    let Ok(reader) = stream.try_clone() else {
        return;
    };
    let (tx, rx) = unbounded::<Local>();
    let counted = announced.clone();
    let reader = thread::Builder::new()
        .name("tick-read".into())
        .spawn(move || {
            not_counted();
            read_frames(reader, |frame| match frame[1] {
                0 => {
                    let _ = tx.send(Local::Frame(KEEPALIVE_ACK.to_vec()));
                }
                3 => match decode(&frame[HEADER_LEN..]).map(|m| (m.call_id, m.body)) {
                    Ok((id, Body::LoginReq(_))) => {
                        let resp = Message {
                            call_id: id,
                            body: Body::LoginResp(LoginResp {
                                iserver_version: Some("tick".into()),
                                result: "Success".into(),
                                status: Some("OK".into()),
                                config_options: None,
                            }),
                        };
                        let _ = tx.send(Local::Frame(encode_frame(&resp).unwrap_or_default()));
                    }
                    Ok((_, Body::NewCall(_))) => {
                        counted.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => {}
                },
                _ => {}
            });
            let _ = tx.send(Local::Closed);
        });
    if reader.is_err() {
        return;
    }
    let mut out = stream;
    // Frames written on this connection: where each call is in its turn.
    let mut sent = 0;
    // Short sleeps must end on time: the default 50 µs timer slack would
    // bunch the frames.
    // SAFETY: prctl with PR_SET_TIMERSLACK only changes this thread's slack.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1000 as libc::c_ulong) };
    loop {
        select! {
            recv(rx) -> m => match m {
                Ok(Local::Frame(f)) => {
                    if out.write_all(&f).is_err() {
                        return;
                    }
                }
                Ok(Local::Closed) | Err(_) => return,
            },
            recv(pace) -> p => {
                let Ok(p) = p else { return };
                let ok = run_pace(&mut out, &p, &rx, frames, probe, &mut sent);
                let _ = p.done.send(());
                if !ok {
                    return;
                }
            }
        }
    }
}

/// Frame `k` is due at `k / rate` seconds from the start; each is written
/// on its own, stamped just before the write. Every call's events
/// alternate across all runs (`sent` counts them), so none repeats.
fn run_pace(
    out: &mut TcpStream,
    p: &Pace,
    local: &Receiver<Local>,
    frames: &[Vec<u8>],
    probe: &Probe,
    sent: &mut usize,
) -> bool {
    if frames.len() < 2 {
        return true;
    }
    let calls = frames.len() / 2;
    let period = 1e9 / p.rate;
    let start = Instant::now();
    for k in 0..p.count {
        while let Ok(Local::Frame(f)) = local.try_recv() {
            if out.write_all(&f).is_err() {
                return false;
            }
        }
        let due = start + Duration::from_nanos((k as f64 * period) as u64);
        let now = Instant::now();
        if due > now {
            thread::sleep(due - now);
        }
        let n = *sent;
        *sent += 1;
        let i = n % calls;
        let del = (n / calls) % 2;
        probe.stamp(i);
        if out.write_all(&frames[2 * i + del]).is_err() {
            return false;
        }
    }
    true
}
