//! Test harness: starts a private Dovecot and a private Cyrus IMAP for the integration
//! tests.
//!
//! Each server runs from its own temporary directory on free loopback ports, with a
//! private CA for TLS and a pool of users, so tests can run in parallel and side by side
//! with other test processes. Most tests use [`Dovecot::shared`] and [`Cyrus::shared`]
//! through the [`ImapServer`] trait: a body `async fn NAME(server: &dyn ImapServer)`
//! becomes the tests `NAME::dovecot` and `NAME::cyrus` with
//! [`on_both_servers!`](crate::on_both_servers), takes a fresh user from
//! [`ImapServer::new_user`], and where the servers differ legitimately branches on
//! [`ImapServer::kind`] to assert what the client does on each. Tests that need another
//! server kind (for example without TLS, or one to stop) start their own with
//! [`Dovecot::start`], [`Cyrus::start`] or [`RealServer::start`].
//!
//! The harness needs root. For Dovecot it installs `dovecot-imapd` if missing and runs mail
//! as the system user `vmail`, which it creates if needed. For Cyrus it installs
//! `cyrus-common` and `sasl2-bin` if missing and extracts the `cyrus-imapd` package (not
//! installed: it conflicts with `dovecot-imapd`) into `/var/cache/imap-async-tests/`; Cyrus
//! runs as the `cyrus` user with its own `imapd.conf`, `cyrus.conf` and sasldb.
//!
//! The two servers' layouts match where they can: both put a user's folders beside INBOX
//! with `/` as the separator (Cyrus with `altnamespace` and `unixhierarchysep` on, its 3.x
//! defaults), create Sent, Drafts, Trash, Junk and Archive for every user, and give the
//! same quota (10 GiB, a million messages). What differs is real server behaviour: Cyrus
//! marks none of those folders with a special-use attribute, names other users' and shared
//! folders `Other Users/` and `Shared Folders/`, offers no OAuth mechanism, refuses `%`,
//! `"` and `\` in folder names, and answers GETQUOTA only to admins.
//!
//! ```no_run
//! use imap_async_tests::{Cyrus, Dovecot, ImapServer};
//!
//! for server in [Dovecot::shared() as &dyn ImapServer, Cyrus::shared()] {
//!     let user = server.new_user();
//!     server.append_message(&user.name, "INBOX", b"Subject: hi\r\n\r\nhello\r\n");
//!     let options = server.plaintext_options(&user);
//!     // ... `imap_async::Session::connect(&options)` (or `server.options(&user,
//!     // Security::Tls)`, trusting `server.ca_pem_path()`) ...
//!     # let _ = options;
//! }
//! ```

pub mod bench_data;
mod certs;
mod config;
mod cyrus;
pub mod fake;
pub mod generated;
mod install;
mod master;
pub mod measure;
pub mod probe;
pub mod proxy;
pub mod quirks;
pub mod replay;
mod server;
mod servers;

pub use certs::other_ca_pem;
pub use cyrus::{Cyrus, CyrusOptions};
pub use install::{CyrusBinaries, ensure_cyrus_installed, ensure_dovecot_installed};
pub use server::{Dovecot, DovecotOptions, OAuthClient, TestUser};
pub use servers::{ImapServer, RealServer};
