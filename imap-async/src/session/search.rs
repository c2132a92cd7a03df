//! SEARCH (RFC 3501 §6.4.4), with UIDs by default (§6.4.8); ESEARCH (RFC 4731); SORT and
//! THREAD (RFC 5256, RFC 5957); Gmail's X-GM-RAW.
//!
//! Every command here takes a [`SearchQuery`]: typed criteria ([`SearchKey`], built with
//! [`Search`](crate::proto::Search)) or, as an escape hatch, raw IMAP search syntax given as
//! a `&str`.

use std::num::NonZeroU32;

use super::{ServerKind, Session};
use crate::error::{Error, Result};
use crate::proto::search::{SearchKey, encode_search_program};
use crate::proto::sequence::{Id, IdSet};
use crate::proto::{CommandEncoder, Seq, SeqSet, ThreadNode, Uid, UidSet, Untagged};

/// The criteria of a SEARCH, SORT or THREAD: typed ([`SearchKey`]) or raw text.
///
/// Built with `.into()` (the commands take `impl Into<SearchQuery>`, so you rarely name this
/// type):
/// * from a [`SearchKey`] (and from a [`UidSet`]/[`SeqSet`]/[`Uid`]/[`Seq`], which become
///   `UID set` / a sequence set): strings go through the command encoder, non-ASCII ones as
///   literals with `CHARSET UTF-8` (also deep inside `OR`/`NOT`/groups), unless
///   UTF8=ACCEPT is enabled (RFC 6855 §3 then forbids the charset);
/// * from a `&str`/`String`: raw IMAP search syntax sent verbatim, e.g. `"UNSEEN FROM
///   \"alice\""`. It must be non-empty ASCII (non-ASCII only once UTF8=ACCEPT is enabled)
///   without control characters (CR, LF, NUL, ...) and must not end with `}`; nothing else
///   is checked, so prefer typed keys for anything built from user input.
///
/// ```
/// use imap_async::proto::Search;
/// use imap_async::session::SearchQuery;
///
/// let typed: SearchQuery = Search::unseen().and(Search::subject("Grüße")).into();
/// let raw: SearchQuery = "UNSEEN SUBJECT \"hello\"".into();
/// assert_eq!(raw.key().to_string(), "UNSEEN SUBJECT \"hello\"");
/// assert!(typed.key().needs_utf8());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery(SearchKey);

impl SearchQuery {
    /// The criteria as a key (raw text is a [`SearchKey::Raw`]).
    ///
    /// ```
    /// use imap_async::proto::{Search, SearchKey};
    /// use imap_async::session::SearchQuery;
    ///
    /// let q: SearchQuery = Search::seen().into();
    /// assert_eq!(q.key(), &SearchKey::Seen);
    /// let raw: SearchQuery = "X-GM-RAW \"has:drive\"".into();
    /// assert!(matches!(raw.key(), SearchKey::Raw(_)));
    /// ```
    pub fn key(&self) -> &SearchKey {
        &self.0
    }
}

impl From<SearchKey> for SearchQuery {
    fn from(key: SearchKey) -> Self {
        SearchQuery(key)
    }
}

impl From<&str> for SearchQuery {
    fn from(raw: &str) -> Self {
        SearchQuery(SearchKey::Raw(raw.trim().to_owned()))
    }
}

impl From<String> for SearchQuery {
    fn from(raw: String) -> Self {
        SearchQuery::from(raw.as_str())
    }
}

impl From<&String> for SearchQuery {
    fn from(raw: &String) -> Self {
        SearchQuery::from(raw.as_str())
    }
}

impl From<UidSet> for SearchQuery {
    fn from(set: UidSet) -> Self {
        SearchQuery(set.into())
    }
}

impl From<SeqSet> for SearchQuery {
    fn from(set: SeqSet) -> Self {
        SearchQuery(set.into())
    }
}

impl From<Uid> for SearchQuery {
    fn from(id: Uid) -> Self {
        SearchQuery(id.into())
    }
}

