//! The latency probe: the test server stamps each CallStatus just before
//! writing it (one slot per call), and the receiving side (the C callback,
//! or the floor's dispatcher) reads the stamp of that call on entry. One
//! process, one clock (`Instant`), no timestamp inside the frame.
//!
//! A call gets its next CallStatus only after every other call had one
//! (round robin), so a slot is overwritten only if a latency exceeds
//! calls / rate (10,000 / 20,000 per s = 0.5 s in the suite).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use parking_lot::Mutex;

pub struct Probe {
    base: Instant,
    sent: Vec<AtomicU64>,
    samples: Mutex<Vec<u64>>,
    capacity: usize,
    recording: AtomicBool,
    pub received: AtomicUsize,
}

/// The id of call `i` as the probe reads it back: `L` and 7 digits.
pub fn call_id(i: usize) -> String {
    format!("L{i:07}")
}

/// The call number in an id made by [`call_id`].
fn index(id: &[u8]) -> Option<usize> {
    let digits = id.get(1..)?;
    let mut n = 0usize;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + usize::from(d - b'0');
    }
    Some(n)
}

impl Probe {
    /// For `calls` calls, keeping up to `capacity` latencies (allocated
    /// now, so recording never allocates).
    pub fn new(calls: usize, capacity: usize) -> Probe {
        Probe {
            base: Instant::now(),
            sent: (0..calls).map(|_| AtomicU64::new(0)).collect(),
            samples: Mutex::new(Vec::with_capacity(capacity)),
            capacity,
            recording: AtomicBool::new(false),
            received: AtomicUsize::new(0),
        }
    }

    fn now_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }

    /// The server is about to write call `i`'s CallStatus.
    pub fn stamp(&self, i: usize) {
        if let Some(slot) = self.sent.get(i) {
            slot.store(self.now_ns(), Ordering::Release);
        }
    }

    /// A CallStatus for call id `id` reached the application.
    pub fn received(&self, id: &[u8]) {
        if let Some(i) = index(id) {
            self.received_index(i);
        }
    }

    /// A CallStatus for call `i` reached the application.
    pub fn received_index(&self, i: usize) {
        let now = self.now_ns();
        self.received.fetch_add(1, Ordering::AcqRel);
        let Some(slot) = self.sent.get(i) else {
            return;
        };
        if self.recording.load(Ordering::Acquire) {
            let latency = now.saturating_sub(slot.load(Ordering::Acquire));
            let mut s = self.samples.lock();
            if s.len() < self.capacity {
                s.push(latency);
            }
        }
    }

    pub fn record(&self, on: bool) {
        self.recording.store(on, Ordering::Release);
    }

    /// The latencies recorded so far (ns), emptying the probe.
    pub fn take(&self) -> Vec<u64> {
        let mut s = self.samples.lock();
        let out = s.clone();
        s.clear(); // keeps the capacity: the next run records without allocating
        out
    }
}
