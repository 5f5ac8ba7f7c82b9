//! The `ivrconf-sim` command line: hand-parsed flags (no clap), the traffic
//! printer and the `--help` text, which is generated from the same tables
//! as validation (`config::KEYS`, `Behaviour::ALL`) so it cannot drift.
//!
//! Kept here rather than in the binary so the parser is unit-tested; the
//! binary only calls [`main`].

use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::behaviour::Behaviour;
use super::config::{Settings, KEYS};
use super::lifecycle::{Change, ConnectionEvent};
use super::record::{Dir, Record};
use super::replay::{Difference, Subject};
use super::summary::summary;
use super::Simulator;
use crate::timestamp::rfc3339_utc_ms;

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Options {
    pub listen: String,
    pub help: bool,
    pub version: bool,
    pub quiet: bool,
    /// `(key, value)` in command-line order.
    pub settings: Vec<(String, String)>,
    /// Replay: stop after this long without a request (0 = never).
    pub replay_idle_ms: u64,
}

/// `--replay-idle-ms` when not given.
pub const REPLAY_IDLE_MS: u64 = 30_000;

fn is_bool_key(key: &str) -> bool {
    KEYS.iter().any(|k| {
        k.key == key && (k.values.starts_with("bool") || k.values.starts_with("probability"))
    })
}

fn known_key(key: &str) -> bool {
    key.starts_with("dest.") || KEYS.iter().any(|k| k.key == key)
}

/// Parses the arguments (without the program name).
pub fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        listen: "127.0.0.1:0".into(),
        replay_idle_ms: REPLAY_IDLE_MS,
        ..Options::default()
    };
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "-h" {
            o.help = true;
            continue;
        }
        let Some(flag) = arg.strip_prefix("--") else {
            return Err(format!("unexpected argument `{arg}` (flags start with --)"));
        };
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (flag.to_string(), None),
        };
        match name.as_str() {
            "help" | "h" => {
                o.help = true;
                continue;
            }
            "version" => {
                o.version = true;
                continue;
            }
            "quiet" => {
                o.quiet = true;
                continue;
            }
            _ => {}
        }
        let key = name.replace('-', "_");
        if key == "replay" && inline.is_none() {
            // `--replay A.jsonl B.jsonl ...`: every argument up to the
            // next flag (a shell glob expands to that).
            let files: Vec<&str> = args[i..]
                .iter()
                .take_while(|a| !a.starts_with("--"))
                .map(String::as_str)
                .collect();
            if files.is_empty() {
                return Err("--replay needs at least one trace file".to_string());
            }
            i += files.len();
            o.settings.push((key, files.join(",")));
            continue;
        }
        let takes_optional_value = is_bool_key(&key);
        let value = match inline {
            Some(v) => v,
            None if takes_optional_value
                && args.get(i).is_none_or(|next| next.starts_with("--")) =>
            {
                "true".to_string()
            }
            None => match args.get(i) {
                Some(v) => {
                    i += 1;
                    v.clone()
                }
                None => return Err(format!("--{name} needs a value")),
            },
        };
        match key.as_str() {
            "listen" => o.listen = value,
            "replay_idle_ms" => {
                o.replay_idle_ms = value
                    .trim()
                    .parse()
                    .map_err(|_| format!("--replay-idle-ms expects milliseconds, got `{value}`"))?
            }
            "set" => {
                let Some((k, v)) = value.split_once('=') else {
                    return Err(format!("--set expects KEY=VALUE, got `{value}`"));
                };
                o.settings.push((k.to_string(), v.to_string()));
            }
            "dest" => {
                let Some((prefix, b)) = value.split_once('=') else {
                    return Err(format!("--dest expects PREFIX=BEHAVIOUR, got `{value}`"));
                };
                o.settings.push((format!("dest.{prefix}"), b.to_string()));
            }
            _ if known_key(&key) => o.settings.push((key, value)),
            _ => return Err(format!("unknown flag --{name} (see --help)")),
        }
    }
    // Validate every setting now, so a typo fails before binding.
    let mut check = Settings::default();
    for (k, v) in &o.settings {
        if k == "close_connections" {
            continue;
        }
        check.apply(k, v).map_err(|e| e.to_string())?;
    }
    Ok(o)
}

