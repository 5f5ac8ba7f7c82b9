//! Engine configuration: the keys of C-API.md "Config" with their defaults
//! and the rules of PROTOCOL.md section 6, checked when a value is set.
//!
//! Holds values only; knows nothing of threads or sockets.

use std::fmt;

use crate::flow::{FlowConfig, ReconcileCalls};
use crate::session::SessionConfig;

pub use crate::machine::LogLevel;

/// Why a key or value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The key does not exist (`IVRCONF_ERR_UNKNOWN_KEY`).
    UnknownKey(String),
    /// The value breaks the key's rule (`IVRCONF_ERR_INVALID_ARGUMENT`).
    InvalidValue { key: String, reason: String },
    /// The configuration as a whole cannot start an engine
    /// (`IVRCONF_ERR_CONFIG`).
    Inconsistent(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::UnknownKey(k) => write!(f, "unknown config key '{k}'"),
            ConfigError::InvalidValue { key, reason } => {
                write!(f, "invalid value for config key '{key}': {reason}")
            }
            ConfigError::Inconsistent(why) => write!(f, "configuration error: {why}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A validated `host:port` server address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAddr {
    pub host: String,
    pub port: u16,
}

impl fmt::Display for ServerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Every setting of an engine, defaults as C-API.md.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub servers: Vec<ServerAddr>,
    pub client_name: Option<String>,
    pub protocol_version: String,
    pub call_control_mode: String,
    pub connect_timeout_ms: u64,
    pub reconnect_min_ms: u64,
    pub reconnect_max_ms: u64,
    pub keepalive_interval_ms: u64,
    pub keepalive_timeout_ms: u64,
    pub report_status: String,
    pub server_monitor: String,
    pub send_req_id: bool,
    pub request_timeout_ms: u64,
    pub no_answer_timeout_ms: u64,
    pub log_level: LogLevel,
    /// Events and log lines the application may leave untaken before the
    /// engine stops reading from the server.
    pub event_queue_max: usize,
    pub reconcile_calls: ReconcileCalls,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            servers: Vec::new(),
            client_name: None,
            protocol_version: "4.0".into(),
            call_control_mode: "Network".into(),
            connect_timeout_ms: 5000,
            reconnect_min_ms: 200,
            reconnect_max_ms: 30000,
            keepalive_interval_ms: 10000,
            keepalive_timeout_ms: 30000,
            report_status: "true".into(),
            server_monitor: "clear".into(),
            send_req_id: true,
            request_timeout_ms: 10000,
            no_answer_timeout_ms: 30000,
            log_level: LogLevel::Info,
            event_queue_max: 65536,
            reconcile_calls: ReconcileCalls::None,
        }
    }
}

const MAX_MS: u64 = 2_147_483_647;

fn invalid(key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::InvalidValue {
        key: key.to_string(),
        reason: reason.into(),
    }
}

fn parse_ms(key: &str, value: &str, zero_allowed: bool) -> Result<u64, ConfigError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            key,
            format!("'{value}' is not a whole number of milliseconds"),
        ));
    }
    let n: u64 = value
        .parse()
        .map_err(|_| invalid(key, format!("'{value}' is out of range")))?;
    let min = if zero_allowed { 0 } else { 1 };
    if n < min || n > MAX_MS {
        return Err(invalid(key, format!("{n} is outside {min}..{MAX_MS}")));
    }
    Ok(n)
}

/// A count 1..2147483647 (like the millisecond values, it fits a C int).
fn parse_count(key: &str, value: &str) -> Result<usize, ConfigError> {
    let n = value
        .parse::<u64>()
        .ok()
        .filter(|n| (1..=MAX_MS).contains(n) && !value.starts_with('+'))
        .ok_or_else(|| invalid(key, format!("'{value}' is not a whole number 1..{MAX_MS}")))?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

/// Most characters a text key may hold, for the keys sent to the server
/// (`LoginReq ClientName`, `Version`, `NewCall CallControlMode`): a longer
/// value could never be sent, so it is refused when set rather than at
/// every login or call.
fn max_chars(key: &str) -> Option<usize> {
    match key {
        "client_name" => Some(255),
        "protocol_version" | "call_control_mode" => Some(64),
        _ => None,
    }
}

fn parse_text(key: &str, value: &str, may_be_empty: bool) -> Result<String, ConfigError> {
    if value.is_empty() {
        return if may_be_empty {
            Ok(String::new())
        } else {
            Err(invalid(key, "must not be empty"))
        };
    }
    if let Some(max) = max_chars(key) {
        let count = value.chars().count();
        if count > max {
            return Err(invalid(
                key,
                format!("{count} characters, at most {max} allowed (1..{max})"),
            ));
        }
    }
    crate::wire::validate_text(key, value).map_err(|e| invalid(key, e.to_string()))?;
    Ok(value.to_string())
}

fn parse_server(value: &str) -> Result<ServerAddr, ConfigError> {
    let bad = |why: &str| invalid("server", format!("'{value}' {why} (expected host:port)"));
    let (host, port) = value.rsplit_once(':').ok_or_else(|| bad("has no port"))?;
    // An IPv6 literal comes in brackets ("[::1]:9090"); a bare host may not
    // contain ':' or brackets, so "::1:80" and "[::1:80" are refused here
    // rather than failing at every connection attempt.
    let bracketed = host.starts_with('[');
    let host = match host.strip_prefix('[') {
        Some(inner) => inner
            .strip_suffix(']')
            .ok_or_else(|| bad("has an unclosed '['"))?,
        None => host,
    };
    if host.is_empty()
        || host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '[' || c == ']')
        || (!bracketed && host.contains(':'))
    {
        return Err(bad("has no valid host"));
    }
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("has a port that is not a number"));
    }
    let port: u16 = port.parse().map_err(|_| bad("has a port above 65535"))?;
    if port == 0 {
        return Err(bad("has port 0"));
    }
    Ok(ServerAddr {
        host: host.to_string(),
        port,
    })
}

