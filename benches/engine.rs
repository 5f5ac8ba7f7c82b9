//! End-to-end engine figures over loopback TCP against the bundled
//! simulator: one-step conferences completed per second (the whole path:
//! C-API-level call -> core thread -> writer -> simulator -> reader -> flow
//! -> dispatcher -> callback), with many calls in flight at once, the
//! round-trip latency of one operation on an idle engine, and consult
//! conferences (InitConf, statuses, CompleteConf, merge) with the flight
//! recorder on and off.
//!
//! Not part of `make test`'s timing: `cargo bench --bench engine`.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use crossbeam_channel::unbounded;
use ivrconf::engine::{Config, Engine, Event, Handlers};
use ivrconf::flow::{CallEventKind, OpKind};
use ivrconf::sim::Simulator;
use ivrconf::wire::StatusEvent;

/// What the bench waits for: an op ended, or a consult leg answered.
enum Seen {
    Done,
    Established(String),
}

fn start_engine(
    sim: &Simulator,
    trace_max_entries: &str,
) -> (Engine, crossbeam_channel::Receiver<Seen>) {
    let mut cfg = Config::default();
    cfg.set("server", &format!("127.0.0.1:{}", sim.port())).ok();
    cfg.set("client_name", "BENCH").ok();
    cfg.set("trace_max_entries", trace_max_entries).ok();
    let (tx, rx) = unbounded();
    let handlers = Handlers {
        on_event: Some(Box::new(move |e: Event| {
            if let Event::Call(c, _) = e {
                match c.kind {
                    CallEventKind::OperationDone => {
                        let _ = tx.send(Seen::Done);
                    }
                    CallEventKind::CallStatus if c.status == Some(StatusEvent::Established) => {
                        let _ = tx.send(Seen::Established(c.call_id.to_string()));
                    }
                    _ => {}
                }
            }
        })),
        ..Default::default()
    };
    let engine = match Engine::new(cfg, handlers) {
        Ok(e) => e,
        Err(e) => panic!("engine: {e}"),
    };
    assert!(matches!(
        engine.wait_ready(Duration::from_secs(5)),
        Ok(true)
    ));
    (engine, rx)
}

/// Runs `n` one-step conferences with all `n` calls in flight at once;
/// returns the time from the first request to the last OPERATION_DONE.
fn batch(
    engine: &Engine,
    seen: &crossbeam_channel::Receiver<Seen>,
    n: usize,
    round: u64,
    kind: OpKind,
) -> Duration {
    let ids: Vec<String> = (0..n).map(|i| format!("B{round}-{i}")).collect();
    for id in &ids {
        engine.call_new(id, "5001", None, None, vec![]).ok();
    }
    let start = Instant::now();
    for id in &ids {
        engine.start(id, kind, "6001", vec![]).ok();
    }
    let mut done = 0;
    while done < n {
        match seen.recv_timeout(Duration::from_secs(10)) {
            Ok(Seen::Done) => done += 1,
            // A consult leg answered: complete the conference.
            Ok(Seen::Established(id)) => {
                engine.complete(&id, OpKind::ConferenceComplete).ok();
            }
            Err(_) => panic!("an operation did not end"),
        }
    }
    let took = start.elapsed();
    for id in &ids {
        engine.call_end(id).ok();
    }
    took
}

fn benches(c: &mut Criterion) {
    let sim = match Simulator::start("127.0.0.1:0") {
        Ok(s) => s,
        Err(e) => panic!("simulator: {e}"),
    };
    let (engine, done) = start_engine(&sim, "512");
    let mut round = 0u64;

    let mut g = c.benchmark_group("engine");
    const CALLS: usize = 1000;
    g.throughput(Throughput::Elements(CALLS as u64));
    g.sample_size(10);
    g.bench_function("one_step_conference_1000_in_flight", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                round += 1;
                total += batch(&engine, &done, CALLS, round, OpKind::ConferenceOneStep);
            }
            total
        })
    });
    g.throughput(Throughput::Elements(1));
    g.sample_size(50);
    g.bench_function("one_step_conference_round_trip", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                round += 1;
                total += batch(&engine, &done, 1, round, OpKind::ConferenceOneStep);
            }
            total
        })
    });
    g.finish();
    engine.free();

    // The flight recorder's cost: the same consult conferences with
    // recording on (the default, 512 entries per call) and off.
    let mut g = c.benchmark_group("consult_conference");
    const CONSULTS: usize = 500;
    g.throughput(Throughput::Elements(CONSULTS as u64));
    g.sample_size(10);
    for (name, entries) in [("recording_on", "512"), ("recording_off", "0")] {
        let (engine, seen) = start_engine(&sim, entries);
        g.bench_function(format!("{name}_500_in_flight"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    round += 1;
                    total += batch(&engine, &seen, CONSULTS, round, OpKind::ConferenceConsult);
                }
                total
            })
        });
        engine.free();
    }
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
