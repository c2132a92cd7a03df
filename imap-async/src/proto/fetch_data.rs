//! The data items of one FETCH response (RFC 3501 §7.4.2, RFC 9051 §7.5.2), kept compact.
//!
//! A mailbox listing holds 100,000s of FETCH responses. Decoding each into a tree of heap
//! objects (one per string, address list and body part) made the results four to six
//! times the size of the bytes received, and cost most of the time of reading them. A
//! [`FetchData`] instead keeps the response's own bytes (a slice of the buffer they were
//! read into, not a copy) with the two facts every caller needs at once, the UID and which
//! kinds of items are present, and decodes an item only when it is asked for.
//!
//! The bytes are checked when the response arrives: strings, literals, lists and the
//! numbers of `UID`, `RFC822.SIZE` and `MODSEQ` must be well formed, so a broken response
//! is still an error at once, naming the position. What is decoded on access is the inner
//! shape of `ENVELOPE`, `BODYSTRUCTURE` and `INTERNALDATE`; a value there that cannot be
//! read comes back as [`FetchItem::Other`] with its raw bytes (and a warning in the log),
//! as an unreadable `INTERNALDATE` always did, so that one odd message never costs the
//! listing.

use bytes::Bytes;

use super::flag::{Flag, flags_from_wire};
use super::parse::{
    BodyStructureView, EnvelopeView, FIELDS, body_structure_view, decode_fetch_items,
    decode_first_fetch_item, envelope_view, flags_at, size_at,
};
use super::types::{BodyStructure, Envelope, FetchItem};

/// Which kind of item, one bit each in [`FetchData`]'s summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub(crate) enum ItemKind {
    Uid = 1,
    Flags = 1 << 1,
    InternalDate = 1 << 2,
    Rfc822Size = 1 << 3,
    Envelope = 1 << 4,
    BodyStructure = 1 << 5,
    Body = 1 << 6,
    Binary = 1 << 7,
    BinarySize = 1 << 8,
    ModSeq = 1 << 9,
    Other = 1 << 10,
}

impl ItemKind {
    /// The kinds whose first item's position is kept (the ones accessors decode).
    pub(crate) const POSITIONED: [ItemKind; 5] = [
        ItemKind::Flags,
        ItemKind::InternalDate,
        ItemKind::Rfc822Size,
        ItemKind::Envelope,
        ItemKind::BodyStructure,
    ];

    /// This kind's place in [`Self::POSITIONED`].
    pub(crate) fn slot(self) -> Option<usize> {
        Self::POSITIONED.iter().position(|&k| k == self)
    }

    /// The kind of a decoded item.
    pub(crate) fn of(item: &FetchItem) -> ItemKind {
        match item {
            FetchItem::Uid(_) => ItemKind::Uid,
            FetchItem::Flags(_) => ItemKind::Flags,
            FetchItem::InternalDate(_) => ItemKind::InternalDate,
            FetchItem::Rfc822Size(_) => ItemKind::Rfc822Size,
            FetchItem::Envelope(_) => ItemKind::Envelope,
            FetchItem::BodyStructure(_) => ItemKind::BodyStructure,
            FetchItem::Body { .. } => ItemKind::Body,
            FetchItem::Binary { .. } => ItemKind::Binary,
            // A piece of a body too large to hold counts as the body it is part of.
            FetchItem::BodyChunk { binary: true, .. } => ItemKind::Binary,
            FetchItem::BodyChunk { .. } => ItemKind::Body,
            FetchItem::BinarySize { .. } => ItemKind::BinarySize,
            FetchItem::ModSeq(_) => ItemKind::ModSeq,
            FetchItem::Other { .. } => ItemKind::Other,
        }
    }
}

/// The kinds of items present, as a bit set of [`ItemKind`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct KindSet(pub(crate) u16);

impl KindSet {
    pub(crate) fn has(self, kind: ItemKind) -> bool {
        self.0 & kind as u16 != 0
    }

    pub(crate) fn insert(&mut self, kind: ItemKind) {
        self.0 |= kind as u16;
    }
}

