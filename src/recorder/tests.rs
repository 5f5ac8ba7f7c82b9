//! The recorder's bounds and the three renderings.

use super::*;
use crate::wire::{encode, Body, CallStatus, DestRequest, Message};

fn status(event: StatusEvent) -> Vec<u8> {
    encode(&Message::new("C1", Body::CallStatus(CallStatus::of(event)))).unwrap_or_default()
}

fn init_conf() -> Vec<u8> {
    encode(&Message::new(
        "C1",
        Body::InitConf(DestRequest {
            dest_dn: "7001".into(),
            req_id: Some("1".into()),
            ..DestRequest::default()
        }),
    ))
    .unwrap_or_default()
}

fn note(kind: CallEventKind, outcome: Option<Outcome>) -> Entry {
    Entry::Event(EventNote {
        kind,
        op_id: 1,
        status: None,
        outcome,
        state: CallState::Active,
        parties: 2,
    })
}

fn consult(r: &mut Recorder) {
    r.begin("C1", 1_000, 1_700_000_000_000_000);
    r.record(
        "C1",
        1_000,
        Entry::App {
            name: "conference_init",
            args: "dest=7001".into(),
            answer: Answer::Op(1),
        },
    );
    r.record(
        "C1",
        1_041,
        Entry::Sent {
            by: SentBy::App,
            payload: init_conf(),
        },
    );
    r.record(
        "C1",
        1_100,
        Entry::Timer(TimerChange::Armed { due_us: 10_001_000 }),
    );
    r.record(
        "C1",
        2_209,
        Entry::Received {
            payload: status(StatusEvent::Busy),
        },
    );
    r.record(
        "C1",
        2_300,
        Entry::Sent {
            by: SentBy::Engine,
            payload: encode(&Message::new(
                "C1",
                Body::RetrieveCall(crate::wire::PlainRequest {
                    req_id: Some("2".into()),
                }),
            ))
            .unwrap_or_default(),
        },
    );
    r.record(
        "C1",
        3_000,
        note(CallEventKind::OperationDone, Some(Outcome::Busy)),
    );
}

#[test]
fn text_has_one_line_per_entry_with_time_and_who() {
    let mut r = Recorder::new(RecorderConfig::default());
    consult(&mut r);
    let text = r.render("C1", Format::Text).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    assert_eq!(lines[0], "+0.000 app conference_init dest=7001 -> op 1");
    assert_eq!(
        lines[1],
        "+0.041 I->S InitConf CallId=C1 DestDN=7001 ReqId=1"
    );
    assert!(lines[2].starts_with("+0.100 timer armed due at +10000.000"));
    assert_eq!(lines[3], "+1.209 S->I CallStatus CallId=C1 Event=Busy");
    assert!(lines[4].starts_with("+1.300 I->S RetrieveCall CallId=C1"));
    assert!(lines[4].ends_with("(sent by the engine)"), "{}", lines[4]);
    assert!(lines[5].starts_with("+2.000 event OPERATION_DONE op 1 BUSY"));
}

#[test]
fn jsonl_keeps_the_exact_bytes_and_parses() {
    let mut r = Recorder::new(RecorderConfig::default());
    consult(&mut r);
    // A received payload with Latin-1 and a control-free quote in it.
    let raw = b"<GctiMsg><CallId>C1</CallId><CallStatus Event=\"Held\"/><!-- \xe9\"x --></GctiMsg>";
    r.record(
        "C1",
        3_500,
        Entry::Received {
            payload: raw.to_vec(),
        },
    );
    let jsonl = r.render("C1", Format::Jsonl).unwrap();
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["ivrconf_trace"], 1);
    assert_eq!(lines[0]["call_id"], "C1");
    assert_eq!(lines[0]["started"], "2023-11-14T22:13:20.000000Z");
    assert_eq!(lines[2]["dir"], "I->S");
    assert_eq!(lines[2]["by"], "app");
    assert_eq!(lines[2]["fields"]["DestDN"], "7001");
    assert_eq!(lines[5]["by"], "engine");
    assert_eq!(lines[6]["outcome"], "BUSY");
    let last = &lines[7];
    assert_eq!(last["dir"], "S->I");
    let back: Vec<u8> = last["bytes"]
        .as_str()
        .unwrap()
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    assert_eq!(back, raw, "bytes round-trip exactly");
}

