//! The soak: many threads drive one engine through its C API against the
//! bundled simulator while the simulator cycles through every fault phase,
//! and every operation, call and frame is audited. See docs/SOAK.md.
//!
//! `harness = false`: this file is the program. `SOAK_SECONDS` (default
//! 20) and `SOAK_SEED` (default: from the clock, printed) set the run;
//! `make soak SECONDS=.. SEED=..` runs it in release. Exit status 1 when
//! any audit found a violation, 2 when the soak could not be set up.
//!
//! This file owns the run's order (set up, phases, drain, shutdown, report);
//! the C API wrappers, the callback target, the workers and the audits live
//! in `tests/soak/`.

#[path = "soak/capi.rs"]
mod capi;
#[path = "soak/driver.rs"]
mod driver;
#[path = "soak/engine_view.rs"]
mod engine_view;
#[path = "soak/hub.rs"]
mod hub;
#[path = "soak/phases.rs"]
mod phases;
#[path = "soak/referee.rs"]
mod referee;
#[path = "soak/report.rs"]
mod report;
#[path = "soak/rng.rs"]
mod rng;
#[path = "soak/rss.rs"]
mod rss;
#[path = "soak/self_check.rs"]
mod self_check;
#[path = "soak/wire_audit.rs"]
mod wire_audit;

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crossbeam_channel::unbounded;
use ivrconf::sim::Simulator;
use parking_lot::Mutex;

use driver::{Control, Worker, WorkerStats};
use hub::Hub;
use phases::{FaultPhase, PHASES};
use referee::{Referee, TraceSource};
use report::PhaseLine;
use wire_audit::WireAudit;

/// Engine timers: short, so that stuck consultations end quickly, and far
/// above the simulator's response delays (at most 60 ms in any phase), so
/// that a timer never legitimately races a server answer.
const REQUEST_TIMEOUT_MS: u64 = 1500;
const NO_ANSWER_TIMEOUT_MS: u64 = 800;

/// Small enough that bursts reach it, so the engine's back-pressure (it
/// stops reading the server until the application catches up) runs too.
const EVENT_QUEUE_MAX: &str = "256";

/// Ended calls whose traces the engine keeps (its default is 256). The
/// referee reads a suspect's trace as soon as the wire audit finds it, but
/// the call may end first; at 512 ports calls end at about 1000/s, so 256
/// would be a quarter of a second of slack on a loaded machine.
const TRACE_KEEP_ENDED: &str = "2048";

/// How often the wire audit forgets calls the engine is done with, and
/// after how long without a frame: a call the server ended, any call. Both
/// are longer than any gap between a CallError and the RetrieveCall it
/// could be judged against (the engine's timers are shorter).
const SWEEP_EVERY: Duration = Duration::from_secs(1);
const SWEEP_ENDED_IDLE: Duration = Duration::from_secs(2);
const SWEEP_IDLE: Duration = Duration::from_secs(5);

/// The run's parameters.
pub struct Run {
    pub seconds: f64,
    pub seed: u64,
    pub workers: usize,
    pub ports: usize,
    pub phase_seconds: f64,
    /// The phases to cycle through: all, or those `SOAK_PHASES` names.
    pub phases: Vec<&'static FaultPhase>,
}

fn env_number<T: std::str::FromStr>(name: &str) -> Result<Option<T>, String> {
    match std::env::var(name) {
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("{name}={v:?} is not a number")),
        Err(_) => Ok(None),
    }
}

