//! Sequence numbers and UIDs as distinct types (RFC 3501 §2.3.1, §9 `sequence-set`).
//!
//! [`SeqSet`] and [`UidSet`] are the same generic [`IdSet`] over different element types, so
//! passing a set of sequence numbers where UIDs are expected does not compile:
//!
//! ```compile_fail
//! use imap_async::proto::{Seq, UidSet};
//!
//! let s = Seq::new(1).unwrap();
//! let uids: UidSet = UidSet::from(s); // a Seq is not a Uid
//! ```
//!
//! Sets store ranges, never individual numbers, and print in wire form:
//!
//! ```
//! use imap_async::proto::{Uid, UidSet};
//!
//! let set: UidSet = (1..=1_000_000).filter_map(Uid::new).collect();
//! assert_eq!(set.to_string(), "1:1000000");
//! assert_eq!(set.ranges().count(), 1);
//!
//! let parsed: UidSet = "1:5,7,9:*".parse().unwrap();
//! assert!(parsed.contains(4) && !parsed.contains(8) && parsed.contains(4_000_000));
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::num::NonZeroU32;
use std::ops::RangeInclusive;
use std::str::FromStr;

/// A message sequence number (1-based, never 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seq(pub NonZeroU32);

/// A message UID (1-based, never 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uid(pub NonZeroU32);

macro_rules! id_impls {
    ($t:ident, $what:literal, $is_uid:literal) => {
        impl $t {
            #[doc = concat!("A ", $what, "; `None` for 0.")]
            ///
            /// ```
            #[doc = concat!("use imap_async::proto::", stringify!($t), ";")]
            ///
            #[doc = concat!("assert_eq!(", stringify!($t), "::new(7).unwrap().get(), 7);")]
            #[doc = concat!("assert!(", stringify!($t), "::new(0).is_none());")]
            /// ```
            pub const fn new(n: u32) -> Option<Self> {
                match NonZeroU32::new(n) {
                    Some(n) => Some(Self(n)),
                    None => None,
                }
            }

            /// The number.
            ///
            /// ```
            #[doc = concat!("use imap_async::proto::", stringify!($t), ";")]
            ///
            #[doc = concat!("assert_eq!(", stringify!($t), "::new(42).unwrap().get(), 42);")]
            /// ```
            pub const fn get(self) -> u32 {
                self.0.get()
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl From<NonZeroU32> for $t {
            fn from(n: NonZeroU32) -> Self {
                Self(n)
            }
        }

        impl From<$t> for u32 {
            fn from(id: $t) -> u32 {
                id.get()
            }
        }

        impl sealed::Sealed for $t {}

        impl Id for $t {
            const SET_NAME: &'static str = concat!(stringify!($t), "Set");
            const IS_UID: bool = $is_uid;

            fn from_nonzero(n: NonZeroU32) -> Self {
                Self(n)
            }

            fn get(self) -> u32 {
                self.0.get()
            }
        }
    };
}

id_impls!(Seq, "message sequence number", false);
id_impls!(Uid, "message UID", true);

mod sealed {
    pub trait Sealed {}
}

/// The element types of an [`IdSet`]: [`Seq`] and [`Uid`]. Sealed; it only exists so that the
/// two set types share one implementation and cannot be mixed up.
pub trait Id: sealed::Sealed + Copy + Ord + fmt::Debug + Send + Sync + 'static {
    /// `"SeqSet"` or `"UidSet"`, used by `Debug`.
    const SET_NAME: &'static str;
    /// `true` for [`Uid`]: commands on a [`UidSet`] are sent in their `UID` form
    /// (RFC 3501 §6.4.8), so the set's type decides, and the two cannot be mixed up.
    const IS_UID: bool;
    /// Wrap a number.
    fn from_nonzero(n: NonZeroU32) -> Self;
    /// The number.
    fn get(self) -> u32;
}

/// A set of message sequence numbers, e.g. `1:5,7,9:*`.
pub type SeqSet = IdSet<Seq>;

/// A set of UIDs, e.g. `1:5,7,9:*`.
pub type UidSet = IdSet<Uid>;

/// What the set holds at the top end, involving `*` (the largest number in use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Tail {
    /// No `*`.
    None,
    /// A lone `*`.
    Star,
    /// `n:*`.
    From(u32),
}

