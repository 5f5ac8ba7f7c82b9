//! The flight recorder end to end: the traces of real flows against the
//! simulator, the exact received bytes, bounds, eviction and "off".

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{config, Harness, WAIT};
use ivrconf::engine::ApiError;
use ivrconf::flow::{OpKind, Outcome, Refusal};
use ivrconf::recorder::Format;
use ivrconf::sim::{Dir, Simulator};
use ivrconf::wire::HEADER_LEN;

fn harness(keys: &[(&str, &str)], cfg_keys: &[(&str, &str)]) -> Harness {
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    for (k, v) in keys {
        sim.set(k, v).unwrap();
    }
    let mut cfg = config(sim.port());
    for (k, v) in cfg_keys {
        cfg.set(k, v).unwrap();
    }
    Harness::with_config(sim, cfg, true)
}

fn jsonl(h: &Harness, call: &str) -> Vec<serde_json::Value> {
    h.engine()
        .call_trace(call, Format::Jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn c5_busy_trace_shows_the_engines_own_retrieve_after_busy() {
    let mut h = harness(&[], &[]);
    h.call_new("T5");
    let op = h.start("T5", OpKind::ConferenceConsult, "busy6001");
    assert_eq!(h.done(op).outcome, Some(Outcome::Busy));
    let text = h.engine().call_trace("T5", Format::Text).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let at = |pred: &dyn Fn(&str) -> bool| lines.iter().position(|l| pred(l));
    let init = at(&|l| l.contains(" app conference_init dest=busy6001 -> op ")).expect(&text);
    let sent = at(&|l| l.contains(" I->S InitConf ")).expect(&text);
    let busy = at(&|l| l.contains(" S->I CallStatus ") && l.contains("Event=Busy")).expect(&text);
    let retrieve = at(&|l| l.contains(" I->S RetrieveCall ")).expect(&text);
    let done = at(&|l| l.contains(" event OPERATION_DONE ") && l.contains("BUSY")).expect(&text);
    assert!(
        init < sent && sent < busy && busy < retrieve && retrieve < done,
        "{text}"
    );
    assert!(lines[retrieve].ends_with("(sent by the engine)"), "{text}");
    assert!(!lines[sent].ends_with("(sent by the engine)"), "{text}");
    assert!(lines.iter().any(|l| l.contains(" timer armed ")), "{text}");
    h.finish();
}

#[test]
fn c6_failed_trace_shows_the_call_error_and_no_retrieve() {
    let mut h = harness(&[], &[]);
    h.call_new("T6");
    let op = h.start("T6", OpKind::ConferenceConsult, "fail6001");
    assert_eq!(h.done(op).outcome, Some(Outcome::Failed));
    let text = h.engine().call_trace("T6", Format::Text).unwrap();
    let error = text
        .lines()
        .position(|l| l.contains(" S->I CallError "))
        .expect(&text);
    assert!(
        !text.lines().skip(error).any(|l| l.contains("RetrieveCall")),
        "{text}"
    );
    h.finish();
}

#[test]
fn received_frames_keep_the_bytes_as_received() {
    // Alternate spellings and attribute orders: a re-encoding would differ.
    let mut h = harness(&[("spelling", "all")], &[]);
    h.call_new("TB");
    let op = h.start("TB", OpKind::ConferenceOneStep, "7001");
    h.done(op);
    let received: Vec<Vec<u8>> = h
        .sim
        .records()
        .into_iter()
        .filter(|r| r.dir == Dir::FromServer)
        .filter(|r| {
            r.message
                .as_ref()
                .is_some_and(|m| m.call_id.as_deref() == Some("TB"))
        })
        .map(|r| r.raw[HEADER_LEN..].to_vec())
        .collect();
    assert!(!received.is_empty());
    let traced: Vec<Vec<u8>> = jsonl(&h, "TB")
        .iter()
        .filter(|e| e["dir"] == "S->I")
        .map(|e| {
            e["bytes"]
                .as_str()
                .unwrap()
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap())
                .collect()
        })
        .collect();
    assert_eq!(traced, received);
    let header = &jsonl(&h, "TB")[0];
    assert_eq!(header["ivrconf_trace"], 1);
    assert_eq!(header["call_id"], "TB");
    h.finish();
}

#[test]
fn ended_traces_are_kept_then_evicted_and_unknown_calls_refused() {
    let mut h = harness(&[], &[("trace_keep_ended", "2")]);
    for id in ["E1", "E2", "E3"] {
        h.call_new(id);
        h.engine().call_end(id).unwrap();
        h.ended(id);
    }
    assert!(h.sim.wait_received("EndCall", 3, WAIT));
    let refused = |id: &str| h.engine().call_trace(id, Format::Text).err();
    assert_eq!(refused("E1"), Some(ApiError::Refused(Refusal::UnknownCall)));
    assert_eq!(refused("E2"), None);
    assert_eq!(
        refused("nope"),
        Some(ApiError::Refused(Refusal::UnknownCall))
    );
    let e3 = h.engine().call_trace("E3", Format::Text).unwrap();
    assert!(e3.contains(" event CALL_ENDED "), "{e3}");
    h.finish();
}

#[test]
fn long_traces_keep_their_start_and_count_what_was_dropped() {
    let mut h = harness(&[], &[("trace_max_entries", "40")]);
    h.call_new("L1");
    for _ in 0..12 {
        let op = h.start("L1", OpKind::ConferenceOneStep, "7001");
        h.done(op);
        let op = h.start("L1", OpKind::ConferenceOneStep, "fail7001");
        h.done(op);
    }
    let entries = jsonl(&h, "L1");
    assert_eq!(entries.len(), 1 + 40, "header + max entries");
    assert_eq!(entries[1]["name"], "call_new");
    assert_eq!(entries[33]["dir"], "note");
    assert!(entries[33]["dropped"].as_u64().unwrap() > 0);
    h.finish();
}

#[test]
fn recording_off_is_an_invalid_state() {
    let mut h = harness(&[], &[("trace_max_entries", "0")]);
    h.call_new("OFF");
    assert!(matches!(
        h.engine().call_trace("OFF", Format::Text),
        Err(ApiError::Refused(Refusal::InvalidState(_)))
    ));
    h.finish();
}
