//! Bindings of `c` beyond the first set: sequence-number forms, the remaining folder,
//! flag, label, search, server and administration calls. Each converts its arguments
//! from script values and its result to script values the printer knows.

use imap_async::session::{SortCriterion, SortKey, SpecialUse, StatusItems};
use imap_async::{Seq, SeqSet, Uid};
use rhai::{Array, Dynamic, Engine, ImmutableString, Map};

use crate::client::Client;
use crate::common::{Res, err, strings, uid_list, uids};
use crate::pretty::{self, Tuple};

/// Message sequence numbers: an array of integers, one integer, or a set like `"1:*"`.
fn seqs(ids: &Dynamic) -> Res<SeqSet> {
    crate::common::id_set(ids)
}

fn seq_list(set: &SeqSet) -> Dynamic {
    match set.iter() {
        Some(it) => pretty::int_array(it.map(|s| s.get())),
        None => Dynamic::from(set.to_string()),
    }
}

fn fetch_items(items: &Dynamic) -> Res<String> {
    Ok(match items.read_lock::<ImmutableString>() {
        Some(s) => s.to_string(),
        None => format!("({})", strings(items, "fetch items")?.join(" ")),
    })
}

/// Each message's flags (as IMAPClient prints them: wire-form strings) or labels.
fn by_seq<T: std::fmt::Display>(m: std::collections::BTreeMap<Seq, Vec<T>>) -> Dynamic {
    let mut out = Map::new();
    for (k, v) in m {
        out.insert(k.get().to_string().into(), Tuple::dynamic(v.iter()));
    }
    Dynamic::from_map(out)
}

