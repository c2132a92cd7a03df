//! Connection options: where to connect, how to secure it, how to log in, and every deadline.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::credentials::CredentialsProvider;
pub use crate::credentials::{Auth, Secret};
use crate::proto::Limits;
use crate::server_kind::{IdPolicy, ServerKind};
use crate::transport::TlsOptions;

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Security {
    /// TLS from the first byte (port 993 by default).
    #[default]
    Tls,
    /// Plain TCP upgraded with STARTTLS before anything else (port 143 by default). Fails if
    /// the server does not offer STARTTLS: never falls back to plaintext.
    StartTls,
    /// No encryption at all (port 143 by default). For loopback and tests.
    Plain,
}

/// Everything needed to open a session. Build it with [`ConnectOptions::new`] and the
/// chained setters; the defaults are safe (TLS, certificates and host names verified) and
/// every wait has a deadline.
///
/// ```
/// use std::time::Duration;
/// use imap_async::ConnectOptions;
///
/// let opts = ConnectOptions::new("imap.example.org")
///     .starttls()
///     .login("bar@example.org", "passwd")
///     .command_timeout(Duration::from_secs(20));
/// assert_eq!(opts.effective_port(), 143);
/// // The password never shows in Debug output.
/// assert!(!format!("{opts:?}").contains("passwd"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// Host name or IP address of the server; also the TLS server name unless
    /// `tls_server_name` is set.
    pub host: String,
    /// `None`: 993 for [`Security::Tls`], 143 otherwise.
    pub port: Option<u16>,
    /// TLS, STARTTLS or plain TCP (default TLS).
    pub security: Security,
    /// Certificate verification settings for TLS and STARTTLS.
    pub tls: TlsOptions,
    /// The name the certificate must be valid for, when it differs from `host` (for example
    /// when connecting by IP address).
    pub tls_server_name: Option<String>,
    /// Deadline for TCP connect and, separately, for the TLS handshake and the greeting.
    pub connect_timeout: Duration,
    /// Longest wait for the next bytes of a response to a command.
    pub command_timeout: Duration,
    /// Longest time one response may take to arrive once it has begun, however steadily
    /// its bytes trickle in (a server sending a byte a second cannot hold a command
    /// forever). Message bodies streamed to a writer are exempt.
    pub response_timeout: Duration,
    /// Send credentials over an unencrypted connection to a host that is not on this
    /// machine (default `false`: LOGIN and AUTHENTICATE are refused there before anything
    /// is sent; loopback connections are always allowed).
    pub allow_plaintext_login: bool,
    /// Longest time LOGOUT may take, as a whole ([`Session::logout`](crate::Session::logout)
    /// and [`crate::with_session`]), including reading the rest of any command abandoned
    /// before it.
    pub logout_timeout: Duration,
    /// Framing limits applied to everything the server sends.
    pub limits: Limits,
    /// Fixed credentials, used when [`ConnectOptions::credentials`] is not set.
    pub auth: Option<Auth>,
    /// Where credentials come from at every connect and reconnect (an OAuth 2.0 token
    /// source, a vault); takes precedence over `auth`. See
    /// [`crate::credentials::CredentialsProvider`].
    pub credentials: Option<Arc<dyn CredentialsProvider>>,
    /// Turn on COMPRESS=DEFLATE (RFC 4978) right after login when the server offers it
    /// (off by default; needs the `compress` feature). See [`ConnectOptions::compress`].
    pub compress: bool,
    /// When to send ID (RFC 2971) after login; see [`IdPolicy`].
    pub id_policy: IdPolicy,
    /// The server family, when it must not be guessed; see [`ConnectOptions::server_kind`].
    pub server_kind: Option<ServerKind>,
    /// How many unsolicited responses a session keeps for
    /// [`Session::take_unsolicited`](crate::Session::take_unsolicited) (default 10,000);
    /// see [`ConnectOptions::unsolicited_limit`].
    pub unsolicited_limit: usize,
}

