//! Incremental folder synchronisation with CONDSTORE and QRESYNC (RFC 7162).

use super::Session;
use super::fetch::FetchRun;
use crate::error::{Error, Result};
use crate::proto::flag::{Flag, flags_from_wire};
use crate::proto::search::SearchKey;
use crate::proto::sequence::IdRange;
use crate::proto::{FetchData, FetchItem, ResponseCode, Status, Uid, UidSet, Untagged};
use crate::session::{FetchAttr, FetchItems};

/// What an application remembers about a folder between two [`Session::sync`] calls.
/// Serializable with the `serde` feature (UIDs as compact ranges).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SyncState {
    /// The folder's `UIDVALIDITY` when the UIDs below were learnt.
    pub uid_validity: u32,
    /// The folder's `HIGHESTMODSEQ` then (RFC 7162 §3.1.2.1); at least 1.
    pub highest_modseq: u64,
    /// Every UID the application knows in the folder.
    pub known_uids: UidSet,
}

/// One known message whose flags changed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlagChange {
    /// The message whose flags changed.
    pub uid: Uid,
    /// The message's flags now (all of them, not the difference).
    pub flags: Vec<Flag>,
    /// The message's mod-sequence now.
    pub modseq: u64,
}

/// What changed in a folder since a [`SyncState`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncChanges {
    /// Messages that are in the folder and were not in `known_uids`.
    pub new: UidSet,
    /// Known messages whose flags (or other metadata) changed, in UID order.
    pub changed: Vec<FlagChange>,
    /// Known UIDs that are gone (expunged).
    pub vanished: UidSet,
    /// The state to remember for the next sync: the new `HIGHESTMODSEQ`, and the known
    /// UIDs minus the vanished plus the new.
    pub state: SyncState,
    /// Whether QRESYNC was used (one SELECT) rather than CONDSTORE (SELECT, a FETCH of the
    /// changes and a SEARCH for the survivors).
    pub qresync: bool,
}

/// The answer of [`Session::sync`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyncResult {
    /// What changed; the folder is selected.
    Changes(SyncChanges),
    /// The folder's `UIDVALIDITY` is not the one remembered (the folder was recreated or
    /// renumbered): every UID stored for it is void; start over. The folder is selected.
    UidValidityChanged {
        /// The folder's new `UIDVALIDITY`.
        uid_validity: u32,
        /// The folder's `HIGHESTMODSEQ` now: the starting point for the next sync once
        /// the folder has been fetched again.
        highest_modseq: u64,
    },
}

/// What the SELECT of a sync reported.
#[derive(Default)]
struct Selected {
    uid_validity: Option<u32>,
    highest_modseq: Option<u64>,
    no_modseq: bool,
    exists: u32,
    fetched: Vec<(u32, FetchData)>,
    vanished: UidSet,
}

