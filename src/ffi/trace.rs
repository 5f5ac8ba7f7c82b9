//! Call traces (the flight recorder) through the C API: render a call's
//! trace into a string the caller owns, and free that string.

use std::ffi::{c_char, CString};

use super::args::{non_null, str_arg};
use super::boundary::Failure;
use super::engine::{engine_arg, engine_error, ivrconf_engine};
use super::result::*;
use crate::recorder::Format;

/// One line per entry: `+<ms>.<µs> <who> <what>`.
pub const IVRCONF_TRACE_TEXT: u32 = 1;
/// A Mermaid `sequenceDiagram` (App, ivrconf, IVR Server).
pub const IVRCONF_TRACE_MERMAID: u32 = 2;
/// JSON lines: a header object, then one object per entry (schema
/// `"ivrconf_trace":1`, documented in docs/TRACE.md).
pub const IVRCONF_TRACE_JSONL: u32 = 3;

/// Renders the trace of `call_id` (a live call, or one of the
/// `trace_keep_ended` most recently ended) in `format`
/// (`IVRCONF_TRACE_*`) into a new NUL-terminated string written to `*out`;
/// free it with `ivrconf_string_free`. Works in every session state and
/// from any thread, callbacks included.
///
/// Errors: `IVRCONF_ERR_NULL_ARGUMENT`; `IVRCONF_ERR_INVALID_ARGUMENT`
/// (unknown format, call id not UTF-8); `IVRCONF_ERR_UNKNOWN_CALL` (no such
/// call, or its trace was evicted); `IVRCONF_ERR_INVALID_STATE` (recording
/// is off: `trace_max_entries = 0`); `IVRCONF_ERR_SHUT_DOWN`.
#[no_mangle]
pub extern "C" fn ivrconf_call_trace(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
    format: u32,
    out: *mut *mut c_char,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_call_trace, {
        non_null(&[
            (e.is_null(), "engine"),
            (call_id.is_null(), "call_id"),
            (out.is_null(), "out"),
        ])?;
        // SAFETY: a live handle and a NUL-terminated string (the API contract).
        let (engine, id) = unsafe { (engine_arg(e)?, str_arg(call_id, "call_id")?) };
        let format = Format::from_u32(format).ok_or_else(|| {
            Failure::new(
                IVRCONF_ERR_INVALID_ARGUMENT,
                format!("format {format} is not one of IVRCONF_TRACE_TEXT, _MERMAID, _JSONL"),
            )
        })?;
        let text = engine
            .call_trace(id, format)
            .map_err(engine_error(Some(id)))?;
        // Rendered text holds no NUL (payload bytes are escaped in JSONL and
        // cannot occur in decoded XML); drop any rather than cut the string.
        let text = CString::new(text).unwrap_or_else(|e| {
            let bytes: Vec<u8> = e.into_vec().into_iter().filter(|b| *b != 0).collect();
            CString::new(bytes).unwrap_or_default()
        });
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { *out = text.into_raw() };
        Ok(())
    })
}

/// Frees a string the library returned (`ivrconf_call_trace`); NULL is a
/// no-op.
#[no_mangle]
pub extern "C" fn ivrconf_string_free(s: *mut c_char) {
    ffi_boundary!(ivrconf_string_free, {
        if !s.is_null() {
            // SAFETY: made by CString::into_raw in this library, not freed before.
            drop(unsafe { CString::from_raw(s) });
        }
        Ok(())
    })
}
