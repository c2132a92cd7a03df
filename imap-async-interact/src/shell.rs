//! The script side: the `c` object, whose methods are the library's, and `help`.
//!
//! Threading design: the whole shell (line editor, script engine, every `c.method()` call)
//! runs on the main thread. Rhai functions are synchronous, so each method blocks on the
//! async library call with [`tokio::runtime::Runtime::block_on`]; the future runs on the
//! calling thread. The runtime is a multi-thread one with a single worker, whose only job
//! is a task listening for SIGINT: it sets [`Ctx::interrupted`], which every running call
//! watches (and the script engine checks between operations), so Ctrl-C abandons the
//! running command. The library drains an abandoned command before its next one, so the
//! session stays usable.
//!
//! Keep-alive: while the line editor waits for the user (a blocking call on the main
//! thread), the session is handed to a task on the runtime's worker, which keeps it alive
//! with [`Session::keep_alive_while`] until the line is read; then it is handed back
//! ([`Ctx::park`], [`Ctx::unpark`]). The session has one owner at any time, so no command
//! and no NOOP ever race. A connection that died meanwhile (BYE, kick, restart) is noticed
//! by that task; the next command prints one line saying so, reconnects with
//! [`Session::reconnect`] (the folder is selected again), and runs.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::StreamExt;
use imap_async::{IdleEvent, Uid};
use rhai::{Array, Dynamic, Engine, ImmutableString, Map};

use crate::client::{Client, Ctx, LogoutOutcome, interrupt};
use crate::common::{
    MethodHelp, Res, append_uid, copy_uid, err, event_text, strings, uid_list, uids,
};
use crate::pretty::{self, Tuple};

/// Each message's flags (or labels), as IMAPClient prints them: wire-form strings.
fn flag_map<T: std::fmt::Display>(m: std::collections::BTreeMap<Uid, Vec<T>>) -> Dynamic {
    let mut out = Map::new();
    for (k, v) in m {
        out.insert(k.get().to_string().into(), Tuple::dynamic(v.iter()));
    }
    Dynamic::from_map(out)
}

/// `c.watch_account(...)`: an account watcher on a connection of its own (the shell's
/// session stays as it is), its events printed until Ctrl-C or until it ends with an error.
fn watch_account(c: &mut Client, mode: imap_async::AccountMode) -> Res<i64> {
    let ctx = c.0.clone();
    let opts = {
        let guard = ctx.session.lock().unwrap_or_else(|p| p.into_inner());
        let session = guard
            .as_ref()
            .ok_or_else(|| err("not connected: the session has logged out"))?;
        session
            .connect_options()
            .cloned()
            .ok_or_else(|| err("watch_account: this session has no connection options to reuse"))?
    };
    let flag = &ctx.interrupted;
    let seen = ctx.rt.block_on(async {
        let mut w =
            imap_async::watch_account(opts, imap_async::AccountOptions::default().mode(mode));
        println!("Watching the account; Ctrl-C stops.");
        let mut seen = 0i64;
        let outcome = loop {
            tokio::select! {
                ev = w.next() => match ev {
                    Some(Ok(ev)) => {
                        seen += 1;
                        println!("{}", account_event_text(&ev));
                    }
                    Some(Err(e)) => break Err(e),
                    None => break Ok(()),
                },
                () = interrupt(flag) => break Ok(()),
            }
        };
        w.close().await;
        outcome.map(|()| seen)
    });
    ctx.clear_interrupt();
    seen.map_err(|e| err(e.to_string()))
}

