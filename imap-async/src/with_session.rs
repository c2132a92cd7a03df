//! A scoped session: connect, log in, run the caller's code, and log out and close on every
//! path. The async counterpart of IMAPClient's context manager.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;

#[cfg(feature = "config")]
use crate::config::ConfigSection;
use crate::error::Result;
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
/// ```no_run
/// use imap_async::{with_session, ConnectOptions};
///
/// # async fn run() -> imap_async::Result<()> {
/// let opts = ConnectOptions::new("imap.example.org").login("bar@example.org", "passwd");
/// let n = with_session(&opts, async |c| Ok(c.select_folder("INBOX").await?.exists)).await?;
/// println!("{n} messages");
/// # Ok(())
/// # }
/// ```
pub async fn with_session<T, F>(opts: &ConnectOptions, work: F) -> Result<T>
where
    F: AsyncFnOnce(&mut Session) -> Result<T>,
{
    let session = Session::connect(opts).await?;
    scoped(session, opts.logout_timeout, work).await
}

/// [`with_session`] for a configuration-file section: connect and log in as the section
/// says (password or OAuth2, see [`ConfigSection::connect`]), run `work`, then LOGOUT and
/// close on every path.
///
/// ```no_run
/// use imap_async::{with_session_config, Config};
///
/// # async fn run() -> imap_async::Result<()> {
/// let config = Config::from_file("live.ini")?;
/// let n = with_session_config(&config.default, async |c| {
///     Ok(c.select_folder("INBOX").await?.exists)
/// })
/// .await?;
/// println!("{n} messages");
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "config")]
#[cfg_attr(docsrs, doc(cfg(feature = "config")))]
pub async fn with_session_config<T, F>(section: &ConfigSection, work: F) -> Result<T>
where
    F: AsyncFnOnce(&mut Session) -> Result<T>,
{
    let session = section.connect().await?;
    scoped(session, section.base_options().logout_timeout, work).await
}

async fn scoped<T, F>(mut session: Session, logout_timeout: Duration, work: F) -> Result<T>
where
    F: AsyncFnOnce(&mut Session) -> Result<T>,
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
