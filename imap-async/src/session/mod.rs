//! Sessions: [`Client`] before authentication, [`Session`] after. One file per command
//! family (`server` holds what the server is and what it is enabled for); `connection` is
//! the core they all share.

mod acl;
mod auth;
mod capabilities;
mod compress;
pub(crate) mod connection;
mod fetch;
mod folders;
mod idle;
mod lifetime;
mod messages;
mod metadata;
mod notify;
mod quota;
mod search;
mod server;
pub(crate) mod sync;

use crate::error::{Error, Result};
use crate::options::{ConnectOptions, Security};
use crate::proto::{Status, StatusText, Untagged};
use crate::transport::{self, Stream};

pub use crate::options::SelectOptions;
pub use crate::server_kind::{IdPolicy, ServerKind};
pub use acl::{AclEntry, ListRights};
pub use auth::{LoginError, LoginResult};
pub use capabilities::Capabilities;
use connection::Connection;
pub use connection::ConnectionState;
pub use fetch::{
    BatchOptions, Batches, Bodies, Body, BodyChunk, FetchAttr, FetchChanges, FetchItems,
    FetchStream, Fetched, batches,
};
pub use folders::{Folder, FolderStatus, SelectInfo, SpecialUse, StatusItems};
pub use idle::{Idle, IdleEvent, IdleOptions};
pub use lifetime::Reconnected;
pub use messages::{AppendMessage, AppendUid, CopyUid, Expunged};
pub use metadata::{Metadata, MetadataDepth, MetadataEntry, MetadataOptions};
pub use quota::Quota;
pub use search::{
    ESearchResult, SearchQuery, SearchResult, SearchReturn, SortCriterion, SortKey, ThreadAlgorithm,
};
pub use server::identity::{ServerId, ServerIdentity};
pub use server::{Namespace, Namespaces};
pub use sync::{FlagChange, SyncChanges, SyncResult, SyncState};

/// A connection that is not logged in yet. Log in with [`Client::login`] or
/// [`Client::authenticate_plain`] to get a [`Session`].
#[derive(Debug)]
pub struct Client {
    conn: Connection,
    greeting: StatusText,
}

/// A logged-in IMAP session.
///
/// Every command method sends one command and waits for its completion, with the
/// connection's command timeout on every read. Data the server sends that no command asked
/// for (new messages, flag changes by other clients, alerts) is kept, in order, for
/// [`Session::take_unsolicited`], up to [`ConnectOptions::unsolicited_limit`] responses
/// (beyond it the oldest are dropped, and [`Session::unsolicited_dropped`] counts them).
///
/// `Session` is `Send` and `Sync` (checked at compile time): it can move into a spawned
/// task, and a `&Session` can be shared; commands take `&mut self`, so one task drives a
/// connection at a time.
///
/// # Cancel safety
///
/// A command's future may be dropped at any await point: by `tokio::select!`, by
/// `tokio::time::timeout`, or because its task was aborted. What happens then depends on
/// how far the command got:
///
/// * **Before any of its bytes were written** (for example while the session was still
///   reading the rest of an earlier abandoned command): nothing was sent, the command has
///   no effect, and the session stays usable.
/// * **While its bytes were being written**, including while an APPEND waits for the
///   server's `+` before sending a message: the server holds half a command, which
///   nothing can complete or take back. The session is **unusable**: every later command
///   fails at once with [`Error::Unusable`] (`"a command was cancelled while it was being
///   sent"`), and [`Session::connection_state`] says
///   [`ConnectionState::Unusable`]. Drop the session and connect again, or call
///   [`Session::reconnect`].
/// * **After it was written**, while waiting for the answer: the server has the whole
///   command and **may still carry it out**. Its tag stays in flight; the next command
///   first reads the abandoned command's responses up to its tagged completion (within
///   the command timeout), so it never takes them for its own. Untagged data the
///   abandoned command caused (the `FETCH` flags of a STORE, the `EXPUNGE`s of an
///   EXPUNGE or MOVE) goes to [`Session::take_unsolicited`] (and is among what the next
///   [`Session::noop`] returns); its result (success or `NO`,
///   COPYUID, APPENDUID) is lost. A dropped STORE, COPY, MOVE, EXPUNGE, APPEND, CREATE,
///   DELETE or RENAME may therefore have happened or not: look (FETCH the flags, LIST the
///   folders, search by Message-ID) before doing it again.
///
/// Cancel-safe, and meant for `select!` loops: the `next()` futures of an IDLE stream
/// ([`Idle`]; [`Idle::check`] is built on it), of the watchers ([`Watch`],
/// [`AccountWatch`]) and of a [`FetchStream`]: their state lives in the stream, not in
/// the future, so a dropped `next()` loses no event and the next call resumes where it
/// stopped. Dropping a [`FetchStream`] or an [`Idle`] altogether is safe too: the
/// session's next command reads the rest of the fetch (discarding its messages) or ends
/// the IDLE first. A command future itself is not cancel-safe in the `select!` sense:
/// dropping it never corrupts the session's view of the protocol, but the command may be
/// half-sent (unusable session) or carried out without its result being seen.
///
/// [`Watch`]: crate::Watch
/// [`AccountWatch`]: crate::AccountWatch
#[derive(Debug)]
pub struct Session {
    conn: Connection,
    /// The options this session was opened with (by [`Session::connect`]), kept so that it
    /// can connect again with the same options and credentials source.
    origin: Option<std::sync::Arc<ConnectOptions>>,
}

