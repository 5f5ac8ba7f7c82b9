//! Writes one self-contained HTML page: the SVG picture inline and the TEXT
//! form beside it. No scripts, no links to anything outside the page.
//!
//! Owns the page structure and its style sheet. Must not draw (svg.rs) nor
//! word the TEXT lines (text.rs). The page is also well-formed XML, so
//! tools (and our tests) can read it back with an XML parser.

use super::markup::escape;
use super::text;
use crate::trace::{Entry, Kind, Sender, Trace};
use std::fmt::Write;

const STYLE: &str = "\
body { margin: 16px; font-family: sans-serif; color: #222222; background: #ffffff; }
h1 { font-size: 18px; margin: 0 0 4px 0; }
p.about { font-size: 12px; color: #666666; margin: 0 0 12px 0; }
div.side { display: flex; gap: 16px; align-items: flex-start; }
div.picture { flex: 0 0 auto; max-width: 62vw; overflow: auto; border: 1px solid #dddddd; }
pre.text { flex: 1 1 auto; margin: 0; padding: 8px; overflow: auto; font-family: monospace; font-size: 12px; line-height: 1.5; background: #f7f7f7; border: 1px solid #dddddd; }
pre.text span.engine { color: #b35900; }
pre.text span.warn { color: #b00020; }
";

/// The page for `trace`, with `svg` (from svg.rs) as its picture.
pub fn render(trace: &Trace, svg: &str) -> String {
    let h = &trace.header;
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    let _ = writeln!(
        out,
        "<title>Call {} - ivrconf trace</title>",
        escape(&h.call_id)
    );
    let _ = writeln!(out, "<style>\n{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(out, "<h1>Call {}</h1>", escape(&h.call_id));
    let _ = writeln!(
        out,
        "<p class=\"about\">Written by ivrconf {}, started {}, {} entries. Times are ms since the first entry; hover over an arrow for its full line and payload.</p>",
        escape(&h.version),
        escape(&h.started),
        trace.entries.len()
    );
    out.push_str("<div class=\"side\">\n<div class=\"picture\">\n");
    out.push_str(svg);
    out.push_str("</div>\n<pre class=\"text\">");
    for (i, entry) in trace.entries.iter().enumerate() {
        let _ = writeln!(
            out,
            "<span id=\"t{i}\" class=\"{}\">{}</span>",
            line_class(entry),
            escape(&text::line(entry))
        );
    }
    out.push_str("</pre>\n</div>\n</body>\n</html>\n");
    out
}

/// The style class of an entry's TEXT line.
fn line_class(entry: &Entry) -> &'static str {
    match entry.kind {
        Kind::ToServer {
            by: Sender::Engine, ..
        } => "engine",
        Kind::ToServer { .. } | Kind::FromServer { .. } => "frame",
        Kind::App { .. } => "app",
        Kind::Event(_) => "event",
        Kind::Timer => "timer",
        Kind::Warning => "warn",
        Kind::Note { .. } => "note",
    }
}
