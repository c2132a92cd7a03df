//! Changing messages: APPEND (RFC 3501 §6.3.11), MULTIAPPEND (RFC 3502), COPY (RFC 3501
//! §6.4.7), MOVE (RFC 6851), STORE (RFC 3501 §6.4.6), EXPUNGE (RFC 3501 §6.4.3), UID EXPUNGE
//! and the APPENDUID/COPYUID response codes (RFC 4315), and Gmail's X-GM-LABELS.
//!
//! Every command taking messages is generic over the set type, as FETCH is: a
//! [`UidSet`] sends the `UID` form, a [`SeqSet`](crate::SeqSet) the plain one, and results
//! are keyed by the same kind of number.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use bytes::Bytes;
use chrono::{DateTime, Datelike, FixedOffset, Timelike};

use super::folders::decode_mailbox;
use super::{Session, command_name};
use crate::error::{Error, Result};
use crate::proto::flag::{Flag, flags_from_wire};
use crate::proto::sequence::{Id, IdSet};
use crate::proto::{
    CommandEncoder, FetchData, FetchItem, ResponseCode, Seq, Status, Uid, UidSet, Untagged,
};

/// `[APPENDUID uidvalidity uids]` (RFC 4315 §3): where APPEND or MULTIAPPEND put the
/// messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendUid {
    /// UIDVALIDITY of the destination folder; the UIDs mean nothing without it.
    pub uid_validity: u32,
    /// The new messages' UIDs (one for APPEND; for MULTIAPPEND in the order the messages
    /// were given, which is ascending, RFC 4315 §3).
    pub uids: UidSet,
}

/// `[COPYUID uidvalidity source destination]` (RFC 4315 §3): where COPY or MOVE put the
/// messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyUid {
    /// UIDVALIDITY of the destination folder.
    pub uid_validity: u32,
    /// UIDs of the copied messages in the source folder.
    pub source: UidSet,
    /// UIDs the copies got in the destination folder.
    pub destination: UidSet,
    /// Both sets as the server sent them: the n-th source UID corresponds to the n-th
    /// destination UID in this order (RFC 4315 §3), which need not be ascending.
    source_ranges: Vec<(u32, u32)>,
    destination_ranges: Vec<(u32, u32)>,
}

impl CopyUid {
    fn from_code(code: &ResponseCode) -> Option<CopyUid> {
        let ResponseCode::CopyUid {
            uid_validity,
            source,
            destination,
        } = code
        else {
            return None;
        };
        Some(CopyUid {
            uid_validity: *uid_validity,
            source: uid_set(source),
            destination: uid_set(destination),
            source_ranges: source.clone(),
            destination_ranges: destination.clone(),
        })
    }

    /// Each copied message as (source UID, destination UID), in the server's order. If the
    /// server sent sets of different sizes (a protocol violation), pairs stop at the shorter.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::UidSet;
    /// session.select_folder("INBOX").await?;
    /// let set: UidSet = "1:3".parse().unwrap();
    /// if let Some(copied) = session.copy(&set, "Archive").await? {
    ///     for (from, to) in copied.pairs() {
    ///         println!("INBOX {from} is now Archive {to}");
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn pairs(&self) -> impl Iterator<Item = (Uid, Uid)> + '_ {
        expand(&self.source_ranges).zip(expand(&self.destination_ranges))
    }
}

/// The numbers of ranges as sent; `a:b` and `b:a` both mean `min..=max` ascending
/// (RFC 4315 §3).
fn expand(ranges: &[(u32, u32)]) -> impl Iterator<Item = Uid> + '_ {
    ranges
        .iter()
        .flat_map(|&(a, b)| (a.min(b)..=a.max(b)).filter_map(Uid::new))
}

fn uid_set(ranges: &[(u32, u32)]) -> UidSet {
    let mut set = UidSet::new();
    for &(a, b) in ranges {
        if let (Some(a), Some(b)) = (Uid::new(a.min(b)), Uid::new(a.max(b))) {
            set.insert_range(a..=b);
        }
    }
    set
}

fn append_uid(code: &Option<ResponseCode>) -> Option<AppendUid> {
    match code {
        Some(ResponseCode::AppendUid { uid_validity, uids }) => Some(AppendUid {
            uid_validity: *uid_validity,
            uids: uid_set(uids),
        }),
        _ => None,
    }
}

/// One message for [`Session::multiappend`] (and what [`Session::append`] sends).
///
/// The data is sent byte-exact as a literal: line endings are NOT rewritten (IMAP wants
/// CRLF, RFC 3501 §6.3.11; bare LFs are passed on and the server decides what to do with
/// them). NUL bytes cannot be sent and are refused.
///
/// ```
/// use imap_async::{Flag, session::AppendMessage};
///
/// let date = chrono::DateTime::parse_from_rfc3339("2024-03-10T01:30:00-07:00").unwrap();
/// let data = &b"Subject: hi\r\n\r\nHello\n"[..];
/// let msg = AppendMessage::new(data)
///     .flags([Flag::Seen, Flag::keyword("$Label1")])
///     .internal_date(date);
/// assert_eq!(&msg.data()[..], data); // the bare LF stays as it is
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessage {
    data: Bytes,
    flags: Vec<Flag>,
    internal_date: Option<DateTime<FixedOffset>>,
}

impl AppendMessage {
    /// A message with no flags and no date (the server uses the time of the APPEND).
    ///
    /// ```
    /// use imap_async::session::AppendMessage;
    ///
    /// let msg = AppendMessage::new(&b"Subject: hi\r\n\r\nHello\r\n"[..]);
    /// assert_eq!(msg.data().len(), 22);
    /// ```
    pub fn new(data: impl Into<Bytes>) -> AppendMessage {
        AppendMessage {
            data: data.into(),
            flags: Vec::new(),
            internal_date: None,
        }
    }

    /// Flags to set on the new message ([`Flag::Seen`], keywords such as `$Junk`; strings
    /// in wire form are accepted too; each is checked when sent).
    ///
    /// ```
    /// use imap_async::{Flag, session::AppendMessage};
    ///
    /// // Replaces any flags set before.
    /// let msg = AppendMessage::new("Subject: x\r\n\r\n").flags([Flag::Draft]).flags(&["\\Seen"]);
    /// # let _ = msg;
    /// ```
    pub fn flags(mut self, flags: impl IntoIterator<Item = impl Into<Flag>>) -> AppendMessage {
        self.flags = flags.into_iter().map(Into::into).collect();
        self
    }

