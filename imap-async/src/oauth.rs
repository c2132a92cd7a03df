//! OAuth 2.0 access tokens from a refresh token (RFC 6749 §6, the refresh-token grant),
//! with a process-wide cache, for XOAUTH2 and OAUTHBEARER (RFC 7628) logins.
//!
//! Needs the `oauth2` feature. Logging in with an access token obtained elsewhere
//! ([`ConnectOptions::oauth2`](crate::ConnectOptions::oauth2),
//! [`ConnectOptions::oauthbearer`](crate::ConnectOptions::oauthbearer)) does not.
//!
//! The HTTP client is `reqwest` over rustls (never OpenSSL) with the TLS configuration of
//! the IMAP connections (the system's trusted roots and the crypto provider chosen by
//! the `ring` / `aws-lc-rs` feature), no redirects, and a deadline on every request.
//! Access tokens, refresh tokens and client secrets are held in [`Secret`] and never
//! appear in logs, `Debug` output or errors.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, ClientId, ClientSecret, RefreshToken, RequestTokenError, TokenResponse, TokenUrl,
};

use crate::credentials::{BoxFuture, CredentialsProvider, OAuthMechanism, Secret};
/// Why no access token could be obtained (defined beside [`crate::Error`], which asks it
/// whether a failure may mend by itself).
pub use crate::error::OAuthError;
use crate::transport::TlsOptions;

/// Token endpoints of the providers whose IMAP host names are known, by host name
/// (compared without regard to case). Any other provider needs `oauth2_token_url`.
const KNOWN_TOKEN_URLS: &[(&str, &str)] = &[
    ("imap.gmail.com", "https://oauth2.googleapis.com/token"),
    ("imap.googlemail.com", "https://oauth2.googleapis.com/token"),
    (
        "imap.mail.yahoo.com",
        "https://api.login.yahoo.com/oauth2/get_token",
    ),
    (
        "outlook.office365.com",
        "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    ),
    (
        "outlook.office.com",
        "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    ),
    (
        "imap-mail.outlook.com",
        "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    ),
];

/// How long a token is kept when the endpoint does not say (`expires_in` absent).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// A cached token is refreshed this long before it expires (at most half its lifetime).
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// The token endpoint for a known IMAP host (Gmail, Yahoo, Outlook/Office 365).
///
/// ```
/// assert_eq!(
///     imap_async::oauth::token_url_for_host("IMAP.gmail.com"),
///     Some("https://oauth2.googleapis.com/token")
/// );
/// assert_eq!(imap_async::oauth::token_url_for_host("imap.example.org"), None);
/// ```
pub fn token_url_for_host(host: &str) -> Option<&'static str> {
    KNOWN_TOKEN_URLS
        .iter()
        .find(|(h, _)| h.eq_ignore_ascii_case(host.trim_end_matches('.')))
        .map(|(_, url)| *url)
}

/// What the refresh-token grant needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshParams {
    /// The provider's token endpoint (e.g. `https://oauth2.googleapis.com/token`).
    pub token_url: String,
    /// The OAuth client ID.
    pub client_id: String,
    /// The OAuth client secret, sent with each refresh request.
    pub client_secret: Secret,
    /// The long-lived refresh token exchanged for access tokens.
    pub refresh_token: Secret,
}

/// An access token and when it stops being usable.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The access token to send with XOAUTH2 or OAUTHBEARER.
    pub token: Secret,
    /// When the cache stops handing it out (shortly before the endpoint's `expires_in`).
    pub refresh_after: Instant,
}

type CacheKey = (String, String, String);

fn cache() -> &'static Mutex<HashMap<CacheKey, AccessToken>> {
    static CACHE: OnceLock<Mutex<HashMap<CacheKey, AccessToken>>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

fn key(p: &RefreshParams) -> CacheKey {
    (
        p.token_url.clone(),
        p.client_id.clone(),
        p.refresh_token.expose().to_owned(),
    )
}

/// A usable access token: the cached one while it has not expired, else a fresh one from
/// [`refresh_access_token`] (then cached). The `bool` is true when it came from the cache.
///
/// ```no_run
/// # async fn run() -> Result<(), imap_async::oauth::OAuthError> {
/// use std::time::Duration;
/// use imap_async::oauth::{access_token, RefreshParams};
///
/// let params = RefreshParams {
///     token_url: "https://oauth2.googleapis.com/token".into(),
///     client_id: "my-client.apps.googleusercontent.com".into(),
///     client_secret: "client-secret".into(),
///     refresh_token: "1//refresh".into(),
/// };
/// let (token, _from_cache) = access_token(&params, Duration::from_secs(30)).await?;
/// # let _ = token;
/// # Ok(())
/// # }
/// ```
pub async fn access_token(
    params: &RefreshParams,
    timeout: Duration,
) -> Result<(Secret, bool), OAuthError> {
    let k = key(params);
    if let Some(t) = cache().lock().unwrap_or_else(|e| e.into_inner()).get(&k)
        && Instant::now() < t.refresh_after
    {
        tracing::debug!(url = %params.token_url, "using the cached OAuth2 access token");
        return Ok((t.token.clone(), true));
    }
    let fresh = refresh_access_token(params, timeout).await?;
    let token = fresh.token.clone();
    cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(k, fresh);
    Ok((token, false))
}