fn by_uid<T: std::fmt::Display>(m: std::collections::BTreeMap<Uid, Vec<T>>) -> Dynamic {
    let mut out = Map::new();
    for (k, v) in m {
        out.insert(k.get().to_string().into(), Tuple::dynamic(v.iter()));
    }
    Dynamic::from_map(out)
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn folders(v: &[imap_async::Folder]) -> Dynamic {
    Dynamic::from_array(v.iter().map(pretty::folder).collect())
}

fn special_use(name: &str) -> Res<SpecialUse> {
    Ok(
        match name.trim_start_matches('\\').to_ascii_lowercase().as_str() {
            "all" => SpecialUse::All,
            "archive" => SpecialUse::Archive,
            "drafts" => SpecialUse::Drafts,
            "flagged" => SpecialUse::Flagged,
            "junk" => SpecialUse::Junk,
            "sent" => SpecialUse::Sent,
            "trash" => SpecialUse::Trash,
            other => {
                return Err(err(format!(
                    "special use {other:?}: one of All, Archive, Drafts, Flagged, Junk, Sent, Trash"
                )));
            }
        },
    )
}

/// `"DATE"`, `"REVERSE SIZE"`, ... as a SORT criterion (RFC 5256 §3).
fn sort_criterion(s: &str) -> Res<SortCriterion> {
    let (reverse, key) = match s.trim().split_once(' ') {
        Some((r, k)) if r.eq_ignore_ascii_case("REVERSE") => (true, k.trim()),
        _ => (false, s.trim()),
    };
    let key = match key.to_ascii_uppercase().as_str() {
        "ARRIVAL" => SortKey::Arrival,
        "CC" => SortKey::Cc,
        "DATE" => SortKey::Date,
        "FROM" => SortKey::From,
        "SIZE" => SortKey::Size,
        "SUBJECT" => SortKey::Subject,
        "TO" => SortKey::To,
        "DISPLAYFROM" => SortKey::DisplayFrom,
        "DISPLAYTO" => SortKey::DisplayTo,
        other => {
            return Err(err(format!(
                "sort key {other:?}: one of ARRIVAL, CC, DATE, FROM, SIZE, SUBJECT, TO, \
                 DISPLAYFROM, DISPLAYTO (each may be preceded by REVERSE)"
            )));
        }
    };
    Ok(SortCriterion { key, reverse })
}

fn quotas(v: &[imap_async::session::Quota]) -> Dynamic {
    Dynamic::from_array(
        v.iter()
            .map(|q| {
                let mut m = Map::new();
                m.insert("root".into(), Dynamic::from(q.root.clone()));
                m.insert("resource".into(), Dynamic::from(q.resource.clone()));
                m.insert("usage".into(), Dynamic::from_int(q.usage as i64));
                m.insert("limit".into(), Dynamic::from_int(q.limit as i64));
                Dynamic::from_map(m)
            })
            .collect(),
    )
}

pub fn register(e: &mut Engine) {
    // Folders.
    e.register_fn("list_sub_folders", |c: &mut Client| {
        c.run(async |s| s.list_sub_folders("", "*").await)
            .map(|v| folders(&v))
    });
    e.register_fn("list_sub_folders", |c: &mut Client, r: &str, p: &str| {
        c.run(async |s| s.list_sub_folders(r, p).await)
            .map(|v| folders(&v))
    });
    e.register_fn("xlist_folders", |c: &mut Client, r: &str, p: &str| {
        c.run(async |s| s.xlist_folders(r, p).await)
            .map(|v| folders(&v))
    });
    e.register_fn("find_special_folder", |c: &mut Client, name: &str| {
        let u = special_use(name)?;
        c.run(async |s| s.find_special_folder(u).await)
            .map(|f| f.map(Dynamic::from).unwrap_or(Dynamic::UNIT))
    });
    e.register_fn("list_status", |c: &mut Client, r: &str, p: &str| {
        let items = StatusItems {
            messages: true,
            uid_next: true,
            uid_validity: true,
            unseen: true,
            ..StatusItems::NONE
        };
        c.run(async |s| s.list_status(r, p, items).await).map(|v| {
            let mut out = Map::new();
            for (f, st) in v {
                out.insert(
                    f.name.into(),
                    st.map(|st| pretty::folder_status(&st))
                        .unwrap_or(Dynamic::UNIT),
                );
            }
            Dynamic::from_map(out)
        })
    });

    // Sequence-number forms of the first set's calls.
    e.register_fn(
        "seq_fetch",
        |c: &mut Client, ids: Dynamic, items: Dynamic| {
            let (set, items) = (seqs(&ids)?, fetch_items(&items)?);
            c.run(async |s| s.fetch(&set, items).await)
                .map(|v| pretty::fetch_result(&v))
        },
    );
    e.register_fn("seq_get_flags", |c: &mut Client, ids: Dynamic| {
        let set = seqs(&ids)?;
        c.run(async |s| s.get_flags(&set).await).map(by_seq)
    });
    e.register_fn(
        "seq_add_flags",
        |c: &mut Client, ids: Dynamic, f: Dynamic| {
            let (set, f) = (seqs(&ids)?, strings(&f, "flags")?);
            c.run(async |s| s.add_flags(&set, &refs(&f)).await)
                .map(by_seq)
        },
    );
    e.register_fn("seq_copy", |c: &mut Client, ids: Dynamic, folder: &str| {
        let set = seqs(&ids)?;
        c.run(async |s| s.copy(&set, folder).await)
            .map(crate::common::copy_uid)
    });
    e.register_fn(
        "seq_move_messages",
        |c: &mut Client, ids: Dynamic, folder: &str| {
            let set = seqs(&ids)?;
            c.run(async |s| s.move_messages(&set, folder).await)
                .map(crate::common::copy_uid)
        },
    );
    e.register_fn("uid_expunge", |c: &mut Client, ids: Dynamic| {
        let set = uids(&ids)?;
        c.run(async |s| s.uid_expunge(&set).await).map(|x| {
            let mut m = Map::new();
            m.insert(
                "expunged".into(),
                pretty::int_array(x.seqs.iter().map(|s| s.get())),
            );
            m.insert("vanished".into(), uid_list(&x.vanished));
            Dynamic::from_map(m)
        })
    });

    // Gmail labels (X-GM-EXT-1).
    e.register_fn("get_gmail_labels", |c: &mut Client, ids: Dynamic| {
        let set = uids(&ids)?;
        c.run(async |s| s.get_gmail_labels(&set).await).map(by_uid)
    });

    // Searching.
    e.register_fn("seq_search", |c: &mut Client, criteria: Dynamic| {
        let q = strings(&criteria, "search criteria")?.join(" ");
        c.run(async |s| s.seq_search(q.as_str()).await)
            .map(|set| seq_list(&set))
    });
    e.register_fn("gmail_search", |c: &mut Client, query: &str| {
        c.run(async |s| s.gmail_search(query).await)
            .map(|set| uid_list(&set))
    });
    e.register_fn(
        "sort",
        |c: &mut Client, keys: Dynamic, criteria: Dynamic| {
            let keys = strings(&keys, "sort keys")?
                .iter()
                .map(|k| sort_criterion(k))
                .collect::<Res<Vec<_>>>()?;
            let q = strings(&criteria, "search criteria")?.join(" ");
            c.run(async |s| s.sort(keys, q.as_str()).await)
                .map(|v| pretty::int_array(v.into_iter().map(|u| u.get())))
        },
    );
    e.register_fn(
        "seq_sort",
        |c: &mut Client, keys: Dynamic, criteria: Dynamic| {
            let keys = strings(&keys, "sort keys")?
                .iter()
                .map(|k| sort_criterion(k))
                .collect::<Res<Vec<_>>>()?;
            let q = strings(&criteria, "search criteria")?.join(" ");
            c.run(async |s| s.seq_sort(keys, q.as_str()).await)
                .map(|v| pretty::int_array(v.into_iter().map(|u| u.get())))
        },
    );

    // The server.
    e.register_fn("enable", |c: &mut Client, exts: Dynamic| {
        let exts = strings(&exts, "extensions")?;
        // Printed upper-cased, as IMAPClient does.
        c.run(async |s| s.enable(&exts).await)
            .map(|v| Tuple::dynamic(v.iter().map(|c| c.to_string().to_ascii_uppercase())))
    });
    e.register_fn("refresh_capabilities", |c: &mut Client| {
        c.run(async |s| {
            s.refresh_capabilities()
                .await
                .map(|caps| caps.names().map(str::to_owned).collect::<Vec<_>>())
        })
        .map(|v| Dynamic::from(Tuple(v)))
    });
    e.register_fn("compress", |c: &mut Client| {
        c.run(async |s| s.compress().await)
    });
    e.register_fn("notify_none", |c: &mut Client| {
        c.run(async |s| s.notify_none().await)
    });
    e.register_fn("reconnect", |c: &mut Client| {
        c.run(async |s| s.reconnect().await)
            .map(|r| r.folder.map(Dynamic::from).unwrap_or(Dynamic::UNIT))
    });

    // Quota and ACL (RFC 9208, RFC 4314).
    e.register_fn("get_quota", |c: &mut Client, root: &str| {
        c.run(async |s| s.get_quota(root).await).map(|v| quotas(&v))
    });
    e.register_fn("get_quota_root", |c: &mut Client, folder: &str| {
        c.run(async |s| s.get_quota_root(folder).await)
            .map(|(roots, q)| {
                let mut m = Map::new();
                m.insert("roots".into(), Dynamic::from(Tuple(roots)));
                m.insert("quotas".into(), quotas(&q));
                Dynamic::from_map(m)
            })
    });
    e.register_fn("myrights", |c: &mut Client, folder: &str| {
        // The letters as the server sent them, like IMAPClient.
        c.run(async |s| s.myrights(folder).await)
            .map(|r| r.to_string())
    });
    e.register_fn("getacl", |c: &mut Client, folder: &str| {
        c.run(async |s| s.getacl(folder).await).map(|v| {
            let mut m = Map::new();
            for a in v {
                m.insert(a.identifier.into(), Dynamic::from(a.rights.to_string()));
            }
            Dynamic::from_map(m)
        })
    });
    e.register_fn(
        "setacl",
        |c: &mut Client, folder: &str, who: &str, rights: &str| {
            c.run(async |s| s.setacl(folder, who, rights).await)
        },
    );
    e.register_fn("deleteacl", |c: &mut Client, folder: &str, who: &str| {
        c.run(async |s| s.deleteacl(folder, who).await)
    });
    e.register_fn("listrights", |c: &mut Client, folder: &str, who: &str| {
        c.run(async |s| s.listrights(folder, who).await).map(|r| {
            let mut m = Map::new();
            m.insert("required".into(), Dynamic::from(r.required.to_string()));
            m.insert("optional".into(), Tuple::dynamic(r.optional));
            Dynamic::from_map(m)
        })
    });
}

/// Help for the bindings above, in the table `help()` reads.
pub const METHODS: &[crate::common::MethodHelp] = &[
    m(
        "list_sub_folders",
        "c.list_sub_folders() / c.list_sub_folders(reference, pattern)",
        "LSUB: the subscribed folders, as list_folders shows them.",
    ),
    m(
        "xlist_folders",
        "c.xlist_folders(reference, pattern)",
        "XLIST (Gmail's older LIST with special-use flags).",
    ),
    m(
        "find_special_folder",
        "c.find_special_folder(\"Sent\")",
        "The folder with this special use (All, Archive, Drafts, Flagged, Junk, Sent, Trash), or None.",
    ),
    m(
        "list_status",
        "c.list_status(reference, pattern)",
        "LIST-STATUS (RFC 5819): every matching folder with MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN in one command.",
    ),
    m(
        "remove_flags",
        "c.remove_flags(ids, flags)",
        "-FLAGS on these UIDs; returns each message's flags now.",
    ),
    m(
        "set_flags",
        "c.set_flags(ids, flags)",
        "FLAGS (replace) on these UIDs; returns each message's flags now.",
    ),
    m(
        "add_flags_silent",
        "c.add_flags_silent(ids, flags)",
        "+FLAGS.SILENT: like add_flags without the answer.",
    ),
    m(
        "remove_flags_silent",
        "c.remove_flags_silent(ids, flags)",
        "-FLAGS.SILENT.",
    ),
    m(
        "set_flags_silent",
        "c.set_flags_silent(ids, flags)",
        "FLAGS.SILENT.",
    ),
    m(
        "seq_fetch",
        "c.seq_fetch(numbers, items)",
        "FETCH by message sequence number instead of UID.",
    ),
    m(
        "seq_get_flags",
        "c.seq_get_flags(numbers)",
        "Flags by sequence number.",
    ),
    m(
        "seq_add_flags",
        "c.seq_add_flags(numbers, flags)",
        "+FLAGS by sequence number.",
    ),
    m(
        "seq_remove_flags",
        "c.seq_remove_flags(numbers, flags)",
        "-FLAGS by sequence number.",
    ),
    m(
        "seq_set_flags",
        "c.seq_set_flags(numbers, flags)",
        "FLAGS (replace) by sequence number.",
    ),
    m(
        "seq_copy",
        "c.seq_copy(numbers, folder)",
        "COPY by sequence number.",
    ),
    m(
        "seq_move_messages",
        "c.seq_move_messages(numbers, folder)",
        "MOVE by sequence number.",
    ),
    m(
        "uid_expunge",
        "c.uid_expunge(ids)",
        "UID EXPUNGE (UIDPLUS): expunge only these \\\\Deleted messages.",
    ),
    m(
        "get_gmail_labels",
        "c.get_gmail_labels(ids)",
        "X-GM-LABELS of these UIDs (Gmail).",
    ),
    m(
        "add_gmail_labels",
        "c.add_gmail_labels(ids, labels)",
        "Add Gmail labels.",
    ),
    m(
        "remove_gmail_labels",
        "c.remove_gmail_labels(ids, labels)",
        "Remove Gmail labels.",
    ),
    m(
        "set_gmail_labels",
        "c.set_gmail_labels(ids, labels)",
        "Replace Gmail labels.",
    ),
    m(
        "seq_search",
        "c.seq_search(criteria)",
        "SEARCH returning sequence numbers.",
    ),
    m(
        "gmail_search",
        "c.gmail_search(\"has:attachment\")",
        "X-GM-RAW: Gmail's own search syntax; returns UIDs.",
    ),
    m(
        "sort",
        "c.sort([\"REVERSE DATE\"], criteria)",
        "SORT (RFC 5256): UIDs in the order of the keys (ARRIVAL CC DATE FROM SIZE SUBJECT TO DISPLAYFROM DISPLAYTO, each may be REVERSE).",
    ),
    m(
        "seq_sort",
        "c.seq_sort(keys, criteria)",
        "SORT returning sequence numbers.",
    ),
    m(
        "enable",
        "c.enable([\"QRESYNC\"])",
        "ENABLE (RFC 5161); returns what the server enabled.",
    ),
    m(
        "refresh_capabilities",
        "c.refresh_capabilities()",
        "Ask CAPABILITY again.",
    ),
    m(
        "compress",
        "c.compress()",
        "COMPRESS=DEFLATE (RFC 4978) from now on.",
    ),
    m(
        "notify_none",
        "c.notify_none()",
        "NOTIFY NONE (RFC 5465): stop notifications.",
    ),
    m(
        "reconnect",
        "c.reconnect()",
        "Connect and log in again with the same options; the selected folder is selected again (returned).",
    ),
    m(
        "get_quota",
        "c.get_quota(root)",
        "GETQUOTA (RFC 9208): usage and limits of a quota root.",
    ),
    m(
        "get_quota_root",
        "c.get_quota_root(folder)",
        "GETQUOTAROOT: a folder's quota roots and their quotas.",
    ),
    m(
        "myrights",
        "c.myrights(folder)",
        "MYRIGHTS (RFC 4314): your rights on a folder.",
    ),
    m(
        "getacl",
        "c.getacl(folder)",
        "GETACL: {identifier: rights}.",
    ),
    m("setacl", "c.setacl(folder, identifier, rights)", "SETACL."),
    m("deleteacl", "c.deleteacl(folder, identifier)", "DELETEACL."),
    m(
        "listrights",
        "c.listrights(folder, identifier)",
        "LISTRIGHTS: the rights required and those that may be granted.",
    ),
    m(
        "select_folder_with",
        "c.select_folder_with(name, #{readonly: true, condstore: true})",
        "SELECT (or EXAMINE with readonly) with options.",
    ),
    m(
        "fetch_map",
        "c.fetch_map(ids, items)",
        "FETCH keyed by UID, several lines for one message merged.",
    ),
    m(
        "seq_fetch_map",
        "c.seq_fetch_map(numbers, items)",
        "fetch_map by sequence number.",
    ),
    m(
        "fetch_changed_since",
        "c.fetch_changed_since(ids, items, modseq)",
        "FETCH (CHANGEDSINCE modseq) (RFC 7162): only messages changed since.",
    ),
    m(
        "seq_fetch_changed_since",
        "c.seq_fetch_changed_since(numbers, items, modseq)",
        "fetch_changed_since by sequence number.",
    ),
    m(
        "fetch_vanished",
        "c.fetch_vanished(ids, items, modseq)",
        "UID FETCH (CHANGEDSINCE modseq VANISHED) (QRESYNC): changes and expunged UIDs.",
    ),
    m(
        "fetch_stream",
        "c.fetch_stream(ids, items)",
        "FETCH printing each message as it arrives (memory stays flat); returns the count.",
    ),
    m(
        "seq_fetch_stream",
        "c.seq_fetch_stream(numbers, items)",
        "fetch_stream by sequence number.",
    ),
    m(
        "fetch_batched",
        "c.fetch_batched(ids, items)",
        "A large UID set in pipelined batches, each message printed as it arrives; returns the count.",
    ),
    m(
        "fetch_search_batched",
        "c.fetch_search_batched(criteria, items)",
        "SEARCH, then fetch the result in pipelined batches, printing each message; returns the count.",
    ),
    m(
        "fetch_body_to",
        "c.fetch_body_to(uid, section, path)",
        "Stream a body section (\"\" for the whole message) into a file; returns the bytes written.",
    ),
    m(
        "fetch_bodies",
        "c.fetch_bodies(ids, section, directory)",
        "Download the section (\"\" for the whole message) of every message of a UID set, in pipelined batches, each into its own file DIRECTORY/UID.eml; returns the bytes written.",
    ),
    m(
        "fetch_body_chunks_to",
        "c.fetch_body_chunks_to(uid, section, offset, chunk_size, path)",
        "Resumable download from offset in chunks, appended to a file; returns the bytes written.",
    ),
    m(
        "idle_check",
        "c.idle_check(seconds)",
        "IDLE for at most this long, return the changes seen (IMAPClient's idle_check).",
    ),
    m(
        "multiappend",
        "c.multiappend(folder, [msg1, msg2])",
        "APPEND several messages in one command (MULTIAPPEND).",
    ),
    m(
        "search_full",
        "c.search_full(criteria)",
        "SEARCH with the MODSEQ of the result (CONDSTORE).",
    ),
    m(
        "seq_search_full",
        "c.seq_search_full(criteria)",
        "search_full by sequence number.",
    ),
    m(
        "esearch",
        "c.esearch(criteria, [\"MIN\", \"MAX\", \"COUNT\", \"ALL\"])",
        "ESEARCH (RFC 4731): only what is asked for.",
    ),
    m(
        "seq_esearch",
        "c.seq_esearch(criteria, returns)",
        "esearch by sequence number.",
    ),
    m(
        "threads",
        "c.threads(\"REFERENCES\", criteria)",
        "THREAD (RFC 5256): trees of UIDs (the library's thread: `thread` is a reserved word in the script language).",
    ),
    m(
        "seq_thread",
        "c.seq_thread(algorithm, criteria)",
        "thread by sequence number.",
    ),
    m(
        "get_metadata",
        "c.get_metadata(folder, [\"/private/comment\"])",
        "GETMETADATA (RFC 5464): {entry: value}.",
    ),
    m(
        "set_metadata",
        "c.set_metadata(folder, #{\"/private/comment\": \"text\"})",
        "SETMETADATA; a () value removes the entry.",
    ),
    m(
        "set_quota",
        "c.set_quota(root, #{STORAGE: 1024})",
        "SETQUOTA (RFC 9208).",
    ),
    m(
        "notify_set",
        "c.notify_set(\"personal\", [\"MessageNew\", \"MailboxName\"])",
        "NOTIFY SET (RFC 5465) with one filter and its events; c.idle() then shows what comes.",
    ),
    m(
        "sync_changes",
        "c.sync_changes(folder, state)",
        "What changed since an earlier sync's state (QRESYNC or CONDSTORE): new, changed, vanished, and the state to keep.",
    ),
];

/// Help for the third set.
pub const METHODS_3: &[crate::common::MethodHelp] = &[
    m(
        "add_gmail_labels_silent",
        "c.add_gmail_labels_silent(ids, labels)",
        "Add Gmail labels without the answer.",
    ),
    m(
        "remove_gmail_labels_silent",
        "c.remove_gmail_labels_silent(ids, labels)",
        "Remove Gmail labels without the answer.",
    ),
    m(
        "set_gmail_labels_silent",
        "c.set_gmail_labels_silent(ids, labels)",
        "Replace Gmail labels without the answer.",
    ),
    m(
        "seq_add_gmail_labels_silent",
        "c.seq_add_gmail_labels_silent(numbers, labels)",
        "By sequence number.",
    ),
    m(
        "seq_remove_gmail_labels_silent",
        "c.seq_remove_gmail_labels_silent(numbers, labels)",
        "By sequence number.",
    ),
    m(
        "seq_set_gmail_labels_silent",
        "c.seq_set_gmail_labels_silent(numbers, labels)",
        "By sequence number.",
    ),
    m(
        "seq_add_gmail_labels",
        "c.seq_add_gmail_labels(numbers, labels)",
        "By sequence number.",
    ),
    m(
        "seq_remove_gmail_labels",
        "c.seq_remove_gmail_labels(numbers, labels)",
        "By sequence number.",
    ),
    m(
        "seq_set_gmail_labels",
        "c.seq_set_gmail_labels(numbers, labels)",
        "By sequence number.",
    ),
    m(
        "seq_get_gmail_labels",
        "c.seq_get_gmail_labels(numbers)",
        "By sequence number.",
    ),
    m(
        "seq_add_flags_silent",
        "c.seq_add_flags_silent(numbers, flags)",
        "By sequence number.",
    ),
    m(
        "seq_remove_flags_silent",
        "c.seq_remove_flags_silent(numbers, flags)",
        "By sequence number.",
    ),
    m(
        "seq_set_flags_silent",
        "c.seq_set_flags_silent(numbers, flags)",
        "By sequence number.",
    ),
    m(
        "seq_delete_messages",
        "c.seq_delete_messages(numbers)",
        "Mark \\Deleted by sequence number (expunge() removes them).",
    ),
];

/// Library methods that `c` has under another name: (library, shell, why).
pub const RENAMED: &[(&str, &str, &str)] = &[
    (
        "thread",
        "threads",
        "`thread` is a reserved word in the script language",
    ),
    (
        "sync",
        "sync_changes",
        "`sync` is a reserved word in the script language",
    ),
];

/// The library's public `Session` methods that `c` does not have, and why. The test
/// `every_session_method_is_in_the_shell_or_here` reads the library's sources.
pub const NOT_IN_SHELL: &[(&str, &str)] = &[
    (
        "append_reader",
        "streaming a message from an AsyncRead is for programs uploading large messages; \
         c.append(folder, message) covers the prompt",
    ),
    (
        "connect",
        "the shell connects at start, from its flags or -f; c is that session",
    ),
    (
        "idle_with",
        "c.idle() is IDLE at the prompt; IDLE options are for programs that idle for hours",
    ),
    (
        "into_idle",
        "an IDLE stream that owns its session is for a program's own task; c.idle() covers the prompt",
    ),
    (
        "keep_alive_while",
        "the shell keeps its own session alive at the prompt (--keepalive)",
    ),
];

const fn m(
    name: &'static str,
    usage: &'static str,
    text: &'static str,
) -> crate::common::MethodHelp {
    crate::common::MethodHelp { name, usage, text }
}

fn map_get<'a>(m: &'a Map, key: &str) -> Option<&'a Dynamic> {
    m.get(key)
}

