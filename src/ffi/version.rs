//! Version of the library. The `IVRCONF_VERSION_*` macros in the header are written by `make header` (tools/header) from Cargo.toml.

use std::ffi::c_char;

const VERSION_C: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
) {
    Ok(v) => v,
    Err(_) => c"0.0.0",
};

const fn parse_u32(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut v = 0u32;
    while i < b.len() {
        v = v * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    v
}

const VERSION_NUMBER: u32 = (parse_u32(env!("CARGO_PKG_VERSION_MAJOR")) << 16)
    | (parse_u32(env!("CARGO_PKG_VERSION_MINOR")) << 8)
    | parse_u32(env!("CARGO_PKG_VERSION_PATCH"));

/// The library version as text, e.g. "0.1.0". Static, never NULL.
#[no_mangle]
pub extern "C" fn ivrconf_version() -> *const c_char {
    ffi_boundary!(ivrconf_version, { Ok(VERSION_C) })
}

/// The library version as `major << 16 | minor << 8 | patch`.
#[no_mangle]
pub extern "C" fn ivrconf_version_number() -> u32 {
    ffi_boundary!(ivrconf_version_number, { Ok(VERSION_NUMBER) })
}

#[cfg(test)]
mod tests {
    #[test]
    fn number_matches_text() {
        let text = super::VERSION_C.to_str().unwrap_or("");
        let parts: Vec<u32> = text.split('.').filter_map(|p| p.parse().ok()).collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            super::ivrconf_version_number(),
            parts[0] << 16 | parts[1] << 8 | parts[2]
        );
    }
}
