//! Typed server responses (RFC 3501 §7, RFC 9051 §7 and the extensions we speak).
//!
//! Every string is a [`Bytes`] slice of the framed response buffer: parsing does not copy
//! string data. `Option` stands where the grammar allows `NIL`.

use bytes::Bytes;

use super::fetch_data::FetchData;

/// One complete server response, as framed and parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// `+ ...`: the server waits for more of a command (literal data, SASL, IDLE).
    Continuation(Continuation),
    /// `TAG OK|NO|BAD [code] text`: the end of the command carrying that tag.
    Tagged(Tagged),
    /// `* ...`: data, or a status not bound to any command.
    Untagged(Untagged),
}

/// `+ [code] text`, or `+ base64` during AUTHENTICATE. The raw text is kept either way.
#[derive(Debug, Clone, PartialEq)]
pub struct Continuation {
    /// A `[code]` at the start of the text, if the server sent one (rare; `None` for
    /// SASL challenges and a plain `+ ready`).
    pub code: Option<ResponseCode>,
    /// Everything after `+ ` (and after the code, if any), without the CRLF.
    pub text: Bytes,
}

/// The condition word of a status response (RFC 3501 §7.1, RFC 9051 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// `OK`: success (tagged), or information (untagged).
    Ok,
    /// `NO`: the command failed for an operational reason (tagged), or a warning (untagged).
    No,
    /// `BAD`: the command was malformed or not allowed in this state (tagged), or a protocol
    /// error not tied to a command (untagged).
    Bad,
    /// `PREAUTH`: greeting only; the connection is already authenticated.
    PreAuth,
    /// `BYE`: the server is closing the connection (greeting refusal, LOGOUT, timeout).
    Bye,
}

/// `resp-text`: an optional `[code]` and human-readable text.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusText {
    /// `OK`, `NO`, `BAD`, `PREAUTH` or `BYE`.
    pub status: Status,
    /// The bracketed response code (`[UIDNEXT 4]`, `[TRYCREATE]`...), `None` if absent.
    pub code: Option<ResponseCode>,
    /// The human-readable text after the code, as sent (may be empty); meant for people,
    /// not for parsing.
    pub text: Bytes,
}

/// A tagged status response (`TAG OK|NO|BAD [code] text`): the completion of the command
/// that was sent with that tag (RFC 3501 §7.1).
#[derive(Debug, Clone, PartialEq)]
pub struct Tagged {
    /// The tag of the completed command, as sent by the client.
    pub tag: Bytes,
    /// The completion result, code and text.
    pub status: StatusText,
}

