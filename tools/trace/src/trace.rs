//! The parsed model of a call trace (docs/TRACE.md, JSONL version 1) and
//! its parser.
//!
//! Owns the schema: which fields each kind of entry must have and of which
//! type, the version check, and the line numbers in error messages. Fields
//! it does not know are ignored, as the schema asks of readers. Must not
//! know how a trace is drawn or printed.

use serde_json::{Map, Value};
use std::fmt;

/// The only schema version this reader knows.
pub const TRACE_VERSION: u64 = 1;

/// A whole trace: its header line and its entries, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub header: Header,
    pub entries: Vec<Entry>,
}

/// The first line of a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The ivrconf version that wrote the trace.
    pub version: String,
    pub call_id: String,
    /// UTC wall-clock time of the first entry (RFC 3339, kept as written).
    pub started: String,
}

/// One thing that happened to the call.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// µs since the first entry.
    pub t_us: u64,
    /// API function, message name, event kind, timer action, `warning` or
    /// `dropped`, depending on the kind.
    pub name: String,
    /// One readable line: what the TEXT form shows after the name.
    pub text: String,
    pub kind: Kind,
}

/// What an entry is, with the fields only that kind carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `app`: an API call made by the application.
    App {
        op_id: Option<u64>,
        result: Option<String>,
    },
    /// `I->S`: a frame ivrconf sent to the IVR Server.
    ToServer { by: Sender, frame: Frame },
    /// `S->I`: a frame received from the IVR Server.
    FromServer { frame: Frame },
    /// `event`: an event delivered to the application.
    Event(Event),
    /// `timer`: a timer armed, cancelled or fired.
    Timer,
    /// `warn`: a warning logged about the call.
    Warning,
    /// `note`: a remark of the recorder itself (entries dropped).
    Note { dropped: Option<u64> },
}

/// Who made ivrconf send a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// The direct result of an API call.
    App,
    /// The engine on its own (the `RetrieveCall` after `Busy`, ...).
    Engine,
}

/// The message of a frame entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The scalar fields, as name and value.
    pub fields: Vec<(String, String)>,
    /// The payload, one char per byte (Latin-1 code points).
    pub payload: String,
}

/// The event-only fields of an `event` entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    pub op_id: Option<u64>,
    /// CALL_STATUS: the status name (`HELD`, `BUSY`, ...).
    pub status: Option<String>,
    /// OPERATION_DONE: the outcome name (`COMPLETED`, `FAILED`, ...).
    pub outcome: Option<String>,
    /// The call state after the event.
    pub state: Option<String>,
    pub parties: Option<u64>,
}

impl Entry {
    /// The `dir` of the entry as written in the trace (and in the TEXT form).
    pub fn dir(&self) -> &'static str {
        match self.kind {
            Kind::App { .. } => "app",
            Kind::ToServer { .. } => "I->S",
            Kind::FromServer { .. } => "S->I",
            Kind::Event(_) => "event",
            Kind::Timer => "timer",
            Kind::Warning => "warn",
            Kind::Note { .. } => "note",
        }
    }
}

/// Why a trace could not be read, with the 1-based line it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceError {
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

impl std::error::Error for TraceError {}

/// Parses a whole JSONL trace. Blank lines are skipped; the first other
/// line must be the header.
pub fn parse(input: &str) -> Result<Trace, TraceError> {
    let mut lines = input
        .lines()
        .enumerate()
        .map(|(i, text)| (i + 1, text))
        .filter(|(_, text)| !text.trim().is_empty());
    let Some((header_line, header_text)) = lines.next() else {
        return Err(TraceError {
            line: 1,
            reason: "empty trace: no header line".to_string(),
        });
    };
    let header = object(header_text)
        .and_then(|o| header(&o))
        .map_err(|reason| TraceError {
            line: header_line,
            reason,
        })?;
    let entries = lines
        .map(|(line, text)| {
            object(text)
                .and_then(|o| entry(&o))
                .map_err(|reason| TraceError { line, reason })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Trace { header, entries })
}

/// One line as a JSON object.
fn object(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err("not a JSON object".to_string()),
        Err(e) => {
            // serde_json ends its message with the position in the string it
            // was given; within one line only the column means anything.
            let message = e.to_string();
            let position = format!(" at line {} column {}", e.line(), e.column());
            let message = message.strip_suffix(&position).unwrap_or(&message);
            Err(format!("not valid JSON: {message} (column {})", e.column()))
        }
    }
}

