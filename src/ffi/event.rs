//! `ivrconf_event` and its accessors. An event is borrowed during a callback
//! and owned (free with `ivrconf_event_free`) in poll mode, or when the
//! application kept a copy with `ivrconf_event_clone`.
//!
//! The handle is the C view of one `engine::Event`, built from the owned
//! event without a copy or an allocation: the call id is the call's own
//! NUL-terminated id (shared, not copied), the numbers are converted when
//! read, and a call event's readable line is rendered the first time
//! `ivrconf_event_text` asks for it, then kept for the event's lifetime.
//! Must not decide anything.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void, CStr, CString};
use std::sync::OnceLock;

use super::args::{handle_arg, non_null};
use super::result::ivrconf_result;
use crate::engine::Event;
use crate::flow::{request_code, status_code, CallEvent};

/// One application event (opaque). Strings it returns live as long as it.
#[derive(Clone)]
pub struct ivrconf_event {
    kind: u32,
    /// The call event and the value attached to its call; `None` for
    /// session and engine events.
    call: Option<(CallEvent, usize)>,
    /// The readable line: set at once for session and engine events,
    /// rendered on first use for call events. Once set it never changes,
    /// so the pointer handed out stays valid while the event lives (and
    /// two threads asking at once get the same line).
    text: OnceLock<CString>,
}

/// Operation id: never 0.
pub type ivrconf_op_id = u64;

/// A C string made from `text` (only the terminating NUL may grow the
/// buffer). Interior NUL bytes, which no C reader could see past, are
/// dropped.
fn c_string(text: String) -> CString {
    CString::new(text).unwrap_or_else(|e| {
        let mut bytes = e.into_vec();
        bytes.retain(|b| *b != 0);
        CString::new(bytes).unwrap_or_default()
    })
}

impl ivrconf_event {
    /// Takes the event apart: no string is copied.
    pub(crate) fn new(event: Event) -> ivrconf_event {
        let kind = event.kind() as u32;
        match event {
            Event::SessionUp { text }
            | Event::SessionDown { text }
            | Event::EngineError { text } => ivrconf_event {
                kind,
                call: None,
                text: OnceLock::from(c_string(text)),
            },
            Event::Call(call, userdata) => ivrconf_event {
                kind,
                call: Some((call, userdata)),
                text: OnceLock::new(),
            },
        }
    }

    fn call(&self) -> Option<&CallEvent> {
        self.call.as_ref().map(|(c, _)| c)
    }

    fn call_id(&self) -> Option<&CStr> {
        self.call()
            .and_then(|c| CStr::from_bytes_until_nul(c.call_id.with_nul()).ok())
    }

    fn text(&self) -> &CStr {
        self.text.get_or_init(|| match self.call() {
            Some(c) => {
                let mut line = c.text();
                // Room for the NUL in the one allocation when there is none.
                line.reserve_exact(1);
                c_string(line)
            }
            None => CString::default(),
        })
    }
}

/// The event kind (`IVRCONF_EVENT_*`); 0 for NULL.
#[no_mangle]
pub extern "C" fn ivrconf_event_kind(ev: *const ivrconf_event) -> u32 {
    ffi_boundary!(ivrconf_event_kind, {
        non_null(&[(ev.is_null(), "event")])?;
        // SAFETY: a live event handed out by this library (callback or poll).
        let ev = unsafe { handle_arg(ev, "event") }?;
        Ok(ev.kind)
    })
}

/// The call id; NULL for session and engine events (and for NULL).
#[no_mangle]
pub extern "C" fn ivrconf_event_call_id(ev: *const ivrconf_event) -> *const c_char {
    ffi_boundary!(ivrconf_event_call_id, {
        non_null(&[(ev.is_null(), "event")])?;
        // SAFETY: as in ivrconf_event_kind.
        let ev = unsafe { handle_arg(ev, "event") }?;
        Ok(ev.call_id())
    })
}

/// The op id: for `OPERATION_DONE` the op that ended; for `CALL_STATUS` the
/// op in flight on the call when the status arrived; 0 when none.
#[no_mangle]
pub extern "C" fn ivrconf_event_op_id(ev: *const ivrconf_event) -> ivrconf_op_id {
    ffi_boundary!(ivrconf_event_op_id, {
        non_null(&[(ev.is_null(), "event")])?;
        // SAFETY: as in ivrconf_event_kind.
        let ev = unsafe { handle_arg(ev, "event") }?;
        Ok(ev.call().map_or(0, |c| c.op_id))
    })
}

