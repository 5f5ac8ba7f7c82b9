//! Calls and operations on an engine: announce, end, state, `can`, and the
//! conference/transfer operations.

use std::ffi::{c_char, c_void};

use super::args::{ivrconf_kv, kv_arg, kv_non_null, non_null, opt_str_arg, str_arg};
use super::boundary::Failure;
use super::engine::{engine_arg, engine_error, ivrconf_engine};
use super::event::ivrconf_op_id;
use super::result::*;
use crate::flow::OpKind;

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
    ffi_boundary!(ivrconf_call_new, {
        non_null(&[
            (e.is_null(), "engine"),
            (call_id.is_null(), "call_id"),
            (called_num.is_null(), "called_num"),
        ])?;
        // SAFETY: every pointer NULL or valid per the API contract.
        unsafe { kv_non_null(udata, udata_len) }?;
        // SAFETY: as above.
        let (engine, id, num, dnis, ani, kv) = unsafe {
            (
                engine_arg(e)?,
                str_arg(call_id, "call_id")?,
                str_arg(called_num, "called_num")?,
                opt_str_arg(dnis, "dnis")?,
                opt_str_arg(ani, "ani")?,
                kv_arg(udata, udata_len)?,
            )
        };
        let dnis = dnis.filter(|s| !s.is_empty());
        let ani = ani.filter(|s| !s.is_empty());
        engine
            .call_new(id, num, dnis, ani, kv)
            .map_err(engine_error(Some(id)))
    })
}

/// Ends a call: sends `EndCall` (or ends it locally when not logged in); an
/// operation in flight ends `CALL_ENDED`; a `CALL_ENDED` event follows and
/// the id is free again when this returns.
#[no_mangle]
pub extern "C" fn ivrconf_call_end(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_call_end, {
        non_null(&[(e.is_null(), "engine"), (call_id.is_null(), "call_id")])?;
        // SAFETY: a live handle and a NUL-terminated string (the API contract).
        let (engine, id) = unsafe { (engine_arg(e)?, str_arg(call_id, "call_id")?) };
        engine.call_end(id).map_err(engine_error(Some(id)))
    })
}

/// The call's current state (`IVRCONF_CALL_STATE_*`), from local state
/// (works while disconnected).
#[no_mangle]
pub extern "C" fn ivrconf_call_state(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
    state_out: *mut u32,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_call_state, {
        non_null(&[
            (e.is_null(), "engine"),
            (call_id.is_null(), "call_id"),
            (state_out.is_null(), "state_out"),
        ])?;
        // SAFETY: a live handle and a NUL-terminated string (the API contract).
        let (engine, id) = unsafe { (engine_arg(e)?, str_arg(call_id, "call_id")?) };
        let state = engine.call_state(id).map_err(engine_error(Some(id)))?;
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { *state_out = state as u32 };
        Ok(())
    })
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
    ffi_boundary!(ivrconf_call_can, {
        non_null(&[(e.is_null(), "engine"), (call_id.is_null(), "call_id")])?;
        // SAFETY: a live handle and a NUL-terminated string (the API contract).
        let (engine, id) = unsafe { (engine_arg(e)?, str_arg(call_id, "call_id")?) };
        let kind = OpKind::from_u32(op_kind).ok_or_else(|| {
            Failure::new(
                IVRCONF_ERR_INVALID_ARGUMENT,
                format!("unknown op kind {op_kind}"),
            )
        })?;
        engine.call_can(id, kind).map_err(engine_error(Some(id)))
    })
}

/// Attaches `userdata` to the live call `call_id`: every event of the call
/// produced from now on carries it (`ivrconf_event_call_userdata`); NULL
/// clears it. The library never dereferences it. Works in every session
/// state. Unknown call: `IVRCONF_ERR_UNKNOWN_CALL`.
#[no_mangle]
pub extern "C" fn ivrconf_call_set_userdata(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
    userdata: *mut c_void,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_call_set_userdata, {
        non_null(&[(e.is_null(), "engine"), (call_id.is_null(), "call_id")])?;
        // SAFETY: a live handle and a NUL-terminated string (the API contract).
        let (engine, id) = unsafe { (engine_arg(e)?, str_arg(call_id, "call_id")?) };
        // Kept as its address; handed back as the same pointer.
        let value = userdata.expose_provenance();
        engine
            .call_set_userdata(id, value)
            .map_err(engine_error(Some(id)))
    })
}