/// Untagged data (`* ...`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Untagged {
    /// `* OK|NO|BAD|PREAUTH|BYE [code] text`.
    Status(StatusText),
    /// `* CAPABILITY ...`.
    Capability(Vec<Bytes>),
    /// `* ENABLED ...` (RFC 5161).
    Enabled(Vec<Bytes>),
    /// `* LIST (attrs) delim name [extended]` (also XLIST).
    List(ListItem),
    /// `* LSUB (attrs) delim name`.
    Lsub(ListItem),
    /// `* STATUS name (item value ...)`.
    MailboxStatus(MailboxStatus),
    /// `* SEARCH n n n [(MODSEQ m)]` (RFC 3501 §7.2.5, RFC 7162 §3.1.5).
    Search {
        /// Matching sequence numbers (SEARCH) or UIDs (UID SEARCH), in the server's order.
        ids: Vec<u32>,
        /// The highest mod-sequence of the matches, when the search used MODSEQ (RFC 7162
        /// §3.1.5); `None` otherwise.
        modseq: Option<u64>,
    },
    /// `* SORT n n n [(MODSEQ m)]` (RFC 5256).
    Sort {
        /// Matching sequence numbers (SORT) or UIDs (UID SORT), in sorted order.
        ids: Vec<u32>,
        /// The highest mod-sequence of the matches, when the sort criteria used MODSEQ
        /// (RFC 7162 §3.1.5); `None` otherwise.
        modseq: Option<u64>,
    },
    /// `* THREAD (..)(..)` (RFC 5256 §4, §5 `thread-data`): zero or more threads, each a
    /// tree. `* THREAD` alone is an empty list.
    Thread(Vec<ThreadNode>),
    /// `* ESEARCH ...` (RFC 4731).
    ESearch(ESearch),
    /// `* FLAGS (...)`.
    Flags(Vec<Bytes>),
    /// `* n EXISTS`.
    Exists(u32),
    /// `* n RECENT`.
    Recent(u32),
    /// `* n EXPUNGE`.
    Expunge(u32),
    /// `* VANISHED [(EARLIER)] uid-set` (RFC 7162 §3.2.10). Ranges are kept as ranges.
    Vanished {
        /// `(EARLIER)` was present: the UIDs were expunged before this command (a reply to
        /// `FETCH ... (VANISHED)` or SELECT QRESYNC), not just now. Without it, the message
        /// count of the selected folder has decreased.
        earlier: bool,
        /// Expunged UIDs as inclusive `(first, last)` ranges.
        uids: Vec<(u32, u32)>,
    },
    /// `* NAMESPACE personal other shared` (RFC 2342).
    Namespace(Namespaces),
    /// `* n FETCH (...)`.
    Fetch {
        /// The message sequence number (always, even for UID FETCH; the UID is an item).
        seq: u32,
        /// The data items, in the order sent, decoded on access.
        items: FetchData,
    },
    /// `* ID (...)` or `* ID NIL` (RFC 2971).
    Id(Option<Vec<(Bytes, Option<Bytes>)>>),
    /// `* QUOTA root (resource usage limit ...)` (RFC 9208 §4.2.1, §7 `quota-response`).
    /// An empty list means the root has no limits.
    Quota {
        /// The quota root name, as sent (may be empty).
        root: Bytes,
        /// Each limited resource with its usage and limit.
        resources: Vec<QuotaResource>,
    },
    /// `* QUOTAROOT mailbox root...` (RFC 9208 §4.2.2, §7 `quotaroot-response`). No roots
    /// means the mailbox has no quota root.
    QuotaRoot {
        /// The folder asked about, wire form (modified UTF-7 unless UTF8=ACCEPT).
        mailbox: Bytes,
        /// The quota roots the folder belongs to; report each with a `* QUOTA`.
        roots: Vec<Bytes>,
    },
    /// `* ACL mailbox identifier rights ...` (RFC 4314 §3.6, §7 `acl-data`): (identifier,
    /// rights) pairs as sent. Identifiers may carry a `-` (negative rights, RFC 4314 §2).
    Acl {
        /// The folder, wire form.
        mailbox: Bytes,
        /// (identifier, rights string) pairs, e.g. `("anyone", "lr")`.
        entries: Vec<(Bytes, Bytes)>,
    },
    /// `* MYRIGHTS mailbox rights` (RFC 4314 §3.8, §7 `myrights-data`).
    MyRights {
        /// The folder, wire form.
        mailbox: Bytes,
        /// The rights the logged-in user has on it, one letter each (RFC 4314 §2.1).
        rights: Bytes,
    },
    /// `* LISTRIGHTS mailbox identifier required optional...` (RFC 4314 §3.7, §7
    /// `listrights-data`). `required` may be empty; each `optional` string is a group of
    /// rights that are granted together or not at all.
    ListRights {
        /// The folder, wire form.
        mailbox: Bytes,
        /// The identifier asked about (user or group, e.g. `anyone`).
        identifier: Bytes,
        /// Rights the identifier always has on the folder; may be empty.
        required: Bytes,
        /// Rights that may be granted, each string a group granted all together.
        optional: Vec<Bytes>,
    },
    /// `* METADATA mailbox (entry value ...)` (RFC 5464 §4.4, `entry-values`): entry names
    /// and values; a `NIL` value (`None`) means the entry has no value. The mailbox is
    /// empty for server annotations.
    Metadata {
        /// The folder, wire form; empty for server annotations.
        mailbox: Bytes,
        /// (entry name, value) pairs, e.g. `("/private/comment", Some("..."))`; `None` is a
        /// NIL value (the entry is not set).
        entries: Vec<(Bytes, Option<Bytes>)>,
    },
    /// `* METADATA mailbox entry entry ...` (RFC 5464 §4.4, `entry-list`, unsolicited):
    /// these entries changed; their values are not included and must be fetched with
    /// GETMETADATA. Kept apart from [`Untagged::Metadata`] because "changed, value unknown"
    /// is not "no value".
    MetadataChanged {
        /// The folder, wire form; empty for server annotations.
        mailbox: Bytes,
        /// Names of the entries that changed.
        entries: Vec<Bytes>,
    },
    /// Anything else that framed correctly: the whole line(s) after `* `, untouched.
    Other(Bytes),
}

