//! The values the flow engine exchanges with its caller: configuration, op
//! kinds, call states, outcomes, refusals, events and outputs.
//!
//! The `#[repr(u32)]` discriminants are the C constants (C-API.md: every
//! enum-like set starts at 1, 0 means "none"); they must never change. This
//! module holds data only, no behaviour beyond naming and numbering.

use std::fmt;
use std::sync::Arc;

use crate::wire;

/// Time and log records, shared with the session machine.
pub use crate::machine::{LogLevel, LogRecord, Millis};

/// An operation id: never 0, allocated by [`crate::flow::Flow`] from 1.
pub type OpId = u64;

/// What the flow needs to know of the engine configuration.
#[derive(Clone, Debug)]
pub struct FlowConfig {
    /// Longest wait for any server reaction to a request (M4).
    pub request_timeout_ms: u64,
    /// A consult leg not answered within this time is abandoned (M4).
    pub no_answer_timeout_ms: u64,
    /// Write `ReqId` on call-control requests (PROTOCOL 5.2).
    pub send_req_id: bool,
    /// `NewCall Version`.
    pub protocol_version: String,
    /// `NewCall CallControlMode`.
    pub call_control_mode: String,
    /// What happens to the calls that were live when the link was lost,
    /// once the session is up again.
    pub reconcile_calls: ReconcileCalls,
}

/// The `reconcile_calls` key: what the engine does, after a new login, with
/// the calls that were live when the link was lost (the server may have
/// forgotten them meanwhile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReconcileCalls {
    /// Nothing: the calls stay live; a later `CallError NoSuchCall` or
    /// `EndCall` from the server is handled as usual.
    #[default]
    None,
    /// Ask with one `CallInfoReq` per call: a `CallError` answer ends the
    /// call locally, a `CallInfoResp` keeps it.
    CallInfo,
    /// End every such call locally at once.
    End,
}

impl ReconcileCalls {
    pub const ALL: [ReconcileCalls; 3] = [
        ReconcileCalls::None,
        ReconcileCalls::CallInfo,
        ReconcileCalls::End,
    ];

    /// The config value (`none`, `callinfo`, `end`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReconcileCalls::None => "none",
            ReconcileCalls::CallInfo => "callinfo",
            ReconcileCalls::End => "end",
        }
    }

    /// The value named `text` (ASCII case-insensitive).
    pub fn parse(text: &str) -> Option<ReconcileCalls> {
        ReconcileCalls::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(text))
    }
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            request_timeout_ms: 10_000,
            no_answer_timeout_ms: 30_000,
            send_req_id: true,
            protocol_version: "4.0".to_string(),
            call_control_mode: "Network".to_string(),
            reconcile_calls: ReconcileCalls::None,
        }
    }
}

/// The operations an application can ask for (`IVRCONF_OP_*`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    ConferenceOneStep = 1,
    ConferenceConsult = 2,
    TransferOneStep = 3,
    TransferConsult = 4,
    ConferenceComplete = 5,
    TransferComplete = 6,
    ConsultCancel = 7,
}

impl OpKind {
    /// Every kind, in C constant order.
    pub const ALL: [OpKind; 7] = [
        OpKind::ConferenceOneStep,
        OpKind::ConferenceConsult,
        OpKind::TransferOneStep,
        OpKind::TransferConsult,
        OpKind::ConferenceComplete,
        OpKind::TransferComplete,
        OpKind::ConsultCancel,
    ];

    /// The kind with C value `v`, `None` for 0 and unknown values.
    pub fn from_u32(v: u32) -> Option<OpKind> {
        OpKind::ALL.into_iter().find(|k| *k as u32 == v)
    }

    /// True for the four kinds that start an operation (and get an op id).
    pub fn is_start(self) -> bool {
        matches!(
            self,
            OpKind::ConferenceOneStep
                | OpKind::ConferenceConsult
                | OpKind::TransferOneStep
                | OpKind::TransferConsult
        )
    }

    /// The C constant's name without the `IVRCONF_OP_` prefix.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::ConferenceOneStep => "CONFERENCE_ONE_STEP",
            OpKind::ConferenceConsult => "CONFERENCE_CONSULT",
            OpKind::TransferOneStep => "TRANSFER_ONE_STEP",
            OpKind::TransferConsult => "TRANSFER_CONSULT",
            OpKind::ConferenceComplete => "CONFERENCE_COMPLETE",
            OpKind::TransferComplete => "TRANSFER_COMPLETE",
            OpKind::ConsultCancel => "CONSULT_CANCEL",
        }
    }
}

