//! The soak's printed report: one line per phase as it ends, then the
//! totals, the outcome histograms, the wire counts, RSS and the verdict.
//!
//! Formatting only: every number is computed elsewhere.

use std::fmt;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ivrconf::sim::Behaviour;

use crate::capi::{self, OpKind, OUTCOMES};
use crate::driver::WorkerStats;
use crate::hub::Hub;
use crate::referee::RefereeStats;
use crate::rss::{mb, RssSummary};
use crate::wire_audit::WireStats;
use crate::Run;

/// What one phase did.
pub struct PhaseLine {
    pub number: usize,
    pub name: &'static str,
    pub seconds: f64,
    pub ops_ended: u64,
    pub links_lost: u64,
    pub frames_in: u64,
    pub frames_out: u64,
    pub violations: usize,
    pub rss: u64,
}

impl fmt::Display for PhaseLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "phase {:>3} {:<22} {:>5.1} s  ops ended {:>7} ({:>6.0}/s)  frames in {:>8} out {:>8}  links lost {:>3}  violations {:>3}  rss {}",
            self.number,
            self.name,
            self.seconds,
            self.ops_ended,
            self.ops_ended as f64 / self.seconds.max(0.001),
            self.frames_in,
            self.frames_out,
            self.links_lost,
            self.violations,
            mb(self.rss)
        )
    }
}

pub struct Summary<'a> {
    pub run: &'a Run,
    pub drive: Duration,
    pub settle: Duration,
    pub ended_in_drive: u64,
    pub cancelled_by_shutdown: u64,
    pub phases: &'a [PhaseLine],
    pub stats: &'a WorkerStats,
    pub hub: &'a Hub,
    pub wire: WireStats,
    pub referee: RefereeStats,
    pub rss: RssSummary,
}

/// Outcome columns that are not all zero in `rows`.
fn columns(rows: &[[u64; 11]]) -> Vec<usize> {
    (1..11).filter(|&o| rows.iter().any(|r| r[o] > 0)).collect()
}

fn table(title: &str, names: &[&str], rows: &[[u64; 11]]) {
    let cols = columns(rows);
    print!("  {title:<22}");
    for &o in &cols {
        print!(" {:>9}", short(OUTCOMES[o]));
    }
    println!(" {:>9}", "total");
    for (name, row) in names.iter().zip(rows) {
        print!("  {name:<22}");
        for &o in &cols {
            print!(" {:>9}", row[o]);
        }
        println!(" {:>9}", row.iter().sum::<u64>());
    }
}

fn short(outcome: &str) -> &str {
    match outcome {
        "CONSULT_RELEASED" => "C_RELEASD",
        "RETRIEVE_FAILED" => "RETR_FAIL",
        "CALL_ENDED" => "CALL_END",
        other => other,
    }
}

/// Prints the report; true when no audit found anything.
pub fn print(s: &Summary) -> bool {
    let hub = s.hub;
    let secs = s.drive.as_secs_f64().max(0.001);
    let ledger = hub.ledger.lock();
    let (started, done) = (ledger.started, ledger.done);
    drop(ledger);
    println!();
    println!("== soak report (seed {}) ==", s.run.seed);
    let names: Vec<&str> = s.phases.iter().map(|p| p.name).collect();
    let distinct = s
        .run
        .phases
        .iter()
        .filter(|p| names.contains(&p.name))
        .count();
    println!(
        "driven {:.1} s in {} phases ({} of {} fault phases ran), settled in {:.1} s",
        secs,
        s.phases.len(),
        distinct,
        s.run.phases.len(),
        s.settle.as_secs_f64()
    );
    println!(
        "ops: started {started}, OPERATION_DONE {done} ({:.0} ops/s while driving; {} ended CANCELLED by shutdown)",
        s.ended_in_drive as f64 / secs,
        s.cancelled_by_shutdown
    );
    println!(
        "calls announced {}; completes accepted {} refused {}; cancels accepted {} refused {}",
        s.stats.calls,
        s.stats.completes.0,
        s.stats.completes.1,
        s.stats.cancels.0,
        s.stats.cancels.1
    );
    let refusals: Vec<String> = s
        .stats
        .start_refusals
        .iter()
        .map(|(c, n)| format!("{} {n}", capi::code_name(*c)))
        .collect();
    println!(
        "start refusals: {}",
        if refusals.is_empty() {
            "none".into()
        } else {
            refusals.join(", ")
        }
    );
    println!(
        "sessions: up {}, down {}; engine log lines: warn {}, error {}",
        hub.sessions_up.load(Ordering::SeqCst),
        hub.sessions_down.load(Ordering::SeqCst),
        hub.log_warn.load(Ordering::SeqCst),
        hub.log_error.load(Ordering::SeqCst)
    );
    for line in hub.first_errors.lock().iter() {
        println!("  engine error log: {line}");
    }
    print!("outcomes:");
    for (o, name) in OUTCOMES.iter().enumerate().skip(1) {
        print!(" {name} {}", hub.outcomes[o].load(Ordering::SeqCst));
    }
    println!();
    let behaviours: Vec<&str> = Behaviour::ALL.iter().map(|b| b.name()).collect();
    table("destination", &behaviours, &s.stats.by_behaviour);
    let kinds: Vec<&str> = OpKind::ALL.iter().map(|k| k.name()).collect();
    table("operation", &kinds, &s.stats.by_kind);
    let w = &s.wire;
    let r = &s.referee;
    println!(
        "wire: frames to server {}, from server {}; RetrieveCall {}; CallError {} ({} answering an init/complete); crossings excused: cancel {}, timer {}, wire delay {}, status {}; calls tracked at most {}",
        w.to_server, w.from_server, w.retrieves, w.call_errors, w.errored_requests, w.excused_cancel, w.excused_timer, r.wire_delay, r.status_crossing, w.calls_tracked_max
    );
    let unknown: Vec<String> = r
        .unknown_why
        .iter()
        .map(|(why, n)| format!("{n}: {why}"))
        .collect();
    println!(
        "retrieve-after-callerror suspects ruled by the engine's trace: {} (sent on a timer before the CallError came in, excused {}; sent on a status the server wrote before it read the request, excused {}; engine had the CallError {}; sent not on a timer {}; trace could not tell {}{})",
        r.suspects,
        r.wire_delay,
        r.status_crossing,
        r.had_error,
        r.not_on_timer,
        r.unknown,
        if unknown.is_empty() {
            String::new()
        } else {
            format!(" [{}]", unknown.join("; "))
        }
    );
    for example in &r.examples {
        println!("  crossing: {example}");
    }
    println!(
        "rss: first {}, max {}, last {} ({} samples, 1/s)",
        mb(s.rss.first),
        mb(s.rss.max),
        mb(s.rss.last),
        s.rss.samples
    );
    let total = hub.violations.count();
    if total == 0 {
        println!("violations: none");
        println!("soak: ok");
        return true;
    }
    let by_rule: Vec<String> = hub
        .violations
        .by_rule()
        .iter()
        .map(|(r, n)| format!("{r} {n}"))
        .collect();
    println!("violations: {total} ({})", by_rule.join(", "));
    for (rule, text) in hub.violations.first().iter().take(10) {
        println!("  [{rule}] {text}");
    }
    println!("soak: FAILED");
    false
}
