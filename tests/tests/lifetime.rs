//! Sessions that live for days: `Session::keep_alive_while` (NOOPs while the caller waits,
//! a hang-up noticed as it happens) and `Session::reconnect` (same options, same
//! credentials source, the folder selected again in the same mode, UIDVALIDITY compared),
//! against the harness's Dovecot and a scripted server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use imap_async::proto::Untagged;
use imap_async::{Client, Error, Session};
use imap_async_tests::fake::{FakeServer, Step, expect, send};
use imap_async_tests::{Dovecot, ImapServer, TestUser};

fn message(i: usize) -> Vec<u8> {
    format!("From: a@example.org\r\nSubject: lifetime {i}\r\n\r\nBody {i}.\r\n").into_bytes()
}

fn user_with_mail(server: &Dovecot, folder: &str, n: usize) -> TestUser {
    let user = server.new_user();
    for i in 1..=n {
        server.append_message(&user.name, folder, &message(i));
    }
    user
}

/// Kick the user and wait until the session's next command fails, as it must.
async fn kick_and_see_it_fail(server: &Dovecot, user: &TestUser, session: &mut Session) -> Error {
    server.kick(&user.name);
    for _ in 0..50 {
        match session.noop().await {
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => return e,
        }
    }
    panic!("the kicked session kept working");
}

