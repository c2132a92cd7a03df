//! Large mailboxes: fetch results as a stream, batched and pipelined fetches, and message
//! bodies streamed to a writer without holding them in memory.
//!
//! A [`FetchStream`] reads the socket only while it is polled, and hands out each message
//! as soon as its response is parsed: memory is bounded by one response, not by the
//! mailbox, and a slow consumer slows the reads (TCP does the rest of the backpressure).

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::items::Fetched;
use crate::error::{Error, Result};
use crate::proto::fetch_data::ItemKind;
use crate::proto::fetch_items::{FetchAttr, FetchItems, Wanted};
use crate::proto::section::{Section, section_from_wire};
use crate::proto::sequence::{Id, IdRange, IdSet};
use crate::proto::{FetchData, FetchItem, ParseError, Uid, UidSet, Untagged};
use crate::session::connection::{Connection, Discard, Event, status_result};
use crate::session::search::SearchQuery;
use crate::session::{Session, command_name};

/// Literals above this size are streamed from the socket instead of being buffered.
const STREAM_LITERAL_ABOVE: u64 = 64 * 1024;

/// The messages of a FETCH, one [`Fetched`] per FETCH response, in the order the server
/// sends them (see [`Session::fetch_stream`]).
///
/// Dropping it before the end is fine: the session's next command first reads the rest of
/// the answer and throws away the messages nobody wants (they are not queued as
/// unsolicited), keeping anything else the server said.
#[must_use = "a stream does nothing unless polled"]
pub struct FetchStream<'a> {
    /// Fused: once the fetch ended, polling again yields `None` (an `unfold` would panic).
    inner: futures::stream::Fuse<BoxStream<'a, Result<Fetched>>>,
}

impl std::fmt::Debug for FetchStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchStream").finish_non_exhaustive()
    }
}

impl Stream for FetchStream<'_> {
    type Item = Result<Fetched>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

/// Once it returned `None` it keeps returning `None`, so it can sit in a `select!` loop.
impl futures::stream::FusedStream for FetchStream<'_> {
    fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }
}

/// How [`Session::fetch_batched`] walks a set of UIDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchOptions {
    /// UIDs per `UID FETCH` command (at least 1). Default 1,000.
    pub batch_size: u32,
    /// How many batch commands may be on the wire at once (at least 1): the next batch is
    /// sent before the previous one completes, so the server never waits for the client
    /// between batches. Default 4.
    pub pipeline: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            batch_size: 1000,
            pipeline: 4,
        }
    }
}

/// Builders: the struct is `#[non_exhaustive]`, so it is made from
/// [`BatchOptions::default`] and these.
impl BatchOptions {
    /// UIDs per command.
    ///
    /// ```
    /// use imap_async::BatchOptions;
    ///
    /// let o = BatchOptions::default().batch_size(500).pipeline(2);
    /// assert_eq!((o.batch_size, o.pipeline), (500, 2));
    /// ```
    pub fn batch_size(mut self, n: u32) -> Self {
        self.batch_size = n;
        self
    }

    /// Batch commands on the wire at once.
    pub fn pipeline(mut self, n: usize) -> Self {
        self.pipeline = n;
        self
    }
}

/// Splits a set of UIDs or sequence numbers into consecutive pieces of at most `size`
/// numbers each, keeping ranges (a piece of `1:1000000` is one range, not a list).
///
/// Fails on a set involving `*` (its size depends on the mailbox: search first) and on
/// `size == 0`.
///
/// ```
/// use imap_async::UidSet;
/// use imap_async::session::batches;
///
/// let set: UidSet = "1:5,10,20:22".parse().unwrap();
/// let parts: Vec<String> = batches(&set, 3)?.map(|b| b.to_string()).collect();
/// assert_eq!(parts, ["1:3", "4:5,10", "20:22"]);
/// # Ok::<(), imap_async::Error>(())
/// ```
pub fn batches<K: Id>(set: &IdSet<K>, size: u32) -> Result<Batches<K>> {
    if size == 0 {
        return Err(Error::invalid("batch size", "must be at least 1"));
    }
    let mut ranges = VecDeque::new();
    for r in set.ranges() {
        match r {
            IdRange::Closed(a, b) => ranges.push_back((a.get(), b.get())),
            IdRange::From(_) | IdRange::Star => {
                return Err(Error::invalid(
                    "batched set",
                    format!("{set} involves `*`; search for the UIDs first"),
                ));
            }
        }
    }
    Ok(Batches {
        ranges,
        size,
        kind: std::marker::PhantomData,
    })
}

/// The pieces of a set, from [`batches`].
#[derive(Debug, Clone)]
pub struct Batches<K> {
    ranges: VecDeque<(u32, u32)>,
    size: u32,
    kind: std::marker::PhantomData<K>,
}

impl<K: Id> Iterator for Batches<K> {
    type Item = IdSet<K>;

    fn next(&mut self) -> Option<IdSet<K>> {
        let mut left = self.size;
        let mut out = IdSet::new();
        while left > 0 {
            let Some(&(a, b)) = self.ranges.front() else {
                break;
            };
            let n = b - a + 1;
            let nz = |n| K::from_nonzero(std::num::NonZeroU32::new(n).expect("IdSet has no 0"));
            if n <= left {
                out.insert_range(nz(a)..=nz(b));
                self.ranges.pop_front();
                left -= n;
            } else {
                let end = a + left - 1;
                out.insert_range(nz(a)..=nz(end));
                if let Some(front) = self.ranges.front_mut() {
                    front.0 = end + 1;
                }
                left = 0;
            }
        }
        (!out.is_empty()).then_some(out)
    }
}

