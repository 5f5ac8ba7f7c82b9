//! What the engine hands to the application: call events from the flow
//! machine plus the session and engine-health events only the runtime knows.
//! A call event carries the value the application attached to its call
//! (`Engine::call_set_userdata`); the engine never interprets it.

use std::borrow::Cow;

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

impl EventKind {
    /// Every kind, in C constant order.
    pub const ALL: [EventKind; 6] = [
        EventKind::SessionUp,
        EventKind::SessionDown,
        EventKind::CallStatus,
        EventKind::OperationDone,
        EventKind::CallEnded,
        EventKind::EngineError,
    ];

    /// The C constant's name without the `IVRCONF_EVENT_` prefix.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::SessionUp => "SESSION_UP",
            EventKind::SessionDown => "SESSION_DOWN",
            EventKind::CallStatus => "CALL_STATUS",
            EventKind::OperationDone => "OPERATION_DONE",
            EventKind::CallEnded => "CALL_ENDED",
            EventKind::EngineError => "ENGINE_ERROR",
        }
    }
}

/// One application event.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Logged in; the text names the server and its version.
    SessionUp { text: String },
    /// The READY session was lost.
    SessionDown { text: String },
    /// An event of one call, with the value the application attached to
    /// the call when the event was produced (0: none).
    Call(CallEvent, usize),
    /// An internal thread failed.
    EngineError { text: String },
}

impl Event {
    pub fn kind(&self) -> EventKind {
        match self {
            Event::SessionUp { .. } => EventKind::SessionUp,
            Event::SessionDown { .. } => EventKind::SessionDown,
            Event::EngineError { .. } => EventKind::EngineError,
            Event::Call(c, _) => match c.kind {
                CallEventKind::CallStatus => EventKind::CallStatus,
                CallEventKind::OperationDone => EventKind::OperationDone,
                CallEventKind::CallEnded => EventKind::CallEnded,
            },
        }
    }

    /// The call event, for call kinds.
    pub fn call(&self) -> Option<&CallEvent> {
        match self {
            Event::Call(c, _) => Some(c),
            _ => None,
        }
    }

    /// The readable line of any kind (a call event's is rendered now).
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Event::SessionUp { text }
            | Event::SessionDown { text }
            | Event::EngineError { text } => Cow::Borrowed(text),
            Event::Call(c, _) => Cow::Owned(c.text()),
        }
    }

    /// The value attached to the event's call (`Engine::call_set_userdata`)
    /// when the event was produced; 0 for none and for session events.
    pub fn call_userdata(&self) -> usize {
        match self {
            Event::Call(_, userdata) => *userdata,
            _ => 0,
        }
    }
}