/// One range of an [`IdSet`], as returned by [`IdSet::ranges`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdRange<K> {
    /// `a:b` with `a <= b` (a single number when `a == b`).
    Closed(K, K),
    /// `a:*`: from `a` to the largest number in use.
    From(K),
    /// `*`: the largest number in use.
    Star,
}

impl<K> IdRange<K> {
    /// Whether the range involves `*` (`a:*` or `*`).
    ///
    /// ```
    /// use imap_async::proto::sequence::IdRange;
    /// use imap_async::proto::Uid;
    ///
    /// assert!(IdRange::<Uid>::Star.involves_star());
    /// assert!(!IdRange::Closed(Uid::new(1).unwrap(), Uid::new(2).unwrap()).involves_star());
    /// ```
    pub fn involves_star(&self) -> bool {
        !matches!(self, IdRange::Closed(..))
    }
}

/// A set of sequence numbers ([`SeqSet`]) or UIDs ([`UidSet`]) (RFC 3501 §9 `sequence-set`).
///
/// Stored as sorted, disjoint, non-adjacent ranges plus an optional `n:*` or `*` tail, so a
/// million consecutive UIDs take one range. `*` ("the largest number in use", RFC 3501
/// §9 `seq-number`, §6.4.8) is treated as larger than any number: `n:*` contains every
/// number from `n` on, and a lone `*` contains no number that [`contains`](Self::contains)
/// can name.
///
/// The [`Display`](fmt::Display) form is the wire form. An empty set prints as the empty
/// string, which is not a valid `sequence-set`; check [`is_empty`](Self::is_empty) first.
///
/// ```
/// use imap_async::proto::{Seq, SeqSet};
///
/// let mut set = SeqSet::from_range(Seq::new(1).unwrap()..=Seq::new(5).unwrap());
/// set.insert(Seq::new(7).unwrap());
/// set.insert_from(Seq::new(9).unwrap());
/// assert_eq!(set.to_string(), "1:5,7,9:*");
/// assert_eq!("1:5,7,9:*".parse::<SeqSet>().unwrap(), set);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdSet<K> {
    /// Sorted, disjoint, non-adjacent closed ranges; all end before a `Tail::From` start
    /// minus one.
    ranges: Vec<(u32, u32)>,
    tail: Tail,
    kind: PhantomData<K>,
}

impl<K: Id> Default for IdSet<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Id> IdSet<K> {
    /// The empty set.
    ///
    /// ```
    /// use imap_async::proto::UidSet;
    ///
    /// let set = UidSet::new();
    /// assert!(set.is_empty());
    /// assert_eq!(set.to_string(), "");
    /// ```
    pub const fn new() -> Self {
        IdSet {
            ranges: Vec::new(),
            tail: Tail::None,
            kind: PhantomData,
        }
    }

    /// `1:*`, every message.
    ///
    /// ```
    /// use imap_async::proto::UidSet;
    /// assert_eq!(UidSet::all().to_string(), "1:*");
    /// ```
    pub const fn all() -> Self {
        IdSet {
            ranges: Vec::new(),
            tail: Tail::From(1),
            kind: PhantomData,
        }
    }

    /// A lone `*`, the message with the largest number.
    ///
    /// ```
    /// use imap_async::proto::SeqSet;
    ///
    /// let set = SeqSet::largest();
    /// assert_eq!(set.to_string(), "*");
    /// assert!(set.has_star() && !set.contains(1));
    /// ```
    pub const fn largest() -> Self {
        IdSet {
            ranges: Vec::new(),
            tail: Tail::Star,
            kind: PhantomData,
        }
    }

