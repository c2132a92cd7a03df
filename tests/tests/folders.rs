//! Folder commands and server information against the real servers (Dovecot, Cyrus): LIST/LSUB, special-use
//! folders, CREATE/RENAME/DELETE/(UN)SUBSCRIBE, exact `folder_exists`, STATUS, SELECT
//! options, UNSELECT/CLOSE, ID, NAMESPACE, and ENABLE after SELECT. The IMAPClient bugs
//! #155 (STATUS of a name with quotes) and "folder_exists with wildcards" are regressions
//! here.

use std::collections::BTreeSet;
use std::time::Duration;

use imap_async::{
    ConnectOptions, Error, Folder, Namespace, SelectOptions, Session, SpecialUse, StatusItems,
};
use imap_async_tests::{ImapServer, RealServer, TestUser, on_both_servers};

fn message(n: u32) -> Vec<u8> {
    format!(
        "From: Alice <alice@example.org>\r\n\
         To: Bob <bob@example.org>\r\n\
         Subject: message {n}\r\n\
         Message-ID: <{n}@example.org>\r\n\
         \r\n\
         Body {n}.\r\n"
    )
    .into_bytes()
}

async fn connect(server: &dyn ImapServer, user: &TestUser) -> Session {
    let opts = ConnectOptions::new(server.host())
        .port(server.imap_port())
        .plaintext()
        .command_timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(10))
        .login(&user.name, user.password.as_str());
    Session::connect(&opts).await.expect("connect and log in")
}

