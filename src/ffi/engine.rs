//! `ivrconf_engine`: creation with callbacks (or poll mode), readiness,
//! shutdown and free, and the poll-mode event queue.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void, CString};
use std::time::Duration;

use super::args::{handle_arg, non_null};
use super::boundary::Failure;
use super::config::ivrconf_config;
use super::event::ivrconf_event;
use super::result::*;
use crate::engine::{
    ApiError, Engine, Event, EventFn, FreeFn, Handlers, LogFn, LogLevel, StartError,
};
use crate::flow::Refusal;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A running engine (opaque). Internally synchronised: every function may
/// be called on it from any thread, concurrently, and from inside callbacks.
pub struct ivrconf_engine {
    pub(crate) engine: Engine,
    /// Calls in progress on this handle, so `ivrconf_engine_free` can wait
    /// for the threads still inside it (woken by the shutdown it starts)
    /// before the memory goes.
    calls: AtomicUsize,
}

/// A call in progress on a handle: derefs to the engine; leaving it
/// (drop) tells a waiting `ivrconf_engine_free` one fewer is inside.
pub(crate) struct InUse<'a> {
    handle: &'a ivrconf_engine,
}

impl std::ops::Deref for InUse<'_> {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        &self.handle.engine
    }
}

impl Drop for InUse<'_> {
    fn drop(&mut self) {
        self.handle.calls.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Event callback: `event` is valid only during the call (keep it with
/// `ivrconf_event_clone`). Runs on the engine's one dispatcher thread, never
/// two at once and never under an engine lock; it may call any `ivrconf_*`
/// function on the engine (not `ivrconf_engine_next_event`), and while it
/// runs, later events wait (and, past `event_queue_max`, reading stops).
pub type ivrconf_event_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const ivrconf_event)>;
/// Log callback: `level` is `IVRCONF_LOG_*`; `message` valid during the
/// call. Runs on the same dispatcher thread as the event callback, in order
/// with the events; the same rules apply.
pub type ivrconf_log_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, level: u32, message: *const c_char)>;
/// Called once with the userdata after the last callback, when the engine
/// is freed, on the engine's dispatcher thread; never when
/// `ivrconf_engine_new` fails.
pub type ivrconf_free_fn = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// The application's pointer, handed back to its own callbacks on the
/// dispatcher thread only.
#[derive(Clone, Copy)]
struct UserData(*mut c_void);
// SAFETY: the library never dereferences it; the application promised (by
// passing it) that its callbacks may use it from the dispatcher thread.
unsafe impl Send for UserData {}

/// Turns an engine error into its failure; the text names the call when
/// there is one. Used as `.map_err(engine_error(Some(id)))`.
pub(crate) fn engine_error(call_id: Option<&str>) -> impl FnOnce(ApiError) -> Failure + '_ {
    move |err| {
        let who = call_id.map(|c| format!("call '{c}': ")).unwrap_or_default();
        match err {
            ApiError::Refused(r) => match r {
                Refusal::InvalidArgument(why) => {
                    Failure::new(IVRCONF_ERR_INVALID_ARGUMENT, format!("{who}{why}"))
                }
                Refusal::UnknownCall => {
                    Failure::new(IVRCONF_ERR_UNKNOWN_CALL, format!("{who}no such call"))
                }
                Refusal::CallExists => Failure::new(
                    IVRCONF_ERR_CALL_EXISTS,
                    format!("{who}a live call already has this id"),
                ),
                Refusal::NotConnected => Failure::new(
                    IVRCONF_ERR_NOT_CONNECTED,
                    format!("{who}not logged in to IVR Server"),
                ),
                Refusal::OperationPending => Failure::new(
                    IVRCONF_ERR_OPERATION_PENDING,
                    format!("{who}an operation is already in flight"),
                ),
                Refusal::InvalidState(why) => {
                    Failure::new(IVRCONF_ERR_INVALID_STATE, format!("{who}{why}"))
                }
            },
            ApiError::ShutDown => {
                Failure::new(IVRCONF_ERR_SHUT_DOWN, "the engine has been shut down")
            }
            ApiError::Dead => Failure::new(
                IVRCONF_ERR_PANIC,
                "the engine has failed (an internal error, reported by ENGINE_ERROR)",
            ),
            ApiError::Timeout => Failure::new(IVRCONF_ERR_TIMEOUT, "timed out"),
            ApiError::InCallback => Failure::new(
                IVRCONF_ERR_INVALID_STATE,
                "cannot be called from inside the engine's own callback",
            ),
            ApiError::CallbackMode => Failure::new(
                IVRCONF_ERR_INVALID_STATE,
                "for poll mode only; this engine has an event callback",
            ),
        }
    }
}