fn int_of(d: &Dynamic, what: &str) -> Res<i64> {
    d.as_int()
        .map_err(|t| err(format!("{what}: expected an integer, found {t}")))
}

fn thread_value(t: &imap_async::proto::ThreadNode) -> Dynamic {
    let mut m = Map::new();
    m.insert(
        "members".into(),
        pretty::int_array(t.members.iter().copied()),
    );
    m.insert(
        "children".into(),
        Dynamic::from_array(t.children.iter().map(thread_value).collect()),
    );
    Dynamic::from_map(m)
}

fn thread_algorithm(name: &str) -> imap_async::session::ThreadAlgorithm {
    use imap_async::session::ThreadAlgorithm as T;
    match name.to_ascii_uppercase().as_str() {
        "ORDEREDSUBJECT" => T::OrderedSubject,
        "REFERENCES" => T::References,
        "REFS" => T::Refs,
        other => T::Other(other.to_owned()),
    }
}

fn search_returns(v: &Dynamic) -> Res<Vec<imap_async::session::SearchReturn>> {
    use imap_async::session::SearchReturn as R;
    strings(v, "ESEARCH returns")?
        .iter()
        .map(|r| {
            Ok(match r.to_ascii_uppercase().as_str() {
                "MIN" => R::Min,
                "MAX" => R::Max,
                "COUNT" => R::Count,
                "ALL" => R::All,
                other => {
                    return Err(err(format!(
                        "ESEARCH return {other:?}: one of MIN, MAX, COUNT, ALL"
                    )));
                }
            })
        })
        .collect()
}

