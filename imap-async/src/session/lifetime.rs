//! Sessions that live for days: a keep-alive that runs while the caller waits for
//! something else, a cheap health check, and reconnection with the same options,
//! credentials source and selected folder.
//!
//! RFC 9051 §5.4 (RFC 3501 §5.4): a server's inactivity autologout timer is at least 30
//! minutes, and most servers and NATs drop quiet connections well before a day passes.

use std::future::Future;
use std::time::Duration;

use super::{SelectInfo, Session};
use crate::error::{Error, Result};
use crate::session::connection::{Event, status_result};

/// What [`Session::reconnect`] did: the folder it selected again, and whether the UIDs
/// stored for it survived.
///
/// ```no_run
/// # async fn run(session: &mut imap_async::Session, stored_uids: &mut Vec<u32>) -> imap_async::Result<()> {
/// let back = session.reconnect().await?;
/// if back.uid_validity_changed {
///     // RFC 3501 §2.3.1.1: the UIDs mean other messages now, or none.
///     stored_uids.clear();
///     println!("UIDVALIDITY {:?} -> {:?}", back.old_uid_validity, back.new_uid_validity);
/// }
/// if let (Some(folder), Some(info)) = (&back.folder, &back.selected) {
///     println!("{folder} selected again: {} messages", info.exists);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reconnected {
    /// The folder that was selected before and is selected again (as it was given to
    /// SELECT or EXAMINE); `None` when none was selected.
    pub folder: Option<String>,
    /// What SELECT (or EXAMINE) reported on the new connection; `None` when no folder was
    /// selected. `read_write` is false when the folder was examined.
    pub selected: Option<SelectInfo>,
    /// True when the folder's UIDVALIDITY is not the one it had before (RFC 3501
    /// §2.3.1.1, RFC 9051 §2.3.1.1): every UID stored for it is void. Also true when the
    /// old value was known and the server no longer reports one. False when no folder was
    /// selected or its old UIDVALIDITY was never reported.
    pub uid_validity_changed: bool,
    /// The folder's UIDVALIDITY before the reconnection, when it was known.
    pub old_uid_validity: Option<u32>,
    /// The folder's UIDVALIDITY now, when the server reported one.
    pub new_uid_validity: Option<u32>,
}