/// The data items of one FETCH response.
///
/// Received from a server, it holds the response's bytes and decodes on access: the
/// accessors of [`Fetched`](crate::Fetched) ([`envelope`](crate::Fetched::envelope),
/// [`flags`](crate::Fetched::flags), ...) and [`FetchData::iter`] decode just what they
/// return. Built by hand (from a `Vec<FetchItem>`, for tests and for data from elsewhere)
/// it holds the items themselves. Both compare equal when their items are.
///
/// ```
/// use imap_async::proto::{FetchData, FetchItem};
///
/// let data = FetchData::from(vec![FetchItem::Uid(7), FetchItem::Rfc822Size(2048)]);
/// assert_eq!(data.uid(), Some(7));
/// assert_eq!(data.len(), 2);
/// assert!(data.iter().any(|i| i == FetchItem::Rfc822Size(2048)));
/// ```
#[derive(Clone)]
pub struct FetchData {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    /// As received: `raw` is the parenthesised item list, literals included; it was
    /// checked when it arrived.
    Wire {
        raw: Bytes,
        /// The `UID` item's value; 0 when there is none (UIDs are never 0).
        uid: u32,
        kinds: KindSet,
        /// Number of items.
        count: u16,
        /// Where the first item of each of [`ItemKind::POSITIONED`] starts in `raw`
        /// (0: none), so that an accessor goes straight to it.
        first: [u32; 5],
        /// Where the first ENVELOPE's fields are.
        envelope: EnvelopeIndex,
    },
    Items(Vec<FetchItem>),
}

/// Where an ENVELOPE's `(` and its ten fields start, counted from the start of its item
/// (`ENVELOPE (...`), found when the response arrived: a view then reads a field without
/// walking the ones before it. All zero when not known (no envelope, one that could not
/// be read field by field, or one more than 64 KiB from its item's start).
#[derive(Clone, Copy, Default, Debug, PartialEq)]
pub(crate) struct EnvelopeIndex([u16; 1 + FIELDS]);

impl EnvelopeIndex {
    /// The index of an envelope whose item starts at `item`, its `(` at `open` and its
    /// fields at `fields` (positions in the same buffer).
    pub(crate) fn new(item: usize, open: usize, fields: &[u32; FIELDS]) -> EnvelopeIndex {
        let mut index = [0u16; 1 + FIELDS];
        let positions = std::iter::once(open).chain(fields.iter().map(|&f| f as usize));
        for (slot, pos) in index.iter_mut().zip(positions) {
            match pos.checked_sub(item).and_then(|d| u16::try_from(d).ok()) {
                Some(d) if d > 0 => *slot = d,
                _ => return EnvelopeIndex::default(),
            }
        }
        EnvelopeIndex(index)
    }

    fn is_known(&self) -> bool {
        self.0[0] != 0
    }

    /// The view, for the item starting at `item` in `raw`.
    fn view<'a>(&self, raw: &'a Bytes, item: u32) -> EnvelopeView<'a> {
        let mut fields = [0u32; FIELDS];
        for (f, &d) in fields.iter_mut().zip(&self.0[1..]) {
            *f = item + u32::from(d);
        }
        EnvelopeView::indexed(raw, item + u32::from(self.0[0]), fields)
    }
}

impl FetchData {
    /// Data received from a server, already checked by the parser: `raw` is the
    /// parenthesised list.
    pub(crate) fn from_wire(
        raw: Bytes,
        uid: u32,
        kinds: KindSet,
        count: usize,
        first: [u32; 5],
        envelope: EnvelopeIndex,
    ) -> FetchData {
        FetchData {
            repr: Repr::Wire {
                raw,
                uid,
                kinds,
                count: u16::try_from(count).unwrap_or(u16::MAX),
                first,
                envelope,
            },
        }
    }

    /// Where to start looking for an item of `kind` in received data.
    fn start_of(first: &[u32; 5], kind: ItemKind) -> usize {
        kind.slot().map_or(0, |i| first[i] as usize)
    }

    /// No items.
    pub fn new() -> FetchData {
        FetchData {
            repr: Repr::Items(Vec::new()),
        }
    }

    /// The `UID` item's value, if there is one: known without decoding anything.
    pub fn uid(&self) -> Option<u32> {
        match &self.repr {
            Repr::Wire { uid, .. } => (*uid != 0).then_some(*uid),
            Repr::Items(items) => items.iter().find_map(|i| match i {
                FetchItem::Uid(u) => Some(*u),
                _ => None,
            }),
        }
    }