impl OpKind {
    /// The C API function that asks for this kind, without `ivrconf_`.
    pub fn api_name(self) -> &'static str {
        match self {
            OpKind::ConferenceOneStep => "conference_one_step",
            OpKind::ConferenceConsult => "conference_init",
            OpKind::TransferOneStep => "transfer_one_step",
            OpKind::TransferConsult => "transfer_init",
            OpKind::ConferenceComplete => "conference_complete",
            OpKind::TransferComplete => "transfer_complete",
            OpKind::ConsultCancel => "consult_cancel",
        }
    }
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A call's state as the application sees it (`IVRCONF_CALL_STATE_*`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallState {
    Active = 1,
    Consulting = 2,
    ConsultEstablished = 3,
    Held = 4,
    Conferenced = 5,
    Transferred = 6,
    Ended = 7,
}

impl CallState {
    /// Every state, in C constant order.
    pub const ALL: [CallState; 7] = [
        CallState::Active,
        CallState::Consulting,
        CallState::ConsultEstablished,
        CallState::Held,
        CallState::Conferenced,
        CallState::Transferred,
        CallState::Ended,
    ];

    /// The C constant's name without the `IVRCONF_CALL_STATE_` prefix.
    pub fn name(self) -> &'static str {
        match self {
            CallState::Active => "ACTIVE",
            CallState::Consulting => "CONSULTING",
            CallState::ConsultEstablished => "CONSULT_ESTABLISHED",
            CallState::Held => "HELD",
            CallState::Conferenced => "CONFERENCED",
            CallState::Transferred => "TRANSFERRED",
            CallState::Ended => "ENDED",
        }
    }

    /// The state named `name` (as printed by `Display`).
    pub fn parse(name: &str) -> Option<CallState> {
        CallState::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for CallState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How an operation ended (`IVRCONF_OUTCOME_*`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Completed = 1,
    Busy = 2,
    NoAnswer = 3,
    Failed = 4,
    Cancelled = 5,
    ConsultReleased = 6,
    RetrieveFailed = 7,
    CallEnded = 8,
    Timeout = 9,
    LinkLost = 10,
}

impl Outcome {
    /// Every outcome, in C constant order.
    pub const ALL: [Outcome; 10] = [
        Outcome::Completed,
        Outcome::Busy,
        Outcome::NoAnswer,
        Outcome::Failed,
        Outcome::Cancelled,
        Outcome::ConsultReleased,
        Outcome::RetrieveFailed,
        Outcome::CallEnded,
        Outcome::Timeout,
        Outcome::LinkLost,
    ];

    /// The C constant's name without the `IVRCONF_OUTCOME_` prefix.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Completed => "COMPLETED",
            Outcome::Busy => "BUSY",
            Outcome::NoAnswer => "NO_ANSWER",
            Outcome::Failed => "FAILED",
            Outcome::Cancelled => "CANCELLED",
            Outcome::ConsultReleased => "CONSULT_RELEASED",
            Outcome::RetrieveFailed => "RETRIEVE_FAILED",
            Outcome::CallEnded => "CALL_ENDED",
            Outcome::Timeout => "TIMEOUT",
            Outcome::LinkLost => "LINK_LOST",
        }
    }

    /// The outcome named `name` (as printed by `Display`).
    pub fn parse(name: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.name() == name)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `IVRCONF_STATUS_*` value of a `CallStatus` event: its position in
/// [`wire::StatusEvent::ALL`] plus one (DIALING = 1 ... RELEASED = 10).
pub fn status_code(event: wire::StatusEvent) -> u32 {
    position_code(&wire::StatusEvent::ALL, &event)
}

/// `IVRCONF_REQUEST_*` value of a `CallError FailedReq`: its position in
/// [`wire::FailedReq::ALL`] plus one (UNKNOWN = 1 ... NOT_ALLOWED = 12).
pub fn request_code(req: wire::FailedReq) -> u32 {
    position_code(&wire::FailedReq::ALL, &req)
}

fn position_code<T: PartialEq>(all: &[T], item: &T) -> u32 {
    // Both tables are tiny and contain every variant, so the fallback 0
    // ("none") is unreachable; it avoids a panic path all the same.
    all.iter()
        .position(|x| x == item)
        .and_then(|p| u32::try_from(p + 1).ok())
        .unwrap_or(0)
}

