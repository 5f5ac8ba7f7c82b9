//! What the tool's tests share: running the binary, the sample traces in
//! the repository's tests/trace_samples/, scratch files, and reading an
//! SVG back.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // each test file uses its own part

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The sample traces, by file name.
pub const SAMPLES: [&str; 3] = [
    "c3_consult_conference.jsonl",
    "c5_consult_busy.jsonl",
    "c6_consult_failed.jsonl",
];

pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/trace_samples")
        .join(name)
}

/// An empty directory of its own for one test.
pub fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ivrconf-trace"))
        .args(args)
        .output()
        .unwrap()
}

/// Renders `trace` to `dir/NAME.svg` and `dir/NAME.html` and returns both texts.
pub fn render(trace: &Path, dir: &Path, name: &str) -> (String, String) {
    let svg = dir.join(format!("{name}.svg"));
    let html = dir.join(format!("{name}.html"));
    let out = run(&[
        "render",
        trace.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "render {}: {}",
        trace.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        std::fs::read_to_string(svg).unwrap(),
        std::fs::read_to_string(html).unwrap(),
    )
}

/// The entries of a JSONL trace (every line after the header), read
/// independently of the tool.
pub fn entries(trace: &Path) -> Vec<Value> {
    std::fs::read_to_string(trace)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn field<'a>(entry: &'a Value, key: &str) -> &'a str {
    entry[key].as_str().unwrap_or("")
}

/// The TEXT line docs/TRACE.md specifies for an entry.
pub fn text_line(entry: &Value) -> String {
    let t = entry["t_us"].as_u64().unwrap();
    let mut line = format!(
        "+{}.{:03} {} {} {}",
        t / 1000,
        t % 1000,
        field(entry, "dir"),
        field(entry, "name"),
        field(entry, "text")
    );
    if field(entry, "by") == "engine" {
        line.push_str(" (sent by the engine)");
    }
    line
}

pub fn attr(node: roxmltree::Node, name: &str) -> f64 {
    node.attribute(name)
        .unwrap_or_else(|| panic!("{:?} has no {name}", node.tag_name()))
        .parse()
        .unwrap()
}

/// The x of each lifeline, by name.
pub fn lifeline_x(doc: &roxmltree::Document, name: &str) -> f64 {
    let line = doc
        .descendants()
        .find(|n| n.attribute("data-lifeline") == Some(name))
        .unwrap_or_else(|| panic!("no lifeline {name}"));
    attr(line, "x1")
}

/// The entry groups (`data-entry`) in document order.
pub fn entry_groups<'a, 'i>(doc: &'a roxmltree::Document<'i>) -> Vec<roxmltree::Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| n.attribute("data-entry").is_some())
        .collect()
}

/// The children of `group` with tag `tag` and, if given, class `class`.
pub fn parts<'a, 'i>(
    group: roxmltree::Node<'a, 'i>,
    tag: &str,
    class: &str,
) -> Vec<roxmltree::Node<'a, 'i>> {
    group
        .children()
        .filter(|n| n.has_tag_name(tag) && n.attribute("class").unwrap_or("") == class)
        .collect()
}

pub fn title(group: roxmltree::Node) -> String {
    group
        .children()
        .find(|n| n.has_tag_name("title"))
        .and_then(|n| n.text())
        .unwrap_or("")
        .to_string()
}

/// The HTML page read as XML (it starts with `<!DOCTYPE html>`).
pub fn parse_page(html: &str) -> Result<roxmltree::Document<'_>, roxmltree::Error> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(html, options)
}
