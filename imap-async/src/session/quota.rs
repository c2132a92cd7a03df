//! QUOTA (RFC 9208, formerly RFC 2087): GETQUOTA, GETQUOTAROOT, SETQUOTA. Every command
//! checks the `QUOTA` capability first and sends nothing without it.

use super::{Session, lossy};
use crate::error::Result;
use crate::proto::Untagged;

/// One resource of a quota root, as `* QUOTA` reports it (RFC 9208 §4.2.1): one entry
/// per (root, resource), like IMAPClient's `Quota` tuple. A root without limits reports no
/// resources, hence no entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    /// The quota root's name, e.g. `"User quota"` (not a mailbox name).
    pub root: String,
    /// The resource as sent, e.g. `STORAGE` (in units of 1024 octets, RFC 9208 §5.1) or
    /// `MESSAGE` (a number of messages, §5.2).
    pub resource: String,
    /// Current usage.
    pub usage: u64,
    /// The limit.
    pub limit: u64,
}

fn quotas(root: &[u8], resources: &[crate::proto::QuotaResource]) -> Vec<Quota> {
    resources
        .iter()
        .map(|r| Quota {
            root: lossy(root),
            resource: lossy(&r.name),
            usage: r.usage,
            limit: r.limit,
        })
        .collect()
}

impl Session {
    /// GETQUOTA (RFC 9208 §4.1.1): the resources of quota root `root`, e.g. one of the
    /// roots [`Session::get_quota_root`] names. Needs `QUOTA`.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// for q in session.get_quota("User quota").await? {
    ///     println!("{} {}: {} of {}", q.root, q.resource, q.usage, q.limit);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_quota(&mut self, root: &str) -> Result<Vec<Quota>> {
        self.require("QUOTA", "GETQUOTA").await?;
        let mut enc = self.conn.encoder("GETQUOTA");
        enc.astring("quota root", root.as_bytes())?;
        let cmd = enc.finish();
        self.execute_for_quotas(cmd).await
    }

    /// GETQUOTAROOT (RFC 9208 §4.1.2): the quota roots of `folder` and their resources.
    /// The folder name is encoded like every mailbox name (modified UTF-7, quoted or a
    /// literal as needed), unlike IMAPClient, which sends it as it is.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let (roots, quotas) = session.get_quota_root("INBOX").await?;
    /// println!("roots {roots:?}");
    /// for q in quotas {
    ///     println!("{} {}: {} of {}", q.root, q.resource, q.usage, q.limit);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_quota_root(&mut self, folder: &str) -> Result<(Vec<String>, Vec<Quota>)> {
        self.require("QUOTA", "GETQUOTAROOT").await?;
        let mut enc = self.conn.encoder("GETQUOTAROOT");
        enc.mailbox("mailbox name", folder)?;
        let cmd = enc.finish();
        let mut roots = Vec::new();
        let mut out = Vec::new();
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::QuotaRoot { roots: r, .. } => {
                    roots.extend(r.iter().map(|b| lossy(b)));
                    None
                }
                Untagged::Quota { root, resources } => {
                    out.extend(quotas(&root, &resources));
                    None
                }
                other => Some(other),
            })
            .await?;
        Ok((roots, out))
    }

    /// SETQUOTA (RFC 9208 §4.1.3, RFC 2087 §4.1): set the limits of quota root `root`,
    /// given as (resource, limit) pairs, e.g. `("STORAGE", 512)` in KiB. Returns the
    /// `* QUOTA` data the server sends back (possibly none). Needs `QUOTA`: servers of the
    /// RFC 2087 era (Dovecot 2.3) do not advertise RFC 9208's `QUOTASET`, so it is not
    /// required. Most servers only let administrators change quotas and answer
    /// [`Error::No`](crate::Error::No) otherwise.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not undo the command once it was sent: the server may still
    /// apply the new limits. The command then stays in flight, and the next command on this
    /// session first reads the rest of its response (untagged data going to the unsolicited
    /// queue) and its completion, whose OK or NO nobody sees, so check the outcome with
    /// [`Session::get_quota`]. Dropped while the command was being written, the server was
    /// left with part of a command: the session is unusable (later commands fail with
    /// [`Error::Unusable`](crate::Error::Unusable)), and whether the change was made is
    /// unknown until a new session checks.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.set_quota("User quota", &[("STORAGE", 1024 * 1024)]).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn set_quota(&mut self, root: &str, limits: &[(&str, u64)]) -> Result<Vec<Quota>> {
        self.require("QUOTA", "SETQUOTA").await?;
        let mut enc = self.conn.encoder("SETQUOTA");
        enc.astring("quota root", root.as_bytes())?;
        // RFC 9208 §7: `setquota-list = "(" [setquota-resource *(SP setquota-resource)]
        // ")"`, `setquota-resource = resource-name SP resource-limit`, names are atoms.
        enc.open_list();
        for (resource, limit) in limits {
            enc.atom("quota resource name", resource)?;
            enc.number(*limit);
        }
        enc.close_list();
        let cmd = enc.finish();
        self.execute_for_quotas(cmd).await
    }

    /// Run `cmd` and collect the QUOTA responses it brings (GETQUOTA and SETQUOTA answer
    /// alike, RFC 9208 §4.1.1 and §4.1.3); anything else goes to the unsolicited queue.
    async fn execute_for_quotas(&mut self, cmd: crate::proto::Command) -> Result<Vec<Quota>> {
        let mut out = Vec::new();
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::Quota { root, resources } => {
                    out.extend(quotas(&root, &resources));
                    None
                }
                other => Some(other),
            })
            .await?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use bytes::Bytes;

    #[test]
    fn quota_resources_become_one_entry_each() {
        let resources = vec![
            crate::proto::QuotaResource {
                name: Bytes::from_static(b"STORAGE"),
                usage: 4,
                limit: 512,
            },
            crate::proto::QuotaResource {
                name: Bytes::from_static(b"MESSAGE"),
                usage: 2,
                limit: 100,
            },
        ];
        let q = quotas(b"User quota", &resources);
        assert_eq!(
            q,
            vec![
                Quota {
                    root: "User quota".into(),
                    resource: "STORAGE".into(),
                    usage: 4,
                    limit: 512
                },
                Quota {
                    root: "User quota".into(),
                    resource: "MESSAGE".into(),
                    usage: 2,
                    limit: 100
                },
            ]
        );
    }
}
