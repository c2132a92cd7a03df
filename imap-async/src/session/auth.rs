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
    pub async fn login(mut self, username: &str, password: &str) -> Result<Session> {
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
        self.after_login().await
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
    ) -> Result<Session> {
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
        mut respond: impl FnMut(&[u8]) -> Result<Vec<u8>> + Send,
    ) -> Result<Session> {
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
        self.after_login().await
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
    pub async fn oauth2_login(self, username: &str, access_token: &str) -> Result<Session> {
        check_oauth_text("OAuth user name", username)?;
        check_bearer_token(access_token)?;
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
    ) -> Result<Session> {
        check_oauth_text("OAuth user name", username)?;
        check_oauth_text("OAuth host", host)?;
        check_bearer_token(token)?;
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
    async fn authenticate_oauth(self, mechanism: &str, initial: Vec<u8>) -> Result<Session> {
        let mut server_error: Option<String> = None;
        let result = self
            .authenticate_sasl(mechanism, Some(initial), |challenge| {
                if server_error.is_some() {
                    return Err(Error::Protocol(format!(
                        "{mechanism}: a second challenge after the server's error"
                    )));
                }
                server_error = Some(String::from_utf8_lossy(challenge).into_owned());
                Ok(vec![0x01])
            })
            .await;
        match (result, server_error) {
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
        }
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
    pub async fn authenticate(self, auth: &Auth) -> Result<Session> {
        match auth {
            Auth::OAuth2 { username, token } => self.oauth2_login(username, token.expose()).await,
            Auth::OAuthBearer { username, token } => {
                // The connection's own host and port (`peer` is "host:port").
                let (host, port) = self
                    .conn
                    .peer
                    .rsplit_once(':')
                    .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
                    .ok_or_else(|| Error::invalid("OAUTHBEARER", "unknown server address"))?;
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
