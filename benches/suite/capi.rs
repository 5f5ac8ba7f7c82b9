//! The suite's driver over the C API: an engine made and used only through
//! the `extern "C"` functions of `ivrconf::ffi`, with a C callback, as a C
//! IVR driver would. The callback's context counts what the benches wait
//! for, completes consult conferences when the consulted party answers, and
//! hands each CALL_STATUS to a latency probe.

use std::ffi::{c_void, CStr, CString};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::countdown::Countdown;
use crate::probe::Probe;
use ivrconf::ffi::call::*;
use ivrconf::ffi::config::*;
use ivrconf::ffi::constants::*;
use ivrconf::ffi::engine::*;
use ivrconf::ffi::event::*;
use ivrconf::ffi::result::{ivrconf_last_error, ivrconf_result, IVRCONF_OK};

/// What the callback shares with the bench.
pub struct Ctx {
    engine: AtomicPtr<ivrconf_engine>,
    /// Complete a consult conference on its `Established`.
    pub complete_on_established: AtomicBool,
    /// OPERATION_DONE events.
    pub done: Countdown,
    pub not_completed: AtomicUsize,
    pub probe: Option<Arc<Probe>>,
}

fn last_error() -> String {
    // SAFETY: the library returns a valid NUL-terminated string.
    unsafe { CStr::from_ptr(ivrconf_last_error()) }
        .to_string_lossy()
        .into_owned()
}

fn check(what: &str, r: ivrconf_result) -> Result<(), String> {
    if r == IVRCONF_OK {
        Ok(())
    } else {
        Err(format!("{what}: {} ({r})", last_error()))
    }
}

unsafe extern "C" fn on_event(userdata: *mut c_void, ev: *const ivrconf_event) {
    // SAFETY: `userdata` is the `Ctx` given to `ivrconf_engine_new`, alive
    // until `free_ctx` runs after the last callback.
    let ctx = unsafe { &*(userdata as *const Ctx) };
    match ivrconf_event_kind(ev) {
        IVRCONF_EVENT_CALL_STATUS => {
            if let Some(probe) = &ctx.probe {
                // SAFETY: a call event's id is a valid C string during the call.
                let id = unsafe { CStr::from_ptr(ivrconf_event_call_id(ev)) };
                probe.received(id.to_bytes());
            }
            if ivrconf_event_status(ev) == IVRCONF_STATUS_ESTABLISHED
                && ctx.complete_on_established.load(Ordering::Relaxed)
            {
                let e = ctx.engine.load(Ordering::Acquire);
                if ivrconf_conference_complete(e, ivrconf_event_call_id(ev)) != IVRCONF_OK {
                    ctx.not_completed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        IVRCONF_EVENT_OPERATION_DONE => {
            if ivrconf_event_outcome(ev) != IVRCONF_OUTCOME_COMPLETED {
                ctx.not_completed.fetch_add(1, Ordering::Relaxed);
            }
            ctx.done.one();
        }
        _ => {}
    }
}

unsafe extern "C" fn free_ctx(userdata: *mut c_void) {
    // SAFETY: the pointer came from `Arc::into_raw` in `CEngine::start`;
    // this runs once, after the last callback.
    drop(unsafe { Arc::from_raw(userdata as *const Ctx) });
}

/// An engine made through the C API.
pub struct CEngine {
    e: *mut ivrconf_engine,
    pub ctx: Arc<Ctx>,
}

// SAFETY: the engine handle is internally synchronised (C API contract).
unsafe impl Send for CEngine {}
unsafe impl Sync for CEngine {}

impl CEngine {
    /// Connects to `127.0.0.1:port` with the given extra config keys and
    /// waits until logged in.
    pub fn start(
        port: u16,
        keys: &[(&str, &str)],
        probe: Option<Arc<Probe>>,
    ) -> Result<CEngine, String> {
        let mut cfg = ptr::null_mut();
        check("config_new", ivrconf_config_new(&mut cfg))?;
        let server = format!("127.0.0.1:{port}");
        let mut all = vec![("server", server.as_str()), ("client_name", "BENCH")];
        all.extend_from_slice(keys);
        for (k, v) in all {
            let (ck, cv) = (cstr(k), cstr(v));
            let r = ivrconf_config_set(cfg, ck.as_ptr(), cv.as_ptr());
            if r != IVRCONF_OK {
                ivrconf_config_free(cfg);
                return Err(format!("config {k}={v}: {}", last_error()));
            }
        }
        let ctx = Arc::new(Ctx {
            engine: AtomicPtr::new(ptr::null_mut()),
            complete_on_established: AtomicBool::new(false),
            done: Countdown::default(),
            not_completed: AtomicUsize::new(0),
            probe,
        });
        let userdata = Arc::into_raw(ctx.clone()) as *mut c_void;
        let mut e = ptr::null_mut();
        let r = ivrconf_engine_new(cfg, Some(on_event), None, userdata, Some(free_ctx), &mut e);
        ivrconf_config_free(cfg);
        if r != IVRCONF_OK {
            // SAFETY: not started: the userdata is still ours.
            unsafe { free_ctx(userdata) };
            return Err(format!("engine_new: {}", last_error()));
        }
        ctx.engine.store(e, Ordering::Release);
        let engine = CEngine { e, ctx };
        check("wait_ready", ivrconf_engine_wait_ready(e, 10_000))?;
        Ok(engine)
    }

    pub fn call_new(&self, id: &CStr) -> Result<(), String> {
        let r = ivrconf_call_new(
            self.e,
            id.as_ptr(),
            c"5001".as_ptr(),
            ptr::null(),
            ptr::null(),
            ptr::null(),
            0,
        );
        check("call_new", r)
    }

    pub fn call_end(&self, id: &CStr) -> Result<(), String> {
        check("call_end", ivrconf_call_end(self.e, id.as_ptr()))
    }

    pub fn call_state(&self, id: &CStr) -> Result<u32, String> {
        let mut state = 0;
        check(
            "call_state",
            ivrconf_call_state(self.e, id.as_ptr(), &mut state),
        )?;
        Ok(state)
    }

    /// Starts a consult (`consult` true) or one-step conference to 6001.
    pub fn conference(&self, id: &CStr, consult: bool) -> Result<(), String> {
        let mut op = 0;
        let r = if consult {
            ivrconf_conference_init(
                self.e,
                id.as_ptr(),
                c"6001".as_ptr(),
                ptr::null(),
                0,
                &mut op,
            )
        } else {
            ivrconf_conference_one_step(
                self.e,
                id.as_ptr(),
                c"6001".as_ptr(),
                ptr::null(),
                0,
                &mut op,
            )
        };
        check("conference", r)
    }
}

impl Drop for CEngine {
    fn drop(&mut self) {
        ivrconf_engine_free(self.e);
    }
}

pub fn cstr(s: &str) -> CString {
    CString::new(s).unwrap_or_default()
}