impl Client {
    /// Connect as `opts` says: TCP, then implicit TLS or STARTTLS, then the greeting. Does
    /// not log in (see [`Session::connect`] for that).
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// use imap_async::{Client, ConnectOptions};
    /// let opts = ConnectOptions::new("imap.example.org").starttls();
    /// let client = Client::connect(&opts).await?;
    /// assert!(client.is_tls());
    /// let session = client.login("bar@example.org", "passwd").await?;
    /// session.logout().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(opts: &ConnectOptions) -> Result<Client> {
        let port = opts.effective_port();
        let peer = format!("{}:{}", opts.host, port);
        let tcp = transport::connect_tcp(&opts.host, port, opts.connect_timeout).await?;
        let peer_ip = tcp.peer_addr().ok().map(|a| a.ip());
        let stream = match opts.security {
            Security::Tls => {
                let name = opts.effective_server_name();
                transport::tls_handshake(tcp, name, &opts.tls, opts.connect_timeout).await?
            }
            Security::StartTls | Security::Plain => Stream::plain(tcp),
        };
        let mut conn = Connection::new(stream, peer, opts.limits, opts.command_timeout);
        conn.response_timeout = opts.response_timeout;
        conn.logout_timeout = opts.logout_timeout;
        conn.unsolicited.set_limit(opts.unsolicited_limit);
        conn.plaintext_credentials_ok =
            plaintext_credentials_allowed(peer_ip, opts.allow_plaintext_login);
        conn.id_policy = opts.id_policy;
        let greeting = read_greeting(&mut conn, opts).await?;
        conn.identity = ServerIdentity::detect(
            &opts.host,
            &String::from_utf8_lossy(&greeting.text),
            conn.capabilities.as_ref(),
        );
        match opts.server_kind {
            Some(kind) => {
                conn.identity.kind = kind;
                conn.kind_fixed = true;
                tracing::debug!(server = kind.label(), "server family set by the options");
            }
            None => tracing::debug!(
                server = conn.identity.kind.label(),
                "server recognised from greeting and host name"
            ),
        }
        let mut client = Client { conn, greeting };
        if opts.security == Security::StartTls {
            client = client.starttls(opts).await?;
        }
        Ok(client)
    }

    /// Connect to `host` on port 993 with TLS and the default options.
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// let mut session = imap_async::Client::connect_tls("imap.example.org")
    ///     .await?
    ///     .login("bar@example.org", "passwd")
    ///     .await?;
    /// let inbox = session.select_folder("INBOX").await?;
    /// println!("{} messages", inbox.exists);
    /// session.logout().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect_tls(host: &str) -> Result<Client> {
        Client::connect(&ConnectOptions::new(host)).await
    }

    /// The server's greeting (`* OK ...` or `* PREAUTH ...`).
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// let client = imap_async::Client::connect_tls("imap.example.org").await?;
    /// println!("server says: {}", String::from_utf8_lossy(&client.greeting().text));
    /// # Ok(())
    /// # }
    /// ```
    pub fn greeting(&self) -> &StatusText {
        &self.greeting
    }

    /// Which server this is, as far as the greeting, the host name and the capabilities
    /// tell (see [`ServerIdentity`]).
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// use imap_async::ServerKind;
    /// let client = imap_async::Client::connect_tls("imap.gmail.com").await?;
    /// assert_eq!(client.server_identity().kind, ServerKind::Gmail);
    /// # Ok(())
    /// # }
    /// ```
    pub fn server_identity(&self) -> &ServerIdentity {
        &self.conn.identity
    }

    /// Whether the connection is encrypted.
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// let client = imap_async::Client::connect_tls("imap.example.org").await?;
    /// assert!(client.is_tls());
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_tls(&self) -> bool {
        self.conn.is_tls()
    }

    /// Upgrade to TLS with STARTTLS (RFC 3501 §6.2.1, RFC 2595). Fails closed: if the server
    /// does not offer STARTTLS, this is an error and nothing is sent. Capabilities learnt
    /// before TLS are forgotten and asked for again over TLS.
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// use imap_async::{Client, ConnectOptions};
    /// // Plain TCP first, then upgrade by hand (`.starttls()` on the options does both at once).
    /// let opts = ConnectOptions::new("imap.example.org").plaintext();
    /// let client = Client::connect(&opts).await?.starttls(&opts).await?;
    /// assert!(client.is_tls());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn starttls(mut self, opts: &ConnectOptions) -> Result<Client> {
        if self.conn.is_tls() {
            return Err(Error::invalid(
                "STARTTLS",
                "the connection already uses TLS",
            ));
        }
        if !self.capabilities().await?.has("STARTTLS") {
            return Err(Error::StartTlsNotOffered);
        }
        let cmd = self.conn.encoder("STARTTLS").finish();
        self.conn.execute(cmd, &mut |u| Some(u)).await?;
        if self.conn.buffered() > 0 {
            // RFC 2595 §3.1 / CVE-2011-0411-style injection: bytes that arrived before the
            // handshake must not be read as if they came over TLS.
            return Err(Error::Protocol(
                "the server sent data after its STARTTLS answer, before the TLS handshake".into(),
            ));
        }
        let peer = self.conn.peer.clone();
        let greeting = self.greeting;
        let identity = std::mem::take(&mut self.conn.identity);
        let (id_policy, kind_fixed) = (self.conn.id_policy, self.conn.kind_fixed);
        let Ok(tcp) = self.conn.into_stream().into_plain() else {
            return Err(Error::invalid(
                "STARTTLS",
                "the connection already uses TLS",
            ));
        };
        let name = opts.effective_server_name();
        let stream = transport::tls_handshake(tcp, name, &opts.tls, opts.connect_timeout).await?;
        let mut conn = Connection::new(stream, peer, opts.limits, opts.command_timeout);
        conn.response_timeout = opts.response_timeout;
        conn.logout_timeout = opts.logout_timeout;
        conn.identity = identity;
        conn.id_policy = id_policy;
        conn.kind_fixed = kind_fixed;
        Ok(Client { conn, greeting })
    }

    /// The server's capabilities: cached from the greeting or the last answer, asked for
    /// with CAPABILITY when unknown.
    ///
    /// ```no_run
    /// # async fn run(client: &mut imap_async::Client) -> imap_async::Result<()> {
    /// if client.capabilities().await?.has_auth("PLAIN") {
    ///     println!("AUTHENTICATE PLAIN offered");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn capabilities(&mut self) -> Result<&Capabilities> {
        capabilities(&mut self.conn).await
    }

    /// Ask the server for its capabilities now (CAPABILITY), refreshing the cache.
    ///
    /// ```no_run
    /// # async fn run(client: &mut imap_async::Client) -> imap_async::Result<()> {
    /// let caps = client.refresh_capabilities().await?;
    /// println!("{:?}", caps.iter().collect::<Vec<_>>());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn refresh_capabilities(&mut self) -> Result<&Capabilities> {
        refresh_capabilities(&mut self.conn).await
    }

    /// NOOP: does nothing, but lets the server send pending data.
    ///
    /// ```no_run
    /// # async fn run(client: &mut imap_async::Client) -> imap_async::Result<()> {
    /// client.noop().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn noop(&mut self) -> Result<()> {
        let cmd = self.conn.encoder("NOOP").finish();
        self.conn.execute(cmd, &mut |u| Some(u)).await.map(drop)
    }

    /// When the greeting was `PREAUTH`, the connection is already authenticated: the
    /// session, or the client back when it was not.
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// let client = imap_async::Client::connect_tls("imap.example.org").await?;
    /// let session = match client.into_preauthenticated() {
    ///     Ok(session) => session,
    ///     Err(client) => client.login("bar@example.org", "passwd").await?,
    /// };
    /// session.logout().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_preauthenticated(self) -> Result<Session, Box<Client>> {
        if self.greeting.status == Status::PreAuth {
            let mut conn = self.conn;
            // As after a login, capabilities may name the server (ID is not sent here:
            // this call does no I/O; `Session::id` sends it).
            if let Some(caps) = conn.capabilities.as_ref()
                && !conn.kind_fixed
            {
                conn.identity.note_capabilities(caps);
            }
            Ok(Session { conn, origin: None })
        } else {
            Err(Box::new(self))
        }
    }

    /// LOGOUT without logging in.
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// let client = imap_async::Client::connect_tls("imap.example.org").await?;
    /// println!("{}", String::from_utf8_lossy(&client.greeting().text));
    /// client.logout().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn logout(mut self) -> Result<()> {
        logout(&mut self.conn).await
    }
}

