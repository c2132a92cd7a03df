//! What the script side's two halves (`shell.rs` and `more.rs`) both use: script values
//! to library arguments and back, results shown as IMAPClient prints them, and the help
//! entry of a method. Nothing here imports either half.

use imap_async::{IdleEvent, Uid, UidSet};
use rhai::{Array, Dynamic, EvalAltResult, ImmutableString, Map, Position};

use crate::pretty::{self, Tuple};

pub type Res<T> = Result<T, Box<EvalAltResult>>;

pub fn err(msg: impl Into<String>) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(Dynamic::from(msg.into()), Position::NONE).into()
}

/// Message ids from a script value: an array of integers, one integer, or a set string
/// such as `"1:*"`; UIDs or sequence numbers as `K` says.
pub fn id_set<K: imap_async::proto::sequence::Id>(
    ids: &Dynamic,
) -> Res<imap_async::proto::sequence::IdSet<K>> {
    use imap_async::proto::sequence::IdSet;
    let what = if K::IS_UID { "UID" } else { "message number" };
    let one = |n: i64| {
        u32::try_from(n)
            .ok()
            .and_then(std::num::NonZeroU32::new)
            .map(K::from_nonzero)
            .ok_or_else(|| err(format!("{what} {n}: not valid (1..4294967295)")))
    };
    if let Some(s) = ids.read_lock::<ImmutableString>() {
        return s
            .parse::<IdSet<K>>()
            .map_err(|e| err(format!("message set {s:?}: {e}")));
    }
    if let Ok(n) = ids.as_int() {
        return one(n).map(IdSet::from);
    }
    if let Some(a) = ids.read_lock::<Array>() {
        let mut set = IdSet::new();
        for v in a.iter() {
            let n = v
                .as_int()
                .map_err(|t| err(format!("message ids: expected integers, found {t}")))?;
            set.insert(one(n)?);
        }
        return Ok(set);
    }
    Err(err(format!(
        "message ids: expected an array of {what}s or a set like \"1:*\", found {}",
        ids.type_name()
    )))
}

pub fn uids(ids: &Dynamic) -> Res<UidSet> {
    id_set(ids)
}

pub fn one_uid(n: i64) -> Res<Uid> {
    u32::try_from(n)
        .ok()
        .and_then(Uid::new)
        .ok_or_else(|| err(format!("message id {n}: not a valid UID (1..4294967295)")))
}

pub fn strings(v: &Dynamic, what: &str) -> Res<Vec<String>> {
    if let Some(s) = v.read_lock::<ImmutableString>() {
        return Ok(vec![s.to_string()]);
    }
    if let Some(t) = v.read_lock::<Tuple>() {
        return Ok(t.0.clone());
    }
    if let Some(a) = v.read_lock::<Array>() {
        return a
            .iter()
            .map(|x| {
                x.read_lock::<ImmutableString>()
                    .map(|s| s.to_string())
                    .ok_or_else(|| {
                        err(format!("{what}: expected strings, found {}", x.type_name()))
                    })
            })
            .collect();
    }
    Err(err(format!(
        "{what}: expected a string or an array of strings, found {}",
        v.type_name()
    )))
}

pub fn uid_list(set: &UidSet) -> Dynamic {
    match set.iter() {
        Some(it) => pretty::int_array(it.map(|u| u.get())),
        None => Dynamic::from(set.to_string()),
    }
}

/// APPENDUID (RFC 4315) as a map, or `()` when the server has no UIDPLUS.
pub fn append_uid(a: Option<imap_async::AppendUid>) -> Dynamic {
    match a {
        Some(a) => {
            let mut m = Map::new();
            m.insert(
                "uid_validity".into(),
                Dynamic::from_int(a.uid_validity.into()),
            );
            m.insert("uids".into(), uid_list(&a.uids));
            Dynamic::from_map(m)
        }
        None => Dynamic::UNIT,
    }
}

pub fn copy_uid(c: Option<imap_async::CopyUid>) -> Dynamic {
    match c {
        Some(c) => {
            let mut m = Map::new();
            m.insert(
                "uid_validity".into(),
                Dynamic::from_int(c.uid_validity.into()),
            );
            m.insert("source".into(), uid_list(&c.source));
            m.insert("destination".into(), uid_list(&c.destination));
            Dynamic::from_map(m)
        }
        None => Dynamic::UNIT,
    }
}

