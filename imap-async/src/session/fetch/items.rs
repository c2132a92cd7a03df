//! What a FETCH returns (RFC 3501 §7.4.2, RFC 9051 §7.5.2): one message's data
//! ([`Fetched`]). What it asks for (`FetchAttr`, `FetchItems`) is in
//! `proto/fetch_items.rs`.

use bytes::Bytes;

use crate::proto::fetch_data::ItemKind;
use crate::proto::fetch_items::FetchAttr;
use crate::proto::flag::Flag;
use crate::proto::section::{Section, section_from_wire};
use crate::proto::{
    BodyStructure, BodyStructureView, Envelope, EnvelopeView, FetchData, FetchItem, Uid, UidSet,
};

/// One message's data from a FETCH, all lines for that message merged.
///
/// Compact: it holds the bytes of the server's response (a slice of the buffer they were
/// read into) and decodes an item when an accessor asks for it, so 100,000 collected
/// messages take about the memory of the response itself (see [`FetchData`]). Accessors
/// that return a decoded value ([`envelope`](Self::envelope),
/// [`body_structure`](Self::body_structure), [`flags`](Self::flags)) decode it at each
/// call: keep the value rather than asking again in a loop.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// The message's sequence number when the response was sent.
    pub seq: u32,
    /// Every data item, in the order received, decoded on access.
    pub items: FetchData,
}

impl Fetched {
    /// The message's `UID`, if it was fetched.
    ///
    /// ```
    /// use imap_async::Fetched;
    /// use imap_async::proto::FetchItem;
    ///
    /// let msg = Fetched {
    ///     seq: 1,
    ///     items: vec![FetchItem::Uid(42)].into(),
    /// };
    /// assert_eq!(msg.uid().map(|u| u.get()), Some(42));
    /// assert_eq!(Fetched { seq: 1, items: vec![].into() }.uid(), None);
    /// ```
    pub fn uid(&self) -> Option<Uid> {
        self.items.uid().and_then(Uid::new)
    }

    /// `FLAGS`, if fetched, as [`Flag`]s in the server's order.
    ///
    /// ```
    /// use imap_async::{Fetched, Flag};
    /// use imap_async::proto::FetchItem;
    ///
    /// let msg = Fetched {
    ///     seq: 1,
    ///     items: vec![FetchItem::Flags(vec!["\\Seen".into(), "$Junk".into()])].into(),
    /// };
    /// let flags = msg.flags().unwrap();
    /// assert_eq!(flags, [Flag::Seen, Flag::keyword("$Junk")]);
    /// assert!(flags.contains(&Flag::Seen));
    /// ```
    pub fn flags(&self) -> Option<Vec<Flag>> {
        self.items.flags()
    }

