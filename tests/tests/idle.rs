//! IDLE against the real servers (Dovecot, Cyrus): a second connection makes changes, the
//! watcher sees each one as the right event; restarts lose nothing; a dead server ends the
//! stream with an error.

use std::time::Duration;

use futures::StreamExt;
use imap_async::{ConnectOptions, Error, IdleEvent, IdleOptions, Session, UidSet};
use imap_async_tests::{ImapServer, RealServer, TestUser, on_both_server_kinds, on_both_servers};

const MSG: &[u8] = b"From: a@example.org\r\nSubject: idle test\r\n\r\nbody\r\n";

fn options(server: &dyn ImapServer, user: &TestUser) -> ConnectOptions {
    server.plaintext_options(user)
}

/// Next event within 10 s (Dovecot notifies about 0.5 s after a change, or at its 1 s poll;
/// Cyrus's idled wakes the session at once).
async fn next_event<'a, S>(idle: &mut imap_async::Idle<'a, S>) -> IdleEvent
where
    S: std::borrow::BorrowMut<Session> + Send + Unpin + 'a,
{
    tokio::time::timeout(Duration::from_secs(10), idle.next())
        .await
        .expect("an event within 10 s")
        .expect("the stream goes on")
        .expect("no error")
}

/// Skip events until one matches (Dovecot may add RECENT or flag updates in between).
async fn wait_for<'a, S>(
    idle: &mut imap_async::Idle<'a, S>,
    what: &str,
    f: impl Fn(&IdleEvent) -> bool,
) -> IdleEvent
where
    S: std::borrow::BorrowMut<Session> + Send + Unpin + 'a,
{
    for _ in 0..20 {
        let e = next_event(idle).await;
        if f(&e) {
            return e;
        }
    }
    panic!("no {what} event among the next 20");
}

async fn changes_by_another_client_arrive_as_typed_events(server: &dyn ImapServer) {
    let user = server.new_user();
    server.append_message(&user.name, "INBOX", MSG);
    server.append_message(&user.name, "INBOX", MSG);
    let opts = options(server, &user);
    let mut watcher = Session::connect(&opts).await.unwrap();
    assert_eq!(watcher.select_folder("INBOX").await.unwrap().exists, 2);
    let mut other = Session::connect(&opts).await.unwrap();
    other.select_folder("INBOX").await.unwrap();

    let mut idle = watcher.idle().await.unwrap();

    // APPEND -> EXISTS 3
    server.append_message(&user.name, "INBOX", MSG);
    let e = wait_for(&mut idle, "EXISTS", |e| matches!(e, IdleEvent::Exists(_))).await;
    assert_eq!(e, IdleEvent::Exists(3));

    // flag change -> FETCH with the new flags
    other
        .fetch(
            &UidSet::from(imap_async::Uid::new(2).unwrap()),
            "BODY[TEXT]",
        )
        .await
        .unwrap();
    let e = wait_for(&mut idle, "FETCH", |e| matches!(e, IdleEvent::Fetch { .. })).await;
    match e {
        IdleEvent::Fetch { seq, flags, .. } => {
            assert_eq!(seq, 2);
            assert!(flags.unwrap().iter().any(|f| f == "\\Seen"));
        }
        other => panic!("{other:?}"),
    }

    // EXPUNGE of message 1 (by another session) -> EXPUNGE 1
    server.expunge(&user.name, "INBOX", "1");
    let e = wait_for(&mut idle, "EXPUNGE", |e| matches!(e, IdleEvent::Expunge(_))).await;
    assert_eq!(e, IdleEvent::Expunge(1));

    // MOVE of UID 3 (now sequence 2) out of the folder -> EXPUNGE 2
    server.move_messages(&user.name, "INBOX", "3", "Archive");
    let e = wait_for(&mut idle, "EXPUNGE", |e| matches!(e, IdleEvent::Expunge(_))).await;
    assert_eq!(e, IdleEvent::Expunge(2));

    let watcher = idle.done().await.unwrap();
    // Back to normal commands, and nothing was left half-read.
    let left = watcher.noop().await.unwrap();
    assert!(
        left.iter()
            .all(|u| !matches!(u, imap_async::proto::Untagged::Exists(3))),
        "{left:?}"
    );
    assert_eq!(watcher.search("ALL").await.unwrap().to_string(), "2");
    other.logout().await.unwrap();
}
on_both_servers!(changes_by_another_client_arrive_as_typed_events);

