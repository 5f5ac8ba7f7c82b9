//! Flow engine benchmarks: events per second through the state machine for
//! full consult conferences over 1,000, 10,000 and 100,000 live calls, and
//! bytes held per live call (a counting global allocator). The workload is
//! `benches/common/flow_script.rs`, shared with the `make bench` suite,
//! whose table is the one docs/BENCHMARKS.md shows.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use ivrconf::flow::{Flow, FlowConfig};

#[path = "common/flow_script.rs"]
mod flow_script;
use flow_script::{consult_conferences, drain, mid_consult, Script};

/// Counts the bytes currently allocated through the global allocator.
struct Counting;

static HELD: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HELD.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        HELD.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: as for `dealloc`; the new size is what the caller asked.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Live calls for the memory figure.
const MEMORY_CALLS: usize = 10_000;

/// Bytes held per live call: calls announced, and calls in the middle of a
/// consult (op in flight, timer armed).
fn memory_per_call(s: &Script) -> (f64, f64) {
    let base = HELD.load(Ordering::Relaxed);
    let mut flow = Flow::new(FlowConfig::default());
    flow.link_up(0);
    for i in 0..s.calls() {
        let _ = flow.call_new(0, s.id(i), "5001", None, None, Vec::new());
        drain(&mut flow);
    }
    let announced = HELD.load(Ordering::Relaxed) - base;
    mid_consult(s, &mut flow, 2);
    let consulting = HELD.load(Ordering::Relaxed) - base;
    black_box(&flow);
    let n = s.calls() as f64;
    (announced as f64 / n, consulting as f64 / n)
}

/// A plain timed run: events per second over `rounds` runs.
fn events_per_second(s: &Script, rounds: usize) -> f64 {
    consult_conferences(s); // warm-up
    let start = Instant::now();
    for _ in 0..rounds {
        consult_conferences(s);
    }
    (rounds * s.events()) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let (announced, consulting) = memory_per_call(&Script::new(MEMORY_CALLS));
    println!("flow memory: {announced:.0} bytes per announced call, {consulting:.0} bytes per call in a consult ({MEMORY_CALLS} live calls)");
    assert!(
        consulting <= 512.0,
        "per-call memory above the 512-byte budget"
    );
    let timed = std::env::args().any(|a| a == "--bench");
    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(10));
    // `cargo test --all-targets` runs this binary without `--bench`: then
    // criterion checks each benchmark once (100,000 calls left out, slow in
    // a debug build) and the timed run is skipped.
    let sizes: &[usize] = if timed {
        &[1_000, 10_000, 100_000]
    } else {
        &[1_000, 10_000]
    };
    for &calls in sizes {
        let s = Script::new(calls);
        if timed {
            let eps = events_per_second(&s, (2_000_000 / s.events()).max(3));
            println!(
                "flow throughput: {:.2} M events/s (full consult conferences, {calls} live calls, one core)",
                eps / 1e6
            );
        }
        let mut group = c.benchmark_group("flow");
        group.throughput(Throughput::Elements(s.events() as u64));
        group.sample_size(10);
        group.bench_function(format!("consult_conference_x{calls}"), |b| {
            b.iter(|| consult_conferences(&s))
        });
        group.finish();
    }
    c.final_summary();
}