impl From<Seq> for SearchQuery {
    fn from(id: Seq) -> Self {
        SearchQuery(id.into())
    }
}

/// Whether a key holds raw text anywhere (which the encoder writes as it is).
fn raw_text_is_ascii(key: &SearchKey) -> bool {
    match key {
        SearchKey::Raw(s) => s.is_ascii(),
        SearchKey::Not(k) => raw_text_is_ascii(k),
        SearchKey::Or(a, b) => raw_text_is_ascii(a) && raw_text_is_ascii(b),
        SearchKey::And(ks) => ks.iter().all(raw_text_is_ascii),
        _ => true,
    }
}

/// Write the criteria (with `CHARSET UTF-8` when needed) into `enc`.
fn write_query(
    enc: &mut CommandEncoder,
    query: &SearchQuery,
    utf8_enabled: bool,
    server: ServerKind,
) -> Result<()> {
    if !utf8_enabled && !raw_text_is_ascii(&query.0) {
        // Raw text is sent as it is: 8-bit bytes outside a literal are not IMAP4rev1.
        return Err(Error::invalid(
            "search criteria",
            "raw criteria must be ASCII (use typed keys for non-ASCII text)",
        ));
    }
    if server.rejects_search_charset() && !utf8_enabled && query.0.needs_utf8() {
        // Yahoo answers any CHARSET with BAD [CLIENTBUG] (iroco-co/aioimaplib#126), and
        // without CHARSET non-ASCII text is not allowed (RFC 3501 §6.4.4).
        tracing::debug!(
            server = server.label(),
            workaround = "no CHARSET in SEARCH",
            "workaround: {} refuses SEARCH CHARSET; a non-ASCII search is not sent",
            server.label()
        );
        return Err(Error::ServerLimitation {
            server: server.label().to_owned(),
            reason: "it refuses SEARCH with a CHARSET, which text outside ASCII needs".into(),
        });
    }
    encode_search_program(enc, &query.0, utf8_enabled)
        .map_err(|e| Error::invalid("search criteria", e.to_string()))
}

/// The answer of a SEARCH: the matching messages and, when the criteria used `MODSEQ`
/// (RFC 7162 §3.1.5), the highest mod-sequence of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchResult<K: Id> {
    /// Matching messages, as a compact set.
    pub ids: IdSet<K>,
    /// `(MODSEQ n)` of `* SEARCH`, or `MODSEQ n` of `* ESEARCH`.
    pub modseq: Option<u64>,
}

/// What an ESEARCH asks the server to return (RFC 4731 §3.1 `search-return-opt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SearchReturn {
    /// `MIN`: the lowest matching number.
    Min,
    /// `MAX`: the highest matching number.
    Max,
    /// `COUNT`: how many messages match.
    Count,
    /// `ALL`: every matching number, as a set of ranges.
    All,
}

impl SearchReturn {
    fn atom(self) -> &'static str {
        match self {
            SearchReturn::Min => "MIN",
            SearchReturn::Max => "MAX",
            SearchReturn::Count => "COUNT",
            SearchReturn::All => "ALL",
        }
    }
}

/// The answer of an ESEARCH (RFC 4731 §3.1): what was asked for. A field stays `None`
/// when not asked for, and also when nothing matched (the server then omits MIN, MAX and
/// ALL; COUNT is `Some(0)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ESearchResult<K: Id> {
    /// `MIN`: the lowest matching UID or sequence number.
    pub min: Option<K>,
    /// `MAX`: the highest matching UID or sequence number.
    pub max: Option<K>,
    /// `COUNT`: the number of matches.
    pub count: Option<u32>,
    /// Every match, kept as the server's ranges (a million UIDs in one range stay one range).
    pub all: Option<IdSet<K>>,
    /// `MODSEQ n` (RFC 7162 §3.1.5) when the criteria used `MODSEQ`.
    pub modseq: Option<u64>,
}