    /// How many items the response carries.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Wire { count, .. } => usize::from(*count),
            Repr::Items(items) => items.len(),
        }
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The response's item list as received, `(` to `)`, literals included; `None` for
    /// data built by hand.
    pub fn raw(&self) -> Option<&Bytes> {
        match &self.repr {
            Repr::Wire { raw, .. } => Some(raw),
            Repr::Items(_) => None,
        }
    }

    /// The items, for data built from items (not received).
    pub(crate) fn as_items(&self) -> Option<&[FetchItem]> {
        match &self.repr {
            Repr::Items(items) => Some(items),
            Repr::Wire { .. } => None,
        }
    }

    /// Every item, decoded, in the order received.
    pub fn iter(&self) -> std::vec::IntoIter<FetchItem> {
        self.to_vec().into_iter()
    }

    /// Every item, decoded, in the order received.
    pub fn to_vec(&self) -> Vec<FetchItem> {
        match &self.repr {
            Repr::Wire { raw, .. } => decode_fetch_items(raw),
            Repr::Items(items) => items.clone(),
        }
    }

    /// The kinds of items present.
    pub(crate) fn kinds(&self) -> KindSet {
        match &self.repr {
            Repr::Wire { kinds, .. } => *kinds,
            Repr::Items(items) => {
                let mut set = KindSet::default();
                for i in items {
                    set.insert(ItemKind::of(i));
                }
                set
            }
        }
    }

    /// The first item for which `pick` gives a value, decoding only items of `kind`
    /// (the others are skipped over, not decoded).
    pub(crate) fn find_map<T>(
        &self,
        kind: ItemKind,
        mut pick: impl FnMut(FetchItem) -> Option<T>,
    ) -> Option<T> {
        match &self.repr {
            Repr::Wire {
                raw, kinds, first, ..
            } => {
                if !kinds.has(kind) {
                    return None;
                }
                let mut found = None;
                decode_first_fetch_item(raw, kind, Self::start_of(first, kind), &mut |item| {
                    found = pick(item);
                    found.is_some()
                });
                found
            }
            Repr::Items(items) => items
                .iter()
                .filter(|i| ItemKind::of(i) == kind)
                .find_map(|i| pick(i.clone())),
        }
    }

    /// Where the first item of `kind` starts in received data, for the kinds whose place
    /// is kept.
    fn first_of(&self, kind: ItemKind) -> Option<(&Bytes, usize)> {
        match &self.repr {
            Repr::Wire {
                raw, kinds, first, ..
            } if kinds.has(kind) => {
                let at = first[kind.slot()?] as usize;
                (at != 0).then_some((raw, at))
            }
            _ => None,
        }
    }

    /// The first `FLAGS`, decoded: read in place for received data (the item's place and
    /// shape were checked when it arrived).
    pub(crate) fn flags(&self) -> Option<Vec<Flag>> {
        if let Some(flags) = self
            .first_of(ItemKind::Flags)
            .and_then(|(raw, at)| flags_at(raw, at))
        {
            return Some(flags);
        }
        self.find_map(ItemKind::Flags, |i| match i {
            FetchItem::Flags(f) => Some(flags_from_wire(&f)),
            _ => None,
        })
    }

    /// The first `RFC822.SIZE`: read in place for received data.
    pub(crate) fn size(&self) -> Option<u64> {
        if let Some(n) = self
            .first_of(ItemKind::Rfc822Size)
            .and_then(|(raw, at)| size_at(raw, at))
        {
            return Some(n);
        }
        self.find_map(ItemKind::Rfc822Size, |i| match i {
            FetchItem::Rfc822Size(n) => Some(n),
            _ => None,
        })
    }

    /// The `ENVELOPE`, decoded.
    pub(crate) fn envelope(&self) -> Option<Envelope> {
        self.find_map(ItemKind::Envelope, |i| match i {
            FetchItem::Envelope(e) => Some(*e),
            _ => None,
        })
    }

    /// A view of the `ENVELOPE`, reading its fields straight from the received bytes;
    /// `None` when there is none, and for data built by hand.
    pub fn envelope_view(&self) -> Option<EnvelopeView<'_>> {
        match &self.repr {
            Repr::Wire {
                raw,
                kinds,
                first,
                envelope,
                ..
            } if kinds.has(ItemKind::Envelope) => {
                let item = Self::start_of(first, ItemKind::Envelope);
                if envelope.is_known() {
                    return Some(envelope.view(raw, item as u32));
                }
                envelope_view(raw, item)
            }
            _ => None,
        }
    }

    /// A view of the `BODYSTRUCTURE` (or `BODY`), reading its parts straight from the
    /// received bytes; `None` when there is none, and for data built by hand.
    pub fn body_structure_view(&self) -> Option<BodyStructureView<'_>> {
        match &self.repr {
            Repr::Wire {
                raw, kinds, first, ..
            } if kinds.has(ItemKind::BodyStructure) => {
                body_structure_view(raw, Self::start_of(first, ItemKind::BodyStructure))
            }
            _ => None,
        }
    }

    /// The `BODYSTRUCTURE` (or `BODY`), decoded.
    pub(crate) fn body_structure(&self) -> Option<BodyStructure> {
        self.find_map(ItemKind::BodyStructure, |i| match i {
            FetchItem::BodyStructure(b) => Some(*b),
            _ => None,
        })
    }

    /// Add the items of another response for the same message (servers may split one
    /// message's data over several FETCH responses).
    pub fn extend(&mut self, more: FetchData) {
        if more.is_empty() {
            return;
        }
        if self.is_empty() {
            *self = more;
            return;
        }
        match (&mut self.repr, more.repr) {
            (
                Repr::Wire {
                    raw,
                    uid,
                    kinds,
                    count,
                    first,
                    envelope,
                },
                Repr::Wire {
                    raw: more_raw,
                    uid: more_uid,
                    kinds: more_kinds,
                    count: more_count,
                    first: more_first,
                    envelope: more_envelope,
                },
            ) => {
                // Offsets within an item do not move; the envelope's index goes with the
                // first envelope, wherever it is.
                let envelope_slot = ItemKind::Envelope.slot().unwrap_or(0);
                if first[envelope_slot] == 0 {
                    *envelope = more_envelope;
                }
                // `(a b)` + `(c d)` = `(a b c d)`: both were checked, so the joined list
                // needs no new check. A rare case (one message split over two
                // responses), so the copy does not matter.
                let mut joined = Vec::with_capacity(raw.len() + more_raw.len());
                joined.extend_from_slice(&raw[..raw.len() - 1]);
                joined.push(b' ');
                joined.extend_from_slice(&more_raw[1..]);
                // The second list's items move by the first's length, less its `)`,
                // plus the joining space, less the second's `(`.
                let shift = raw.len() as u32 - 1;
                for (at, more_at) in first.iter_mut().zip(more_first) {
                    if *at == 0 && more_at != 0 {
                        *at = more_at + shift;
                    }
                }
                *raw = Bytes::from(joined);
                if *uid == 0 {
                    *uid = more_uid;
                }
                kinds.0 |= more_kinds.0;
                *count = count.saturating_add(more_count);
            }
            (_, more_repr) => {
                let mut items = self.to_vec();
                items.extend(FetchData { repr: more_repr }.to_vec());
                self.repr = Repr::Items(items);
            }
        }
    }
}

