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
use crate::report::{count, per_sec, target, Row};
use crate::switches::client_switches;
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

/// One timed batch: seconds per conference, client context switches per
/// conference.
struct Batch {
    secs: f64,
    switches: f64,
}

/// Batches summed up: the median time, the mean switches.
struct Rate {
    secs: f64,
    switches: f64,
}

fn summarise(batches: &[Batch]) -> Rate {
    let mut secs: Vec<f64> = batches.iter().map(|b| b.secs).collect();
    let switches = batches.iter().map(|b| b.switches).sum::<f64>() / batches.len().max(1) as f64;
    Rate {
        secs: median(&mut secs),
        switches,
    }
}

/// The engine's threads (names truncated to 15 bytes by the kernel).
const ENGINE_THREADS: &[&str] = &["ivrconf-"];
/// The floor client's threads (not its server's).
const FLOOR_CLIENT_THREADS: &[&str] = &["floor-write", "floor-read", "floor-dispatch"];

/// Runs `batch` between two context-switch counts of `threads`.
fn timed(
    threads: &[&str],
    n: usize,
    batch: impl FnOnce() -> Result<(), String>,
) -> Result<Batch, String> {
    let before = client_switches(threads);
    let t = Instant::now();
    batch()?;
    let secs = t.elapsed().as_secs_f64() / n as f64;
    let switches = (client_switches(threads) - before) as f64 / n as f64;
    Ok(Batch { secs, switches })
}

/// The engine through the C API against the simulator.
struct EngineSide {
    engine: CEngine,
    consult: bool,
    n: usize,
}

impl EngineSide {
    fn start(port: u16, consult: bool, keys: &[(&str, &str)], n: usize) -> Result<Self, String> {
        let engine = CEngine::start(port, keys, None)?;
        engine
            .ctx
            .complete_on_established
            .store(consult, Ordering::SeqCst);
        Ok(EngineSide { engine, consult, n })
    }

    /// `n` conferences of round `r` in flight at once; the calls are
    /// announced before and ended after the timed part.
    fn batch(&self, r: usize) -> Result<Batch, String> {
        let e = &self.engine;
        let ids: Vec<CString> = (0..self.n).map(|i| cstr(&id(r, i))).collect();
        for c in &ids {
            e.call_new(c)?;
        }
        e.ctx.done.reset();
        let batch = timed(ENGINE_THREADS, self.n, || {
            for c in &ids {
                e.conference(c, self.consult)?;
            }
            if e.ctx.done.wait(self.n, WAIT) {
                Ok(())
            } else {
                Err(format!(
                    "engine: {} of {} conferences finished",
                    e.ctx.done.count(),
                    self.n
                ))
            }
        })?;
        for c in &ids {
            e.call_end(c)?;
        }
        match e.ctx.not_completed.load(Ordering::SeqCst) {
            0 => Ok(batch),
            failed => Err(format!("engine: {failed} conferences did not complete")),
        }
    }
}

/// What the floor's dispatcher does on a frame.
enum Action {
    Send(Vec<u8>),
    Done,
}

/// The floor replaying an exchange for `n` calls.
struct FloorSide {
    client: FloorClient,
    first: Vec<Vec<u8>>,
    done: Arc<Countdown>,
    n: usize,
}

impl FloorSide {
    fn start(x: &Exchange, n: usize) -> Result<Self, String> {
        let mut replies: Replies = HashMap::new();
        let mut actions: HashMap<Vec<u8>, Action> = HashMap::new();
        let mut first = Vec::new();
        for i in 0..n {
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
        Ok(FloorSide {
            client,
            first,
            done,
            n,
        })
    }

    fn batch(&self) -> Result<Batch, String> {
        self.done.reset();
        timed(FLOOR_CLIENT_THREADS, self.n, || {
            for f in &self.first {
                self.client.send(f.clone());
            }
            if self.done.wait(self.n, WAIT) {
                Ok(())
            } else {
                Err(format!(
                    "floor: {} of {} finished",
                    self.done.count(),
                    self.n
                ))
            }
        })
    }
}

/// Engine and floor batches taken in turn (a load that drifts during the
/// run weighs on both alike); the first of each is a warm-up.
fn run(
    engine: &EngineSide,
    floor: Option<&FloorSide>,
    rounds: usize,
    notes: &mut Vec<String>,
) -> Result<(Rate, Option<Rate>), String> {
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let mut floor = floor;
    for r in 0..=rounds {
        if let Some(f) = floor {
            match f.batch() {
                Ok(b) if r > 0 => theirs.push(b),
                Ok(_) => {}
                Err(e) => {
                    notes.push(format!("Floor not run: {e}"));
                    floor = None;
                }
            }
        }
        let b = engine.batch(r)?;
        if r > 0 {
            ours.push(b);
        }
    }
    let theirs = (floor.is_some() && !theirs.is_empty()).then(|| summarise(&theirs));
    Ok((summarise(&ours), theirs))
}

pub fn rows(sim_port: u16, load: Load, notes: &mut Vec<String>) -> Vec<Row> {
    let section = "End to end (C API)";
    let mut rows = Vec::new();
    let n = load.in_flight;
    let floors: Vec<Option<FloorSide>> = [true, false]
        .iter()
        .map(|&consult| {
            capture(consult)
                .and_then(|x| FloorSide::start(&x, n))
                .map_err(|e| {
                    notes.push(format!(
                        "Floor ({}) not run: {e}",
                        if consult { "consult" } else { "one-step" }
                    ))
                })
                .ok()
        })
        .collect();
    /// One engine run: the operation, consult or one-step, the variant,
    /// extra config keys.
    type Variant = (
        &'static str,
        bool,
        &'static str,
        &'static [(&'static str, &'static str)],
    );
    let variants: [Variant; 3] = [
        ("consult conference", true, "", &[]),
        (
            "consult conference",
            true,
            ", recorder off",
            &[("trace_max_entries", "0")],
        ),
        ("one-step conference", false, "", &[]),
    ];
    for (i, (what, consult, variant, keys)) in variants.into_iter().enumerate() {
        let floor = floors[usize::from(!consult)].as_ref();
        let measured = EngineSide::start(sim_port, consult, keys, n)
            .and_then(|engine| run(&engine, floor, load.rounds, notes));
        let (ours, theirs) = match measured {
            Ok(m) => m,
            Err(e) => {
                notes.push(format!("{what}s{variant} not run: {e}"));
                continue;
            }
        };
        let rate = 1.0 / ours.secs;
        let mut row = Row::new(
            section,
            format!("{what}s/s{variant}, {n} in flight"),
            per_sec(rate),
        );
        if let Some(f) = &theirs {
            row = row.beside("raw loopback floor", per_sec(1.0 / f.secs));
            if i == 0 {
                row = row.target(target("<= 2x floor's time", ours.secs <= 2.0 * f.secs));
            }
        }
        rows.push(row);
        if i == 0 {
            rows.push(
                Row::new(section, format!("{what}s/s, {n} in flight"), per_sec(rate))
                    .target(target(">= 20,000/s", rate >= 20_000.0)),
            );
        }
        let mut row = Row::new(
            section,
            format!("client context switches per {what}{variant}"),
            count(ours.switches),
        );
        if let Some(f) = &theirs {
            row = row.beside("raw loopback floor", count(f.switches));
        }
        rows.push(row);
    }
    rows
}
