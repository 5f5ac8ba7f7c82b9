//! The wire layer: GLI frames (6-byte header) and the IVR Server XML codec.
//!
//! Pure: bytes in, typed messages out, and back. Knows nothing of calls,
//! sessions, sockets or time. See `spec/PROTOCOL.md` sections 1-3.

pub mod codec;
pub mod frame;
mod latin1;
pub mod message;
pub mod reader;
mod reassembler;

pub use codec::*;
pub use frame::*;
pub use latin1::{hex, latin1_debug};
pub use message::*;
pub use reader::*;
