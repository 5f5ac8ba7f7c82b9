//! Connection lifecycle notices: a connection accepted (from which peer)
//! and closed (why), delivered to an optional observer as they happen. The
//! program prints its `conn N accepted` / `conn N closed` lines from here.
//!
//! Owns the notice types and the "first reason wins" rule for a closing
//! connection; must not touch sockets or decide when to close.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use parking_lot::Mutex;

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client closed its side.
    EndOfStream,
    /// Reading failed (the text is the I/O error).
    ReadError(String),
    /// A bad frame header (the text is the protocol error).
    ProtocolError(String),
    /// The `drop_after_frames` fault, after this many frames.
    DropAfterFrames(u64),
    /// The `drop_at` fault, at this message.
    DropAt(String),
    /// Writing failed or stayed blocked past `write_timeout_ms`.
    WriteError(String),
    /// `close_connections`.
    CloseConnections,
    /// The simulator was shut down.
    Shutdown,
    /// The connection could not be set up (socket options, threads).
    SetupFailed(String),
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::EndOfStream => f.write_str("end of stream"),
            CloseReason::ReadError(e) => write!(f, "read error: {e}"),
            CloseReason::ProtocolError(e) => write!(f, "protocol error: {e}"),
            CloseReason::DropAfterFrames(n) => {
                write!(f, "drop_after_frames fault after {n} frames")
            }
            CloseReason::DropAt(name) => write!(f, "drop_at fault at {name}"),
            CloseReason::WriteError(e) => write!(f, "write error: {e}"),
            CloseReason::CloseConnections => f.write_str("close_connections"),
            CloseReason::Shutdown => f.write_str("simulator shut down"),
            CloseReason::SetupFailed(e) => write!(f, "connection setup failed: {e}"),
        }
    }
}

/// What happened to a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    Accepted { peer: SocketAddr },
    Closed { reason: CloseReason },
}

/// One lifecycle notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionEvent {
    /// Connection number, from 1 in accept order (as in [`super::Record`]).
    pub conn: u64,
    /// Wall-clock time of the change.
    pub at: SystemTime,
    pub change: Change,
}

/// Called for every lifecycle notice, from the thread that saw the change.
pub type ConnectionObserver = Arc<dyn Fn(&ConnectionEvent) + Send + Sync>;

/// The reason a connection is closing, shared by its threads and its
/// handle: several may notice the end (the reader sees end of stream after
/// `close_connections` shut the socket), and the first to say why is right.
#[derive(Debug, Default)]
pub(crate) struct CloseCause(Mutex<Option<CloseReason>>);

impl CloseCause {
    /// Records `reason` unless one is already known.
    pub fn set(&self, reason: CloseReason) {
        self.0.lock().get_or_insert(reason);
    }

    /// The first reason given. Every way a connection ends names one
    /// before its worker stops; end of stream stands in should one not.
    pub fn get(&self) -> CloseReason {
        self.0.lock().clone().unwrap_or(CloseReason::EndOfStream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_reason_wins() {
        let cause = CloseCause::default();
        cause.set(CloseReason::CloseConnections);
        cause.set(CloseReason::EndOfStream);
        assert_eq!(cause.get(), CloseReason::CloseConnections);
        assert_eq!(cause.get().to_string(), "close_connections");
    }
}
