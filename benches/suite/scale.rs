//! Scale: many live calls in one engine against `ivrconf-sim`. Each
//! measurement runs in a fresh child process of the suite (`--scale-child`)
//! so that its resident memory starts clean: bytes per call are the RSS
//! delta (/proc/self/statm) over the calls announced, beside the heap bytes
//! the counting allocator saw; API latency is `ivrconf_call_state` on live
//! calls picked at random.

use std::ffi::CString;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::alloc::{held, track_held};
use crate::capi::{cstr, CEngine};
use crate::report::{bytes, ns, target, Row};
use crate::timing::percentiles;

/// Resident bytes of this process.
fn rss() -> f64 {
    let pages: f64 = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse().ok()))
        .unwrap_or(f64::NAN);
    // SAFETY: sysconf only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as f64;
    pages * page
}

/// `ivrconf_call_state` latency over `probes` random live calls among the
/// first `live`: (median, p99) ns.
fn state_latency(
    engine: &CEngine,
    ids: &[CString],
    live: usize,
    probes: usize,
) -> Result<(f64, f64), String> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut lat = Vec::with_capacity(probes);
    for _ in 0..probes {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let id = &ids[(x % live as u64) as usize];
        let t = Instant::now();
        engine.call_state(id)?;
        lat.push(t.elapsed().as_nanos() as u64);
    }
    let p = percentiles(lat);
    Ok((p.median, p.p99))
}

/// Calls announced between two waits for the engine to write what they
/// queued.
const BATCH: usize = 10_000;

/// Waits until the heap stops shrinking: `call_new` queues its `NewCall`
/// faster than the simulator reads, and the frames not yet written are not
/// what a live call costs. Settled = the same figure over 5 polls 10 ms
/// apart (at most 10 s).
fn settle() {
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut last, mut same) = (held(), 0);
    while same < 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
        let now = held();
        same = if now == last { same + 1 } else { 0 };
        last = now;
    }
}

/// Announces `ids`, waiting for the engine's writes after each `BATCH`;
/// the time spent in `call_new` itself (waits excluded), in ns.
fn announce(engine: &CEngine, ids: &[CString]) -> Result<u128, String> {
    let mut spent = 0;
    for batch in ids.chunks(BATCH) {
        let t = Instant::now();
        for id in batch {
            engine.call_new(id)?;
        }
        spent += t.elapsed().as_nanos();
        settle();
    }
    Ok(spent)
}

/// The child: announces `small` then `big` calls, printing one JSON line.
pub fn child(args: &[String]) -> i32 {
    track_held();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_default()
    };
    let port: u16 = arg("--port").parse().unwrap_or(0);
    let small: usize = arg("--small").parse().unwrap_or(1000);
    let big: usize = arg("--big").parse().unwrap_or(100_000);
    let keys: &[(&str, &str)] = if arg("--recorder") == "off" {
        &[("trace_max_entries", "0")]
    } else {
        &[]
    };
    let run = || -> Result<Value, String> {
        let ids: Vec<CString> = (0..big).map(|i| cstr(&format!("S{i:07}"))).collect();
        let engine = CEngine::start(port, keys, None)?;
        let (rss0, heap0) = (rss(), held());
        announce(&engine, &ids[..small])?;
        let (rss1, heap1) = (rss(), held());
        let (med1, p99_1) = state_latency(&engine, &ids, small, 20_000)?;
        let spent = announce(&engine, &ids[small..])?;
        let call_new_ns = spent as f64 / (big - small) as f64;
        let (rss2, heap2) = (rss(), held());
        let (med2, p99_2) = state_latency(&engine, &ids, big, 20_000)?;
        Ok(json!({
            "small": small, "big": big,
            "rss_per_call_small": (rss1 - rss0) / small as f64,
            "rss_per_call_big": (rss2 - rss0) / big as f64,
            "heap_per_call_small": (heap1 - heap0) as f64 / small as f64,
            "heap_per_call_big": (heap2 - heap0) as f64 / big as f64,
            "state_median_small": med1, "state_p99_small": p99_1,
            "state_median_big": med2, "state_p99_big": p99_2,
            "call_new_ns_big": call_new_ns,
        }))
    };
    match run() {
        Ok(v) => {
            println!("{v}");
            0
        }
        Err(e) => {
            eprintln!("scale child: {e}");
            1
        }
    }
}

fn run_child(port: u16, recorder: &str, small: usize, big: usize) -> Result<Value, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .args([
            "--scale-child",
            "--port",
            &port.to_string(),
            "--recorder",
            recorder,
        ])
        .args(["--small", &small.to_string(), "--big", &big.to_string()])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().rfind(|l| l.starts_with('{')).unwrap_or("");
    serde_json::from_str(line).map_err(|e| format!("scale child output: {e}"))
}

pub fn rows(sim_port: u16, small: usize, big: usize, notes: &mut Vec<String>) -> Vec<Row> {
    let mut rows = Vec::new();
    let section = "Scale";
    for recorder in ["on", "off"] {
        let v = match run_child(sim_port, recorder, small, big) {
            Ok(v) => v,
            Err(e) => {
                notes.push(format!("Scale (recorder {recorder}) not run: {e}"));
                continue;
            }
        };
        let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        let at = |n: usize| format!("at {n} calls");
        let rss_big = f("rss_per_call_big");
        rows.push(
            Row::new(
                section,
                format!("RSS per live call, {big} calls, recorder {recorder}"),
                bytes(rss_big),
            )
            .beside(at(small), bytes(f("rss_per_call_small")))
            .target(target("<= 1 KiB", rss_big <= 1024.0)),
        );
        rows.push(
            Row::new(
                section,
                format!("heap per live call, {big} calls, recorder {recorder}"),
                bytes(f("heap_per_call_big")),
            )
            .beside(at(small), bytes(f("heap_per_call_small"))),
        );
        rows.push(
            Row::new(
                section,
                format!("call_state median, {big} calls, recorder {recorder}"),
                ns(f("state_median_big")),
            )
            .beside(at(small), ns(f("state_median_small"))),
        );
        rows.push(
            Row::new(
                section,
                format!("call_state p99, {big} calls, recorder {recorder}"),
                ns(f("state_p99_big")),
            )
            .beside(at(small), ns(f("state_p99_small"))),
        );
        rows.push(Row::new(
            section,
            format!("call_new, calls {small}..{big}, recorder {recorder}"),
            ns(f("call_new_ns_big")),
        ));
    }
    rows
}