/// One account event as a line: what happened, then where.
fn account_event_text(ev: &imap_async::AccountEvent) -> String {
    use imap_async::AccountEvent as E;
    match ev {
        E::Started { mode, folders } => format!("started: {mode:?}, {folders} folders"),
        E::New { folder, uids, .. } => format!("new in {folder:?}: UIDs {uids}"),
        E::Expunged { folder, uids } => format!("expunged from {folder:?}: UIDs {uids}"),
        E::FlagsChanged {
            folder, uid, flags, ..
        } => format!(
            "flags in {folder:?}: UID {} now {:?}",
            uid.get(),
            flags.iter().map(ToString::to_string).collect::<Vec<_>>()
        ),
        E::UidValidityChanged { folder, old, new } => {
            format!("UIDVALIDITY of {folder:?} changed from {old} to {new}: fetch it again")
        }
        E::FolderCreated { folder } => format!("folder created: {folder:?}"),
        E::FolderRenamed { from, to } => format!("folder renamed: {from:?} to {to:?}"),
        E::FolderDeleted { folder } => format!("folder deleted: {folder:?}"),
        E::SubscriptionChanged { folder, subscribed } => format!(
            "{} {folder:?}",
            if *subscribed {
                "subscribed"
            } else {
                "unsubscribed"
            }
        ),
        E::Overflow => "the server lost track of changes: comparing every folder".to_owned(),
        E::Alert(text) => format!("ALERT: {text}"),
        E::Disconnected(e) => format!("disconnected: {e}"),
        E::Retrying { attempt, after } => format!("retry {attempt} in {after:.1?}"),
        E::Reconnected { mode } => format!("reconnected ({mode:?})"),
        E::Resynced {
            folders,
            new,
            expunged,
            flags_changed,
        } => format!(
            "compared {folders} folders: {new} new, {expunged} expunged, {flags_changed} flag changes"
        ),
        // A kind of event newer than this shell.
        _ => "(an account event this shell does not know)".to_owned(),
    }
}

/// Every method of `c` with its help: the first set and [`crate::more::METHODS`].
pub fn all_methods() -> impl Iterator<Item = &'static MethodHelp> {
    METHODS
        .iter()
        .chain(crate::more::METHODS)
        .chain(crate::more::METHODS_3)
}