fn esearch_value<K: imap_async::proto::sequence::Id>(
    r: &imap_async::session::ESearchResult<K>,
    get: impl Fn(K) -> u32,
) -> Dynamic {
    let mut m = Map::new();
    let opt = |v: Option<u32>| {
        v.map(|n| Dynamic::from_int(n.into()))
            .unwrap_or(Dynamic::UNIT)
    };
    m.insert("MIN".into(), opt(r.min.map(&get)));
    m.insert("MAX".into(), opt(r.max.map(&get)));
    m.insert("COUNT".into(), opt(r.count));
    m.insert(
        "ALL".into(),
        r.all
            .as_ref()
            .map(|s| Dynamic::from(s.to_string()))
            .unwrap_or(Dynamic::UNIT),
    );
    m.insert(
        "MODSEQ".into(),
        r.modseq
            .map(|n| Dynamic::from_int(n as i64))
            .unwrap_or(Dynamic::UNIT),
    );
    Dynamic::from_map(m)
}

/// A streamed fetch: each message printed as it arrives; the count is returned.
async fn print_stream(mut stream: imap_async::FetchStream<'_>) -> imap_async::Result<i64> {
    use futures::StreamExt;
    let mut n = 0i64;
    while let Some(msg) = stream.next().await {
        let msg = msg?;
        n += 1;
        println!("{}", pretty::pretty(&pretty::fetched(&msg)));
    }
    Ok(n)
}

