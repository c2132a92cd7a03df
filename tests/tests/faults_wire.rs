//! More faults over real TCP from a scripted server, each ending in a typed error, never a
//! panic or a hang: cuts mid-line, mid-IDLE and mid-handshake, an endless line, a tag we
//! never sent (a protocol error at once), BYE at the greeting and at login.

use std::time::Duration;

use futures::StreamExt;
use imap_async::{Client, ConnectOptions, Error, Session, UidSet};
use imap_async_tests::fake::{FakeServer, Step, expect, send};

const GREETING: &str = "* OK [CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN] fake\r\n";

fn login() -> Vec<Step> {
    vec![
        send(GREETING),
        expect("LOGIN"),
        send("{tag} OK [CAPABILITY IMAP4rev1 IDLE] in\r\n"),
    ]
}

fn then(rest: Vec<Step>) -> Vec<Step> {
    let mut s = login();
    s.extend(rest);
    s
}

fn opts(server: &FakeServer) -> ConnectOptions {
    server
        .options()
        .command_timeout(Duration::from_secs(2))
        .connect_timeout(Duration::from_secs(2))
        .login("user", "pw")
}

#[tokio::test]
async fn cut_mid_line() {
    let server = FakeServer::start(then(vec![
        expect("UID FETCH"),
        send("* 1 FETCH (FLAGS (\\Se"),
        Step::Close,
    ]))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let err = s.fetch(&UidSet::all(), "FLAGS").await.unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed { .. }), "{err:?}");
    assert!(err.to_string().contains("UID FETCH"), "{err}");
}

#[tokio::test]
async fn cut_mid_idle() {
    let server = FakeServer::start(then(vec![
        expect("IDLE"),
        send("+ idling\r\n"),
        Step::Close,
    ]))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let mut idle = s.idle().await.unwrap();
    // Noticed from the closed socket: a timeout would end the stream with a Timeout
    // error instead. The outer limit only keeps a hang from stalling the test.
    match tokio::time::timeout(Duration::from_secs(10), idle.next())
        .await
        .expect("the stream ended")
    {
        Some(Err(Error::ConnectionClosed { .. })) => {}
        other => panic!("expected ConnectionClosed, got {other:?}"),
    }
}