pub const METHODS: &[MethodHelp] = &[
    MethodHelp {
        name: "select_folder",
        usage: "c.select_folder(name)",
        text: "SELECT a folder read-write; returns EXISTS, FLAGS, PERMANENTFLAGS, READ-WRITE, RECENT, UIDNEXT, UIDVALIDITY, ...",
    },
    MethodHelp {
        name: "examine_folder",
        usage: "c.examine_folder(name)",
        text: "EXAMINE a folder (read-only SELECT); same result as select_folder.",
    },
    MethodHelp {
        name: "unselect_folder",
        usage: "c.unselect_folder()",
        text: "UNSELECT: leave the selected folder without expunging.",
    },
    MethodHelp {
        name: "close_folder",
        usage: "c.close_folder()",
        text: "CLOSE: leave the selected folder, expunging \\Deleted messages.",
    },
    MethodHelp {
        name: "selected_folder",
        usage: "c.selected_folder()",
        text: "The name of the selected folder, or None.",
    },
    MethodHelp {
        name: "list_folders",
        usage: "c.list_folders() / c.list_folders(pattern) / c.list_folders(reference, pattern)",
        text: "LIST folders (default pattern \"*\"); each as {flags, delimiter, name}.",
    },
    MethodHelp {
        name: "folder_exists",
        usage: "c.folder_exists(name)",
        text: "True when the folder exists.",
    },
    MethodHelp {
        name: "folder_status",
        usage: "c.folder_status(name)",
        text: "STATUS of a folder: MESSAGES, RECENT, UIDNEXT, UIDVALIDITY, UNSEEN, ...",
    },
    MethodHelp {
        name: "create_folder",
        usage: "c.create_folder(name)",
        text: "CREATE a folder.",
    },
    MethodHelp {
        name: "delete_folder",
        usage: "c.delete_folder(name)",
        text: "DELETE a folder.",
    },
    MethodHelp {
        name: "rename_folder",
        usage: "c.rename_folder(old, new)",
        text: "RENAME a folder.",
    },
    MethodHelp {
        name: "subscribe_folder",
        usage: "c.subscribe_folder(name)",
        text: "SUBSCRIBE to a folder.",
    },
    MethodHelp {
        name: "unsubscribe_folder",
        usage: "c.unsubscribe_folder(name)",
        text: "UNSUBSCRIBE from a folder.",
    },
    MethodHelp {
        name: "search",
        usage: "c.search() / c.search(\"UNSEEN\") / c.search([\"FROM\", \"\\\"bob\\\"\", \"UNSEEN\"])",
        text: "UID SEARCH in the selected folder with raw criteria (an array is joined with spaces; default ALL); returns an array of UIDs.",
    },
    MethodHelp {
        name: "fetch",
        usage: "c.fetch(ids, items)",
        text: "UID FETCH. ids: an array of UIDs (e.g. from search) or a set string like \"1:*\"; items: a string like \"(FLAGS ENVELOPE)\" or an array like [\"FLAGS\", \"ENVELOPE\", \"BODY.PEEK[HEADER]\"]. Returns {uid: {SEQ, FLAGS, ENVELOPE, ...}}.",
    },
    MethodHelp {
        name: "append",
        usage: "c.append(folder, message) / c.append(folder, message, flags)",
        text: "APPEND a message (a string) to a folder, with optional flags; returns the APPENDUID when the server gives one.",
    },
    MethodHelp {
        name: "get_flags",
        usage: "c.get_flags(ids)",
        text: "The flags of messages: {uid: (flags...)}.",
    },
    MethodHelp {
        name: "add_flags",
        usage: "c.add_flags(ids, flags)",
        text: "STORE +FLAGS; returns the new flags {uid: (flags...)}.",
    },
    MethodHelp {
        name: "remove_flags",
        usage: "c.remove_flags(ids, flags)",
        text: "STORE -FLAGS; returns the new flags {uid: (flags...)}.",
    },
    MethodHelp {
        name: "set_flags",
        usage: "c.set_flags(ids, flags)",
        text: "STORE FLAGS (replace); returns the new flags {uid: (flags...)}.",
    },
    MethodHelp {
        name: "copy",
        usage: "c.copy(ids, folder)",
        text: "UID COPY messages to a folder; returns the COPYUID when the server gives one.",
    },
    MethodHelp {
        name: "move_messages",
        usage: "c.move_messages(ids, folder)",
        text: "UID MOVE messages to a folder (needs MOVE); returns the COPYUID when given.",
    },
    MethodHelp {
        name: "delete_messages",
        usage: "c.delete_messages(ids)",
        text: "Add \\Deleted to messages (expunge() removes them).",
    },
    MethodHelp {
        name: "expunge",
        usage: "c.expunge()",
        text: "EXPUNGE; returns the sequence numbers expunged.",
    },
    MethodHelp {
        name: "noop",
        usage: "c.noop()",
        text: "NOOP; returns what the server reported meanwhile.",
    },
    MethodHelp {
        name: "capabilities",
        usage: "c.capabilities()",
        text: "The server's capabilities, as a tuple.",
    },
    MethodHelp {
        name: "has_capability",
        usage: "c.has_capability(name)",
        text: "True when the server has this capability.",
    },
    MethodHelp {
        name: "namespace",
        usage: "c.namespace()",
        text: "NAMESPACE: {personal, other_users, shared}, each a list of [prefix, delimiter].",
    },
    MethodHelp {
        name: "id",
        usage: "c.id()",
        text: "ID: the server's identification fields, or None.",
    },
    MethodHelp {
        name: "idle",
        usage: "c.idle()",
        text: "IDLE on the selected folder, printing changes as they come, until Ctrl-C; returns the number of events seen.",
    },
    MethodHelp {
        name: "watch_account",
        usage: "c.watch_account() / c.watch_account(\"notify\" | \"poll\")",
        text: "Watch every folder of the account on a second connection (NOTIFY where the server has it, else IDLE on INBOX and a STATUS poll every 60 s), printing each event with its folder until Ctrl-C; returns the number of events seen.",
    },
    MethodHelp {
        name: "trace",
        usage: "c.trace(true) / c.trace(false)",
        text: "Print every line sent (C:) and received (S:) on standard error, or stop; passwords, tokens and SASL answers show as <redacted>, long literals as their size. Same as --trace.",
    },
    MethodHelp {
        name: "logout",
        usage: "c.logout()",
        text: "LOGOUT and close the connection (Ctrl-D does this too, then exits).",
    },
];

