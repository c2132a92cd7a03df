//! Authentication: LOGIN (RFC 3501 §6.2.3) and AUTHENTICATE (RFC 3501 §6.2.2) with PLAIN
//! (RFC 4616), XOAUTH2 and OAUTHBEARER (RFC 7628), and SASL-IR (RFC 4959). Credentials
//! never reach a log: the encoder redacts them and the SASL exchange is not traced.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::{Client, Session};
use crate::error::{Error, Result};
use crate::options::Auth;
use crate::proto::Continuation;

impl Client {
    /// LOGIN with a user name and password. Refused before sending anything when the server
    /// advertises LOGINDISABLED (typically: plaintext connection, use STARTTLS).
    ///
    /// Like every login method here, a failure is a [`LoginError`]: `?` makes it an
    /// [`Error`], and [`LoginError::into_client`] gives the client back for another try
    /// when the server refused with `NO` and kept the connection.
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// let mut session = imap_async::Client::connect_tls("imap.example.org")
    ///     .await?
    ///     .login("bar@example.org", "passwd")
    ///     .await?;
    /// session.logout().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn login(mut self, username: &str, password: &str) -> LoginResult {
        let sent = self.send_login(username, password).await;
        self.finish_login(sent).await
    }

    async fn send_login(&mut self, username: &str, password: &str) -> Result<()> {
        self.check_plaintext_credentials("LOGIN")?;
        if self.capabilities().await?.login_disabled() {
            return Err(Error::MissingCapability {
                capability: "LOGIN (the server advertises LOGINDISABLED; use TLS or STARTTLS)"
                    .into(),
                needed_for: "LOGIN".into(),
            });
        }
        let mut enc = self.conn.encoder("LOGIN");
        enc.astring("user name", username.as_bytes())?;
        enc.secret_astring("password", password.as_bytes())?;
        let cmd = enc.finish();
        // Capabilities change with authentication; whatever the OK carries replaces them.
        self.conn.capabilities = None;
        self.conn.execute(cmd, &mut |u| Some(u)).await?;
        Ok(())
    }

    /// AUTHENTICATE PLAIN (RFC 4616) with an optional authorization identity; the initial
    /// response goes on the command line when the server offers SASL-IR (RFC 4959).
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// // Log in as the administrator "admin", acting as the user "bar" (authzid).
    /// let session = imap_async::Client::connect_tls("imap.example.org")
    ///     .await?
    ///     .authenticate_plain(Some("bar@example.org"), "admin", "admin-passwd")
    ///     .await?;
    /// session.logout().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn authenticate_plain(
        self,
        authzid: Option<&str>,
        username: &str,
        password: &str,
    ) -> LoginResult {
        let mut message = Vec::new();
        message.extend_from_slice(authzid.unwrap_or("").as_bytes());
        message.push(0);
        message.extend_from_slice(username.as_bytes());
        message.push(0);
        message.extend_from_slice(password.as_bytes());
        self.authenticate_sasl("PLAIN", Some(message), |_| {
            Err(Error::Protocol("PLAIN takes no challenge".into()))
        })
        .await
    }

    /// Any SASL mechanism: `initial` is the client's first message (sent with SASL-IR when
    /// offered, else after the first empty challenge); `respond` answers each further
    /// challenge (already base64-decoded) with the raw bytes to send.
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// // AUTHENTICATE EXTERNAL with an empty authorization identity.
    /// let session = imap_async::Client::connect_tls("imap.example.org")
    ///     .await?
    ///     .authenticate_sasl("EXTERNAL", Some(Vec::new()), |challenge| {
    ///         Err(imap_async::Error::Protocol(format!("unexpected challenge {challenge:?}")))
    ///     })
    ///     .await?;
    /// session.logout().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn authenticate_sasl(
        mut self,
        mechanism: &str,
        initial: Option<Vec<u8>>,
        respond: impl FnMut(&[u8]) -> Result<Vec<u8>> + Send,
    ) -> LoginResult {
        let sent = self.send_authenticate(mechanism, initial, respond).await;
        self.finish_login(sent).await
    }

    /// The AUTHENTICATE exchange, up to and including its tagged completion.
    async fn send_authenticate(
        &mut self,
        mechanism: &str,
        initial: Option<Vec<u8>>,
        mut respond: impl FnMut(&[u8]) -> Result<Vec<u8>> + Send,
    ) -> Result<()> {
        self.check_plaintext_credentials("AUTHENTICATE")?;
        let caps = self.capabilities().await?;
        if !caps.has_auth(mechanism) {
            return Err(Error::MissingCapability {
                capability: format!("AUTH={}", mechanism.to_ascii_uppercase()),
                needed_for: "AUTHENTICATE".into(),
            });
        }
        let sasl_ir = caps.has("SASL-IR");
        let mut enc = self.conn.encoder("AUTHENTICATE");
        enc.atom("SASL mechanism", mechanism)?;
        let mut pending_initial = None;
        match initial {
            // RFC 4959: an empty initial response is sent as "=".
            Some(msg) if sasl_ir && msg.is_empty() => {
                enc.raw("=");
            }
            Some(msg) if sasl_ir => {
                enc.secret_raw(&BASE64.encode(&msg));
            }
            other => pending_initial = other,
        }
        let cmd = enc.finish();
        self.conn.capabilities = None;
        let mut on_continuation = |c: &Continuation| -> Result<Vec<u8>> {
            if let Some(msg) = pending_initial.take() {
                return Ok(BASE64.encode(msg).into_bytes());
            }
            let challenge = BASE64
                .decode(c.text.trim_ascii())
                .map_err(|e| Error::Protocol(format!("SASL challenge is not valid base64: {e}")))?;
            Ok(BASE64.encode(respond(&challenge)?).into_bytes())
        };
        self.conn
            .execute_full(cmd, &mut |u| Some(u), Some(&mut on_continuation), false)
            .await?;
        Ok(())
    }

    /// AUTHENTICATE XOAUTH2 with an OAuth 2.0 access token (the mechanism of Gmail and
    /// Outlook.com: initial response `user=USER^Aauth=Bearer TOKEN^A^A`, sent with SASL-IR
    /// when the server offers it). Fails before sending when the server does not advertise
    /// `AUTH=XOAUTH2`.
    ///
    /// When the server refuses the token it first sends an error as base64 JSON (e.g.
    /// `{"status":"401","schemes":"bearer","scope":"mail"}`); the client answers it with a
    /// single `0x01` byte (RFC 7628 §3.2.3) and the server then ends with `NO`. That is
    /// returned as [`Error::No`] (command `AUTHENTICATE`, code `AUTHENTICATIONFAILED`, so
    /// [`Error::is_auth_failed`] holds) whose `text` is the server's text followed by
    /// ` (server error: JSON)` with the decoded JSON. The token never appears in the error,
    /// in `Debug` output or in logs.
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// let session = imap_async::Client::connect_tls("imap.gmail.com")
    ///     .await?
    ///     .oauth2_login("bar@gmail.com", "ya29.access-token")
    ///     .await?;
    /// session.logout().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn oauth2_login(self, username: &str, access_token: &str) -> LoginResult {
        let checked = check_oauth_text("OAuth user name", username)
            .and_then(|()| check_bearer_token(access_token));
        if let Err(e) = checked {
            return Err(LoginError::new(self, e));
        }
        let mut msg = Vec::with_capacity(username.len() + access_token.len() + 24);
        msg.extend_from_slice(b"user=");
        msg.extend_from_slice(username.as_bytes());
        msg.extend_from_slice(b"\x01auth=Bearer ");
        msg.extend_from_slice(access_token.as_bytes());
        msg.extend_from_slice(b"\x01\x01");
        self.authenticate_oauth("XOAUTH2", msg).await
    }

    /// AUTHENTICATE OAUTHBEARER (RFC 7628 §3.1) with an OAuth 2.0 access token: initial
    /// response `n,a=USER,^Ahost=HOST^Aport=PORT^Aauth=Bearer TOKEN^A^A`, where `host`
    /// and `port` name the server being connected to. Failures are reported as for
    /// [`Client::oauth2_login`] (the JSON is e.g. `{"status":"invalid_token"}`).
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// let session = imap_async::Client::connect_tls("imap.example.org")
    ///     .await?
    ///     .oauthbearer_login("bar@example.org", "access-token", "imap.example.org", 993)
    ///     .await?;
    /// session.logout().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn oauthbearer_login(
        self,
        username: &str,
        token: &str,
        host: &str,
        port: u16,
    ) -> LoginResult {
        let checked = check_oauth_text("OAuth user name", username)
            .and_then(|()| check_oauth_text("OAuth host", host))
            .and_then(|()| check_bearer_token(token));
        if let Err(e) = checked {
            return Err(LoginError::new(self, e));
        }
        // RFC 7628 §3.1: `gs2-header = "n," ["a=" saslname] ","`; in a saslname "=" and
        // "," are written "=3D" and "=2C" (RFC 5801 §4).
        let user = username.replace('=', "=3D").replace(',', "=2C");
        let mut msg = Vec::new();
        msg.extend_from_slice(b"n,a=");
        msg.extend_from_slice(user.as_bytes());
        msg.extend_from_slice(b",\x01host=");
        msg.extend_from_slice(host.as_bytes());
        msg.extend_from_slice(format!("\x01port={port}\x01auth=Bearer ").as_bytes());
        msg.extend_from_slice(token.as_bytes());
        msg.extend_from_slice(b"\x01\x01");
        self.authenticate_oauth("OAUTHBEARER", msg).await
    }

    /// The OAuth exchange shared by XOAUTH2 and OAUTHBEARER: a challenge after the
    /// initial response is the server's error (RFC 7628 §3.2.2), answered with `%x01`
    /// (§3.2.3) so that the server ends the command; its JSON goes into the `NO` error.
    async fn authenticate_oauth(mut self, mechanism: &str, initial: Vec<u8>) -> LoginResult {
        let mut server_error: Option<String> = None;
        let result = self
            .send_authenticate(mechanism, Some(initial), |challenge| {
                if server_error.is_some() {
                    return Err(Error::Protocol(format!(
                        "{mechanism}: a second challenge after the server's error"
                    )));
                }
                server_error = Some(String::from_utf8_lossy(challenge).into_owned());
                Ok(vec![0x01])
            })
            .await;
        let sent = match (result, server_error) {
            (
                Err(Error::No {
                    command,
                    code,
                    text,
                }),
                Some(json),
            ) => {
                // RFC 7628 §3.2.2: the error carries status, scope and
                // openid-configuration, never the token; it is passed on as sent.
                Err(Error::No {
                    command,
                    code,
                    text: format!("{text} (server error: {json})"),
                })
            }
            (result, _) => result,
        };
        self.finish_login(sent).await
    }

    /// Refuse, before anything is sent, to put credentials on an unencrypted connection to
    /// another machine unless the options allowed it.
    fn check_plaintext_credentials(&self, command: &str) -> Result<()> {
        if self.conn.is_tls() || self.conn.plaintext_credentials_ok {
            return Ok(());
        }
        Err(Error::invalid(
            command,
            format!(
                "refusing to send credentials unencrypted to {}; use TLS or STARTTLS, or \
                 ConnectOptions::danger_allow_plaintext_login",
                self.conn.peer
            ),
        ))
    }

    /// Log in as `auth` says.
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// use imap_async::{Auth, Client};
    /// let auth = Auth::Login { username: "bar@example.org".into(), password: "passwd".into() };
    /// let session = Client::connect_tls("imap.example.org").await?.authenticate(&auth).await?;
    /// session.logout().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn authenticate(self, auth: &Auth) -> LoginResult {
        match auth {
            Auth::OAuth2 { username, token } => self.oauth2_login(username, token.expose()).await,
            Auth::OAuthBearer { username, token } => {
                // The connection's own host and port (`peer` is "host:port").
                let Some((host, port)) = self
                    .conn
                    .peer
                    .rsplit_once(':')
                    .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
                else {
                    let e = Error::invalid("OAUTHBEARER", "unknown server address");
                    return Err(LoginError::new(self, e));
                };
                self.oauthbearer_login(username, token.expose(), &host, port)
                    .await
            }
            Auth::Login { username, password } => self.login(username, password.expose()).await,
            Auth::Plain {
                authzid,
                username,
                password,
            } => {
                self.authenticate_plain(authzid.as_deref(), username, password.expose())
                    .await
            }
        }
    }

    /// The end of every login method: on success the session (see
    /// [`Client::after_login`]); on failure the error, with the client when its connection
    /// is still open and not authenticated.
    async fn finish_login(self, sent: Result<()>) -> LoginResult {
        match sent {
            Ok(()) => self.after_login().await.map_err(LoginError::without_client),
            Err(e) => Err(LoginError::new(self, e)),
        }
    }

    /// After authentication the capabilities may change (RFC 3501 §6.2.2): keep those sent
    /// with the tagged OK, or forget them so they are asked for again.
    async fn after_login(self) -> Result<Session> {
        let mut session = Session {
            conn: self.conn,
            origin: None,
        };
        if session.conn.capabilities.is_none() {
            session.refresh_capabilities().await?;
        }
        if let Some(caps) = session.conn.capabilities.as_ref()
            && !session.conn.kind_fixed
        {
            session.conn.identity.note_capabilities(caps);
        }
        session.send_id_after_login().await?;
        Ok(session)
    }
}