/// Kicked by the server: the next command fails; `reconnect` brings the session back
/// with the folder examined again (still read-only), and it sees what another session
/// appends afterwards.
#[tokio::test]
async fn reconnect_after_a_kick_examines_the_folder_again() {
    let server = Dovecot::shared();
    let user = user_with_mail(server, "INBOX", 2);
    let opts = server.plaintext_options(&user);
    let mut session = Session::connect(&opts).await.unwrap();
    assert!(session.is_connected());
    let before = session.examine_folder("INBOX").await.unwrap();
    assert!(!before.read_write);

    let err = kick_and_see_it_fail(server, &user, &mut session).await;
    assert!(err.is_retryable(), "{err:?}");
    assert!(!session.is_connected(), "the failure is remembered");
    assert!(session.connection_error().is_some());

    let back = session.reconnect().await.unwrap();
    assert!(session.is_connected());
    assert_eq!(back.folder.as_deref(), Some("INBOX"));
    assert_eq!(session.selected_folder(), Some("INBOX"));
    let info = back.selected.expect("INBOX was selected again");
    assert!(!info.read_write, "EXAMINE stays EXAMINE: {info:?}");
    assert_eq!(info.exists, 2);
    assert!(!back.uid_validity_changed);
    assert_eq!(back.old_uid_validity, before.uid_validity);
    assert_eq!(back.new_uid_validity, before.uid_validity);
    // Read-only for real: a STORE changes nothing (Dovecot answers OK and ignores it;
    // RFC 3501 §6.3.2 only says the folder is not modified).
    let one = "1".parse::<imap_async::UidSet>().unwrap();
    let _ = session.add_flags(&one, [imap_async::Flag::Flagged]).await;
    let flags = session.get_flags(&one).await.unwrap();
    let flags = flags.values().next().expect("message 1 has flags");
    assert!(
        !flags.iter().any(|f| f == "\\Flagged"),
        "the examined folder was modified: {flags:?}"
    );

    // Another session appends; the reconnected session sees it.
    let mut other = Session::connect(&opts).await.unwrap();
    other
        .append("INBOX", message(3), imap_async::Flag::NONE, None)
        .await
        .unwrap();
    other.logout().await.unwrap();
    let mut seen = false;
    for _ in 0..30 {
        let news = session.noop().await.unwrap();
        if news.contains(&Untagged::Exists(3)) {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen, "EXISTS 3 after the other session's APPEND");
    assert_eq!(session.search("ALL").await.unwrap().to_string(), "1:3");
    session.logout().await.unwrap();
}

/// The folder is deleted and created again while the session is away: `reconnect` says
/// the UIDVALIDITY changed, with both values.
#[tokio::test]
async fn reconnect_reports_a_changed_uidvalidity() {
    let server = Dovecot::shared();
    let user = user_with_mail(server, "Work", 2);
    let opts = server.plaintext_options(&user);
    let mut session = Session::connect(&opts).await.unwrap();
    let before = session.select_folder("Work").await.unwrap();
    let old = before.uid_validity.expect("Dovecot reports UIDVALIDITY");

    kick_and_see_it_fail(server, &user, &mut session).await;
    let mut other = Session::connect(&opts).await.unwrap();
    other.delete_folder("Work").await.unwrap();
    other.create_folder("Work").await.unwrap();
    other
        .append("Work", message(9), imap_async::Flag::NONE, None)
        .await
        .unwrap();
    other.logout().await.unwrap();

    let back = session.reconnect().await.unwrap();
    assert!(back.uid_validity_changed, "{back:?}");
    assert_eq!(back.old_uid_validity, Some(old));
    assert_ne!(back.new_uid_validity, Some(old));
    assert_eq!(
        back.new_uid_validity,
        back.selected.as_ref().unwrap().uid_validity
    );
    let info = back.selected.unwrap();
    assert!(info.read_write, "SELECT stays SELECT");
    assert_eq!(info.exists, 1, "the new folder holds only the new message");
    session.logout().await.unwrap();
}

/// A session logged in by hand has no options to connect again with: a clear error,
/// and the session is left as it was.
#[tokio::test]
async fn reconnect_needs_connect_options() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let opts = server.plaintext_options(&user);
    let mut session = Client::connect(&opts)
        .await
        .unwrap()
        .login(&user.name, &user.password)
        .await
        .unwrap();
    let err = session.reconnect().await.unwrap_err();
    match &err {
        Error::InvalidInput { what, reason } => {
            assert_eq!(what, "reconnect");
            assert!(reason.contains("Session::connect"), "{reason}");
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    assert!(session.is_connected());
    session.noop().await.unwrap();
    session.logout().await.unwrap();
}

const GREETING: &str = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake ready\r\n";

fn login() -> Vec<Step> {
    vec![
        send(GREETING),
        expect("LOGIN"),
        send("{tag} OK [CAPABILITY IMAP4rev1 ENABLE CONDSTORE IDLE] logged in\r\n"),
    ]
}

fn with_login(rest: Vec<Step>) -> Vec<Step> {
    let mut s = login();
    s.extend(rest);
    s
}

/// NOOPs go out at the interval while the caller waits, their unsolicited data is kept,
/// and the wait ends when the caller's future does.
#[tokio::test]
async fn keep_alive_sends_noops_at_the_interval() {
    let two_noops = Arc::new(tokio::sync::Notify::new());
    let server = FakeServer::start(with_login(vec![
        expect("NOOP"),
        send("* 5 EXISTS\r\n{tag} OK noop\r\n"),
        expect("NOOP"),
        send("{tag} OK noop\r\n"),
        Step::Notify(two_noops.clone()),
        expect("LOGOUT"),
        send("* BYE bye\r\n{tag} OK\r\n"),
    ]))
    .await;
    let mut session = Session::connect(&server.options()).await.unwrap();
    let interval = Duration::from_millis(200);
    let started = Instant::now();
    let out = tokio::time::timeout(
        Duration::from_secs(10),
        session.keep_alive_while(interval, async {
            two_noops.notified().await;
            "done"
        }),
    )
    .await
    .expect("the wait ends when the caller's future does")
    .unwrap();
    assert_eq!(out, "done");
    assert!(
        started.elapsed() >= 2 * interval,
        "no NOOP before its interval: {:?}",
        started.elapsed()
    );
    assert!(session.is_connected());
    assert_eq!(session.take_unsolicited(), vec![Untagged::Exists(5)]);
    session.logout().await.unwrap();
    let lines = server.finish().await;
    assert_eq!(
        lines.iter().filter(|l| l.ends_with(" NOOP")).count(),
        2,
        "{lines:?}"
    );
}

/// The server hangs up (autologout BYE) while the caller waits: the wait goes on to the
/// caller's future, the session knows it is dead, and the next command says why
/// without sending anything.
#[tokio::test]
async fn keep_alive_notices_a_bye_and_the_next_command_reports_it() {
    let server = FakeServer::start(with_login(vec![
        Step::Sleep(Duration::from_millis(100)),
        send("* BYE Autologout; idle for too long\r\n"),
        Step::Close,
    ]))
    .await;
    let mut session = Session::connect(&server.options()).await.unwrap();
    let started = Instant::now();
    // A long interval: no NOOP is needed to notice a BYE.
    session
        .keep_alive_while(
            Duration::from_secs(30),
            tokio::time::sleep(Duration::from_millis(600)),
        )
        .await
        .unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(600) && waited < Duration::from_secs(5),
        "the wait lasted as long as the caller's future: {waited:?}"
    );
    assert!(!session.is_connected());
    // A BYE that came between commands: the connection is closed, and the error
    // carries what the server said.
    match session.connection_error() {
        Some(Error::ConnectionClosed {
            bye: Some(text), ..
        }) => {
            assert!(text.contains("Autologout"), "{text}")
        }
        other => panic!("expected the BYE, got {other:?}"),
    }
    match session.noop().await {
        Err(Error::ConnectionClosed {
            bye: Some(text), ..
        }) => {
            assert!(text.contains("Autologout"), "{text}")
        }
        other => panic!("expected the BYE, got {other:?}"),
    }
    assert_eq!(server.finish().await.len(), 1, "only LOGIN was sent");
}

/// A NOOP the server never answers: the session is declared dead once the command
/// timeout passes, and the caller's wait is not cut short.
#[tokio::test]
async fn keep_alive_gives_up_on_a_silent_server() {
    let server = FakeServer::start(with_login(vec![
        expect("NOOP"),
        Step::Sleep(Duration::from_secs(2)),
    ]))
    .await;
    let opts = server.options().command_timeout(Duration::from_millis(300));
    let mut session = Session::connect(&opts).await.unwrap();
    session
        .keep_alive_while(
            Duration::from_millis(100),
            tokio::time::sleep(Duration::from_millis(1200)),
        )
        .await
        .unwrap();
    assert!(!session.is_connected());
    let err = session.noop().await.unwrap_err();
    assert!(
        err.to_string().contains("keep-alive NOOP"),
        "the error says what happened: {err}"
    );
    drop(session);
    assert_eq!(server.finish().await.len(), 2);
}

#[tokio::test]
async fn keep_alive_refuses_a_zero_interval() {
    let server = FakeServer::start(with_login(vec![])).await;
    let mut session = Session::connect(&server.options()).await.unwrap();
    let err = session
        .keep_alive_while(Duration::ZERO, async {})
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    assert!(session.is_connected());
}

/// On the wire: the second connection logs in again, enables again what was enabled, and
/// opens the folder with the same command and parameters (EXAMINE ... (CONDSTORE)).
#[tokio::test]
async fn reconnect_enables_and_examines_again_on_the_wire() {
    let examine_answer = "* 3 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n\
                          * OK [HIGHESTMODSEQ 7] ok\r\n{tag} OK [READ-ONLY] examined\r\n";
    let server = FakeServer::start_sessions(vec![
        with_login(vec![
            expect("ENABLE CONDSTORE"),
            send("* ENABLED CONDSTORE\r\n{tag} OK enabled\r\n"),
            expect("EXAMINE INBOX (CONDSTORE)"),
            send(examine_answer),
            send("* BYE Autologout\r\n"),
            Step::Close,
        ]),
        with_login(vec![
            expect("ENABLE CONDSTORE"),
            send("* ENABLED CONDSTORE\r\n{tag} OK enabled\r\n"),
            expect("EXAMINE INBOX (CONDSTORE)"),
            send(examine_answer),
            expect("LOGOUT"),
            send("* BYE bye\r\n{tag} OK\r\n"),
        ]),
    ])
    .await;
    let mut session = Session::connect(&server.options()).await.unwrap();
    session.enable(&["CONDSTORE"]).await.unwrap();
    let options = imap_async::SelectOptions::default()
        .readonly(true)
        .condstore(true);
    session.select_folder_with("INBOX", options).await.unwrap();
    let err = session.noop().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Bye { .. } | Error::ConnectionClosed { bye: Some(_), .. }
        ),
        "{err:?}"
    );
    let back = session.reconnect().await.unwrap();
    let info = back.selected.unwrap();
    assert!(!info.read_write);
    assert_eq!(info.highest_modseq, Some(7));
    assert!(!back.uid_validity_changed);
    assert_eq!(back.new_uid_validity, Some(42));
    session.logout().await.unwrap();
    assert_eq!(server.finish().await.len(), 7);
}
