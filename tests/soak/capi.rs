//! The engine's C API as a C program calls it: thin wrappers that make
//! NUL-terminated strings and call the `extern "C"` functions of
//! `ivrconf::ffi`. The soak drives the engine through nothing else.
//!
//! Owns no policy: every wrapper returns the raw `ivrconf_result`.

use std::ffi::{c_void, CStr, CString};
use std::ptr;

use ivrconf::ffi::call::*;
use ivrconf::ffi::config::*;
use ivrconf::ffi::constants::*;
use ivrconf::ffi::engine::*;
use ivrconf::ffi::event::*;
use ivrconf::ffi::result::*;
use ivrconf::ffi::trace::*;

pub use ivrconf::ffi::result::ivrconf_result as Code;

/// `ivrconf_result_str`: the constant's name.
pub fn code_name(code: Code) -> String {
    // SAFETY: never NULL, static text.
    unsafe { CStr::from_ptr(ivrconf_result_str(code)) }
        .to_string_lossy()
        .into_owned()
}

/// `ivrconf_last_error` of this thread.
pub fn last_error() -> String {
    // SAFETY: never NULL, valid until the next failing call on this thread.
    unsafe { CStr::from_ptr(ivrconf_last_error()) }
        .to_string_lossy()
        .into_owned()
}

fn c(text: &str) -> CString {
    CString::new(text).unwrap_or_default()
}

/// An `ivrconf_config`, freed on drop.
pub struct Config(*mut ivrconf_config);

impl Config {
    pub fn new() -> Result<Config, String> {
        let mut cfg: *mut ivrconf_config = ptr::null_mut();
        match ivrconf_config_new(&mut cfg) {
            IVRCONF_OK => Ok(Config(cfg)),
            code => Err(format!("ivrconf_config_new: {}", code_name(code))),
        }
    }

    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let (k, v) = (c(key), c(value));
        match ivrconf_config_set(self.0, k.as_ptr(), v.as_ptr()) {
            IVRCONF_OK => Ok(()),
            code => Err(format!(
                "ivrconf_config_set({key}, {value}): {} ({})",
                code_name(code),
                last_error()
            )),
        }
    }
}

impl Drop for Config {
    fn drop(&mut self) {
        ivrconf_config_free(self.0);
    }
}

/// The four operations a driver can start (`IVRCONF_OP_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    ConferenceOneStep,
    ConferenceConsult,
    TransferOneStep,
    TransferConsult,
}

impl OpKind {
    pub const ALL: [OpKind; 4] = [
        OpKind::ConferenceOneStep,
        OpKind::ConferenceConsult,
        OpKind::TransferOneStep,
        OpKind::TransferConsult,
    ];

    pub fn name(self) -> &'static str {
        match self {
            OpKind::ConferenceOneStep => "conference one-step",
            OpKind::ConferenceConsult => "conference consult",
            OpKind::TransferOneStep => "transfer one-step",
            OpKind::TransferConsult => "transfer consult",
        }
    }

    pub fn is_consult(self) -> bool {
        matches!(self, OpKind::ConferenceConsult | OpKind::TransferConsult)
    }

    pub fn index(self) -> usize {
        match self {
            OpKind::ConferenceOneStep => 0,
            OpKind::ConferenceConsult => 1,
            OpKind::TransferOneStep => 2,
            OpKind::TransferConsult => 3,
        }
    }
}

/// `IVRCONF_OUTCOME_*` names, indexed by the constant (0 unused).
pub const OUTCOMES: [&str; 11] = [
    "(none)",
    "COMPLETED",
    "BUSY",
    "NO_ANSWER",
    "FAILED",
    "CANCELLED",
    "CONSULT_RELEASED",
    "RETRIEVE_FAILED",
    "CALL_ENDED",
    "TIMEOUT",
    "LINK_LOST",
];