/// The kind (`IVRCONF_OP_*`) of the op `ivrconf_event_op_id` names; 0 when
/// none.
#[no_mangle]
pub extern "C" fn ivrconf_event_op_kind(ev: *const ivrconf_event) -> u32 {
    ffi_boundary!(ivrconf_event_op_kind, {
        non_null(&[(ev.is_null(), "event")])?;
        // SAFETY: as in ivrconf_event_kind.
        let ev = unsafe { handle_arg(ev, "event") }?;
        Ok(ev.call().and_then(|c| c.op_kind).map_or(0, |k| k as u32))
    })
}

/// The `IVRCONF_STATUS_*` of a `CALL_STATUS`; 0 otherwise.
#[no_mangle]
pub extern "C" fn ivrconf_event_status(ev: *const ivrconf_event) -> u32 {
    ffi_boundary!(ivrconf_event_status, {
        non_null(&[(ev.is_null(), "event")])?;
        // SAFETY: as in ivrconf_event_kind.
        let ev = unsafe { handle_arg(ev, "event") }?;
        Ok(ev.call().and_then(|c| c.status).map_or(0, status_code))
    })
}

/// The `IVRCONF_OUTCOME_*` of an `OPERATION_DONE`; 0 otherwise.
#[no_mangle]
pub extern "C" fn ivrconf_event_outcome(ev: *const ivrconf_event) -> u32 {
    ffi_boundary!(ivrconf_event_outcome, {
        non_null(&[(ev.is_null(), "event")])?;
        // SAFETY: as in ivrconf_event_kind.
        let ev = unsafe { handle_arg(ev, "event") }?;
        Ok(ev.call().and_then(|c| c.outcome).map_or(0, |o| o as u32))
    })
}

/// The `IVRCONF_REQUEST_*` named by the `CallError` that ended the op; 0 none.
#[no_mangle]
pub extern "C" fn ivrconf_event_failed_request(ev: *const ivrconf_event) -> u32 {
    ffi_boundary!(ivrconf_event_failed_request, {
        non_null(&[(ev.is_null(), "event")])?;
        // SAFETY: as in ivrconf_event_kind.
        let ev = unsafe { handle_arg(ev, "event") }?;
        Ok(ev
            .call()
            .and_then(|c| c.failed_request)
            .map_or(0, request_code))
    })
}

/// The `TLibErrCode` of that `CallError`; -1 when absent.
#[no_mangle]
pub extern "C" fn ivrconf_event_tlib_error(ev: *const ivrconf_event) -> i32 {
    ffi_boundary!(ivrconf_event_tlib_error, {
        non_null(&[(ev.is_null(), "event")])?;
        // SAFETY: as in ivrconf_event_kind.
        let ev = unsafe { handle_arg(ev, "event") }?;
        Ok(ev.call().and_then(|c| c.tlib_error))
    })
}

/// The call's state after the event (`IVRCONF_CALL_STATE_*`); 0 for
/// session events.
#[no_mangle]
pub extern "C" fn ivrconf_event_call_state(ev: *const ivrconf_event) -> u32 {
    ffi_boundary!(ivrconf_event_call_state, {
        non_null(&[(ev.is_null(), "event")])?;
        // SAFETY: as in ivrconf_event_kind.
        let ev = unsafe { handle_arg(ev, "event") }?;
        Ok(ev.call().map_or(0, |c| c.state as u32))
    })
}

/// Parties in the call after the event, the IVR port included; 0 for
/// session events.
#[no_mangle]
pub extern "C" fn ivrconf_event_party_count(ev: *const ivrconf_event) -> u32 {
    ffi_boundary!(ivrconf_event_party_count, {
        non_null(&[(ev.is_null(), "event")])?;
        // SAFETY: as in ivrconf_event_kind.
        let ev = unsafe { handle_arg(ev, "event") }?;
        Ok(ev.call().map_or(0, |c| c.party_count))
    })
}

/// One readable line describing the event; "" for NULL. Never NULL.
#[no_mangle]
pub extern "C" fn ivrconf_event_text(ev: *const ivrconf_event) -> *const c_char {
    ffi_boundary!(ivrconf_event_text, {
        non_null(&[(ev.is_null(), "event")])?;
        // SAFETY: as in ivrconf_event_kind.
        let ev = unsafe { handle_arg(ev, "event") }?;
        Ok(ev.text())
    })
}