/// One resource of a `* QUOTA` response (RFC 9208 §4.2.1): name as sent (`STORAGE` counts
/// KiB, `MESSAGE` messages, RFC 9208 §5), current usage and limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaResource {
    /// Resource name as sent, e.g. `STORAGE`, `MESSAGE`, `MAILBOX`.
    pub name: Bytes,
    /// Current usage, in the resource's unit (KiB for `STORAGE`, a count otherwise).
    pub usage: u64,
    /// The limit, in the same unit as `usage`.
    pub limit: u64,
}

/// One thread, or one sub-thread, of a `* THREAD` response, in the shape of RFC 5256 §5
/// `thread-list = "(" (thread-members / thread-nested) ")"`.
///
/// `members` is a chain: each message is the parent of the next. `children` are the
/// sub-threads that follow the chain: the first message of each is a child of the last
/// member (and a sibling of the others' first messages). So `(3 6 (4 23)(44 7 96))` is
/// `members: [3, 6]`, `children: [{[4, 23]}, {[44, 7, 96]}]`, i.e. 3 → 6 → {4 → 23,
/// 44 → 7 → 96}.
///
/// A thread whose root is not in the result (RFC 5256 §4: `((3)(5))`, "siblings of a
/// parent that does not match the search criteria") has empty `members`: its children are
/// siblings under a missing parent. This can occur at any level, e.g. `(1 ((2)(3))(4))`.
///
/// Chains are kept as one vector rather than one node per message, so the depth of this
/// structure is the parenthesis nesting depth (bounded by the parser), never the length
/// of a chain: dropping, cloning, comparing or printing a 100,000-message chain costs no
/// stack. Numbers are sequence numbers for THREAD and UIDs for UID THREAD.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ThreadNode {
    /// A chain of messages, each the parent of the next; empty when the thread's root did
    /// not match the search (its children are then siblings under a missing parent).
    pub members: Vec<u32>,
    /// Sub-threads hanging under the last member, in the server's order.
    pub children: Vec<ThreadNode>,
}

/// One LIST/LSUB/XLIST entry. Names are in their wire form (modified UTF-7 unless
/// UTF8=ACCEPT).
///
/// NOTIFY's MailboxName event (RFC 5465 §5.4) arrives as unsolicited LIST responses: a
/// created folder as a plain item, a deleted one with the `\NonExistent` attribute, and a
/// renamed one under its new name with [`old_name`](Self::old_name) set from the `OLDNAME`
/// extended data item.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListItem {
    /// Attributes as sent, e.g. `\HasNoChildren`, `\Sent`, `\NonExistent`.
    pub attributes: Vec<Bytes>,
    /// Hierarchy delimiter; `None` for NIL (a flat namespace).
    pub delimiter: Option<u8>,
    /// The folder's full name in wire form (modified UTF-7 unless UTF8=ACCEPT), including
    /// its parents and delimiters.
    pub name: Bytes,
    /// The `OLDNAME` extended data item (RFC 5258 §3.3 / RFC 5465 §5.4 and §8,
    /// `"OLDNAME" SP "(" mailbox ")"`): the folder's name before a RENAME, wire form.
    pub old_name: Option<Bytes>,
    /// Other extended data items (RFC 5258 §9 `mbox-list-extended-item`), as (tag, raw
    /// value), e.g. `("CHILDINFO", "(\"SUBSCRIBED\")")`. Extended data that does not
    /// follow the grammar is dropped rather than failing the whole LIST response.
    pub extended: Vec<(Bytes, Bytes)>,
}

