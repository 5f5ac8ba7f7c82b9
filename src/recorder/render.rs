//! Turns a [`Trace`] into text: one line per entry, a Mermaid sequence
//! diagram, or JSON lines (schema version 1, docs/TRACE.md). Frames are
//! decoded here, at render time, from the bytes the recorder kept.

use std::fmt::Write as _;

use super::{Answer, Entry, EventNote, SentBy, TimerChange, Trace};
use crate::flow::CallEventKind;
use crate::timestamp::rfc3339_utc_us;
use crate::wire::{decode, Message};

/// The JSONL schema version written in the header line.
pub const SCHEMA_VERSION: u32 = 1;

/// The rendering formats; the values are the C constants
/// `IVRCONF_TRACE_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Format {
    Text = 1,
    Mermaid = 2,
    Jsonl = 3,
}

impl Format {
    pub fn from_u32(v: u32) -> Option<Format> {
        match v {
            1 => Some(Format::Text),
            2 => Some(Format::Mermaid),
            3 => Some(Format::Jsonl),
            _ => None,
        }
    }
}

pub(super) fn render(trace: &Trace, format: Format) -> String {
    match format {
        Format::Text => text(trace),
        Format::Mermaid => mermaid(trace),
        Format::Jsonl => jsonl(trace),
    }
}

/// A frame's payload as a message, for its name and fields.
struct Frame {
    name: String,
    /// `CallId` first, then the body's scalar fields in catalogue order.
    fields: Vec<(String, String)>,
}

fn frame(payload: &[u8]) -> Frame {
    match decode(payload) {
        Ok(msg) => Frame {
            name: msg.name().to_string(),
            fields: fields(&msg),
        },
        Err(e) => Frame {
            name: "#undecodable".to_string(),
            fields: vec![("error".to_string(), e.to_string())],
        },
    }
}

/// A message's fields as a trace shows them: `CallId` first, the body's
/// scalar fields in catalogue order, then the size of the user data (also
/// used by `ivrconf-trace import`, so imported traces match recorded ones).
pub fn fields(msg: &Message) -> Vec<(String, String)> {
    let body = msg.body.fields();
    msg.call_id
        .iter()
        .map(|id| ("CallId".to_string(), id.clone()))
        .chain(
            body.scalars
                .iter()
                .map(|f| (f.name.to_string(), f.value.to_string())),
        )
        .chain(
            (!body.udata.is_empty())
                .then(|| ("UDataEx".to_string(), format!("{} keys", body.udata.len()))),
        )
        .collect()
}

/// The fields as `Name=value` words, the TEXT form of a frame.
pub fn fields_text(fields: &[(String, String)]) -> String {
    let mut s = String::new();
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{k}={v}");
    }
    s
}

/// The TEXT form's `<who>` column.
fn who(entry: &Entry) -> &'static str {
    match entry {
        Entry::App { .. } => "app",
        Entry::Sent { .. } => "I->S",
        Entry::Received { .. } => "S->I",
        Entry::Event(_) => "event",
        Entry::Timer(_) => "timer",
        Entry::Warning(_) => "warn",
        Entry::Dropped(_) => "note",
    }
}

/// An entry's name and one readable line.
fn describe(entry: &Entry, start_us: u64) -> (String, String) {
    match entry {
        Entry::App { name, args, answer } => {
            let answer = match answer {
                Answer::Ok => "-> OK".to_string(),
                Answer::Op(op) => format!("-> op {op}"),
                Answer::Refused { result, why } => format!("-> {result}: {why}"),
            };
            let text = if args.is_empty() {
                answer
            } else {
                format!("{args} {answer}")
            };
            (name.to_string(), text)
        }
        Entry::Sent { by, payload } => {
            let f = frame(payload);
            let mut text = fields_text(&f.fields);
            if *by == SentBy::Engine {
                text.push_str(" (sent by the engine)");
            }
            (f.name, text)
        }
        Entry::Received { payload } => {
            let f = frame(payload);
            (f.name, fields_text(&f.fields))
        }
        Entry::Event(e) => (kind_name(e.kind).to_string(), event_text(e)),
        Entry::Timer(change) => match change {
            TimerChange::Armed { due_us } => {
                let due = due_us.saturating_sub(start_us);
                ("armed".into(), format!("due at +{}", ms(due)))
            }
            TimerChange::Cancelled => ("cancelled".into(), String::new()),
            TimerChange::Fired => ("fired".into(), String::new()),
        },
        Entry::Warning(text) => ("warning".into(), text.clone()),
        Entry::Dropped(n) => ("dropped".into(), format!("{n} entries dropped here")),
    }
}

fn kind_name(kind: CallEventKind) -> &'static str {
    match kind {
        CallEventKind::CallStatus => "CALL_STATUS",
        CallEventKind::OperationDone => "OPERATION_DONE",
        CallEventKind::CallEnded => "CALL_ENDED",
    }
}

