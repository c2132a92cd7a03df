//! Many bodies to per-message writers (`fetch_bodies`) and bodies above the in-memory
//! limit through `fetch_stream` in pieces, against the real servers; the limits (a server
//! announcing 100 GB, a huge literal that is not a body) with a scripted server over
//! loopback TCP.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::TryStreamExt;
use imap_async::proto::{FetchItem, FrameError, Untagged};
use imap_async::session::{BatchOptions, FetchAttr};
use imap_async::{ConnectOptions, Error, Fetched, Section, Session, Uid, UidSet};
use imap_async_tests::fake::{FakeServer, Step, expect, send};
use imap_async_tests::generated::text_message;
use imap_async_tests::measure::FailsAfter;
use imap_async_tests::{ImapServer, TestUser, on_both_servers};

async fn connect_with(
    server: &dyn ImapServer,
    user: &TestUser,
    max_literal: Option<u64>,
) -> Session {
    let mut opts = ConnectOptions::new(server.host())
        .port(server.imap_port())
        .plaintext()
        .login(&user.name, user.password.as_str());
    if let Some(max) = max_literal {
        opts.limits.max_literal = max;
    }
    Session::connect(&opts).await.expect("login")
}

/// A message of exactly `len` bytes (at least 100) whose body is pseudo-random text.
fn message(len: usize, seed: u64) -> Vec<u8> {
    let header = format!("From: m{seed}@example.org\r\nSubject: message {seed}\r\n\r\n");
    text_message(&header, len, seed)
}

/// Mixed sizes: most between 1 and 30 KB, every seventh between 70 KB and 400 KB (above
/// the 64 KiB at which bodies come in pieces).
fn mixed(i: usize) -> Vec<u8> {
    let len = if i % 7 == 3 {
        70_000 + (i * 7919) % 330_000
    } else {
        1_000 + (i * 3571) % 29_000
    };
    message(len, i as u64)
}

fn uids(a: u32, b: u32) -> UidSet {
    format!("{a}:{b}").parse().unwrap()
}

async fn many_bodies_reach_their_own_writers_byte_exact(server: &dyn ImapServer) {
    let user = server.new_user();
    const N: usize = 420;
    let messages: Vec<Vec<u8>> = (0..N).map(mixed).collect();
    assert!(messages.iter().filter(|m| m.len() > 64 * 1024).count() >= 50);
    server.fill(&user.name, "INBOX", messages.clone());
    let mut s = connect_with(server, &user, None).await;
    s.select_folder("INBOX").await.unwrap();
    // UIDs past the last message have no body: they are simply absent.
    let set = uids(1, N as u32 + 5);
    let options = BatchOptions::default().batch_size(50).pipeline(3);
    let mut got: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    let mut order = Vec::new();
    let mut bodies = s.fetch_bodies(&set, Section::Full, options).unwrap();
    while let Some(mut body) = bodies.next().await.unwrap() {
        let uid = body.uid().expect("the UID comes before the body").get();
        let size = body.size();
        let mut out = Vec::new();
        let n = body.write_to(&mut out).await.unwrap();
        assert_eq!((n, out.len() as u64), (size, size), "message {uid}");
        order.push(uid);
        assert!(got.insert(uid, out).is_none(), "message {uid} came twice");
    }
    drop(bodies);
    assert_eq!(order, (1..=N as u32).collect::<Vec<_>>());
    for (i, m) in messages.iter().enumerate() {
        assert!(got[&(i as u32 + 1)] == *m, "message {} differs", i + 1);
    }
    // A section, read piece by piece.
    let mut bodies = s.fetch_bodies(&uids(1, 7), Section::Text, options).unwrap();
    while let Some(mut body) = bodies.next().await.unwrap() {
        let m = &messages[body.uid().unwrap().get() as usize - 1];
        let split = m.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let mut text = Vec::new();
        while let Some(piece) = body.chunk().await.unwrap() {
            assert!(piece.len() <= 64 * 1024 || body.size() <= 64 * 1024);
            text.extend_from_slice(&piece);
        }
        assert!(text == m[split..], "TEXT of {:?} differs", body.uid());
    }
    drop(bodies);
    // Nothing of the bodies was queued as unsolicited.
    assert_eq!(s.noop().await.unwrap(), Vec::<Untagged>::new());
    s.logout().await.unwrap();
}
on_both_servers!(many_bodies_reach_their_own_writers_byte_exact);