/// What every login method of [`Client`] returns: the session, or a [`LoginError`] that
/// hands the client back when its connection can still be used.
pub type LoginResult = std::result::Result<Session, LoginError>;

/// A login that failed: the [`Error`], and the [`Client`] back when its connection is
/// still open and not logged in (the server refused the credentials with `NO`, or nothing
/// was sent because an argument or a capability was missing), so that another login can
/// be tried without connecting again. After a lost connection, a timeout, or a failure
/// after the server had accepted the credentials, there is no client.
///
/// `?` turns it into the crate's [`Error`] (the client is then closed), so code that does
/// not retry reads as before. It is `Send` and `Sync` and holds no credentials: its `Debug`
/// shows the error and whether a client is held, never what was sent.
///
/// ```no_run
/// use imap_async::Client;
///
/// # async fn run() -> imap_async::Result<()> {
/// let client = Client::connect_tls("imap.example.org").await?;
/// let session = match client.login("bar@example.org", "typo").await {
///     Ok(session) => session,
///     Err(failed) if failed.error().is_auth_failed() => match failed.into_client() {
///         // Same connection, second try.
///         Some(client) => client.login("bar@example.org", "passwd").await?,
///         None => return Err(imap_async::Error::other("connection lost")),
///     },
///     Err(failed) => return Err(failed.into()),
/// };
/// session.logout().await?;
/// # Ok(())
/// # }
/// ```
pub struct LoginError {
    /// The client, when its connection can log in again. (`Client` is `Send` and `Sync`, so
    /// `LoginError` goes into `Box<dyn Error + Send + Sync>` or `anyhow::Error` by `?`.)
    client: Option<Client>,
    error: Error,
}

