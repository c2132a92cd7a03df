//! The future-proofing guarantees over real TCP from a scripted server: every stream is
//! fused (polled after its end it says `None`, and `is_terminated()` says so), the
//! unsolicited queue is bounded and says when it dropped responses, and APPEND from a
//! reader sends exactly what it announced, or fails clearly and marks the session unusable.

use std::time::Duration;

use futures::StreamExt;
use futures::stream::FusedStream;
use imap_async::{
    AccountOptions, ConnectOptions, Error, Flag, Session, UidSet, WatchOptions, watch,
    watch_account,
};
use imap_async_tests::fake::{FakeServer, Step, expect, send};

const GREETING: &str = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake\r\n";

fn login(caps: &str) -> Vec<Step> {
    vec![
        send(GREETING),
        expect("LOGIN"),
        send(&format!("{{tag}} OK [CAPABILITY IMAP4rev1 {caps}] in\r\n")),
    ]
}

fn then(caps: &str, rest: Vec<Step>) -> Vec<Step> {
    let mut s = login(caps);
    s.extend(rest);
    s
}

fn opts(server: &FakeServer) -> ConnectOptions {
    server
        .options()
        .command_timeout(Duration::from_secs(3))
        .connect_timeout(Duration::from_secs(3))
}

/// Polls `stream` once more after its end, within a bound so that a hang fails the test.
async fn next_within<S: futures::Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    tokio::time::timeout(Duration::from_secs(20), stream.next())
        .await
        .expect("the stream neither yielded nor ended within 20 s")
}

#[tokio::test]
async fn fetch_stream_is_fused() {
    let server = FakeServer::start(then(
        "",
        vec![
            expect("UID FETCH 1:2 (UID FLAGS)"),
            send("* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n* 2 FETCH (UID 2 FLAGS ())\r\n"),
            send("{tag} OK done\r\n"),
            expect("LOGOUT"),
            send("* BYE bye\r\n{tag} OK out\r\n"),
        ],
    ))
    .await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    let set: UidSet = "1:2".parse().unwrap();
    let mut stream = session.fetch_stream(&set, "(UID FLAGS)").unwrap();
    assert!(!stream.is_terminated());
    let mut seen = 0;
    while let Some(item) = next_within(&mut stream).await {
        item.unwrap();
        seen += 1;
    }
    assert_eq!(seen, 2);
    assert!(stream.is_terminated());
    // Polled again after the end: `None` again, no panic (an `unfold` would panic here).
    assert!(next_within(&mut stream).await.is_none());
    assert!(stream.is_terminated());
    drop(stream);
    session.logout().await.unwrap();
    server.finish().await;
}

/// A login the server refuses ends a watcher (retrying cannot fix it): the stream yields
/// the error, then `None`, and stays ended.
fn refused_login() -> Vec<Step> {
    vec![
        send(GREETING),
        expect("LOGIN"),
        send("{tag} NO [AUTHENTICATIONFAILED] wrong password\r\n"),
        Step::Sleep(Duration::from_millis(200)),
    ]
}

#[tokio::test]
async fn watch_is_fused() {
    let server = FakeServer::start(refused_login()).await;
    let mut w = watch(opts(&server), "INBOX", WatchOptions::default());
    assert!(!w.is_terminated());
    let mut errors = 0;
    while let Some(item) = next_within(&mut w).await {
        if item.is_err() {
            errors += 1;
        }
    }
    assert_eq!(errors, 1, "the refused login is reported once");
    assert!(w.is_terminated());
    assert!(next_within(&mut w).await.is_none());
    assert!(w.is_terminated());
}

#[tokio::test]
async fn account_watch_is_fused() {
    let server = FakeServer::start(refused_login()).await;
    let mut w = watch_account(opts(&server), AccountOptions::default());
    assert!(!w.is_terminated());
    let mut errors = 0;
    while let Some(item) = next_within(&mut w).await {
        if item.is_err() {
            errors += 1;
        }
    }
    assert_eq!(errors, 1, "the refused login is reported once");
    assert!(w.is_terminated());
    assert!(next_within(&mut w).await.is_none());
    assert!(w.is_terminated());
}

