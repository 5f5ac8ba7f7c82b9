//! Result codes: fixed values, never reused, and their names.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, CStr};

/// Outcome of a fallible call: `IVRCONF_OK` (0) or one of `IVRCONF_ERR_*`.
pub type ivrconf_result = u32;

/// Success.
pub const IVRCONF_OK: ivrconf_result = 0;
/// A required pointer argument was NULL.
pub const IVRCONF_ERR_NULL_ARGUMENT: ivrconf_result = 1;
/// An argument was malformed: invalid UTF-8, not Latin-1, control character,
/// too long, or an unknown enum value.
pub const IVRCONF_ERR_INVALID_ARGUMENT: ivrconf_result = 2;
/// `ivrconf_config_set` with a key that does not exist.
pub const IVRCONF_ERR_UNKNOWN_KEY: ivrconf_result = 3;
/// The configuration as a whole is unusable (missing or inconsistent keys).
pub const IVRCONF_ERR_CONFIG: ivrconf_result = 4;
/// No live call has this id.
pub const IVRCONF_ERR_UNKNOWN_CALL: ivrconf_result = 5;
/// A live call already has this id.
pub const IVRCONF_ERR_CALL_EXISTS: ivrconf_result = 6;
/// The engine is not logged in to a server.
pub const IVRCONF_ERR_NOT_CONNECTED: ivrconf_result = 7;
/// The call already has an operation in flight.
pub const IVRCONF_ERR_OPERATION_PENDING: ivrconf_result = 8;
/// The call's state (or the engine's mode) does not allow this now.
pub const IVRCONF_ERR_INVALID_STATE: ivrconf_result = 9;
/// A wait ran out of time.
pub const IVRCONF_ERR_TIMEOUT: ivrconf_result = 10;
/// The engine has been shut down.
pub const IVRCONF_ERR_SHUT_DOWN: ivrconf_result = 11;
/// An internal error (a caught panic, or the core thread has died).
pub const IVRCONF_ERR_PANIC: ivrconf_result = 12;
/// An operating-system error (for example a listen address in use).
pub const IVRCONF_ERR_IO: ivrconf_result = 13;

/// Every code with its constant's name, in value order.
const NAMES: &[(ivrconf_result, &CStr)] = &[
    (IVRCONF_OK, c"IVRCONF_OK"),
    (IVRCONF_ERR_NULL_ARGUMENT, c"IVRCONF_ERR_NULL_ARGUMENT"),
    (
        IVRCONF_ERR_INVALID_ARGUMENT,
        c"IVRCONF_ERR_INVALID_ARGUMENT",
    ),
    (IVRCONF_ERR_UNKNOWN_KEY, c"IVRCONF_ERR_UNKNOWN_KEY"),
    (IVRCONF_ERR_CONFIG, c"IVRCONF_ERR_CONFIG"),
    (IVRCONF_ERR_UNKNOWN_CALL, c"IVRCONF_ERR_UNKNOWN_CALL"),
    (IVRCONF_ERR_CALL_EXISTS, c"IVRCONF_ERR_CALL_EXISTS"),
    (IVRCONF_ERR_NOT_CONNECTED, c"IVRCONF_ERR_NOT_CONNECTED"),
    (
        IVRCONF_ERR_OPERATION_PENDING,
        c"IVRCONF_ERR_OPERATION_PENDING",
    ),
    (IVRCONF_ERR_INVALID_STATE, c"IVRCONF_ERR_INVALID_STATE"),
    (IVRCONF_ERR_TIMEOUT, c"IVRCONF_ERR_TIMEOUT"),
    (IVRCONF_ERR_SHUT_DOWN, c"IVRCONF_ERR_SHUT_DOWN"),
    (IVRCONF_ERR_PANIC, c"IVRCONF_ERR_PANIC"),
    (IVRCONF_ERR_IO, c"IVRCONF_ERR_IO"),
];

/// The name of a result code's constant (Rust side of `ivrconf_result_str`).
pub fn result_name(code: ivrconf_result) -> &'static CStr {
    NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
        .unwrap_or(c"IVRCONF_ERR_UNKNOWN")
}

/// The static name of `code`'s constant, e.g. `"IVRCONF_ERR_UNKNOWN_CALL"`;
/// `"IVRCONF_ERR_UNKNOWN"` for a code that does not exist. Never NULL.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ivrconf_result_str(code: ivrconf_result) -> *const c_char {
    ffi_boundary!(ivrconf_result_str, { Ok(result_name(code)) })
}

/// A one-line message describing the most recent failed call on the calling
/// thread; "" when there is none. Valid until the next failing call on this
/// thread. Never NULL.
#[no_mangle]
pub extern "C" fn ivrconf_last_error() -> *const c_char {
    ffi_boundary!(ivrconf_last_error, {
        // SAFETY: NUL-terminated and alive until this thread's next failing
        // call, which is as long as the contract lets C keep it.
        Ok(unsafe { CStr::from_ptr(super::boundary::last_error_ptr()) })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_own_name() {
        for (i, (code, name)) in NAMES.iter().enumerate() {
            assert_eq!(*code as usize, i, "codes are dense and fixed");
            assert_eq!(result_name(*code), *name);
        }
        assert_eq!(result_name(9999).to_str().ok(), Some("IVRCONF_ERR_UNKNOWN"));
    }
}