fn sync_state(d: &Dynamic) -> Res<imap_async::SyncState> {
    let m = d
        .read_lock::<Map>()
        .ok_or_else(|| err("sync state: expected the \"state\" map of an earlier sync"))?;
    let get = |k: &str| map_get(&m, k).ok_or_else(|| err(format!("sync state: no {k:?} in it")));
    let known = get("known_uids")?;
    Ok(imap_async::SyncState {
        uid_validity: u32::try_from(int_of(get("uid_validity")?, "uid_validity")?)
            .map_err(|_| err("sync state: uid_validity out of range"))?,
        highest_modseq: u64::try_from(int_of(get("highest_modseq")?, "highest_modseq")?)
            .map_err(|_| err("sync state: highest_modseq out of range"))?,
        known_uids: if known.is_unit() {
            imap_async::UidSet::new()
        } else {
            uids(known)?
        },
    })
}

fn sync_state_value(s: &imap_async::SyncState) -> Dynamic {
    let mut m = Map::new();
    m.insert(
        "uid_validity".into(),
        Dynamic::from_int(s.uid_validity.into()),
    );
    m.insert(
        "highest_modseq".into(),
        Dynamic::from_int(s.highest_modseq as i64),
    );
    m.insert("known_uids".into(), Dynamic::from(s.known_uids.to_string()));
    Dynamic::from_map(m)
}

