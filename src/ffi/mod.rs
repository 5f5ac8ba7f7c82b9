//! The C ABI: every `extern "C"` function and every `unsafe` pointer access of
//! the crate lives here, one module per C type.
//!
//! Each exported body is wrapped by [`ffi_boundary!`] (or
//! [`ffi_boundary_or!`]) so that no panic crosses into C. The macros wrap
//! function *bodies*, never whole items, so cbindgen sees every export without
//! macro expansion. Must not hold protocol or call logic: that lives below.

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
pub mod result;
pub mod sim;
pub mod version;
