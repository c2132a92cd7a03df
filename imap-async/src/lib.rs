//! # imap-async
//!
//! An async IMAP client for Tokio (RFC 3501 IMAP4rev1, RFC 9051 IMAP4rev2).
//!
//! * [`Client`] connects (TLS, STARTTLS or plain, every wait bounded by a timeout) and logs
//!   in, giving a [`Session`].
//! * [`with_session`] runs your code on a session and always logs out and closes it, on
//!   success, error and panic alike.
//! * [`proto`] is the I/O-free protocol core: framer, parser, command encoder, modified
//!   UTF-7, sequence sets.
//!
//! ```no_run
//! use imap_async::{with_session, ConnectOptions, Search};
//!
//! #[tokio::main]
//! async fn main() -> imap_async::Result<()> {
//!     let opts = ConnectOptions::new("imap.example.org").login("bar@example.org", "passwd");
//!     let unseen = with_session(&opts, async |c| {
//!         c.select_folder("INBOX").await?;
//!         c.search(Search::unseen()).await
//!     })
//!     .await?;
//!     println!("unseen UIDs: {unseen}");
//!     Ok(())
//! }
//! ```

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// A TLS crypto provider is not optional: say so before anything else fails to build.
#[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
compile_error!(
    "imap-async needs a rustls crypto provider: enable its `ring` feature (a default one) \
     or its `aws-lc-rs` feature"
);

// Imports go one way, from the bottom up: `proto` (no I/O); `error`, `credentials` and
// `server_kind`; `transport`; `options`; `session`; then what is built on sessions
// (`oauth`, `config`, `with_session`, the watchers). (One exception is left:
// `proto::notify` names `session::FetchItems`.)
pub mod account;
#[cfg(feature = "config")]
#[cfg_attr(docsrs, doc(cfg(feature = "config")))]
pub mod config;
pub mod credentials;
pub mod envelope;
pub mod error;
#[cfg(feature = "oauth2")]
#[cfg_attr(docsrs, doc(cfg(feature = "oauth2")))]
pub mod oauth;
pub mod options;
pub mod proto;
mod server_kind;
pub mod session;
mod stepper;
pub mod transport;
mod watch;
mod with_session;

pub use account::{
    AccountEvent, AccountMode, AccountOptions, AccountState, AccountWatch, FolderCounts,
    watch_account,
};
#[cfg(feature = "config")]
#[cfg_attr(docsrs, doc(cfg(feature = "config")))]
pub use config::{Config, ConfigError, ConfigSection};
pub use envelope::{AddressOrGroup, DateError, Group};
pub use error::{Error, Result};
pub use options::{Auth, ConnectOptions, Secret, Security};
pub use proto::{
    AclRights, Capability, Flag, FlagError, NotifyEvent, NotifyFilter, NotifyGroup, NotifySet,
    ResponseCode, Search, SearchKey, Section, SectionError, Seq, SeqSet, Uid, UidSet,
};
pub use session::{
    AclEntry, AppendMessage, AppendUid, Capabilities, Client, ConnectionState, CopyUid,
    ESearchResult, Expunged, FetchAttr, FetchChanges, FetchItems, Fetched, Folder, FolderStatus,
    IdPolicy, Idle, IdleEvent, IdleOptions, ListRights, LoginError, LoginResult, Metadata,
    MetadataDepth, MetadataEntry, MetadataOptions, Namespace, Namespaces, Quota, Reconnected,
    SearchQuery, SearchResult, SearchReturn, SelectInfo, SelectOptions, ServerId, ServerIdentity,
    ServerKind, Session, SortCriterion, SortKey, SpecialUse, StatusItems, ThreadAlgorithm,
};
pub use session::{
    BatchOptions, Bodies, Body, BodyChunk, FetchStream, SyncChanges, SyncResult, SyncState,
};
pub use transport::TlsOptions;
pub use watch::{FlagGroup, ResyncMethod, Watch, WatchEvent, WatchOptions, WatchState, watch};
pub use with_session::with_session;
#[cfg(feature = "config")]
#[cfg_attr(docsrs, doc(cfg(feature = "config")))]
pub use with_session::with_session_config;

// Every type that appears in the signatures above (results, events, errors, arguments),
// named from the crate root so that a user never has to find the module that defines it.
pub use credentials::CredentialsProvider;
pub use envelope::{decode_header_text, group_addresses, parse_date};
#[cfg(feature = "oauth2")]
#[cfg_attr(docsrs, doc(cfg(feature = "oauth2")))]
pub use oauth::OAuthError;
pub use proto::sequence::{Id, IdRange, IdSet, SetParseError};
pub use proto::{
    Address, BodyStructure, Disposition, ESearch, EncodeError, Envelope, FetchItem, FrameError,
    Limits, ListItem, MailboxStatus, MultipartExtension, NamespaceDescr, NotifyError, ParseError,
    QuotaResource, SearchError, SingleExtension, Status, StatusText, ThreadNode, Untagged,
};
pub use session::{Batches, FlagChange, batches};
pub use transport::WireStats;

/// The byte buffer of message data in this crate's API (`Fetched::body`, envelopes),
/// re-exported so that naming it needs no `bytes` dependency of your own.
pub use bytes::Bytes;

