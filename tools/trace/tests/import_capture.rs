//! A real capture end to end: tcpdump on the loopback interface records
//! the replay flows between a real engine and the simulator;
//! `ivrconf-trace import` turns the capture into traces whose frames are
//! the ones the engine's own recorder saw; a simulator replaying those
//! traces (session included) to a fresh engine making the same API calls
//! gives the same outcomes and no difference.
//!
//! tcpdump must be installed and allowed to capture (root, as here and in
//! CI, which installs it): without it the test fails and says so.
//!
//! With `IVRCONF_REFRESH_REPLAY_FIXTURE=1` it also writes its capture and
//! the imported traces to tests/replay/ (tests/replay/refresh.sh), the
//! fixture of tests/sim_replay_fixture.rs and of `the_fixture_...` below.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod capture;
#[path = "../../../tests/common/mod.rs"]
mod common;
#[path = "../../../tests/sim_replay_flows/mod.rs"]
mod flows;

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use capture::*;
use common::{config, Harness, WAIT};
use ivrconf::recorder::Format;
use ivrconf::sim::Simulator;

/// Starts `tcpdump -i lo` on `port`, writing `file`; returns once it says
/// it is listening.
fn tcpdump(port: u16, file: &Path) -> Child {
    let mut child = Command::new("tcpdump")
        // -Z root: Debian's tcpdump would otherwise write the file as user
        // tcpdump, who may not reach the test's directory.
        .args([
            "-i",
            "lo",
            "-U",
            "--immediate-mode",
            "-s",
            "0",
            "-Z",
            "root",
            "-w",
        ])
        .arg(file)
        .arg(format!("tcp port {port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run tcpdump ({e}): this test needs it (Debian package tcpdump) and \
                 the right to capture on lo (root)"
            )
        });
    let stderr = child.stderr.as_mut().unwrap();
    let mut said = String::new();
    let mut byte = [0u8; 1];
    while !said.contains("listening on") {
        match stderr.read(&mut byte) {
            Ok(1) => said.push(char::from(byte[0])),
            _ => {
                let status = child.wait().unwrap();
                panic!("tcpdump cannot capture on lo ({status}): {said}");
            }
        }
    }
    child
}

/// Stops tcpdump the way a person does (SIGINT), so it writes out what it
/// holds.
fn stop(mut child: Child) {
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + WAIT;
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "tcpdump did not stop");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How many frames an import of `file` finds (0 until it finds any).
fn frames_in(file: &Path, scratch: &Path) -> usize {
    let _ = std::fs::remove_dir_all(scratch);
    let out = import(file, scratch, &[]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            l.rsplit_once(" (")?
                .1
                .strip_suffix(" frames)")?
                .parse::<usize>()
                .ok()
        })
        .sum()
}

#[test]
fn a_tcpdump_capture_imports_to_the_recorders_frames_and_replays_with_no_difference() {
    let dir = scratch("import_tcpdump");
    let file = dir.join("lo.pcap");
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    let port = sim.port();
    let dump = tcpdump(port, &file);

    let mut h = Harness::with_config(sim, config(port), true);
    let recorded = flows::run(&mut h, "T");
    let own: Vec<String> = flows::ids("T")
        .iter()
        .map(|id| h.engine().call_trace(id, Format::Jsonl).unwrap())
        .collect();
    h.engine.take().unwrap().free();
    let deadline = Instant::now() + WAIT;
    while h.sim.open_connections() > 0 {
        assert!(Instant::now() < deadline, "the connection did not close");
        std::thread::sleep(Duration::from_millis(5));
    }
    // Every frame the simulator saw is in the capture before tcpdump stops.
    let expected = h.sim.records().len();
    let deadline = Instant::now() + WAIT;
    while frames_in(&file, &dir.join("probe")) < expected {
        assert!(Instant::now() < deadline, "tcpdump never caught up");
        std::thread::sleep(Duration::from_millis(50));
    }
    stop(dump);
    h.finish();

    let traces_dir = dir.join("traces");
    let out = import(&file, &traces_dir, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let written = traces(&traces_dir);
    let names: Vec<&str> = written.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "call-T1.jsonl",
            "call-T2.jsonl",
            "call-T3.jsonl",
            "call-T4.jsonl",
            "call-T5.jsonl",
            "session.jsonl"
        ]
    );
    // Each call: the frames the engine's recorder saw, in its order, with
    // the same names, fields and bytes.
    for (i, own) in own.iter().enumerate() {
        assert_eq!(frames(&written[i].1), frames(own), "{}", written[i].0);
    }
    let session = lines(&written[5].1);
    assert_eq!(session[0]["call_id"], "");
    assert_eq!(session[0]["capture"], "lo.pcap");
    assert_eq!(session[1]["name"], "LoginReq");
    assert_eq!(session[2]["name"], "LoginResp");
    assert!(session.iter().any(|e| e["name"] == "#keepalive_request"));

    if std::env::var_os("IVRCONF_REFRESH_REPLAY_FIXTURE").is_some() {
        let fixture = fixture_dir();
        let _ = std::fs::remove_dir_all(&fixture);
        std::fs::create_dir_all(fixture.join("traces")).unwrap();
        std::fs::copy(&file, fixture.join("flows.pcap")).unwrap();
        let out = import(&fixture.join("flows.pcap"), &fixture.join("traces"), &[]);
        assert!(out.status.success());
    }

    // Replay the capture to a fresh engine making the same calls.
    let files: Vec<String> = written
        .iter()
        .map(|(n, _)| traces_dir.join(n).to_string_lossy().into_owned())
        .collect();
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    sim.set("replay", &files.join(",")).unwrap();
    sim.set("replay_speed", "0").unwrap();
    let port = sim.port();
    let mut h = Harness::with_config(sim, config(port), true);
    assert_eq!(flows::run(&mut h, "T"), recorded);
    let deadline = Instant::now() + WAIT;
    while !h.sim.replay_finished() {
        assert!(Instant::now() < deadline, "the replay never finished");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(h.sim.replay_differences(), vec![]);
    // The login was answered from the recording, byte for byte.
    let login = h
        .sim
        .records()
        .into_iter()
        .find(|r| r.message.as_ref().is_some_and(|m| m.name() == "LoginResp"))
        .unwrap();
    assert_eq!(
        login.raw[6..]
            .iter()
            .map(|&b| char::from(b))
            .collect::<String>(),
        session[2]["bytes"].as_str().unwrap()
    );
    h.finish();
}

/// tests/replay/ of the repository.
fn fixture_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/replay")
}

#[test]
fn the_fixture_capture_imports_to_the_fixture_traces() {
    let fixture = fixture_dir();
    let dir = scratch("import_fixture");
    let out = import(&fixture.join("flows.pcap"), &dir, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = traces(&dir);
    let kept = traces(&fixture.join("traces"));
    assert_eq!(got.len(), kept.len());
    assert_eq!(got.len(), 1 + flows::CALLS);
    for ((name, text), (kept_name, kept_text)) in got.iter().zip(&kept) {
        assert_eq!(name, kept_name);
        // All but the version that wrote them.
        let header = |t: &str| {
            let mut h = lines(t)[0].clone();
            h["version"] = serde_json::Value::Null;
            h
        };
        assert_eq!(header(text), header(kept_text), "{name}");
        assert_eq!(lines(text)[1..], lines(kept_text)[1..], "{name}");
    }
}
