//! The panic boundary and the thread-local "last error" text.
//!
//! Every entry point runs its body through [`ffi_boundary!`]: a panic becomes
//! `IVRCONF_ERR_PANIC` (or the given default for functions that do not return
//! a result) and never unwinds into C.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

use super::result::{ivrconf_result, IVRCONF_ERR_PANIC};

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `message` as this thread's last error and returns `code`, so a
/// failing path reads `return fail(IVRCONF_ERR_X, "why")`.
pub fn fail(code: ivrconf_result, message: impl Into<String>) -> ivrconf_result {
    set_last_error(message.into());
    code
}

/// Replaces this thread's last-error text. Interior NUL bytes are dropped
/// rather than truncating the message.
pub fn set_last_error(message: String) {
    let bytes: Vec<u8> = message
        .into_bytes()
        .into_iter()
        .filter(|b| *b != 0)
        .collect();
    let text = CString::new(bytes).unwrap_or_default();
    // try_with: during thread-local teardown (a call from a pthread key
    // destructor) the text is dropped rather than panicking at the boundary.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = text);
}

/// Pointer to this thread's last-error text; valid until the next failing
/// call on this thread (the `CString` is only replaced, never mutated).
pub(crate) fn last_error_ptr() -> *const c_char {
    LAST_ERROR
        .try_with(|slot| slot.borrow().as_ptr())
        .unwrap_or(c"".as_ptr())
}

/// Called by the boundary macros when a body panicked.
pub fn on_panic(payload: Box<dyn std::any::Any + Send>) -> ivrconf_result {
    let what = crate::engine::panic_text(&*payload);
    fail(IVRCONF_ERR_PANIC, format!("internal error (panic): {what}"))
}

/// Runs a function body that returns `ivrconf_result`, turning a panic into
/// `IVRCONF_ERR_PANIC` with the panic message as the last error.
#[macro_export]
macro_rules! ffi_boundary {
    ( $($body:tt)* ) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| { $($body)* })) {
            Ok(value) => value,
            Err(payload) => $crate::ffi::boundary::on_panic(payload),
        }
    };
}

/// Runs a function body that returns something other than a result; a panic
/// yields `$default` (and sets the last error).
#[macro_export]
macro_rules! ffi_boundary_or {
    ( $default:expr, $($body:tt)* ) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| { $($body)* })) {
            Ok(value) => value,
            Err(payload) => {
                let _ = $crate::ffi::boundary::on_panic(payload);
                $default
            }
        }
    };
}