/// `* STATUS` data. Items the server did not send stay `None`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MailboxStatus {
    /// The folder, wire form (modified UTF-7 unless UTF8=ACCEPT).
    pub mailbox: Bytes,
    /// `MESSAGES`: number of messages in the folder.
    pub messages: Option<u32>,
    /// `RECENT`: number of messages with `\Recent` (RFC 3501 only; removed in RFC 9051).
    pub recent: Option<u32>,
    /// `UIDNEXT`: the UID the next message added to the folder will get (at least).
    pub uid_next: Option<u32>,
    /// `UIDVALIDITY`: when it changes, all UIDs cached for the folder are void.
    pub uid_validity: Option<u32>,
    /// `UNSEEN`: number of messages without `\Seen`.
    pub unseen: Option<u32>,
    /// `HIGHESTMODSEQ` (RFC 7162 §3.1.2): the highest mod-sequence of the folder.
    pub highest_modseq: Option<u64>,
    /// `SIZE` (RFC 8438, RFC 9051 §6.3.11): total size of the folder's messages, in octets.
    pub size: Option<u64>,
    /// `DELETED` (RFC 9051 §6.3.11): number of messages with `\Deleted`.
    pub deleted: Option<u32>,
    /// Items we do not know, as (name, raw value).
    pub other: Vec<(Bytes, Bytes)>,
}

/// `* ESEARCH [(TAG "x")] [UID] result...` (RFC 4731, RFC 9051 §7.3.4).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ESearch {
    /// The `(TAG "x")` correlator: the tag of the command this answers; `None` if absent.
    pub tag: Option<Bytes>,
    /// The `UID` marker: numbers are UIDs, else sequence numbers.
    pub uid: bool,
    /// `MIN`: the lowest match; `None` if not asked for or nothing matched.
    pub min: Option<u32>,
    /// `MAX`: the highest match; `None` if not asked for or nothing matched.
    pub max: Option<u32>,
    /// `COUNT`: the number of matches; `None` if not asked for.
    pub count: Option<u32>,
    /// `ALL` as ranges (inclusive), never expanded.
    pub all: Option<Vec<(u32, u32)>>,
    /// `MODSEQ` (RFC 7162 §3.1.5): the highest mod-sequence of the matches, when the
    /// search used MODSEQ.
    pub modseq: Option<u64>,
    /// Result items we do not know, as (name, raw value).
    pub other: Vec<(Bytes, Bytes)>,
}

/// `* NAMESPACE` data (RFC 2342 §5, RFC 9051 §7.3.5): where the user's own, other users'
/// and shared folders live. Each list is empty when the server sent NIL for it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Namespaces {
    /// The user's own folders (usually one, prefix `""` or `"INBOX."`).
    pub personal: Vec<NamespaceDescr>,
    /// Other users' folders shared with this user (e.g. prefix `"Other Users/"`).
    pub other_users: Vec<NamespaceDescr>,
    /// Folders shared with everyone (e.g. prefix `"Shared/"`).
    pub shared: Vec<NamespaceDescr>,
}

/// One namespace: a folder name prefix and its hierarchy delimiter. Namespace response
/// extensions (RFC 2342 §5) are skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct NamespaceDescr {
    /// The prefix folder names in this namespace start with, wire form.
    pub prefix: Bytes,
    /// The hierarchy delimiter; `None` for NIL (a flat namespace).
    pub delimiter: Option<u8>,
}

