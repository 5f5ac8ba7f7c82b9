//! Cuts the received byte stream into whole frames, keeping each frame's raw
//! bytes for the traffic record.
//!
//! The codec's `FrameReader` hands out decoded messages only; the simulator
//! must also record exactly what arrived, so it splits frames itself (same
//! header rules as PROTOCOL.md 1.4/1.5) and decodes each XML payload with
//! `wire::decode`.

/// Frame types of the 6-byte header (PROTOCOL.md 1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    KeepAliveRequest,
    KeepAliveAck,
    ErrorAck,
    Xml,
}

/// One whole frame as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFrame {
    pub kind: Kind,
    /// Header and payload.
    pub bytes: Vec<u8>,
}

impl RawFrame {
    /// The payload (after the 6-byte header).
    pub fn payload(&self) -> &[u8] {
        self.bytes.get(6..).unwrap_or(&[])
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

    /// Takes up to `max` buffered bytes (the evidence of a bad header).
    pub fn take_rest(&mut self, max: usize) -> Vec<u8> {
        let n = self.buf.len().min(max);
        self.buf.drain(..n).collect()
    }

    /// The next whole frame; `Some(Err(reason))` for a bad header (the
    /// stream is out of step: the caller closes the connection).
    pub fn next_frame(&mut self) -> Option<Result<RawFrame, &'static str>> {
        if self.buf.len() < 6 {
            return None;
        }
        let h = &self.buf[..6];
        // Checked before waiting for the payload, in the order of 1.5.
        if h[0] != 0 {
            return Some(Err("byte0 != 0"));
        }
        let kind = match h[1] {
            0 => Kind::KeepAliveRequest,
            1 => Kind::KeepAliveAck,
            2 => Kind::ErrorAck,
            3 => Kind::Xml,
            _ => return Some(Err("unknown frame type")),
        };
        if h[4] != 2 {
            return Some(Err("bad version byte"));
        }
        let length = usize::from(u16::from_be_bytes([h[2], h[3]]));
        if length < 2 {
            return Some(Err("length < 2"));
        }
        let need = length + 4;
        if self.buf.len() < need {
            return None;
        }
        let bytes: Vec<u8> = self.buf.drain(..need).collect();
        Some(Ok(RawFrame { kind, bytes }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_byte_by_byte_and_checks_headers_early() {
        let mut s = Splitter::new();
        let stream = [0u8, 0, 0, 2, 2, 0, 0, 3, 0, 3, 2, 0, b'x'];
        let mut got = vec![];
        for b in stream {
            s.push(&[b]);
            while let Some(f) = s.next_frame() {
                got.push(f);
            }
        }
        assert_eq!(got.len(), 2);
        assert!(matches!(&got[0], Ok(f) if f.kind == Kind::KeepAliveRequest));
        assert!(matches!(&got[1], Ok(f) if f.payload() == b"x"));
        let mut bad = Splitter::new();
        bad.push(&[0, 9, 0, 2, 2, 0]);
        assert_eq!(bad.next_frame(), Some(Err("unknown frame type")));
        let mut short = Splitter::new();
        short.push(&[0, 3, 0, 1, 2, 0]);
        assert_eq!(short.next_frame(), Some(Err("length < 2")));
    }
}