fn names(folders: &[Folder]) -> BTreeSet<String> {
    folders.iter().map(|f| f.name.clone()).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The folders both servers create for every user (`auto = subscribe` in the test
/// Dovecot's config, `autocreate_inbox_folders` in the test Cyrus's).
const AUTO_FOLDERS: [&str; 5] = ["Archive", "Drafts", "Junk", "Sent", "Trash"];

/// The folders a new user is subscribed to: the automatic ones, and on Cyrus INBOX too.
fn auto_subscribed(server: &dyn ImapServer) -> BTreeSet<String> {
    let mut subscribed = set(&AUTO_FOLDERS);
    if server.is_cyrus() {
        subscribed.insert("INBOX".to_owned());
    }
    subscribed
}

/// Whether `result` is the server's NO to CREATE.
fn is_create_refused(result: &Result<(), Error>) -> bool {
    matches!(result, Err(Error::No { command, .. }) if command == "CREATE")
}

async fn create_list_select_rename_delete_with_non_ascii_names(server: &dyn ImapServer) {
    let user = server.new_user();
    let mut session = connect(server, &user).await;

    let name = "Café/Ünïcode 日本";
    session.create_folder(name).await.expect("create");
    let listed = session.list_folders("", "*").await.expect("list");
    let mut expected = set(&AUTO_FOLDERS);
    expected.extend(set(&["INBOX", "Café", name]));
    assert_eq!(names(&listed), expected);
    let folder = listed.iter().find(|f| f.name == name).expect("listed");
    assert_eq!(folder.delimiter, Some('/'));
    assert_eq!(folder.attributes, vec!["\\HasNoChildren".to_string()]);
    let parent = listed.iter().find(|f| f.name == "Café").expect("parent");
    match server.kind() {
        // The intermediate level Dovecot created is not a real folder.
        RealServer::Dovecot => assert_eq!(parent.attributes, vec!["\\Noselect", "\\HasChildren"]),
        // Cyrus 3 creates it as a real, selectable folder.
        RealServer::Cyrus => {
            assert_eq!(parent.attributes, vec!["\\HasChildren"]);
            assert_eq!(session.examine_folder("Café").await.unwrap().exists, 0);
        }
    }

    // A pattern with non-ASCII text is encoded too.
    let under = session
        .list_folders("Café/", "%")
        .await
        .expect("list under");
    assert_eq!(names(&under), set(&[name]));

    // The wire form is modified UTF-7 (what doveadm shows as the stored name).
    if let Some(dovecot) = server.as_dovecot() {
        let out = dovecot
            .doveadm(&["mailbox", "list", "-u", &user.name, "Caf*"], None)
            .expect("doveadm");
        let listed_by_doveadm = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(listed_by_doveadm.contains(name), "{listed_by_doveadm}");
    }

    server.append_message(&user.name, name, &message(1));
    let info = session.select_folder(name).await.expect("select");
    assert_eq!(info.exists, 1);
    assert!(info.read_write);
    assert_eq!(session.selected_folder(), Some(name));

    session.close_folder().await.expect("close");
    assert_eq!(session.selected_folder(), None);

    let renamed = "Café/Renamed ß";
    session.rename_folder(name, renamed).await.expect("rename");
    assert!(!session.folder_exists(name).await.unwrap());
    assert!(session.folder_exists(renamed).await.unwrap());
    let status = session.folder_status(renamed, None).await.unwrap();
    assert_eq!(
        status.messages,
        Some(1),
        "the message moved with the folder"
    );

    session.delete_folder(renamed).await.expect("delete");
    assert!(!session.folder_exists(renamed).await.unwrap());
    let err = session
        .delete_folder(renamed)
        .await
        .expect_err("deleting a missing folder");
    assert!(
        matches!(err, Error::No { ref command, .. } if command == "DELETE"),
        "{err:?}"
    );
    let err = session
        .rename_folder("No such folder", "Other")
        .await
        .expect_err("renaming a missing folder");
    assert!(
        matches!(err, Error::No { ref command, .. } if command == "RENAME"),
        "{err:?}"
    );
    let err = session
        .create_folder("INBOX")
        .await
        .expect_err("INBOX exists");
    assert!(
        matches!(err, Error::No { ref command, .. } if command == "CREATE"),
        "{err:?}"
    );
    session.logout().await.unwrap();
}
on_both_servers!(create_list_select_rename_delete_with_non_ascii_names);

async fn subscriptions_show_in_lsub(server: &dyn ImapServer) {
    let user = server.new_user();
    let mut session = connect(server, &user).await;
    let initial = session.list_sub_folders("", "*").await.expect("lsub");
    assert_eq!(names(&initial), auto_subscribed(server));

    session.create_folder("Lists/rust").await.unwrap();
    session.create_folder("Lists/tokio").await.unwrap();
    session
        .subscribe_folder("Lists/rust")
        .await
        .expect("subscribe");
    session.create_folder("Ünï").await.unwrap();
    session
        .subscribe_folder("Ünï")
        .await
        .expect("subscribe to a non-ASCII name");
    let subscribed = session.list_sub_folders("", "*").await.unwrap();
    let mut expected = auto_subscribed(server);
    expected.extend(set(&["Lists/rust", "Ünï"]));
    assert_eq!(names(&subscribed), expected);
    let rust = subscribed.iter().find(|f| f.name == "Lists/rust").unwrap();
    assert_eq!(rust.delimiter, Some('/'));

    let under = session.list_sub_folders("Lists/", "*").await.unwrap();
    assert_eq!(names(&under), set(&["Lists/rust"]));

    session
        .unsubscribe_folder("Lists/rust")
        .await
        .expect("unsubscribe");
    session
        .unsubscribe_folder("Ünï")
        .await
        .expect("unsubscribe");
    assert_eq!(
        names(&session.list_sub_folders("", "*").await.unwrap()),
        auto_subscribed(server)
    );
    session.logout().await.unwrap();
}
on_both_servers!(subscriptions_show_in_lsub);

/// IMAPClient's `folder_exists` is `LIST "" name`: `a%` reports `ab`. Ours is exact.
async fn folder_exists_is_exact_with_wildcard_names(server: &dyn ImapServer) {
    let user = server.new_user();
    let mut session = connect(server, &user).await;
    session.create_folder("ab").await.unwrap();
    session.create_folder("xy/z").await.unwrap();
    assert!(
        !session.folder_exists("a%").await.unwrap(),
        "a% must not match ab"
    );
    assert!(
        !session.folder_exists("x*").await.unwrap(),
        "x* must not match xy"
    );
    assert!(!session.folder_exists("*").await.unwrap());
    assert!(!session.folder_exists("%").await.unwrap());

    let created = session.create_folder("a%").await;
    match server.kind() {
        RealServer::Dovecot => created.expect("create a%"),
        // Cyrus's mailbox-name policy refuses `%`; the client reports that NO.
        RealServer::Cyrus => assert!(is_create_refused(&created), "{created:?}"),
    }
    session.create_folder("x*").await.expect("create x*");
    assert_eq!(
        session.folder_exists("a%").await.unwrap(),
        !server.is_cyrus()
    );
    assert!(session.folder_exists("x*").await.unwrap());
    assert!(session.folder_exists("ab").await.unwrap());
    assert!(session.folder_exists("xy/z").await.unwrap());
    assert!(
        session.folder_exists("xy").await.unwrap(),
        "a parent level exists"
    );
    assert!(!session.folder_exists("xy/").await.unwrap());
    assert!(
        !session.folder_exists("AB").await.unwrap(),
        "names are case-sensitive"
    );
    assert!(
        session.folder_exists("inbox").await.unwrap(),
        "INBOX in any case"
    );
    assert!(!session.folder_exists("a").await.unwrap());
    assert!(
        !session.folder_exists("").await.unwrap(),
        "LIST \"\" \"\" is not a folder"
    );

    // Names with wildcards work in every other command too.
    let wild = if server.is_cyrus() { "x*" } else { "a%" };
    server.append_message(&user.name, wild, &message(1));
    let status = session.folder_status(wild, None).await.unwrap();
    assert_eq!(status.name, wild);
    assert_eq!(status.messages, Some(1));
    session.delete_folder(wild).await.unwrap();
    assert!(!session.folder_exists(wild).await.unwrap());
    assert!(session.folder_exists("ab").await.unwrap());
    assert!(session.folder_exists("xy/z").await.unwrap());
    session.logout().await.unwrap();
}
on_both_servers!(folder_exists_is_exact_with_wildcard_names);

async fn status_reports_exact_numbers(server: &dyn ImapServer) {
    let user = server.new_user();
    server.append_message(&user.name, "Reports", &message(1));
    server.append_message_with_flags(&user.name, "Reports", &["\\Seen"], &message(2));
    server.append_message(&user.name, "Reports", &message(3));
    let mut session = connect(server, &user).await;
    assert!(session.has_capability("CONDSTORE").await.unwrap());

    let status = session
        .folder_status("Reports", None)
        .await
        .expect("status");
    let examined = session
        .select_folder_with(
            "Reports",
            SelectOptions::default().readonly(true).condstore(true),
        )
        .await
        .expect("examine with CONDSTORE");
    assert_eq!(status.name, "Reports");
    assert_eq!(status.messages, Some(3));
    assert_eq!(status.recent, Some(3), "nobody has selected the folder yet");
    assert_eq!(status.uid_next, Some(4));
    assert_eq!(status.unseen, Some(2));
    assert_eq!(status.uid_validity, examined.uid_validity);
    assert!(status.uid_validity.is_some());
    assert!(
        status.highest_modseq.is_some(),
        "CONDSTORE adds HIGHESTMODSEQ"
    );
    assert_eq!(status.highest_modseq, examined.highest_modseq);
    assert_eq!((status.size, status.deleted), (None, None));

    let only = StatusItems {
        messages: true,
        uid_next: true,
        ..StatusItems::NONE
    };
    let status = session.folder_status("Reports", Some(only)).await.unwrap();
    assert_eq!(status.messages, Some(3));
    assert_eq!(status.uid_next, Some(4));
    assert_eq!(
        (
            status.recent,
            status.unseen,
            status.uid_validity,
            status.highest_modseq
        ),
        (None, None, None, None)
    );

    let inbox = session
        .folder_status("inbox", None)
        .await
        .expect("INBOX in any case");
    assert_eq!(inbox.name, "inbox", "the server echoes the name as asked");
    assert_eq!(inbox.messages, Some(0));

    let err = session
        .folder_status("Reports", Some(StatusItems::NONE))
        .await
        .expect_err("no items");
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    let err = session
        .folder_status("No such folder", None)
        .await
        .expect_err("missing folder");
    assert!(
        matches!(err, Error::No { ref command, .. } if command == "STATUS"),
        "{err:?}"
    );
    session.logout().await.unwrap();
}
on_both_servers!(status_reports_exact_numbers);

/// IMAPClient #155: quotes in a folder name broke `folder_status`.
async fn status_of_names_with_quotes_backslashes_and_non_ascii(server: &dyn ImapServer) {
    let user = server.new_user();
    let mut session = connect(server, &user).await;
    let all_cases = [
        ("say \"hi\"", 1u32),
        ("back\\slash", 2),
        ("\"", 1),
        ("Ünï \"q\" \\ 日本", 3),
        ("Spaces and (parens)", 2),
        ("Ünï 日本 (x)", 1),
    ];
    let mut cases = Vec::new();
    for (name, count) in all_cases {
        let created = session.create_folder(name).await;
        if server.is_cyrus() && (name.contains('"') || name.contains('\\')) {
            // Cyrus's mailbox-name policy refuses `"` and `\`; the client sent them
            // correctly quoted and reports the server's NO.
            assert!(is_create_refused(&created), "{name:?}: {created:?}");
            continue;
        }
        created.unwrap_or_else(|e| panic!("create {name:?}: {e}"));
        cases.push((name, count));
        assert!(session.folder_exists(name).await.unwrap(), "{name:?}");
        for n in 0..count {
            server.append_message(&user.name, name, &message(n));
        }
    }
    for (name, count) in cases {
        let status = session
            .folder_status(name, None)
            .await
            .unwrap_or_else(|e| panic!("status {name:?}: {e}"));
        assert_eq!(status.name, name);
        assert_eq!(status.messages, Some(count), "{name:?}");
        assert_eq!(status.uid_next, Some(count + 1), "{name:?}");
        let info = session.examine_folder(name).await.unwrap();
        assert_eq!(info.exists, count);
        assert_eq!(status.uid_validity, info.uid_validity);
    }
    session.logout().await.unwrap();
}
on_both_servers!(status_of_names_with_quotes_backslashes_and_non_ascii);

async fn select_examine_and_condstore_options(server: &dyn ImapServer) {
    let user = server.new_user();
    server.append_message(&user.name, "INBOX", &message(1));
    let mut session = connect(server, &user).await;
    assert_eq!(session.selected_folder(), None);

    let info = session.examine_folder("INBOX").await.unwrap();
    assert!(!info.read_write);
    assert_eq!(info.exists, 1);
    match server.kind() {
        RealServer::Dovecot => assert_eq!(info.highest_modseq, None, "CONDSTORE not enabled yet"),
        // Cyrus reports HIGHESTMODSEQ on every SELECT; the client passes it on.
        RealServer::Cyrus => assert!(info.highest_modseq.is_some()),
    }
    assert_eq!(session.selected_folder(), Some("INBOX"));

    let info = session
        .select_folder_with("INBOX", SelectOptions::default().condstore(true))
        .await
        .unwrap();
    assert!(info.read_write);
    assert!(
        info.highest_modseq.is_some(),
        "SELECT (CONDSTORE) reports HIGHESTMODSEQ"
    );

    // A failed SELECT leaves nothing selected (RFC 3501 §6.3.1).
    let err = session
        .select_folder("No such folder")
        .await
        .expect_err("missing");
    assert!(
        matches!(err, Error::No { ref command, .. } if command == "SELECT"),
        "{err:?}"
    );
    assert_eq!(session.selected_folder(), None);
    session.logout().await.unwrap();
}
on_both_servers!(select_examine_and_condstore_options);

async fn unselect_keeps_deleted_messages_and_close_expunges_them(server: &dyn ImapServer) {
    let user = server.new_user();
    for n in 1..=2 {
        server.append_message_with_flags(&user.name, "Work", &["\\Deleted"], &message(n));
    }
    server.append_message(&user.name, "Work", &message(3));
    let mut session = connect(server, &user).await;
    assert!(session.has_capability("UNSELECT").await.unwrap());

    session.select_folder("Work").await.unwrap();
    session.unselect_folder().await.expect("unselect");
    assert_eq!(session.selected_folder(), None);
    let status = session.folder_status("Work", None).await.unwrap();
    assert_eq!(status.messages, Some(3), "UNSELECT does not expunge");

    // Nothing selected: the server refuses, and we say so rather than ignore it.
    let err = session
        .unselect_folder()
        .await
        .expect_err("nothing selected");
    assert!(
        matches!(err, Error::Bad { .. } | Error::No { .. }),
        "{err:?}"
    );
    let err = session.close_folder().await.expect_err("nothing selected");
    assert!(
        matches!(err, Error::Bad { .. } | Error::No { .. }),
        "{err:?}"
    );

    // EXAMINE + CLOSE expunges nothing (RFC 3501 §6.4.2).
    session.examine_folder("Work").await.unwrap();
    session.close_folder().await.unwrap();
    let status = session.folder_status("Work", None).await.unwrap();
    assert_eq!(status.messages, Some(3));

    session.select_folder("Work").await.unwrap();
    session.close_folder().await.expect("close");
    assert_eq!(session.selected_folder(), None);
    let status = session.folder_status("Work", None).await.unwrap();
    assert_eq!(
        status.messages,
        Some(1),
        "CLOSE expunged the two \\Deleted messages"
    );
    assert!(session.unsolicited_len() == 0, "CLOSE sends no EXPUNGE");
    session.logout().await.unwrap();
}
on_both_servers!(unselect_keeps_deleted_messages_and_close_expunges_them);

async fn special_folders_by_attribute_then_by_usual_name(server: &dyn ImapServer) {
    let user = server.new_user();
    let mut session = connect(server, &user).await;
    assert!(session.has_capability("SPECIAL-USE").await.unwrap());
    for (use_, name) in [
        (SpecialUse::Sent, "Sent"),
        (SpecialUse::Trash, "Trash"),
        (SpecialUse::Junk, "Junk"),
        (SpecialUse::Drafts, "Drafts"),
        (SpecialUse::Archive, "Archive"),
    ] {
        assert_eq!(
            session.find_special_folder(use_).await.unwrap().as_deref(),
            Some(name),
            "{use_:?}"
        );
    }
    // On Dovecot they were found by attribute; Cyrus's autocreated folders have none,
    // so there the client fell back to the usual names.
    let listed = session.list_folders("", "Sent").await.unwrap();
    match server.kind() {
        RealServer::Dovecot => assert_eq!(listed[0].attributes, vec!["\\HasNoChildren", "\\Sent"]),
        RealServer::Cyrus => assert_eq!(listed[0].attributes, vec!["\\HasNoChildren"]),
    }

    // No folder carries \All or \Flagged, and none has a usual name.
    assert_eq!(
        session.find_special_folder(SpecialUse::All).await.unwrap(),
        None
    );
    assert_eq!(
        session
            .find_special_folder(SpecialUse::Flagged)
            .await
            .unwrap(),
        None
    );
    // The name fallback compares case-insensitively and prefers the first usual name.
    session.create_folder("all").await.unwrap();
    assert_eq!(
        session
            .find_special_folder(SpecialUse::All)
            .await
            .unwrap()
            .as_deref(),
        Some("all")
    );
    session.create_folder("ALL MAIL").await.unwrap();
    assert_eq!(
        session
            .find_special_folder(SpecialUse::All)
            .await
            .unwrap()
            .as_deref(),
        Some("ALL MAIL")
    );
    session.create_folder("starred").await.unwrap();
    assert_eq!(
        session
            .find_special_folder(SpecialUse::Flagged)
            .await
            .unwrap()
            .as_deref(),
        Some("starred")
    );
    session.logout().await.unwrap();
}
on_both_servers!(special_folders_by_attribute_then_by_usual_name);

async fn namespace_and_id(server: &dyn ImapServer) {
    let user = server.new_user();
    let mut session = connect(server, &user).await;
    let ns = session.namespace().await.expect("namespace");
    assert_eq!(
        ns.personal,
        vec![Namespace {
            prefix: String::new(),
            delimiter: Some('/')
        }]
    );
    let server_name = match server.kind() {
        RealServer::Dovecot => {
            assert_eq!(ns.other_users, vec![]);
            assert_eq!(ns.shared, vec![]);
            "Dovecot"
        }
        RealServer::Cyrus => {
            let namespace = |prefix: &str| Namespace {
                prefix: prefix.to_owned(),
                delimiter: Some('/'),
            };
            assert_eq!(ns.other_users, vec![namespace("Other Users/")]);
            assert_eq!(ns.shared, vec![namespace("Shared Folders/")]);
            "Cyrus IMAPD"
        }
    };

    let id = session
        .id(None)
        .await
        .expect("ID NIL")
        .expect("the server sends its ID");
    assert_eq!(id.get("name"), Some(server_name));
    assert_eq!(
        id.get("NAME"),
        Some(server_name),
        "field names are case-insensitive"
    );
    let id = session
        .id(Some(&[
            ("name", "imap-async tests"),
            ("version", "1 \"quoted\""),
        ]))
        .await
        .expect("ID with fields")
        .expect("the server sends its ID");
    assert_eq!(id.get("name"), Some(server_name));

    let long = "n".repeat(31);
    let err = session
        .id(Some(&[(long.as_str(), "x")]))
        .await
        .expect_err("field name too long");
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    session.noop().await.expect("nothing half-sent");
    session.logout().await.unwrap();
}
on_both_servers!(namespace_and_id);

async fn enable_is_refused_after_select(server: &dyn ImapServer) {
    let user = server.new_user();
    let mut session = connect(server, &user).await;
    assert_eq!(
        session.enable(&["CONDSTORE"]).await.unwrap(),
        vec!["CONDSTORE"]
    );
    let info = session.select_folder("INBOX").await.unwrap();
    assert!(info.highest_modseq.is_some());
    session.close_folder().await.unwrap();
    let err = session
        .enable(&["QRESYNC"])
        .await
        .expect_err("ENABLE after SELECT");
    match &err {
        Error::InvalidInput { what, reason } => {
            assert_eq!(what, "ENABLE");
            assert!(reason.contains("RFC 5161"), "{reason}");
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    session.noop().await.expect("session still fine");
    session.logout().await.unwrap();
}
on_both_servers!(enable_is_refused_after_select);

/// LIST-STATUS (RFC 5819) gives, in one command, what a STATUS per folder gives.
async fn list_status_agrees_with_status(server: &dyn ImapServer) {
    let user = server.new_user();
    let mut session = Session::connect(&server.plaintext_options(&user))
        .await
        .unwrap();
    for f in ["Ünï", "a/b"] {
        session.create_folder(f).await.unwrap();
    }
    session
        .append("Ünï", message(1), imap_async::Flag::NONE, None)
        .await
        .unwrap();
    assert!(
        session.has_capability("LIST-STATUS").await.unwrap(),
        "both harness servers offer LIST-STATUS"
    );
    let items = StatusItems {
        messages: true,
        uid_next: true,
        uid_validity: true,
        ..StatusItems::NONE
    };
    let listed = session.list_status("", "*", items).await.unwrap();
    assert!(listed.len() >= 3, "{listed:?}");
    for (folder, status) in listed {
        let selectable = !folder.attributes.iter().any(|a| {
            a.eq_ignore_ascii_case("\\Noselect") || a.eq_ignore_ascii_case("\\NonExistent")
        });
        if !selectable {
            continue;
        }
        let status = status.unwrap_or_else(|| panic!("no STATUS for {}", folder.name));
        let single = session
            .folder_status(&folder.name, Some(items))
            .await
            .unwrap();
        assert_eq!(status, single, "{}", folder.name);
        if folder.name == "Ünï" {
            assert_eq!(status.messages, Some(1));
        }
    }
    session.logout().await.unwrap();
}
on_both_servers!(list_status_agrees_with_status);