/// The pointer the application attached to the event's call with
/// `ivrconf_call_set_userdata` when the event was produced; NULL for
/// session and engine events, calls without one, and NULL. The library
/// never dereferences it.
#[no_mangle]
pub extern "C" fn ivrconf_event_call_userdata(ev: *const ivrconf_event) -> *mut c_void {
    ffi_boundary!(ivrconf_event_call_userdata, {
        non_null(&[(ev.is_null(), "event")])?;
        // SAFETY: as in ivrconf_event_kind.
        let ev = unsafe { handle_arg(ev, "event") }?;
        Ok(ev.call.as_ref().map_or(0, |(_, userdata)| *userdata))
    })
}

/// Copies any event (the one a callback got, or one from
/// `ivrconf_engine_next_event`) into a new one the caller owns, written to
/// `*out`: usable from any thread, its strings valid until it is freed with
/// `ivrconf_event_free`. `IVRCONF_ERR_NULL_ARGUMENT` when `ev` or `out` is
/// NULL.
#[no_mangle]
pub extern "C" fn ivrconf_event_clone(
    ev: *const ivrconf_event,
    out: *mut *mut ivrconf_event,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_event_clone, {
        non_null(&[(ev.is_null(), "event"), (out.is_null(), "out")])?;
        // SAFETY: as in ivrconf_event_kind.
        let ev = unsafe { handle_arg(ev, "event") }?;
        let copy = Box::new(ev.clone());
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { *out = Box::into_raw(copy) };
        Ok(())
    })
}

