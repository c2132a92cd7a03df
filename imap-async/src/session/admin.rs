//! Administration: QUOTA (RFC 9208, formerly RFC 2087), ACL (RFC 4314) and METADATA
//! (RFC 5464). Every command checks its capability first and sends nothing without it.

use bytes::Bytes;

use super::Session;
use crate::error::{Error, Result};
use crate::proto::{AclChange, AclRights, ResponseCode, Untagged};

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

/// How deep GETMETADATA looks below each entry (RFC 5464 §4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetadataDepth {
    /// Only the named entries (the server's default; no option is sent).
    #[default]
    Zero,
    /// The entries and their immediate children.
    One,
    /// The entries and everything below them.
    Infinity,
}

/// Options of GETMETADATA (RFC 5464 §4.2). The default sends no options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MetadataOptions {
    /// `MAXSIZE n` (§4.2.1): leave out values longer than `n` octets; the tagged OK then
    /// reports the longest one left out ([`Metadata::long_entries`]).
    pub max_size: Option<u64>,
    /// `DEPTH` (§4.2.2).
    pub depth: MetadataDepth,
}

/// Builders: the struct is `#[non_exhaustive]`, so it is made from
/// [`MetadataOptions::default`] and these.
impl MetadataOptions {
    /// `MAXSIZE n`.
    ///
    /// ```
    /// use imap_async::{MetadataDepth, MetadataOptions};
    ///
    /// let o = MetadataOptions::default().max_size(1024).depth(MetadataDepth::One);
    /// assert_eq!(o.max_size, Some(1024));
    /// ```
    pub fn max_size(mut self, n: u64) -> Self {
        self.max_size = Some(n);
        self
    }

    /// `DEPTH`.
    pub fn depth(mut self, depth: MetadataDepth) -> Self {
        self.depth = depth;
        self
    }
}

/// One annotation entry and its value (RFC 5464 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataEntry {
    /// The entry name, e.g. `/private/comment`.
    pub name: String,
    /// The value as bytes; `None` when the entry has no value (`NIL`).
    pub value: Option<Bytes>,
}

/// What GETMETADATA returns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Metadata {
    /// Entries in the order the server sent them.
    pub entries: Vec<MetadataEntry>,
    /// `[METADATA LONGENTRIES n]` (RFC 5464 §4.2.1): with `MAXSIZE`, the size of the
    /// longest value that was left out.
    pub long_entries: Option<u64>,
}

impl Metadata {
    /// The value of entry `name` (compared case-insensitively, RFC 5464 §3.2), if it was
    /// returned and has one.
    ///
    /// ```
    /// use imap_async::{Metadata, MetadataEntry};
    ///
    /// let md = Metadata {
    ///     entries: vec![MetadataEntry {
    ///         name: "/private/comment".into(),
    ///         value: Some("hello".into()),
    ///     }],
    ///     long_entries: None,
    /// };
    /// assert_eq!(md.get("/PRIVATE/comment"), Some(&b"hello"[..]));
    /// assert_eq!(md.get("/shared/comment"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
            .and_then(|e| e.value.as_deref())
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
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
    /// [`Error::No`] otherwise.
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

    /// METADATA for `folder`, or for the server when `folder` is `""` (RFC 5464 §1: the
    /// server-only variant is `METADATA-SERVER`).
    async fn require_metadata(&mut self, folder: &str, command: &str) -> Result<()> {
        let caps = self.capabilities().await?;
        if caps.has("METADATA") || (folder.is_empty() && caps.has("METADATA-SERVER")) {
            return Ok(());
        }
        Err(Error::MissingCapability {
            capability: if folder.is_empty() {
                "METADATA or METADATA-SERVER".into()
            } else {
                "METADATA".into()
            },
            needed_for: command.into(),
        })
    }