/// Response codes (`[...]` in a status response). RFC 3501 §7.1, RFC 9051 §7.1, RFC 4315,
/// RFC 7162, RFC 5465, and every code of RFC 5530 §3. A known code whose arguments do not
/// parse, and any code not listed here, is kept as [`ResponseCode::Other`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ResponseCode {
    /// `[ALERT]` (RFC 3501 §7.1): the text must be shown to the user.
    Alert,
    /// `[BADCHARSET (charset ...)]`: the SEARCH charset is not supported; the list holds the
    /// supported ones, possibly empty.
    BadCharset(Vec<Bytes>),
    /// `[CAPABILITY ...]`: the capability list, sent in a greeting or after login.
    Capability(Vec<Bytes>),
    /// `[PARSE]`: the server could not parse a message's headers or MIME structure.
    Parse,
    /// `[PERMANENTFLAGS (...)]`: the flags a STORE may change permanently in the selected
    /// folder; `\*` means new keywords may be created.
    PermanentFlags(Vec<Bytes>),
    /// `[READ-ONLY]`: the folder is selected read-only (EXAMINE, or no write right).
    ReadOnly,
    /// `[READ-WRITE]`: the folder is selected read-write.
    ReadWrite,
    /// `[TRYCREATE]`: APPEND/COPY/MOVE failed because the target folder does not exist;
    /// creating it may help.
    TryCreate,
    /// `[UIDNEXT n]`: the next UID the selected folder will assign (at least).
    UidNext(u32),
    /// `[UIDVALIDITY n]`: the selected folder's UID validity.
    UidValidity(u32),
    /// `[UNSEEN n]` (RFC 3501 only): the sequence number of the first unseen message.
    Unseen(u32),
    /// `[APPENDUID uidvalidity uid-set]` (RFC 4315): ranges as sent.
    AppendUid {
        /// The target folder's UID validity.
        uid_validity: u32,
        /// The UIDs given to the appended messages, inclusive `(first, last)` ranges.
        uids: Vec<(u32, u32)>,
    },
    /// `[COPYUID uidvalidity source-set dest-set]` (RFC 4315).
    CopyUid {
        /// The target folder's UID validity.
        uid_validity: u32,
        /// UIDs of the copied messages in the source folder, ranges as sent.
        source: Vec<(u32, u32)>,
        /// Their new UIDs in the target folder, in the same order as `source`.
        destination: Vec<(u32, u32)>,
    },
    /// `[UIDNOTSTICKY]` (RFC 4315 §3): the selected folder does not keep UIDs across
    /// sessions.
    UidNotSticky,
    /// `[HIGHESTMODSEQ n]` (RFC 7162).
    HighestModSeq(u64),
    /// `[NOMODSEQ]` (RFC 7162 §3.1.2.2): the selected folder does not support
    /// mod-sequences (SELECT/EXAMINE still succeed).
    NoModSeq,
    /// `[MODIFIED set]` (RFC 7162): messages whose STORE failed the UNCHANGEDSINCE test.
    Modified(Vec<(u32, u32)>),
    /// `[CLOSED]` (RFC 7162 §3.2.11, RFC 9051 §7.1): the previously selected folder is now
    /// closed (sent when a SELECT/EXAMINE replaces it).
    Closed,
    /// `[NOTIFICATIONOVERFLOW]` (RFC 5465 §5.8, §3.1): the server refuses a NOTIFY SET as
    /// too expensive (tagged `NO`), or has stopped sending notifications (untagged `OK`)
    /// and now behaves as after `NOTIFY NONE`.
    NotificationOverflow,
    /// `[BADEVENT (event ...)]` (RFC 5465 §3.1, §8 `unsupported-events-code`): a NOTIFY SET
    /// asked for an event type the server does not support. The RFC has the server list
    /// every event it does support; Dovecot 2.3 instead names the events it rejected, as
    /// `[BADEVENT AnnotationChange]` (no parentheses, also accepted). Names as sent.
    BadEvent(Vec<Bytes>),
    /// `[UNAVAILABLE]` (RFC 5530 §3): a subsystem is down for now; trying again later may
    /// succeed.
    Unavailable,
    /// `[AUTHENTICATIONFAILED]` (RFC 5530 §3): the credentials were refused (wrong user
    /// name or password, or an authentication that failed for another reason).
    AuthenticationFailed,
    /// `[AUTHORIZATIONFAILED]` (RFC 5530 §3): authentication succeeded but the
    /// authorization identity may not be used.
    AuthorizationFailed,
    /// `[EXPIRED]` (RFC 5530 §3): the credentials (password, token) or the data have
    /// expired.
    Expired,
    /// `[PRIVACYREQUIRED]` (RFC 5530 §3): the operation needs an encrypted connection.
    PrivacyRequired,
    /// `[CONTACTADMIN]` (RFC 5530 §3): the user should contact the administrator.
    ContactAdmin,
    /// `[NOPERM]` (RFC 5530 §3): the access control lists forbid the operation.
    NoPerm,
    /// `[INUSE]` (RFC 5530 §3): the resource is in use by another session; trying again
    /// later may succeed.
    InUse,
    /// `[EXPUNGEISSUED]` (RFC 5530 §3): another session expunged messages the command
    /// named.
    ExpungeIssued,
    /// `[CORRUPTION]` (RFC 5530 §3): the server found corrupted data.
    Corruption,
    /// `[SERVERBUG]` (RFC 5530 §3): the server hit an internal error.
    ServerBug,
    /// `[CLIENTBUG]` (RFC 5530 §3): the server thinks the client sent something wrong
    /// (often with an `OK`).
    ClientBug,
    /// `[CANNOT]` (RFC 5530 §3): the operation violates an invariant of the server and can
    /// never succeed.
    Cannot,
    /// `[LIMIT]` (RFC 5530 §3): a server limit (not a quota) was hit, e.g. too many folders.
    Limit,
    /// `[OVERQUOTA]` (RFC 5530 §3): the user's quota is exceeded.
    OverQuota,
    /// `[ALREADYEXISTS]` (RFC 5530 §3): the folder (or other object) to create exists
    /// already.
    AlreadyExists,
    /// `[NONEXISTENT]` (RFC 5530 §3): the folder (or other object) does not exist.
    NonExistent,
    /// Any other code: its atom and the raw text after it, if any (e.g. `BADURL`).
    Other(Bytes, Option<Bytes>),
}

