//! Replay from the engine's own recordings: flows are run against the
//! scripted simulator and their JSONL call traces kept; a second simulator
//! in replay mode then plays those traces to a fresh engine making the same
//! API calls, in process and as the `ivrconf-sim --replay` program. Same
//! outcomes, no differences; and a run that departs from the recording
//! gets its differences listed, call by call.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "sim_replay_flows/mod.rs"]
mod flows;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{config, Harness, WAIT};
use ivrconf::recorder::Format;
use ivrconf::sim::{DifferenceKind, Simulator, Subject};

/// An empty directory of its own for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the flows against the scripted simulator; returns what the
/// application saw and the calls' JSONL traces, written to `dir`.
fn record(dir: &Path) -> (Vec<String>, Vec<String>) {
    let mut h = Harness::new(&[]);
    let seen = flows::run(&mut h, "R");
    let mut files = Vec::new();
    for id in flows::ids("R") {
        let trace = h.engine().call_trace(&id, Format::Jsonl).unwrap();
        let path = dir.join(format!("{id}.jsonl"));
        std::fs::write(&path, trace).unwrap();
        files.push(path.to_string_lossy().into_owned());
    }
    h.finish();
    (seen, files)
}

/// A simulator replaying `files` with no delays.
fn replaying(files: &[String]) -> Simulator {
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    sim.set("replay", &files.join(",")).unwrap();
    sim.set("replay_speed", "0").unwrap();
    sim
}

fn wait_finished(sim: &Simulator) {
    let deadline = Instant::now() + WAIT;
    while !sim.replay_finished() {
        assert!(Instant::now() < deadline, "the replay never finished");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn recorded_flows_replay_to_the_same_outcomes_with_no_difference() {
    let dir = scratch("replay_same");
    let (recorded, files) = record(&dir);
    // Given in another order: calls are matched by their NewCall, not by
    // the order of the files.
    let mut shuffled = files.clone();
    shuffled.reverse();
    let sim = replaying(&shuffled);
    assert_eq!(sim.replay_calls(), (flows::CALLS, 0));
    let port = sim.port();
    let mut h = Harness::with_config(sim, config(port), true);
    // Other call ids than recorded: the answers carry the live ones.
    let replayed = flows::run(&mut h, "P");
    wait_finished(&h.sim);
    assert_eq!(replayed, recorded);
    assert_eq!(h.sim.replay_differences(), vec![]);
    assert_eq!(h.sim.replay_calls(), (flows::CALLS, flows::CALLS));
    // The answers went to the live calls, byte for byte as recorded
    // but for the call id.
    let p1: Vec<String> = h
        .sim
        .records()
        .iter()
        .filter_map(|r| r.message.as_ref())
        .filter(|m| m.call_id.as_deref() == Some("P1"))
        .map(|m| m.name().to_string())
        .collect();
    assert!(p1.contains(&"CallStatus".to_string()), "{p1:?}");
    h.finish();
}

#[test]
fn a_run_that_departs_from_the_recording_gets_its_differences_listed() {
    let dir = scratch("replay_departs");
    let (_, files) = record(&dir);
    let sim = replaying(&files);
    let port = sim.port();
    let mut h = Harness::with_config(sim, config(port), true);
    // The first call consults another destination (the recording's answers
    // are played all the same).
    let ids = flows::ids("R");
    let seen = flows::run_with(&mut h, "R", "6004");
    assert_eq!(seen.len(), 2 * flows::CALLS);
    wait_finished(&h.sim);
    let differences = h.sim.replay_differences();
    let first = Subject::Call {
        number: 1,
        recorded: ids[0].clone(),
        trace: files[0].clone(),
        live: Some(ids[0].clone()),
    };
    assert_eq!(differences.len(), 1, "{differences:#?}");
    assert_eq!(differences[0].subject, first);
    assert_eq!(
        differences[0].kind,
        DifferenceKind::Field {
            request: "InitConf".to_string(),
            field: "DestDN".to_string(),
            recorded: Some("6003".to_string()),
            sent: Some("6004".to_string()),
        }
    );
    // One more call than recorded.
    h.engine()
        .call_new("R9", "5001", None, None, vec![])
        .unwrap();
    // The record has the frame before the connection's worker has played
    // it: wait for the verdict itself.
    let deadline = Instant::now() + WAIT;
    while h.sim.replay_differences().len() < 2 {
        assert!(
            Instant::now() < deadline,
            "the unrecorded call was not seen"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let differences = h.sim.replay_differences();
    assert_eq!(differences.len(), 2, "{differences:#?}");
    assert_eq!(
        differences[1].to_string(),
        "unrecorded call R9: NewCall: not in the recording here"
    );
    h.finish();
}

#[test]
fn a_recorded_call_never_made_is_missing_request_by_request() {
    let dir = scratch("replay_missing");
    let (_, files) = record(&dir);
    let sim = replaying(&files[..1]);
    let port = sim.port();
    let h = Harness::with_config(sim, config(port), true);
    let d: Vec<String> = h
        .sim
        .replay_differences()
        .iter()
        .map(ToString::to_string)
        .collect();
    let call = format!("call 1 (R1 in {}, not started)", files[0]);
    assert_eq!(
        d,
        [
            format!("{call}: NewCall: recorded, never sent"),
            format!("{call}: InitConf: recorded, never sent"),
            format!("{call}: CompleteConf: recorded, never sent"),
            format!("{call}: EndCall: recorded, never sent"),
        ]
    );
    assert!(!h.sim.replay_finished());
    h.finish();
}

/// Starts `ivrconf-sim` with `args`; returns it and its port.
fn program(args: &[&str]) -> (std::process::Child, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ivrconf-sim"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Byte by byte: nothing after the first line may be taken from the pipe.
    let stdout = child.stdout.as_mut().unwrap();
    let mut first = String::new();
    let mut byte = [0u8; 1];
    while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        first.push(char::from(byte[0]));
    }
    let port = first
        .trim()
        .strip_prefix("listening on 127.0.0.1:")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .parse()
        .unwrap();
    (child, port)
}

/// Waits for the program to end; its exit code and the rest of stdout.
fn ended(mut child: std::process::Child) -> (i32, String, String) {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status.code().unwrap(), out, err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("ivrconf-sim --replay did not end");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_program_replays_and_exits_0_when_nothing_differs_1_when_something_does() {
    let dir = scratch("replay_program");
    let (recorded, files) = record(&dir);
    let mut args = vec!["--quiet", "--replay-speed", "0", "--replay"];
    args.extend(files.iter().map(String::as_str));

    let (child, port) = program(&args);
    let mut h = Harness::with_config(Simulator::start("127.0.0.1:0").unwrap(), config(port), true);
    assert_eq!(flows::run(&mut h, "R"), recorded);
    let (code, out, err) = ended(child);
    assert_eq!(
        (code, out.as_str()),
        (0, "replay: 5 of 5 recorded calls started, 0 differences\n"),
        "{err}"
    );
    h.finish();

    // Longer than the engine's no-answer timeout (call 5 waits for it).
    args.extend(["--replay-idle-ms", "3000"]);
    let (child, port) = program(&args);
    let mut h = Harness::with_config(Simulator::start("127.0.0.1:0").unwrap(), config(port), true);
    flows::run_with(&mut h, "R", "6004");
    let (code, out, _) = ended(child);
    assert_eq!(code, 1, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            format!("call 1 (R1 in {}, live R1):", files[0]).as_str(),
            "  InitConf: DestDN recorded \"6003\", sent \"6004\"",
            "replay: 5 of 5 recorded calls started, 1 difference",
        ]
    );
    h.finish();
}