/// A sort criterion of RFC 5256 §3 (`sort-key`) and RFC 5957 (`DISPLAYFROM`, `DISPLAYTO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SortKey {
    /// `ARRIVAL`: internal date and time.
    Arrival,
    /// `CC`: first Cc address's mailbox.
    Cc,
    /// `DATE`: Date header (internal date when missing).
    Date,
    /// `FROM`: first From address's mailbox.
    From,
    /// `SIZE`: RFC822.SIZE.
    Size,
    /// `SUBJECT`: base subject (RFC 5256 §2.1).
    Subject,
    /// `TO`: first To address's mailbox.
    To,
    /// `DISPLAYFROM` (RFC 5957, needs `SORT=DISPLAY`): display name of the first From.
    DisplayFrom,
    /// `DISPLAYTO` (RFC 5957, needs `SORT=DISPLAY`): display name of the first To.
    DisplayTo,
}

impl SortKey {
    fn atom(self) -> &'static str {
        match self {
            SortKey::Arrival => "ARRIVAL",
            SortKey::Cc => "CC",
            SortKey::Date => "DATE",
            SortKey::From => "FROM",
            SortKey::Size => "SIZE",
            SortKey::Subject => "SUBJECT",
            SortKey::To => "TO",
            SortKey::DisplayFrom => "DISPLAYFROM",
            SortKey::DisplayTo => "DISPLAYTO",
        }
    }

    /// This key in descending order (`REVERSE key`).
    ///
    /// ```
    /// use imap_async::session::{SortCriterion, SortKey};
    ///
    /// assert_eq!(SortKey::Date.reverse(), SortCriterion { key: SortKey::Date, reverse: true });
    /// ```
    pub fn reverse(self) -> SortCriterion {
        SortCriterion {
            key: self,
            reverse: true,
        }
    }
}

/// One element of a SORT program: a key, optionally `REVERSE`d.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SortCriterion {
    /// What to sort by.
    pub key: SortKey,
    /// `REVERSE`: sort this key in descending order.
    pub reverse: bool,
}

impl From<SortKey> for SortCriterion {
    fn from(key: SortKey) -> Self {
        SortCriterion {
            key,
            reverse: false,
        }
    }
}

/// A threading algorithm of RFC 5256 §3 (`THREAD=<algorithm>` capability).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ThreadAlgorithm {
    /// `ORDEREDSUBJECT` (RFC 5256 §3).
    OrderedSubject,
    /// `REFERENCES` (RFC 5256 §3): In-Reply-To/References, then subjects.
    References,
    /// `REFS` (draft-ietf-morg-inthread, offered by Dovecot).
    Refs,
    /// Any other algorithm, by its atom name.
    Other(String),
}

impl ThreadAlgorithm {
    fn name(&self) -> &str {
        match self {
            ThreadAlgorithm::OrderedSubject => "ORDEREDSUBJECT",
            ThreadAlgorithm::References => "REFERENCES",
            ThreadAlgorithm::Refs => "REFS",
            ThreadAlgorithm::Other(s) => s,
        }
    }
}

fn ids_to_set<K: Id>(ids: impl IntoIterator<Item = u32>) -> IdSet<K> {
    ids.into_iter()
        .filter_map(NonZeroU32::new)
        .map(K::from_nonzero)
        .collect()
}

fn ranges_to_set<K: Id>(ranges: &[(u32, u32)]) -> IdSet<K> {
    let mut set = IdSet::new();
    for &(a, b) in ranges {
        let (lo, hi) = (a.min(b), a.max(b));
        if let (Some(lo), Some(hi)) = (NonZeroU32::new(lo), NonZeroU32::new(hi)) {
            set.insert_range(K::from_nonzero(lo)..=K::from_nonzero(hi));
        }
    }
    set
}

/// `UID SEARCH` for UIDs, `SEARCH` for sequence numbers.
fn verb<K: Id>(base: &str) -> String {
    super::command_name::<K>(base)
}

/// Whether an `* ESEARCH` answers the command with this tag (RFC 4731 §3.1: the server
/// includes the tag; an untagged-correlator ESEARCH is accepted as ours too).
fn esearch_is_ours(tag: &Option<bytes::Bytes>, ours: &str) -> bool {
    tag.as_ref().is_none_or(|t| t[..] == *ours.as_bytes())
}

