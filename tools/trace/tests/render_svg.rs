//! The SVG picture of each sample trace: a well-formed, self-contained
//! document with one drawing per entry, in order, between the right
//! lifelines; and text from a hostile trace comes out escaped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;

const GENERIC_FONTS: [&str; 3] = ["sans-serif", "serif", "monospace"];

/// No scripts, no references to anything outside the document, generic
/// fonts only.
fn assert_self_contained(doc: &roxmltree::Document, what: &str) {
    for node in doc.descendants().filter(|n| n.is_element()) {
        let tag = node.tag_name().name();
        assert!(
            ![
                "script",
                "image",
                "foreignObject",
                "use",
                "a",
                "link",
                "iframe",
                "object"
            ]
            .contains(&tag),
            "{what}: <{tag}>"
        );
        for a in node.attributes() {
            assert!(
                !["href", "src"].contains(&a.name()) && !a.name().starts_with("on"),
                "{what}: <{tag} {}>",
                a.name()
            );
            assert!(!a.value().contains("url("), "{what}: {}", a.value());
            if a.name() == "font-family" {
                assert!(
                    GENERIC_FONTS.contains(&a.value()),
                    "{what}: font {}",
                    a.value()
                );
            }
        }
        if tag == "style" {
            let css = node.text().unwrap_or("");
            assert!(
                !css.contains("url(") && !css.contains("@import") && !css.contains("@font-face")
            );
        }
    }
}

/// The one arrow of an entry group: (x1, x2, y, label, dashed).
fn arrow(group: roxmltree::Node) -> (f64, f64, f64, String, bool) {
    let lines = parts(group, "line", "arrow");
    assert_eq!(
        lines.len(),
        1,
        "entry {:?}: one arrow",
        group.attribute("id")
    );
    let labels = parts(group, "text", "label");
    let line = lines[0];
    (
        attr(line, "x1"),
        attr(line, "x2"),
        attr(line, "y1"),
        labels[0].text().unwrap_or("").to_string(),
        line.attribute("stroke-dasharray").is_some(),
    )
}

/// `text` with the characters XML cannot hold spelled `\xNN`, as the
/// pictures write them.
fn spelled(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c.to_string(),
            c if (c as u32) < 0x20 => format!("\\x{:02X}", c as u32),
            c => c.to_string(),
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 12.0
}

/// Checks every entry of `trace` against its drawing in `svg`.
fn check_entries(svg: &str, entries: &[Value], what: &str) {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{what}: not XML: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert_self_contained(&doc, what);
    let app = lifeline_x(&doc, "App");
    let ivr = lifeline_x(&doc, "ivrconf");
    let srv = lifeline_x(&doc, "IVR Server");
    assert!(app < ivr && ivr < srv, "{what}: lifelines left to right");

    let groups = entry_groups(&doc);
    assert_eq!(groups.len(), entries.len(), "{what}: one drawing per entry");
    let mut last_y = f64::MIN;
    for (i, (group, entry)) in groups.iter().zip(entries).enumerate() {
        let at = format!("{what} entry {i}");
        assert_eq!(
            group.attribute("data-entry"),
            Some(i.to_string().as_str()),
            "{at}"
        );
        let dir = field(entry, "dir");
        let name = field(entry, "name");
        assert_eq!(group.attribute("data-dir"), Some(dir), "{at}");
        let title = title(*group);
        assert!(
            title.starts_with(&spelled(&text_line(entry))),
            "{at}: title {title:?}"
        );
        let time = &parts(*group, "text", "time")[0];
        assert!(
            text_line(entry).starts_with(&format!("{} ", time.text().unwrap())),
            "{at}"
        );

        let y = match dir {
            "timer" | "warn" | "note" => {
                assert!(
                    parts(*group, "line", "arrow").is_empty(),
                    "{at}: a note, no arrow"
                );
                let notes = parts(*group, "rect", "note");
                assert_eq!(notes.len(), 1, "{at}");
                let (left, width) = (attr(notes[0], "x"), attr(notes[0], "width"));
                assert!(
                    left < ivr && ivr < left + width,
                    "{at}: on the ivrconf lifeline"
                );
                attr(notes[0], "y")
            }
            _ => {
                let (x1, x2, y, label, dashed) = arrow(*group);
                let (from, to) = match dir {
                    "app" => (app, ivr),
                    "I->S" => (ivr, srv),
                    "S->I" => (srv, ivr),
                    "event" => (ivr, app),
                    other => panic!("{at}: dir {other}"),
                };
                assert!(close(x1, from) && close(x2, to), "{at}: {x1}->{x2}");
                assert!(label.starts_with(name), "{at}: label {label:?}");
                let by_engine = field(entry, "by") == "engine";
                assert_eq!(dashed, by_engine, "{at}: dashed when sent by the engine");
                assert_eq!(label.ends_with("(engine)"), by_engine, "{at}: {label:?}");
                if dir == "I->S" || dir == "S->I" {
                    for key in ["DestDN", "ReqId", "Event", "FailedReq"] {
                        if let Some(v) = entry["fields"][key].as_str() {
                            assert!(label.contains(&format!("{key}={v}")), "{at}: {label:?}");
                        }
                    }
                }
                if name == "OPERATION_DONE" {
                    let outcome = field(entry, "outcome");
                    let boxes = parts(*group, "rect", "note");
                    assert_eq!(boxes.len(), 1, "{at}: the outcome box");
                    assert!(attr(boxes[0], "y") > y, "{at}: box below the arrow");
                    let texts = parts(*group, "text", "label");
                    assert!(
                        texts
                            .iter()
                            .any(|t| t.text().unwrap_or("").contains(outcome)),
                        "{at}"
                    );
                }
                y
            }
        };
        assert!(y > last_y, "{at}: below the entry before it");
        last_y = y;
    }
}

