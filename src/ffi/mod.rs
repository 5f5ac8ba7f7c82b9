//! The C ABI: every `extern "C"` function and every `unsafe` pointer access of
//! the crate lives here, one module per C type.
//!
//! Every export is a safe `pub extern "C" fn` (the pointer contract is the
//! C caller's, written in its doc comment; `unsafe` blocks inside say where
//! it is relied on) whose body runs through the one boundary of
//! `boundary.rs`: it returns a `Result`, reads its arguments with the
//! helpers of `args.rs` (NULL checks first), and the boundary turns the
//! outcome, or a caught panic, into the C return value and the last error.
//! Must not hold protocol or call logic: that lives below.

// Every exported function takes raw pointers from C: validity is the C
// caller's contract, written in each function's doc comment, not something
// Rust's `unsafe fn` marker could express at the boundary.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

#[macro_use]
pub mod boundary;
pub mod args;
pub mod call;
pub mod config;
pub mod constants;
pub mod engine;
pub mod event;
pub mod names;
pub mod result;
pub mod sim;
pub mod stats;
pub mod trace;
pub mod version;
