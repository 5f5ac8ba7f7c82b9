//! C API of the bundled IVR Server simulator (`ivrconf_sim`): create it on a
//! listen address, change its behaviour with keys, read its port and its
//! traffic counts, free it.
//!
//! Thin: every decision is in `crate::sim`; this file only reads arguments
//! (with the helpers of `args.rs`, NULL checks first) and maps errors to
//! result codes with a precise last-error text, in the boundary pattern of
//! the other ffi files.

#![allow(non_camel_case_types)]

use std::ffi::c_char;
use std::time::Duration;

use super::args::{handle_arg, non_null, opt_str_arg, str_arg};
use super::boundary::Failure;
use super::result::{
    ivrconf_result, IVRCONF_ERR_INVALID_ARGUMENT, IVRCONF_ERR_IO, IVRCONF_ERR_TIMEOUT,
    IVRCONF_ERR_UNKNOWN_KEY,
};
use crate::sim::{SimError, Simulator};

/// An IVR Server simulator listening on a TCP port (opaque). Created by
/// `ivrconf_sim_new`, released by `ivrconf_sim_free`. Internally
/// synchronised: every function may be called from any thread.
pub struct ivrconf_sim {
    sim: Simulator,
}

/// Starts a simulator listening on `listen`, `"HOST:PORT"` (port 0 picks a
/// free port; read it with `ivrconf_sim_port`), e.g. `"127.0.0.1:0"`.
/// It accepts any number of IVR-driver connections and answers them as
/// `ivrconf_sim_set` configures (defaults: login succeeds, every destination
/// answers, every optional message of the canonical sequences is sent).
///
/// Returns `IVRCONF_OK` and writes the new handle to `*out`;
/// `IVRCONF_ERR_NULL_ARGUMENT` (`listen` or `out` NULL),
/// `IVRCONF_ERR_INVALID_ARGUMENT` (not UTF-8, or not a `HOST:PORT`
/// address), `IVRCONF_ERR_IO` (the address cannot be bound, e.g. in use).
///
/// # Safety
/// `listen` is NULL or a NUL-terminated string; `out` is NULL or valid for
/// writing one pointer.
#[no_mangle]
pub extern "C" fn ivrconf_sim_new(
    listen: *const c_char,
    out: *mut *mut ivrconf_sim,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_sim_new, {
        non_null(&[(listen.is_null(), "listen"), (out.is_null(), "out")])?;
        // SAFETY: NUL-terminated per this function's contract.
        let listen = unsafe { str_arg(listen, "listen") }?;
        let sim = Simulator::start(listen).map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidInput => Failure::new(
                IVRCONF_ERR_INVALID_ARGUMENT,
                format!("`{listen}` is not a HOST:PORT listen address ({e})"),
            ),
            _ => Failure::new(IVRCONF_ERR_IO, format!("cannot listen on `{listen}`: {e}")),
        })?;
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { *out = Box::into_raw(Box::new(ivrconf_sim { sim })) };
        Ok(())
    })
}

