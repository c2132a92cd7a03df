//! Message commands against scripted servers, for what Dovecot cannot show: Gmail's
//! X-GM-LABELS capability check (the label exchange itself is in the quirk corpus,
//! `tests/quirks/gmail-x-gm-labels.imap`), MOVE's fallback on a server without MOVE,
//! the exact bytes of APPEND, and one message's data split over several FETCH responses.

use imap_async::proto::Untagged;
use imap_async::session::AppendMessage;
use imap_async::{ConnectOptions, Error, SeqSet, Session, Uid, UidSet};
use imap_async_tests::fake::{FakeServer, Step, expect, send};

fn opts(server: &FakeServer) -> ConnectOptions {
    server.options().login("someone@gmail.com", "app-password")
}

/// Greeting and login of a server advertising `caps` after login.
fn login(caps: &str) -> Vec<Step> {
    vec![
        send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake ready\r\n"),
        expect("LOGIN"),
        Step::Send(format!("{{tag}} OK [CAPABILITY {caps}] logged in\r\n")),
    ]
}

fn logout() -> Vec<Step> {
    vec![expect("LOGOUT"), send("* BYE bye\r\n{tag} OK\r\n")]
}

fn script(caps: &str, rest: Vec<Step>) -> Vec<Step> {
    let mut s = login(caps);
    s.extend(rest);
    s.extend(logout());
    s
}

fn uids(s: &str) -> UidSet {
    s.parse().unwrap()
}

fn uid(n: u32) -> Uid {
    Uid::new(n).unwrap()
}

#[tokio::test]
async fn gmail_labels_need_x_gm_ext_1_and_nothing_is_sent_without_it() {
    let server = FakeServer::start(script("IMAP4rev1 UIDPLUS", vec![])).await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    for result in [
        session.get_gmail_labels(&uids("1")).await,
        session.add_gmail_labels(&uids("1"), &["x"]).await,
    ] {
        match result {
            Err(Error::MissingCapability { capability, .. }) => {
                assert_eq!(capability, "X-GM-EXT-1")
            }
            other => panic!("expected a missing capability, got {other:?}"),
        }
    }
    session.logout().await.unwrap();
    let lines = server.finish().await;
    assert!(lines[1].ends_with(" LOGOUT"), "{lines:?}");
}

#[tokio::test]
async fn move_without_move_is_copy_store_and_uid_expunge_of_exactly_the_copied_uids() {
    let server = FakeServer::start(script(
        "IMAP4rev1 UIDPLUS",
        vec![
            expect("UID COPY"),
            send("{tag} OK [COPYUID 7 4:5 10:11] Copied\r\n"),
            expect("UID STORE"),
            send("{tag} OK Stored\r\n"),
            expect("UID EXPUNGE"),
            send("* 3 EXPUNGE\r\n* 3 EXPUNGE\r\n{tag} OK Expunged\r\n"),
        ],
    ))
    .await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    let moved = session
        .move_messages(&uids("4:5,20"), "Archive")
        .await
        .unwrap()
        .expect("COPYUID");
    assert_eq!(moved.uid_validity, 7);
    assert_eq!(moved.source, uids("4:5"));
    assert_eq!(moved.destination, uids("10:11"));
    assert_eq!(
        moved.pairs().collect::<Vec<_>>(),
        [(uid(4), uid(10)), (uid(5), uid(11))]
    );
    // The expunges renumber the folder: they are left for the caller.
    assert_eq!(
        session.take_unsolicited(),
        [Untagged::Expunge(3), Untagged::Expunge(3)]
    );
    session.logout().await.unwrap();
    let lines = server.finish().await;
    let sent: Vec<&str> = lines.iter().map(|l| l.split_once(' ').unwrap().1).collect();
    assert_eq!(
        &sent[1..],
        [
            "UID COPY 4:5,20 Archive",
            // Only what the server says it copied (UID 20 does not exist).
            "UID STORE 4:5 +FLAGS.SILENT (\\Deleted)",
            "UID EXPUNGE 4:5",
            "LOGOUT",
        ]
    );
}