/// A running engine. The header says it is internally synchronised: every
/// function may be called from any thread concurrently.
pub struct Engine(*mut ivrconf_engine);

// SAFETY: the C API documents `ivrconf_engine` as internally synchronised.
unsafe impl Send for Engine {}
// SAFETY: as above.
unsafe impl Sync for Engine {}

/// Callback types of the header.
pub type EventFn = unsafe extern "C" fn(*mut c_void, *const ivrconf_event);
pub type LogFn = unsafe extern "C" fn(*mut c_void, u32, *const std::ffi::c_char);
pub type FreeFn = unsafe extern "C" fn(*mut c_void);

impl Engine {
    /// `ivrconf_engine_new` in callback mode.
    pub fn new(
        cfg: &Config,
        on_event: EventFn,
        on_log: LogFn,
        userdata: *mut c_void,
        free_userdata: FreeFn,
    ) -> Result<Engine, String> {
        let mut e: *mut ivrconf_engine = ptr::null_mut();
        match ivrconf_engine_new(
            cfg.0,
            Some(on_event),
            Some(on_log),
            userdata,
            Some(free_userdata),
            &mut e,
        ) {
            IVRCONF_OK => Ok(Engine(e)),
            code => Err(format!(
                "ivrconf_engine_new: {} ({})",
                code_name(code),
                last_error()
            )),
        }
    }

    pub fn wait_ready(&self, timeout_ms: u32) -> Code {
        ivrconf_engine_wait_ready(self.0, timeout_ms)
    }

    pub fn call_new(&self, call_id: &CStr) -> Code {
        ivrconf_call_new(
            self.0,
            call_id.as_ptr(),
            c"5000".as_ptr(),
            c"8001".as_ptr(),
            ptr::null(),
            ptr::null(),
            0,
        )
    }

    pub fn call_end(&self, call_id: &CStr) -> Code {
        ivrconf_call_end(self.0, call_id.as_ptr())
    }

    /// Starts `kind` towards `dest`; the op id on success.
    pub fn start(&self, kind: OpKind, call_id: &CStr, dest: &CStr) -> Result<u64, Code> {
        let f = match kind {
            OpKind::ConferenceOneStep => ivrconf_conference_one_step,
            OpKind::ConferenceConsult => ivrconf_conference_init,
            OpKind::TransferOneStep => ivrconf_transfer_one_step,
            OpKind::TransferConsult => ivrconf_transfer_init,
        };
        let mut op: ivrconf_op_id = 0;
        match f(
            self.0,
            call_id.as_ptr(),
            dest.as_ptr(),
            ptr::null(),
            0,
            &mut op,
        ) {
            IVRCONF_OK => Ok(op),
            code => Err(code),
        }
    }

    /// `ivrconf_conference_complete` or `ivrconf_transfer_complete`.
    pub fn complete(&self, kind: OpKind, call_id: &CStr) -> Code {
        match kind {
            OpKind::ConferenceConsult | OpKind::ConferenceOneStep => {
                ivrconf_conference_complete(self.0, call_id.as_ptr())
            }
            OpKind::TransferConsult | OpKind::TransferOneStep => {
                ivrconf_transfer_complete(self.0, call_id.as_ptr())
            }
        }
    }

    pub fn cancel(&self, call_id: &CStr) -> Code {
        ivrconf_consult_cancel(self.0, call_id.as_ptr())
    }

    /// `ivrconf_call_trace` in JSONL, copied out and freed with
    /// `ivrconf_string_free`.
    pub fn call_trace_jsonl(&self, call_id: &CStr) -> Result<String, Code> {
        let mut out: *mut std::ffi::c_char = ptr::null_mut();
        match ivrconf_call_trace(self.0, call_id.as_ptr(), IVRCONF_TRACE_JSONL, &mut out) {
            IVRCONF_OK if !out.is_null() => {
                // SAFETY: a NUL-terminated string the library made, not yet freed.
                let text = unsafe { CStr::from_ptr(out) }
                    .to_string_lossy()
                    .into_owned();
                ivrconf_string_free(out);
                Ok(text)
            }
            IVRCONF_OK => Ok(String::new()),
            code => Err(code),
        }
    }

