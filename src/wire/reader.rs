//! Stream helper for the engine and the simulator: received bytes in,
//! classified inbound items out (PROTOCOL.md 1.3, 1.4, 2.6).
//!
//! Joins the reassembler and the decoder so both shells handle a connection
//! the same way: a decode error drops one message and reading goes on; a
//! protocol error ends the stream. Must not answer keep-alives or log: the
//! caller owns the socket and decides (a `KeepAliveRequest` means "write
//! [`KEEPALIVE_ACK`](super::frame::KEEPALIVE_ACK) now"). The payload
//! bytes it hands out on request come back to it when dropped, from
//! whichever thread: a short lock on a list of spare buffers, the only
//! shared state here.

use std::sync::Arc;

use parking_lot::Mutex;

use super::codec::{decode, DecodeError};
use super::frame::{FrameType, ProtocolError};
use super::message::Message;
use super::reassembler::Reassembler;

/// Most payload bytes an [`Inbound::DecodeError`] keeps for the log line
/// (PROTOCOL.md 2.6).
pub const MAX_LOGGED_PAYLOAD: usize = 512;

/// One item read from the connection.
// Not boxed: the shape is the agreed API, and each item is moved once from
// the reader to its handler, so the size costs nothing measurable.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// Answer at once with a keep-alive ack; any payload is ignored.
    KeepAliveRequest { payload: Vec<u8> },
    /// Traffic was seen; nothing else to do.
    KeepAliveAck { payload: Vec<u8> },
    /// Log at warn (payload in hex) and ignore.
    ErrorAck { payload: Vec<u8> },
    /// A decoded XML message (possibly `Body::Unknown`).
    Message(Message),
    /// The XML frame could not be decoded: drop the message, keep the
    /// connection, and log the reason with the payload's first bytes.
    DecodeError {
        error: DecodeError,
        /// The payload exactly as received (no header), cut to its first
        /// [`MAX_LOGGED_PAYLOAD`] bytes.
        payload: Vec<u8>,
        /// The whole payload's length; more than `payload.len()` when cut.
        payload_len: usize,
    },
}

/// Reads frames and decodes XML payloads from a byte stream.
///
/// Feed it with [`FrameReader::push`], then drain it as an iterator until it
/// returns `None` (more bytes needed). After a `Some(Err(_))` the stream is
/// dead: it returns `None` for good. Not fused on purpose: `None` before a
/// protocol error only means "wait for more bytes".
#[derive(Debug, Default)]
pub struct FrameReader {
    frames: Reassembler,
    /// Buffers of [`PayloadBytes`] handed out and dropped since.
    spare: Spare,
}

impl FrameReader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes (any chunking).
    pub fn push(&mut self, bytes: &[u8]) {
        self.frames.push(bytes);
    }

    /// Bytes held that do not yet make a whole frame.
    pub fn buffered_len(&self) -> usize {
        self.frames.buffered_len()
    }

    /// True once a protocol error has been reported.
    pub fn is_dead(&self) -> bool {
        self.frames.is_dead()
    }
}

/// One XML payload exactly as received, kept beside its decoded message
/// for a caller that records the wire (the flight recorder).
pub type RawPayload = Option<PayloadBytes>;

/// Buffers kept for reuse, at most this many...
const SPARE_BUFFERS: usize = 32;
/// ...and none bigger than this (a rare large payload is not held on to).
const SPARE_CAPACITY: usize = 4096;

/// Emptied payload buffers waiting to be filled again, shared between a
/// reader and the payloads it handed out (they may be dropped on another
/// thread).
type Spare = Arc<Mutex<Vec<Vec<u8>>>>;

/// The bytes of one payload. Dropping it gives its buffer back to the
/// reader that filled it, so a connection whose payloads are recorded and
/// dropped one by one reuses a few buffers instead of allocating one per
/// frame.
#[derive(Debug)]
pub struct PayloadBytes {
    bytes: Vec<u8>,
    spare: Spare,
}

impl std::ops::Deref for PayloadBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl AsRef<[u8]> for PayloadBytes {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for PayloadBytes {
    fn drop(&mut self) {
        if self.bytes.capacity() > SPARE_CAPACITY {
            return;
        }
        let mut spare = self.spare.lock();
        if spare.len() < SPARE_BUFFERS {
            spare.push(std::mem::take(&mut self.bytes));
        }
    }
}

impl FrameReader {
    /// Like [`Iterator::next`], and for an XML frame also its payload bytes
    /// as received (copied into a reused buffer; keep-alive payloads are in
    /// the item already).
    pub fn next_with_payload(&mut self) -> Option<Result<(Inbound, RawPayload), ProtocolError>> {
        self.read_one(true)
    }

    fn read_one(&mut self, keep: bool) -> Option<Result<(Inbound, RawPayload), ProtocolError>> {
        let (header, payload) = match self.frames.next_frame_ref()? {
            Ok(frame) => frame,
            Err(e) => return Some(Err(e)),
        };
        let raw = (keep && header.frame_type == FrameType::Xml).then(|| {
            let mut bytes = self.spare.lock().pop().unwrap_or_default();
            bytes.clear();
            bytes.extend_from_slice(payload);
            PayloadBytes {
                bytes,
                spare: self.spare.clone(),
            }
        });
        Some(Ok((classify(header.frame_type, payload), raw)))
    }
}

impl Iterator for FrameReader {
    type Item = Result<Inbound, ProtocolError>;

