//! Bytes to types and types to bytes, with no I/O.
//!
//! * [`frame`] finds where one complete response ends (lines and literals), without parsing
//!   grammar and without rescanning bytes it already looked at.
//! * [`parse`] turns one complete response into a typed [`Response`].
//! * [`encode`] builds commands, choosing atom, quoted string or literal for every
//!   user-given string, so that no input can inject a command.
//! * [`utf7`] is modified UTF-7 for mailbox names (RFC 3501 §5.1.3).
//! * [`sequence`] holds the distinct sequence-number and UID set types.
//! * [`notify`] is the typed NOTIFY SET command (RFC 5465), checked against its rules.

pub mod acl;
pub mod capability;
pub mod encode;
pub mod fetch_data;
pub mod fetch_items;
pub mod flag;
pub mod frame;
pub mod notify;
pub mod parse;
#[cfg(test)]
mod properties_tests;
#[cfg(test)]
mod quirks_tests;
pub mod search;
pub mod section;
pub mod sequence;
// Test support only: not built into the library (the fuzz targets get it through the
// `fuzzing` cfg that `cargo fuzz` sets).
#[cfg(any(test, fuzzing))]
#[doc(hidden)]
pub mod testing;
pub mod types;
pub mod utf7;

pub use acl::{AclChange, AclRights, Right};
pub use capability::Capability;
pub use encode::{Command, CommandEncoder, EncodeError, Fragment, LiteralMode, LiteralSupport};
pub use fetch_data::FetchData;
pub use flag::{Flag, FlagError};
pub use frame::{FrameError, Framed, Framer, Limits};
pub use notify::{
    NotifyError, NotifyEvent, NotifyFilter, NotifyGroup, NotifySet, encode_notify_set,
};
pub use parse::{
    AddressView, Addresses, BodyStructureView, EnvelopeView, ParseError, Parts, parse_response,
};
pub use search::{Search, SearchError, SearchKey, encode_search, encode_search_program};
pub use section::{Section, SectionError};
pub use sequence::{Seq, SeqSet, Uid, UidSet};
pub use types::*;
