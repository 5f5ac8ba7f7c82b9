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
use quick_xml::events::Event as XmlEvent;
use quick_xml::Reader;

fn call_status() -> Message {
    Message::new("C0001", Body::CallStatus(CallStatus::of(StatusEvent::Held)))
}

fn new_call_10_nodes() -> Message {
    Message::new(
        "C0001",
        Body::NewCall(NewCall {
            call_control_mode: Some("Network".into()),
            version: Some("4.0".into()),
            called_num: "5001".into(),
            dnis: Some("8005551212".into()),
            ani: Some("4155550100".into()),
            udata: (0..10)
                .map(|i| {
                    if i % 3 == 0 {
                        KeyValue::int(format!("Count{i}"), i * 1000)
                    } else {
                        KeyValue::str(format!("Key{i}"), format!("Value number {i}"))
                    }
                })
                .collect(),
            extensions: Vec::new(),
        }),
    )
}

/// The floor: quick-xml tokenising the payload, nothing else.
fn token_pass(payload: &[u8]) -> usize {
    let mut reader = Reader::from_reader(payload);
    let mut n = 0;
    loop {
        match reader.read_event() {
            Ok(XmlEvent::Eof) | Err(_) => return n,
            Ok(_) => n += 1,
        }
    }
}

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
