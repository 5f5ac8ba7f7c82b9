//! Calls and operations on an engine: announce, end, state, `can`, and the
//! conference/transfer operations.

use std::ffi::c_char;

use super::args::{ivrconf_kv, kv_arg, kv_non_null, non_null, opt_str_arg, str_arg};
use super::boundary::fail;
use super::engine::{api_fail, engine_ref, ivrconf_engine};
use super::event::ivrconf_op_id;
use super::result::*;
use crate::engine::{ApiError, Engine};
use crate::flow::OpKind;

macro_rules! try_code {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(code) => return code,
        }
    };
}

/// Why a per-call function failed: a code already decided (NULL, UTF-8...)
/// or the engine's refusal, which becomes a code naming the call.
enum Failure {
    Code(ivrconf_result),
    Engine(ApiError),
}

impl From<ivrconf_result> for Failure {
    fn from(code: ivrconf_result) -> Self {
        Failure::Code(code)
    }
}

impl From<ApiError> for Failure {
    fn from(err: ApiError) -> Self {
        Failure::Engine(err)
    }
}

/// The common part of every per-call function, run after its NULL checks
/// (so NULL keeps precedence): reads the call id, runs `body` with the
/// engine and the id, and turns a failure into its code and last error.
fn per_call(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
    body: impl FnOnce(&Engine, &str) -> Result<(), Failure>,
) -> ivrconf_result {
    let engine = try_code!(engine_ref(e));
    // SAFETY: checked non-NULL by the caller; NUL-terminated per contract.
    let id = try_code!(unsafe { str_arg(call_id, "call_id") });
    match body(&engine, id) {
        Ok(()) => IVRCONF_OK,
        Err(Failure::Code(code)) => code,
        Err(Failure::Engine(err)) => api_fail(err, Some(id)),
    }
}

/// Announces a call on an IVR port (`NewCall`). `call_id` is chosen by the
/// driver (1-64 printable Latin-1 characters, unique among live calls);
/// `dnis`, `ani` may be NULL (or empty: left out); `udata` may be NULL when
/// `udata_len` is 0.
#[no_mangle]
pub extern "C" fn ivrconf_call_new(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
    called_num: *const c_char,
    dnis: *const c_char,
    ani: *const c_char,
    udata: *const ivrconf_kv,
    udata_len: usize,
) -> ivrconf_result {
    ffi_boundary! {
        try_code!(non_null(&[(e.is_null(), "engine"), (call_id.is_null(), "call_id"), (called_num.is_null(), "called_num")]));
        // SAFETY: pointers valid per the API contract (NULL handled inside).
        try_code!(unsafe { kv_non_null(udata, udata_len) });
        per_call(e, call_id, |engine, id| {
            // SAFETY: as above.
            let (num, dnis, ani, kv) = unsafe {
                (
                    str_arg(called_num, "called_num")?,
                    opt_str_arg(dnis, "dnis")?,
                    opt_str_arg(ani, "ani")?,
                    kv_arg(udata, udata_len)?,
                )
            };
            let dnis = dnis.filter(|s| !s.is_empty());
            let ani = ani.filter(|s| !s.is_empty());
            Ok(engine.call_new(id, num, dnis, ani, kv)?)
        })
    }
}

/// Ends a call: sends `EndCall` (or ends it locally when not logged in); an
/// operation in flight ends `CALL_ENDED`; a `CALL_ENDED` event follows and
/// the id is free again when this returns.
#[no_mangle]
pub extern "C" fn ivrconf_call_end(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
) -> ivrconf_result {
    ffi_boundary! {
        try_code!(non_null(&[(e.is_null(), "engine"), (call_id.is_null(), "call_id")]));
        per_call(e, call_id, |engine, id| Ok(engine.call_end(id)?))
    }
}

/// The call's current state (`IVRCONF_CALL_STATE_*`), from local state
/// (works while disconnected).
#[no_mangle]
pub extern "C" fn ivrconf_call_state(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
    state_out: *mut u32,
) -> ivrconf_result {
    ffi_boundary! {
        try_code!(non_null(&[(e.is_null(), "engine"), (call_id.is_null(), "call_id"), (state_out.is_null(), "state_out")]));
        per_call(e, call_id, |engine, id| {
            let state = engine.call_state(id)?;
            // SAFETY: checked non-NULL.
            unsafe { *state_out = state as u32 };
            Ok(())
        })
    }
}

