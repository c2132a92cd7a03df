//! Typed SEARCH criteria (RFC 3501 §6.4.4 and §9 `search-key`; RFC 9051 §6.4.4 and §9).
//!
//! A [`SearchKey`] is one search criterion, possibly composite (AND group, `OR`, `NOT`).
//! Build keys with the constructors on [`Search`] and combine them with
//! [`and`](SearchKey::and), [`or`](SearchKey::or) and `!` ([`std::ops::Not`]); write them
//! with [`encode_search`] (criteria only) or [`encode_search_program`] (criteria with the
//! `CHARSET UTF-8` prefix when needed).
//!
//! Every user-given string goes through [`CommandEncoder::string`], so non-ASCII text becomes
//! a literal (or a UTF-8 quoted string once UTF8=ACCEPT is on) and no input can add search
//! keys, end the command or start another one.
//!
//! Besides the RFC 3501 / RFC 9051 keys, the extensions `MODSEQ` (RFC 7162 §3.1.5, CONDSTORE),
//! `OLDER`/`YOUNGER` (RFC 5032, WITHIN) and `SAVEDBEFORE`/`SAVEDON`/`SAVEDSINCE`/
//! `SAVEDATESUPPORTED` (RFC 8514, SAVEDATE) are covered; anything else can be sent with
//! [`SearchKey::Raw`].
//!
//! ```
//! use imap_async::proto::search::{Search, encode_search};
//! use imap_async::proto::{CommandEncoder, LiteralSupport};
//!
//! let key = Search::unseen()
//!     .and(Search::from("alice@example.org"))
//!     .and(!Search::keyword("$Junk"));
//! let mut enc = CommandEncoder::new("A1", "UID SEARCH", LiteralSupport::Plus);
//! encode_search(&mut enc, &key)?;
//! assert_eq!(
//!     enc.finish().redacted,
//!     "A1 UID SEARCH UNSEEN FROM \"alice@example.org\" NOT KEYWORD $Junk"
//! );
//! # Ok::<(), imap_async::proto::search::SearchError>(())
//! ```

use std::fmt::{self, Write as _};
use std::ops::{BitAnd, BitOr, Not};

use chrono::{Datelike, NaiveDate};

use super::encode::{CommandEncoder, EncodeError};
use super::flag::Flag;
use super::sequence::{Seq, SeqSet, Uid, UidSet};

/// Largest `number64` (RFC 9051 §9: "unsigned 63-bit integer") and largest
/// `mod-sequence-value` (RFC 7162 §7).
const MAX_NUMBER64: u64 = i64::MAX as u64;

/// Month names of RFC 3501 §9 `date-month`, independent of any locale.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Which per-flag mod-sequence a `MODSEQ` search compares (RFC 7162 §3.1.5 `entry-type-req`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModSeqEntryType {
    /// `priv`: the private (per-user) metadata item.
    Private,
    /// `shared`: the shared metadata item.
    Shared,
    /// `all`: the larger of the private and shared mod-sequences.
    All,
}

impl ModSeqEntryType {
    fn as_str(self) -> &'static str {
        match self {
            ModSeqEntryType::Private => "priv",
            ModSeqEntryType::Shared => "shared",
            ModSeqEntryType::All => "all",
        }
    }
}

/// The optional `entry-name entry-type-req` part of a `MODSEQ` search (RFC 7162 §3.1.5): the
/// mod-sequence of one flag rather than of the whole message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModSeqEntry {
    /// The flag, e.g. `\Draft` or `$MDNSent`; sent as `"/flags/\\Draft"`.
    pub flag: String,
    /// Private, shared or both.
    pub entry_type: ModSeqEntryType,
}

/// One search criterion (RFC 3501 §6.4.4, §9 `search-key`; RFC 9051 §6.4.4).
///
/// String arguments are UTF-8; when any is non-ASCII ([`needs_utf8`](Self::needs_utf8)), the
/// command needs `CHARSET UTF-8` (IMAP4rev1 without UTF8=ACCEPT), which
/// [`encode_search_program`] adds. Dates are sent as RFC 3501 `date` (`1-Feb-1994`); IMAP
/// compares them ignoring time and timezone (RFC 3501 §6.4.4).
///
/// Build values with [`Search`], or directly:
///
/// ```
/// use imap_async::proto::search::SearchKey;
///
/// let key = SearchKey::Or(
///     Box::new(SearchKey::Subject("report".into())),
///     Box::new(SearchKey::Not(Box::new(SearchKey::Seen))),
/// );
/// assert_eq!(key.to_string(), "OR SUBJECT \"report\" NOT SEEN");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SearchKey {
    /// `ALL`: every message.
    All,
    /// `ANSWERED`: messages with `\Answered`.
    Answered,
    /// `BCC s`: `s` is a substring of the Bcc header.
    Bcc(String),
    /// `BEFORE date`: internal date earlier than `date`.
    Before(NaiveDate),
    /// `BODY s`: `s` is a substring of the body.
    Body(String),
    /// `CC s`: `s` is a substring of the Cc header.
    Cc(String),
    /// `DELETED`: messages with `\Deleted`.
    Deleted,
    /// `DRAFT`: messages with `\Draft`.
    Draft,
    /// `FLAGGED`: messages with `\Flagged`.
    Flagged,
    /// `FROM s`: `s` is a substring of the From header.
    From(String),
    /// `HEADER field value`: the header `field` contains `value`; an empty `value` matches
    /// every message that has the header at all.
    Header {
        /// Header field name, e.g. `List-Id` (sent as an astring).
        field: String,
        /// Substring to look for.
        value: String,
    },
    /// `KEYWORD flag`: messages with this keyword (an atom such as `$Junk`; no `\`).
    Keyword(String),
    /// `LARGER n`: RFC 822 size larger than `n` octets.
    Larger(u64),
    /// `NEW`: `RECENT` and `UNSEEN`. IMAP4rev1 only: RFC 9051 drops it from `search-key`
    /// (Appendix E, item 12).
    New,
    /// `NOT key`.
    Not(Box<SearchKey>),
    /// `OLD`: not `RECENT`. IMAP4rev1 only (not in RFC 9051 `search-key`).
    Old,
    /// `ON date`: internal date within `date`.
    On(NaiveDate),
    /// `OR key1 key2`.
    Or(Box<SearchKey>, Box<SearchKey>),
    /// `RECENT`: messages with `\Recent`. IMAP4rev1 only (not in RFC 9051 `search-key`).
    Recent,
    /// `SEEN`: messages with `\Seen`.
    Seen,
    /// `SENTBEFORE date`: Date header earlier than `date`.
    SentBefore(NaiveDate),
    /// `SENTON date`: Date header within `date`.
    SentOn(NaiveDate),
    /// `SENTSINCE date`: Date header within or later than `date`.
    SentSince(NaiveDate),
    /// `SINCE date`: internal date within or later than `date`.
    Since(NaiveDate),
    /// `SMALLER n`: RFC 822 size smaller than `n` octets.
    Smaller(u64),
    /// `SUBJECT s`: `s` is a substring of the Subject header.
    Subject(String),
    /// `TEXT s`: `s` is a substring of the header or body.
    Text(String),
    /// `TO s`: `s` is a substring of the To header.
    To(String),
    /// `UID set`: messages whose UID is in the set (must not be empty).
    Uid(UidSet),
    /// `UNANSWERED`: messages without `\Answered`.
    Unanswered,
    /// `UNDELETED`: messages without `\Deleted`.
    Undeleted,
    /// `UNDRAFT`: messages without `\Draft`.
    Undraft,
    /// `UNFLAGGED`: messages without `\Flagged`.
    Unflagged,
    /// `UNKEYWORD flag`: messages without this keyword.
    Unkeyword(String),
    /// `UNSEEN`: messages without `\Seen`.
    Unseen,
    /// A bare `sequence-set`: messages whose sequence number is in the set (must not be
    /// empty).
    Sequence(SeqSet),
    /// `(key1 key2 ...)`: every key matches (AND). At the top level of a command it is
    /// written without parentheses; a group of one key is written as that key, and an empty
    /// group as `ALL` (the neutral element of AND).
    And(Vec<SearchKey>),
    /// `MODSEQ [entry-name entry-type] n` (RFC 7162 §3.1.5, CONDSTORE): messages whose
    /// mod-sequence (or that of one flag) is at least `modseq`.
    ModSeq {
        /// Restrict to one flag's mod-sequence.
        entry: Option<ModSeqEntry>,
        /// The lowest mod-sequence to match (at most 2^63 - 1).
        modseq: u64,
    },
    /// `OLDER n` (RFC 5032, WITHIN): internal date more than `n` seconds ago (`n` >= 1).
    Older(u32),
    /// `YOUNGER n` (RFC 5032, WITHIN): internal date at most `n` seconds ago (`n` >= 1).
    Younger(u32),
    /// `SAVEDBEFORE date` (RFC 8514, SAVEDATE): save date earlier than `date`.
    SavedBefore(NaiveDate),
    /// `SAVEDON date` (RFC 8514): save date within `date`.
    SavedOn(NaiveDate),
    /// `SAVEDSINCE date` (RFC 8514): save date within or later than `date`.
    SavedSince(NaiveDate),
    /// `SAVEDATESUPPORTED` (RFC 8514): every message if the mailbox keeps save dates,
    /// none otherwise.
    SaveDateSupported,
    /// Escape hatch: text inserted verbatim as search criteria, e.g. `X-GM-RAW "has:drive"`
    /// or `$` (RFC 5182). Rejected if it is empty, contains any ASCII control character (CR,
    /// LF, NUL and the others, which could end the command or garble the log) or ends with
    /// `}` (which would announce a literal). Its non-ASCII text counts for
    /// [`needs_utf8`](SearchKey::needs_utf8). Its syntax is not otherwise checked: an
    /// unbalanced quote or parenthesis changes how the server reads the rest of the
    /// criteria (but cannot end the command).
    Raw(String),
}

