//! Writes a laid-out diagram as one self-contained SVG document: no
//! scripts, no external fonts, images or style sheets (generic font
//! families only), every text escaped, and each entry a `<g>` with
//! `data-entry` (its index), `data-dir` and a `<title>` holding its full
//! TEXT line.
//!
//! Owns colours, strokes and the SVG element structure. Must not decide
//! where things go (layout.rs) nor read the trace.

use super::layout::{self, ArrowStyle, Diagram, Lifeline, NoteStyle, Shape};
use super::markup::escape;
use std::fmt::Write;

/// The SVG document (no XML declaration, so it can also sit inside HTML).
pub fn render(d: &Diagram) -> String {
    let mut out = String::new();
    let (w, h) = (num(d.width), num(d.height));
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="{}">"#,
        num(layout::FONT_SIZE)
    );
    let _ = writeln!(out, "<title>{}</title>", escape(&d.heading));
    let _ = writeln!(out, r##"<rect width="{w}" height="{h}" fill="#ffffff"/>"##);
    let _ = writeln!(
        out,
        r##"<text x="16" y="26" font-size="16" font-weight="bold" fill="#222222">{}</text>"##,
        escape(&d.heading)
    );
    let _ = writeln!(
        out,
        r##"<text x="16" y="44" font-size="11" fill="#666666">{}</text>"##,
        escape(&d.subheading)
    );
    let _ = writeln!(
        out,
        r##"<text x="{}" y="{}" text-anchor="end" font-size="11" fill="#666666">ms</text>"##,
        num(d.time_right),
        num(d.head_top + layout::HEAD_H / 2.0 + 4.0)
    );
    lifelines(&mut out, d);
    for row in &d.rows {
        let _ = writeln!(
            out,
            r#"<g id="e{i}" class="entry" data-entry="{i}" data-dir="{}">"#,
            escape(row.dir),
            i = row.entry
        );
        let _ = writeln!(out, "<title>{}</title>", escape(&row.title));
        let _ = writeln!(
            out,
            r##"<text class="time" x="{}" y="{}" text-anchor="end" font-family="monospace" font-size="11" fill="#666666">{}</text>"##,
            num(d.time_right),
            num(row.time_y),
            escape(&row.time)
        );
        for shape in &row.shapes {
            match shape {
                Shape::Arrow {
                    from,
                    to,
                    y,
                    label,
                    style,
                } => arrow(&mut out, *from, *to, *y, label, *style),
                Shape::Note {
                    left,
                    top,
                    width,
                    height,
                    text,
                    style,
                } => note(&mut out, *left, *top, *width, *height, text, *style),
            }
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

fn lifelines(out: &mut String, d: &Diagram) {
    for lifeline in Lifeline::ALL {
        let x = d.x(lifeline);
        let _ = writeln!(
            out,
            r##"<line class="lifeline" data-lifeline="{}" x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#9e9e9e" stroke-width="1" stroke-dasharray="4 4"/>"##,
            escape(lifeline.name()),
            num(d.head_top + layout::HEAD_H),
            num(d.foot_top),
            x = num(x)
        );
        for top in [d.head_top, d.foot_top] {
            let width = layout::head_width(lifeline);
            let _ = writeln!(
                out,
                r##"<rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="#eef1f7" stroke="#4a5a7a"/><text x="{}" y="{}" text-anchor="middle" font-weight="bold" fill="#222222">{}</text>"##,
                num(x - width / 2.0),
                num(top),
                num(width),
                num(layout::HEAD_H),
                num(x),
                num(top + layout::HEAD_H / 2.0 + 4.0),
                escape(lifeline.name())
            );
        }
    }
}

fn arrow(out: &mut String, from: f64, to: f64, y: f64, label: &str, style: ArrowStyle) {
    let colour = match style {
        ArrowStyle::Call => "#1f4e9c",
        ArrowStyle::Request | ArrowStyle::Reply => "#222222",
        ArrowStyle::EngineRequest => "#b35900",
        ArrowStyle::Error => "#b00020",
        ArrowStyle::Event => "#2e7d32",
    };
    let dash = match style {
        ArrowStyle::EngineRequest => r#" stroke-dasharray="7 4""#,
        _ => "",
    };
    let sign = if to >= from { 1.0 } else { -1.0 };
    let _ = writeln!(
        out,
        r#"<line class="arrow" x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{colour}" stroke-width="1.5"{dash}/>"#,
        num(from),
        num(to - sign * 4.0),
        y = num(y)
    );
    let _ = writeln!(
        out,
        r#"<polygon points="{},{} {},{} {},{}" fill="{colour}"/>"#,
        num(to),
        num(y),
        num(to - sign * 10.0),
        num(y - 4.5),
        num(to - sign * 10.0),
        num(y + 4.5)
    );
    let _ = writeln!(
        out,
        r#"<text class="label" x="{}" y="{}" text-anchor="middle" font-family="monospace" fill="{colour}">{}</text>"#,
        num((from + to) / 2.0),
        num(y - 6.0),
        escape(label)
    );
}

fn note(
    out: &mut String,
    left: f64,
    top: f64,
    width: f64,
    height: f64,
    text: &str,
    style: NoteStyle,
) {
    let (fill, stroke, weight) = match style {
        NoteStyle::Timer => ("#fff8d6", "#c9b458", "normal"),
        NoteStyle::Warning => ("#fde2e1", "#c0392b", "normal"),
        NoteStyle::Remark => ("#eeeeee", "#999999", "normal"),
        NoteStyle::Success => ("#dff3e0", "#2e7d32", "bold"),
        NoteStyle::Failure => ("#fde9d0", "#b35900", "bold"),
    };
    let _ = writeln!(
        out,
        r##"<rect class="note" x="{}" y="{}" width="{}" height="{}" rx="2" fill="{fill}" stroke="{stroke}"/>"##,
        num(left),
        num(top),
        num(width),
        num(height)
    );
    let _ = writeln!(
        out,
        r##"<text class="label" x="{}" y="{}" text-anchor="middle" font-family="monospace" font-weight="{weight}" fill="#222222">{}</text>"##,
        num(left + width / 2.0),
        num(top + height / 2.0 + 4.0),
        escape(text)
    );
}

/// A coordinate with at most one decimal.
fn num(v: f64) -> String {
    let s = format!("{v:.1}");
    match s.strip_suffix(".0") {
        Some(whole) => whole.to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn coordinates_are_short() {
        assert_eq!(num(160.0), "160");
        assert_eq!(num(12.24), "12.2");
        assert_eq!(num(7.36), "7.4");
    }
}
