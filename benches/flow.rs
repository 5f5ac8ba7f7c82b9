//! Flow engine benchmarks: events per second through the state machine for
//! full consult conferences over 10,000 live calls, and bytes held per live
//! call (a counting global allocator). Figures go to docs/BENCHMARKS.md.
//!
//! An "event" is one input: an application command or a server message.
//! Outputs are drained after every input, as the runtime does, and dropped.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use ivrconf::flow::{Flow, FlowConfig, OpKind};
use ivrconf::wire::{Body, CallStatus, Message, StatusEvent};

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

const CALLS: usize = 10_000;
/// Inputs per full consult conference: call_new, InitConf, Held, Dialing,
/// Ringing, Established, CompleteConf, Released, Retrieved, ConfPartyAdd,
/// call_end.
const INPUTS_PER_CALL: usize = 11;

/// Call ids and the server messages of every call, built once.
struct Script {
    ids: Vec<String>,
    statuses: Vec<[Message; 7]>,
}

fn script() -> Script {
    let ids: Vec<String> = (0..CALLS).map(|i| format!("C{i:05}")).collect();
    let statuses = ids
        .iter()
        .map(|id| {
            [
                StatusEvent::Held,
                StatusEvent::Dialing,
                StatusEvent::Ringing,
                StatusEvent::Established,
                StatusEvent::Released,
                StatusEvent::Retrieved,
                StatusEvent::ConfPartyAdd,
            ]
            .map(|e| Message::new(id.clone(), Body::CallStatus(CallStatus::of(e))))
        })
        .collect();
    Script { ids, statuses }
}

fn drain(flow: &mut Flow) {
    while let Some(out) = flow.poll_output() {
        black_box(out);
    }
}

/// Every call through a full consult conference, phase by phase, so that
/// all 10,000 calls are live at once.
fn consult_conferences(s: &Script) {
    let mut flow = Flow::new(FlowConfig::default());
    flow.link_up(0);
    let now = 1;
    for id in &s.ids {
        let _ = flow.call_new(now, id, "5001", None, None, Vec::new());
        drain(&mut flow);
    }
    for id in &s.ids {
        let _ = flow.start(now, id, OpKind::ConferenceConsult, "6001", Vec::new());
        drain(&mut flow);
    }
    for step in 0..7 {
        if step == 4 {
            for id in &s.ids {
                let _ = flow.complete(now, id, OpKind::ConferenceComplete);
                drain(&mut flow);
            }
        }
        for msgs in &s.statuses {
            flow.on_message(now, &msgs[step]);
            drain(&mut flow);
        }
    }
    for id in &s.ids {
        let _ = flow.call_end(now, id);
        drain(&mut flow);
    }
    assert_eq!(flow.call_count(), 0);
}

/// Bytes held per live call: 10,000 calls announced, and 10,000 calls in
/// the middle of a consult (op in flight, timer armed).
fn memory_per_call(s: &Script) -> (f64, f64) {
    let base = HELD.load(Ordering::Relaxed);
    let mut flow = Flow::new(FlowConfig::default());
    flow.link_up(0);
    for id in &s.ids {
        let _ = flow.call_new(0, id, "5001", None, None, Vec::new());
        drain(&mut flow);
    }
    let announced = HELD.load(Ordering::Relaxed) - base;
    for (id, msgs) in s.ids.iter().zip(&s.statuses) {
        let _ = flow.start(0, id, OpKind::ConferenceConsult, "6001", Vec::new());
        flow.on_message(0, &msgs[0]);
        flow.on_message(0, &msgs[1]);
        drain(&mut flow);
    }
    let consulting = HELD.load(Ordering::Relaxed) - base;
    black_box(&flow);
    (
        announced as f64 / CALLS as f64,
        consulting as f64 / CALLS as f64,
    )
}

/// A plain timed run, for the figure in docs/BENCHMARKS.md.
fn events_per_second(s: &Script) -> f64 {
    let rounds = 20;
    consult_conferences(s); // warm-up
    let start = Instant::now();
    for _ in 0..rounds {
        consult_conferences(s);
    }
    let elapsed = start.elapsed().as_secs_f64();
    (rounds * CALLS * INPUTS_PER_CALL) as f64 / elapsed
}

fn main() {
    let s = script();
    let (announced, consulting) = memory_per_call(&s);
    println!("flow memory: {announced:.0} bytes per announced call, {consulting:.0} bytes per call in a consult ({CALLS} live calls)");
    assert!(
        consulting <= 512.0,
        "per-call memory above the 512-byte budget"
    );
    // `cargo test --all-targets` runs this binary without `--bench`: then
    // criterion checks each benchmark once and the timed run is skipped.
    if std::env::args().any(|a| a == "--bench") {
        let eps = events_per_second(&s);
        println!("flow throughput: {:.2} M events/s (full consult conferences, {CALLS} live calls, one core)", eps / 1e6);
    }

    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(10));
    let mut group = c.benchmark_group("flow");
    group.throughput(Throughput::Elements((CALLS * INPUTS_PER_CALL) as u64));
    group.sample_size(20);
    group.bench_function("consult_conference_x10000", |b| {
        b.iter(|| consult_conferences(&s))
    });
    group.finish();
    c.final_summary();
}
