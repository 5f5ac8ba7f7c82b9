//! Fuzz target for the wire layer: arbitrary bytes through `decode`
//! directly, and through `FrameReader` cut into arbitrary chunks.
//!
//! Checks more than "no panic": the decoder's plain path must agree with
//! its quick-xml event path (`decode` vs `decode_by_events`, errors
//! included), the reader must agree with a one-shot read of the same bytes
//! (chunking never changes what comes out), and every message decoded must
//! survive an encode/decode round trip whenever the encoder accepts it.
//!
//! Arbitrary bytes seldom reach the plain path's form; when the seed byte's
//! top bit is set, the stream is spliced into a plain `NewCall` payload
//! instead (its user-data list), so edits land inside the form.

#![no_main]

use ivrconf::wire::{decode, decode_by_events, encode, FrameReader, Inbound};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte seeds the chunk sizes; the rest is the stream.
    let Some((&seed, stream)) = data.split_first() else {
        return;
    };

    // 0. The two decode paths, on the stream and on a plain payload with
    //    the stream spliced in.
    assert_eq!(
        decode(stream),
        decode_by_events(stream),
        "decode paths differ"
    );
    if seed & 0x80 != 0 {
        let spliced = [PLAIN_HEAD, stream, PLAIN_TAIL].concat();
        assert_eq!(
            decode(&spliced),
            decode_by_events(&spliced),
            "decode paths differ"
        );
    }

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

/// A plain `NewCall` payload around the spliced bytes.
const PLAIN_HEAD: &[u8] = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\
<!DOCTYPE GctiMsg SYSTEM \"IServer.dtd\"><GctiMsg><CallId>C0001</CallId>\
<NewCall CallControlMode=\"Network\"><CalledNum>5001</CalledNum><UDataEx>\
<Node Name=\"k\" Type=\"Str\" Val=\"v\"/>";
const PLAIN_TAIL: &[u8] = b"</UDataEx></NewCall></GctiMsg>";

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
