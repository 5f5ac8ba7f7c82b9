//! The runtime around the flow machine: the server session (connect, login,
//! keep-alive, reconnect, backups), the reader/writer threads, the core
//! thread that owns all call state, the timers and the event dispatcher.
//!
//! Owns every thread and socket of the client side. Must not contain protocol
//! decisions (those live in `flow` and `wire`) or anything `extern "C"`.