impl ConnectOptions {
    /// Options for `host` with the defaults: implicit TLS on port 993, 30 s to connect,
    /// 60 s per response, 5 s to log out, no credentials.
    ///
    /// ```
    /// use imap_async::ConnectOptions;
    ///
    /// let opts = ConnectOptions::new("imap.example.org");
    /// assert_eq!(opts.host, "imap.example.org");
    /// assert_eq!(opts.effective_port(), 993);
    /// assert!(opts.auth.is_none());
    /// ```
    pub fn new(host: impl Into<String>) -> Self {
        ConnectOptions {
            host: host.into(),
            port: None,
            security: Security::Tls,
            tls: TlsOptions::default(),
            tls_server_name: None,
            connect_timeout: Duration::from_secs(30),
            command_timeout: Duration::from_secs(60),
            response_timeout: Duration::from_secs(300),
            allow_plaintext_login: false,
            logout_timeout: Duration::from_secs(5),
            limits: Limits::default(),
            auth: None,
            credentials: None,
            compress: false,
            id_policy: IdPolicy::default(),
            server_kind: None,
            unsolicited_limit: DEFAULT_UNSOLICITED_LIMIT,
        }
    }

    /// Connect to this port instead of the default (993 for TLS, 143 otherwise).
    ///
    /// ```
    /// use imap_async::ConnectOptions;
    ///
    /// let opts = ConnectOptions::new("imap.example.org").port(1993);
    /// assert_eq!(opts.effective_port(), 1993);
    /// ```
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Use STARTTLS on a plain connection (RFC 3501 §6.2.1, RFC 2595).
    ///
    /// ```
    /// use imap_async::{ConnectOptions, Security};
    ///
    /// let opts = ConnectOptions::new("imap.example.org").starttls();
    /// assert_eq!(opts.security, Security::StartTls);
    /// assert_eq!(opts.effective_port(), 143);
    /// ```
    pub fn starttls(mut self) -> Self {
        self.security = Security::StartTls;
        self
    }

    /// No TLS at all.
    ///
    /// ```
    /// use imap_async::{ConnectOptions, Security};
    ///
    /// let opts = ConnectOptions::new("localhost").plaintext();
    /// assert_eq!(opts.security, Security::Plain);
    /// assert_eq!(opts.effective_port(), 143);
    /// ```
    pub fn plaintext(mut self) -> Self {
        self.security = Security::Plain;
        self
    }

    /// Choose how the connection is secured; see [`Security`].
    ///
    /// ```
    /// use imap_async::{ConnectOptions, Security};
    ///
    /// let opts = ConnectOptions::new("imap.example.org").security(Security::StartTls);
    /// assert_eq!(opts.security, Security::StartTls);
    /// ```
    pub fn security(mut self, security: Security) -> Self {
        self.security = security;
        self
    }