fn header(o: &Map<String, Value>) -> Result<Header, String> {
    let version = match o.get("ivrconf_trace") {
        None => {
            return Err(
                "not a trace header: the first line has no `ivrconf_trace` version".to_string(),
            )
        }
        Some(v) => v,
    };
    if version.as_u64() != Some(TRACE_VERSION) {
        return Err(format!(
            "unsupported trace version {version} (this ivrconf-trace reads version {TRACE_VERSION})"
        ));
    }
    Ok(Header {
        version: string(o, "version")?,
        call_id: string(o, "call_id")?,
        started: string(o, "started")?,
    })
}

fn entry(o: &Map<String, Value>) -> Result<Entry, String> {
    if o.contains_key("ivrconf_trace") {
        return Err("a second header line".to_string());
    }
    let t_us = number(o, "t_us")?.ok_or("`t_us` is missing")?;
    let dir = string(o, "dir")?;
    let name = string(o, "name")?;
    let text = string(o, "text")?;
    let kind = match dir.as_str() {
        "app" => Kind::App {
            op_id: number(o, "op_id")?,
            result: optional_string(o, "result")?,
        },
        "I->S" => Kind::ToServer {
            by: match string(o, "by")?.as_str() {
                "app" => Sender::App,
                "engine" => Sender::Engine,
                other => {
                    return Err(format!(
                        "`by` is {other:?}; version 1 knows \"app\" and \"engine\""
                    ))
                }
            },
            frame: frame(o)?,
        },
        "S->I" => Kind::FromServer { frame: frame(o)? },
        "event" => Kind::Event(event(o, &name)?),
        "timer" => Kind::Timer,
        "warn" => Kind::Warning,
        "note" => Kind::Note {
            dropped: number(o, "dropped")?,
        },
        other => {
            return Err(format!(
                "unknown `dir` {other:?}; version 1 knows app, I->S, S->I, event, timer, warn, note"
            ))
        }
    };
    Ok(Entry {
        t_us,
        name,
        text,
        kind,
    })
}