pub fn event_text(ev: &IdleEvent) -> String {
    match ev {
        IdleEvent::Exists(n) => format!("({n}, \"EXISTS\")"),
        IdleEvent::Recent(n) => format!("({n}, \"RECENT\")"),
        IdleEvent::Expunge(n) => format!("({n}, \"EXPUNGE\")"),
        IdleEvent::Fetch {
            seq, uid, flags, ..
        } => {
            let mut m = Map::new();
            if let Some(u) = uid {
                m.insert("UID".into(), Dynamic::from_int(u.get().into()));
            }
            if let Some(f) = flags {
                m.insert("FLAGS".into(), Tuple::dynamic(f));
            }
            format!(
                "({seq}, \"FETCH\", {})",
                pretty::pretty(&Dynamic::from_map(m))
            )
        }
        IdleEvent::Vanished { uids, .. } => format!("(\"VANISHED\", \"{uids}\")"),
        IdleEvent::Flags(f) => format!("(\"FLAGS\", {})", pretty::pretty(&Tuple::dynamic(f))),
        IdleEvent::Alert(t) => format!("(\"ALERT\", {t:?})"),
        IdleEvent::Other(u) => untagged_text(u),
        // An event added by a later version of the library.
        other => format!("{other:?}"),
    }
}

fn words(list: &[impl AsRef<[u8]>]) -> String {
    list.iter()
        .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ranges(r: &[(u32, u32)]) -> String {
    r.iter()
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}:{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A response code as the server wrote it, `[...]` included.
fn code_text(code: &imap_async::proto::ResponseCode) -> String {
    use imap_async::proto::ResponseCode as C;
    if let Some(atom) = code.atom() {
        return format!("[{atom}]");
    }
    let inner = match code {
        C::BadCharset(c) if c.is_empty() => "BADCHARSET".to_owned(),
        C::BadCharset(c) => format!("BADCHARSET ({})", words(c)),
        C::Capability(c) => format!("CAPABILITY {}", words(c)),
        C::PermanentFlags(f) => format!("PERMANENTFLAGS ({})", words(f)),
        C::UidNext(n) => format!("UIDNEXT {n}"),
        C::UidValidity(n) => format!("UIDVALIDITY {n}"),
        C::Unseen(n) => format!("UNSEEN {n}"),
        C::AppendUid { uid_validity, uids } => format!("APPENDUID {uid_validity} {}", ranges(uids)),
        C::CopyUid {
            uid_validity,
            source,
            destination,
        } => format!(
            "COPYUID {uid_validity} {} {}",
            ranges(source),
            ranges(destination)
        ),
        C::HighestModSeq(n) => format!("HIGHESTMODSEQ {n}"),
        C::Modified(r) => format!("MODIFIED {}", ranges(r)),
        C::BadEvent(e) => format!("BADEVENT ({})", words(e)),
        C::Other(name, None) => lossy(name),
        C::Other(name, Some(v)) => format!("{} {}", lossy(name), lossy(v)),
        // A code added by a later version of the library.
        other => format!("{other:?}"),
    };
    format!("[{inner}]")
}

/// Untagged data seen while idling (NOTIFY's STATUS and LIST, a server's OK or BYE, ...),
/// in IMAPClient's tuple style.
fn untagged_text(u: &imap_async::proto::Untagged) -> String {
    use imap_async::proto::{Status, Untagged as U};
    let q = |b: &[u8]| format!("{:?}", lossy(b));
    match u {
        U::Status(st) => {
            let kind = match st.status {
                Status::Ok => "OK",
                Status::No => "NO",
                Status::Bad => "BAD",
                Status::PreAuth => "PREAUTH",
                Status::Bye => "BYE",
            };
            let text = match &st.code {
                Some(c) => format!("{} {}", code_text(c), lossy(&st.text)),
                None => lossy(&st.text),
            };
            format!("(\"{kind}\", {text:?})")
        }
        U::Capability(c) => format!("(\"CAPABILITY\", {:?})", words(c)),
        U::Enabled(c) => format!("(\"ENABLED\", {:?})", words(c)),
        U::List(l) | U::Lsub(l) => {
            let kind = if matches!(u, U::List(_)) {
                "LIST"
            } else {
                "LSUB"
            };
            let mut s = format!("(\"{kind}\", {}, ({}))", q(&l.name), words(&l.attributes));
            if let Some(old) = &l.old_name {
                s.insert_str(s.len() - 1, &format!(", \"OLDNAME\", {}", q(old)));
            }
            s
        }
        U::MailboxStatus(st) => {
            let mut items = Vec::new();
            let mut put = |k: &str, v: Option<u64>| {
                if let Some(v) = v {
                    items.push(format!("\"{k}\": {v}"));
                }
            };
            put("MESSAGES", st.messages.map(u64::from));
            put("RECENT", st.recent.map(u64::from));
            put("UIDNEXT", st.uid_next.map(u64::from));
            put("UIDVALIDITY", st.uid_validity.map(u64::from));
            put("UNSEEN", st.unseen.map(u64::from));
            put("HIGHESTMODSEQ", st.highest_modseq);
            put("SIZE", st.size);
            put("DELETED", st.deleted.map(u64::from));
            for (k, v) in &st.other {
                items.push(format!("{}: {}", q(k), q(v)));
            }
            format!("(\"STATUS\", {}, {{{}}})", q(&st.mailbox), items.join(", "))
        }
        U::Search { ids, .. } | U::Sort { ids, .. } => {
            let kind = if matches!(u, U::Search { .. }) {
                "SEARCH"
            } else {
                "SORT"
            };
            format!("(\"{kind}\", {ids:?})")
        }
        U::Thread(t) => format!("(\"THREAD\", {} threads)", t.len()),
        U::ESearch(_) => "(\"ESEARCH\",)".to_owned(),
        U::Flags(f) => format!("(\"FLAGS\", {:?})", words(f)),
        U::Exists(n) => format!("({n}, \"EXISTS\")"),
        U::Recent(n) => format!("({n}, \"RECENT\")"),
        U::Expunge(n) => format!("({n}, \"EXPUNGE\")"),
        U::Vanished { earlier, uids } => format!(
            "(\"VANISHED\"{}, \"{}\")",
            if *earlier { ", \"EARLIER\"" } else { "" },
            ranges(uids)
        ),
        U::Namespace(_) => "(\"NAMESPACE\",)".to_owned(),
        U::Fetch { seq, items } => format!(
            "({seq}, \"FETCH\", {})",
            pretty::pretty(&pretty::fetched(&imap_async::Fetched {
                seq: *seq,
                items: items.clone()
            }))
        ),
        U::Id(_) => "(\"ID\",)".to_owned(),
        U::Quota { root, .. } => format!("(\"QUOTA\", {})", q(root)),
        U::QuotaRoot { mailbox, roots } => {
            format!("(\"QUOTAROOT\", {}, {:?})", q(mailbox), words(roots))
        }
        U::Acl { mailbox, .. } => format!("(\"ACL\", {})", q(mailbox)),
        U::MyRights { mailbox, rights } => {
            format!("(\"MYRIGHTS\", {}, {})", q(mailbox), q(rights))
        }
        U::ListRights { mailbox, .. } => format!("(\"LISTRIGHTS\", {})", q(mailbox)),
        U::Metadata { mailbox, .. } => format!("(\"METADATA\", {})", q(mailbox)),
        U::MetadataChanged { mailbox, entries } => {
            format!("(\"METADATA\", {}, {:?})", q(mailbox), words(entries))
        }
        U::Other(raw) => format!("(\"UNTAGGED\", {})", q(raw)),
        // A response added by a later version of the library.
        other => format!("(\"UNTAGGED\", {:?})", format!("{other:?}")),
    }
}

/// One method of `c`: its name, how to call it, and what it does.
pub struct MethodHelp {
    pub name: &'static str,
    pub usage: &'static str,
    pub text: &'static str,
}

#[cfg(test)]
mod rendering_tests {
    use super::*;
    use imap_async::proto::{Response, parse_response};

    fn idle_event(wire: &str) -> IdleEvent {
        match parse_response(bytes::Bytes::copy_from_slice(wire.as_bytes())).unwrap() {
            Response::Untagged(u) => IdleEvent::from(u),
            other => panic!("not untagged: {other:?}"),
        }
    }

    #[test]
    fn what_idle_and_notify_bring_is_shown_as_imapclient_tuples() {
        let cases = [
            ("* 4 EXISTS\r\n", "(4, \"EXISTS\")"),
            (
                "* STATUS Lists (MESSAGES 3 UIDNEXT 9 HIGHESTMODSEQ 40)\r\n",
                "(\"STATUS\", \"Lists\", {\"MESSAGES\": 3, \"UIDNEXT\": 9, \"HIGHESTMODSEQ\": 40})",
            ),
            (
                "* LIST () \"/\" Done (\"OLDNAME\" (Projects))\r\n",
                "(\"LIST\", \"Done\", (), \"OLDNAME\", \"Projects\")",
            ),
            (
                "* LIST (\\NonExistent) \"/\" Old\r\n",
                "(\"LIST\", \"Old\", (\\NonExistent))",
            ),
            (
                "* OK [NOTIFICATIONOVERFLOW] too many\r\n",
                "(\"OK\", \"[NOTIFICATIONOVERFLOW] too many\")",
            ),
            (
                "* BYE Autologout; idle for too long\r\n",
                "(\"BYE\", \"Autologout; idle for too long\")",
            ),
            ("* VANISHED 3:5,9\r\n", "(\"VANISHED\", \"3:5,9\")"),
        ];
        for (wire, shown) in cases {
            assert_eq!(event_text(&idle_event(wire)), shown, "{wire}");
        }
    }
}
