//! `ivrconf_stats`: the engine's counters in a struct that only grows at
//! its end. The caller says in `struct_size` how big its struct is; the
//! library fills the fields that fit, so a program built against an older
//! header (smaller struct) and one built against a newer header (bigger
//! struct, older library) both work.
//!
//! Must not count anything itself: the engine does.

#![allow(non_camel_case_types)]

use std::mem::{offset_of, size_of};

use super::args::non_null;
use super::boundary::Failure;
use super::engine::{engine_arg, ivrconf_engine};
use super::result::*;
use crate::engine::Stats;
use crate::flow::Outcome;

/// The engine's counters (`ivrconf_engine_stats`). Set `struct_size` to
/// `sizeof(ivrconf_stats)` before the call. Fields are only ever added at
/// the end. Every counter counts from the engine's start, except
/// `calls_live` and `events_queued` (now).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ivrconf_stats {
    /// In: `sizeof(ivrconf_stats)` of the caller's header. Out: the bytes
    /// the library filled (smaller when the library is older than the
    /// header: the fields past it are left as they were).
    pub struct_size: u32,
    /// Frames received from the server (keep-alives, and frames that do
    /// not decode, included).
    pub frames_in: u64,
    /// Bytes read from the server.
    pub bytes_in: u64,
    /// Frames handed to the connection for writing (keep-alive answers
    /// included).
    pub frames_out: u64,
    /// Bytes of those frames.
    pub bytes_out: u64,
    /// Received frames whose XML did not decode, plus framing errors (each
    /// of which ends its connection).
    pub decode_errors: u64,
    /// TCP connection attempts started.
    pub connect_attempts: u64,
    /// Successful logins (`SESSION_UP` events).
    pub logins: u64,
    /// Logged-in sessions lost (`SESSION_DOWN` events).
    pub link_losses: u64,
    /// Calls live now.
    pub calls_live: u64,
    /// Calls announced (`ivrconf_call_new` accepted).
    pub calls_total: u64,
    /// Operations started (an op id handed out).
    pub ops_started: u64,
    /// Operations ended `IVRCONF_OUTCOME_COMPLETED`.
    pub ops_completed: u64,
    /// Operations ended `IVRCONF_OUTCOME_BUSY`.
    pub ops_busy: u64,
    /// Operations ended `IVRCONF_OUTCOME_NO_ANSWER`.
    pub ops_no_answer: u64,
    /// Operations ended `IVRCONF_OUTCOME_FAILED`.
    pub ops_failed: u64,
    /// Operations ended `IVRCONF_OUTCOME_CANCELLED`.
    pub ops_cancelled: u64,
    /// Operations ended `IVRCONF_OUTCOME_CONSULT_RELEASED`.
    pub ops_consult_released: u64,
    /// Operations ended `IVRCONF_OUTCOME_RETRIEVE_FAILED`.
    pub ops_retrieve_failed: u64,
    /// Operations ended `IVRCONF_OUTCOME_CALL_ENDED`.
    pub ops_call_ended: u64,
    /// Operations ended `IVRCONF_OUTCOME_TIMEOUT`.
    pub ops_timeout: u64,
    /// Operations ended `IVRCONF_OUTCOME_LINK_LOST`.
    pub ops_link_lost: u64,
    /// Events and log lines handed to the application and not taken yet
    /// (callbacks not yet returned, or events not yet read in poll mode).
    pub events_queued: u64,
    /// The most that were ever waiting at once.
    pub events_queued_max: u64,
    /// Times the queue reached `event_queue_max` (each time the engine
    /// paused reading from the server).
    pub event_queue_full: u64,
}

/// `sizeof(ivrconf_stats)` in the first version (0.2): smaller sizes are
/// refused. Fixed for good: later versions only add fields after it.
pub(crate) const FIRST_SIZE: usize = offset_of!(ivrconf_stats, event_queue_full) + size_of::<u64>();

