//! Regenerates `include/ivrconf.h` with cbindgen (used as a library, no
//! macro expansion). The file is rewritten only when its content changed, so
//! an unchanged API never touches the committed header.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let mut config = match cbindgen::Config::from_file(dir.join("cbindgen.toml")) {
        Ok(c) => c,
        Err(e) => {
            println!("cargo:warning=cbindgen.toml: {e}");
            return;
        }
    };
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
    let patch = std::env::var("CARGO_PKG_VERSION_PATCH").unwrap_or_default();
    config.after_includes = Some(format!(
        "\n#define IVRCONF_VERSION_MAJOR {major}\n#define IVRCONF_VERSION_MINOR {minor}\n#define IVRCONF_VERSION_PATCH {patch}\n"
    ));
    let bindings = match cbindgen::Builder::new()
        // Only the ffi module tree is the C API; parsing just it keeps
        // the Rust-only public types of wire/flow out of the header.
        .with_src(dir.join("src").join("ffi").join("mod.rs"))
        .with_config(config)
        .generate()
    {
        Ok(b) => b,
        Err(e) => {
            // A parse failure must not hide behind a stale header: fail loudly.
            panic!("cbindgen could not generate include/ivrconf.h: {e}");
        }
    };
    let mut out = Vec::new();
    bindings.write(&mut out);
    let path = dir.join("include").join("ivrconf.h");
    if std::fs::read(&path).ok().as_deref() != Some(out.as_slice()) {
        if let Err(e) = std::fs::write(&path, &out) {
            panic!("cannot write {}: {e}", path.display());
        }
    }
}