/// Why a [`SearchKey`] cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// A string with NUL, an invalid keyword or flag, or an empty set.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// A [`SearchKey::Raw`] that is empty, has a control character, or ends with `}`.
    #[error("raw search key is rejected at offset {offset}: {reason}")]
    Raw {
        /// Byte offset of the offending character (0 for an empty key).
        offset: usize,
        /// What is wrong, e.g. `"CR"`.
        reason: &'static str,
    },
    /// A number outside the range the grammar allows.
    #[error("{what} {value} is out of range {min}..={max}")]
    OutOfRange {
        /// The argument, e.g. `"LARGER size"`.
        what: &'static str,
        /// The rejected value.
        value: u64,
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// A date whose year is not four digits (RFC 3501 §9 `date-year = 4DIGIT`).
    #[error("{what} {date} has no IMAP form; the year must be 0000 to 9999")]
    Date {
        /// The argument, e.g. `"SINCE date"`.
        what: &'static str,
        /// The rejected date.
        date: NaiveDate,
    },
}

/// Constructors for [`SearchKey`], named after the IMAP search keys (`Search::unseen()` is
/// `UNSEEN`). This type has no values; it only groups the functions.
///
/// ```
/// use chrono::NaiveDate;
/// use imap_async::proto::search::Search;
///
/// let since = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
/// let key = Search::or(Search::from("alice"), Search::cc("alice"))
///     .and(Search::since(since))
///     .and(!Search::deleted());
/// assert_eq!(
///     key.to_string(),
///     "OR FROM \"alice\" CC \"alice\" SINCE 1-Mar-2024 NOT DELETED"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {}

impl Search {
    /// `ALL`: every message.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::all().to_string(), "ALL");
    /// ```
    pub fn all() -> SearchKey {
        SearchKey::All
    }

    /// `ANSWERED`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::answered().to_string(), "ANSWERED");
    /// ```
    pub fn answered() -> SearchKey {
        SearchKey::Answered
    }

    /// `BCC s`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::bcc("alice").to_string(), r#"BCC "alice""#);
    /// ```
    pub fn bcc(s: impl Into<String>) -> SearchKey {
        SearchKey::Bcc(s.into())
    }

    /// `BEFORE date` (internal date).
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    /// assert_eq!(Search::before(d).to_string(), "BEFORE 1-Mar-2024");
    /// ```
    pub fn before(date: NaiveDate) -> SearchKey {
        SearchKey::Before(date)
    }

    /// `BODY s`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::body("alice").to_string(), r#"BODY "alice""#);
    /// ```
    pub fn body(s: impl Into<String>) -> SearchKey {
        SearchKey::Body(s.into())
    }

    /// `CC s`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::cc("alice").to_string(), r#"CC "alice""#);
    /// ```
    pub fn cc(s: impl Into<String>) -> SearchKey {
        SearchKey::Cc(s.into())
    }

    /// `DELETED`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::deleted().to_string(), "DELETED");
    /// ```
    pub fn deleted() -> SearchKey {
        SearchKey::Deleted
    }

    /// `DRAFT`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::draft().to_string(), "DRAFT");
    /// ```
    pub fn draft() -> SearchKey {
        SearchKey::Draft
    }

    /// `FLAGGED`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::flagged().to_string(), "FLAGGED");
    /// ```
    pub fn flagged() -> SearchKey {
        SearchKey::Flagged
    }

    /// `FROM s` (not a conversion: this is the From header).
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::from("alice").to_string(), r#"FROM "alice""#);
    /// ```
    pub fn from(s: impl Into<String>) -> SearchKey {
        SearchKey::From(s.into())
    }

    /// `HEADER field value`; an empty `value` matches messages that have the header.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(
    ///     Search::header("List-Id", "").to_string(),
    ///     r#"HEADER List-Id """#
    /// );
    /// ```
    pub fn header(field: impl Into<String>, value: impl Into<String>) -> SearchKey {
        SearchKey::Header {
            field: field.into(),
            value: value.into(),
        }
    }

