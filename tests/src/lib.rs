//! Test harness: starts a private Dovecot for the integration tests.
//!
//! Each server runs from its own temporary directory on free loopback ports, with a
//! private CA for TLS and a pool of users, so tests can run in parallel and side by side
//! with other test processes. Most tests use [`Dovecot::shared`] and take a fresh user
//! from [`Dovecot::new_user`]; tests that need another server kind (for example without
//! TLS) start their own with [`Dovecot::start`].
//!
//! The harness needs root: it installs `dovecot-imapd` if missing and runs mail as the
//! system user `vmail`, which it creates if needed.
//!
//! ```no_run
//! use imap_async_tests::Dovecot;
//!
//! let server = Dovecot::shared();
//! let user = server.new_user();
//! server.append_message(&user.name, "INBOX", b"Subject: hi\r\n\r\nhello\r\n");
//! let address = (server.host(), server.imap_port());
//! // ... connect to `address` (or `server.imaps_port()` trusting
//! // `server.ca_pem_path()`) and log in as `user.name` / `user.password` ...
//! # let _ = address;
//! ```

pub mod bench_data;
mod certs;
mod config;
mod cyrus;
pub mod fake;
mod install;
pub mod probe;
mod server;
mod servers;

pub use certs::other_ca_pem;
pub use cyrus::{Cyrus, CyrusOptions};
pub use install::{CyrusBinaries, ensure_cyrus_installed, ensure_dovecot_installed};
pub use server::{Dovecot, DovecotOptions, OAuthClient, TestUser};
pub use servers::{ImapServer, ServerKind};