    /// `INTERNALDATE`, in the zone the server gave.
    ///
    /// ```
    /// use imap_async::Fetched;
    /// use imap_async::proto::FetchItem;
    ///
    /// let date = chrono::DateTime::parse_from_rfc3339("2024-03-01T10:00:00+01:00").unwrap();
    /// let msg = Fetched {
    ///     seq: 1,
    ///     items: vec![FetchItem::InternalDate(date)].into(),
    /// };
    /// assert_eq!(msg.internal_date(), Some(date));
    /// ```
    pub fn internal_date(&self) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        self.items.find_map(ItemKind::InternalDate, |i| match i {
            FetchItem::InternalDate(d) => Some(d),
            _ => None,
        })
    }

    /// `RFC822.SIZE`: the message size in octets, if fetched.
    ///
    /// ```
    /// use imap_async::Fetched;
    /// use imap_async::proto::FetchItem;
    ///
    /// let msg = Fetched {
    ///     seq: 1,
    ///     items: vec![FetchItem::Rfc822Size(2048)].into(),
    /// };
    /// assert_eq!(msg.size(), Some(2048));
    /// ```
    pub fn size(&self) -> Option<u64> {
        self.items.size()
    }

    /// `ENVELOPE`, if fetched.
    ///
    /// ```
    /// use imap_async::Fetched;
    /// use imap_async::proto::{Envelope, FetchItem};
    ///
    /// let env = Envelope {
    ///     subject: Some("Hello".into()),
    ///     ..Envelope::default()
    /// };
    /// let msg = Fetched {
    ///     seq: 1,
    ///     items: vec![FetchItem::Envelope(Box::new(env))].into(),
    /// };
    /// assert_eq!(msg.envelope().and_then(|e| e.subject).as_deref(), Some(&b"Hello"[..]));
    /// ```
    pub fn envelope(&self) -> Option<Envelope> {
        self.items.envelope()
    }

    /// A view of the `ENVELOPE`, if fetched: its fields read straight from the received
    /// bytes when asked for, borrowed, without building an [`Envelope`]. The fast way to
    /// list a folder (a subject and a sender per message); `None` also for a message built
    /// by hand from items (use [`envelope`](Self::envelope) there).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use futures::TryStreamExt;
    /// use imap_async::UidSet;
    /// use imap_async::session::FetchAttr;
    ///
    /// let mut messages = session.fetch_stream(&UidSet::all(), [FetchAttr::Envelope])?;
    /// while let Some(msg) = messages.try_next().await? {
    ///     if let Some(env) = msg.envelope_view() {
    ///         let subject = env.subject().unwrap_or_default();
    ///         let from = env.from().next().and_then(|a| a.mailbox).unwrap_or_default();
    ///         println!("{} | {}", String::from_utf8_lossy(&from), String::from_utf8_lossy(&subject));
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn envelope_view(&self) -> Option<EnvelopeView<'_>> {
        self.items.envelope_view()
    }

    /// A view of the `BODYSTRUCTURE`, if fetched: its parts walked straight from the
    /// received bytes, nothing built. `None` also for a message built by hand from items
    /// (use [`body_structure`](Self::body_structure) there).
    ///
    /// ```no_run
    /// # fn run(msg: &imap_async::Fetched) {
    /// use imap_async::proto::BodyStructureView;
    ///
    /// fn leaves(body: BodyStructureView<'_>) -> usize {
    ///     if body.is_multipart() { body.parts().map(leaves).sum() } else { 1 }
    /// }
    /// if let Some(body) = msg.body_structure_view() {
    ///     println!("{} parts", leaves(body));
    /// }
    /// # }
    /// ```
    pub fn body_structure_view(&self) -> Option<BodyStructureView<'_>> {
        self.items.body_structure_view()
    }

    /// `BODYSTRUCTURE`, if fetched.
    ///
    /// ```
    /// use imap_async::Fetched;
    /// use imap_async::proto::FetchItem;
    ///
    /// let msg = Fetched {
    ///     seq: 1,
    ///     items: vec![FetchItem::Uid(7)].into(),
    /// };
    /// // No BODYSTRUCTURE was fetched for this message.
    /// assert!(msg.body_structure().is_none());
    /// ```
    pub fn body_structure(&self) -> Option<BodyStructure> {
        self.items.body_structure()
    }

    /// The data of `BODY[section]`: a [`Section`] ([`Section::Full`] for the whole message,
    /// [`Section::Header`], a part, ...) or its text. The server's echo is found whatever
    /// its case and quoting (sections are compared parsed: `HEADER.FIELDS (Subject "From")`
    /// answers `HEADER.FIELDS (SUBJECT FROM)`). `BODY.PEEK[...]` is answered as `BODY[...]`,
    /// so the same section finds either.
    ///
    /// ```
    /// use imap_async::{Fetched, Section};
    /// use imap_async::proto::FetchItem;
    ///
    /// let msg = Fetched {
    ///     seq: 1,
    ///     items: vec![FetchItem::Body {
    ///         section: "HEADER.FIELDS (Subject \"From\")".into(),
    ///         origin: None,
    ///         data: Some("Subject: hi\r\n\r\n".into()),
    ///     }].into(),
    /// };
    /// let asked = Section::HeaderFields(vec!["SUBJECT".into(), "FROM".into()]);
    /// assert_eq!(msg.body(&asked).as_deref(), Some(&b"Subject: hi\r\n\r\n"[..]));
    /// assert!(msg.body("header.fields (from subject)").is_some());
    /// assert!(msg.body(Section::Text).is_none());
    /// ```
    pub fn body(&self, section: impl Into<Section>) -> Option<Bytes> {
        let section = section.into();
        self.items.find_map(ItemKind::Body, |i| match i {
            FetchItem::Body {
                section: s,
                data: Some(d),
                ..
            } if section_from_wire(&s) == section => Some(d),
            _ => None,
        })
    }

    /// The response item answering `attr`, matched the way it was asked: a partial
    /// `BODY.PEEK[]<0.10>` is answered by `BODY[]<0>` (IMAPClient keys it `BODY[]<0>`).
    ///
    /// ```
    /// use imap_async::{Fetched, Section};
    /// use imap_async::proto::FetchItem;
    /// use imap_async::session::FetchAttr;
    ///
    /// let msg = Fetched {
    ///     seq: 1,
    ///     items: vec![FetchItem::Body {
    ///         section: "".into(),
    ///         origin: Some(0),
    ///         data: Some("From: a@b\r\n".into()),
    ///     }].into(),
    /// };
    /// let asked = FetchAttr::body_peek(Section::Full).partial(0, 10);
    /// assert_eq!(msg.data(&asked).as_deref(), Some(&b"From: a@b\r\n"[..]));
    /// assert!(msg.data(&FetchAttr::body_peek(Section::Full)).is_none());
    /// ```
    pub fn get(&self, attr: &FetchAttr) -> Option<FetchItem> {
        self.items.iter().find(|i| attr.answered_by(i))
    }

    /// The data of a `BODY[...]`, `BINARY[...]` or `RFC822*` answer, matched like
    /// [`get`](Self::get). `None` when absent or `NIL`.
    ///
    /// ```
    /// use imap_async::{Fetched, Section};
    /// use imap_async::proto::FetchItem;
    /// use imap_async::session::FetchAttr;
    ///
    /// let msg = Fetched {
    ///     seq: 1,
    ///     items: vec![FetchItem::Body {
    ///         section: "1".into(),
    ///         origin: None,
    ///         data: Some("part one".into()),
    ///     }].into(),
    /// };
    /// let part = FetchAttr::body_peek(Section::part([1]));
    /// assert_eq!(msg.data(&part).as_deref(), Some(&b"part one"[..]));
    /// ```
    pub fn data(&self, attr: &FetchAttr) -> Option<Bytes> {
        match self.get(attr)? {
            FetchItem::Body { data, .. } | FetchItem::Binary { data, .. } => data,
            _ => None,
        }
    }

    /// A piece of a body too large to hold in memory, as [`Session::fetch_stream`]
    /// (and [`Session::fetch_batched`]) hand it out: a `BODY[...]` or `BINARY[...]`
    /// literal above [`Limits::max_literal`](crate::proto::Limits::max_literal) comes as
    /// consecutive stream items for its message, each with one piece, in order. Every
    /// piece carries the message's sequence number and, when the server sent it before
    /// the body (servers do), its `UID`. The last piece ([`BodyChunk::last`]) comes with
    /// every other item of the response (`FLAGS`, `RFC822.SIZE`, ... wherever they were).
    /// `None` on an ordinary item.
    ///
    /// [`Session::fetch_stream`]: crate::Session::fetch_stream
    /// [`Session::fetch_batched`]: crate::Session::fetch_batched
    ///
    /// ```
    /// use imap_async::{Fetched, Section};
    /// use imap_async::proto::FetchItem;
    ///
    /// let msg = Fetched {
    ///     seq: 1,
    ///     items: vec![
    ///         FetchItem::Uid(7),
    ///         FetchItem::BodyChunk {
    ///             section: "".into(),
    ///             origin: None,
    ///             binary: false,
    ///             offset: 65536,
    ///             total: 300_000_000,
    ///             data: vec![b'x'; 65536].into(),
    ///             last: false,
    ///         },
    ///     ]
    ///     .into(),
    /// };
    /// let chunk = msg.body_chunk().unwrap();
    /// assert_eq!((chunk.offset, chunk.total, chunk.last), (65536, 300_000_000, false));
    /// assert_eq!(chunk.section(), Section::Full);
    /// assert_eq!(chunk.data.len(), 65536);
    /// assert!(msg.body(Section::Full).is_none());
    /// ```
    pub fn body_chunk(&self) -> Option<BodyChunk<'_>> {
        // Pieces are made by the session, never received as such: they are held as items.
        self.items.as_items()?.iter().find_map(|i| match i {
            FetchItem::BodyChunk {
                section,
                origin,
                binary,
                offset,
                total,
                data,
                last,
            } => Some(BodyChunk {
                section_wire: section,
                origin: *origin,
                binary: *binary,
                offset: *offset,
                total: *total,
                data,
                last: *last,
            }),
            _ => None,
        })
    }

    /// Gmail's message id (`X-GM-MSGID`, X-GM-EXT-1), if fetched: a 64-bit number unique
    /// to the message across all of the account's folders.
    ///
    /// ```
    /// use imap_async::Fetched;
    /// use imap_async::proto::FetchItem;
    ///
    /// let msg = Fetched {
    ///     seq: 1,
    ///     items: vec![FetchItem::Other {
    ///         name: "X-GM-MSGID".into(),
    ///         value: "1278455344230334865".into(),
    ///     }].into(),
    /// };
    /// assert_eq!(msg.gmail_message_id(), Some(1278455344230334865));
    /// assert_eq!(msg.gmail_thread_id(), None);
    /// ```
    pub fn gmail_message_id(&self) -> Option<u64> {
        self.other_number("X-GM-MSGID")
    }

    /// Gmail's thread id (`X-GM-THRID`, X-GM-EXT-1), if fetched.
    ///
    /// ```
    /// use imap_async::Fetched;
    /// use imap_async::proto::FetchItem;
    ///
    /// let msg = Fetched {
    ///     seq: 1,
    ///     items: vec![FetchItem::Other {
    ///         name: "X-GM-THRID".into(),
    ///         value: "1266894439832287888".into(),
    ///     }].into(),
    /// };
    /// assert_eq!(msg.gmail_thread_id(), Some(1266894439832287888));
    /// ```
    pub fn gmail_thread_id(&self) -> Option<u64> {
        self.other_number("X-GM-THRID")
    }

    fn other_number(&self, item: &str) -> Option<u64> {
        self.items.find_map(ItemKind::Other, |i| match i {
            FetchItem::Other { name, value } if name.eq_ignore_ascii_case(item.as_bytes()) => {
                std::str::from_utf8(&value).ok()?.parse().ok()
            }
            _ => None,
        })
    }

    /// `MODSEQ` (RFC 7162, CONDSTORE), if fetched.
    ///
    /// ```
    /// use imap_async::Fetched;
    /// use imap_async::proto::FetchItem;
    ///
    /// let msg = Fetched {
    ///     seq: 1,
    ///     items: vec![FetchItem::ModSeq(620162338)].into(),
    /// };
    /// assert_eq!(msg.modseq(), Some(620162338));
    /// ```
    pub fn modseq(&self) -> Option<u64> {
        self.items.find_map(ItemKind::ModSeq, |i| match i {
            FetchItem::ModSeq(n) => Some(n),
            _ => None,
        })
    }
}