/// Frees an event returned by `ivrconf_engine_next_event` or
/// `ivrconf_event_clone`; NULL is a no-op. Never call it on the event
/// passed to a callback.
#[no_mangle]
pub extern "C" fn ivrconf_event_free(ev: *mut ivrconf_event) {
    ffi_boundary!(ivrconf_event_free, {
        if !ev.is_null() {
            // SAFETY: handed out by ivrconf_engine_next_event or
            // ivrconf_event_clone, not freed before.
            drop(unsafe { Box::from_raw(ev) });
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{CallEventKind, CallState, OpKind, Outcome, Remark};
    use crate::wire::{FailedReq, StatusEvent};
    use std::ffi::CStr;

    fn text(p: *const c_char) -> Option<String> {
        // SAFETY: NULL or a string of a live event.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    fn call_event() -> CallEvent {
        CallEvent {
            kind: CallEventKind::OperationDone,
            call_id: "c7".into(),
            op_id: 42,
            op_kind: Some(OpKind::TransferConsult),
            status: None,
            outcome: Some(Outcome::Failed),
            failed_request: Some(FailedReq::ALL[1]),
            tlib_error: Some(56),
            state: CallState::Active,
            party_count: 2,
            remark: Remark::Error(" (CallError FailedReq=x)".into()),
        }
    }

    /// Every accessor reads what the owned event carried, in C encoding.
    #[test]
    fn accessors_read_the_moved_event() {
        let ev = ivrconf_event::new(Event::Call(call_event(), 0x1234));
        let p = &ev as *const ivrconf_event;
        assert_eq!(
            ivrconf_event_kind(p),
            crate::engine::EventKind::OperationDone as u32
        );
        assert_eq!(text(ivrconf_event_call_id(p)).as_deref(), Some("c7"));
        assert_eq!(
            text(ivrconf_event_text(p)).as_deref(),
            Some("TRANSFER_CONSULT op 42: FAILED, ACTIVE, 2 parties (CallError FailedReq=x)")
        );
        assert_eq!(ivrconf_event_op_id(p), 42);
        assert_eq!(ivrconf_event_op_kind(p), OpKind::TransferConsult as u32);
        assert_eq!(ivrconf_event_status(p), 0);
        assert_eq!(ivrconf_event_outcome(p), Outcome::Failed as u32);
        assert_eq!(
            ivrconf_event_failed_request(p),
            request_code(FailedReq::ALL[1])
        );
        assert_eq!(ivrconf_event_tlib_error(p), 56);
        assert_eq!(ivrconf_event_call_state(p), CallState::Active as u32);
        assert_eq!(ivrconf_event_party_count(p), 2);
        assert_eq!(ivrconf_event_call_userdata(p) as usize, 0x1234);

        let status = ivrconf_event::new(Event::Call(
            CallEvent {
                kind: CallEventKind::CallStatus,
                status: Some(StatusEvent::ALL[2]),
                tlib_error: None,
                ..call_event()
            },
            0,
        ));
        assert_eq!(
            ivrconf_event_status(&status),
            status_code(StatusEvent::ALL[2])
        );
        assert_eq!(ivrconf_event_tlib_error(&status), -1);
        assert!(
            ivrconf_event_call_userdata(&status).is_null(),
            "no userdata"
        );
    }

    /// A call event's line is rendered once, on first ask: later asks (and
    /// the call id) return the same pointers for the event's lifetime.
    #[test]
    fn text_is_rendered_once_and_stays_put() {
        let ev = ivrconf_event::new(Event::Call(call_event(), 0));
        assert!(
            ev.text.get().is_none(),
            "nothing rendered before the first ask"
        );
        let first = ivrconf_event_text(&ev);
        assert!(ev.text.get().is_some());
        assert_eq!(ivrconf_event_text(&ev), first);
        assert_eq!(ivrconf_event_call_id(&ev), ivrconf_event_call_id(&ev));
        let id = ev.call.as_ref().map(|(c, _)| c.call_id.as_ptr());
        assert_eq!(
            id,
            Some(ivrconf_event_call_id(&ev) as *const u8),
            "the call id is the call's own text, not a copy"
        );
    }

    /// A clone outlives the original and reads the same, strings included.
    #[test]
    fn a_clone_is_owned_and_reads_the_same() {
        let original = Box::new(ivrconf_event::new(Event::Call(call_event(), 99)));
        let mut copy: *mut ivrconf_event = std::ptr::null_mut();
        assert_eq!(ivrconf_event_clone(&*original, &mut copy), 0);
        assert!(!copy.is_null());
        let from_original = text(ivrconf_event_text(&*original));
        drop(original);
        assert_eq!(text(ivrconf_event_text(copy)), from_original);
        assert_eq!(text(ivrconf_event_call_id(copy)).as_deref(), Some("c7"));
        assert_eq!(ivrconf_event_op_id(copy), 42);
        assert_eq!(ivrconf_event_call_userdata(copy) as usize, 99);
        let session = ivrconf_event::new(Event::SessionDown {
            text: "gone".into(),
        });
        let mut copy2: *mut ivrconf_event = std::ptr::null_mut();
        assert_eq!(ivrconf_event_clone(&session, &mut copy2), 0);
        assert_eq!(text(ivrconf_event_text(copy2)).as_deref(), Some("gone"));
        assert!(ivrconf_event_call_userdata(copy2).is_null());
        ivrconf_event_free(copy);
        ivrconf_event_free(copy2);
        assert_eq!(
            ivrconf_event_clone(&session, std::ptr::null_mut()),
            crate::ffi::result::IVRCONF_ERR_NULL_ARGUMENT
        );
        assert_eq!(
            ivrconf_event_clone(std::ptr::null(), &mut copy2),
            crate::ffi::result::IVRCONF_ERR_NULL_ARGUMENT
        );
    }

    #[test]
    fn session_events_have_no_call_fields() {
        let ev = ivrconf_event::new(Event::SessionUp {
            text: "logged in".into(),
        });
        let p = &ev as *const ivrconf_event;
        assert_eq!(
            ivrconf_event_kind(p),
            crate::engine::EventKind::SessionUp as u32
        );
        assert!(ivrconf_event_call_id(p).is_null());
        assert_eq!(text(ivrconf_event_text(p)).as_deref(), Some("logged in"));
        assert_eq!(ivrconf_event_op_id(p), 0);
        assert_eq!(ivrconf_event_tlib_error(p), -1);
        assert_eq!(ivrconf_event_call_state(p), 0);
    }

    /// NULL is reported like in every function, with the accessor's "none".
    #[test]
    fn null_event_gives_none_and_names_the_argument() {
        assert_eq!(ivrconf_event_party_count(std::ptr::null()), 0);
        let last = text(crate::ffi::result::ivrconf_last_error());
        assert_eq!(
            last.as_deref(),
            Some("ivrconf_event_party_count: event is NULL")
        );
        assert_eq!(ivrconf_event_tlib_error(std::ptr::null()), -1);
        assert!(ivrconf_event_call_id(std::ptr::null()).is_null());
        assert!(ivrconf_event_call_userdata(std::ptr::null()).is_null());
        assert_eq!(
            text(ivrconf_event_text(std::ptr::null())).as_deref(),
            Some("")
        );
    }
}