impl Session {
    /// Whether the connection looks usable: false once it is known to be dead (the server
    /// said `BYE`, the socket closed or failed, a command was cut off half-way, or the
    /// session logged out). No I/O: a connection the server dropped silently still looks
    /// usable until something is read from it (see [`Session::keep_alive_while`], which
    /// reads while it waits).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// if !session.is_connected() {
    ///     session.reconnect().await?;
    /// }
    /// session.noop().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_connected(&self) -> bool {
        self.conn.dead_error().is_none()
    }

    /// Why the connection is no longer usable, as the error the next command would fail
    /// with (without sending anything), such as [`Error::Bye`] with the server's text;
    /// `None` while [`Session::is_connected`] is true. No I/O.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// if let Some(why) = session.connection_error() {
    ///     eprintln!("connection lost ({why}); reconnecting");
    ///     session.reconnect().await?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn connection_error(&self) -> Option<Error> {
        self.conn.dead_error()
    }

    /// Keep the session alive while the caller waits for `fut` (a user's input, a job from
    /// a channel, a timer): send NOOP (RFC 3501 §6.1.2, RFC 9051 §6.1.2) every `interval`
    /// until `fut` completes, and read whatever the server sends in between. Returns
    /// `fut`'s output.
    ///
    /// Unsolicited data (from the NOOPs or sent on its own) stays queued for
    /// [`Session::take_unsolicited`]. A `* BYE` (autologout, RFC 3501 §7.1.5) or a closed
    /// socket is noticed as it happens, not at the next NOOP.
    ///
    /// The keep-alive never cuts the wait short and never drops `fut`: when the connection
    /// is lost (BYE, closed or failed socket, a NOOP not answered within the command
    /// timeout), the NOOPs stop and the wait goes on. The loss is reported where the
    /// session is used next: [`Session::is_connected`] turns false at once, and the next
    /// command fails with the error (nothing is sent), so the caller calls
    /// [`Session::reconnect`] there, in the one place it handles a dead connection
    /// anyway. A NOOP answered `NO` or `BAD` is logged and the keep-alive goes on.
    ///
    /// When `fut` completes while a NOOP is under way, this returns at once; the NOOP's
    /// completion is read (and its data queued) by the next command. Dropping this future
    /// is safe except while a NOOP's few bytes are being written, which leaves the
    /// connection unusable (as for any command).
    ///
    /// A zero `interval` is an [`Error::InvalidInput`]; that is the only error.
    ///
    /// ```no_run
    /// # async fn run(
    /// #     session: &mut imap_async::Session,
    /// #     mut jobs: tokio::sync::mpsc::Receiver<String>,
    /// # ) -> imap_async::Result<()> {
    /// use std::time::Duration;
    ///
    /// session.select_folder("INBOX").await?;
    /// // Wait for the next job, for hours if need be, keeping the connection alive.
    /// while let Some(folder) = session
    ///     .keep_alive_while(Duration::from_secs(5 * 60), jobs.recv())
    ///     .await?
    /// {
    ///     if !session.is_connected() {
    ///         let back = session.reconnect().await?;
    ///         if back.uid_validity_changed {
    ///             println!("stored UIDs are void");
    ///         }
    ///     }
    ///     println!("{:?}", session.folder_status(&folder, None).await?);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn keep_alive_while<F: Future>(
        &mut self,
        interval: Duration,
        fut: F,
    ) -> Result<F::Output> {
        if interval.is_zero() {
            return Err(Error::invalid("keep-alive interval", "it is zero"));
        }
        let mut fut = std::pin::pin!(fut);
        loop {
            if !self.is_connected() {
                return Ok(fut.await);
            }
            // Wait for the interval, reading what the server sends meanwhile.
            let deadline = tokio::time::Instant::now() + interval;
            let watched = tokio::select! {
                biased;
                out = &mut fut => return Ok(out),
                r = tokio::time::timeout_at(deadline, self.conn.watch_between_commands(interval)) => r,
            };
            if let Ok(Err(e)) = watched {
                self.keep_alive_failed(&e);
                continue;
            }
            // Send the NOOP whole: a command cut off half-way would end the connection.
            let cmd = self.conn.encoder("NOOP").finish();
            let tag = cmd.tag.clone();
            if let Err(e) = self.conn.start(cmd, None).await {
                self.keep_alive_failed(&e);
                continue;
            }
            let answered = tokio::select! {
                biased;
                // The NOOP stays in flight; the next command reads its completion.
                out = &mut fut => return Ok(out),
                r = self.noop_completion(&tag) => r,
            };
            if let Err(e) = answered {
                if e.is_timeout() {
                    // A server that does not answer a NOOP within the command timeout is
                    // as good as gone: say so now rather than at the next command's wait.
                    self.conn
                        .poison(format!("the server did not answer a keep-alive NOOP: {e}"));
                }
                self.keep_alive_failed(&e);
            }
        }
    }

    /// Read to the completion of the NOOP tagged `tag`, queueing untagged data.
    async fn noop_completion(&mut self, tag: &str) -> Result<()> {
        loop {
            match self.conn.next_event("the response to NOOP", None).await {
                Ok(Event::Untagged(u)) => self.conn.push_unsolicited(u),
                Ok(Event::Done { tag: done, status }) if done == tag => {
                    return status_result(status, "NOOP").map(drop);
                }
                Ok(Event::Done { .. }) => {}
                Ok(Event::Literal { .. }) => {
                    return Err(Error::Protocol(
                        "internal: a streamed literal while reading a NOOP".into(),
                    ));
                }
                Ok(Event::Continuation) => {
                    let msg = "unexpected continuation request during NOOP".to_owned();
                    self.conn.poison(msg.clone());
                    return Err(Error::Protocol(msg));
                }
                Err(Error::Parse(e)) => tracing::warn!(error = %e, "unparseable response"),
                Err(e) => return Err(e),
            }
        }
    }

    /// Log a keep-alive failure: at INFO when it ended the connection (the next command
    /// reports it), at DEBUG otherwise (a `NO` to NOOP).
    fn keep_alive_failed(&self, e: &Error) {
        if self.is_connected() {
            tracing::debug!(error = %e, "keep-alive NOOP failed; the connection is still usable");
        } else {
            tracing::info!(error = %e, "connection lost while kept alive");
        }
    }

    /// Connect again with the options this session was opened with, log in with the same
    /// credentials source (asked again, so an OAuth 2.0 provider gives a fresh token),
    /// enable again what [`Session::enable`] enabled, and select the folder that was
    /// selected, in the same mode (SELECT or EXAMINE, with CONDSTORE if it was used). The
    /// new connection replaces the old one in place; the old socket is closed (without
    /// LOGOUT: it is usually dead already).
    ///
    /// Use it after a command failed because the connection was lost (`BYE`, a closed
    /// socket, [`Error::is_retryable`]), or when [`Session::is_connected`] is false.
    /// Responses still queued from the old connection are dropped: their sequence numbers
    /// meant something only there, and [`Reconnected::selected`] describes the folder now.
    /// When [`Reconnected::uid_validity_changed`] is true, every UID stored for the folder
    /// is void (RFC 3501 §2.3.1.1).
    ///
    /// Errors: [`Error::InvalidInput`] for a session logged in by hand from a
    /// [`Client`](crate::Client), which has no options to connect with (use
    /// [`Session::connect`]). When connecting or logging in fails, the session keeps its
    /// old connection and the error is returned; try again later. When the folder cannot
    /// be selected again (deleted meanwhile), the session is connected with no folder
    /// selected, and the SELECT error is returned.
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// use imap_async::{ConnectOptions, Session};
    /// let opts = ConnectOptions::new("imap.example.org").login("bar@example.org", "passwd");
    /// let mut session = Session::connect(&opts).await?;
    /// session.examine_folder("INBOX").await?;
    /// if let Err(e) = session.noop().await {
    ///     if !e.is_retryable() {
    ///         return Err(e);
    ///     }
    ///     let back = session.reconnect().await?;
    ///     assert_eq!(back.folder.as_deref(), Some("INBOX"));
    ///     assert!(!back.selected.expect("INBOX was selected").read_write);
    ///     if back.uid_validity_changed {
    ///         println!("INBOX was recreated: fetch it anew");
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn reconnect(&mut self) -> Result<Reconnected> {
        let Some(opts) = self.origin.clone() else {
            return Err(Error::invalid(
                "reconnect",
                "this session was logged in from a Client by hand, so it has no connection \
                 options to connect again with; open it with Session::connect",
            ));
        };
        let folder = self.conn.selected.clone();
        let mode = self.conn.selected_options;
        let old_uid_validity = folder.as_ref().and(self.conn.selected_uid_validity);
        let enabled = self.conn.enabled.clone();
        tracing::debug!(folder = ?folder, "reconnecting");

        let mut fresh = Session::open(&opts).await?;
        fresh.origin = Some(opts);
        // RFC 5161 §3.1: ENABLE before the first SELECT of the new connection.
        if !enabled.is_empty() {
            let names: Vec<&str> = enabled.iter().map(String::as_str).collect();
            fresh.enable(&names).await?;
        }
        let mut old = std::mem::replace(self, fresh);
        old.conn.shutdown().await;
        let dropped = old.conn.unsolicited.len();
        if dropped > 0 {
            tracing::debug!(
                dropped,
                "responses queued on the old connection dropped at reconnect"
            );
        }
        drop(old);

        let selected = match &folder {
            Some(name) => Some(self.select_folder_with(name, mode).await?),
            None => None,
        };
        let new_uid_validity = selected.as_ref().and_then(|s| s.uid_validity);
        let uid_validity_changed =
            old_uid_validity.is_some() && old_uid_validity != new_uid_validity;
        if uid_validity_changed {
            tracing::info!(
                folder = ?folder,
                old = ?old_uid_validity,
                new = ?new_uid_validity,
                "UIDVALIDITY changed across the reconnection"
            );
        }
        Ok(Reconnected {
            folder,
            selected,
            uid_validity_changed,
            old_uid_validity,
            new_uid_validity,
        })
    }
}
