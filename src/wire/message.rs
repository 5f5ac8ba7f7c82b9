//! Typed messages of the IVR Server XML protocol (PROTOCOL.md section 3),
//! both directions.
//!
//! Scalar fields hold the text exactly as decoded (entities resolved,
//! child-element text trimmed): a real server may send values we do not know,
//! and the simulator must be able to echo what it got. Enumerated fields have
//! typed accessors (`CallStatus::event`, `CallError::failed_req`, ...) that
//! compare ASCII-case-insensitively and keep unknown values.

use std::borrow::Cow;

/// A value in a user-data (`UDataEx`) or extensions (`ExtnsEx`) list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// `Type="Str"` (and every type token we do not interpret).
    Str(String),
    /// `Type="Int"`; the encoder refuses values outside signed 32 bits.
    Int(i64),
}

/// One `Node` of a `UDataEx` / `ExtnsEx` list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyValue {
    pub key: String,
    pub value: Value,
}

impl KeyValue {
    /// A string entry.
    pub fn str(key: impl Into<String>, value: impl Into<String>) -> Self {
        KeyValue {
            key: key.into(),
            value: Value::Str(value.into()),
        }
    }
    /// An integer entry.
    pub fn int(key: impl Into<String>, value: i64) -> Self {
        KeyValue {
            key: key.into(),
            value: Value::Int(value),
        }
    }
}

/// An ordered key/value list; duplicates are kept.
pub type KeyValues = Vec<KeyValue>;

/// A whole XML message: the envelope's call id plus the message element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `<CallId>` text, trimmed; `None` when absent (allowed for session
    /// messages only).
    pub call_id: Option<String>,
    pub body: Body,
}

impl Message {
    /// A message about `call_id`.
    pub fn new(call_id: impl Into<String>, body: Body) -> Self {
        Message {
            call_id: Some(call_id.into()),
            body,
        }
    }
    /// The canonical element name (the received name for unknown messages).
    pub fn name(&self) -> &str {
        self.body.name()
    }
}

/// `LoginReq` (I->S, 3.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoginReq {
    pub version: String,
    pub client_name: String,
    pub report_status: Option<String>,
    pub server_monitor: Option<String>,
}

/// `LoginResp` (S->I, 3.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoginResp {
    /// `IServerVersion` (alias `IServerVer`); absence tolerated.
    pub iserver_version: Option<String>,
    pub result: String,
    pub status: Option<String>,
    pub config_options: Option<String>,
}

/// `FlowControl` (S->I, 3.3): every attribute and scalar child as received.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlowControl {
    /// `Status`, when present.
    pub status: Option<String>,
    /// Any other attribute or scalar child, name as received, in order.
    pub other: Vec<(String, String)>,
}

/// `MonitorInfo` (S->I, 3.4): every attribute and scalar child as received.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MonitorInfo {
    pub req_id: Option<String>,
    /// Any other attribute or scalar child, name as received, in order.
    pub other: Vec<(String, String)>,
}

/// `NewCall` (I->S, 3.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewCall {
    pub call_control_mode: Option<String>,
    pub version: Option<String>,
    pub called_num: String,
    pub dnis: Option<String>,
    pub ani: Option<String>,
    pub udata: KeyValues,
    pub extensions: KeyValues,
}

/// `CallInfoResp` (S->I, 3.6); every field optional, written as attributes
/// in this order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallInfoResp {
    pub ani: Option<String>,
    pub dnis: Option<String>,
    pub called_num: Option<String>,
    pub conn_id: Option<String>,
    pub ts_call_id: Option<String>,
    pub port_dn: Option<String>,
    pub port_trunk: Option<String>,
    pub port_queue: Option<String>,
    pub other_dn: Option<String>,
    pub other_trunk: Option<String>,
    pub other_queue: Option<String>,
    pub last_event: Option<String>,
    pub first_home_location: Option<String>,
    pub third_party_dn: Option<String>,
    pub udata: KeyValues,
}

/// `EndCall` (both directions, 3.7). Absent cause means `Normal`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EndCall {
    pub end_cause: Option<String>,
}

/// `OneStepConf`, `OneStepXfer`, `InitConf`, `InitXfer` (I->S, 3.8).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DestRequest {
    pub dest_dn: String,
    /// Decimal request number; `None` with `send_req_id = false`.
    pub req_id: Option<String>,
    pub udata: KeyValues,
    pub extensions: KeyValues,
}

/// `CompleteConf`, `CompleteXfer`, `RetrieveCall` (I->S, 3.9).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlainRequest {
    pub req_id: Option<String>,
}

/// `CallStatus` (S->I, 3.10).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallStatus {
    /// The `StatusEvent` text as received (read it as `&str` with
    /// `&*status.event` or `status.event.as_ref()`). Borrowed from a static
    /// string when it is exactly one of the ten documented spellings, so a
    /// decoded `CallStatus` allocates nothing for its event.
    pub event: Cow<'static, str>,
}

