//! The engine's counters: what went over the wire, the session's attempts,
//! logins and losses, calls and operations. The core thread counts where it
//! already handles the thing; any thread reads a [`Stats`] snapshot without
//! asking the core (so it also works after shutdown).
//!
//! Counts only: decides nothing, and the back-pressure figures (events
//! queued, their peak, times full) are the backlog's own.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::flow::Outcome;

/// A snapshot of the counters. Every counter counts since the engine
/// started, except `calls_live` and `events_queued` (now).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames received (keep-alives and frames that do not decode included).
    pub frames_in: u64,
    /// Bytes read from the server's sockets.
    pub bytes_in: u64,
    /// Frames handed to the connection's writer (keep-alive answers included).
    pub frames_out: u64,
    /// Bytes of those frames.
    pub bytes_out: u64,
    /// Received frames whose XML did not decode, and framing errors (each
    /// ends its link).
    pub decode_errors: u64,
    /// TCP connection attempts started.
    pub connect_attempts: u64,
    /// Successful logins (`SESSION_UP`).
    pub logins: u64,
    /// Logged-in sessions lost (`SESSION_DOWN`).
    pub link_losses: u64,
    /// Calls live now.
    pub calls_live: u64,
    /// Calls announced (`call_new` accepted).
    pub calls_total: u64,
    /// Operations started (an op id handed out).
    pub ops_started: u64,
    /// Operations ended, per outcome: index `outcome as usize - 1`
    /// (see [`Stats::ops_ended`]).
    pub ops_ended: [u64; Outcome::ALL.len()],
    /// Events and log lines handed to the application and not taken yet.
    pub events_queued: u64,
    /// The most that were ever waiting at once.
    pub events_queued_max: u64,
    /// Times the queue reached `event_queue_max` (reading paused).
    pub event_queue_full: u64,
}

impl Stats {
    /// Operations that ended with `outcome`.
    pub fn ops_ended(&self, outcome: Outcome) -> u64 {
        self.ops_ended
            .get((outcome as usize).saturating_sub(1))
            .copied()
            .unwrap_or(0)
    }
}

/// The live counters (the backlog's figures excepted): written by the core
/// thread, read by anyone.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) frames_in: AtomicU64,
    pub(crate) bytes_in: AtomicU64,
    pub(crate) frames_out: AtomicU64,
    pub(crate) bytes_out: AtomicU64,
    pub(crate) decode_errors: AtomicU64,
    pub(crate) connect_attempts: AtomicU64,
    pub(crate) logins: AtomicU64,
    pub(crate) link_losses: AtomicU64,
    pub(crate) calls_live: AtomicU64,
    pub(crate) calls_total: AtomicU64,
    pub(crate) ops_started: AtomicU64,
    ops_ended: [AtomicU64; Outcome::ALL.len()],
}

/// Adds `n` to a counter. Relaxed: each counter is a tally on its own; a
/// snapshot is not one instant across counters.
pub(crate) fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn op_ended(&self, outcome: Outcome) {
        if let Some(c) = self.ops_ended.get((outcome as usize).saturating_sub(1)) {
            add(c, 1);
        }
    }

    /// The counters now, with the backlog's figures left at 0 (the caller
    /// adds them).
    pub(crate) fn snapshot(&self) -> Stats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            frames_in: get(&self.frames_in),
            bytes_in: get(&self.bytes_in),
            frames_out: get(&self.frames_out),
            bytes_out: get(&self.bytes_out),
            decode_errors: get(&self.decode_errors),
            connect_attempts: get(&self.connect_attempts),
            logins: get(&self.logins),
            link_losses: get(&self.link_losses),
            calls_live: get(&self.calls_live),
            calls_total: get(&self.calls_total),
            ops_started: get(&self.ops_started),
            ops_ended: self.ops_ended.each_ref().map(get),
            events_queued: 0,
            events_queued_max: 0,
            event_queue_full: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_outcome_has_its_own_counter() {
        let c = Counters::default();
        for (i, outcome) in Outcome::ALL.into_iter().enumerate() {
            for _ in 0..=i {
                c.op_ended(outcome);
            }
        }
        let s = c.snapshot();
        for (i, outcome) in Outcome::ALL.into_iter().enumerate() {
            assert_eq!(s.ops_ended(outcome), i as u64 + 1, "{outcome}");
        }
    }

    #[test]
    fn snapshot_reads_every_counter() {
        let c = Counters::default();
        add(&c.frames_in, 3);
        add(&c.bytes_in, 300);
        add(&c.logins, 1);
        c.calls_live.store(2, Ordering::Relaxed);
        let s = c.snapshot();
        assert_eq!(
            (
                s.frames_in,
                s.bytes_in,
                s.logins,
                s.calls_live,
                s.frames_out
            ),
            (3, 300, 1, 2, 0)
        );
    }
}