impl Session {
    /// Connect and log in as `opts` say ([`ConnectOptions::auth`] must be set).
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// use imap_async::{ConnectOptions, Session};
    /// let opts = ConnectOptions::new("imap.example.org").login("bar@example.org", "passwd");
    /// let mut session = Session::connect(&opts).await?;
    /// session.select_folder("INBOX").await?;
    /// session.logout().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(opts: &ConnectOptions) -> Result<Session> {
        // Boxed: connecting (TLS handshake, login, retries) is a large future, and a task
        // that connects and then watches for days would otherwise keep its size.
        let mut session = Box::pin(Session::open(opts)).await?;
        session.origin = Some(std::sync::Arc::new(opts.clone()));
        Ok(session)
    }

    /// Connect and log in, asking the credentials provider once more when it says fresh
    /// credentials may help (for [`Session::connect`] and [`Session::reconnect`]).
    pub(crate) async fn open(opts: &ConnectOptions) -> Result<Session> {
        // Asked for, but not built in: say so before connecting, rather than quietly
        // running uncompressed.
        #[cfg(not(feature = "compress"))]
        if opts.compress {
            return Err(Error::invalid(
                "connection options",
                "compress is set, but COMPRESS=DEFLATE is not built in: enable the \
                 `compress` feature of imap-async",
            ));
        }
        let Some(provider) = opts.provider() else {
            return Err(Error::invalid(
                "connection options",
                "no credentials (auth or credentials) given",
            ));
        };
        let auth = provider.credentials().await?;
        let (e, client) = match Client::connect(opts).await?.authenticate(&auth).await {
            Ok(session) => return Session::compress_if_asked(session, opts).await,
            Err(failed) => failed.into_parts(),
        };
        // The provider decides whether fresh credentials may work (an access token the
        // server considers expired); a refused password is never tried again.
        if !(e.is_auth_failed() && provider.refused(&e).await) {
            return Err(e);
        }
        tracing::debug!(error = %e, "credentials refused; asking the provider again");
        let auth = provider.credentials().await?;
        // After a NO the connection is still open and not authenticated (RFC 3501
        // §6.2.2, §6.2.3), so the second try goes on it, without a new TCP and TLS
        // handshake; a server that closed it after the refusal gets a new connection.
        let second = match client {
            Some(client) => match client.authenticate(&auth).await {
                Err(failed) if failed.error().is_connection_lost() => {
                    Client::connect(opts).await?.authenticate(&auth).await
                }
                other => other,
            },
            None => Client::connect(opts).await?.authenticate(&auth).await,
        };
        match second {
            Ok(session) => Session::compress_if_asked(session, opts).await,
            Err(failed) => {
                let e2 = failed.into_error();
                if e2.is_auth_failed() {
                    // Tell the provider about the second refusal too, so that it drops
                    // what it cached, but do not try a third time.
                    let _ = provider.refused(&e2).await;
                }
                Err(e2)
            }
        }
    }

    /// COMPRESS=DEFLATE (RFC 4978) right after login when the options ask for it and the
    /// server offers it.
    #[cfg_attr(not(feature = "compress"), allow(unused_mut, unused_variables))]
    async fn compress_if_asked(mut session: Session, opts: &ConnectOptions) -> Result<Session> {
        #[cfg(feature = "compress")]
        if opts.compress && session.has_capability("COMPRESS=DEFLATE").await? {
            session.compress().await?;
        }
        Ok(session)
    }

    /// The options this session was opened with, when it was opened by
    /// [`Session::connect`] (a session logged in by hand from a [`Client`] has none).
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// use imap_async::{ConnectOptions, Session};
    /// let opts = ConnectOptions::new("imap.example.org").login("bar@example.org", "passwd");
    /// let session = Session::connect(&opts).await?;
    /// assert_eq!(session.connect_options().map(|o| o.host.as_str()), Some("imap.example.org"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn connect_options(&self) -> Option<&ConnectOptions> {
        self.origin.as_deref()
    }

    /// The server's capabilities (cached; refreshed after login).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::Capability;
    /// let caps = session.capabilities().await?;
    /// println!("IMAP4rev2: {}, MOVE: {}", caps.is_rev2(), caps.has(Capability::Move));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn capabilities(&mut self) -> Result<&Capabilities> {
        capabilities(&mut self.conn).await
    }

    /// Whether the server advertises a capability (a [`Capability`](crate::Capability)
    /// or its name), or IMAP4rev2 implies it.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::Capability;
    /// if session.has_capability(Capability::Condstore).await? {
    ///     session.enable([Capability::Condstore]).await?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn has_capability(
        &mut self,
        capability: impl Into<crate::proto::Capability>,
    ) -> Result<bool> {
        Ok(self.capabilities().await?.has(capability))
    }

    /// Ask the server for its capabilities now (CAPABILITY).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::Capability;
    /// let has_sort = session.refresh_capabilities().await?.has(Capability::Sort);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn refresh_capabilities(&mut self) -> Result<&Capabilities> {
        refresh_capabilities(&mut self.conn).await
    }

    /// NOOP (RFC 3501 §6.1.2): lets the server report changes. Returns every unsolicited
    /// response received so far, this NOOP's included, and empties the queue.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.select_folder("INBOX").await?;
    /// for change in session.noop().await? {
    ///     println!("{change:?}");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn noop(&mut self) -> Result<Vec<Untagged>> {
        let cmd = self.conn.encoder("NOOP").finish();
        self.conn.execute(cmd, &mut |u| Some(u)).await?;
        Ok(self.conn.take_unsolicited())
    }

    /// Take every unsolicited response received so far (EXISTS, EXPUNGE, FETCH of flags
    /// changed elsewhere, ALERT, ...), oldest first.
    ///
    /// The queue is bounded ([`ConnectOptions::unsolicited_limit`]): when it is full the
    /// oldest responses are dropped and counted by [`Session::unsolicited_dropped`], which
    /// tells the caller to resynchronise.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.select_folder("INBOX").await?;
    /// for u in session.take_unsolicited() {
    ///     println!("the server also said: {u:?}");
    /// }
    /// assert_eq!(session.unsolicited_len(), 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn take_unsolicited(&mut self) -> Vec<Untagged> {
        self.conn.take_unsolicited()
    }

    /// How many unsolicited responses are waiting.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// if session.unsolicited_len() > 0 {
    ///     let pending = session.take_unsolicited();
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn unsolicited_len(&self) -> usize {
        self.conn.unsolicited.len()
    }

    /// How many unsolicited responses were dropped, oldest first, because the queue was
    /// full ([`ConnectOptions::unsolicited_limit`], default 10,000), since this connection
    /// was opened (a reconnect starts a new count). A warning is logged when it happens.
    ///
    /// Any increase means changes were missed: what [`Session::take_unsolicited`] returns
    /// is no longer the whole story (a lost EXPUNGE shifts every later sequence number),
    /// so the caller must resynchronise (SELECT the folder again and re-read what it
    /// tracks, or a CONDSTORE/QRESYNC [`Session::sync`]).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let dropped_before = session.unsolicited_dropped();
    /// let changes = session.noop().await?;
    /// if session.unsolicited_dropped() > dropped_before {
    ///     // Too much arrived between two drains: start again from a fresh SELECT.
    ///     session.select_folder("INBOX").await?;
    /// }
    /// # let _ = changes;
    /// # Ok(())
    /// # }
    /// ```
    pub fn unsolicited_dropped(&self) -> u64 {
        self.conn.unsolicited.dropped()
    }

    /// Which server the session talks to: recognised from the greeting, the host name and
    /// the capabilities, and after login from the server's ID answer when ID was sent (see
    /// [`IdPolicy`]). The workarounds the session applies are keyed on
    /// [`ServerIdentity::kind`]; each is logged at debug level when used.
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// use imap_async::{ConnectOptions, IdPolicy, Session};
    /// let opts = ConnectOptions::new("imap.example.org")
    ///     .login("bar@example.org", "passwd")
    ///     .id_policy(IdPolicy::Always);
    /// let session = Session::connect(&opts).await?;
    /// let who = session.server_identity();
    /// println!("{:?}: {:?} {:?}", who.kind, who.name, who.version);
    /// # Ok(())
    /// # }
    /// ```
    pub fn server_identity(&self) -> &ServerIdentity {
        &self.conn.identity
    }

    /// Whether the connection is encrypted.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// if !session.is_tls() {
    ///     eprintln!("warning: this session is not encrypted");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_tls(&self) -> bool {
        self.conn.is_tls()
    }

    /// Whether the session can still carry commands, as far as the client has seen (no
    /// I/O): [`ConnectionState::Closed`] once the server closed the connection or said
    /// BYE, [`ConnectionState::Unusable`] once the client gave up on it. A server that
    /// hung up on an idle session is noticed by the next command, which fails with
    /// [`Error::ConnectionClosed`] carrying the server's BYE text.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::ConnectionState;
    /// match session.connection_state() {
    ///     ConnectionState::Open => { session.noop().await?; }
    ///     ConnectionState::Closed { bye } => println!("closed by the server: {bye:?}"),
    ///     other => println!("reconnect: {other:?}"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn connection_state(&self) -> ConnectionState {
        self.conn.state()
    }

    /// True once no command can succeed on this session any more (the server closed the
    /// connection, or the client gave up on it): reconnect. Same as
    /// `connection_state() != ConnectionState::Open`.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// if let Err(e) = session.noop().await {
    ///     if session.is_closed() {
    ///         eprintln!("reconnecting after: {e}");
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.conn.state() != ConnectionState::Open
    }

    /// LOGOUT (RFC 3501 §6.1.3), then close the connection.
    ///
    /// Bounded by [`ConnectOptions::logout_timeout`] as a whole, including reading the
    /// rest of any command abandoned before (a timed-out or dropped command). On a
    /// connection already closed or unusable nothing is sent: the socket is closed and
    /// the error that made it so returned at once.
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// let mut session = imap_async::Client::connect_tls("imap.example.org")
    ///     .await?
    ///     .login("bar@example.org", "passwd")
    ///     .await?;
    /// session.select_folder("INBOX").await?;
    /// session.logout().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn logout(mut self) -> Result<()> {
        logout(&mut self.conn).await
    }

    /// LOGOUT with an overall deadline; the socket is closed whatever happens.
    pub(crate) async fn logout_within(mut self, deadline: std::time::Duration) -> Result<()> {
        self.conn.logout_timeout = deadline;
        logout(&mut self.conn).await
    }
}

