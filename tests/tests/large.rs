//! Large mailboxes against the real servers (Dovecot, Cyrus): streamed fetch, dropped streams, bodies streamed
//! to a writer, chunked partial downloads, batched fetches and incremental sync.

use futures::{StreamExt, TryStreamExt};
use imap_async::proto::Untagged;
use imap_async::session::{BatchOptions, FetchAttr, SyncResult, SyncState};
use imap_async::{ConnectOptions, Error, Session, Uid, UidSet};
use imap_async_tests::generated::text_message;
use imap_async_tests::measure::FailsAfter;
use imap_async_tests::{ImapServer, TestUser, on_both_servers};

async fn connect(server: &dyn ImapServer, user: &TestUser) -> Session {
    let opts = ConnectOptions::new(server.host())
        .port(server.imap_port())
        .plaintext()
        .login(&user.name, user.password.as_str());
    Session::connect(&opts).await.expect("login")
}

fn message(i: usize) -> Vec<u8> {
    format!(
        "From: Sender {i} <s{i}@example.org>\r\nTo: r@example.org\r\n\
         Subject: message {i}\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\
         Message-ID: <{i}@example.org>\r\n\r\nBody of message {i}.\r\n"
    )
    .into_bytes()
}

/// A message of exactly `len` bytes whose body is deterministic pseudo-random text.
fn big_message(len: usize, seed: u64) -> Vec<u8> {
    text_message("From: big@example.org\r\nSubject: big\r\n\r\n", len, seed)
}

fn uid(n: u32) -> Uid {
    Uid::new(n).unwrap()
}

async fn stream_yields_every_message_in_order(server: &dyn ImapServer) {
    let user = server.new_user();
    const N: usize = 3000;
    server.fill(&user.name, "INBOX", (0..N).map(message));
    let mut s = connect(server, &user).await;
    let info = s.select_folder("INBOX").await.unwrap();
    assert_eq!(info.exists, N as u32);
    let items = [FetchAttr::Uid, FetchAttr::Rfc822Size, FetchAttr::Envelope];
    let got: Vec<_> = s
        .fetch_stream(&UidSet::all(), items.clone())
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), N);
    for (i, f) in got.iter().enumerate() {
        assert_eq!(f.seq, i as u32 + 1);
        assert_eq!(f.uid(), Some(uid(i as u32 + 1)));
        let subject = f.envelope().unwrap().subject.clone().unwrap();
        assert_eq!(&subject[..], format!("message {i}").as_bytes());
        assert_eq!(f.size(), Some(message(i).len() as u64));
    }
    assert_eq!(s.unsolicited_len(), 0);
    // fetch() (which collects the same stream) agrees.
    let collected = s.fetch(&UidSet::all(), items).await.unwrap();
    assert_eq!(collected, got);
    s.logout().await.unwrap();
}
on_both_servers!(stream_yields_every_message_in_order);

async fn dropped_stream_leaves_session_usable_and_queues_nothing(server: &dyn ImapServer) {
    let user = server.new_user();
    const N: usize = 2000;
    server.fill(&user.name, "INBOX", (0..N).map(message));
    let mut s = connect(server, &user).await;
    s.select_folder("INBOX").await.unwrap();
    {
        let mut stream = s
            .fetch_stream(&UidSet::all(), [FetchAttr::Envelope, FetchAttr::Flags])
            .unwrap();
        for i in 0..N / 2 {
            let f = stream.next().await.unwrap().unwrap();
            assert_eq!(f.uid(), Some(uid(i as u32 + 1)));
        }
    }
    // Another client changes a flag meanwhile: that report is not ours to discard.
    let mut other = connect(server, &user).await;
    other.select_folder("INBOX").await.unwrap();
    other
        .add_flags_silent(&UidSet::from(uid(7)), [imap_async::Flag::Flagged])
        .await
        .unwrap();
    other.logout().await.unwrap();
    // The next command drains the abandoned FETCH and discards its messages.
    let one = s
        .fetch(&UidSet::from(uid(1500)), FetchAttr::Envelope)
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(
        &one[0].envelope().unwrap().subject.clone().unwrap()[..],
        b"message 1499"
    );
    let pending = s.noop().await.unwrap();
    let envelopes = pending
        .iter()
        .filter(|u| {
            matches!(u, Untagged::Fetch { items, .. }
            if items.iter().any(|i| matches!(i, imap_async::proto::FetchItem::Envelope(_))))
        })
        .count();
    assert_eq!(envelopes, 0, "abandoned stream's messages were queued");
    // The other client's flag change is reported (as a FETCH of FLAGS for message 7).
    assert!(
        pending
            .iter()
            .any(|u| matches!(u, Untagged::Fetch { seq: 7, .. })),
        "{pending:?}"
    );
    // A stream dropped before its first poll sends nothing at all.
    drop(s.fetch_stream(&UidSet::all(), FetchAttr::Flags).unwrap());
    assert_eq!(s.noop().await.unwrap(), Vec::<Untagged>::new());
    s.logout().await.unwrap();
}
on_both_servers!(dropped_stream_leaves_session_usable_and_queues_nothing);

