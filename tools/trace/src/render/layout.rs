//! Where everything of the sequence diagram goes: three lifelines (App,
//! ivrconf, IVR Server), one row per entry from top to bottom, the label of
//! each arrow and note, and the size of the picture.
//!
//! Pure geometry and wording: no markup, no escaping (svg.rs writes the
//! result). Text widths are estimated for a monospace font, the only font
//! whose width is known without measuring.

use super::text;
use crate::trace::{Entry, Event, Frame, Kind, Trace};

/// Font size of labels and notes, px.
pub const FONT_SIZE: f64 = 12.0;
/// Advance of one monospace character at `FONT_SIZE` (0.6 em, with margin).
const CHAR_W: f64 = 7.3;
/// Labels and notes longer than this are cut with "…" (the title keeps all).
const MAX_CHARS: usize = 60;
/// The narrowest gap between two lifelines.
const MIN_LANE: f64 = 220.0;
/// Room beside a label within its lane.
const LANE_PAD: f64 = 48.0;
/// Advance of one monospace character of the time column (11 px).
const TIME_CHAR_W: f64 = 6.7;
/// Left margin of the picture.
const MARGIN: f64 = 16.0;
const HEAD_TOP: f64 = 58.0;
pub const HEAD_H: f64 = 28.0;
const FIRST_ROW: f64 = HEAD_TOP + HEAD_H + 14.0;
const ARROW_ROW_H: f64 = 32.0;
const NOTE_ROW_H: f64 = 26.0;
const OUTCOME_ROW_H: f64 = 32.0;
/// Message fields worth showing on a frame's arrow, in this order; the
/// title has all of them.
const KEY_FIELDS: [&str; 7] = [
    "DestDN",
    "Event",
    "FailedReq",
    "TLibErrCode",
    "EndCause",
    "CalledNum",
    "ReqId",
];

/// The three participants, left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifeline {
    App,
    Ivrconf,
    Server,
}

impl Lifeline {
    pub const ALL: [Lifeline; 3] = [Lifeline::App, Lifeline::Ivrconf, Lifeline::Server];

    pub fn name(self) -> &'static str {
        match self {
            Lifeline::App => "App",
            Lifeline::Ivrconf => "ivrconf",
            Lifeline::Server => "IVR Server",
        }
    }
}

/// How an arrow looks, by what it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrowStyle {
    /// An API call.
    Call,
    /// A frame sent as the direct result of an API call.
    Request,
    /// A frame the engine sent on its own: dashed.
    EngineRequest,
    /// A frame from the server.
    Reply,
    /// A `CallError` from the server.
    Error,
    /// An event to the application.
    Event,
}

/// How a note looks, by what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteStyle {
    Timer,
    Warning,
    Remark,
    /// An operation's outcome: COMPLETED.
    Success,
    /// An operation's outcome: any other.
    Failure,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Arrow {
        from: f64,
        to: f64,
        y: f64,
        label: String,
        style: ArrowStyle,
    },
    Note {
        left: f64,
        top: f64,
        width: f64,
        height: f64,
        text: String,
        style: NoteStyle,
    },
}

/// The drawing of one entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The entry's index in the trace (0-based).
    pub entry: usize,
    pub dir: &'static str,
    /// The full TEXT line, and for frames the payload.
    pub title: String,
    pub time: String,
    /// Baseline of the time in the time column.
    pub time_y: f64,
    pub shapes: Vec<Shape>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagram {
    pub width: f64,
    pub height: f64,
    pub heading: String,
    pub subheading: String,
    /// x of App, ivrconf and IVR Server.
    pub lifeline_x: [f64; 3],
    /// Top of the participant boxes above and below the rows.
    pub head_top: f64,
    pub foot_top: f64,
    pub time_right: f64,
    pub rows: Vec<Row>,
}

impl Diagram {
    pub fn x(&self, lifeline: Lifeline) -> f64 {
        self.lifeline_x[lifeline as usize]
    }
}

/// Width of a text in the monospace label font.
pub fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_W
}

/// Width of a participant box.
pub fn head_width(lifeline: Lifeline) -> f64 {
    text_width(lifeline.name()) + 24.0
}

/// What one entry draws, before it has a place.
enum Sketch {
    Arrow(Lifeline, Lifeline, String, ArrowStyle),
    Note(String, NoteStyle),
    /// An OPERATION_DONE: the arrow, then the outcome box below it.
    Outcome(String, String, NoteStyle),
}

