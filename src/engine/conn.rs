//! One connection to IVR Server: a thread that connects and then reads
//! (blocking `std::net`), and the way frames are written. The core writes
//! each frame itself while the socket takes it at once (a send that never
//! waits); what the socket does not take is queued for the connection's
//! writer thread, which writes it blocking (bounded by the write timeout),
//! and every later frame queues behind it until the queue is empty again.
//! So the core never blocks on the socket, and the writer thread only wakes
//! when the server is slow to read.
//!
//! Moves bytes only: it reports everything to the core (the reader under
//! the core's lock, on its own thread; the writer through the core
//! thread's channel), tagged with the session's link id, and writes what
//! the core hands it.
//! Decides nothing about the session (that is `crate::session`).

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crossbeam_channel::Sender;
use parking_lot::{Condvar, Mutex};
use socket2::SockRef;

use super::backlog::ReadGate;
use super::core::{CoreRef, Input};
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

/// The bytes on their way to the server, shared by the core (which writes
/// while the socket takes them at once) and the writer thread (which
/// writes, blocking, what the socket did not take).
#[derive(Default)]
struct Outbound {
    state: Mutex<OutState>,
    /// Bytes were queued for the writer, or the link is closing.
    wake: Condvar,
}

#[derive(Default)]
struct OutState {
    /// Bytes of whole frames not handed to the socket yet, in order.
    queued: Vec<u8>,
    /// The writer thread holds bytes it took from `queued` and has not
    /// written yet: nothing may be written ahead of them.
    writing: bool,
    /// A keep-alive ack is among the `queued` bytes: it stands for every
    /// request received since, so no second one is queued.
    ack_queued: bool,
    closed: bool,
}

/// Flags of the core's sends: never wait, and never raise `SIGPIPE` in
/// the application on a closed connection. Where there is no
/// `MSG_NOSIGNAL` (Apple), the standard library set `SO_NOSIGPIPE` on the
/// socket instead. The list is the standard library's own for its writes:
/// on OpenBSD and illumos nothing but this flag keeps the signal away.
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "solaris",
    target_os = "illumos",
))]
const SEND_NOW: libc::c_int = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "solaris",
    target_os = "illumos",
)))]
const SEND_NOW: libc::c_int = libc::MSG_DONTWAIT;

impl Outbound {
    /// Writes `frame` now if nothing is queued ahead of it and the socket
    /// takes it without waiting; else queues (the rest of) it for the
    /// writer thread. A keep-alive ack (`ack`) is skipped when one is
    /// queued already: `false` then.
    fn put(&self, stream: &TcpStream, frame: &[u8], ack: bool) -> bool {
        let mut s = self.state.lock();
        if ack && s.ack_queued {
            return false;
        }
        if s.closed {
            return true;
        }
        let mut rest = frame;
        if s.queued.is_empty() && !s.writing {
            let socket = SockRef::from(stream);
            while !rest.is_empty() {
                match socket.send_with_flags(rest, SEND_NOW) {
                    Ok(n) => rest = rest.get(n..).unwrap_or_default(),
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    // Full (or failed: the writer's own write then reports
                    // the error, with the same words as any write error).
                    Err(_) => break,
                }
            }
        }
        if !rest.is_empty() {
            s.queued.extend_from_slice(rest);
            s.ack_queued |= ack;
            self.wake.notify_one();
        }
        true
    }

    /// The writer thread's wait for bytes; `None` once the link is closed.
    /// The bytes are its own until [`Outbound::written`].
    fn take(&self, spare: Vec<u8>) -> Option<Vec<u8>> {
        let mut s = self.state.lock();
        s.writing = false;
        while s.queued.is_empty() && !s.closed {
            self.wake.wait(&mut s);
        }
        if s.closed {
            return None;
        }
        // Cleared as it goes: a request that arrives while this ack is on
        // its way gets an ack of its own.
        s.ack_queued = false;
        s.writing = true;
        Some(std::mem::replace(&mut s.queued, spare))
    }