    pub fn shutdown(&self) -> Code {
        ivrconf_engine_shutdown(self.0)
    }

    /// `ivrconf_engine_free`: delivers the remaining events, runs the
    /// free callback, joins. No other thread may use the engine any more.
    pub fn free(self) {
        ivrconf_engine_free(self.0);
    }
}

/// The fields of one event, read with the accessors during the callback.
#[derive(Debug, Clone, Copy)]
pub struct EventView<'a> {
    pub kind: u32,
    pub call_id: Option<&'a CStr>,
    pub op_id: u64,
    pub outcome: u32,
    pub failed_request: u32,
    pub call_state: u32,
}

/// Reads `ev` (valid during the callback only).
///
/// # Safety
/// `ev` is the event passed to the running event callback.
pub unsafe fn read_event<'a>(ev: *const ivrconf_event) -> EventView<'a> {
    let id = ivrconf_event_call_id(ev);
    EventView {
        kind: ivrconf_event_kind(ev),
        // SAFETY: NUL-terminated, lives as long as the event.
        call_id: (!id.is_null()).then(|| unsafe { CStr::from_ptr(id) }),
        op_id: ivrconf_event_op_id(ev),
        outcome: ivrconf_event_outcome(ev),
        failed_request: ivrconf_event_failed_request(ev),
        call_state: ivrconf_event_call_state(ev),
    }
}

/// The event's readable line.
///
/// # Safety
/// As [`read_event`].
pub unsafe fn event_text(ev: *const ivrconf_event) -> String {
    // SAFETY: never NULL; lives as long as the event.
    unsafe { CStr::from_ptr(ivrconf_event_text(ev)) }
        .to_string_lossy()
        .into_owned()
}

pub use ivrconf::ffi::event::ivrconf_event as RawEvent;

pub const EVENT_SESSION_UP: u32 = IVRCONF_EVENT_SESSION_UP;
pub const EVENT_SESSION_DOWN: u32 = IVRCONF_EVENT_SESSION_DOWN;
pub const EVENT_CALL_STATUS: u32 = IVRCONF_EVENT_CALL_STATUS;
pub const EVENT_OPERATION_DONE: u32 = IVRCONF_EVENT_OPERATION_DONE;
pub const EVENT_CALL_ENDED: u32 = IVRCONF_EVENT_CALL_ENDED;
pub const EVENT_ENGINE_ERROR: u32 = IVRCONF_EVENT_ENGINE_ERROR;
pub const STATE_CONSULTING: u32 = IVRCONF_CALL_STATE_CONSULTING;
pub const STATE_CONSULT_ESTABLISHED: u32 = IVRCONF_CALL_STATE_CONSULT_ESTABLISHED;
pub const STATE_HELD: u32 = IVRCONF_CALL_STATE_HELD;
pub const STATE_TRANSFERRED: u32 = IVRCONF_CALL_STATE_TRANSFERRED;
pub const OUTCOME_LINK_LOST: u32 = IVRCONF_OUTCOME_LINK_LOST;
pub const OUTCOME_CANCELLED: u32 = IVRCONF_OUTCOME_CANCELLED;
pub const REQUEST_NO_SUCH_CALL: u32 = IVRCONF_REQUEST_NO_SUCH_CALL;
pub const LOG_ERROR: u32 = IVRCONF_LOG_ERROR;
pub const LOG_WARN: u32 = IVRCONF_LOG_WARN;
pub const OK: Code = IVRCONF_OK;
pub const ERR_UNKNOWN_CALL: Code = IVRCONF_ERR_UNKNOWN_CALL;
pub const ERR_INVALID_STATE: Code = IVRCONF_ERR_INVALID_STATE;