    /// `KEYWORD flag`, e.g. `Search::keyword(Flag::keyword("$Junk"))` or
    /// `Search::keyword("$Junk")`. Only keywords can be searched this way (system flags have
    /// their own keys, such as [`Search::seen`]); another flag fails the search before it is
    /// sent, naming the flag.
    ///
    /// ```
    /// use imap_async::Flag;
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::keyword(Flag::keyword("$Junk")).to_string(), "KEYWORD $Junk");
    /// assert_eq!(Search::keyword("$Junk").to_string(), "KEYWORD $Junk");
    /// ```
    pub fn keyword(flag: impl Into<Flag>) -> SearchKey {
        SearchKey::Keyword(flag.into().to_string())
    }

    /// `LARGER n` (octets).
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::larger(1024).to_string(), "LARGER 1024");
    /// ```
    pub fn larger(n: u64) -> SearchKey {
        SearchKey::Larger(n)
    }

    /// `NEW` (RECENT and UNSEEN; IMAP4rev1 only). Not a constructor of `Search`, which has
    /// no values.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::new().to_string(), "NEW");
    /// ```
    #[allow(clippy::new_ret_no_self, reason = "named after the IMAP key NEW")]
    pub fn new() -> SearchKey {
        SearchKey::New
    }

    /// `NOT key`; the same as `!key`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::not(Search::seen()).to_string(), "NOT SEEN");
    /// ```
    pub fn not(key: impl Into<SearchKey>) -> SearchKey {
        SearchKey::Not(Box::new(key.into()))
    }

    /// `OLD` (IMAP4rev1 only).
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::old().to_string(), "OLD");
    /// ```
    pub fn old() -> SearchKey {
        SearchKey::Old
    }

    /// `ON date` (internal date).
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    /// assert_eq!(Search::on(d).to_string(), "ON 1-Mar-2024");
    /// ```
    pub fn on(date: NaiveDate) -> SearchKey {
        SearchKey::On(date)
    }

    /// `OR a b`; the same as `a.or(b)`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(
    ///     Search::or(Search::seen(), Search::flagged()).to_string(),
    ///     "OR SEEN FLAGGED"
    /// );
    /// ```
    pub fn or(a: impl Into<SearchKey>, b: impl Into<SearchKey>) -> SearchKey {
        SearchKey::Or(Box::new(a.into()), Box::new(b.into()))
    }

    /// `RECENT` (IMAP4rev1 only).
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::recent().to_string(), "RECENT");
    /// ```
    pub fn recent() -> SearchKey {
        SearchKey::Recent
    }

    /// `SEEN`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::seen().to_string(), "SEEN");
    /// ```
    pub fn seen() -> SearchKey {
        SearchKey::Seen
    }

    /// `SENTBEFORE date` (Date header).
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    /// assert_eq!(Search::sent_before(d).to_string(), "SENTBEFORE 1-Mar-2024");
    /// ```
    pub fn sent_before(date: NaiveDate) -> SearchKey {
        SearchKey::SentBefore(date)
    }

    /// `SENTON date` (Date header).
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    /// assert_eq!(Search::sent_on(d).to_string(), "SENTON 1-Mar-2024");
    /// ```
    pub fn sent_on(date: NaiveDate) -> SearchKey {
        SearchKey::SentOn(date)
    }

    /// `SENTSINCE date` (Date header).
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    /// assert_eq!(Search::sent_since(d).to_string(), "SENTSINCE 1-Mar-2024");
    /// ```
    pub fn sent_since(date: NaiveDate) -> SearchKey {
        SearchKey::SentSince(date)
    }

    /// `SINCE date` (internal date).
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    /// assert_eq!(Search::since(d).to_string(), "SINCE 1-Mar-2024");
    /// ```
    pub fn since(date: NaiveDate) -> SearchKey {
        SearchKey::Since(date)
    }

    /// `SMALLER n` (octets).
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::smaller(1024).to_string(), "SMALLER 1024");
    /// ```
    pub fn smaller(n: u64) -> SearchKey {
        SearchKey::Smaller(n)
    }

    /// `SUBJECT s`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::subject("alice").to_string(), r#"SUBJECT "alice""#);
    /// ```
    pub fn subject(s: impl Into<String>) -> SearchKey {
        SearchKey::Subject(s.into())
    }

    /// `TEXT s` (header or body).
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::text("alice").to_string(), r#"TEXT "alice""#);
    /// ```
    pub fn text(s: impl Into<String>) -> SearchKey {
        SearchKey::Text(s.into())
    }

    /// `TO s`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::to("alice").to_string(), r#"TO "alice""#);
    /// ```
    pub fn to(s: impl Into<String>) -> SearchKey {
        SearchKey::To(s.into())
    }

    /// `UID set`, e.g. `Search::uid("1:100".parse::<UidSet>()?)` or `Search::uid(uid)`.
    ///
    /// ```
    /// use imap_async::proto::{search::Search, UidSet};
    ///
    /// let set: UidSet = "1:100".parse()?;
    /// assert_eq!(Search::uid(set).to_string(), "UID 1:100");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn uid(set: impl Into<UidSet>) -> SearchKey {
        SearchKey::Uid(set.into())
    }

    /// A bare sequence set (message sequence numbers).
    ///
    /// ```
    /// use imap_async::proto::{search::Search, SeqSet};
    ///
    /// let set: SeqSet = "2,4:*".parse()?;
    /// assert_eq!(Search::seq(set).to_string(), "2,4:*");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn seq(set: impl Into<SeqSet>) -> SearchKey {
        SearchKey::Sequence(set.into())
    }

    /// `UNANSWERED`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::unanswered().to_string(), "UNANSWERED");
    /// ```
    pub fn unanswered() -> SearchKey {
        SearchKey::Unanswered
    }

    /// `UNDELETED`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::undeleted().to_string(), "UNDELETED");
    /// ```
    pub fn undeleted() -> SearchKey {
        SearchKey::Undeleted
    }

    /// `UNDRAFT`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::undraft().to_string(), "UNDRAFT");
    /// ```
    pub fn undraft() -> SearchKey {
        SearchKey::Undraft
    }

    /// `UNFLAGGED`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::unflagged().to_string(), "UNFLAGGED");
    /// ```
    pub fn unflagged() -> SearchKey {
        SearchKey::Unflagged
    }

    /// `UNKEYWORD flag`: as [`Search::keyword`], for messages without the keyword.
    ///
    /// ```
    /// use imap_async::Flag;
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::unkeyword(Flag::keyword("$Junk")).to_string(), "UNKEYWORD $Junk");
    /// ```
    pub fn unkeyword(flag: impl Into<Flag>) -> SearchKey {
        SearchKey::Unkeyword(flag.into().to_string())
    }

    /// `UNSEEN`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::unseen().to_string(), "UNSEEN");
    /// ```
    pub fn unseen() -> SearchKey {
        SearchKey::Unseen
    }

    /// `MODSEQ n` (RFC 7162 §3.1.5): mod-sequence at least `n`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::modseq(12345).to_string(), "MODSEQ 12345");
    /// ```
    pub fn modseq(n: u64) -> SearchKey {
        SearchKey::ModSeq {
            entry: None,
            modseq: n,
        }
    }

    /// `MODSEQ "/flags/<flag>" <type> n` (RFC 7162 §3.1.5): the mod-sequence of one flag is
    /// at least `n`.
    ///
    /// ```
    /// use imap_async::proto::search::{ModSeqEntryType, Search};
    ///
    /// let key = Search::modseq_flag("\\Draft", ModSeqEntryType::All, 620162338);
    /// assert_eq!(key.to_string(), r#"MODSEQ "/flags/\\Draft" all 620162338"#);
    /// ```
    pub fn modseq_flag(flag: impl Into<String>, entry_type: ModSeqEntryType, n: u64) -> SearchKey {
        SearchKey::ModSeq {
            entry: Some(ModSeqEntry {
                flag: flag.into(),
                entry_type,
            }),
            modseq: n,
        }
    }

    /// `OLDER secs` (RFC 5032): arrived more than `secs` seconds ago.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::older(3600).to_string(), "OLDER 3600");
    /// ```
    pub fn older(secs: u32) -> SearchKey {
        SearchKey::Older(secs)
    }

    /// `YOUNGER secs` (RFC 5032): arrived at most `secs` seconds ago.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::younger(3600).to_string(), "YOUNGER 3600");
    /// ```
    pub fn younger(secs: u32) -> SearchKey {
        SearchKey::Younger(secs)
    }

    /// `SAVEDBEFORE date` (RFC 8514).
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    /// assert_eq!(Search::saved_before(d).to_string(), "SAVEDBEFORE 1-Mar-2024");
    /// ```
    pub fn saved_before(date: NaiveDate) -> SearchKey {
        SearchKey::SavedBefore(date)
    }

    /// `SAVEDON date` (RFC 8514).
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    /// assert_eq!(Search::saved_on(d).to_string(), "SAVEDON 1-Mar-2024");
    /// ```
    pub fn saved_on(date: NaiveDate) -> SearchKey {
        SearchKey::SavedOn(date)
    }

    /// `SAVEDSINCE date` (RFC 8514).
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    /// assert_eq!(Search::saved_since(d).to_string(), "SAVEDSINCE 1-Mar-2024");
    /// ```
    pub fn saved_since(date: NaiveDate) -> SearchKey {
        SearchKey::SavedSince(date)
    }

    /// `SAVEDATESUPPORTED` (RFC 8514).
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::save_date_supported().to_string(), "SAVEDATESUPPORTED");
    /// ```
    pub fn save_date_supported() -> SearchKey {
        SearchKey::SaveDateSupported
    }

    /// Criteria text sent verbatim; see [`SearchKey::Raw`] for what is rejected.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::raw("X-GM-RAW \"has:drive\"").to_string(), r#"X-GM-RAW "has:drive""#);
    /// ```
    pub fn raw(s: impl Into<String>) -> SearchKey {
        SearchKey::Raw(s.into())
    }

    /// Every key matches (an AND group). An empty iterator gives an empty group, which is
    /// sent as `ALL`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// let key = Search::all_of([Search::seen(), Search::flagged()]);
    /// assert_eq!(key.to_string(), "SEEN FLAGGED");
    /// assert_eq!(Search::all_of(Vec::<imap_async::proto::SearchKey>::new()).to_string(), "ALL");
    /// ```
    pub fn all_of<K: Into<SearchKey>>(keys: impl IntoIterator<Item = K>) -> SearchKey {
        keys.into_iter()
            .fold(SearchKey::And(Vec::new()), |acc, k| acc.and(k))
    }

    /// At least one key matches: `OR`s nested as a balanced tree, so the nesting depth grows
    /// with the logarithm of the number of keys. One key is that key; none is `NOT ALL`
    /// (matches nothing).
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    ///
    /// let key = Search::any_of(["a", "b", "c"].map(Search::from));
    /// assert_eq!(key.to_string(), r#"OR FROM "a" OR FROM "b" FROM "c""#);
    /// ```
    pub fn any_of<K: Into<SearchKey>>(keys: impl IntoIterator<Item = K>) -> SearchKey {
        fn build(mut keys: Vec<SearchKey>) -> SearchKey {
            match keys.len() {
                0 => !SearchKey::All,
                1 => keys.pop().unwrap_or(SearchKey::All),
                n => {
                    let right = keys.split_off(n / 2);
                    SearchKey::Or(Box::new(build(keys)), Box::new(build(right)))
                }
            }
        }
        build(keys.into_iter().map(Into::into).collect())
    }
}

impl SearchKey {
    /// Both `self` and `other` match. Groups are flattened: `a.and(b).and(c)` is the one
    /// group `(a b c)`, written `a b c` at the top level.
    ///
    /// ```
    /// use imap_async::proto::search::{Search, SearchKey};
    ///
    /// let key = Search::unseen().and(Search::flagged()).and(Search::subject("x"));
    /// assert_eq!(
    ///     key,
    ///     SearchKey::And(vec![
    ///         SearchKey::Unseen,
    ///         SearchKey::Flagged,
    ///         SearchKey::Subject("x".into())
    ///     ])
    /// );
    /// ```
    pub fn and(self, other: impl Into<SearchKey>) -> SearchKey {
        let mut items = match self {
            SearchKey::And(items) => items,
            key => vec![key],
        };
        match other.into() {
            SearchKey::And(more) => items.extend(more),
            key => items.push(key),
        }
        SearchKey::And(items)
    }

    /// `OR self other`.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert_eq!(Search::seen().or(Search::flagged()).to_string(), "OR SEEN FLAGGED");
    /// ```
    pub fn or(self, other: impl Into<SearchKey>) -> SearchKey {
        SearchKey::Or(Box::new(self), Box::new(other.into()))
    }