/// `CallError` (S->I, 3.11).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallError {
    /// Absent is read as `Unknown`.
    pub failed_req: Option<String>,
    /// `TLibErrCode` (any case of the name).
    pub tlib_err_code: Option<String>,
    pub req_id: Option<String>,
}

/// `UDataSet` (I->S, 3.12).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UDataSet {
    pub action: Option<String>,
    pub request_id: String,
    pub udata: KeyValues,
}

/// `UDataGet` / `UDataDel` (I->S, 3.12): key names, joined with `:` on the
/// wire (so a key containing `:` is refused by the encoder).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UDataKeys {
    pub keys: Vec<String>,
    pub request_id: String,
}

/// `UDataResp` (S->I, 3.12).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UDataResp {
    pub result: String,
    pub request_id: String,
    pub udata: KeyValues,
}

/// `RouteRequest` (I->S, 3.13).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouteRequest {
    pub route_dn: String,
    pub ced: Option<String>,
    pub udata: KeyValues,
    pub extensions: KeyValues,
}

/// `RouteResponse` (S->I, 3.13).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouteResponse {
    pub route_type: Option<String>,
    pub dest: Option<String>,
    pub extensions: KeyValues,
}

/// A well-formed message whose name is not in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnknownMessage {
    /// Element name as received.
    pub name: String,
    /// Attributes then scalar children, names as received, in order.
    pub fields: Vec<(String, String)>,
}

/// The message element inside `GctiMsg`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Body {
    LoginReq(LoginReq),
    LoginResp(LoginResp),
    FlowControl(FlowControl),
    MonitorInfo(MonitorInfo),
    NewCall(NewCall),
    CallInfoReq,
    CallInfoResp(CallInfoResp),
    EndCall(EndCall),
    OneStepConf(DestRequest),
    OneStepXfer(DestRequest),
    InitConf(DestRequest),
    InitXfer(DestRequest),
    CompleteConf(PlainRequest),
    CompleteXfer(PlainRequest),
    RetrieveCall(PlainRequest),
    CallStatus(CallStatus),
    CallError(CallError),
    UDataSet(UDataSet),
    UDataGet(UDataKeys),
    UDataDel(UDataKeys),
    UDataResp(UDataResp),
    RouteRequest(RouteRequest),
    RouteResponse(RouteResponse),
    Unknown(UnknownMessage),
}

impl Body {
    /// The canonical element name (the received name for unknown messages).
    pub fn name(&self) -> &str {
        match self {
            Body::LoginReq(_) => "LoginReq",
            Body::LoginResp(_) => "LoginResp",
            Body::FlowControl(_) => "FlowControl",
            Body::MonitorInfo(_) => "MonitorInfo",
            Body::NewCall(_) => "NewCall",
            Body::CallInfoReq => "CallInfoReq",
            Body::CallInfoResp(_) => "CallInfoResp",
            Body::EndCall(_) => "EndCall",
            Body::OneStepConf(_) => "OneStepConf",
            Body::OneStepXfer(_) => "OneStepXfer",
            Body::InitConf(_) => "InitConf",
            Body::InitXfer(_) => "InitXfer",
            Body::CompleteConf(_) => "CompleteConf",
            Body::CompleteXfer(_) => "CompleteXfer",
            Body::RetrieveCall(_) => "RetrieveCall",
            Body::CallStatus(_) => "CallStatus",
            Body::CallError(_) => "CallError",
            Body::UDataSet(_) => "UDataSet",
            Body::UDataGet(_) => "UDataGet",
            Body::UDataDel(_) => "UDataDel",
            Body::UDataResp(_) => "UDataResp",
            Body::RouteRequest(_) => "RouteRequest",
            Body::RouteResponse(_) => "RouteResponse",
            Body::Unknown(u) => &u.name,
        }
    }

    /// Session messages may come without a call id (2.3 step 11).
    pub fn is_session(&self) -> bool {
        matches!(
            self,
            Body::LoginReq(_)
                | Body::LoginResp(_)
                | Body::FlowControl(_)
                | Body::MonitorInfo(_)
                | Body::Unknown(_)
        )
    }
}

/// The ten documented `CallStatus` events (3.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusEvent {
    Dialing,
    Ringing,
    Established,
    Retrieved,
    Busy,
    Held,
    ConfPartyAdd,
    ConfPartyDel,
    XferComplete,
    Released,
}

impl StatusEvent {
    /// All ten, in the order of the catalogue.
    pub const ALL: [StatusEvent; 10] = [
        StatusEvent::Dialing,
        StatusEvent::Ringing,
        StatusEvent::Established,
        StatusEvent::Retrieved,
        StatusEvent::Busy,
        StatusEvent::Held,
        StatusEvent::ConfPartyAdd,
        StatusEvent::ConfPartyDel,
        StatusEvent::XferComplete,
        StatusEvent::Released,
    ];