impl Default for FetchData {
    fn default() -> Self {
        FetchData::new()
    }
}

impl From<Vec<FetchItem>> for FetchData {
    fn from(items: Vec<FetchItem>) -> FetchData {
        FetchData {
            repr: Repr::Items(items),
        }
    }
}

impl FromIterator<FetchItem> for FetchData {
    fn from_iter<I: IntoIterator<Item = FetchItem>>(iter: I) -> FetchData {
        FetchData::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl IntoIterator for &FetchData {
    type Item = FetchItem;
    type IntoIter = std::vec::IntoIter<FetchItem>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl PartialEq for FetchData {
    fn eq(&self, other: &FetchData) -> bool {
        match (&self.repr, &other.repr) {
            (Repr::Wire { raw: a, .. }, Repr::Wire { raw: b, .. }) if a == b => true,
            _ => self.to_vec() == other.to_vec(),
        }
    }
}

impl PartialEq<Vec<FetchItem>> for FetchData {
    fn eq(&self, other: &Vec<FetchItem>) -> bool {
        self.to_vec() == *other
    }
}

impl PartialEq<[FetchItem]> for FetchData {
    fn eq(&self, other: &[FetchItem]) -> bool {
        self.to_vec() == other
    }
}

/// Shows the decoded items, like a `Vec<FetchItem>` would.
impl std::fmt::Debug for FetchData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.to_vec()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Response, Untagged, parse_response};

    fn received(wire: &'static [u8]) -> FetchData {
        match parse_response(Bytes::from_static(wire)).unwrap() {
            Response::Untagged(Untagged::Fetch { items, .. }) => items,
            other => panic!("not FETCH: {other:?}"),
        }
    }

    #[test]
    fn received_data_is_the_response_bytes_decoded_on_access() {
        let wire = b"* 3 FETCH (UID 9 FLAGS (\\Seen $Junk) RFC822.SIZE 120 BODY[TEXT] {5}\r\nhello ENVELOPE (NIL {3}\r\nabc NIL NIL NIL NIL NIL NIL NIL \"<id@x>\"))\r\n";
        let data = received(wire);
        let raw = data.raw().expect("kept as received");
        assert!(raw.starts_with(b"(UID 9") && raw.ends_with(b"\"<id@x>\"))"));
        // A slice of the frame, not a copy.
        assert_eq!(data.uid(), Some(9));
        assert_eq!(data.len(), 5);
        let kinds = data.kinds();
        for k in [
            ItemKind::Uid,
            ItemKind::Flags,
            ItemKind::Rfc822Size,
            ItemKind::Body,
        ] {
            assert!(kinds.has(k), "{k:?}");
        }
        assert!(!kinds.has(ItemKind::BodyStructure));
        let env = data.envelope().expect("envelope");
        assert_eq!(env.subject.as_deref(), Some(&b"abc"[..]));
        assert_eq!(env.message_id.as_deref(), Some(&b"<id@x>"[..]));
        assert!(data.body_structure().is_none());
        let items = data.to_vec();
        assert_eq!(items.len(), 5);
        assert_eq!(items[2], FetchItem::Rfc822Size(120));
        assert!(matches!(&items[3], FetchItem::Body { data: Some(d), .. } if &d[..] == b"hello"));
        // The same items built by hand compare equal.
        assert_eq!(FetchData::from(items.clone()), data);
        assert_eq!(data, items);
    }

    #[test]
    fn split_responses_merge_in_order() {
        let mut a = received(b"* 1 FETCH (FLAGS (\\Seen))\r\n");
        assert_eq!(a.uid(), None);
        a.extend(received(b"* 1 FETCH (UID 5 RFC822.SIZE 7)\r\n"));
        assert_eq!(a.uid(), Some(5));
        assert_eq!(a.len(), 3);
        assert!(a.kinds().has(ItemKind::Flags) && a.kinds().has(ItemKind::Rfc822Size));
        assert_eq!(
            a.to_vec(),
            vec![
                FetchItem::Flags(vec![Bytes::from_static(b"\\Seen")]),
                FetchItem::Uid(5),
                FetchItem::Rfc822Size(7)
            ]
        );
        // Received data merged with data built by hand keeps every item.
        a.extend(FetchData::from(vec![FetchItem::ModSeq(3)]));
        assert_eq!(a.len(), 4);
        assert_eq!(a.to_vec()[3], FetchItem::ModSeq(3));
        let mut empty = FetchData::new();
        empty.extend(received(b"* 1 FETCH (UID 6)\r\n"));
        assert_eq!(empty.uid(), Some(6));
    }

    #[test]
    fn malformed_items_are_errors_when_they_arrive() {
        for (wire, reason) in [
            (&b"* 1 FETCH (UID x)\r\n"[..], "expected a number"),
            (b"* 1 FETCH (RFC822.SIZE)\r\n", "expected a number"),
            (
                b"* 1 FETCH (ENVELOPE NIL)\r\n",
                "expected '(' before envelope",
            ),
            (
                b"* 1 FETCH (ENVELOPE (((((NIL)))))\r\n",
                "envelope nested too deeply",
            ),
            (b"* 1 FETCH (BODY[] )\r\n", "expected a string"),
            (b"* 1 FETCH (FLAGS (\\Seen\r\n", "unterminated flag list"),
            (b"* 1 FETCH (FLAGS (\\Seen)\r\n", "unterminated FETCH data"),
            (
                b"* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\"\r\n",
                "unterminated list",
            ),
            (
                b"* 1 FETCH (BODY[] {10}\r\nabc)\r\n",
                "literal longer than the response",
            ),
        ] {
            let e = parse_response(Bytes::copy_from_slice(wire)).unwrap_err();
            assert_eq!(e.reason, reason, "{}", String::from_utf8_lossy(wire));
        }
    }

    #[test]
    fn envelope_views_read_what_the_decoded_envelope_holds() {
        use crate::proto::{Address, AddressView};
        fn owned(list: crate::proto::Addresses<'_>) -> Option<Vec<Address>> {
            let v: Vec<Address> = list
                .map(|a: AddressView<'_>| Address {
                    name: a.name.map(|c| Bytes::from(c.into_owned())),
                    route: a.route.map(|c| Bytes::from(c.into_owned())),
                    mailbox: a.mailbox.map(|c| Bytes::from(c.into_owned())),
                    host: a.host.map(|c| Bytes::from(c.into_owned())),
                })
                .collect();
            (!v.is_empty()).then_some(v)
        }
        for wire in [
            &b"* 1 FETCH (UID 1 ENVELOPE (\"Mon, 1 Jan 2024 10:00:00 +0000\" \"=?UTF-8?B?w6k=?= \\\"q\\\"\" ((\"Al \\\"A\\\"\" NIL \"al\" \"x.org\")) NIL NIL ((NIL NIL \"team\" NIL)(NIL NIL \"bo\" \"y.org\")(NIL NIL NIL NIL)) NIL NIL NIL \"<1@x>\"))\r\n"[..],
            b"* 2 FETCH (FLAGS () ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) UID 2)\r\n",
            b"* 3 FETCH (ENVELOPE ({5}\r\nd\"a)e {4}\r\n\xc3\xa9t\xc3 ((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL \"<0@x>\" NIL))\r\n",
        ] {
            let data = received(wire);
            let env = data.envelope().expect("envelope");
            let view = data.envelope_view().expect("view");
            let bytes = |c: Option<std::borrow::Cow<'_, [u8]>>| c.map(|c| Bytes::from(c.into_owned()));
            assert_eq!(bytes(view.date()), env.date.clone());
            assert_eq!(bytes(view.subject()), env.subject.clone());
            assert_eq!(bytes(view.in_reply_to()), env.in_reply_to.clone());
            assert_eq!(bytes(view.message_id()), env.message_id.clone());
            assert_eq!(owned(view.from()), env.from.clone());
            assert_eq!(owned(view.to()), env.to.clone().filter(|v| !v.is_empty()));
            assert_eq!(owned(view.cc()), env.cc.clone());
            assert_eq!(view.to_envelope(), env);
            // Counting checks each address as reading does, and builds none.
            for list in [view.from(), view.to(), view.cc(), view.bcc()] {
                assert_eq!(list.clone().count(), list.collect::<Vec<_>>().len());
            }
        }
        // An address that cannot be read ends the list, for counting as for reading.
        let data = received(b"* 1 FETCH (ENVELOPE (NIL NIL ((NIL NIL \"a\" \"b\")(NIL NIL \"c\")) NIL NIL NIL NIL NIL NIL NIL))\r\n");
        let view = data.envelope_view().expect("view");
        assert_eq!(view.from().count(), 1);
        assert_eq!(view.from().collect::<Vec<_>>().len(), 1);
        assert!(
            FetchData::from(vec![FetchItem::Uid(1)])
                .envelope_view()
                .is_none()
        );
        assert!(received(b"* 1 FETCH (UID 1)\r\n").envelope_view().is_none());
    }

