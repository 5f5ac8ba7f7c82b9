//! The one boundary every exported function runs through, and the
//! thread-local "last error" text it writes.
//!
//! Every `extern "C"` function has the same shape, so a new one is written by
//! copying its neighbour:
//!
//! ```text
//! #[no_mangle]
//! pub extern "C" fn ivrconf_thing_do(t: *mut ivrconf_thing, out: *mut u32) -> ivrconf_result {
//!     ffi_boundary!(ivrconf_thing_do, {
//!         non_null(&[(t.is_null(), "thing"), (out.is_null(), "out")])?;
//!         // SAFETY: ... (the C caller's contract, in the doc comment)
//!         let thing = unsafe { handle_arg(t, "thing") }?;
//!         ...
//!         Ok(())
//!     })
//! }
//! ```
//!
//! The body returns `Result<T, Failure>`: argument helpers (`args.rs`) are
//! used with `?`, NULL checks first. [`finish`] turns the outcome into the C
//! return value through [`IntoC`], records a failure (or a caught panic) as
//! the last error prefixed with the function's name, and never lets a panic
//! unwind into C. Must not hold argument parsing or engine logic.

use std::cell::RefCell;
use std::ffi::{c_char, c_void, CStr, CString};

use super::result::{ivrconf_result, IVRCONF_ERR_PANIC, IVRCONF_OK};

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Why an exported function failed: its result code and the precise reason.
/// The boundary writes the reason to the last error, so building one has no
/// side effect.
#[derive(Debug)]
pub struct Failure {
    code: ivrconf_result,
    message: String,
}

