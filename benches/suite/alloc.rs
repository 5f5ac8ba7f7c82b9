//! The suite's global allocator: counts allocations (the per-CallStatus
//! figure) and bytes held (the per-call heap figure), each only while
//! switched on, so that every other figure runs on the plain system
//! allocator's speed.
//!
//! Allocations are counted on the engine's threads only: the bench's own
//! threads (the test server, the main thread) mark themselves with
//! [`not_counted`].

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, Ordering};

pub struct Counting;

static COUNT_ALLOCS: AtomicBool = AtomicBool::new(false);
static TRACK_HELD: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static HELD: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    static EXCLUDED: Cell<bool> = const { Cell::new(false) };
}

fn counted_here() -> bool {
    !EXCLUDED.try_with(Cell::get).unwrap_or(true)
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counters are atomics and the thread-local is const-initialised (reading
// it never allocates).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNT_ALLOCS.load(Ordering::Relaxed) && counted_here() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        if TRACK_HELD.load(Ordering::Relaxed) {
            HELD.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if TRACK_HELD.load(Ordering::Relaxed) {
            HELD.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A realloc is counted as one allocation: it may move the block.
        if COUNT_ALLOCS.load(Ordering::Relaxed) && counted_here() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        if TRACK_HELD.load(Ordering::Relaxed) {
            HELD.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        // SAFETY: as for `dealloc`; the new size is what the caller asked.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// This thread's allocations are never counted (the bench's own threads).
pub fn not_counted() {
    EXCLUDED.with(|c| c.set(true));
}

/// Starts counting allocations from zero.
pub fn count_allocs_from_zero() {
    ALLOCS.store(0, Ordering::SeqCst);
    COUNT_ALLOCS.store(true, Ordering::SeqCst);
}

/// Stops counting; returns the count.
pub fn stop_counting_allocs() -> u64 {
    COUNT_ALLOCS.store(false, Ordering::SeqCst);
    ALLOCS.load(Ordering::SeqCst)
}

/// Tracks bytes held from now on (call once, at the start of a process
/// that measures memory).
pub fn track_held() {
    TRACK_HELD.store(true, Ordering::SeqCst);
}

/// Bytes allocated and not freed since `track_held`.
pub fn held() -> isize {
    HELD.load(Ordering::SeqCst)
}
