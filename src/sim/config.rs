//! The simulator's settings: every key accepted by `Simulator::set`, the
//! C function `ivrconf_sim_set` and the CLI (`--set KEY=VALUE` and the named
//! flags), with its parser, default and one-line documentation.
//!
//! One table (`KEYS`) feeds validation, `--help` and the docs, so a key
//! cannot be accepted somewhere and undocumented elsewhere.

use std::fmt;

use std::sync::Arc;

use super::behaviour::Behaviour;
use super::replay::{self, Recording};
use super::spelling::Spelling;

/// Why a setting was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimError {
    /// No such key.
    UnknownKey(String),
    /// The key exists; the value does not fit it.
    InvalidValue {
        key: String,
        value: String,
        reason: String,
    },
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::UnknownKey(k) => write!(f, "unknown simulator key `{k}`"),
            SimError::InvalidValue { key, value, reason } => {
                write!(
                    f,
                    "invalid value `{value}` for simulator key `{key}`: {reason}"
                )
            }
        }
    }
}

impl std::error::Error for SimError {}

/// What the server does after `XferComplete` (PROTOCOL.md 7 #14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndAfterXfer {
    /// Nothing: the call stays until the IVR sends `EndCall` (default).
    None,
    /// `EndCall EndCause="Normal"` from the server.
    EndCall,
    /// `CallStatus Released`.
    Released,
}

/// The alternate byte forms to write (`spelling` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpellingMode {
    /// The same flags on every message.
    Fixed(Spelling),
    /// A random set of flags per message, drawn from the connection's PRNG.
    Random,
}

/// Every setting, with its current value. Cheap to snapshot (`Arc`).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub login_answer: bool,
    pub login_result: String,
    pub login_status: String,
    pub login_init_in_progress: u64,
    pub iserver_version: String,
    pub config_options: String,
    pub flow_control: String,
    pub keepalive_interval_ms: u64,
    pub keepalive_answer: bool,
    pub silent: bool,
    pub tlib_err_code: String,
    pub echo_req_id: bool,
    pub slow_ms: u64,
    pub hangup_ms: u64,
    pub default_behaviour: Behaviour,
    /// `dest.PREFIX` rules, in the order set (a repeated prefix replaces).
    pub dest_rules: Vec<(String, Behaviour)>,
    pub end_after_xfer: EndAfterXfer,
    pub end_after_xfer_ms: u64,
    pub seed: u64,
    pub drop_after_frames: u64,
    pub drop_at: String,
    pub drop_forgets_calls: bool,
    pub duplicate_events: f64,
    pub swap_held_dialing: f64,
    pub omit_optional: f64,
    pub caller_hangup_ms: u64,
    pub spelling: SpellingMode,
    pub split_writes: bool,
    pub coalesce: bool,
    pub interleave_keepalive: bool,
    pub unknown_call_events: f64,
    pub response_delay_ms: u64,
    pub record_limit: u64,
    pub write_timeout_ms: u64,
    /// The traces being replayed (`replay`), read when the key was set.
    pub replay: Option<Arc<Recording>>,
    /// The factor on the recorded gaps (`replay_speed`).
    pub replay_speed: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            login_answer: true,
            login_result: "Success".into(),
            login_status: "OK".into(),
            login_init_in_progress: 0,
            iserver_version: "IVR Server:8.1.001.02".into(),
            config_options: String::new(),
            flow_control: String::new(),
            keepalive_interval_ms: 0,
            keepalive_answer: true,
            silent: false,
            tlib_err_code: "56".into(),
            echo_req_id: true,
            slow_ms: 300,
            hangup_ms: 0,
            default_behaviour: Behaviour::Answer,
            dest_rules: Vec::new(),
            end_after_xfer: EndAfterXfer::None,
            end_after_xfer_ms: 0,
            seed: 0,
            drop_after_frames: 0,
            drop_at: String::new(),
            drop_forgets_calls: true,
            duplicate_events: 0.0,
            swap_held_dialing: 0.0,
            omit_optional: 0.0,
            caller_hangup_ms: 0,
            spelling: SpellingMode::Fixed(Spelling::default()),
            split_writes: false,
            coalesce: false,
            interleave_keepalive: false,
            unknown_call_events: 0.0,
            response_delay_ms: 0,
            record_limit: 100_000,
            write_timeout_ms: 5000,
            replay: None,
            replay_speed: 1.0,
        }
    }
}

