//! The names of the enum-like constants: `ivrconf_outcome_str(2)` is
//! `"IVRCONF_OUTCOME_BUSY"`. One table per set, built once from the Rust
//! enum's `ALL` array and its names (so a name cannot drift from the value
//! it stands for); `""` for 0 and for a value that names nothing.
//!
//! Must not hold the values themselves: those are the enums' (and
//! `constants.rs`' for the header).

use std::ffi::{c_char, CStr, CString};
use std::sync::OnceLock;

use crate::engine::{EventKind, LogLevel};
use crate::flow::{request_code, status_code, CallState, OpKind, Outcome};
use crate::recorder::Format;
use crate::wire::{FailedReq, StatusEvent};

/// The sets of constants that have a `*_str` function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Set {
    EventKind,
    Status,
    Outcome,
    CallState,
    OpKind,
    Request,
    LogLevel,
    TraceFormat,
}

impl Set {
    pub(crate) const ALL: [Set; 8] = [
        Set::EventKind,
        Set::Status,
        Set::Outcome,
        Set::CallState,
        Set::OpKind,
        Set::Request,
        Set::LogLevel,
        Set::TraceFormat,
    ];

    /// What every name of the set starts with.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Set::EventKind => "IVRCONF_EVENT_",
            Set::Status => "IVRCONF_STATUS_",
            Set::Outcome => "IVRCONF_OUTCOME_",
            Set::CallState => "IVRCONF_CALL_STATE_",
            Set::OpKind => "IVRCONF_OP_",
            Set::Request => "IVRCONF_REQUEST_",
            Set::LogLevel => "IVRCONF_LOG_",
            Set::TraceFormat => "IVRCONF_TRACE_",
        }
    }

    /// Each member's value and name after the prefix, from the enum.
    fn members(self) -> Vec<(u32, String)> {
        match self {
            Set::EventKind => EventKind::ALL
                .map(|k| (k as u32, k.name().to_string()))
                .to_vec(),
            Set::Status => StatusEvent::ALL
                .map(|s| (status_code(s), upper_snake(s.as_str())))
                .to_vec(),
            Set::Outcome => Outcome::ALL
                .map(|o| (o as u32, o.name().to_string()))
                .to_vec(),
            Set::CallState => CallState::ALL
                .map(|s| (s as u32, s.name().to_string()))
                .to_vec(),
            Set::OpKind => OpKind::ALL
                .map(|k| (k as u32, k.name().to_string()))
                .to_vec(),
            Set::Request => FailedReq::ALL
                .map(|r| (request_code(r), upper_snake(r.as_str())))
                .to_vec(),
            Set::LogLevel => LogLevel::ALL
                .map(|l| (l as u32, l.as_str().to_ascii_uppercase()))
                .to_vec(),
            // The formats have no list of their own: every value that
            // parses, from 1 up.
            Set::TraceFormat => (1..)
                .map_while(|v| Format::from_u32(v).map(|f| (v, f)))
                .map(|(v, f)| (v, format!("{f:?}").to_ascii_uppercase()))
                .collect(),
        }
    }

    /// The set's table: each value with its constant's full name.
    pub(crate) fn table(self) -> &'static [(u32, CString)] {
        static TABLES: [OnceLock<Vec<(u32, CString)>>; Set::ALL.len()] =
            [const { OnceLock::new() }; Set::ALL.len()];
        let index = Set::ALL.iter().position(|s| *s == self).unwrap_or(0);
        match TABLES.get(index) {
            Some(cell) => cell.get_or_init(|| {
                self.members()
                    .into_iter()
                    .filter_map(|(v, name)| {
                        CString::new(format!("{}{name}", self.prefix()))
                            .ok()
                            .map(|n| (v, n))
                    })
                    .collect()
            }),
            None => &[],
        }
    }

    /// The name of the constant with value `v`; `""` when there is none.
    pub(crate) fn name(self, v: u32) -> &'static CStr {
        self.table()
            .iter()
            .find(|(value, _)| *value == v)
            .map_or(c"", |(_, name)| name.as_c_str())
    }
}

