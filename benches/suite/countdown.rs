//! What every throughput figure waits on: a count of finished operations
//! (conferences done, by the C callback or the floor's dispatcher) and a
//! way to sleep until it reaches a number.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

pub struct Countdown {
    done: AtomicUsize,
    want: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
}

impl Default for Countdown {
    fn default() -> Self {
        Countdown {
            done: AtomicUsize::new(0),
            want: AtomicUsize::new(usize::MAX),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        }
    }
}

impl Countdown {
    pub fn reset(&self) {
        self.done.store(0, Ordering::SeqCst);
    }

    pub fn one(&self) {
        let n = self.done.fetch_add(1, Ordering::AcqRel) + 1;
        if n >= self.want.load(Ordering::Acquire) {
            let _g = self.lock.lock();
            self.wake.notify_all();
        }
    }

    pub fn count(&self) -> usize {
        self.done.load(Ordering::Acquire)
    }

    /// Waits until `want` were counted since the last reset (false after
    /// `timeout`).
    pub fn wait(&self, want: usize, timeout: Duration) -> bool {
        self.want.store(want, Ordering::Release);
        let deadline = Instant::now() + timeout;
        let mut g = self.lock.lock();
        while self.count() < want {
            if self.wake.wait_until(&mut g, deadline).timed_out() {
                return self.count() >= want;
            }
        }
        true
    }
}