#[test]
fn every_entry_of_each_sample_is_drawn_in_order() {
    let dir = scratch("svg_samples");
    for name in SAMPLES {
        let trace = sample(name);
        let entries = entries(&trace);
        assert!(entries.len() > 15, "{name}: a real trace");
        let (svg, _) = render(&trace, &dir, name);
        check_entries(&svg, &entries, name);
    }
}

#[test]
fn the_busy_consult_shows_the_engines_retrieve_dashed() {
    let trace = sample("c5_consult_busy.jsonl");
    let (svg, _) = render(&trace, &scratch("svg_busy"), "c5");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let engine: Vec<String> = entry_groups(&doc)
        .into_iter()
        .filter(|g| {
            parts(*g, "line", "arrow")
                .iter()
                .any(|l| l.attribute("stroke-dasharray").is_some())
        })
        .map(|g| arrow(g).3)
        .collect();
    assert_eq!(engine, ["RetrieveCall ReqId=2 (engine)"]);
}

/// A trace whose every text is hostile markup, with fields and a kind of
/// note the samples lack, and fields this reader does not know.
fn hostile_trace() -> String {
    let payload = "<GctiMsg><CallId>C&lt;9</CallId><CallStatus Event=\"Busy\"/></GctiMsg>\u{1}";
    [
        r#"{"ivrconf_trace":1,"version":"0.9.0 <b>","call_id":"C<9>&\"x\"","started":"2026-12-05T00:00:00.000000Z","future":{"a":1}}"#.to_string(),
        r#"{"t_us":0,"dir":"app","name":"conference_init","text":"dest=<script>alert('x')</script> & more","op_id":1,"result":"OK","extra":true}"#.to_string(),
        serde_json::json!({"t_us": 5, "dir": "S->I", "name": "CallStatus", "text": "Event=\"B<u>sy\" ]]>",
            "fields": {"CallId": "C<9>", "Event": "B<u>sy&"}, "bytes": payload, "new_field": [1]}).to_string(),
        r#"{"t_us":9,"dir":"I->S","name":"RetrieveCall","text":"ReqId=2","by":"engine","fields":{"ReqId":"2"},"bytes":""}"#.to_string(),
        r#"{"t_us":12,"dir":"warn","name":"warning","text":"unexpected <CallStatus Event='X'/> && \u0007"}"#.to_string(),
        r#"{"t_us":20,"dir":"note","name":"dropped","text":"480 entries dropped","dropped":480}"#.to_string(),
        r#"{"t_us":30,"dir":"event","name":"OPERATION_DONE","text":"op 1 <BUSY>","op_id":1,"outcome":"B&USY","state":"<ACTIVE>","parties":2}"#.to_string(),
        r#"{"t_us":31,"dir":"event","name":"SESSION_SOMETHING","text":"a kind of event from a later version"}"#.to_string(),
    ]
    .join("\n")
}

#[test]
fn hostile_text_is_escaped_and_unknown_fields_are_ignored() {
    let dir = scratch("svg_hostile");
    let path = dir.join("hostile.jsonl");
    std::fs::write(&path, hostile_trace()).unwrap();
    let entries = entries(&path);
    let (svg, _) = render(&path, &dir, "hostile");
    check_entries(&svg, &entries, "hostile");

    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert!(doc
        .descendants()
        .all(|n| !n.has_tag_name("script") && !n.has_tag_name("b")));
    let heading = doc
        .root_element()
        .children()
        .find(|n| n.has_tag_name("title"))
        .unwrap();
    assert_eq!(heading.text(), Some("Call C<9>&\"x\""));
    let groups = entry_groups(&doc);
    assert_eq!(
        arrow(groups[0]).3,
        "conference_init dest=<script>alert('x')</script> & more"
    );
    assert_eq!(arrow(groups[1]).3, "CallStatus Event=B<u>sy&");
    // The payload's control character, which XML cannot hold, is spelled out.
    assert!(
        title(groups[1]).ends_with("<CallStatus Event=\"Busy\"/></GctiMsg>\\x01"),
        "{}",
        title(groups[1])
    );
    let warning = parts(groups[3], "text", "label")[0].text().unwrap();
    assert!(
        warning.starts_with("warning: unexpected <CallStatus Event='X'/> &&"),
        "{warning}"
    );
    assert!(
        title(groups[3]).ends_with("&& \\x07"),
        "{}",
        title(groups[3])
    );
    let outcome: Vec<_> = parts(groups[5], "text", "label")
        .iter()
        .map(|t| t.text().unwrap().to_string())
        .collect();
    assert_eq!(
        outcome,
        [
            "OPERATION_DONE B&USY",
            "op 1: B&USY, state <ACTIVE>, 2 parties"
        ]
    );
}
