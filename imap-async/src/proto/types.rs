//! Typed server responses (RFC 3501 §7, RFC 9051 §7 and the extensions we speak).
//!
//! Every string is a [`Bytes`] slice of the framed response buffer: parsing does not copy
//! string data. `Option` stands where the grammar allows `NIL`.

use bytes::Bytes;

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
    pub code: Option<ResponseCode>,
    /// Everything after `+ ` (and after the code, if any), without the CRLF.
    pub text: Bytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    No,
    Bad,
    PreAuth,
    Bye,
}

/// `resp-text`: an optional `[code]` and human-readable text.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusText {
    pub status: Status,
    pub code: Option<ResponseCode>,
    pub text: Bytes,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tagged {
    pub tag: Bytes,
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
    Search { ids: Vec<u32>, modseq: Option<u64> },
    /// `* SORT n n n [(MODSEQ m)]` (RFC 5256).
    Sort { ids: Vec<u32>, modseq: Option<u64> },
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
        earlier: bool,
        uids: Vec<(u32, u32)>,
    },
    /// `* NAMESPACE personal other shared` (RFC 2342).
    Namespace(Namespaces),
    /// `* n FETCH (...)`.
    Fetch { seq: u32, items: Vec<FetchItem> },
    /// `* ID (...)` or `* ID NIL` (RFC 2971).
    Id(Option<Vec<(Bytes, Option<Bytes>)>>),
    /// `* QUOTA root (resource usage limit ...)` (RFC 9208 §4.2.1, §7 `quota-response`).
    /// An empty list means the root has no limits.
    Quota {
        root: Bytes,
        resources: Vec<QuotaResource>,
    },
    /// `* QUOTAROOT mailbox root...` (RFC 9208 §4.2.2, §7 `quotaroot-response`). No roots
    /// means the mailbox has no quota root.
    QuotaRoot { mailbox: Bytes, roots: Vec<Bytes> },
    /// `* ACL mailbox identifier rights ...` (RFC 4314 §3.6, §7 `acl-data`): (identifier,
    /// rights) pairs as sent. Identifiers may carry a `-` (negative rights, RFC 4314 §2).
    Acl {
        mailbox: Bytes,
        entries: Vec<(Bytes, Bytes)>,
    },
    /// `* MYRIGHTS mailbox rights` (RFC 4314 §3.8, §7 `myrights-data`).
    MyRights { mailbox: Bytes, rights: Bytes },
    /// `* LISTRIGHTS mailbox identifier required optional...` (RFC 4314 §3.7, §7
    /// `listrights-data`). `required` may be empty; each `optional` string is a group of
    /// rights that are granted together or not at all.
    ListRights {
        mailbox: Bytes,
        identifier: Bytes,
        required: Bytes,
        optional: Vec<Bytes>,
    },
    /// `* METADATA mailbox (entry value ...)` (RFC 5464 §4.4, `entry-values`): entry names
    /// and values; a `NIL` value (`None`) means the entry has no value. The mailbox is
    /// empty for server annotations.
    Metadata {
        mailbox: Bytes,
        entries: Vec<(Bytes, Option<Bytes>)>,
    },
    /// `* METADATA mailbox entry entry ...` (RFC 5464 §4.4, `entry-list`, unsolicited):
    /// these entries changed; their values are not included and must be fetched with
    /// GETMETADATA. Kept apart from [`Untagged::Metadata`] because "changed, value unknown"
    /// is not "no value".
    MetadataChanged { mailbox: Bytes, entries: Vec<Bytes> },
    /// Anything else that framed correctly: the whole line(s) after `* `, untouched.
    Other(Bytes),
}

/// One resource of a `* QUOTA` response (RFC 9208 §4.2.1): name as sent (`STORAGE` counts
/// KiB, `MESSAGE` messages, RFC 9208 §5), current usage and limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaResource {
    pub name: Bytes,
    pub usage: u64,
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
    pub members: Vec<u32>,
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
    pub mailbox: Bytes,
    pub messages: Option<u32>,
    pub recent: Option<u32>,
    pub uid_next: Option<u32>,
    pub uid_validity: Option<u32>,
    pub unseen: Option<u32>,
    pub highest_modseq: Option<u64>,
    pub size: Option<u64>,
    pub deleted: Option<u32>,
    /// Items we do not know, as (name, raw value).
    pub other: Vec<(Bytes, Bytes)>,
}