pub fn layout(trace: &Trace) -> Diagram {
    let sketches: Vec<Sketch> = trace.entries.iter().map(sketch).collect();

    // Each lane is as wide as its widest label; notes sit on the ivrconf
    // lifeline and reach into both lanes, outcome boxes span the left lane.
    let mut lane_left = MIN_LANE;
    let mut lane_right = MIN_LANE;
    for s in &sketches {
        match s {
            Sketch::Arrow(from, to, label, _) => {
                let w = text_width(label) + LANE_PAD;
                if *from == Lifeline::App || *to == Lifeline::App {
                    lane_left = lane_left.max(w);
                } else {
                    lane_right = lane_right.max(w);
                }
            }
            Sketch::Note(note, _) => {
                let half = note_width(note) / 2.0 + LANE_PAD / 2.0;
                lane_left = lane_left.max(half);
                lane_right = lane_right.max(half);
            }
            Sketch::Outcome(label, outcome, _) => {
                lane_left = lane_left
                    .max(text_width(label) + LANE_PAD)
                    .max(note_width(outcome) + LANE_PAD);
            }
        }
    }
    // The time column is as wide as the longest time; App comes after it.
    let time_chars = trace
        .entries
        .iter()
        .map(|e| text::time(e.t_us).len())
        .max()
        .unwrap_or(0)
        .max(6);
    let time_right = MARGIN + time_chars as f64 * TIME_CHAR_W;
    let x_app = time_right + 24.0 + head_width(Lifeline::App) / 2.0;
    let x_ivr = x_app + lane_left;
    let x_srv = x_ivr + lane_right;
    let x_of = |l: Lifeline| match l {
        Lifeline::App => x_app,
        Lifeline::Ivrconf => x_ivr,
        Lifeline::Server => x_srv,
    };

    let mut y = FIRST_ROW;
    let mut rows = Vec::with_capacity(sketches.len());
    for (index, (entry, s)) in trace.entries.iter().zip(sketches).enumerate() {
        let (shapes, time_y, height) = match s {
            Sketch::Arrow(from, to, label, style) => {
                let line_y = y + 22.0;
                let arrow = arrow_shape(x_of(from), x_of(to), line_y, label, style);
                (vec![arrow], line_y + 4.0, ARROW_ROW_H)
            }
            Sketch::Note(note, style) => {
                let width = note_width(&note);
                let shape = note_shape(x_ivr - width / 2.0, y + 3.0, width, note, style);
                (vec![shape], y + 17.0, NOTE_ROW_H)
            }
            Sketch::Outcome(label, outcome, style) => {
                let line_y = y + 22.0;
                let arrow = arrow_shape(x_ivr, x_app, line_y, label, ArrowStyle::Event);
                let width = note_width(&outcome);
                let left = (x_app + x_ivr) / 2.0 - width / 2.0;
                let box_top = y + ARROW_ROW_H + 3.0;
                let shape = note_shape(left, box_top, width, outcome, style);
                (
                    vec![arrow, shape],
                    line_y + 4.0,
                    ARROW_ROW_H + OUTCOME_ROW_H,
                )
            }
        };
        rows.push(Row {
            entry: index,
            dir: entry.dir(),
            title: title(entry),
            time: text::time(entry.t_us),
            time_y,
            shapes,
        });
        y += height;
    }

    let foot_top = y + 14.0;
    let h = &trace.header;
    let subheading = format!(
        "ivrconf {}, started {}; times in ms since the first entry; dashed: sent by the engine on its own",
        h.version, h.started
    );
    // The subheading is sans-serif: its width is a generous guess.
    let subheading_width = 2.0 * MARGIN + subheading.chars().count() as f64 * 6.5;
    Diagram {
        // Whole pixels, so a renderer's last row and column are covered.
        width: (x_srv + head_width(Lifeline::Server) / 2.0 + 24.0)
            .max(subheading_width)
            .ceil(),
        height: (foot_top + HEAD_H + 16.0).ceil(),
        heading: format!("Call {}", h.call_id),
        subheading,
        lifeline_x: [x_app, x_ivr, x_srv],
        head_top: HEAD_TOP,
        foot_top,
        time_right,
        rows,
    }
}

fn arrow_shape(from: f64, to: f64, y: f64, label: String, style: ArrowStyle) -> Shape {
    Shape::Arrow {
        from,
        to,
        y,
        label,
        style,
    }
}

fn note_shape(left: f64, top: f64, width: f64, text: String, style: NoteStyle) -> Shape {
    Shape::Note {
        left,
        top,
        width,
        height: 20.0,
        text,
        style,
    }
}

fn note_width(text: &str) -> f64 {
    text_width(text) + 16.0
}