    /// The next item, `None` when more bytes are needed or the stream is dead.
    fn next(&mut self) -> Option<Self::Item> {
        self.read_one(false).map(|r| r.map(|(item, _)| item))
    }
}

/// One whole frame's payload as an inbound item.
fn classify(frame_type: FrameType, payload: &[u8]) -> Inbound {
    // XML is decoded straight from the receive buffer; only the non-XML
    // payloads (rare, ignored) are copied out.
    match frame_type {
        FrameType::Xml => match decode(payload) {
            Ok(msg) => Inbound::Message(msg),
            Err(error) => Inbound::DecodeError {
                error,
                payload: payload[..payload.len().min(MAX_LOGGED_PAYLOAD)].to_vec(),
                payload_len: payload.len(),
            },
        },
        FrameType::KeepAliveRequest => Inbound::KeepAliveRequest {
            payload: payload.to_vec(),
        },
        FrameType::KeepAliveAck => Inbound::KeepAliveAck {
            payload: payload.to_vec(),
        },
        FrameType::ErrorAck => Inbound::ErrorAck {
            payload: payload.to_vec(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::frame::{frame_bytes, KEEPALIVE_REQUEST};
    use crate::wire::message::{Body, CallStatus, StatusEvent};

    #[test]
    fn keepalive_then_message_then_bad_header() {
        let msg = Message::new("C1", Body::CallStatus(CallStatus::of(StatusEvent::Busy)));
        let mut bytes = KEEPALIVE_REQUEST.to_vec();
        bytes.extend(crate::wire::encode_frame(&msg).unwrap());
        bytes.extend(frame_bytes(FrameType::Xml, b"<GctiMsg/>"));
        bytes.extend([0, 3, 0, 2, 9, 0]);
        bytes.extend(KEEPALIVE_REQUEST);
        let mut r = FrameReader::new();
        r.push(&bytes);
        assert_eq!(
            r.next(),
            Some(Ok(Inbound::KeepAliveRequest { payload: vec![] }))
        );
        assert_eq!(r.next(), Some(Ok(Inbound::Message(msg))));
        assert_eq!(
            r.next(),
            Some(Ok(Inbound::DecodeError {
                error: DecodeError::NoMessageElement,
                payload: b"<GctiMsg/>".to_vec(),
                payload_len: 10,
            }))
        );
        assert!(matches!(r.next(), Some(Err(_))));
        assert_eq!(r.next(), None);
        r.push(&KEEPALIVE_REQUEST);
        assert_eq!(r.next(), None);
        assert!(r.is_dead());
    }

    #[test]
    fn payload_buffers_are_reused_once_dropped_and_hold_each_frame_exactly() {
        let payloads: [&[u8]; 3] = [b"<GctiMsg>longer</GctiMsg>", b"<a/>", b"<b/>"];
        let mut r = FrameReader::new();
        for p in payloads {
            r.push(&frame_bytes(FrameType::Xml, p));
        }
        let mut next = || match r.next_with_payload() {
            Some(Ok((_, Some(raw)))) => raw,
            other => panic!("{other:?}"),
        };
        let first = next();
        assert_eq!(&*first, payloads[0]);
        let at = first.bytes.as_ptr();
        drop(first);
        let second = next();
        assert_eq!(&*second, payloads[1]);
        assert_eq!(
            second.bytes.as_ptr(),
            at,
            "the first frame's buffer, filled again"
        );
        // Still held while the next frame is read: that one gets its own.
        let third = next();
        assert_eq!(&*third, payloads[2]);
        assert_ne!(third.bytes.as_ptr(), at);
        drop((second, third));
        assert_eq!(r.spare.lock().len(), 2, "both buffers back for reuse");
    }

    #[test]
    fn a_large_payload_buffer_is_not_kept_for_reuse() {
        let mut big = b"<GctiMsg>".to_vec();
        big.resize(SPARE_CAPACITY + 1, b'x');
        let mut r = FrameReader::new();
        r.push(&frame_bytes(FrameType::Xml, &big));
        match r.next_with_payload() {
            Some(Ok((_, Some(raw)))) => assert_eq!(&*raw, &big[..]),
            other => panic!("{other:?}"),
        }
        assert_eq!(r.spare.lock().len(), 0);
    }

    #[test]
    fn a_decode_error_keeps_the_first_512_payload_bytes_as_received() {
        // Not Latin-1 text the decoder could accept: a 0x01 byte, then
        // enough padding that the payload must be cut.
        let mut payload = b"<GctiMsg>\x01\xe9".to_vec();
        payload.resize(MAX_LOGGED_PAYLOAD + 100, b'x');
        let mut r = FrameReader::new();
        r.push(&frame_bytes(FrameType::Xml, &payload));
        r.push(&frame_bytes(FrameType::Xml, b"<short>"));
        match r.next() {
            Some(Ok(Inbound::DecodeError {
                error: _,
                payload: kept,
                payload_len,
            })) => {
                assert_eq!(payload_len, MAX_LOGGED_PAYLOAD + 100);
                assert_eq!(kept, payload[..MAX_LOGGED_PAYLOAD]);
            }
            other => panic!("{other:?}"),
        }
        match r.next() {
            Some(Ok(Inbound::DecodeError {
                payload: kept,
                payload_len: 7,
                ..
            })) => assert_eq!(kept, b"<short>"),
            other => panic!("{other:?}"),
        }
    }
}