/// Borrows the engine behind a handle for the length of one call.
///
/// # Safety
/// `e` is NULL or a live handle from `ivrconf_engine_new` (the C caller's
/// contract: not used after `ivrconf_engine_free` has returned).
pub(crate) unsafe fn engine_arg<'a>(e: *const ivrconf_engine) -> Result<InUse<'a>, Failure> {
    // SAFETY: forwarded contract.
    let handle = unsafe { handle_arg(e, "engine") }?;
    handle.calls.fetch_add(1, Ordering::SeqCst);
    Ok(InUse { handle })
}

/// Validates `cfg` (missing `server`/`client_name` or reconnect_min_ms >
/// reconnect_max_ms: `IVRCONF_ERR_CONFIG`), copies it, starts the engine's
/// threads and begins connecting in the background; never blocks on the
/// network. `on_event` NULL selects poll mode. `free_userdata` (may be NULL)
/// runs exactly once, after the last callback, during `ivrconf_engine_free`.
#[no_mangle]
pub extern "C" fn ivrconf_engine_new(
    cfg: *const ivrconf_config,
    on_event: ivrconf_event_fn,
    on_log: ivrconf_log_fn,
    userdata: *mut c_void,
    free_userdata: ivrconf_free_fn,
    out: *mut *mut ivrconf_engine,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_engine_new, {
        non_null(&[(cfg.is_null(), "cfg"), (out.is_null(), "out")])?;
        // SAFETY: a live config (the API contract).
        let config = unsafe { handle_arg(cfg, "cfg") }?.inner.clone();
        let data = UserData(userdata);
        let handlers = Handlers {
            on_event: on_event.map(|f| {
                Box::new(move |event: Event| {
                    // The event moves into its C view: no copy per delivery.
                    let ev = ivrconf_event::new(event);
                    let ud = data;
                    // SAFETY: the application's callback with its own pointer.
                    unsafe { f(ud.0, &ev) };
                }) as EventFn
            }),
            on_log: on_log.map(|f| {
                Box::new(move |level: LogLevel, text: &str| {
                    let line = CString::new(text.replace('\0', "")).unwrap_or_default();
                    let ud = data;
                    // SAFETY: as above.
                    unsafe { f(ud.0, level as u32, line.as_ptr()) };
                }) as LogFn
            }),
            on_free: free_userdata.map(|f| {
                Box::new(move || {
                    let ud = data;
                    // SAFETY: as above; run exactly once by the dispatcher.
                    unsafe { f(ud.0) };
                }) as FreeFn
            }),
        };
        let engine = Engine::new(config, handlers).map_err(|e| match e {
            StartError::Config(_) => Failure::new(IVRCONF_ERR_CONFIG, e.to_string()),
            StartError::Thread(_) => Failure::new(IVRCONF_ERR_IO, e.to_string()),
        })?;
        let handle = ivrconf_engine {
            engine,
            calls: AtomicUsize::new(0),
        };
        // SAFETY: checked non-NULL.
        unsafe { *out = Box::into_raw(Box::new(handle)) };
        Ok(())
    })
}

/// Blocks until the engine is logged in (`IVRCONF_OK`) or `timeout_ms`
/// passes (`IVRCONF_ERR_TIMEOUT`, with the last error naming the last
/// connection failure, e.g. "... last failure: connection attempt to
/// 10.1.2.3:7000 failed: ... Connection refused").
#[no_mangle]
pub extern "C" fn ivrconf_engine_wait_ready(
    e: *mut ivrconf_engine,
    timeout_ms: u32,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_engine_wait_ready, {
        non_null(&[(e.is_null(), "engine")])?;
        // SAFETY: a live handle (the API contract).
        let engine = unsafe { engine_arg(e) }?;
        let ready = engine
            .wait_ready(Duration::from_millis(u64::from(timeout_ms)))
            .map_err(engine_error(None))?;
        if ready {
            return Ok(());
        }
        let why = match engine.last_failure() {
            Some(failure) => format!("last failure: {failure}"),
            None => "no connection attempt has failed yet".to_string(),
        };
        Err(Failure::new(
            IVRCONF_ERR_TIMEOUT,
            format!("not logged in within {timeout_ms} ms; {why}"),
        ))
    })
}