fn event_text(e: &EventNote) -> String {
    let head = match (e.kind, e.status, e.outcome) {
        (CallEventKind::CallStatus, Some(s), _) => s.as_str().to_string(),
        (CallEventKind::OperationDone, _, Some(o)) => format!("op {} {}", e.op_id, o.name()),
        _ => String::new(),
    };
    let tail = format!("{}, {} parties", e.state, e.parties);
    if head.is_empty() {
        tail
    } else {
        format!("{head}, {tail}")
    }
}

/// `12.345` for 12 345 µs.
fn ms(us: u64) -> String {
    format!("{}.{:03}", us / 1000, us % 1000)
}

fn text(trace: &Trace) -> String {
    let mut out = String::new();
    for (t, entry) in trace.entries() {
        let (name, text) = describe(&entry, trace.start_us);
        let _ = write!(out, "+{} {} {name}", ms(t), who(&entry));
        if !text.is_empty() {
            out.push(' ');
            out.push_str(&text);
        }
        out.push('\n');
    }
    out
}

fn mermaid(trace: &Trace) -> String {
    let mut out = String::from(
        "sequenceDiagram\n    participant App\n    participant E as ivrconf\n    participant S as IVR Server\n",
    );
    for (t, entry) in trace.entries() {
        let (name, text) = describe(&entry, trace.start_us);
        let label = mermaid_text(&format!("+{} {name} {text}", ms(t)));
        let line = match &entry {
            Entry::App { .. } => format!("App->>E: {label}"),
            Entry::Sent {
                by: SentBy::App, ..
            } => format!("E->>S: {label}"),
            Entry::Sent { .. } => format!("E-->>S: {label}"),
            Entry::Received { .. } => format!("S->>E: {label}"),
            Entry::Event(e) => {
                let arrow = format!("E->>App: {label}");
                match (e.kind, e.outcome) {
                    (CallEventKind::OperationDone, Some(o)) => format!(
                        "{arrow}\n    Note over App,S: op {} ended {}",
                        e.op_id,
                        o.name()
                    ),
                    _ => arrow,
                }
            }
            Entry::Timer(_) | Entry::Warning(_) | Entry::Dropped(_) => {
                format!("Note over E: {label}")
            }
        };
        out.push_str("    ");
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Mermaid labels end at a newline and treat `;` and `#` specially.
fn mermaid_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\r' | ';' => ' ',
            '#' => '_',
            c => c,
        })
        .collect()
}

fn jsonl(trace: &Trace) -> String {
    let mut out = String::new();
    let started = rfc3339_utc_us(
        std::time::UNIX_EPOCH + std::time::Duration::from_micros(trace.started_unix_us),
    );
    let _ = writeln!(
        out,
        "{{\"ivrconf_trace\":{SCHEMA_VERSION},\"version\":{},\"call_id\":{},\"started\":{}}}",
        json_str(crate::VERSION),
        json_str(trace.call_id()),
        json_str(&started)
    );
    for (t, entry) in trace.entries() {
        let (name, text) = describe(&entry, trace.start_us);
        let _ = write!(
            out,
            "{{\"t_us\":{t},\"dir\":{},\"name\":{},\"text\":{}",
            json_str(who(&entry)),
            json_str(&name),
            json_str(&text)
        );
        match &entry {
            Entry::App { answer, .. } => {
                let (result, op) = match answer {
                    Answer::Ok => ("OK", 0),
                    Answer::Op(op) => ("OK", *op),
                    Answer::Refused { result, .. } => (*result, 0),
                };
                let _ = write!(out, ",\"op_id\":{op},\"result\":{}", json_str(result));
            }
            Entry::Sent { by, payload } => {
                let by = if *by == SentBy::App { "app" } else { "engine" };
                let _ = write!(out, ",\"by\":{}", json_str(by));
                frame_json(&mut out, payload);
            }
            Entry::Received { payload } => frame_json(&mut out, payload),
            Entry::Event(e) => {
                let _ = write!(
                    out,
                    ",\"op_id\":{},\"state\":{},\"parties\":{}",
                    e.op_id,
                    json_str(&e.state.to_string()),
                    e.parties
                );
                if let Some(s) = e.status {
                    let _ = write!(out, ",\"status\":{}", json_str(&upper_snake(s.as_str())));
                }
                if let Some(o) = e.outcome {
                    let _ = write!(out, ",\"outcome\":{}", json_str(o.name()));
                }
            }
            Entry::Dropped(n) => {
                let _ = write!(out, ",\"dropped\":{n}");
            }
            Entry::Timer(_) | Entry::Warning(_) => {}
        }
        out.push_str("}\n");
    }
    out
}

fn frame_json(out: &mut String, payload: &[u8]) {
    let f = frame(payload);
    out.push_str(",\"fields\":{");
    for (i, (k, v)) in f.fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{}:{}", json_str(k), json_str(v));
    }
    out.push('}');
    // Each byte as the code point of the same value: Latin-1 round-trips.
    let bytes: String = payload.iter().map(|&b| char::from(b)).collect();
    let _ = write!(out, ",\"bytes\":{}", json_str(&bytes));
}

/// `ConfPartyAdd` -> `CONF_PARTY_ADD`, as the C constants spell it.
fn upper_snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// `s` as a JSON string literal, escaped the way every trace line is (also
/// used by `ivrconf-trace import`, so imported traces match recorded ones).
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
