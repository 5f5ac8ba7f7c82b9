//! The bundled IVR Server simulator: the server side of the protocol on a
//! loopback TCP listener, scripted by destination number, with seedable fault
//! injection and a record of every frame.
//!
//! Uses `wire` only; never `engine` or `flow`. Layout: `script` is the pure
//! call model (FLOWS.md sequences), `connection` the per-connection threads
//! and transport faults, `server` the listener and the public
//! [`Simulator`]; `config` holds every settable key.

pub mod behaviour;
pub mod cli;
pub mod config;
pub mod fields;
mod frames;
pub mod rng;
pub mod script;
pub mod spelling;

pub use behaviour::Behaviour;
pub use config::{SimError, KEYS};
mod connection;
pub mod record;
mod server;

pub use record::{Dir, Observer, Record};
pub use server::Simulator;