/// Changes the level of the lines the engine logs (`IVRCONF_LOG_*`), at
/// once: to the `on_log` callback, or to stderr under `IVRCONF_LOG`.
/// `IVRCONF_ERR_INVALID_ARGUMENT` for a value that is no level.
#[no_mangle]
pub extern "C" fn ivrconf_engine_set_log_level(
    e: *mut ivrconf_engine,
    level: u32,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_engine_set_log_level, {
        non_null(&[(e.is_null(), "engine")])?;
        let level = LogLevel::ALL
            .into_iter()
            .find(|l| *l as u32 == level)
            .ok_or_else(|| {
                Failure::new(
                    IVRCONF_ERR_INVALID_ARGUMENT,
                    format!(
                        "log level {level} is not one of IVRCONF_LOG_ERROR (1) ... IVRCONF_LOG_TRACE (5)"
                    ),
                )
            })?;
        // SAFETY: a live handle (the API contract).
        let engine = unsafe { engine_arg(e) }?;
        engine.set_log_level(level).map_err(engine_error(None))
    })
}

/// Stops intake (later calls get `IVRCONF_ERR_SHUT_DOWN`); every operation
/// in flight ends with `OPERATION_DONE` `CANCELLED`; nothing is sent; no
/// `CALL_ENDED` or `SESSION_DOWN` follows. Safe from inside a callback.
#[no_mangle]
pub extern "C" fn ivrconf_engine_shutdown(e: *mut ivrconf_engine) -> ivrconf_result {
    ffi_boundary!(ivrconf_engine_shutdown, {
        non_null(&[(e.is_null(), "engine")])?;
        // SAFETY: a live handle (the API contract).
        let engine = unsafe { engine_arg(e) }?;
        engine.shutdown().map_err(engine_error(None))
    })
}

/// Shuts down if needed, delivers the remaining events (callback mode; in
/// poll mode unread events are discarded), joins the threads, runs
/// `free_userdata` once and frees. NULL is a no-op. From outside a callback
/// no callback runs after it returns; from inside one it returns at once and
/// the rest runs after that callback returns. Calls other threads have in
/// progress on the engine end first (a blocked `ivrconf_engine_next_event`
/// or `ivrconf_engine_wait_ready` is woken with `IVRCONF_ERR_SHUT_DOWN`);
/// calling the engine after `ivrconf_engine_free` has begun is an error of
/// the application (the handle may already be gone).
#[no_mangle]
pub extern "C" fn ivrconf_engine_free(e: *mut ivrconf_engine) {
    ffi_boundary!(ivrconf_engine_free, {
        if e.is_null() {
            return Ok(());
        }
        // SAFETY: from ivrconf_engine_new, not freed before.
        let handle = unsafe { &*e };
        // Wake whoever is blocked inside (wait_ready, next_event) and make
        // every later call fail fast, then wait for them to leave: the
        // memory must outlive every call that began before free.
        handle.engine.begin_free();
        while handle.calls.load(Ordering::SeqCst) > 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        // SAFETY: from ivrconf_engine_new, not freed before, and no call is
        // inside it any more.
        let handle = unsafe { Box::from_raw(e) };
        handle.engine.free();
        Ok(())
    })
}

/// Poll mode: the oldest queued event (`IVRCONF_OK`, free it with
/// `ivrconf_event_free`) or `IVRCONF_ERR_TIMEOUT` after `timeout_ms`. After
/// `ivrconf_engine_shutdown` the events still queued (the CANCELLED ones
/// included) are returned, then `IVRCONF_ERR_SHUT_DOWN` at once, which also
/// wakes a reader blocked here. In callback mode: `IVRCONF_ERR_INVALID_STATE`.
#[no_mangle]
pub extern "C" fn ivrconf_engine_next_event(
    e: *mut ivrconf_engine,
    timeout_ms: u32,
    out: *mut *mut ivrconf_event,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_engine_next_event, {
        non_null(&[(e.is_null(), "engine"), (out.is_null(), "out")])?;
        // SAFETY: a live handle (the API contract).
        let engine = unsafe { engine_arg(e) }?;
        let event = engine
            .next_event(Duration::from_millis(u64::from(timeout_ms)))
            .map_err(|err| match err {
                ApiError::Timeout => Failure::new(
                    IVRCONF_ERR_TIMEOUT,
                    format!("no event within {timeout_ms} ms"),
                ),
                err => engine_error(None)(err),
            })?;
        // SAFETY: checked non-NULL.
        unsafe { *out = Box::into_raw(Box::new(ivrconf_event::new(event))) };
        Ok(())
    })
}