fn run_from_env() -> Result<Run, String> {
    let seconds: f64 = env_number("SOAK_SECONDS")?.unwrap_or(20.0);
    if !(seconds > 0.0 && seconds.is_finite()) {
        return Err(format!("SOAK_SECONDS must be positive, got {seconds}"));
    }
    let seed = match env_number::<u64>("SOAK_SEED")? {
        Some(s) => s,
        None => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    };
    let workers = env_number("SOAK_WORKERS")?.unwrap_or(8usize).max(1);
    let ports = env_number("SOAK_PORTS")?.unwrap_or(16usize).max(1);
    let phases: Vec<&'static FaultPhase> = match std::env::var("SOAK_PHASES") {
        Ok(list) if !list.trim().is_empty() => {
            let mut chosen = Vec::new();
            for name in list.split(',').map(str::trim) {
                let phase = PHASES.iter().find(|p| p.name == name).ok_or_else(|| {
                    let names: Vec<&str> = PHASES.iter().map(|p| p.name).collect();
                    format!(
                        "SOAK_PHASES: no phase {name:?} (phases: {})",
                        names.join(", ")
                    )
                })?;
                chosen.push(phase);
            }
            chosen
        }
        _ => PHASES.iter().collect(),
    };
    // Every phase runs at least once, however short the soak.
    let phase_seconds = (seconds / phases.len() as f64).clamp(0.5, 10.0);
    Ok(Run {
        seconds,
        seed,
        workers,
        ports,
        phase_seconds,
        phases,
    })
}

fn main() {
    // Behave as a test binary: `--list` names the one test; a name filter
    // that does not match "soak" skips it.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("soak: test");
        return;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if !filters.is_empty() && !filters.iter().any(|f| "soak".contains(f.as_str())) {
        println!("soak: skipped (filtered out)");
        return;
    }
    let status = match run_from_env().and_then(|run| soak(&run)) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(why) => {
            eprintln!("soak: cannot run: {why}");
            2
        }
    };
    std::process::exit(status);
}

