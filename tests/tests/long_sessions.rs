//! Sessions that live for days: every wait bounded and every violation named, and a plain
//! session that knows its connection died (and why). Scripted servers over real loopback
//! TCP for the faults, the harness's Dovecot for a real server's BYE.
//!
//! Each test prints the times it measured; the assertions on them are correctness bounds
//! (well above the deadline under test, well below the time the fault would take without
//! it), not benchmarks.

use std::time::{Duration, Instant};

use futures::StreamExt;
use imap_async::{Config, ConnectOptions, ConnectionState, Error, Session};
use imap_async_tests::fake::{FakeServer, Step, expect, send};
use imap_async_tests::{Dovecot, ImapServer};

const GREETING: &str = "* OK [CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN] fake\r\n";

fn then(rest: Vec<Step>) -> Vec<Step> {
    let mut s = vec![
        send(GREETING),
        expect("LOGIN"),
        send("{tag} OK [CAPABILITY IMAP4rev1 IDLE] in\r\n"),
    ];
    s.extend(rest);
    s
}

/// A response that never completes: one byte every 400 ms for about 20 s, each well within
/// any per-read timeout.
fn drip() -> Step {
    Step::Drip {
        text: "* OK this line never seems to end, the server sends it one byte at a time".into(),
        every: Duration::from_millis(400),
    }
}

fn opts(server: &FakeServer) -> ConnectOptions {
    server.options().login("user", "pw")
}

// --- A. Every wait bounded, every violation named ---

