//! GLI frame header (PROTOCOL.md 1.2-1.5): the 6-byte header, its checks and
//! the protocol error they raise.
//!
//! Owns the byte layout of a frame and nothing else: it never looks inside a
//! payload (that is the codec's job) and never buffers a stream (that is
//! [`Reassembler`]'s job, re-exported here so callers find it next to the
//! header it cuts frames by).

use std::fmt;

pub use super::reassembler::Reassembler;

/// Length of the frame header.
pub const HEADER_LEN: usize = 6;
/// Largest payload: the 16-bit length field counts the payload plus 2.
pub const MAX_PAYLOAD: usize = 65533;
/// Largest whole frame (header plus [`MAX_PAYLOAD`]).
pub const MAX_FRAME: usize = HEADER_LEN + MAX_PAYLOAD;
/// The keep-alive request we send after silence (1.7).
pub const KEEPALIVE_REQUEST: [u8; 6] = [0, 0, 0, 2, 2, 0];
/// The keep-alive ack we send in answer to every request; never a payload.
pub const KEEPALIVE_ACK: [u8; 6] = [0, 1, 0, 2, 2, 0];

/// The only version byte we write or accept (byte 4).
const VERSION: u8 = 0x02;
/// How many bytes after the header a protocol error keeps for the log (1.5).
const ERROR_CONTEXT: usize = 64;

/// Frame type, byte 1 of the header (1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameType {
    KeepAliveRequest,
    KeepAliveAck,
    ErrorAck,
    Xml,
}

impl FrameType {
    /// The header byte.
    pub fn code(self) -> u8 {
        match self {
            FrameType::KeepAliveRequest => 0x00,
            FrameType::KeepAliveAck => 0x01,
            FrameType::ErrorAck => 0x02,
            FrameType::Xml => 0x03,
        }
    }

    /// The type for a header byte, `None` above `0x03`.
    pub fn from_code(code: u8) -> Option<FrameType> {
        match code {
            0x00 => Some(FrameType::KeepAliveRequest),
            0x01 => Some(FrameType::KeepAliveAck),
            0x02 => Some(FrameType::ErrorAck),
            0x03 => Some(FrameType::Xml),
            _ => None,
        }
    }
}

/// One whole frame cut out of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub frame_type: FrameType,
    /// The bytes after the header (the XML for [`FrameType::Xml`]; read and
    /// ignored for the other types).
    pub payload: Vec<u8>,
}

/// Header plus payload, ready to write. The caller guarantees
/// `payload.len() <= MAX_PAYLOAD` (the encoder refuses anything larger).
pub fn frame_bytes(frame_type: FrameType, payload: &[u8]) -> Vec<u8> {
    debug_assert!(payload.len() <= MAX_PAYLOAD, "payload over MAX_PAYLOAD");
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    push_header(&mut out, frame_type, payload.len());
    out.extend_from_slice(payload);
    out
}

/// Appends the header for a payload of `payload_len` bytes.
pub(crate) fn push_header(out: &mut Vec<u8>, frame_type: FrameType, payload_len: usize) {
    // Clamped rather than wrapped: an oversize payload is a caller bug
    // (debug-asserted above), and a clamped length at least keeps the header
    // self-consistent instead of announcing a tiny frame.
    let length = u16::try_from(payload_len.saturating_add(2)).unwrap_or(u16::MAX);
    let [hi, lo] = length.to_be_bytes();
    out.extend_from_slice(&[0x00, frame_type.code(), hi, lo, VERSION, 0x00]);
}

/// Why a header was refused (1.5); each is fatal for the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtocolErrorKind {
    /// Byte 0 is not `0x00`.
    NonZeroByte0,
    /// Byte 1 is above `0x03`.
    UnknownFrameType,
    /// Byte 4 is not `0x02`.
    BadVersion,
    /// The length field is below 2.
    LengthTooSmall,
}

impl ProtocolErrorKind {
    /// The reason text of PROTOCOL.md 1.5.
    pub fn reason(self) -> &'static str {
        match self {
            ProtocolErrorKind::NonZeroByte0 => "byte0 != 0",
            ProtocolErrorKind::UnknownFrameType => "unknown frame type",
            ProtocolErrorKind::BadVersion => "bad version byte",
            ProtocolErrorKind::LengthTooSmall => "length < 2",
        }
    }
}

/// A bad header: the stream is out of step and the connection must go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    pub kind: ProtocolErrorKind,
    /// The 6 header bytes and up to 64 bytes after them, for the log line.
    pub bytes: Vec<u8>,
}