    /// Also trust the CA certificates in this PEM file.
    ///
    /// ```
    /// use imap_async::ConnectOptions;
    ///
    /// let opts = ConnectOptions::new("imap.lan").ca_file("/etc/ssl/my-ca.pem");
    /// assert_eq!(opts.tls.ca_file.as_deref(), Some(std::path::Path::new("/etc/ssl/my-ca.pem")));
    /// ```
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls.ca_file = Some(path.into());
        self
    }

    /// Check the certificate against this name instead of `host` (for example when
    /// connecting by IP address).
    ///
    /// ```
    /// use imap_async::ConnectOptions;
    ///
    /// let opts = ConnectOptions::new("192.0.2.10").tls_server_name("imap.example.org");
    /// assert_eq!(opts.effective_server_name(), "imap.example.org");
    /// ```
    pub fn tls_server_name(mut self, name: impl Into<String>) -> Self {
        self.tls_server_name = Some(name.into());
        self
    }

    /// Accept a certificate issued for another host name (the chain is still verified).
    /// Logs a warning at every connection.
    ///
    /// ```
    /// use imap_async::ConnectOptions;
    ///
    /// let opts = ConnectOptions::new("imap.lan").danger_skip_hostname_check();
    /// assert!(!opts.tls.check_hostname);
    /// assert!(opts.tls.verify_cert);
    /// ```
    pub fn danger_skip_hostname_check(mut self) -> Self {
        self.tls.check_hostname = false;
        self
    }

    /// Accept any certificate at all. Logs a warning at every connection.
    ///
    /// ```
    /// use imap_async::ConnectOptions;
    ///
    /// let opts = ConnectOptions::new("imap.lan").danger_accept_invalid_certs();
    /// assert!(!opts.tls.verify_cert);
    /// ```
    pub fn danger_accept_invalid_certs(mut self) -> Self {
        self.tls.verify_cert = false;
        self
    }

    /// Deadline for TCP connect and, separately, for the TLS handshake and the greeting
    /// (see [`ConnectOptions::connect_timeout`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use imap_async::ConnectOptions;
    ///
    /// let opts = ConnectOptions::new("imap.example.org").connect_timeout(Duration::from_secs(10));
    /// assert_eq!(opts.connect_timeout, Duration::from_secs(10));
    /// ```
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Longest wait for the next bytes of a response (see
    /// [`ConnectOptions::command_timeout`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use imap_async::ConnectOptions;
    ///
    /// let opts = ConnectOptions::new("imap.example.org").command_timeout(Duration::from_secs(20));
    /// assert_eq!(opts.command_timeout, Duration::from_secs(20));
    /// ```
    pub fn command_timeout(mut self, d: Duration) -> Self {
        self.command_timeout = d;
        self
    }

    /// Allow credentials over an unencrypted connection to a non-loopback host (see
    /// [`ConnectOptions::allow_plaintext_login`]). Anyone on the path can read them.
    ///
    /// ```
    /// let opts = imap_async::ConnectOptions::new("imap.lan").plaintext().danger_allow_plaintext_login();
    /// assert!(opts.allow_plaintext_login);
    /// ```
    pub fn danger_allow_plaintext_login(mut self) -> Self {
        self.allow_plaintext_login = true;
        self
    }

    /// See [`ConnectOptions::response_timeout`].
    ///
    /// ```
    /// let opts = imap_async::ConnectOptions::new("imap.example.org")
    ///     .response_timeout(std::time::Duration::from_secs(120));
    /// assert_eq!(opts.response_timeout.as_secs(), 120);
    /// ```
    pub fn response_timeout(mut self, d: Duration) -> Self {
        self.response_timeout = d;
        self
    }

    /// Longest time LOGOUT may take when [`crate::with_session`] closes the session (see
    /// [`ConnectOptions::logout_timeout`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use imap_async::ConnectOptions;
    ///
    /// let opts = ConnectOptions::new("imap.example.org").logout_timeout(Duration::from_secs(2));
    /// assert_eq!(opts.logout_timeout, Duration::from_secs(2));
    /// ```
    pub fn logout_timeout(mut self, d: Duration) -> Self {
        self.logout_timeout = d;
        self
    }

    /// How many unsolicited responses (EXISTS, EXPUNGE, flag changes made elsewhere, ...)
    /// the session keeps until [`Session::take_unsolicited`](crate::Session::take_unsolicited)
    /// takes them. Default 10,000 (a few MB at most).
    ///
    /// When the queue is full the **oldest** response is dropped, a warning is logged
    /// (once until the queue is next emptied), and
    /// [`Session::unsolicited_dropped`](crate::Session::unsolicited_dropped) counts it. A
    /// caller that sees that count grow has missed changes (a lost EXPUNGE shifts every
    /// later sequence number) and must resynchronise: SELECT the folder again, or run a
    /// CONDSTORE/QRESYNC sync. `0` keeps nothing.
    ///
    /// ```
    /// let opts = imap_async::ConnectOptions::new("imap.example.org").unsolicited_limit(500);
    /// assert_eq!(opts.unsolicited_limit, 500);
    /// assert_eq!(imap_async::ConnectOptions::new("h").unsolicited_limit, 10_000);
    /// ```
    pub fn unsolicited_limit(mut self, limit: usize) -> Self {
        self.unsolicited_limit = limit;
        self
    }

    /// Compress the connection with COMPRESS=DEFLATE (RFC 4978) after login, when the
    /// server advertises it; silently uncompressed when it does not. Worth it on slow
    /// links and for large FETCH results (envelopes and headers shrink several times);
    /// it costs CPU on both ends. [`crate::Session::connect`] and [`crate::with_session`]
    /// honour it; a session logged in by hand calls `Session::compress`.
    ///
    /// Needs the `compress` feature (a default one): in a build without it, connecting
    /// with this set fails with [`Error::InvalidInput`](crate::Error::InvalidInput)
    /// before anything is sent, rather than quietly running uncompressed.
    ///
    /// ```
    /// let opts = imap_async::ConnectOptions::new("imap.example.org")
    ///     .login("bar@example.org", "passwd")
    ///     .compress(true);
    /// assert!(opts.compress);
    /// ```
    pub fn compress(mut self, on: bool) -> Self {
        self.compress = on;
        self
    }

    /// When to send ID (RFC 2971) right after login. The default, [`IdPolicy::Auto`],
    /// sends it only to servers that refuse to work without it (163.com); see
    /// [`IdPolicy`] for why it is not sent everywhere.
    ///
    /// ```
    /// use imap_async::{ConnectOptions, IdPolicy};
    ///
    /// let opts = ConnectOptions::new("imap.example.org").id_policy(IdPolicy::Always);
    /// assert_eq!(opts.id_policy, IdPolicy::Always);
    /// assert_eq!(ConnectOptions::new("x").id_policy, IdPolicy::Auto);
    /// ```
    pub fn id_policy(mut self, policy: IdPolicy) -> Self {
        self.id_policy = policy;
        self
    }

    /// Which server family the session talks to, instead of recognising it from the
    /// greeting, host name, capabilities and ID answer. The workarounds keyed on a family
    /// (see [`ServerIdentity`](crate::ServerIdentity)) follow this choice:
    /// [`ServerKind::Other`] turns all of them off, for a server that fixed its quirk or
    /// was recognised wrongly.
    ///
    /// ```
    /// use imap_async::{ConnectOptions, ServerKind};
    ///
    /// // A Yahoo account whose server now accepts SEARCH CHARSET.
    /// let opts = ConnectOptions::new("imap.mail.yahoo.com").server_kind(ServerKind::Other);
    /// assert_eq!(opts.server_kind, Some(ServerKind::Other));
    /// ```
    pub fn server_kind(mut self, kind: ServerKind) -> Self {
        self.server_kind = Some(kind);
        self
    }

    /// Log in with LOGIN.
    ///
    /// ```
    /// use imap_async::{Auth, ConnectOptions};
    ///
    /// let opts = ConnectOptions::new("imap.example.org").login("bar@example.org", "passwd");
    /// assert!(matches!(opts.auth, Some(Auth::Login { ref username, .. }) if username == "bar@example.org"));
    /// ```
    pub fn login(mut self, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.credentials = None;
        self.auth = Some(Auth::Login {
            username: username.into(),
            password: password.into(),
        });
        self
    }

    /// Log in with AUTHENTICATE PLAIN.
    ///
    /// ```
    /// use imap_async::{Auth, ConnectOptions};
    ///
    /// let opts = ConnectOptions::new("imap.example.org")
    ///     .plain_login(Some("shared@example.org".into()), "bar@example.org", "passwd");
    /// assert!(matches!(opts.auth, Some(Auth::Plain { authzid: Some(_), .. })));
    /// ```
    pub fn plain_login(
        mut self,
        authzid: Option<String>,
        username: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Self {
        self.credentials = None;
        self.auth = Some(Auth::Plain {
            authzid,
            username: username.into(),
            password: password.into(),
        });
        self
    }

    /// Log in with AUTHENTICATE XOAUTH2 and an OAuth 2.0 access token.
    ///
    /// ```
    /// let opts = imap_async::ConnectOptions::new("imap.gmail.com")
    ///     .oauth2("bar@gmail.com", "ya29.token");
    /// assert!(!format!("{opts:?}").contains("ya29"));
    /// ```
    pub fn oauth2(mut self, username: impl Into<String>, token: impl Into<Secret>) -> Self {
        self.credentials = None;
        self.auth = Some(Auth::OAuth2 {
            username: username.into(),
            token: token.into(),
        });
        self
    }

    /// Log in with AUTHENTICATE OAUTHBEARER (RFC 7628) and an OAuth 2.0 access token.
    ///
    /// ```
    /// use imap_async::{Auth, ConnectOptions};
    ///
    /// let opts = ConnectOptions::new("imap.example.org").oauthbearer("bar@example.org", "token");
    /// assert!(matches!(opts.auth, Some(Auth::OAuthBearer { .. })));
    /// assert!(!format!("{opts:?}").contains("token\""));
    /// ```
    pub fn oauthbearer(mut self, username: impl Into<String>, token: impl Into<Secret>) -> Self {
        self.credentials = None;
        self.auth = Some(Auth::OAuthBearer {
            username: username.into(),
            token: token.into(),
        });
        self
    }

    /// Ask `provider` for credentials at every connect and reconnect instead of using fixed
    /// ones: what a session that outlives an OAuth 2.0 access token needs. Replaces any
    /// credentials set before.
    ///
    /// ```
    /// use imap_async::credentials::credentials_fn;
    /// use imap_async::{Auth, ConnectOptions, Secret};
    ///
    /// let opts = ConnectOptions::new("imap.example.org").credentials(credentials_fn(|| async {
    ///     Ok(Auth::Login { username: "bar".into(), password: Secret::new("passwd") })
    /// }));
    /// assert!(opts.auth.is_none() && opts.credentials.is_some());
    /// ```
    pub fn credentials(self, provider: impl CredentialsProvider + 'static) -> Self {
        self.credentials_provider(Arc::new(provider))
    }

    /// [`ConnectOptions::credentials`] with a provider already shared.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use imap_async::{Auth, ConnectOptions, Secret};
    ///
    /// let fixed = Arc::new(Auth::Login { username: "bar".into(), password: Secret::new("pw") });
    /// let opts = ConnectOptions::new("imap.example.org").credentials_provider(fixed);
    /// assert!(opts.credentials.is_some());
    /// ```
    pub fn credentials_provider(mut self, provider: Arc<dyn CredentialsProvider>) -> Self {
        self.auth = None;
        self.credentials = Some(provider);
        self
    }

    /// The credentials provider: the one set with `credentials`, else the fixed `auth`.
    pub(crate) fn provider(&self) -> Option<Arc<dyn CredentialsProvider>> {
        if let Some(p) = &self.credentials {
            return Some(p.clone());
        }
        self.auth
            .clone()
            .map(|a| Arc::new(a) as Arc<dyn CredentialsProvider>)
    }

    /// The port that will be used.
    ///
    /// ```
    /// use imap_async::ConnectOptions;
    ///
    /// assert_eq!(ConnectOptions::new("h").effective_port(), 993);
    /// assert_eq!(ConnectOptions::new("h").starttls().effective_port(), 143);
    /// assert_eq!(ConnectOptions::new("h").port(10143).effective_port(), 10143);
    /// ```
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            Security::Tls => 993,
            Security::StartTls | Security::Plain => 143,
        })
    }

    /// The name the certificate is checked against.
    ///
    /// ```
    /// use imap_async::ConnectOptions;
    ///
    /// assert_eq!(ConnectOptions::new("imap.example.org").effective_server_name(), "imap.example.org");
    /// ```
    pub fn effective_server_name(&self) -> &str {
        self.tls_server_name.as_deref().unwrap_or(&self.host)
    }
}