/// The `--help` text: usage, destination behaviours, every key.
pub fn help() -> String {
    let mut h = String::from(
        "ivrconf-sim: an IVR Server simulator (server side of the IVR Server XML protocol)\n\
         \n\
         USAGE: ivrconf-sim [--listen HOST:PORT] [--KEY VALUE | --KEY=VALUE]... [--set KEY=VALUE]...\n\
         \n\
         The first line on stdout is `listening on HOST:PORT` (the real port when 0 was asked).\n\
         Then every frame in and out is printed as it happens:\n\
         \x20 I->S <Name> <Field=value...>   received from the IVR driver\n\
         \x20 S->I <Name> <Field=value...>   sent by the simulator\n\
         Non-XML frames print as #keepalive_request, #keepalive_ack, #error_ack, #decode_error,\n\
         #protocol_error. Each connection accepted and closed prints one line with the UTC time:\n\
         \x20 2025-03-01T09:05:07.042Z conn 3 accepted from 127.0.0.1:5555\n\
         \x20 2025-03-01T09:05:09.310Z conn 3 closed: end of stream\n\
         While running, lines `KEY=VALUE` on stdin change settings\n\
         (`close_connections=now` drops every connection).\n\
         \n\
         REPLAY (docs/FIELD-REPLAY.md)\n\
         \x20 ivrconf-sim --replay TRACE.jsonl... [--replay-speed F] [--replay-idle-ms N]\n\
         plays the server side of the traces instead of the scripted sequences, then prints\n\
         every difference, call by call, and a summary line `replay: ...`, and exits: 0 when\n\
         the driver sent exactly what was recorded, 1 when anything differs. It stops once\n\
         every recorded request has come and been answered, or after N ms without a request\n\
         [30000; 0 = wait for ever].\n\
         \n\
         FLAGS\n\
         \x20 --listen HOST:PORT     address to listen on [127.0.0.1:0]\n\
         \x20 --set KEY=VALUE        any key below\n\
         \x20 --dest PREFIX=BEHAVIOUR  same as --set dest.PREFIX=BEHAVIOUR\n\
         \x20 --quiet                print only the `listening on` line (and a replay's report)\n\
         \x20 --replay FILE...       same as --set replay=FILE,FILE... (every argument up to the next flag)\n\
         \x20 --replay-idle-ms N     replay: stop after N ms without a request [30000]\n\
         \x20 --help, -h             this text\n\
         \x20 --version              print the version and exit\n\
         \x20 --KEY VALUE            every key below is also a flag (dashes or underscores);\n\
         \x20                        a bool or probability flag alone means true\n\
         \n\
         DESTINATIONS (behaviour chosen by the DestDN of the request, longest prefix wins,\n\
         ASCII case-insensitive; every optional message of the canonical sequences is sent by default)\n",
    );
    for b in Behaviour::ALL {
        let prefix = if b == Behaviour::Answer {
            "(other)".to_string()
        } else {
            format!("{}*", b.name())
        };
        h.push_str(&format!("  {prefix:<15} {}\n", b.help()));
    }
    let mut group = "";
    for k in KEYS {
        if k.group != group {
            group = k.group;
            h.push_str(&format!("\n{} KEYS\n", group.to_ascii_uppercase()));
        }
        h.push_str(&format!(
            "  {:<24} {} [{}]\n  {:<24}   {}\n",
            k.key, k.values, k.default, "", k.help
        ));
    }
    h.push_str("\nProbabilities are drawn from a per-connection PRNG seeded with `seed` and the\nconnection number: the same seed and traffic replay the same faults.\n");
    h
}

/// One traffic line, as printed.
pub fn line(r: &Record) -> String {
    let dir = match r.dir {
        Dir::ToServer => "I->S",
        Dir::FromServer => "S->I",
    };
    match &r.message {
        Some(m) => format!("{dir} {}", summary(m)),
        None => format!("{dir} {} len={}", r.name(), r.raw.len()),
    }
}

/// One connection line, as printed: `<UTC time> conn N accepted from
/// PEER` or `<UTC time> conn N closed: REASON`.
pub fn connection_line(ev: &ConnectionEvent) -> String {
    let at = rfc3339_utc_ms(ev.at);
    match &ev.change {
        Change::Accepted { peer } => format!("{at} conn {} accepted from {peer}", ev.conn),
        Change::Closed { reason } => format!("{at} conn {} closed: {reason}", ev.conn),
    }
}

/// The `--version` line.
pub fn version() -> String {
    format!("ivrconf-sim {}", crate::VERSION)
}