async fn body_streaming_is_byte_exact(server: &dyn ImapServer) {
    let user = server.new_user();
    let big = big_message(20 << 20, 42);
    let small = message(1);
    server.fill(&user.name, "INBOX", [small.clone(), big.clone()]);
    let mut s = connect(server, &user).await;
    s.select_folder("INBOX").await.unwrap();
    let mut out: Vec<u8> = Vec::new();
    let n = s.fetch_body_to(uid(2), "", &mut out).await.unwrap();
    assert_eq!(n, big.len() as u64);
    assert!(out == big, "the streamed body differs");
    // A section, and a small body that never leaves the normal path.
    let mut text = Vec::new();
    s.fetch_body_to(uid(2), "TEXT", &mut text).await.unwrap();
    let split = big.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert!(text == big[split..], "the streamed TEXT section differs");
    let mut out = Vec::new();
    assert_eq!(
        s.fetch_body_to(uid(1), "", &mut out).await.unwrap(),
        small.len() as u64
    );
    assert_eq!(out, small);
    // A UID that does not exist.
    let err = s.fetch_body_to(uid(99), "", &mut Vec::new()).await;
    assert!(matches!(err, Err(Error::InvalidInput { .. })), "{err:?}");
    // Not a byte of the body was queued, and the session goes on.
    assert_eq!(s.noop().await.unwrap(), Vec::<Untagged>::new());
    s.logout().await.unwrap();
}
on_both_servers!(body_streaming_is_byte_exact);

async fn failing_writer_leaves_session_usable(server: &dyn ImapServer) {
    let user = server.new_user();
    let big = big_message(5 << 20, 7);
    server.fill(&user.name, "INBOX", [big, message(2)]);
    let mut s = connect(server, &user).await;
    s.select_folder("INBOX").await.unwrap();
    let err = s
        .fetch_body_to(uid(1), "", &mut FailsAfter::new(1 << 20))
        .await;
    assert!(matches!(err, Err(Error::Io { .. })), "{err:?}");
    let mut out = Vec::new();
    s.fetch_body_to(uid(2), "", &mut out).await.unwrap();
    assert_eq!(out, message(2));
    assert_eq!(s.noop().await.unwrap(), Vec::<Untagged>::new());
    s.logout().await.unwrap();
}
on_both_servers!(failing_writer_leaves_session_usable);

async fn chunked_partial_download_equals_the_whole(server: &dyn ImapServer) {
    let user = server.new_user();
    let big = big_message(3_000_000, 9);
    server.fill(&user.name, "INBOX", [big.clone()]);
    let mut s = connect(server, &user).await;
    s.select_folder("INBOX").await.unwrap();
    let mut out = Vec::new();
    let n = s
        .fetch_body_chunks_to(uid(1), "", 0, 700_000, &mut out)
        .await
        .unwrap();
    assert_eq!(n, big.len() as u64);
    assert!(out == big);
    // Resuming from an offset gives the rest.
    let mut rest = Vec::new();
    let n = s
        .fetch_body_chunks_to(uid(1), "", 1_234_567, 500_000, &mut rest)
        .await
        .unwrap();
    assert_eq!(n, (big.len() - 1_234_567) as u64);
    assert!(rest == big[1_234_567..]);
    // A chunk size dividing the size exactly ends on an empty piece.
    let mut exact = Vec::new();
    s.fetch_body_chunks_to(uid(1), "", 0, 1_000_000, &mut exact)
        .await
        .unwrap();
    assert!(exact == big);
    assert!(
        s.fetch_body_chunks_to(uid(1), "", 0, 0, &mut Vec::new())
            .await
            .is_err()
    );
    s.logout().await.unwrap();
}
on_both_servers!(chunked_partial_download_equals_the_whole);