/// `reset`, then the soak's standing keys, then the phase's keys.
fn apply_phase(sim: &Simulator, phase: &FaultPhase, seed: u64) -> Result<(), String> {
    let seed = seed.to_string();
    let standing = [
        ("reset", "now"),
        ("record_limit", "0"),
        ("seed", seed.as_str()),
    ];
    for (k, v) in standing.iter().chain(phase.keys) {
        sim.set(k, v).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn engine_config(port: u16) -> Result<capi::Config, String> {
    let mut cfg = capi::Config::new()?;
    let server = format!("127.0.0.1:{port}");
    let request = REQUEST_TIMEOUT_MS.to_string();
    let no_answer = NO_ANSWER_TIMEOUT_MS.to_string();
    for (k, v) in [
        ("server", server.as_str()),
        ("client_name", "IVR_SOAK"),
        ("request_timeout_ms", request.as_str()),
        ("no_answer_timeout_ms", no_answer.as_str()),
        ("connect_timeout_ms", "1000"),
        ("reconnect_min_ms", "20"),
        ("reconnect_max_ms", "200"),
        ("reconcile_calls", "callinfo"),
        ("event_queue_max", EVENT_QUEUE_MAX),
        ("trace_keep_ended", TRACE_KEEP_ENDED),
        ("log_level", "warn"),
    ] {
        cfg.set(k, v)?;
    }
    Ok(cfg)
}

fn soak(run: &Run) -> Result<bool, String> {
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "soak: {} s, seed {} (repeat with SOAK_SEED={}), {} workers x {} ports, {} phases of {:.1} s, {profile} build",
        run.seconds, run.seed, run.seed, run.workers, run.ports, run.phases.len(), run.phase_seconds
    );
    let crossing = Duration::from_millis(REQUEST_TIMEOUT_MS.min(NO_ANSWER_TIMEOUT_MS) - 100);
    let cases = self_check::run(crossing)?;
    println!("audit self-check: {cases} made-up cases judged as expected");
    let sim = Simulator::start("127.0.0.1:0").map_err(|e| format!("simulator: {e}"))?;
    let (routes, inboxes): (Vec<_>, Vec<_>) = (0..run.workers).map(|_| unbounded()).unzip();
    let hub = Arc::new(Hub::new(routes));
    let referee = Arc::new(Referee::new(hub.clone()));
    let audit = Arc::new(WireAudit::new(hub.clone(), referee.clone(), crossing));
    apply_phase(&sim, &PHASES[0], run.seed)?;
    let observer = audit.clone();
    sim.set_observer(Some(Arc::new(move |r| observer.observe(r))));
    let rss = rss::Sampler::start();

    let cfg = engine_config(sim.port())?;
    let engine = capi::Engine::new(
        &cfg,
        hub::on_event,
        hub::on_log,
        hub::userdata(&hub),
        hub::free_hub,
    )?;
    drop(cfg);
    let engine = Arc::new(engine);
    // The referee's way to the engine, emptied before the engine is freed.
    let engine_slot = Arc::new(Mutex::new(Some(engine.clone())));
    let referee_thread = referee.spawn(trace_source(engine_slot.clone()))?;
    if engine.wait_ready(10_000) != capi::OK {
        return Err(format!("engine not logged in: {}", capi::last_error()));
    }

    let control = Arc::new(Control {
        intake: AtomicBool::new(true),
    });
    let drain_limit = Duration::from_millis(2 * (REQUEST_TIMEOUT_MS + NO_ANSWER_TIMEOUT_MS) + 2000);
    let mut workers = Vec::new();
    for (index, rx) in inboxes.into_iter().enumerate() {
        let worker = Worker {
            index,
            engine: engine.clone(),
            hub: hub.clone(),
            audit: audit.clone(),
            control: control.clone(),
            rx,
            rng: rng::Rng::new(run.seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9)),
            ports: run.ports,
            drain_limit,
        };
        let handle = std::thread::Builder::new()
            .name(format!("soak-worker-{index}"))
            .spawn(move || worker.run())
            .map_err(|e| format!("worker thread: {e}"))?;
        workers.push(handle);
    }

    // Phases, cycling until the time is up.
    let started = Instant::now();
    let end = started + Duration::from_secs_f64(run.seconds);
    let phase_len = Duration::from_secs_f64(run.phase_seconds);
    let mut lines = Vec::new();
    let mut n = 0usize;
    while Instant::now() < end {
        let phase = run.phases[n % run.phases.len()];
        apply_phase(&sim, phase, run.seed.wrapping_add(n as u64))?;
        let line = run_phase(&sim, &hub, &audit, &rss, phase, n, end, phase_len);
        println!("{line}");
        if line.ops_ended == 0 {
            hub.violations.report(
                "phase-idle",
                format!("phase {} ({}): no operation ended", n + 1, phase.name),
            );
        }
        lines.push(line);
        sim.clear_records();
        n += 1;
    }
    let drive = started.elapsed();
    let ended_in_drive = hub.done_events.load(Ordering::SeqCst);

    // Stop intake, let every op in flight end, on a fault-free server.
    apply_phase(&sim, &PHASES[0], run.seed)?;
    control.intake.store(false, Ordering::SeqCst);
    let settle_started = Instant::now();
    let mut stats = WorkerStats::empty();
    for w in workers {
        match w.join() {
            Ok(s) => stats.add(&s),
            Err(_) => hub
                .violations
                .report("worker", "a worker thread panicked".into()),
        }
    }
    let settle = settle_started.elapsed();
    let open_after_settle = hub.ledger.lock().open();
    for op in &open_after_settle {
        hub.violations.report(
            "no-op-left-open",
            format!(
                "op {op} still open {:.1} s after intake stopped",
                settle.as_secs_f64()
            ),
        );
    }

    // Every suspect found so far is ruled on while the traces are there.
    referee.flush();

    // Shutdown ends whatever is left CANCELLED (that counts as its end);
    // free delivers the remaining events.
    let cancelled_before = hub.outcomes[capi::OUTCOME_CANCELLED as usize].load(Ordering::SeqCst);
    let code = engine.shutdown();
    if code != capi::OK {
        hub.violations.report(
            "shutdown",
            format!("ivrconf_engine_shutdown: {}", capi::code_name(code)),
        );
    }
    engine_slot.lock().take();
    match Arc::try_unwrap(engine) {
        Ok(engine) => engine.free(),
        Err(_) => hub.violations.report(
            "shutdown",
            "engine still shared after the workers ended".into(),
        ),
    }
    let cancelled_by_shutdown =
        hub.outcomes[capi::OUTCOME_CANCELLED as usize].load(Ordering::SeqCst) - cancelled_before;
    {
        let ledger = hub.ledger.lock();
        for op in ledger.open() {
            hub.violations.report(
                "one-done-per-op",
                format!("op {op} never got OPERATION_DONE, not even at shutdown"),
            );
        }
        for op in ledger.unknown_done() {
            hub.violations.report(
                "one-done-per-op",
                format!("OPERATION_DONE for op {op}, which no start call returned"),
            );
        }
    }
    sim.set_observer(None);
    sim.shutdown();
    referee.stop();
    if referee_thread.join().is_err() {
        hub.violations
            .report("worker", "the referee thread panicked".into());
    }
    let rss = rss.finish();

    let summary = report::Summary {
        run,
        drive,
        settle,
        ended_in_drive,
        cancelled_by_shutdown,
        phases: &lines,
        stats: &stats,
        hub: &hub,
        wire: audit.stats(),
        referee: referee.stats(),
        rss,
    };
    Ok(report::print(&summary))
}