/// Runs the simulator until killed; returns the process exit code.
pub fn main(args: Vec<String>) -> i32 {
    let opts = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("ivrconf-sim: {e}");
            return 2;
        }
    };
    if opts.help {
        print!("{}", help());
        return 0;
    }
    if opts.version {
        println!("{}", version());
        return 0;
    }
    let sim = match Simulator::start(&opts.listen) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ivrconf-sim: cannot listen on {}: {e}", opts.listen);
            return 1;
        }
    };
    for (k, v) in &opts.settings {
        if let Err(e) = sim.set(k, v) {
            eprintln!("ivrconf-sim: {e}");
            return 2;
        }
    }
    {
        // The observer is installed while stdout is held, so no traffic line
        // can be lost or come before the `listening on` line.
        let mut out = std::io::stdout().lock();
        if !opts.quiet {
            sim.set_observer(Some(Arc::new(|r: &Record| {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", line(r));
                let _ = out.flush();
            })));
            sim.set_connection_observer(Some(Arc::new(|ev: &ConnectionEvent| {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", connection_line(ev));
                let _ = out.flush();
            })));
        }
        let _ = writeln!(out, "listening on {}", sim.local_addr());
        let _ = out.flush();
    }
    if let Some(recording) = sim.settings().replay {
        for note in &recording.notes {
            eprintln!("ivrconf-sim: {note}");
        }
        let sim = Arc::new(sim);
        let settings_from = sim.clone();
        // Settings from stdin while the replay runs (a thread of its own:
        // the replay ends on its own, stdin need not).
        let _ = std::thread::Builder::new()
            .name("ivrconf-sim-stdin".into())
            .spawn(move || read_settings(&settings_from));
        return replay(&sim, opts.replay_idle_ms);
    }
    read_settings(&sim);
    // At end of input keep serving until killed.
    loop {
        std::thread::park();
    }
}

/// Applies `KEY=VALUE` lines from stdin until its end.
fn read_settings(sim: &Simulator) {
    for l in std::io::stdin().lock().lines() {
        let Ok(l) = l else { break };
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        match l.split_once('=') {
            Some((k, v)) => match sim.set(k.trim(), v.trim()) {
                Ok(()) => eprintln!("ivrconf-sim: {} set", k.trim()),
                Err(e) => eprintln!("ivrconf-sim: {e}"),
            },
            None => eprintln!("ivrconf-sim: expected KEY=VALUE on stdin, got `{l}`"),
        }
    }
}

