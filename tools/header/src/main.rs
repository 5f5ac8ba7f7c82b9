//! `ivrconf-header OUT`: generates the C header of the library in this
//! repository (two directories up) and writes it to OUT.
//!
//! Inputs: `cbindgen.toml`, the `src/ffi` module tree (parsed as source, no
//! macro expansion) and the package version in `Cargo.toml`, which becomes
//! the `IVRCONF_VERSION_*` macros. OUT is rewritten only when its content
//! changes, so an unchanged API never touches a file's timestamp. Must not
//! write anything but OUT.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out] = args.as_slice() else {
        eprintln!("usage: ivrconf-header OUT");
        return ExitCode::from(2);
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..");
    match generate(&root).and_then(|header| write_if_changed(Path::new(out), &header)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ivrconf-header: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The header text for the library at `root`.
fn generate(root: &Path) -> Result<Vec<u8>, String> {
    let (major, minor, patch) = package_version(&root.join("Cargo.toml"))?;
    let config_path = root.join("cbindgen.toml");
    let mut config = cbindgen::Config::from_file(&config_path)
        .map_err(|e| format!("{}: {e}", config_path.display()))?;
    config.after_includes = Some(format!(
        "\n#define IVRCONF_VERSION_MAJOR {major}\n#define IVRCONF_VERSION_MINOR {minor}\n#define IVRCONF_VERSION_PATCH {patch}\n"
    ));
    let bindings = cbindgen::Builder::new()
        // Only the ffi module tree is the C API; parsing just it keeps the
        // Rust-only public types of wire/flow out of the header.
        .with_src(root.join("src").join("ffi").join("mod.rs"))
        .with_config(config)
        .generate()
        .map_err(|e| format!("cbindgen: {e}"))?;
    let mut text = Vec::new();
    bindings.write(&mut text);
    Ok(text)
}

/// `[package] version` of the manifest at `path`, split as cargo splits it
/// for `CARGO_PKG_VERSION_MAJOR`/`_MINOR`/`_PATCH` (pre-release and build
/// metadata are not part of the patch number).
fn package_version(path: &Path) -> Result<(String, String, String), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let manifest: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let version = manifest
        .get("package")
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str())
        .ok_or_else(|| format!("{}: no [package] version string", path.display()))?;
    let core = version.split(['-', '+']).next().unwrap_or(version);
    match core.split('.').collect::<Vec<_>>().as_slice() {
        [major, minor, patch] => Ok((major.to_string(), minor.to_string(), patch.to_string())),
        _ => Err(format!(
            "{}: version {version:?} is not MAJOR.MINOR.PATCH",
            path.display()
        )),
    }
}

/// Writes `text` to `path` unless the file already holds exactly that.
fn write_if_changed(path: &Path, text: &[u8]) -> Result<(), String> {
    if std::fs::read(path).ok().as_deref() == Some(text) {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