// `#[non_exhaustive]`, the rule: a public enum gets it when a later version may add a
// case without the user having done anything wrong: server responses, response codes, FETCH
// items, events, errors, results, search keys, server kinds, modes (`Untagged`,
// `ResponseCode`, `FetchItem`, `IdleEvent`, `WatchEvent`, `AccountEvent`, `SyncResult`,
// `Error`, `Auth`, `Security`, `SearchKey`, `SortKey`, ...): a match on them needs a `_`
// arm, and adding a case is not a breaking change. A public struct with public fields gets
// it when it holds options (built from `Default` or `new` and builder methods, never a
// struct literal: `ConnectOptions`, `IdleOptions`, `BatchOptions`, `SelectOptions`,
// `MetadataOptions`, `WatchOptions`, `AccountOptions`) or results that will carry more
// (`SyncChanges`, `FlagChange`, `AccountState`).
//
// Left exhaustive, on purpose: what an RFC closes and what users match in full for a
// reason, so that the compiler checks their match: `proto::Status` (OK, NO, BAD, PREAUTH,
// BYE: RFC 3501 §7.1, unchanged in RFC 9051), `proto::Response` (tagged, untagged,
// continuation), `LiteralMode` (`{n}` or `{n+}`), `LiteralSupport` (RFC 7888's three
// cases), `MetadataDepth` (RFC 5464: 0, 1, infinity), `IdRange`, and the structs users
// build and store themselves (`SyncState`, `SortCriterion`, `Limits`).

// Thread-safety, checked at compile time so that a change that loses it fails here, not in
// a user's build.
//
// * `Send`: everything a Tokio service moves into a spawned task (sessions, clients,
//   streams, watchers, results, options, errors).
// * `Sync`: the values a service shares by reference between tasks (options in an `Arc`,
//   results and states read from several tasks, errors behind `anyhow`/`Box<dyn Error +
//   Send + Sync>`).
// * `Session` and `Client` are `Sync` as well: they hold nothing with interior mutability
//   that is not itself `Sync`, so this costs nothing. It is of little use on its own (every
//   command takes `&mut self`, so one task drives a connection at a time; share a session
//   between tasks behind a `tokio::sync::Mutex`), but it lets a `&Session` (to read
//   `capabilities()` or `state()`) cross an `.await` in a `Send` future. (The one cost:
//   the closure an abandoned FETCH leaves to filter its late responses must be `Sync`.)
// * The streams (`Idle`, `FetchStream`, `Watch`, `AccountWatch`) are `Send` but not `Sync`:
//   they hold the boxed future of their current step, and a stream is polled through
//   `&mut` by one task anyway.
const _: () = {
    fn assert_send<T: Send>() {}
    fn assert_sync<T: Sync>() {}
    #[allow(dead_code)]
    fn the_public_types_are_send() {
        assert_send::<Session>();
        assert_send::<Client>();
        assert_send::<Idle<'static, Session>>();
        assert_send::<Idle<'static, &'static mut Session>>();
        assert_send::<FetchStream<'static>>();
        assert_send::<Watch>();
        assert_send::<AccountWatch>();
        assert_send::<Error>();
        assert_send::<ConnectOptions>();
        assert_send::<IdleEvent>();
        assert_send::<WatchEvent>();
        assert_send::<AccountEvent>();
        assert_send::<proto::Untagged>();
        assert_send::<LoginError>();
    }
    #[allow(dead_code)]
    fn the_public_types_are_sync() {
        assert_sync::<Session>();
        assert_sync::<Client>();
        assert_sync::<Error>();
        assert_sync::<ConnectOptions>();
        assert_sync::<Auth>();
        assert_sync::<Security>();
        assert_sync::<UidSet>();
        assert_sync::<SeqSet>();
        assert_sync::<Search>();
        assert_sync::<SearchKey>();
        assert_sync::<Fetched>();
        assert_sync::<proto::Envelope>();
        assert_sync::<proto::BodyStructure>();
        assert_sync::<proto::Untagged>();
        assert_sync::<Capabilities>();
        assert_sync::<ServerIdentity>();
        assert_sync::<SelectInfo>();
        assert_sync::<Folder>();
        assert_sync::<FolderStatus>();
        assert_sync::<AppendMessage>();
        assert_sync::<AppendUid>();
        assert_sync::<CopyUid>();
        assert_sync::<IdleEvent>();
        assert_sync::<IdleOptions>();
        assert_sync::<SyncState>();
        assert_sync::<SyncResult>();
        assert_sync::<WatchState>();
        assert_sync::<WatchOptions>();
        assert_sync::<WatchEvent>();
        assert_sync::<AccountState>();
        assert_sync::<AccountOptions>();
        assert_sync::<AccountEvent>();
        #[cfg(feature = "config")]
        assert_sync::<Config>();
        assert_sync::<Secret>();
        assert_sync::<LoginError>();
        assert_sync::<Flag>();
        assert_sync::<Section>();
        assert_sync::<Capability>();
        assert_sync::<AclRights>();
    }
};

/// The user guide's examples are compiled as doctests, so the guide cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../docs/cleaning-up-connections.md")]
pub struct GuideCleaningUpConnections;

/// The IDLE page's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/idle.md")]
pub struct GuideIdle;

/// The running-for-days guide's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/running-for-days.md")]
pub struct GuideRunningForDays;

/// The account-watching guide's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/watching-an-account.md")]
pub struct GuideWatchingAnAccount;

/// The IMAPClient mapping page's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/imapclient-mapping.md")]
pub struct GuideImapclientMapping;

/// The workspace README's example, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct Readme;

/// The performance page's example, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../docs/performance.md")]
pub struct GuidePerformance;

/// The configuration guide's examples are compiled as doctests.
#[cfg(all(doctest, feature = "config"))]
#[doc = include_str!("../../docs/configuration.md")]
pub struct GuideConfiguration;

/// The large-mailboxes guide's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/large-mailboxes.md")]
pub struct GuideLargeMailboxes;

/// The compatibility page's example, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../docs/compatibility.md")]
pub struct GuideCompatibility;