/// Once the set is used up the ranges stay empty: `next` keeps returning `None`.
impl<K: Id> std::iter::FusedIterator for Batches<K> {}

/// Which FETCH responses belong to a fetch: the message is in the set and the response
/// carries an item that was asked for (the rule of [`Session::fetch`]).
struct Filter<K> {
    set: IdSet<K>,
    want: Wanted,
}

impl<K: Id> Filter<K> {
    fn ours(&self, seq: u32, items: &FetchData) -> bool {
        let in_set = if K::IS_UID {
            items.uid().is_some_and(|u| self.set.contains(u))
        } else {
            self.set.contains(seq)
        };
        in_set && self.want.answers(items)
    }
}

/// One fetch in progress: its batches, the commands on the wire, and what it collects.
pub(crate) struct FetchRun<K: Id> {
    batches: Batches<K>,
    /// The whole set when it involves `*` (one command, never split).
    whole: Option<IdSet<K>>,
    wire: String,
    changed_since: Option<u64>,
    vanished: bool,
    depth: usize,
    tags: VecDeque<String>,
    started: bool,
    finished: bool,
    filter: Arc<Filter<K>>,
    /// UIDs reported by `* VANISHED (EARLIER)` (with `vanished` only).
    pub(crate) gone: UidSet,
    /// Body literals above this size are handed out in pieces ([`FetchItem::BodyChunk`])
    /// instead of being read whole; `None` (collecting) keeps them whole, within
    /// [`Limits::max_literal`](crate::proto::Limits::max_literal).
    stream_above: Option<u64>,
    /// The response whose body literal is being streamed.
    chunks: Option<Chunking>,
}

/// A FETCH response one of whose body literals is being handed out in pieces.
struct Chunking {
    seq: u32,
    /// The UID, when the server sent it before the literal (it always does in practice:
    /// Dovecot, Cyrus and Gmail put `UID` first).
    uid: Option<u32>,
    /// The literal being read: section, origin, literal8 or not.
    section: Bytes,
    origin: Option<u32>,
    binary: bool,
    offset: u64,
    total: u64,
    /// Bytes of the literal still to be read from the connection.
    reading: bool,
    /// The literal's last piece, held until the rest of the response is parsed so that it
    /// comes out with the response's other items.
    last: Option<(u64, Bytes)>,
    /// The literals of this response streamed so far (section, origin, literal8): their
    /// empty stand-ins are taken out of the final response.
    streamed: Vec<(Bytes, Option<u32>, bool)>,
}

impl Chunking {
    /// The item of one piece of the body being streamed.
    fn chunk(&self, offset: u64, data: Bytes, last: bool) -> FetchItem {
        FetchItem::BodyChunk {
            section: self.section.clone(),
            origin: self.origin,
            binary: self.binary,
            offset,
            total: self.total,
            data,
            last,
        }
    }

    fn piece(&self, offset: u64, data: Bytes, last: bool) -> Fetched {
        let chunk = self.chunk(offset, data, last);
        let items = match self.uid {
            Some(u) => vec![FetchItem::Uid(u), chunk],
            None => vec![chunk],
        };
        Fetched {
            seq: self.seq,
            items: items.into(),
        }
    }

    /// The end of the response: the streamed literals' empty stand-ins go, the last
    /// piece takes the place of the last one.
    fn finish(mut self, items: Vec<FetchItem>) -> Vec<FetchItem> {
        let mut out = Vec::with_capacity(items.len());
        let mut last = self.last.take();
        let last_streamed = self.streamed.last().cloned();
        for item in items {
            let key = match &item {
                FetchItem::Body {
                    section,
                    origin,
                    data,
                } if data.as_ref().is_none_or(|d| d.is_empty()) => {
                    Some((section.clone(), *origin, false))
                }
                FetchItem::Binary {
                    section,
                    origin,
                    data,
                } if data.as_ref().is_none_or(|d| d.is_empty()) => {
                    Some((section.clone(), *origin, true))
                }
                _ => None,
            };
            let Some(key) = key else {
                out.push(item);
                continue;
            };
            let Some(i) = self.streamed.iter().position(|s| *s == key) else {
                out.push(item);
                continue;
            };
            self.streamed.remove(i);
            if Some(&key) == last_streamed.as_ref()
                && let Some((offset, data)) = last.take()
            {
                self.section = key.0;
                self.origin = key.1;
                self.binary = key.2;
                out.push(self.chunk(offset, data, true));
            }
        }
        out
    }
}

/// The items of a response cut at a body literal's header (`* 3 FETCH (UID 9 BODY[]
/// {600000000}`): the response is closed after an empty literal and parsed, which gives
/// the sequence number, the items before the literal, and the literal's section. `None`
/// when the literal is not a body's data (a huge literal inside an envelope, say).
fn cut_response(head: &[u8]) -> Option<(u32, Vec<FetchItem>)> {
    let brace = head.iter().rposition(|&b| b == b'{')?;
    let mut closed = head[..=brace].to_vec();
    closed.extend_from_slice(b"0}\r\n)\r\n");
    match crate::proto::parse_response(Bytes::from(closed)).ok()? {
        crate::proto::Response::Untagged(Untagged::Fetch { seq, items }) => {
            let items = items.to_vec();
            match items.last() {
                Some(FetchItem::Body { .. } | FetchItem::Binary { .. }) => Some((seq, items)),
                _ => None,
            }
        }
        _ => None,
    }
}