/// Documentation of one key.
#[derive(Debug, Clone, Copy)]
pub struct KeyDoc {
    pub key: &'static str,
    pub values: &'static str,
    pub default: &'static str,
    pub help: &'static str,
    /// `login`, `keepalive`, `calls`, `faults`, `replay` or `actions`.
    pub group: &'static str,
}

const fn k(
    group: &'static str,
    key: &'static str,
    values: &'static str,
    default: &'static str,
    help: &'static str,
) -> KeyDoc {
    KeyDoc {
        key,
        values,
        default,
        help,
        group,
    }
}

/// Every key, grouped. `dest.PREFIX` stands for a family of keys.
pub const KEYS: &[KeyDoc] = &[
    k("login", "login", "ok|init_in_progress|no_such_client|invalid_protocol_version|no_answer", "ok",
      "shortcut: sets login_result, login_status and login_answer for the named outcome"),
    k("login", "login_result", "text", "Success", "LoginResp Result"),
    k("login", "login_status", "text (empty = no Status)", "OK", "LoginResp Status"),
    k("login", "login_init_in_progress", "count", "0",
      "answer the next N LoginReq (any connection, counted from this setting) with Status=InitInProgress, then login_status"),
    k("login", "login_answer", "bool", "true", "false = never answer LoginReq"),
    k("login", "iserver_version", "text (empty = none)", "IVR Server:8.1.001.02", "LoginResp IServerVersion"),
    k("login", "config_options", "text (empty = none)", "", "LoginResp ConfigOptions"),
    k("login", "flow_control", "text (empty = none)", "", "send FlowControl Status=<text> after each LoginResp Success"),
    k("keepalive", "keepalive_interval_ms", "ms (0 = off)", "0", "send a keep-alive request every N ms on each connection"),
    k("keepalive", "keepalive_answer", "bool", "true", "false = stop answering keep-alive requests"),
    k("keepalive", "silent", "bool", "false", "true = send nothing at all (no answers, acks or keep-alives); the connection stays open"),
    k("calls", "tlib_err_code", "decimal (empty = none)", "56", "TLibErrCode of every CallError except NoSuchCall"),
    k("calls", "echo_req_id", "bool", "true", "echo the request's ReqId in CallError"),
    k("calls", "slow_ms", "ms", "300", "answer delay of `slow` destinations"),
    k("calls", "hangup_ms", "ms", "0", "delay between the answer and the hang-up of `hangup` destinations"),
    k("calls", "default_behaviour", "behaviour name", "answer", "behaviour of a DN that matches no prefix"),
    k("calls", "dest.PREFIX", "behaviour name", "-", "add a prefix rule, e.g. dest.600=busy (longest prefix wins, beats a built-in prefix of equal length)"),
    k("calls", "end_after_xfer", "none|endcall|released", "none",
      "what the server does after XferComplete: nothing, EndCall EndCause=Normal, or CallStatus Released"),
    k("calls", "end_after_xfer_ms", "ms", "0", "delay before end_after_xfer"),
    k("faults", "seed", "u64", "0", "seed of the per-connection PRNG used by probabilistic faults (connections accepted afterwards)"),
    k("faults", "drop_after_frames", "count (0 = off)", "0", "close a connection once it has received N frames (any type)"),
    k("faults", "drop_at", "message name (empty = off)", "", "close a connection when it receives this message, before answering it"),
    k("faults", "drop_forgets_calls", "bool", "true",
      "true = a connection's calls end with it; false = a LoginReq continues the calls of the last connection with the same ClientName (CallInfoReq then finds them)"),
    k("faults", "duplicate_events", "probability", "0", "send each CallStatus twice"),
    k("faults", "swap_held_dialing", "probability", "0", "send Dialing before Held"),
    k("faults", "omit_optional", "probability", "0", "leave out each optional (bracketed) message of the canonical sequences"),
    k("faults", "caller_hangup_ms", "ms (0 = off)", "0", "the caller hangs up N ms after NewCall: EndCall EndCause=Abandoned, call gone"),
    k("faults", "spelling", "canonical|all|random|comma list of single_quotes,child_elements,tlib_lower,no_prolog", "canonical",
      "alternate byte forms of every message sent"),
    k("faults", "split_writes", "bool", "false", "write every frame one byte per write"),
    k("faults", "coalesce", "bool", "false", "write all frames of one reaction in a single write"),
    k("faults", "interleave_keepalive", "bool", "false", "send a keep-alive request before every XML frame"),
    k("faults", "unknown_call_events", "probability", "0", "before each CallStatus also send it for an unknown call id (SIM-UNKNOWN-<n>)"),
    k("faults", "response_delay_ms", "ms", "0", "delay every response (including LoginResp and keep-alive acks) by N ms"),
    k("faults", "record_limit", "count", "100000", "records kept for records(); counts stay exact beyond it"),
    k("faults", "write_timeout_ms", "ms (1..)", "5000", "a write blocked this long (client not reading) closes the connection"),
    k("replay", "replay", "comma list of JSONL trace files (empty = off)", "",
      "play the server side of these traces: calls matched by the order of their NewCall, each request answered with the frames recorded after it (call id substituted); departures are listed"),
    k("replay", "replay_speed", "factor (0 = no delay)", "1",
      "the recorded gap before each replayed frame is multiplied by this (1 = as recorded, 0.5 = twice as fast)"),
    k("actions", "close_connections", "now", "-", "close every open connection now (connections accepted later are not affected)"),
    k("actions", "reset", "now", "-", "every setting back to its default"),
];

