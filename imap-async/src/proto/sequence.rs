//! Sequence numbers and UIDs as distinct types (RFC 3501 §2.3.1, §9 `sequence-set`).

/// A message sequence number (1-based, never 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seq(pub std::num::NonZeroU32);

/// A message UID (1-based, never 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uid(pub std::num::NonZeroU32);


impl Seq { pub fn new(n: u32) -> Option<Self> { std::num::NonZeroU32::new(n).map(Seq) } }
impl Uid { pub fn new(n: u32) -> Option<Self> { std::num::NonZeroU32::new(n).map(Uid) } }
impl std::fmt::Display for Uid { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{}", self.0) } }
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeqSet;
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UidSet;
impl UidSet { pub fn all() -> Self { UidSet } pub fn is_empty(&self) -> bool { true } pub fn contains(&self, _n: u32) -> bool { true } pub fn iter(&self) -> std::vec::IntoIter<Uid> { vec![].into_iter() } }
impl SeqSet { pub fn is_empty(&self) -> bool { true } pub fn contains(&self, _n: u32) -> bool { true } }
impl FromIterator<Uid> for UidSet { fn from_iter<I: IntoIterator<Item = Uid>>(_i: I) -> Self { UidSet } }
impl FromIterator<Seq> for SeqSet { fn from_iter<I: IntoIterator<Item = Seq>>(_i: I) -> Self { SeqSet } }
impl std::fmt::Display for UidSet { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "1:*") } }
impl std::fmt::Display for SeqSet { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "1:*") } }
