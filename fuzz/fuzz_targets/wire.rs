//! Fuzz target for the wire layer: arbitrary bytes through `decode`
//! directly, and through `FrameReader` cut into arbitrary chunks.
//!
//! Checks more than "no panic": the reader must agree with a one-shot read
//! of the same bytes (chunking never changes what comes out), and every
//! message decoded must survive an encode/decode round trip whenever the
//! encoder accepts it.

#![no_main]

use ivrconf::wire::{decode, encode, FrameReader, Inbound};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte seeds the chunk sizes; the rest is the stream.
    let Some((&seed, stream)) = data.split_first() else {
        return;
    };

    // 1. The payload decoder on its own, and a round trip of what it gives.
    //    The first re-encoding may lose spaces around a value a server sent
    //    as an attribute and we write as child text (trimmed on decode,
    //    PROTOCOL.md 2.1); from then on encode/decode must be a fixpoint,
    //    and whatever the encoder accepts our decoder must accept.
    if let Ok(msg) = decode(stream) {
        if let Ok(bytes) = encode(&msg) {
            let once = decode(&bytes).expect("our own encoding must decode");
            assert_eq!(once.call_id, msg.call_id);
            assert_eq!(once.name(), msg.name());
            let again = encode(&once).expect("a decoded message re-encodes");
            assert_eq!(decode(&again).expect("decodes"), once, "not a fixpoint");
        }
    }

    // 2. The stream reader: all at once vs. in chunks must agree.
    let whole = read_all(stream, &[stream.len().max(1)]);
    let sizes: Vec<usize> = (0..16u8)
        .map(|i| usize::from(seed.rotate_left(u32::from(i)) % 17) + 1)
        .collect();
    let chunked = read_all(stream, &sizes);
    assert_eq!(whole, chunked, "chunking changed the result");
});

fn read_all(stream: &[u8], sizes: &[usize]) -> Vec<String> {
    let mut reader = FrameReader::new();
    let mut out = Vec::new();
    let mut rest = stream;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].min(rest.len());
        reader.push(&rest[..n]);
        rest = &rest[n..];
        i += 1;
        for item in reader.by_ref() {
            out.push(match item {
                Ok(Inbound::Message(m)) => format!("{m:?}"),
                Ok(other) => format!("{other:?}"),
                // The log context (bytes after the header) depends on what
                // was buffered when the header was checked; the kind not.
                Err(e) => format!("protocol {:?}", e.kind),
            });
        }
    }
    out
}
