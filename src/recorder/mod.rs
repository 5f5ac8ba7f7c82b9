//! The flight recorder: per call, in order, the API calls made on it, the
//! frames sent and received for it (payload bytes as on the wire), the
//! events delivered, the timers armed, cancelled and fired, and the
//! warnings logged about it; rendered on demand as text, a Mermaid sequence
//! diagram or JSON lines (docs/TRACE.md is the contract).
//!
//! Pure: the engine's core thread feeds it with times it read itself; no
//! clock, no I/O. Bounded: live calls plus the `keep_ended` most recently
//! ended ones, each trace at most `max_entries` entries (the first
//! [`KEEP_FIRST`] kept, one entry counting what was dropped after them).
//! Entries hold data, not text: strings are made only when a trace is
//! rendered, so recording costs little on the hot path. How a trace stores
//! its entries compactly is `log`'s business.

mod log;
mod render;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

pub use log::EntryRef;

use crate::flow::{CallEvent, CallEventKind, CallState, OpId, Outcome};
use crate::wire::StatusEvent;

pub use render::{fields, fields_text, json_str, Format};

/// Entries kept at the start of a trace when it overflows.
pub const KEEP_FIRST: usize = 32;

/// How much the recorder keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecorderConfig {
    /// Ended calls whose traces are kept (most recent first out last).
    pub keep_ended: usize,
    /// Entries per trace; 0 = recording off.
    pub max_entries: usize,
}

impl Default for RecorderConfig {
    fn default() -> Self {
        RecorderConfig {
            keep_ended: 256,
            max_entries: 512,
        }
    }
}

/// Who caused a frame the engine sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentBy {
    /// The direct result of an API call.
    App,
    /// The engine on its own (a retrieve after `Busy`, an `EndCall` after a
    /// transfer, a `CallInfoReq` after a reconnect).
    Engine,
}

/// What happened to a timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerChange {
    /// Armed, due at this engine time (µs).
    Armed {
        due_us: u64,
    },
    Cancelled,
    Fired,
}

/// One thing that happened to a call.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// An API call on the call: the function (without `ivrconf_`), its
    /// arguments worth showing, and what it answered.
    App {
        name: &'static str,
        args: String,
        answer: Answer,
    },
    /// A frame we wrote: its payload exactly as written.
    Sent {
        by: SentBy,
        payload: Vec<u8>,
    },
    /// A frame received: its payload exactly as received.
    Received {
        payload: Vec<u8>,
    },
    /// An event delivered to the application.
    Event(EventNote),
    Timer(TimerChange),
    /// A warning logged about the call.
    Warning(String),
    /// Entries dropped here to keep the trace bounded.
    Dropped(u64),
}

/// How an API call was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Ok,
    /// Started an operation.
    Op(OpId),
    /// Refused: the result name (`ERR_INVALID_STATE`) and why.
    Refused {
        result: &'static str,
        why: String,
    },
}

/// The parts of an event a trace shows (all `Copy`: nothing is allocated
/// to record an event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventNote {
    pub kind: CallEventKind,
    pub op_id: OpId,
    pub status: Option<StatusEvent>,
    pub outcome: Option<Outcome>,
    pub state: CallState,
    pub parties: u32,
}

impl From<&CallEvent> for EventNote {
    fn from(e: &CallEvent) -> Self {
        EventNote {
            kind: e.kind,
            op_id: e.op_id,
            status: e.status,
            outcome: e.outcome,
            state: e.state,
            parties: e.party_count,
        }
    }
}

/// One call's trace.
#[derive(Debug, Clone)]
pub struct Trace {
    /// The same shared id the recorder's map is keyed by (no second copy).
    call_id: Arc<str>,
    /// Engine time (µs) of the first entry.
    start_us: u64,
    /// Wall-clock time of the first entry, µs since the Unix epoch.
    started_unix_us: u64,
    log: log::Log,
}

impl Trace {
    fn new(call_id: Arc<str>, now_us: u64, unix_us: u64) -> Trace {
        Trace {
            call_id,
            start_us: now_us,
            started_unix_us: unix_us,
            log: log::Log::default(),
        }
    }