/// The call's trace from the engine in the slot, while it is there.
fn trace_source(slot: Arc<Mutex<Option<Arc<capi::Engine>>>>) -> TraceSource {
    Box::new(move |call_id: &str| {
        let id = CString::new(call_id).map_err(|_| format!("call id {call_id:?} has a NUL"))?;
        let guard = slot.lock();
        let engine = guard.as_ref().ok_or("the engine was freed")?;
        engine
            .call_trace_jsonl(&id)
            .map_err(|code| format!("ivrconf_call_trace: {}", capi::code_name(code)))
    })
}

/// Runs one phase until its time (or the soak's) is up; its report line.
#[allow(clippy::too_many_arguments)]
fn run_phase(
    sim: &Simulator,
    hub: &Hub,
    audit: &WireAudit,
    rss: &rss::Sampler,
    phase: &FaultPhase,
    n: usize,
    end: Instant,
    len: Duration,
) -> PhaseLine {
    let start = Instant::now();
    let stop = (start + len).min(end);
    let done0 = hub.done_events.load(Ordering::SeqCst);
    let down0 = hub.sessions_down.load(Ordering::SeqCst);
    let wire0 = audit.stats();
    let violations0 = hub.violations.count();
    let mut last_action = start;
    let mut last_sweep = start;
    while Instant::now() < stop {
        std::thread::sleep(Duration::from_millis(20).min(stop - Instant::now().min(stop)));
        if let Some((key, every)) = phase.repeat {
            if last_action.elapsed() >= len.mul_f64(every) {
                let _ = sim.set(key, "now");
                last_action = Instant::now();
            }
        }
        if last_sweep.elapsed() >= SWEEP_EVERY {
            audit.sweep(SWEEP_ENDED_IDLE, SWEEP_IDLE);
            last_sweep = Instant::now();
        }
    }
    let wire = audit.stats();
    PhaseLine {
        number: n + 1,
        name: phase.name,
        seconds: start.elapsed().as_secs_f64(),
        ops_ended: hub.done_events.load(Ordering::SeqCst) - done0,
        links_lost: hub.sessions_down.load(Ordering::SeqCst) - down0,
        frames_in: wire.to_server - wire0.to_server,
        frames_out: wire.from_server - wire0.from_server,
        violations: hub.violations.count() - violations0,
        rss: rss.latest(),
    }
}