    /// Whether any string anywhere in the key (including deep inside `OR`, `NOT` and
    /// groups, and in [`Raw`](SearchKey::Raw) text) is non-ASCII, so that an IMAP4rev1
    /// command needs `CHARSET UTF-8` (RFC 3501 §6.4.4: CHARSET names the charset of the
    /// criteria strings, and only US-ASCII must be supported). [`encode_search_program`]
    /// uses this.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    ///
    /// assert!(!Search::subject("hello").needs_utf8());
    /// assert!((!Search::seen().or(Search::subject("Grüße"))).needs_utf8());
    /// ```
    pub fn needs_utf8(&self) -> bool {
        match self {
            SearchKey::Bcc(s)
            | SearchKey::Body(s)
            | SearchKey::Cc(s)
            | SearchKey::From(s)
            | SearchKey::Subject(s)
            | SearchKey::Text(s)
            | SearchKey::To(s)
            | SearchKey::Keyword(s)
            | SearchKey::Unkeyword(s)
            | SearchKey::Raw(s) => !s.is_ascii(),
            SearchKey::Header { field, value } => !field.is_ascii() || !value.is_ascii(),
            SearchKey::ModSeq {
                entry: Some(entry), ..
            } => !entry.flag.is_ascii(),
            SearchKey::Not(key) => key.needs_utf8(),
            SearchKey::Or(a, b) => a.needs_utf8() || b.needs_utf8(),
            SearchKey::And(keys) => keys.iter().any(SearchKey::needs_utf8),
            SearchKey::All
            | SearchKey::Answered
            | SearchKey::Before(_)
            | SearchKey::Deleted
            | SearchKey::Draft
            | SearchKey::Flagged
            | SearchKey::Larger(_)
            | SearchKey::New
            | SearchKey::Old
            | SearchKey::On(_)
            | SearchKey::Recent
            | SearchKey::Seen
            | SearchKey::SentBefore(_)
            | SearchKey::SentOn(_)
            | SearchKey::SentSince(_)
            | SearchKey::Since(_)
            | SearchKey::Smaller(_)
            | SearchKey::Uid(_)
            | SearchKey::Unanswered
            | SearchKey::Undeleted
            | SearchKey::Undraft
            | SearchKey::Unflagged
            | SearchKey::Unseen
            | SearchKey::Sequence(_)
            | SearchKey::ModSeq { entry: None, .. }
            | SearchKey::Older(_)
            | SearchKey::Younger(_)
            | SearchKey::SavedBefore(_)
            | SearchKey::SavedOn(_)
            | SearchKey::SavedSince(_)
            | SearchKey::SaveDateSupported => false,
        }
    }

    /// Check that the key can be sent, without writing anything: no NUL in strings, valid
    /// keywords and flags, non-empty sets, numbers and dates in range, acceptable
    /// [`Raw`](SearchKey::Raw) text. [`encode_search`] calls this first, so a failed encode
    /// leaves the encoder untouched.
    ///
    /// ```
    /// use imap_async::proto::search::Search;
    /// assert!(Search::subject("hello").validate().is_ok());
    /// assert!(Search::subject("a\0b").validate().is_err());
    /// assert!(Search::raw("").validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), SearchError> {
        match self {
            SearchKey::Bcc(s) => check_string("BCC string", s),
            SearchKey::Body(s) => check_string("BODY string", s),
            SearchKey::Cc(s) => check_string("CC string", s),
            SearchKey::From(s) => check_string("FROM string", s),
            SearchKey::Subject(s) => check_string("SUBJECT string", s),
            SearchKey::Text(s) => check_string("TEXT string", s),
            SearchKey::To(s) => check_string("TO string", s),
            SearchKey::Header { field, value } => {
                check_string("HEADER field name", field)?;
                check_string("HEADER string", value)
            }
            SearchKey::Keyword(k) => check_atom("KEYWORD keyword", k),
            SearchKey::Unkeyword(k) => check_atom("UNKEYWORD keyword", k),
            SearchKey::Before(d) => check_date("BEFORE date", *d),
            SearchKey::On(d) => check_date("ON date", *d),
            SearchKey::SentBefore(d) => check_date("SENTBEFORE date", *d),
            SearchKey::SentOn(d) => check_date("SENTON date", *d),
            SearchKey::SentSince(d) => check_date("SENTSINCE date", *d),
            SearchKey::Since(d) => check_date("SINCE date", *d),
            SearchKey::SavedBefore(d) => check_date("SAVEDBEFORE date", *d),
            SearchKey::SavedOn(d) => check_date("SAVEDON date", *d),
            SearchKey::SavedSince(d) => check_date("SAVEDSINCE date", *d),
            SearchKey::Larger(n) => check_range("LARGER size", *n, 0, MAX_NUMBER64),
            SearchKey::Smaller(n) => check_range("SMALLER size", *n, 0, MAX_NUMBER64),
            SearchKey::Older(n) => check_range("OLDER interval", (*n).into(), 1, u32::MAX.into()),
            SearchKey::Younger(n) => {
                check_range("YOUNGER interval", (*n).into(), 1, u32::MAX.into())
            }
            SearchKey::ModSeq { entry, modseq } => {
                if let Some(entry) = entry {
                    check_flag("MODSEQ entry flag", &entry.flag)?;
                }
                check_range("MODSEQ mod-sequence", *modseq, 0, MAX_NUMBER64)
            }
            SearchKey::Uid(set) if set.is_empty() => Err(EncodeError::EmptySet {
                what: "UID search set",
            }
            .into()),
            SearchKey::Sequence(set) if set.is_empty() => Err(EncodeError::EmptySet {
                what: "sequence search set",
            }
            .into()),
            SearchKey::Raw(s) => check_raw(s),
            SearchKey::Not(key) => key.validate(),
            SearchKey::Or(a, b) => {
                a.validate()?;
                b.validate()
            }
            SearchKey::And(keys) => keys.iter().try_for_each(SearchKey::validate),
            SearchKey::All
            | SearchKey::Answered
            | SearchKey::Deleted
            | SearchKey::Draft
            | SearchKey::Flagged
            | SearchKey::New
            | SearchKey::Old
            | SearchKey::Recent
            | SearchKey::Seen
            | SearchKey::Uid(_)
            | SearchKey::Unanswered
            | SearchKey::Undeleted
            | SearchKey::Undraft
            | SearchKey::Unflagged
            | SearchKey::Unseen
            | SearchKey::Sequence(_)
            | SearchKey::SaveDateSupported => Ok(()),
        }
    }

    /// The keyword of a key without arguments, or of the key before its arguments.
    fn name(&self) -> &'static str {
        match self {
            SearchKey::All => "ALL",
            SearchKey::Answered => "ANSWERED",
            SearchKey::Bcc(_) => "BCC",
            SearchKey::Before(_) => "BEFORE",
            SearchKey::Body(_) => "BODY",
            SearchKey::Cc(_) => "CC",
            SearchKey::Deleted => "DELETED",
            SearchKey::Draft => "DRAFT",
            SearchKey::Flagged => "FLAGGED",
            SearchKey::From(_) => "FROM",
            SearchKey::Header { .. } => "HEADER",
            SearchKey::Keyword(_) => "KEYWORD",
            SearchKey::Larger(_) => "LARGER",
            SearchKey::New => "NEW",
            SearchKey::Not(_) => "NOT",
            SearchKey::Old => "OLD",
            SearchKey::On(_) => "ON",
            SearchKey::Or(..) => "OR",
            SearchKey::Recent => "RECENT",
            SearchKey::Seen => "SEEN",
            SearchKey::SentBefore(_) => "SENTBEFORE",
            SearchKey::SentOn(_) => "SENTON",
            SearchKey::SentSince(_) => "SENTSINCE",
            SearchKey::Since(_) => "SINCE",
            SearchKey::Smaller(_) => "SMALLER",
            SearchKey::Subject(_) => "SUBJECT",
            SearchKey::Text(_) => "TEXT",
            SearchKey::To(_) => "TO",
            SearchKey::Uid(_) => "UID",
            SearchKey::Unanswered => "UNANSWERED",
            SearchKey::Undeleted => "UNDELETED",
            SearchKey::Undraft => "UNDRAFT",
            SearchKey::Unflagged => "UNFLAGGED",
            SearchKey::Unkeyword(_) => "UNKEYWORD",
            SearchKey::Unseen => "UNSEEN",
            SearchKey::ModSeq { .. } => "MODSEQ",
            SearchKey::Older(_) => "OLDER",
            SearchKey::Younger(_) => "YOUNGER",
            SearchKey::SavedBefore(_) => "SAVEDBEFORE",
            SearchKey::SavedOn(_) => "SAVEDON",
            SearchKey::SavedSince(_) => "SAVEDSINCE",
            SearchKey::SaveDateSupported => "SAVEDATESUPPORTED",
            // Keys without a leading keyword.
            SearchKey::Sequence(_) | SearchKey::And(_) | SearchKey::Raw(_) => "",
        }
    }
}

impl Not for SearchKey {
    type Output = SearchKey;

    /// `NOT key`.
    fn not(self) -> SearchKey {
        SearchKey::Not(Box::new(self))
    }
}

impl<K: Into<SearchKey>> BitAnd<K> for SearchKey {
    type Output = SearchKey;

    /// `a & b` is [`a.and(b)`](SearchKey::and).
    fn bitand(self, other: K) -> SearchKey {
        self.and(other)
    }
}

