//! The IVR Server XML codec (PROTOCOL.md section 2): typed [`Message`]s to
//! the exact ISO-8859-1 payload we send, and any payload a server may send
//! back to a [`Message`] or a precise [`DecodeError`].
//!
//! Pure functions over bytes: no I/O, no state between calls, no knowledge
//! of calls or sessions. Framing lives in `frame`; this module sees payloads
//! only.
//!
//! [`Message`]: crate::wire::message::Message

mod attributes;
mod catalogue;
mod charset;
mod decode;
mod encode;
mod error;
mod fields;
mod validate;
mod xml;

pub use attributes::MAX_ATTRIBUTES;

/// The prolog our encoder writes before every message, and the one real
/// servers send (2.1): the XML declaration, then the `GctiMsg` DOCTYPE.
pub const PROLOG: &[u8] =
    b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><!DOCTYPE GctiMsg SYSTEM \"IServer.dtd\">";
/// The declaration part of [`PROLOG`].
pub const DECLARATION: &[u8] = PROLOG.split_at(43).0;
/// The DOCTYPE part of [`PROLOG`].
pub const DOCTYPE: &[u8] = PROLOG.split_at(43).1;
pub use decode::{decode, decode_by_events, MAX_DEPTH, MAX_NODES};
pub use encode::{encode, encode_frame};
pub use error::{DecodeError, EncodeError};
pub use fields::{Field, Fields, Placement};
pub use validate::{is_refused_control, validate_call_id, validate_text, MAX_CALL_ID};
