//! What the engine's callbacks reach: the op ledger (audit 1: exactly one
//! OPERATION_DONE per op id), the outcome counts, the session counters,
//! the violation list, and the routing of call events to the worker that
//! owns the call.
//!
//! The callbacks run on the engine's dispatcher thread and must stay short:
//! they count, mark a bit and forward; decisions are the workers'.

use std::collections::VecDeque;
use std::ffi::c_void;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam_channel::Sender;
use parking_lot::Mutex;

use crate::capi::{self, RawEvent};

/// How many violations are printed as they happen (all are counted).
const PRINT_LIMIT: usize = 40;

/// How far past the oldest op in flight an op id may be (a stuck op keeps
/// the ledger's window open; this bounds it).
const MAX_OP_WINDOW: u64 = 1 << 26;

/// An event for a call, as the owning worker needs it.
#[derive(Debug, Clone, Copy)]
pub struct PortEvent {
    pub port: usize,
    pub serial: u64,
    pub kind: u32,
    pub op_id: u64,
    pub outcome: u32,
    pub failed_request: u32,
    pub call_state: u32,
}

/// Call ids are `w<worker>p<port>c<serial>`: unique for the whole run,
/// so a late event for a call that has gone is recognisable.
pub fn call_id(worker: usize, port: usize, serial: u64) -> String {
    format!("w{worker}p{port}c{serial}")
}

/// The inverse of [`call_id`].
pub fn parse_call_id(id: &[u8]) -> Option<(usize, usize, u64)> {
    let text = std::str::from_utf8(id).ok()?;
    let rest = text.strip_prefix('w')?;
    let (w, rest) = rest.split_once('p')?;
    let (p, s) = rest.split_once('c')?;
    Some((w.parse().ok()?, p.parse().ok()?, s.parse().ok()?))
}

/// Two bits per op id: started (the start function returned it) and done
/// (its OPERATION_DONE arrived). Either may come first. Op ids below
/// `base` had both and are forgotten, so memory follows the ops in flight,
/// not the length of the run.
pub struct Ledger {
    base: u64,
    bits: VecDeque<u8>,
    pub started: u64,
    pub done: u64,
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger {
            base: 1,
            bits: VecDeque::new(),
            started: 0,
            done: 0,
        }
    }
}

const STARTED: u8 = 1;
const DONE: u8 = 2;

impl Ledger {
    /// Sets `bit` for `op`; whether it was set already.
    fn mark(&mut self, op: u64, bit: u8) -> Result<bool, String> {
        if op == 0 {
            return Err("op id 0".into());
        }
        if op < self.base {
            return Ok(true);
        }
        let i = op - self.base;
        if i > MAX_OP_WINDOW {
            return Err(format!(
                "op id {op} is {i} ids past the oldest op in flight"
            ));
        }
        let i = i as usize;
        if self.bits.len() <= i {
            self.bits.resize(i + 1, 0);
        }
        let already = self.bits[i] & bit != 0;
        self.bits[i] |= bit;
        while self.bits.front() == Some(&(STARTED | DONE)) {
            self.bits.pop_front();
            self.base += 1;
        }
        Ok(already)
    }

    /// The start function returned `op`.
    pub fn started(&mut self, op: u64) -> Result<(), String> {
        self.started += 1;
        match self.mark(op, STARTED)? {
            true => Err(format!("op id {op} returned by two start calls")),
            false => Ok(()),
        }
    }

    /// OPERATION_DONE for `op`.
    pub fn done(&mut self, op: u64) -> Result<(), String> {
        self.done += 1;
        match self.mark(op, DONE)? {
            true => Err(format!("second OPERATION_DONE for op {op}")),
            false => Ok(()),
        }
    }

    /// Started and not done.
    pub fn open(&self) -> Vec<u64> {
        self.ids(|b| b == STARTED)
    }

    /// Done but never returned by a start call.
    pub fn unknown_done(&self) -> Vec<u64> {
        self.ids(|b| b == DONE)
    }

    /// Op ids still remembered (from the oldest one not both started and done).
    pub fn window(&self) -> usize {
        self.bits.len()
    }

    fn ids(&self, want: impl Fn(u8) -> bool) -> Vec<u64> {
        self.bits
            .iter()
            .enumerate()
            .filter(|(_, b)| want(**b))
            .map(|(i, _)| self.base + i as u64)
            .collect()
    }
}

/// Violation texts kept for the final report (all are counted by rule).
const KEEP_LIMIT: usize = 200;

/// Every violation found: counted by rule, the first ones kept verbatim
/// (so a flood of one bug cannot grow memory without bound).
pub struct Violations {
    inner: Mutex<ViolationBook>,
    /// Print the first ones as they happen.
    print: bool,
}

impl Default for Violations {
    fn default() -> Self {
        Violations {
            inner: Mutex::default(),
            print: true,
        }
    }
}