    /// The internal date, sent with its own UTC offset, never converted to local time.
    ///
    /// ```
    /// use imap_async::session::AppendMessage;
    ///
    /// let date = chrono::DateTime::parse_from_rfc3339("2024-03-10T01:30:00-07:00").unwrap();
    /// let msg = AppendMessage::new("Subject: x\r\n\r\n").internal_date(date);
    /// # let _ = msg;
    /// ```
    pub fn internal_date(mut self, date: DateTime<FixedOffset>) -> AppendMessage {
        self.internal_date = Some(date);
        self
    }

    /// The message data as it will be sent.
    ///
    /// ```
    /// use imap_async::session::AppendMessage;
    ///
    /// let msg = AppendMessage::new("Subject: x\r\n\r\n");
    /// assert_eq!(&msg.data()[..], b"Subject: x\r\n\r\n");
    /// ```
    pub fn data(&self) -> &Bytes {
        &self.data
    }
}

/// What EXPUNGE or UID EXPUNGE removed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expunged {
    /// The `* n EXPUNGE` responses, in the order received. Each number is relative to the
    /// mailbox after the previous ones were removed (RFC 3501 §7.4.1): removing messages 2
    /// and 3 of 5 may be reported as `[3, 2]` or `[2, 2]`.
    pub seqs: Vec<Seq>,
    /// UIDs reported by `* VANISHED` (RFC 7162 §3.2.10), which replaces EXPUNGE once QRESYNC
    /// is enabled.
    pub vanished: UidSet,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// RFC 3501 §9 `date-time` without the quotes: `dd-Mon-yyyy hh:mm:ss +zzzz`, in the date's
/// own offset. Fails for what the syntax cannot carry: a year outside 0..=9999 or an offset
/// with seconds.
pub(crate) fn format_date_time(date: &DateTime<FixedOffset>) -> Result<String> {
    let offset = date.offset().local_minus_utc();
    if offset % 60 != 0 {
        return Err(Error::invalid(
            "internal date",
            format!("UTC offset {offset} s is not whole minutes; IMAP zones are +hhmm"),
        ));
    }
    let year = date.year();
    if !(0..=9999).contains(&year) {
        return Err(Error::invalid(
            "internal date",
            format!("year {year} does not have the four digits IMAP needs"),
        ));
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let minutes = offset.unsigned_abs() / 60;
    Ok(format!(
        "{:02}-{}-{:04} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        date.day(),
        MONTHS[date.month0() as usize],
        year,
        date.hour(),
        date.minute(),
        date.second(),
        minutes / 60,
        minutes % 60,
    ))
}

/// The flags of a STORE argument, converted once.
fn collect_flags(flags: impl IntoIterator<Item = impl Into<Flag>>) -> Vec<Flag> {
    flags.into_iter().map(Into::into).collect()
}

/// ` [(flags)] ["date-time"] literal` of one message (RFC 3501 §6.3.11, RFC 3502 §6.3.11).
fn encode_message(enc: &mut CommandEncoder, msg: &AppendMessage) -> Result<()> {
    encode_message_head(enc, msg)?;
    enc.literal(msg.data.clone())?;
    Ok(())
}

/// ` [(flags)] ["date-time"]`: what precedes the literal of one message.
fn encode_message_head(enc: &mut CommandEncoder, msg: &AppendMessage) -> Result<()> {
    if !msg.flags.is_empty() {
        enc.open_list();
        for f in &msg.flags {
            enc.flag("APPEND flag", &f.to_string())?;
        }
        enc.close_list();
    }
    if let Some(date) = &msg.internal_date {
        enc.string("internal date", format_date_time(date)?.as_bytes())?;
    }
    Ok(())
}

/// The key of a FETCH response: its UID for UID commands, its sequence number otherwise.
fn key_of<K: Id>(seq: u32, items: &FetchData) -> Option<K> {
    let n = if K::IS_UID { items.uid()? } else { seq };
    NonZeroU32::new(n).map(K::from_nonzero)
}

/// Whether a FETCH response is about a message of `set` (same rule as FETCH: for a
/// [`UidSet`] the UID item decides).
fn in_set<K: Id>(set: &IdSet<K>, seq: u32, items: &FetchData) -> bool {
    key_of::<K>(seq, items).is_some_and(|k| set.contains(k.get()))
}

/// What a STORE changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Add,
    Remove,
    Replace,
}

impl Change {
    fn prefix(self) -> &'static str {
        match self {
            Change::Add => "+",
            Change::Remove => "-",
            Change::Replace => "",
        }
    }
}

/// What a STORE sets.
#[derive(Clone, Copy)]
enum Values<'a> {
    Flags(&'a [Flag]),
    GmailLabels(&'a [&'a str]),
}

/// Decode the raw value of `X-GM-LABELS`: a parenthesized list of astrings (atoms such as
/// `\Important`, quoted strings, literals), each a modified UTF-7 name (or UTF-8 once
/// UTF8=ACCEPT is on).
fn parse_labels(raw: &[u8]) -> Result<Vec<Bytes>> {
    let bad = |why: &str| {
        Error::Protocol(format!(
            "unreadable X-GM-LABELS value ({why}): {}",
            String::from_utf8_lossy(raw)
        ))
    };
    let raw = raw.trim_ascii();
    let inner = raw
        .strip_prefix(b"(")
        .and_then(|r| r.strip_suffix(b")"))
        .ok_or_else(|| bad("not a parenthesized list"))?;
    let mut out = Vec::new();
    let mut i = 0;
    while i < inner.len() {
        match inner[i] {
            b' ' => i += 1,
            b'"' => {
                let mut s = Vec::new();
                i += 1;
                loop {
                    match inner.get(i) {
                        None => return Err(bad("unterminated quoted string")),
                        Some(b'"') => break,
                        Some(b'\\') => {
                            s.push(*inner.get(i + 1).ok_or_else(|| bad("dangling escape"))?);
                            i += 2;
                        }
                        Some(&c) => {
                            s.push(c);
                            i += 1;
                        }
                    }
                }
                i += 1;
                out.push(Bytes::from(s));
            }
            b'{' => {
                let close = inner[i..]
                    .iter()
                    .position(|&c| c == b'}')
                    .ok_or_else(|| bad("unterminated literal header"))?
                    + i;
                let digits = std::str::from_utf8(&inner[i + 1..close])
                    .ok()
                    .map(|d| d.trim_end_matches('+'))
                    .and_then(|d| d.parse::<usize>().ok())
                    .ok_or_else(|| bad("bad literal length"))?;
                let start = close + 1;
                if inner.get(start..start + 2) != Some(b"\r\n") {
                    return Err(bad("literal header without CRLF"));
                }
                let data = inner
                    .get(start + 2..start + 2 + digits)
                    .ok_or_else(|| bad("short literal"))?;
                out.push(Bytes::copy_from_slice(data));
                i = start + 2 + digits;
            }
            _ => {
                let end = inner[i..]
                    .iter()
                    .position(|&c| c == b' ')
                    .map_or(inner.len(), |p| p + i);
                out.push(Bytes::copy_from_slice(&inner[i..end]));
                i = end;
            }
        }
    }
    Ok(out)
}