async fn bodies_left_unread_or_dropped_leave_session_usable(server: &dyn ImapServer) {
    let user = server.new_user();
    let messages: Vec<Vec<u8>> = vec![
        message(300_000, 1),
        message(2_000, 2),
        message(500_000, 3),
        message(3_000, 4),
        message(800_000, 5),
        message(1_000, 6),
    ];
    server.fill(&user.name, "INBOX", messages.clone());
    let mut s = connect_with(server, &user, None).await;
    s.select_folder("INBOX").await.unwrap();
    let options = BatchOptions::default().batch_size(2).pipeline(2);
    let mut bodies = s.fetch_bodies(&uids(1, 6), Section::Full, options).unwrap();
    // Message 1: one piece read, the rest skipped by `next`.
    let mut first = bodies.next().await.unwrap().unwrap();
    assert_eq!(first.uid(), Uid::new(1));
    assert_eq!(first.size(), 300_000);
    let piece = first.chunk().await.unwrap().unwrap();
    assert!(messages[0].starts_with(&piece));
    // Message 2: not read at all.
    let second = bodies.next().await.unwrap().unwrap();
    assert_eq!(second.uid(), Uid::new(2));
    // Message 3 is read whole after the two skips: the stream is still in step.
    let mut third = bodies.next().await.unwrap().unwrap();
    assert_eq!(third.uid(), Uid::new(3));
    let mut out = Vec::new();
    third.write_to(&mut out).await.unwrap();
    assert!(out == messages[2]);
    // Message 5 dropped half-way through, with message 6 and a batch still to come.
    let fourth = bodies.next().await.unwrap().unwrap();
    assert_eq!(fourth.uid(), Uid::new(4));
    let mut fifth = bodies.next().await.unwrap().unwrap();
    assert_eq!(fifth.uid(), Uid::new(5));
    fifth.chunk().await.unwrap().unwrap();
    drop(bodies);
    // The next command reads past the rest; nothing is queued, and it gets its own answer.
    let got = s
        .fetch(&uids(6, 6), FetchAttr::body_peek(Section::Full))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].body(Section::Full).as_deref(),
        Some(&messages[5][..])
    );
    assert_eq!(s.noop().await.unwrap(), Vec::<Untagged>::new());
    s.logout().await.unwrap();
}
on_both_servers!(bodies_left_unread_or_dropped_leave_session_usable);

async fn a_failing_writer_is_reported_and_the_rest_goes_on(server: &dyn ImapServer) {
    let user = server.new_user();
    let messages = vec![message(2_000, 1), message(900_000, 2), message(150_000, 3)];
    server.fill(&user.name, "INBOX", messages.clone());
    let mut s = connect_with(server, &user, None).await;
    s.select_folder("INBOX").await.unwrap();
    let mut bodies = s
        .fetch_bodies(&uids(1, 3), Section::Full, BatchOptions::default())
        .unwrap();
    let mut saved = Vec::new();
    while let Some(mut body) = bodies.next().await.unwrap() {
        let uid = body.uid().unwrap().get();
        if uid == 2 {
            let err = body
                .write_to(&mut FailsAfter::new(100_000))
                .await
                .unwrap_err();
            assert!(matches!(err, Error::Io { .. }), "{err:?}");
            assert!(err.to_string().contains("disk full"), "{err}");
            continue;
        }
        let mut out = Vec::new();
        body.write_to(&mut out).await.unwrap();
        saved.push((uid, out));
    }
    drop(bodies);
    assert_eq!(saved.len(), 2);
    assert!(saved[0] == (1, messages[0].clone()));
    assert!(saved[1] == (3, messages[2].clone()));
    assert_eq!(s.noop().await.unwrap(), Vec::<Untagged>::new());
    s.logout().await.unwrap();
}
on_both_servers!(a_failing_writer_is_reported_and_the_rest_goes_on);

