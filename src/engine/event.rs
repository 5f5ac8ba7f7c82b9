//! What the engine hands to the application: call events from the flow
//! machine plus the session and engine-health events only the runtime knows.

use crate::flow::{CallEvent, CallEventKind};

/// Event kinds; the values are the C constants `IVRCONF_EVENT_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum EventKind {
    SessionUp = 1,
    SessionDown = 2,
    CallStatus = 3,
    OperationDone = 4,
    CallEnded = 5,
    EngineError = 6,
}

/// One application event.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Logged in; the text names the server and its version.
    SessionUp { text: String },
    /// The READY session was lost.
    SessionDown { text: String },
    /// An event of one call.
    Call(CallEvent),
    /// An internal thread failed.
    EngineError { text: String },
}

impl Event {
    pub fn kind(&self) -> EventKind {
        match self {
            Event::SessionUp { .. } => EventKind::SessionUp,
            Event::SessionDown { .. } => EventKind::SessionDown,
            Event::EngineError { .. } => EventKind::EngineError,
            Event::Call(c) => match c.kind {
                CallEventKind::CallStatus => EventKind::CallStatus,
                CallEventKind::OperationDone => EventKind::OperationDone,
                CallEventKind::CallEnded => EventKind::CallEnded,
            },
        }
    }

    /// The call event, for call kinds.
    pub fn call(&self) -> Option<&CallEvent> {
        match self {
            Event::Call(c) => Some(c),
            _ => None,
        }
    }

    /// The readable line of any kind.
    pub fn text(&self) -> &str {
        match self {
            Event::SessionUp { text }
            | Event::SessionDown { text }
            | Event::EngineError { text } => text,
            Event::Call(c) => &c.text,
        }
    }
}