/// Drop the cached access token for these parameters (for example after the server refused
/// it), so that the next [`access_token`] asks the endpoint.
///
/// ```
/// use imap_async::Secret;
/// use imap_async::oauth::RefreshParams;
///
/// let params = RefreshParams {
///     token_url: "https://oauth2.googleapis.com/token".into(),
///     client_id: "my-client".into(),
///     client_secret: Secret::new("client-secret"),
///     refresh_token: Secret::new("refresh-token"),
/// };
/// // After the server refused the cached token, make the next lookup ask the endpoint.
/// imap_async::oauth::forget_cached_token(&params);
/// ```
pub fn forget_cached_token(params: &RefreshParams) {
    cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&key(params));
}

/// Run the refresh-token grant (RFC 6749 §6) against `params.token_url`: a POST of
/// `grant_type=refresh_token`, `refresh_token`, `client_id` and `client_secret` in the form
/// body. The whole exchange must finish within `timeout`. Does not use or fill the cache.
///
/// ```no_run
/// use std::time::Duration;
/// use imap_async::Secret;
/// use imap_async::oauth::RefreshParams;
///
/// let params = RefreshParams {
///     token_url: "https://oauth2.googleapis.com/token".into(),
///     client_id: "my-client".into(),
///     client_secret: Secret::new("client-secret"),
///     refresh_token: Secret::new("refresh-token"),
/// };
/// # async fn run(params: RefreshParams) -> Result<(), imap_async::oauth::OAuthError> {
/// let token = imap_async::oauth::refresh_access_token(&params, Duration::from_secs(30)).await?;
/// println!("token is good for a while: {:?}", token.token);
/// # Ok(())
/// # }
/// ```
pub async fn refresh_access_token(
    params: &RefreshParams,
    timeout: Duration,
) -> Result<AccessToken, OAuthError> {
    let url = params.token_url.clone();
    let token_url = TokenUrl::new(url.clone()).map_err(|e| OAuthError::BadUrl {
        url: url.clone(),
        reason: e.to_string(),
    })?;
    let client = BasicClient::new(ClientId::new(params.client_id.clone()))
        .set_client_secret(ClientSecret::new(params.client_secret.expose().to_owned()))
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(token_url);
    // The TLS configuration of the IMAP connections (system roots, this build's crypto
    // provider): reqwest is built without a root store or provider of its own.
    let tls = crate::transport::client_config(&TlsOptions::default()).map_err(|e| {
        OAuthError::Unreachable {
            url: url.clone(),
            reason: format!("cannot set up TLS for the HTTP client: {e}"),
        }
    })?;
    let http = reqwest::ClientBuilder::new()
        .use_preconfigured_tls(rustls::ClientConfig::clone(&tls))
        // No redirects: a token endpoint that redirects is not followed (SSRF).
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
        .map_err(|e| OAuthError::Unreachable {
            url: url.clone(),
            reason: format!("cannot build the HTTP client: {e}"),
        })?;
    let refresh = RefreshToken::new(params.refresh_token.expose().to_owned());
    let started = Instant::now();
    let request = client.exchange_refresh_token(&refresh).request_async(&http);
    let response = match tokio::time::timeout(timeout, request).await {
        Err(_) => {
            return Err(OAuthError::Timeout {
                url,
                after: timeout,
            });
        }
        Ok(r) => r,
    };
    let response = response.map_err(|e| describe(e, &url, timeout))?;
    let lifetime = response.expires_in().unwrap_or(DEFAULT_LIFETIME);
    let margin = EXPIRY_MARGIN.min(lifetime / 2);
    tracing::debug!(url = %url, expires_in = ?response.expires_in(), "OAuth2 access token refreshed");
    Ok(AccessToken {
        token: Secret::new(response.access_token().secret().clone()),
        refresh_after: started + lifetime - margin,
    })
}

fn describe<RE: std::error::Error + 'static>(
    e: RequestTokenError<oauth2::HttpClientError<RE>, oauth2::basic::BasicErrorResponse>,
    url: &str,
    timeout: Duration,
) -> OAuthError {
    let url = url.to_owned();
    match e {
        RequestTokenError::ServerResponse(r) => OAuthError::Refused {
            url,
            error: r.error().to_string(),
            description: r.error_description().cloned(),
        },
        RequestTokenError::Request(e) => {
            // Walk the source chain for the useful part (connection refused, timed out...).
            let mut reason = e.to_string();
            let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
            let mut timed_out = false;
            while let Some(s) = source {
                let text = s.to_string();
                timed_out |= text.contains("timed out");
                reason = format!("{reason}: {text}");
                source = s.source();
            }
            if timed_out {
                OAuthError::Timeout {
                    url,
                    after: timeout,
                }
            } else {
                OAuthError::Unreachable { url, reason }
            }
        }
        // The body may hold a token: only the JSON path of the problem is reported.
        RequestTokenError::Parse(e, _body) => OAuthError::BadResponse {
            url,
            reason: format!("not a token response (problem at `{}`)", e.path()),
        },
        RequestTokenError::Other(text) => OAuthError::BadResponse { url, reason: text },
    }
}

