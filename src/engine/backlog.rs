//! Back-pressure: how much the application has not taken yet, and the gate
//! a connection's reader waits at while the application is behind.
//!
//! Every event and log line the core hands to the dispatcher is counted
//! until the application has taken it (its callback returned, or
//! `next_event` returned it). At `event_queue_max` the core closes the
//! current link's [`ReadGate`], so the reader stops reading and TCP pushes
//! back on the server; when the count is down to half, the core is told to
//! open it again. Nothing is ever dropped. Decides nothing about the
//! session: the core tells the session machine that reading paused.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use crossbeam_channel::Sender;
use parking_lot::{Condvar, Mutex};

use super::config::LogLevel;
use super::conn::Received;
use super::dispatch::Item;
use super::event::Event;

/// The one way items reach the dispatcher: each event and log line is
/// counted in the [`Backlog`] as it is sent, so the dispatcher (or
/// `next_event`) can count it out when the application has taken it. The
/// channel itself is unbounded; this count is what bounds it.
#[derive(Clone)]
pub(crate) struct Outbox {
    tx: Sender<Item>,
    backlog: Arc<Backlog>,
}

impl Outbox {
    pub(crate) fn new(tx: Sender<Item>, backlog: Arc<Backlog>) -> Outbox {
        Outbox { tx, backlog }
    }

    /// Sends an event; `true` when the backlog just became full.
    pub(crate) fn event(&self, event: Event) -> bool {
        self.counted(Item::Event(event))
    }

    /// Sends a log line; `true` when the backlog just became full.
    pub(crate) fn log(&self, level: LogLevel, text: String) -> bool {
        self.counted(Item::Log(level, text))
    }

    /// Sends a control item (`Seal`, `Stop`): not counted.
    pub(crate) fn control(&self, item: Item) {
        let _ = self.tx.send(item);
    }

    fn counted(&self, item: Item) -> bool {
        let full = self.backlog.added();
        if self.tx.send(item).is_err() {
            // The dispatcher is gone: nobody will take it.
            self.backlog.taken();
        }
        full
    }
}

/// Items handed to the application and not yet taken.
#[derive(Debug)]
pub(crate) struct Backlog {
    queued: AtomicUsize,
    max: usize,
    /// Set by the core when it paused reading; the first taker that brings
    /// the count down to half clears it and asks the core to resume.
    paused: AtomicBool,
    /// The most items ever waiting at once (for the stats).
    peak: AtomicUsize,
    /// How many times the backlog became full (each paused reading once).
    times_full: AtomicU64,
}

impl Backlog {
    pub(crate) fn new(max: usize) -> Backlog {
        Backlog {
            queued: AtomicUsize::new(0),
            max: max.max(1),
            paused: AtomicBool::new(false),
            peak: AtomicUsize::new(0),
            times_full: AtomicU64::new(0),
        }
    }

    /// One more item for the application. `true` when the backlog just
    /// became full and reading was not paused yet: the caller pauses it.
    pub(crate) fn added(&self) -> bool {
        let now = self.queued.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
        let full = now >= self.max && !self.paused.swap(true, Ordering::SeqCst);
        if full {
            self.times_full.fetch_add(1, Ordering::Relaxed);
        }
        full
    }

    /// The application took one item. `true` when reading was paused and
    /// the backlog is now down to half: the caller asks the core to resume
    /// (exactly one taker gets `true` per pause).
    pub(crate) fn taken(&self) -> bool {
        let before = self.queued.fetch_sub(1, Ordering::SeqCst);
        let now = before.saturating_sub(1);
        now <= self.max / 2
            && self.paused.load(Ordering::SeqCst)
            && self
                .paused
                .compare_exchange(true, false, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
    }

    /// Whether reading is paused for the application.
    pub(crate) fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// Items not yet taken.
    pub(crate) fn queued(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }

    /// The most items that were ever waiting at once.
    pub(crate) fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// How many times the backlog became full.
    pub(crate) fn times_full(&self) -> u64 {
        self.times_full.load(Ordering::Relaxed)
    }
}

/// Where a connection's reader waits before each read: while the
/// application is behind, or while too many of its batches wait for the
/// core. Shared by the reader and the core's handle on the link. The core
/// hands each batch's emptied list back here, so the reader reuses at most
/// [`MAX_IN_FLIGHT`] lists instead of allocating one per read.
#[derive(Debug, Default)]
pub(crate) struct ReadGate {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    paused: bool,
    closed: bool,
    /// Batches reported to the core and not yet handled.
    in_flight: usize,
    /// Emptied item lists, for the reader's next batches.
    spare: Vec<Vec<Received>>,
}

/// Batches of received frames a reader may have waiting for the core: the
/// bound on what sits between the socket and the core (each batch is at
/// most one 64 KiB read).
const MAX_IN_FLIGHT: usize = 4;

/// The largest item list kept for reuse. A read of 64 KiB of keep-alives
/// makes a list of about 11,000 items (several MB); one that grew that
/// large in a flood is freed, not kept for the rest of the link.
const MAX_KEPT_ITEMS: usize = 256;

impl ReadGate {
    /// Blocks until the reader may read again; `None` once the link is
    /// closed. Counts the batch the reader is about to report and gives it
    /// an empty list for the batch's items (a spare one when there is one).
    pub(crate) fn enter(&self) -> Option<Vec<Received>> {
        let mut s = self.state.lock();
        while !s.closed && (s.paused || s.in_flight >= MAX_IN_FLIGHT) {
            self.changed.wait(&mut s);
        }
        if s.closed {
            return None;
        }
        s.in_flight += 1;
        Some(s.spare.pop().unwrap_or_default())
    }

