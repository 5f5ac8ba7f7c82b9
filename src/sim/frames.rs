//! Cuts the received byte stream into whole frames, keeping each frame's raw
//! bytes for the traffic record.
//!
//! The codec's `FrameReader` hands out decoded messages only; the simulator
//! must also record exactly what arrived (byte 5 included, which the codec
//! ignores), so it splits frames itself with the codec's own header check
//! (`wire::check_header`, PROTOCOL.md 1.5) and decodes each XML payload with
//! `wire::decode`.

use crate::wire::{check_header, FrameType, ProtocolError, HEADER_LEN};

/// One whole frame as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFrame {
    pub frame_type: FrameType,
    /// Header and payload.
    pub bytes: Vec<u8>,
}

impl RawFrame {
    /// The payload (after the 6-byte header).
    pub fn payload(&self) -> &[u8] {
        self.bytes.get(HEADER_LEN..).unwrap_or(&[])
    }
}

/// Reassembly buffer for one connection.
#[derive(Debug, Default)]
pub struct Splitter {
    buf: Vec<u8>,
}

impl Splitter {
    pub fn new() -> Self {
        Splitter::default()
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame; `Some(Err(..))` for a bad header (checked as
    /// soon as 6 bytes are in, before the payload): the stream is out of
    /// step and the caller closes the connection.
    pub fn next_frame(&mut self) -> Option<Result<RawFrame, ProtocolError>> {
        if self.buf.len() < HEADER_LEN {
            return None;
        }
        let header = match check_header(&self.buf) {
            Ok(h) => h,
            Err(e) => return Some(Err(e)),
        };
        let need = header.frame_len();
        if self.buf.len() < need {
            return None;
        }
        let bytes: Vec<u8> = self.buf.drain(..need).collect();
        Some(Ok(RawFrame {
            frame_type: header.frame_type,
            bytes,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_byte_by_byte_and_checks_headers_early() {
        let mut s = Splitter::new();
        let stream = [0u8, 0, 0, 2, 2, 0, 0, 3, 0, 3, 2, 7, b'x'];
        let mut got = vec![];
        for b in stream {
            s.push(&[b]);
            while let Some(f) = s.next_frame() {
                got.push(f);
            }
        }
        assert_eq!(got.len(), 2);
        assert!(matches!(&got[0], Ok(f) if f.frame_type == FrameType::KeepAliveRequest));
        assert!(matches!(&got[1], Ok(f) if f.payload() == b"x" && f.bytes[5] == 7));
        let mut bad = Splitter::new();
        bad.push(&[0, 9, 0, 2, 2, 0]);
        assert!(matches!(bad.next_frame(), Some(Err(e)) if e.reason() == "unknown frame type"));
        let mut short = Splitter::new();
        short.push(&[0, 3, 0, 1, 2, 0]);
        assert!(matches!(short.next_frame(), Some(Err(e)) if e.reason() == "length < 2"));
    }
}
