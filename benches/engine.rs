//! End-to-end engine figures over loopback TCP against the bundled
//! simulator: one-step conferences completed per second (the whole path:
//! C-API-level call -> core thread -> writer -> simulator -> reader -> flow
//! -> dispatcher -> callback), with many calls in flight at once, and the
//! round-trip latency of one operation on an idle engine.
//!
//! Not part of `make test`'s timing: `cargo bench --bench engine`.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use crossbeam_channel::unbounded;
use ivrconf::engine::{Config, Engine, Event, Handlers};
use ivrconf::flow::{CallEventKind, OpKind};
use ivrconf::sim::Simulator;

fn engine(sim: &Simulator) -> (Engine, crossbeam_channel::Receiver<u64>) {
    let mut cfg = Config::default();
    cfg.set("server", &format!("127.0.0.1:{}", sim.port())).ok();
    cfg.set("client_name", "BENCH").ok();
    let (tx, rx) = unbounded();
    let handlers = Handlers {
        on_event: Some(Box::new(move |e: Event| {
            if let Some(c) = e.call() {
                if c.kind == CallEventKind::OperationDone {
                    let _ = tx.send(c.op_id);
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
    done: &crossbeam_channel::Receiver<u64>,
    n: usize,
    round: u64,
) -> Duration {
    let ids: Vec<String> = (0..n).map(|i| format!("B{round}-{i}")).collect();
    for id in &ids {
        engine.call_new(id, "5001", None, None, vec![]).ok();
    }
    let start = Instant::now();
    for id in &ids {
        engine
            .start(id, OpKind::ConferenceOneStep, "6001", vec![])
            .ok();
    }
    for _ in 0..n {
        if done.recv_timeout(Duration::from_secs(10)).is_err() {
            panic!("an operation did not end");
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
    let (engine, done) = engine(&sim);
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
                total += batch(&engine, &done, CALLS, round);
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
                total += batch(&engine, &done, 1, round);
            }
            total
        })
    });
    g.finish();
    engine.free();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
