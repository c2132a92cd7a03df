//! Folder and server-info behaviour Dovecot cannot show, on a scripted server: Gmail's
//! XLIST with localized names, servers without SPECIAL-USE/NAMESPACE/UNSELECT/CONDSTORE,
//! encoded namespace prefixes, STATUS data about other folders, and commands refused before
//! anything is sent.

use std::time::Duration;

use imap_async::{
    ConnectOptions, Error, Namespace, SelectOptions, Session, SpecialUse, StatusItems,
};
use imap_async_tests::fake::{FakeServer, Step, expect, send};

/// Gmail's greeting and post-login capabilities (2024), recorded.
const GMAIL_GREETING: &str = "* OK Gimap ready for requests from 192.0.2.7 x1mb123456lqa\r\n";
const GMAIL_CAPS: &str = "IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 \
                          UIDPLUS COMPRESS=DEFLATE ENABLE MOVE CONDSTORE ESEARCH UTF8=ACCEPT \
                          LIST-EXTENDED LIST-STATUS LITERAL- SPECIAL-USE APPENDLIMIT=35651584";

/// A plain IMAP4rev1 server with none of the extensions.
const PLAIN_CAPS: &str = "IMAP4rev1";

fn script(greeting: &str, caps: &str, rest: Vec<Step>) -> Vec<Step> {
    // Neither greeting carries capabilities, so the client asks before logging in.
    let mut s = vec![
        send(greeting),
        expect("CAPABILITY"),
        send("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK Thats all she wrote!\r\n"),
        expect("LOGIN"),
        send(&format!("{{tag}} OK [CAPABILITY {caps}] logged in\r\n")),
    ];
    s.extend(rest);
    s.extend([expect("LOGOUT"), send("* BYE bye\r\n{tag} OK\r\n")]);
    s
}

fn plain(rest: Vec<Step>) -> Vec<Step> {
    script("* OK fake ready\r\n", PLAIN_CAPS, rest)
}

async fn connect(server: &FakeServer) -> Session {
    let opts = ConnectOptions::new("127.0.0.1")
        .port(server.port)
        .plaintext()
        .command_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(5))
        .login("user", "secret");
    Session::connect(&opts).await.expect("log in")
}

/// What the client sent, without tags.
async fn commands(server: FakeServer) -> Vec<String> {
    server
        .finish()
        .await
        .into_iter()
        .map(|line| {
            line.split_once(' ')
                .map(|(_, rest)| rest.to_owned())
                .unwrap_or(line)
        })
        .collect()
}

