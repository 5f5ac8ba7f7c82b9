//! Latency from the server's write of a CallStatus to the entry of the
//! application's callback, and allocations per received CallStatus, at a
//! steady rate: the engine (C API, C callback) and the floor's client, each
//! against the same in-process test server (tick.rs) and probe (probe.rs).

use std::collections::HashMap;
use std::ffi::CString;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::alloc::{count_allocs_from_zero, stop_counting_allocs};
use crate::capi::{cstr, CEngine};
use crate::floor::FloorClient;
use crate::probe::{call_id, Probe};
use crate::report::{count, ns, target, Row};
use crate::tick::TickServer;
use crate::timing::{percentiles, Percentiles};

#[derive(Clone, Copy)]
pub struct Load {
    pub calls: usize,
    pub rate: f64,
    /// Events sent before measuring.
    pub warm: usize,
    /// Events measured.
    pub count: usize,
}

struct Run {
    lat: Percentiles,
    allocs_per_event: f64,
    /// The rate the server achieved (events/s).
    rate: f64,
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    while !done() {
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}"));
        }
        thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

/// Paces `warm` then `count` events and collects what the probe saw.
fn measure(server: &TickServer, probe: &Probe, load: Load) -> Result<Run, String> {
    let seen = |n: usize| move || probe.received.load(Ordering::SeqCst) >= n;
    let base = probe.received.load(Ordering::SeqCst);
    server.pace(load.rate, load.warm);
    wait_for(
        "warm-up events",
        Duration::from_secs(60),
        seen(base + load.warm),
    )?;
    probe.take();
    probe.record(true);
    count_allocs_from_zero();
    let t = Instant::now();
    server.pace(load.rate, load.count);
    let rate = load.count as f64 / t.elapsed().as_secs_f64();
    let got = wait_for(
        "events",
        Duration::from_secs(60),
        seen(base + load.warm + load.count),
    )
    .map_err(|e| {
        let n = probe.received.load(Ordering::SeqCst) - base - load.warm;
        format!("{e}: {n} of {} arrived", load.count)
    });
    let allocs = stop_counting_allocs();
    probe.record(false);
    got?;
    Ok(Run {
        lat: percentiles(probe.take()),
        allocs_per_event: allocs as f64 / load.count as f64,
        rate,
    })
}

fn engine_run(
    server: &TickServer,
    probe: &Arc<Probe>,
    keys: &[(&str, &str)],
    load: Load,
) -> Result<Run, String> {
    let connections = server.accepted.load(Ordering::SeqCst);
    let announced = server.announced.load(Ordering::SeqCst);
    let engine = CEngine::start(server.port, keys, Some(probe.clone()))?;
    wait_for("the connection", Duration::from_secs(10), || {
        server.accepted.load(Ordering::SeqCst) > connections
    })?;
    let ids: Vec<CString> = (0..load.calls).map(|i| cstr(&call_id(i))).collect();
    for id in &ids {
        engine.call_new(id)?;
    }
    wait_for("NewCall at the server", Duration::from_secs(30), || {
        server.announced.load(Ordering::SeqCst) >= announced + load.calls
    })?;
    let run = measure(server, probe, load)?;
    for id in &ids {
        engine.call_end(id)?;
    }
    Ok(run)
}

fn floor_run(server: &TickServer, probe: &Arc<Probe>, load: Load) -> Result<Run, String> {
    let connections = server.accepted.load(Ordering::SeqCst);
    let index: HashMap<Vec<u8>, usize> = server
        .frames
        .iter()
        .enumerate()
        .map(|(j, f)| (f.clone(), j / 2))
        .collect();
    let p = probe.clone();
    let _client = FloorClient::connect(server.port, move |frame, _| {
        if let Some(&i) = index.get(frame) {
            p.received_index(i);
        }
    })
    .map_err(|e| format!("floor client: {e}"))?;
    wait_for("the floor's connection", Duration::from_secs(10), || {
        server.accepted.load(Ordering::SeqCst) > connections
    })?;
    measure(server, probe, load)
}

pub fn rows(load: Load, notes: &mut Vec<String>) -> Vec<Row> {
    let probe = Arc::new(Probe::new(load.calls, load.count));
    let server = match TickServer::start(load.calls, probe.clone()) {
        Ok(s) => s,
        Err(e) => {
            notes.push(format!("Latency not run: test server: {e}"));
            return Vec::new();
        }
    };
    let mut runs = Vec::new();
    for (name, keys) in [
        ("recorder on", &[][..]),
        ("recorder off", &[("trace_max_entries", "0")][..]),
    ] {
        match engine_run(&server, &probe, keys, load) {
            Ok(r) => runs.push((name, r)),
            Err(e) => notes.push(format!("Latency ({name}) not run: {e}")),
        }
    }
    let floor = floor_run(&server, &probe, load)
        .map_err(|e| notes.push(format!("Latency floor not run: {e}")))
        .ok();
    let rate = format!("{:.0} k events/s", load.rate / 1e3);
    let mut rows = Vec::new();
    let section = "Latency (write -> callback)";
    for (name, r) in &runs {
        let floor_of = |pick: fn(&Percentiles) -> f64| floor.as_ref().map(|f| pick(&f.lat));
        // (what, ours, the floor's, the target: limit in ns and its text)
        type Stat = (&'static str, f64, Option<f64>, Option<(f64, &'static str)>);
        let figures: [Stat; 4] = [
            (
                "median",
                r.lat.median,
                floor_of(|p| p.median),
                Some((30_000.0, "<= 30 µs")),
            ),
            (
                "p99",
                r.lat.p99,
                floor_of(|p| p.p99),
                Some((300_000.0, "<= 300 µs")),
            ),
            ("p99.9", r.lat.p999, floor_of(|p| p.p999), None),
            ("max", r.lat.max, floor_of(|p| p.max), None),
        ];
        for (what, ours, theirs, goal) in figures {
            let mut row = Row::new(section, format!("{what}, {rate}, {name}"), ns(ours));
            if let Some(t) = theirs {
                row = row.beside("raw loopback floor", ns(t));
            }
            if let Some((limit, text)) = goal.filter(|_| *name == "recorder on") {
                row = row.target(target(text, ours <= limit));
            }
            rows.push(row);
        }
    }
    for (name, r) in &runs {
        let mut row = Row::new(
            "Allocations",
            format!("per received CallStatus, socket to callback, {name}"),
            count(r.allocs_per_event),
        );
        if let Some(f) = &floor {
            row = row.beside("raw loopback floor", count(f.allocs_per_event));
        }
        rows.push(row.target(target("<= 3", r.allocs_per_event <= 3.0)));
    }
    let achieved: Vec<String> = runs
        .iter()
        .map(|(name, r)| format!("{:.0} events/s {name}", r.rate))
        .chain(
            floor
                .iter()
                .map(|f| format!("{:.0} events/s floor", f.rate)),
        )
        .collect();
    notes.push(format!(
        "Latency: {} events measured per run over {} live calls, after {} warm-up events; the test server wrote at {}.",
        load.count,
        load.calls,
        load.warm,
        achieved.join(", ")
    ));
    rows
}
