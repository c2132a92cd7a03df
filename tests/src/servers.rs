//! One test body for both real servers: the [`ImapServer`] trait, which Dovecot and
//! Cyrus implement, and the [`on_both_servers!`](crate::on_both_servers) macro.

use std::io;
use std::path::Path;
use std::time::Duration;

use imap_async::{ConnectOptions, Security};

use crate::{Cyrus, CyrusOptions, Dovecot, DovecotOptions, OAuthClient, TestUser};

/// Which real server a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RealServer {
    /// Dovecot 2.3 ([`Dovecot`]).
    Dovecot,
    /// Cyrus IMAP 3.6 ([`Cyrus`]).
    Cyrus,
}

impl RealServer {
    /// `"dovecot"` or `"cyrus"`.
    pub fn name(self) -> &'static str {
        match self {
            RealServer::Dovecot => "dovecot",
            RealServer::Cyrus => "cyrus",
        }
    }

    /// The shared server of this kind ([`Dovecot::shared`] or [`Cyrus::shared`]), for
    /// code that needs it `'static` (a thread that appends, say).
    pub fn shared(self) -> &'static dyn ImapServer {
        match self {
            RealServer::Dovecot => Dovecot::shared(),
            RealServer::Cyrus => Cyrus::shared(),
        }
    }

    /// A private server of this kind, with or without TLS, for tests that stop or
    /// restart it. Panics with the reason if it cannot be started.
    pub fn start(self, tls: bool) -> Box<dyn ImapServer> {
        match self {
            RealServer::Dovecot => Box::new(
                Dovecot::start(DovecotOptions {
                    tls,
                    ..Default::default()
                })
                .unwrap_or_else(|e| panic!("cannot start a private Dovecot: {e}")),
            ),
            RealServer::Cyrus => Box::new(
                Cyrus::start(CyrusOptions { tls })
                    .unwrap_or_else(|e| panic!("cannot start a private Cyrus: {e}")),
            ),
        }
    }
}

/// What a test needs from a real server, whichever it is.
///
/// Test bodies take `&dyn ImapServer` and [`on_both_servers!`](crate::on_both_servers)
/// runs them against the shared Dovecot and the shared Cyrus. Where the servers differ
/// legitimately, a body branches on [`ImapServer::kind`] and asserts what the client
/// does on each.
pub trait ImapServer: Send + Sync {
    /// Which server this is.
    fn kind(&self) -> RealServer;
    /// The address the server listens on.
    fn host(&self) -> &str;
    /// The plain IMAP port (it offers STARTTLS when the server has TLS).
    fn imap_port(&self) -> u16;
    /// The implicit-TLS port, if the server has TLS.
    fn imaps_port(&self) -> Option<u16>;
    /// The CA certificate that signed the server's certificate.
    fn ca_pem_path(&self) -> &Path;
    /// A fresh user no other caller gets.
    fn new_user(&self) -> TestUser;
    /// Stores a message in `folder` of `user`, creating the folder if needed. Panics on
    /// failure.
    fn append_message(&self, user: &str, folder: &str, rfc822: &[u8]);
    /// [`ImapServer::append_message`] with `flags` set on the new message, without any
    /// session selecting the folder (so `\Recent` is left alone).
    fn append_message_with_flags(&self, user: &str, folder: &str, flags: &[&str], rfc822: &[u8]);
    /// Creates `folder` for `user` unless it exists, without the client under test.
    /// Panics on failure.
    fn create_folder(&self, user: &str, folder: &str);
    /// Adds `flags` to the messages `uids` (an IMAP UID set such as `1:2`) of `folder`,
    /// as another session would. Panics on failure.
    fn add_flags(&self, user: &str, folder: &str, uids: &str, flags: &[&str]);
    /// Removes `flags` from the messages `uids` of `folder`. Panics on failure.
    fn remove_flags(&self, user: &str, folder: &str, uids: &str, flags: &[&str]);
    /// Expunges the messages `uids` (only those) of `folder`. Panics on failure.
    fn expunge(&self, user: &str, folder: &str, uids: &str);
    /// Moves the messages `uids` of `folder` to `to`, as another session would. Panics
    /// on failure.
    fn move_messages(&self, user: &str, folder: &str, uids: &str, to: &str);
    /// Stops the server (only for servers from [`RealServer::start`]).
    fn stop(&self);
    /// Stops the server and starts it again on the same ports with the same users and
    /// mail (only for servers from [`RealServer::start`]).
    fn restart(&self) -> io::Result<()>;
    /// Stores many messages in `folder` of `user` (created if needed) quickly; UIDs
    /// follow the order given. Panics on failure.
    fn fill_folder(&self, user: &str, folder: &str, messages: &mut dyn Iterator<Item = Vec<u8>>);
    /// Ends all sessions of `user` from the server side. Panics if that fails.
    fn kick(&self, user: &str);
    /// How many sessions of `user` the server saw end with LOGOUT, waiting up to 5 s for
    /// there to be at least `want` (the servers write their logs asynchronously).
    fn logouts(&self, user: &str, want: usize) -> usize;
    /// Registers an OAuth client and refresh token for `user` at the harness's token
    /// endpoint (RFC 6749 §6 refresh grant). Dovecot accepts the access tokens it grants;
    /// Cyrus has no OAuth mechanism at all.
    fn oauth_client_for(&self, user: &str) -> OAuthClient;
    /// The token endpoint refuses this refresh token from now on (`invalid_grant`).
    fn revoke_refresh_token(&self, refresh_token: &str);
    /// The Dovecot behind this server, for the few checks that need its tools.
    fn as_dovecot(&self) -> Option<&Dovecot> {
        None
    }

