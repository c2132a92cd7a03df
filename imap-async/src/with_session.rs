//! A scoped session: connect, log in, run the caller's code, and log out and close on every
//! path. The async counterpart of IMAPClient's context manager.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;

#[cfg(feature = "config")]
use crate::config::ConfigSection;
use crate::error::{Error, Result};
use crate::options::ConnectOptions;
use crate::session::Session;

/// Connect and log in as `opts` say, run `work` on the session, then LOGOUT and close the
/// connection, whether `work` returned `Ok`, returned `Err`, or panicked:
///
/// * `Ok(v)`: LOGOUT is sent, the socket closed, and `Ok(v)` returned. A failing LOGOUT at
///   that point is logged, not returned: the work is done.
/// * `Err(e)`: LOGOUT is sent, the socket closed, and `e` returned.
/// * a panic: LOGOUT is sent, the socket closed, and the panic resumes.
///
/// LOGOUT is bounded by [`ConnectOptions::logout_timeout`]; if the `with_session` future
/// itself is dropped (cancelled), the socket is closed at once.
///
/// The closure's error type `E` is yours: any type an [`Error`] converts into (the
/// crate's [`Error`] itself, your own enum with a `From<imap_async::Error>`, a boxed
/// error, `anyhow::Error`...). A failed connection or login is returned as `E` too. When
/// nothing else names `E` (a closure ending in `Ok(..)` whose result goes to `?`), name it
/// in the closure's return type, `async |c| -> imap_async::Result<u32> { .. }`:
///
/// ```no_run
/// use imap_async::{with_session, ConnectOptions};
///
/// # async fn run() -> imap_async::Result<()> {
/// let opts = ConnectOptions::new("imap.example.org").login("bar@example.org", "passwd");
/// let n = with_session(&opts, async |c| -> imap_async::Result<u32> {
///     Ok(c.select_folder("INBOX").await?.exists)
/// })
/// .await?;
/// println!("{n} messages");
/// # Ok(())
/// # }
/// ```
///
/// With an error type of your own, `?` works on the crate's errors and on yours alike:
///
/// ```no_run
/// use imap_async::{with_session, ConnectOptions};
///
/// #[derive(Debug)]
/// enum AppError {
///     Imap(imap_async::Error),
///     BadNumber(std::num::ParseIntError),
/// }
/// impl From<imap_async::Error> for AppError {
///     fn from(e: imap_async::Error) -> Self {
///         AppError::Imap(e)
///     }
/// }
/// impl From<std::num::ParseIntError> for AppError {
///     fn from(e: std::num::ParseIntError) -> Self {
///         AppError::BadNumber(e)
///     }
/// }
///
/// # async fn run() -> Result<(), AppError> {
/// let opts = ConnectOptions::new("imap.example.org").login("bar@example.org", "passwd");
/// let limit: u32 = "100".parse()?;
/// let exists = with_session(&opts, async |c| -> Result<u32, AppError> {
///     let inbox = c.select_folder("INBOX").await?; // an imap_async::Error
///     let from_env: u32 = std::env::var("MIN").unwrap_or("0".into()).parse()?; // a ParseIntError
///     Ok(inbox.exists.clamp(from_env, limit))
/// })
/// .await?;
/// println!("{exists} messages");
/// # Ok(())
/// # }
/// ```
pub async fn with_session<T, E, F>(opts: &ConnectOptions, work: F) -> Result<T, E>
where
    F: AsyncFnOnce(&mut Session) -> Result<T, E>,
    E: From<Error>,
{
    let session = Session::connect(opts).await.map_err(E::from)?;
    scoped(session, opts.logout_timeout, work).await
}

/// [`with_session`] for a configuration-file section: connect and log in as the section
/// says (password or OAuth2, see [`ConfigSection::connect`]), run `work`, then LOGOUT and
/// close on every path.
///
/// The closure's error type is yours, as for [`with_session`].
///
/// ```no_run
/// use imap_async::{with_session_config, Config};
///
/// # async fn run() -> imap_async::Result<()> {
/// let config = Config::from_file("live.ini")?;
/// let n = with_session_config(&config.default, async |c| -> imap_async::Result<u32> {
///     Ok(c.select_folder("INBOX").await?.exists)
/// })
/// .await?;
/// println!("{n} messages");
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "config")]
#[cfg_attr(docsrs, doc(cfg(feature = "config")))]
pub async fn with_session_config<T, E, F>(section: &ConfigSection, work: F) -> Result<T, E>
where
    F: AsyncFnOnce(&mut Session) -> Result<T, E>,
    E: From<Error>,
{
    let session = section.connect().await.map_err(E::from)?;
    scoped(session, section.base_options().logout_timeout, work).await
}

async fn scoped<T, E, F>(mut session: Session, logout_timeout: Duration, work: F) -> Result<T, E>
where
    F: AsyncFnOnce(&mut Session) -> Result<T, E>,
{
    let outcome = AssertUnwindSafe(work(&mut session)).catch_unwind().await;
    let logout = session.logout_within(logout_timeout).await;
    match outcome {
        Err(panic) => {
            if let Err(e) = &logout {
                tracing::warn!(error = %e, "LOGOUT after a panic failed; connection closed");
            }
            std::panic::resume_unwind(panic)
        }
        Ok(Err(e)) => {
            if let Err(le) = &logout {
                tracing::debug!(error = %le, "LOGOUT after an error failed; connection closed");
            }
            Err(e)
        }
        Ok(Ok(v)) => {
            if let Err(e) = logout {
                tracing::warn!(error = %e, "LOGOUT failed; connection closed anyway");
            }
            Ok(v)
        }
    }
}
