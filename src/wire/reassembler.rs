//! Incremental reassembly of frames from a TCP byte stream (PROTOCOL.md 1.4).
//!
//! Owns the receive buffer: bytes go in however the socket chunks them,
//! whole frames come out. Checks each header as soon as its 6 bytes are in,
//! before any payload arrives. Must not decode payloads, answer keep-alives or
//! read the socket itself: it is fed bytes and asked for frames.

use super::frame::{check_header, Frame, Header, ProtocolError, HEADER_LEN};

/// Cuts whole frames out of a byte stream.
///
/// After a protocol error the stream is out of step for good: every later
/// call to [`Reassembler::next_frame`] returns `None` and pushed bytes are
/// dropped.
#[derive(Debug, Default)]
pub struct Reassembler {
    buf: Vec<u8>,
    /// Start of the unread bytes in `buf`; consumed bytes are dropped lazily
    /// (on the next push) so cutting several frames out of one read moves
    /// the remainder once, not once per frame.
    start: usize,
    dead: bool,
}

impl Reassembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes. The buffer grows only as bytes arrive, never
    /// to a frame's announced size up front.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.dead {
            return;
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame, `None` when more bytes are needed (or the stream
    /// is dead), `Some(Err)` once on a bad header.
    pub fn next_frame(&mut self) -> Option<Result<Frame, ProtocolError>> {
        match self.next_frame_ref()? {
            Ok((header, payload)) => Some(Ok(Frame {
                frame_type: header.frame_type,
                payload: payload.to_vec(),
            })),
            Err(e) => Some(Err(e)),
        }
    }

    /// Like [`Reassembler::next_frame`] but lends the payload from the
    /// buffer instead of copying it (the reader decodes straight from it).
    pub fn next_frame_ref(&mut self) -> Option<Result<(Header, &[u8]), ProtocolError>> {
        self.next_raw_frame()
            .map(|next| next.map(|(header, raw)| (header, &raw[HEADER_LEN..])))
    }

    /// The next whole frame exactly as received, header included (byte 5
    /// too, which decoding ignores), lent from the buffer: for a traffic
    /// record such as the simulator's.
    pub fn next_raw_frame(&mut self) -> Option<Result<(Header, &[u8]), ProtocolError>> {
        if self.dead {
            return None;
        }
        if self.start > 0 && self.start == self.buf.len() {
            // The last read ended on a frame boundary: start afresh so the
            // buffer does not keep growing across reads.
            self.buf.clear();
            self.start = 0;
        }
        let avail = &self.buf[self.start..];
        if avail.len() < HEADER_LEN {
            return None;
        }
        let header = match check_header(avail) {
            Ok(h) => h,
            Err(e) => {
                self.dead = true;
                // Nothing after a bad header can be trusted; free it now.
                self.buf = Vec::new();
                self.start = 0;
                return Some(Err(e));
            }
        };
        let need = header.frame_len();
        if avail.len() < need {
            return None;
        }
        let from = self.start;
        self.start += need;
        Some(Ok((header, &self.buf[from..from + need])))
    }

    /// Bytes held and not yet returned as frames (a partial frame, usually).
    pub fn buffered_len(&self) -> usize {
        self.buf.len() - self.start
    }

    /// True once a protocol error has been reported.
    pub fn is_dead(&self) -> bool {
        self.dead
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::frame::{frame_bytes, FrameType, ProtocolErrorKind, KEEPALIVE_ACK};

    #[test]
    fn raw_frames_are_lent_exactly_as_received() {
        // Byte 5 (ignored on receipt) must survive in the raw form.
        let mut frame = frame_bytes(FrameType::Xml, b"<x/>");
        frame[5] = 0x7f;
        let mut r = Reassembler::new();
        for b in frame.iter().chain(KEEPALIVE_ACK.iter()) {
            r.push(&[*b]);
        }
        let (header, raw) = r.next_raw_frame().unwrap().unwrap();
        assert_eq!((header.frame_type, header.payload_len), (FrameType::Xml, 4));
        assert_eq!(raw, frame.as_slice());
        let (header, payload) = r.next_frame_ref().unwrap().unwrap();
        assert_eq!(
            (header.frame_type, payload),
            (FrameType::KeepAliveAck, &[][..])
        );
        assert!(r.next_raw_frame().is_none());
    }

    #[test]
    fn frames_come_out_whatever_the_chunking() {
        let mut stream = frame_bytes(FrameType::Xml, b"<a/>");
        stream.extend(KEEPALIVE_ACK);
        stream.extend(frame_bytes(FrameType::ErrorAck, b"oops"));
        for size in 1..stream.len() {
            let mut r = Reassembler::new();
            let mut got = Vec::new();
            for chunk in stream.chunks(size) {
                r.push(chunk);
                while let Some(f) = r.next_frame() {
                    got.push(f.unwrap());
                }
            }
            let types: Vec<_> = got.iter().map(|f| f.frame_type).collect();
            assert_eq!(
                types,
                [FrameType::Xml, FrameType::KeepAliveAck, FrameType::ErrorAck]
            );
            assert_eq!(got[0].payload, b"<a/>");
            assert_eq!(got[2].payload, b"oops");
            assert_eq!(r.buffered_len(), 0);
        }
    }

    #[test]
    fn header_is_judged_before_the_payload_arrives() {
        let mut r = Reassembler::new();
        r.push(&[0, 3, 0x10, 0x00, 9]);
        assert!(r.next_frame().is_none());
        r.push(&[0]);
        let e = r.next_frame().unwrap().unwrap_err();
        assert_eq!(e.kind, ProtocolErrorKind::BadVersion);
        // Dead for good: nothing more, pushes ignored.
        r.push(&KEEPALIVE_ACK);
        assert!(r.next_frame().is_none());
        assert_eq!(r.buffered_len(), 0);
        assert!(r.is_dead());
    }

    #[test]
    fn a_large_frame_is_buffered_as_it_arrives() {
        let mut r = Reassembler::new();
        r.push(&[0, 3, 0xff, 0xff, 2, 0]);
        r.push(&[b'x'; 1000]);
        assert!(r.next_frame().is_none());
        assert_eq!(r.buffered_len(), 1006);
        // Far below the 65539 bytes the header announces.
        assert!(r.buf.capacity() < 8192, "capacity {}", r.buf.capacity());
        r.push(&vec![b'x'; 65533 - 1000]);
        let f = r.next_frame().unwrap().unwrap();
        assert_eq!(f.payload.len(), 65533);
    }
}