impl<K: Into<SearchKey>> BitOr<K> for SearchKey {
    type Output = SearchKey;

    /// `a | b` is [`a.or(b)`](SearchKey::or).
    fn bitor(self, other: K) -> SearchKey {
        self.or(other)
    }
}

impl From<UidSet> for SearchKey {
    /// `UID set`.
    fn from(set: UidSet) -> Self {
        SearchKey::Uid(set)
    }
}

impl From<Uid> for SearchKey {
    /// `UID n`.
    fn from(uid: Uid) -> Self {
        SearchKey::Uid(uid.into())
    }
}

impl From<SeqSet> for SearchKey {
    /// A bare sequence set.
    fn from(set: SeqSet) -> Self {
        SearchKey::Sequence(set)
    }
}

impl From<Seq> for SearchKey {
    /// A bare sequence number.
    fn from(seq: Seq) -> Self {
        SearchKey::Sequence(seq.into())
    }
}

/// `ATOM-CHAR` (RFC 3501 §9): any `CHAR` except atom-specials `(` `)` `{` SP CTL `%` `*` `"`
/// `\` `]`.
fn is_atom_char(b: u8) -> bool {
    matches!(b, 0x21..=0x7e) && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

fn check_string(what: &'static str, s: &str) -> Result<(), SearchError> {
    match s.bytes().position(|b| b == 0) {
        Some(offset) => Err(EncodeError::Nul { what, offset }.into()),
        None => Ok(()),
    }
}

/// RFC 3501 §9 `flag-keyword = atom`.
fn check_atom(what: &'static str, s: &str) -> Result<(), SearchError> {
    if s.is_empty() || !s.bytes().all(is_atom_char) {
        return Err(EncodeError::NotAnAtom {
            what,
            value: s.to_owned(),
        }
        .into());
    }
    Ok(())
}

/// RFC 3501 §9 `flag`: an atom, optionally after `\`.
fn check_flag(what: &'static str, s: &str) -> Result<(), SearchError> {
    let body = s.strip_prefix('\\').unwrap_or(s);
    check_atom(what, body).map_err(|_| {
        EncodeError::NotAnAtom {
            what,
            value: s.to_owned(),
        }
        .into()
    })
}

fn check_range(what: &'static str, value: u64, min: u64, max: u64) -> Result<(), SearchError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(SearchError::OutOfRange {
            what,
            value,
            min,
            max,
        })
    }
}

fn check_date(what: &'static str, date: NaiveDate) -> Result<(), SearchError> {
    if (0..=9999).contains(&date.year()) {
        Ok(())
    } else {
        Err(SearchError::Date { what, date })
    }
}

fn check_raw(s: &str) -> Result<(), SearchError> {
    if s.is_empty() {
        return Err(SearchError::Raw {
            offset: 0,
            reason: "empty",
        });
    }
    if let Some((offset, b)) = s.bytes().enumerate().find(|&(_, b)| b.is_ascii_control()) {
        let reason = match b {
            b'\r' => "CR",
            b'\n' => "LF",
            0 => "NUL",
            _ => "control character",
        };
        return Err(SearchError::Raw { offset, reason });
    }
    if s.ends_with('}') {
        return Err(SearchError::Raw {
            offset: s.len() - 1,
            reason: "a trailing `}` could announce a literal",
        });
    }
    Ok(())
}

/// RFC 3501 §9 `date-text`: `d-Mon-yyyy`, no zero padding of the day, English month names.
/// The year must already be checked to be 0..=9999.
fn date_text(date: NaiveDate) -> String {
    format!(
        "{}-{}-{:04}",
        date.day(),
        MONTHS[date.month0() as usize],
        date.year()
    )
}

/// `"/flags/<flag>"` as a quoted string (RFC 7162 §3.1.5 `entry-flag-name`): only `\` needs
/// escaping, since a checked flag has no `"`.
fn entry_flag_name(flag: &str) -> String {
    format!("\"/flags/{}\"", flag.replace('\\', "\\\\"))
}

/// Write `key` as search criteria (RFC 3501 §9 `1*(SP search-key)`): a top-level AND group
/// is written as its keys without parentheses, nested groups in parentheses, `OR` and `NOT`
/// operands as single keys. An empty group is `ALL`, a group of one key is that key.
///
/// The key is [validated](SearchKey::validate) first; on error nothing is written.
/// This does not write `CHARSET`; see [`encode_search_program`].
///
/// ```
/// use imap_async::proto::search::{Search, encode_search};
/// use imap_async::proto::{CommandEncoder, Fragment, LiteralSupport, UidSet};
///
/// let uids: UidSet = "1:100".parse().unwrap();
/// let key = Search::uid(uids).and(Search::or(Search::seen(), Search::subject("a\"b")));
/// let mut enc = CommandEncoder::new("A1", "UID SEARCH", LiteralSupport::SyncOnly);
/// encode_search(&mut enc, &key)?;
/// assert_eq!(
///     enc.finish().fragments,
///     [Fragment::Line(b"A1 UID SEARCH UID 1:100 OR SEEN SUBJECT \"a\\\"b\"\r\n".to_vec())]
/// );
/// # Ok::<(), imap_async::proto::search::SearchError>(())
/// ```
pub fn encode_search(enc: &mut CommandEncoder, key: &SearchKey) -> Result<(), SearchError> {
    key.validate()?;
    write_key(enc, key, true)
}

/// Write a complete `search-program` (RFC 9051 §9; RFC 3501 §9 `search`): `CHARSET UTF-8`
/// if [`key.needs_utf8()`](SearchKey::needs_utf8) and `utf8_accept` is false, then the
/// criteria as [`encode_search`] writes them.
///
/// Pass `utf8_accept = true` once `ENABLE UTF8=ACCEPT` succeeded (and build the encoder with
/// [`utf8_quoted(true)`](CommandEncoder::utf8_quoted)): RFC 6855 §3 then forbids a charset
/// specification. IMAP4rev2 servers assume UTF-8 anyway (RFC 9051 §6.4.4), where the prefix
/// is redundant but allowed.
///
/// ```
/// use imap_async::proto::search::{Search, encode_search_program};
/// use imap_async::proto::{CommandEncoder, LiteralSupport};
///
/// let key = !Search::or(Search::seen(), Search::subject("Grüße"));
/// let mut enc = CommandEncoder::new("A1", "SEARCH", LiteralSupport::Plus);
/// encode_search_program(&mut enc, &key, false)?;
/// assert_eq!(enc.finish().redacted, "A1 SEARCH CHARSET UTF-8 NOT OR SEEN SUBJECT {7}");
/// # Ok::<(), imap_async::proto::search::SearchError>(())
/// ```
pub fn encode_search_program(
    enc: &mut CommandEncoder,
    key: &SearchKey,
    utf8_accept: bool,
) -> Result<(), SearchError> {
    key.validate()?;
    if key.needs_utf8() && !utf8_accept {
        enc.raw("CHARSET").raw("UTF-8");
    }
    write_key(enc, key, true)
}

/// Write one validated key. `top` is true for the criteria list itself, where an AND group
/// needs no parentheses.
fn write_key(enc: &mut CommandEncoder, key: &SearchKey, top: bool) -> Result<(), SearchError> {
    let name = key.name();
    match key {
        SearchKey::Bcc(s)
        | SearchKey::Body(s)
        | SearchKey::Cc(s)
        | SearchKey::From(s)
        | SearchKey::Subject(s)
        | SearchKey::Text(s)
        | SearchKey::To(s) => {
            enc.raw(name).string("search string", s.as_bytes())?;
        }
        SearchKey::Header { field, value } => {
            enc.raw(name)
                .astring("header field name", field.as_bytes())?
                .string("search string", value.as_bytes())?;
        }
        SearchKey::Keyword(k) | SearchKey::Unkeyword(k) => {
            enc.raw(name).atom("keyword", k)?;
        }
        SearchKey::Before(d)
        | SearchKey::On(d)
        | SearchKey::SentBefore(d)
        | SearchKey::SentOn(d)
        | SearchKey::SentSince(d)
        | SearchKey::Since(d)
        | SearchKey::SavedBefore(d)
        | SearchKey::SavedOn(d)
        | SearchKey::SavedSince(d) => {
            enc.raw(name).raw(&date_text(*d));
        }
        SearchKey::Larger(n) | SearchKey::Smaller(n) => {
            enc.raw(name).number(*n);
        }
        SearchKey::Older(n) | SearchKey::Younger(n) => {
            enc.raw(name).number((*n).into());
        }
        SearchKey::ModSeq { entry, modseq } => {
            enc.raw(name);
            if let Some(entry) = entry {
                enc.raw(&entry_flag_name(&entry.flag))
                    .raw(entry.entry_type.as_str());
            }
            enc.number(*modseq);
        }
        SearchKey::Uid(set) => {
            enc.raw(name).set("UID search set", set)?;
        }
        SearchKey::Sequence(set) => {
            enc.set("sequence search set", set)?;
        }
        SearchKey::Not(inner) => {
            enc.raw(name);
            write_key(enc, inner, false)?;
        }
        SearchKey::Or(a, b) => {
            enc.raw(name);
            write_key(enc, a, false)?;
            write_key(enc, b, false)?;
        }
        SearchKey::And(keys) => match keys.as_slice() {
            [] => {
                enc.raw("ALL");
            }
            [only] => write_key(enc, only, top)?,
            _ if top => {
                for k in keys {
                    write_key(enc, k, false)?;
                }
            }
            _ => {
                enc.open_list();
                for k in keys {
                    write_key(enc, k, false)?;
                }
                enc.close_list();
            }
        },
        SearchKey::Raw(s) => {
            enc.raw(s);
        }
        SearchKey::All
        | SearchKey::Answered
        | SearchKey::Deleted
        | SearchKey::Draft
        | SearchKey::Flagged
        | SearchKey::New
        | SearchKey::Old
        | SearchKey::Recent
        | SearchKey::Seen
        | SearchKey::Unanswered
        | SearchKey::Undeleted
        | SearchKey::Undraft
        | SearchKey::Unflagged
        | SearchKey::Unseen
        | SearchKey::SaveDateSupported => {
            enc.raw(name);
        }
    }
    Ok(())
}

