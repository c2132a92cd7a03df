//! The one error type of the crate.

use std::time::Duration;

use crate::proto::{EncodeError, FrameError, ParseError, ResponseCode};

/// Everything that can go wrong talking to an IMAP server.
///
/// `Display` is written for a person; match on the variants in a program. No variant ever
/// carries a password or token: commands appear only in their redacted form.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A socket operation failed.
    #[error("I/O error while {during}: {source}")]
    Io {
        /// What the client was doing, e.g. `connecting to imap.example.org:993`.
        during: String,
        /// The I/O error itself.
        #[source]
        source: std::io::Error,
    },
    /// The TLS handshake failed (untrusted certificate, wrong host name, protocol error).
    ///
    /// `reason` says what was wrong in words; `source` is the error itself: the
    /// [`rustls::Error`] when rustls refused the handshake (downcast it to match on, e.g.,
    /// `rustls::Error::InvalidCertificate`), else the [`std::io::Error`] that ended it.
    #[error("TLS handshake with {server_name} failed: {reason}")]
    Tls {
        /// The name the certificate was checked against.
        server_name: String,
        /// What was wrong, for a person.
        reason: String,
        /// The rustls or I/O error behind it.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A deadline passed. `waiting_for` says which one.
    #[error("timed out after {after:?} waiting for {waiting_for}")]
    Timeout {
        /// What did not arrive in time, e.g. `the response to UID FETCH` or `connecting to
        /// imap.example.org:993`.
        waiting_for: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// The server answered `NO`.
    #[error("server refused {command}: {text}{}", code_suffix(.code))]
    No {
        /// The refused command's name, e.g. `UID MOVE` (never its arguments).
        command: String,
        /// The response code, e.g. [`ResponseCode::TryCreate`] or
        /// [`ResponseCode::OverQuota`]; `None` if the server sent none.
        code: Option<ResponseCode>,
        /// The server's human-readable text.
        text: String,
    },
    /// The server answered `BAD` (it considers the command malformed or not allowed now).
    #[error("server rejected {command} as invalid: {text}{}", code_suffix(.code))]
    Bad {
        /// The rejected command's name (never its arguments).
        command: String,
        /// The response code, e.g. [`ResponseCode::ClientBug`]; `None` if absent.
        code: Option<ResponseCode>,
        /// The server's human-readable text.
        text: String,
    },
    /// The server ended the session with `* BYE`.
    #[error("server closed the session (BYE): {text}")]
    Bye {
        /// The response code of the BYE, e.g. [`ResponseCode::Unavailable`]; `None` if
        /// absent.
        code: Option<ResponseCode>,
        /// The server's human-readable text, e.g. `Autologout; idle for too long`.
        text: String,
    },
    /// The server closed the connection: the socket reached its end or was reset, or the
    /// server said `* BYE` while no command was running (RFC 3501 §7.1.5: BYE means the
    /// server is about to close the connection). Every later command on the session
    /// fails with this error again; reconnect.
    #[error(
        "connection closed by the server while {during}{}",
        closed_suffix(.bye.as_deref(), *.idle_for)
    )]
    ConnectionClosed {
        /// What the client was doing when it found the connection closed.
        during: String,
        /// The text of the server's `* BYE`, when it sent one before closing (for
        /// example `Disconnected for inactivity.`).
        bye: Option<String>,
        /// How long the session had been quiet (nothing received from the server)
        /// when the command that found it closed began; `None` when no command had run.
        idle_for: Option<Duration>,
    },
    /// A response could not be framed within the limits (too long, bad literal header).
    #[error("unusable response from the server: {0}")]
    Frame(#[from] FrameError),
    /// A framed response could not be parsed. The connection stays usable.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// An argument cannot be encoded (e.g. it contains a NUL byte).
    #[error("cannot send argument: {0}")]
    Encode(#[from] EncodeError),
    /// The server does not advertise an extension the command needs; nothing was sent.
    #[error("{needed_for} needs the server capability {capability}, which it does not advertise")]
    MissingCapability {
        /// The capability the server lacks, e.g. `MOVE` or `QRESYNC`.
        capability: String,
        /// What needed it, e.g. `watching an account with NOTIFY`.
        needed_for: String,
    },
    /// STARTTLS was asked for but the server does not offer it. Nothing was sent in the clear.
    #[error("the server does not offer STARTTLS; refusing to continue without TLS")]
    StartTlsNotOffered,
    /// The folder does not support mod-sequences: its SELECT answered `[NOMODSEQ]` (RFC 7162
    /// §3.1.2.2), a normal answer for a folder on storage without them, so what needs them
    /// (`needed_for`, e.g. sync) cannot run there. Not a protocol violation; the session
    /// stays usable.
    #[error("{needed_for} needs mod-sequences, but folder {folder} has none ([NOMODSEQ])")]
    NoModSeq {
        /// The folder, as the caller named it.
        folder: String,
        /// What needed mod-sequences, e.g. `sync`.
        needed_for: String,
    },
    /// The server behaved in a way the protocol does not allow.
    #[error("protocol violation by the server: {0}")]
    Protocol(String),
    /// The server is known not to support what was asked (a documented quirk of that
    /// server, see [`ServerIdentity`](crate::ServerIdentity)); nothing was sent.
    #[error("{server} cannot do this: {reason} (nothing was sent)")]
    ServerLimitation {
        /// The server product, as identified (e.g. `Exchange/Office 365`).
        server: String,
        /// What it cannot do, and why that matters here.
        reason: String,
    },
    /// Input given to the library is not valid (names what and why).
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// Which input, e.g. `ACL rights` or `MULTIAPPEND` (for an empty message list).
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An earlier command was interrupted in a state the connection cannot recover from
    /// (e.g. cancelled half-way through sending). Reconnect.
    #[error("the connection can no longer be used: {0}")]
    Unusable(String),
    /// An error from user code running inside [`crate::with_session`].
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

/// ` (server said: TEXT; idle for 31m 2s)`, each part only when known (the idle time only
/// from one second up, where it can explain anything).
fn closed_suffix(bye: Option<&str>, idle_for: Option<Duration>) -> String {
    let mut parts = Vec::new();
    if let Some(text) = bye {
        parts.push(format!("server said: {text}"));
    }
    if let Some(idle) = idle_for.filter(|d| *d >= Duration::from_secs(1)) {
        parts.push(format!("idle for {}", human_duration(idle)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

/// `1h 2m 3s`, `31m 2s`, `4.2s`.
fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}h {m}m {s}s")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

fn code_suffix(code: &Option<ResponseCode>) -> String {
    if let Some(atom) = code.as_ref().and_then(ResponseCode::atom) {
        return format!(" [{atom}]");
    }
    match code {
        None => String::new(),
        Some(ResponseCode::Other(name, _)) => {
            format!(" [{}]", String::from_utf8_lossy(name))
        }
        Some(ResponseCode::BadEvent(supported)) => {
            let names: Vec<_> = supported
                .iter()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect();
            format!(" [BADEVENT {}]", names.join(" "))
        }
        Some(c) => format!(" [{c:?}]"),
    }
}

impl Error {
    /// Wrap any error from user code, for closures passed to [`crate::with_session`].
    ///
    /// ```
    /// use imap_async::Error;
    ///
    /// let e = Error::other("disk full");
    /// assert!(e.to_string().contains("disk full"));
    /// let io = std::io::Error::other("boom");
    /// let _ = Error::other(io);
    /// ```
    pub fn other(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Other(e.into())
    }

    /// True when the server refused credentials: `NO [AUTHENTICATIONFAILED]` to any command,
    /// `NO [AUTHORIZATIONFAILED]` or `NO [EXPIRED]` to LOGIN/AUTHENTICATE (RFC 5530 §3), or
    /// a `NO` to LOGIN/AUTHENTICATE without a code.
    ///
    /// ```
    /// use imap_async::{Error, ResponseCode};
    ///
    /// let e = Error::No {
    ///     command: "LOGIN".into(),
    ///     code: None,
    ///     text: "invalid credentials".into(),
    /// };
    /// assert!(e.is_auth_failed());
    /// let expired = Error::No {
    ///     command: "AUTHENTICATE".into(),
    ///     code: Some(ResponseCode::Expired),
    ///     text: "token expired".into(),
    /// };
    /// assert!(expired.is_auth_failed());
    /// assert!(!Error::other("x").is_auth_failed());
    /// ```
    pub fn is_auth_failed(&self) -> bool {
        match self {
            Error::No { command, code, .. } => {
                let login = command == "LOGIN" || command == "AUTHENTICATE";
                match code {
                    // RFC 5530 §3: the credentials (or what they may do) were refused.
                    Some(ResponseCode::AuthenticationFailed) => true,
                    Some(ResponseCode::AuthorizationFailed | ResponseCode::Expired) => login,
                    Some(_) => false,
                    None => login,
                }
            }
            _ => false,
        }
    }

    /// The response code of a `NO`, `BAD` or `BYE` (such as [`ResponseCode::OverQuota`] or
    /// [`ResponseCode::NonExistent`], RFC 5530 §3), for deciding what to do about it;
    /// `None` for other errors and for responses without a code.
    ///
    /// ```
    /// use imap_async::{Error, ResponseCode};
    ///
    /// let e = Error::No {
    ///     command: "APPEND".into(),
    ///     code: Some(ResponseCode::OverQuota),
    ///     text: "Quota exceeded".into(),
    /// };
    /// assert_eq!(e.code(), Some(&ResponseCode::OverQuota));
    /// assert_eq!(e.to_string(), "server refused APPEND: Quota exceeded [OVERQUOTA]");
    /// assert_eq!(Error::other("x").code(), None);
    /// ```
    pub fn code(&self) -> Option<&ResponseCode> {
        match self {
            Error::No { code, .. } | Error::Bad { code, .. } | Error::Bye { code, .. } => {
                code.as_ref()
            }
            _ => None,
        }
    }

    /// True when trying again later, on a new connection, may succeed: the connection was
    /// cut or closed (`BYE`), a deadline passed, the server said it is temporarily
    /// unavailable (a `NO` with RFC 5530 [`UNAVAILABLE`](ResponseCode::Unavailable),
    /// [`INUSE`](ResponseCode::InUse) or [`SERVERBUG`](ResponseCode::ServerBug), or a
    /// throttling hint, see [`Error::retry_after`]), the server broke the protocol, or an
    /// OAuth 2.0 token endpoint could not be reached. False for what retrying cannot fix:
    /// refused credentials ([`AUTHENTICATIONFAILED`](ResponseCode::AuthenticationFailed),
    /// [`EXPIRED`](ResponseCode::Expired)), a folder that does not exist
    /// ([`NONEXISTENT`](ResponseCode::NonExistent)), a full quota
    /// ([`OVERQUOTA`](ResponseCode::OverQuota)), any other `NO`, a missing capability, a
    /// folder without mod-sequences, an invalid argument, a certificate that does not
    /// verify, a `BAD`.
    ///
    /// Long-running helpers ([`crate::watch`]) retry exactly the retryable errors, with
    /// backoff, and end with any other.
    ///
    /// ```
    /// use imap_async::{Error, ResponseCode};
    ///
    /// let cut = Error::ConnectionClosed { during: "reading".into(), bye: None, idle_for: None };
    /// assert!(cut.is_retryable());
    /// let unavailable = Error::No {
    ///     command: "LOGIN".into(),
    ///     code: Some(ResponseCode::Unavailable),
    ///     text: "try later".into(),
    /// };
    /// assert!(unavailable.is_retryable() && !unavailable.is_auth_failed());
    /// let wrong_password = Error::No {
    ///     command: "LOGIN".into(),
    ///     code: Some(ResponseCode::AuthenticationFailed),
    ///     text: "Authentication failed.".into(),
    /// };
    /// assert!(!wrong_password.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Io { .. }
            | Error::Timeout { .. }
            | Error::Bye { .. }
            | Error::ConnectionClosed { .. }
            | Error::Frame(_)
            | Error::Parse(_)
            | Error::Protocol(_)
            | Error::Unusable(_) => true,
            Error::No { .. } => {
                self.retry_after().is_some()
                    || matches!(
                        self.code(),
                        Some(
                            ResponseCode::Unavailable
                                | ResponseCode::InUse
                                | ResponseCode::ServerBug
                        )
                    )
            }
            Error::Other(e) => other_is_retryable(e.as_ref()),
            Error::Tls { .. }
            | Error::Bad { .. }
            | Error::Encode(_)
            | Error::MissingCapability { .. }
            | Error::NoModSeq { .. }
            | Error::StartTlsNotOffered
            | Error::ServerLimitation { .. }
            | Error::InvalidInput { .. } => false,
        }
    }

    /// How long the server asks the client to wait before trying again, when it refused a
    /// command because the account is throttled: Office 365 answers `NO Request is
    /// throttled. Suggested Backoff Time: N milliseconds` (postalsys/imapflow#142). `None`
    /// for every other error.
    ///
    /// ```
    /// use std::time::Duration;
    /// use imap_async::Error;
    ///
    /// let e = Error::No {
    ///     command: "UID FETCH".into(),
    ///     code: None,
    ///     text: "Request is throttled. Suggested Backoff Time: 1500 milliseconds".into(),
    /// };
    /// assert_eq!(e.retry_after(), Some(Duration::from_millis(1500)));
    /// assert_eq!(Error::other("x").retry_after(), None);
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        let (Error::No { text, .. } | Error::Bad { text, .. } | Error::Bye { text, .. }) = self
        else {
            return None;
        };
        const HINT: &str = "suggested backoff time:";
        let lower = text.to_ascii_lowercase();
        let at = lower.find(HINT)? + HINT.len();
        let rest = lower[at..].trim_start();
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let n: u64 = digits.parse().ok()?;
        let unit = rest[digits.len()..].trim_start();
        if unit.starts_with("ms") || unit.starts_with("millisecond") {
            Some(Duration::from_millis(n))
        } else if unit.starts_with('s') {
            Some(Duration::from_secs(n))
        } else {
            None
        }
    }

    /// True when the server refused a search's charset (`NO [BADCHARSET ...]`, RFC 3501
    /// §7.1): Exchange and Office 365 answer so to `CHARSET UTF-8`, so text outside ASCII
    /// cannot be searched for there.
    ///
    /// ```
    /// use imap_async::Error;
    /// use imap_async::proto::ResponseCode;
    ///
    /// let e = Error::No {
    ///     command: "UID SEARCH".into(),
    ///     code: Some(ResponseCode::BadCharset(vec!["US-ASCII".into()])),
    ///     text: "The specified charset is not supported.".into(),
    /// };
    /// assert!(e.is_bad_charset());
    /// ```
    pub fn is_bad_charset(&self) -> bool {
        matches!(
            self,
            Error::No {
                code: Some(ResponseCode::BadCharset(_)),
                ..
            } | Error::Bad {
                code: Some(ResponseCode::BadCharset(_)),
                ..
            }
        )
    }

    /// True for a deadline that passed.
    ///
    /// ```
    /// use std::time::Duration;
    /// use imap_async::Error;
    ///
    /// let e = Error::Timeout {
    ///     waiting_for: "greeting".into(),
    ///     after: Duration::from_secs(30),
    /// };
    /// assert!(e.is_timeout());
    /// assert!(!Error::other("x").is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// True when the session's connection is gone or cannot be trusted any more, so the
    /// caller should reconnect: the server closed it ([`Error::ConnectionClosed`],
    /// [`Error::Bye`]), a socket operation failed ([`Error::Io`]), it was marked unusable
    /// ([`Error::Unusable`]), its framing was lost ([`Error::Frame`]), the server broke
    /// the protocol ([`Error::Protocol`], such as a tagged response for a tag never sent:
    /// nothing it sends can be trusted after that), or a deadline passed
    /// ([`Error::Timeout`]: either the connection was abandoned, or a command is still
    /// outstanding that the next command would wait for again).
    ///
    /// `NO` (whatever its RFC 5530 code), `BAD`, parse errors of one response,
    /// [`Error::NoModSeq`], [`Error::MissingCapability`] and input errors leave the session
    /// usable and are not "lost"; a TLS handshake that failed never gave a session. [`Session::is_closed`](crate::Session::is_closed) says
    /// the same about a session without an error at hand.
    ///
    /// ```
    /// use std::time::Duration;
    /// use imap_async::Error;
    ///
    /// let e = Error::ConnectionClosed {
    ///     during: "sending NOOP".into(),
    ///     bye: Some("Disconnected for inactivity.".into()),
    ///     idle_for: Some(Duration::from_secs(31 * 60 + 2)),
    /// };
    /// assert!(e.is_connection_lost());
    /// assert_eq!(
    ///     e.to_string(),
    ///     "connection closed by the server while sending NOOP \
    ///      (server said: Disconnected for inactivity.; idle for 31m 2s)"
    /// );
    /// let no = Error::No { command: "SELECT".into(), code: None, text: "no such folder".into() };
    /// assert!(!no.is_connection_lost());
    /// ```
    pub fn is_connection_lost(&self) -> bool {
        matches!(
            self,
            Error::ConnectionClosed { .. }
                | Error::Bye { .. }
                | Error::Io { .. }
                | Error::Unusable(_)
                | Error::Frame(_)
                | Error::Protocol(_)
                | Error::Timeout { .. }
        )
    }

    pub(crate) fn io(during: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            during: during.into(),
            source,
        }
    }

    pub(crate) fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            what: what.into(),
            reason: reason.into(),
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether an error from elsewhere, carried in [`Error::Other`], may mend by itself: the
/// OAuth 2.0 token endpoint could not be reached or did not answer in time.
fn other_is_retryable(e: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    #[cfg(feature = "oauth2")]
    if let Some(e) = e.downcast_ref::<OAuthError>() {
        return e.is_retryable();
    }
    let _ = e;
    false
}

// The OAuth 2.0 token endpoint's failures (the `oauth2` feature's refresh-token grant),
// public as `imap_async::oauth::OAuthError`. Defined here, below the `oauth` module,
// because `Error::is_retryable` asks it whether a failure may mend: the errors do not
// import the module that uses them.
#[cfg(feature = "oauth2")]
#[cfg_attr(docsrs, doc(cfg(feature = "oauth2")))]
/// Why no access token could be obtained. The text never contains a token or a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// The endpoint answered with an OAuth error (RFC 6749 §5.2), e.g. `invalid_grant` for
    /// a revoked or expired refresh token.
    #[error("OAuth2 token endpoint {url} refused the refresh token: {error}{}",
        .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        /// The token endpoint.
        url: String,
        /// The OAuth `error` code, e.g. `invalid_grant`.
        error: String,
        /// The `error_description` the endpoint sent, if any.
        description: Option<String>,
    },
    /// No answer in time.
    #[error("OAuth2 token endpoint {url} did not answer within {after:?}")]
    Timeout {
        /// The token endpoint.
        url: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// Connection or HTTP failure.
    #[error("OAuth2 token endpoint {url} could not be reached: {reason}")]
    Unreachable {
        /// The token endpoint.
        url: String,
        /// The connection or HTTP error, in words.
        reason: String,
    },
    /// An answer that is not a token response.
    #[error("OAuth2 token endpoint {url} sent an unusable answer: {reason}")]
    BadResponse {
        /// The token endpoint.
        url: String,
        /// What was wrong with the answer (never the answer itself, which may hold secrets).
        reason: String,
    },
    /// The token URL is not a valid URL.
    #[error("invalid OAuth2 token URL {url:?}: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// Why it is not valid.
        reason: String,
    },
}

