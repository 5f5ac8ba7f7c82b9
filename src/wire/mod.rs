//! The wire layer: GLI frames (6-byte header) and the IVR Server XML codec.
//!
//! Pure: bytes in, typed messages out, and back. Knows nothing of calls,
//! sessions, sockets or time. See `spec/PROTOCOL.md` sections 1-3.

pub mod message;

pub use message::*;