async fn read_greeting(conn: &mut Connection, opts: &ConnectOptions) -> Result<StatusText> {
    let waiting_for = format!("the greeting of {}", conn.peer);
    let response = tokio::time::timeout(opts.connect_timeout, conn.read_response(&waiting_for))
        .await
        .map_err(|_| Error::Timeout {
            waiting_for: waiting_for.clone(),
            after: opts.connect_timeout,
        })??;
    match response {
        crate::proto::Response::Untagged(Untagged::Status(st)) => match st.status {
            Status::Ok | Status::PreAuth => {
                if let Some(crate::proto::ResponseCode::Capability(caps)) = &st.code {
                    conn.capabilities = Some(Capabilities::from_atoms(caps));
                }
                Ok(st)
            }
            Status::Bye => Err(connection::bye_error(&st)),
            _ => Err(Error::Protocol(format!(
                "greeting is not OK, PREAUTH or BYE: {}",
                String::from_utf8_lossy(&st.text)
            ))),
        },
        other => Err(Error::Protocol(format!(
            "expected a greeting, got {other:?}"
        ))),
    }
}

async fn capabilities(conn: &mut Connection) -> Result<&Capabilities> {
    if conn.capabilities.is_none() {
        refresh_capabilities(conn).await?;
    }
    conn.capabilities
        .as_ref()
        .ok_or_else(|| Error::Protocol("no CAPABILITY in the answer".into()))
}