/// `* ESEARCH [(TAG "x")] [UID] result...` (RFC 4731, RFC 9051 §7.3.4).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ESearch {
    pub tag: Option<Bytes>,
    pub uid: bool,
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub count: Option<u32>,
    /// `ALL` as ranges (inclusive), never expanded.
    pub all: Option<Vec<(u32, u32)>>,
    pub modseq: Option<u64>,
    /// Result items we do not know, as (name, raw value).
    pub other: Vec<(Bytes, Bytes)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Namespaces {
    pub personal: Vec<NamespaceDescr>,
    pub other_users: Vec<NamespaceDescr>,
    pub shared: Vec<NamespaceDescr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NamespaceDescr {
    pub prefix: Bytes,
    pub delimiter: Option<u8>,
}

/// Response codes (`[...]` in a status response). RFC 3501 §7.1, RFC 9051 §7.1, RFC 4315,
/// RFC 7162, RFC 5465, and every code of RFC 5530 §3. A known code whose arguments do not
/// parse, and any code not listed here, is kept as [`ResponseCode::Other`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ResponseCode {
    Alert,
    BadCharset(Vec<Bytes>),
    Capability(Vec<Bytes>),
    Parse,
    PermanentFlags(Vec<Bytes>),
    ReadOnly,
    ReadWrite,
    TryCreate,
    UidNext(u32),
    UidValidity(u32),
    Unseen(u32),
    /// `[APPENDUID uidvalidity uid-set]` (RFC 4315): ranges as sent.
    AppendUid {
        uid_validity: u32,
        uids: Vec<(u32, u32)>,
    },
    /// `[COPYUID uidvalidity source-set dest-set]` (RFC 4315).
    CopyUid {
        uid_validity: u32,
        source: Vec<(u32, u32)>,
        destination: Vec<(u32, u32)>,
    },
    UidNotSticky,
    /// `[HIGHESTMODSEQ n]` (RFC 7162).
    HighestModSeq(u64),
    /// `[NOMODSEQ]` (RFC 7162 §3.1.2.2): the selected folder does not support
    /// mod-sequences (SELECT/EXAMINE still succeed).
    NoModSeq,
    /// `[MODIFIED set]` (RFC 7162): messages whose STORE failed the UNCHANGEDSINCE test.
    Modified(Vec<(u32, u32)>),
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
    Uid(u32),
    Flags(Vec<Bytes>),
    /// `INTERNALDATE`, with the zone the server gave (never reinterpreted in local time).
    InternalDate(chrono::DateTime<chrono::FixedOffset>),
    Rfc822Size(u64),
    Envelope(Box<Envelope>),
    /// `BODY` (without section) or `BODYSTRUCTURE`.
    BodyStructure(Box<BodyStructure>),
    /// `BODY[section]<origin>`, `RFC822`, `RFC822.HEADER`, `RFC822.TEXT`
    /// (the RFC822 forms are reported with sections `""`, `"HEADER"`, `"TEXT"`).
    Body {
        section: Bytes,
        origin: Option<u32>,
        data: Option<Bytes>,
    },
    /// `BINARY[section]<origin>` (RFC 3516), from a literal8 or a string.
    Binary {
        section: Bytes,
        origin: Option<u32>,
        data: Option<Bytes>,
    },
    /// `BINARY.SIZE[section]`.
    BinarySize {
        section: Bytes,
        size: u32,
    },
    /// `MODSEQ (n)` (RFC 7162).
    ModSeq(u64),
    /// `X-GM-MSGID`, `X-GM-THRID`, `EMAILID`, `THREADID`, `X-GM-LABELS`, and anything else:
    /// the item name and its raw value, exactly as sent.
    Other {
        name: Bytes,
        value: Bytes,
    },
}

/// `ENVELOPE` (RFC 3501 §7.4.2). Address lists are `None` for NIL.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Envelope {
    pub date: Option<Bytes>,
    pub subject: Option<Bytes>,
    pub from: Option<Vec<Address>>,
    pub sender: Option<Vec<Address>>,
    pub reply_to: Option<Vec<Address>>,
    pub to: Option<Vec<Address>>,
    pub cc: Option<Vec<Address>>,
    pub bcc: Option<Vec<Address>>,
    pub in_reply_to: Option<Bytes>,
    pub message_id: Option<Bytes>,
}

/// One address. Group syntax (RFC 3501 §7.4.2) is kept as sent: a group start has
/// `host == None` and `mailbox == Some(group name)`; a group end has both `None`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Address {
    pub name: Option<Bytes>,
    pub route: Option<Bytes>,
    pub mailbox: Option<Bytes>,
    pub host: Option<Bytes>,
}

/// `BODYSTRUCTURE` / `BODY` (RFC 3501 §7.4.2, RFC 9051 §7.5.2).
#[derive(Debug, Clone, PartialEq)]
pub enum BodyStructure {
    /// A non-multipart part (`text/*`, `message/rfc822` and everything else).
    Single {
        /// Type and subtype, upper/lower case as sent.
        media_type: Bytes,
        media_subtype: Bytes,
        /// `body-fld-param`: (attribute, value) pairs as sent, e.g. `("CHARSET",
        /// Some("UTF-8"))`. A value the server sent as NIL (the grammar wants a string,
        /// some servers send NIL) is `None`, an empty string `Some("")`. A NIL list is
        /// empty.
        params: Vec<(Bytes, Option<Bytes>)>,
        id: Option<Bytes>,
        description: Option<Bytes>,
        /// `body-fld-enc` (`7BIT`, `BASE64`, ...); `None` when the server sent NIL.
        encoding: Option<Bytes>,
        size: u32,
        /// `text/*`: number of lines.
        lines: Option<u32>,
        /// `message/rfc822` (and `message/global`): the enclosed message.
        message: Option<Box<(Envelope, BodyStructure)>>,
        ext: Option<SingleExtension>,
    },
    Multipart {
        parts: Vec<BodyStructure>,
        media_subtype: Bytes,
        ext: Option<MultipartExtension>,
    },
}

/// Extension data of a single part (BODYSTRUCTURE only).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SingleExtension {
    pub md5: Option<Bytes>,
    pub disposition: Option<Disposition>,
    pub language: Option<Vec<Bytes>>,
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
    pub disposition: Option<Disposition>,
    pub language: Option<Vec<Bytes>>,
    pub location: Option<Bytes>,
    pub rest: Option<Bytes>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Disposition {
    pub kind: Bytes,
    /// `body-fld-param` of the disposition (e.g. `filename`); NIL values are `None`.
    pub params: Vec<(Bytes, Option<Bytes>)>,
}