#[tokio::test]
async fn xlist_decodes_gmail_localized_names() {
    let server = FakeServer::start(script(
        GMAIL_GREETING,
        GMAIL_CAPS,
        vec![
            expect("XLIST"),
            send(
                "* XLIST (\\HasNoChildren \\Inbox) \"/\" \"&BBIERQQ+BDQETwRJBDgENQ-\"\r\n\
                 * XLIST (\\HasChildren \\Noselect) \"/\" \"[Gmail]\"\r\n\
                 * XLIST (\\HasNoChildren \\AllMail) \"/\" \"[Gmail]/&BBIEQQRP- &BD8EPgRHBEIEMA-\"\r\n\
                 * XLIST (\\HasNoChildren \\Drafts) \"/\" \"[Gmail]/&BCcENQRABD0EPgQyBDgEOgQ4-\"\r\n\
                 * XLIST (\\HasNoChildren \\Sent) \"/\" \"[Gmail]/&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-\"\r\n\
                 * XLIST (\\HasNoChildren \\Spam) \"/\" \"[Gmail]/&BCEEPwQwBDw-\"\r\n\
                 * XLIST (\\HasNoChildren \\Starred) \"/\" \"[Gmail]/&BB8EPgQ8BDUERwQ1BD0EPQRLBDU-\"\r\n\
                 * XLIST (\\HasNoChildren \\Trash) \"/\" \"[Gmail]/&BBoEPgRABDcEOAQ9BDA-\"\r\n\
                 * XLIST (\\HasNoChildren) \"/\" \"Caf&AOk- &- Co\"\r\n\
                 {tag} OK Success\r\n",
            ),
        ],
    ))
    .await;
    let mut session = connect(&server).await;
    let folders = session.xlist_folders("", "*").await.expect("XLIST");
    let got: Vec<(&str, Vec<&str>)> = folders
        .iter()
        .map(|f| {
            assert_eq!(f.delimiter, Some('/'));
            (
                f.name.as_str(),
                f.attributes.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("Входящие", vec!["\\HasNoChildren", "\\Inbox"]),
            ("[Gmail]", vec!["\\HasChildren", "\\Noselect"]),
            ("[Gmail]/Вся почта", vec!["\\HasNoChildren", "\\AllMail"]),
            ("[Gmail]/Черновики", vec!["\\HasNoChildren", "\\Drafts"]),
            ("[Gmail]/Отправленные", vec!["\\HasNoChildren", "\\Sent"]),
            ("[Gmail]/Спам", vec!["\\HasNoChildren", "\\Spam"]),
            ("[Gmail]/Помеченные", vec!["\\HasNoChildren", "\\Starred"]),
            ("[Gmail]/Корзина", vec!["\\HasNoChildren", "\\Trash"]),
            ("Café & Co", vec!["\\HasNoChildren"]),
        ]
    );
    assert_eq!(session.unsolicited_len(), 0, "every XLIST line was claimed");
    session.logout().await.unwrap();
    assert_eq!(
        commands(server).await,
        ["CAPABILITY", "LOGIN user secret", "XLIST \"\" *", "LOGOUT"]
    );
}

#[tokio::test]
async fn commands_needing_a_missing_capability_send_nothing() {
    let server = FakeServer::start(plain(vec![])).await;
    let mut session = connect(&server).await;
    let missing = |err: Error, cap: &str| match err {
        Error::MissingCapability { capability, .. } => assert_eq!(capability, cap),
        other => panic!("expected MissingCapability {cap}, got {other:?}"),
    };
    missing(session.unselect_folder().await.unwrap_err(), "UNSELECT");
    missing(session.xlist_folders("", "*").await.unwrap_err(), "XLIST");
    missing(session.namespace().await.unwrap_err(), "NAMESPACE");
    missing(session.id(None).await.unwrap_err(), "ID");
    missing(session.enable(&["CONDSTORE"]).await.unwrap_err(), "ENABLE");
    let condstore = SelectOptions::default().condstore(true);
    missing(
        session
            .select_folder_with("INBOX", condstore)
            .await
            .unwrap_err(),
        "CONDSTORE",
    );
    let modseq = StatusItems {
        highest_modseq: true,
        ..StatusItems::NONE
    };
    missing(
        session
            .folder_status("INBOX", Some(modseq))
            .await
            .unwrap_err(),
        "CONDSTORE",
    );
    let size = StatusItems {
        size: true,
        ..StatusItems::NONE
    };
    missing(
        session
            .folder_status("INBOX", Some(size))
            .await
            .unwrap_err(),
        "STATUS=SIZE",
    );
    let deleted = StatusItems {
        deleted: true,
        ..StatusItems::NONE
    };
    missing(
        session
            .folder_status("INBOX", Some(deleted))
            .await
            .unwrap_err(),
        "IMAP4rev2",
    );
    session.logout().await.unwrap();
    // The server saw no UNSELECT, XLIST, NAMESPACE, ID, ENABLE, SELECT or STATUS.
    assert_eq!(
        commands(server).await,
        ["CAPABILITY", "LOGIN user secret", "LOGOUT"]
    );
}

#[tokio::test]
async fn enable_after_select_is_not_sent() {
    let server = FakeServer::start(script(
        "* OK fake ready\r\n",
        "IMAP4rev1 ENABLE CONDSTORE UNSELECT",
        vec![
            expect("SELECT"),
            send("* 0 EXISTS\r\n{tag} OK [READ-WRITE] done\r\n"),
            expect("UNSELECT"),
            send("{tag} OK done\r\n"),
        ],
    ))
    .await;
    let mut session = connect(&server).await;
    session.select_folder("INBOX").await.unwrap();
    session.unselect_folder().await.unwrap();
    assert_eq!(session.selected_folder(), None);
    let err = session.enable(&["CONDSTORE"]).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { what, .. } if what == "ENABLE"),
        "{err:?}"
    );
    session.logout().await.unwrap();
    assert_eq!(
        commands(server).await,
        [
            "CAPABILITY",
            "LOGIN user secret",
            "SELECT INBOX",
            "UNSELECT",
            "LOGOUT"
        ]
    );
}