#[tokio::test]
async fn move_without_move_by_sequence_numbers_switches_to_uids_after_the_copy() {
    let server = FakeServer::start(script(
        "IMAP4rev1 UIDPLUS",
        vec![
            expect("COPY 2:3"),
            send("{tag} OK [COPYUID 7 8,12 30:31] Copied\r\n"),
            expect("UID STORE"),
            send("{tag} OK Stored\r\n"),
            expect("UID EXPUNGE"),
            send("* 2 EXPUNGE\r\n* 2 EXPUNGE\r\n{tag} OK Expunged\r\n"),
        ],
    ))
    .await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    let seqs: SeqSet = "2:3".parse().unwrap();
    let moved = session.move_messages(&seqs, "Archive").await.unwrap();
    assert_eq!(moved.map(|m| m.source), Some(uids("8,12")));
    session.logout().await.unwrap();
    let lines = server.finish().await;
    let sent: Vec<&str> = lines.iter().map(|l| l.split_once(' ').unwrap().1).collect();
    assert_eq!(
        &sent[1..],
        [
            "COPY 2:3 Archive",
            "UID STORE 8,12 +FLAGS.SILENT (\\Deleted)",
            "UID EXPUNGE 8,12",
            "LOGOUT",
        ]
    );
}

#[tokio::test]
async fn move_without_copyuid_leaves_the_originals_alone() {
    let server = FakeServer::start(script(
        "IMAP4rev1 UIDPLUS",
        vec![
            expect("UID COPY"),
            send("{tag} OK [UIDNOTSTICKY] Copied\r\n"),
        ],
    ))
    .await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    let err = session
        .move_messages(&uids("4"), "Archive")
        .await
        .expect_err("no COPYUID, no expunge");
    assert!(err.to_string().contains("COPYUID"), "{err}");
    session.logout().await.unwrap();
    let lines = server.finish().await;
    assert_eq!(lines.len(), 3, "nothing after the COPY: {lines:?}");
    assert!(lines[2].ends_with(" LOGOUT"));
}