#[tokio::test]
async fn cut_mid_tls_handshake() {
    // The server accepts TCP, reads the ClientHello, and hangs up.
    let server =
        FakeServer::start(vec![Step::Sleep(Duration::from_millis(100)), Step::Close]).await;
    let opts = ConnectOptions::new("127.0.0.1")
        .port(server.port)
        .tls_server_name("localhost")
        .connect_timeout(Duration::from_secs(2));
    let err = Client::connect(&opts).await.unwrap_err();
    match &err {
        Error::Tls { reason, .. } => assert!(reason.contains("closed"), "{reason}"),
        other => panic!("expected a TLS error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_line_that_never_ends_is_refused_at_the_limit() {
    // 10 MB without CRLF: refused once the line passes the 1 MiB limit, without buffering
    // the rest.
    let big = "x".repeat(10 * 1024 * 1024);
    let server = FakeServer::start(then(vec![
        expect("NOOP"),
        Step::Send(format!("* OK {big}")),
    ]))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let err = s.noop().await.unwrap_err();
    match &err {
        Error::Frame(imap_async::proto::FrameError::LineTooLong { limit }) => {
            assert_eq!(*limit, imap_async::proto::Limits::default().max_line)
        }
        other => panic!("expected LineTooLong, got {other:?}"),
    }
    assert!(matches!(s.noop().await, Err(Error::Unusable(_))));
}

#[tokio::test]
async fn a_tag_we_never_sent_is_a_protocol_error_at_once() {
    // The command's own completion follows, but after a tag the client never sent nothing
    // the server says can be trusted: the error comes at once (no waiting for a timeout),
    // names the tag, and the connection is given up.
    let server = FakeServer::start(then(vec![
        expect("NOOP"),
        send("ZZZ9 OK not yours\r\n* 2 EXISTS\r\n{tag} OK yours\r\n"),
    ]))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let err = s.noop().await.unwrap_err();
    match &err {
        Error::Protocol(msg) => assert!(msg.contains("ZZZ9"), "{msg}"),
        other => panic!("expected a protocol error, got {other:?}"),
    }
    assert!(err.is_connection_lost());
    assert!(s.is_closed());
    assert!(matches!(s.noop().await, Err(Error::Unusable(_))));
}

#[tokio::test]
async fn bye_at_the_greeting() {
    let server = FakeServer::start(vec![send("* BYE too many connections\r\n"), Step::Close]).await;
    let err = Client::connect(&opts(&server)).await.unwrap_err();
    match err {
        Error::Bye { text, .. } => assert_eq!(text, "too many connections"),
        other => panic!("expected BYE, got {other:?}"),
    }
}

#[tokio::test]
async fn bye_during_login() {
    let server = FakeServer::start(vec![
        send(GREETING),
        expect("LOGIN"),
        send("* BYE [UNAVAILABLE] maintenance\r\n"),
        Step::Close,
    ])
    .await;
    let err = Session::connect(&opts(&server)).await.unwrap_err();
    match err {
        Error::Bye { text, .. } => assert_eq!(text, "maintenance"),
        other => panic!("expected BYE, got {other:?}"),
    }
}

#[tokio::test]
async fn bye_without_text_or_space() {
    // iCloud has been seen sending "* BYE" with nothing after it.
    let server =
        FakeServer::start(then(vec![expect("NOOP"), send("* BYE\r\n"), Step::Close])).await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let err = s.noop().await.unwrap_err();
    assert!(matches!(err, Error::Bye { .. }), "{err:?}");
}

#[tokio::test]
async fn a_server_sending_one_byte_at_a_time_meets_the_response_deadline() {
    // Each byte comes well within the per-read timeout, so only a deadline for the whole
    // response can end this.
    let mut script = then(vec![expect("NOOP")]);
    for b in "* OK this line never seems to end".bytes() {
        script.push(Step::SendBytes(vec![b]));
        script.push(Step::Sleep(Duration::from_millis(100)));
    }
    let server = FakeServer::start(script).await;
    let opts = opts(&server).response_timeout(Duration::from_millis(1500));
    let mut s = Session::connect(&opts).await.unwrap();
    // Without the deadline the script would end by closing the socket, a
    // ConnectionClosed error, not a timeout. The outer limit only guards against a hang.
    let err = tokio::time::timeout(Duration::from_secs(10), s.noop())
        .await
        .expect("the command ended")
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("whole of a response"), "{err}");
    assert!(matches!(s.noop().await, Err(Error::Unusable(_))));
}

#[tokio::test]
async fn starttls_refused_or_bad_is_an_error_never_plaintext() {
    for answer in ["{tag} NO [UNAVAILABLE] not now\r\n", "{tag} BAD what\r\n"] {
        let server = FakeServer::start(vec![
            send("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] hi\r\n"),
            expect("STARTTLS"),
            send(answer),
        ])
        .await;
        let err = Client::connect(&opts(&server).starttls())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::No { .. } | Error::Bad { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("STARTTLS"), "{err}");
        let lines = server.finish().await;
        assert_eq!(lines.len(), 1, "nothing but STARTTLS was sent: {lines:?}");
    }
}

#[tokio::test]
async fn logindisabled_is_respected() {
    let server = FakeServer::start(vec![send(
        "* OK [CAPABILITY IMAP4rev1 LOGINDISABLED STARTTLS] use TLS\r\n",
    )])
    .await;
    let client = Client::connect(&opts(&server)).await.unwrap();
    let (err, client) = client.login("user", "pw").await.unwrap_err().into_parts();
    assert!(matches!(err, Error::MissingCapability { .. }), "{err:?}");
    assert!(
        client.is_some(),
        "nothing was sent, so the client comes back"
    );
    assert!(err.to_string().contains("LOGINDISABLED"), "{err}");
}

/// A folder without mod-sequences answers SELECT with `[NOMODSEQ]` (RFC 7162 §3.1.2.2),
/// a normal answer: sync ends with its own error, not a protocol violation, and the
/// session goes on.
#[tokio::test]
async fn sync_on_a_folder_without_mod_sequences_is_nomodseq() {
    let server = FakeServer::start(vec![
        send("* OK [CAPABILITY IMAP4rev1 CONDSTORE] fake\r\n"),
        expect("LOGIN"),
        send("{tag} OK [CAPABILITY IMAP4rev1 CONDSTORE] in\r\n"),
        expect("SELECT"),
        send(
            "* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n\
             * OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences\r\n\
             {tag} OK [READ-WRITE] selected\r\n",
        ),
        expect("NOOP"),
        send("{tag} OK done\r\n"),
    ])
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let state = imap_async::SyncState {
        uid_validity: 7,
        highest_modseq: 1,
        known_uids: "1:3".parse().unwrap(),
    };
    let err = s.sync("Archive", &state).await.unwrap_err();
    match &err {
        Error::NoModSeq { folder, needed_for } => {
            assert_eq!(folder, "Archive");
            assert_eq!(needed_for, "sync");
        }
        other => panic!("expected NoModSeq, got {other:?}"),
    }
    assert!(!err.is_retryable() && !err.is_connection_lost(), "{err}");
    s.noop().await.unwrap();
}