impl<K: Id> FetchRun<K> {
    pub(crate) fn new(
        set: &IdSet<K>,
        items: &FetchItems,
        batch: Option<BatchOptions>,
        changed_since: Option<u64>,
        vanished: bool,
    ) -> Result<Self> {
        let wire = items.to_wire()?;
        if changed_since == Some(0) || changed_since.is_some_and(|m| m > i64::MAX as u64) {
            return Err(Error::invalid(
                "CHANGEDSINCE mod-sequence",
                "must be 1 to 2^63-1 (RFC 7162 §7 mod-sequence-valzer)",
            ));
        }
        let (batches, whole, depth) = match batch {
            Some(o) => {
                if o.pipeline == 0 {
                    return Err(Error::invalid("pipeline depth", "must be at least 1"));
                }
                (batches(set, o.batch_size)?, None, o.pipeline)
            }
            None => (
                Batches {
                    ranges: VecDeque::new(),
                    size: 1,
                    kind: std::marker::PhantomData,
                },
                (!set.is_empty()).then(|| set.clone()),
                1,
            ),
        };
        Ok(FetchRun {
            batches,
            whole,
            wire,
            changed_since,
            vanished,
            depth,
            tags: VecDeque::new(),
            started: false,
            finished: false,
            filter: Arc::new(Filter {
                set: set.clone(),
                want: items.wanted(),
            }),
            gone: UidSet::new(),
            stream_above: None,
            chunks: None,
        })
    }

    /// Hand out body literals above `threshold` bytes in pieces.
    pub(crate) fn stream_literals_above(mut self, threshold: u64) -> Self {
        self.stream_above = Some(threshold);
        self
    }

    /// A body literal above the streaming threshold starts: set up its pieces. Returns the
    /// last piece of the response's previous streamed literal, if any (it cannot wait for
    /// the response's end any longer).
    fn literal_starts(&mut self, head: &[u8], size: u64) -> Result<Option<Fetched>> {
        let Some((seq, items)) = cut_response(head) else {
            // Not a body's data: nothing can take it in pieces, and it is too large to
            // hold. The next command skips the rest of it.
            return Err(Error::Frame(crate::proto::FrameError::LiteralTooLarge {
                size,
                limit: self.stream_above.unwrap_or(0),
            }));
        };
        let (section, origin, binary) = match items.last() {
            Some(FetchItem::Body {
                section, origin, ..
            }) => (section.clone(), *origin, false),
            Some(FetchItem::Binary {
                section, origin, ..
            }) => (section.clone(), *origin, true),
            // `cut_response` returns a body item last.
            _ => {
                return Err(Error::Protocol(
                    "internal: a cut response without its body".into(),
                ));
            }
        };
        let uid = items.iter().find_map(|i| match i {
            FetchItem::Uid(u) => Some(*u),
            _ => None,
        });
        let mut earlier = None;
        let mut streamed = Vec::new();
        if let Some(mut c) = self.chunks.take() {
            if let Some((offset, data)) = c.last.take() {
                earlier = Some(c.piece(offset, data, true));
            }
            streamed = c.streamed;
        }
        streamed.push((section.clone(), origin, binary));
        self.chunks = Some(Chunking {
            seq,
            uid,
            section,
            origin,
            binary,
            offset: 0,
            total: size,
            reading: true,
            last: None,
            streamed,
        });
        Ok(earlier)
    }

    /// The next piece of the literal being streamed; `None` once it is all read (its last
    /// piece is then held in `chunks` until the response ends).
    async fn next_piece(&mut self, conn: &mut Connection) -> Result<Option<Fetched>> {
        let Some(c) = self.chunks.as_mut().filter(|c| c.reading) else {
            return Ok(None);
        };
        loop {
            let Some(data) = conn.literal_chunk("a body being streamed").await? else {
                c.reading = false;
                return Ok(None);
            };
            let offset = c.offset;
            c.offset += data.len() as u64;
            if c.offset >= c.total {
                c.reading = false;
                c.last = Some((offset, data));
                return Ok(None);
            }
            if !data.is_empty() {
                return Ok(Some(c.piece(offset, data, false)));
            }
        }
    }

    fn next_set(&mut self) -> Option<IdSet<K>> {
        self.whole.take().or_else(|| self.batches.next())
    }

    /// Keep up to `depth` commands on the wire.
    async fn top_up(&mut self, conn: &mut Connection) -> Result<()> {
        while self.tags.len() < self.depth {
            let Some(set) = self.next_set() else { break };
            let mut enc = conn.encoder(&command_name::<K>("FETCH"));
            enc.set("message set", &set)?;
            enc.raw(&self.wire);
            if let Some(m) = self.changed_since {
                enc.open_list().raw("CHANGEDSINCE").number(m);
                if self.vanished {
                    enc.raw("VANISHED");
                }
                enc.close_list();
            }
            let cmd = enc.finish();
            let tag = cmd.tag.clone();
            let filter = Arc::clone(&self.filter);
            let discard: Discard = Box::new(move |u| match u {
                Untagged::Fetch { seq, items } => filter.ours(*seq, items),
                _ => false,
            });
            if self.started {
                conn.pipeline(cmd, Some(discard)).await?;
            } else {
                // The first command finishes whatever else was in flight.
                conn.start(cmd, Some(discard)).await?;
                self.started = true;
            }
            self.tags.push_back(tag);
        }
        Ok(())
    }