impl LoginError {
    /// Keep `client` if its connection can log in again after `error`.
    fn new(client: Client, error: Error) -> Self {
        let usable = !error.is_connection_lost()
            && client.conn.state() == super::ConnectionState::Open
            && client.conn.in_flight_is_empty();
        LoginError {
            client: usable.then_some(client),
            error,
        }
    }

    fn without_client(error: Error) -> Self {
        LoginError {
            client: None,
            error,
        }
    }

    /// Why the login failed.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The error alone (the client, if any, is closed).
    pub fn into_error(self) -> Error {
        self.error
    }

    /// True when [`LoginError::into_client`] would give a client back.
    pub fn has_client(&self) -> bool {
        self.client.is_some()
    }

    /// The client, still connected and not logged in, ready for another login; `None`
    /// when the connection could not be kept.
    pub fn into_client(self) -> Option<Client> {
        self.into_parts().1
    }

    /// The error and the client, if any.
    pub fn into_parts(self) -> (Error, Option<Client>) {
        (self.error, self.client)
    }
}

impl std::fmt::Debug for LoginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginError")
            .field("error", &self.error)
            .field("client_returned", &self.has_client())
            .finish()
    }
}

impl std::fmt::Display for LoginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for LoginError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}

impl From<LoginError> for Error {
    fn from(e: LoginError) -> Self {
        e.error
    }
}