/// Credentials from the refresh-token grant: an access token for every login, taken from
/// the cache while it is valid and refreshed shortly before it expires (a minute before,
/// or half way through a shorter lifetime). When the server refuses a token, the cached
/// one is dropped and the login is tried once more with a fresh one; a token fresh from
/// the endpoint that is refused too ends the attempt. Built by the configuration file's
/// `oauth2` settings ([`crate::ConfigSection::connect_options`]), or by hand:
///
/// ```
/// use std::time::Duration;
/// use imap_async::credentials::OAuthMechanism;
/// use imap_async::oauth::{OAuth2Provider, RefreshParams};
/// use imap_async::{ConnectOptions, Secret};
///
/// let params = RefreshParams {
///     token_url: "https://oauth2.googleapis.com/token".into(),
///     client_id: "my-client".into(),
///     client_secret: Secret::new("client-secret"),
///     refresh_token: Secret::new("refresh-token"),
/// };
/// let provider = OAuth2Provider::new(params, "bar@gmail.com", OAuthMechanism::XOAuth2)
///     .http_timeout(Duration::from_secs(20));
/// let opts = ConnectOptions::new("imap.gmail.com").credentials(provider);
/// assert!(!format!("{opts:?}").contains("refresh-token"));
/// ```
#[derive(Debug)]
pub struct OAuth2Provider {
    params: RefreshParams,
    username: String,
    mechanism: OAuthMechanism,
    timeout: Duration,
    /// The token last handed out came from the cache (so a refusal may mean it expired).
    last_from_cache: std::sync::atomic::AtomicBool,
}

impl OAuth2Provider {
    /// A provider for `username` with these grant parameters and this SASL mechanism; the
    /// token endpoint gets 30 s per request unless [`OAuth2Provider::http_timeout`] says
    /// otherwise.
    pub fn new(
        params: RefreshParams,
        username: impl Into<String>,
        mechanism: OAuthMechanism,
    ) -> Self {
        OAuth2Provider {
            params,
            username: username.into(),
            mechanism,
            timeout: Duration::from_secs(30),
            last_from_cache: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The deadline for each request to the token endpoint.
    pub fn http_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The grant parameters.
    pub fn params(&self) -> &RefreshParams {
        &self.params
    }
}

impl CredentialsProvider for OAuth2Provider {
    fn credentials(&self) -> BoxFuture<'_, crate::Result<crate::Auth>> {
        Box::pin(async move {
            let (token, cached) = access_token(&self.params, self.timeout).await?;
            self.last_from_cache
                .store(cached, std::sync::atomic::Ordering::Relaxed);
            Ok(self.mechanism.auth(self.username.clone(), token))
        })
    }

    fn refused<'a>(&'a self, error: &'a crate::Error) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            forget_cached_token(&self.params);
            let from_cache = self
                .last_from_cache
                .swap(false, std::sync::atomic::Ordering::Relaxed);
            // A token fresh from the endpoint is worth replacing only when the server
            // says it expired: RFC 5530's EXPIRED code, or "expired" in its SASL error
            // (RFC 7628 §3.2.2). Any other refusal of a fresh token will not mend.
            let expired = error.code() == Some(&crate::ResponseCode::Expired)
                || error.to_string().to_ascii_lowercase().contains("expired");
            tracing::debug!(url = %self.params.token_url, from_cache, expired, "the server refused the OAuth2 access token");
            from_cache || expired
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// reqwest has no crypto provider or root store of its own here: it must accept the
    /// crate's rustls configuration (same rustls version), or building the client fails
    /// before any request. A closed port on loopback shows the request got as far as
    /// connecting.
    #[tokio::test]
    async fn the_http_client_runs_on_the_crates_tls_configuration() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let params = RefreshParams {
            token_url: format!("https://127.0.0.1:{port}/token"),
            client_id: "client".into(),
            client_secret: Secret::new("client-secret"),
            refresh_token: Secret::new("refresh-token"),
        };
        match refresh_access_token(&params, Duration::from_secs(10)).await {
            Err(OAuthError::Unreachable { url, reason }) => {
                assert_eq!(url, params.token_url);
                assert!(
                    !reason.contains("cannot build") && !reason.contains("cannot set up TLS"),
                    "{reason}"
                );
                assert!(!reason.contains("refresh-token") && !reason.contains("client-secret"));
            }
            other => panic!("expected the connection to be refused, got {other:?}"),
        }
    }
}
