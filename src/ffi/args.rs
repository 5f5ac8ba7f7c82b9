//! Reading C arguments: NULL checks, handles, UTF-8 strings and key/value
//! arrays. Every helper returns a [`Failure`] naming the argument, so bodies
//! read `let id = unsafe { str_arg(call_id, "call_id") }?;`.
//!
//! Order of checks, in every function: [`non_null`] on all required
//! pointers first (NULL wins the refusal precedence), then the readers
//! below. The readers check NULL again so that no path dereferences one.

use std::ffi::{c_char, CStr};

use super::boundary::Failure;
use super::result::{IVRCONF_ERR_INVALID_ARGUMENT, IVRCONF_ERR_NULL_ARGUMENT};
use crate::wire::KeyValue;

/// A key/value pair of user data; both strings NUL-terminated UTF-8.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct ivrconf_kv {
    pub key: *const c_char,
    pub value: *const c_char,
}

fn null(name: &str) -> Failure {
    Failure::new(IVRCONF_ERR_NULL_ARGUMENT, format!("{name} is NULL"))
}

/// Fails with `IVRCONF_ERR_NULL_ARGUMENT` naming the first NULL argument.
/// Every function calls it first, with all its required pointers in
/// parameter order, so that NULL wins the refusal precedence.
pub(crate) fn non_null(args: &[(bool, &str)]) -> Result<(), Failure> {
    match args.iter().find(|(is_null, _)| *is_null) {
        Some((_, name)) => Err(null(name)),
        None => Ok(()),
    }
}

/// A required handle, borrowed for shared use.
///
/// # Safety
/// `p` is NULL or points to a live `T` that outlives `'a`.
pub(crate) unsafe fn handle_arg<'a, T>(p: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: NULL or live per the caller's contract.
    unsafe { p.as_ref() }.ok_or_else(|| null(name))
}

/// A required handle, borrowed for exclusive use.
///
/// # Safety
/// As [`handle_arg`], and no other reference to `*p` exists during `'a`.
pub(crate) unsafe fn handle_mut_arg<'a, T>(p: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: NULL or live and unshared per the caller's contract.
    unsafe { p.as_mut() }.ok_or_else(|| null(name))
}

/// A required string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(null(name));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let bytes = unsafe { CStr::from_ptr(p) };
    bytes.to_str().map_err(|e| {
        Failure::new(
            IVRCONF_ERR_INVALID_ARGUMENT,
            format!("{name} is not valid UTF-8: {e}"),
        )
    })
}

/// An optional string argument; NULL gives `None`.
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(
    p: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, Failure> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { str_arg(p, name) }.map(Some)
    }
}

/// The user-data array as a slice (empty when `len` is 0, whatever `p`).
///
/// # Safety
/// `p` is NULL or points to `len` readable `ivrconf_kv`.
unsafe fn kv_slice<'a>(p: *const ivrconf_kv, len: usize) -> Result<&'a [ivrconf_kv], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Failure::new(
            IVRCONF_ERR_NULL_ARGUMENT,
            format!("udata is NULL with udata_len {len}"),
        ));
    }
    // SAFETY: non-NULL with `len` elements per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Checks a user-data array for NULLs (array and every key and value): the
/// second half of a function's NULL checks, after [`non_null`].
///
/// # Safety
/// As [`kv_slice`].
pub(crate) unsafe fn kv_non_null(p: *const ivrconf_kv, len: usize) -> Result<(), Failure> {
    // SAFETY: forwarded contract.
    let items = unsafe { kv_slice(p, len) }?;
    for (i, kv) in items.iter().enumerate() {
        if kv.key.is_null() {
            return Err(null(&format!("udata[{i}].key")));
        }
        if kv.value.is_null() {
            return Err(null(&format!("udata[{i}].value")));
        }
    }
    Ok(())
}

/// Reads a user-data array (after [`kv_non_null`]); values go out as `Str`.
///
/// # Safety
/// As [`kv_slice`], and every string NUL-terminated.
pub(crate) unsafe fn kv_arg(p: *const ivrconf_kv, len: usize) -> Result<Vec<KeyValue>, Failure> {
    // SAFETY: forwarded contract (NULLs first, whoever calls this).
    unsafe { kv_non_null(p, len) }?;
    // SAFETY: forwarded contract.
    let items = unsafe { kv_slice(p, len) }?;
    items
        .iter()
        .enumerate()
        .map(|(i, kv)| {
            // SAFETY: NULL-checked inside; NUL-terminated per the contract.
            let key = unsafe { str_arg(kv.key, &format!("udata[{i}].key")) }?;
            let value = unsafe { str_arg(kv.value, &format!("udata[{i}].value")) }?;
            Ok(KeyValue::str(key, value))
        })
        .collect()
}