    #[test]
    fn envelope_fields_found_on_arrival_are_the_ones_a_walk_finds() {
        let subject = |d: &FetchData| {
            d.envelope_view()
                .and_then(|v| v.subject())
                .map(|c| c.into_owned())
        };
        let walked = |d: &FetchData| match &d.repr {
            Repr::Wire { raw, first, .. } => {
                let at = FetchData::start_of(first, ItemKind::Envelope);
                crate::proto::parse::envelope_view(raw, at)
                    .and_then(|v| v.subject())
                    .map(|c| c.into_owned())
            }
            Repr::Items(_) => None,
        };
        // Indexed: the view reads the same field a walk from the item finds.
        let data = received(
            b"* 1 FETCH (UID 1 ENVELOPE (NIL \"one\" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n",
        );
        assert!(matches!(&data.repr, Repr::Wire { envelope, .. } if envelope.is_known()));
        assert_eq!(subject(&data), Some(b"one".to_vec()));
        assert_eq!(subject(&data), walked(&data));
        // A first envelope that cannot be read field by field (nine fields) is not
        // indexed, and the second one's fields are not taken for it.
        let data = received(b"* 1 FETCH (ENVELOPE (NIL \"bad\" NIL NIL NIL NIL NIL NIL NIL) ENVELOPE (NIL \"two\" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n");
        assert!(matches!(&data.repr, Repr::Wire { envelope, .. } if !envelope.is_known()));
        assert_eq!(subject(&data), walked(&data));
        // Split over two responses: the envelope's index moves with it.
        let mut data = received(b"* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n");
        data.extend(received(b"* 1 FETCH (RFC822.SIZE 5 ENVELOPE (NIL \"three\" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n"));
        assert!(matches!(&data.repr, Repr::Wire { envelope, .. } if envelope.is_known()));
        assert_eq!(subject(&data), Some(b"three".to_vec()));
        assert_eq!(subject(&data), walked(&data));
    }

