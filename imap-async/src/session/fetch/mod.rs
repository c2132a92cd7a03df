//! FETCH (RFC 3501 §6.4.5, RFC 9051 §6.4.5), by UID by default (§6.4.8): the results in
//! `items` (the items asked for are in `proto::fetch_items`), the engine that reads the responses as a stream in `stream`, and the
//! collecting commands here.

mod bodies;
mod items;
mod stream;

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::proto::sequence::{Id, IdSet};
use crate::proto::{Uid, UidSet};
use crate::session::Session;

pub use crate::proto::fetch_items::{FetchAttr, FetchItems};
pub use bodies::{Bodies, Body};
pub use items::{BodyChunk, FetchChanges, Fetched};
pub use stream::{BatchOptions, Batches, FetchStream, batches};
pub(crate) use stream::{FetchRun, refused_on_empty_folder};

impl Session {
    /// FETCH: the messages' data, in the order the server sent it.
    ///
    /// `items` is typed ([`FetchAttr`], a `Vec` or array of them) or raw syntax as a `&str`
    /// (see [`FetchItems`]). The set's type picks the command: a [`UidSet`] sends `UID
    /// FETCH` (the UID is then always included, RFC 3501 §6.4.8), a
    /// [`SeqSet`](crate::SeqSet) sends `FETCH` with sequence numbers. Passing one where the
    /// other is meant does not compile.
    ///
    /// FETCH responses for messages outside the set, and responses that carry none of the
    /// items asked for (another client's flag change while you fetch `ENVELOPE`, say), are
    /// not mixed in: they stay in [`Session::take_unsolicited`], in order.
    ///
    /// Everything is held in memory, so a body above
    /// [`Limits::max_literal`](crate::proto::Limits::max_literal) is refused with
    /// `Error::Frame(LiteralTooLarge)`: read such bodies with [`Session::fetch_stream`]
    /// (in pieces) or [`Session::fetch_body_to`].
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::session::FetchAttr;
    /// use imap_async::{SeqSet, UidSet};
    /// session.select_folder("INBOX").await?;
    /// for msg in session.fetch(&UidSet::all(), "(FLAGS RFC822.SIZE)").await? {
    ///     println!("{:?} {:?} {:?}", msg.uid(), msg.flags(), msg.size());
    /// }
    /// let first: SeqSet = "1".parse().unwrap();
    /// let typed = [FetchAttr::Envelope, FetchAttr::body_peek(imap_async::Section::Header)];
    /// let headers = session.fetch(&first, typed).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn fetch<K: Id>(
        &mut self,
        set: &IdSet<K>,
        items: impl Into<FetchItems>,
    ) -> Result<Vec<Fetched>> {
        Ok(self.run_fetch(set, &items.into(), None, false).await?.0)
    }

    /// FETCH keyed by message, like IMAPClient's dict: by [`Uid`] for a [`UidSet`], by
    /// [`Seq`](crate::Seq) for a [`SeqSet`](crate::SeqSet). Several lines for one message
    /// are merged.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::session::FetchAttr;
    /// use imap_async::{Uid, UidSet};
    /// let by_uid = session.fetch_map(&UidSet::all(), FetchAttr::Flags).await?;
    /// if let Some(msg) = by_uid.get(&Uid::new(42).unwrap()) {
    ///     println!("{:?}", msg.flags());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn fetch_map<K: Id>(
        &mut self,
        set: &IdSet<K>,
        items: impl Into<FetchItems>,
    ) -> Result<BTreeMap<K, Fetched>> {
        let list = self.fetch(set, items).await?;
        keyed(list)
    }

    /// `FETCH set items (CHANGEDSINCE modseq)` (RFC 7162 §3.1.4.1, needs CONDSTORE): only
    /// the messages whose mod-sequence is higher than `modseq`; each answer includes its
    /// `MODSEQ`.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::UidSet;
    /// use imap_async::session::FetchAttr;
    /// session.enable([imap_async::Capability::Condstore]).await?;
    /// session.select_folder("INBOX").await?;
    /// let changed = session.fetch_changed_since(&UidSet::all(), FetchAttr::Flags, 1234).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn fetch_changed_since<K: Id>(
        &mut self,
        set: &IdSet<K>,
        items: impl Into<FetchItems>,
        modseq: u64,
    ) -> Result<Vec<Fetched>> {
        self.require("CONDSTORE", "FETCH (CHANGEDSINCE)").await?;
        Ok(self
            .run_fetch(set, &items.into(), Some(modseq), false)
            .await?
            .0)
    }

    /// `UID FETCH set items (CHANGEDSINCE modseq VANISHED)` (RFC 7162 §3.2.6): the messages
    /// changed since `modseq` and the UIDs of the set expunged since then. Needs QRESYNC,
    /// enabled with [`Session::enable`] (`ENABLE QRESYNC`) before selecting the folder;
    /// without it the server rejects the command. UID FETCH only (RFC 7162 §3.2.6).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::UidSet;
    /// use imap_async::session::FetchAttr;
    /// session.enable([imap_async::Capability::Qresync]).await?;
    /// session.select_folder("INBOX").await?;
    /// let changes = session.fetch_vanished(&UidSet::all(), FetchAttr::Flags, 1234).await?;
    /// println!("{} changed, gone: {}", changes.messages.len(), changes.vanished);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn fetch_vanished(
        &mut self,
        set: &UidSet,
        items: impl Into<FetchItems>,
        modseq: u64,
    ) -> Result<FetchChanges> {
        self.require("QRESYNC", "UID FETCH (VANISHED)").await?;
        let (messages, vanished) = self
            .run_fetch(set, &items.into(), Some(modseq), true)
            .await?;
        Ok(FetchChanges { messages, vanished })
    }

    async fn run_fetch<K: Id>(
        &mut self,
        set: &IdSet<K>,
        items: &FetchItems,
        changed_since: Option<u64>,
        vanished: bool,
    ) -> Result<(Vec<Fetched>, UidSet)> {
        let mut run = FetchRun::new(set, items, None, changed_since, vanished)?;
        let messages = run.collect(&mut self.conn).await?;
        Ok((messages, run.gone))
    }
}

/// Key fetched messages by UID or sequence number.
fn keyed<K: Id>(list: Vec<Fetched>) -> Result<BTreeMap<K, Fetched>> {
    let mut map = BTreeMap::new();
    for f in list {
        let n = if K::IS_UID {
            f.uid().map(Uid::get).ok_or_else(|| {
                Error::Protocol(format!("UID FETCH answer for message {} has no UID", f.seq))
            })?
        } else {
            f.seq
        };
        let Some(nz) = std::num::NonZeroU32::new(n) else {
            return Err(Error::Protocol("FETCH answer for message 0".into()));
        };
        match map.entry(K::from_nonzero(nz)) {
            std::collections::btree_map::Entry::Occupied(mut e) => {
                let prev: &mut Fetched = e.get_mut();
                prev.items.extend(f.items);
            }
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(f);
            }
        }
    }
    Ok(map)
}