/// Changes one setting of the simulator. It takes effect at once, for
/// connections already open and those accepted later (`seed`: later
/// connections only). Values are text; bools are `true`/`false`; "ms" values
/// are 0..2147483647; probabilities are 0..1 (`true` = 1, `false` = 0).
///
/// Login: `login` = `ok` | `init_in_progress` | `no_such_client` |
/// `invalid_protocol_version` | `no_answer` (shortcut for the next keys);
/// `login_result` (LoginResp Result) [Success]; `login_status` (LoginResp
/// Status, empty = none) [OK]; `login_init_in_progress` = N: the next N
/// LoginReq get Status=InitInProgress, then `login_status` [0];
/// `login_answer` bool, false = never answer LoginReq [true];
/// `iserver_version` (empty = none) [IVR Server:8.1.001.02];
/// `config_options` (empty = none) []; `flow_control`: send FlowControl
/// Status=<text> after each successful LoginResp (empty = none) [].
///
/// Keep-alive: `keepalive_interval_ms`: send a keep-alive request every N ms
/// (0 = off) [0]; `keepalive_answer` bool [true]; `silent` bool: send nothing
/// at all, the connection stays open [false].
///
/// Calls: `tlib_err_code` (decimal, empty = none) [56]; `echo_req_id` bool
/// [true]; `slow_ms` [300]; `hangup_ms` [0]; `default_behaviour` [answer];
/// `dest.PREFIX` = behaviour (a prefix rule, e.g. `dest.600` = `busy`);
/// `end_after_xfer` = `none` | `endcall` | `released` [none];
/// `end_after_xfer_ms` [0]. Behaviours (also the built-in DN prefixes,
/// longest prefix wins): `answer`, `busy`, `fail`, `failcomplete`,
/// `noanswer`, `hangup`, `slow`, `silent`, `retrievefail`.
///
/// Faults: `seed` (u64) [0]; `drop_after_frames` (0 = off) [0]; `drop_at`
/// (message name, empty = off) []; `drop_forgets_calls` bool, false = a
/// LoginReq continues the calls of the client's dropped connection [true];
/// `duplicate_events`, `swap_held_dialing`,
/// `omit_optional`, `unknown_call_events` (probabilities) [0];
/// `caller_hangup_ms` (0 = off) [0]; `spelling` = `canonical` | `all` |
/// `random` | comma list of `single_quotes`, `child_elements`, `tlib_lower`,
/// `no_prolog` [canonical]; `split_writes`, `coalesce`,
/// `interleave_keepalive` bools [false]; `response_delay_ms` [0];
/// `record_limit` [100000]; `write_timeout_ms` (1..) [5000].
///
/// Replay: `replay` = comma list of JSONL trace files (the engine's
/// `ivrconf_call_trace` JSONL, or `ivrconf-trace import` of a capture),
/// empty = off []: instead of its scripted sequences the simulator plays
/// the server side of the traces, the calls matched by the order of their
/// NewCall, each request answered with the frames recorded after it, call
/// id substituted (a file that cannot be read is an invalid value);
/// `replay_speed`: factor on the recorded gaps, 0 = no delay [1].
///
/// Actions: `close_connections` (any value, e.g. `now`): drop every open
/// connection; `reset` (any value): every setting back to its default.
///
/// Returns `IVRCONF_ERR_NULL_ARGUMENT` (`sim`, `key` or `value` NULL),
/// `IVRCONF_ERR_INVALID_ARGUMENT` (not UTF-8, or a value the key does not
/// accept; nothing changes), `IVRCONF_ERR_UNKNOWN_KEY`.
///
/// # Safety
/// `sim` is NULL or a live handle; `key` and `value` are NULL or
/// NUL-terminated strings.
#[no_mangle]
pub extern "C" fn ivrconf_sim_set(
    sim: *mut ivrconf_sim,
    key: *const c_char,
    value: *const c_char,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_sim_set, {
        non_null(&[
            (sim.is_null(), "sim"),
            (key.is_null(), "key"),
            (value.is_null(), "value"),
        ])?;
        // SAFETY: a live handle (only shared access) and NUL-terminated
        // strings, per this function's contract.
        let (sim, key, value) = unsafe {
            (
                handle_arg(sim, "sim")?,
                str_arg(key, "key")?,
                str_arg(value, "value")?,
            )
        };
        sim.sim.set(key, value).map_err(|e| match e {
            SimError::UnknownKey(_) => Failure::new(IVRCONF_ERR_UNKNOWN_KEY, e.to_string()),
            _ => Failure::new(IVRCONF_ERR_INVALID_ARGUMENT, e.to_string()),
        })
    })
}

/// Writes the TCP port the simulator listens on to `*port_out`.
/// `IVRCONF_ERR_NULL_ARGUMENT` when `sim` or `port_out` is NULL.
///
/// # Safety
/// `sim` is NULL or a live handle; `port_out` is NULL or writable.
#[no_mangle]
pub extern "C" fn ivrconf_sim_port(sim: *const ivrconf_sim, port_out: *mut u16) -> ivrconf_result {
    ffi_boundary!(ivrconf_sim_port, {
        non_null(&[(sim.is_null(), "sim"), (port_out.is_null(), "port_out")])?;
        // SAFETY: a live handle per this function's contract.
        let sim = unsafe { handle_arg(sim, "sim") }?;
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { *port_out = sim.sim.port() };
        Ok(())
    })
}

