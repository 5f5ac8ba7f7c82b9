//! Where the engine's log lines go: the level filter the core reads before
//! it writes a line (changed at run time by `Engine::set_log_level`), and,
//! for an application without a log callback, stderr when the environment
//! variable `IVRCONF_LOG` names a level.
//!
//! Must not decide what is logged (the machines and the core do): only
//! which lines pass, and how a stderr line looks.

use std::io::Write as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::SystemTime;

use super::config::LogLevel;
use super::dispatch::LogFn;
use crate::timestamp::rfc3339_utc_ms;

/// The environment variable that sends the log to stderr.
pub const LOG_ENV: &str = "IVRCONF_LOG";

/// The most verbose level that is written; shared by the core (reads it for
/// every line) and the API (sets it).
#[derive(Debug)]
pub(crate) struct LogFilter {
    level: AtomicU32,
}

impl LogFilter {
    pub(crate) fn new(level: LogLevel) -> LogFilter {
        LogFilter {
            level: AtomicU32::new(level as u32),
        }
    }

    pub(crate) fn set(&self, level: LogLevel) {
        self.level.store(level as u32, Ordering::Relaxed);
    }

    pub(crate) fn level(&self) -> LogLevel {
        let v = self.level.load(Ordering::Relaxed);
        LogLevel::ALL
            .into_iter()
            .find(|l| *l as u32 == v)
            .unwrap_or(LogLevel::Info)
    }

    /// Whether a line at `level` is written.
    pub(crate) fn passes(&self, level: LogLevel) -> bool {
        level as u32 <= self.level.load(Ordering::Relaxed)
    }
}

/// What `IVRCONF_LOG` asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum EnvLog {
    /// Unset or empty: nothing is written.
    Off,
    /// Write lines at this level and less verbose ones to stderr.
    Stderr(LogLevel),
    /// A value that names no level (said once on stderr).
    Invalid(String),
}

impl EnvLog {
    /// The meaning of the variable's value.
    pub(crate) fn parse(value: Option<&str>) -> EnvLog {
        match value.map(str::trim) {
            None | Some("") => EnvLog::Off,
            Some(v) => LogLevel::parse(v).map_or_else(|| EnvLog::Invalid(v.into()), EnvLog::Stderr),
        }
    }

    /// Reads the variable now.
    pub(crate) fn from_env() -> EnvLog {
        let value = std::env::var_os(LOG_ENV);
        EnvLog::parse(value.as_ref().map(|v| v.to_string_lossy()).as_deref())
    }
}

/// One stderr line: `<UTC time> ivrconf <LEVEL> <text>`.
pub(crate) fn stderr_line(at: SystemTime, level: LogLevel, text: &str) -> String {
    let level = level.as_str().to_ascii_uppercase();
    format!("{} ivrconf {level:<5} {text}", rfc3339_utc_ms(at))
}

/// A log callback that writes each line to stderr (on the dispatcher
/// thread, like any log callback). A failed write is dropped: the log must
/// not take the engine down.
pub(crate) fn stderr_sink() -> LogFn {
    Box::new(|level, text| {
        let line = stderr_line(SystemTime::now(), level, text);
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    })
}

/// Tells on stderr, once, that `IVRCONF_LOG` holds no level name.
pub(crate) fn report_invalid(value: &str) {
    let _ = writeln!(
        std::io::stderr().lock(),
        "ivrconf: {LOG_ENV}={value:?} is not a log level (error, warn, info, debug, trace): nothing is logged"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn the_variable_names_a_level_or_nothing() {
        assert_eq!(EnvLog::parse(None), EnvLog::Off);
        assert_eq!(EnvLog::parse(Some("")), EnvLog::Off);
        assert_eq!(
            EnvLog::parse(Some("DEBUG")),
            EnvLog::Stderr(LogLevel::Debug)
        );
        assert_eq!(
            EnvLog::parse(Some(" warn ")),
            EnvLog::Stderr(LogLevel::Warn)
        );
        assert_eq!(
            EnvLog::parse(Some("verbose")),
            EnvLog::Invalid("verbose".into())
        );
    }

    #[test]
    fn a_line_has_the_utc_time_the_level_and_the_text() {
        let at = UNIX_EPOCH + Duration::from_millis(1_740_819_907_042);
        assert_eq!(
            stderr_line(at, LogLevel::Warn, "link lost"),
            "2025-03-01T09:05:07.042Z ivrconf WARN  link lost"
        );
    }

    #[test]
    fn the_filter_passes_its_level_and_less_verbose_ones() {
        let f = LogFilter::new(LogLevel::Info);
        assert!(f.passes(LogLevel::Error) && f.passes(LogLevel::Info));
        assert!(!f.passes(LogLevel::Debug));
        f.set(LogLevel::Trace);
        assert!(f.passes(LogLevel::Trace));
        assert_eq!(f.level(), LogLevel::Trace);
        f.set(LogLevel::Error);
        assert!(!f.passes(LogLevel::Warn));
    }
}