#[tokio::test]
async fn move_without_move_or_uidplus_is_refused_before_sending() {
    let server = FakeServer::start(script("IMAP4rev1", vec![])).await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    match session.move_messages(&uids("1:3"), "Archive").await {
        Err(Error::MissingCapability {
            capability,
            needed_for,
        }) => {
            assert_eq!(capability, "MOVE or UIDPLUS");
            assert!(needed_for.contains("\\Deleted"), "{needed_for}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    session.logout().await.unwrap();
    let lines = server.finish().await;
    assert_eq!(lines.len(), 2, "{lines:?}");
}

#[tokio::test]
async fn move_takes_copyuid_from_the_untagged_ok() {
    let server = FakeServer::start(script(
        "IMAP4rev1 MOVE UIDPLUS",
        vec![
            expect("UID MOVE 4 Archive"),
            send("* OK [COPYUID 7 4 10] Moved UIDs.\r\n* 2 EXPUNGE\r\n{tag} OK Move completed\r\n"),
        ],
    ))
    .await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    let moved = session.move_messages(&uids("4"), "Archive").await.unwrap();
    assert_eq!(moved.map(|m| m.destination), Some(uids("10")));
    assert_eq!(session.take_unsolicited(), [Untagged::Expunge(2)]);
    session.logout().await.unwrap();
    server.finish().await;
}

#[tokio::test]
async fn append_sends_the_date_in_its_own_offset_and_the_data_byte_exact() {
    // No LITERAL+: the client must wait for "+" before the data.
    let server = FakeServer::start(script(
        "IMAP4rev1 UIDPLUS",
        vec![
            expect("APPEND"),
            send("{tag} OK [APPENDUID 38505 3955] APPEND completed\r\n"),
        ],
    ))
    .await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    let date = chrono::DateTime::parse_from_rfc3339("2024-03-10T01:30:00-07:00").unwrap();
    let data = b"Subject: bare\n\nline with a bare LF\nand CRLF\r\n".to_vec();
    let n = data.len();
    let stored = session
        .append("Saved", data, &["\\Seen", "$Junk"], Some(date))
        .await
        .unwrap()
        .expect("APPENDUID");
    assert_eq!(stored.uid_validity, 38505);
    assert_eq!(stored.uids, uids("3955"));
    session.logout().await.unwrap();
    let lines = server.finish().await;
    assert_eq!(
        lines[1].split_once(' ').unwrap().1,
        format!(
            "APPEND Saved (\\Seen $Junk) \"10-Mar-2024 01:30:00 -0700\" {{{n}}}\
             Subject: bare\n\nline with a bare LF\nand CRLF\r\n"
        )
    );
}

#[tokio::test]
async fn multiappend_is_one_command_with_several_literals() {
    let server = FakeServer::start(script(
        "IMAP4rev1 UIDPLUS MULTIAPPEND LITERAL+",
        vec![
            expect("APPEND"),
            send("{tag} OK [APPENDUID 7 20:22] done\r\n"),
        ],
    ))
    .await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    let date = chrono::DateTime::parse_from_rfc3339("2023-11-05T01:30:00+05:30").unwrap();
    let messages = [
        AppendMessage::new(&b"A\r\n"[..]),
        AppendMessage::new(&b"BB\r\n"[..]).flags([imap_async::Flag::Flagged]),
        AppendMessage::new(&b"CCC\r\n"[..]).internal_date(date),
    ];
    let stored = session.multiappend("Inbox", &messages).await.unwrap();
    assert_eq!(stored.map(|s| s.uids), Some(uids("20:22")));
    session.logout().await.unwrap();
    let lines = server.finish().await;
    assert_eq!(
        lines[1].split_once(' ').unwrap().1,
        "APPEND Inbox {3+}A\r\n (\\Flagged) {4+}BB\r\n \"05-Nov-2023 01:30:00 +0530\" {5+}CCC\r\n"
    );
}

#[tokio::test]
async fn multiappend_needs_the_capability() {
    let server = FakeServer::start(script("IMAP4rev1 UIDPLUS", vec![])).await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    let err = session
        .multiappend("Inbox", &[AppendMessage::new(&b"A\r\n"[..])])
        .await
        .expect_err("no MULTIAPPEND");
    assert!(
        matches!(&err, Error::MissingCapability { capability, .. } if capability == "MULTIAPPEND"),
        "{err:?}"
    );
    session.logout().await.unwrap();
    assert_eq!(server.finish().await.len(), 2);
}

/// A server may answer one message in several FETCH responses, not necessarily next to each
/// other, and need not send them in order (RFC 3501 §7.4.2 does not promise either):
/// `Session::fetch` gives one `Fetched` per message, its items merged in the order received,
/// messages in the order first seen.
#[tokio::test]
async fn fetch_merges_responses_split_per_message_in_any_order() {
    let server = FakeServer::start(script(
        "IMAP4rev1",
        vec![
            expect("SELECT INBOX"),
            send("* 5 EXISTS\r\n{tag} OK [READ-WRITE] selected\r\n"),
            expect("UID FETCH 1:* (UID FLAGS RFC822.SIZE)"),
            send(
                "* 1 FETCH (UID 11 FLAGS (\\Seen))\r\n\
                 * 2 FETCH (UID 12 FLAGS ())\r\n\
                 * 2 FETCH (UID 12 RFC822.SIZE 200)\r\n\
                 * 4 FETCH (UID 14 FLAGS ())\r\n\
                 * 3 FETCH (UID 13 FLAGS (\\Flagged) RFC822.SIZE 300)\r\n\
                 * 1 FETCH (UID 11 RFC822.SIZE 100)\r\n\
                 * 4 FETCH (UID 14 RFC822.SIZE 400)\r\n\
                 * 5 FETCH (UID 15 FLAGS () RFC822.SIZE 500)\r\n\
                 {tag} OK done\r\n",
            ),
        ],
    ))
    .await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    session.select_folder("INBOX").await.unwrap();
    let got = session
        .fetch(&UidSet::all(), "(UID FLAGS RFC822.SIZE)")
        .await
        .unwrap();
    let seqs: Vec<u32> = got.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, [1, 2, 4, 3, 5]);
    for m in &got {
        let uid = m.uid().expect("uid").get();
        assert_eq!(uid, 10 + m.seq, "{m:?}");
        assert_eq!(m.size(), Some(100 * u64::from(m.seq)), "{m:?}");
        assert!(m.flags().is_some(), "{m:?}");
    }
    assert_eq!(got[0].flags(), Some(vec![imap_async::Flag::Seen]));
    assert_eq!(got[3].flags(), Some(vec![imap_async::Flag::Flagged]));
    // Items in the order received: the second response's items after the first's.
    assert_eq!(got[0].items.len(), 4);
    assert!(matches!(
        got[0].items.to_vec()[3],
        imap_async::proto::FetchItem::Rfc822Size(100)
    ));
    session.logout().await.unwrap();
    server.finish().await;
}