/// Reassembles the messages of a stream, checking that the pieces of each big body come
/// in order and that the last one carries the response's other items.
async fn reassemble(
    mut stream: impl futures::Stream<Item = imap_async::Result<Fetched>> + Unpin,
) -> Vec<(u32, Vec<u8>, usize)> {
    let mut out: Vec<(u32, Vec<u8>, usize)> = Vec::new();
    let mut open: Option<(u32, Vec<u8>, usize)> = None;
    while let Some(msg) = stream.try_next().await.unwrap() {
        let uid = msg.uid().expect("every item carries the UID").get();
        if let Some(chunk) = msg.body_chunk() {
            let (u, data, pieces) = open.get_or_insert_with(|| (uid, Vec::new(), 0));
            assert_eq!(*u, uid, "pieces of two messages interleaved");
            assert_eq!(chunk.offset, data.len() as u64, "a piece out of order");
            assert_eq!(chunk.section(), Section::Full);
            data.extend_from_slice(chunk.data);
            *pieces += 1;
            if chunk.last {
                assert_eq!(chunk.total, data.len() as u64);
                assert!(msg.flags().is_some(), "the last piece carries FLAGS");
                out.push(open.take().unwrap());
            } else {
                assert!(msg.flags().is_none(), "only the last piece carries FLAGS");
            }
        } else {
            assert!(open.is_none(), "a message came inside another's body");
            let body = msg.body(Section::Full).expect("a small body arrives whole");
            out.push((uid, body.to_vec(), 1));
        }
    }
    assert!(open.is_none(), "a body never ended");
    out
}

async fn fetch_stream_hands_out_bodies_above_the_limit_in_pieces(server: &dyn ImapServer) {
    let user = server.new_user();
    let messages = vec![
        message(5_000, 1),
        message(1_500_000, 2),
        message(90_000, 3),
        message(250_000, 4),
    ];
    server.fill(&user.name, "INBOX", messages.clone());
    // The in-memory limit lowered to 100 KB: messages 2 and 4 are above it.
    let mut s = connect_with(server, &user, Some(100_000)).await;
    s.select_folder("INBOX").await.unwrap();
    let items = [
        FetchAttr::Uid,
        FetchAttr::Flags,
        FetchAttr::body_peek(Section::Full),
    ];
    let got = reassemble(s.fetch_stream(&UidSet::all(), items.clone()).unwrap()).await;
    let check = |got: &[(u32, Vec<u8>, usize)]| {
        assert_eq!(got.len(), 4);
        for (i, (uid, data, pieces)) in got.iter().enumerate() {
            assert_eq!(*uid, i as u32 + 1);
            assert!(*data == messages[i], "message {uid} differs");
            if messages[i].len() > 100_000 {
                assert!(
                    *pieces >= messages[i].len() / (64 * 1024),
                    "{uid}: {pieces} pieces"
                );
            } else {
                assert_eq!(*pieces, 1);
            }
        }
    };
    check(&got);
    let batched = s
        .fetch_batched(
            &uids(1, 4),
            items.clone(),
            BatchOptions::default().batch_size(1),
        )
        .unwrap();
    check(&reassemble(batched).await);
    // Dropped in the middle of a big body: the next command still works.
    let mut stream = s.fetch_stream(&UidSet::all(), items.clone()).unwrap();
    loop {
        let msg = stream.try_next().await.unwrap().unwrap();
        if msg.body_chunk().is_some() {
            break;
        }
    }
    drop(stream);
    assert_eq!(s.noop().await.unwrap(), Vec::<Untagged>::new());
    // The collecting fetch has nowhere to put such a body: it still refuses it.
    let err = s.fetch(&uids(2, 2), items).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Frame(FrameError::LiteralTooLarge {
                size: 1_500_000,
                limit: 100_000
            })
        ),
        "{err:?}"
    );
}
on_both_servers!(fetch_stream_hands_out_bodies_above_the_limit_in_pieces);

const GREETING: &str = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake\r\n";

fn fake_session(rest: Vec<Step>) -> Vec<Step> {
    let mut s = vec![
        send(GREETING),
        expect("LOGIN"),
        send("{tag} OK [CAPABILITY IMAP4rev1] logged in\r\n"),
    ];
    s.extend(rest);
    s
}

fn fake_options(server: &FakeServer, max_literal: u64) -> ConnectOptions {
    let mut opts = server
        .options()
        .command_timeout(Duration::from_secs(5))
        .login("user", "pw");
    opts.limits.max_literal = max_literal;
    opts
}

