//! Sequence numbers and UIDs as distinct types (RFC 3501 §2.3.1, §9 `sequence-set`).

/// A message sequence number (1-based, never 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seq(pub std::num::NonZeroU32);

/// A message UID (1-based, never 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uid(pub std::num::NonZeroU32);

/// A set of sequence numbers (being written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeqSet;

/// A set of UIDs (being written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UidSet;
