//! Where a connection's credentials come from.
//!
//! A session that lives for days reconnects, and an OAuth 2.0 access token lives about an
//! hour: credentials fixed when the options were built stop working long before the
//! program does. [`ConnectOptions::credentials`](crate::ConnectOptions::credentials) takes
//! a [`CredentialsProvider`] instead, which [`Session::connect`](crate::Session::connect),
//! [`Session::reconnect`](crate::Session::reconnect) and [`watch`](crate::watch) ask at every login.
//! A provider is told when the server refused what it gave
//! ([`CredentialsProvider::refused`]) and decides whether fresh credentials are worth one
//! more try: an access token the server considers expired is, a wrong password is not.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::error::{Error, Result};

/// A password or token. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a password or token.
    ///
    /// ```
    /// use imap_async::Secret;
    ///
    /// let s = Secret::new("passwd");
    /// assert_eq!(s.expose(), "passwd");
    /// assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
    /// ```
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value, for the one place that must send it.
    ///
    /// ```
    /// use imap_async::Secret;
    ///
    /// let s = Secret::from("token");
    /// assert_eq!(s.expose(), "token");
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

/// How [`crate::Session::connect`] and [`crate::with_session`] authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// The LOGIN command (RFC 3501 §6.2.3).
    Login {
        /// The user name, as the server knows it.
        username: String,
        /// The password (kept out of Debug output).
        password: Secret,
    },
    /// AUTHENTICATE PLAIN (RFC 4616), with an optional authorization identity.
    Plain {
        /// The identity to act as, if not the user's own (e.g. an admin acting as a
        /// user); `None` sends an empty authzid.
        authzid: Option<String>,
        /// The authentication identity.
        username: String,
        /// The password (kept out of Debug output).
        password: Secret,
    },
    /// AUTHENTICATE XOAUTH2 (Google's and Microsoft's OAuth 2.0 mechanism) with an access
    /// token.
    OAuth2 {
        /// The account's user name (usually the address).
        username: String,
        /// The OAuth 2.0 access token (not the refresh token).
        token: Secret,
    },
    /// AUTHENTICATE OAUTHBEARER (RFC 7628) with an access token; the host and port sent
    /// to the server are those of the connection.
    OAuthBearer {
        /// The account's user name, sent as the GS2 authzid.
        username: String,
        /// The OAuth 2.0 access token.
        token: Secret,
    },
}

/// Which SASL mechanism carries an OAuth 2.0 access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OAuthMechanism {
    /// AUTHENTICATE XOAUTH2 (Google, Microsoft, Yahoo). The default.
    #[default]
    XOAuth2,
    /// AUTHENTICATE OAUTHBEARER (RFC 7628).
    OAuthBearer,
}

impl OAuthMechanism {
    /// The credentials that log `username` in with `token` over this mechanism.
    ///
    /// ```
    /// use imap_async::credentials::OAuthMechanism;
    /// use imap_async::{Auth, Secret};
    ///
    /// let auth = OAuthMechanism::OAuthBearer.auth("bar@example.org", Secret::new("token"));
    /// assert!(matches!(auth, Auth::OAuthBearer { .. }));
    /// ```
    pub fn auth(self, username: impl Into<String>, token: Secret) -> Auth {
        let username = username.into();
        match self {
            OAuthMechanism::XOAuth2 => Auth::OAuth2 { username, token },
            OAuthMechanism::OAuthBearer => Auth::OAuthBearer { username, token },
        }
    }
}

/// A boxed future, as the provider methods return (the trait stays object safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Gives the credentials for each login: asked at every connect and reconnect.
///
/// Implement it for a vault, a token service or anything async; [`credentials_fn`] makes
/// one from a closure, and the configuration file's `oauth2` settings make one that
/// refreshes access tokens ([`crate::oauth::OAuth2Provider`]).
///
/// ```
/// use std::sync::Arc;
/// use imap_async::credentials::{BoxFuture, CredentialsProvider};
/// use imap_async::{Auth, ConnectOptions, Secret};
///
/// #[derive(Debug)]
/// struct FromEnv;
///
/// impl CredentialsProvider for FromEnv {
///     fn credentials(&self) -> BoxFuture<'_, imap_async::Result<Auth>> {
///         Box::pin(async {
///             let password = std::env::var("MAIL_PASSWORD").unwrap_or_default();
///             Ok(Auth::Login { username: "bar@example.org".into(), password: Secret::new(password) })
///         })
///     }
/// }
///
/// let opts = ConnectOptions::new("imap.example.org").credentials(FromEnv);
/// assert!(opts.credentials.is_some());
/// ```
pub trait CredentialsProvider: Send + Sync + fmt::Debug {
    /// The credentials for the next login. An error here ends the connection attempt
    /// with it (a watcher treats it like any connection failure: see
    /// [`Error::is_retryable`]).
    fn credentials(&self) -> BoxFuture<'_, Result<Auth>>;

    /// The server refused the credentials last given, with `error`. Return `true` when
    /// asking again may give credentials that work (drop a cached access token the server
    /// considers expired); the login is then tried once more. The default, `false`,
    /// suits a password: trying a refused password again only locks accounts.
    fn refused<'a>(&'a self, error: &'a Error) -> BoxFuture<'a, bool> {
        let _ = error;
        Box::pin(async { false })
    }
}

/// A provider that always gives the same credentials.
impl CredentialsProvider for Auth {
    fn credentials(&self) -> BoxFuture<'_, Result<Auth>> {
        let auth = self.clone();
        Box::pin(async move { Ok(auth) })
    }
}

/// A provider from a closure returning a future of credentials, asked at every login.
///
/// ```
/// use imap_async::credentials::credentials_fn;
/// use imap_async::{Auth, ConnectOptions, Secret};
///
/// let opts = ConnectOptions::new("imap.example.org").credentials(credentials_fn(|| async {
///     Ok(Auth::OAuth2 { username: "bar@example.org".into(), token: Secret::new("fresh-token") })
/// }));
/// assert!(!format!("{opts:?}").contains("fresh-token"));
/// ```
pub fn credentials_fn<F, Fut>(f: F) -> CredentialsFn<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Auth>> + Send + 'static,
{
    CredentialsFn(f)
}

/// See [`credentials_fn`].
pub struct CredentialsFn<F>(F);

impl<F> fmt::Debug for CredentialsFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialsFn(..)")
    }
}

impl<F, Fut> CredentialsProvider for CredentialsFn<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Auth>> + Send + 'static,
{
    fn credentials(&self) -> BoxFuture<'_, Result<Auth>> {
        Box::pin((self.0)())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn a_fixed_auth_is_its_own_provider_and_never_asks_again() {
        let auth = Auth::Login {
            username: "u".into(),
            password: Secret::new("p"),
        };
        assert_eq!(auth.credentials().await.unwrap(), auth);
        let e = Error::No {
            command: "LOGIN".into(),
            code: None,
            text: "no".into(),
        };
        assert!(!auth.refused(&e).await);
    }

    #[tokio::test]
    async fn a_closure_is_asked_at_every_login() {
        let n = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counter = n.clone();
        let p = credentials_fn(move || {
            let i = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move {
                Ok(Auth::OAuth2 {
                    username: "u".into(),
                    token: Secret::new(format!("t{i}")),
                })
            }
        });
        for want in ["t0", "t1"] {
            match p.credentials().await.unwrap() {
                Auth::OAuth2 { token, .. } => assert_eq!(token.expose(), want),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(format!("{p:?}"), "CredentialsFn(..)");
    }
}
