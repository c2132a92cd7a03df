//! Bindings of `c` beyond the first set: sequence-number forms, the remaining folder,
//! flag, label, search, server and administration calls. Each converts its arguments
//! from script values and its result to script values the printer knows.

use imap_async::session::{SortCriterion, SortKey, SpecialUse, StatusItems};
use imap_async::{Seq, SeqSet, Uid};
use rhai::{Array, Dynamic, Engine, ImmutableString, Map};

use crate::pretty::{self, Tuple};
use crate::shell::{Client, Res, err, strings, uid_list, uids};

/// Message sequence numbers: an array of integers, one integer, or a set like `"1:*"`.
fn seqs(ids: &Dynamic) -> Res<SeqSet> {
    if let Some(s) = ids.read_lock::<ImmutableString>() {
        return s
            .parse::<SeqSet>()
            .map_err(|e| err(format!("message set {s:?}: {e}")));
    }
    let one = |n: i64| {
        u32::try_from(n)
            .ok()
            .and_then(Seq::new)
            .ok_or_else(|| err(format!("message number {n}: not valid (1..4294967295)")))
    };
    if let Ok(n) = ids.as_int() {
        return one(n).map(SeqSet::from);
    }
    if let Some(a) = ids.read_lock::<Array>() {
        let mut set = SeqSet::new();
        for v in a.iter() {
            let n = v
                .as_int()
                .map_err(|t| err(format!("message numbers: expected integers, found {t}")))?;
            set.insert(one(n)?);
        }
        return Ok(set);
    }
    Err(err(format!(
        "message numbers: expected an array of integers or a set like \"1:*\", found {}",
        ids.type_name()
    )))
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

fn by_seq(m: std::collections::BTreeMap<Seq, Vec<String>>) -> Dynamic {
    let mut out = Map::new();
    for (k, v) in m {
        out.insert(k.get().to_string().into(), Dynamic::from(Tuple(v)));
    }
    Dynamic::from_map(out)
}

fn by_uid(m: std::collections::BTreeMap<Uid, Vec<String>>) -> Dynamic {
    let mut out = Map::new();
    for (k, v) in m {
        out.insert(k.get().to_string().into(), Dynamic::from(Tuple(v)));
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

    // Flags by UID beyond add_flags, and every flag call by sequence number.
    e.register_fn(
        "remove_flags",
        |c: &mut Client, ids: Dynamic, f: Dynamic| {
            let (set, f) = (uids(&ids)?, strings(&f, "flags")?);
            c.run(async |s| s.remove_flags(&set, &refs(&f)).await)
                .map(by_uid)
        },
    );
    e.register_fn("set_flags", |c: &mut Client, ids: Dynamic, f: Dynamic| {
        let (set, f) = (uids(&ids)?, strings(&f, "flags")?);
        c.run(async |s| s.set_flags(&set, &refs(&f)).await)
            .map(by_uid)
    });
    e.register_fn(
        "add_flags_silent",
        |c: &mut Client, ids: Dynamic, f: Dynamic| {
            let (set, f) = (uids(&ids)?, strings(&f, "flags")?);
            c.run(async |s| s.add_flags_silent(&set, &refs(&f)).await)
        },
    );
    e.register_fn(
        "remove_flags_silent",
        |c: &mut Client, ids: Dynamic, f: Dynamic| {
            let (set, f) = (uids(&ids)?, strings(&f, "flags")?);
            c.run(async |s| s.remove_flags_silent(&set, &refs(&f)).await)
        },
    );
    e.register_fn(
        "set_flags_silent",
        |c: &mut Client, ids: Dynamic, f: Dynamic| {
            let (set, f) = (uids(&ids)?, strings(&f, "flags")?);
            c.run(async |s| s.set_flags_silent(&set, &refs(&f)).await)
        },
    );
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
    e.register_fn(
        "seq_remove_flags",
        |c: &mut Client, ids: Dynamic, f: Dynamic| {
            let (set, f) = (seqs(&ids)?, strings(&f, "flags")?);
            c.run(async |s| s.remove_flags(&set, &refs(&f)).await)
                .map(by_seq)
        },
    );
    e.register_fn(
        "seq_set_flags",
        |c: &mut Client, ids: Dynamic, f: Dynamic| {
            let (set, f) = (seqs(&ids)?, strings(&f, "flags")?);
            c.run(async |s| s.set_flags(&set, &refs(&f)).await)
                .map(by_seq)
        },
    );
    e.register_fn("seq_copy", |c: &mut Client, ids: Dynamic, folder: &str| {
        let set = seqs(&ids)?;
        c.run(async |s| s.copy(&set, folder).await)
            .map(crate::shell::copy_uid)
    });
    e.register_fn(
        "seq_move_messages",
        |c: &mut Client, ids: Dynamic, folder: &str| {
            let set = seqs(&ids)?;
            c.run(async |s| s.move_messages(&set, folder).await)
                .map(crate::shell::copy_uid)
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
    e.register_fn(
        "add_gmail_labels",
        |c: &mut Client, ids: Dynamic, l: Dynamic| {
            let (set, l) = (uids(&ids)?, strings(&l, "labels")?);
            c.run(async |s| s.add_gmail_labels(&set, &refs(&l)).await)
                .map(by_uid)
        },
    );
    e.register_fn(
        "remove_gmail_labels",
        |c: &mut Client, ids: Dynamic, l: Dynamic| {
            let (set, l) = (uids(&ids)?, strings(&l, "labels")?);
            c.run(async |s| s.remove_gmail_labels(&set, &refs(&l)).await)
                .map(by_uid)
        },
    );
    e.register_fn(
        "set_gmail_labels",
        |c: &mut Client, ids: Dynamic, l: Dynamic| {
            let (set, l) = (uids(&ids)?, strings(&l, "labels")?);
            c.run(async |s| s.set_gmail_labels(&set, &refs(&l)).await)
                .map(by_uid)
        },
    );

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
        c.run(async |s| s.enable(&refs(&exts)).await)
            .map(|v| Dynamic::from(Tuple(v)))
    });
    e.register_fn("refresh_capabilities", |c: &mut Client| {
        c.run(async |s| {
            s.refresh_capabilities()
                .await
                .map(|caps| caps.iter().map(str::to_owned).collect::<Vec<_>>())
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
        c.run(async |s| s.myrights(folder).await)
    });
    e.register_fn("getacl", |c: &mut Client, folder: &str| {
        c.run(async |s| s.getacl(folder).await).map(|v| {
            let mut m = Map::new();
            for a in v {
                m.insert(a.identifier.into(), Dynamic::from(a.rights));
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
            m.insert("required".into(), Dynamic::from(r.required));
            m.insert("optional".into(), Dynamic::from(Tuple(r.optional)));
            Dynamic::from_map(m)
        })
    });
}

/// Help for the bindings above, in the table `help()` reads.
pub const METHODS: &[crate::shell::MethodHelp] = &[
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
];

const fn m(
    name: &'static str,
    usage: &'static str,
    text: &'static str,
) -> crate::shell::MethodHelp {
    crate::shell::MethodHelp { name, usage, text }
}
