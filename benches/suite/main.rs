//! `make bench`: the one benchmark suite. Every figure beside its floor or
//! peer, the ratio, the target and whether it is met, printed as one
//! Markdown table and written as JSON (`build/bench.json`). How each figure
//! is taken is in each module's doc comment and in docs/BENCHMARKS.md.
//!
//! `cargo bench --bench suite -- [--peers PATH] [--json PATH] [--only
//! decode,flow,e2e,latency,scale]`. Without `--bench` (as `cargo test
//! --all-targets` runs it) everything runs once on small numbers, as a check
//! that the suite works; its figures mean nothing then.

mod alloc;
mod capi;
mod capture;
mod countdown;
mod decode;
mod e2e;
mod floor;
mod latency;
mod machine;
mod probe;
mod report;
mod scale;
mod sim_process;
mod switches;
mod tick;
mod timing;

#[path = "../common/flow_script.rs"]
#[allow(dead_code)] // `mid_consult` serves benches/flow.rs only
mod flow_script;
#[path = "../common/payloads.rs"]
mod payloads;

use std::path::{Path, PathBuf};

use serde_json::json;

use report::Report;
use sim_process::SimProcess;
use timing::Sampling;

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

const SIM: &str = env!("CARGO_BIN_EXE_ivrconf-sim");

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn read_trimmed(path: &str) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn cpu_model() -> String {
    read_trimmed("/proc/cpuinfo")
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("")
        .trim()
        .to_string()
}

fn load_average() -> String {
    read_trimmed("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first line a command prints, or "unknown".
fn first_line(cmd: &str, args: &[&str]) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_string))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The tools and peer libraries the figures depend on.
fn versions() -> serde_json::Value {
    let deb = |pkg: &str| first_line("dpkg-query", &["-W", "-f=${Version}", pkg]);
    json!({
        "rustc": first_line("rustc", &["-V"]),
        "c++": first_line("c++", &["--version"]),
        "pugixml": deb("libpugixml-dev"),
        "tinyxml2": deb("libtinyxml2-dev"),
        "expat": deb("libexpat1-dev"),
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--scale-child") {
        std::process::exit(scale::child(&args));
    }
    alloc::not_counted();
    let full = args.iter().any(|a| a == "--bench");
    let only = arg(&args, "--only");
    let wanted = |section: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|s| s == section))
    };
    let out_dir = match (full, arg(&args, "--json")) {
        (_, Some(p)) => Path::new(&p)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        (true, None) => PathBuf::from("build"),
        (false, None) => PathBuf::from(env!("CARGO_TARGET_TMPDIR")),
    };
    let json_path = arg(&args, "--json").map(PathBuf::from).unwrap_or_else(|| {
        out_dir.join(if full {
            "bench.json"
        } else {
            "bench-check.json"
        })
    });
    if let Err(e) = std::fs::create_dir_all(&out_dir) {
        eprintln!("suite: {}: {e}", out_dir.display());
        std::process::exit(1);
    }
    let peers = arg(&args, "--peers").map(PathBuf::from);
    let load_before = load_average();
    let started = std::time::SystemTime::now();
    let mut report = Report {
        rows: Vec::new(),
        notes: Vec::new(),
    };
    let notes = &mut report.notes;

    if wanted("decode") {
        eprintln!("suite: decode");
        let sampling = Sampling::new(!full);
        report
            .rows
            .extend(decode::rows(sampling, peers.as_deref(), &out_dir, notes));
    }
    if wanted("flow") {
        eprintln!("suite: flow machine");
        let (sizes, events) = if full {
            ([1_000, 10_000, 100_000], 2_000_000)
        } else {
            ([10, 100, 1_000], 10_000)
        };
        report.rows.extend(machine::rows(sizes, events));
    }
    let needs_sim = wanted("e2e") || wanted("scale");
    let sim = if needs_sim {
        match SimProcess::start(SIM) {
            Ok(s) => Some(s),
            Err(e) => {
                notes.push(format!("Simulator not started: {e}"));
                None
            }
        }
    } else {
        None
    };
    if let (true, Some(sim)) = (wanted("e2e"), &sim) {
        eprintln!("suite: end to end");
        let load = if full {
            e2e::Load {
                in_flight: 1_000,
                rounds: 7,
            }
        } else {
            e2e::Load {
                in_flight: 20,
                rounds: 1,
            }
        };
        report.rows.extend(e2e::rows(sim.port, load, notes));
    }
    if wanted("latency") {
        eprintln!("suite: latency");
        let load = if full {
            latency::Load {
                calls: 10_000,
                rate: 20_000.0,
                warm: 5_000,
                count: 60_000,
            }
        } else {
            latency::Load {
                calls: 50,
                rate: 2_000.0,
                warm: 50,
                count: 200,
            }
        };
        report.rows.extend(latency::rows(load, notes));
    }
    if let (true, Some(sim)) = (wanted("scale"), &sim) {
        eprintln!("suite: scale");
        let (small, big) = if full { (1_000, 100_000) } else { (100, 1_000) };
        report.rows.extend(scale::rows(sim.port, small, big, notes));
    }
    drop(sim);

    if !full {
        report.notes.push(
            "Check run (no --bench): small numbers, debug build; the figures mean nothing.".into(),
        );
    }
    let machine = json!({
        "cpu": cpu_model(),
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "started_utc": ivrconf::timestamp::rfc3339_utc_ms(started),
        "full_run": full,
        "versions": versions(),
    });
    println!("\n{}", report.markdown());
    println!(
        "Machine: {} x {}, load average {} before, {} after.",
        machine["cores"],
        machine["cpu"].as_str().unwrap_or(""),
        load_before,
        machine["load_average_after"].as_str().unwrap_or("")
    );
    let text = serde_json::to_string_pretty(&report.json(machine)).unwrap_or_default();
    if let Err(e) = std::fs::write(&json_path, text + "\n") {
        eprintln!("suite: {}: {e}", json_path.display());
        std::process::exit(1);
    }
    println!("JSON: {}", json_path.display());
    let failures = report
        .notes
        .iter()
        .filter(|n| n.contains("not run"))
        .count();
    if failures > 0 {
        eprintln!("suite: {failures} part(s) did not run (see the notes)");
        std::process::exit(1);
    }
}