impl Session {
    /// Select `folder` and find what changed since `state` (RFC 7162): new messages,
    /// changed flags, vanished UIDs, or [`SyncResult::UidValidityChanged`] when the stored
    /// UIDs are void. The folder stays selected.
    ///
    /// With QRESYNC this is one command, `SELECT folder (QRESYNC (uidvalidity modseq
    /// known-uids))` (RFC 7162 §3.2.5). QRESYNC must be enabled before the first SELECT of
    /// the connection (RFC 5161 §3.1): this method enables it itself when nothing was
    /// selected yet, so call it first, or call [`Session::enable`]`([Capability::Qresync])` yourself
    /// right after login. Otherwise it falls back to CONDSTORE (RFC 7162 §3.1): `SELECT
    /// (CONDSTORE)`, `UID FETCH 1:* (FLAGS) (CHANGEDSINCE modseq)`, and a `UID SEARCH` of
    /// the known UIDs to find the vanished ones (answered as compact ranges with ESEARCH).
    ///
    /// The state is assumed consistent: `known_uids` are the folder's UIDs as of
    /// `highest_modseq` (what the previous sync's [`SyncChanges::state`] holds).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::session::{SyncResult, SyncState};
    ///
    /// let state = SyncState {
    ///     uid_validity: 1700000000,
    ///     highest_modseq: 1234,
    ///     known_uids: "1:500".parse().unwrap(),
    /// };
    /// match session.sync("INBOX", &state).await? {
    ///     SyncResult::Changes(c) => {
    ///         println!("new {}, gone {}, {} changed", c.new, c.vanished, c.changed.len());
    ///         // store c.state for next time
    ///     }
    ///     SyncResult::UidValidityChanged { .. } => { /* forget the folder, fetch it anew */ }
    ///     // `SyncResult` is non-exhaustive: a case added later means "start over" too.
    ///     _ => { /* forget the folder, fetch it anew */ }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn sync(&mut self, folder: &str, state: &SyncState) -> Result<SyncResult> {
        if state.highest_modseq == 0 || state.highest_modseq > i64::MAX as u64 {
            return Err(Error::invalid(
                "sync state",
                "highest_modseq must be 1 to 2^63-1 (RFC 7162 mod-sequence-value)",
            ));
        }
        if state.known_uids.has_star() {
            return Err(Error::invalid(
                "sync state",
                "known_uids must not involve `*`",
            ));
        }
        self.require("CONDSTORE", "sync").await?;
        let caps = self.capabilities().await?;
        let can_qresync = caps.has("QRESYNC") && caps.has("ENABLE");
        if can_qresync && !self.conn.qresync_enabled && !self.conn.selected_once {
            self.enable(&["QRESYNC"]).await?;
        }
        let qresync = self.conn.qresync_enabled;
        let sel = self.sync_select(folder, state, qresync).await?;
        let uid_validity = sel
            .uid_validity
            .ok_or_else(|| Error::Protocol(format!("SELECT {folder} gave no UIDVALIDITY")))?;
        if sel.no_modseq {
            return Err(Error::NoModSeq {
                folder: folder.to_owned(),
                needed_for: "sync".into(),
            });
        }
        let highest_modseq = sel.highest_modseq.ok_or_else(|| {
            Error::Protocol(format!("SELECT {folder} (CONDSTORE) gave no HIGHESTMODSEQ"))
        })?;
        if uid_validity != state.uid_validity {
            return Ok(SyncResult::UidValidityChanged {
                uid_validity,
                highest_modseq,
            });
        }
        let (fetched, vanished) = if qresync {
            (sel.fetched, intersect(&sel.vanished, &state.known_uids))
        } else {
            let mut fetched = Vec::new();
            if sel.exists > 0 {
                let items = FetchItems::from(vec![FetchAttr::Flags, FetchAttr::ModSeq]);
                let mut run = FetchRun::new(
                    &UidSet::all(),
                    &items,
                    None,
                    Some(state.highest_modseq),
                    false,
                )?;
                for f in run.collect(&mut self.conn).await? {
                    fetched.push((f.seq, f.items));
                }
            }
            let vanished = if state.known_uids.is_empty() {
                UidSet::new()
            } else if sel.exists == 0 {
                state.known_uids.clone()
            } else {
                let alive = self
                    .search(SearchKey::Uid(state.known_uids.clone()))
                    .await?;
                difference(&state.known_uids, &alive)
            };
            (fetched, vanished)
        };
        let mut new = UidSet::new();
        let mut changed = Vec::new();
        for (_, items) in fetched {
            let mut uid = None;
            let mut flags = None;
            let mut modseq = 0;
            for item in &items {
                match item {
                    FetchItem::Uid(u) => uid = Uid::new(u),
                    FetchItem::Flags(f) => flags = Some(flags_from_wire(&f)),
                    FetchItem::ModSeq(m) => modseq = m,
                    _ => {}
                }
            }
            let Some(uid) = uid else { continue };
            if vanished.contains(uid.get()) {
                continue;
            }
            if state.known_uids.contains(uid.get()) {
                changed.push(FlagChange {
                    uid,
                    flags: flags.unwrap_or_default(),
                    modseq,
                });
            } else {
                new.insert(uid);
            }
        }
        changed.sort_by_key(|c| c.uid);
        changed.dedup_by_key(|c| c.uid);
        let mut known = difference(&state.known_uids, &vanished);
        known.union_with(&new);
        Ok(SyncResult::Changes(SyncChanges {
            new,
            changed,
            vanished,
            state: SyncState {
                uid_validity,
                highest_modseq,
                known_uids: known,
            },
            qresync,
        }))
    }

    /// `SELECT folder (QRESYNC (...))` or `SELECT folder (CONDSTORE)`, keeping what a sync
    /// needs; the rest of SELECT's data describes the folder and is consumed, as
    /// [`Session::select_folder`] does.
    async fn sync_select(
        &mut self,
        folder: &str,
        state: &SyncState,
        qresync: bool,
    ) -> Result<Selected> {
        let mut enc = self.conn.encoder("SELECT");
        enc.mailbox("mailbox name", folder)?;
        enc.open_list();
        if qresync {
            // RFC 7162 §3.2.5: `"QRESYNC" SP "(" uidvalidity SP mod-sequence-value
            // [SP known-uids] ")"`.
            enc.raw("QRESYNC")
                .open_list()
                .number(u64::from(state.uid_validity))
                .number(state.highest_modseq);
            // The known UIDs plus every UID above them: with known-uids the server
            // reports changes only for those messages (§3.2.5.1), and new messages must
            // be reported too. Dovecot refuses `*` there, so the top is the largest UID.
            let max = state.known_uids.ranges().last().and_then(|r| match r {
                IdRange::Closed(_, b) => Some(b.get()),
                _ => None,
            });
            let mut known = state.known_uids.clone();
            if let Some(next) = Uid::new(max.map_or(1, |m| m.saturating_add(1))) {
                known.insert_range(next..=Uid::new(u32::MAX).expect("non-zero"));
            }
            enc.set("known UIDs", &known)?;
            enc.close_list();
        } else {
            enc.raw("CONDSTORE");
        }
        enc.close_list();
        let cmd = enc.finish();
        let mut sel = Selected::default();
        self.conn.selected = None;
        self.conn.selected_exists = None;
        self.conn.selected_once = true;
        let mut saw_exists = false;
        self.conn
            .execute(cmd, &mut |u| {
                match u {
                    Untagged::Exists(n) => {
                        sel.exists = n;
                        saw_exists = true;
                    }
                    Untagged::Recent(_) | Untagged::Flags(_) => {}
                    Untagged::Status(st) => match st.code {
                        Some(ResponseCode::UidValidity(n)) => sel.uid_validity = Some(n),
                        Some(ResponseCode::HighestModSeq(n)) => sel.highest_modseq = Some(n),
                        Some(ResponseCode::NoModSeq) => sel.no_modseq = true,
                        Some(
                            ResponseCode::UidNext(_)
                            | ResponseCode::Unseen(_)
                            | ResponseCode::PermanentFlags(_)
                            | ResponseCode::Closed,
                        ) => {}
                        // Other codes in an untagged OK describe the folder, as in
                        // `Session::select_folder_with` (Cyrus's MAILBOXID and the like).
                        Some(ResponseCode::Other(_, _)) if st.status == Status::Ok => {}
                        _ => return Some(Untagged::Status(st)),
                    },
                    // RFC 7162 §3.2.5.1: the changes since the given mod-sequence, then
                    // the expunged known UIDs as `VANISHED (EARLIER)`.
                    Untagged::Fetch { seq, items } if qresync => sel.fetched.push((seq, items)),
                    Untagged::Vanished {
                        earlier: true,
                        uids,
                    } if qresync => {
                        for (a, b) in uids {
                            if let (Some(a), Some(b)) = (Uid::new(a.min(b)), Uid::new(a.max(b))) {
                                sel.vanished.insert_range(a..=b);
                            }
                        }
                    }
                    other => return Some(other),
                }
                None
            })
            .await?;
        self.conn.selected = Some(folder.to_owned());
        // A reconnect opens it again as `SELECT folder (CONDSTORE)`: with QRESYNC enabled
        // again too, that is the same read-write, mod-sequence-aware state.
        self.conn.selected_options = crate::options::SelectOptions {
            readonly: false,
            condstore: true,
        };
        self.conn.selected_uid_validity = sel.uid_validity;
        self.conn.selected_exists = saw_exists.then_some(sel.exists);
        Ok(sel)
    }
}