pub fn help_text(topic: Option<&str>) -> String {
    match topic {
        None => {
            let mut s = String::from(
                "The connected session is \"c\"; call its methods like c.select_folder(\"INBOX\").\n\
                 Expressions are Rhai script: let ids = c.search([\"UNSEEN\"]); for m in ids { print(m) }\n\
                 help(\"fetch\") explains one method. Ctrl-C stops the running command, Ctrl-D logs out and exits.\n\nMethods of c:\n",
            );
            for m in all_methods() {
                s.push_str(&format!("  {:<20} {}\n", m.name, m.usage));
            }
            s
        }
        Some(name) => {
            let name = name.trim_start_matches("c.");
            match all_methods().find(|m| m.name == name) {
                Some(m) => format!("{}\n    {}\n", m.usage, m.text),
                None => match (
                    crate::more::NOT_IN_SHELL.iter().find(|(n, _)| *n == name),
                    crate::more::RENAMED.iter().find(|(n, _, _)| *n == name),
                ) {
                    (Some((_, why)), _) => format!("{name} is not in the shell: {why}\n"),
                    (None, Some((_, shell, why))) => {
                        format!("{name} is c.{shell} here ({why}); help({shell:?}) explains it\n")
                    }
                    (None, None) => format!("no method {name:?}; help() lists them\n"),
                },
            }
        }
    }
}