impl ProtocolError {
    /// The reason text of PROTOCOL.md 1.5.
    pub fn reason(&self) -> &'static str {
        self.kind.reason()
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.reason())?;
        f.write_str(" (bytes:")?;
        for b in &self.bytes {
            write!(f, " {b:02x}")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for ProtocolError {}

/// A header that passed the checks of 1.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub frame_type: FrameType,
    /// Bytes after the header (length field minus 2).
    pub payload_len: usize,
}

impl Header {
    /// The whole frame's size, header included.
    pub fn frame_len(&self) -> usize {
        HEADER_LEN + self.payload_len
    }
}

/// Checks a header in the order of 1.5. `bytes` must hold at least the 6
/// header bytes; anything after them only feeds the error's log context.
pub fn check_header(bytes: &[u8]) -> Result<Header, ProtocolError> {
    let fail = |kind| ProtocolError {
        kind,
        bytes: bytes[..bytes.len().min(HEADER_LEN + ERROR_CONTEXT)].to_vec(),
    };
    let &[b0, ty, hi, lo, version, _app, ..] = bytes else {
        // Not a header yet; callers only ask with 6 bytes in hand, so this
        // is a caller bug rather than bad input. Report it as the least
        // misleading header fault instead of panicking.
        debug_assert!(false, "check_header needs 6 bytes");
        return Err(fail(ProtocolErrorKind::LengthTooSmall));
    };
    if b0 != 0x00 {
        return Err(fail(ProtocolErrorKind::NonZeroByte0));
    }
    let Some(frame_type) = FrameType::from_code(ty) else {
        return Err(fail(ProtocolErrorKind::UnknownFrameType));
    };
    if version != VERSION {
        return Err(fail(ProtocolErrorKind::BadVersion));
    }
    // Byte 5 (application) is deliberately not checked (1.2, 7 #11).
    let length = usize::from(u16::from_be_bytes([hi, lo]));
    if length < 2 {
        return Err(fail(ProtocolErrorKind::LengthTooSmall));
    }
    Ok(Header {
        frame_type,
        payload_len: length - 2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalive_constants_are_what_frame_bytes_writes() {
        assert_eq!(
            frame_bytes(FrameType::KeepAliveRequest, &[]),
            KEEPALIVE_REQUEST
        );
        assert_eq!(frame_bytes(FrameType::KeepAliveAck, &[]), KEEPALIVE_ACK);
    }

    #[test]
    fn length_counts_payload_plus_two_big_endian() {
        let f = frame_bytes(FrameType::Xml, &[b'x'; 300]);
        assert_eq!(&f[..6], &[0, 3, 0x01, 0x2e, 2, 0]);
        let max = frame_bytes(FrameType::Xml, &vec![b'x'; MAX_PAYLOAD]);
        assert_eq!(&max[..6], &[0, 3, 0xff, 0xff, 2, 0]);
        assert_eq!(max.len(), MAX_FRAME);
    }

    #[test]
    fn header_checks_run_in_the_documented_order() {
        // Every rule broken at once: byte 0 is reported first.
        let all_bad = [1, 9, 0, 0, 7, 0];
        assert_eq!(
            check_header(&all_bad).unwrap_err().kind,
            ProtocolErrorKind::NonZeroByte0
        );
        assert_eq!(
            check_header(&[0, 9, 0, 0, 7, 0]).unwrap_err().kind,
            ProtocolErrorKind::UnknownFrameType
        );
        assert_eq!(
            check_header(&[0, 3, 0, 0, 7, 0]).unwrap_err().kind,
            ProtocolErrorKind::BadVersion
        );
        assert_eq!(
            check_header(&[0, 3, 0, 1, 2, 0]).unwrap_err().kind,
            ProtocolErrorKind::LengthTooSmall
        );
        let h = check_header(&[0, 3, 0, 2, 2, 0x55]).unwrap();
        assert_eq!(h.payload_len, 0);
        assert_eq!(h.frame_type, FrameType::Xml);
    }

    #[test]
    fn protocol_error_keeps_header_and_64_bytes_and_displays_reason_first() {
        let mut bytes = vec![7, 3, 0, 2, 2, 0];
        bytes.extend(std::iter::repeat_n(0xaa, 100));
        let e = check_header(&bytes).unwrap_err();
        assert_eq!(e.bytes.len(), 70);
        assert!(e.to_string().starts_with("byte0 != 0"));
    }
}