fn sketch(entry: &Entry) -> Sketch {
    use Lifeline::{App, Ivrconf, Server};
    let name = entry.name.as_str();
    match &entry.kind {
        Kind::App { .. } => Sketch::Arrow(
            App,
            Ivrconf,
            fit(&join(name, &entry.text)),
            ArrowStyle::Call,
        ),
        Kind::ToServer { frame, .. } => {
            let (label, style) = if text::sent_by_engine(entry) {
                (
                    format!("{} (engine)", frame_label(name, frame)),
                    ArrowStyle::EngineRequest,
                )
            } else {
                (frame_label(name, frame), ArrowStyle::Request)
            };
            Sketch::Arrow(Ivrconf, Server, fit(&label), style)
        }
        Kind::FromServer { frame } => {
            let style = if name == "CallError" {
                ArrowStyle::Error
            } else {
                ArrowStyle::Reply
            };
            Sketch::Arrow(Server, Ivrconf, fit(&frame_label(name, frame)), style)
        }
        Kind::Event(event) => match &event.outcome {
            Some(outcome) if name == "OPERATION_DONE" => {
                let style = if outcome == "COMPLETED" {
                    NoteStyle::Success
                } else {
                    NoteStyle::Failure
                };
                Sketch::Outcome(
                    fit(&join(name, outcome)),
                    fit(&outcome_text(outcome, event)),
                    style,
                )
            }
            _ => Sketch::Arrow(
                Ivrconf,
                App,
                fit(&event_label(name, event)),
                ArrowStyle::Event,
            ),
        },
        Kind::Timer => Sketch::Note(
            fit(&join(&format!("timer {name}:"), &entry.text)),
            NoteStyle::Timer,
        ),
        Kind::Warning => Sketch::Note(fit(&join("warning:", &entry.text)), NoteStyle::Warning),
        Kind::Note { .. } => Sketch::Note(
            fit(&join(&format!("{name}:"), &entry.text)),
            NoteStyle::Remark,
        ),
    }
}

/// The message name and its key fields: `InitConf DestDN=7001 ReqId=1`.
fn frame_label(name: &str, frame: &Frame) -> String {
    let mut label = name.to_string();
    for key in KEY_FIELDS {
        let found = frame
            .fields
            .iter()
            .find(|(field, _)| field.eq_ignore_ascii_case(key));
        if let Some((field, value)) = found {
            label.push_str(&format!(" {field}={value}"));
        }
    }
    label
}

/// `CALL_STATUS HELD (CONSULTING)`, `CALL_ENDED`.
fn event_label(name: &str, event: &Event) -> String {
    let mut label = name.to_string();
    if let Some(what) = event.status.as_ref().or(event.outcome.as_ref()) {
        label.push(' ');
        label.push_str(what);
    }
    if let Some(state) = &event.state {
        label.push_str(&format!(" ({state})"));
    }
    label
}

/// `op 1: BUSY, state ACTIVE, 2 parties`.
fn outcome_text(outcome: &str, event: &Event) -> String {
    let mut text = match event.op_id {
        Some(op) => format!("op {op}: {outcome}"),
        None => outcome.to_string(),
    };
    if let Some(state) = &event.state {
        text.push_str(&format!(", state {state}"));
    }
    if let Some(parties) = event.parties {
        text.push_str(&format!(", {parties} parties"));
    }
    text
}

fn title(entry: &Entry) -> String {
    let line = text::line(entry);
    match &entry.kind {
        Kind::ToServer { frame, .. } | Kind::FromServer { frame } => {
            format!("{line}\n{}", frame.payload)
        }
        _ => line,
    }
}

fn join(first: &str, rest: &str) -> String {
    if rest.is_empty() {
        first.to_string()
    } else {
        format!("{first} {rest}")
    }
}

