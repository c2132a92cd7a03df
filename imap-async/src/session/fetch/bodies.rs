//! Many message bodies at wire speed: `BODY.PEEK[section]` of a whole UID set, fetched in
//! pipelined batches (the machinery of [`Session::fetch_batched`]), each message's bytes
//! handed to whatever the caller chooses for that message, with memory bounded by a few
//! 64 KiB pieces whatever the sizes.

use bytes::Bytes;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::items::Fetched;
use super::stream::{BatchOptions, FetchRun};
use crate::error::{Error, Result};
use crate::proto::fetch_items::{FetchAttr, FetchItems};
use crate::proto::section::Section;
use crate::proto::{FetchItem, Uid, UidSet};
use crate::session::Session;
use crate::session::connection::Connection;

/// Bodies above this size are handed out in pieces as they arrive; smaller ones arrive
/// parsed with their response.
const PIECES_ABOVE: u64 = 64 * 1024;

/// The bodies of a UID set, one [`Body`] at a time (see [`Session::fetch_bodies`]).
///
/// A lending iterator: [`Bodies::next`] borrows it until the [`Body`] is dropped, so that
/// the caller can open a file (or anything) for each message before reading its bytes.
#[must_use = "nothing is fetched unless `next` is called"]
pub struct Bodies<'a> {
    conn: &'a mut Connection,
    run: FetchRun<Uid>,
    attr: FetchAttr,
    current: Option<Current>,
}

impl std::fmt::Debug for Bodies<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bodies")
            .field("attr", &self.attr)
            .finish_non_exhaustive()
    }
}

/// The body being handed out.
struct Current {
    seq: u32,
    uid: Option<Uid>,
    size: u64,
    /// The next bytes to give (a whole small body, or the first piece of a large one).
    ready: Option<Bytes>,
    /// More pieces of this body are still to come from the connection.
    more: bool,
}

/// One message's body from [`Bodies::next`]: read it with [`Body::chunk`] or
/// [`Body::write_to`], or drop it to skip it (its bytes are then read past, not kept).
#[must_use = "a body that is not read is skipped"]
pub struct Body<'b> {
    conn: &'b mut Connection,
    run: &'b mut FetchRun<Uid>,
    current: &'b mut Current,
}

impl std::fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("seq", &self.current.seq)
            .field("uid", &self.current.uid)
            .field("size", &self.current.size)
            .finish_non_exhaustive()
    }
}

impl Bodies<'_> {
    /// The next message's body, in the order the server sends them (UIDs ascending within
    /// each batch on every server we know); `None` once the whole set was fetched. The
    /// previous [`Body`], if not read to its end, is skipped first: the rest of its bytes
    /// are read from the socket and dropped.
    ///
    /// A UID of the set with no message (expunged, or never there) simply has no body:
    /// servers answer nothing for it (RFC 3501 §6.4.8), so it is absent here, not an error.
    /// A section the message does not have comes as an empty body (the server answers
    /// `NIL` or an empty string).
    ///
    /// After an error (a timeout, the connection lost, a server error on a batch), the
    /// iteration is over; an unparseable response is reported and the iteration goes on
    /// with the next message.
    pub async fn next(&mut self) -> Result<Option<Body<'_>>> {
        self.skip_rest().await?;
        loop {
            let Some(item) = self.run.next(self.conn).await else {
                return Ok(None);
            };
            let msg = item?;
            let Some(current) = self.start(msg) else {
                continue;
            };
            let current = self.current.insert(current);
            return Ok(Some(Body {
                conn: &mut *self.conn,
                run: &mut self.run,
                current,
            }));
        }
    }

    /// What a FETCH response says of the body asked for; `None` when it holds none.
    fn start(&self, msg: Fetched) -> Option<Current> {
        let seq = msg.seq;
        let mut uid = None;
        let mut found = None;
        for item in msg.items.iter() {
            match item {
                FetchItem::Uid(u) => uid = Uid::new(u),
                FetchItem::Body { data, .. } if found.is_none() && self.attr.answered_by(&item) => {
                    let data = data.unwrap_or_default();
                    found = Some((data.len() as u64, data, false));
                }
                FetchItem::BodyChunk {
                    ref data,
                    total,
                    last,
                    ..
                } if found.is_none() && self.attr.answered_by(&item) => {
                    found = Some((total, data.clone(), !last));
                }
                _ => {}
            }
        }
        let Some((size, ready, more)) = found else {
            tracing::debug!(seq, "a FETCH response without the body asked for; skipped");
            return None;
        };
        Some(Current {
            seq,
            uid,
            size,
            ready: Some(ready),
            more,
        })
    }

    /// Read past what is left of the current body.
    async fn skip_rest(&mut self) -> Result<()> {
        if let Some(mut current) = self.current.take()
            && current.more
        {
            let mut body = Body {
                conn: &mut *self.conn,
                run: &mut self.run,
                current: &mut current,
            };
            body.current.ready = None;
            while body.chunk().await?.is_some() {}
        }
        Ok(())
    }
}