    /// The numbers `a..=b`; empty if `a > b` (as for Rust ranges; the wire form `5:3`
    /// parses as `3:5`).
    ///
    /// ```
    /// use imap_async::proto::{Uid, UidSet};
    ///
    /// let u = |n| Uid::new(n).unwrap();
    /// assert_eq!(UidSet::from_range(u(3)..=u(7)).to_string(), "3:7");
    /// assert!(UidSet::from_range(u(7)..=u(3)).is_empty());
    /// ```
    pub fn from_range(range: RangeInclusive<K>) -> Self {
        let mut set = Self::new();
        set.insert_range(range);
        set
    }

    /// `a:*`: every number from `a` up to the largest in use.
    ///
    /// ```
    /// use imap_async::proto::{Uid, UidSet};
    ///
    /// let u = |n| Uid::new(n).unwrap();
    /// let set = UidSet::from_start(u(100));
    /// assert_eq!(set.to_string(), "100:*");
    /// assert!(set.contains(u32::MAX));
    /// ```
    pub fn from_start(start: K) -> Self {
        let mut set = Self::new();
        set.insert_from(start);
        set
    }

    /// Add one number.
    ///
    /// ```
    /// use imap_async::proto::{Uid, UidSet};
    ///
    /// let u = |n| Uid::new(n).unwrap();
    /// let mut set = UidSet::new();
    /// set.insert(u(3));
    /// set.insert(u(1));
    /// set.insert(u(2));
    /// assert_eq!(set.to_string(), "1:3");
    /// ```
    pub fn insert(&mut self, id: K) {
        let n = id.get();
        self.insert_u32(n, n);
    }

    /// Add the numbers `a..=b` (nothing if `a > b`).
    ///
    /// ```
    /// use imap_async::proto::{Uid, UidSet};
    ///
    /// let u = |n| Uid::new(n).unwrap();
    /// let mut set = UidSet::new();
    /// set.insert_range(u(1)..=u(3));
    /// set.insert_range(u(10)..=u(12));
    /// assert_eq!(set.to_string(), "1:3,10:12");
    /// ```
    pub fn insert_range(&mut self, range: RangeInclusive<K>) {
        let (a, b) = range.into_inner();
        if a <= b {
            self.insert_u32(a.get(), b.get());
        }
    }

    /// Add `a:*`.
    ///
    /// ```
    /// use imap_async::proto::{Uid, UidSet};
    ///
    /// let u = |n| Uid::new(n).unwrap();
    /// let mut set: UidSet = "1:3,20".parse().unwrap();
    /// set.insert_from(u(15));
    /// assert_eq!(set.to_string(), "1:3,15:*");
    /// ```
    pub fn insert_from(&mut self, start: K) {
        let a = match self.tail {
            Tail::From(old) => old.min(start.get()),
            Tail::None | Tail::Star => start.get(),
        };
        self.tail = Tail::From(a);
        self.absorb_into_tail();
    }

    /// Add a lone `*` (the largest number in use).
    ///
    /// ```
    /// use imap_async::proto::{Uid, UidSet};
    ///
    /// let u = |n| Uid::new(n).unwrap();
    /// let mut set = UidSet::new();
    /// set.insert(u(5));
    /// set.insert_largest();
    /// assert_eq!(set.to_string(), "5,*");
    /// ```
    pub fn insert_largest(&mut self) {
        if self.tail == Tail::None {
            self.tail = Tail::Star;
        }
    }