/// The C struct of a snapshot, `struct_size` 0 (the caller sets it).
fn to_c(s: &Stats) -> ivrconf_stats {
    let ended = |o| s.ops_ended(o);
    ivrconf_stats {
        struct_size: 0,
        frames_in: s.frames_in,
        bytes_in: s.bytes_in,
        frames_out: s.frames_out,
        bytes_out: s.bytes_out,
        decode_errors: s.decode_errors,
        connect_attempts: s.connect_attempts,
        logins: s.logins,
        link_losses: s.link_losses,
        calls_live: s.calls_live,
        calls_total: s.calls_total,
        ops_started: s.ops_started,
        ops_completed: ended(Outcome::Completed),
        ops_busy: ended(Outcome::Busy),
        ops_no_answer: ended(Outcome::NoAnswer),
        ops_failed: ended(Outcome::Failed),
        ops_cancelled: ended(Outcome::Cancelled),
        ops_consult_released: ended(Outcome::ConsultReleased),
        ops_retrieve_failed: ended(Outcome::RetrieveFailed),
        ops_call_ended: ended(Outcome::CallEnded),
        ops_timeout: ended(Outcome::Timeout),
        ops_link_lost: ended(Outcome::LinkLost),
        events_queued: s.events_queued,
        events_queued_max: s.events_queued_max,
        event_queue_full: s.event_queue_full,
    }
}

/// How many bytes to fill for a caller's `struct_size`: the whole fields
/// that fit in both its struct and ours; `None` below the first version.
fn fill_len(struct_size: u32) -> Option<usize> {
    let size = usize::try_from(struct_size).ok()?;
    if size < FIRST_SIZE {
        return None;
    }
    let counters = offset_of!(ivrconf_stats, frames_in);
    let whole = counters + (size - counters) / size_of::<u64>() * size_of::<u64>();
    Some(whole.min(size_of::<ivrconf_stats>()))
}

/// Writes the engine's counters to `*out`. The caller sets
/// `out->struct_size = sizeof(ivrconf_stats)`; the library fills the fields
/// that fit and sets `struct_size` to the bytes it filled. Answers in every
/// state, after `ivrconf_engine_shutdown` too, from any thread.
///
/// Errors: `IVRCONF_ERR_NULL_ARGUMENT`; `IVRCONF_ERR_INVALID_ARGUMENT` when
/// `struct_size` is below the first version's struct (nothing is written).
#[no_mangle]
pub extern "C" fn ivrconf_engine_stats(
    e: *mut ivrconf_engine,
    out: *mut ivrconf_stats,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_engine_stats, {
        non_null(&[(e.is_null(), "engine"), (out.is_null(), "out")])?;
        // SAFETY: `out` points to at least the `struct_size` it starts with
        // (the API contract); that field is always there.
        let struct_size = unsafe { std::ptr::addr_of!((*out).struct_size).read_unaligned() };
        let len = fill_len(struct_size).ok_or_else(|| {
            Failure::new(
                IVRCONF_ERR_INVALID_ARGUMENT,
                format!(
                    "struct_size {struct_size} is below sizeof(ivrconf_stats) of its first version ({FIRST_SIZE}); set it to sizeof(ivrconf_stats)"
                ),
            )
        })?;
        // SAFETY: a live handle (the API contract).
        let engine = unsafe { engine_arg(e) }?;
        let mut stats = to_c(&engine.stats());
        stats.struct_size = u32::try_from(len).unwrap_or(0);
        // SAFETY: `len` bytes fit in both structs: ours by `fill_len`, the
        // caller's by its `struct_size`; byte copies need no alignment.
        unsafe {
            std::ptr::copy_nonoverlapping(
                (&stats as *const ivrconf_stats).cast::<u8>(),
                out.cast::<u8>(),
                len,
            )
        };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_fill_whole_fields_and_refuse_below_the_first_version() {
        let ours = size_of::<ivrconf_stats>();
        assert_eq!(FIRST_SIZE, ours, "0.2 is the first version");
        assert_eq!(fill_len(ours as u32), Some(ours));
        assert_eq!(fill_len(ours as u32 + 64), Some(ours), "newer header");
        assert_eq!(fill_len(FIRST_SIZE as u32 - 1), None);
        assert_eq!(fill_len(0), None);
        assert_eq!(fill_len(4), None);
    }

    /// Each outcome lands in its own field (in outcome order).
    #[test]
    fn each_outcome_counter_has_its_field() {
        let mut s = Stats::default();
        for (i, slot) in s.ops_ended.iter_mut().enumerate() {
            *slot = 100 + i as u64;
        }
        let c = to_c(&s);
        assert_eq!(
            [
                c.ops_completed,
                c.ops_busy,
                c.ops_no_answer,
                c.ops_failed,
                c.ops_cancelled,
                c.ops_consult_released,
                c.ops_retrieve_failed,
                c.ops_call_ended,
                c.ops_timeout,
                c.ops_link_lost
            ],
            Outcome::ALL.map(|o| 100 + o as u64 - 1)
        );
    }
}
