//! Faults a real server will not produce on demand, from a scripted server over loopback
//! TCP: garbage, a stall, a cut connection, BYE mid-command, a huge literal, a command
//! abandoned by its caller.

use std::time::Duration;

use futures::StreamExt;
use imap_async::session::FetchAttr;
use imap_async::{Client, ConnectOptions, Error, Session, UidSet};
use imap_async_tests::fake::{FakeServer, Step, expect, send};

const GREETING: &str = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake ready\r\n";

fn login_steps() -> Vec<Step> {
    vec![
        send(GREETING),
        expect("LOGIN"),
        send("{tag} OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n"),
    ]
}

fn opts(server: &FakeServer) -> ConnectOptions {
    server.options().command_timeout(Duration::from_millis(500))
}

fn script(rest: Vec<Step>) -> Vec<Step> {
    let mut s = login_steps();
    s.extend(rest);
    s
}

#[tokio::test]
async fn garbage_response_is_a_parse_error_and_the_session_survives() {
    let server = FakeServer::start(script(vec![
        expect("NOOP"),
        send("* 1 FETCH (FLAGS (\\Seen) UID)\r\n"), // UID without a number
        send("{tag} OK done\r\n"),
        expect("NOOP"),
        send("* 3 EXISTS\r\n{tag} OK still fine\r\n"),
        expect("LOGOUT"),
        send("* BYE bye\r\n{tag} OK\r\n"),
    ]))
    .await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    let err = session.noop().await.expect_err("garbage must be reported");
    match &err {
        Error::Parse(p) => assert_eq!(&p.raw[..], b"* 1 FETCH (FLAGS (\\Seen) UID)\r\n"),
        other => panic!("expected a parse error, got {other:?}"),
    }
    assert!(
        err.to_string().contains("FETCH (FLAGS"),
        "the error shows the raw line: {err}"
    );
    let news = session.noop().await.expect("the session is still usable");
    assert_eq!(news, vec![imap_async::proto::Untagged::Exists(3)]);
    session.logout().await.unwrap();
    assert_eq!(server.finish().await.len(), 4);
}

/// An unreadable FETCH among messages that arrive together (taken from the read buffer
/// without waiting) is reported in its place, and the stream goes on to the next message
/// and the end; collecting reports it after reading everything. The session stays usable.
#[tokio::test]
async fn an_unreadable_fetch_in_a_stream_is_reported_and_the_stream_goes_on() {
    let answer = "* 1 FETCH (UID 1 FLAGS ())\r\n\
                  * 2 FETCH (FLAGS (\\Seen) UID)\r\n\
                  * 3 FETCH (UID 3 FLAGS ())\r\n\
                  {tag} OK done\r\n";
    let server = FakeServer::start(script(vec![
        expect("SELECT"),
        send("* 3 EXISTS\r\n{tag} OK [READ-WRITE] selected\r\n"),
        expect("UID FETCH"),
        send(answer),
        expect("UID FETCH"),
        send(answer),
        expect("NOOP"),
        send("{tag} OK fine\r\n"),
        expect("LOGOUT"),
        send("* BYE bye\r\n{tag} OK\r\n"),
    ]))
    .await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    session.select_folder("INBOX").await.unwrap();
    let got: Vec<_> = session
        .fetch_stream(&UidSet::all(), FetchAttr::Flags)
        .unwrap()
        .collect()
        .await;
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].as_ref().unwrap().uid().map(|u| u.get()), Some(1));
    match &got[1] {
        Err(Error::Parse(p)) => assert_eq!(&p.raw[..], b"* 2 FETCH (FLAGS (\\Seen) UID)\r\n"),
        other => panic!("expected a parse error, got {other:?}"),
    }
    assert_eq!(got[2].as_ref().unwrap().uid().map(|u| u.get()), Some(3));
    let err = session
        .fetch(&UidSet::all(), FetchAttr::Flags)
        .await
        .expect_err("the unreadable response is reported");
    assert!(matches!(err, Error::Parse(_)), "{err:?}");
    session.noop().await.expect("the session is still usable");
    session.logout().await.unwrap();
    server.finish().await;
}

#[tokio::test]
async fn a_stalled_server_times_out() {
    let server = FakeServer::start(script(vec![
        expect("NOOP"),
        Step::Sleep(Duration::from_secs(5)),
    ]))
    .await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    // The server stalls for 5 s; the session's own command timeout must end the wait
    // first (the outer limit only keeps a broken timeout from hanging the test).
    let err = tokio::time::timeout(Duration::from_secs(4), session.noop())
        .await
        .expect("the command timeout ended the wait before the server woke up")
        .expect_err("stall must time out");
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("NOOP"), "{err}");
}

#[tokio::test]
async fn a_stalled_greeting_times_out() {
    let server = FakeServer::start(vec![Step::Sleep(Duration::from_secs(5))]).await;
    let opts = opts(&server).connect_timeout(Duration::from_millis(300));
    let err = Client::connect(&opts).await.expect_err("no greeting");
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("greeting"), "{err}");
}