/// The script engine with `c`'s methods, `help` and Ctrl-C checks registered.
pub fn engine(ctx: Arc<Ctx>) -> Engine {
    let mut e = Engine::new();
    let flag = ctx.interrupted.clone();
    e.on_progress(move |_| {
        if flag.load(Ordering::SeqCst) {
            Some(Dynamic::from("interrupted"))
        } else {
            None
        }
    });
    e.register_type_with_name::<Client>("Session");
    e.register_fn("to_string", |_: &mut Client| {
        "<imap-async Session>".to_string()
    });
    e.register_type_with_name::<Tuple>("Tuple")
        .register_fn("len", |t: &mut Tuple| t.0.len() as i64)
        .register_fn("contains", |t: &mut Tuple, s: &str| {
            t.0.iter().any(|x| x == s)
        })
        .register_indexer_get(|t: &mut Tuple, i: i64| -> Res<String> {
            usize::try_from(i)
                .ok()
                .and_then(|i| t.0.get(i).cloned())
                .ok_or_else(|| err(format!("index {i} out of range")))
        })
        .register_fn("to_string", |t: &mut Tuple| {
            pretty::pretty(&Dynamic::from(t.clone()))
        })
        .register_iterator::<Tuple>();
    // `print(x)` and `${x}` show results the way the shell does.
    e.register_fn("to_string", |m: &mut Map| {
        pretty::pretty(&Dynamic::from_map(m.clone()))
    });
    e.register_fn("to_string", |a: &mut Array| {
        pretty::pretty(&Dynamic::from_array(a.clone()))
    });
    e.register_fn("print", |m: Map| {
        println!("{}", pretty::pretty(&Dynamic::from_map(m)))
    });
    e.register_fn("print", |a: Array| {
        println!("{}", pretty::pretty(&Dynamic::from_array(a)))
    });
    e.register_fn("print", |t: Tuple| {
        println!("{}", pretty::pretty(&Dynamic::from(t)))
    });
    e.register_fn("help", || print!("{}", help_text(None)));
    e.register_fn("help", |topic: &str| print!("{}", help_text(Some(topic))));

    e.register_fn("select_folder", |c: &mut Client, name: &str| {
        c.run(async |s| s.select_folder(name).await)
            .map(|i| pretty::select_info(&i))
    });
    e.register_fn("examine_folder", |c: &mut Client, name: &str| {
        c.run(async |s| s.examine_folder(name).await)
            .map(|i| pretty::select_info(&i))
    });
    e.register_fn("unselect_folder", |c: &mut Client| {
        c.run(async |s| s.unselect_folder().await)
    });
    e.register_fn("close_folder", |c: &mut Client| {
        c.run(async |s| s.close_folder().await)
    });
    e.register_fn("selected_folder", |c: &mut Client| -> Res<Dynamic> {
        let guard = c.0.session.lock().unwrap_or_else(|p| p.into_inner());
        Ok(guard
            .as_ref()
            .and_then(|s| s.selected_folder())
            .map(|n| Dynamic::from(n.to_owned()))
            .unwrap_or(Dynamic::UNIT))
    });
    fn list(c: &Client, reference: &str, pattern: &str) -> Res<Dynamic> {
        c.run(async |s| s.list_folders(reference, pattern).await)
            .map(|v| Dynamic::from_array(v.iter().map(pretty::folder).collect()))
    }
    e.register_fn("list_folders", |c: &mut Client| list(c, "", "*"));
    e.register_fn("list_folders", |c: &mut Client, p: &str| list(c, "", p));
    e.register_fn("list_folders", |c: &mut Client, r: &str, p: &str| {
        list(c, r, p)
    });
    e.register_fn("folder_exists", |c: &mut Client, name: &str| {
        c.run(async |s| s.folder_exists(name).await)
    });
    e.register_fn("folder_status", |c: &mut Client, name: &str| {
        c.run(async |s| s.folder_status(name, None).await)
            .map(|st| pretty::folder_status(&st))
    });
    e.register_fn("create_folder", |c: &mut Client, name: &str| {
        c.run(async |s| s.create_folder(name).await)
    });
    e.register_fn("delete_folder", |c: &mut Client, name: &str| {
        c.run(async |s| s.delete_folder(name).await)
    });
    e.register_fn("rename_folder", |c: &mut Client, from: &str, to: &str| {
        c.run(async |s| s.rename_folder(from, to).await)
    });
    e.register_fn("subscribe_folder", |c: &mut Client, name: &str| {
        c.run(async |s| s.subscribe_folder(name).await)
    });
    e.register_fn("unsubscribe_folder", |c: &mut Client, name: &str| {
        c.run(async |s| s.unsubscribe_folder(name).await)
    });
    fn search(c: &Client, criteria: String) -> Res<Dynamic> {
        c.run(async |s| s.search(criteria.as_str()).await)
            .map(|set| uid_list(&set))
    }
    e.register_fn("search", |c: &mut Client| search(c, "ALL".into()));
    e.register_fn("search", |c: &mut Client, criteria: Dynamic| {
        search(c, strings(&criteria, "search criteria")?.join(" "))
    });
    e.register_fn("fetch", |c: &mut Client, ids: Dynamic, items: Dynamic| {
        let set = uids(&ids)?;
        let items = match items.read_lock::<ImmutableString>() {
            Some(s) => s.to_string(),
            None => format!("({})", strings(&items, "fetch items")?.join(" ")),
        };
        c.run(async |s| s.fetch(&set, items).await)
            .map(|v| pretty::fetch_result(&v))
    });
    fn append(c: &Client, folder: &str, msg: &str, flags: Vec<String>) -> Res<Dynamic> {
        let data = msg.replace("\r\n", "\n").replace('\n', "\r\n");
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        c.run(async |s| s.append(folder, data.into_bytes(), &flags, None).await)
            .map(append_uid)
    }
    e.register_fn("append", |c: &mut Client, folder: &str, msg: &str| {
        append(c, folder, msg, Vec::new())
    });
    e.register_fn(
        "append",
        |c: &mut Client, folder: &str, msg: &str, flags: Dynamic| {
            append(c, folder, msg, strings(&flags, "flags")?)
        },
    );
    e.register_fn("get_flags", |c: &mut Client, ids: Dynamic| {
        let set = uids(&ids)?;
        c.run(async |s| s.get_flags(&set).await).map(flag_map)
    });
    e.register_fn(
        "add_flags",
        |c: &mut Client, ids: Dynamic, flags: Dynamic| {
            let set = uids(&ids)?;
            let flags = strings(&flags, "flags")?;
            let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
            c.run(async |s| s.add_flags(&set, &flags).await)
                .map(flag_map)
        },
    );
    e.register_fn(
        "remove_flags",
        |c: &mut Client, ids: Dynamic, flags: Dynamic| {
            let set = uids(&ids)?;
            let flags = strings(&flags, "flags")?;
            let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
            c.run(async |s| s.remove_flags(&set, &flags).await)
                .map(flag_map)
        },
    );
    e.register_fn(
        "set_flags",
        |c: &mut Client, ids: Dynamic, flags: Dynamic| {
            let set = uids(&ids)?;
            let flags = strings(&flags, "flags")?;
            let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
            c.run(async |s| s.set_flags(&set, &flags).await)
                .map(flag_map)
        },
    );
    e.register_fn("copy", |c: &mut Client, ids: Dynamic, folder: &str| {
        let set = uids(&ids)?;
        c.run(async |s| s.copy(&set, folder).await).map(copy_uid)
    });
    e.register_fn(
        "move_messages",
        |c: &mut Client, ids: Dynamic, folder: &str| {
            let set = uids(&ids)?;
            c.run(async |s| s.move_messages(&set, folder).await)
                .map(copy_uid)
        },
    );
    e.register_fn("delete_messages", |c: &mut Client, ids: Dynamic| {
        let set = uids(&ids)?;
        c.run(async |s| s.delete_messages(&set, false).await)
            .map(flag_map)
    });
    e.register_fn("expunge", |c: &mut Client| {
        c.run(async |s| s.expunge().await).map(|x| {
            let mut m = Map::new();
            m.insert(
                "expunged".into(),
                pretty::int_array(x.seqs.iter().map(|s| s.get())),
            );
            if !x.vanished.is_empty() {
                m.insert("vanished".into(), uid_list(&x.vanished));
            }
            Dynamic::from_map(m)
        })
    });
    e.register_fn("noop", |c: &mut Client| {
        c.run(async |s| s.noop().await).map(|v| {
            Dynamic::from_array(
                v.into_iter()
                    .map(|u| event_text(&IdleEvent::from(u)).into())
                    .collect(),
            )
        })
    });
    e.register_fn("capabilities", |c: &mut Client| {
        c.run(async |s| Ok(s.capabilities().await?.names().map(str::to_owned).collect()))
            .map(|v: Vec<String>| Dynamic::from(Tuple(v)))
    });
    e.register_fn("has_capability", |c: &mut Client, name: &str| {
        c.run(async |s| s.has_capability(name).await)
    });
    e.register_fn("namespace", |c: &mut Client| {
        c.run(async |s| s.namespace().await).map(|ns| {
            let conv = |list: &[imap_async::Namespace]| -> Dynamic {
                Dynamic::from_array(
                    list.iter()
                        .map(|n| {
                            Dynamic::from_array(vec![
                                Dynamic::from(n.prefix.clone()),
                                n.delimiter
                                    .map(|d| Dynamic::from(d.to_string()))
                                    .unwrap_or(Dynamic::UNIT),
                            ])
                        })
                        .collect(),
                )
            };
            let mut m = Map::new();
            m.insert("personal".into(), conv(&ns.personal));
            m.insert("other_users".into(), conv(&ns.other_users));
            m.insert("shared".into(), conv(&ns.shared));
            Dynamic::from_map(m)
        })
    });
    e.register_fn("id", |c: &mut Client| {
        c.run(async |s| s.id(None).await).map(|id| match id {
            Some(id) => {
                let mut m = Map::new();
                for (k, v) in id.fields {
                    m.insert(k.into(), v.map(Dynamic::from).unwrap_or(Dynamic::UNIT));
                }
                Dynamic::from_map(m)
            }
            None => Dynamic::UNIT,
        })
    });
    e.register_fn("idle", |c: &mut Client| -> Res<i64> {
        let ctx = c.0.clone();
        let mut guard = ctx.session.lock().unwrap_or_else(|p| p.into_inner());
        let session = guard
            .as_mut()
            .ok_or_else(|| err("not connected: the session has logged out"))?;
        ctx.revive(session)?;
        let flag = &ctx.interrupted;
        let seen = ctx.rt.block_on(async {
            let mut idle = session.idle().await?;
            println!("Idling; Ctrl-C stops.");
            let mut seen = 0i64;
            loop {
                tokio::select! {
                    ev = idle.next() => match ev {
                        Some(Ok(ev)) => {
                            seen += 1;
                            println!("{}", event_text(&ev));
                        }
                        Some(Err(e)) => return Err(e),
                        None => break,
                    },
                    () = interrupt(flag) => break,
                }
            }
            idle.done().await?;
            Ok::<_, imap_async::Error>(seen)
        });
        // Ctrl-C is how IDLE is meant to end: it is not an error for what follows.
        ctx.clear_interrupt();
        seen.map_err(|e| err(e.to_string()))
    });
    e.register_fn("watch_account", |c: &mut Client| -> Res<i64> {
        watch_account(c, imap_async::AccountMode::Auto)
    });
    e.register_fn(
        "watch_account",
        |c: &mut Client, mode: ImmutableString| -> Res<i64> {
            let mode = match mode.as_str() {
                "auto" => imap_async::AccountMode::Auto,
                "notify" => imap_async::AccountMode::Notify,
                "poll" => imap_async::AccountMode::Poll,
                other => {
                    return Err(err(format!(
                        "watch_account: mode {other:?} is not one of \"auto\", \"notify\", \"poll\""
                    )));
                }
            };
            watch_account(c, mode)
        },
    );
    e.register_fn("trace", |c: &mut Client, on: bool| -> String {
        c.0.trace.store(on, Ordering::Relaxed);
        if on {
            "Protocol trace on".into()
        } else {
            "Protocol trace off".into()
        }
    });
    e.register_fn("logout", |c: &mut Client| -> Res<String> {
        match c.0.logout() {
            Ok(LogoutOutcome::LoggedOut) => Ok("Logged out".into()),
            Ok(LogoutOutcome::AlreadyClosed) => {
                Ok("The server had already closed the connection".into())
            }
            Ok(LogoutOutcome::NoSession) => Err(err("not connected: the session has logged out")),
            Err(e) => Err(err(e)),
        }
    });
    crate::more::register(&mut e);
    crate::more::register_second(&mut e);
    crate::more::register_third(&mut e);
    e
}

