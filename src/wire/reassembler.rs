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
        let from = self.start + HEADER_LEN;
        self.start += need;
        Some(Ok((header, &self.buf[from..from + header.payload_len])))
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