impl Session {
    /// APPEND a message to `folder` (RFC 3501 §6.3.11): the message's APPENDUID when the
    /// server reports one (UIDPLUS, RFC 4315), `None` otherwise.
    ///
    /// * `message` is sent byte-exact as a literal (LITERAL+ is used when offered): line
    ///   endings are not rewritten, so give CRLF line endings as IMAP requires.
    /// * `flags` are set on the new message ([`Flag::Seen`], keywords such as `$Junk`, or
    ///   strings in wire form; [`Flag::NONE`] for none); each is checked before anything is
    ///   sent.
    /// * `internal_date`, when given, is sent as `"dd-Mon-yyyy hh:mm:ss +zzzz"` in the date's
    ///   own offset (never converted to local time, so dates across a DST change stay
    ///   exact). The server may report it back in another zone; the instant is the same.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::Flag;
    /// let date = chrono::DateTime::parse_from_rfc3339("2024-03-10T01:30:00-07:00").unwrap();
    /// let msg = b"From: a@example.org\r\nSubject: hi\r\n\r\nHello\r\n".to_vec();
    /// if let Some(new) = session.append("Drafts", msg, [Flag::Draft], Some(date)).await? {
    ///     println!("stored as UID {} (UIDVALIDITY {})", new.uids, new.uid_validity);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe (see [`Session`'s Cancel safety](Session#cancel-safety)). Dropped
    /// while the message is being sent (or while waiting for the server's `+` to send it), the
    /// session is unusable ([`Error::Unusable`]) and the message is not stored. Dropped after it
    /// was sent, the server may still store it: the next command reads the APPEND's completion
    /// first, but the APPENDUID is lost. Look for the message (e.g. SEARCH by its Message-ID)
    /// before appending it again, or you may store it twice.
    pub async fn append(
        &mut self,
        folder: &str,
        message: impl Into<Bytes>,
        flags: impl IntoIterator<Item = impl Into<Flag>>,
        internal_date: Option<DateTime<FixedOffset>>,
    ) -> Result<Option<AppendUid>> {
        let mut msg = AppendMessage::new(message).flags(flags);
        msg.internal_date = internal_date;
        self.append_all(folder, std::slice::from_ref(&msg)).await
    }

    /// MULTIAPPEND (RFC 3502): append several messages in one command, so that either all
    /// are stored or none. Needs the MULTIAPPEND capability (checked before sending). Returns
    /// the APPENDUID (one UID per message, in order) when the server reports one.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::session::AppendMessage;
    /// let messages = [
    ///     AppendMessage::new(&b"Subject: one\r\n\r\n1\r\n"[..]),
    ///     AppendMessage::new(&b"Subject: two\r\n\r\n2\r\n"[..]).flags([imap_async::Flag::Seen]),
    /// ];
    /// let stored = session.multiappend("Archive", &messages).await?;
    /// println!("{:?}", stored.map(|s| s.uids.to_string()));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`Session::append`]: dropped while being sent, the session is unusable and
    /// nothing is stored (MULTIAPPEND is all or nothing); dropped after, all the messages may
    /// still be stored, without the APPENDUID. See [`Session`'s Cancel safety](Session#cancel-safety).
    pub async fn multiappend(
        &mut self,
        folder: &str,
        messages: &[AppendMessage],
    ) -> Result<Option<AppendUid>> {
        self.require("MULTIAPPEND", "MULTIAPPEND").await?;
        if messages.is_empty() {
            return Err(Error::invalid("MULTIAPPEND", "no message to append"));
        }
        self.append_all(folder, messages).await
    }

    async fn append_all(
        &mut self,
        folder: &str,
        messages: &[AppendMessage],
    ) -> Result<Option<AppendUid>> {
        let mut enc = self.conn.encoder("APPEND");
        enc.mailbox("APPEND folder", folder)?;
        for msg in messages {
            encode_message(&mut enc, msg)?;
        }
        let cmd = enc.finish();
        let done = self.conn.execute(cmd, &mut |u| Some(u)).await?;
        Ok(append_uid(&done.code))
    }

    /// COPY messages to `folder` (RFC 3501 §6.4.7; `UID COPY` for a [`UidSet`]). Returns
    /// the COPYUID (RFC 4315) when the server reports one. An empty set sends nothing.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::UidSet;
    /// session.select_folder("INBOX").await?;
    /// let set: UidSet = "4:6".parse().unwrap();
    /// if let Some(c) = session.copy(&set, "Archive").await? {
    ///     println!("copies have UIDs {} in Archive", c.destination);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe (see [`Session`'s Cancel safety](Session#cancel-safety)). Once the
    /// COPY is sent, dropping the future does not stop it: the copies may still be made, and
    /// their COPYUID is lost; copying again may then duplicate them. Dropped while the command
    /// is being written, the session is unusable ([`Error::Unusable`]).
    pub async fn copy<K: Id>(&mut self, set: &IdSet<K>, folder: &str) -> Result<Option<CopyUid>> {
        if set.is_empty() {
            return Ok(None);
        }
        let mut enc = self.conn.encoder(&command_name::<K>("COPY"));
        enc.set("messages to copy", set)?
            .mailbox("COPY folder", folder)?;
        let cmd = enc.finish();
        let done = self.conn.execute(cmd, &mut |u| Some(u)).await?;
        Ok(done.code.as_ref().and_then(CopyUid::from_code))
    }