    /// `"dovecot"` or `"cyrus"`.
    fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// Whether this is the test Cyrus.
    fn is_cyrus(&self) -> bool {
        self.kind() == RealServer::Cyrus
    }

    /// Options for `user` with `security` (the right port for it), trusting the server's
    /// CA for the name `localhost`, with 10 s connect and command timeouts.
    fn options(&self, user: &TestUser, security: Security) -> ConnectOptions {
        let port = match security {
            Security::Tls => self.imaps_port().expect("the server has a TLS listener"),
            // `Security` is non-exhaustive: anything but implicit TLS starts in plain text.
            _ => self.imap_port(),
        };
        ConnectOptions::new(self.host())
            .port(port)
            .security(security)
            .ca_file(self.ca_pem_path())
            .tls_server_name("localhost")
            .command_timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(10))
            .login(&user.name, user.password.as_str())
    }

    /// [`ImapServer::options`] over plaintext on the plain port.
    fn plaintext_options(&self, user: &TestUser) -> ConnectOptions {
        self.options(user, Security::Plain)
    }
}

impl dyn ImapServer + '_ {
    /// [`ImapServer::fill_folder`] taking any iterable of messages.
    pub fn fill(&self, user: &str, folder: &str, messages: impl IntoIterator<Item = Vec<u8>>) {
        self.fill_folder(user, folder, &mut messages.into_iter());
    }
}