/// A wire token in the C constants' spelling: `ConfPartyAdd` ->
/// `CONF_PARTY_ADD`.
fn upper_snake(token: &str) -> String {
    let mut out = String::with_capacity(token.len() + 4);
    for (i, c) in token.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The static name of the `IVRCONF_EVENT_*` constant with value `v`
/// (`"IVRCONF_EVENT_CALL_ENDED"`); `""` for 0 and unknown values. Never
/// NULL.
#[no_mangle]
pub extern "C" fn ivrconf_event_kind_str(v: u32) -> *const c_char {
    ffi_boundary!(ivrconf_event_kind_str, { Ok(Set::EventKind.name(v)) })
}

/// The static name of the `IVRCONF_STATUS_*` constant with value `v`; `""`
/// for 0 and unknown values. Never NULL.
#[no_mangle]
pub extern "C" fn ivrconf_status_str(v: u32) -> *const c_char {
    ffi_boundary!(ivrconf_status_str, { Ok(Set::Status.name(v)) })
}

/// The static name of the `IVRCONF_OUTCOME_*` constant with value `v`
/// (`"IVRCONF_OUTCOME_BUSY"`); `""` for 0 and unknown values. Never NULL.
#[no_mangle]
pub extern "C" fn ivrconf_outcome_str(v: u32) -> *const c_char {
    ffi_boundary!(ivrconf_outcome_str, { Ok(Set::Outcome.name(v)) })
}

/// The static name of the `IVRCONF_CALL_STATE_*` constant with value `v`;
/// `""` for 0 and unknown values. Never NULL.
#[no_mangle]
pub extern "C" fn ivrconf_call_state_str(v: u32) -> *const c_char {
    ffi_boundary!(ivrconf_call_state_str, { Ok(Set::CallState.name(v)) })
}

/// The static name of the `IVRCONF_OP_*` constant with value `v`; `""` for
/// 0 and unknown values. Never NULL.
#[no_mangle]
pub extern "C" fn ivrconf_op_kind_str(v: u32) -> *const c_char {
    ffi_boundary!(ivrconf_op_kind_str, { Ok(Set::OpKind.name(v)) })
}

/// The static name of the `IVRCONF_REQUEST_*` constant with value `v`; `""`
/// for 0 and unknown values. Never NULL.
#[no_mangle]
pub extern "C" fn ivrconf_request_str(v: u32) -> *const c_char {
    ffi_boundary!(ivrconf_request_str, { Ok(Set::Request.name(v)) })
}

/// The static name of the `IVRCONF_LOG_*` constant with value `v`; `""` for
/// 0 and unknown values. Never NULL.
#[no_mangle]
pub extern "C" fn ivrconf_log_level_str(v: u32) -> *const c_char {
    ffi_boundary!(ivrconf_log_level_str, { Ok(Set::LogLevel.name(v)) })
}

/// The static name of the `IVRCONF_TRACE_*` format constant with value
/// `v`; `""` for 0 and unknown values. Never NULL.
#[no_mangle]
pub extern "C" fn ivrconf_trace_format_str(v: u32) -> *const c_char {
    ffi_boundary!(ivrconf_trace_format_str, { Ok(Set::TraceFormat.name(v)) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const HEADER: &str = include_str!("../../include/ivrconf.h");

    /// `#define NAME VALUE` lines of the header.
    fn defines() -> BTreeMap<&'static str, u32> {
        HEADER
            .lines()
            .filter_map(|l| {
                let mut words = l.strip_prefix("#define ")?.split_whitespace();
                let name = words.next()?;
                let value = words.next()?.parse().ok()?;
                Some((name, value))
            })
            .collect()
    }

    /// Every name of every set is a `#define` of the header with that value,
    /// and every `#define` with a set's prefix is in the set's table.
    #[test]
    fn every_name_is_the_headers_define_of_that_value() {
        let defines = defines();
        for set in Set::ALL {
            let table = set.table();
            assert!(!table.is_empty(), "{set:?}");
            for (value, name) in table {
                let name = name.to_str().unwrap_or_default();
                assert_eq!(defines.get(name), Some(value), "{set:?}: {name}");
            }
            for (name, value) in defines.iter().filter(|(n, _)| n.starts_with(set.prefix())) {
                assert_eq!(
                    set.name(*value).to_str().ok(),
                    Some(*name),
                    "{set:?}: the header's {name} has no name here"
                );
            }
        }
    }

    #[test]
    fn none_and_unknown_values_give_empty_names() {
        for set in Set::ALL {
            assert_eq!(set.name(0), c"", "{set:?}");
            assert_eq!(set.name(set.table().len() as u32 + 1), c"", "{set:?}");
            assert_eq!(set.name(u32::MAX), c"", "{set:?}");
        }
    }

    #[test]
    fn the_c_functions_name_their_own_set() {
        // SAFETY: the functions return static NUL-terminated strings.
        let text = |p: *const c_char| unsafe { CStr::from_ptr(p) }.to_str().unwrap_or("?");
        assert_eq!(text(ivrconf_event_kind_str(5)), "IVRCONF_EVENT_CALL_ENDED");
        assert_eq!(text(ivrconf_status_str(7)), "IVRCONF_STATUS_CONF_PARTY_ADD");
        assert_eq!(text(ivrconf_outcome_str(2)), "IVRCONF_OUTCOME_BUSY");
        assert_eq!(
            text(ivrconf_call_state_str(3)),
            "IVRCONF_CALL_STATE_CONSULT_ESTABLISHED"
        );
        assert_eq!(text(ivrconf_op_kind_str(7)), "IVRCONF_OP_CONSULT_CANCEL");
        assert_eq!(text(ivrconf_request_str(2)), "IVRCONF_REQUEST_NO_SUCH_CALL");
        assert_eq!(text(ivrconf_log_level_str(5)), "IVRCONF_LOG_TRACE");
        assert_eq!(text(ivrconf_trace_format_str(3)), "IVRCONF_TRACE_JSONL");
        assert_eq!(text(ivrconf_outcome_str(0)), "");
    }

    #[test]
    fn wire_tokens_become_constant_spelling() {
        assert_eq!(upper_snake("ConfPartyAdd"), "CONF_PARTY_ADD");
        assert_eq!(upper_snake("Dialing"), "DIALING");
        assert_eq!(upper_snake("OneStepXfer"), "ONE_STEP_XFER");
    }
}
