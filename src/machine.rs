//! What the two pure machines ([`crate::flow`] and [`crate::session`]) share
//! with the runtime that drives them: time as a count of milliseconds since
//! the engine's epoch, and the log records they hand up.
//!
//! Holds vocabulary only: no clock is read and nothing is written here.

use std::collections::VecDeque;

/// Milliseconds since the driver's epoch (the engine's start). The machines
/// compare and add these; only the runtime reads a clock.
pub type Millis = u64;

/// Log levels, in increasing verbosity; the values are the C constants
/// `IVRCONF_LOG_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u32)]
pub enum LogLevel {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

impl LogLevel {
    /// All five, least verbose first.
    pub const ALL: [LogLevel; 5] = [
        LogLevel::Error,
        LogLevel::Warn,
        LogLevel::Info,
        LogLevel::Debug,
        LogLevel::Trace,
    ];

    /// The level named `text` (ASCII case-insensitive).
    pub fn parse(text: &str) -> Option<LogLevel> {
        LogLevel::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(text))
    }

    /// Lower-case name, as in the config key.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// Something a machine wants logged that is no application event: for the
/// flow, messages for unknown calls, undocumented statuses, stray
/// `CallError`s; for the session, attempts, logins and link losses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub level: LogLevel,
    /// The call the record is about, if any.
    pub call_id: Option<String>,
    pub text: String,
}

/// A FIFO of log records that keeps at most `capacity`, dropping the oldest,
/// so a driver that never reads them cannot make a machine's memory grow.
#[derive(Debug)]
pub struct LogQueue {
    records: VecDeque<LogRecord>,
    capacity: usize,
}

impl LogQueue {
    pub fn new(capacity: usize) -> LogQueue {
        LogQueue {
            records: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    pub fn push(&mut self, level: LogLevel, call_id: Option<&str>, text: String) {
        if self.records.len() >= self.capacity {
            self.records.pop_front();
        }
        self.records.push_back(LogRecord {
            level,
            call_id: call_id.map(str::to_string),
            text,
        });
    }

    /// The oldest record.
    pub fn pop(&mut self) -> Option<LogRecord> {
        self.records.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_their_names_and_keep_the_c_values() {
        for level in LogLevel::ALL {
            assert_eq!(LogLevel::parse(level.as_str()), Some(level));
            assert_eq!(LogLevel::parse(&level.as_str().to_uppercase()), Some(level));
        }
        assert_eq!(LogLevel::parse("verbose"), None);
        assert_eq!(LogLevel::Error as u32, 1);
        assert_eq!(LogLevel::Trace as u32, 5);
        assert!(LogLevel::Warn < LogLevel::Debug);
    }

    #[test]
    fn log_queue_drops_the_oldest_past_capacity() {
        let mut q = LogQueue::new(2);
        for i in 0..3 {
            q.push(LogLevel::Warn, None, format!("{i}"));
        }
        assert_eq!(q.pop().map(|r| r.text), Some("1".to_string()));
        assert_eq!(q.pop().map(|r| r.text), Some("2".to_string()));
        assert_eq!(q.pop(), None);
    }
}