impl ImapServer for Dovecot {
    fn kind(&self) -> RealServer {
        RealServer::Dovecot
    }
    fn host(&self) -> &str {
        Dovecot::host(self)
    }
    fn imap_port(&self) -> u16 {
        Dovecot::imap_port(self)
    }
    fn imaps_port(&self) -> Option<u16> {
        Dovecot::imaps_port(self)
    }
    fn ca_pem_path(&self) -> &Path {
        Dovecot::ca_pem_path(self)
    }
    fn new_user(&self) -> TestUser {
        Dovecot::new_user(self)
    }
    fn append_message(&self, user: &str, folder: &str, rfc822: &[u8]) {
        Dovecot::append_message(self, user, folder, rfc822)
    }
    fn append_message_with_flags(&self, user: &str, folder: &str, flags: &[&str], rfc822: &[u8]) {
        Dovecot::append_message(self, user, folder, rfc822);
        if flags.is_empty() {
            return;
        }
        // The message just saved has the highest UID: UIDNEXT - 1.
        let out = self
            .doveadm(
                &[
                    "-f", "flow", "mailbox", "status", "-u", user, "uidnext", folder,
                ],
                None,
            )
            .unwrap_or_else(|e| panic!("cannot run doveadm mailbox status: {e}"));
        let text = String::from_utf8_lossy(&out.stdout);
        let uid = text
            .split_whitespace()
            .find_map(|field| field.strip_prefix("uidnext="))
            .and_then(|n| n.parse::<u32>().ok())
            .map(|next| (next - 1).to_string())
            .unwrap_or_else(|| panic!("doveadm mailbox status said {text:?}"));
        dovecot_flags(self, "add", user, folder, &uid, flags);
    }
    fn create_folder(&self, user: &str, folder: &str) {
        let out = self
            .doveadm(&["mailbox", "create", "-u", user, folder], None)
            .unwrap_or_else(|e| panic!("cannot run doveadm mailbox create: {e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() || stderr.contains("already exists"),
            "doveadm mailbox create {folder}: {stderr}"
        );
    }
    fn add_flags(&self, user: &str, folder: &str, uids: &str, flags: &[&str]) {
        dovecot_flags(self, "add", user, folder, uids, flags);
    }
    fn remove_flags(&self, user: &str, folder: &str, uids: &str, flags: &[&str]) {
        dovecot_flags(self, "remove", user, folder, uids, flags);
    }
    fn expunge(&self, user: &str, folder: &str, uids: &str) {
        doveadm_ok(
            self,
            &["expunge", "-u", user, "mailbox", folder, "uid", uids],
        );
    }
    fn move_messages(&self, user: &str, folder: &str, uids: &str, to: &str) {
        doveadm_ok(
            self,
            &["move", "-u", user, to, "mailbox", folder, "uid", uids],
        );
    }
    fn stop(&self) {
        Dovecot::stop(self)
    }
    fn restart(&self) -> io::Result<()> {
        Dovecot::restart(self)
    }
    fn fill_folder(&self, user: &str, folder: &str, messages: &mut dyn Iterator<Item = Vec<u8>>) {
        self.fill_maildir(user, folder, messages)
    }
    fn kick(&self, user: &str) {
        Dovecot::kick(self, user)
    }
    fn logouts(&self, user: &str, want: usize) -> usize {
        self.session_log_lines(user, "Logged out", want)
    }
    fn oauth_client_for(&self, user: &str) -> OAuthClient {
        Dovecot::oauth_client_for(self, user)
    }
    fn revoke_refresh_token(&self, refresh_token: &str) {
        Dovecot::revoke_refresh_token(self, refresh_token)
    }
    fn as_dovecot(&self) -> Option<&Dovecot> {
        Some(self)
    }
}

impl ImapServer for Cyrus {
    fn kind(&self) -> RealServer {
        RealServer::Cyrus
    }
    fn host(&self) -> &str {
        Cyrus::host(self)
    }
    fn imap_port(&self) -> u16 {
        Cyrus::imap_port(self)
    }
    fn imaps_port(&self) -> Option<u16> {
        Cyrus::imaps_port(self)
    }
    fn ca_pem_path(&self) -> &Path {
        Cyrus::ca_pem_path(self)
    }
    fn new_user(&self) -> TestUser {
        Cyrus::new_user(self)
    }
    fn append_message(&self, user: &str, folder: &str, rfc822: &[u8]) {
        Cyrus::append_message(self, user, folder, rfc822)
    }
    fn append_message_with_flags(&self, user: &str, folder: &str, flags: &[&str], rfc822: &[u8]) {
        Cyrus::append_message_with_flags(self, user, folder, flags, rfc822)
    }
    fn create_folder(&self, user: &str, folder: &str) {
        Cyrus::create_folder(self, user, folder)
    }
    fn add_flags(&self, user: &str, folder: &str, uids: &str, flags: &[&str]) {
        self.store_flags(user, folder, uids, '+', flags);
    }
    fn remove_flags(&self, user: &str, folder: &str, uids: &str, flags: &[&str]) {
        self.store_flags(user, folder, uids, '-', flags);
    }
    fn expunge(&self, user: &str, folder: &str, uids: &str) {
        Cyrus::expunge(self, user, folder, uids);
    }
    fn move_messages(&self, user: &str, folder: &str, uids: &str, to: &str) {
        Cyrus::move_messages(self, user, folder, uids, to)
    }
    fn stop(&self) {
        Cyrus::stop(self)
    }
    fn restart(&self) -> io::Result<()> {
        Cyrus::restart(self)
    }
    fn fill_folder(&self, user: &str, folder: &str, messages: &mut dyn Iterator<Item = Vec<u8>>) {
        Cyrus::fill_folder(self, user, folder, messages)
    }
    fn logouts(&self, user: &str, want: usize) -> usize {
        self.session_log_lines(user, "* BYE LOGOUT received", want)
    }
    fn oauth_client_for(&self, user: &str) -> OAuthClient {
        Cyrus::oauth_client_for(self, user)
    }
    fn revoke_refresh_token(&self, refresh_token: &str) {
        Cyrus::revoke_refresh_token(self, refresh_token)
    }
    fn kick(&self, user: &str) {
        // Sessions may still be starting; a kick that finds none is retried briefly.
        for _ in 0..50 {
            if Cyrus::kick(self, user) > 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no Cyrus session of {user} to end");
    }
}

/// `doveadm flags add|remove -u USER FLAGS mailbox FOLDER uid UIDS`.
fn dovecot_flags(
    server: &Dovecot,
    verb: &str,
    user: &str,
    folder: &str,
    uids: &str,
    flags: &[&str],
) {
    let flags = flags.join(" ");
    doveadm_ok(
        server,
        &[
            "flags", verb, "-u", user, &flags, "mailbox", folder, "uid", uids,
        ],
    );
}

/// Runs doveadm and panics with its error output if it fails.
fn doveadm_ok(server: &Dovecot, args: &[&str]) {
    let out = server
        .doveadm(args, None)
        .unwrap_or_else(|e| panic!("cannot run doveadm: {e}"));
    assert!(
        out.status.success(),
        "doveadm {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Turns `async fn NAME(server: &dyn ImapServer)` into two tests, `NAME::dovecot` and
/// `NAME::cyrus`, run against [`Dovecot::shared`] and [`Cyrus::shared`], so a failure
/// names the server. An optional attribute replaces `#[tokio::test]`.
///
/// ```no_run
/// use imap_async_tests::{ImapServer, on_both_servers};
///
/// async fn logs_in(server: &dyn ImapServer) {
///     let user = server.new_user();
///     let session = imap_async::Session::connect(&server.plaintext_options(&user))
///         .await
///         .unwrap();
///     session.logout().await.unwrap();
/// }
/// on_both_servers!(logs_in);
///
/// async fn logs_in_on_many_threads(server: &dyn ImapServer) {
///     logs_in(server).await;
/// }
/// on_both_servers!(#[tokio::test(flavor = "multi_thread")] logs_in_on_many_threads);
///
/// // A body that is not async (it runs a program, say) gets plain `#[test]`s.
/// fn has_a_ca(server: &dyn ImapServer) {
///     assert!(server.ca_pem_path().exists());
/// }
/// on_both_servers!(sync has_a_ca);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! on_both_servers {
    ($name:ident) => {
        $crate::on_both_servers!(
            #[tokio::test]
            $name
        );
    };
    (#[$test:meta] $name:ident) => {
        mod $name {
            #[$test]
            async fn dovecot() {
                super::$name($crate::Dovecot::shared()).await
            }

            #[$test]
            async fn cyrus() {
                super::$name($crate::Cyrus::shared()).await
            }
        }
    };
    (sync $name:ident) => {
        mod $name {
            #[test]
            fn dovecot() {
                super::$name($crate::Dovecot::shared())
            }

            #[test]
            fn cyrus() {
                super::$name($crate::Cyrus::shared())
            }
        }
    };
}

/// Turns `async fn NAME(kind: RealServer)` into the tests `NAME::dovecot` and
/// `NAME::cyrus`, for bodies that start a private server ([`RealServer::start`]) to stop
/// or restart it. An optional attribute replaces `#[tokio::test]`.
///
/// ```no_run
/// use imap_async_tests::{RealServer, on_both_server_kinds};
///
/// async fn survives_a_restart(kind: RealServer) {
///     let server = kind.start(false);
///     server.restart().unwrap();
/// }
/// on_both_server_kinds!(survives_a_restart);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! on_both_server_kinds {
    ($name:ident) => {
        $crate::on_both_server_kinds!(
            #[tokio::test]
            $name
        );
    };
    (#[$test:meta] $name:ident) => {
        mod $name {
            #[$test]
            async fn dovecot() {
                super::$name($crate::RealServer::Dovecot).await
            }

            #[$test]
            async fn cyrus() {
                super::$name($crate::RealServer::Cyrus).await
            }
        }
    };
}
