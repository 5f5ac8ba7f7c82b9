//! `ivrconf_config`: an owned, growable set of settings (Box-owned).

#![allow(non_camel_case_types)]

use std::ffi::c_char;

use super::args::{handle_mut_arg, non_null, str_arg};
use super::boundary::Failure;
use super::result::*;
use crate::engine::{Config, ConfigError};

/// Engine settings, built with `ivrconf_config_set` and copied by
/// `ivrconf_engine_new`. Not synchronised: use one from one thread at a time.
pub struct ivrconf_config {
    pub(crate) inner: Config,
}

/// Creates a configuration with every default of the contract.
#[no_mangle]
pub extern "C" fn ivrconf_config_new(out: *mut *mut ivrconf_config) -> ivrconf_result {
    ffi_boundary!(ivrconf_config_new, {
        non_null(&[(out.is_null(), "out")])?;
        let cfg = Box::new(ivrconf_config {
            inner: Config::default(),
        });
        // SAFETY: checked non-NULL; the caller gives a writable pointer.
        unsafe { *out = Box::into_raw(cfg) };
        Ok(())
    })
}

/// Sets `key` to `value` (text). Unknown key: `IVRCONF_ERR_UNKNOWN_KEY`; a
/// value breaking the key's rule: `IVRCONF_ERR_INVALID_ARGUMENT` (the last
/// error names the key). `server` appends; other keys replace.
#[no_mangle]
pub extern "C" fn ivrconf_config_set(
    cfg: *mut ivrconf_config,
    key: *const c_char,
    value: *const c_char,
) -> ivrconf_result {
    ffi_boundary!(ivrconf_config_set, {
        non_null(&[
            (cfg.is_null(), "cfg"),
            (key.is_null(), "key"),
            (value.is_null(), "value"),
        ])?;
        // SAFETY: a live config from ivrconf_config_new used by one thread,
        // and NUL-terminated strings (the API contract).
        let (cfg, key) = unsafe { (handle_mut_arg(cfg, "cfg")?, str_arg(key, "key")?) };
        // SAFETY: as above.
        let value = unsafe { str_arg(value, &format!("value for config key '{key}'")) }?;
        cfg.inner.set(key, value).map_err(|e| {
            let code = match e {
                ConfigError::UnknownKey(_) => IVRCONF_ERR_UNKNOWN_KEY,
                ConfigError::InvalidValue { .. } => IVRCONF_ERR_INVALID_ARGUMENT,
                ConfigError::Inconsistent(_) => IVRCONF_ERR_CONFIG,
            };
            Failure::new(code, e.to_string())
        })
    })
}

/// Frees a configuration; NULL is a no-op.
#[no_mangle]
pub extern "C" fn ivrconf_config_free(cfg: *mut ivrconf_config) {
    ffi_boundary!(ivrconf_config_free, {
        if !cfg.is_null() {
            // SAFETY: created by ivrconf_config_new and not freed before.
            drop(unsafe { Box::from_raw(cfg) });
        }
        Ok(())
    })
}