/// The body of the four functions that start an operation (they differ in
/// `kind` only).
fn start(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
    dest: *const c_char,
    udata: *const ivrconf_kv,
    udata_len: usize,
    op_out: *mut ivrconf_op_id,
    kind: OpKind,
) -> Result<(), Failure> {
    non_null(&[
        (e.is_null(), "engine"),
        (call_id.is_null(), "call_id"),
        (dest.is_null(), "dest"),
        (op_out.is_null(), "op_out"),
    ])?;
    // SAFETY: every pointer NULL or valid per the API contract.
    unsafe { kv_non_null(udata, udata_len) }?;
    // SAFETY: as above.
    let (engine, id, dest, kv) = unsafe {
        (
            engine_arg(e)?,
            str_arg(call_id, "call_id")?,
            str_arg(dest, "dest")?,
            kv_arg(udata, udata_len)?,
        )
    };
    let op = engine
        .start(id, kind, dest, kv)
        .map_err(engine_error(Some(id)))?;
    // SAFETY: checked non-NULL; writable per the contract.
    unsafe { *op_out = op };
    Ok(())
}

/// The body of the three functions that continue a consult: complete it
/// (`kind` a `*Complete`) or cancel it.
fn continue_consult(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
    kind: OpKind,
) -> Result<(), Failure> {
    non_null(&[(e.is_null(), "engine"), (call_id.is_null(), "call_id")])?;
    // SAFETY: a live handle and a NUL-terminated string (the API contract).
    let (engine, id) = unsafe { (engine_arg(e)?, str_arg(call_id, "call_id")?) };
    match kind {
        OpKind::ConsultCancel => engine.consult_cancel(id),
        _ => engine.complete(id, kind),
    }
    .map_err(engine_error(Some(id)))
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
    ffi_boundary!(ivrconf_conference_one_step, {
        start(
            e,
            call_id,
            dest,
            udata,
            udata_len,
            op_out,
            OpKind::ConferenceOneStep,
        )
    })
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
    ffi_boundary!(ivrconf_conference_init, {
        start(
            e,
            call_id,
            dest,
            udata,
            udata_len,
            op_out,
            OpKind::ConferenceConsult,
        )
    })
}

/// Completes the consult conference (`CompleteConf`); allowed before the
/// consulted party answers. No new op id.
#[no_mangle]
pub extern "C" fn ivrconf_conference_complete(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_conference_complete, {
        continue_consult(e, call_id, OpKind::ConferenceComplete)
    })
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
    ffi_boundary!(ivrconf_transfer_one_step, {
        start(
            e,
            call_id,
            dest,
            udata,
            udata_len,
            op_out,
            OpKind::TransferOneStep,
        )
    })
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
    ffi_boundary!(ivrconf_transfer_init, {
        start(
            e,
            call_id,
            dest,
            udata,
            udata_len,
            op_out,
            OpKind::TransferConsult,
        )
    })
}

/// Completes the consult transfer (`CompleteXfer`). No new op id.
#[no_mangle]
pub extern "C" fn ivrconf_transfer_complete(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_transfer_complete, {
        continue_consult(e, call_id, OpKind::TransferComplete)
    })
}

/// Cancels the consult in progress (`RetrieveCall`); the op ends `CANCELLED`
/// once the caller is retrieved.
#[no_mangle]
pub extern "C" fn ivrconf_consult_cancel(
    e: *mut ivrconf_engine,
    call_id: *const c_char,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_consult_cancel, {
        continue_consult(e, call_id, OpKind::ConsultCancel)
    })
}