    /// Add every number and range of `other`.
    ///
    /// ```
    /// use imap_async::proto::UidSet;
    ///
    /// let mut a: UidSet = "1:3".parse().unwrap();
    /// let b: UidSet = "4:6,10".parse().unwrap();
    /// a.union_with(&b);
    /// assert_eq!(a.to_string(), "1:6,10");
    /// ```
    pub fn union_with(&mut self, other: &Self) {
        for &(a, b) in &other.ranges {
            self.insert_u32(a, b);
        }
        match other.tail {
            Tail::None => {}
            Tail::Star => self.insert_largest(),
            Tail::From(a) => self.insert_from(K::from_nonzero(nz(a))),
        }
    }

    /// Insert the closed range `a..=b`, `1 <= a <= b`, keeping the invariants.
    fn insert_u32(&mut self, a: u32, b: u32) {
        debug_assert!(1 <= a && a <= b);
        if let Tail::From(t) = self.tail
            && a >= t
        {
            return;
        }
        // Fast path for building from ascending input.
        match self.ranges.last_mut() {
            None => {
                self.ranges.push((a, b));
                self.absorb_into_tail();
                return;
            }
            Some(last) if u64::from(a) > u64::from(last.1) + 1 => {
                self.ranges.push((a, b));
                self.absorb_into_tail();
                return;
            }
            Some(last) if a >= last.0 => {
                last.1 = last.1.max(b);
                self.absorb_into_tail();
                return;
            }
            Some(_) => {}
        }
        // Ranges touching or overlapping [a, b] are ranges[i..j].
        let i = self
            .ranges
            .partition_point(|&(_, e)| u64::from(e) + 1 < u64::from(a));
        let j = self
            .ranges
            .partition_point(|&(s, _)| u64::from(s) <= u64::from(b) + 1);
        if i == j {
            self.ranges.insert(i, (a, b));
        } else {
            let merged = (a.min(self.ranges[i].0), b.max(self.ranges[j - 1].1));
            self.ranges.splice(i..j, [merged]);
        }
        self.absorb_into_tail();
    }

    /// Merge trailing ranges that touch an `n:*` tail into it.
    fn absorb_into_tail(&mut self) {
        let Tail::From(mut t) = self.tail else { return };
        while let Some(&(s, e)) = self.ranges.last() {
            if u64::from(e) + 1 >= u64::from(t) {
                t = t.min(s);
                self.ranges.pop();
            } else {
                break;
            }
        }
        self.tail = Tail::From(t);
    }

    /// Whether the set holds `n`. `*` counts as larger than any number (see the type
    /// documentation), so `5:*` contains `u32::MAX` and a lone `*` contains nothing here.
    /// `0` is never contained.
    ///
    /// ```
    /// use imap_async::proto::SeqSet;
    ///
    /// let set: SeqSet = "2,4:6,10:*".parse().unwrap();
    /// assert!(set.contains(5) && set.contains(10) && set.contains(u32::MAX));
    /// assert!(!set.contains(0) && !set.contains(3) && !set.contains(9));
    /// ```
    pub fn contains(&self, n: u32) -> bool {
        if n == 0 {
            return false;
        }
        if let Tail::From(t) = self.tail
            && n >= t
        {
            return true;
        }
        let i = self.ranges.partition_point(|&(_, e)| e < n);
        self.ranges.get(i).is_some_and(|&(s, _)| s <= n)
    }