/// A command refused synchronously; nothing was sent and nothing changed.
/// When several apply, the first in declaration order wins (FLOWS.md M2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Bad text, length or op kind; the string names the argument and rule.
    InvalidArgument(String),
    /// No live call with that id.
    UnknownCall,
    /// `call_new` with the id of a live call.
    CallExists,
    /// The session is not logged in.
    NotConnected,
    /// Another operation of the call is in flight.
    OperationPending,
    /// The call's state forbids the command; the string names the state.
    InvalidState(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::InvalidArgument(why) => write!(f, "invalid argument: {why}"),
            Refusal::UnknownCall => f.write_str("unknown call"),
            Refusal::CallExists => f.write_str("a live call already has this id"),
            Refusal::NotConnected => f.write_str("not logged in to an IVR Server"),
            Refusal::OperationPending => f.write_str("an operation is in flight on this call"),
            Refusal::InvalidState(why) => write!(f, "invalid state: {why}"),
        }
    }
}

impl Refusal {
    /// The C result's name without `IVRCONF_` (`ERR_INVALID_STATE`).
    pub fn code_name(&self) -> &'static str {
        match self {
            Refusal::InvalidArgument(_) => "ERR_INVALID_ARGUMENT",
            Refusal::UnknownCall => "ERR_UNKNOWN_CALL",
            Refusal::CallExists => "ERR_CALL_EXISTS",
            Refusal::NotConnected => "ERR_NOT_CONNECTED",
            Refusal::OperationPending => "ERR_OPERATION_PENDING",
            Refusal::InvalidState(_) => "ERR_INVALID_STATE",
        }
    }
}

impl std::error::Error for Refusal {}

/// Names one timer the flow asked for; the caller hands it back to
/// [`crate::flow::Flow::on_timer`] when it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerId(pub u64);

/// Which application event a [`CallEvent`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallEventKind {
    /// A documented `CallStatus` the server sent for the call.
    CallStatus,
    /// An operation ended (exactly once per op id).
    OperationDone,
    /// The call is over; always the last event of a call.
    CallEnded,
}

/// A call's id, shared by the call and each of its events: cloning it
/// costs a reference count, not an allocation. The text is kept with a
/// trailing NUL, so the C API can hand it out as it is.
#[derive(Clone)]
pub struct CallId(Arc<str>);

impl CallId {
    pub fn new(id: &str) -> CallId {
        let mut text = String::with_capacity(id.len() + 1);
        text.push_str(id);
        text.push('\0');
        CallId(Arc::from(text))
    }

    pub fn as_str(&self) -> &str {
        let all: &str = &self.0;
        all.strip_suffix('\0').unwrap_or(all)
    }