/// Writes to `*count_out` how many XML messages named `name` (canonical
/// name, ASCII case-insensitive, e.g. "InitConf") the simulator has received
/// on all connections; `name` NULL counts every XML message. Pseudo-names
/// count other frames: `#keepalive_request`, `#keepalive_ack`,
/// `#error_ack`, `#decode_error`, `#protocol_error`.
/// `IVRCONF_ERR_NULL_ARGUMENT` when `sim` or `count_out` is NULL,
/// `IVRCONF_ERR_INVALID_ARGUMENT` when `name` is not UTF-8.
///
/// # Safety
/// `sim` is NULL or a live handle; `name` is NULL or a NUL-terminated
/// string; `count_out` is NULL or writable.
#[no_mangle]
pub extern "C" fn ivrconf_sim_received_count(
    sim: *const ivrconf_sim,
    name: *const c_char,
    count_out: *mut u64,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_sim_received_count, {
        non_null(&[(sim.is_null(), "sim"), (count_out.is_null(), "count_out")])?;
        // SAFETY: a live handle and NULL or a NUL-terminated string, per
        // this function's contract.
        let (sim, name) = unsafe { (handle_arg(sim, "sim")?, opt_str_arg(name, "name")?) };
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { *count_out = sim.sim.received_count(name) };
        Ok(())
    })
}

/// Blocks until the simulator has received at least `count` XML messages
/// named `name` (as `ivrconf_sim_received_count` counts them), or until
/// `timeout_ms` pass: `IVRCONF_OK` or `IVRCONF_ERR_TIMEOUT`.
/// `IVRCONF_ERR_NULL_ARGUMENT` when `sim` or `name` is NULL,
/// `IVRCONF_ERR_INVALID_ARGUMENT` when `name` is not UTF-8.
///
/// # Safety
/// `sim` is NULL or a live handle; `name` is NULL or a NUL-terminated
/// string.
#[no_mangle]
pub extern "C" fn ivrconf_sim_wait_received(
    sim: *const ivrconf_sim,
    name: *const c_char,
    count: u64,
    timeout_ms: u32,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_sim_wait_received, {
        non_null(&[(sim.is_null(), "sim"), (name.is_null(), "name")])?;
        // SAFETY: a live handle and a NUL-terminated string, per this
        // function's contract.
        let (sim, name) = unsafe { (handle_arg(sim, "sim")?, str_arg(name, "name")?) };
        if sim
            .sim
            .wait_received(name, count, Duration::from_millis(u64::from(timeout_ms)))
        {
            Ok(())
        } else {
            Err(Failure::new(
                IVRCONF_ERR_TIMEOUT,
                format!(
                    "{} of {count} `{name}` received within {timeout_ms} ms",
                    sim.sim.received_count(Some(name))
                ),
            ))
        }
    })
}

/// Writes to `*count_out` how many connections the simulator has accepted
/// so far. `IVRCONF_ERR_NULL_ARGUMENT` when `sim` or `count_out` is NULL.
///
/// # Safety
/// `sim` is NULL or a live handle; `count_out` is NULL or writable.
#[no_mangle]
pub extern "C" fn ivrconf_sim_connection_count(
    sim: *const ivrconf_sim,
    count_out: *mut u64,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_sim_connection_count, {
        non_null(&[(sim.is_null(), "sim"), (count_out.is_null(), "count_out")])?;
        // SAFETY: a live handle per this function's contract.
        let sim = unsafe { handle_arg(sim, "sim") }?;
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { *count_out = sim.sim.connection_count() };
        Ok(())
    })
}

/// Stops the simulator (closes every connection, joins its threads) and
/// frees it. NULL is a no-op. The handle must not be used afterwards.
///
/// # Safety
/// `sim` is NULL or a live handle from `ivrconf_sim_new`, not used by any
/// other thread during or after this call.
#[no_mangle]
pub extern "C" fn ivrconf_sim_free(sim: *mut ivrconf_sim) {
    ffi_boundary!(ivrconf_sim_free, {
        if !sim.is_null() {
            // SAFETY: created by Box::into_raw in ivrconf_sim_new; the caller
            // gives up the handle here.
            drop(unsafe { Box::from_raw(sim) });
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use crate::sim::KEYS;

    /// Every key of the simulator is documented in ivrconf_sim_set's doc
    /// comment (and so in the header).
    #[test]
    fn set_doc_names_every_key() {
        let src = include_str!("sim.rs");
        let start = src.find("/// Changes one setting").unwrap_or(0);
        let end = src.find("pub extern \"C\" fn ivrconf_sim_set").unwrap_or(0);
        let doc = &src[start..end];
        for k in KEYS {
            assert!(doc.contains(&format!("`{}`", k.key)), "{}", k.key);
        }
    }
}