fn frame(o: &Map<String, Value>) -> Result<Frame, String> {
    let fields = match o.get("fields") {
        Some(Value::Object(fields)) => fields
            .iter()
            .map(|(name, value)| match value {
                Value::String(s) => Ok((name.clone(), s.clone())),
                _ => Err(format!("`fields.{name}` is not a string")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err("`fields` is not an object".to_string()),
        None => return Err("`fields` is missing (a frame has them)".to_string()),
    };
    Ok(Frame {
        fields,
        payload: string(o, "bytes")?,
    })
}

fn event(o: &Map<String, Value>, name: &str) -> Result<Event, String> {
    let event = Event {
        op_id: number(o, "op_id")?,
        status: optional_string(o, "status")?,
        outcome: optional_string(o, "outcome")?,
        state: optional_string(o, "state")?,
        parties: number(o, "parties")?,
    };
    match name {
        "CALL_STATUS" if event.status.is_none() => Err("CALL_STATUS without `status`".to_string()),
        "OPERATION_DONE" if event.outcome.is_none() => {
            Err("OPERATION_DONE without `outcome`".to_string())
        }
        _ => Ok(event),
    }
}

fn string(o: &Map<String, Value>, key: &str) -> Result<String, String> {
    optional_string(o, key)?.ok_or_else(|| format!("`{key}` is missing"))
}

fn optional_string(o: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match o.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("`{key}` is not a string")),
    }
}

fn number(o: &Map<String, Value>, key: &str) -> Result<Option<u64>, String> {
    match o.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("`{key}` is not a non-negative integer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = r#"{"ivrconf_trace":1,"version":"0.1.0","call_id":"C1","started":"2026-12-05T03:28:01.843210Z"}"#;

    #[test]
    fn reads_each_kind_and_ignores_unknown_fields() {
        let input = format!(
            "{HEADER}\n\
             {{\"t_us\":0,\"dir\":\"app\",\"name\":\"conference_init\",\"text\":\"dest=7001 -> op 1\",\"op_id\":1,\"result\":\"OK\",\"later\":[1]}}\n\
             {{\"t_us\":41,\"dir\":\"I->S\",\"name\":\"RetrieveCall\",\"text\":\"CallId=C1 ReqId=2\",\"by\":\"engine\",\"fields\":{{\"CallId\":\"C1\",\"ReqId\":\"2\"}},\"bytes\":\"<x/>\"}}\n\
             \n\
             {{\"t_us\":50,\"dir\":\"event\",\"name\":\"OPERATION_DONE\",\"text\":\"op 1 BUSY\",\"op_id\":1,\"outcome\":\"BUSY\",\"state\":\"ACTIVE\",\"parties\":2}}\n\
             {{\"t_us\":60,\"dir\":\"note\",\"name\":\"dropped\",\"text\":\"7 entries dropped\",\"dropped\":7}}\n"
        );
        let trace = parse(&input).unwrap();
        assert_eq!(trace.header.call_id, "C1");
        let dirs: Vec<_> = trace.entries.iter().map(Entry::dir).collect();
        assert_eq!(dirs, ["app", "I->S", "event", "note"]);
        let Kind::ToServer { by, frame } = &trace.entries[1].kind else {
            panic!("not a frame: {:?}", trace.entries[1]);
        };
        assert_eq!(*by, Sender::Engine);
        assert!(frame
            .fields
            .contains(&("ReqId".to_string(), "2".to_string())));
        let Kind::Event(event) = &trace.entries[2].kind else {
            panic!("not an event");
        };
        assert_eq!(event.outcome.as_deref(), Some("BUSY"));
        assert_eq!(event.parties, Some(2));
        assert_eq!(trace.entries[3].kind, Kind::Note { dropped: Some(7) });
    }

    #[test]
    fn refuses_an_unknown_version_on_its_line() {
        let e = parse(
            "\n{\"ivrconf_trace\":2,\"version\":\"9\",\"call_id\":\"C1\",\"started\":\"x\"}\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.reason.contains("unsupported trace version 2"), "{e}");
    }

    #[test]
    fn reports_the_line_of_a_broken_entry() {
        let input = format!(
            "{HEADER}\n{{\"t_us\":0,\"dir\":\"timer\",\"name\":\"armed\",\"text\":\"t\"}}\n{{\"t_us\":1,\"dir\":"
        );
        let e = parse(&input).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.reason.starts_with("not valid JSON"), "{e}");
        assert!(!e.reason.contains("at line"), "{e}");
    }

    #[test]
    fn refuses_entries_that_break_the_schema() {
        let cases = [
            (
                r#"{"t_us":-1,"dir":"timer","name":"armed","text":"t"}"#,
                "`t_us`",
            ),
            (
                r#"{"t_us":1,"dir":"sideways","name":"x","text":"t"}"#,
                "unknown `dir`",
            ),
            (
                r#"{"t_us":1,"dir":"I->S","name":"EndCall","text":"t","fields":{},"bytes":""}"#,
                "`by`",
            ),
            (
                r#"{"t_us":1,"dir":"S->I","name":"CallStatus","text":"t","bytes":""}"#,
                "`fields`",
            ),
            (
                r#"{"t_us":1,"dir":"S->I","name":"CallStatus","text":"t","fields":{"Event":3},"bytes":""}"#,
                "fields.Event",
            ),
            (
                r#"{"t_us":1,"dir":"event","name":"OPERATION_DONE","text":"t"}"#,
                "outcome",
            ),
            (
                r#"{"t_us":1,"dir":"event","name":"CALL_STATUS","text":"t","parties":"2","status":"HELD"}"#,
                "`parties`",
            ),
            (r#"[1,2]"#, "not a JSON object"),
            (HEADER, "second header"),
        ];
        for (line, expected) in cases {
            let e = parse(&format!("{HEADER}\n{line}\n")).unwrap_err();
            assert_eq!(e.line, 2, "{line}");
            assert!(e.reason.contains(expected), "{line}: {e}");
        }
    }

    #[test]
    fn refuses_a_first_line_that_is_not_a_header() {
        let e = parse(r#"{"t_us":0,"dir":"timer","name":"armed","text":"t"}"#).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.reason.contains("`ivrconf_trace`"), "{e}");
        assert_eq!(
            parse("  \n").unwrap_err().reason,
            "empty trace: no header line"
        );
    }
}
