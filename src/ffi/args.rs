//! Reading C arguments: NULL checks, UTF-8 and key/value arrays. Every
//! failure sets the thread's last error and yields the result code, so entry
//! points read `let id = unsafe { str_arg(call_id, "call_id") }?;`.

use std::ffi::{c_char, CStr};

use super::boundary::fail;
use super::result::{ivrconf_result, IVRCONF_ERR_INVALID_ARGUMENT, IVRCONF_ERR_NULL_ARGUMENT};
use crate::wire::KeyValue;

/// A key/value pair of user data; both strings NUL-terminated UTF-8.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct ivrconf_kv {
    pub key: *const c_char,
    pub value: *const c_char,
}

/// Fails with `IVRCONF_ERR_NULL_ARGUMENT` naming the first NULL argument.
/// Called before any other check so that NULL wins the refusal precedence.
pub(crate) fn non_null(args: &[(bool, &str)]) -> Result<(), ivrconf_result> {
    match args.iter().find(|(is_null, _)| *is_null) {
        Some((_, name)) => Err(fail(IVRCONF_ERR_NULL_ARGUMENT, format!("{name} is NULL"))),
        None => Ok(()),
    }
}

/// A required string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str, ivrconf_result> {
    if p.is_null() {
        return Err(fail(IVRCONF_ERR_NULL_ARGUMENT, format!("{name} is NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let bytes = unsafe { CStr::from_ptr(p) };
    bytes.to_str().map_err(|e| {
        fail(
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
) -> Result<Option<&'a str>, ivrconf_result> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { str_arg(p, name) }.map(Some)
    }
}

/// Checks a user-data array for NULLs (array and every key and value).
///
/// # Safety
/// `p` is NULL or points to `len` readable `ivrconf_kv`.
pub(crate) unsafe fn kv_non_null(p: *const ivrconf_kv, len: usize) -> Result<(), ivrconf_result> {
    if len == 0 {
        return Ok(());
    }
    if p.is_null() {
        return Err(fail(
            IVRCONF_ERR_NULL_ARGUMENT,
            format!("udata is NULL with udata_len {len}"),
        ));
    }
    // SAFETY: non-NULL with `len` elements per the caller's contract.
    let items = unsafe { std::slice::from_raw_parts(p, len) };
    for (i, kv) in items.iter().enumerate() {
        if kv.key.is_null() {
            return Err(fail(
                IVRCONF_ERR_NULL_ARGUMENT,
                format!("udata[{i}].key is NULL"),
            ));
        }
        if kv.value.is_null() {
            return Err(fail(
                IVRCONF_ERR_NULL_ARGUMENT,
                format!("udata[{i}].value is NULL"),
            ));
        }
    }
    Ok(())
}

/// Reads a user-data array (after [`kv_non_null`]); values go out as `Str`.
///
/// # Safety
/// As [`kv_non_null`], and every string NUL-terminated.
pub(crate) unsafe fn kv_arg(
    p: *const ivrconf_kv,
    len: usize,
) -> Result<Vec<KeyValue>, ivrconf_result> {
    // SAFETY: forwarded contract.
    unsafe { kv_non_null(p, len) }?;
    if len == 0 {
        return Ok(Vec::new());
    }
    // SAFETY: checked non-NULL with `len` elements above.
    let items = unsafe { std::slice::from_raw_parts(p, len) };
    items
        .iter()
        .enumerate()
        .map(|(i, kv)| {
            // SAFETY: both checked non-NULL; NUL-terminated per contract.
            let key = unsafe { str_arg(kv.key, &format!("udata[{i}].key")) }?;
            let value = unsafe { str_arg(kv.value, &format!("udata[{i}].value")) }?;
            Ok(KeyValue::str(key, value))
        })
        .collect()
}