#[derive(Default)]
struct ViolationBook {
    total: usize,
    by_rule: Vec<(&'static str, usize)>,
    kept: Vec<(&'static str, String)>,
}

impl Violations {
    /// Counts without printing (the audit's self-check).
    pub fn silent() -> Violations {
        Violations {
            print: false,
            ..Violations::default()
        }
    }

    pub fn report(&self, rule: &'static str, text: String) {
        let mut book = self.inner.lock();
        if self.print && book.total < PRINT_LIMIT {
            println!("VIOLATION [{rule}] {text}");
        } else if self.print && book.total == PRINT_LIMIT {
            println!("(further violations are counted, not printed)");
        }
        book.total += 1;
        match book.by_rule.iter_mut().find(|(r, _)| *r == rule) {
            Some((_, n)) => *n += 1,
            None => book.by_rule.push((rule, 1)),
        }
        if book.kept.len() < KEEP_LIMIT {
            book.kept.push((rule, text));
        }
    }

    pub fn count(&self) -> usize {
        self.inner.lock().total
    }

    /// Counts by rule, in order of first occurrence.
    pub fn by_rule(&self) -> Vec<(&'static str, usize)> {
        self.inner.lock().by_rule.clone()
    }

    /// The first violations, verbatim.
    pub fn first(&self) -> Vec<(&'static str, String)> {
        self.inner.lock().kept.clone()
    }
}

/// Shared by the callbacks, the workers and the main thread.
pub struct Hub {
    pub ledger: Mutex<Ledger>,
    /// OPERATION_DONE by `IVRCONF_OUTCOME_*`.
    pub outcomes: [AtomicU64; 11],
    pub done_events: AtomicU64,
    pub events: AtomicU64,
    /// Bumped on every SESSION_DOWN: calls announced before it are unknown
    /// to the simulator's new connection.
    pub session_gen: AtomicU64,
    pub sessions_up: AtomicU64,
    pub sessions_down: AtomicU64,
    pub log_warn: AtomicU64,
    pub log_error: AtomicU64,
    pub first_errors: Mutex<Vec<String>>,
    pub violations: Violations,
    routes: Vec<Sender<PortEvent>>,
}

impl Hub {
    pub fn new(routes: Vec<Sender<PortEvent>>) -> Hub {
        Hub {
            ledger: Mutex::new(Ledger::default()),
            outcomes: Default::default(),
            done_events: AtomicU64::new(0),
            events: AtomicU64::new(0),
            session_gen: AtomicU64::new(0),
            sessions_up: AtomicU64::new(0),
            sessions_down: AtomicU64::new(0),
            log_warn: AtomicU64::new(0),
            log_error: AtomicU64::new(0),
            first_errors: Mutex::new(Vec::new()),
            violations: Violations::default(),
            routes,
        }
    }

    fn on_event(&self, ev: *const RawEvent) {
        self.events.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the event passed to this callback.
        let view = unsafe { capi::read_event(ev) };
        match view.kind {
            capi::EVENT_SESSION_UP => {
                self.sessions_up.fetch_add(1, Ordering::Relaxed);
            }
            capi::EVENT_SESSION_DOWN => {
                self.session_gen.fetch_add(1, Ordering::SeqCst);
                self.sessions_down.fetch_add(1, Ordering::Relaxed);
            }
            capi::EVENT_ENGINE_ERROR => {
                // SAFETY: as above.
                let text = unsafe { capi::event_text(ev) };
                self.violations.report("engine-error", text);
            }
            capi::EVENT_OPERATION_DONE => {
                self.done_events.fetch_add(1, Ordering::Relaxed);
                if let Some(n) = self.outcomes.get(view.outcome as usize) {
                    n.fetch_add(1, Ordering::Relaxed);
                }
                if let Err(why) = self.ledger.lock().done(view.op_id) {
                    // SAFETY: as above.
                    let text = unsafe { capi::event_text(ev) };
                    self.violations
                        .report("one-done-per-op", format!("{why}: {text}"));
                }
            }
            _ => {}
        }
        let Some(id) = view.call_id else { return };
        let Some((worker, port, serial)) = parse_call_id(id.to_bytes()) else {
            return;
        };
        if let Some(route) = self.routes.get(worker) {
            let _ = route.send(PortEvent {
                port,
                serial,
                kind: view.kind,
                op_id: view.op_id,
                outcome: view.outcome,
                failed_request: view.failed_request,
                call_state: view.call_state,
            });
        }
    }

    fn on_log(&self, level: u32, text: *const std::ffi::c_char) {
        match level {
            capi::LOG_ERROR => {
                self.log_error.fetch_add(1, Ordering::Relaxed);
                let mut first = self.first_errors.lock();
                if first.len() < 5 && !text.is_null() {
                    // SAFETY: NUL-terminated, valid during the callback.
                    let line = unsafe { std::ffi::CStr::from_ptr(text) };
                    first.push(line.to_string_lossy().into_owned());
                }
            }
            capi::LOG_WARN => {
                self.log_warn.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}

/// The userdata handed to `ivrconf_engine_new`: one strong count of the
/// hub, given back by [`free_hub`].
pub fn userdata(hub: &Arc<Hub>) -> *mut c_void {
    Arc::into_raw(hub.clone()) as *mut c_void
}

/// `ivrconf_event_fn`.
pub unsafe extern "C" fn on_event(userdata: *mut c_void, ev: *const RawEvent) {
    // SAFETY: the pointer made by `userdata`, alive until `free_hub`.
    let hub = unsafe { &*(userdata as *const Hub) };
    hub.on_event(ev);
}

/// `ivrconf_log_fn`.
pub unsafe extern "C" fn on_log(userdata: *mut c_void, level: u32, text: *const std::ffi::c_char) {
    // SAFETY: as in `on_event`.
    let hub = unsafe { &*(userdata as *const Hub) };
    hub.on_log(level, text);
}

/// `ivrconf_free_fn`: drops the strong count `userdata` made.
pub unsafe extern "C" fn free_hub(userdata: *mut c_void) {
    // SAFETY: made by `Arc::into_raw` in `userdata`, released once.
    drop(unsafe { Arc::from_raw(userdata as *const Hub) });
}
