//! The HTML page of each sample: one self-contained document (no scripts,
//! nothing fetched) with the SVG picture inline and the TEXT form of the
//! trace beside it, one line per entry as docs/TRACE.md specifies.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

#[test]
fn the_page_holds_the_picture_and_the_text_form_side_by_side() {
    let dir = scratch("html_samples");
    for name in SAMPLES {
        let trace = sample(name);
        let entries = entries(&trace);
        let (svg, html) = render(&trace, &dir, name);
        assert!(html.starts_with("<!DOCTYPE html>"), "{name}");
        let doc = parse_page(&html).unwrap_or_else(|e| panic!("{name}: {e}"));

        for node in doc.descendants().filter(|n| n.is_element()) {
            let tag = node.tag_name().name();
            assert!(
                !["script", "link", "img", "iframe", "object", "embed", "image"].contains(&tag),
                "{name}: <{tag}>"
            );
            for a in node.attributes() {
                assert!(
                    !["href", "src", "srcset"].contains(&a.name()) && !a.name().starts_with("on"),
                    "{name}: {}",
                    a.name()
                );
            }
        }
        let css = doc
            .descendants()
            .find(|n| n.has_tag_name("style"))
            .and_then(|n| n.text())
            .unwrap();
        assert!(
            !css.contains("url(") && !css.contains("@import"),
            "{name}: {css}"
        );

        // Side by side: the picture and the text are the two columns of one row.
        let side = doc
            .descendants()
            .find(|n| n.attribute("class") == Some("side"))
            .unwrap();
        let columns: Vec<_> = side.children().filter(|n| n.is_element()).collect();
        assert_eq!(columns.len(), 2, "{name}");
        assert!(css.contains("div.side { display: flex;"), "{name}");

        // The picture is the SVG the render wrote, whole.
        assert!(html.contains(&svg), "{name}: the SVG inline");
        let pictures: Vec<_> = columns[0]
            .children()
            .filter(|n| n.has_tag_name("svg"))
            .collect();
        assert_eq!(pictures.len(), 1, "{name}");
        assert_eq!(
            pictures[0]
                .descendants()
                .filter(|n| n.attribute("data-entry").is_some())
                .count(),
            entries.len(),
            "{name}"
        );

        // The text: each entry's TEXT line, in order.
        assert!(columns[1].has_tag_name("pre"), "{name}");
        let lines: Vec<String> = columns[1]
            .children()
            .filter(|n| n.has_tag_name("span"))
            .map(|n| n.text().unwrap_or("").to_string())
            .collect();
        let expected: Vec<String> = entries.iter().map(text_line).collect();
        assert_eq!(lines, expected, "{name}");
    }
}

#[test]
fn the_engines_own_frames_are_marked_in_the_text() {
    let (_, html) = render(
        &sample("c5_consult_busy.jsonl"),
        &scratch("html_busy"),
        "c5",
    );
    let doc = parse_page(&html).unwrap();
    let marked: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("span") && n.attribute("class") == Some("engine"))
        .map(|n| n.text().unwrap().to_string())
        .collect();
    assert_eq!(
        marked,
        ["+3023.998 I->S RetrieveCall CallId=C5 ReqId=2 (sent by the engine)"]
    );
}