/// No control characters in the fields of an OAuth message: `^A` separates them, and
/// CR/LF or NUL could end or corrupt it. The value is not repeated in the error.
fn check_oauth_text(what: &str, value: &str) -> Result<()> {
    if value.bytes().any(|b| b.is_ascii_control()) {
        return Err(Error::invalid(what, "contains a control character"));
    }
    Ok(())
}

/// A bearer token (RFC 6750 §2.1 `b64token`, checked leniently: any printable ASCII but
/// space). The token itself never goes into the error.
fn check_bearer_token(token: &str) -> Result<()> {
    if token.is_empty() {
        return Err(Error::invalid("OAuth access token", "it is empty"));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(
            "OAuth access token",
            "it contains a space, a control character or a non-ASCII character",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `?` from a login into the error types services use needs `Send + Sync + 'static`.
    #[test]
    fn a_login_error_goes_into_boxed_and_crate_errors() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<LoginError>();
        fn boxed(
            e: LoginError,
        ) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
            Err(e)?
        }
        fn crate_error(e: LoginError) -> Result<()> {
            Err(e)?
        }
        let failed = || {
            LoginError::without_client(Error::No {
                command: "LOGIN".into(),
                code: Some(crate::ResponseCode::AuthenticationFailed),
                text: "Authentication failed.".into(),
            })
        };
        let shown = boxed(failed()).unwrap_err().to_string();
        assert_eq!(
            shown,
            "server refused LOGIN: Authentication failed. [AUTHENTICATIONFAILED]"
        );
        assert!(crate_error(failed()).unwrap_err().is_auth_failed());
        let debug = format!("{:?}", failed());
        assert!(debug.contains("client_returned: false"), "{debug}");
        assert!(!failed().has_client());
    }

    #[test]
    fn oauth_fields_are_checked_without_echoing_them() {
        let err = check_bearer_token("tok en-secret").unwrap_err().to_string();
        assert!(!err.contains("secret"), "{err}");
        assert!(check_bearer_token("").is_err());
        assert!(check_bearer_token("ya29.a0-_~+/=").is_ok());
        assert!(check_oauth_text("OAuth user name", "bob\x01auth=x").is_err());
        assert!(check_oauth_text("OAuth user name", "bob@example.org").is_ok());
    }
}
