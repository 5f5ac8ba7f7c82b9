//! Replay: the simulator plays the server side of recorded traces (the
//! engine's recorder, or `ivrconf-trace import` of a capture) and lists
//! every way the live driver departs from the recording
//! (docs/FIELD-REPLAY.md, docs/SIMULATOR.md).
//!
//! `recording` reads the trace files (and `json` their lines), `player`
//! is the pure matcher; the connection worker sends what the player hands
//! out. Nothing here touches a socket.

mod json;
mod player;
mod recording;

use std::fmt;

pub use player::{substitute_call_id, Player, Reaction};
pub use recording::{load, Answer, Exchange, Recording, Script};

/// Which part of the replay a difference is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// The session frames (the login).
    Session,
    /// A recorded call: its place in `NewCall` order (from 1), its id in
    /// the recording, its trace file, and the live call id it was matched
    /// to (`None`: no live call reached it).
    Call {
        number: usize,
        recorded: String,
        trace: String,
        live: Option<String>,
    },
    /// A live call the recording has no place for (more calls than
    /// recorded, or a request for a call never announced).
    Unrecorded { live: String },
}

/// How the live traffic departs from the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DifferenceKind {
    /// The driver sent a request the recording does not have at this
    /// point of the call.
    Unexpected { request: String },
    /// A recorded request the driver has not sent.
    Missing { request: String },
    /// A field of a matched request differs (`None`: absent on that side).
    Field {
        request: String,
        field: String,
        recorded: Option<String>,
        sent: Option<String>,
    },
}

/// One departure from the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub subject: Subject,
    pub kind: DifferenceKind,
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Session => f.write_str("session"),
            Subject::Call {
                number,
                recorded,
                trace,
                live,
            } => match live {
                Some(live) => write!(f, "call {number} ({recorded} in {trace}, live {live})"),
                None => write!(f, "call {number} ({recorded} in {trace}, not started)"),
            },
            Subject::Unrecorded { live } => write!(f, "unrecorded call {live}"),
        }
    }
}

fn value(v: &Option<String>) -> String {
    match v {
        Some(v) => format!("{v:?}"),
        None => "nothing".to_string(),
    }
}

impl fmt::Display for DifferenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DifferenceKind::Unexpected { request } => {
                write!(f, "{request}: not in the recording here")
            }
            DifferenceKind::Missing { request } => write!(f, "{request}: recorded, never sent"),
            DifferenceKind::Field {
                request,
                field,
                recorded,
                sent,
            } => write!(
                f,
                "{request}: {field} recorded {}, sent {}",
                value(recorded),
                value(sent)
            ),
        }
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.kind)
    }
}
