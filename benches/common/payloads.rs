//! The two payloads every decode figure is taken on, shared by
//! `benches/wire.rs` (criterion) and the `make bench` suite
//! (`benches/suite/`): a `CallStatus Event="Held"` and a `NewCall` with
//! `CalledNum`, `DNIS`, `ANI` and 10 user-data nodes (4 `Int`, 6 `Str`),
//! and the floor decode is measured against: a bare quick-xml token pass.

use ivrconf::wire::*;
use quick_xml::events::Event as XmlEvent;
use quick_xml::Reader;

/// `CallStatus Event="Held"` for call `C0001` (149 bytes of XML).
pub fn call_status() -> Message {
    Message::new("C0001", Body::CallStatus(CallStatus::of(StatusEvent::Held)))
}

/// `NewCall` for call `C0001` with 10 user-data nodes (747 bytes of XML).
pub fn new_call_10_nodes() -> Message {
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

/// The floor: quick-xml tokenising the payload, every event read and
/// dropped, nothing else (no attribute read, no string kept).
pub fn token_pass(payload: &[u8]) -> usize {
    let mut reader = Reader::from_reader(payload);
    let mut n = 0;
    loop {
        match reader.read_event() {
            Ok(XmlEvent::Eof) | Err(_) => return n,
            Ok(_) => n += 1,
        }
    }
}