async fn batches_cover_exactly_the_set(server: &dyn ImapServer) {
    let user = server.new_user();
    const N: u32 = 2500;
    server.fill(&user.name, "INBOX", (0..N as usize).map(message));
    let mut s = connect(server, &user).await;
    s.select_folder("INBOX").await.unwrap();
    let options = BatchOptions::default().batch_size(300).pipeline(3);
    let all: Vec<_> = s
        .fetch_search_batched("ALL", FetchAttr::Envelope, options)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let uids: Vec<u32> = all.iter().map(|f| f.uid().unwrap().get()).collect();
    assert_eq!(uids, (1..=N).collect::<Vec<_>>());
    // A sparse set, batches that split ranges, deeper pipeline than batches.
    let set: UidSet = "5:50,100,2000:2100,2499".parse().unwrap();
    let options = BatchOptions::default().batch_size(40).pipeline(8);
    let got: Vec<_> = s
        .fetch_batched(&set, FetchAttr::Flags, options)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let got: Vec<u32> = got.iter().map(|f| f.uid().unwrap().get()).collect();
    let want: Vec<u32> = set.iter().unwrap().map(Uid::get).collect();
    assert_eq!(got, want);
    // Dropping a pipelined walk half-way: the next command still works, nothing queued.
    {
        let mut walk = s.fetch_batched(&set, FetchAttr::Envelope, options).unwrap();
        walk.next().await.unwrap().unwrap();
    }
    assert_eq!(s.noop().await.unwrap(), Vec::<Untagged>::new());
    assert!(
        s.fetch_batched(&UidSet::all(), FetchAttr::Flags, options)
            .is_err()
    );
    s.logout().await.unwrap();
}
on_both_servers!(batches_cover_exactly_the_set);

/// Initial state of `folder` as an application would record it after a full fetch.
async fn initial_state(s: &mut Session, folder: &str) -> SyncState {
    let info = s
        .select_folder_with(folder, imap_async::SelectOptions::default().condstore(true))
        .await
        .unwrap();
    SyncState {
        uid_validity: info.uid_validity.unwrap(),
        highest_modseq: info.highest_modseq.unwrap(),
        known_uids: s.search("ALL").await.unwrap(),
    }
}

/// Adds two messages, flags 3 and 4, expunges 5, 6 and 7; returns the new UIDs.
async fn make_changes(server: &dyn ImapServer, user: &TestUser, folder: &str) -> UidSet {
    let mut b = connect(server, user).await;
    let mut new = UidSet::new();
    for i in 100..102 {
        let appended = b
            .append(folder, message(i), imap_async::Flag::NONE, None)
            .await
            .unwrap()
            .unwrap();
        new.union_with(&appended.uids);
    }
    b.select_folder(folder).await.unwrap();
    b.add_flags_silent(
        &"3:4".parse::<UidSet>().unwrap(),
        [imap_async::Flag::Flagged],
    )
    .await
    .unwrap();
    let gone: UidSet = "5:7".parse().unwrap();
    b.delete_messages(&gone, true).await.unwrap();
    b.uid_expunge(&gone).await.unwrap();
    b.logout().await.unwrap();
    new
}