/// A flag or label call bound twice, by UID and by sequence number: same arguments,
/// same result shape (`map`: each message's flags or labels now; `unit`: nothing).
macro_rules! labelled {
    ($e:ident, $uid_name:literal, $seq_name:literal, $method:ident, $what:literal, map) => {
        $e.register_fn($uid_name, |c: &mut Client, ids: Dynamic, l: Dynamic| {
            let (set, l) = (uids(&ids)?, strings(&l, $what)?);
            c.run(async |s| s.$method(&set, &refs(&l)).await)
                .map(by_uid)
        });
        $e.register_fn($seq_name, |c: &mut Client, ids: Dynamic, l: Dynamic| {
            let (set, l) = (seqs(&ids)?, strings(&l, $what)?);
            c.run(async |s| s.$method(&set, &refs(&l)).await)
                .map(by_seq)
        });
    };
    ($e:ident, $uid_name:literal, $seq_name:literal, $method:ident, $what:literal, unit) => {
        $e.register_fn($uid_name, |c: &mut Client, ids: Dynamic, l: Dynamic| {
            let (set, l) = (uids(&ids)?, strings(&l, $what)?);
            c.run(async |s| s.$method(&set, &refs(&l)).await)
        });
        $e.register_fn($seq_name, |c: &mut Client, ids: Dynamic, l: Dynamic| {
            let (set, l) = (seqs(&ids)?, strings(&l, $what)?);
            c.run(async |s| s.$method(&set, &refs(&l)).await)
        });
    };
}

pub fn register_third(e: &mut Engine) {
    // Flags and Gmail labels, by UID and by sequence number (add_flags and
    // seq_add_flags are with the first set).
    labelled!(
        e,
        "remove_flags",
        "seq_remove_flags",
        remove_flags,
        "flags",
        map
    );
    labelled!(e, "set_flags", "seq_set_flags", set_flags, "flags", map);
    labelled!(
        e,
        "add_flags_silent",
        "seq_add_flags_silent",
        add_flags_silent,
        "flags",
        unit
    );
    labelled!(
        e,
        "remove_flags_silent",
        "seq_remove_flags_silent",
        remove_flags_silent,
        "flags",
        unit
    );
    labelled!(
        e,
        "set_flags_silent",
        "seq_set_flags_silent",
        set_flags_silent,
        "flags",
        unit
    );
    labelled!(
        e,
        "add_gmail_labels",
        "seq_add_gmail_labels",
        add_gmail_labels,
        "labels",
        map
    );
    labelled!(
        e,
        "remove_gmail_labels",
        "seq_remove_gmail_labels",
        remove_gmail_labels,
        "labels",
        map
    );
    labelled!(
        e,
        "set_gmail_labels",
        "seq_set_gmail_labels",
        set_gmail_labels,
        "labels",
        map
    );
    labelled!(
        e,
        "add_gmail_labels_silent",
        "seq_add_gmail_labels_silent",
        add_gmail_labels_silent,
        "labels",
        unit
    );
    labelled!(
        e,
        "remove_gmail_labels_silent",
        "seq_remove_gmail_labels_silent",
        remove_gmail_labels_silent,
        "labels",
        unit
    );
    labelled!(
        e,
        "set_gmail_labels_silent",
        "seq_set_gmail_labels_silent",
        set_gmail_labels_silent,
        "labels",
        unit
    );
    e.register_fn("seq_get_gmail_labels", |c: &mut Client, ids: Dynamic| {
        let set = seqs(&ids)?;
        c.run(async |s| s.get_gmail_labels(&set).await).map(by_seq)
    });
    e.register_fn("seq_delete_messages", |c: &mut Client, ids: Dynamic| {
        let set = seqs(&ids)?;
        c.run(async |s| s.delete_messages(&set, false).await)
            .map(by_seq)
    });
}

