//! The listener and the public [`Simulator`] handle: accepts connections,
//! owns the settings and the traffic record, and stops and joins every
//! thread it started.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use parking_lot::{Mutex, RwLock};

use super::config::{Settings, SimError};
use super::connection::{self, ConnHandle, Ev};
use super::lifecycle::{Change, CloseReason, ConnectionEvent, ConnectionObserver};
use super::record::{Dir, Observer, Record, Recorder};
use super::replay::{Difference, Player};
use super::script::Calls;
use crate::wire;

/// How often the accept loop looks at the stop flag. Accepting is
/// non-blocking so that shutdown never depends on waking a blocked accept.
const ACCEPT_POLL: Duration = Duration::from_millis(5);

/// A call model that may outlive its connection.
pub(crate) type SharedCalls = Arc<Mutex<Calls>>;

/// State shared by the API, the accept loop and every connection.
pub(crate) struct Shared {
    settings: RwLock<Arc<Settings>>,
    pub recorder: Recorder,
    /// LoginReqs still to answer with InitInProgress.
    pub login_init_left: AtomicU64,
    pub conns: Mutex<HashMap<u64, ConnHandle>>,
    /// The calls of the last connection logged in with each `ClientName`
    /// (`drop_forgets_calls`). Locked before a connection's calls, never
    /// while holding them.
    pub clients: Mutex<HashMap<String, SharedCalls>>,
    pub threads: Mutex<Vec<JoinHandle<()>>>,
    /// The replay in progress (`replay` key). Locked alone, briefly.
    pub replay: Mutex<Option<Player>>,
    /// Replayed frames written so far (the player counts those handed out).
    pub replay_written: AtomicU64,
    stopping: AtomicBool,
    accepted: AtomicU64,
    connection_observer: RwLock<Option<ConnectionObserver>>,
}

impl Shared {
    /// A snapshot of the current settings.
    pub fn settings(&self) -> Arc<Settings> {
        self.settings.read().clone()
    }

    /// Tells the connection observer, if any, that `conn` changed now.
    pub fn notify(&self, conn: u64, change: Change) {
        let observer = self.connection_observer.read().clone();
        if let Some(f) = observer {
            f(&ConnectionEvent {
                conn,
                at: SystemTime::now(),
                change,
            });
        }
    }

    /// Closes every open connection, saying why.
    fn close_all(&self, reason: &CloseReason) {
        for c in self.conns.lock().values() {
            c.close(reason.clone());
        }
    }
}

/// A running IVR Server simulator. `Send + Sync`; dropping it stops it.
pub struct Simulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    acceptor: Mutex<Option<JoinHandle<()>>>,
}