/// Milliseconds are capped so that `Instant + Duration` can never overflow.
const MAX_MS: u64 = 2_147_483_647;
/// The largest `replay_speed` factor; anything larger is surely a typo.
const MAX_SPEED: f64 = 1000.0;

fn invalid(key: &str, value: &str, reason: impl Into<String>) -> SimError {
    SimError::InvalidValue {
        key: key.to_string(),
        value: value.to_string(),
        reason: reason.into(),
    }
}

fn parse_bool(key: &str, value: &str) -> Result<bool, SimError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(invalid(key, value, "expected true or false")),
    }
}

fn parse_u64(key: &str, value: &str, max: u64, what: &str) -> Result<u64, SimError> {
    match value.trim().parse::<u64>() {
        Ok(v) if v <= max => Ok(v),
        _ => Err(invalid(key, value, format!("expected {what} 0..={max}"))),
    }
}

fn parse_ms(key: &str, value: &str) -> Result<u64, SimError> {
    parse_u64(key, value, MAX_MS, "milliseconds")
}

fn parse_prob(key: &str, value: &str) -> Result<f64, SimError> {
    if let Ok(b) = parse_bool(key, value) {
        if !value.trim().eq_ignore_ascii_case("1") && !value.trim().eq_ignore_ascii_case("0") {
            return Ok(if b { 1.0 } else { 0.0 });
        }
    }
    match value.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(invalid(
            key,
            value,
            "expected a probability 0..1 (or true = 1, false = 0)",
        )),
    }
}

fn parse_behaviour(key: &str, value: &str) -> Result<Behaviour, SimError> {
    Behaviour::parse(value).ok_or_else(|| {
        let names: Vec<&str> = Behaviour::ALL.iter().map(|b| b.name()).collect();
        invalid(key, value, format!("expected one of {}", names.join(", ")))
    })
}

/// Text sent on the wire must be Latin-1 without control characters, or the
/// frame could not be written.
fn parse_text(key: &str, value: &str) -> Result<String, SimError> {
    if value.chars().any(|c| (c as u32) > 0xFF || c.is_control()) {
        return Err(invalid(
            key,
            value,
            "text must be Latin-1 without control characters",
        ));
    }
    Ok(value.to_string())
}

fn parse_spelling(key: &str, value: &str) -> Result<SpellingMode, SimError> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("canonical") || v.is_empty() {
        return Ok(SpellingMode::Fixed(Spelling::default()));
    }
    if v.eq_ignore_ascii_case("all") {
        return Ok(SpellingMode::Fixed(Spelling::all()));
    }
    if v.eq_ignore_ascii_case("random") {
        return Ok(SpellingMode::Random);
    }
    let mut sp = Spelling::default();
    for flag in v.split(',').map(|f| f.trim().to_ascii_lowercase()) {
        if !sp.set_flag(&flag) {
            return Err(invalid(
                key,
                value,
                format!(
                    "expected canonical, all, random or a comma list of {}",
                    Spelling::FLAGS.join(", ")
                ),
            ));
        }
    }
    Ok(SpellingMode::Fixed(sp))
}

