//! The codec's typed errors: one variant per reason text of PROTOCOL.md
//! 2.2, 2.3 and 2.5 (and of `encoder_rejects.json`).
//!
//! Each `Display` starts with the exact reason text; detail (a field name
//! inside the reason where the spec puts one there, or a parser position
//! after it) may follow. Tests map reason texts to variants 1:1, so a new
//! reason means a new variant, never a new string on an old one.

use std::fmt;

/// Why the encoder refused a message; nothing was built or sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// `empty call id` (missing or empty; 5.1).
    EmptyCallId,
    /// `call id longer than 64` (5.1).
    CallIdTooLong,
    /// `call id starts or ends with a space` (5.1).
    CallIdSpace,
    /// `character outside Latin-1 in <field>` (2.2).
    NotLatin1 { field: String },
    /// `control character in <field>` (2.2).
    ControlCharacter { field: String },
    /// `missing required field <field>` (2.2).
    MissingField { field: &'static str },
    /// `empty user-data key` (2.7; also an empty `UDataGet` key name).
    EmptyKey,
    /// `user-data key contains ':'` (`UDataGet` / `UDataDel` keys, 3.12).
    KeyContainsColon,
    /// `integer user-data value out of 32-bit range` (2.7).
    IntOutOfRange,
    /// `more than 1024 user-data nodes` (2.2, 2.5).
    TooManyNodes,
    /// `message too large` (XML over 65533 bytes, 2.2).
    TooLarge { size: usize },
    /// `invalid name <name>`: an unknown message's name or an open field's
    /// name that is not an XML name, or that our own decoder would read as
    /// something else (a catalogue name, `CallId`). Our addition: only
    /// unknown messages and open fields carry caller-chosen names.
    InvalidName { name: String },
    /// `duplicate field <name>`: two open fields whose names differ only in
    /// case (or repeat a recognised field); the decoder would keep one.
    DuplicateField { name: String },
}

impl EncodeError {
    /// The reason text, without detail.
    pub fn reason(&self) -> &'static str {
        match self {
            EncodeError::EmptyCallId => "empty call id",
            EncodeError::CallIdTooLong => "call id longer than 64",
            EncodeError::CallIdSpace => "call id starts or ends with a space",
            EncodeError::NotLatin1 { .. } => "character outside Latin-1 in",
            EncodeError::ControlCharacter { .. } => "control character in",
            EncodeError::MissingField { .. } => "missing required field",
            EncodeError::EmptyKey => "empty user-data key",
            EncodeError::KeyContainsColon => "user-data key contains ':'",
            EncodeError::IntOutOfRange => "integer user-data value out of 32-bit range",
            EncodeError::TooManyNodes => "more than 1024 user-data nodes",
            EncodeError::TooLarge { .. } => "message too large",
            EncodeError::InvalidName { .. } => "invalid name",
            EncodeError::DuplicateField { .. } => "duplicate field",
        }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())?;
        match self {
            EncodeError::NotLatin1 { field } | EncodeError::ControlCharacter { field } => {
                write!(f, " {field}")
            }
            EncodeError::MissingField { field } => write!(f, " {field}"),
            EncodeError::InvalidName { name } | EncodeError::DuplicateField { name } => {
                write!(f, " {name:?}")
            }
            EncodeError::TooLarge { size } => write!(f, " ({size} bytes, limit 65533)"),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for EncodeError {}

/// Why a payload was not decoded: the message is dropped, the connection
/// kept (2.6).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// `empty XML payload` (2.3 step 1).
    EmptyPayload,
    /// `invalid UTF-8` (declared UTF-8, bad sequence; step 2).
    InvalidUtf8 { offset: usize },
    /// `unsupported encoding` (any other declared label; step 2).
    UnsupportedEncoding { label: String },
    /// `not well-formed XML` (step 3, and bad character references, step 4).
    NotWellFormed { detail: String },
    /// `truncated XML`: the document ends before it is complete (step 3).
    Truncated,
    /// `DTD internal subset` (step 4).
    DtdInternalSubset,
    /// `unknown entity` (step 4).
    UnknownEntity { name: String },
    /// `depth > 8` (2.5).
    TooDeep,
    /// `more than 64 attributes` (2.5).
    TooManyAttributes,
    /// `more than 1024 user-data nodes` (2.5).
    TooManyNodes,
    /// `root is not GctiMsg` (step 6).
    RootNotGctiMsg,
    /// `no message element` (step 7).
    NoMessageElement,
    /// `missing required field <field>` (step 10).
    MissingField { field: &'static str },
    /// `missing CallId` (step 11).
    MissingCallId,
}

impl DecodeError {
    /// The reason text, without detail.
    pub fn reason(&self) -> &'static str {
        match self {
            DecodeError::EmptyPayload => "empty XML payload",
            DecodeError::InvalidUtf8 { .. } => "invalid UTF-8",
            DecodeError::UnsupportedEncoding { .. } => "unsupported encoding",
            DecodeError::NotWellFormed { .. } => "not well-formed XML",
            DecodeError::Truncated => "truncated XML",
            DecodeError::DtdInternalSubset => "DTD internal subset",
            DecodeError::UnknownEntity { .. } => "unknown entity",
            DecodeError::TooDeep => "depth > 8",
            DecodeError::TooManyAttributes => "more than 64 attributes",
            DecodeError::TooManyNodes => "more than 1024 user-data nodes",
            DecodeError::RootNotGctiMsg => "root is not GctiMsg",
            DecodeError::NoMessageElement => "no message element",
            DecodeError::MissingField { .. } => "missing required field",
            DecodeError::MissingCallId => "missing CallId",
        }
    }

    pub(crate) fn ill_formed(detail: impl Into<String>) -> Self {
        DecodeError::NotWellFormed {
            detail: detail.into(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())?;
        match self {
            DecodeError::MissingField { field } => write!(f, " {field}"),
            DecodeError::InvalidUtf8 { offset } => write!(f, " (at byte {offset})"),
            DecodeError::UnsupportedEncoding { label } => write!(f, " ({label:?})"),
            DecodeError::NotWellFormed { detail } if !detail.is_empty() => {
                write!(f, " ({detail})")
            }
            DecodeError::UnknownEntity { name } => write!(f, " (&{name};)"),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for DecodeError {}
