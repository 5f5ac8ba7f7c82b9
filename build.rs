//! Build script: link arguments only. On ELF targets it gives the shared
//! library (the cdylib) its SONAME, `libivrconf.so.MAJOR` with MAJOR the
//! package's major version, so that programs linked against it record the
//! ABI they need instead of the bare `libivrconf.so` development link.
//!
//! Must not write any file (least of all into the source tree) nor generate
//! code: the header comes from `make header` (tools/header). The symbol
//! version node of the installed library is added when `make install` links
//! it (packaging/install.mk), not here: rustc passes its own export list to
//! the linker, and a second version script cannot override it.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let elf = matches!(
        os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly" | "illumos"
    );
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    if elf && !major.is_empty() {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libivrconf.so.{major}");
    }
}
