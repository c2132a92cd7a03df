//! Selecting folders: SELECT and EXAMINE (RFC 3501 §6.3.1–6.3.2, RFC 7162 §3.1.2).

use bytes::Bytes;

use super::Session;
use super::connection::Connection;
use crate::error::Result;
use crate::proto::{ResponseCode, Untagged, utf7};

/// What SELECT or EXAMINE reports about the folder.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SelectInfo {
    /// Number of messages (`EXISTS`).
    pub exists: u32,
    /// Messages with the `\Recent` flag (`RECENT`; always 0 on IMAP4rev2 servers).
    pub recent: u32,
    /// Predicted next UID (`UIDNEXT`).
    pub uid_next: Option<u32>,
    /// `UIDVALIDITY`: when it changes, every UID you stored for this folder is void.
    pub uid_validity: Option<u32>,
    /// First unseen message's sequence number (`UNSEEN`, IMAP4rev1 only).
    pub unseen: Option<u32>,
    /// Flags defined in the folder (`FLAGS`).
    pub flags: Vec<String>,
    /// Flags that can be changed permanently (`PERMANENTFLAGS`); `\*` means new keywords
    /// may be created.
    pub permanent_flags: Vec<String>,
    /// `false` for EXAMINE or a `[READ-ONLY]` answer.
    pub read_write: bool,
    /// `HIGHESTMODSEQ` (CONDSTORE, RFC 7162); `None` with `[NOMODSEQ]` or without CONDSTORE.
    pub highest_modseq: Option<u64>,
}

fn strings(list: &[Bytes]) -> Vec<String> {
    list.iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect()
}

impl Session {
    /// SELECT a folder for reading and writing.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let info = session.select_folder("INBOX").await?;
    /// println!("{} messages, UIDVALIDITY {:?}", info.exists, info.uid_validity);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn select_folder(&mut self, name: &str) -> Result<SelectInfo> {
        self.select_or_examine("SELECT", name).await
    }

    /// EXAMINE a folder: like [`Session::select_folder`] but read-only, so nothing (not
    /// even `\Seen`) changes.
    pub async fn examine_folder(&mut self, name: &str) -> Result<SelectInfo> {
        self.select_or_examine("EXAMINE", name).await
    }

    async fn select_or_examine(&mut self, command: &str, name: &str) -> Result<SelectInfo> {
        let mut enc = self.conn.encoder(command);
        enc.mailbox("mailbox name", name)?;
        let cmd = enc.finish();
        let mut info = SelectInfo {
            read_write: command == "SELECT",
            ..SelectInfo::default()
        };
        // Everything SELECT sends describes the new folder; it is consumed here, never
        // queued as unsolicited (a queued EXISTS from SELECT would look like new mail).
        let done = self
            .conn
            .execute(cmd, &mut |u| {
                match u {
                    Untagged::Exists(n) => info.exists = n,
                    Untagged::Recent(n) => info.recent = n,
                    Untagged::Flags(f) => info.flags = strings(&f),
                    Untagged::Status(st) => match st.code {
                        Some(ResponseCode::UidNext(n)) => info.uid_next = Some(n),
                        Some(ResponseCode::UidValidity(n)) => info.uid_validity = Some(n),
                        Some(ResponseCode::Unseen(n)) => info.unseen = Some(n),
                        Some(ResponseCode::PermanentFlags(f)) => info.permanent_flags = strings(&f),
                        Some(ResponseCode::HighestModSeq(n)) => info.highest_modseq = Some(n),
                        Some(ResponseCode::NoModSeq) => info.highest_modseq = None,
                        // RFC 7162 §3.2.11: CLOSED ends the previous folder's data.
                        Some(ResponseCode::Closed) => {}
                        _ => return Some(Untagged::Status(st)),
                    },
                    other => return Some(other),
                }
                None
            })
            .await?;
        match done.code {
            Some(ResponseCode::ReadOnly) => info.read_write = false,
            Some(ResponseCode::ReadWrite) => info.read_write = true,
            _ => {}
        }
        Ok(info)
    }
}

/// One folder from LIST (RFC 3501 §6.3.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// The name, decoded from modified UTF-7 (or UTF-8 with UTF8=ACCEPT).
    pub name: String,
    /// Hierarchy delimiter; `None` for a flat namespace.
    pub delimiter: Option<char>,
    /// Attributes as sent, e.g. `\HasNoChildren`, `\Sent` (RFC 6154).
    pub attributes: Vec<String>,
}

/// Decode a mailbox name from the wire. A name that is not valid modified UTF-7 is shown
/// as the server sent it rather than dropped.
pub(crate) fn decode_mailbox(conn: &Connection, wire: &[u8]) -> String {
    if conn.utf8_enabled {
        return String::from_utf8_lossy(wire).into_owned();
    }
    utf7::decode(wire).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "mailbox name is not valid modified UTF-7; kept as sent");
        String::from_utf8_lossy(wire).into_owned()
    })
}

impl Session {
    /// LIST every folder below `reference` matching `pattern` (`*` matches across
    /// levels, `%` within one). `list_folders("", "*")` lists them all.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// for folder in session.list_folders("", "*").await? {
    ///     println!("{} {:?}", folder.name, folder.attributes);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list_folders(&mut self, reference: &str, pattern: &str) -> Result<Vec<Folder>> {
        let mut enc = self.conn.encoder("LIST");
        enc.mailbox("LIST reference", reference)?;
        let wire_pattern = if self.conn.utf8_enabled {
            pattern.to_owned()
        } else {
            utf7::encode(pattern)
        };
        enc.list_mailbox("LIST pattern", wire_pattern.as_bytes())?;
        let cmd = enc.finish();
        let mut items = Vec::new();
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::List(item) => {
                    items.push(item);
                    None
                }
                other => Some(other),
            })
            .await?;
        Ok(items
            .into_iter()
            .map(|item| Folder {
                name: decode_mailbox(&self.conn, &item.name),
                delimiter: item.delimiter.map(char::from),
                attributes: strings(&item.attributes),
            })
            .collect())
    }
}
