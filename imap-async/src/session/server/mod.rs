//! What the server is and what it is enabled for: the server-level commands ENABLE
//! (RFC 5161), ID (RFC 2971) and NAMESPACE (RFC 2342) here, and in `identity` which server
//! family the session talks to and the workarounds keyed on it, with the ID answer
//! ([`ServerId`]) it is read from. This module uses `identity`; `identity` uses nothing of
//! this module (nor `Session`), so imports go one way and the connection core can hold a
//! `ServerIdentity` without depending on the commands.

pub(super) mod identity;

use identity::ServerId;

use super::Session;
use super::folders::decode_mailbox;
use crate::error::{Error, Result};
use crate::proto::{Capability, NamespaceDescr, Untagged};
use crate::server_kind::IdPolicy;

impl Session {
    /// ENABLE extensions (RFC 5161), e.g. [`Capability::Condstore`] so that SELECT reports
    /// `HIGHESTMODSEQ`; capability names as strings are accepted too. Returns what the
    /// server says it enabled. Fails before sending when the server lacks the ENABLE
    /// capability, or when a name is not an atom.
    ///
    /// RFC 5161 §3.1: ENABLE is valid only before any mailbox is selected, and "clients MUST
    /// NOT issue ENABLE once they SELECT/EXAMINE a mailbox". So once this session has sent
    /// SELECT or EXAMINE (even if it was closed or unselected since), this fails with
    /// [`Error::InvalidInput`] without sending anything: enable first, then select.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::Capability;
    ///
    /// let enabled = session.enable([Capability::Condstore]).await?;
    /// if enabled.contains(&Capability::Condstore) {
    ///     let info = session.select_folder("INBOX").await?;
    ///     println!("HIGHESTMODSEQ {:?}", info.highest_modseq);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn enable(
        &mut self,
        extensions: impl IntoIterator<Item = impl Into<Capability>>,
    ) -> Result<Vec<Capability>> {
        let extensions: Vec<Capability> = extensions.into_iter().map(Into::into).collect();
        self.require("ENABLE", "ENABLE").await?;
        if self.conn.selected_once {
            return Err(Error::invalid(
                "ENABLE",
                "a folder was already selected on this connection; RFC 5161 §3.1 allows \
                 ENABLE only before the first SELECT/EXAMINE",
            ));
        }
        if extensions.is_empty() {
            return Err(Error::invalid("ENABLE", "no extension named"));
        }
        let mut enc = self.conn.encoder("ENABLE");
        for ext in &extensions {
            enc.atom("extension name", &ext.to_string())?;
        }
        let cmd = enc.finish();
        let mut enabled = Vec::new();
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::Enabled(list) => {
                    enabled.extend(
                        list.iter()
                            .map(|b| Capability::from(String::from_utf8_lossy(b).as_ref())),
                    );
                    None
                }
                other => Some(other),
            })
            .await?;
        if enabled.contains(&Capability::Utf8Accept) {
            self.conn.utf8_enabled = true;
        }
        self.conn.qresync_enabled |= enabled.contains(&Capability::Qresync);
        for e in &enabled {
            let name = e.to_string().to_ascii_uppercase();
            if !self.conn.enabled.contains(&name) {
                self.conn.enabled.push(name);
            }
        }
        Ok(enabled)
    }
}

/// What the session sends as ID: this library's name and version.
pub(crate) const CLIENT_ID: [(&str, &str); 2] = [
    ("name", "imap-async"),
    ("version", env!("CARGO_PKG_VERSION")),
];

/// Limits of RFC 2971 §3.3: field names at most 30 octets, values at most 1024, at most 30
/// pairs.
const ID_MAX_FIELD: usize = 30;
const ID_MAX_VALUE: usize = 1024;
const ID_MAX_PAIRS: usize = 30;

/// One namespace (RFC 2342 §5): the folder-name prefix, decoded from modified UTF-7, and
/// its hierarchy delimiter (`None` for a flat namespace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// The prefix a folder's name starts with in this namespace (`""` for the personal
    /// namespace of most servers, `"INBOX."` on Courier-style servers, `"Other Users/"`),
    /// decoded from modified UTF-7.
    pub prefix: String,
    /// The hierarchy delimiter of the folders under the prefix; `None` when the server
    /// sent NIL (a flat namespace, with no hierarchy).
    pub delimiter: Option<char>,
}

/// The three kinds of namespaces (RFC 2342 §5). An empty list is `NIL`: the server has none
/// of that kind.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Namespaces {
    /// The user's own folders, e.g. prefix `""` or `"INBOX."`.
    pub personal: Vec<Namespace>,
    /// Other users' folders, e.g. `"~"` or `"Other Users/"`.
    pub other_users: Vec<Namespace>,
    /// Shared folders, e.g. `"Public/"`.
    pub shared: Vec<Namespace>,
}