impl ResponseCode {
    /// The atom of a code that carries no data (`ALERT`, `NOMODSEQ`, the RFC 5530 codes
    /// such as `OVERQUOTA`), as the RFCs spell it; `None` for codes with arguments and for
    /// [`ResponseCode::Other`].
    ///
    /// ```
    /// use imap_async::proto::ResponseCode;
    ///
    /// assert_eq!(ResponseCode::OverQuota.atom(), Some("OVERQUOTA"));
    /// assert_eq!(ResponseCode::UidNext(4).atom(), None);
    /// ```
    pub fn atom(&self) -> Option<&'static str> {
        use ResponseCode as C;
        Some(match self {
            C::Alert => "ALERT",
            C::Parse => "PARSE",
            C::ReadOnly => "READ-ONLY",
            C::ReadWrite => "READ-WRITE",
            C::TryCreate => "TRYCREATE",
            C::UidNotSticky => "UIDNOTSTICKY",
            C::NoModSeq => "NOMODSEQ",
            C::Closed => "CLOSED",
            C::NotificationOverflow => "NOTIFICATIONOVERFLOW",
            C::Unavailable => "UNAVAILABLE",
            C::AuthenticationFailed => "AUTHENTICATIONFAILED",
            C::AuthorizationFailed => "AUTHORIZATIONFAILED",
            C::Expired => "EXPIRED",
            C::PrivacyRequired => "PRIVACYREQUIRED",
            C::ContactAdmin => "CONTACTADMIN",
            C::NoPerm => "NOPERM",
            C::InUse => "INUSE",
            C::ExpungeIssued => "EXPUNGEISSUED",
            C::Corruption => "CORRUPTION",
            C::ServerBug => "SERVERBUG",
            C::ClientBug => "CLIENTBUG",
            C::Cannot => "CANNOT",
            C::Limit => "LIMIT",
            C::OverQuota => "OVERQUOTA",
            C::AlreadyExists => "ALREADYEXISTS",
            C::NonExistent => "NONEXISTENT",
            _ => return None,
        })
    }
}

