//! One connection to IVR Server: a thread that connects and then reads
//! (blocking `std::net`), and a writer thread fed by a channel, so the core
//! thread never blocks on the socket.
//!
//! Reports everything to the core as `Input::Conn` tagged with the
//! connection's generation; decides nothing about the session.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{unbounded, Receiver, Sender};

use super::core::Input;
use super::panic_text;
use crate::wire::{FrameReader, Inbound, ProtocolError, KEEPALIVE_ACK};

/// What a connection reports to the core.
pub(crate) enum ConnEvent {
    /// TCP is up; frames go to `writer`; `stream` is kept to close it.
    Connected {
        stream: TcpStream,
        writer: Sender<Vec<u8>>,
    },
    /// The connect attempt failed.
    ConnectFailed(String),
    /// Bytes arrived (any byte counts for supervision); the frames they
    /// completed, in order. A protocol error is always last.
    Rx(Vec<Result<Inbound, ProtocolError>>),
    /// End of stream, a read error or a failed write.
    Closed(String),
    /// The connection's thread panicked (a bug): reported to the
    /// application as `ENGINE_ERROR`, handled as a link loss.
    Panicked(String),
}

/// Runs `body`, turning a panic into a `Panicked` report to the core.
fn guarded(gen: u64, core: Sender<Input>, body: impl FnOnce()) {
    if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        let _ = core.send(Input::Conn {
            gen,
            event: ConnEvent::Panicked(panic_text(&*payload)),
        });
    }
}

/// One connection attempt, as the core asks for it.
pub(crate) struct Attempt {
    pub gen: u64,
    /// `host:port`.
    pub target: String,
    pub connect_timeout: Duration,
    /// A write blocked this long is a link loss (a server that stopped
    /// reading); `None` = no limit.
    pub write_timeout: Option<Duration>,
    /// Written before anything else, the ack of a keep-alive request
    /// included: the `LoginReq` (PROTOCOL 4.2).
    pub first_frame: Vec<u8>,
}

/// Starts a connection attempt in its own thread; the handle is joined when
/// the engine is freed.
pub(crate) fn spawn(attempt: Attempt, core: Sender<Input>) -> Option<thread::JoinHandle<()>> {
    let gen = attempt.gen;
    let core2 = core.clone();
    let spawned = thread::Builder::new()
        .name(format!("ivrconf-conn-{gen}"))
        .spawn(move || {
            let guard = core.clone();
            guarded(gen, guard, || run(attempt, &core))
        });
    match spawned {
        Ok(handle) => Some(handle),
        Err(e) => {
            let event = ConnEvent::ConnectFailed(format!("cannot spawn thread: {e}"));
            let _ = core2.send(Input::Conn { gen, event });
            None
        }
    }
}

fn connect(target: &str, timeout: Duration) -> Result<TcpStream, String> {
    let addrs: Vec<SocketAddr> = target
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {target}: {e}"))?
        .collect();
    let mut last = format!("no address for {target}");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = format!("connect to {addr}: {e}"),
        }
    }
    Err(last)
}

fn run(attempt: Attempt, core: &Sender<Input>) {
    let gen = attempt.gen;
    let report = |event| core.send(Input::Conn { gen, event }).is_ok();
    let stream = match connect(&attempt.target, attempt.connect_timeout) {
        Ok(s) => s,
        Err(e) => {
            report(ConnEvent::ConnectFailed(e));
            return;
        }
    };
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(attempt.write_timeout);
    let (writer_tx, writer_rx) = unbounded::<Vec<u8>>();
    let (for_writer, for_core) = match (stream.try_clone(), stream.try_clone()) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            report(ConnEvent::ConnectFailed(format!(
                "cannot clone socket: {e}"
            )));
            return;
        }
    };
    // Queued before the reader starts, so nothing (not even a keep-alive
    // ack) can be written ahead of it.
    let _ = writer_tx.send(attempt.first_frame);
    let core_w = core.clone();
    let writer = thread::Builder::new()
        .name(format!("ivrconf-write-{gen}"))
        .spawn(move || {
            let guard = core_w.clone();
            guarded(gen, guard, || {
                write_loop(gen, for_writer, writer_rx, core_w)
            })
        });
    let writer = match writer {
        Ok(w) => w,
        Err(e) => {
            report(ConnEvent::ConnectFailed(format!(
                "cannot spawn writer: {e}"
            )));
            return;
        }
    };
    if report(ConnEvent::Connected {
        stream: for_core,
        writer: writer_tx.clone(),
    }) {
        read_loop(stream, &writer_tx, report);
    }
    // The writer ends once the core has dropped its sender too (it closes
    // the link after our report); joining it here lets the engine join
    // just this thread.
    drop(writer_tx);
    let _ = writer.join();
}

fn read_loop(mut stream: TcpStream, writer: &Sender<Vec<u8>>, report: impl Fn(ConnEvent) -> bool) {
    let mut reader = FrameReader::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => {
                let left = reader.buffered_len();
                let why = if left > 0 {
                    format!("end of stream ({left} bytes of an unfinished frame discarded)")
                } else {
                    "end of stream".to_string()
                };
                report(ConnEvent::Closed(why));
                return;
            }
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                report(ConnEvent::Closed(format!("read error: {e}")));
                return;
            }
        };
        reader.push(&buf[..n]);
        let mut items = Vec::new();
        let mut dead = false;
        for item in reader.by_ref() {
            match &item {
                // Answered here, at once, before the core even sees it
                // (PROTOCOL 1.7): the ack must not wait behind other work.
                Ok(Inbound::KeepAliveRequest { .. }) => {
                    let _ = writer.send(KEEPALIVE_ACK.to_vec());
                }
                Err(_) => dead = true,
                Ok(_) => {}
            }
            items.push(item);
            if dead {
                break;
            }
        }
        if !report(ConnEvent::Rx(items)) || dead {
            return;
        }
    }
}

fn write_loop(gen: u64, mut stream: TcpStream, rx: Receiver<Vec<u8>>, core: Sender<Input>) {
    while let Ok(frame) = rx.recv() {
        if let Err(e) = stream.write_all(&frame) {
            let _ = core.send(Input::Conn {
                gen,
                event: ConnEvent::Closed(format!("write error: {e}")),
            });
            return;
        }
    }
}