/// What a `UID FETCH ... (CHANGEDSINCE n VANISHED)` returns (RFC 7162 §3.2.6): the messages
/// changed since `n`, and the UIDs in the set expunged since then.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchChanges {
    /// The messages whose mod-sequence is above `n` (new ones and ones whose flags
    /// changed), with the items asked for; in the order the server sent them.
    pub messages: Vec<Fetched>,
    /// From `* VANISHED (EARLIER) ...`, kept as ranges.
    pub vanished: UidSet,
}

/// One piece of a body streamed by `fetch_stream`; see [`Fetched::body_chunk`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct BodyChunk<'a> {
    section_wire: &'a Bytes,
    /// The first octet's offset for a partial fetch (`<origin>`), `None` for a whole section.
    pub origin: Option<u32>,
    /// `BINARY[...]` data (RFC 3516) rather than `BODY[...]`.
    pub binary: bool,
    /// Where `data` starts within the body.
    pub offset: u64,
    /// The body's whole size, as the server announced it.
    pub total: u64,
    /// The piece's bytes (at most 64 KiB).
    pub data: &'a Bytes,
    /// This piece ends the body.
    pub last: bool,
}

impl BodyChunk<'_> {
    /// The section this body answers, parsed from the server's echo.
    pub fn section(&self) -> Section {
        section_from_wire(self.section_wire)
    }
}
