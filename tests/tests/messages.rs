//! Message commands against the real servers (Dovecot, Cyrus): APPEND/MULTIAPPEND with
//! APPENDUID, COPY and MOVE with COPYUID, STORE flags (plain and silent), EXPUNGE and UID
//! EXPUNGE, by UID and by sequence number.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use imap_async::proto::Untagged;
use imap_async::session::AppendMessage;
use imap_async::{ConnectOptions, Error, Flag, Seq, SeqSet, Session, Uid, UidSet};
use imap_async_tests::{ImapServer, TestUser, on_both_servers};

fn message(n: u32) -> Vec<u8> {
    format!(
        "From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\n\
         Subject: message {n}\r\nMessage-ID: <{n}@example.org>\r\n\r\nBody {n}.\r\n"
    )
    .into_bytes()
}

fn options(server: &dyn ImapServer, user: &TestUser) -> ConnectOptions {
    server.plaintext_options(user)
}

async fn connect(server: &dyn ImapServer, user: &TestUser) -> Session {
    Session::connect(&options(server, user)).await.unwrap()
}

fn create_folder(server: &dyn ImapServer, user: &TestUser, folder: &str) {
    server.create_folder(&user.name, folder);
}

/// A user with messages 1..=n in INBOX. A first session selects INBOX and leaves, so that
/// `\Recent` (given to the first session that sees a message) is gone and flags are exact.
async fn user_with_messages(server: &dyn ImapServer, n: u32) -> TestUser {
    let user = server.new_user();
    for i in 1..=n {
        server.append_message(&user.name, "INBOX", &message(i));
    }
    let mut s = connect(server, &user).await;
    s.select_folder("INBOX").await.unwrap();
    s.logout().await.unwrap();
    user
}