async fn restarts_lose_no_event(server: &dyn ImapServer) {
    let user = server.new_user();
    let opts = options(server, &user);
    let mut watcher = Session::connect(&opts).await.unwrap();
    watcher.select_folder("INBOX").await.unwrap();
    let idle_opts = IdleOptions::default().restart_interval(Duration::from_millis(300));
    let mut idle = watcher.idle_with(idle_opts).await.unwrap();
    // Ten messages over about three seconds: many restarts happen in between.
    let appender = {
        let user = user.name.clone();
        let shared = server.kind().shared();
        std::thread::spawn(move || {
            for _ in 0..10 {
                std::thread::sleep(Duration::from_millis(300));
                shared.append_message(&user, "INBOX", MSG);
            }
        })
    };
    let mut highest = 0;
    while highest < 10 {
        if let IdleEvent::Exists(n) = next_event(&mut idle).await {
            assert!(n > highest, "EXISTS never goes back: {n} after {highest}");
            highest = n;
        }
    }
    appender.join().unwrap();
    assert_eq!(highest, 10);
    let watcher = idle.done().await.unwrap();
    assert_eq!(watcher.search("ALL").await.unwrap().count(), Some(10));
}
on_both_servers!(restarts_lose_no_event);

async fn idle_check_returns_what_arrived(server: &dyn ImapServer) {
    let user = server.new_user();
    let mut s = Session::connect(&options(server, &user)).await.unwrap();
    s.select_folder("INBOX").await.unwrap();
    // Nothing happens: empty after the timeout.
    assert!(
        s.idle_check(Duration::from_millis(300))
            .await
            .unwrap()
            .is_empty()
    );
    server.append_message(&user.name, "INBOX", MSG);
    let events = s.idle_check(Duration::from_secs(10)).await.unwrap();
    assert!(events.contains(&IdleEvent::Exists(1)), "{events:?}");
    s.logout().await.unwrap();
}
on_both_servers!(idle_check_returns_what_arrived);

async fn dropping_the_stream_ends_idle_before_the_next_command(server: &dyn ImapServer) {
    let user = server.new_user();
    server.append_message(&user.name, "INBOX", MSG);
    let mut s = Session::connect(&options(server, &user)).await.unwrap();
    s.select_folder("INBOX").await.unwrap();
    {
        let mut idle = s.idle().await.unwrap();
        server.append_message(&user.name, "INBOX", MSG);
        let e = wait_for(&mut idle, "EXISTS", |e| matches!(e, IdleEvent::Exists(_))).await;
        assert_eq!(e, IdleEvent::Exists(2));
        // dropped here, without done()
    }
    let found = s
        .search("ALL")
        .await
        .expect("the next command gets its own answer");
    assert_eq!(found.to_string(), "1:2");
    s.logout().await.unwrap();
}
on_both_servers!(dropping_the_stream_ends_idle_before_the_next_command);

async fn a_kicked_session_ends_the_stream_with_bye(server: &dyn ImapServer) {
    let user = server.new_user();
    let mut s = Session::connect(&options(server, &user)).await.unwrap();
    s.select_folder("INBOX").await.unwrap();
    let mut idle = s.idle().await.unwrap();
    server.kick(&user.name);
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match idle.next().await {
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Some(e),
                None => return None,
            }
        }
    })
    .await
    .expect("the stream ends within 10 s");
    let e = end.expect("an error, not a silent end");
    assert!(
        matches!(e, Error::Bye { .. } | Error::ConnectionClosed { .. }),
        "{e:?}"
    );
    assert!(
        idle.next().await.is_none(),
        "after the error the stream is over"
    );
}
on_both_servers!(a_kicked_session_ends_the_stream_with_bye);

async fn a_server_that_dies_ends_the_stream_with_an_error(kind: RealServer) {
    let server = kind.start(false);
    let user = server.new_user();
    let mut s = Session::connect(&options(&*server, &user)).await.unwrap();
    s.select_folder("INBOX").await.unwrap();
    let mut idle = s
        .idle_with(IdleOptions::default().done_timeout(Duration::from_secs(2)))
        .await
        .unwrap();
    server.stop();
    let next = tokio::time::timeout(Duration::from_secs(10), idle.next())
        .await
        .expect("noticed within 10 s");
    match next {
        Some(Err(e)) => assert!(
            matches!(
                e,
                Error::Bye { .. } | Error::ConnectionClosed { .. } | Error::Io { .. }
            ),
            "{e:?}"
        ),
        other => panic!("expected an error, got {other:?}"),
    }
}
on_both_server_kinds!(a_server_that_dies_ends_the_stream_with_an_error);