    /// Move messages to `folder`, returning the COPYUID when the server reports one.
    ///
    /// * With MOVE (RFC 6851): one `[UID] MOVE`. The COPYUID comes in an untagged
    ///   `* OK [COPYUID ...]` (RFC 6851 §4.3), taken here.
    /// * Without MOVE but with UIDPLUS: `[UID] COPY`, then `UID STORE <copied UIDs>
    ///   +FLAGS.SILENT (\Deleted)` and `UID EXPUNGE <copied UIDs>`, using exactly the source
    ///   UIDs from the COPYUID, so no other message marked `\Deleted` is expunged and no
    ///   message that arrived meanwhile is touched. If the server sends no COPYUID the
    ///   originals are left alone and this is an error (the copies exist).
    /// * With neither: an error before anything is sent, because a plain EXPUNGE would also
    ///   remove every other message marked `\Deleted`.
    ///
    /// The EXPUNGE (or VANISHED) responses for the moved messages are left in
    /// [`Session::take_unsolicited`]: they renumber the folder. An empty set sends nothing.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::SeqSet;
    /// session.select_folder("INBOX").await?;
    /// let first_two: SeqSet = "1:2".parse().unwrap();
    /// let moved = session.move_messages(&first_two, "Archive").await?;
    /// println!("{:?}", moved.map(|m| m.destination.to_string()));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe (see [`Session`'s Cancel safety](Session#cancel-safety)). A dropped
    /// MOVE that was sent may still move the messages (their EXPUNGE responses then reach
    /// [`Session::take_unsolicited`], the COPYUID is lost). Without MOVE this is three commands
    /// (COPY, STORE `\Deleted`, UID EXPUNGE): dropped between them, the copies exist and the
    /// originals may be marked `\Deleted` but still there. Dropped while a command is being
    /// written, the session is unusable ([`Error::Unusable`]).
    pub async fn move_messages<K: Id>(
        &mut self,
        set: &IdSet<K>,
        folder: &str,
    ) -> Result<Option<CopyUid>> {
        let caps = self.capabilities().await?;
        let (has_move, has_uidplus) = (caps.has("MOVE"), caps.has("UIDPLUS"));
        if !has_move && !has_uidplus {
            return Err(Error::MissingCapability {
                capability: "MOVE or UIDPLUS".into(),
                needed_for: "moving messages (a plain EXPUNGE would also remove other \
                             messages marked \\Deleted)"
                    .into(),
            });
        }
        if set.is_empty() {
            return Ok(None);
        }
        if !has_move {
            return self.move_by_copy(set, folder).await;
        }
        let mut enc = self.conn.encoder(&command_name::<K>("MOVE"));
        enc.set("messages to move", set)?
            .mailbox("MOVE folder", folder)?;
        let cmd = enc.finish();
        let mut copied = None;
        let done = self
            .conn
            .execute(cmd, &mut |u| match u {
                Untagged::Status(st)
                    if st.status == Status::Ok
                        && matches!(st.code, Some(ResponseCode::CopyUid { .. })) =>
                {
                    copied = st.code.as_ref().and_then(CopyUid::from_code);
                    None
                }
                other => Some(other),
            })
            .await?;
        // Some servers put it in the tagged OK instead.
        Ok(copied.or_else(|| done.code.as_ref().and_then(CopyUid::from_code)))
    }

    /// RFC 6851 §3.3's alternative without MOVE, made exact with UIDPLUS (RFC 4315 §2.1).
    async fn move_by_copy<K: Id>(
        &mut self,
        set: &IdSet<K>,
        folder: &str,
    ) -> Result<Option<CopyUid>> {
        let Some(copied) = self.copy(set, folder).await? else {
            return Err(Error::Protocol(format!(
                "COPY to {folder:?} succeeded without COPYUID, so which messages were copied \
                 is unknown; the originals were left in place (the copies exist)"
            )));
        };
        let uids = copied.source.clone();
        self.store_silent(&uids, Change::Add, Values::Flags(&[Flag::Deleted]))
            .await?;
        self.expunge_command(Some(&uids), false).await?;
        Ok(Some(copied))
    }

    /// Mark messages `\Deleted` (STORE `+FLAGS`); [`Session::expunge`] then removes them.
    /// Returns each message's flags afterwards, or an empty map when `silent`
    /// (`+FLAGS.SILENT`).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::UidSet;
    /// session.select_folder("INBOX").await?;
    /// let set: UidSet = "7".parse().unwrap();
    /// session.delete_messages(&set, true).await?;
    /// session.expunge().await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe: this is a STORE, and behaves as [`Session::add_flags`] when dropped
    /// (the `\Deleted` flag may still be set; dropped while being written, the session is
    /// unusable). See [`Session`'s Cancel safety](Session#cancel-safety).
    pub async fn delete_messages<K: Id>(
        &mut self,
        set: &IdSet<K>,
        silent: bool,
    ) -> Result<BTreeMap<K, Vec<Flag>>> {
        if silent {
            self.add_flags_silent(set, [Flag::Deleted]).await?;
            Ok(BTreeMap::new())
        } else {
            self.add_flags(set, [Flag::Deleted]).await
        }
    }

    /// EXPUNGE (RFC 3501 §6.4.3): remove every message of the selected folder
    /// marked `\Deleted`. Returns what the server reported removed: the `* n EXPUNGE`
    /// sequence numbers in order (see [`Expunged::seqs`]), or the VANISHED UIDs once QRESYNC
    /// is enabled.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.select_folder("INBOX").await?;
    /// let gone = session.expunge().await?;
    /// println!("{} messages removed", gone.seqs.len());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe (see [`Session`'s Cancel safety](Session#cancel-safety)). Once sent,
    /// a dropped EXPUNGE may still remove the messages: the next command reads the rest first,
    /// and the `* n EXPUNGE` responses go to [`Session::take_unsolicited`] (where they must be
    /// applied to renumber sequence numbers). Dropped while being written, the session is
    /// unusable ([`Error::Unusable`]).
    pub async fn expunge(&mut self) -> Result<Expunged> {
        self.expunge_command(None, true).await
    }

