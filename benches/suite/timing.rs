//! How the suite times things, the same way in Rust and in the C++ peer
//! harness (benches/peers/peers.cpp): an operation is repeated until one
//! sample takes [`SAMPLE_NS`], [`SAMPLES`] samples are taken, and the
//! figure is the median of the samples' ns per op. Latencies are kept one
//! by one and summarised by percentiles.

use std::time::Instant;

/// Samples per figure (quick mode: 5).
pub const SAMPLES: usize = 31;
/// Target length of one sample, ns.
pub const SAMPLE_NS: u64 = 5_000_000;

/// Sampling parameters, smaller in quick mode (`cargo test`).
#[derive(Clone, Copy)]
pub struct Sampling {
    pub samples: usize,
    pub sample_ns: u64,
}

impl Sampling {
    pub fn new(quick: bool) -> Sampling {
        if quick {
            Sampling {
                samples: 5,
                sample_ns: 200_000,
            }
        } else {
            Sampling {
                samples: SAMPLES,
                sample_ns: SAMPLE_NS,
            }
        }
    }

    /// Median ns per call of `op`.
    pub fn median_ns(&self, mut op: impl FnMut()) -> f64 {
        // Calibrate: double the iterations until a run is long enough to
        // time, then scale to the sample length.
        let mut iters: u64 = 1;
        let per_op = loop {
            let t = Instant::now();
            for _ in 0..iters {
                op();
            }
            let ns = t.elapsed().as_nanos() as u64;
            if ns >= self.sample_ns / 4 || iters >= 1 << 30 {
                break ns as f64 / iters as f64;
            }
            iters *= 2;
        };
        let iters = ((self.sample_ns as f64 / per_op.max(1.0)) as u64).max(1);
        let mut samples: Vec<f64> = (0..self.samples)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..iters {
                    op();
                }
                t.elapsed().as_nanos() as f64 / iters as f64
            })
            .collect();
        median(&mut samples)
    }
}

pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Median, p99, p99.9 and max of a set of latencies (ns).
#[derive(Clone, Copy, Debug)]
pub struct Percentiles {
    pub median: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

/// Nearest-rank percentiles.
pub fn percentiles(mut v: Vec<u64>) -> Percentiles {
    v.sort_unstable();
    let at = |q: f64| -> f64 {
        if v.is_empty() {
            return f64::NAN;
        }
        let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
        v[rank - 1] as f64
    };
    Percentiles {
        median: at(0.5),
        p99: at(0.99),
        p999: at(0.999),
        max: at(1.0),
    }
}