    #[test]
    fn body_structure_views_walk_what_the_decoded_structure_holds() {
        use crate::proto::{BodyStructure, BodyStructureView};
        /// (media type, subtype, size) of every part, depth first, from both.
        fn walk_view(v: BodyStructureView<'_>, out: &mut Vec<(Vec<u8>, Vec<u8>, Option<u32>)>) {
            let t = v.media_type().unwrap_or_default().into_owned();
            let st = v.media_subtype().unwrap_or_default().into_owned();
            out.push((t, st, v.size()));
            for p in v.parts() {
                walk_view(p, out);
            }
            if let Some(inner) = v.enclosed() {
                walk_view(inner, out);
            }
        }
        fn walk(b: &BodyStructure, out: &mut Vec<(Vec<u8>, Vec<u8>, Option<u32>)>) {
            match b {
                BodyStructure::Single {
                    media_type,
                    media_subtype,
                    size,
                    message,
                    ..
                } => {
                    out.push((media_type.to_vec(), media_subtype.to_vec(), Some(*size)));
                    if let Some(m) = message {
                        walk(&m.1, out);
                    }
                }
                BodyStructure::Multipart {
                    parts,
                    media_subtype,
                    ..
                } => {
                    out.push((b"multipart".to_vec(), media_subtype.to_vec(), None));
                    for p in parts {
                        walk(p, out);
                    }
                }
            }
        }
        for wire in [
            &b"* 1 FETCH (UID 1 BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 12 1 NIL NIL NIL NIL)((\"text\" \"html\" NIL NIL NIL \"quoted-printable\" 340 8 NIL NIL NIL NIL)(\"image\" \"png\" (\"name\" \"a\\\"b).png\") \"<i@x>\" NIL \"base64\" 5000 NIL (\"inline\" (\"filename\" \"a.png\")) NIL NIL) \"related\" (\"boundary\" \"b2\") NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL))\r\n"[..],
            b"* 2 FETCH (BODYSTRUCTURE (\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 900 (NIL {4}\r\nsubj NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" NIL NIL NIL \"7bit\" 10 1) 20) UID 2)\r\n",
            b"* 3 FETCH (BODY (\"text\" \"plain\" NIL NIL NIL \"7bit\" 3 1))\r\n",
            // The type in capitals, as a literal, and types that only begin like MESSAGE:
            // only message/rfc822 and message/global parts enclose a message.
            b"* 4 FETCH (BODYSTRUCTURE ((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7bit\" 900 (NIL \"s\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" NIL NIL NIL \"7bit\" 10 1) 20)({7}\r\nMessage \"global\" NIL NIL NIL \"8bit\" 900 (NIL \"t\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"html\" NIL NIL NIL \"7bit\" 11 1) 21)(\"MESSAGES\" \"rfc822\" NIL NIL NIL \"7bit\" 5 NIL)(\"MESSAG\" \"rfc822\" NIL NIL NIL \"7bit\" 6 NIL)(\"message\" \"delivery-status\" NIL NIL NIL \"7bit\" 7 NIL) \"mixed\"))\r\n",
        ] {
            let data = received(wire);
            let owned = data.body_structure().expect("body structure");
            let view = data.body_structure_view().expect("view");
            let (mut a, mut b) = (Vec::new(), Vec::new());
            walk_view(view, &mut a);
            walk(&owned, &mut b);
            assert_eq!(a, b, "{}", String::from_utf8_lossy(wire));
            let enclosing = view.parts().filter(|p| p.enclosed().is_some()).count()
                + usize::from(view.enclosed().is_some());
            let want = match &owned {
                BodyStructure::Multipart { parts, .. } => parts
                    .iter()
                    .filter(|p| matches!(p, BodyStructure::Single { message: Some(_), .. }))
                    .count(),
                BodyStructure::Single { message, .. } => usize::from(message.is_some()),
            };
            assert_eq!(enclosing, want, "{}", String::from_utf8_lossy(wire));
            assert_eq!(view.to_body_structure(), Some(owned));
        }
        assert!(
            FetchData::from(vec![FetchItem::Uid(1)])
                .body_structure_view()
                .is_none()
        );
    }