    /// Untagged data read during the fetch: one of our messages, or `None` when it was
    /// something else (kept as unsolicited, or a VANISHED we asked for, noted).
    fn untagged(&mut self, conn: &mut Connection, u: Untagged) -> Option<Fetched> {
        match u {
            Untagged::Fetch { seq, mut items } => {
                if let Some(c) = self.chunks.take() {
                    // The end of a response whose body was streamed.
                    items = c.finish(items.to_vec()).into();
                }
                if self.filter.ours(seq, &items) {
                    return Some(Fetched { seq, items });
                }
                conn.push_unsolicited(Untagged::Fetch { seq, items });
            }
            // RFC 7162 §3.2.6: the answer to VANISHED is `* VANISHED (EARLIER)`; one
            // without EARLIER reports a new expunge and stays unsolicited.
            Untagged::Vanished {
                earlier: true,
                uids,
            } if self.vanished => {
                for (a, b) in uids {
                    if let (Some(a), Some(b)) = (Uid::new(a.min(b)), Uid::new(a.max(b))) {
                        self.gone.insert_range(a..=b);
                    }
                }
            }
            u => conn.push_unsolicited(u),
        }
        None
    }

    /// An error while reading the run's responses: an unparseable response is reported
    /// in its place and the run goes on (framing was intact); any other ends the run.
    fn failed(&mut self, conn: &mut Connection, e: Error) -> Error {
        match e {
            Error::Parse(e) => self.unparseable(conn, e),
            e => {
                self.finished = true;
                e
            }
        }
    }

    /// A response that could not be parsed: reported, and the run goes on (framing was
    /// intact).
    fn unparseable(&mut self, conn: &mut Connection, e: ParseError) -> Error {
        // A response whose body was being streamed ends unparseable: its held last piece
        // goes with it (the error says the data is incomplete).
        self.chunks = None;
        // Our own completion unparseable: that command is over.
        let tag = self
            .tags
            .iter()
            .position(|t| e.raw.starts_with(t.as_bytes()) && e.raw.get(t.len()) == Some(&b' '))
            .and_then(|i| self.tags.remove(i));
        if let Some(tag) = tag {
            conn.take_in_flight(tag.as_bytes());
        }
        Error::Parse(e)
    }

    /// The next message when its response is already whole in the read buffer and
    /// nothing else is due first (no body being streamed, no command to send): taken
    /// without an await. `None` sends the caller to [`Self::next`].
    pub(crate) fn next_buffered(&mut self, conn: &mut Connection) -> Option<Result<Fetched>> {
        if self.finished
            || self.chunks.is_some()
            || self.tags.is_empty()
            || self.tags.len() < self.depth
        {
            return None;
        }
        loop {
            match conn.buffered_untagged(self.stream_above)? {
                Ok(u) => {
                    if let Some(fetched) = self.untagged(conn, u) {
                        return Some(Ok(fetched));
                    }
                }
                Err(e) => return Some(Err(self.failed(conn, e))),
            }
        }
    }

    /// The next message, or `None` once every command completed. After an error other
    /// than an unparseable response, the run is over.
    pub(crate) async fn next(&mut self, conn: &mut Connection) -> Option<Result<Fetched>> {
        loop {
            if self.finished {
                return None;
            }
            match self.next_piece(conn).await {
                Ok(Some(piece)) => return Some(Ok(piece)),
                Ok(None) => {}
                Err(e) => {
                    self.finished = true;
                    return Some(Err(e));
                }
            }
            if let Err(e) = self.top_up(conn).await {
                self.finished = true;
                return Some(Err(e));
            }
            if self.tags.is_empty() {
                self.finished = true;
                return None;
            }
            let waiting_for = if K::IS_UID {
                "the response to UID FETCH"
            } else {
                "the response to FETCH"
            };
            match conn.next_event(waiting_for, self.stream_above).await {
                Ok(Event::Untagged(u)) => {
                    if let Some(fetched) = self.untagged(conn, u) {
                        return Some(Ok(fetched));
                    }
                }
                Ok(Event::Done { tag, status }) => {
                    self.tags.retain(|t| *t != tag);
                    if let Err(e) = status_result(status, &command_name::<K>("FETCH")) {
                        self.finished = true;
                        // `whole` is gone once sent; the filter keeps the set.
                        let involves_star = self.filter.set.ranges().any(|r| r.involves_star());
                        if involves_star && refused_on_empty_folder(conn, &e) {
                            return None;
                        }
                        return Some(Err(e));
                    }
                }
                Ok(Event::Literal { head, size }) => match self.literal_starts(&head, size) {
                    Ok(Some(earlier)) => return Some(Ok(earlier)),
                    Ok(None) => {}
                    Err(e) => {
                        self.finished = true;
                        return Some(Err(e));
                    }
                },
                Ok(Event::Continuation) => {
                    let msg = "unexpected continuation request during FETCH".to_owned();
                    conn.poison(msg.clone());
                    self.finished = true;
                    return Some(Err(Error::Protocol(msg)));
                }
                Err(e) => return Some(Err(self.failed(conn, e))),
            }
        }
    }