    /// Entries in order, with µs since the first; the dropped-count note
    /// stands between the kept head and the rest.
    pub fn entries(&self) -> impl Iterator<Item = (u64, Entry)> + '_ {
        let start = self.start_us;
        self.log
            .entries(start)
            .map(move |(t, e)| (t.saturating_sub(start), e))
    }

    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Wall-clock time of the first entry, µs since the Unix epoch.
    pub fn started_unix_us(&self) -> u64 {
        self.started_unix_us
    }
}

/// Why no trace could be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceError {
    /// Recording is off (`trace_max_entries = 0`).
    Off,
    /// No live call with this id, and none kept among the ended ones.
    UnknownCall,
}

/// Every trace the engine keeps.
#[derive(Debug)]
pub struct Recorder {
    config: RecorderConfig,
    /// Keyed by a shared id, so a caller can hold on to a call cheaply.
    live: HashMap<Arc<str>, Trace>,
    /// Ended calls' traces, oldest first.
    ended: VecDeque<Trace>,
    /// How many of `ended` each id has, so a new call looks through them
    /// only when its id is among them (not on every `call_new`).
    ended_ids: HashMap<Arc<str>, usize>,
}

impl Recorder {
    pub fn new(config: RecorderConfig) -> Recorder {
        Recorder {
            config,
            live: HashMap::new(),
            ended: VecDeque::new(),
            ended_ids: HashMap::new(),
        }
    }

    pub fn is_on(&self) -> bool {
        self.config.max_entries > 0
    }

    /// A new call: its trace starts now (an ended trace of the same id is
    /// dropped).
    pub fn begin(&mut self, call_id: &str, now_us: u64, unix_us: u64) {
        if !self.is_on() {
            return;
        }
        if self.ended_ids.remove(call_id).is_some() {
            self.ended.retain(|t| &*t.call_id != call_id);
        }
        let id: Arc<str> = Arc::from(call_id);
        self.live
            .insert(id.clone(), Trace::new(id, now_us, unix_us));
    }

    /// Adds an entry to a live call's trace; ignored for unknown calls.
    pub fn record(&mut self, call_id: &str, now_us: u64, entry: Entry) {
        self.record_ref(call_id, now_us, EntryRef::from(&entry));
    }

    /// Like [`Recorder::record`], copying the entry's bytes straight into
    /// the trace (the hot path: nothing is allocated per entry). Gives the
    /// call's shared id when it has a trace, so the caller need not look
    /// it up again.
    pub fn record_ref(
        &mut self,
        call_id: &str,
        now_us: u64,
        entry: EntryRef<'_>,
    ) -> Option<&Arc<str>> {
        let max = self.config.max_entries;
        let trace = self.live.get_mut(call_id)?;
        trace.log.push(max, now_us, entry);
        Some(&trace.call_id)
    }

    /// The call ended: its trace joins the kept ended ones.
    pub fn end(&mut self, call_id: &str) {
        let Some((id, trace)) = self.live.remove_entry(call_id) else {
            return;
        };
        if self.config.keep_ended == 0 {
            return;
        }
        while self.ended.len() >= self.config.keep_ended {
            if let Some(old) = self.ended.pop_front() {
                if let Some(n) = self.ended_ids.get_mut(&old.call_id) {
                    *n -= 1;
                    if *n == 0 {
                        self.ended_ids.remove(&old.call_id);
                    }
                }
            }
        }
        *self.ended_ids.entry(id).or_insert(0) += 1;
        self.ended.push_back(trace);
    }

    /// The trace of a live call, or of a kept ended one.
    pub fn trace(&self, call_id: &str) -> Result<&Trace, TraceError> {
        if !self.is_on() {
            return Err(TraceError::Off);
        }
        self.live
            .get(call_id)
            .or_else(|| self.ended.iter().rev().find(|t| &*t.call_id == call_id))
            .ok_or(TraceError::UnknownCall)
    }

    /// Renders the call's trace now.
    pub fn render(&self, call_id: &str, format: Format) -> Result<String, TraceError> {
        self.trace(call_id).map(|t| render::render(t, format))
    }
}

#[cfg(test)]
mod tests;
