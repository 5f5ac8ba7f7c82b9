//! End to end through the C API: conferences per second with many in
//! flight, the engine (driven by `extern "C"` calls and a C callback that
//! completes each consult on `Established`) against `ivrconf-sim` in
//! another process, beside the raw loopback floor replaying the same
//! frames (floor.rs).

use std::collections::HashMap;
use std::ffi::CString;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::capi::{cstr, CEngine};
use crate::capture::{capture, with_id, Exchange, TEMPLATE};
use crate::countdown::Countdown;
use crate::floor::{serve, FloorClient, Replies};
use crate::report::{per_sec, target, Row};
use crate::timing::median;

/// How much to run.
#[derive(Clone, Copy)]
pub struct Load {
    /// Conferences in flight at once (one batch).
    pub in_flight: usize,
    /// Timed batches (one more runs first, untimed).
    pub rounds: usize,
}

const WAIT: Duration = Duration::from_secs(60);

/// Call `i` of round `r`: `K`, 2 digits of round, 5 of call (8 long, as
/// the capture's template).
fn id(r: usize, i: usize) -> String {
    format!("K{:02}{:05}", r % 100, i)
}

/// Median seconds per conference over the timed rounds.
fn engine_rate(port: u16, consult: bool, keys: &[(&str, &str)], load: Load) -> Result<f64, String> {
    let engine = CEngine::start(port, keys, None)?;
    engine
        .ctx
        .complete_on_established
        .store(consult, Ordering::SeqCst);
    let mut per_op = Vec::new();
    for r in 0..=load.rounds {
        let ids: Vec<CString> = (0..load.in_flight).map(|i| cstr(&id(r, i))).collect();
        for c in &ids {
            engine.call_new(c)?;
        }
        engine.ctx.done.reset();
        let t = Instant::now();
        for c in &ids {
            engine.conference(c, consult)?;
        }
        if !engine.ctx.done.wait(load.in_flight, WAIT) {
            return Err(format!(
                "engine: {} of {} conferences finished",
                engine.ctx.done.count(),
                load.in_flight
            ));
        }
        let took = t.elapsed().as_secs_f64();
        for c in &ids {
            engine.call_end(c)?;
        }
        if r > 0 {
            per_op.push(took / load.in_flight as f64);
        }
    }
    let failed = engine.ctx.not_completed.load(Ordering::SeqCst);
    if failed > 0 {
        return Err(format!("engine: {failed} conferences did not complete"));
    }
    Ok(median(&mut per_op))
}

/// What the floor's dispatcher does on a frame.
enum Action {
    Send(Vec<u8>),
    Done,
}

/// Median seconds per conference for the floor replaying `x` for
/// `in_flight` calls.
fn floor_rate(x: &Exchange, load: Load) -> Result<f64, String> {
    let mut replies: Replies = HashMap::new();
    let mut actions: HashMap<Vec<u8>, Action> = HashMap::new();
    let mut first = Vec::new();
    for i in 0..load.in_flight {
        let to = id(0, i);
        let swap = |f: &[u8]| with_id(f, TEMPLATE.as_bytes(), to.as_bytes());
        for (s, (request, answer)) in x.steps.iter().enumerate() {
            let answer: Vec<Vec<u8>> = answer.iter().map(|f| swap(f)).collect();
            if let Some(last) = answer.last() {
                let next = match x.steps.get(s + 1) {
                    Some((req, _)) => Action::Send(swap(req)),
                    None => Action::Done,
                };
                actions.insert(last.clone(), next);
            }
            if s == 0 {
                first.push(swap(request));
            }
            replies.insert(swap(request), Arc::new(answer));
        }
    }
    let port = serve(Arc::new(replies)).map_err(|e| format!("floor server: {e}"))?;
    let done = Arc::new(Countdown::default());
    let d = done.clone();
    let client = FloorClient::connect(port, move |frame, writer| match actions.get(frame) {
        Some(Action::Send(f)) => {
            let _ = writer.send(f.clone());
        }
        Some(Action::Done) => d.one(),
        None => {}
    })
    .map_err(|e| format!("floor client: {e}"))?;
    let mut per_op = Vec::new();
    for r in 0..=load.rounds {
        done.reset();
        let t = Instant::now();
        for f in &first {
            client.send(f.clone());
        }
        if !done.wait(load.in_flight, WAIT) {
            return Err(format!(
                "floor: {} of {} finished",
                done.count(),
                load.in_flight
            ));
        }
        if r > 0 {
            per_op.push(t.elapsed().as_secs_f64() / load.in_flight as f64);
        }
    }
    Ok(median(&mut per_op))
}

pub fn rows(sim_port: u16, load: Load, notes: &mut Vec<String>) -> Vec<Row> {
    let mut rows = Vec::new();
    let n = load.in_flight;
    let floors: Vec<Option<f64>> = [true, false]
        .iter()
        .map(|&consult| {
            capture(consult)
                .and_then(|x| floor_rate(&x, load))
                .map_err(|e| {
                    notes.push(format!(
                        "Floor ({}) not run: {e}",
                        if consult { "consult" } else { "one-step" }
                    ))
                })
                .ok()
        })
        .collect();
    /// One engine run: what it is, consult or one-step, extra config keys.
    type Run = (&'static str, bool, &'static [(&'static str, &'static str)]);
    let runs: [Run; 3] = [
        ("consult conferences/s", true, &[]),
        (
            "consult conferences/s, recorder off",
            true,
            &[("trace_max_entries", "0")],
        ),
        ("one-step conferences/s", false, &[]),
    ];
    for (i, (what, consult, keys)) in runs.into_iter().enumerate() {
        let floor = floors[usize::from(!consult)];
        let what = format!("{what}, {n} in flight");
        let ours = match engine_rate(sim_port, consult, keys, load) {
            Ok(s) => 1.0 / s,
            Err(e) => {
                notes.push(format!("{what} not run: {e}"));
                continue;
            }
        };
        let mut row = Row::new("End to end (C API)", &what, per_sec(ours));
        if let Some(f) = floor {
            row = row.beside("raw loopback floor", per_sec(1.0 / f));
            if i == 0 {
                let ratio = (1.0 / ours) / f;
                row = row.target(target("<= 2x floor's time", ratio <= 2.0));
            }
        }
        rows.push(row);
        if i == 0 {
            rows.push(
                Row::new("End to end (C API)", &what, per_sec(ours))
                    .target(target(">= 20,000/s", ours >= 20_000.0)),
            );
        }
    }
    rows
}
