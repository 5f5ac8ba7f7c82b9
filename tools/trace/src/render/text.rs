//! The TEXT form of a trace (docs/TRACE.md): one line per entry,
//! `+<ms>.<µs> <who> <name> <text>`, frames the engine sent on its own
//! marked `(sent by the engine)`.
//!
//! Owns the time format shared by every picture. Must not escape for any
//! markup: the callers do.

use crate::trace::{Entry, Kind, Sender};

/// The mark of a frame the engine sent on its own.
pub const ENGINE_MARK: &str = "(sent by the engine)";

/// One entry's TEXT line, without a newline.
pub fn line(entry: &Entry) -> String {
    let mut line = format!("{} {} {}", time(entry.t_us), entry.dir(), entry.name);
    if !entry.text.is_empty() {
        line.push(' ');
        line.push_str(&entry.text);
    }
    // A recorder may already have put the mark into the text.
    if sent_by_engine(entry) && !entry.text.ends_with(ENGINE_MARK) {
        line.push(' ');
        line.push_str(ENGINE_MARK);
    }
    line
}

/// Whether the entry is a frame the engine sent on its own.
pub fn sent_by_engine(entry: &Entry) -> bool {
    matches!(
        entry.kind,
        Kind::ToServer {
            by: Sender::Engine,
            ..
        }
    )
}

/// `+<ms>.<µs>`: 12345 µs is `+12.345`.
pub fn time(t_us: u64) -> String {
    format!("+{}.{:03}", t_us / 1000, t_us % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Frame;

    #[test]
    fn time_is_milliseconds_dot_microseconds() {
        assert_eq!(time(0), "+0.000");
        assert_eq!(time(41), "+0.041");
        assert_eq!(time(1209), "+1.209");
        assert_eq!(time(12_345_678), "+12345.678");
    }

    #[test]
    fn engine_frames_are_marked_once() {
        let mut entry = Entry {
            t_us: 611_921,
            name: "RetrieveCall".to_string(),
            text: "CallId=C5 ReqId=2".to_string(),
            kind: Kind::ToServer {
                by: Sender::Engine,
                frame: Frame {
                    fields: vec![],
                    payload: String::new(),
                },
            },
        };
        assert_eq!(
            line(&entry),
            "+611.921 I->S RetrieveCall CallId=C5 ReqId=2 (sent by the engine)"
        );
        entry.text.push_str(" (sent by the engine)");
        assert_eq!(
            line(&entry),
            "+611.921 I->S RetrieveCall CallId=C5 ReqId=2 (sent by the engine)"
        );
        entry.kind = Kind::Timer;
        entry.text = String::new();
        assert_eq!(line(&entry), "+611.921 timer RetrieveCall");
    }
}