    /// Drive the run to its end, merging several responses for one message like
    /// [`Session::fetch`] always did. An unparseable response is reported at the end.
    pub(crate) async fn collect(&mut self, conn: &mut Connection) -> Result<Vec<Fetched>> {
        let mut order: Vec<Fetched> = Vec::new();
        // Servers may split one message's data over several FETCH lines, so a message seen
        // before gets the new items. While sequence numbers only grow (as servers send
        // them) no message can have been seen before, and the index by sequence number is
        // not needed: it is built at the first number that does not grow.
        let mut index: Option<HashMap<u32, usize>> = None;
        let mut parse_error = None;
        loop {
            let item = match self.next_buffered(conn) {
                Some(item) => item,
                None => match self.next(conn).await {
                    Some(item) => item,
                    None => break,
                },
            };
            match item {
                Ok(f) => {
                    if index.is_none() && order.last().is_none_or(|last| f.seq > last.seq) {
                        order.push(f);
                        continue;
                    }
                    let index = index.get_or_insert_with(|| {
                        order.iter().enumerate().map(|(i, m)| (m.seq, i)).collect()
                    });
                    match index.get(&f.seq) {
                        Some(&i) => order[i].items.extend(f.items),
                        None => {
                            index.insert(f.seq, order.len());
                            order.push(f);
                        }
                    }
                }
                Err(Error::Parse(e)) => {
                    parse_error.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
        match parse_error {
            Some(e) => Err(Error::Parse(e)),
            None => Ok(order),
        }
    }

    fn into_stream(self, conn: &mut Connection) -> FetchStream<'_> {
        let run = self.stream_literals_above(conn.max_literal());
        let inner = RunStream {
            idle: Some((conn, run)),
            pending: None,
        };
        FetchStream {
            inner: (Box::pin(inner) as BoxStream<'_, Result<Fetched>>).fuse(),
        }
    }
}

/// A fetch run as a stream. A message whose response is already in the read buffer is
/// taken at once ([`FetchRun::next_buffered`]); otherwise the run and the connection move
/// into a future that reads on, and come back when it is done. (A new future per message,
/// as `futures::stream::unfold` makes, costs more than parsing the message.)
struct RunStream<'a, K: Id> {
    idle: Option<(&'a mut Connection, FetchRun<K>)>,
    pending: Option<RunFuture<'a, K>>,
}

// The future is boxed and the run is only moved, never pinned in place.
impl<K: Id> Unpin for RunStream<'_, K> {}

type RunFuture<'a, K> =
    futures::future::BoxFuture<'a, (Option<Result<Fetched>>, &'a mut Connection, FetchRun<K>)>;

impl<'a, K: Id + Send + Sync + 'a> Stream for RunStream<'a, K> {
    type Item = Result<Fetched>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.pending.is_none() {
            let Some((conn, run)) = this.idle.as_mut() else {
                return Poll::Ready(None);
            };
            if let Some(item) = run.next_buffered(conn) {
                return Poll::Ready(Some(item));
            }
            let Some((conn, mut run)) = this.idle.take() else {
                return Poll::Ready(None);
            };
            this.pending = Some(Box::pin(async move {
                let item = run.next(conn).await;
                (item, conn, run)
            }));
        }
        let Some(pending) = this.pending.as_mut() else {
            return Poll::Ready(None);
        };
        let (item, conn, run) = std::task::ready!(pending.as_mut().poll(cx));
        this.pending = None;
        this.idle = Some((conn, run));
        Poll::Ready(item)
    }
}