/// `IVRCONF_OK` when `op_kind` (`IVRCONF_OP_*`) may start now, else the code
/// starting it would return (with the last error set). Unknown kind:
/// `IVRCONF_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn ivrconf_call_can(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
    op_kind: u32,
) -> ivrconf_result {
    ffi_boundary! {
        try_code!(non_null(&[(e.is_null(), "engine"), (call_id.is_null(), "call_id")]));
        per_call(e, call_id, |engine, id| {
            let Some(kind) = OpKind::from_u32(op_kind) else {
                return Err(fail(IVRCONF_ERR_INVALID_ARGUMENT, format!("unknown op kind {op_kind}")).into());
            };
            Ok(engine.call_can(id, kind)?)
        })
    }
}

fn start(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
    dest: *const c_char,
    udata: *const ivrconf_kv,
    udata_len: usize,
    op_out: *mut ivrconf_op_id,
    kind: OpKind,
) -> ivrconf_result {
    try_code!(non_null(&[
        (e.is_null(), "engine"),
        (call_id.is_null(), "call_id"),
        (dest.is_null(), "dest"),
        (op_out.is_null(), "op_out"),
    ]));
    // SAFETY: pointers valid per the API contract.
    try_code!(unsafe { kv_non_null(udata, udata_len) });
    per_call(e, call_id, |engine, id| {
        // SAFETY: as above.
        let (dest, kv) = unsafe { (str_arg(dest, "dest")?, kv_arg(udata, udata_len)?) };
        let op = engine.start(id, kind, dest, kv)?;
        // SAFETY: checked non-NULL.
        unsafe { *op_out = op };
        Ok(())
    })
}

fn continue_consult(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
    kind: OpKind,
) -> ivrconf_result {
    try_code!(non_null(&[
        (e.is_null(), "engine"),
        (call_id.is_null(), "call_id")
    ]));
    per_call(e, call_id, |engine, id| match kind {
        OpKind::ConsultCancel => Ok(engine.consult_cancel(id)?),
        _ => Ok(engine.complete(id, kind)?),
    })
}

/// One-step conference (`OneStepConf`): adds `dest` to the call. The op id
/// is written to `op_out`; exactly one `OPERATION_DONE` follows.
#[no_mangle]
pub extern "C" fn ivrconf_conference_one_step(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
    dest: *const c_char,
    udata: *const ivrconf_kv,
    udata_len: usize,
    op_out: *mut ivrconf_op_id,
) -> ivrconf_result {
    ffi_boundary! { start(e, call_id, dest, udata, udata_len, op_out, OpKind::ConferenceOneStep) }
}

/// Consult conference (`InitConf`): holds the caller and dials `dest`;
/// continue with `ivrconf_conference_complete` or `ivrconf_consult_cancel`.
#[no_mangle]
pub extern "C" fn ivrconf_conference_init(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
    dest: *const c_char,
    udata: *const ivrconf_kv,
    udata_len: usize,
    op_out: *mut ivrconf_op_id,
) -> ivrconf_result {
    ffi_boundary! { start(e, call_id, dest, udata, udata_len, op_out, OpKind::ConferenceConsult) }
}

/// Completes the consult conference (`CompleteConf`); allowed before the
/// consulted party answers. No new op id.
#[no_mangle]
pub extern "C" fn ivrconf_conference_complete(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
) -> ivrconf_result {
    ffi_boundary! { continue_consult(e, call_id, OpKind::ConferenceComplete) }
}

/// One-step (blind) transfer (`OneStepXfer`) to `dest`.
#[no_mangle]
pub extern "C" fn ivrconf_transfer_one_step(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
    dest: *const c_char,
    udata: *const ivrconf_kv,
    udata_len: usize,
    op_out: *mut ivrconf_op_id,
) -> ivrconf_result {
    ffi_boundary! { start(e, call_id, dest, udata, udata_len, op_out, OpKind::TransferOneStep) }
}

/// Consult transfer (`InitXfer`): holds the caller and dials `dest`;
/// continue with `ivrconf_transfer_complete` or `ivrconf_consult_cancel`.
#[no_mangle]
pub extern "C" fn ivrconf_transfer_init(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
    dest: *const c_char,
    udata: *const ivrconf_kv,
    udata_len: usize,
    op_out: *mut ivrconf_op_id,
) -> ivrconf_result {
    ffi_boundary! { start(e, call_id, dest, udata, udata_len, op_out, OpKind::TransferConsult) }
}

/// Completes the consult transfer (`CompleteXfer`). No new op id.
#[no_mangle]
pub extern "C" fn ivrconf_transfer_complete(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
) -> ivrconf_result {
    ffi_boundary! { continue_consult(e, call_id, OpKind::TransferComplete) }
}

/// Cancels the consult in progress (`RetrieveCall`); the op ends `CANCELLED`
/// once the caller is retrieved.
#[no_mangle]
pub extern "C" fn ivrconf_consult_cancel(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
) -> ivrconf_result {
    ffi_boundary! { continue_consult(e, call_id, OpKind::ConsultCancel) }
}
