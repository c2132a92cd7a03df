//! NOTIFY (RFC 5465): ask the server to report changes to other folders (and to the
//! selected one) while no command runs.
//!
//! The notifications themselves arrive as unsolicited responses: `* STATUS` for message
//! events in other folders, `* LIST` for MailboxName and SubscriptionChange (with
//! [`ListItem::old_name`](crate::proto::ListItem::old_name) for a rename and the
//! `\NonExistent` attribute for a deletion), `* METADATA`, and EXISTS/EXPUNGE/FETCH for
//! the selected folder. Read them from [`Session::idle`] (as
//! [`IdleEvent::Other`](crate::IdleEvent::Other)) or [`Session::take_unsolicited`].

use super::Session;
use super::folders::{FolderStatus, folder_status};
use crate::error::{Error, Result};
use crate::proto::notify::{NotifySet, encode_notify_set};
use crate::proto::{MailboxStatus, Untagged};

impl Session {
    /// `NOTIFY SET` (RFC 5465 §3.1): replace the events the server reports with `set`.
    /// Returns the `* STATUS` responses the server sent before its OK because of the
    /// `STATUS` indicator ([`NotifySet::status`]; one per watched folder other than the
    /// selected one), names decoded; without the indicator the list is normally empty and
    /// any STATUS that arrives stays queued as a notification. Everything else the server
    /// sends meanwhile (the implicit NOOP's EXISTS, EXPUNGE, FETCH; LIST) stays queued for
    /// [`Session::take_unsolicited`] or the next [`Session::idle`].
    ///
    /// Fails before sending with [`Error::MissingCapability`] when the server lacks NOTIFY,
    /// and with [`Error::InvalidInput`] naming the broken rule when `set` breaks RFC 5465
    /// (see [`NotifySet::validate`]). A server refusal is [`Error::No`] with the typed code:
    /// [`ResponseCode::NotificationOverflow`](crate::proto::ResponseCode::NotificationOverflow)
    /// when the set is too expensive for it, and
    /// [`ResponseCode::BadEvent`](crate::proto::ResponseCode::BadEvent) for an event type it
    /// does not support (Dovecot 2.3 refuses AnnotationChange, MailboxMetadataChange and
    /// ServerMetadataChange this way, naming them).
    ///
    /// ```no_run
    /// use futures::StreamExt;
    /// use imap_async::proto::Untagged;
    /// use imap_async::{IdleEvent, NotifyGroup, NotifySet};
    ///
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let set = NotifySet::new()
    ///     .status(true)
    ///     .group(NotifyGroup::personal().messages().mailbox_name());
    /// for folder in session.notify_set(&set).await? {
    ///     println!("{}: {:?} messages", folder.name, folder.messages);
    /// }
    /// let mut idle = session.idle().await?;
    /// while let Some(event) = idle.next().await {
    ///     match event? {
    ///         IdleEvent::Other(Untagged::MailboxStatus(st)) => println!("changed: {st:?}"),
    ///         IdleEvent::Other(Untagged::List(item)) => println!("renamed/created/deleted: {item:?}"),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Matching the server's refusals:
    ///
    /// ```no_run
    /// use imap_async::proto::ResponseCode;
    /// use imap_async::{Error, NotifyGroup, NotifySet};
    ///
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let set = NotifySet::new().group(NotifyGroup::personal().messages().flag_change());
    /// match session.notify_set(&set).await {
    ///     Ok(_) => {}
    ///     Err(Error::No { code: Some(ResponseCode::NotificationOverflow), .. }) => {
    ///         println!("too expensive for the server; watch fewer folders");
    ///     }
    ///     Err(Error::No { code: Some(ResponseCode::BadEvent(events)), .. }) => {
    ///         println!("unsupported NOTIFY events; the server named {events:?}");
    ///     }
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn notify_set(&mut self, set: &NotifySet) -> Result<Vec<FolderStatus>> {
        self.require("NOTIFY", "NOTIFY SET").await?;
        set.validate()
            .map_err(|e| Error::invalid("NOTIFY SET", e.to_string()))?;
        let mut enc = self.conn.encoder("NOTIFY SET");
        encode_notify_set(&mut enc, set)
            .map_err(|e| Error::invalid("NOTIFY SET", e.to_string()))?;
        let cmd = enc.finish();
        let claim_status = set.has_status();
        let mut statuses: Vec<MailboxStatus> = Vec::new();
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::MailboxStatus(st) if claim_status => {
                    statuses.push(st);
                    None
                }
                other => Some(other),
            })
            .await?;
        Ok(statuses
            .into_iter()
            .map(|st| folder_status(&self.conn, st))
            .collect())
    }

    /// `NOTIFY NONE` (RFC 5465 §3.1): stop all notifications; the server goes back to
    /// reporting changes to the selected folder only while a command runs. Fails before
    /// sending with [`Error::MissingCapability`] when the server lacks NOTIFY.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.notify_none().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn notify_none(&mut self) -> Result<()> {
        self.require("NOTIFY", "NOTIFY NONE").await?;
        let cmd = self.conn.encoder("NOTIFY NONE").finish();
        self.conn.execute(cmd, &mut |u| Some(u)).await?;
        Ok(())
    }
}