impl Settings {
    /// Applies one key. Action keys (`close_connections`, `reset`) and the
    /// login counter are handled by the simulator, which calls this for the
    /// rest; `reset` is accepted here too and restores the defaults.
    pub fn apply(&mut self, key: &str, value: &str) -> Result<(), SimError> {
        let key_lc = key.trim().to_ascii_lowercase();
        if let Some(prefix) = key.trim().strip_prefix("dest.") {
            if prefix.is_empty() {
                return Err(invalid(key, value, "dest. needs a DN prefix after the dot"));
            }
            let b = parse_behaviour(key, value)?;
            self.dest_rules
                .retain(|(p, _)| !p.eq_ignore_ascii_case(prefix));
            self.dest_rules.push((prefix.to_string(), b));
            return Ok(());
        }
        match key_lc.as_str() {
            "login" => match value.trim().to_ascii_lowercase().as_str() {
                "ok" => self.set_login("Success", "OK", true),
                "init_in_progress" => self.set_login("Success", "InitInProgress", true),
                "no_such_client" => self.set_login("Success", "NoSuchClient", true),
                "invalid_protocol_version" => self.set_login("InvalidProtocolVersion", "", true),
                "no_answer" => self.login_answer = false,
                _ => {
                    return Err(invalid(
                        key,
                        value,
                        "expected ok, init_in_progress, no_such_client, invalid_protocol_version or no_answer",
                    ))
                }
            },
            "login_result" => {
                let v = parse_text(key, value)?;
                if v.is_empty() {
                    return Err(invalid(key, value, "Result is required in LoginResp"));
                }
                self.login_result = v;
            }
            "login_status" => self.login_status = parse_text(key, value)?,
            "login_init_in_progress" => {
                self.login_init_in_progress = parse_u64(key, value, u64::MAX, "a count")?
            }
            "login_answer" => self.login_answer = parse_bool(key, value)?,
            "iserver_version" => self.iserver_version = parse_text(key, value)?,
            "config_options" => self.config_options = parse_text(key, value)?,
            "flow_control" => self.flow_control = parse_text(key, value)?,
            "keepalive_interval_ms" => self.keepalive_interval_ms = parse_ms(key, value)?,
            "keepalive_answer" => self.keepalive_answer = parse_bool(key, value)?,
            "silent" => self.silent = parse_bool(key, value)?,
            "tlib_err_code" => {
                let v = value.trim();
                if !v.is_empty() && v.parse::<i32>().is_err() {
                    return Err(invalid(key, value, "expected a decimal 32-bit integer or empty"));
                }
                self.tlib_err_code = v.to_string();
            }
            "echo_req_id" => self.echo_req_id = parse_bool(key, value)?,
            "slow_ms" => self.slow_ms = parse_ms(key, value)?,
            "hangup_ms" => self.hangup_ms = parse_ms(key, value)?,
            "default_behaviour" => self.default_behaviour = parse_behaviour(key, value)?,
            "end_after_xfer" => {
                self.end_after_xfer = match value.trim().to_ascii_lowercase().as_str() {
                    "none" => EndAfterXfer::None,
                    "endcall" => EndAfterXfer::EndCall,
                    "released" => EndAfterXfer::Released,
                    _ => return Err(invalid(key, value, "expected none, endcall or released")),
                }
            }
            "end_after_xfer_ms" => self.end_after_xfer_ms = parse_ms(key, value)?,
            "seed" => self.seed = parse_u64(key, value, u64::MAX, "an integer")?,
            "drop_after_frames" => {
                self.drop_after_frames = parse_u64(key, value, u64::MAX, "a count")?
            }
            "drop_at" => self.drop_at = value.trim().to_string(),
            "drop_forgets_calls" => self.drop_forgets_calls = parse_bool(key, value)?,
            "duplicate_events" => self.duplicate_events = parse_prob(key, value)?,
            "swap_held_dialing" => self.swap_held_dialing = parse_prob(key, value)?,
            "omit_optional" => self.omit_optional = parse_prob(key, value)?,
            "caller_hangup_ms" => self.caller_hangup_ms = parse_ms(key, value)?,
            "spelling" => self.spelling = parse_spelling(key, value)?,
            "split_writes" => self.split_writes = parse_bool(key, value)?,
            "coalesce" => self.coalesce = parse_bool(key, value)?,
            "interleave_keepalive" => self.interleave_keepalive = parse_bool(key, value)?,
            "unknown_call_events" => self.unknown_call_events = parse_prob(key, value)?,
            "response_delay_ms" => self.response_delay_ms = parse_ms(key, value)?,
            "record_limit" => self.record_limit = parse_u64(key, value, u64::MAX, "a count")?,
            "write_timeout_ms" => {
                let v = parse_ms(key, value)?;
                if v == 0 {
                    return Err(invalid(key, value, "expected milliseconds 1..=2147483647"));
                }
                self.write_timeout_ms = v;
            }
            "replay" => {
                let paths: Vec<String> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect();
                self.replay = if paths.is_empty() {
                    None
                } else {
                    Some(Arc::new(
                        replay::load(&paths).map_err(|why| invalid(key, value, why))?,
                    ))
                };
            }
            "replay_speed" => {
                self.replay_speed = match value.trim().parse::<f64>() {
                    Ok(f) if (0.0..=MAX_SPEED).contains(&f) => f,
                    _ => return Err(invalid(key, value, "expected a factor 0..=1000")),
                }
            }
            "reset" => *self = Settings::default(),
            _ => return Err(SimError::UnknownKey(key.to_string())),
        }
        Ok(())
    }

