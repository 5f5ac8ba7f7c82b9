//! One connection to IVR Server: a thread that connects and then reads
//! (blocking `std::net`), and a writer thread fed by a channel, so the core
//! thread never blocks on the socket.
//!
//! Moves bytes only: it reports everything to the core as `Input::Conn`
//! tagged with the session's link id, and writes what the core hands it.
//! Decides nothing about the session (that is `crate::session`).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crossbeam_channel::{unbounded, Receiver, Sender};

use super::backlog::ReadGate;
use super::core::Input;
use super::panic_text;
use crate::session::LinkId;
use crate::wire::{FrameReader, Inbound, ProtocolError, RawPayload, KEEPALIVE_ACK};

/// One item read from the connection, with the XML payload as received
/// when the engine records the wire.
pub(crate) type Received = Result<(Inbound, RawPayload), ProtocolError>;

/// What a connection reports to the core.
pub(crate) enum ConnEvent {
    /// TCP is up; frames go to `writer`.
    Connected(LinkIo),
    /// The connect attempt failed.
    ConnectFailed(String),
    /// `bytes` arrived (any byte counts for supervision); the frames they
    /// completed, in order. A protocol error is always last.
    Rx { items: Vec<Received>, bytes: usize },
    /// End of stream, a read error or a failed write.
    Closed(String),
    /// The connection's thread panicked (a bug): reported to the
    /// application as `ENGINE_ERROR`, handled as a link loss.
    Panicked(String),
}

/// What the writer thread writes.
enum Outgoing {
    Frame(Vec<u8>),
    /// One keep-alive ack, standing for every request received since the
    /// last one was written.
    KeepAliveAck,
}

/// The core's handle on an open connection. Dropping it closes the socket,
/// which ends the reader and (once its queue is dropped) the writer.
pub(crate) struct LinkIo {
    pub(crate) link: LinkId,
    stream: TcpStream,
    writer: Sender<Outgoing>,
    /// An ack is queued and not yet written.
    ack_pending: Arc<AtomicBool>,
    /// Where the reader waits while the application is behind.
    pub(crate) gate: Arc<ReadGate>,
}

impl LinkIo {
    /// Queues a frame. The queue holds what the core decided to send: API
    /// requests (one per API call, whose callers wait for each answer),
    /// probes (one per keep-alive interval) and the flow's own replies (at
    /// most one per server message for an op), so it is bounded by what the
    /// application does, not by what the server sends; a write blocked past
    /// the write timeout ends the link and frees it.
    pub(crate) fn write(&self, frame: Vec<u8>) {
        let _ = self.writer.send(Outgoing::Frame(frame));
    }

    /// Queues a keep-alive ack unless one is already waiting to be written:
    /// a server flooding requests cannot grow the queue. `true` when one
    /// was queued.
    pub(crate) fn ack_keep_alive(&self) -> bool {
        let queued = !self.ack_pending.swap(true, Ordering::SeqCst);
        if queued {
            let _ = self.writer.send(Outgoing::KeepAliveAck);
        }
        queued
    }
}