impl Config {
    /// Sets one key from its text form (C-API.md "Config").
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ConfigError> {
        match key {
            "server" => self.servers.push(parse_server(value)?),
            "client_name" => self.client_name = Some(parse_text(key, value, false)?),
            "protocol_version" => self.protocol_version = parse_text(key, value, false)?,
            "call_control_mode" => self.call_control_mode = parse_text(key, value, false)?,
            "connect_timeout_ms" => self.connect_timeout_ms = parse_ms(key, value, false)?,
            "reconnect_min_ms" => self.reconnect_min_ms = parse_ms(key, value, false)?,
            "reconnect_max_ms" => self.reconnect_max_ms = parse_ms(key, value, false)?,
            "keepalive_interval_ms" => self.keepalive_interval_ms = parse_ms(key, value, true)?,
            "keepalive_timeout_ms" => self.keepalive_timeout_ms = parse_ms(key, value, true)?,
            "report_status" => self.report_status = parse_text(key, value, true)?,
            "server_monitor" => self.server_monitor = parse_text(key, value, true)?,
            "send_req_id" => {
                self.send_req_id = if value.eq_ignore_ascii_case("true") {
                    true
                } else if value.eq_ignore_ascii_case("false") {
                    false
                } else {
                    return Err(invalid(key, format!("'{value}' is not true or false")));
                }
            }
            "request_timeout_ms" => self.request_timeout_ms = parse_ms(key, value, false)?,
            "no_answer_timeout_ms" => self.no_answer_timeout_ms = parse_ms(key, value, false)?,
            "event_queue_max" => self.event_queue_max = parse_count(key, value)?,
            "reconcile_calls" => {
                self.reconcile_calls = ReconcileCalls::parse(value).ok_or_else(|| {
                    invalid(key, format!("'{value}' is not one of none, callinfo, end"))
                })?
            }
            "log_level" => {
                self.log_level = LogLevel::parse(value).ok_or_else(|| {
                    invalid(
                        key,
                        format!("'{value}' is not one of error, warn, info, debug, trace"),
                    )
                })?
            }
            _ => return Err(ConfigError::UnknownKey(key.to_string())),
        }
        Ok(())
    }

