//! Folders: SELECT/EXAMINE/CLOSE/UNSELECT, LIST/LSUB/XLIST, special-use folders,
//! CREATE/RENAME/DELETE/(UN)SUBSCRIBE and STATUS (RFC 3501 §6.3, §6.4.2; RFC 3691;
//! RFC 6154; RFC 7162 §3.1.2, §3.1.8).

use bytes::Bytes;

use super::Session;
use super::connection::Connection;
use crate::error::{Error, Result};
use crate::options::SelectOptions;
use crate::proto::flag::{Flag, flags_from_wire};
use crate::proto::{CommandEncoder, ListItem, MailboxStatus, ResponseCode, Status, Untagged, utf7};

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
    pub flags: Vec<Flag>,
    /// Flags that can be changed permanently (`PERMANENTFLAGS`); [`Flag::MayCreate`]
    /// (`\*`) means new keywords may be created.
    pub permanent_flags: Vec<Flag>,
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
    /// SELECT a folder for reading and writing (RFC 3501 §6.3.1).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let info = session.select_folder("INBOX").await?;
    /// println!("{} messages, UIDVALIDITY {:?}", info.exists, info.uid_validity);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// SELECT changes no message, but it changes which folder later commands act on. The
    /// session forgets its selected folder before sending, so once a dropped SELECT was sent
    /// [`Session::selected_folder`] reads `None` while the server may have selected the new
    /// folder (or, having refused it, none at all): select again before using sequence numbers
    /// or UIDs. Dropped while being written, the session is unusable ([`Error::Unusable`]). See
    /// [`Session`'s Cancel safety](Session#cancel-safety).
    pub async fn select_folder(&mut self, name: &str) -> Result<SelectInfo> {
        self.select_folder_with(name, SelectOptions::default())
            .await
    }

    /// EXAMINE a folder: like [`Session::select_folder`] but read-only, so nothing (not
    /// even `\Seen`) changes (RFC 3501 §6.3.2).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let info = session.examine_folder("INBOX").await?;
    /// assert!(!info.read_write);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`Session::select_folder`]: once a dropped EXAMINE was sent,
    /// [`Session::selected_folder`] reads `None` while the server may have selected the
    /// folder (or none); dropped while being written, the session is unusable.
    pub async fn examine_folder(&mut self, name: &str) -> Result<SelectInfo> {
        let options = SelectOptions {
            readonly: true,
            ..SelectOptions::default()
        };
        self.select_folder_with(name, options).await
    }

    /// SELECT or EXAMINE a folder as `options` say. With `condstore`, fails before sending
    /// when the server lacks CONDSTORE.
    ///
    /// Whatever the outcome, the previously selected folder is no longer selected (RFC 3501
    /// §6.3.1: a failed SELECT leaves none selected); on success
    /// [`Session::selected_folder`] names the new one.
    ///
    /// ```no_run
    /// use imap_async::session::SelectOptions;
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let options = SelectOptions::default().readonly(true).condstore(true);
    /// let info = session.select_folder_with("INBOX", options).await?;
    /// println!("HIGHESTMODSEQ {:?}", info.highest_modseq);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`Session::select_folder`]: once a dropped SELECT or EXAMINE was sent,
    /// [`Session::selected_folder`] reads `None` while the server may have selected the
    /// folder (or none); dropped while being written, the session is unusable.
    pub async fn select_folder_with(
        &mut self,
        name: &str,
        options: SelectOptions,
    ) -> Result<SelectInfo> {
        let command = if options.readonly {
            "EXAMINE"
        } else {
            "SELECT"
        };
        if options.condstore {
            self.require("CONDSTORE", &format!("{command} (CONDSTORE)"))
                .await?;
        }
        let mut enc = self.conn.encoder(command);
        enc.mailbox("mailbox name", name)?;
        if options.condstore {
            // RFC 7162 §3.1.8: `select-param = "CONDSTORE"`.
            enc.open_list().raw("CONDSTORE").close_list();
        }
        let cmd = enc.finish();
        let mut info = SelectInfo {
            read_write: !options.readonly,
            ..SelectInfo::default()
        };
        self.conn.selected = None;
        self.conn.selected_exists = None;
        self.conn.selected_once = true;
        // Everything SELECT sends describes the new folder; it is consumed here, never
        // queued as unsolicited (a queued EXISTS from SELECT would look like new mail).
        let mut saw_exists = false;
        let done = self
            .conn
            .execute(cmd, &mut |u| {
                match u {
                    Untagged::Exists(n) => {
                        info.exists = n;
                        saw_exists = true;
                    }
                    Untagged::Recent(n) => info.recent = n,
                    Untagged::Flags(f) => info.flags = flags_from_wire(&f),
                    Untagged::Status(st) => match st.code {
                        Some(ResponseCode::UidNext(n)) => info.uid_next = Some(n),
                        Some(ResponseCode::UidValidity(n)) => info.uid_validity = Some(n),
                        Some(ResponseCode::Unseen(n)) => info.unseen = Some(n),
                        Some(ResponseCode::PermanentFlags(f)) => {
                            info.permanent_flags = flags_from_wire(&f)
                        }
                        Some(ResponseCode::HighestModSeq(n)) => info.highest_modseq = Some(n),
                        Some(ResponseCode::NoModSeq) => info.highest_modseq = None,
                        // RFC 7162 §3.2.11: CLOSED ends the previous folder's data.
                        Some(ResponseCode::Closed) => {}
                        // Other codes in an untagged OK describe the folder too: Cyrus
                        // sends MAILBOXID (RFC 8474 §4.2), URLMECH (RFC 4467) and
                        // ANNOTATIONS (RFC 5257 §4.3). ALERT and the like stay queued.
                        Some(ResponseCode::Other(_, _)) if st.status == Status::Ok => {}
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
        self.conn.selected = Some(name.to_owned());
        self.conn.selected_options = options;
        self.conn.selected_uid_validity = info.uid_validity;
        // The count is known only if the server sent it (RFC 3501 §7.3.1 requires EXISTS,
        // but the session must not believe a folder empty on a server's omission).
        self.conn.selected_exists = saw_exists.then_some(info.exists);
        Ok(info)
    }

    /// The folder selected by the last successful [`Session::select_folder`] (or examine),
    /// as it was given; `None` after CLOSE, UNSELECT, a failed SELECT, or before any.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.select_folder("INBOX").await?;
    /// assert_eq!(session.selected_folder(), Some("INBOX"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn selected_folder(&self) -> Option<&str> {
        self.conn.selected.as_deref()
    }

    /// UNSELECT (RFC 3691): leave the selected folder WITHOUT expunging messages marked
    /// `\Deleted` (unlike [`Session::close_folder`]). Fails before sending when the server
    /// lacks UNSELECT.
    ///
    /// Unlike IMAPClient, which ignores a `NO` answer, a `NO` (e.g. no folder was selected)
    /// is returned as [`Error::No`]: the caller asked for something that did not happen.
    /// The session is in the authenticated state afterwards either way.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.select_folder("INBOX").await?;
    /// session.unselect_folder().await?;
    /// assert_eq!(session.selected_folder(), None);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn unselect_folder(&mut self) -> Result<()> {
        self.require("UNSELECT", "UNSELECT").await?;
        let cmd = self.conn.encoder("UNSELECT").finish();
        let result = self.conn.execute(cmd, &mut |u| Some(u)).await;
        if matches!(result, Ok(_) | Err(Error::No { .. })) {
            self.conn.selected = None;
            self.conn.selected_exists = None;
        }
        result.map(drop)
    }

    /// CLOSE (RFC 3501 §6.4.2): permanently remove the messages marked `\Deleted` from the
    /// selected folder (silently, without EXPUNGE responses), then leave it.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.select_folder("INBOX").await?;
    /// session.close_folder().await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe (see [`Session`'s Cancel safety](Session#cancel-safety)). Once sent,
    /// a dropped CLOSE may still remove the messages marked `\Deleted`, for good, and close the
    /// folder, while [`Session::selected_folder`] still names it (it is cleared only when the
    /// answer is read): select a folder again before anything else. Dropped while being written,
    /// the session is unusable ([`Error::Unusable`]).
    pub async fn close_folder(&mut self) -> Result<()> {
        let cmd = self.conn.encoder("CLOSE").finish();
        self.conn.execute(cmd, &mut |u| Some(u)).await?;
        self.conn.selected = None;
        self.conn.selected_exists = None;
        Ok(())
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

/// A LIST-like command's reference and pattern; the pattern's wildcards kept, the rest in
/// modified UTF-7 unless UTF8=ACCEPT is on.
fn list_arguments(
    conn: &Connection,
    enc: &mut CommandEncoder,
    reference: &str,
    pattern: &str,
) -> Result<()> {
    enc.mailbox("LIST reference", reference)?;
    let wire_pattern = if conn.utf8_enabled {
        pattern.to_owned()
    } else {
        utf7::encode(pattern)
    };
    enc.list_mailbox("LIST pattern", wire_pattern.as_bytes())?;
    Ok(())
}

/// The kind of LIST-like command, and which untagged responses answer it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ListKind {
    List,
    Lsub,
    Xlist,
}

impl Session {
    /// LIST every folder below `reference` matching `pattern` (RFC 3501 §6.3.8; `*` matches
    /// across levels, `%` within one). `list_folders("", "*")` lists them all. Names are
    /// decoded from modified UTF-7.
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
        self.list_command(ListKind::List, None, reference, pattern)
            .await
    }

    /// LSUB (RFC 3501 §6.3.9): the subscribed folders below `reference` matching `pattern`.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let subscribed = session.list_sub_folders("", "*").await?;
    /// println!("{} subscribed folders", subscribed.len());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list_sub_folders(
        &mut self,
        reference: &str,
        pattern: &str,
    ) -> Result<Vec<Folder>> {
        self.list_command(ListKind::Lsub, None, reference, pattern)
            .await
    }

    /// XLIST, Gmail's deprecated forerunner of RFC 6154: like LIST, with attributes such as
    /// `\Inbox`, `\Sent`, `\AllMail`, and (on Gmail) localized names. Fails before sending
    /// when the server lacks the XLIST capability; prefer [`Session::find_special_folder`].
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// for folder in session.xlist_folders("", "*").await? {
    ///     println!("{} {:?}", folder.name, folder.attributes);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn xlist_folders(&mut self, reference: &str, pattern: &str) -> Result<Vec<Folder>> {
        self.require("XLIST", "XLIST").await?;
        self.list_command(ListKind::Xlist, None, reference, pattern)
            .await
    }

    /// LIST, LSUB or XLIST; `selection` is trusted library syntax such as `(SPECIAL-USE)`
    /// (RFC 5258 §3 selection options).
    async fn list_command(
        &mut self,
        kind: ListKind,
        selection: Option<&str>,
        reference: &str,
        pattern: &str,
    ) -> Result<Vec<Folder>> {
        let name = match kind {
            ListKind::List => "LIST",
            ListKind::Lsub => "LSUB",
            ListKind::Xlist => "XLIST",
        };
        let mut enc = self.conn.encoder(name);
        if let Some(selection) = selection {
            enc.raw(selection);
        }
        list_arguments(&self.conn, &mut enc, reference, pattern)?;
        let cmd = enc.finish();
        let mut items: Vec<ListItem> = Vec::new();
        self.conn
            .execute(cmd, &mut |u| match u {
                // XLIST answers are parsed as LIST.
                Untagged::List(item) if kind != ListKind::Lsub => {
                    items.push(item);
                    None
                }
                Untagged::Lsub(item) if kind == ListKind::Lsub => {
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

/// A special-use attribute (RFC 6154 §2), for [`Session::find_special_folder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpecialUse {
    /// `\All`: every message (Gmail's "All Mail").
    All,
    /// `\Archive`.
    Archive,
    /// `\Drafts`.
    Drafts,
    /// `\Flagged`: a virtual folder of flagged messages.
    Flagged,
    /// `\Junk`: spam.
    Junk,
    /// `\Sent`.
    Sent,
    /// `\Trash`.
    Trash,
}

impl SpecialUse {
    /// The attribute as it appears in LIST responses, e.g. `\Sent`.
    ///
    /// ```
    /// use imap_async::SpecialUse;
    ///
    /// assert_eq!(SpecialUse::Sent.attribute(), "\\Sent");
    /// assert_eq!(SpecialUse::Junk.attribute(), "\\Junk");
    /// ```
    pub fn attribute(self) -> &'static str {
        match self {
            SpecialUse::All => "\\All",
            SpecialUse::Archive => "\\Archive",
            SpecialUse::Drafts => "\\Drafts",
            SpecialUse::Flagged => "\\Flagged",
            SpecialUse::Junk => "\\Junk",
            SpecialUse::Sent => "\\Sent",
            SpecialUse::Trash => "\\Trash",
        }
    }

    /// The usual names of such a folder on servers without special-use attributes, in the
    /// order they are tried (IMAPClient's list, plus "All Mail" and "Flagged").
    ///
    /// ```
    /// use imap_async::SpecialUse;
    ///
    /// assert_eq!(SpecialUse::Drafts.usual_names(), ["Drafts"]);
    /// assert!(SpecialUse::Trash.usual_names().contains(&"Deleted Items"));
    /// ```
    pub fn usual_names(self) -> &'static [&'static str] {
        match self {
            SpecialUse::All => &["All Mail", "All"],
            SpecialUse::Archive => &["Archive"],
            SpecialUse::Drafts => &["Drafts"],
            SpecialUse::Flagged => &["Flagged", "Starred"],
            SpecialUse::Junk => &["Junk", "Spam", "Junk E-mail"],
            SpecialUse::Sent => &["Sent", "Sent Items", "Sent Messages", "Sent Mail"],
            SpecialUse::Trash => &["Trash", "Deleted Items", "Deleted Messages"],
        }
    }
}

fn has_attribute(folder: &Folder, attribute: &str) -> bool {
    folder
        .attributes
        .iter()
        .any(|a| a.eq_ignore_ascii_case(attribute))
}

/// Names that cannot be selected do not count as a special folder.
fn selectable(folder: &Folder) -> bool {
    !has_attribute(folder, "\\Noselect") && !has_attribute(folder, "\\NonExistent")
}

/// RFC 3501 §5.1: `INBOX` is case-insensitive; every other name is compared exactly.
fn same_mailbox(a: &str, b: &str) -> bool {
    a == b || (a.eq_ignore_ascii_case("INBOX") && b.eq_ignore_ascii_case("INBOX"))
}

/// For matching a STATUS answer to its question: like [`same_mailbox`], and a server may
/// also spell the `INBOX` of `INBOX/sub` in its own case.
fn same_status_mailbox(answer: &str, asked: &str) -> bool {
    fn split_inbox(name: &str) -> Option<&str> {
        let rest = name.get(5..)?;
        let next = rest.chars().next();
        (name[..5].eq_ignore_ascii_case("INBOX") && next.is_none_or(|c| !c.is_alphanumeric()))
            .then_some(rest)
    }
    same_mailbox(answer, asked)
        || matches!((split_inbox(answer), split_inbox(asked)), (Some(a), Some(b)) if a == b)
}

impl Session {
    /// Find the folder used for `use_` (Sent, Trash, ...), or `None`.
    ///
    /// 1. RFC 6154 §2: the first selectable folder carrying the attribute, from
    ///    `LIST (SPECIAL-USE) "" "*"` when the server advertises SPECIAL-USE, else from a
    ///    plain `LIST "" "*"`.
    /// 2. Otherwise the usual names ([`SpecialUse::usual_names`], e.g. "Sent Items") under
    ///    each personal namespace prefix ([`Session::namespace`] when NAMESPACE is
    ///    advertised, else `""` and `"INBOX."` like IMAPClient), compared case-insensitively
    ///    with every folder's full name. Names are tried first in order, then prefixes.
    ///
    /// ```no_run
    /// use imap_async::session::SpecialUse;
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// if let Some(sent) = session.find_special_folder(SpecialUse::Sent).await? {
    ///     println!("sent mail goes to {sent}");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn find_special_folder(&mut self, use_: SpecialUse) -> Result<Option<String>> {
        let attribute = use_.attribute();
        let special_use = self.has_capability("SPECIAL-USE").await?;
        let mut all = None;
        let candidates = if special_use {
            self.list_command(ListKind::List, Some("(SPECIAL-USE)"), "", "*")
                .await?
        } else {
            let folders = self.list_folders("", "*").await?;
            all = Some(folders.clone());
            folders
        };
        if let Some(found) = candidates
            .iter()
            .find(|f| selectable(f) && has_attribute(f, attribute))
        {
            return Ok(Some(found.name.clone()));
        }

        let prefixes: Vec<String> = if self.has_capability("NAMESPACE").await? {
            self.namespace()
                .await?
                .personal
                .into_iter()
                .map(|ns| ns.prefix)
                .collect()
        } else {
            vec![String::new(), "INBOX.".to_owned()]
        };
        let all = match all {
            Some(all) => all,
            None => self.list_folders("", "*").await?,
        };
        for name in use_.usual_names() {
            for prefix in &prefixes {
                let wanted = format!("{prefix}{name}");
                if let Some(found) = all
                    .iter()
                    .find(|f| selectable(f) && f.name.to_lowercase() == wanted.to_lowercase())
                {
                    return Ok(Some(found.name.clone()));
                }
            }
        }
        Ok(None)
    }

    /// CREATE a folder (RFC 3501 §6.3.3). Intermediate levels are created by the server as
    /// needed.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.create_folder("Projects/2026").await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe (see [`Session`'s Cancel safety](Session#cancel-safety)). Once the
    /// command is sent, dropping the future does not stop it: the server may still carry it out
    /// and its result is lost (LIST the folders to find out). Dropped while being written, the
    /// session is unusable ([`Error::Unusable`]).
    pub async fn create_folder(&mut self, name: &str) -> Result<()> {
        self.simple_mailbox_command("CREATE", name).await
    }

    /// DELETE a folder (RFC 3501 §6.3.4). Servers may refuse to delete the selected folder
    /// (Dovecot does) or one with children.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.delete_folder("Old stuff").await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe (see [`Session`'s Cancel safety](Session#cancel-safety)). Once the
    /// command is sent, dropping the future does not stop it: the server may still carry it out
    /// and its result is lost; a deleted folder's messages are gone (LIST the folders to find out). Dropped while being written, the
    /// session is unusable ([`Error::Unusable`]).
    pub async fn delete_folder(&mut self, name: &str) -> Result<()> {
        self.simple_mailbox_command("DELETE", name).await
    }

    /// SUBSCRIBE to a folder (RFC 3501 §6.3.6), so [`Session::list_sub_folders`] shows it.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.subscribe_folder("Lists/rust").await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe (see [`Session`'s Cancel safety](Session#cancel-safety)). Once the
    /// command is sent, dropping the future does not stop it: the server may still carry it out
    /// and its result is lost (LSUB or [`Session::list_sub_folders`] to find out). Dropped while being written, the
    /// session is unusable ([`Error::Unusable`]).
    pub async fn subscribe_folder(&mut self, name: &str) -> Result<()> {
        self.simple_mailbox_command("SUBSCRIBE", name).await
    }

    /// UNSUBSCRIBE from a folder (RFC 3501 §6.3.7).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.unsubscribe_folder("Lists/rust").await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe (see [`Session`'s Cancel safety](Session#cancel-safety)). Once the
    /// command is sent, dropping the future does not stop it: the server may still carry it out
    /// and its result is lost (LSUB or [`Session::list_sub_folders`] to find out). Dropped while being written, the
    /// session is unusable ([`Error::Unusable`]).
    pub async fn unsubscribe_folder(&mut self, name: &str) -> Result<()> {
        self.simple_mailbox_command("UNSUBSCRIBE", name).await
    }

    async fn simple_mailbox_command(&mut self, command: &str, name: &str) -> Result<()> {
        let mut enc = self.conn.encoder(command);
        enc.mailbox("mailbox name", name)?;
        let cmd = enc.finish();
        self.conn.execute(cmd, &mut |u| Some(u)).await.map(drop)
    }

    /// RENAME a folder (RFC 3501 §6.3.5), with its sub-folders. Renaming INBOX moves its
    /// messages to the new folder and leaves INBOX empty.
    ///
    /// Close the folder before renaming it: what happens to a selected folder that is
    /// renamed depends on the server (Dovecot ends the session with `BYE`), and
    /// [`Session::selected_folder`] keeps the name it was selected under.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.rename_folder("Drafts 2025", "Archive/Drafts 2025").await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe (see [`Session`'s Cancel safety](Session#cancel-safety)). Once the
    /// command is sent, dropping the future does not stop it: the server may still carry it out
    /// and its result is lost (LIST both names to find out). Dropped while being written, the
    /// session is unusable ([`Error::Unusable`]).
    pub async fn rename_folder(&mut self, from: &str, to: &str) -> Result<()> {
        let mut enc = self.conn.encoder("RENAME");
        enc.mailbox("existing mailbox name", from)?;
        enc.mailbox("new mailbox name", to)?;
        let cmd = enc.finish();
        self.conn.execute(cmd, &mut |u| Some(u)).await.map(drop)
    }

    /// Whether a folder named exactly `name` exists.
    ///
    /// `%` and `*` in a LIST pattern are wildcards, so unlike IMAPClient (where
    /// `folder_exists("a%")` is true when only `ab` exists) the name is listed as a pattern
    /// — which also matches the folder itself — and only an exact match of the decoded name
    /// counts (INBOX in any case). A `\NonExistent` entry (RFC 5258) does not count; a
    /// `\Noselect` level that has children does. The empty name never exists.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// if !session.folder_exists("Reports").await? {
    ///     session.create_folder("Reports").await?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn folder_exists(&mut self, name: &str) -> Result<bool> {
        if name.is_empty() {
            // `LIST "" ""` asks for the hierarchy delimiter (RFC 3501 §6.3.8); its answer
            // is not a folder.
            return Ok(false);
        }
        // INBOX is case-insensitive (RFC 3501 §5.1), but Cyrus matches LIST patterns
        // case-sensitively even for it (`LIST "" inbox` is empty): ask for the canonical
        // spelling.
        let pattern = if name.eq_ignore_ascii_case("INBOX") {
            "INBOX"
        } else {
            name
        };
        let folders = self.list_folders("", pattern).await?;
        Ok(folders
            .iter()
            .any(|f| same_mailbox(&f.name, name) && !has_attribute(f, "\\NonExistent")))
    }
}