    /// Whether the set is empty.
    ///
    /// ```
    /// use imap_async::proto::UidSet;
    ///
    /// assert!(UidSet::new().is_empty());
    /// assert!(!UidSet::all().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty() && self.tail == Tail::None
    }

    /// Whether the set involves `*` (then its size depends on the mailbox).
    ///
    /// ```
    /// use imap_async::proto::UidSet;
    ///
    /// assert!(UidSet::all().has_star());
    /// assert!(!"1:10".parse::<UidSet>().unwrap().has_star());
    /// ```
    pub fn has_star(&self) -> bool {
        self.tail != Tail::None
    }

    /// How many numbers the set holds; `None` if it involves `*`.
    ///
    /// ```
    /// use imap_async::proto::UidSet;
    ///
    /// assert_eq!("1:5,7".parse::<UidSet>().unwrap().count(), Some(6));
    /// assert_eq!(UidSet::all().count(), None);
    /// ```
    pub fn count(&self) -> Option<u64> {
        if self.has_star() {
            return None;
        }
        Some(self.ranges.iter().map(|&(s, e)| u64::from(e - s) + 1).sum())
    }

    /// The numbers in ascending order; `None` if the set involves `*`.
    ///
    /// ```
    /// use imap_async::proto::{Uid, UidSet};
    ///
    /// let set: UidSet = "3,1:2,9".parse().unwrap();
    /// let v: Vec<u32> = set.iter().unwrap().map(Uid::get).collect();
    /// assert_eq!(v, [1, 2, 3, 9]);
    /// ```
    pub fn iter(&self) -> Option<impl Iterator<Item = K> + '_> {
        if self.has_star() {
            return None;
        }
        Some(
            self.ranges
                .iter()
                .flat_map(|&(s, e)| (s..=e).map(|n| K::from_nonzero(nz(n)))),
        )
    }

    /// The ranges in ascending order, the `*` part (if any) last.
    ///
    /// ```
    /// use imap_async::proto::sequence::IdRange;
    /// use imap_async::proto::{Uid, UidSet};
    ///
    /// let u = |n| Uid::new(n).unwrap();
    /// let set: UidSet = "1:3,7,9:*".parse().unwrap();
    /// let ranges: Vec<_> = set.ranges().collect();
    /// assert_eq!(
    ///     ranges,
    ///     [IdRange::Closed(u(1), u(3)), IdRange::Closed(u(7), u(7)), IdRange::From(u(9))]
    /// );
    /// ```
    pub fn ranges(&self) -> impl Iterator<Item = IdRange<K>> + '_ {
        let tail = match self.tail {
            Tail::None => None,
            Tail::Star => Some(IdRange::Star),
            Tail::From(a) => Some(IdRange::From(K::from_nonzero(nz(a)))),
        };
        self.ranges
            .iter()
            .map(|&(s, e)| IdRange::Closed(K::from_nonzero(nz(s)), K::from_nonzero(nz(e))))
            .chain(tail)
    }
}

/// A stored number, known to be non-zero by the set's invariants.
fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).expect("IdSet never stores 0")
}

impl<K: Id> fmt::Display for IdSet<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for r in self.ranges() {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            match r {
                IdRange::Closed(a, b) if a == b => write!(f, "{}", a.get())?,
                IdRange::Closed(a, b) => write!(f, "{}:{}", a.get(), b.get())?,
                IdRange::From(a) => write!(f, "{}:*", a.get())?,
                IdRange::Star => f.write_str("*")?,
            }
        }
        Ok(())
    }
}

impl<K: Id> fmt::Debug for IdSet<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({self})", K::SET_NAME)
    }
}

impl<K: Id> From<K> for IdSet<K> {
    fn from(id: K) -> Self {
        let mut set = Self::new();
        set.insert(id);
        set
    }
}

impl<K: Id> From<RangeInclusive<K>> for IdSet<K> {
    fn from(range: RangeInclusive<K>) -> Self {
        Self::from_range(range)
    }
}

impl<K: Id> Extend<K> for IdSet<K> {
    fn extend<I: IntoIterator<Item = K>>(&mut self, iter: I) {
        for id in iter {
            self.insert(id);
        }
    }
}

impl<K: Id> FromIterator<K> for IdSet<K> {
    /// Collect numbers in any order; consecutive numbers coalesce into ranges. Ascending
    /// input takes constant time per number.
    fn from_iter<I: IntoIterator<Item = K>>(iter: I) -> Self {
        let mut set = Self::new();
        set.extend(iter);
        set
    }
}

