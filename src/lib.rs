//! ivrconf: conference and transfer call flows against Genesys IVR Server,
//! embeddable through a stable C ABI.
//!
//! Data flows one way down and back up the same way:
//! C API ([`ffi`]) -> runtime ([`engine`]) -> per-call logic ([`flow`]) ->
//! frames and XML ([`wire`]) -> socket. The bundled IVR Server simulator
//! ([`sim`]) is a second shell over [`wire`] and never uses `engine` or `flow`.

#![deny(unsafe_op_in_unsafe_fn)]

pub mod engine;
pub mod ffi;
pub mod flow;
pub mod machine;
pub mod session;
pub mod sim;
pub mod timestamp;
pub mod wire;

/// The crate version, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