#[tokio::test]
async fn special_folder_from_attributes_of_a_plain_list() {
    let server = FakeServer::start(plain(vec![
        expect("LIST"),
        send(
            "* LIST (\\HasNoChildren) \".\" INBOX\r\n\
             * LIST (\\Noselect \\Trash) \".\" \"INBOX.Not this one\"\r\n\
             * LIST (\\HasNoChildren \\Trash) \".\" \"INBOX.Poubelle\"\r\n\
             {tag} OK done\r\n",
        ),
    ]))
    .await;
    let mut session = connect(&server).await;
    assert_eq!(
        session
            .find_special_folder(SpecialUse::Trash)
            .await
            .unwrap()
            .as_deref(),
        Some("INBOX.Poubelle")
    );
    session.logout().await.unwrap();
    // Without SPECIAL-USE: a plain LIST, and no NAMESPACE once the attribute was found.
    assert_eq!(
        commands(server).await,
        ["CAPABILITY", "LOGIN user secret", "LIST \"\" *", "LOGOUT"]
    );
}

#[tokio::test]
async fn special_folder_by_usual_name_under_the_personal_namespace() {
    let list = "* LIST (\\HasNoChildren) \".\" INBOX\r\n\
                * LIST (\\HasNoChildren) \".\" \"Sent\"\r\n\
                * LIST (\\HasNoChildren) \".\" \"INBOX.sent items\"\r\n\
                * LIST (\\HasNoChildren) \".\" \"INBOX.&AMk-l&AOk-ments envoy&AOk-s\"\r\n\
                * LIST (\\HasNoChildren) \".\" \"INBOX.SPAM\"\r\n\
                {tag} OK done\r\n";
    let namespace = "* NAMESPACE ((\"INBOX.\" \".\")) NIL NIL\r\n{tag} OK done\r\n";
    let server = FakeServer::start(script(
        "* OK fake ready\r\n",
        "IMAP4rev1 NAMESPACE",
        vec![
            expect("LIST"),
            send(list),
            expect("NAMESPACE"),
            send(namespace),
            expect("LIST"),
            send(list),
            expect("NAMESPACE"),
            send(namespace),
        ],
    ))
    .await;
    let mut session = connect(&server).await;
    // "Sent" outside the personal namespace does not count; "sent items" under it does,
    // case-insensitively. The first LIST is reused for the name lookup.
    assert_eq!(
        session
            .find_special_folder(SpecialUse::Sent)
            .await
            .unwrap()
            .as_deref(),
        Some("INBOX.sent items")
    );
    assert_eq!(
        session
            .find_special_folder(SpecialUse::Junk)
            .await
            .unwrap()
            .as_deref(),
        Some("INBOX.SPAM")
    );
    session.logout().await.unwrap();
    assert_eq!(
        commands(server).await,
        [
            "CAPABILITY",
            "LOGIN user secret",
            "LIST \"\" *",
            "NAMESPACE",
            "LIST \"\" *",
            "NAMESPACE",
            "LOGOUT"
        ]
    );
}

#[tokio::test]
async fn special_use_servers_get_list_special_use() {
    let server = FakeServer::start(script(
        "* OK fake ready\r\n",
        "IMAP4rev1 SPECIAL-USE LIST-EXTENDED",
        vec![
            expect("LIST (SPECIAL-USE)"),
            send(
                "* LIST (\\HasNoChildren \\Sent) \"/\" \"&AMk-l&AOk-ments envoy&AOk-s\"\r\n\
                 {tag} OK done\r\n",
            ),
            expect("LIST (SPECIAL-USE)"),
            send("{tag} OK done\r\n"),
            expect("LIST"),
            send(
                "* LIST (\\HasNoChildren) \"/\" INBOX\r\n\
                 * LIST (\\HasNoChildren) \"/\" \"Deleted Items\"\r\n\
                 {tag} OK done\r\n",
            ),
        ],
    ))
    .await;
    let mut session = connect(&server).await;
    assert_eq!(
        session
            .find_special_folder(SpecialUse::Sent)
            .await
            .unwrap()
            .as_deref(),
        Some("Éléments envoyés")
    );
    // No \Trash folder: without NAMESPACE the prefixes are "" and "INBOX.".
    assert_eq!(
        session
            .find_special_folder(SpecialUse::Trash)
            .await
            .unwrap()
            .as_deref(),
        Some("Deleted Items")
    );
    session.logout().await.unwrap();
    assert_eq!(
        commands(server).await,
        [
            "CAPABILITY",
            "LOGIN user secret",
            "LIST (SPECIAL-USE) \"\" *",
            "LIST (SPECIAL-USE) \"\" *",
            "LIST \"\" *",
            "LOGOUT"
        ]
    );
}

