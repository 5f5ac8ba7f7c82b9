//! The bundled IVR Server simulator: the server side of the protocol on a
//! loopback TCP listener, scripted by destination number, with seedable fault
//! injection and a record of every frame.
//!
//! Uses `wire` only; never `engine` or `flow`. Layout: `script` is the pure
//! per-call model and `sequences` the FLOWS.md sequences it plays by
//! destination (`behaviour`); `connection` holds the per-connection threads
//! and the transport faults, `server` the listener and the public
//! [`Simulator`], `record` the traffic record and `lifecycle` the
//! connection accepted / closed notices; `config` every settable key;
//! `spelling` and `summary` the alternate writer and the one-line printer
//! (both read message fields through the wire catalogue, `Body::fields`);
//! `cli` the `ivrconf-sim` program; `replay` plays recorded traces instead
//! of the scripted sequences. See docs/SIMULATOR.md.

pub mod behaviour;
pub mod cli;
pub mod config;
pub mod rng;
pub mod script;
mod sequences;
pub mod spelling;
pub mod summary;

pub use behaviour::Behaviour;
pub use config::{SimError, KEYS};
mod connection;
pub mod lifecycle;
pub mod record;
pub mod replay;
mod server;

pub use lifecycle::{Change, CloseReason, ConnectionEvent, ConnectionObserver};
pub use record::{Dir, Observer, Record};
pub use replay::{Difference, DifferenceKind, Subject};
pub use server::Simulator;
