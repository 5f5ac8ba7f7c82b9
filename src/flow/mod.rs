//! The per-call conference and transfer state machine (sans I/O): commands,
//! decoded server messages, timer expiries and link events go in, with the
//! current time; messages to send, application events and timer requests
//! come out.
//!
//! Must not open sockets, spawn threads, read the clock or hold global state.
