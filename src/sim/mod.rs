//! The bundled IVR Server simulator: the server side of the protocol on a
//! loopback TCP listener, scripted by destination number, with seedable fault
//! injection and a record of every frame.
//!
//! Uses `wire` only; never `engine` or `flow`.