    /// The wire token.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusEvent::Dialing => "Dialing",
            StatusEvent::Ringing => "Ringing",
            StatusEvent::Established => "Established",
            StatusEvent::Retrieved => "Retrieved",
            StatusEvent::Busy => "Busy",
            StatusEvent::Held => "Held",
            StatusEvent::ConfPartyAdd => "ConfPartyAdd",
            StatusEvent::ConfPartyDel => "ConfPartyDel",
            StatusEvent::XferComplete => "XferComplete",
            StatusEvent::Released => "Released",
        }
    }

    /// Parses a token ASCII-case-insensitively; `None` for undocumented
    /// values (logged by the engine, never reported).
    pub fn parse(token: &str) -> Option<StatusEvent> {
        StatusEvent::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(token.trim()))
    }
}

impl CallStatus {
    /// The event, or `None` for a value outside the ten documented ones.
    pub fn event(&self) -> Option<StatusEvent> {
        StatusEvent::parse(&self.event)
    }
    /// A status with a documented event.
    pub fn of(event: StatusEvent) -> Self {
        CallStatus {
            event: Cow::Borrowed(event.as_str()),
        }
    }
}

/// `CallError FailedReq` values (3.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailedReq {
    Unknown,
    NoSuchCall,
    OneStepXfer,
    OneStepConf,
    InitConf,
    CompleteConf,
    InitXfer,
    CompleteXfer,
    RetrieveCall,
    MakeCall,
    AgentControl,
    NotAllowed,
}

impl FailedReq {
    /// All twelve, in the order of the catalogue.
    pub const ALL: [FailedReq; 12] = [
        FailedReq::Unknown,
        FailedReq::NoSuchCall,
        FailedReq::OneStepXfer,
        FailedReq::OneStepConf,
        FailedReq::InitConf,
        FailedReq::CompleteConf,
        FailedReq::InitXfer,
        FailedReq::CompleteXfer,
        FailedReq::RetrieveCall,
        FailedReq::MakeCall,
        FailedReq::AgentControl,
        FailedReq::NotAllowed,
    ];

    /// The wire token.
    pub fn as_str(self) -> &'static str {
        match self {
            FailedReq::Unknown => "Unknown",
            FailedReq::NoSuchCall => "NoSuchCall",
            FailedReq::OneStepXfer => "OneStepXfer",
            FailedReq::OneStepConf => "OneStepConf",
            FailedReq::InitConf => "InitConf",
            FailedReq::CompleteConf => "CompleteConf",
            FailedReq::InitXfer => "InitXfer",
            FailedReq::CompleteXfer => "CompleteXfer",
            FailedReq::RetrieveCall => "RetrieveCall",
            FailedReq::MakeCall => "MakeCall",
            FailedReq::AgentControl => "AgentControl",
            FailedReq::NotAllowed => "NotAllowed",
        }
    }

    /// Parses ASCII-case-insensitively; values not in the table are `Unknown`.
    pub fn parse(token: &str) -> FailedReq {
        FailedReq::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(token.trim()))
            .unwrap_or(FailedReq::Unknown)
    }
}

/// Parses a decimal integer field (`ReqId`, `TLibErrCode`), surrounding
/// whitespace allowed; `None` when it is not one.
pub fn parse_decimal(text: &str) -> Option<i64> {
    let t = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse::<i64>().ok()
}

impl CallError {
    /// `FailedReq`, absent or unknown read as `Unknown`.
    pub fn failed_req(&self) -> FailedReq {
        self.failed_req
            .as_deref()
            .map(FailedReq::parse)
            .unwrap_or(FailedReq::Unknown)
    }
    /// `TLibErrCode` as a number, `None` when absent or not decimal.
    pub fn tlib_error(&self) -> Option<i32> {
        self.tlib_err_code
            .as_deref()
            .and_then(parse_decimal)
            .and_then(|v| i32::try_from(v).ok())
    }
    /// `ReqId` as a number, `None` when absent or not decimal.
    pub fn req_id(&self) -> Option<u32> {
        self.req_id
            .as_deref()
            .and_then(parse_decimal)
            .and_then(|v| u32::try_from(v).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumerations_parse_case_insensitively_and_keep_unknowns_apart() {
        assert_eq!(StatusEvent::parse("busy"), Some(StatusEvent::Busy));
        assert_eq!(StatusEvent::parse("Queued"), None);
        assert_eq!(FailedReq::parse("initconf"), FailedReq::InitConf);
        assert_eq!(FailedReq::parse("Whatever"), FailedReq::Unknown);
        let e = CallError {
            failed_req: None,
            tlib_err_code: Some(" 56 ".into()),
            req_id: Some("x".into()),
        };
        assert_eq!(e.failed_req(), FailedReq::Unknown);
        assert_eq!(e.tlib_error(), Some(56));
        assert_eq!(e.req_id(), None);
    }
}