/// Which STATUS items to ask for (RFC 3501 §6.3.10, RFC 7162 §3.1.4, RFC 8438, RFC 9051
/// §6.3.11). [`StatusItems::default`] is IMAPClient's default set: MESSAGES RECENT UIDNEXT
/// UIDVALIDITY UNSEEN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusItems {
    /// `MESSAGES`: the number of messages.
    pub messages: bool,
    /// `RECENT`: the number of `\Recent` messages (IMAP4rev1; RFC 9051 removed it, so an
    /// IMAP4rev2-only server may refuse it).
    pub recent: bool,
    /// `UIDNEXT`: the next UID the folder will assign.
    pub uid_next: bool,
    /// `UIDVALIDITY`: the folder's UID validity.
    pub uid_validity: bool,
    /// `UNSEEN`: the number of messages without `\Seen`.
    pub unseen: bool,
    /// `HIGHESTMODSEQ`: needs CONDSTORE.
    pub highest_modseq: bool,
    /// `SIZE`: needs `STATUS=SIZE` (RFC 8438) or IMAP4rev2.
    pub size: bool,
    /// `DELETED`: needs IMAP4rev2 (RFC 9051 §6.3.11).
    pub deleted: bool,
    /// `MAILBOXID`: the folder's permanent identity, kept across RENAME; needs OBJECTID
    /// (RFC 8474 §4).
    pub mailbox_id: bool,
}

