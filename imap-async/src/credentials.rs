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
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::options::Auth;

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

/// The provider of a [`crate::ConnectOptions`]: the one set with `credentials`, else
/// the fixed `auth`.
pub(crate) fn provider_of(opts: &crate::ConnectOptions) -> Option<Arc<dyn CredentialsProvider>> {
    if let Some(p) = &opts.credentials {
        return Some(p.clone());
    }
    opts.auth
        .clone()
        .map(|a| Arc::new(a) as Arc<dyn CredentialsProvider>)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Secret;

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
