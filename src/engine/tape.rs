//! The core thread's side of the flight recorder: reads the clocks, works
//! out which call a timer belongs to and who caused a frame, and feeds the
//! pure [`Recorder`].
//!
//! Decides nothing about calls or the session; only the core thread uses
//! it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::flow::{CallEvent, CallEventKind, Millis, TimerId};
use crate::recorder::{Answer, EntryRef, EventNote, Format, Recorder, RecorderConfig, SentBy};
use crate::recorder::{TimerChange, TraceError};

/// What the application asked, for the trace of its call.
#[derive(Debug, Clone)]
pub(crate) struct ApiCall {
    /// The API function without `ivrconf_`.
    pub name: &'static str,
    pub call_id: String,
    /// Arguments worth showing (`dest=7001`).
    pub args: String,
}

pub(crate) struct Tape {
    recorder: Recorder,
    epoch: Instant,
    /// The call whose output came last: a flow `SetTimer` always follows an
    /// output of the call it belongs to. Shared ids: no allocation per
    /// entry.
    last_call: Option<Arc<str>>,
    timer_calls: HashMap<TimerId, Arc<str>>,
    /// Frames sent now are the direct result of an API call.
    by: SentBy,
}

impl Tape {
    pub(crate) fn new(config: RecorderConfig, epoch: Instant) -> Tape {
        Tape {
            recorder: Recorder::new(config),
            epoch,
            last_call: None,
            timer_calls: HashMap::new(),
            by: SentBy::Engine,
        }
    }

    pub(crate) fn is_on(&self) -> bool {
        self.recorder.is_on()
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// An API call was answered: recorded before what it caused.
    pub(crate) fn api(&mut self, call: ApiCall, answer: Answer) {
        if !self.is_on() {
            return;
        }
        let now = self.now_us();
        if call.name == "call_new" && answer == Answer::Ok {
            let unix = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(0));
            self.recorder.begin(&call.call_id, now, unix);
        }
        let entry = EntryRef::App {
            name: call.name,
            args: &call.args,
            answer: &answer,
        };
        self.last_call = self.recorder.record_ref(&call.call_id, now, entry).cloned();
    }

    /// Frames sent from now on are (not) the direct result of an API call.
    pub(crate) fn set_by_app(&mut self, by_app: bool) {
        self.by = if by_app { SentBy::App } else { SentBy::Engine };
    }

    pub(crate) fn sent(&mut self, call_id: &str, payload: &[u8]) {
        if !self.is_on() {
            return;
        }
        let entry = EntryRef::Sent {
            by: self.by,
            payload,
        };
        let now = self.now_us();
        self.last_call = self.recorder.record_ref(call_id, now, entry).cloned();
    }

    /// A frame received for the call: its bytes are copied into the trace,
    /// and the reader's buffer goes back to it when `payload` is dropped.
    pub(crate) fn received(&mut self, call_id: &str, payload: impl AsRef<[u8]>) {
        if !self.is_on() {
            return;
        }
        let now = self.now_us();
        let payload = payload.as_ref();
        self.recorder
            .record_ref(call_id, now, EntryRef::Received { payload });
    }

    pub(crate) fn event(&mut self, ev: &CallEvent) {
        if !self.is_on() {
            return;
        }
        let now = self.now_us();
        let entry = EntryRef::Event(EventNote::from(ev));
        self.last_call = self.recorder.record_ref(&ev.call_id, now, entry).cloned();
        if ev.kind == CallEventKind::CallEnded {
            self.recorder.end(&ev.call_id);
            self.timer_calls.retain(|_, c| **c != *ev.call_id);
        }
    }

    pub(crate) fn timer_set(&mut self, timer: TimerId, at: Millis) {
        if !self.is_on() {
            return;
        }
        let Some(call) = self.last_call.clone() else {
            return;
        };
        let now = self.now_us();
        let due_us = at.saturating_mul(1000);
        self.recorder
            .record_ref(&call, now, EntryRef::Timer(TimerChange::Armed { due_us }));
        self.timer_calls.insert(timer, call);
    }

    pub(crate) fn timer_cancelled(&mut self, timer: TimerId) {
        self.timer_done(timer, TimerChange::Cancelled);
    }

    pub(crate) fn timer_fired(&mut self, timer: TimerId) {
        self.timer_done(timer, TimerChange::Fired);
    }

    fn timer_done(&mut self, timer: TimerId, change: TimerChange) {
        if let Some(call) = self.timer_calls.remove(&timer) {
            let now = self.now_us();
            self.recorder
                .record_ref(&call, now, EntryRef::Timer(change));
            self.last_call = Some(call);
        }
    }

    pub(crate) fn warning(&mut self, call_id: &str, text: &str) {
        if !self.is_on() {
            return;
        }
        let now = self.now_us();
        self.recorder
            .record_ref(call_id, now, EntryRef::Warning(text));
    }

    pub(crate) fn render(&self, call_id: &str, format: Format) -> Result<String, TraceError> {
        self.recorder.render(call_id, format)
    }
}