    fn set_login(&mut self, result: &str, status: &str, answer: bool) {
        self.login_result = result.to_string();
        self.login_status = status.to_string();
        self.login_answer = answer;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_key_is_accepted_with_a_sample_value() {
        for doc in KEYS {
            let key = if doc.key == "dest.PREFIX" {
                "dest.6"
            } else {
                doc.key
            };
            let sample = match doc.key {
                "login" => "no_such_client",
                "end_after_xfer" => "endcall",
                "spelling" => "single_quotes,no_prolog",
                "default_behaviour" | "dest.PREFIX" => "busy",
                "replay" => "",
                "close_connections" | "reset" => "now",
                "drop_at" | "flow_control" | "config_options" | "iserver_version"
                | "login_result" | "login_status" => "x",
                _ if doc.values.starts_with("bool") => "true",
                _ if doc.values.starts_with("probability") => "0.5",
                _ => "7",
            };
            if doc.group == "actions" && doc.key != "reset" {
                continue;
            }
            let mut s = Settings::default();
            assert_eq!(s.apply(key, sample), Ok(()), "{key}={sample}");
        }
    }

    #[test]
    fn refusals_name_the_key_and_the_reason() {
        let mut s = Settings::default();
        let e = s.apply("slow_ms", "soon").unwrap_err();
        assert!(matches!(e, SimError::InvalidValue { .. }));
        assert_eq!(
            e.to_string(),
            "invalid value `soon` for simulator key `slow_ms`: expected milliseconds 0..=2147483647"
        );
        assert_eq!(
            s.apply("nope", "1"),
            Err(SimError::UnknownKey("nope".into()))
        );
        assert!(s.apply("duplicate_events", "1.5").is_err());
        assert!(s.apply("dest.", "busy").is_err());
        assert!(s.apply("dest.6", "maybe").is_err());
        assert!(s.apply("spelling", "fancy").is_err());
        assert!(s.apply("login_status", "a\u{100}").is_err());
        assert_eq!(s, Settings::default(), "refused values change nothing");
    }

    #[test]
    fn probabilities_accept_booleans() {
        let mut s = Settings::default();
        s.apply("duplicate_events", "true").unwrap();
        assert_eq!(s.duplicate_events, 1.0);
        s.apply("duplicate_events", "0.25").unwrap();
        assert_eq!(s.duplicate_events, 0.25);
        s.apply("duplicate_events", "1").unwrap();
        assert_eq!(s.duplicate_events, 1.0);
    }
}

#[cfg(test)]
mod doc_tests {
    use super::KEYS;
    use crate::sim::Behaviour;

    /// docs/SIMULATOR.md documents every key and every behaviour.
    #[test]
    fn the_manual_lists_every_key_and_behaviour() {
        let doc = include_str!("../../docs/SIMULATOR.md");
        for k in KEYS {
            assert!(doc.contains(&format!("| `{}` |", k.key)), "{}", k.key);
            assert!(doc.contains(k.help), "{}", k.key);
        }
        for b in Behaviour::ALL {
            assert!(doc.contains(&format!("`{}`", b.name())), "{}", b.name());
        }
    }
}