impl Failure {
    pub fn new(code: ivrconf_result, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

/// How a body's `Ok` value becomes the C return value `C`, and what C gets
/// when the body failed or panicked (the last error says why).
///
/// Implemented per pair of body value and C type, because the C type alone
/// cannot tell: result codes and enum values are both `u32`, and a string
/// that may be NULL and one that never is are both `*const c_char`. The body's
/// value type says which one is meant.
pub trait IntoC<C> {
    /// The C value for a body that succeeded with `self`.
    fn into_c(self) -> C;
    /// The C value for a body that failed with `code` (`IVRCONF_ERR_PANIC`
    /// after a panic).
    fn on_failure(code: ivrconf_result) -> C;
}

/// Functions returning `ivrconf_result`: `IVRCONF_OK` or the failure's code.
impl IntoC<ivrconf_result> for () {
    fn into_c(self) -> ivrconf_result {
        IVRCONF_OK
    }
    fn on_failure(code: ivrconf_result) -> ivrconf_result {
        code
    }
}

/// `void` functions (the `*_free` ones): a failure is only recorded.
impl IntoC<()> for () {
    fn into_c(self) {}
    fn on_failure(_: ivrconf_result) {}
}

/// Enum values and counts: 0 ("none") on failure.
impl IntoC<u32> for u32 {
    fn into_c(self) -> u32 {
        self
    }
    fn on_failure(_: ivrconf_result) -> u32 {
        0
    }
}

/// Op ids: 0 ("none") on failure.
impl IntoC<u64> for u64 {
    fn into_c(self) -> u64 {
        self
    }
    fn on_failure(_: ivrconf_result) -> u64 {
        0
    }
}

/// Signed values that may be absent: -1 when absent and on failure.
impl IntoC<i32> for Option<i32> {
    fn into_c(self) -> i32 {
        self.unwrap_or(-1)
    }
    fn on_failure(_: ivrconf_result) -> i32 {
        -1
    }
}

/// Strings that are never NULL: "" on failure.
impl IntoC<*const c_char> for &CStr {
    fn into_c(self) -> *const c_char {
        self.as_ptr()
    }
    fn on_failure(_: ivrconf_result) -> *const c_char {
        c"".as_ptr()
    }
}

/// Strings that may be NULL: NULL when absent and on failure.
impl IntoC<*const c_char> for Option<&CStr> {
    fn into_c(self) -> *const c_char {
        self.map_or(std::ptr::null(), CStr::as_ptr)
    }
    fn on_failure(_: ivrconf_result) -> *const c_char {
        std::ptr::null()
    }
}

/// The application's own pointers, kept as their address (`usize`, 0 for
/// none) below the ffi layer: NULL when none and on failure. Never
/// dereferenced here.
impl IntoC<*mut c_void> for usize {
    fn into_c(self) -> *mut c_void {
        std::ptr::with_exposed_provenance_mut(self)
    }
    fn on_failure(_: ivrconf_result) -> *mut c_void {
        std::ptr::null_mut()
    }
}

/// Ends every exported function (called by [`ffi_boundary!`]): the C value
/// of `outcome`, with a failure or panic written to the last error as
/// "`function`: reason".
pub fn finish<T: IntoC<C>, C>(
    function: &str,
    outcome: std::thread::Result<Result<T, Failure>>,
) -> C {
    match outcome {
        Ok(Ok(value)) => value.into_c(),
        Ok(Err(failure)) => {
            set_last_error(format!("{function}: {}", failure.message));
            T::on_failure(failure.code)
        }
        Err(payload) => {
            let what = crate::engine::panic_text(&*payload);
            set_last_error(format!("{function}: internal error (panic): {what}"));
            T::on_failure(IVRCONF_ERR_PANIC)
        }
    }
}

/// Replaces this thread's last-error text. Interior NUL bytes are dropped
/// rather than truncating the message.
fn set_last_error(message: String) {
    let mut bytes = message.into_bytes();
    bytes.retain(|b| *b != 0);
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

/// Runs an exported function's body (a block returning `Result<T,
/// Failure>`) so that no panic unwinds into C, and turns its outcome into
/// the C return value (see [`finish`]). The first argument is the exported
/// function's own name: it prefixes the last error. The macro wraps the
/// body, never the item, so cbindgen sees every export as written.
macro_rules! ffi_boundary {
    ($function:ident, $body:block) => {
        $crate::ffi::boundary::finish(
            stringify!($function),
            ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(
                || -> ::std::result::Result<_, $crate::ffi::boundary::Failure> { $body },
            )),
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::result::IVRCONF_ERR_TIMEOUT;

    const SOURCES: &[(&str, &str)] = &[
        ("call.rs", include_str!("call.rs")),
        ("config.rs", include_str!("config.rs")),
        ("engine.rs", include_str!("engine.rs")),
        ("event.rs", include_str!("event.rs")),
        ("names.rs", include_str!("names.rs")),
        ("result.rs", include_str!("result.rs")),
        ("sim.rs", include_str!("sim.rs")),
        ("stats.rs", include_str!("stats.rs")),
        ("trace.rs", include_str!("trace.rs")),
        ("version.rs", include_str!("version.rs")),
    ];
    const HEADER: &str = include_str!("../../include/ivrconf.h");
    const EXPORT: &str = concat!("pub extern ", "\"C\" fn ");

    fn last_error() -> String {
        // SAFETY: NUL-terminated, alive until this thread's next failure.
        unsafe { CStr::from_ptr(last_error_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    /// Every function of the header is a safe `extern "C" fn` here whose
    /// body is one `ffi_boundary!` naming that same function (a copied
    /// neighbour that kept the old name would put the wrong name in the
    /// last error).
    #[test]
    fn every_export_runs_through_the_boundary_under_its_own_name() {
        let mut exports = Vec::new();
        for (file, src) in SOURCES {
            assert!(
                !src.contains(concat!("pub unsafe extern ", "\"C\" fn")),
                "{file}: exports are safe fns with unsafe blocks inside"
            );
            let mut rest = *src;
            while let Some(at) = rest.find(EXPORT) {
                rest = &rest[at + EXPORT.len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let body = &rest[..rest.find(EXPORT).unwrap_or(rest.len())];
                let boundary = format!("ffi_boundary!({name}, {{");
                assert!(
                    body.contains(&boundary),
                    "{file}: {name} does not run through `{boundary}`"
                );
                exports.push(name);
            }
        }
        let declared = HEADER
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()) && l.ends_with(");"))
            .filter(|l| !l.starts_with("typedef"))
            .count();
        assert_eq!(exports.len(), declared, "{exports:?}");
        for name in &exports {
            let in_header = [" ", "*"]
                .iter()
                .any(|before| HEADER.contains(&format!("{before}{name}(")));
            assert!(in_header, "{name} not in the header");
        }
    }

    fn code_of(fails_with: Option<ivrconf_result>) -> ivrconf_result {
        ffi_boundary!(code_of, {
            match fails_with {
                Some(code) => Err(Failure::new(code, "why\0 not")),
                None => Ok(()),
            }
        })
    }

    fn text_of(panics: bool) -> *const c_char {
        ffi_boundary!(text_of, {
            if panics {
                panic!("boom");
            }
            Ok(c"fine")
        })
    }

    fn call_id_of(panics: bool) -> *const c_char {
        ffi_boundary!(call_id_of, {
            if panics {
                panic!("bang");
            }
            Ok(Some(c"c1"))
        })
    }

    fn start_op(panics: bool) -> ivrconf_result {
        ffi_boundary!(start_op, {
            if panics {
                panic!("crash");
            }
            Ok(())
        })
    }

    #[test]
    fn failures_become_codes_and_name_the_function() {
        assert_eq!(code_of(None), IVRCONF_OK);
        assert_eq!(code_of(Some(IVRCONF_ERR_TIMEOUT)), IVRCONF_ERR_TIMEOUT);
        assert_eq!(last_error(), "code_of: why not", "NUL bytes dropped");
    }

    /// A panic never unwinds out; what C gets follows the body's type.
    #[test]
    fn panics_give_the_failure_value_of_their_type() {
        assert!(!text_of(false).is_null());
        let text = text_of(true);
        assert!(!text.is_null(), "never-NULL strings stay non-NULL");
        // SAFETY: a static string from the boundary.
        assert_eq!(unsafe { CStr::from_ptr(text) }.to_bytes(), b"");
        assert_eq!(last_error(), "text_of: internal error (panic): boom");
        assert!(!call_id_of(false).is_null());
        assert!(call_id_of(true).is_null());
        assert_eq!(start_op(false), IVRCONF_OK);
        assert_eq!(start_op(true), IVRCONF_ERR_PANIC);
        assert_eq!(last_error(), "start_op: internal error (panic): crash");
    }
}