impl Default for StatusItems {
    fn default() -> Self {
        StatusItems {
            messages: true,
            recent: true,
            uid_next: true,
            uid_validity: true,
            unseen: true,
            highest_modseq: false,
            size: false,
            deleted: false,
            mailbox_id: false,
        }
    }
}

impl StatusItems {
    /// The items' names on the wire, in the RFC's order.
    fn atoms(self) -> impl Iterator<Item = &'static str> {
        [
            (self.messages, "MESSAGES"),
            (self.recent, "RECENT"),
            (self.uid_next, "UIDNEXT"),
            (self.uid_validity, "UIDVALIDITY"),
            (self.unseen, "UNSEEN"),
            (self.highest_modseq, "HIGHESTMODSEQ"),
            (self.size, "SIZE"),
            (self.deleted, "DELETED"),
            (self.mailbox_id, "MAILBOXID"),
        ]
        .into_iter()
        .filter_map(|(wanted, atom)| wanted.then_some(atom))
    }

    /// No item at all; set the ones you want.
    pub const NONE: StatusItems = StatusItems {
        messages: false,
        recent: false,
        uid_next: false,
        uid_validity: false,
        unseen: false,
        highest_modseq: false,
        size: false,
        deleted: false,
        mailbox_id: false,
    };
}