#[test]
fn mermaid_draws_arrows_and_the_outcome_note() {
    let mut r = Recorder::new(RecorderConfig::default());
    consult(&mut r);
    let m = r.render("C1", Format::Mermaid).unwrap();
    assert!(m.starts_with("sequenceDiagram\n"));
    assert!(m.contains("App->>E: +0.000 conference_init"));
    assert!(m.contains("E->>S: +0.041 InitConf"));
    assert!(m.contains("S->>E: +1.209 CallStatus"));
    assert!(
        m.contains("E-->>S: +1.300 RetrieveCall"),
        "engine's own: dashed"
    );
    assert!(m.contains("Note over App,S: op 1 ended BUSY"));
}

#[test]
fn overflow_keeps_the_first_32_and_counts_the_dropped() {
    let mut r = Recorder::new(RecorderConfig {
        keep_ended: 4,
        max_entries: 40,
    });
    r.begin("C1", 0, 0);
    for i in 0..100u64 {
        r.record("C1", i, Entry::Warning(format!("w{i}")));
    }
    let entries: Vec<_> = r.trace("C1").unwrap().entries().collect();
    assert_eq!(entries.len(), 40);
    assert_eq!(entries[31].1, Entry::Warning("w31".into()));
    assert_eq!(entries[32].1, Entry::Dropped(61), "w32..=w92");
    assert_eq!(entries[33].1, Entry::Warning("w93".into()));
    assert_eq!(entries[39].1, Entry::Warning("w99".into()));
}

#[test]
fn ended_traces_are_kept_up_to_the_limit_and_a_reused_id_starts_afresh() {
    let mut r = Recorder::new(RecorderConfig {
        keep_ended: 2,
        max_entries: 8,
    });
    for id in ["A", "B", "C"] {
        r.begin(id, 0, 0);
        r.record(id, 1, Entry::Warning(id.into()));
        r.end(id);
    }
    assert_eq!(r.trace("A").err(), Some(TraceError::UnknownCall), "evicted");
    assert!(r.trace("B").is_ok() && r.trace("C").is_ok());
    r.begin("C", 5, 0);
    let entries: Vec<_> = r.trace("C").unwrap().entries().collect();
    assert!(entries.is_empty(), "the old trace of C is gone");
    assert_eq!(r.trace("nope").err(), Some(TraceError::UnknownCall));
}

#[test]
fn recording_off_records_nothing_and_says_so() {
    let mut r = Recorder::new(RecorderConfig {
        keep_ended: 2,
        max_entries: 0,
    });
    r.begin("C1", 0, 0);
    r.record("C1", 1, Entry::Warning("x".into()));
    assert_eq!(r.trace("C1").err(), Some(TraceError::Off));
}

#[test]
fn a_reused_id_drops_its_ended_trace_and_eviction_keeps_count() {
    let mut r = Recorder::new(RecorderConfig {
        keep_ended: 2,
        max_entries: 8,
    });
    for round in 0..3u64 {
        r.begin("A", round, 0);
        r.record("A", round, Entry::Warning(format!("a{round}")));
        r.end("A");
    }
    // Only the last life of A is kept (each call_new dropped the one before).
    let kept: Vec<_> = r.trace("A").unwrap().entries().collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].1, Entry::Warning("a2".into()));
    for id in ["B", "C"] {
        r.begin(id, 10, 0);
        r.end(id);
    }
    assert_eq!(r.trace("A").err(), Some(TraceError::UnknownCall), "evicted");
    r.begin("A", 20, 0);
    assert!(r.trace("B").is_ok() && r.trace("C").is_ok());
}