    /// UID EXPUNGE (RFC 4315 §2.1): remove only the messages of `uids` that are marked
    /// `\Deleted`; others marked `\Deleted` stay. Needs UIDPLUS (checked before sending).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::UidSet;
    /// session.select_folder("INBOX").await?;
    /// let set: UidSet = "3000:3002".parse().unwrap();
    /// session.delete_messages(&set, true).await?;
    /// let gone = session.uid_expunge(&set).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`Session::expunge`]: once sent, a dropped UID EXPUNGE may still remove the
    /// messages (their EXPUNGE or VANISHED responses go to [`Session::take_unsolicited`]);
    /// dropped while being written, the session is unusable. See
    /// [`Session`'s Cancel safety](Session#cancel-safety).
    pub async fn uid_expunge(&mut self, uids: &UidSet) -> Result<Expunged> {
        self.require("UIDPLUS", "UID EXPUNGE").await?;
        if uids.is_empty() {
            return Ok(Expunged::default());
        }
        self.expunge_command(Some(uids), true).await
    }

    /// EXPUNGE or UID EXPUNGE. With `collect`, EXPUNGE and VANISHED responses are taken
    /// and returned; otherwise they stay unsolicited.
    async fn expunge_command(&mut self, uids: Option<&UidSet>, collect: bool) -> Result<Expunged> {
        let cmd = match uids {
            Some(uids) => {
                let mut enc = self.conn.encoder("UID EXPUNGE");
                enc.set("UIDs to expunge", uids)?;
                enc.finish()
            }
            None => self.conn.encoder("EXPUNGE").finish(),
        };
        let mut out = Expunged::default();
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::Expunge(n) if collect => match Seq::new(n) {
                    Some(s) => {
                        out.seqs.push(s);
                        None
                    }
                    None => Some(Untagged::Expunge(n)),
                },
                Untagged::Vanished {
                    earlier: false,
                    uids,
                } if collect => {
                    out.vanished.union_with(&uid_set(&uids));
                    None
                }
                other => Some(other),
            })
            .await?;
        Ok(out)
    }

    /// The flags of each message (FETCH FLAGS), keyed by UID for a [`UidSet`] and by
    /// sequence number for a [`SeqSet`](crate::SeqSet).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::UidSet;
    /// session.select_folder("INBOX").await?;
    /// for (uid, flags) in session.get_flags(&UidSet::all()).await? {
    ///     println!("{uid}: {flags:?}");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_flags<K: Id>(&mut self, set: &IdSet<K>) -> Result<BTreeMap<K, Vec<Flag>>> {
        let fetched = self.fetch(set, "(FLAGS)").await?;
        let mut out = BTreeMap::new();
        for msg in fetched {
            if let (Some(k), Some(flags)) = (key_of::<K>(msg.seq, &msg.items), msg.flags()) {
                out.insert(k, flags);
            }
        }
        Ok(out)
    }

    /// Add flags (STORE `+FLAGS`, RFC 3501 §6.4.6); returns each message's flags afterwards.
    /// Flags are [`Flag`]s or strings in wire form (`"\\Seen"`, `"$Junk"`), each checked
    /// before sending.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::{Flag, SeqSet};
    /// session.select_folder("INBOX").await?;
    /// let set: SeqSet = "1:3".parse().unwrap();
    /// let now = session.add_flags(&set, [Flag::Seen, Flag::keyword("$Important")]).await?;
    /// // Strings in wire form work too.
    /// session.add_flags(&set, &["\\Answered"]).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe (see [`Session`'s Cancel safety](Session#cancel-safety)). Once the
    /// STORE is sent, dropping the future does not undo it: the server may still change the
    /// flags, the next command reads the STORE's completion first, and the FETCH responses it
    /// sends go to [`Session::take_unsolicited`]. Dropped while the command is being written,
    /// the session is unusable ([`Error::Unusable`]). After a drop, read the flags again
    /// ([`Session::get_flags`]) rather than assume either outcome.
    pub async fn add_flags<K: Id>(
        &mut self,
        set: &IdSet<K>,
        flags: impl IntoIterator<Item = impl Into<Flag>>,
    ) -> Result<BTreeMap<K, Vec<Flag>>> {
        self.store_flags(set, Change::Add, &collect_flags(flags))
            .await
    }

    /// Remove flags (STORE `-FLAGS`); returns each message's flags afterwards.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::{Flag, UidSet};
    /// session.select_folder("INBOX").await?;
    /// let set: UidSet = "10".parse().unwrap();
    /// session.remove_flags(&set, [Flag::Seen]).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`Session::add_flags`]: a dropped STORE may still take effect; dropped while
    /// being written, the session is unusable. See [`Session`'s Cancel safety](Session#cancel-safety).
    pub async fn remove_flags<K: Id>(
        &mut self,
        set: &IdSet<K>,
        flags: impl IntoIterator<Item = impl Into<Flag>>,
    ) -> Result<BTreeMap<K, Vec<Flag>>> {
        self.store_flags(set, Change::Remove, &collect_flags(flags))
            .await
    }

    /// Replace the flags (STORE `FLAGS`); returns each message's flags afterwards. No flags
    /// ([`Flag::NONE`]) clears every flag.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::{Flag, UidSet};
    /// session.select_folder("INBOX").await?;
    /// let set: UidSet = "10".parse().unwrap();
    /// session.set_flags(&set, [Flag::Flagged]).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`Session::add_flags`]: a dropped STORE may still take effect; dropped while
    /// being written, the session is unusable. See [`Session`'s Cancel safety](Session#cancel-safety).
    pub async fn set_flags<K: Id>(
        &mut self,
        set: &IdSet<K>,
        flags: impl IntoIterator<Item = impl Into<Flag>>,
    ) -> Result<BTreeMap<K, Vec<Flag>>> {
        self.store_flags(set, Change::Replace, &collect_flags(flags))
            .await
    }

    /// [`Session::add_flags`] with `+FLAGS.SILENT`: the server does not report the result.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.select_folder("INBOX").await?;
    /// session.add_flags_silent(&imap_async::UidSet::all(), [imap_async::Flag::Seen]).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`Session::add_flags`]: a dropped STORE may still take effect; dropped while
    /// being written, the session is unusable. See [`Session`'s Cancel safety](Session#cancel-safety).
    pub async fn add_flags_silent<K: Id>(
        &mut self,
        set: &IdSet<K>,
        flags: impl IntoIterator<Item = impl Into<Flag>>,
    ) -> Result<()> {
        self.store_silent(set, Change::Add, Values::Flags(&collect_flags(flags)))
            .await
    }

    /// [`Session::remove_flags`] with `-FLAGS.SILENT`.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.select_folder("INBOX").await?;
    /// session.remove_flags_silent(&imap_async::UidSet::all(), [imap_async::Flag::Seen]).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`Session::add_flags`]: a dropped STORE may still take effect; dropped while
    /// being written, the session is unusable. See [`Session`'s Cancel safety](Session#cancel-safety).
    pub async fn remove_flags_silent<K: Id>(
        &mut self,
        set: &IdSet<K>,
        flags: impl IntoIterator<Item = impl Into<Flag>>,
    ) -> Result<()> {
        self.store_silent(set, Change::Remove, Values::Flags(&collect_flags(flags)))
            .await
    }

    /// [`Session::set_flags`] with `FLAGS.SILENT`.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.select_folder("INBOX").await?;
    /// session.set_flags_silent(&imap_async::UidSet::all(), imap_async::Flag::NONE).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`Session::add_flags`]: a dropped STORE may still take effect; dropped while
    /// being written, the session is unusable. See [`Session`'s Cancel safety](Session#cancel-safety).
    pub async fn set_flags_silent<K: Id>(
        &mut self,
        set: &IdSet<K>,
        flags: impl IntoIterator<Item = impl Into<Flag>>,
    ) -> Result<()> {
        self.store_silent(set, Change::Replace, Values::Flags(&collect_flags(flags)))
            .await
    }

    /// Gmail labels of each message (FETCH `X-GM-LABELS`), decoded from modified UTF-7.
    /// System labels keep their backslash (`\Important`, `\Inbox`). Needs X-GM-EXT-1.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::UidSet;
    /// session.select_folder("INBOX").await?;
    /// for (uid, labels) in session.get_gmail_labels(&UidSet::all()).await? {
    ///     println!("{uid}: {labels:?}");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_gmail_labels<K: Id>(
        &mut self,
        set: &IdSet<K>,
    ) -> Result<BTreeMap<K, Vec<String>>> {
        self.require("X-GM-EXT-1", "Gmail labels").await?;
        let fetched = self.fetch(set, "(X-GM-LABELS)").await?;
        let mut out = BTreeMap::new();
        for msg in fetched {
            if let (Some(k), Some(labels)) = (
                key_of::<K>(msg.seq, &msg.items),
                self.labels_of(&msg.items.to_vec())?,
            ) {
                out.insert(k, labels);
            }
        }
        Ok(out)
    }

    /// Add Gmail labels (STORE `+X-GM-LABELS`); returns each message's labels afterwards.
    /// Labels are sent in modified UTF-7 (a `\System` label as it is). Needs X-GM-EXT-1.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::UidSet;
    /// session.select_folder("INBOX").await?;
    /// let set: UidSet = "5".parse().unwrap();
    /// session.add_gmail_labels(&set, &["Reçus", "\\Important"]).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`Session::add_flags`]: a dropped STORE of labels may still take effect (check
    /// with [`Session::get_gmail_labels`]); dropped while being written, the session is unusable.
    /// See [`Session`'s Cancel safety](Session#cancel-safety).
    pub async fn add_gmail_labels<K: Id>(
        &mut self,
        set: &IdSet<K>,
        labels: &[&str],
    ) -> Result<BTreeMap<K, Vec<String>>> {
        self.store_labels(set, Change::Add, labels).await
    }

    /// Remove Gmail labels (STORE `-X-GM-LABELS`); returns each message's labels afterwards.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::UidSet;
    /// session.select_folder("INBOX").await?;
    /// session.remove_gmail_labels(&"5".parse::<UidSet>().unwrap(), &["Work"]).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`Session::add_flags`]: a dropped STORE of labels may still take effect (check
    /// with [`Session::get_gmail_labels`]); dropped while being written, the session is unusable.
    /// See [`Session`'s Cancel safety](Session#cancel-safety).
    pub async fn remove_gmail_labels<K: Id>(
        &mut self,
        set: &IdSet<K>,
        labels: &[&str],
    ) -> Result<BTreeMap<K, Vec<String>>> {
        self.store_labels(set, Change::Remove, labels).await
    }

    /// Replace the Gmail labels (STORE `X-GM-LABELS`); returns each message's labels
    /// afterwards.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::UidSet;
    /// session.select_folder("INBOX").await?;
    /// session.set_gmail_labels(&"5".parse::<UidSet>().unwrap(), &["Work"]).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`Session::add_flags`]: a dropped STORE of labels may still take effect (check
    /// with [`Session::get_gmail_labels`]); dropped while being written, the session is unusable.
    /// See [`Session`'s Cancel safety](Session#cancel-safety).
    pub async fn set_gmail_labels<K: Id>(
        &mut self,
        set: &IdSet<K>,
        labels: &[&str],
    ) -> Result<BTreeMap<K, Vec<String>>> {
        self.store_labels(set, Change::Replace, labels).await
    }

    /// [`Session::add_gmail_labels`] with `+X-GM-LABELS.SILENT`: nothing reported back.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.select_folder("INBOX").await?;
    /// session.add_gmail_labels_silent(&imap_async::UidSet::all(), &["Seen-all"]).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`Session::add_flags`]: a dropped STORE of labels may still take effect (check
    /// with [`Session::get_gmail_labels`]); dropped while being written, the session is unusable.
    /// See [`Session`'s Cancel safety](Session#cancel-safety).
    pub async fn add_gmail_labels_silent<K: Id>(
        &mut self,
        set: &IdSet<K>,
        labels: &[&str],
    ) -> Result<()> {
        self.require("X-GM-EXT-1", "Gmail labels").await?;
        self.store_silent(set, Change::Add, Values::GmailLabels(labels))
            .await
    }

    /// [`Session::remove_gmail_labels`] with `-X-GM-LABELS.SILENT`.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.select_folder("INBOX").await?;
    /// session.remove_gmail_labels_silent(&imap_async::UidSet::all(), &["Old"]).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`Session::add_flags`]: a dropped STORE of labels may still take effect (check
    /// with [`Session::get_gmail_labels`]); dropped while being written, the session is unusable.
    /// See [`Session`'s Cancel safety](Session#cancel-safety).
    pub async fn remove_gmail_labels_silent<K: Id>(
        &mut self,
        set: &IdSet<K>,
        labels: &[&str],
    ) -> Result<()> {
        self.require("X-GM-EXT-1", "Gmail labels").await?;
        self.store_silent(set, Change::Remove, Values::GmailLabels(labels))
            .await
    }

    /// [`Session::set_gmail_labels`] with `X-GM-LABELS.SILENT`.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.select_folder("INBOX").await?;
    /// session.set_gmail_labels_silent(&imap_async::UidSet::all(), &[]).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As for [`Session::add_flags`]: a dropped STORE of labels may still take effect (check
    /// with [`Session::get_gmail_labels`]); dropped while being written, the session is unusable.
    /// See [`Session`'s Cancel safety](Session#cancel-safety).
    pub async fn set_gmail_labels_silent<K: Id>(
        &mut self,
        set: &IdSet<K>,
        labels: &[&str],
    ) -> Result<()> {
        self.require("X-GM-EXT-1", "Gmail labels").await?;
        self.store_silent(set, Change::Replace, Values::GmailLabels(labels))
            .await
    }

    async fn store_flags<K: Id>(
        &mut self,
        set: &IdSet<K>,
        change: Change,
        flags: &[Flag],
    ) -> Result<BTreeMap<K, Vec<Flag>>> {
        let fetched = self.store(set, change, Values::Flags(flags), false).await?;
        let mut out = BTreeMap::new();
        for (k, items) in fetched {
            let flags = items.iter().rev().find_map(|i| match i {
                FetchItem::Flags(f) => Some(flags_from_wire(f)),
                _ => None,
            });
            if let Some(flags) = flags {
                out.insert(k, flags);
            }
        }
        Ok(out)
    }

    async fn store_labels<K: Id>(
        &mut self,
        set: &IdSet<K>,
        change: Change,
        labels: &[&str],
    ) -> Result<BTreeMap<K, Vec<String>>> {
        self.require("X-GM-EXT-1", "Gmail labels").await?;
        let fetched = self
            .store(set, change, Values::GmailLabels(labels), false)
            .await?;
        let mut out = BTreeMap::new();
        for (k, items) in fetched {
            if let Some(labels) = self.labels_of(&items)? {
                out.insert(k, labels);
            }
        }
        Ok(out)
    }

    /// The decoded `X-GM-LABELS` of one message's FETCH items (the last one, if repeated).
    fn labels_of(&self, items: &[FetchItem]) -> Result<Option<Vec<String>>> {
        let Some(raw) = items.iter().rev().find_map(|i| match i {
            FetchItem::Other { name, value } if name.eq_ignore_ascii_case(b"X-GM-LABELS") => {
                Some(value)
            }
            _ => None,
        }) else {
            return Ok(None);
        };
        Ok(Some(
            parse_labels(raw)?
                .iter()
                .map(|l| decode_mailbox(&self.conn, l))
                .collect(),
        ))
    }

    async fn store_silent<K: Id>(
        &mut self,
        set: &IdSet<K>,
        change: Change,
        values: Values<'_>,
    ) -> Result<()> {
        self.store(set, change, values, true).await.map(drop)
    }

    /// STORE (RFC 3501 §6.4.6) and, for labels, Gmail's X-GM-LABELS form. FETCH responses
    /// for messages of `set` are taken (merged per message, keyed like the set); others
    /// stay unsolicited. An empty set sends nothing.
    async fn store<K: Id>(
        &mut self,
        set: &IdSet<K>,
        change: Change,
        values: Values<'_>,
        silent: bool,
    ) -> Result<BTreeMap<K, Vec<FetchItem>>> {
        let item = match values {
            Values::Flags(_) => "FLAGS",
            Values::GmailLabels(_) => "X-GM-LABELS",
        };
        let item = format!(
            "{}{item}{}",
            change.prefix(),
            if silent { ".SILENT" } else { "" }
        );
        // Check every value before deciding there is nothing to do.
        let mut enc = self.conn.encoder(&command_name::<K>("STORE"));
        if !set.is_empty() {
            enc.set("messages to change", set)?;
        }
        enc.raw(&item).open_list();
        match values {
            Values::Flags(flags) => {
                for f in flags {
                    enc.flag("flag", &f.to_string())?;
                }
            }
            Values::GmailLabels(labels) => {
                for l in labels {
                    encode_label(&mut enc, l)?;
                }
            }
        }
        enc.close_list();
        if set.is_empty() {
            return Ok(BTreeMap::new());
        }
        let cmd = enc.finish();
        let mut out: BTreeMap<K, Vec<FetchItem>> = BTreeMap::new();
        let done = self
            .conn
            .execute(cmd, &mut |u| match u {
                Untagged::Fetch { seq, items } if in_set(set, seq, &items) => {
                    if let Some(k) = key_of::<K>(seq, &items) {
                        out.entry(k).or_default().extend(items.iter());
                    }
                    None
                }
                other => Some(other),
            })
            .await;
        match done {
            Err(e)
                if set.ranges().any(|r| r.involves_star())
                    && super::fetch::refused_on_empty_folder(&self.conn, &e) =>
            {
                Ok(BTreeMap::new())
            }
            Err(e) => Err(e),
            Ok(_) => Ok(out),
        }
    }
}