/// What STATUS reported about a folder; items not asked for (or not sent) are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FolderStatus {
    /// The folder's name as the server echoed it, decoded.
    pub name: String,
    /// `MESSAGES`: number of messages in the folder.
    pub messages: Option<u32>,
    /// `RECENT`: number of `\Recent` messages (RFC 3501 only).
    pub recent: Option<u32>,
    /// `UIDNEXT`: the UID the next message added will get (at least).
    pub uid_next: Option<u32>,
    /// `UIDVALIDITY`: when it changes, UIDs cached for the folder are void.
    pub uid_validity: Option<u32>,
    /// `UNSEEN`: number of messages without `\Seen`.
    pub unseen: Option<u32>,
    /// `HIGHESTMODSEQ` (RFC 7162 §3.1.2); `None` also when the folder has no
    /// mod-sequences.
    pub highest_modseq: Option<u64>,
    /// `SIZE` (RFC 8438): total size of the messages, in octets.
    pub size: Option<u64>,
    /// `DELETED` (RFC 9051 §6.3.11): number of messages with `\Deleted`.
    pub deleted: Option<u32>,
    /// `MAILBOXID` (RFC 8474 §4.2), without its parentheses.
    pub mailbox_id: Option<String>,
}

impl Session {
    /// STATUS of a folder (RFC 3501 §6.3.10) without selecting it. `None` asks for the
    /// default items (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN, plus HIGHESTMODSEQ when
    /// the server advertises CONDSTORE). Asking for an item the server cannot give
    /// (HIGHESTMODSEQ without CONDSTORE, SIZE without STATUS=SIZE, DELETED without
    /// IMAP4rev2) fails before sending.
    ///
    /// Any name works, including quotes, backslashes and non-ASCII (IMAPClient #155): the
    /// name is sent through the command encoder, never formatted into the line.
    ///
    /// ```no_run
    /// use imap_async::session::StatusItems;
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let status = session.folder_status("INBOX", None).await?;
    /// println!("{:?} messages, {:?} unseen", status.messages, status.unseen);
    /// let just_count = StatusItems { messages: true, ..StatusItems::NONE };
    /// let status = session.folder_status("Sent", Some(just_count)).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn folder_status(
        &mut self,
        name: &str,
        items: Option<StatusItems>,
    ) -> Result<FolderStatus> {
        let items = match items {
            Some(items) => items,
            None => StatusItems {
                highest_modseq: self.has_capability("CONDSTORE").await?,
                ..StatusItems::default()
            },
        };
        if items == StatusItems::NONE {
            return Err(Error::invalid("STATUS items", "no item asked for"));
        }
        if items.highest_modseq {
            self.require("CONDSTORE", "STATUS HIGHESTMODSEQ").await?;
        }
        if items.size {
            let caps = self.capabilities().await?;
            if !caps.has("STATUS=SIZE") && !caps.is_rev2() {
                self.require("STATUS=SIZE", "STATUS SIZE").await?;
            }
        }
        if items.deleted {
            self.require("IMAP4rev2", "STATUS DELETED").await?;
        }
        if items.mailbox_id {
            self.require("OBJECTID", "STATUS MAILBOXID").await?;
        }
        let mut enc = self.conn.encoder("STATUS");
        enc.mailbox("mailbox name", name)?;
        enc.open_list();
        for atom in items.atoms() {
            enc.raw(atom);
        }
        enc.close_list();
        let cmd = enc.finish();
        let mut answers: Vec<MailboxStatus> = Vec::new();
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::MailboxStatus(st) => {
                    answers.push(st);
                    None
                }
                other => Some(other),
            })
            .await?;
        // Pick the answer for this folder, by its decoded name; STATUS data about other
        // folders (e.g. NOTIFY) goes back to the unsolicited queue. No answer for this
        // folder is an error rather than a guess.
        let position = answers
            .iter()
            .position(|st| same_status_mailbox(&decode_mailbox(&self.conn, &st.mailbox), name));
        let Some(position) = position else {
            for st in answers {
                self.conn.unsolicited.push_back(Untagged::MailboxStatus(st));
            }
            return Err(Error::Protocol(format!(
                "STATUS completed without data for the folder {name:?}"
            )));
        };
        let st = answers.remove(position);
        for other in answers {
            self.conn
                .unsolicited
                .push_back(Untagged::MailboxStatus(other));
        }
        Ok(folder_status(&self.conn, st))
    }
}