pub fn register_second(e: &mut Engine) {
    e.register_fn(
        "select_folder_with",
        |c: &mut Client, name: &str, o: Map| {
            let flag = |k: &str| o.get(k).and_then(|v| v.as_bool().ok()).unwrap_or(false);
            let opts = imap_async::SelectOptions::default()
                .readonly(flag("readonly"))
                .condstore(flag("condstore"));
            c.run(async |s| s.select_folder_with(name, opts).await)
                .map(|i| pretty::select_info(&i))
        },
    );
    e.register_fn(
        "fetch_map",
        |c: &mut Client, ids: Dynamic, items: Dynamic| {
            let (set, items) = (uids(&ids)?, fetch_items(&items)?);
            c.run(async |s| s.fetch_map(&set, items).await)
                .map(|m| pretty::fetch_result(&m.into_values().collect::<Vec<_>>()))
        },
    );
    e.register_fn(
        "seq_fetch_map",
        |c: &mut Client, ids: Dynamic, items: Dynamic| {
            let (set, items) = (seqs(&ids)?, fetch_items(&items)?);
            c.run(async |s| s.fetch_map(&set, items).await).map(|m| {
                let mut out = Map::new();
                for (k, v) in m {
                    out.insert(k.get().to_string().into(), pretty::fetched(&v));
                }
                Dynamic::from_map(out)
            })
        },
    );
    e.register_fn(
        "fetch_changed_since",
        |c: &mut Client, ids: Dynamic, items: Dynamic, modseq: i64| {
            let (set, items) = (uids(&ids)?, fetch_items(&items)?);
            c.run(async |s| s.fetch_changed_since(&set, items, modseq as u64).await)
                .map(|v| pretty::fetch_result(&v))
        },
    );
    e.register_fn(
        "seq_fetch_changed_since",
        |c: &mut Client, ids: Dynamic, items: Dynamic, modseq: i64| {
            let (set, items) = (seqs(&ids)?, fetch_items(&items)?);
            c.run(async |s| s.fetch_changed_since(&set, items, modseq as u64).await)
                .map(|v| pretty::fetch_result(&v))
        },
    );
    e.register_fn(
        "fetch_vanished",
        |c: &mut Client, ids: Dynamic, items: Dynamic, modseq: i64| {
            let (set, items) = (uids(&ids)?, fetch_items(&items)?);
            c.run(async |s| s.fetch_vanished(&set, items, modseq as u64).await)
                .map(|r| {
                    let mut m = Map::new();
                    m.insert("messages".into(), pretty::fetch_result(&r.messages));
                    m.insert("vanished".into(), uid_list(&r.vanished));
                    Dynamic::from_map(m)
                })
        },
    );
    e.register_fn(
        "fetch_stream",
        |c: &mut Client, ids: Dynamic, items: Dynamic| {
            let (set, items) = (uids(&ids)?, fetch_items(&items)?);
            c.run(async |s| print_stream(s.fetch_stream(&set, items)?).await)
        },
    );
    e.register_fn(
        "seq_fetch_stream",
        |c: &mut Client, ids: Dynamic, items: Dynamic| {
            let (set, items) = (seqs(&ids)?, fetch_items(&items)?);
            c.run(async |s| print_stream(s.fetch_stream(&set, items)?).await)
        },
    );
    e.register_fn(
        "fetch_batched",
        |c: &mut Client, ids: Dynamic, items: Dynamic| {
            let (set, items) = (uids(&ids)?, fetch_items(&items)?);
            c.run(async |s| print_stream(s.fetch_batched(&set, items, Default::default())?).await)
        },
    );
    e.register_fn(
        "fetch_search_batched",
        |c: &mut Client, criteria: Dynamic, items: Dynamic| {
            let q = strings(&criteria, "search criteria")?.join(" ");
            let items = fetch_items(&items)?;
            c.run(async |s| {
                let stream = s
                    .fetch_search_batched(q.as_str(), items, Default::default())
                    .await?;
                print_stream(stream).await
            })
        },
    );
    e.register_fn(
        "fetch_body_to",
        |c: &mut Client, uid: i64, section: &str, path: &str| {
            let uid = crate::common::one_uid(uid)?;
            c.run(async |s| {
                let mut file = tokio::fs::File::create(path)
                    .await
                    .map_err(|e| imap_async::Error::other(format!("{path}: {e}")))?;
                s.fetch_body_to(uid, section, &mut file).await
            })
            .map(|n| n as i64)
        },
    );
    e.register_fn(
        "fetch_bodies",
        |c: &mut Client, ids: Dynamic, section: &str, dir: &str| {
            let set = uids(&ids)?;
            c.run(async |s| {
                let mut bodies = s.fetch_bodies(&set, section, Default::default())?;
                let mut total = 0u64;
                while let Some(mut body) = bodies.next().await? {
                    let name = body.uid().map_or(0, |u| u.get());
                    let path = std::path::Path::new(dir).join(format!("{name}.eml"));
                    let mut file = tokio::fs::File::create(&path).await.map_err(|e| {
                        imap_async::Error::other(format!("{}: {e}", path.display()))
                    })?;
                    total += body.write_to(&mut file).await?;
                }
                Ok(total)
            })
            .map(|n| n as i64)
        },
    );
    e.register_fn(
        "fetch_body_chunks_to",
        |c: &mut Client, uid: i64, section: &str, offset: i64, chunk: i64, path: &str| {
            let uid = crate::common::one_uid(uid)?;
            let chunk = u32::try_from(chunk).map_err(|_| err("chunk size out of range"))?;
            c.run(async |s| {
                let mut file = tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .await
                    .map_err(|e| imap_async::Error::other(format!("{path}: {e}")))?;
                s.fetch_body_chunks_to(uid, section, offset as u64, chunk, &mut file)
                    .await
            })
            .map(|n| n as i64)
        },
    );
    e.register_fn("idle_check", |c: &mut Client, seconds: i64| {
        let t = std::time::Duration::from_secs(seconds.max(0) as u64);
        c.run(async |s| s.idle_check(t).await).map(|v| {
            Dynamic::from_array(
                v.iter()
                    .map(|ev| crate::common::event_text(ev).into())
                    .collect(),
            )
        })
    });
    e.register_fn(
        "multiappend",
        |c: &mut Client, folder: &str, msgs: Array| {
            let msgs = msgs
                .iter()
                .map(|m| {
                    m.read_lock::<ImmutableString>()
                        .map(|s| {
                            imap_async::session::AppendMessage::new(
                                s.replace("\r\n", "\n").replace('\n', "\r\n").into_bytes(),
                            )
                        })
                        .ok_or_else(|| err("multiappend: expected an array of message strings"))
                })
                .collect::<Res<Vec<_>>>()?;
            c.run(async |s| s.multiappend(folder, &msgs).await)
                .map(crate::common::append_uid)
        },
    );
    e.register_fn("search_full", |c: &mut Client, criteria: Dynamic| {
        let q = strings(&criteria, "search criteria")?.join(" ");
        c.run(async |s| s.search_full::<Uid>(q.as_str()).await)
            .map(|r| {
                let mut m = Map::new();
                m.insert("ids".into(), uid_list(&r.ids));
                m.insert(
                    "modseq".into(),
                    r.modseq
                        .map(|n| Dynamic::from_int(n as i64))
                        .unwrap_or(Dynamic::UNIT),
                );
                Dynamic::from_map(m)
            })
    });
    e.register_fn("seq_search_full", |c: &mut Client, criteria: Dynamic| {
        let q = strings(&criteria, "search criteria")?.join(" ");
        c.run(async |s| s.search_full::<Seq>(q.as_str()).await)
            .map(|r| {
                let mut m = Map::new();
                m.insert("ids".into(), seq_list(&r.ids));
                m.insert(
                    "modseq".into(),
                    r.modseq
                        .map(|n| Dynamic::from_int(n as i64))
                        .unwrap_or(Dynamic::UNIT),
                );
                Dynamic::from_map(m)
            })
    });
    e.register_fn(
        "esearch",
        |c: &mut Client, criteria: Dynamic, returns: Dynamic| {
            let q = strings(&criteria, "search criteria")?.join(" ");
            let r = search_returns(&returns)?;
            c.run(async |s| s.esearch(q.as_str(), &r).await)
                .map(|x| esearch_value(&x, |u: Uid| u.get()))
        },
    );
    e.register_fn(
        "seq_esearch",
        |c: &mut Client, criteria: Dynamic, returns: Dynamic| {
            let q = strings(&criteria, "search criteria")?.join(" ");
            let r = search_returns(&returns)?;
            c.run(async |s| s.seq_esearch(q.as_str(), &r).await)
                .map(|x| esearch_value(&x, |u: Seq| u.get()))
        },
    );
    e.register_fn(
        "threads",
        |c: &mut Client, algorithm: &str, criteria: Dynamic| {
            let q = strings(&criteria, "search criteria")?.join(" ");
            let a = thread_algorithm(algorithm);
            c.run(async |s| s.thread(a, q.as_str()).await)
                .map(|v| Dynamic::from_array(v.iter().map(thread_value).collect()))
        },
    );
    e.register_fn(
        "seq_thread",
        |c: &mut Client, algorithm: &str, criteria: Dynamic| {
            let q = strings(&criteria, "search criteria")?.join(" ");
            let a = thread_algorithm(algorithm);
            c.run(async |s| s.seq_thread(a, q.as_str()).await)
                .map(|v| Dynamic::from_array(v.iter().map(thread_value).collect()))
        },
    );
    e.register_fn(
        "get_metadata",
        |c: &mut Client, folder: &str, entries: Dynamic| {
            let entries = strings(&entries, "metadata entries")?;
            c.run(async |s| {
                s.get_metadata(folder, &refs(&entries), Default::default())
                    .await
            })
            .map(|md| {
                let mut m = Map::new();
                for e in md.entries {
                    m.insert(
                        e.name.into(),
                        e.value
                            .map(|v| Dynamic::from(String::from_utf8_lossy(&v).into_owned()))
                            .unwrap_or(Dynamic::UNIT),
                    );
                }
                Dynamic::from_map(m)
            })
        },
    );
    e.register_fn(
        "set_metadata",
        |c: &mut Client, folder: &str, values: Map| {
            let owned: Vec<(String, Option<String>)> = values
                .iter()
                .map(|(k, v)| {
                    let v = if v.is_unit() {
                        None
                    } else {
                        Some(v.to_string())
                    };
                    (k.to_string(), v)
                })
                .collect();
            let entries: Vec<(&str, Option<&[u8]>)> = owned
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_deref().map(str::as_bytes)))
                .collect();
            c.run(async |s| s.set_metadata(folder, &entries).await)
        },
    );
    e.register_fn("set_quota", |c: &mut Client, root: &str, limits: Map| {
        let owned = limits
            .iter()
            .map(|(k, v)| Ok((k.to_string(), int_of(v, "quota limit")? as u64)))
            .collect::<Res<Vec<_>>>()?;
        let limits: Vec<(&str, u64)> = owned.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        c.run(async |s| s.set_quota(root, &limits).await)
            .map(|v| quotas(&v))
    });
    e.register_fn(
        "notify_set",
        |c: &mut Client, filter: &str, events: Dynamic| {
            use imap_async::NotifyGroup as G;
            let group = match filter.to_ascii_lowercase().as_str() {
                "selected" => G::selected(),
                "selected-delayed" => G::selected_delayed(),
                "inboxes" => G::inboxes(),
                "personal" => G::personal(),
                "subscribed" => G::subscribed(),
                other => {
                    return Err(err(format!(
                        "notify_set filter {other:?}: one of selected, selected-delayed, inboxes, \
                     personal, subscribed"
                    )));
                }
            };
            let mut group = group;
            for ev in strings(&events, "NOTIFY events")? {
                group = match ev.to_ascii_lowercase().as_str() {
                    "messagenew" => group.message_new(),
                    "messageexpunge" => group.message_expunge(),
                    "flagchange" => group.flag_change(),
                    "annotationchange" => group.annotation_change(),
                    "mailboxname" => group.mailbox_name(),
                    "subscriptionchange" => group.subscription_change(),
                    "mailboxmetadatachange" => group.mailbox_metadata_change(),
                    "servermetadatachange" => group.server_metadata_change(),
                    other => {
                        return Err(err(format!(
                            "NOTIFY event {other:?} is not one of RFC 5465's"
                        )));
                    }
                };
            }
            let set = imap_async::NotifySet::new().group(group);
            c.run(async |s| s.notify_set(&set).await)
                .map(|v| Dynamic::from_array(v.iter().map(pretty::folder_status).collect()))
        },
    );
    e.register_fn(
        "sync_changes",
        |c: &mut Client, folder: &str, state: Dynamic| {
            let state = sync_state(&state)?;
            c.run(async |s| s.sync(folder, &state).await)
                .map(|r| match r {
                    imap_async::SyncResult::Changes(ch) => {
                        let mut m = Map::new();
                        m.insert("new".into(), uid_list(&ch.new));
                        m.insert(
                            "changed".into(),
                            Dynamic::from_array(
                                ch.changed
                                    .iter()
                                    .map(|f| {
                                        let mut x = Map::new();
                                        x.insert(
                                            "uid".into(),
                                            Dynamic::from_int(f.uid.get().into()),
                                        );
                                        x.insert("flags".into(), Tuple::dynamic(f.flags.iter()));
                                        x.insert(
                                            "modseq".into(),
                                            Dynamic::from_int(f.modseq as i64),
                                        );
                                        Dynamic::from_map(x)
                                    })
                                    .collect(),
                            ),
                        );
                        m.insert("vanished".into(), uid_list(&ch.vanished));
                        m.insert("state".into(), sync_state_value(&ch.state));
                        Dynamic::from_map(m)
                    }
                    imap_async::SyncResult::UidValidityChanged {
                        uid_validity,
                        highest_modseq,
                    } => {
                        let mut m = Map::new();
                        m.insert(
                            "uid_validity_changed".into(),
                            Dynamic::from_int(uid_validity.into()),
                        );
                        m.insert(
                            "highest_modseq".into(),
                            Dynamic::from_int(highest_modseq as i64),
                        );
                        Dynamic::from_map(m)
                    }
                    // A kind of answer added by a later version: shown as it is.
                    other => Dynamic::from(format!("{other:?}")),
                })
        },
    );
}