async fn refresh_capabilities(conn: &mut Connection) -> Result<&Capabilities> {
    let cmd = conn.encoder("CAPABILITY").finish();
    let mut seen = false;
    // The connection core already stores CAPABILITY data; claim it so it is not queued.
    conn.execute(cmd, &mut |u| match u {
        Untagged::Capability(_) => {
            seen = true;
            None
        }
        other => Some(other),
    })
    .await?;
    if !seen {
        return Err(Error::Protocol(
            "CAPABILITY completed without capability data".into(),
        ));
    }
    conn.capabilities
        .as_ref()
        .ok_or_else(|| Error::Protocol("no CAPABILITY in the answer".into()))
}

/// LOGOUT within `conn.logout_timeout` in all: reading the rest of abandoned commands
/// first (see [`Connection::recover`]) counts, so a stalled server costs that bound once,
/// not another command timeout. A connection already known closed or unusable fails in
/// `recover` before anything is sent. The socket is closed whatever happens.
async fn logout(conn: &mut Connection) -> Result<()> {
    let deadline = conn.logout_timeout;
    let cmd = conn.encoder("LOGOUT").finish();
    let result = tokio::time::timeout(
        deadline,
        conn.execute_full(cmd, &mut |u| Some(u), None, true),
    )
    .await
    .unwrap_or_else(|_| {
        Err(Error::Timeout {
            waiting_for: "LOGOUT".into(),
            after: deadline,
        })
    });
    conn.shutdown().await;
    result.map(drop)
}

