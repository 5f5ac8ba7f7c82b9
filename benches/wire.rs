//! Wire-layer benchmarks: decode and encode of a `CallStatus` frame and of a
//! `NewCall` with 10 user-data nodes, against the floor of a bare quick-xml
//! token pass over the same bytes (docs/BENCHMARKS.md, "Wire").
//!
//! Run: `cargo bench --bench wire`. Throughput is one frame per iteration, so
//! criterion's "thrpt" reads as frames per second.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ivrconf::wire::*;

#[path = "common/payloads.rs"]
mod payloads;
use payloads::{call_status, new_call_10_nodes, token_pass};

fn bench_message(c: &mut Criterion, label: &str, msg: &Message) {
    let frame = encode_frame(msg).expect("encodable");
    let payload = frame[HEADER_LEN..].to_vec();
    assert_eq!(decode(&payload).as_ref(), Ok(msg));

    let mut group = c.benchmark_group(label);
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode", |b| b.iter(|| decode(black_box(&payload))));
    group.bench_function("quick_xml_floor", |b| {
        b.iter(|| token_pass(black_box(&payload)))
    });
    group.bench_function("frame_reader", |b| {
        let mut reader = FrameReader::new();
        b.iter(|| {
            reader.push(black_box(&frame));
            reader.next()
        })
    });
    group.bench_function("encode_frame", |b| b.iter(|| encode_frame(black_box(msg))));
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_message(c, "call_status", &call_status());
    bench_message(c, "new_call_10_udata", &new_call_10_nodes());
}

criterion_group!(wire, benches);
criterion_main!(wire);