/// How many unsolicited responses a session keeps by default (see
/// [`ConnectOptions::unsolicited_limit`]).
pub const DEFAULT_UNSOLICITED_LIMIT: usize = 10_000;

/// How [`Session::select_folder_with`](crate::Session::select_folder_with) opens a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SelectOptions {
    /// Send EXAMINE instead of SELECT: nothing in the folder changes, not even `\Seen` or
    /// `\Recent` (RFC 3501 §6.3.2). IMAPClient's `select_folder(f, readonly=True)`.
    pub readonly: bool,
    /// Add the `(CONDSTORE)` parameter (RFC 7162 §3.1.8), which enables CONDSTORE for the
    /// session and makes the server report `HIGHESTMODSEQ`. Needs the CONDSTORE capability.
    pub condstore: bool,
}

/// Builders: the struct is `#[non_exhaustive]` (SELECT parameters will be added), so it is
/// made from [`SelectOptions::default`] and these.
impl SelectOptions {
    /// EXAMINE instead of SELECT.
    ///
    /// ```
    /// use imap_async::SelectOptions;
    ///
    /// let o = SelectOptions::default().readonly(true).condstore(true);
    /// assert!(o.readonly && o.condstore);
    /// ```
    pub fn readonly(mut self, on: bool) -> Self {
        self.readonly = on;
        self
    }

    /// Add the `(CONDSTORE)` parameter.
    pub fn condstore(mut self, on: bool) -> Self {
        self.condstore = on;
        self
    }
}