/// Runs a replay to its end (played out, or `idle_ms` without a request),
/// prints the report and returns the exit code: 0 nothing differs, 1
/// something does.
fn replay(sim: &Simulator, idle_ms: u64) -> i32 {
    let idle = Duration::from_millis(idle_ms);
    let mut requests = sim.received_count(None);
    let mut since = Instant::now();
    while !sim.replay_finished() {
        let now = sim.received_count(None);
        if now != requests {
            requests = now;
            since = Instant::now();
        } else if idle_ms > 0 && since.elapsed() >= idle {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let differences = sim.replay_differences();
    let (recorded, started) = sim.replay_calls();
    sim.shutdown();
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(replay_report(&differences, recorded, started).as_bytes());
    let _ = out.flush();
    i32::from(!differences.is_empty())
}

/// The report of a replay: the differences grouped by call (in the order
/// first seen), then one summary line.
pub fn replay_report(differences: &[Difference], recorded: usize, started: usize) -> String {
    let mut subjects: Vec<&Subject> = Vec::new();
    for d in differences {
        if !subjects.contains(&&d.subject) {
            subjects.push(&d.subject);
        }
    }
    let mut report = String::new();
    for subject in subjects {
        report.push_str(&format!("{subject}:\n"));
        for d in differences.iter().filter(|d| d.subject == *subject) {
            report.push_str(&format!("  {}\n", d.kind));
        }
    }
    report.push_str(&format!(
        "replay: {started} of {recorded} recorded calls started, {} difference{}\n",
        differences.len(),
        if differences.len() == 1 { "" } else { "s" }
    ));
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_map_to_keys() {
        let o = parse(&args(&[
            "--listen",
            "0.0.0.0:7000",
            "--login=no_answer",
            "--seed",
            "9",
            "--split-writes",
            "--duplicate-events",
            "0.5",
            "--dest",
            "6=busy",
            "--set",
            "slow_ms=10",
            "--coalesce=false",
        ]))
        .unwrap();
        assert_eq!(o.listen, "0.0.0.0:7000");
        let s: Vec<(&str, &str)> = o
            .settings
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            s,
            [
                ("login", "no_answer"),
                ("seed", "9"),
                ("split_writes", "true"),
                ("duplicate_events", "0.5"),
                ("dest.6", "busy"),
                ("slow_ms", "10"),
                ("coalesce", "false"),
            ]
        );
    }

    #[test]
    fn bad_flags_and_values_are_refused() {
        assert!(parse(&args(&["--nope", "1"])).is_err());
        assert!(parse(&args(&["--slow-ms"])).is_err());
        assert!(parse(&args(&["--slow-ms", "x"])).is_err());
        assert!(parse(&args(&["--set", "slow_ms"])).is_err());
        assert!(parse(&args(&["stray"])).is_err());
        assert!(parse(&args(&["--help"])).unwrap().help);
        assert!(parse(&args(&["-h"])).unwrap().help);
        assert!(parse(&args(&["--version"])).unwrap().version);
        assert!(parse(&args(&["-x"])).is_err());
    }

    #[test]
    fn connection_lines_name_the_time_the_connection_and_what_happened() {
        use crate::sim::CloseReason;
        use std::time::{Duration, UNIX_EPOCH};
        let at = UNIX_EPOCH + Duration::from_millis(1_709_210_096_042);
        let accepted = ConnectionEvent {
            conn: 3,
            at,
            change: Change::Accepted {
                peer: "127.0.0.1:5555".parse().unwrap(),
            },
        };
        assert_eq!(
            connection_line(&accepted),
            "2024-02-29T12:34:56.042Z conn 3 accepted from 127.0.0.1:5555"
        );
        let closed = ConnectionEvent {
            change: Change::Closed {
                reason: CloseReason::EndOfStream,
            },
            ..accepted
        };
        assert_eq!(
            connection_line(&closed),
            "2024-02-29T12:34:56.042Z conn 3 closed: end of stream"
        );
    }

    #[test]
    fn replay_takes_every_file_up_to_the_next_flag_and_reads_them_at_once() {
        let dir = std::env::temp_dir().join(format!("ivrconf-cli-replay-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let trace = |name: &str| {
            let p = dir.join(name);
            std::fs::write(
                &p,
                "{\"ivrconf_trace\":1,\"version\":\"0\",\"call_id\":\"\",\"started\":\"2026-01-01T00:00:00Z\"}\n",
            )
            .unwrap();
            p.to_string_lossy().into_owned()
        };
        let (a, b) = (trace("a.jsonl"), trace("b.jsonl"));
        let o = parse(&args(&[
            "--replay",
            &a,
            &b,
            "--replay-speed",
            "0",
            "--replay-idle-ms",
            "50",
        ]));
        let e = o.unwrap_err();
        assert!(e.contains("a second session trace"), "both files read: {e}");
        let o = parse(&args(&["--replay", &a, "--replay-speed=0"])).unwrap();
        assert_eq!(
            o.settings,
            [
                ("replay".to_string(), a.clone()),
                ("replay_speed".to_string(), "0".to_string())
            ]
        );
        assert_eq!(o.replay_idle_ms, REPLAY_IDLE_MS);
        let missing = dir.join("nope.jsonl").to_string_lossy().into_owned();
        let e = parse(&args(&["--replay", &missing])).unwrap_err();
        assert!(e.contains("nope.jsonl"), "{e}");
        assert!(parse(&args(&["--replay", "--quiet"])).is_err());
        assert!(parse(&args(&["--replay-idle-ms", "soon"])).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_replay_report_groups_differences_by_call() {
        use crate::sim::{Difference, DifferenceKind, Subject};
        let call = Subject::Call {
            number: 1,
            recorded: "C1".into(),
            trace: "c1.jsonl".into(),
            live: Some("L1".into()),
        };
        let d = |subject: &Subject, request: &str| Difference {
            subject: subject.clone(),
            kind: DifferenceKind::Missing {
                request: request.into(),
            },
        };
        let report = replay_report(
            &[
                d(&call, "InitConf"),
                d(&Subject::Session, "LoginReq"),
                d(&call, "EndCall"),
            ],
            2,
            1,
        );
        assert_eq!(
            report,
            "call 1 (C1 in c1.jsonl, live L1):\n  InitConf: recorded, never sent\n  EndCall: recorded, never sent\n\
             session:\n  LoginReq: recorded, never sent\n\
             replay: 1 of 2 recorded calls started, 3 differences\n"
        );
        assert_eq!(
            replay_report(&[], 2, 2),
            "replay: 2 of 2 recorded calls started, 0 differences\n"
        );
    }

    #[test]
    fn help_documents_every_behaviour_and_key() {
        let h = help();
        for b in Behaviour::ALL {
            assert!(h.contains(b.help()), "{}", b.name());
        }
        for k in KEYS {
            assert!(h.contains(k.key) && h.contains(k.help), "{}", k.key);
        }
    }
}