    /// GETMETADATA (RFC 5464 §4.2): the values of `entries` on `folder` (`""` for server
    /// entries). Needs `METADATA` (or `METADATA-SERVER` for `""`).
    ///
    /// ```no_run
    /// use imap_async::session::{MetadataDepth, MetadataOptions};
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let options = MetadataOptions::default().max_size(1024).depth(MetadataDepth::One);
    /// let md = session.get_metadata("INBOX", &["/private/comment"], options).await?;
    /// if let Some(comment) = md.get("/private/comment") {
    ///     println!("{}", String::from_utf8_lossy(comment));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_metadata(
        &mut self,
        folder: &str,
        entries: &[&str],
        options: MetadataOptions,
    ) -> Result<Metadata> {
        self.require_metadata(folder, "GETMETADATA").await?;
        if entries.is_empty() {
            return Err(Error::invalid("GETMETADATA entries", "no entry named"));
        }
        let mut enc = self.conn.encoder("GETMETADATA");
        // RFC 5464 §5: `getmetadata = "GETMETADATA" [SP getmetadata-options] SP mailbox SP
        // entries`.
        if options.max_size.is_some() || options.depth != MetadataDepth::Zero {
            enc.open_list();
            if let Some(n) = options.max_size {
                enc.raw("MAXSIZE").number(n);
            }
            match options.depth {
                MetadataDepth::Zero => {}
                MetadataDepth::One => {
                    enc.raw("DEPTH").raw("1");
                }
                MetadataDepth::Infinity => {
                    enc.raw("DEPTH").raw("infinity");
                }
            }
            enc.close_list();
        }
        enc.mailbox("mailbox name", folder)?;
        enc.open_list();
        for entry in entries {
            enc.astring("metadata entry name", entry.as_bytes())?;
        }
        enc.close_list();
        let cmd = enc.finish();
        let mut out = Metadata::default();
        let mut raw = Vec::new();
        let done = self
            .conn
            .execute(cmd, &mut |u| match u {
                Untagged::Metadata { entries, .. } => {
                    raw.extend(entries);
                    None
                }
                other => Some(other),
            })
            .await?;
        out.entries = raw
            .into_iter()
            .map(|(name, value)| MetadataEntry {
                name: lossy(&name),
                value,
            })
            .collect();
        // `[METADATA LONGENTRIES n]` (RFC 5464 §4.2.1, §5 `resp-text-code`).
        if let Some(ResponseCode::Other(name, Some(rest))) = &done.code
            && name.eq_ignore_ascii_case(b"METADATA")
        {
            let rest = String::from_utf8_lossy(rest);
            let mut words = rest.split_ascii_whitespace();
            if words
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case("LONGENTRIES"))
            {
                out.long_entries = words.next().and_then(|n| n.parse().ok());
            }
        }
        Ok(out)
    }

    /// SETMETADATA (RFC 5464 §4.3): set each entry to its value, or remove it with `None`
    /// (sent as `NIL`). Values are bytes: text with CR, LF or 8-bit bytes goes as a
    /// literal; a value with NUL bytes needs `BINARY` (sent as `literal8`). `folder` is
    /// `""` for server entries. Needs `METADATA` (or `METADATA-SERVER` for `""`).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session
    ///     .set_metadata("INBOX", &[("/private/comment", Some(b"hello".as_slice()))])
    ///     .await?;
    /// session.set_metadata("INBOX", &[("/private/comment", None)]).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn set_metadata(
        &mut self,
        folder: &str,
        entries: &[(&str, Option<&[u8]>)],
    ) -> Result<()> {
        self.require_metadata(folder, "SETMETADATA").await?;
        if entries.is_empty() {
            return Err(Error::invalid("SETMETADATA entries", "no entry given"));
        }
        let binary = self.capabilities().await?.has("BINARY");
        let mut enc = self.conn.encoder("SETMETADATA");
        enc.mailbox("mailbox name", folder)?;
        // RFC 5464 §5: `setmetadata = "SETMETADATA" SP mailbox SP entry-values`,
        // `entry-value = entry SP value`, `value = nstring / literal8`.
        enc.open_list();
        for (entry, value) in entries {
            enc.astring("metadata entry name", entry.as_bytes())?;
            match value {
                None => {
                    enc.nil();
                }
                Some(v) if binary && v.contains(&0) => {
                    enc.literal8(Bytes::copy_from_slice(v));
                }
                Some(v) => {
                    enc.string("metadata value", v)?;
                }
            }
        }
        enc.close_list();
        let cmd = enc.finish();
        self.conn.execute(cmd, &mut |u| Some(u)).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn metadata_get_is_case_insensitive_and_skips_nil() {
        let md = Metadata {
            entries: vec![
                MetadataEntry {
                    name: "/private/Comment".into(),
                    value: Some(Bytes::from_static(b"x")),
                },
                MetadataEntry {
                    name: "/shared/comment".into(),
                    value: None,
                },
            ],
            long_entries: None,
        };
        assert_eq!(md.get("/PRIVATE/comment"), Some(&b"x"[..]));
        assert_eq!(md.get("/shared/comment"), None);
        assert_eq!(md.get("/shared/other"), None);
    }
}
