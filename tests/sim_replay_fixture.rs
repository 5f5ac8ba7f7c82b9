//! A field-replay regression test, as docs/FIELD-REPLAY.md has users write
//! one: tests/replay/ holds a tcpdump capture of the replay flows and the
//! traces `ivrconf-trace import` made of it (tests/replay/refresh.sh remakes
//! both). Replayed to a fresh engine making the same calls, the recorded
//! server side gives the outcomes the scripted simulator gives, and the
//! engine sends exactly the requests it sent when the capture was made:
//! a change in what the engine puts on the wire shows up here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "sim_replay_flows/mod.rs"]
mod flows;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{config, Harness, WAIT};
use ivrconf::sim::Simulator;

fn fixture_traces() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/replay/traces");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".jsonl"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_captured_session_replays_with_no_difference() {
    let scripted = {
        let mut h = Harness::new(&[]);
        let seen = flows::run(&mut h, "T");
        h.finish();
        seen
    };
    let files = fixture_traces();
    assert_eq!(files.len(), 1 + flows::CALLS, "{files:?}");
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    sim.set("replay", &files.join(",")).unwrap();
    sim.set("replay_speed", "0").unwrap();
    let port = sim.port();
    let mut h = Harness::with_config(sim, config(port), true);
    assert_eq!(flows::run(&mut h, "T"), scripted);
    let deadline = Instant::now() + WAIT;
    while !h.sim.replay_finished() {
        assert!(Instant::now() < deadline, "the replay never finished");
        std::thread::sleep(Duration::from_millis(5));
    }
    let differences: Vec<String> = h
        .sim
        .replay_differences()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(differences.is_empty(), "{differences:#?}");
    h.finish();
}