    proptest::proptest! {
        /// Counting an address list reaches the number of addresses reading it gives,
        /// whatever the list holds: well-formed addresses, escapes, literals, atoms, too
        /// few or too many fields, stray spaces and parentheses.
        #[test]
        fn counting_addresses_agrees_with_reading_them(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "(", ")", " ", "  ", "NIL", "nil", "\"a\"", "\"\"", "\"a b\"",
                    "\"q\\\"d\"", "\"s\\\\\"", "{1}\r\nz", "{0}\r\n", "abc", "NILS",
                    "(NIL NIL \"m\" \"h\")", "(\"N\" NIL \"m\" \"h\")",
                    "(NIL NIL \"g\" NIL)", "(NIL NIL NIL NIL)",
                ]),
                0..14,
            ),
        ) {
            let list = pieces.concat();
            let wire = format!(
                "* 1 FETCH (ENVELOPE (NIL NIL ({list}) NIL NIL NIL NIL NIL NIL NIL))\r\n"
            );
            let Ok(Response::Untagged(Untagged::Fetch { items, .. })) =
                parse_response(Bytes::from(wire.into_bytes()))
            else {
                return Ok(());
            };
            if let Some(view) = items.envelope_view() {
                for field in [view.from(), view.sender()] {
                    proptest::prop_assert_eq!(
                        field.clone().count(),
                        field.collect::<Vec<_>>().len(),
                        "{}",
                        list
                    );
                }
                // Where the whole envelope decodes, reading gives the decoded addresses.
                if let Some(env) = items.envelope() {
                    let read: Vec<[Option<Vec<u8>>; 4]> = view
                        .from()
                        .map(|a| [a.name, a.route, a.mailbox, a.host].map(|f| f.map(|c| c.into_owned())))
                        .collect();
                    let decoded: Vec<[Option<Vec<u8>>; 4]> = env
                        .from
                        .iter()
                        .flatten()
                        .map(|a| [&a.name, &a.route, &a.mailbox, &a.host].map(|f| f.as_ref().map(|b| b.to_vec())))
                        .collect();
                    proptest::prop_assert_eq!(read, decoded, "{}", list);
                }
            }
        }
    }

    #[test]
    fn flags_read_in_place_are_the_decoded_flags() {
        use crate::proto::Flag;
        for (wire, want) in [
            (&b"* 1 FETCH (UID 1 FLAGS ())\r\n"[..], vec![]),
            (b"* 2 FETCH (FLAGS ( ) UID 2)\r\n", vec![]),
            (
                b"* 3 FETCH (FLAGS (\\Seen \\ANSWERED $Junk \\Important NonJunk \\flagged))\r\n",
                vec![
                    Flag::Seen,
                    Flag::Answered,
                    Flag::keyword("$Junk"),
                    Flag::Extension("Important".into()),
                    Flag::keyword("NonJunk"),
                    Flag::Flagged,
                ],
            ),
        ] {
            let data = received(wire);
            assert_eq!(
                data.flags(),
                Some(want.clone()),
                "{}",
                String::from_utf8_lossy(wire)
            );
            let decoded = data.find_map(ItemKind::Flags, |i| match i {
                FetchItem::Flags(f) => Some(flags_from_wire(&f)),
                _ => None,
            });
            assert_eq!(decoded, Some(want));
        }
        assert_eq!(received(b"* 4 FETCH (UID 4)\r\n").flags(), None);
    }

    #[test]
    fn the_compact_form_is_small() {
        // One response: the bytes are shared with the read buffer; the rest is a few words.
        assert!(std::mem::size_of::<FetchData>() <= 88);
    }
}