impl Simulator {
    /// Listens on `listen` (e.g. `"127.0.0.1:0"`: port 0 picks a free one)
    /// and starts accepting.
    pub fn start(listen: &str) -> std::io::Result<Simulator> {
        let listener = TcpListener::bind(listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            settings: RwLock::new(Arc::new(Settings::default())),
            recorder: Recorder::new(Instant::now()),
            login_init_left: AtomicU64::new(0),
            conns: Mutex::new(HashMap::new()),
            clients: Mutex::new(HashMap::new()),
            threads: Mutex::new(Vec::new()),
            replay: Mutex::new(None),
            replay_written: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
            accepted: AtomicU64::new(0),
            connection_observer: RwLock::new(None),
        });
        let s = shared.clone();
        let acceptor = std::thread::Builder::new()
            .name("ivrconf-sim-accept".into())
            .spawn(move || accept_loop(&s, &listener))?;
        Ok(Simulator {
            shared,
            addr,
            acceptor: Mutex::new(Some(acceptor)),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Changes one setting (keys: [`super::KEYS`], docs/SIMULATOR.md).
    /// Takes effect at once for every connection, except `seed`, which
    /// applies to connections accepted afterwards.
    pub fn set(&self, key: &str, value: &str) -> Result<(), SimError> {
        match key.trim().to_ascii_lowercase().as_str() {
            "close_connections" => {
                self.close_connections();
                return Ok(());
            }
            "login_init_in_progress" => {
                let mut next = (*self.shared.settings()).clone();
                next.apply(key, value)?;
                self.shared
                    .login_init_left
                    .store(next.login_init_in_progress, Ordering::SeqCst);
                *self.shared.settings.write() = Arc::new(next);
            }
            _ => {
                // Validate on a copy: a refused value changes nothing.
                let mut settings = self.shared.settings.write();
                let mut next = (**settings).clone();
                next.apply(key, value)?;
                if key.trim().eq_ignore_ascii_case("reset") {
                    self.shared.login_init_left.store(0, Ordering::SeqCst);
                }
                self.shared.recorder.set_limit(next.record_limit);
                let key = key.trim().to_ascii_lowercase();
                if key == "replay" || key == "reset" {
                    // A new replay starts from the first recorded call.
                    *self.shared.replay.lock() = next.replay.clone().map(Player::new);
                    self.shared.replay_written.store(0, Ordering::SeqCst);
                }
                *settings = Arc::new(next);
            }
        }
        for c in self.shared.conns.lock().values() {
            let _ = c.tx.try_send(Ev::Wake);
        }
        Ok(())
    }

    /// The current settings.
    pub fn settings(&self) -> Settings {
        (*self.shared.settings()).clone()
    }

    /// XML messages received, by canonical name (ASCII case-insensitive);
    /// `None` = all. Pseudo-names count other frames: `#keepalive_request`,
    /// `#keepalive_ack`, `#error_ack`, `#decode_error`, `#protocol_error`.
    pub fn received_count(&self, name: Option<&str>) -> u64 {
        self.shared.recorder.count(Dir::ToServer, name)
    }

    /// Frames sent, counted like [`Simulator::received_count`].
    pub fn sent_count(&self, name: Option<&str>) -> u64 {
        self.shared.recorder.count(Dir::FromServer, name)
    }

    /// Every frame received and sent so far, in order.
    pub fn records(&self) -> Vec<Record> {
        self.shared.recorder.records()
    }

    /// Forgets the records and counts so far.
    pub fn clear_records(&self) {
        self.shared.recorder.clear();
    }

    /// Waits until `received_count(Some(name)) >= count`; false on timeout.
    pub fn wait_received(&self, name: &str, count: u64, timeout: Duration) -> bool {
        self.shared
            .recorder
            .wait(Dir::ToServer, Some(name), count, timeout)
    }

    /// Waits until `sent_count(Some(name)) >= count`; false on timeout.
    pub fn wait_sent(&self, name: &str, count: u64, timeout: Duration) -> bool {
        self.shared
            .recorder
            .wait(Dir::FromServer, Some(name), count, timeout)
    }

    /// Replay (`replay` key): every way the traffic so far departs from
    /// the recording, the recorded requests not sent yet included (each
    /// listed as missing), in the order seen; empty when nothing departs
    /// or no replay is set.
    pub fn replay_differences(&self) -> Vec<Difference> {
        self.shared
            .replay
            .lock()
            .as_ref()
            .map(Player::differences)
            .unwrap_or_default()
    }

    /// Replay: true once every recorded request has come (or been passed
    /// over) and every frame played for them has been written.
    pub fn replay_finished(&self) -> bool {
        let written = self.shared.replay_written.load(Ordering::SeqCst);
        self.shared
            .replay
            .lock()
            .as_ref()
            .is_some_and(|p| p.played_out() && written >= p.played())
    }

    /// Replay: the recorded calls, and how many a live call was matched to.
    pub fn replay_calls(&self) -> (usize, usize) {
        self.shared
            .replay
            .lock()
            .as_ref()
            .map_or((0, 0), Player::calls)
    }

    /// Connections accepted so far.
    pub fn connection_count(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.shared.conns.lock().len()
    }

    /// Drops every open connection now (later ones are accepted as usual).
    pub fn close_connections(&self) {
        self.shared.close_all(&CloseReason::CloseConnections);
    }

    /// Sends `msg` (canonical form unless `spelling` says otherwise, even
    /// when `silent`) on every open connection; false when there is none or
    /// the message cannot be encoded.
    pub fn send(&self, msg: &wire::Message) -> bool {
        if wire::encode_frame(msg).is_err() {
            return false;
        }
        let conns = self.shared.conns.lock();
        let mut any = false;
        for c in conns.values() {
            any |= c.tx.try_send(Ev::Inject(msg.clone())).is_ok();
        }
        any
    }

    /// Calls `observer` with every record as it is made (from the thread
    /// that made it); `None` removes it.
    pub fn set_observer(&self, observer: Option<Observer>) {
        self.shared.recorder.set_observer(observer);
    }

    /// Calls `observer` when a connection is accepted and when it closes
    /// (from the thread that saw it); `None` removes it.
    pub fn set_connection_observer(&self, observer: Option<ConnectionObserver>) {
        *self.shared.connection_observer.write() = observer;
    }

    /// Stops accepting, closes every connection and joins every thread.
    /// Idempotent.
    pub fn shutdown(&self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        if let Some(h) = self.acceptor.lock().take() {
            let _ = h.join();
        }
        self.shared.close_all(&CloseReason::Shutdown);
        loop {
            let batch: Vec<JoinHandle<()>> = std::mem::take(&mut *self.shared.threads.lock());
            if batch.is_empty() {
                break;
            }
            for h in batch {
                let _ = h.join();
            }
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(shared: &Arc<Shared>, listener: &TcpListener) {
    while !shared.stopping.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, peer)) => {
                let conn = shared.accepted.fetch_add(1, Ordering::SeqCst) + 1;
                connection::spawn(shared, stream, conn, peer);
                shared.threads.lock().retain(|h| !h.is_finished());
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(ACCEPT_POLL),
            Err(_) => std::thread::sleep(ACCEPT_POLL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Simulator;

    #[test]
    fn simulator_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Simulator>();
    }
}