/// A readable, IMAP-like rendering for logs: strings are always quoted with Rust-style
/// escapes (so control characters cannot forge log lines and non-ASCII stays readable),
/// groups are laid out as [`encode_search`] does. Not guaranteed to be wire-exact.
impl fmt::Display for SearchKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        show(self, f, true)
    }
}

/// Text shown as it is, except control characters, which are escaped so that nothing
/// unvalidated can break or forge a log line.
struct Loggable<'a>(&'a str);

impl fmt::Display for Loggable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

fn show(key: &SearchKey, f: &mut fmt::Formatter<'_>, top: bool) -> fmt::Result {
    let name = key.name();
    match key {
        SearchKey::Bcc(s)
        | SearchKey::Body(s)
        | SearchKey::Cc(s)
        | SearchKey::From(s)
        | SearchKey::Subject(s)
        | SearchKey::Text(s)
        | SearchKey::To(s) => write!(f, "{name} {s:?}"),
        SearchKey::Header { field, value } => {
            if !field.is_empty()
                && field.bytes().all(is_atom_char)
                && !field.eq_ignore_ascii_case("NIL")
            {
                write!(f, "{name} {field} {value:?}")
            } else {
                write!(f, "{name} {field:?} {value:?}")
            }
        }
        SearchKey::Keyword(k) | SearchKey::Unkeyword(k) => {
            write!(f, "{name} {}", Loggable(k))
        }
        SearchKey::Before(d)
        | SearchKey::On(d)
        | SearchKey::SentBefore(d)
        | SearchKey::SentOn(d)
        | SearchKey::SentSince(d)
        | SearchKey::Since(d)
        | SearchKey::SavedBefore(d)
        | SearchKey::SavedOn(d)
        | SearchKey::SavedSince(d) => write!(f, "{name} {}", date_text(*d)),
        SearchKey::Larger(n) | SearchKey::Smaller(n) => write!(f, "{name} {n}"),
        SearchKey::Older(n) | SearchKey::Younger(n) => write!(f, "{name} {n}"),
        SearchKey::ModSeq { entry, modseq } => {
            f.write_str(name)?;
            if let Some(entry) = entry {
                write!(
                    f,
                    " {} {}",
                    Loggable(&entry_flag_name(&entry.flag)),
                    entry.entry_type.as_str()
                )?;
            }
            write!(f, " {modseq}")
        }
        SearchKey::Uid(set) => write!(f, "{name} {set}"),
        SearchKey::Sequence(set) => write!(f, "{set}"),
        SearchKey::Not(inner) => {
            write!(f, "{name} ")?;
            show(inner, f, false)
        }
        SearchKey::Or(a, b) => {
            write!(f, "{name} ")?;
            show(a, f, false)?;
            f.write_str(" ")?;
            show(b, f, false)
        }
        SearchKey::And(keys) => match keys.as_slice() {
            [] => f.write_str("ALL"),
            [only] => show(only, f, top),
            _ => {
                if !top {
                    f.write_str("(")?;
                }
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    show(k, f, false)?;
                }
                if !top {
                    f.write_str(")")?;
                }
                Ok(())
            }
        },
        SearchKey::Raw(s) => write!(f, "{}", Loggable(s)),
        SearchKey::All
        | SearchKey::Answered
        | SearchKey::Deleted
        | SearchKey::Draft
        | SearchKey::Flagged
        | SearchKey::New
        | SearchKey::Old
        | SearchKey::Recent
        | SearchKey::Seen
        | SearchKey::Unanswered
        | SearchKey::Undeleted
        | SearchKey::Undraft
        | SearchKey::Unflagged
        | SearchKey::Unseen
        | SearchKey::SaveDateSupported => f.write_str(name),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::proto::encode::{Fragment, LiteralMode, LiteralSupport};

    fn line(s: &str) -> Fragment {
        Fragment::Line(s.as_bytes().to_vec())
    }

    fn lit(s: &str) -> Fragment {
        Fragment::Literal {
            data: Bytes::copy_from_slice(s.as_bytes()),
            mode: LiteralMode::Sync,
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// The fragments of `A1 SEARCH <key>`.
    fn wire(key: &SearchKey) -> Vec<Fragment> {
        let mut enc = CommandEncoder::new("A1", "SEARCH", LiteralSupport::SyncOnly);
        encode_search(&mut enc, key).unwrap();
        enc.finish().fragments
    }

    /// The single line of `A1 SEARCH <key>`, without the prefix and CRLF.
    fn one_line(key: &SearchKey) -> String {
        let frags = wire(key);
        assert_eq!(frags.len(), 1, "{frags:?}");
        let Fragment::Line(bytes) = &frags[0] else {
            panic!("{frags:?}")
        };
        let s = String::from_utf8(bytes.clone()).unwrap();
        s.strip_prefix("A1 SEARCH ")
            .and_then(|s| s.strip_suffix("\r\n"))
            .unwrap()
            .to_owned()
    }

    /// Encode, expecting an error, and check that nothing was written.
    fn encode_err(key: &SearchKey) -> SearchError {
        let mut enc = CommandEncoder::new("A1", "SEARCH", LiteralSupport::SyncOnly);
        let err = encode_search(&mut enc, key).unwrap_err();
        assert_eq!(enc.finish().fragments, [line("A1 SEARCH\r\n")], "{key:?}");
        err
    }

    #[test]
    fn simple_keys() {
        let cases = [
            (Search::all(), "ALL"),
            (Search::answered(), "ANSWERED"),
            (Search::deleted(), "DELETED"),
            (Search::draft(), "DRAFT"),
            (Search::flagged(), "FLAGGED"),
            (Search::new(), "NEW"),
            (Search::old(), "OLD"),
            (Search::recent(), "RECENT"),
            (Search::seen(), "SEEN"),
            (Search::unanswered(), "UNANSWERED"),
            (Search::undeleted(), "UNDELETED"),
            (Search::undraft(), "UNDRAFT"),
            (Search::unflagged(), "UNFLAGGED"),
            (Search::unseen(), "UNSEEN"),
            (Search::bcc("b"), "BCC \"b\""),
            (Search::body("hello world"), "BODY \"hello world\""),
            (Search::cc("c@x"), "CC \"c@x\""),
            (Search::from("alice"), "FROM \"alice\""),
            (Search::subject(""), "SUBJECT \"\""),
            (Search::text("t"), "TEXT \"t\""),
            (Search::to("bob"), "TO \"bob\""),
            (Search::header("List-Id", "rust"), "HEADER List-Id \"rust\""),
            (Search::header("X Odd", ""), "HEADER \"X Odd\" \"\""),
            (Search::header("NIL", "x"), "HEADER \"NIL\" \"x\""),
            (Search::keyword("$Junk"), "KEYWORD $Junk"),
            (Search::unkeyword("NonJunk"), "UNKEYWORD NonJunk"),
            (Search::larger(0), "LARGER 0"),
            (Search::smaller(1_000_000), "SMALLER 1000000"),
            (Search::larger(MAX_NUMBER64), "LARGER 9223372036854775807"),
            (Search::older(3600), "OLDER 3600"),
            (Search::younger(1), "YOUNGER 1"),
            (Search::modseq(0), "MODSEQ 0"),
            (Search::modseq(620162338), "MODSEQ 620162338"),
            (Search::save_date_supported(), "SAVEDATESUPPORTED"),
        ];
        for (key, want) in cases {
            assert_eq!(one_line(&key), want, "{key:?}");
            assert_eq!(key.to_string(), want, "{key:?}");
            assert!(!key.needs_utf8(), "{key:?}");
        }
    }

    #[test]
    fn dates() {
        let d = date(1994, 2, 1);
        let cases = [
            (Search::before(d), "BEFORE 1-Feb-1994"),
            (Search::on(date(2024, 12, 31)), "ON 31-Dec-2024"),
            (Search::since(date(2000, 1, 9)), "SINCE 9-Jan-2000"),
            (
                Search::sent_before(date(2023, 5, 15)),
                "SENTBEFORE 15-May-2023",
            ),
            (Search::sent_on(date(2023, 6, 1)), "SENTON 1-Jun-2023"),
            (Search::sent_since(date(2023, 7, 4)), "SENTSINCE 4-Jul-2023"),
            (
                Search::saved_before(date(2023, 8, 1)),
                "SAVEDBEFORE 1-Aug-2023",
            ),
            (Search::saved_on(date(2023, 9, 30)), "SAVEDON 30-Sep-2023"),
            (
                Search::saved_since(date(2023, 10, 2)),
                "SAVEDSINCE 2-Oct-2023",
            ),
            (Search::since(date(2023, 11, 3)), "SINCE 3-Nov-2023"),
            (Search::since(date(2023, 3, 3)), "SINCE 3-Mar-2023"),
            (Search::since(date(2023, 4, 3)), "SINCE 3-Apr-2023"),
            // date-year is 4DIGIT.
            (Search::since(date(999, 4, 3)), "SINCE 3-Apr-0999"),
            (Search::since(date(0, 1, 1)), "SINCE 1-Jan-0000"),
            (Search::since(date(9999, 12, 31)), "SINCE 31-Dec-9999"),
        ];
        for (key, want) in cases {
            assert_eq!(one_line(&key), want);
            assert_eq!(key.to_string(), want);
        }
        for bad in [date(10000, 1, 1), date(-1, 1, 1)] {
            let err = encode_err(&Search::not(Search::since(bad)));
            assert_eq!(
                err,
                SearchError::Date {
                    what: "SINCE date",
                    date: bad
                }
            );
        }
        assert_eq!(
            SearchError::Date {
                what: "ON date",
                date: date(10000, 1, 1)
            }
            .to_string(),
            "ON date +10000-01-01 has no IMAP form; the year must be 0000 to 9999"
        );
    }

    #[test]
    fn nested_or_of_ors() {
        let key = Search::or(
            Search::or(Search::seen(), Search::draft()),
            Search::or(
                Search::flagged(),
                Search::or(Search::deleted(), Search::old()),
            ),
        );
        let want = "OR OR SEEN DRAFT OR FLAGGED OR DELETED OLD";
        assert_eq!(one_line(&key), want);
        assert_eq!(key.to_string(), want);
        assert_eq!(Search::seen().or(Search::draft()) | Search::flagged(), {
            Search::or(
                Search::or(Search::seen(), Search::draft()),
                Search::flagged(),
            )
        });
    }

    #[test]
    fn not_of_a_group_and_groups_as_operands() {
        let key = !(Search::seen().and(Search::flagged()));
        assert_eq!(one_line(&key), "NOT (SEEN FLAGGED)");
        assert_eq!(key.to_string(), "NOT (SEEN FLAGGED)");

        let key = Search::or(
            Search::from("a").and(Search::to("b")),
            Search::unseen() & Search::larger(10),
        );
        let want = "OR (FROM \"a\" TO \"b\") (UNSEEN LARGER 10)";
        assert_eq!(one_line(&key), want);
        assert_eq!(key.to_string(), want);

        // A group nested in a group keeps its parentheses; the top-level one has none.
        let key = SearchKey::And(vec![
            Search::seen(),
            SearchKey::And(vec![Search::draft(), !Search::flagged()]),
        ]);
        assert_eq!(one_line(&key), "SEEN (DRAFT NOT FLAGGED)");
        assert_eq!(key.to_string(), "SEEN (DRAFT NOT FLAGGED)");
        // NOT NOT stays as built.
        assert_eq!(one_line(&!!Search::seen()), "NOT NOT SEEN");
    }

    #[test]
    fn and_flattens() {
        let a = Search::seen().and(Search::draft());
        let b = Search::flagged().and(Search::deleted());
        assert_eq!(
            a.and(b),
            SearchKey::And(vec![
                SearchKey::Seen,
                SearchKey::Draft,
                SearchKey::Flagged,
                SearchKey::Deleted
            ])
        );
        let key = Search::all_of([Search::seen(), Search::draft().and(Search::old())]);
        assert_eq!(
            key,
            SearchKey::And(vec![SearchKey::Seen, SearchKey::Draft, SearchKey::Old])
        );
        assert_eq!(one_line(&key), "SEEN DRAFT OLD");
    }

    #[test]
    fn empty_and_single_groups() {
        let empty = SearchKey::And(Vec::new());
        assert_eq!(one_line(&empty), "ALL");
        assert_eq!(empty.to_string(), "ALL");
        assert_eq!(one_line(&!empty.clone()), "NOT ALL");
        assert_eq!(one_line(&Search::all_of(Vec::<SearchKey>::new())), "ALL");
        assert_eq!(one_line(&Search::seen().and(empty.clone())), "SEEN");
        assert_eq!(one_line(&empty.clone().and(Search::seen())), "SEEN");
        // A group of one is that key, also as an operand.
        let one = SearchKey::And(vec![Search::seen()]);
        assert_eq!(one_line(&Search::or(one.clone(), empty)), "OR SEEN ALL");
        // ...and a single-key group of a group is still the top level.
        let nested = SearchKey::And(vec![Search::seen().and(Search::draft())]);
        assert_eq!(one_line(&nested), "SEEN DRAFT");
        assert_eq!(one_line(&!nested), "NOT (SEEN DRAFT)");
    }

    #[test]
    fn any_of_is_balanced() {
        assert_eq!(
            one_line(&Search::any_of(Vec::<SearchKey>::new())),
            "NOT ALL"
        );
        assert_eq!(one_line(&Search::any_of([Search::seen()])), "SEEN");
        let key = Search::any_of([
            Search::seen(),
            Search::draft(),
            Search::flagged(),
            Search::deleted(),
        ]);
        assert_eq!(one_line(&key), "OR OR SEEN DRAFT OR FLAGGED DELETED");
    }

    #[test]
    fn uid_and_sequence_sets() {
        let uids: UidSet = "1:5,7,9:*".parse().unwrap();
        let seqs: SeqSet = "2,4:6".parse().unwrap();
        let key = SearchKey::from(uids.clone()).and(seqs.clone());
        assert_eq!(one_line(&key), "UID 1:5,7,9:* 2,4:6");
        assert_eq!(key.to_string(), "UID 1:5,7,9:* 2,4:6");
        assert_eq!(one_line(&Search::uid(Uid::new(42).unwrap())), "UID 42");
        assert_eq!(one_line(&Search::seq(Seq::new(3).unwrap())), "3");
        assert_eq!(one_line(&SearchKey::from(Seq::new(3).unwrap())), "3");
        assert_eq!(one_line(&Search::seq(SeqSet::all())), "1:*");
        assert_eq!(
            one_line(&Search::not(Search::uid(uids))),
            "NOT UID 1:5,7,9:*"
        );

        assert_eq!(
            encode_err(&Search::seen().and(Search::uid(UidSet::new()))),
            SearchError::Encode(EncodeError::EmptySet {
                what: "UID search set"
            })
        );
        assert_eq!(
            encode_err(&Search::or(Search::seen(), SeqSet::new())),
            SearchError::Encode(EncodeError::EmptySet {
                what: "sequence search set"
            })
        );
    }

    #[test]
    fn non_ascii_subject_is_a_literal() {
        let key = Search::subject("Grüße");
        assert!(key.needs_utf8());
        assert_eq!(
            wire(&key),
            [
                line("A1 SEARCH SUBJECT {7}\r\n"),
                lit("Grüße"),
                line("\r\n")
            ]
        );
        assert_eq!(key.to_string(), "SUBJECT \"Grüße\"");

        let mut enc = CommandEncoder::new("A1", "SEARCH", LiteralSupport::Plus);
        encode_search_program(&mut enc, &key, false).unwrap();
        assert_eq!(
            enc.finish().fragments,
            [
                line("A1 SEARCH CHARSET UTF-8 SUBJECT {7+}\r\n"),
                Fragment::Literal {
                    data: Bytes::copy_from_slice("Grüße".as_bytes()),
                    mode: LiteralMode::NonSync
                },
                line("\r\n")
            ]
        );

        // With UTF8=ACCEPT: a quoted UTF-8 string and no CHARSET (RFC 6855 §3).
        let mut enc =
            CommandEncoder::new("A1", "SEARCH", LiteralSupport::SyncOnly).utf8_quoted(true);
        encode_search_program(&mut enc, &key, true).unwrap();
        assert_eq!(
            enc.finish().fragments,
            [line("A1 SEARCH SUBJECT \"Grüße\"\r\n")]
        );

        // ASCII only: no CHARSET either way.
        let mut enc = CommandEncoder::new("A1", "SEARCH", LiteralSupport::SyncOnly);
        encode_search_program(&mut enc, &Search::subject("x"), false).unwrap();
        assert_eq!(
            enc.finish().fragments,
            [line("A1 SEARCH SUBJECT \"x\"\r\n")]
        );
    }

    /// IMAPClient bug #645: the charset was lost when the non-ASCII term was nested.
    #[test]
    fn nested_non_ascii_needs_charset() {
        let key = !Search::or(Search::seen(), Search::subject("日本"));
        assert!(key.needs_utf8());
        let mut enc = CommandEncoder::new("A1", "SEARCH", LiteralSupport::SyncOnly);
        encode_search_program(&mut enc, &key, false).unwrap();
        assert_eq!(
            enc.finish().fragments,
            [
                line("A1 SEARCH CHARSET UTF-8 NOT OR SEEN SUBJECT {6}\r\n"),
                lit("日本"),
                line("\r\n")
            ]
        );

        // Deeper, and in every string position.
        let deep = |inner: SearchKey| {
            Search::seen().and(Search::or(
                Search::draft(),
                !(Search::flagged().and(Search::or(Search::old(), inner))),
            ))
        };
        for inner in [
            Search::bcc("é"),
            Search::body("é"),
            Search::cc("é"),
            Search::from("é"),
            Search::subject("é"),
            Search::text("é"),
            Search::to("é"),
            Search::header("é", "x"),
            Search::header("X", "é"),
            Search::raw("X-GM-RAW \"é\""),
        ] {
            assert!(inner.needs_utf8(), "{inner:?}");
            assert!(deep(inner.clone()).needs_utf8(), "{inner:?}");
        }
        assert!(!deep(Search::subject("e")).needs_utf8());
        assert_eq!(
            deep(Search::subject("é")).to_string(),
            "SEEN OR DRAFT NOT (FLAGGED OR OLD SUBJECT \"é\")"
        );
    }

    #[test]
    fn quotes_and_line_breaks_cannot_inject() {
        let key = Search::subject("say \"hi\" \\o/");
        assert_eq!(one_line(&key), r#"SUBJECT "say \"hi\" \\o/""#);
        assert_eq!(key.to_string(), r#"SUBJECT "say \"hi\" \\o/""#);

        let evil = "x\" ALL\r\nA2 DELETE INBOX";
        let key = Search::or(Search::subject(evil), Search::from("a"));
        assert!(!key.needs_utf8());
        assert_eq!(
            wire(&key),
            [
                line("A1 SEARCH OR SUBJECT {23}\r\n"),
                lit(evil),
                line(" FROM \"a\"\r\n")
            ]
        );
        // The log form stays on one line.
        assert_eq!(
            key.to_string(),
            r#"OR SUBJECT "x\" ALL\r\nA2 DELETE INBOX" FROM "a""#
        );

        // Every string position, nested: each line ends exactly once, with CRLF, and only
        // literal headers end a line early.
        let nasty = [
            "a\r\nb", "\"", "\\", ")", "(", "{3}", "{3}\r\n", "NIL", "*", "%",
        ];
        for s in nasty {
            for key in [
                Search::bcc(s),
                Search::body(s),
                Search::cc(s),
                Search::from(s),
                Search::subject(s),
                Search::text(s),
                Search::to(s),
                Search::header(s, s),
            ] {
                let key = !Search::or(key, Search::seen());
                let frags = wire(&key);
                let last = frags.len() - 1;
                for (i, f) in frags.iter().enumerate() {
                    let Fragment::Line(l) = f else { continue };
                    let l = std::str::from_utf8(l).unwrap();
                    let body = l.strip_suffix("\r\n").unwrap();
                    assert!(!body.contains(['\r', '\n']), "{key:?}: {l:?}");
                    assert!(i == last || body.ends_with('}'), "{key:?}: {l:?}");
                }
                let Some(Fragment::Line(end)) = frags.last() else {
                    panic!("{key:?}")
                };
                assert!(end.ends_with(b" SEEN\r\n"), "{key:?}");
            }
        }
    }

    #[test]
    fn nul_is_an_error() {
        let err = encode_err(&Search::seen().and(!Search::body("ab\0")));
        assert_eq!(
            err,
            SearchError::Encode(EncodeError::Nul {
                what: "BODY string",
                offset: 2
            })
        );
        assert_eq!(
            err.to_string(),
            "BODY string contains a NUL byte at offset 2; IMAP cannot carry it"
        );
        assert!(matches!(
            encode_err(&Search::header("a\0", "")),
            SearchError::Encode(EncodeError::Nul {
                what: "HEADER field name",
                offset: 1
            })
        ));
    }

    #[test]
    fn keywords_must_be_atoms() {
        for bad in ["", "a b", "\\Seen", "a]", "x(", "é", "{1}", "a\r\nb"] {
            assert_eq!(
                encode_err(&Search::or(Search::seen(), Search::keyword(bad))),
                SearchError::Encode(EncodeError::NotAnAtom {
                    what: "KEYWORD keyword",
                    value: bad.into()
                }),
                "{bad:?}"
            );
            assert!(
                encode_err(&Search::unkeyword(bad))
                    .to_string()
                    .contains("UNKEYWORD")
            );
        }
    }

    #[test]
    fn modseq() {
        // The example of RFC 7162 §3.1.5.
        let key = Search::modseq_flag("\\draft", ModSeqEntryType::All, 620162338);
        assert_eq!(one_line(&key), r#"MODSEQ "/flags/\\draft" all 620162338"#);
        assert_eq!(key.to_string(), r#"MODSEQ "/flags/\\draft" all 620162338"#);
        let key = Search::modseq_flag("$MDNSent", ModSeqEntryType::Private, 5);
        assert_eq!(one_line(&key), r#"MODSEQ "/flags/$MDNSent" priv 5"#);
        let key = Search::modseq_flag("\\Seen", ModSeqEntryType::Shared, 0);
        assert_eq!(one_line(&key), r#"MODSEQ "/flags/\\Seen" shared 0"#);

        assert_eq!(
            encode_err(&Search::modseq(MAX_NUMBER64 + 1)),
            SearchError::OutOfRange {
                what: "MODSEQ mod-sequence",
                value: MAX_NUMBER64 + 1,
                min: 0,
                max: MAX_NUMBER64
            }
        );
        for bad in ["", "\\", "a\"b", "\\\\x", "a b", "é"] {
            assert!(
                matches!(
                    encode_err(&Search::modseq_flag(bad, ModSeqEntryType::All, 1)),
                    SearchError::Encode(EncodeError::NotAnAtom {
                        what: "MODSEQ entry flag",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn numbers_out_of_range() {
        let err = encode_err(&Search::larger(u64::MAX));
        assert_eq!(
            err.to_string(),
            "LARGER size 18446744073709551615 is out of range 0..=9223372036854775807"
        );
        assert!(matches!(
            encode_err(&Search::smaller(MAX_NUMBER64 + 1)),
            SearchError::OutOfRange {
                what: "SMALLER size",
                ..
            }
        ));
        // WITHIN intervals are nz-number (RFC 5032).
        assert!(matches!(
            encode_err(&Search::older(0)),
            SearchError::OutOfRange {
                what: "OLDER interval",
                value: 0,
                min: 1,
                ..
            }
        ));
        assert!(matches!(
            encode_err(&!Search::younger(0)),
            SearchError::OutOfRange {
                what: "YOUNGER interval",
                ..
            }
        ));
    }

    #[test]
    fn raw_escape_hatch() {
        let key = Search::unseen().and(Search::raw("X-GM-RAW \"has:attachment in:inbox\""));
        assert_eq!(
            one_line(&key),
            "UNSEEN X-GM-RAW \"has:attachment in:inbox\""
        );
        assert_eq!(
            key.to_string(),
            "UNSEEN X-GM-RAW \"has:attachment in:inbox\""
        );
        assert_eq!(
            one_line(&Search::or(Search::raw("$"), Search::seen())),
            "OR $ SEEN"
        );

        let cases = [
            ("X\r\nA2 LOGOUT", 1, "CR"),
            ("ab\ncd", 2, "LF"),
            ("abc\0", 3, "NUL"),
            ("a\tb", 1, "control character"),
            ("a\x1b[2J", 1, "control character"),
            ("", 0, "empty"),
            ("SUBJECT {5}", 10, "a trailing `}` could announce a literal"),
        ];
        for (raw, offset, reason) in cases {
            let err = encode_err(&!Search::or(Search::seen(), Search::raw(raw)));
            assert_eq!(err, SearchError::Raw { offset, reason }, "{raw:?}");
            assert!(!Search::raw(raw).to_string().contains(['\r', '\n', '\x1b']));
        }
        assert_eq!(
            SearchError::Raw {
                offset: 1,
                reason: "CR"
            }
            .to_string(),
            "raw search key is rejected at offset 1: CR"
        );
    }

    #[test]
    fn display_escapes_control_characters() {
        assert_eq!(
            Search::subject("a\tb\u{1b}").to_string(),
            "SUBJECT \"a\\tb\\u{1b}\""
        );
        assert_eq!(Search::keyword("a\nb").to_string(), "KEYWORD a\\nb");
        assert_eq!(
            Search::header("X-A", "v")
                .or(Search::uid(Uid::new(7).unwrap()))
                .to_string(),
            "OR HEADER X-A \"v\" UID 7"
        );
    }
}