    fn close(&self) {
        self.state.lock().closed = true;
        self.wake.notify_all();
    }
}

/// The core's handle on an open connection. Dropping it closes the socket,
/// which ends the reader and the writer.
pub(crate) struct LinkIo {
    pub(crate) link: LinkId,
    stream: TcpStream,
    out: Arc<Outbound>,
    /// Where the reader waits while the application is behind.
    pub(crate) gate: Arc<ReadGate>,
}

impl LinkIo {
    /// Writes a frame, or queues it for the writer thread when the socket
    /// does not take it at once. The queue holds what the core decided to
    /// send: API requests (one per API call, whose callers wait for each
    /// answer), probes (one per keep-alive interval) and the flow's own
    /// replies (at most one per server message for an op), so it is bounded
    /// by what the application does, not by what the server sends; a write
    /// blocked past the write timeout ends the link and frees it.
    pub(crate) fn write(&self, frame: Vec<u8>) {
        self.out.put(&self.stream, &frame, false);
    }

    /// Writes a keep-alive ack unless one is already queued: a server
    /// flooding requests cannot grow the queue. `true` when one was
    /// written or queued.
    pub(crate) fn ack_keep_alive(&self) -> bool {
        self.out.put(&self.stream, &KEEPALIVE_ACK, true)
    }
}

impl Drop for LinkIo {
    fn drop(&mut self) {
        // Whatever ends the link (loss, refusal, shutdown, a panic
        // unwinding the core) also ends the reader and writer threads.
        self.gate.close();
        self.out.close();
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
/// the engine is freed. The thread reports to the core on its own thread,
/// through `desk` (the core's lock); the writer's failures and panics go
/// to the core thread's channel `core`.
pub(crate) fn spawn(
    attempt: Attempt,
    core: Sender<Input>,
    desk: CoreRef,
) -> Option<thread::JoinHandle<()>> {
    let link = attempt.link;
    let core2 = core.clone();
    let spawned = thread::Builder::new()
        .name(format!("ivrconf-conn-{link}"))
        .spawn(move || {
            let guard = core.clone();
            guarded(link, guard, || run(attempt, &core, &desk))
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

fn run(attempt: Attempt, core: &Sender<Input>, desk: &CoreRef) {
    let link = attempt.link;
    // Handled here, under the core's lock: no hand-over to the core thread.
    // `false` once the core has stopped.
    let report = |event| desk.with(|c| c.conn_event(link, event)).is_some();
    let stream = match connect(&attempt.target, attempt.connect_timeout) {
        Ok(s) => s,
        Err(e) => {
            report(ConnEvent::ConnectFailed(e));
            return;
        }
    };
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(attempt.write_timeout);
    let (for_writer, for_core) = match (stream.try_clone(), stream.try_clone()) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            report(ConnEvent::ConnectFailed(format!(
                "cannot clone socket: {e}"
            )));
            return;
        }
    };
    let out = Arc::new(Outbound::default());
    let core_w = core.clone();
    let out_w = out.clone();
    let writer = thread::Builder::new()
        .name(format!("ivrconf-write-{link}"))
        .spawn(move || {
            let guard = core_w.clone();
            guarded(link, guard, || write_loop(link, for_writer, &out_w, core_w))
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
        out,
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

/// The largest write buffer the writer keeps between turns.
const MAX_SPARE: usize = 1 << 20;

/// The writer thread: writes, blocking, what the core's sends left queued.
fn write_loop(link: LinkId, mut stream: TcpStream, out: &Outbound, core: Sender<Input>) {
    let mut spare = Vec::new();
    while let Some(mut bytes) = out.take(spare) {
        if let Err(e) = stream.write_all(&bytes) {
            let why = if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) {
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
        bytes.clear();
        // Kept for the next turn unless a backlog made it large.
        spare = if bytes.capacity() <= MAX_SPARE {
            bytes
        } else {
            Vec::new()
        };
    }
}