#[tokio::test]
async fn unsolicited_queue_drops_the_oldest_beyond_its_limit_and_counts_them() {
    let burst: String = (1..=25).map(|n| format!("* {n} EXISTS\r\n")).collect();
    let server = FakeServer::start(then(
        "",
        vec![
            expect("NOOP"),
            send(&burst),
            send("{tag} OK noop\r\n"),
            expect("NOOP"),
            send("* 26 EXISTS\r\n{tag} OK noop\r\n"),
            expect("LOGOUT"),
            send("* BYE bye\r\n{tag} OK out\r\n"),
        ],
    ))
    .await;
    let mut session = Session::connect(&opts(&server).unsolicited_limit(10))
        .await
        .unwrap();
    assert_eq!(session.unsolicited_dropped(), 0);
    let kept = session.noop().await.unwrap();
    let numbers: Vec<u32> = kept
        .iter()
        .map(|u| match u {
            imap_async::proto::Untagged::Exists(n) => *n,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    // The newest ten are kept, in order; the fifteen oldest were dropped and counted.
    assert_eq!(numbers, (16..=25).collect::<Vec<_>>());
    assert_eq!(session.unsolicited_dropped(), 15);
    // Drained, the queue takes responses again; the count does not go back.
    assert_eq!(session.noop().await.unwrap().len(), 1);
    assert_eq!(session.unsolicited_dropped(), 15);
    session.logout().await.unwrap();
    server.finish().await;
}

const MESSAGE: &[u8] = b"From: a@example.org\r\nSubject: streamed\r\n\r\nHello from a reader\r\n";

#[tokio::test]
async fn append_reader_waits_for_the_continuation_without_literal_plus() {
    let server = FakeServer::start(then(
        "",
        vec![
            // The fake server answers `+` to the synchronizing literal and reads it.
            expect("APPEND Drafts (\\Seen) {"),
            send("{tag} OK [APPENDUID 7 42] stored\r\n"),
            expect("LOGOUT"),
            send("* BYE bye\r\n{tag} OK out\r\n"),
        ],
    ))
    .await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    let stored = session
        .append_reader("Drafts", MESSAGE, MESSAGE.len() as u64, &["\\Seen"], None)
        .await
        .unwrap()
        .expect("APPENDUID");
    assert_eq!(
        (stored.uid_validity, stored.uids.to_string()),
        (7, "42".into())
    );
    session.logout().await.unwrap();
    let lines = server.finish().await;
    let append = lines.iter().find(|l| l.contains("APPEND")).unwrap();
    let header = format!("{{{}}}", MESSAGE.len());
    assert!(append.contains(&header), "{append}");
    assert!(
        append.ends_with(std::str::from_utf8(MESSAGE).unwrap()),
        "{append}"
    );
}

#[tokio::test]
async fn append_reader_sends_at_once_with_literal_plus() {
    let server = FakeServer::start(then(
        "LITERAL+",
        vec![
            expect("APPEND INBOX {"),
            send("{tag} OK stored\r\n"),
            expect("LOGOUT"),
            send("* BYE bye\r\n{tag} OK out\r\n"),
        ],
    ))
    .await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    let stored = session
        .append_reader("INBOX", MESSAGE, MESSAGE.len() as u64, Flag::NONE, None)
        .await
        .unwrap();
    assert!(stored.is_none(), "no UIDPLUS, no APPENDUID");
    session.logout().await.unwrap();
    let lines = server.finish().await;
    let append = lines.iter().find(|l| l.contains("APPEND")).unwrap();
    let header = format!("{{{}+}}", MESSAGE.len());
    assert!(append.contains(&header), "{append}");
    assert!(
        append.ends_with(std::str::from_utf8(MESSAGE).unwrap()),
        "{append}"
    );
}

/// A reader that ends before the announced length: a clear error, the session unusable,
/// and no later command sent into the half-sent literal.
async fn reader_ending_early(caps: &str, continuation: bool) {
    let mut script = login(caps);
    if continuation {
        script.push(send("+ go ahead\r\n"));
    }
    // The server reads nothing more; the test's own checks decide.
    script.push(Step::Sleep(Duration::from_millis(500)));
    let server = FakeServer::start(script).await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    let err = session
        .append_reader("INBOX", MESSAGE, 1000, Flag::NONE, None)
        .await
        .unwrap_err();
    match &err {
        Error::Io { source, .. } => {
            assert_eq!(source.kind(), std::io::ErrorKind::UnexpectedEof, "{err}")
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
    let text = err.to_string() + &format!("{err:?}");
    let sent = format!("after {} of the 1000 bytes", MESSAGE.len());
    assert!(text.contains(&sent), "{text}");
    assert!(text.contains("unusable"), "{text}");
    let next = session.noop().await.unwrap_err();
    assert!(matches!(next, Error::Unusable(_)), "{next:?}");
    assert!(next.to_string().contains("literal"), "{next}");
}

#[tokio::test]
async fn append_reader_ending_early_with_literal_plus_leaves_the_session_unusable() {
    reader_ending_early("LITERAL+", false).await;
}

#[tokio::test]
async fn append_reader_ending_early_after_the_continuation_leaves_the_session_unusable() {
    reader_ending_early("", true).await;
}

#[tokio::test]
async fn append_reader_refused_before_the_data_reads_nothing() {
    let server = FakeServer::start(then(
        "",
        vec![
            Step::ExpectLineOnly("APPEND INBOX {".into()),
            send("{tag} NO [TOOBIG] too large\r\n"),
            expect("NOOP"),
            send("{tag} OK noop\r\n"),
        ],
    ))
    .await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    let mut reader: &[u8] = MESSAGE;
    let err = session
        .append_reader("INBOX", &mut reader, MESSAGE.len() as u64, Flag::NONE, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::No { .. }), "{err:?}");
    assert_eq!(
        reader.len(),
        MESSAGE.len(),
        "nothing was read from the reader"
    );
    // The session goes on: the refused literal was never sent.
    session.noop().await.unwrap();
    drop(session);
    server.finish().await;
}

/// A watcher whose unsolicited queue overflowed while it ended IDLE does not trust its
/// sequence map: it reports the disconnection and reconnects to resynchronise. (Here the
/// server then refuses the login, which ends the stream.)
#[tokio::test]
async fn a_watcher_resynchronises_when_its_unsolicited_queue_overflowed() {
    let caps = "IMAP4rev1 IDLE";
    let first = vec![
        send(&format!("* OK [CAPABILITY {caps}] fake\r\n")),
        expect("LOGIN"),
        send(&format!("{{tag}} OK [CAPABILITY {caps}] in\r\n")),
        expect("SELECT INBOX"),
        send(
            "* 1 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 2] n\r\n{tag} OK [READ-WRITE] sel\r\n",
        ),
        expect("UID SEARCH ALL"),
        send("* SEARCH 1\r\n{tag} OK s\r\n"),
        expect("UID FETCH 1 (UID FLAGS)"),
        send("* 1 FETCH (UID 1 FLAGS ())\r\n{tag} OK f\r\n"),
        expect("IDLE"),
        send("+ idling\r\n* 2 EXISTS\r\n"),
        expect("DONE"),
        // Three more arrive before IDLE's completion; the queue keeps two.
        send("* 3 EXISTS\r\n* 4 EXISTS\r\n* 5 EXISTS\r\n{tag} OK idle done\r\n"),
        Step::Sleep(Duration::from_millis(300)),
    ];
    let second = refused_login();
    let server = FakeServer::start_sessions(vec![first, second]).await;
    let wopts =
        WatchOptions::default().backoff(Duration::from_millis(50), Duration::from_millis(100));
    let mut w = watch(opts(&server).unsolicited_limit(2), "INBOX", wopts);
    let mut seen = Vec::new();
    while let Some(item) = next_within(&mut w).await {
        seen.push(match item {
            Ok(e) => format!("{e:?}"),
            Err(e) => format!("error: {e}"),
        });
        assert!(seen.len() < 20, "{seen:?}");
    }
    let lost = seen
        .iter()
        .find(|e| e.starts_with("Disconnected"))
        .unwrap_or_else(|| panic!("no disconnection: {seen:?}"));
    assert!(lost.contains("dropped from a full queue"), "{lost}");
    assert!(
        !seen.iter().any(|e| e.starts_with("New(")),
        "no guess from a broken sequence map: {seen:?}"
    );
    assert!(seen.last().unwrap().starts_with("error:"), "{seen:?}");
}