impl Session {
    /// FETCH as a stream: each message is yielded as soon as its response is parsed, and
    /// the socket is read only while the stream is polled, so memory stays bounded by one
    /// response however large the mailbox (a slow consumer slows the server down instead
    /// of filling memory).
    ///
    /// Same command and routing as [`Session::fetch`]: a [`UidSet`] sends `UID FETCH`, a
    /// [`SeqSet`](crate::SeqSet) sends `FETCH`; FETCH responses for messages outside the
    /// set, or carrying none of the items asked for, stay in
    /// [`Session::take_unsolicited`]. Each FETCH response is one item (servers send one
    /// per message; [`Session::fetch`] merges split ones).
    ///
    /// Nothing is sent until the stream is first polled. Dropping the stream early leaves
    /// the session usable: the next command reads the rest of this answer first and
    /// discards its messages (they do not pile up as unsolicited data).
    ///
    /// No body is too large: a `BODY[...]`/`BINARY[...]` literal above
    /// [`Limits::max_literal`](crate::proto::Limits::max_literal) (256 MiB by default) is
    /// not read whole but handed out in pieces of at most 64 KiB, as consecutive items of
    /// its message, each with one [`FetchItem::BodyChunk`] (see [`Fetched::body_chunk`]).
    /// Every piece carries the message's sequence number and its `UID` when the server
    /// sent it before the body (servers do); the last piece also carries every other item
    /// of the response. A literal above the limit that is not a body (inside an envelope,
    /// say), or above [`Limits::max_streamed_literal`](crate::proto::Limits::max_streamed_literal)
    /// (a server announcing 100 GB), is an `Error::Frame(LiteralTooLarge)`.
    /// [`Session::fetch`] has nowhere to put such a body and refuses it the same way.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use futures::TryStreamExt;
    /// use imap_async::UidSet;
    /// use imap_async::session::FetchAttr;
    ///
    /// session.select_folder("INBOX").await?;
    /// let mut total = 0u64;
    /// let mut messages = session.fetch_stream(&UidSet::all(), [FetchAttr::Rfc822Size])?;
    /// while let Some(msg) = messages.try_next().await? {
    ///     total += msg.size().unwrap_or(0);
    /// }
    /// println!("{total} bytes in the folder");
    /// # Ok(())
    /// # }
    /// ```
    pub fn fetch_stream<K: Id>(
        &mut self,
        set: &IdSet<K>,
        items: impl Into<FetchItems>,
    ) -> Result<FetchStream<'_>> {
        let run = FetchRun::new(set, &items.into(), None, None, false)?;
        Ok(run.into_stream(&mut self.conn))
    }

    /// Fetch a known set of UIDs in batches of `options.batch_size` UIDs, with up to
    /// `options.pipeline` `UID FETCH` commands on the wire at once, as one stream of
    /// messages in UID order of the batches. The set keeps its ranges: `1:1000000` is split
    /// into ranges, never into a million numbers.
    ///
    /// The set must not involve `*` (search first: [`Session::fetch_search_batched`] does
    /// both). Dropping the stream early is fine (see [`Session::fetch_stream`]).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use futures::TryStreamExt;
    /// use imap_async::Search;
    /// use imap_async::session::{BatchOptions, FetchAttr};
    ///
    /// session.select_folder("INBOX").await?;
    /// let uids = session.search(Search::all()).await?;
    /// let options = BatchOptions::default().batch_size(500).pipeline(4);
    /// let mut messages = session.fetch_batched(&uids, [FetchAttr::Flags], options)?;
    /// while let Some(msg) = messages.try_next().await? {
    ///     println!("{:?} {:?}", msg.uid(), msg.flags());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn fetch_batched(
        &mut self,
        uids: &UidSet,
        items: impl Into<FetchItems>,
        options: BatchOptions,
    ) -> Result<FetchStream<'_>> {
        let run = FetchRun::new(uids, &items.into(), Some(options), None, false)?;
        Ok(run.into_stream(&mut self.conn))
    }

    /// Walk the messages matching `query`: one search (through ESEARCH when the server has
    /// it, so the answer stays compact ranges), then [`Session::fetch_batched`] on the
    /// UIDs found.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use futures::TryStreamExt;
    /// use imap_async::session::{BatchOptions, FetchAttr};
    ///
    /// session.select_folder("INBOX").await?;
    /// let items = [FetchAttr::Envelope, FetchAttr::Rfc822Size];
    /// let mut all = session.fetch_search_batched("ALL", items, BatchOptions::default()).await?;
    /// while let Some(msg) = all.try_next().await? {
    ///     println!("{:?}", msg.envelope().and_then(|e| e.subject.clone()));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn fetch_search_batched(
        &mut self,
        query: impl Into<SearchQuery>,
        items: impl Into<FetchItems>,
        options: BatchOptions,
    ) -> Result<FetchStream<'_>> {
        let items = items.into();
        // Check everything before the search goes out.
        FetchRun::new(&UidSet::new(), &items, Some(options), None, false)?;
        let uids = self.search(query).await?;
        self.fetch_batched(&uids, items, options)
    }

    /// Write the data of `BODY[section]` of message `uid` to `writer` as it arrives, and
    /// return how many bytes were written. A body above 64 KiB is never held in memory: its
    /// bytes go from the socket to the writer in chunks of at most 64 KiB, so a 500 MB
    /// message costs no more memory than a small one. `section` is as for
    /// [`FetchAttr::body`]: [`Section::Full`] for the whole message,
    /// [`Section::Text`], a part, ... (or its text). The message is
    /// fetched with `BODY.PEEK`, so its `\Seen` flag does not change.
    ///
    /// A body above [`Limits::max_streamed_literal`](crate::proto::Limits::max_streamed_literal)
    /// (4 GiB by default) is refused at its header with `Error::Frame(LiteralTooLarge)`.
    ///
    /// A UID that is not in the selected folder is an [`Error::InvalidInput`]; a section
    /// the message does not have is written as 0 bytes (the server answers `NIL` or
    /// an empty string). If the writer fails, the error is returned and the session stays
    /// usable (the rest of the body is skipped by the next command).
    ///
    /// ```no_run
    /// # async fn run(
    /// #     session: &mut imap_async::Session,
    /// #     file: &mut (impl tokio::io::AsyncWrite + Unpin),
    /// # ) -> imap_async::Result<()> {
    /// use imap_async::{Section, Uid};
    ///
    /// session.select_folder("INBOX").await?;
    /// // `file`: any AsyncWrite (a tokio::fs::File, a socket, a Vec<u8>, ...).
    /// let n = session.fetch_body_to(Uid::new(42).unwrap(), Section::Full, file).await?;
    /// println!("{n} bytes saved");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn fetch_body_to<W: AsyncWrite + Unpin + ?Sized>(
        &mut self,
        uid: Uid,
        section: impl Into<Section>,
        writer: &mut W,
    ) -> Result<u64> {
        let attr = FetchAttr::body_peek(section);
        let n = body_to(&mut self.conn, uid, &attr, writer).await?;
        writer
            .flush()
            .await
            .map_err(|e| Error::io("flushing the body's writer", e))?;
        Ok(n)
    }

    /// Download `BODY[section]` of message `uid` in pieces of `chunk_size` bytes with
    /// partial fetches (`BODY.PEEK[section]<offset.chunk_size>`, RFC 3501 §6.4.5), starting
    /// at byte `offset`, writing each piece to `writer`; returns the bytes written. To
    /// resume an interrupted download, pass the number of bytes already saved as
    /// `offset`. Each piece is a separate command, so a dropped connection loses at most
    /// one piece. Offsets are limited to 32 bits (RFC 3501 `number`), i.e. 4 GiB.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::{Section, Uid};
    ///
    /// session.select_folder("INBOX").await?;
    /// let mut saved: Vec<u8> = Vec::new();
    /// // ... a previous attempt saved some bytes; continue from there:
    /// let offset = saved.len() as u64;
    /// let uid = Uid::new(42).unwrap();
    /// session
    ///     .fetch_body_chunks_to(uid, Section::Full, offset, 1 << 20, &mut saved)
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn fetch_body_chunks_to<W: AsyncWrite + Unpin + ?Sized>(
        &mut self,
        uid: Uid,
        section: impl Into<Section>,
        offset: u64,
        chunk_size: u32,
        writer: &mut W,
    ) -> Result<u64> {
        if chunk_size == 0 {
            return Err(Error::invalid("chunk size", "must be at least 1"));
        }
        let section = section.into();
        let mut at = offset;
        loop {
            let origin = u32::try_from(at).map_err(|_| {
                Error::invalid(
                    "partial fetch offset",
                    format!("{at} does not fit in 32 bits (RFC 3501 partial)"),
                )
            })?;
            let attr = FetchAttr::body_peek(section.clone()).partial(origin, chunk_size);
            let n = body_to(&mut self.conn, uid, &attr, writer).await?;
            at += n;
            if n < u64::from(chunk_size) {
                break;
            }
        }
        writer
            .flush()
            .await
            .map_err(|e| Error::io("flushing the body's writer", e))?;
        Ok(at - offset)
    }
}