impl Session {
    /// `UID SEARCH`: the UIDs of the matching messages, as a compact set (UIDs by default,
    /// like IMAPClient's `use_uid`).
    ///
    /// `query` is a typed [`SearchKey`] (see [`Search`](crate::proto::Search)) or raw
    /// search syntax as a `&str` (see [`SearchQuery`]). Non-ASCII typed strings go as
    /// literals with `CHARSET UTF-8`. When the server offers ESEARCH (RFC 4731), this sends
    /// `UID SEARCH RETURN (ALL)` so that a million matches come as a few ranges.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::proto::Search;
    /// session.select_folder("INBOX").await?;
    /// let unseen = session.search(Search::unseen().and(Search::subject("Grüße"))).await?;
    /// let raw = session.search("UNSEEN FROM \"alice\"").await?;
    /// println!("{} unseen: {unseen}; {raw}", unseen.count().unwrap_or(0));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn search(&mut self, query: impl Into<SearchQuery>) -> Result<UidSet> {
        Ok(self.search_full::<Uid>(query).await?.ids)
    }

    /// `SEARCH` with message sequence numbers.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::proto::Search;
    /// let flagged = session.seq_search(Search::flagged()).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn seq_search(&mut self, query: impl Into<SearchQuery>) -> Result<SeqSet> {
        Ok(self.search_full::<Seq>(query).await?.ids)
    }

    /// SEARCH returning the matches and the `MODSEQ` the server reports with them
    /// (RFC 7162 §3.1.5: present when the criteria include `MODSEQ`). `K` picks UIDs
    /// ([`Uid`]: `UID SEARCH`) or sequence numbers ([`Seq`]: `SEARCH`).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::{Uid, proto::Search};
    /// session.enable([imap_async::Capability::Condstore]).await?;
    /// session.select_folder("INBOX").await?;
    /// let changed = session.search_full::<Uid>(Search::modseq(1234)).await?;
    /// println!("{} up to modseq {:?}", changed.ids, changed.modseq);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn search_full<K: Id>(
        &mut self,
        query: impl Into<SearchQuery>,
    ) -> Result<SearchResult<K>> {
        let query = query.into();
        if self.capabilities().await?.has("ESEARCH") {
            let e = self.run_esearch::<K>(&query, &[SearchReturn::All]).await?;
            return Ok(SearchResult {
                ids: e.all.unwrap_or_default(),
                modseq: e.modseq,
            });
        }
        let utf8 = self.conn.utf8_enabled;
        let mut enc = self.conn.encoder(&verb::<K>("SEARCH"));
        write_query(&mut enc, &query, utf8, self.conn.identity.kind)?;
        let cmd = enc.finish();
        let mut found = Vec::new();
        let mut modseq = None;
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::Search { ids, modseq: m } => {
                    found.extend(ids);
                    modseq = modseq.max(m);
                    None
                }
                other => Some(other),
            })
            .await?;
        Ok(SearchResult {
            ids: ids_to_set(found),
            modseq,
        })
    }

    /// `UID SEARCH RETURN (...)` (RFC 4731 ESEARCH): only the MIN, MAX, COUNT and/or ALL
    /// of the matching UIDs. ALL keeps the server's ranges (never expanded). An empty
    /// `returns` means `RETURN ()`, which RFC 4731 §3.1 defines as ALL. Needs ESEARCH.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::proto::Search;
    /// use imap_async::session::SearchReturn;
    /// let r = session
    ///     .esearch(Search::unseen(), &[SearchReturn::Min, SearchReturn::Count])
    ///     .await?;
    /// println!("{:?} unseen, first {:?}", r.count, r.min);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn esearch(
        &mut self,
        query: impl Into<SearchQuery>,
        returns: &[SearchReturn],
    ) -> Result<ESearchResult<Uid>> {
        self.require("ESEARCH", "UID SEARCH RETURN").await?;
        self.run_esearch::<Uid>(&query.into(), returns).await
    }

    /// `SEARCH RETURN (...)` with sequence numbers; see [`esearch`](Self::esearch).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::Search;
    /// use imap_async::session::SearchReturn;
    /// let last = session.seq_esearch(Search::all(), &[SearchReturn::Max]).await?.max;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn seq_esearch(
        &mut self,
        query: impl Into<SearchQuery>,
        returns: &[SearchReturn],
    ) -> Result<ESearchResult<Seq>> {
        self.require("ESEARCH", "SEARCH RETURN").await?;
        self.run_esearch::<Seq>(&query.into(), returns).await
    }

    async fn run_esearch<K: Id>(
        &mut self,
        query: &SearchQuery,
        returns: &[SearchReturn],
    ) -> Result<ESearchResult<K>> {
        let utf8 = self.conn.utf8_enabled;
        let mut enc = self.conn.encoder(&verb::<K>("SEARCH"));
        // RFC 4731 §3.1: `RETURN (opts)` comes before the charset and the criteria.
        enc.raw("RETURN").open_list();
        let mut seen: Vec<SearchReturn> = Vec::new();
        for r in returns {
            if !seen.contains(r) {
                seen.push(*r);
                enc.raw(r.atom());
            }
        }
        enc.close_list();
        write_query(&mut enc, query, utf8, self.conn.identity.kind)?;
        let cmd = enc.finish();
        let tag = cmd.tag.clone();
        let mut result = ESearchResult {
            min: None,
            max: None,
            count: None,
            all: None,
            modseq: None,
        };
        let mut legacy: Option<Vec<u32>> = None;
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::ESearch(e) if esearch_is_ours(&e.tag, &tag) => {
                    result.min = e.min.and_then(NonZeroU32::new).map(K::from_nonzero);
                    result.max = e.max.and_then(NonZeroU32::new).map(K::from_nonzero);
                    result.count = e.count;
                    result.all = e.all.as_deref().map(ranges_to_set);
                    result.modseq = e.modseq;
                    None
                }
                // A server may answer a plain `* SEARCH` (RFC 4731 §3.1 allows it for
                // `RETURN ()` by old servers); keep it as ALL.
                Untagged::Search { ids, modseq } => {
                    legacy.get_or_insert_with(Vec::new).extend(ids);
                    result.modseq = result.modseq.max(modseq);
                    None
                }
                other => Some(other),
            })
            .await?;
        if let Some(ids) = legacy {
            let set: IdSet<K> = ids_to_set(ids);
            let wants = |r| returns.is_empty() || returns.contains(&r);
            if wants(SearchReturn::All) {
                result.all = Some(set.clone());
            }
            let n = set.count().unwrap_or(0);
            if wants(SearchReturn::Count) {
                result.count = Some(u32::try_from(n).unwrap_or(u32::MAX));
            }
            if wants(SearchReturn::Min) {
                result.min = set.iter().and_then(|mut i| i.next());
            }
            if wants(SearchReturn::Max) {
                result.max = set.iter().and_then(|i| i.last());
            }
        }
        // RFC 4731 §3.1: the server omits ALL when nothing matched; an empty set is what
        // was asked for.
        if result.all.is_none() && (returns.is_empty() || returns.contains(&SearchReturn::All)) {
            result.all = Some(IdSet::new());
        }
        Ok(result)
    }

    /// Gmail search (`UID SEARCH X-GM-RAW "query"`, Gmail's IMAP extensions): `query` in
    /// Gmail's web search syntax, e.g. `"has:attachment in:unread"`. Needs the
    /// `X-GM-EXT-1` capability. The query is one string argument (a literal with
    /// `CHARSET UTF-8` when non-ASCII), so it cannot change the command.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let uids = session.gmail_search("has:attachment older_than:1y").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn gmail_search(&mut self, query: &str) -> Result<UidSet> {
        self.require("X-GM-EXT-1", "X-GM-RAW search").await?;
        let utf8 = self.conn.utf8_enabled;
        let mut enc = self.conn.encoder("UID SEARCH");
        if !query.is_ascii() && !utf8 {
            enc.raw("CHARSET").raw("UTF-8");
        }
        enc.raw("X-GM-RAW");
        enc.string("X-GM-RAW query", query.as_bytes())?;
        let cmd = enc.finish();
        let mut found = Vec::new();
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::Search { ids, .. } => {
                    found.extend(ids);
                    None
                }
                other => Some(other),
            })
            .await?;
        Ok(ids_to_set(found))
    }

    /// `UID SORT (criteria) UTF-8 query` (RFC 5256 §3): the matching UIDs in the order the
    /// criteria give. Needs `SORT` (and `SORT=DISPLAY` for [`SortKey::DisplayFrom`] /
    /// [`SortKey::DisplayTo`], RFC 5957). The charset is always `UTF-8`, which every SORT
    /// server must support (RFC 5256 §3); non-ASCII strings go as literals.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::proto::Search;
    /// use imap_async::session::SortKey;
    /// let newest_first = session.sort([SortKey::Date.reverse()], Search::all()).await?;
    /// let by_subject = session.sort([SortKey::Subject, SortKey::Date], "UNSEEN").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn sort<C: Into<SortCriterion>>(
        &mut self,
        criteria: impl IntoIterator<Item = C>,
        query: impl Into<SearchQuery>,
    ) -> Result<Vec<Uid>> {
        self.run_sort::<Uid, C>(criteria, query.into()).await
    }

    /// `SORT` with sequence numbers; see [`sort`](Self::sort).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::session::SortKey;
    /// let order = session.seq_sort([SortKey::Size], "ALL").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn seq_sort<C: Into<SortCriterion>>(
        &mut self,
        criteria: impl IntoIterator<Item = C>,
        query: impl Into<SearchQuery>,
    ) -> Result<Vec<Seq>> {
        self.run_sort::<Seq, C>(criteria, query.into()).await
    }

    async fn run_sort<K: Id, C: Into<SortCriterion>>(
        &mut self,
        criteria: impl IntoIterator<Item = C>,
        query: SearchQuery,
    ) -> Result<Vec<K>> {
        let criteria: Vec<SortCriterion> = criteria.into_iter().map(Into::into).collect();
        if criteria.is_empty() {
            return Err(Error::invalid("sort criteria", "none given"));
        }
        self.require("SORT", "SORT").await?;
        if criteria
            .iter()
            .any(|c| matches!(c.key, SortKey::DisplayFrom | SortKey::DisplayTo))
        {
            self.require("SORT=DISPLAY", "SORT by DISPLAYFROM/DISPLAYTO")
                .await?;
        }
        let mut enc = self.conn.encoder(&verb::<K>("SORT"));
        enc.open_list();
        for c in &criteria {
            if c.reverse {
                enc.raw("REVERSE");
            }
            enc.raw(c.key.atom());
        }
        enc.close_list();
        enc.raw("UTF-8");
        if !raw_text_is_ascii(&query.0) && !self.conn.utf8_enabled {
            return Err(Error::invalid(
                "search criteria",
                "raw criteria must be ASCII (use typed keys for non-ASCII text)",
            ));
        }
        // The charset is given by the SORT syntax, so no `CHARSET` prefix here.
        crate::proto::search::encode_search(&mut enc, &query.0)
            .map_err(|e| Error::invalid("search criteria", e.to_string()))?;
        let cmd = enc.finish();
        let mut found = Vec::new();
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::Sort { ids, .. } => {
                    found.extend(ids);
                    None
                }
                other => Some(other),
            })
            .await?;
        Ok(found
            .into_iter()
            .filter_map(NonZeroU32::new)
            .map(K::from_nonzero)
            .collect())
    }

    /// `UID THREAD algorithm UTF-8 query` (RFC 5256 §3): the matching messages as threads
    /// (UIDs in the [`ThreadNode`]s). Needs `THREAD=<algorithm>`.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::session::ThreadAlgorithm;
    /// for thread in session.thread(ThreadAlgorithm::References, "ALL").await? {
    ///     println!("{:?} then {} sub-threads", thread.members, thread.children.len());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn thread(
        &mut self,
        algorithm: ThreadAlgorithm,
        query: impl Into<SearchQuery>,
    ) -> Result<Vec<ThreadNode>> {
        self.run_thread::<Uid>(algorithm, query.into()).await
    }

    /// `THREAD` with sequence numbers; see [`thread`](Self::thread).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::session::ThreadAlgorithm;
    /// let threads = session.seq_thread(ThreadAlgorithm::OrderedSubject, "ALL").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn seq_thread(
        &mut self,
        algorithm: ThreadAlgorithm,
        query: impl Into<SearchQuery>,
    ) -> Result<Vec<ThreadNode>> {
        self.run_thread::<Seq>(algorithm, query.into()).await
    }

    async fn run_thread<K: Id>(
        &mut self,
        algorithm: ThreadAlgorithm,
        query: SearchQuery,
    ) -> Result<Vec<ThreadNode>> {
        let name = algorithm.name().to_ascii_uppercase();
        let cap = format!("THREAD={name}");
        self.require(&cap, "THREAD").await?;
        if !raw_text_is_ascii(&query.0) && !self.conn.utf8_enabled {
            return Err(Error::invalid(
                "search criteria",
                "raw criteria must be ASCII (use typed keys for non-ASCII text)",
            ));
        }
        let mut enc = self.conn.encoder(&verb::<K>("THREAD"));
        enc.atom("thread algorithm", &name)?;
        enc.raw("UTF-8");
        crate::proto::search::encode_search(&mut enc, &query.0)
            .map_err(|e| Error::invalid("search criteria", e.to_string()))?;
        let cmd = enc.finish();
        let mut threads = Vec::new();
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::Thread(t) => {
                    threads.extend(t);
                    None
                }
                other => Some(other),
            })
            .await?;
        Ok(threads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{LiteralSupport, Search};

    fn line(query: impl Into<SearchQuery>, utf8: bool) -> Result<String> {
        let mut enc = CommandEncoder::new("A1", "UID SEARCH", LiteralSupport::Plus);
        write_query(&mut enc, &query.into(), utf8, ServerKind::Other)?;
        Ok(enc.finish().redacted)
    }

    #[test]
    fn raw_criteria_are_checked() {
        assert_eq!(line("  UNSEEN ", false).unwrap(), "A1 UID SEARCH UNSEEN");
        let e = line("ALL\r\nA1 DELETE INBOX", false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("offset 3") && e.contains("CR"), "{e}");
        let e = line("SUBJECT caf\u{e9}", false).unwrap_err().to_string();
        assert!(e.contains("ASCII"), "{e}");
        assert!(line("  ", false).is_err());
        assert!(line("SUBJECT {5}", false).is_err());
    }

    #[test]
    fn charset_kept_for_nested_criteria() {
        // IMAPClient #645: nested criteria lost the charset.
        let key = Search::or(Search::seen(), !Search::subject("Grüße")).and(Search::unseen());
        assert_eq!(
            line(key.clone(), false).unwrap(),
            "A1 UID SEARCH CHARSET UTF-8 OR SEEN NOT SUBJECT {7} UNSEEN"
        );
        // No charset once UTF8=ACCEPT is on (RFC 6855 §3).
        assert!(!line(key, true).unwrap().contains("CHARSET"));
    }

    #[test]
    fn esearch_ranges_stay_compact() {
        let set: UidSet = ranges_to_set(&[(1, 1_000_000), (1_000_002, 1_000_002)]);
        assert_eq!(set.to_string(), "1:1000000,1000002");
        assert!(esearch_is_ours(&None, "A1"));
        assert!(esearch_is_ours(
            &Some(bytes::Bytes::from_static(b"A1")),
            "A1"
        ));
        assert!(!esearch_is_ours(
            &Some(bytes::Bytes::from_static(b"A2")),
            "A1"
        ));
    }
}