impl Session {
    /// ID (RFC 2971): tell the server who we are and learn who it is. `None` (or no
    /// fields) sends `ID NIL`. Returns the server's fields, or `None` when it answered
    /// `* ID NIL`. Fails before sending when the server lacks ID, or when a field breaks
    /// RFC 2971 §3.3's limits (name > 30 octets, value > 1024 octets, > 30 fields).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let server = session.id(Some(&[("name", "my-app"), ("version", "1.0")])).await?;
    /// if let Some(server) = server {
    ///     println!("server: {:?}", server.get("name"));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn id(&mut self, fields: Option<&[(&str, &str)]>) -> Result<Option<ServerId>> {
        self.require("ID", "ID").await?;
        let fields = fields.unwrap_or(&[]);
        if fields.len() > ID_MAX_PAIRS {
            return Err(Error::invalid(
                "ID fields",
                format!(
                    "{} fields; RFC 2971 allows at most {ID_MAX_PAIRS}",
                    fields.len()
                ),
            ));
        }
        let mut enc = self.conn.encoder("ID");
        if fields.is_empty() {
            enc.nil();
        } else {
            enc.open_list();
            for (name, value) in fields {
                if name.len() > ID_MAX_FIELD {
                    return Err(Error::invalid(
                        "ID field name",
                        format!("{name:?} is longer than {ID_MAX_FIELD} octets"),
                    ));
                }
                if value.len() > ID_MAX_VALUE {
                    return Err(Error::invalid(
                        format!("ID value of {name:?}"),
                        format!("longer than {ID_MAX_VALUE} octets"),
                    ));
                }
                enc.string("ID field name", name.as_bytes())?;
                enc.string("ID field value", value.as_bytes())?;
            }
            enc.close_list();
        }
        let cmd = enc.finish();
        let mut answer = None;
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::Id(fields) => {
                    answer = Some(fields);
                    None
                }
                other => Some(other),
            })
            .await?;
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let id = answer.flatten().map(|fields| ServerId {
            fields: fields
                .iter()
                .map(|(name, value)| (text(name), value.as_deref().map(text)))
                .collect(),
        });
        if let Some(id) = &id {
            let kind = self.conn.identity.kind;
            self.conn.identity.note_id(id);
            if self.conn.kind_fixed {
                // Name and version are kept; the family stays as the options set it.
                self.conn.identity.kind = kind;
            }
        }
        Ok(id)
    }

    /// ID right after login, as [`IdPolicy`] says: always when the server advertises ID
    /// with [`IdPolicy::Always`], and with [`IdPolicy::Auto`] only for servers that refuse
    /// to work without it.
    pub(crate) async fn send_id_after_login(&mut self) -> Result<()> {
        let kind = self.conn.identity.kind;
        let send = match self.conn.id_policy {
            IdPolicy::Never => false,
            IdPolicy::Always => true,
            IdPolicy::Auto => kind.needs_id(),
        };
        if !send || !self.capabilities().await?.has("ID") {
            return Ok(());
        }
        if self.conn.id_policy == IdPolicy::Auto {
            tracing::debug!(
                server = kind.label(),
                workaround = "send ID after login",
                "workaround: {} refuses SELECT until the client sent ID",
                kind.label()
            );
        }
        match self.id(Some(&CLIENT_ID)).await {
            Ok(_) => Ok(()),
            // A refused ID leaves the session as it was: logged in, just not identified.
            Err(e @ (Error::No { .. } | Error::Bad { .. })) => {
                tracing::debug!(error = %e, "the server refused ID after login; going on without");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// NAMESPACE (RFC 2342): the prefixes under which personal, other users' and shared
    /// folders live, decoded from modified UTF-7. Fails before sending when the server
    /// lacks NAMESPACE.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let ns = session.namespace().await?;
    /// let prefix = ns.personal.first().map(|n| n.prefix.clone()).unwrap_or_default();
    /// session.create_folder(&format!("{prefix}Reports")).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn namespace(&mut self) -> Result<Namespaces> {
        self.require("NAMESPACE", "NAMESPACE").await?;
        let cmd = self.conn.encoder("NAMESPACE").finish();
        let mut answer = None;
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::Namespace(ns) => {
                    answer = Some(ns);
                    None
                }
                other => Some(other),
            })
            .await?;
        let Some(ns) = answer else {
            return Err(Error::Protocol(
                "NAMESPACE completed without namespace data".into(),
            ));
        };
        let conn = &self.conn;
        let decode = |list: Vec<NamespaceDescr>| -> Vec<Namespace> {
            list.into_iter()
                .map(|d| Namespace {
                    prefix: decode_mailbox(conn, &d.prefix),
                    delimiter: d.delimiter.map(char::from),
                })
                .collect()
        };
        Ok(Namespaces {
            personal: decode(ns.personal),
            other_users: decode(ns.other_users),
            shared: decode(ns.shared),
        })
    }
}