/// Whether a response beginning (up to a big literal's header) is the data of `attr`:
/// `... BODY[section]<origin> {n}`.
fn head_is_body(head: &[u8], attr: &FetchAttr) -> bool {
    let FetchAttr::Body { section, .. } = attr else {
        return false;
    };
    if !head.starts_with(b"* ") {
        return false;
    }
    let Some(brace) = head.iter().rposition(|&b| b == b'{') else {
        return false;
    };
    let mut name = &head[..brace];
    name = name.strip_suffix(b"~").unwrap_or(name);
    while let Some(rest) = name.strip_suffix(b" ") {
        name = rest;
    }
    if name.ends_with(b">")
        && let Some(lt) = name.iter().rposition(|&b| b == b'<')
    {
        name = &name[..lt];
    }
    // `...BODY[section]`: the section is compared parsed, as the server spells it.
    let Some(inner) = name.strip_suffix(b"]") else {
        return false;
    };
    let Some(open) = inner.iter().rposition(|&b| b == b'[') else {
        return false;
    };
    let before = &inner[..open];
    before.len() >= 4
        && before[before.len() - 4..].eq_ignore_ascii_case(b"BODY")
        && section_from_wire(&inner[open + 1..]) == *section
}

/// `UID FETCH uid (attr)` with the body written to `writer` as it arrives. Returns the
/// bytes written.
async fn body_to<W: AsyncWrite + Unpin + ?Sized>(
    conn: &mut Connection,
    uid: Uid,
    attr: &FetchAttr,
    writer: &mut W,
) -> Result<u64> {
    let wire = FetchItems::from(attr.clone()).to_wire()?;
    let mut enc = conn.encoder("UID FETCH");
    enc.set("message set", &UidSet::from(uid))?;
    enc.raw(&wire);
    let cmd = enc.finish();
    let n = uid.get();
    let is_ours =
        move |items: &FetchData| items.uid() == Some(n) && items.kinds().has(ItemKind::Body);
    let discard: Discard = Box::new(move |u| match u {
        Untagged::Fetch { items, .. } => is_ours(items),
        _ => false,
    });
    conn.start(cmd, Some(discard)).await?;
    let waiting_for = "the body of a message";
    let mut written = 0u64;
    let mut found = false;
    let mut parse_error = None;
    loop {
        match conn
            .next_event(waiting_for, Some(STREAM_LITERAL_ABOVE))
            .await
        {
            Ok(Event::Literal { head, size }) => {
                if head_is_body(&head, attr) {
                    tracing::debug!(size, "streaming a body to the writer");
                    while let Some(chunk) = conn.literal_chunk(waiting_for).await? {
                        writer
                            .write_all(&chunk)
                            .await
                            .map_err(|e| Error::io("writing a body to its writer", e))?;
                        written += chunk.len() as u64;
                    }
                } else {
                    tracing::warn!(size, "skipping a large literal that is not the body");
                    while conn.literal_chunk(waiting_for).await?.is_some() {}
                }
            }
            Ok(Event::Untagged(Untagged::Fetch { seq, items })) => {
                if !is_ours(&items) {
                    conn.push_unsolicited(Untagged::Fetch { seq, items });
                    continue;
                }
                found = true;
                for item in &items {
                    // A streamed literal was parsed as empty: nothing more to write.
                    if attr.answered_by(&item)
                        && let FetchItem::Body {
                            data: Some(data), ..
                        } = item
                    {
                        writer
                            .write_all(&data)
                            .await
                            .map_err(|e| Error::io("writing a body to its writer", e))?;
                        written += data.len() as u64;
                    }
                }
            }
            Ok(Event::Untagged(u)) => conn.push_unsolicited(u),
            Ok(Event::Done { status, .. }) => {
                status_result(status, "UID FETCH")?;
                break;
            }
            Ok(Event::Continuation) => {
                let msg = "unexpected continuation request during UID FETCH".to_owned();
                conn.poison(msg.clone());
                return Err(Error::Protocol(msg));
            }
            Err(Error::Parse(e)) => {
                parse_error.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    if let Some(e) = parse_error {
        return Err(Error::Parse(e));
    }
    if !found {
        return Err(Error::invalid(
            "UID",
            format!("no message with UID {} in the selected folder", uid.get()),
        ));
    }
    Ok(written)
}

/// Whether `err`, the completion of a command on a set involving `*`, is a server
/// refusing `*` in an empty folder: several answer `1:*` there with BAD or NO instead of
/// nothing (postalsys/imapflow#209). The command is always sent, because its answer is
/// where the server reports new mail (RFC 3501 §5.2); only once the answer is read, with
/// any EXISTS it carried counted, does an empty folder turn such a refusal into an empty
/// result. Logged at debug level.
pub(crate) fn refused_on_empty_folder(conn: &Connection, err: &Error) -> bool {
    let refused = matches!(err, Error::Bad { .. } | Error::No { .. });
    if refused && conn.selected_exists == Some(0) {
        tracing::debug!(
            server = conn.identity.kind.label(),
            workaround = "empty folder",
            error = %err,
            "workaround: `*` refused in a folder known to be empty; answered as no message"
        );
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_keep_ranges_and_cover_the_set() {
        let set: UidSet = "1:1000000,2000000".parse().unwrap();
        let parts: Vec<UidSet> = batches(&set, 300_000).unwrap().collect();
        let shown: Vec<String> = parts.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "1:300000",
                "300001:600000",
                "600001:900000",
                "900001:1000000,2000000"
            ]
        );
        let mut union = UidSet::new();
        for p in &parts {
            union.union_with(p);
        }
        assert_eq!(union, set);
        assert!(batches(&UidSet::all(), 10).is_err());
        assert!(batches(&set, 0).is_err());
        assert_eq!(batches(&UidSet::new(), 5).unwrap().count(), 0);
    }

    #[test]
    fn body_heads() {
        let attr = FetchAttr::body_peek("");
        assert!(head_is_body(b"* 3 FETCH (UID 9 BODY[] {100000}\r\n", &attr));
        assert!(head_is_body(
            b"* 3 FETCH (UID 9 BODY[]<0> {100000}\r\n",
            &attr
        ));
        assert!(!head_is_body(
            b"* 3 FETCH (UID 9 BODY[TEXT] {100000}\r\n",
            &attr
        ));
        let text = FetchAttr::body_peek("text");
        assert!(head_is_body(b"* 3 FETCH (BODY[TEXT] ~{100000}\r\n", &text));
        assert!(!head_is_body(b"A1 OK {5}\r\n", &text));
        // Sections are compared parsed: the server's case and quoting do not matter, and
        // another header field list is another section.
        let fields =
            FetchAttr::body_peek(Section::HeaderFields(vec!["SUBJECT".into(), "FROM".into()]));
        assert!(head_is_body(
            b"* 3 FETCH (UID 9 BODY[HEADER.FIELDS (Subject \"From\")] {100000}\r\n",
            &fields
        ));
        assert!(!head_is_body(
            b"* 3 FETCH (UID 9 BODY[HEADER.FIELDS (Subject)] {100000}\r\n",
            &fields
        ));
        let part = FetchAttr::body_peek(Section::part([1, 2]).with(Section::Mime));
        assert!(head_is_body(
            b"* 3 FETCH (BODY[1.2.mime] {70000}\r\n",
            &part
        ));
    }

    #[test]
    fn responses_cut_at_a_body_literal() {
        let (seq, items) =
            cut_response(b"* 3 FETCH (UID 9 FLAGS (\\Seen) BODY[1.2]<5> {900000}\r\n")
                .expect("a body");
        assert_eq!(seq, 3);
        assert_eq!(items[0], FetchItem::Uid(9));
        assert!(matches!(
            &items[2],
            FetchItem::Body { section, origin: Some(5), .. } if &section[..] == b"1.2"
        ));
        // A second streamed literal: the first one's header was already rewritten as {0}.
        let (_, items) =
            cut_response(b"* 3 FETCH (BODY[1] {0}\r\n BINARY[2] ~{900000}\r\n").expect("binary");
        assert!(matches!(items.last(), Some(FetchItem::Binary { .. })));
        // Not a body's data: a string inside an envelope.
        assert!(cut_response(b"* 3 FETCH (ENVELOPE (NIL {900000}\r\n").is_none());
        assert!(cut_response(b"* 3 FETCH (X-CUSTOM {900000}\r\n").is_none());
    }

    #[test]
    fn batches_stay_ended() {
        fn fused<I: std::iter::FusedIterator>(i: I) -> I {
            i
        }
        let set: UidSet = "1:3".parse().unwrap();
        let mut parts = fused(batches(&set, 2).unwrap());
        assert_eq!(parts.next().map(|b| b.to_string()).as_deref(), Some("1:2"));
        assert_eq!(parts.next().map(|b| b.to_string()).as_deref(), Some("3"));
        assert!(parts.next().is_none());
        assert!(parts.next().is_none());
    }
}
