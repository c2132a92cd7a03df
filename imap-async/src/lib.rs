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
//! use imap_async::{with_session, ConnectOptions};
//!
//! #[tokio::main]
//! async fn main() -> imap_async::Result<()> {
//!     let opts = ConnectOptions::new("imap.example.org").login("bar@example.org", "passwd");
//!     let unseen = with_session(&opts, async |c| {
//!         c.select_folder("INBOX").await?;
//!         c.search("UNSEEN").await
//!     })
//!     .await?;
//!     println!("unseen UIDs: {unseen}");
//!     Ok(())
//! }
//! ```

pub mod account;
pub mod config;
pub mod credentials;
pub mod envelope;
pub mod error;
pub mod oauth;
pub mod options;
pub mod proto;
pub mod session;
mod stepper;
pub mod transport;
mod watch;
mod with_session;

pub use account::{
    AccountEvent, AccountMode, AccountOptions, AccountState, AccountWatch, FolderCounts,
    watch_account,
};
pub use config::{Config, ConfigError, ConfigSection};
pub use envelope::{AddressOrGroup, DateError, Group};
pub use error::{Error, Result};
pub use options::{Auth, ConnectOptions, Secret, Security};
pub use proto::{
    NotifyEvent, NotifyFilter, NotifyGroup, NotifySet, ResponseCode, Search, SearchKey, Seq,
    SeqSet, Uid, UidSet,
};
pub use session::{
    AclEntry, AppendMessage, AppendUid, Capabilities, Client, ConnectionState, CopyUid,
    ESearchResult, Expunged, FetchAttr, FetchChanges, FetchItems, Fetched, Folder, FolderStatus,
    IdPolicy, Idle, IdleEvent, IdleOptions, ListRights, LoginError, LoginResult, Metadata,
    MetadataDepth, MetadataEntry, MetadataOptions, Namespace, Namespaces, Quota, Reconnected,
    SearchQuery, SearchResult, SearchReturn, SelectInfo, SelectOptions, ServerId, ServerIdentity,
    ServerKind, Session, SortCriterion, SortKey, SpecialUse, StatusItems, ThreadAlgorithm,
};
pub use session::{BatchOptions, FetchStream, SyncChanges, SyncResult, SyncState};
pub use transport::TlsOptions;
pub use watch::{FlagGroup, ResyncMethod, Watch, WatchEvent, WatchOptions, WatchState, watch};
pub use with_session::{with_session, with_session_config};

// Every type that appears in the signatures above (results, events, errors, arguments),
// named from the crate root so that a user never has to find the module that defines it.
pub use credentials::CredentialsProvider;
pub use envelope::{decode_header_text, group_addresses, parse_date};
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

// What a Tokio service moves into spawned tasks must be `Send`; checked at compile time
// so that a change that loses it fails here, not in a user's build. (`Session` is not
// `Sync`: one task drives a connection at a time.)
const _: () = {
    fn assert_send<T: Send>() {}
    #[allow(dead_code)]
    fn the_public_types_are_send() {
        assert_send::<Session>();
        assert_send::<Client>();
        assert_send::<Idle<'static, Session>>();
        assert_send::<Watch>();
        assert_send::<AccountWatch>();
        assert_send::<Error>();
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
#[cfg(doctest)]
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
