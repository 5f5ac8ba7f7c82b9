//! Resident set size of this process, sampled once a second from
//! /proc/self/statm by a thread of its own.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;

/// Resident bytes now; `None` where /proc is not available.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).unwrap_or(4096))
}

pub struct Sampler {
    samples: Arc<Mutex<Vec<u64>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// First, largest and last sample, and how many were taken.
#[derive(Debug, Clone, Copy, Default)]
pub struct RssSummary {
    pub first: u64,
    pub max: u64,
    pub last: u64,
    pub samples: usize,
}

impl Sampler {
    pub fn start() -> Sampler {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (samples.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("soak-rss".into())
            .spawn(move || {
                while !st.load(Ordering::SeqCst) {
                    if let Some(b) = resident_bytes() {
                        s.lock().push(b);
                    }
                    for _ in 0..10 {
                        if st.load(Ordering::SeqCst) {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            })
            .ok();
        Sampler {
            samples,
            stop,
            thread,
        }
    }

    /// The latest sample.
    pub fn latest(&self) -> u64 {
        self.samples.lock().last().copied().unwrap_or(0)
    }

    pub fn finish(mut self) -> RssSummary {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let s = self.samples.lock();
        RssSummary {
            first: s.first().copied().unwrap_or(0),
            max: s.iter().copied().max().unwrap_or(0),
            last: s.last().copied().unwrap_or(0),
            samples: s.len(),
        }
    }
}

pub fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}