/// A `sequence-set` that does not follow RFC 3501 §9.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid sequence set at byte {position}: {reason}")]
pub struct SetParseError {
    /// Byte offset of the offending character (the input length if it ended too early).
    pub position: usize,
    /// What is wrong.
    pub reason: &'static str,
}

/// One `seq-number` (RFC 3501 §9): `Some(n)` for `nz-number`, `None` for `*`.
fn parse_number(s: &[u8], pos: &mut usize) -> Result<Option<u32>, SetParseError> {
    let start = *pos;
    let fail = |position, reason| Err(SetParseError { position, reason });
    match s.get(start) {
        Some(b'*') => {
            *pos += 1;
            Ok(None)
        }
        Some(b'0') => fail(start, "numbers start with a non-zero digit"),
        Some(b'1'..=b'9') => {
            let mut n: u32 = 0;
            while let Some(&d @ b'0'..=b'9') = s.get(*pos) {
                n = match n
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u32::from(d - b'0')))
                {
                    Some(n) => n,
                    None => return fail(start, "number larger than 4294967295"),
                };
                *pos += 1;
            }
            Ok(Some(n))
        }
        Some(_) => fail(start, "expected a number or '*'"),
        None => fail(start, "expected a number or '*' at end of input"),
    }
}

impl<K: Id> FromStr for IdSet<K> {
    type Err = SetParseError;

    /// Parse the wire form, e.g. `1:5,7,9:*` (RFC 3501 §9 `sequence-set`). `b:a` means the
    /// same as `a:b`, and `*:a` the same as `a:*`.
    fn from_str(s: &str) -> Result<Self, SetParseError> {
        let s = s.as_bytes();
        let mut set = Self::new();
        let mut pos = 0;
        loop {
            let a = parse_number(s, &mut pos)?;
            let b = if s.get(pos) == Some(&b':') {
                pos += 1;
                Some(parse_number(s, &mut pos)?)
            } else {
                None
            };
            match (a, b) {
                (Some(a), None) => set.insert_u32(a, a),
                (Some(a), Some(Some(b))) => set.insert_u32(a.min(b), a.max(b)),
                (Some(a), Some(None)) | (None, Some(Some(a))) => {
                    set.insert_from(K::from_nonzero(nz(a)))
                }
                (None, None) | (None, Some(None)) => set.insert_largest(),
            }
            match s.get(pos) {
                None => return Ok(set),
                Some(b',') => pos += 1,
                Some(_) => {
                    return Err(SetParseError {
                        position: pos,
                        reason: "expected ',' or ':'",
                    });
                }
            }
        }
    }
}