impl Drop for LinkIo {
    fn drop(&mut self) {
        // Whatever ends the link (loss, refusal, shutdown, a panic
        // unwinding the core) also ends the reader and writer threads.
        self.gate.close();
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// Runs `body`, turning a panic into a `Panicked` report to the core.
fn guarded(link: LinkId, core: Sender<Input>, body: impl FnOnce()) {
    if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        let _ = core.send(Input::Conn {
            link,
            event: ConnEvent::Panicked(panic_text(&*payload)),
        });
    }
}

/// One connection attempt, as the session asks for it.
pub(crate) struct Attempt {
    pub link: LinkId,
    /// `host:port`.
    pub target: String,
    pub connect_timeout: Duration,
    /// A write blocked this long is a link loss (a server that stopped
    /// reading); `None` = no limit.
    pub write_timeout: Option<Duration>,
    /// Keep each XML payload as received (the flight recorder and the
    /// trace log show the bytes, not a re-encoding).
    pub keep_payloads: bool,
}

/// Starts a connection attempt in its own thread; the handle is joined when
/// the engine is freed.
pub(crate) fn spawn(attempt: Attempt, core: Sender<Input>) -> Option<thread::JoinHandle<()>> {
    let link = attempt.link;
    let core2 = core.clone();
    let spawned = thread::Builder::new()
        .name(format!("ivrconf-conn-{link}"))
        .spawn(move || {
            let guard = core.clone();
            guarded(link, guard, || run(attempt, &core))
        });
    match spawned {
        Ok(handle) => Some(handle),
        Err(e) => {
            let event = ConnEvent::ConnectFailed(format!("cannot spawn thread: {e}"));
            let _ = core2.send(Input::Conn { link, event });
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
    let link = attempt.link;
    let report = |event| core.send(Input::Conn { link, event }).is_ok();
    let stream = match connect(&attempt.target, attempt.connect_timeout) {
        Ok(s) => s,
        Err(e) => {
            report(ConnEvent::ConnectFailed(e));
            return;
        }
    };
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(attempt.write_timeout);
    let (writer_tx, writer_rx) = unbounded::<Outgoing>();
    let (for_writer, for_core) = match (stream.try_clone(), stream.try_clone()) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            report(ConnEvent::ConnectFailed(format!(
                "cannot clone socket: {e}"
            )));
            return;
        }
    };
    let ack_pending = Arc::new(AtomicBool::new(false));
    let core_w = core.clone();
    let ack_w = ack_pending.clone();
    let writer = thread::Builder::new()
        .name(format!("ivrconf-write-{link}"))
        .spawn(move || {
            let guard = core_w.clone();
            guarded(link, guard, || {
                write_loop(link, for_writer, writer_rx, &ack_w, core_w)
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
    let gate = Arc::new(ReadGate::default());
    let io = LinkIo {
        link,
        stream: for_core,
        writer: writer_tx,
        ack_pending,
        gate: gate.clone(),
    };
    // Reported before the first read, so the core has queued the LoginReq
    // before it can see (and answer) anything the server sends.
    if report(ConnEvent::Connected(io)) {
        read_loop(stream, &gate, attempt.keep_payloads, report);
    }
    // The writer ends once the core has dropped the link (it closes it
    // after our report); joining it here lets the engine join just this
    // thread.
    let _ = writer.join();
}

fn read_loop(
    mut stream: TcpStream,
    gate: &ReadGate,
    keep_payloads: bool,
    report: impl Fn(ConnEvent) -> bool,
) {
    let mut reader = FrameReader::new();
    let mut buf = vec![0u8; 64 * 1024];
    // Waiting here (not reading) is what pushes back on the server.
    while let Some(mut items) = gate.enter() {
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
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                gate.batch_done(items);
                continue;
            }
            Err(e) => {
                report(ConnEvent::Closed(format!("read error: {e}")));
                return;
            }
        };
        reader.push(&buf[..n]);
        let mut dead = false;
        let next = |r: &mut FrameReader| {
            if keep_payloads {
                r.next_with_payload()
            } else {
                r.next().map(|item| item.map(|i| (i, None)))
            }
        };
        while let Some(item) = next(&mut reader) {
            dead = item.is_err();
            items.push(item);
            if dead {
                break;
            }
        }
        if !report(ConnEvent::Rx { items, bytes: n }) || dead {
            return;
        }
    }
}

fn write_loop(
    link: LinkId,
    mut stream: TcpStream,
    rx: Receiver<Outgoing>,
    ack_pending: &AtomicBool,
    core: Sender<Input>,
) {
    while let Ok(item) = rx.recv() {
        let written = match &item {
            Outgoing::Frame(frame) => stream.write_all(frame),
            Outgoing::KeepAliveAck => {
                // Cleared before writing: a request that arrives while this
                // ack is on its way gets an ack of its own.
                ack_pending.store(false, Ordering::SeqCst);
                stream.write_all(&KEEPALIVE_ACK)
            }
        };
        if let Err(e) = written {
            let why = if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) {
                format!("write error: the server is not reading ({e})")
            } else {
                format!("write error: {e}")
            };
            let _ = core.send(Input::Conn {
                link,
                event: ConnEvent::Closed(why),
            });
            return;
        }
    }
}