#[cfg(test)]
mod table_tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::sync::atomic::AtomicBool;

    /// The methods of `c` that the engine has, and the ones `help()` lists, are the same.
    #[test]
    fn help_lists_exactly_the_bound_methods() {
        let ctx = Ctx::new(None, Arc::new(AtomicBool::new(false))).unwrap();
        let e = engine(ctx);
        let bound: BTreeSet<String> = e
            .gen_fn_signatures(false)
            .into_iter()
            // `c`'s type is registered under the name `Session`.
            .filter(|sig| sig.contains("(_: &mut Session"))
            .filter_map(|sig| sig.split('(').next().map(str::to_owned))
            .filter(|name| !["to_string", "to_debug", "print", "debug"].contains(&name.as_str()))
            .collect();
        let helped: BTreeSet<String> = all_methods().map(|m| m.name.to_owned()).collect();
        assert_eq!(
            bound.difference(&helped).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "bound without help"
        );
        assert_eq!(
            helped.difference(&bound).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "in help without a binding"
        );
        assert!(bound.len() >= 60, "{bound:?}");
    }
}

#[cfg(test)]
mod coverage_tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The `.rs` files under `dir`, its subdirectories' included (a command family may be a
    /// directory, such as `session/fetch/`).
    fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(rust_files(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
        out
    }

    /// The public methods of `Session` in the library's sources: `pub async fn` in an
    /// `impl Session` block, and the streams (`fetch_stream`, `fetch_batched`).
    fn session_methods() -> BTreeSet<String> {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../imap-async/src/session");
        let mut out = BTreeSet::new();
        for path in rust_files(&dir) {
            let text = std::fs::read_to_string(&path).unwrap();
            let mut in_session = false;
            for line in text.lines() {
                if line.starts_with("impl") {
                    in_session = line.trim_end_matches('{').trim().ends_with(" Session");
                }
                let Some(rest) = line
                    .strip_prefix("    pub async fn ")
                    .or_else(|| line.strip_prefix("    pub fn fetch_"))
                    .map(|r| {
                        if line.contains("pub fn fetch_") {
                            format!("fetch_{r}")
                        } else {
                            r.to_owned()
                        }
                    })
                else {
                    continue;
                };
                if in_session {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    out.insert(name);
                }
            }
        }
        out
    }

    /// Session methods generic over UIDs and sequence numbers.
    fn generic_methods() -> Vec<String> {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../imap-async/src/session");
        let mut out = Vec::new();
        for path in rust_files(&dir) {
            let text = std::fs::read_to_string(&path).unwrap();
            for line in text.lines() {
                let l = line.trim_start();
                let Some(rest) = l
                    .strip_prefix("pub async fn ")
                    .or_else(|| l.strip_prefix("pub fn "))
                else {
                    continue;
                };
                if let Some((name, _)) = rest.split_once("<K: Id>")
                    && name != "batches"
                {
                    out.push(name.to_owned());
                }
            }
        }
        assert!(out.len() >= 15, "{out:?}");
        out
    }

    #[test]
    fn every_session_method_is_in_the_shell_or_here() {
        let methods = session_methods();
        assert!(
            methods.len() >= 80,
            "the source scan found too few: {methods:?}"
        );
        let mut bound: BTreeSet<&str> = all_methods().map(|m| m.name).collect();
        for (library, shell, _) in crate::more::RENAMED {
            assert!(bound.contains(shell), "{shell} is not bound");
            bound.insert(library);
        }
        let missing: Vec<&String> = methods
            .iter()
            .filter(|m| {
                !bound.contains(m.as_str())
                    && !crate::more::NOT_IN_SHELL.iter().any(|(n, _)| n == m)
            })
            .collect();
        assert!(
            missing.is_empty(),
            "public Session methods with no binding in the shell and no reason in \
             more::NOT_IN_SHELL: {missing:?}"
        );
        // Where the library takes UIDs or sequence numbers (`<K: Id>`), both are bound.
        for generic in generic_methods() {
            if crate::more::NOT_IN_SHELL.iter().any(|(n, _)| *n == generic) {
                continue;
            }
            let seq = format!("seq_{generic}");
            assert!(
                bound.contains(seq.as_str()),
                "{generic} has no {seq} in the shell"
            );
        }
        for (name, why) in crate::more::NOT_IN_SHELL {
            assert!(
                methods.contains(*name),
                "{name} is not a Session method any more"
            );
            assert!(
                !all_methods().any(|m| m.name == *name),
                "{name} is bound after all"
            );
            assert!(!why.is_empty());
        }
    }
}