/// With the `serde` feature a set is written as its IMAP text (`"1:5,7,9:*"`), compact
/// however many ids it holds, and read back with the same checks as [`str::parse`].
#[cfg(feature = "serde")]
impl<K: Id> serde::Serialize for IdSet<K> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de, K: Id> serde::Deserialize<'de> for IdSet<K> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        if text.is_empty() {
            return Ok(IdSet::new());
        }
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uid(n: u32) -> Uid {
        Uid::new(n).unwrap()
    }

    fn seq(n: u32) -> Seq {
        Seq::new(n).unwrap()
    }

    fn uids(s: &str) -> UidSet {
        s.parse().unwrap()
    }

    #[test]
    fn ids() {
        assert!(Seq::new(0).is_none());
        assert_eq!(seq(42).get(), 42);
        assert_eq!(uid(u32::MAX).to_string(), "4294967295");
        assert_eq!(u32::from(uid(9)), 9);
        assert_eq!(Uid::from(NonZeroU32::new(3).unwrap()), uid(3));
        assert!(uid(1) < uid(2));
    }

    #[test]
    fn million_consecutive_uids_are_one_range() {
        let set: UidSet = (1..=1_000_000).map(uid).collect();
        assert_eq!(set.ranges.len(), 1);
        assert_eq!(
            set.ranges().collect::<Vec<_>>(),
            [IdRange::Closed(uid(1), uid(1_000_000))]
        );
        assert_eq!(set.to_string(), "1:1000000");
        assert_eq!(set.count(), Some(1_000_000));
        // Descending input coalesces too.
        let set: UidSet = (1..=100_000).rev().map(uid).collect();
        assert_eq!(set.to_string(), "1:100000");
    }

    #[test]
    fn huge_range_is_not_expanded() {
        let set = UidSet::from_range(uid(1)..=uid(u32::MAX));
        assert_eq!(set.to_string(), "1:4294967295");
        assert_eq!(set.count(), Some(u64::from(u32::MAX)));
        assert!(set.contains(u32::MAX));
        let set = uids("1:4000000000");
        assert_eq!(set.ranges.len(), 1);
    }

    #[test]
    fn from_iter_sorts_and_coalesces() {
        let set: UidSet = [9, 3, 1, 2, 7, 8, 3, 20, 5].into_iter().map(uid).collect();
        assert_eq!(set.to_string(), "1:3,5,7:9,20");
        assert_eq!(set.count(), Some(8));
        let v: Vec<u32> = set.iter().unwrap().map(Uid::get).collect();
        assert_eq!(v, [1, 2, 3, 5, 7, 8, 9, 20]);
    }

    #[test]
    fn insert_merges_neighbours() {
        let mut set = uids("1:3,5,7:9,20");
        set.insert(uid(4));
        assert_eq!(set.to_string(), "1:5,7:9,20");
        set.insert(uid(6));
        assert_eq!(set.to_string(), "1:9,20");
        set.insert(uid(15));
        assert_eq!(set.to_string(), "1:9,15,20");
        set.insert_range(uid(10)..=uid(19));
        assert_eq!(set.to_string(), "1:20");
        set.insert_range(uid(30)..=uid(25)); // empty Rust range
        assert_eq!(set.to_string(), "1:20");
        set.insert_range(uid(30)..=uid(40));
        set.insert_range(uid(25)..=uid(50));
        assert_eq!(set.to_string(), "1:20,25:50");
        set.insert(uid(u32::MAX));
        set.insert(uid(u32::MAX - 1));
        assert_eq!(set.to_string(), "1:20,25:50,4294967294:4294967295");
        // Insert before everything.
        let mut set = uids("5:6,10");
        set.insert(uid(1));
        set.insert(uid(3));
        assert_eq!(set.to_string(), "1,3,5:6,10");
        set.insert_range(uid(2)..=uid(11));
        assert_eq!(set.to_string(), "1:11");
    }

    #[test]
    fn star_tail() {
        let mut set = uids("1:5,7");
        set.insert_from(uid(9));
        assert_eq!(set.to_string(), "1:5,7,9:*");
        assert!(set.has_star());
        assert_eq!(set.count(), None);
        assert!(set.iter().is_none());
        set.insert(uid(100)); // already inside 9:*
        assert_eq!(set.to_string(), "1:5,7,9:*");
        set.insert(uid(8)); // touches 9:* and 7
        assert_eq!(set.to_string(), "1:5,7:*");
        set.insert_from(uid(3));
        assert_eq!(set.to_string(), "1:*");
        assert_eq!(set, UidSet::all());

        let mut set = UidSet::largest();
        assert_eq!(set.to_string(), "*");
        assert!(!set.is_empty());
        assert!(!set.contains(u32::MAX));
        set.insert(uid(4));
        assert_eq!(set.to_string(), "4,*");
        set.insert_from(uid(10));
        assert_eq!(set.to_string(), "4,10:*");
        set.insert_largest();
        assert_eq!(set.to_string(), "4,10:*");
        assert_eq!(UidSet::from_start(uid(5)).to_string(), "5:*");
    }

    #[test]
    fn contains() {
        let set = uids("2,4:6,10:*");
        for (n, want) in [
            (0, false),
            (1, false),
            (2, true),
            (3, false),
            (4, true),
            (6, true),
        ] {
            assert_eq!(set.contains(n), want, "{n}");
        }
        assert!(!set.contains(9));
        assert!(set.contains(10));
        assert!(set.contains(u32::MAX));
        let set = uids("2,4:6");
        assert!(!set.contains(7));
        assert!(!set.contains(u32::MAX));
        assert!(!UidSet::new().contains(1));
    }

    #[test]
    fn empty_set() {
        let set = SeqSet::new();
        assert!(set.is_empty());
        assert_eq!(set.count(), Some(0));
        assert_eq!(set.to_string(), "");
        assert_eq!(set.ranges().count(), 0);
        assert_eq!(SeqSet::default(), set);
        assert!(SeqSet::from_range(seq(5)..=seq(4)).is_empty());
    }

    #[test]
    fn from_single_values() {
        assert_eq!(UidSet::from(uid(7)).to_string(), "7");
        assert_eq!(SeqSet::from(seq(7)).to_string(), "7");
        assert_eq!(SeqSet::from(seq(2)..=seq(4)).to_string(), "2:4");
    }

    #[test]
    fn ranges_and_debug() {
        let set: SeqSet = "1:3,5,8:*".parse().unwrap();
        let r: Vec<_> = set.ranges().collect();
        assert_eq!(
            r,
            [
                IdRange::Closed(seq(1), seq(3)),
                IdRange::Closed(seq(5), seq(5)),
                IdRange::From(seq(8))
            ]
        );
        assert_eq!(format!("{set:?}"), "SeqSet(1:3,5,8:*)");
        assert_eq!(format!("{:?}", uids("4")), "UidSet(4)");
        assert_eq!(
            SeqSet::largest().ranges().collect::<Vec<_>>(),
            [IdRange::Star]
        );
    }

    #[test]
    fn union() {
        let mut a = uids("1:3,10");
        a.union_with(&uids("4,8:*"));
        assert_eq!(a.to_string(), "1:4,8:*");
        let mut b = uids("1");
        b.union_with(&UidSet::largest());
        assert_eq!(b.to_string(), "1,*");
    }

    #[test]
    fn parse_wire_forms() {
        for (wire, shown) in [
            ("1", "1"),
            ("1:5,7,9:*", "1:5,7,9:*"),
            ("*", "*"),
            ("*:*", "*"),
            ("5:3", "3:5"),
            ("*:4", "4:*"),
            ("3,1,2", "1:3"),
            ("1:3,2:6", "1:6"),
            ("7,*", "7,*"),
            ("4294967295", "4294967295"),
            ("1:*,5", "1:*"),
        ] {
            assert_eq!(uids(wire).to_string(), shown, "{wire}");
        }
    }

    #[test]
    fn parse_errors_name_the_position() {
        for (wire, pos) in [
            ("", 0),
            ("0", 0),
            ("1,0", 2),
            ("01", 0),
            ("1,", 2),
            (",1", 0),
            ("1:", 2),
            ("1::2", 2),
            ("1 2", 1),
            ("1,2 ", 3),
            ("a", 0),
            ("1:5x", 3),
            ("4294967296", 0),
            ("7,99999999999", 2),
            ("-1", 0),
            ("1:2:3", 3),
            ("**", 1),
        ] {
            let e = wire.parse::<UidSet>().unwrap_err();
            assert_eq!(e.position, pos, "{wire:?}: {e}");
        }
        let e = "1,x".parse::<SeqSet>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid sequence set at byte 2: expected a number or '*'"
        );
    }

    #[test]
    fn display_parse_round_trip() {
        let mut set = UidSet::new();
        for n in [1u32, 2, 5, 6, 7, 100, 1000, 1001, 65_536, u32::MAX] {
            set.insert(uid(n));
            let again: UidSet = set.to_string().parse().unwrap();
            assert_eq!(again, set);
        }
    }
}
