//! `ivrconf_event` and its accessors. An event is borrowed during a callback
//! and owned (free with `ivrconf_event_free`) in poll mode.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, CString};

use crate::engine::Event;
use crate::flow::{request_code, status_code};

/// One application event (opaque). Strings it returns live as long as it.
pub struct ivrconf_event {
    event: Event,
    call_id: Option<CString>,
    text: CString,
}

/// Operation id: never 0.
pub type ivrconf_op_id = u64;

fn c_text(s: &str) -> CString {
    CString::new(s.replace('\0', "")).unwrap_or_default()
}

impl ivrconf_event {
    pub(crate) fn new(event: Event) -> ivrconf_event {
        let call_id = event.call().map(|c| c_text(&c.call_id));
        let text = c_text(event.text());
        ivrconf_event {
            event,
            call_id,
            text,
        }
    }
}

/// Runs `f` on a non-NULL event, `default` otherwise.
fn with<T>(ev: *const ivrconf_event, default: T, f: impl FnOnce(&ivrconf_event) -> T) -> T {
    if ev.is_null() {
        return default;
    }
    // SAFETY: a live event handed out by this library (callback or poll).
    f(unsafe { &*ev })
}

/// The event kind (`IVRCONF_EVENT_*`); 0 for NULL.
#[no_mangle]
pub extern "C" fn ivrconf_event_kind(ev: *const ivrconf_event) -> u32 {
    ffi_boundary_or! { 0, with(ev, 0, |e| e.event.kind() as u32) }
}

/// The call id; NULL for session and engine events (and for NULL).
#[no_mangle]
pub extern "C" fn ivrconf_event_call_id(ev: *const ivrconf_event) -> *const c_char {
    ffi_boundary_or! { std::ptr::null(), with(ev, std::ptr::null(), |e| {
        e.call_id.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
    })}
}

/// The op id: for `OPERATION_DONE` the op that ended; for `CALL_STATUS` the
/// op in flight on the call when the status arrived; 0 when none.
#[no_mangle]
pub extern "C" fn ivrconf_event_op_id(ev: *const ivrconf_event) -> ivrconf_op_id {
    ffi_boundary_or! { 0, with(ev, 0, |e| e.event.call().map_or(0, |c| c.op_id)) }
}

/// The kind (`IVRCONF_OP_*`) of the op `ivrconf_event_op_id` names; 0 when
/// none.
#[no_mangle]
pub extern "C" fn ivrconf_event_op_kind(ev: *const ivrconf_event) -> u32 {
    ffi_boundary_or! { 0, with(ev, 0, |e| {
        e.event.call().and_then(|c| c.op_kind).map_or(0, |k| k as u32)
    })}
}

/// The `IVRCONF_STATUS_*` of a `CALL_STATUS`; 0 otherwise.
#[no_mangle]
pub extern "C" fn ivrconf_event_status(ev: *const ivrconf_event) -> u32 {
    ffi_boundary_or! { 0, with(ev, 0, |e| e.event.call().and_then(|c| c.status).map_or(0, status_code)) }
}

/// The `IVRCONF_OUTCOME_*` of an `OPERATION_DONE`; 0 otherwise.
#[no_mangle]
pub extern "C" fn ivrconf_event_outcome(ev: *const ivrconf_event) -> u32 {
    ffi_boundary_or! { 0, with(ev, 0, |e| e.event.call().and_then(|c| c.outcome).map_or(0, |o| o as u32)) }
}

/// The `IVRCONF_REQUEST_*` named by the `CallError` that ended the op; 0 none.
#[no_mangle]
pub extern "C" fn ivrconf_event_failed_request(ev: *const ivrconf_event) -> u32 {
    ffi_boundary_or! { 0, with(ev, 0, |e| {
        e.event.call().and_then(|c| c.failed_request).map_or(0, request_code)
    })}
}

/// The `TLibErrCode` of that `CallError`; -1 when absent.
#[no_mangle]
pub extern "C" fn ivrconf_event_tlib_error(ev: *const ivrconf_event) -> i32 {
    ffi_boundary_or! { -1, with(ev, -1, |e| e.event.call().and_then(|c| c.tlib_error).unwrap_or(-1)) }
}

/// The call's state after the event (`IVRCONF_CALL_STATE_*`); 0 for
/// session events.
#[no_mangle]
pub extern "C" fn ivrconf_event_call_state(ev: *const ivrconf_event) -> u32 {
    ffi_boundary_or! { 0, with(ev, 0, |e| e.event.call().map_or(0, |c| c.state as u32)) }
}

/// Parties in the call after the event, the IVR port included; 0 for
/// session events.
#[no_mangle]
pub extern "C" fn ivrconf_event_party_count(ev: *const ivrconf_event) -> u32 {
    ffi_boundary_or! { 0, with(ev, 0, |e| e.event.call().map_or(0, |c| c.party_count)) }
}

/// One readable line describing the event; "" for NULL. Never NULL.
#[no_mangle]
pub extern "C" fn ivrconf_event_text(ev: *const ivrconf_event) -> *const c_char {
    ffi_boundary_or! { c"".as_ptr(), with(ev, c"".as_ptr(), |e| e.text.as_ptr()) }
}

/// Frees an event returned by `ivrconf_engine_next_event`; NULL is a no-op.
/// Never call it on the event passed to a callback.
#[no_mangle]
pub extern "C" fn ivrconf_event_free(ev: *mut ivrconf_event) {
    ffi_boundary_or! { (), {
        if !ev.is_null() {
            // SAFETY: handed out by ivrconf_engine_next_event, not freed before.
            drop(unsafe { Box::from_raw(ev) });
        }
    }}
}