/// `"UID FETCH"` for a [`UidSet`](crate::UidSet), `"FETCH"` for a [`SeqSet`](crate::SeqSet):
/// the set's type picks the form of the command (RFC 3501 §6.4.8).
pub(crate) fn command_name<K: crate::proto::sequence::Id>(base: &str) -> String {
    if K::IS_UID {
        format!("UID {base}")
    } else {
        base.to_owned()
    }
}

impl Session {
    /// Fail before sending anything when the server does not advertise `capability`,
    /// naming the capability and the command that needed it.
    /// ENABLE may still be sent: no folder was selected on this connection yet (RFC 5161
    /// §3.1).
    pub(crate) fn may_enable(&self) -> bool {
        !self.conn.selected_once
    }

    /// QRESYNC is enabled on this connection.
    pub(crate) fn qresync_enabled(&self) -> bool {
        self.conn.qresync_enabled
    }

    pub(crate) async fn require(&mut self, capability: &str, needed_for: &str) -> Result<()> {
        if self.capabilities().await?.has(capability) {
            Ok(())
        } else {
            Err(Error::MissingCapability {
                capability: capability.to_owned(),
                needed_for: needed_for.to_owned(),
            })
        }
    }
}

/// Server text (a quota root, an ACL identifier or rights, a metadata entry name) as a
/// `String`, invalid UTF-8 replaced.
fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Whether credentials may go over this connection while it is unencrypted: only to this
/// machine (loopback), unless the user explicitly allowed it.
pub(crate) fn plaintext_credentials_allowed(peer: Option<std::net::IpAddr>, allowed: bool) -> bool {
    allowed || peer.is_some_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod plaintext_tests {
    use super::plaintext_credentials_allowed as ok;

    #[test]
    fn credentials_in_the_clear_only_to_loopback_unless_allowed() {
        assert!(ok(Some("127.0.0.1".parse().unwrap()), false));
        assert!(ok(Some("::1".parse().unwrap()), false));
        assert!(!ok(Some("192.0.2.7".parse().unwrap()), false));
        assert!(!ok(Some("2001:db8::1".parse().unwrap()), false));
        assert!(!ok(None, false));
        assert!(ok(Some("192.0.2.7".parse().unwrap()), true));
    }
}