impl Session {
    /// LIST-STATUS (RFC 5819): every folder matching `pattern` with its STATUS, in one
    /// command instead of a LIST and a STATUS per folder. A folder that cannot be selected
    /// (`\Noselect`, `\NonExistent`) comes without status. Needs the `LIST-STATUS`
    /// capability; asking for HIGHESTMODSEQ also needs CONDSTORE.
    ///
    /// ```no_run
    /// use imap_async::session::StatusItems;
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let items = StatusItems { messages: true, uid_next: true, ..StatusItems::NONE };
    /// for (folder, status) in session.list_status("", "*", items).await? {
    ///     println!("{}: {:?}", folder.name, status.and_then(|s| s.messages));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list_status(
        &mut self,
        reference: &str,
        pattern: &str,
        items: StatusItems,
    ) -> Result<Vec<(Folder, Option<FolderStatus>)>> {
        self.require("LIST-STATUS", "LIST RETURN (STATUS)").await?;
        if items == StatusItems::NONE {
            return Err(Error::invalid("LIST-STATUS items", "no item asked for"));
        }
        if items.highest_modseq {
            self.require("CONDSTORE", "LIST-STATUS HIGHESTMODSEQ")
                .await?;
        }
        let mut enc = self.conn.encoder("LIST");
        list_arguments(&self.conn, &mut enc, reference, pattern)?;
        enc.raw("RETURN");
        enc.open_list();
        enc.raw("STATUS");
        enc.open_list();
        for atom in items.atoms() {
            enc.raw(atom);
        }
        enc.close_list();
        enc.close_list();
        let cmd = enc.finish();
        let mut lists: Vec<ListItem> = Vec::new();
        let mut statuses: Vec<MailboxStatus> = Vec::new();
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::List(item) => {
                    lists.push(item);
                    None
                }
                Untagged::MailboxStatus(st) => {
                    statuses.push(st);
                    None
                }
                other => Some(other),
            })
            .await?;
        let out: Vec<(Folder, Option<FolderStatus>)> = lists
            .into_iter()
            .map(|item| {
                let folder = Folder {
                    name: decode_mailbox(&self.conn, &item.name),
                    delimiter: item.delimiter.map(char::from),
                    attributes: strings(&item.attributes),
                };
                let status = statuses
                    .iter()
                    .position(|st| {
                        same_status_mailbox(&decode_mailbox(&self.conn, &st.mailbox), &folder.name)
                    })
                    .map(|i| folder_status(&self.conn, statuses.swap_remove(i)));
                (folder, status)
            })
            .collect();
        // STATUS about folders this LIST did not name (NOTIFY's, RFC 5465 §5.2) is
        // unsolicited news, not part of the answer.
        for st in statuses {
            self.conn.unsolicited.push_back(Untagged::MailboxStatus(st));
        }
        Ok(out)
    }
}

/// A `* STATUS` response as a [`FolderStatus`], the name decoded.
pub(crate) fn folder_status(conn: &Connection, st: MailboxStatus) -> FolderStatus {
    FolderStatus {
        name: decode_mailbox(conn, &st.mailbox),
        messages: st.messages,
        recent: st.recent,
        uid_next: st.uid_next,
        uid_validity: st.uid_validity,
        unseen: st.unseen,
        highest_modseq: st.highest_modseq,
        size: st.size,
        deleted: st.deleted,
        mailbox_id: st.other.iter().find_map(|(name, value)| {
            name.eq_ignore_ascii_case(b"MAILBOXID").then(|| {
                let v = value.strip_prefix(b"(").unwrap_or(value);
                let v = v.strip_suffix(b")").unwrap_or(v);
                String::from_utf8_lossy(v).trim().to_owned()
            })
        }),
    }
}