/// One line of at most `MAX_CHARS` characters.
fn fit(text: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.chars().count() <= MAX_CHARS {
        line
    } else {
        let mut cut: String = line.chars().take(MAX_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Header, Sender};

    fn entry(t_us: u64, name: &str, text: &str, kind: Kind) -> Entry {
        Entry {
            t_us,
            name: name.to_string(),
            text: text.to_string(),
            kind,
        }
    }

    fn frame(fields: &[(&str, &str)]) -> Frame {
        Frame {
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            payload: "<GctiMsg/>".to_string(),
        }
    }

    fn trace(entries: Vec<Entry>) -> Trace {
        Trace {
            header: Header {
                version: "0.1.0".to_string(),
                call_id: "C5".to_string(),
                started: "2026-12-05T03:31:44.102387Z".to_string(),
            },
            entries,
        }
    }

    #[test]
    fn one_row_per_entry_downwards_with_arrows_between_the_right_lifelines() {
        let t = trace(vec![
            entry(
                0,
                "conference_init",
                "dest=7002 -> op 1",
                Kind::App {
                    op_id: Some(1),
                    result: None,
                },
            ),
            entry(
                41,
                "InitConf",
                "",
                Kind::ToServer {
                    by: Sender::App,
                    frame: frame(&[("CallId", "C5"), ("DestDN", "7002"), ("ReqId", "1")]),
                },
            ),
            entry(900, "armed", "request", Kind::Timer),
            entry(
                1200,
                "CallStatus",
                "",
                Kind::FromServer {
                    frame: frame(&[("CallId", "C5"), ("Event", "Busy")]),
                },
            ),
            entry(
                1300,
                "RetrieveCall",
                "",
                Kind::ToServer {
                    by: Sender::Engine,
                    frame: frame(&[("CallId", "C5"), ("ReqId", "2")]),
                },
            ),
            entry(
                1400,
                "OPERATION_DONE",
                "",
                Kind::Event(Event {
                    op_id: Some(1),
                    outcome: Some("BUSY".to_string()),
                    state: Some("ACTIVE".to_string()),
                    ..Event::default()
                }),
            ),
        ]);
        let d = layout(&t);
        let [app, ivr, srv] = d.lifeline_x;
        assert!(app < ivr && ivr < srv && srv < d.width);
        assert_eq!(
            d.rows.iter().map(|r| r.entry).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4, 5]
        );
        let ends: Vec<_> = d
            .rows
            .iter()
            .map(|r| match &r.shapes[0] {
                Shape::Arrow {
                    from,
                    to,
                    label,
                    style,
                    ..
                } => (*from, *to, label.clone(), Some(*style)),
                Shape::Note {
                    left, width, text, ..
                } => (*left, *left + *width, text.clone(), None),
            })
            .collect();
        assert_eq!(
            ends[0],
            (
                app,
                ivr,
                "conference_init dest=7002 -> op 1".to_string(),
                Some(ArrowStyle::Call)
            )
        );
        assert_eq!(
            ends[1],
            (
                ivr,
                srv,
                "InitConf DestDN=7002 ReqId=1".to_string(),
                Some(ArrowStyle::Request)
            )
        );
        assert!(
            ends[2].0 < ivr && ivr < ends[2].1,
            "the timer note sits on ivrconf"
        );
        assert_eq!(
            ends[3],
            (
                srv,
                ivr,
                "CallStatus Event=Busy".to_string(),
                Some(ArrowStyle::Reply)
            )
        );
        assert_eq!(
            ends[4],
            (
                ivr,
                srv,
                "RetrieveCall ReqId=2 (engine)".to_string(),
                Some(ArrowStyle::EngineRequest)
            )
        );
        assert_eq!(
            ends[5],
            (
                ivr,
                app,
                "OPERATION_DONE BUSY".to_string(),
                Some(ArrowStyle::Event)
            )
        );
        let Shape::Note { text, style, .. } = &d.rows[5].shapes[1] else {
            panic!("no outcome box: {:?}", d.rows[5]);
        };
        assert_eq!(
            (text.as_str(), *style),
            ("op 1: BUSY, state ACTIVE", NoteStyle::Failure)
        );
        let ys: Vec<f64> = d.rows.iter().map(|r| r.time_y).collect();
        assert!(ys.windows(2).all(|w| w[0] < w[1]), "{ys:?}");
        assert!(
            d.foot_top > ys[5] + 20.0,
            "the outcome box is above the foot"
        );
        assert_eq!(d.rows[4].time, "+1.300");
        assert_eq!(
            d.rows[4].title,
            "+1.300 I->S RetrieveCall (sent by the engine)\n<GctiMsg/>"
        );
    }

    #[test]
    fn lanes_grow_with_labels_and_long_labels_are_cut() {
        let short = layout(&trace(vec![entry(
            0,
            "call_end",
            "",
            Kind::App {
                op_id: None,
                result: None,
            },
        )]));
        let long_text = "x".repeat(200);
        let long = layout(&trace(vec![entry(
            0,
            "call_end",
            &long_text,
            Kind::App {
                op_id: None,
                result: None,
            },
        )]));
        assert!(
            long.x(Lifeline::Ivrconf) - long.x(Lifeline::App)
                > short.x(Lifeline::Ivrconf) - short.x(Lifeline::App)
        );
        let Shape::Arrow { label, .. } = &long.rows[0].shapes[0] else {
            panic!()
        };
        assert_eq!(label.chars().count(), MAX_CHARS);
        assert!(label.ends_with('…'));
        assert!(
            long.rows[0].title.contains(&long_text),
            "the title keeps the whole text"
        );
        let lane = long.x(Lifeline::Ivrconf) - long.x(Lifeline::App);
        assert!(text_width(label) < lane, "the cut label fits its lane");
    }
}