#[tokio::test]
async fn id_and_namespace_on_the_wire() {
    let server = FakeServer::start(script(
        GMAIL_GREETING,
        GMAIL_CAPS,
        vec![
            expect("ID"),
            send("* ID NIL\r\n{tag} OK Success\r\n"),
            expect("ID"),
            send(
                "* ID (\"name\" \"GImap\" \"vendor\" \"Google, Inc.\" \"support-url\" NIL)\r\n\
                 {tag} OK Success\r\n",
            ),
            expect("NAMESPACE"),
            send(
                "* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) \
                 ((\"Dossiers partag&AOk-s/\" \"/\")(\"#news.\" \".\")(\"flat\" NIL))\r\n\
                 {tag} OK Success\r\n",
            ),
        ],
    ))
    .await;
    let mut session = connect(&server).await;
    assert_eq!(session.id(None).await.unwrap(), None);
    let id = session
        .id(Some(&[("name", "imap-async"), ("os", "say \"hi\"")]))
        .await
        .unwrap()
        .expect("fields");
    assert_eq!(
        id.fields,
        vec![
            ("name".to_owned(), Some("GImap".to_owned())),
            ("vendor".to_owned(), Some("Google, Inc.".to_owned())),
            ("support-url".to_owned(), None),
        ]
    );
    assert_eq!(id.get("Vendor"), Some("Google, Inc."));
    assert_eq!(id.get("support-url"), None);

    let ns = session.namespace().await.unwrap();
    let n = |prefix: &str, delimiter: Option<char>| Namespace {
        prefix: prefix.to_owned(),
        delimiter,
    };
    assert_eq!(ns.personal, vec![n("", Some('/'))]);
    assert_eq!(ns.other_users, vec![n("~", Some('/'))]);
    assert_eq!(
        ns.shared,
        vec![
            n("Dossiers partagés/", Some('/')),
            n("#news.", Some('.')),
            n("flat", None)
        ]
    );
    session.logout().await.unwrap();
    assert_eq!(
        commands(server).await,
        [
            "CAPABILITY",
            "LOGIN user secret",
            "ID NIL",
            "ID (\"name\" \"imap-async\" \"os\" \"say \\\"hi\\\"\")",
            "NAMESPACE",
            "LOGOUT"
        ]
    );
}

#[tokio::test]
async fn status_picks_its_folder_and_queues_the_others() {
    let server = FakeServer::start(plain(vec![
        expect("STATUS"),
        send(
            "* STATUS Other (MESSAGES 9)\r\n\
             * STATUS \"say \\\"hi\\\"\" (MESSAGES 2 RECENT 0 UIDNEXT 5 UIDVALIDITY 77 UNSEEN 1)\r\n\
             {tag} OK done\r\n",
        ),
        expect("STATUS"),
        send("* STATUS Other (MESSAGES 9)\r\n{tag} OK done\r\n"),
    ]))
    .await;
    let mut session = connect(&server).await;
    let status = session.folder_status("say \"hi\"", None).await.unwrap();
    assert_eq!(status.name, "say \"hi\"");
    assert_eq!(
        (
            status.messages,
            status.recent,
            status.uid_next,
            status.uid_validity,
            status.unseen
        ),
        (Some(2), Some(0), Some(5), Some(77), Some(1))
    );
    assert_eq!(status.highest_modseq, None);
    let queued = session.take_unsolicited();
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert!(
        matches!(&queued[0], imap_async::proto::Untagged::MailboxStatus(st) if &st.mailbox[..] == b"Other"),
        "{queued:?}"
    );
    // A server that answers about another folder only is caught.
    let err = session.folder_status("Mine", None).await.unwrap_err();
    assert!(
        matches!(&err, Error::Protocol(m) if m.contains("Mine")),
        "{err:?}"
    );
    assert_eq!(
        session.unsolicited_len(),
        1,
        "the answer about Other is kept"
    );
    session.logout().await.unwrap();
    assert_eq!(
        commands(server).await,
        [
            "CAPABILITY",
            "LOGIN user secret",
            "STATUS \"say \\\"hi\\\"\" (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)",
            "STATUS Mine (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)",
            "LOGOUT"
        ]
    );
}