#[tokio::test]
async fn ini_timeout_bounds_a_dripping_response_and_logout_then_costs_nothing() {
    let server = FakeServer::start(then(vec![expect("NOOP"), drip()])).await;
    let ini = format!(
        "[DEFAULT]\nhost = 127.0.0.1\nport = {}\nssl = false\nusername = user\n\
         password = pw\ntimeout = 5\n",
        server.port
    );
    let config = Config::from_str_with_env(&ini, "long.ini", |_| None).unwrap();
    let base = config.default.base_options();
    assert_eq!(base.response_timeout, Duration::from_secs(5));
    let mut s = Session::connect(&base.login("user", "pw")).await.unwrap();
    let started = Instant::now();
    let err = s.noop().await.unwrap_err();
    let took = started.elapsed();
    eprintln!("NOOP against a dripping server with timeout = 5: {took:?} ({err})");
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("whole of a response"), "{err}");
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert!(err.is_connection_lost());
    assert!(matches!(s.connection_state(), ConnectionState::Unusable(_)));

    // The connection was given up: LOGOUT is not sent, the socket is just closed.
    let started = Instant::now();
    let logout = s.logout().await;
    let took = started.elapsed();
    eprintln!("LOGOUT after that: {took:?} ({logout:?})");
    assert!(matches!(logout, Err(Error::Unusable(_))), "{logout:?}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

#[tokio::test]
async fn a_stray_tag_fails_the_command_at_once_instead_of_waiting_out_the_timeout() {
    // The command's own completion never comes: before, the stray tag was ignored and the
    // command waited out its 5 s timeout.
    let server = FakeServer::start(then(vec![
        expect("NOOP"),
        send("* 4 EXISTS\r\nX77 OK [READ-WRITE] not yours\r\n"),
    ]))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let started = Instant::now();
    let err = s.noop().await.unwrap_err();
    let took = started.elapsed();
    eprintln!("NOOP answered with a stray tag: {took:?} ({err})");
    match &err {
        Error::Protocol(msg) => assert!(msg.contains("X77"), "{msg}"),
        other => panic!("expected a protocol error, got {other:?}"),
    }
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert!(s.is_closed());
    let started = Instant::now();
    assert!(matches!(s.logout().await, Err(Error::Unusable(_))));
    eprintln!("LOGOUT after that: {:?}", started.elapsed());
}

#[tokio::test]
async fn a_stray_tag_during_idle_ends_the_stream_at_once() {
    let server = FakeServer::start(then(vec![
        expect("IDLE"),
        send("+ idling\r\n"),
        Step::Sleep(Duration::from_millis(200)),
        send("* 3 EXISTS\r\nA999 OK what was that\r\n"),
    ]))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let started = Instant::now();
    let mut idle = s.idle().await.unwrap();
    match idle.next().await {
        Some(Ok(imap_async::IdleEvent::Exists(3))) => {}
        other => panic!("expected EXISTS first, got {other:?}"),
    }
    let end = tokio::time::timeout(Duration::from_secs(10), idle.next())
        .await
        .expect("the stream ended within 10 s");
    let took = started.elapsed();
    eprintln!("IDLE with a stray tag: ended after {took:?} with {end:?}");
    match end {
        Some(Err(Error::Protocol(msg))) => assert!(msg.contains("A999"), "{msg}"),
        other => panic!("expected a protocol error, got {other:?}"),
    }
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[tokio::test]
async fn logout_after_a_stalled_command_is_bounded_by_the_logout_timeout() {
    // NOOP is never answered. Its timeout leaves it in flight (the next command would read
    // its rest first); LOGOUT must not spend another command timeout on that.
    let server = FakeServer::start(then(vec![
        expect("NOOP"),
        Step::Sleep(Duration::from_secs(20)),
    ]))
    .await;
    let opts = opts(&server)
        .command_timeout(Duration::from_secs(3))
        .logout_timeout(Duration::from_secs(1));
    let mut s = Session::connect(&opts).await.unwrap();
    let started = Instant::now();
    let err = s.noop().await.unwrap_err();
    eprintln!("stalled NOOP: {:?} ({err})", started.elapsed());
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.is_connection_lost());
    let started = Instant::now();
    let logout = s.logout().await;
    let took = started.elapsed();
    eprintln!("LOGOUT after the stalled NOOP: {took:?} ({logout:?})");
    assert!(logout.unwrap_err().is_timeout());
    assert!(took < Duration::from_millis(2500), "took {took:?}");
}

#[tokio::test]
async fn with_session_after_a_stalled_command_closes_within_the_logout_timeout() {
    let server = FakeServer::start(then(vec![
        expect("NOOP"),
        Step::Sleep(Duration::from_secs(20)),
    ]))
    .await;
    let opts = opts(&server)
        .command_timeout(Duration::from_secs(2))
        .logout_timeout(Duration::from_secs(1));
    let started = Instant::now();
    let result = imap_async::with_session(&opts, async |s| s.noop().await.map(drop)).await;
    let took = started.elapsed();
    eprintln!("with_session, stalled NOOP then LOGOUT: {took:?} ({result:?})");
    assert!(result.unwrap_err().is_timeout());
    // 2 s for the NOOP, at most 1 s for LOGOUT; without the bound, 2 s more.
    assert!(took < Duration::from_millis(3800), "took {took:?}");
}

// --- B. A plain Session that knows it died ---

#[tokio::test]
async fn bye_while_idle_is_reported_with_its_text_and_the_idle_time() {
    let server = FakeServer::start(then(vec![
        Step::Sleep(Duration::from_millis(300)),
        send("* BYE Autologout; idle for too long\r\n"),
        Step::Close,
    ]))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let quiet = Duration::from_millis(1200);
    tokio::time::sleep(quiet).await;
    let started = Instant::now();
    let err = s.noop().await.unwrap_err();
    eprintln!("NOOP after {quiet:?} idle: {:?} ({err})", started.elapsed());
    match &err {
        Error::ConnectionClosed {
            during,
            bye,
            idle_for,
        } => {
            assert_eq!(during, "sending NOOP");
            assert_eq!(bye.as_deref(), Some("Autologout; idle for too long"));
            let idle = idle_for.expect("the idle time is known");
            assert!(idle >= quiet, "idle for {idle:?}");
        }
        other => panic!("expected ConnectionClosed, got {other:?}"),
    }
    let shown = err.to_string();
    assert!(shown.contains("Autologout; idle for too long"), "{shown}");
    assert!(shown.contains("idle for 1."), "{shown}");
    assert!(err.is_connection_lost());
    assert_eq!(
        s.connection_state(),
        ConnectionState::Closed {
            bye: Some("Autologout; idle for too long".into())
        }
    );
    // Every later command: the same error, without touching the socket.
    let again = s.select_folder("INBOX").await.unwrap_err();
    match &again {
        Error::ConnectionClosed { during, bye, .. } => {
            assert_eq!(during, "sending SELECT");
            assert_eq!(bye.as_deref(), Some("Autologout; idle for too long"));
        }
        other => panic!("expected ConnectionClosed again, got {other:?}"),
    }
    assert!(matches!(
        s.logout().await,
        Err(Error::ConnectionClosed { .. })
    ));
}

#[tokio::test]
async fn a_reset_connection_is_connection_closed_not_an_io_error() {
    let server = FakeServer::start(then(vec![
        Step::Sleep(Duration::from_millis(200)),
        Step::Reset,
    ]))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let err = s.noop().await.unwrap_err();
    eprintln!("NOOP after a reset: {err}");
    assert!(
        matches!(&err, Error::ConnectionClosed { bye: None, .. }),
        "{err:?}"
    );
    assert!(err.is_connection_lost());
    assert!(s.is_closed());
    let again = s.noop().await.unwrap_err();
    assert!(matches!(again, Error::ConnectionClosed { .. }), "{again:?}");
}

#[tokio::test]
async fn a_bye_and_close_mid_command_still_names_the_bye() {
    // The BYE arrives while the command runs: the BYE error, as before; the connection
    // state says why it is closed.
    let server = FakeServer::start(then(vec![
        expect("NOOP"),
        send("* BYE [UNAVAILABLE] shutting down\r\n"),
        Step::Close,
    ]))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let err = s.noop().await.unwrap_err();
    assert!(
        matches!(&err, Error::Bye { text, .. } if text == "shutting down"),
        "{err:?}"
    );
    assert!(err.is_connection_lost());
    assert_eq!(
        s.connection_state(),
        ConnectionState::Closed {
            bye: Some("shutting down".into())
        }
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kicked_idle_dovecot_session_reports_the_bye_dovecot_sent() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let mut s = Session::connect(&server.plaintext_options(&user))
        .await
        .unwrap();
    s.select_folder("INBOX").await.unwrap();
    let quiet = Duration::from_millis(500);
    tokio::time::sleep(quiet).await;
    server.kick(&user.name);
    // doveadm kick returns once Dovecot was asked; give the BYE a moment to arrive.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let err = s.noop().await.unwrap_err();
    eprintln!("NOOP after doveadm kick: {err}");
    assert!(err.is_connection_lost(), "{err:?}");
    assert!(s.is_closed());
    let Error::ConnectionClosed {
        during,
        bye,
        idle_for,
    } = &err
    else {
        panic!("expected ConnectionClosed, got {err:?}");
    };
    assert_eq!(during, "sending NOOP");
    let bye = bye.as_deref().expect("Dovecot says BYE when kicking");
    assert!(!bye.trim().is_empty());
    assert!(err.to_string().contains(bye), "{err}");
    assert!(idle_for.expect("idle time known") >= quiet + quiet);
    assert_eq!(
        s.connection_state(),
        ConnectionState::Closed {
            bye: Some(bye.to_owned())
        }
    );
    match s.noop().await {
        Err(Error::ConnectionClosed { bye: again, .. }) => {
            assert_eq!(again.as_deref(), Some(bye))
        }
        other => panic!("expected ConnectionClosed again, got {other:?}"),
    }
}