#[cfg(feature = "oauth2")]
impl OAuthError {
    /// True when asking again later may work: the endpoint did not answer or could not be
    /// reached. A refusal (`invalid_grant`: the refresh token was revoked), a bad answer or
    /// a bad URL will not mend by itself.
    ///
    /// ```
    /// use std::time::Duration;
    /// use imap_async::oauth::OAuthError;
    ///
    /// let t = OAuthError::Timeout { url: "https://x/token".into(), after: Duration::from_secs(5) };
    /// assert!(t.is_retryable());
    /// let r = OAuthError::Refused { url: "https://x/token".into(), error: "invalid_grant".into(), description: None };
    /// assert!(!r.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            OAuthError::Timeout { .. } | OAuthError::Unreachable { .. }
        )
    }
}

#[cfg(feature = "oauth2")]
impl From<OAuthError> for Error {
    fn from(e: OAuthError) -> Self {
        Error::other(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed(bye: Option<&str>, idle_for: Option<Duration>) -> String {
        Error::ConnectionClosed {
            during: "sending NOOP".into(),
            bye: bye.map(str::to_owned),
            idle_for,
        }
        .to_string()
    }

    fn no(command: &str, code: Option<ResponseCode>) -> Error {
        Error::No {
            command: command.into(),
            code,
            text: "refused".into(),
        }
    }

    /// The RFC 5530 codes decide retrying and refused credentials; the codes show in
    /// `Display` as the server wrote them.
    #[test]
    fn rfc5530_codes_decide_retry_and_auth() {
        use ResponseCode as C;
        for code in [C::Unavailable, C::InUse, C::ServerBug] {
            let e = no("SELECT", Some(code.clone()));
            assert!(e.is_retryable(), "{e}");
            assert!(!e.is_auth_failed() && !e.is_connection_lost(), "{e}");
        }
        for code in [
            C::AuthenticationFailed,
            C::AuthorizationFailed,
            C::Expired,
            C::PrivacyRequired,
            C::NoPerm,
            C::OverQuota,
            C::NonExistent,
            C::AlreadyExists,
            C::Cannot,
            C::Limit,
            C::ContactAdmin,
        ] {
            let e = no("LOGIN", Some(code.clone()));
            assert!(!e.is_retryable(), "{e}");
            assert!(!e.is_connection_lost(), "{e}");
            assert!(
                e.to_string()
                    .ends_with(&format!("[{}]", code.atom().unwrap())),
                "{e}"
            );
        }
        assert!(no("LOGIN", Some(C::AuthenticationFailed)).is_auth_failed());
        assert!(no("SELECT", Some(C::AuthenticationFailed)).is_auth_failed());
        assert!(no("AUTHENTICATE", Some(C::Expired)).is_auth_failed());
        // EXPIRED or NOPERM on a folder command is not about the login.
        assert!(!no("SELECT", Some(C::Expired)).is_auth_failed());
        assert!(!no("LOGIN", Some(C::Unavailable)).is_auth_failed());
        assert!(no("LOGIN", None).is_auth_failed());
        assert_eq!(no("APPEND", Some(C::OverQuota)).code(), Some(&C::OverQuota));

        let nomodseq = Error::NoModSeq {
            folder: "Archive".into(),
            needed_for: "sync".into(),
        };
        assert!(!nomodseq.is_retryable() && !nomodseq.is_connection_lost());
        assert_eq!(
            nomodseq.to_string(),
            "sync needs mod-sequences, but folder Archive has none ([NOMODSEQ])"
        );
    }

    #[test]
    fn connection_closed_shows_what_is_known() {
        let plain = "connection closed by the server while sending NOOP";
        assert_eq!(closed(None, None), plain);
        // Under a second the idle time explains nothing.
        assert_eq!(closed(None, Some(Duration::from_millis(300))), plain);
        assert_eq!(
            closed(None, Some(Duration::from_millis(4200))),
            format!("{plain} (idle for 4.2s)")
        );
        assert_eq!(
            closed(
                Some("Server shutting down."),
                Some(Duration::from_secs(3723))
            ),
            format!("{plain} (server said: Server shutting down.; idle for 1h 2m 3s)")
        );
        assert_eq!(
            closed(Some("bye"), None),
            format!("{plain} (server said: bye)")
        );
    }
}