#[tokio::test]
async fn connection_cut_mid_literal_is_a_typed_error() {
    let server = FakeServer::start(script(vec![
        expect("UID FETCH"),
        send("* 1 FETCH (UID 1 BODY[] {100}\r\nonly a part of it"),
        Step::Close,
    ]))
    .await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    let err = session
        .fetch(&UidSet::all(), "BODY[]")
        .await
        .expect_err("cut");
    assert!(matches!(err, Error::ConnectionClosed { .. }), "{err:?}");
    // Later commands fail at once, with the same error (not a failed write).
    let again = session.noop().await.expect_err("still closed");
    assert!(
        matches!(&again, Error::ConnectionClosed { during, bye: None, .. } if during == "sending NOOP"),
        "{again:?}"
    );
}

#[tokio::test]
async fn bye_mid_command_is_a_typed_error() {
    let server = FakeServer::start(script(vec![
        expect("SELECT"),
        send("* BYE [UNAVAILABLE] shutting down\r\n"),
        Step::Close,
    ]))
    .await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    let err = session.select_folder("INBOX").await.expect_err("BYE");
    match &err {
        Error::Bye { text, .. } => assert_eq!(text, "shutting down"),
        other => panic!("expected BYE, got {other:?}"),
    }
    // The session is over: the next command says so, with what the server said.
    match session.noop().await {
        Err(Error::ConnectionClosed {
            bye: Some(text), ..
        }) => assert_eq!(text, "shutting down"),
        other => panic!("expected the closed connection, got {other:?}"),
    }
}

#[tokio::test]
async fn a_huge_literal_header_is_refused_without_allocating() {
    let server = FakeServer::start(script(vec![
        expect("UID FETCH"),
        send("* 1 FETCH (UID 1 BODY[] {99999999999}\r\n"),
    ]))
    .await;
    let mut session = Session::connect(&opts(&server)).await.unwrap();
    let err = session
        .fetch(&UidSet::all(), "BODY[]")
        .await
        .expect_err("too large");
    assert!(matches!(err, Error::Frame(_)), "{err:?}");
    assert!(err.to_string().contains("99999999999"), "{err}");
}

#[tokio::test]
async fn an_abandoned_command_does_not_confuse_the_next_one() {
    let server = FakeServer::start(script(vec![
        expect("UID SEARCH"),
        Step::Sleep(Duration::from_millis(300)),
        send("* SEARCH 7 8 9\r\n* 4 EXISTS\r\n{tag} OK search done\r\n"),
        expect("UID SEARCH"),
        send("* SEARCH 1\r\n{tag} OK search done\r\n"),
    ]))
    .await;
    let mut session = Session::connect(&opts(&server).command_timeout(Duration::from_secs(5)))
        .await
        .unwrap();
    // The caller gives up on the first search after 100 ms: its future is dropped.
    let abandoned = tokio::time::timeout(Duration::from_millis(100), session.search("ALL")).await;
    assert!(abandoned.is_err(), "the first search was still waiting");
    // The second search must get its own answer, not the leftovers of the first.
    let uids = session.search("UNSEEN").await.unwrap();
    assert_eq!(uids.to_string(), "1");
    // The abandoned command's untagged data is not lost either.
    let queued = session.take_unsolicited();
    assert!(
        queued.contains(&imap_async::proto::Untagged::Exists(4)),
        "{queued:?}"
    );
    drop(session);
    server.finish().await;
}

#[tokio::test]
async fn sasl_without_sasl_ir_waits_for_the_continuation() {
    let server = FakeServer::start(vec![
        send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] no SASL-IR here\r\n"),
        expect("AUTHENTICATE PLAIN"),
        send("+ \r\n"),
        expect("AHVzZXIAc2VjcmV0"), // base64 of "\0user\0secret"
        send("{tag} OK [CAPABILITY IMAP4rev1] welcome\r\n"),
    ])
    .await;
    let client = Client::connect(&opts(&server)).await.unwrap();
    let session = client
        .authenticate_plain(None, "user", "secret")
        .await
        .unwrap();
    drop(session);
    let lines = server.finish().await;
    assert!(
        lines[0].ends_with("AUTHENTICATE PLAIN"),
        "no initial response without SASL-IR: {lines:?}"
    );
}

#[tokio::test]
async fn starttls_refuses_data_sent_before_the_handshake() {
    let server = FakeServer::start(vec![
        send("* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n"),
        expect("STARTTLS"),
        // An attacker appends a response to the OK; it must not be read as if under TLS.
        send("{tag} OK begin TLS\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n"),
    ])
    .await;
    let opts = opts(&server).starttls();
    let err = Client::connect(&opts)
        .await
        .expect_err("injection must be refused");
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    assert!(
        err.to_string().contains("before the TLS handshake"),
        "{err}"
    );
}

#[tokio::test]
async fn a_password_that_needs_a_literal_waits_for_the_continuation() {
    // No LITERAL+ advertised: the literal must be synchronizing, and sent only after "+".
    let server = FakeServer::start(vec![
        send("* OK [CAPABILITY IMAP4rev1] plain literals only\r\n"),
        expect("LOGIN user {6}"),
        send("{tag} OK [CAPABILITY IMAP4rev1] in\r\n"),
        expect("LOGOUT"),
        send("* BYE\r\n{tag} OK\r\n"),
    ])
    .await;
    let opts = opts(&server).login("user", "pä\"ss");
    let session = Session::connect(&opts).await.unwrap();
    session.logout().await.unwrap();
    let lines = server.finish().await;
    assert_eq!(lines[0], "A1 LOGIN user {6}pä\"ss", "{lines:?}");
}