#[tokio::test]
async fn a_server_announcing_100_gb_is_refused_at_the_header() {
    let server = FakeServer::start(fake_session(vec![
        expect("UID FETCH"),
        send("* 1 FETCH (UID 1 BODY[] {100000000000}\r\n"),
        // Nothing follows: the client must not wait for 100 GB.
        Step::Sleep(Duration::from_secs(3)),
    ]))
    .await;
    let mut s = Session::connect(&fake_options(&server, 1 << 20))
        .await
        .unwrap();
    let mut stream = s
        .fetch_stream(&UidSet::all(), FetchAttr::body_peek(Section::Full))
        .unwrap();
    let err = tokio::time::timeout(Duration::from_secs(2), stream.try_next())
        .await
        .expect("refused at once, not after reading")
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Frame(FrameError::LiteralTooLarge {
                size: 100_000_000_000,
                limit: 4_294_967_296
            })
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn pieces_come_in_order_and_the_last_carries_the_other_items() {
    // Two body literals above the 10-byte limit in one response, items before, between
    // and after them, a small body that stays whole, then a second message.
    let a = "A".repeat(70_000);
    let b = "b".repeat(25);
    let server = FakeServer::start(fake_session(vec![
        expect("UID FETCH"),
        Step::Send(format!(
            "* 1 FETCH (UID 7 BODY[1] {{70000}}\r\n{a} FLAGS (\\Seen) BODY[2] {{25}}\r\n{b} \
             BODY[3] {{3}}\r\nxyz)\r\n* 2 FETCH (UID 8 FLAGS () BODY[1] {{2}}\r\nok BODY[2] \
             NIL BODY[3] \"\")\r\n{{tag}} OK done\r\n"
        )),
        expect("NOOP"),
        send("{tag} OK noop\r\n"),
    ]))
    .await;
    let mut s = Session::connect(&fake_options(&server, 10)).await.unwrap();
    let items = [
        FetchAttr::Uid,
        FetchAttr::Flags,
        FetchAttr::body_peek(Section::part([1])),
        FetchAttr::body_peek(Section::part([2])),
        FetchAttr::body_peek(Section::part([3])),
    ];
    let all: Vec<Fetched> = s
        .fetch_stream(&UidSet::all(), items)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let mut parts: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut lasts = Vec::new();
    for msg in &all[..all.len() - 1] {
        assert_eq!((msg.seq, msg.uid()), (1, Uid::new(7)));
        let chunk = msg.body_chunk().expect("a piece");
        let part = parts.entry(format!("{:?}", chunk.section())).or_default();
        assert_eq!(chunk.offset, part.len() as u64);
        part.extend_from_slice(chunk.data);
        if chunk.last {
            lasts.push(msg.clone());
        }
    }
    assert_eq!(parts.len(), 2);
    assert!(parts.values().any(|p| *p == a.as_bytes()));
    assert!(parts.values().any(|p| *p == b.as_bytes()));
    // BODY[1] ended when BODY[2] began: its last piece came alone. BODY[2]'s last piece
    // came with the response's other items, the streamed stand-ins gone.
    assert_eq!(lasts.len(), 2);
    assert!(lasts[0].flags().is_none());
    let end = &lasts[1];
    assert!(end.flags().is_some());
    assert_eq!(end.body(Section::part([3])).as_deref(), Some(&b"xyz"[..]));
    assert!(end.body(Section::part([1])).is_none());
    assert!(end.body(Section::part([2])).is_none());
    let chunks = end
        .items
        .iter()
        .filter(|i| matches!(i, FetchItem::BodyChunk { .. }))
        .count();
    assert_eq!(chunks, 1);
    let second = all.last().unwrap();
    assert_eq!(second.uid(), Uid::new(8));
    assert_eq!(second.body(Section::part([1])).as_deref(), Some(&b"ok"[..]));
    s.noop().await.unwrap();
    server.finish().await;
}

#[tokio::test]
async fn a_huge_literal_that_is_not_a_body_is_refused() {
    let subject = "s".repeat(40);
    let server = FakeServer::start(fake_session(vec![
        expect("UID FETCH"),
        Step::Send(format!(
            "* 1 FETCH (UID 1 ENVELOPE (NIL {{40}}\r\n{subject} NIL NIL NIL NIL NIL NIL NIL \
             NIL))\r\n{{tag}} OK done\r\n"
        )),
        expect("NOOP"),
        send("{tag} OK noop\r\n"),
    ]))
    .await;
    let mut s = Session::connect(&fake_options(&server, 10)).await.unwrap();
    let mut stream = s
        .fetch_stream(&UidSet::all(), [FetchAttr::Uid, FetchAttr::Envelope])
        .unwrap();
    let err = stream.try_next().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Frame(FrameError::LiteralTooLarge {
                size: 40,
                limit: 10
            })
        ),
        "{err:?}"
    );
    assert!(stream.try_next().await.unwrap().is_none());
    drop(stream);
    // The rest of that answer is read past; the session goes on.
    s.noop().await.unwrap();
    server.finish().await;
}
