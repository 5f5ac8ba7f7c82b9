//! What `ivrconf-trace` says and does when it cannot do its job: a trace
//! of an unknown version or with a broken line, a bad command line, an
//! unwritable output. Exit status 2 for what it was given, 1 for what it
//! could not write; nothing written on failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::path::Path;

const HEADER: &str = r#"{"ivrconf_trace":1,"version":"0.1.0","call_id":"C7","started":"2026-12-05T03:28:01.843210Z"}"#;
const ENTRY: &str =
    r#"{"t_us":0,"dir":"app","name":"call_end","text":"-> OK","op_id":0,"result":"OK"}"#;

/// Runs `render` on `trace` (written to a scratch file) and returns the exit
/// status and the message; checks that no output was written.
fn refused(test: &str, trace: &str) -> (i32, String) {
    let dir = scratch(test);
    let input = dir.join("trace.jsonl");
    std::fs::write(&input, trace).unwrap();
    let svg = dir.join("out.svg");
    let html = dir.join("out.html");
    let out = run(&[
        "render",
        input.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert!(
        !svg.exists() && !html.exists(),
        "{test}: an output was written"
    );
    assert!(out.stdout.is_empty(), "{test}");
    let message = String::from_utf8(out.stderr).unwrap();
    assert!(
        message.contains(input.to_str().unwrap()),
        "{test}: names the file: {message}"
    );
    (out.status.code().unwrap(), message)
}

#[test]
fn an_unknown_version_is_refused_with_status_2() {
    let trace = format!(
        "{}\n{ENTRY}\n",
        HEADER.replace("\"ivrconf_trace\":1", "\"ivrconf_trace\":2")
    );
    let (status, message) = refused("version", &trace);
    assert_eq!(status, 2, "{message}");
    assert!(
        message
            .contains("line 1: unsupported trace version 2 (this ivrconf-trace reads version 1)"),
        "{message}"
    );
}

#[test]
fn a_broken_line_is_reported_with_its_number_and_status_2() {
    let trace =
        format!("{HEADER}\n{ENTRY}\n{ENTRY}\n{{\"t_us\":12,\"dir\":\"app\",\"name\":\n{ENTRY}\n");
    let (status, message) = refused("broken_json", &trace);
    assert_eq!(status, 2, "{message}");
    assert!(message.contains("line 4: not valid JSON"), "{message}");

    let trace = format!("{HEADER}\n{ENTRY}\n{}\n", ENTRY.replace("\"t_us\":0,", ""));
    let (status, message) = refused("missing_field", &trace);
    assert_eq!(status, 2, "{message}");
    assert!(message.contains("line 3: `t_us` is missing"), "{message}");

    let (status, message) = refused("no_header", &format!("{ENTRY}\n"));
    assert_eq!(status, 2, "{message}");
    assert!(message.contains("line 1: not a trace header"), "{message}");
}

#[test]
fn bad_command_lines_get_usage_and_status_2() {
    for args in [
        &[][..],
        &["draw"][..],
        &["render", "x.jsonl"][..],
        &["render", "--svg", "o.svg"][..],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let message = String::from_utf8(out.stderr).unwrap();
        assert!(
            message.contains("usage: ivrconf-trace"),
            "{args:?}: {message}"
        );
    }
    let help = run(&["--help"]);
    assert!(help.status.success());
    assert!(String::from_utf8(help.stdout)
        .unwrap()
        .contains("render FILE.jsonl"));
}

#[test]
fn a_missing_trace_is_status_2_and_an_unwritable_output_status_1() {
    let dir = scratch("files");
    let missing = dir.join("none.jsonl");
    let out = run(&[
        "render",
        missing.to_str().unwrap(),
        "--svg",
        dir.join("o.svg").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("none.jsonl"));

    let nowhere = Path::new("/nonexistent-dir/o.svg");
    let out = run(&[
        "render",
        sample("c3_consult_conference.jsonl").to_str().unwrap(),
        "--svg",
        nowhere.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let message = String::from_utf8(out.stderr).unwrap();
    assert!(
        message.contains("cannot write /nonexistent-dir/o.svg"),
        "{message}"
    );
}