    /// The id's bytes followed by a NUL (the id itself never holds one:
    /// call ids are printable Latin-1).
    pub fn with_nul(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::ops::Deref for CallId {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

/// Hashes and compares as its text, so a map keyed by `CallId` is looked
/// up with a `&str`.
impl std::borrow::Borrow<str> for CallId {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for CallId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for CallId {
    fn eq(&self, other: &CallId) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for CallId {}

impl std::hash::Hash for CallId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq<str> for CallId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for CallId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for CallId {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl From<&str> for CallId {
    fn from(id: &str) -> CallId {
        CallId::new(id)
    }
}

impl From<CallId> for String {
    fn from(id: CallId) -> String {
        id.as_str().to_string()
    }
}

/// What an event's readable line says beyond the event's fields: the line
/// itself is rendered only when asked for ([`CallEvent::text`]), so an
/// event nobody reads as text costs no string.
#[derive(Debug, Clone, PartialEq)]
pub enum Remark {
    /// Nothing to add.
    None,
    /// A CallStatus that changed nothing, and why (` (duplicate: ...)`).
    Status(&'static str),
    /// The `CallError` that ended the op (` (CallError FailedReq=...)`).
    Error(Box<str>),
    /// Why the call ended.
    Ended(&'static str),
}

/// One application event about a call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallEvent {
    pub kind: CallEventKind,
    pub call_id: CallId,
    /// The op that ended (OPERATION_DONE) or is in flight (CALL_STATUS); 0 none.
    pub op_id: OpId,
    pub op_kind: Option<OpKind>,
    /// CALL_STATUS only.
    pub status: Option<wire::StatusEvent>,
    /// OPERATION_DONE only.
    pub outcome: Option<Outcome>,
    /// OPERATION_DONE after a `CallError` only.
    pub failed_request: Option<wire::FailedReq>,
    /// `TLibErrCode` of that `CallError`, when it had one.
    pub tlib_error: Option<i32>,
    /// The call's state after the event.
    pub state: CallState,
    pub party_count: u32,
    /// What the readable line adds to the fields.
    pub remark: Remark,
}

impl CallEvent {
    /// One readable line (for logs and `ivrconf_event_text`), rendered now.
    pub fn text(&self) -> String {
        let mut line = String::with_capacity(96);
        let _ = self.write_text(&mut line);
        line
    }

    /// Writes the readable line to `out`.
    pub fn write_text(&self, out: &mut impl fmt::Write) -> fmt::Result {
        let (state, parties) = (self.state, self.party_count);
        match (self.kind, &self.remark) {
            (_, Remark::Ended(why)) => write!(out, "call ended ({why})"),
            (CallEventKind::CallEnded, _) => write!(out, "call ended"),
            (CallEventKind::CallStatus, remark) => {
                let event = self.status.map_or("?", |s| s.as_str());
                write!(out, "CallStatus {event}: {state}, {parties} parties")?;
                remark.write_tail(out)
            }
            (CallEventKind::OperationDone, remark) => {
                let kind = self.op_kind.map_or("?", OpKind::name);
                let outcome = self.outcome.map_or("?", Outcome::name);
                let op = self.op_id;
                write!(out, "{kind} op {op}: {outcome}, {state}, {parties} parties")?;
                remark.write_tail(out)
            }
        }
    }
}

impl Remark {
    fn write_tail(&self, out: &mut impl fmt::Write) -> fmt::Result {
        match self {
            Remark::None | Remark::Ended(_) => Ok(()),
            Remark::Status(tail) => out.write_str(tail),
            Remark::Error(tail) => out.write_str(tail),
        }
    }
}

/// What the flow asks its caller to do, in order.
// `Send` is large (a `wire::Message`), but outputs are short-lived queue
// entries moved once to the caller; boxing would cost an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Write this message to the server.
    Send(wire::Message),
    /// Deliver this event to the application.
    Event(CallEvent),
    /// Call `on_timer(timer)` at `at` (unless cancelled first). `at` may
    /// already have passed (a deadline counted from an earlier request):
    /// then fire it at once.
    SetTimer { timer: TimerId, at: Millis },
    /// Forget this timer.
    CancelTimer(TimerId),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_values_are_fixed() {
        assert_eq!(OpKind::from_u32(0), None);
        assert_eq!(OpKind::from_u32(4), Some(OpKind::TransferConsult));
        assert_eq!(OpKind::from_u32(8), None);
        assert_eq!(CallState::Ended as u32, 7);
        assert_eq!(Outcome::LinkLost as u32, 10);
        assert_eq!(status_code(wire::StatusEvent::Dialing), 1);
        assert_eq!(status_code(wire::StatusEvent::Released), 10);
        assert_eq!(request_code(wire::FailedReq::Unknown), 1);
        assert_eq!(request_code(wire::FailedReq::NotAllowed), 12);
        assert_eq!(
            CallState::ConsultEstablished.to_string(),
            "CONSULT_ESTABLISHED"
        );
        assert_eq!(
            Outcome::parse("RETRIEVE_FAILED"),
            Some(Outcome::RetrieveFailed)
        );
    }

    #[test]
    fn call_id_reads_as_its_text_and_keeps_a_nul_after_it() {
        let id = CallId::new("C-0001");
        assert_eq!(id.as_str(), "C-0001");
        assert_eq!(id.with_nul(), b"C-0001\0");
        let copy = id.clone();
        assert_eq!(copy, id);
        assert_eq!(copy.as_ptr(), id.as_ptr(), "a clone shares the text");
        assert_eq!(format!("{id} {id:?}"), "C-0001 \"C-0001\"");
        assert!(id == "C-0001" && id != "C-0002");
    }

    fn event(kind: CallEventKind, remark: Remark) -> CallEvent {
        CallEvent {
            kind,
            call_id: CallId::new("C1"),
            op_id: 7,
            op_kind: Some(OpKind::ConferenceConsult),
            status: Some(wire::StatusEvent::Held),
            outcome: Some(Outcome::Busy),
            failed_request: None,
            tlib_error: None,
            state: CallState::Held,
            party_count: 2,
            remark,
        }
    }

    /// The line rendered on demand reads as each kind's fields say.
    #[test]
    fn text_renders_each_kind() {
        let status = event(CallEventKind::CallStatus, Remark::None);
        assert_eq!(status.text(), "CallStatus Held: HELD, 2 parties");
        let dup = event(CallEventKind::CallStatus, Remark::Status(" (duplicate)"));
        assert_eq!(dup.text(), "CallStatus Held: HELD, 2 parties (duplicate)");
        let done = event(
            CallEventKind::OperationDone,
            Remark::Error(" (CallError FailedReq=InitConf)".into()),
        );
        assert_eq!(
            done.text(),
            "CONFERENCE_CONSULT op 7: BUSY, HELD, 2 parties (CallError FailedReq=InitConf)"
        );
        let ended = event(
            CallEventKind::CallEnded,
            Remark::Ended("the server sent EndCall"),
        );
        assert_eq!(ended.text(), "call ended (the server sent EndCall)");
    }
}
