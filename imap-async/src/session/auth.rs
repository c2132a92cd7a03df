//! Authentication: LOGIN (RFC 3501 §6.2.3) and AUTHENTICATE (RFC 3501 §6.2.2) with PLAIN
//! (RFC 4616) and SASL-IR (RFC 4959). Credentials never reach a log: the encoder redacts
//! them and the SASL exchange is not traced.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::{Client, Session};
use crate::error::{Error, Result};
use crate::options::Auth;
use crate::proto::Continuation;

impl Client {
    /// LOGIN with a user name and password. Refused before sending anything when the server
    /// advertises LOGINDISABLED (typically: plaintext connection, use STARTTLS).
    pub async fn login(mut self, username: &str, password: &str) -> Result<Session> {
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
    pub async fn authenticate_sasl(
        mut self,
        mechanism: &str,
        initial: Option<Vec<u8>>,
        mut respond: impl FnMut(&[u8]) -> Result<Vec<u8>> + Send,
    ) -> Result<Session> {
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

    /// Log in as `auth` says.
    pub async fn authenticate(self, auth: &Auth) -> Result<Session> {
        match auth {
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
        let mut session = Session { conn: self.conn };
        if session.conn.capabilities.is_none() {
            session.refresh_capabilities().await?;
        }
        Ok(session)
    }
}
