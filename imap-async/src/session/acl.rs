//! ACL (RFC 4314): GETACL, SETACL, DELETEACL, MYRIGHTS, LISTRIGHTS. Every command checks
//! the `ACL` capability first and sends nothing without it.

use super::{Session, lossy};
use crate::error::{Error, Result};
use crate::proto::{AclChange, AclRights, Untagged};

/// One entry of an access control list (RFC 4314 §3.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclEntry {
    /// Who the rights are for: a user name, `anyone`, or with a leading `-` negative
    /// rights (RFC 4314 §2).
    pub identifier: String,
    /// The rights, e.g. `lrswipkxtecda`.
    pub rights: AclRights,
}

/// What LISTRIGHTS reports (RFC 4314 §3.7).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListRights {
    /// Rights the identifier always has on the folder (may be empty).
    pub required: AclRights,
    /// Rights that may be granted; each set is a group granted together or not at all.
    pub optional: Vec<AclRights>,
}

impl Session {
    /// GETACL (RFC 4314 §3.3): the access control list of `folder`. Needs `ACL`.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// for entry in session.getacl("INBOX").await? {
    ///     println!("{}: {}", entry.identifier, entry.rights);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn getacl(&mut self, folder: &str) -> Result<Vec<AclEntry>> {
        self.require("ACL", "GETACL").await?;
        let mut enc = self.conn.encoder("GETACL");
        enc.mailbox("mailbox name", folder)?;
        let cmd = enc.finish();
        let mut out = Vec::new();
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::Acl { entries, .. } => {
                    out.extend(entries.iter().map(|(who, rights)| AclEntry {
                        identifier: lossy(who),
                        rights: AclRights::from(lossy(rights)),
                    }));
                    None
                }
                other => Some(other),
            })
            .await?;
        Ok(out)
    }

    /// SETACL (RFC 4314 §3.1): give `identifier` the `rights` on `folder`: an
    /// [`AclChange`] (replace, add or remove), [`AclRights`] (replace), or text as in the
    /// RFC, where a leading `+` adds the rights to those it has, a leading `-` removes
    /// them, and otherwise they replace them. Rights that are not lower-case letters or
    /// digits are refused before sending. Needs `ACL`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not undo the command once it was sent: the server may still
    /// apply the new rights. The command then stays in flight, and the next command on this
    /// session first reads the rest of its response (untagged data going to the unsolicited
    /// queue) and its completion, whose OK or NO nobody sees, so check the outcome with
    /// [`Session::getacl`] or [`Session::myrights`]. Dropped while the command was being
    /// written, the server was left with part of a command: the session is unusable (later
    /// commands fail with [`Error::Unusable`]), and whether the change was made is unknown
    /// until a new session checks.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::AclRights;
    /// use imap_async::proto::{AclChange, Right};
    ///
    /// session.setacl("Shared", "bob", AclRights::from([Right::Lookup, Right::Read])).await?;
    /// session.setacl("Shared", "bob", AclChange::Add([Right::Write].into())).await?;
    /// session.setacl("Shared", "bob", "-w").await?; // text works too
    /// # Ok(())
    /// # }
    /// ```
    pub async fn setacl(
        &mut self,
        folder: &str,
        identifier: &str,
        rights: impl Into<AclChange>,
    ) -> Result<()> {
        let rights = rights.into();
        rights
            .rights()
            .check()
            .map_err(|why| Error::invalid("ACL rights", why))?;
        self.require("ACL", "SETACL").await?;
        let mut enc = self.conn.encoder("SETACL");
        enc.mailbox("mailbox name", folder)?;
        enc.astring("ACL identifier", identifier.as_bytes())?;
        enc.astring("ACL rights", rights.to_string().as_bytes())?;
        let cmd = enc.finish();
        self.conn.execute(cmd, &mut |u| Some(u)).await.map(drop)
    }

    /// DELETEACL (RFC 4314 §3.2): remove every right of `identifier` on `folder` from the
    /// list. Needs `ACL`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not undo the command once it was sent: the server may still
    /// remove the rights. The command then stays in flight, and the next command on this
    /// session first reads the rest of its response (untagged data going to the unsolicited
    /// queue) and its completion, whose OK or NO nobody sees, so check the outcome with
    /// [`Session::getacl`]. Dropped while the command was being written, the server was
    /// left with part of a command: the session is unusable (later commands fail with
    /// [`Error::Unusable`]), and whether the change was made is unknown until a new session
    /// checks.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.deleteacl("Shared", "bob").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn deleteacl(&mut self, folder: &str, identifier: &str) -> Result<()> {
        self.require("ACL", "DELETEACL").await?;
        let mut enc = self.conn.encoder("DELETEACL");
        enc.mailbox("mailbox name", folder)?;
        enc.astring("ACL identifier", identifier.as_bytes())?;
        let cmd = enc.finish();
        self.conn.execute(cmd, &mut |u| Some(u)).await.map(drop)
    }

    /// MYRIGHTS (RFC 4314 §3.8): the rights the logged-in user has on `folder`. Needs
    /// `ACL`.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::proto::Right;
    ///
    /// let rights = session.myrights("INBOX").await?;
    /// assert!(rights.contains(Right::Read));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn myrights(&mut self, folder: &str) -> Result<AclRights> {
        self.require("ACL", "MYRIGHTS").await?;
        let mut enc = self.conn.encoder("MYRIGHTS");
        enc.mailbox("mailbox name", folder)?;
        let cmd = enc.finish();
        let mut rights = None;
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::MyRights { rights: r, .. } => {
                    rights = Some(AclRights::from(lossy(&r)));
                    None
                }
                other => Some(other),
            })
            .await?;
        rights.ok_or_else(|| Error::Protocol("MYRIGHTS completed without MYRIGHTS data".into()))
    }

    /// LISTRIGHTS (RFC 4314 §3.7): which rights `identifier` always has on `folder` and
    /// which can be granted. Needs `ACL`.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let rights = session.listrights("INBOX", "anyone").await?;
    /// println!("always {:?}, grantable {:?}", rights.required, rights.optional);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn listrights(&mut self, folder: &str, identifier: &str) -> Result<ListRights> {
        self.require("ACL", "LISTRIGHTS").await?;
        let mut enc = self.conn.encoder("LISTRIGHTS");
        enc.mailbox("mailbox name", folder)?;
        enc.astring("ACL identifier", identifier.as_bytes())?;
        let cmd = enc.finish();
        let mut out = None;
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::ListRights {
                    required, optional, ..
                } => {
                    out = Some(ListRights {
                        required: AclRights::from(lossy(&required)),
                        optional: optional.iter().map(|b| AclRights::from(lossy(b))).collect(),
                    });
                    None
                }
                other => Some(other),
            })
            .await?;
        out.ok_or_else(|| Error::Protocol("LISTRIGHTS completed without LISTRIGHTS data".into()))
    }
}
