//! METADATA (RFC 5464): GETMETADATA and SETMETADATA, on a folder or on the server. Every
//! command checks the `METADATA` capability (or `METADATA-SERVER` for server entries)
//! first and sends nothing without it.

use bytes::Bytes;

use super::{Session, lossy};
use crate::error::{Error, Result};
use crate::proto::{ResponseCode, Untagged};

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

impl Session {
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
    /// # Cancel safety
    ///
    /// Dropping the future does not undo the command once it was sent: the server may still
    /// set or remove the entries. The command then stays in flight, and the next command on
    /// this session first reads the rest of its response (untagged data going to the
    /// unsolicited queue) and its completion, whose OK or NO nobody sees, so check the
    /// outcome with [`Session::get_metadata`]. Dropped while the command was being written,
    /// the server was left with part of a command: the session is unusable (later commands
    /// fail with [`Error::Unusable`]), and whether the change was made is unknown until a
    /// new session checks.
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