/// The closed ranges of a set without `*`.
fn closed(set: &UidSet) -> Vec<(u32, u32)> {
    set.ranges()
        .filter_map(|r| match r {
            IdRange::Closed(a, b) => Some((a.get(), b.get())),
            _ => None,
        })
        .collect()
}

fn from_ranges(ranges: impl IntoIterator<Item = (u32, u32)>) -> UidSet {
    let mut out = UidSet::new();
    for (a, b) in ranges {
        if let (Some(a), Some(b)) = (Uid::new(a), Uid::new(b)) {
            out.insert_range(a..=b);
        }
    }
    out
}

/// `a ∩ b`, range by range (sets without `*`).
pub(crate) fn intersect(a: &UidSet, b: &UidSet) -> UidSet {
    let (a, b) = (closed(a), closed(b));
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        let lo = a[i].0.max(b[j].0);
        let hi = a[i].1.min(b[j].1);
        if lo <= hi {
            out.push((lo, hi));
        }
        if a[i].1 < b[j].1 { i += 1 } else { j += 1 }
    }
    from_ranges(out)
}

/// `a \ b`, range by range (sets without `*`).
pub(crate) fn difference(a: &UidSet, b: &UidSet) -> UidSet {
    let b = closed(b);
    let mut out = Vec::new();
    let mut j = 0;
    for (mut lo, hi) in closed(a) {
        while j < b.len() && b[j].1 < lo {
            j += 1;
        }
        let mut k = j;
        while lo <= hi {
            match b.get(k) {
                Some(&(s, e)) if s <= hi => {
                    if s > lo {
                        out.push((lo, s - 1));
                    }
                    if e >= hi {
                        lo = hi.saturating_add(1);
                        if e == u32::MAX {
                            break;
                        }
                    } else {
                        lo = e + 1;
                    }
                    k += 1;
                }
                _ => {
                    out.push((lo, hi));
                    break;
                }
            }
        }
        if hi == u32::MAX {
            break;
        }
    }
    from_ranges(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> UidSet {
        s.parse().unwrap()
    }

    #[test]
    fn set_algebra() {
        assert_eq!(
            intersect(&set("1:10,20:30"), &set("5:25")),
            set("5:10,20:25")
        );
        assert_eq!(intersect(&set("1:3"), &set("4:9")), UidSet::new());
        assert_eq!(
            difference(&set("1:10,20:30"), &set("5:25")),
            set("1:4,26:30")
        );
        assert_eq!(difference(&set("1:10"), &set("1:10")), UidSet::new());
        assert_eq!(difference(&set("1:10"), &set("2,4,6")), set("1,3,5,7:10"));
        assert_eq!(difference(&set("5"), &UidSet::new()), set("5"));
        assert_eq!(
            difference(&set("1:4294967295"), &set("4294967295")),
            set("1:4294967294")
        );
    }
}