    /// Checks what only the whole configuration can tell (at engine creation).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.servers.is_empty() {
            return Err(ConfigError::Inconsistent("no 'server' set".into()));
        }
        if self.client_name.is_none() {
            return Err(ConfigError::Inconsistent("no 'client_name' set".into()));
        }
        if self.reconnect_min_ms > self.reconnect_max_ms {
            return Err(ConfigError::Inconsistent(format!(
                "reconnect_min_ms ({}) is greater than reconnect_max_ms ({})",
                self.reconnect_min_ms, self.reconnect_max_ms
            )));
        }
        Ok(())
    }

    /// The part of the configuration the flow machine needs.
    pub fn flow_config(&self) -> FlowConfig {
        FlowConfig {
            request_timeout_ms: self.request_timeout_ms,
            no_answer_timeout_ms: self.no_answer_timeout_ms,
            send_req_id: self.send_req_id,
            protocol_version: self.protocol_version.clone(),
            call_control_mode: self.call_control_mode.clone(),
            reconcile_calls: self.reconcile_calls,
        }
    }

    /// The keys the session machine needs.
    pub fn session_config(&self) -> SessionConfig {
        SessionConfig {
            servers: self.servers.iter().map(ToString::to_string).collect(),
            client_name: self.client_name.clone().unwrap_or_default(),
            protocol_version: self.protocol_version.clone(),
            report_status: self.report_status.clone(),
            server_monitor: self.server_monitor.clone(),
            connect_timeout_ms: self.connect_timeout_ms,
            reconnect_min_ms: self.reconnect_min_ms,
            reconnect_max_ms: self.reconnect_max_ms,
            keepalive_interval_ms: self.keepalive_interval_ms,
            keepalive_timeout_ms: self.keepalive_timeout_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_contract() {
        let c = Config::default();
        assert_eq!(
            (c.connect_timeout_ms, c.reconnect_min_ms, c.reconnect_max_ms),
            (5000, 200, 30000)
        );
        assert_eq!(
            (c.keepalive_interval_ms, c.keepalive_timeout_ms),
            (10000, 30000)
        );
        assert_eq!(
            (c.request_timeout_ms, c.no_answer_timeout_ms),
            (10000, 30000)
        );
        assert_eq!(
            (c.report_status.as_str(), c.server_monitor.as_str()),
            ("true", "clear")
        );
        assert!(c.send_req_id);
        assert_eq!(c.log_level, LogLevel::Info);
    }

    #[test]
    fn bad_values_are_refused_naming_the_key() {
        let mut c = Config::default();
        for (k, v) in [
            ("server", "host:notaport"),
            ("server", "hostonly"),
            ("server", ":80"),
            ("server", "h:70000"),
            ("server", "[::1:80"),
            ("server", "::1:80"),
            ("server", "a]:80"),
            ("connect_timeout_ms", "-1"),
            ("connect_timeout_ms", ""),
            ("connect_timeout_ms", "abc"),
            ("connect_timeout_ms", "0"),
            ("request_timeout_ms", "2147483648"),
            ("log_level", "verbose"),
            ("send_req_id", "yes"),
            ("client_name", ""),
            ("client_name", "IVR\u{20ac}"),
            ("client_name", "a\tb"),
        ] {
            match c.set(k, v) {
                Err(ConfigError::InvalidValue { key, .. }) => assert_eq!(key, k),
                other => panic!("{k}={v:?} gave {other:?}"),
            }
        }
        assert_eq!(
            c.set("nope", "1"),
            Err(ConfigError::UnknownKey("nope".into()))
        );
        assert_eq!(c, Config::default(), "refused values change nothing");
    }

    /// Values that could never be sent are refused, naming key and limit;
    /// values at the limit are taken (characters, not bytes).
    #[test]
    fn wire_texts_are_bounded() {
        let mut c = Config::default();
        for (key, max) in [
            ("client_name", 255),
            ("protocol_version", 64),
            ("call_control_mode", 64),
        ] {
            for (value, ok) in [
                ("é".repeat(max), true),
                ("x".repeat(max + 1), false),
                ("é".repeat(max + 1), false),
                (String::new(), false),
                (format!("a\u{1}{}", "b".repeat(max - 2)), false),
            ] {
                match c.set(key, &value) {
                    Ok(()) => assert!(ok, "{key} accepted {} characters", value.len()),
                    Err(e) => {
                        assert!(!ok, "{key} refused {value:?}: {e}");
                        assert!(matches!(e, ConfigError::InvalidValue { .. }), "{e:?}");
                        assert!(e.to_string().contains(key), "{e}");
                    }
                }
            }
            let err = c.set(key, &"v".repeat(max + 1)).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(&format!("at most {max}")), "{text}");
        }
        let before = c.clone();
        let err = c.set("client_name", &"n".repeat(70_000)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid value for config key 'client_name': 70000 characters, at most 255 allowed (1..255)"
        );
        assert_eq!(c, before, "a refused value changes nothing");
        // Keys without a wire limit are not bounded here.
        c.set("report_status", &"t".repeat(1_000)).unwrap();
    }

    #[test]
    fn servers_append_other_keys_replace() {
        let mut c = Config::default();
        c.set("server", "a:1").unwrap();
        c.set("server", "[::1]:2").unwrap();
        c.set("keepalive_interval_ms", "0").unwrap();
        c.set("send_req_id", "FALSE").unwrap();
        c.set("client_name", "x").unwrap();
        c.set("client_name", "IVR_01").unwrap();
        assert_eq!(c.servers.len(), 2);
        assert_eq!(c.servers[1].to_string(), "[::1]:2");
        assert_eq!(c.keepalive_interval_ms, 0);
        assert!(!c.send_req_id);
        assert_eq!(c.client_name.as_deref(), Some("IVR_01"));
        assert!(c.validate().is_ok());
        c.set("reconnect_min_ms", "5000").unwrap();
        c.set("reconnect_max_ms", "100").unwrap();
        assert!(matches!(c.validate(), Err(ConfigError::Inconsistent(_))));
        assert!(matches!(
            Config::default().validate(),
            Err(ConfigError::Inconsistent(_))
        ));
    }
}