/// APPEND streamed from a reader (RFC 3501 §6.3.11 with a literal sent in chunks).
impl Session {
    /// APPEND a message of `len` bytes read from `reader` as it is sent, so that a large
    /// message (a restore, an archive) never sits in memory: the client holds one 64 KiB
    /// chunk at a time. Returns the APPENDUID when the server reports one (UIDPLUS, RFC
    /// 4315), as [`Session::append`] does; `flags` and `internal_date` mean the same.
    ///
    /// The message goes as one literal: `{len+}` and the data at once when the server
    /// offers LITERAL+ (RFC 7888 §4), otherwise `{len}`, then the data once the server's
    /// `+` continuation arrived (RFC 3501 §7.5; a server refusing the size answers `NO`
    /// instead, and nothing is read from `reader`). Each chunk's read from `reader` and
    /// write to the server is bounded by the command timeout. Exactly `len` bytes are
    /// read; the reader is not read past them. The bytes are sent as they are (give CRLF
    /// line endings; NUL bytes cannot be sent).
    ///
    /// # Errors
    ///
    /// Once the literal's header is sent the server reads exactly `len` bytes, and nothing
    /// can end a literal early. So when the reader ends before `len` bytes (an
    /// [`Error::Io`] of kind `UnexpectedEof` saying how many arrived), fails or stalls, or
    /// yields a NUL byte, the command cannot be completed and **the connection is unusable**:
    /// later commands fail with [`Error::Unusable`]; log out (which closes it) and connect
    /// again. The message is not stored in that case.
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe. Dropping the future before the data is all sent leaves the server
    /// inside the literal: the session is unusable (later commands fail with
    /// [`Error::Unusable`]) and the message is not stored. Dropped after the data was sent,
    /// the server may still store the message; the next command reads the APPEND's
    /// completion first, but its APPENDUID is lost, so look for the message (e.g. by
    /// Message-ID) before appending it again.
    ///
    /// ```no_run
    /// # async fn run(
    /// #     session: &mut imap_async::Session,
    /// #     file: impl tokio::io::AsyncRead + Unpin + Send,
    /// #     len: u64,
    /// # ) -> imap_async::Result<()> {
    /// // `file` is e.g. a `tokio::fs::File`, `len` its `metadata().await?.len()`.
    /// use imap_async::Flag;
    /// let stored = session.append_reader("Restored", file, len, [Flag::Seen], None).await?;
    /// if let Some(new) = stored {
    ///     println!("stored as UID {}", new.uids);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn append_reader<R>(
        &mut self,
        folder: &str,
        mut reader: R,
        len: u64,
        flags: impl IntoIterator<Item = impl Into<Flag>>,
        internal_date: Option<DateTime<FixedOffset>>,
    ) -> Result<Option<AppendUid>>
    where
        R: tokio::io::AsyncRead + Unpin + Send,
    {
        let mut head = AppendMessage::new(Bytes::new()).flags(flags);
        head.internal_date = internal_date;
        let mut enc = self.conn.encoder("APPEND");
        enc.mailbox("APPEND folder", folder)?;
        encode_message_head(&mut enc, &head)?;
        enc.streamed_literal(len);
        let cmd = enc.finish();
        let done = self
            .conn
            .execute_streamed(cmd, &mut |u| Some(u), &mut reader)
            .await?;
        Ok(append_uid(&done.code))
    }
}