/// One FETCH data item (RFC 3501 §7.4.2, RFC 9051 §7.5.2, RFC 3516, RFC 7162).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FetchItem {
    /// `UID n`: the message's UID.
    Uid(u32),
    /// `FLAGS (...)`: the message's flags and keywords, as sent (e.g. `\Seen`, `$Junk`).
    Flags(Vec<Bytes>),
    /// `INTERNALDATE`, with the zone the server gave (never reinterpreted in local time).
    InternalDate(chrono::DateTime<chrono::FixedOffset>),
    /// `RFC822.SIZE`: the message size in octets.
    Rfc822Size(u64),
    /// `ENVELOPE`: the parsed header summary.
    Envelope(Box<Envelope>),
    /// `BODY` (without section) or `BODYSTRUCTURE`.
    BodyStructure(Box<BodyStructure>),
    /// `BODY[section]<origin>`, `RFC822`, `RFC822.HEADER`, `RFC822.TEXT`
    /// (the RFC822 forms are reported with sections `""`, `"HEADER"`, `"TEXT"`).
    Body {
        /// The section spec between the brackets, as sent, e.g. `""`, `"1.2"`, `"HEADER"`.
        section: Bytes,
        /// The first octet's offset for a partial fetch (`<origin>`), `None` for a whole
        /// section.
        origin: Option<u32>,
        /// The section's octets; `None` when the server sent NIL (no such part).
        data: Option<Bytes>,
    },
    /// `BINARY[section]<origin>` (RFC 3516), from a literal8 or a string.
    Binary {
        /// The part number between the brackets, as sent, e.g. `"1"`.
        section: Bytes,
        /// The first octet's offset for a partial fetch, `None` for the whole part.
        origin: Option<u32>,
        /// The decoded octets (content transfer encoding removed); `None` for NIL.
        data: Option<Bytes>,
    },
    /// One piece of a `BODY[section]` or `BINARY[section]` literal too large to be held in
    /// memory (above [`Limits::max_literal`](crate::proto::Limits::max_literal)), as
    /// `fetch_stream` hands it out: the pieces of one literal come in order, as consecutive
    /// stream items for the same message, `offset` counting from 0 to `total`; the one with
    /// `last` set ends it. Never produced by the parser, nor by a collecting `fetch`.
    BodyChunk {
        /// The section spec between the brackets, as sent (as in [`FetchItem::Body`]).
        section: Bytes,
        /// The first octet's offset for a partial fetch (`<origin>`), `None` for a whole
        /// section.
        origin: Option<u32>,
        /// `true` for `BINARY[...]` data (RFC 3516), `false` for `BODY[...]`/`RFC822*`.
        binary: bool,
        /// Where `data` starts within the literal.
        offset: u64,
        /// The literal's whole size, as announced by the server.
        total: u64,
        /// The bytes from `offset` on (at most 64 KiB).
        data: Bytes,
        /// This piece ends the literal (`offset + data.len() == total`).
        last: bool,
    },
    /// `BINARY.SIZE[section]`.
    BinarySize {
        /// The part number, as sent.
        section: Bytes,
        /// Size of the part once decoded, in octets.
        size: u32,
    },
    /// `MODSEQ (n)` (RFC 7162).
    ModSeq(u64),
    /// `X-GM-MSGID`, `X-GM-THRID`, `EMAILID`, `THREADID`, `X-GM-LABELS`, and anything else:
    /// the item name and its raw value, exactly as sent.
    Other {
        /// The item name, e.g. `X-GM-LABELS`.
        name: Bytes,
        /// The item's value, unparsed.
        value: Bytes,
    },
}

/// `ENVELOPE` (RFC 3501 §7.4.2). Address lists are `None` for NIL.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Envelope {
    /// The `Date:` header, raw (RFC 5322 text, not parsed); `None` for NIL.
    pub date: Option<Bytes>,
    /// The `Subject:` header, raw (may hold RFC 2047 encoded words); `None` for NIL.
    pub subject: Option<Bytes>,
    /// `From:` addresses.
    pub from: Option<Vec<Address>>,
    /// `Sender:` addresses (servers fill in `From:` when the header is absent).
    pub sender: Option<Vec<Address>>,
    /// `Reply-To:` addresses (servers fill in `From:` when the header is absent).
    pub reply_to: Option<Vec<Address>>,
    /// `To:` addresses.
    pub to: Option<Vec<Address>>,
    /// `Cc:` addresses.
    pub cc: Option<Vec<Address>>,
    /// `Bcc:` addresses.
    pub bcc: Option<Vec<Address>>,
    /// The `In-Reply-To:` header, raw (message IDs with angle brackets); `None` for NIL.
    pub in_reply_to: Option<Bytes>,
    /// The `Message-ID:` header, raw (with angle brackets); `None` for NIL.
    pub message_id: Option<Bytes>,
}

/// One address. Group syntax (RFC 3501 §7.4.2) is kept as sent: a group start has
/// `host == None` and `mailbox == Some(group name)`; a group end has both `None`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Address {
    /// The display name, raw (may hold RFC 2047 encoded words); `None` for NIL.
    pub name: Option<Bytes>,
    /// The obsolete source route (`@a,@b`), almost always `None`.
    pub route: Option<Bytes>,
    /// The local part (before `@`), or the group name at a group start; `None` at a
    /// group end.
    pub mailbox: Option<Bytes>,
    /// The domain (after `@`); `None` at a group start or end.
    pub host: Option<Bytes>,
}