fn check_changes(result: SyncResult, before: &SyncState, new: &UidSet, qresync: bool) -> SyncState {
    let SyncResult::Changes(c) = result else {
        panic!("expected changes, got {result:?}");
    };
    assert_eq!(c.qresync, qresync);
    assert_eq!(&c.new, new);
    assert_eq!(c.vanished, "5:7".parse().unwrap());
    let changed: Vec<u32> = c.changed.iter().map(|f| f.uid.get()).collect();
    assert_eq!(changed, [3, 4]);
    for f in &c.changed {
        assert_eq!(f.flags, ["\\Flagged"]);
        assert!(f.modseq > before.highest_modseq);
    }
    assert_eq!(c.state.uid_validity, before.uid_validity);
    assert!(c.state.highest_modseq > before.highest_modseq);
    let mut known: UidSet = "1:4,8:10".parse().unwrap();
    known.union_with(new);
    assert_eq!(c.state.known_uids, known);
    c.state
}

async fn sync_round(server: &dyn ImapServer, qresync: bool) {
    let user = server.new_user();
    let folder = "Sync";
    server.fill(&user.name, folder, (0..10).map(message));
    let mut a = connect(server, &user).await;
    if qresync {
        assert!(
            a.enable([imap_async::Capability::Qresync])
                .await
                .unwrap()
                .contains(&imap_async::Capability::Qresync)
        );
    } else {
        // Selecting first forbids ENABLE: sync must fall back to CONDSTORE.
        a.select_folder("INBOX").await.unwrap();
    }
    let state = initial_state(&mut a, folder).await;
    assert_eq!(state.known_uids, "1:10".parse().unwrap());
    a.unselect_folder().await.unwrap();
    let new = make_changes(server, &user, folder).await;
    let state2 = check_changes(a.sync(folder, &state).await.unwrap(), &state, &new, qresync);
    // Nothing changed since: an empty answer, the same state.
    match a.sync(folder, &state2).await.unwrap() {
        SyncResult::Changes(c) => {
            assert!(c.new.is_empty() && c.vanished.is_empty() && c.changed.is_empty());
            assert_eq!(c.state, state2);
        }
        other => panic!("{other:?}"),
    }
    // The folder is recreated: every UID is void.
    a.unselect_folder().await.unwrap();
    let mut b = connect(server, &user).await;
    b.delete_folder(folder).await.unwrap();
    b.create_folder(folder).await.unwrap();
    b.append(folder, message(1), imap_async::Flag::NONE, None)
        .await
        .unwrap();
    let fresh = b
        .folder_status(folder, Some(imap_async::StatusItems::default()))
        .await
        .unwrap();
    b.logout().await.unwrap();
    match a.sync(folder, &state2).await.unwrap() {
        SyncResult::UidValidityChanged { uid_validity, .. } => {
            assert_ne!(uid_validity, state2.uid_validity);
            assert_eq!(Some(uid_validity), fresh.uid_validity);
        }
        other => panic!("expected UidValidityChanged, got {other:?}"),
    }
    a.logout().await.unwrap();
}

async fn sync_with_qresync_is_exact(server: &dyn ImapServer) {
    sync_round(server, true).await;
}
on_both_servers!(sync_with_qresync_is_exact);

async fn sync_with_condstore_fallback_is_exact(server: &dyn ImapServer) {
    sync_round(server, false).await;
}
on_both_servers!(sync_with_condstore_fallback_is_exact);

async fn sync_enables_qresync_itself_when_nothing_was_selected(server: &dyn ImapServer) {
    let user = server.new_user();
    server.fill(&user.name, "INBOX", (0..3).map(message));
    let mut a = connect(server, &user).await;
    let mut b = connect(server, &user).await;
    let state = initial_state(&mut b, "INBOX").await;
    b.add_flags_silent(&UidSet::from(uid(2)), [imap_async::Flag::Seen])
        .await
        .unwrap();
    b.logout().await.unwrap();
    let SyncResult::Changes(c) = a.sync("INBOX", &state).await.unwrap() else {
        panic!("UIDVALIDITY should not change");
    };
    assert!(c.qresync);
    assert_eq!(c.changed.len(), 1);
    assert_eq!(c.changed[0].uid, uid(2));
    assert_eq!(c.changed[0].flags, ["\\Seen"]);
    assert!(c.new.is_empty() && c.vanished.is_empty());
    a.logout().await.unwrap();
}
on_both_servers!(sync_enables_qresync_itself_when_nothing_was_selected);