fn date(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn sorted(mut v: Vec<Flag>) -> Vec<Flag> {
    v.sort();
    v
}

/// Flags from their wire form, sorted (flags compare without case, RFC 9051 §9).
fn strings(v: &[&str]) -> Vec<Flag> {
    sorted(v.iter().map(Flag::from).collect())
}

fn seqs(s: &str) -> SeqSet {
    s.parse().unwrap()
}

/// Message-ID of every message of the selected folder, by UID.
async fn message_ids(session: &mut Session, set: &UidSet) -> BTreeMap<Uid, String> {
    let mut out = BTreeMap::new();
    for m in session
        .fetch(set, "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        .await
        .unwrap()
    {
        let header = m.body("HEADER.FIELDS (MESSAGE-ID)").expect("header");
        let text = String::from_utf8_lossy(&header);
        let id = text
            .trim()
            .strip_prefix("Message-ID: ")
            .expect("Message-ID header")
            .to_owned();
        out.insert(m.uid().expect("UID"), id);
    }
    out
}

async fn append_keeps_flags_and_the_exact_instant_of_dates_with_their_offset(
    server: &dyn ImapServer,
) {
    let user = server.new_user();
    create_folder(server, &user, "Saved");
    let mut session = connect(server, &user).await;
    // -0700 in winter and in summer, the night the US changed to DST (2024-03-10 02:00
    // local) and the night it changed back (2023-11-05 02:00 local, 01:30 exists twice):
    // IMAPClient normalises with the current offset and gets some of these an hour off.
    let dates = [
        date("2024-01-15T12:00:00-07:00"),
        date("2024-07-15T12:00:00-07:00"),
        date("2024-03-10T01:30:00-07:00"),
        date("2024-03-10T03:30:00-06:00"),
        date("2023-11-05T01:30:00-06:00"),
        date("2023-11-05T01:30:00-07:00"),
        date("1999-12-31T23:59:59+05:30"),
    ];
    let mut stored = Vec::new();
    for (i, d) in dates.iter().enumerate() {
        let appended = session
            .append("Saved", message(i as u32), &["\\Seen", "$Junk"], Some(*d))
            .await
            .unwrap()
            .expect("both servers have UIDPLUS: APPENDUID");
        assert_eq!(appended.uids.count(), Some(1));
        stored.push(appended);
    }
    let info = session.select_folder("Saved").await.unwrap();
    for (appended, sent) in stored.iter().zip(&dates) {
        assert_eq!(Some(appended.uid_validity), info.uid_validity);
        let fetched = session
            .fetch(&appended.uids, "(UID FLAGS INTERNALDATE)")
            .await
            .unwrap();
        assert_eq!(fetched.len(), 1);
        let got = fetched[0].internal_date().expect("INTERNALDATE");
        // Same instant (DateTime equality compares instants). Dovecot's maildir keeps the
        // instant only (the file's mtime) and reports it in the server's zone, so the
        // offset cannot come back from this server; that it is sent as given ("-0700") is
        // checked byte for byte in messages_transcripts.rs.
        assert_eq!(got, *sent, "{got} vs {sent}");
        assert_eq!(got.timestamp(), sent.timestamp());
        // ...and the flags, with \Recent (a session flag) left aside.
        let flags: Vec<Flag> = fetched[0]
            .flags()
            .unwrap()
            .into_iter()
            .filter(|f| *f != Flag::Recent)
            .collect();
        assert_eq!(sorted(flags), strings(&["$Junk", "\\Seen"]));
    }
    // Consecutive appends get ascending UIDs, and UID SEARCH shows exactly those.
    let mut all = UidSet::new();
    for a in &stored {
        all.union_with(&a.uids);
    }
    assert_eq!(session.search("ALL").await.unwrap(), all);
    session.logout().await.unwrap();
}
on_both_servers!(append_keeps_flags_and_the_exact_instant_of_dates_with_their_offset);

async fn append_keeps_the_bytes_and_reports_trycreate(server: &dyn ImapServer) {
    let user = server.new_user();
    let mut session = connect(server, &user).await;
    let data = message(7);
    let appended = session
        .append("INBOX", data.clone(), imap_async::Flag::NONE, None)
        .await
        .unwrap()
        .expect("APPENDUID");
    session.select_folder("INBOX").await.unwrap();
    let fetched = session.fetch(&appended.uids, "BODY.PEEK[]").await.unwrap();
    assert_eq!(&fetched[0].body("").unwrap()[..], &data[..]);
    assert_eq!(fetched[0].flags(), None);
    match session
        .append("Nowhere", data, imap_async::Flag::NONE, None)
        .await
    {
        Err(Error::No { code, .. }) => {
            assert_eq!(code, Some(imap_async::proto::ResponseCode::TryCreate))
        }
        other => panic!("expected NO [TRYCREATE], got {other:?}"),
    }
    let err = session
        .append("INBOX", message(8), &["\\Se en"], None)
        .await
        .expect_err("invalid flag");
    assert!(matches!(err, Error::Encode(_)), "{err:?}");
    session.noop().await.expect("nothing half-sent");
    session.logout().await.unwrap();
}
on_both_servers!(append_keeps_the_bytes_and_reports_trycreate);

async fn multiappend_stores_three_messages_in_order(server: &dyn ImapServer) {
    let user = server.new_user();
    create_folder(server, &user, "Batch");
    let mut session = connect(server, &user).await;
    let messages = [
        AppendMessage::new(message(1)),
        AppendMessage::new(message(2)).flags([Flag::Flagged]),
        AppendMessage::new(message(3))
            .flags([Flag::Seen, Flag::keyword("$Work")])
            .internal_date(date("2020-02-29T23:00:00-07:00")),
    ];
    let appended = session
        .multiappend("Batch", &messages)
        .await
        .unwrap()
        .expect("APPENDUID");
    assert_eq!(appended.uids.count(), Some(3));
    let info = session.select_folder("Batch").await.unwrap();
    assert_eq!(info.exists, 3);
    assert_eq!(Some(appended.uid_validity), info.uid_validity);
    assert_eq!(session.search("ALL").await.unwrap(), appended.uids);
    let ids = message_ids(&mut session, &appended.uids).await;
    let in_order: Vec<&str> = ids.values().map(String::as_str).collect();
    assert_eq!(
        in_order,
        ["<1@example.org>", "<2@example.org>", "<3@example.org>"]
    );
    let flags = session.get_flags(&appended.uids).await.unwrap();
    let flags: Vec<Vec<Flag>> = flags
        .into_values()
        .map(|f| sorted(f.into_iter().filter(|f| *f != Flag::Recent).collect()))
        .collect();
    assert_eq!(
        flags,
        [
            strings(&[]),
            strings(&["\\Flagged"]),
            strings(&["$Work", "\\Seen"])
        ]
    );
    let third: UidSet = appended.uids.iter().unwrap().nth(2).into_iter().collect();
    let fetched = session.fetch(&third, "INTERNALDATE").await.unwrap();
    assert_eq!(
        fetched[0].internal_date(),
        Some(date("2020-02-29T23:00:00-07:00"))
    );
    session.logout().await.unwrap();
}
on_both_servers!(multiappend_stores_three_messages_in_order);

async fn copyuid_matches_the_messages_in_the_destination(server: &dyn ImapServer) {
    let user = user_with_messages(server, 4).await;
    create_folder(server, &user, "Archive");
    let mut session = connect(server, &user).await;
    session.select_folder("INBOX").await.unwrap();
    let source_ids = message_ids(&mut session, &UidSet::all()).await;
    let all: Vec<Uid> = source_ids.keys().copied().collect();

    // By UID: messages 2 and 4.
    let by_uid: UidSet = [all[1], all[3]].into_iter().collect();
    let copied = session
        .copy(&by_uid, "Archive")
        .await
        .unwrap()
        .expect("COPYUID");
    assert_eq!(copied.source, by_uid);
    // By sequence number: message 1.
    let copied_seq = session
        .copy(&seqs("1"), "Archive")
        .await
        .unwrap()
        .expect("COPYUID");
    assert_eq!(copied_seq.source, [all[0]].into_iter().collect::<UidSet>());
    assert_eq!(copied.uid_validity, copied_seq.uid_validity);

    let info = session.examine_folder("Archive").await.unwrap();
    assert_eq!(info.uid_validity, Some(copied.uid_validity));
    let dest_ids = message_ids(&mut session, &UidSet::all()).await;
    assert_eq!(dest_ids.len(), 3);
    for c in [&copied, &copied_seq] {
        for (from, to) in c.pairs() {
            assert_eq!(dest_ids[&to], source_ids[&from]);
        }
    }
    // The source is unchanged.
    session.select_folder("INBOX").await.unwrap();
    assert_eq!(message_ids(&mut session, &UidSet::all()).await, source_ids);
    session.logout().await.unwrap();
}
on_both_servers!(copyuid_matches_the_messages_in_the_destination);

async fn move_with_move_by_uid_and_by_sequence_number(server: &dyn ImapServer) {
    let user = user_with_messages(server, 4).await;
    create_folder(server, &user, "Archive");
    let mut session = connect(server, &user).await;
    assert!(session.has_capability("MOVE").await.unwrap());
    session.select_folder("INBOX").await.unwrap();
    let source_ids = message_ids(&mut session, &UidSet::all()).await;
    let all: Vec<Uid> = source_ids.keys().copied().collect();

    let by_uid: UidSet = [all[2]].into_iter().collect();
    let moved = session
        .move_messages(&by_uid, "Archive")
        .await
        .unwrap()
        .expect("COPYUID from the untagged OK");
    assert_eq!(moved.source, by_uid);
    assert_eq!(session.take_unsolicited(), [Untagged::Expunge(3)]);

    // Now INBOX is [all[0], all[1], all[3]]: sequence numbers 1 and 3.
    let moved_seq = session
        .move_messages(&seqs("1,3"), "Archive")
        .await
        .unwrap()
        .expect("COPYUID");
    assert_eq!(moved_seq.source, [all[0], all[3]].into_iter().collect());
    let expunged = session.take_unsolicited();
    assert_eq!(expunged.len(), 2, "{expunged:?}");

    assert_eq!(
        session.search("ALL").await.unwrap(),
        [all[1]].into_iter().collect()
    );
    let archive = session.examine_folder("Archive").await.unwrap();
    let dest_ids = message_ids(&mut session, &UidSet::all()).await;
    assert_eq!(dest_ids.len(), 3);
    for c in [&moved, &moved_seq] {
        assert_eq!(Some(c.uid_validity), archive.uid_validity);
        for (from, to) in c.pairs() {
            assert_eq!(dest_ids[&to], source_ids[&from]);
        }
    }
    session.logout().await.unwrap();
}
on_both_servers!(move_with_move_by_uid_and_by_sequence_number);

async fn delete_and_expunge_report_the_right_sequence_numbers(server: &dyn ImapServer) {
    let user = user_with_messages(server, 6).await;
    let mut session = connect(server, &user).await;
    session.select_folder("INBOX").await.unwrap();
    let before: Vec<Uid> = message_ids(&mut session, &UidSet::all())
        .await
        .into_keys()
        .collect();

    // Sequence numbers 2 and 4 silently, UID of message 5 with the flags reported.
    let none = session.delete_messages(&seqs("2,4"), true).await.unwrap();
    assert!(none.is_empty());
    let by_uid: UidSet = [before[4]].into_iter().collect();
    let shown = session.delete_messages(&by_uid, false).await.unwrap();
    assert_eq!(
        shown,
        [(before[4], strings(&["\\Deleted"]))].into_iter().collect()
    );

    let gone = session.expunge().await.unwrap();
    assert!(gone.vanished.is_empty());
    assert_eq!(gone.seqs.len(), 3);
    // Replay the EXPUNGEs (each relative to the mailbox after the previous ones).
    let mut left = before.clone();
    let mut removed = Vec::new();
    for s in &gone.seqs {
        removed.push(left.remove(s.get() as usize - 1));
    }
    removed.sort();
    assert_eq!(removed, [before[1], before[3], before[4]]);
    assert_eq!(
        session.search("ALL").await.unwrap(),
        left.iter().copied().collect()
    );
    assert!(
        !session
            .take_unsolicited()
            .iter()
            .any(|u| matches!(u, Untagged::Expunge(_))),
        "EXPUNGE responses are returned, not queued"
    );
    assert!(session.expunge().await.unwrap().seqs.is_empty());
    session.logout().await.unwrap();
}
on_both_servers!(delete_and_expunge_report_the_right_sequence_numbers);

async fn uid_expunge_removes_only_the_given_uids(server: &dyn ImapServer) {
    let user = user_with_messages(server, 4).await;
    let mut session = connect(server, &user).await;
    session.select_folder("INBOX").await.unwrap();
    let all: Vec<Uid> = session
        .search("ALL")
        .await
        .unwrap()
        .iter()
        .unwrap()
        .collect();
    let deleted: UidSet = all[..3].iter().copied().collect();
    session.delete_messages(&deleted, true).await.unwrap();
    let target: UidSet = [all[1]].into_iter().collect();
    let gone = session.uid_expunge(&target).await.unwrap();
    assert_eq!(gone.seqs, [Seq::new(2).unwrap()]);
    assert_eq!(
        session.search("ALL").await.unwrap(),
        [all[0], all[2], all[3]].into_iter().collect()
    );
    assert_eq!(
        session.search("DELETED").await.unwrap(),
        [all[0], all[2]].into_iter().collect()
    );
    session.logout().await.unwrap();
}
on_both_servers!(uid_expunge_removes_only_the_given_uids);

async fn expunge_reports_vanished_uids_once_qresync_is_enabled(server: &dyn ImapServer) {
    let user = user_with_messages(server, 3).await;
    let mut session = connect(server, &user).await;
    let enabled = session.enable(&["QRESYNC"]).await.unwrap();
    assert!(enabled.iter().any(|e| e == "QRESYNC"), "{enabled:?}");
    session.select_folder("INBOX").await.unwrap();
    let all: Vec<Uid> = session
        .search("ALL")
        .await
        .unwrap()
        .iter()
        .unwrap()
        .collect();
    let target: UidSet = [all[0], all[2]].into_iter().collect();
    session.delete_messages(&target, true).await.unwrap();
    let gone = session.expunge().await.unwrap();
    assert!(gone.seqs.is_empty(), "{gone:?}");
    assert_eq!(gone.vanished, target);
    session.logout().await.unwrap();
}
on_both_servers!(expunge_reports_vanished_uids_once_qresync_is_enabled);

async fn flag_operations_give_the_exact_resulting_flags_by_uid(server: &dyn ImapServer) {
    let user = user_with_messages(server, 3).await;
    let mut session = connect(server, &user).await;
    session.select_folder("INBOX").await.unwrap();
    let all: Vec<Uid> = session
        .search("ALL")
        .await
        .unwrap()
        .iter()
        .unwrap()
        .collect();
    let first_two: UidSet = all[..2].iter().copied().collect();
    let each = |flags: &[&str]| -> BTreeMap<Uid, Vec<Flag>> {
        all[..2].iter().map(|u| (*u, strings(flags))).collect()
    };
    let normalise = |m: BTreeMap<Uid, Vec<Flag>>| -> BTreeMap<Uid, Vec<Flag>> {
        m.into_iter().map(|(k, v)| (k, sorted(v))).collect()
    };

    let added = session
        .add_flags(&first_two, &["\\Flagged", "$Work", "\\Seen"])
        .await
        .unwrap();
    assert_eq!(normalise(added), each(&["$Work", "\\Flagged", "\\Seen"]));
    let removed = session.remove_flags(&first_two, &["\\Seen"]).await.unwrap();
    assert_eq!(normalise(removed), each(&["$Work", "\\Flagged"]));
    let set = session
        .set_flags(&first_two, &["\\Answered", "$Junk"])
        .await
        .unwrap();
    assert_eq!(normalise(set), each(&["$Junk", "\\Answered"]));
    let got = session.get_flags(&UidSet::all()).await.unwrap();
    let mut want = each(&["$Junk", "\\Answered"]);
    want.insert(all[2], vec![]);
    assert_eq!(normalise(got), want);
    let cleared = session
        .set_flags(&first_two, imap_async::Flag::NONE)
        .await
        .unwrap();
    assert_eq!(normalise(cleared), each(&[]));
    session.logout().await.unwrap();
}
on_both_servers!(flag_operations_give_the_exact_resulting_flags_by_uid);

async fn flag_operations_give_the_exact_resulting_flags_by_sequence_number(
    server: &dyn ImapServer,
) {
    let user = user_with_messages(server, 3).await;
    let mut session = connect(server, &user).await;
    session.select_folder("INBOX").await.unwrap();
    let s = |n: u32| Seq::new(n).unwrap();
    let added = session.add_flags(&seqs("2:3"), &["\\Seen"]).await.unwrap();
    assert_eq!(
        added,
        [(s(2), strings(&["\\Seen"])), (s(3), strings(&["\\Seen"]))]
            .into_iter()
            .collect()
    );
    let removed = session.remove_flags(&seqs("3"), &["\\Seen"]).await.unwrap();
    assert_eq!(removed, [(s(3), vec![])].into_iter().collect());
    let set = session.set_flags(&seqs("1"), &["$Later"]).await.unwrap();
    assert_eq!(set, [(s(1), strings(&["$Later"]))].into_iter().collect());
    let got = session.get_flags(&seqs("1:*")).await.unwrap();
    assert_eq!(
        got,
        [
            (s(1), strings(&["$Later"])),
            (s(2), strings(&["\\Seen"])),
            (s(3), vec![])
        ]
        .into_iter()
        .collect()
    );
    session.logout().await.unwrap();
}
on_both_servers!(flag_operations_give_the_exact_resulting_flags_by_sequence_number);

async fn silent_variants_return_nothing_and_change_the_flags(server: &dyn ImapServer) {
    let user = user_with_messages(server, 2).await;
    let mut session = connect(server, &user).await;
    session.select_folder("INBOX").await.unwrap();
    let all = session.search("ALL").await.unwrap();
    let first: Uid = all.iter().unwrap().next().unwrap();
    let one: UidSet = [first].into_iter().collect();

    let () = session
        .add_flags_silent(&one, &["\\Flagged", "$A"])
        .await
        .unwrap();
    assert_eq!(
        sorted(session.get_flags(&one).await.unwrap()[&first].clone()),
        strings(&["$A", "\\Flagged"])
    );
    session.remove_flags_silent(&one, &["$A"]).await.unwrap();
    assert_eq!(
        sorted(session.get_flags(&one).await.unwrap()[&first].clone()),
        strings(&["\\Flagged"])
    );
    session
        .set_flags_silent(&seqs("1:2"), &["\\Draft"])
        .await
        .unwrap();
    let got = session.get_flags(&all).await.unwrap();
    assert!(got.values().all(|f| *f == strings(&["\\Draft"])), "{got:?}");
    assert_eq!(got.len(), 2);
    let queued = session.take_unsolicited();
    assert!(
        !queued.iter().any(|u| matches!(u, Untagged::Fetch { .. })),
        "{queued:?}"
    );
    session.logout().await.unwrap();
}
on_both_servers!(silent_variants_return_nothing_and_change_the_flags);

async fn store_keeps_other_clients_changes_unsolicited(server: &dyn ImapServer) {
    let user = user_with_messages(server, 2).await;
    let mut session = connect(server, &user).await;
    let mut other = connect(server, &user).await;
    session.select_folder("INBOX").await.unwrap();
    other.select_folder("INBOX").await.unwrap();
    let all: Vec<Uid> = session
        .search("ALL")
        .await
        .unwrap()
        .iter()
        .unwrap()
        .collect();

    // Another client flags message 2; our STORE on message 1 learns of it too.
    let second: UidSet = [all[1]].into_iter().collect();
    other.add_flags_silent(&second, &["$Other"]).await.unwrap();
    let first: UidSet = [all[0]].into_iter().collect();
    let ours = session.add_flags(&first, &["\\Seen"]).await.unwrap();
    assert_eq!(ours, [(all[0], strings(&["\\Seen"]))].into_iter().collect());
    let queued = session.take_unsolicited();
    assert!(
        queued
            .iter()
            .any(|u| matches!(u, Untagged::Fetch { seq: 2, .. })),
        "the other client's change is unsolicited: {queued:?}"
    );
    other.logout().await.unwrap();
    session.logout().await.unwrap();
}
on_both_servers!(store_keeps_other_clients_changes_unsolicited);

async fn invalid_flags_are_refused_before_sending(server: &dyn ImapServer) {
    let user = user_with_messages(server, 1).await;
    let mut session = connect(server, &user).await;
    session.select_folder("INBOX").await.unwrap();
    for bad in ["\\Se en", "", "\\", "a(b", "\\*", "x\r\nA1 LOGOUT"] {
        let err = session
            .add_flags(&UidSet::all(), &[bad])
            .await
            .expect_err(bad);
        assert!(matches!(err, Error::Encode(_)), "{bad:?}: {err:?}");
    }
    // Nothing was sent: the session is in step and the message unchanged.
    assert_eq!(
        session.get_flags(&seqs("1")).await.unwrap()[&Seq::new(1).unwrap()],
        Vec::<imap_async::Flag>::new()
    );
    session.logout().await.unwrap();
}
on_both_servers!(invalid_flags_are_refused_before_sending);

/// Issue 15's typed API against the server: a keyword and a system flag stored as [`Flag`]s
/// come back as `Flag`s (from STORE, FETCH and SELECT); a keyword with a space is refused
/// before sending, naming it; a `HEADER.FIELDS` section asked in one case and quoting is
/// found when looked up in another, whatever the server echoes.
async fn typed_flags_and_sections_round_trip(server: &dyn ImapServer) {
    use imap_async::Section;
    use imap_async::session::FetchAttr;

    let user = user_with_messages(server, 1).await;
    let mut session = connect(server, &user).await;
    session.select_folder("INBOX").await.unwrap();
    let all = UidSet::all();

    let now = session
        .add_flags(&all, [Flag::Flagged, Flag::keyword("$Typed")])
        .await
        .unwrap();
    assert_eq!(now.len(), 1, "{now:?}");
    let flags = sorted(now.into_values().next().unwrap());
    assert_eq!(flags, sorted(vec![Flag::Flagged, Flag::keyword("$Typed")]));
    assert!(
        flags.iter().any(|f| f.as_keyword() == Some("$Typed")),
        "the keyword keeps its text: {flags:?}"
    );

    let err = session
        .add_flags(&all, [Flag::keyword("$Bad Flag")])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("$Bad Flag"), "{err}");

    let asked = FetchAttr::body_peek("header.fields (subject \"From\")");
    let fetched = session
        .fetch(&all, [FetchAttr::Flags, asked.clone()])
        .await
        .unwrap();
    assert_eq!(fetched.len(), 1);
    let msg = &fetched[0];
    let got: Vec<Flag> = msg
        .flags()
        .unwrap()
        .into_iter()
        .filter(|f| *f != Flag::Recent)
        .collect();
    assert_eq!(
        sorted(got),
        sorted(vec![Flag::Flagged, Flag::keyword("$typed")])
    );
    let typed = Section::HeaderFields(vec!["FROM".into(), "SUBJECT".into()]);
    let header = msg
        .body(&typed)
        .expect("the section is found in another spelling");
    let text = String::from_utf8_lossy(&header);
    assert!(text.contains("Subject: message 1"), "{text}");
    assert!(text.contains("From: Alice"), "{text}");
    assert!(!text.contains("To: Bob"), "{text}");
    assert_eq!(msg.data(&asked), Some(header.clone()));
    assert_eq!(msg.data(&FetchAttr::body_peek(typed)), Some(header));
    assert!(msg.body(Section::Header).is_none());

    let info = session.select_folder("INBOX").await.unwrap();
    assert!(info.flags.contains(&Flag::keyword("$TYPED")), "{info:?}");
    assert!(info.flags.contains(&Flag::Seen), "{info:?}");
    session.logout().await.unwrap();
}
on_both_servers!(typed_flags_and_sections_round_trip);