/// `BODYSTRUCTURE` / `BODY` (RFC 3501 §7.4.2, RFC 9051 §7.5.2).
#[derive(Debug, Clone, PartialEq)]
pub enum BodyStructure {
    /// A non-multipart part (`text/*`, `message/rfc822` and everything else).
    Single {
        /// Media type (`text`, `image`, `message`...), case as sent.
        media_type: Bytes,
        /// Subtype (`plain`, `jpeg`...), case as sent.
        media_subtype: Bytes,
        /// `body-fld-param`: (attribute, value) pairs as sent, e.g. `("CHARSET",
        /// Some("UTF-8"))`. A value the server sent as NIL (the grammar wants a string,
        /// some servers send NIL) is `None`, an empty string `Some("")`. A NIL list is
        /// empty.
        params: Vec<(Bytes, Option<Bytes>)>,
        /// `body-fld-id`: the `Content-ID` header, raw; `None` for NIL.
        id: Option<Bytes>,
        /// `body-fld-desc`: the `Content-Description` header, raw; `None` for NIL.
        description: Option<Bytes>,
        /// `body-fld-enc` (`7BIT`, `BASE64`, ...); `None` when the server sent NIL.
        encoding: Option<Bytes>,
        /// `body-fld-octets`: size of the part in its transfer encoding, in octets.
        size: u32,
        /// `text/*`: number of lines.
        lines: Option<u32>,
        /// `message/rfc822` (and `message/global`): the enclosed message.
        message: Option<Box<(Envelope, BodyStructure)>>,
        /// Extension data; only BODYSTRUCTURE carries it (`None` for BODY or when the
        /// server sent none).
        ext: Option<SingleExtension>,
    },
    /// A `multipart/*` part.
    Multipart {
        /// The enclosed parts, in order.
        parts: Vec<BodyStructure>,
        /// Subtype (`mixed`, `alternative`, `related`...), case as sent.
        media_subtype: Bytes,
        /// Extension data; only BODYSTRUCTURE carries it.
        ext: Option<MultipartExtension>,
    },
}

/// Extension data of a single part (BODYSTRUCTURE only).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SingleExtension {
    /// `body-fld-md5`: the `Content-MD5` header, raw; `None` for NIL.
    pub md5: Option<Bytes>,
    /// `body-fld-dsp`: the `Content-Disposition` (RFC 2183); `None` for NIL or absent.
    pub disposition: Option<Disposition>,
    /// `body-fld-lang`: the `Content-Language` tags (RFC 3066); `None` for NIL or absent.
    pub language: Option<Vec<Bytes>>,
    /// `body-fld-loc`: the `Content-Location` URI (RFC 2557); `None` for NIL or absent.
    pub location: Option<Bytes>,
    /// Any further extension data, raw.
    pub rest: Option<Bytes>,
}

/// Extension data of a multipart (BODYSTRUCTURE only).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MultipartExtension {
    /// `body-fld-param` of the multipart (e.g. `boundary`); NIL values are `None`, as
    /// for [`BodyStructure::Single`]'s `params`.
    pub params: Vec<(Bytes, Option<Bytes>)>,
    /// `body-fld-dsp`: the multipart's `Content-Disposition`; `None` for NIL or absent.
    pub disposition: Option<Disposition>,
    /// `body-fld-lang`: `Content-Language` tags; `None` for NIL or absent.
    pub language: Option<Vec<Bytes>>,
    /// `body-fld-loc`: the `Content-Location` URI; `None` for NIL or absent.
    pub location: Option<Bytes>,
    /// Any further extension data, raw.
    pub rest: Option<Bytes>,
}

/// A `Content-Disposition` from BODYSTRUCTURE extension data (`body-fld-dsp`, RFC 2183).
#[derive(Debug, Clone, PartialEq)]
pub struct Disposition {
    /// The disposition type as sent, e.g. `attachment` or `inline`.
    pub kind: Bytes,
    /// `body-fld-param` of the disposition (e.g. `filename`); NIL values are `None`.
    pub params: Vec<(Bytes, Option<Bytes>)>,
}