impl Body<'_> {
    /// The message's UID. `None` only when the server sent the UID after a body above
    /// 64 KiB and that body was not read to its end yet (no server we know does).
    pub fn uid(&self) -> Option<Uid> {
        self.current.uid
    }

    /// The message's sequence number when the server answered.
    pub fn seq(&self) -> u32 {
        self.current.seq
    }

    /// The body's size in bytes, as the server announced it (0 for a section the message
    /// does not have).
    pub fn size(&self) -> u64 {
        self.current.size
    }

    /// The next bytes of the body, as they arrive (a small body in one piece, a large one
    /// in pieces of at most 64 KiB); `None` once it is all read.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        if let Some(ready) = self.current.ready.take() {
            return Ok(Some(ready));
        }
        if !self.current.more {
            return Ok(None);
        }
        let Some(item) = self.run.next(self.conn).await else {
            self.current.more = false;
            return Err(Error::Protocol(format!(
                "the FETCH of message {} ended in the middle of its body",
                self.current.seq
            )));
        };
        let msg = match item {
            Ok(msg) => msg,
            Err(e) => {
                self.current.more = false;
                return Err(e);
            }
        };
        for item in msg.items.iter() {
            match item {
                FetchItem::Uid(u) => self.current.uid = self.current.uid.or(Uid::new(u)),
                FetchItem::BodyChunk { data, last, .. } => {
                    self.current.more = !last;
                    return Ok(Some(data));
                }
                _ => {}
            }
        }
        self.current.more = false;
        Err(Error::Protocol(format!(
            "message {}: a FETCH response came in the middle of its body",
            self.current.seq
        )))
    }

    /// Write the whole body (what is left of it) to `writer`, flush it, and return how
    /// many bytes were written. If the writer fails, the error is returned
    /// ([`Error::Io`]) and the rest of the body is skipped by the next
    /// [`Bodies::next`]; the iteration and the session go on.
    pub async fn write_to<W: AsyncWrite + Unpin + ?Sized>(
        &mut self,
        writer: &mut W,
    ) -> Result<u64> {
        let mut written = 0u64;
        while let Some(bytes) = self.chunk().await? {
            writer
                .write_all(&bytes)
                .await
                .map_err(|e| Error::io("writing a body to its writer", e))?;
            written += bytes.len() as u64;
        }
        writer
            .flush()
            .await
            .map_err(|e| Error::io("flushing the body's writer", e))?;
        Ok(written)
    }
}

impl Session {
    /// Download `BODY.PEEK[section]` of every message of `uids` ([`Section::Full`] for
    /// whole messages, or any section), in pipelined batches as
    /// [`Session::fetch_batched`] does, handing each message's bytes to whatever the
    /// caller chooses for that message. Memory stays bounded whatever the sizes: a body
    /// above 64 KiB is never held whole (its bytes go from the socket to the caller in
    /// pieces of at most 64 KiB), a smaller one arrives in one piece with its response.
    /// `\Seen` flags do not change (`BODY.PEEK`).
    ///
    /// Bodies come in the order the server sends them. A UID with no message is absent,
    /// not an error (see [`Bodies::next`]). A body nobody reads is skipped (read past, not
    /// kept) when `next` is called again or the [`Bodies`] is dropped; the session stays
    /// usable either way. The set must not involve `*` (search first).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> Result<(), Box<dyn std::error::Error>> {
    /// use imap_async::session::BatchOptions;
    /// use imap_async::{Search, Section};
    ///
    /// session.select_folder("INBOX").await?;
    /// let uids = session.search(Search::all()).await?;
    /// let mut bodies = session.fetch_bodies(&uids, Section::Full, BatchOptions::default())?;
    /// while let Some(mut body) = bodies.next().await? {
    ///     let Some(uid) = body.uid() else { continue };
    ///     let path = format!("{uid}.eml");
    ///     let mut file = tokio::fs::File::create(&path).await?;
    ///     let n = body.write_to(&mut file).await?;
    ///     println!("{path}: {n} bytes");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn fetch_bodies(
        &mut self,
        uids: &UidSet,
        section: impl Into<Section>,
        options: BatchOptions,
    ) -> Result<Bodies<'_>> {
        let attr = FetchAttr::body_peek(section);
        let items = FetchItems::from(attr.clone());
        let run = FetchRun::new(uids, &items, Some(options), None, false)?
            .stream_literals_above(PIECES_ABOVE);
        Ok(Bodies {
            conn: &mut self.conn,
            run,
            attr,
            current: None,
        })
    }
}