/// One Gmail label: a system label (`\Important`) as a flag, any other as a mailbox name
/// (modified UTF-7, or UTF-8 once UTF8=ACCEPT is on).
fn encode_label(enc: &mut CommandEncoder, label: &str) -> Result<()> {
    if label.is_empty() {
        return Err(Error::invalid("Gmail label", "empty label"));
    }
    if label.starts_with('\\') {
        enc.flag("Gmail system label", label)?;
    } else {
        enc.mailbox("Gmail label", label)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn dates_keep_their_own_offset() {
        assert_eq!(
            format_date_time(&date("2024-03-10T01:30:00-07:00")).unwrap(),
            "10-Mar-2024 01:30:00 -0700"
        );
        // The night the US went to DST (2024-03-10 02:00 local): the offset given is the
        // one sent, whatever the machine's zone.
        assert_eq!(
            format_date_time(&date("2024-03-10T03:30:00-06:00")).unwrap(),
            "10-Mar-2024 03:30:00 -0600"
        );
        assert_eq!(
            format_date_time(&date("1996-07-07T02:44:25+05:30")).unwrap(),
            "07-Jul-1996 02:44:25 +0530"
        );
        assert_eq!(
            format_date_time(&date("2000-12-31T23:59:59+00:00")).unwrap(),
            "31-Dec-2000 23:59:59 +0000"
        );
        let odd = FixedOffset::east_opt(3600 + 15).unwrap();
        let d = date("2020-01-01T00:00:00+00:00").with_timezone(&odd);
        assert!(format_date_time(&d).is_err());
    }

    #[test]
    fn labels_are_read_in_every_form() {
        let raw = b"(\\Important \"Work stuff\" &AOk-t&AOk- {3}\r\na b \"\\\\Inbox\")";
        let labels = parse_labels(raw).unwrap();
        assert_eq!(
            labels,
            vec![
                Bytes::from_static(b"\\Important"),
                Bytes::from_static(b"Work stuff"),
                Bytes::from_static(b"&AOk-t&AOk-"),
                Bytes::from_static(b"a b"),
                Bytes::from_static(b"\\Inbox"),
            ]
        );
        assert!(parse_labels(b"()").unwrap().is_empty());
        assert!(parse_labels(b"(\"open)").is_err());
        assert!(parse_labels(b"Important").is_err());
    }

    #[test]
    fn copyuid_pairs_follow_the_server_order() {
        let c = CopyUid::from_code(&ResponseCode::CopyUid {
            uid_validity: 9,
            source: vec![(5, 5), (1, 2)],
            destination: vec![(12, 10)],
        })
        .unwrap();
        let pairs: Vec<(u32, u32)> = c.pairs().map(|(a, b)| (a.get(), b.get())).collect();
        assert_eq!(pairs, [(5, 10), (1, 11), (2, 12)]);
        assert_eq!(c.source.to_string(), "1:2,5");
        assert_eq!(c.destination.to_string(), "10:12");
    }

    #[test]
    fn append_arguments() {
        let mut enc = CommandEncoder::new("A1", "APPEND", crate::proto::LiteralSupport::Plus);
        enc.mailbox("folder", "Drafts").unwrap();
        let msg = AppendMessage::new(&b"a\nb"[..])
            .flags([Flag::Seen, Flag::keyword("$Junk")])
            .internal_date(date("2024-03-10T01:30:00-07:00"));
        encode_message(&mut enc, &msg).unwrap();
        let cmd = enc.finish();
        assert_eq!(
            cmd.redacted,
            "A1 APPEND Drafts (\\Seen $Junk) \"10-Mar-2024 01:30:00 -0700\" {3}"
        );
        let mut enc = CommandEncoder::new("A1", "APPEND", crate::proto::LiteralSupport::Plus);
        let bad = AppendMessage::new(&b"x"[..]).flags(["\\Se en"]);
        assert!(encode_message(&mut enc, &bad).is_err());
    }
}