    /// One batch was handled (by the core, or dropped by the reader);
    /// `items` is its list, kept for a later batch once emptied.
    pub(crate) fn batch_done(&self, mut items: Vec<Received>) {
        items.clear();
        let mut s = self.state.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        if s.spare.len() < MAX_IN_FLIGHT && items.capacity() <= MAX_KEPT_ITEMS {
            s.spare.push(items);
        }
        self.changed.notify_all();
    }

    pub(crate) fn pause(&self) {
        self.state.lock().paused = true;
    }

    pub(crate) fn resume(&self) {
        self.state.lock().paused = false;
        self.changed.notify_all();
    }

    /// The link is gone: wake the reader for good.
    pub(crate) fn close(&self) {
        self.state.lock().closed = true;
        self.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn full_once_then_resume_once_at_half() {
        let b = Backlog::new(4);
        assert_eq!((0..3).map(|_| b.added()).collect::<Vec<_>>(), [false; 3]);
        assert!(b.added(), "the 4th fills it");
        assert!(!b.added(), "already paused");
        assert_eq!(b.queued(), 5);
        assert!(!b.taken() && !b.taken(), "3 left, above half");
        assert!(b.taken(), "2 left = half: resume");
        assert!(!b.taken(), "only one resume per pause");
        assert_eq!(b.queued(), 1);
    }

    #[test]
    fn peak_and_times_full_are_kept() {
        let b = Backlog::new(2);
        assert_eq!((b.peak(), b.times_full()), (0, 0));
        b.added();
        b.added();
        b.added();
        assert_eq!((b.peak(), b.times_full()), (3, 1), "full once, 3 at most");
        b.taken();
        b.taken();
        b.taken();
        assert_eq!(b.peak(), 3, "the peak stays");
        b.added();
        b.added();
        assert_eq!((b.queued(), b.peak(), b.times_full()), (2, 3, 2));
    }

    #[test]
    fn gate_blocks_while_paused_and_wakes_on_resume_or_close() {
        let g = Arc::new(ReadGate::default());
        g.pause();
        let g2 = g.clone();
        let reader = std::thread::spawn(move || g2.enter().is_some());
        std::thread::sleep(Duration::from_millis(20));
        assert!(!reader.is_finished(), "waits while paused");
        g.resume();
        assert!(reader.join().unwrap_or(false));

        g.pause();
        let g3 = g.clone();
        let reader = std::thread::spawn(move || g3.enter().is_some());
        g.close();
        assert!(!reader.join().unwrap_or(true), "closed: the reader stops");
    }

    #[test]
    fn gate_bounds_batches_in_flight() {
        let g = ReadGate::default();
        let mut lists: Vec<_> = (0..MAX_IN_FLIGHT).filter_map(|_| g.enter()).collect();
        assert_eq!(lists.len(), MAX_IN_FLIGHT);
        if let Some(list) = lists.pop() {
            g.batch_done(list);
        }
        assert!(
            g.enter().is_some(),
            "room for one more after the core took one"
        );
    }

    #[test]
    fn handled_lists_are_handed_out_again_emptied() {
        let g = ReadGate::default();
        let mut first = g.enter().unwrap_or_default();
        first.push(Err(crate::wire::ProtocolError {
            kind: crate::wire::ProtocolErrorKind::BadVersion,
            bytes: Vec::new(),
        }));
        first.reserve(16);
        let capacity = first.capacity();
        g.batch_done(first);
        let again = g.enter().unwrap_or_default();
        assert!(again.is_empty(), "emptied");
        assert_eq!(again.capacity(), capacity, "the same list, not a new one");
    }

    #[test]
    fn a_list_grown_past_the_limit_is_not_kept() {
        let g = ReadGate::default();
        let mut big = g.enter().unwrap_or_default();
        big.reserve(MAX_KEPT_ITEMS + 1);
        g.batch_done(big);
        let again = g.enter().unwrap_or_default();
        assert_eq!(again.capacity(), 0, "a fresh list, the large one was freed");
    }
}
