//! Cancellation safety against the real servers (Dovecot, Cyrus): command futures dropped at random await
//! points leave the session either usable, with every later answer matched to the right
//! command, or refusing further use with a clear error. Never a response given to the
//! wrong command.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use imap_async::proto::Untagged;
use imap_async::{ConnectionState, Error, Flag, Session, UidSet};
use imap_async_tests::{ImapServer, on_both_servers};

/// Polls a future `polls` times (yielding to the runtime in between, so socket I/O makes
/// progress), then drops it wherever it stands.
async fn poll_then_drop<F: Future>(fut: F, polls: usize) -> Option<F::Output> {
    let mut fut = Box::pin(fut);
    for _ in 0..polls {
        let ready = std::future::poll_fn(|cx: &mut Context<'_>| match fut.as_mut().poll(cx) {
            Poll::Ready(v) => Poll::Ready(Some(v)),
            Poll::Pending => Poll::Ready(None),
        })
        .await;
        if ready.is_some() {
            return ready;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    drop(fut);
    None
}

/// A small deterministic generator, so a failure can be replayed from its seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

type BoxFut<'a> = Pin<Box<dyn Future<Output = imap_async::Result<()>> + Send + 'a>>;

/// One of several commands, chosen by `which`, with its result discarded.
fn some_command(s: &mut Session, which: u64) -> BoxFut<'_> {
    match which {
        0 => Box::pin(async move { s.search("ALL").await.map(drop) }),
        1 => Box::pin(async move {
            s.fetch(&UidSet::all(), "(FLAGS ENVELOPE BODY.PEEK[])")
                .await
                .map(drop)
        }),
        2 => Box::pin(async move { s.select_folder("INBOX").await.map(drop) }),
        3 => Box::pin(async move { s.noop().await.map(drop) }),
        4 => Box::pin(async move { s.list_folders("", "*").await.map(drop) }),
        _ => Box::pin(async move {
            let mut idle = s.idle().await?;
            let _ = idle.check(Duration::from_millis(5)).await?;
            idle.done().await.map(drop)
        }),
    }
}

async fn commands_dropped_at_random_points_never_confuse_later_ones(server: &dyn ImapServer) {
    let user = server.new_user();
    for i in 0..40u32 {
        let body = format!(
            "Subject: message {i}\r\n\r\n{}\r\n",
            "x".repeat(200 * i as usize)
        );
        server.append_message(&user.name, "INBOX", body.as_bytes());
    }
    let opts = server.plaintext_options(&user);
    let mut session = Session::connect(&opts).await.unwrap();
    session.select_folder("INBOX").await.unwrap();

    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut cancelled = 0;
    let mut reconnects = 0;
    for round in 0..200 {
        let which = rng.below(6);
        let polls = rng.below(12) as usize;
        if poll_then_drop(some_command(&mut session, which), polls)
            .await
            .is_none()
        {
            cancelled += 1;
        }
        // Whatever state that left, the next commands get their own answers.
        match session.select_folder("INBOX").await {
            Ok(info) => {
                assert_eq!(
                    info.exists, 40,
                    "round {round}: SELECT answered with another command's data"
                );
                let all = session.search("ALL").await.unwrap();
                assert_eq!(all.to_string(), "1:40", "round {round}");
                let one = session
                    .fetch(
                        &"7".parse::<UidSet>().unwrap(),
                        "BODY.PEEK[HEADER.FIELDS (SUBJECT)]",
                    )
                    .await
                    .unwrap();
                assert_eq!(one.len(), 1, "round {round}");
                assert_eq!(one[0].uid().map(|u| u.get()), Some(7));
                let subject = one[0].body("HEADER.FIELDS (SUBJECT)").unwrap();
                assert!(subject.starts_with(b"Subject: message 6"), "round {round}");
            }
            Err(Error::Unusable(reason)) => {
                // Cut while writing: the session says so, clearly. Start a new one.
                assert!(!reason.is_empty());
                reconnects += 1;
                session = Session::connect(&opts).await.unwrap();
                session.select_folder("INBOX").await.unwrap();
            }
            Err(e) => panic!("round {round}: unexpected error after a cancellation: {e:?}"),
        }
    }
    assert!(
        cancelled > 40,
        "the test really cancelled commands ({cancelled})"
    );
    println!(
        "{}: cancelled {cancelled} of 200 commands; {reconnects} needed a new session",
        server.name()
    );
    session.logout().await.unwrap();
}
on_both_servers!(commands_dropped_at_random_points_never_confuse_later_ones);

/// What `Session`'s "Cancel safety" section promises for a command dropped after it was
/// sent: the server still carries it out, the next command reads its completion first,
/// and the data it caused (here the FETCH FLAGS of a STORE) is queued as unsolicited.
async fn a_store_dropped_after_sending_still_takes_effect(server: &dyn ImapServer) {
    let user = server.new_user();
    server.append_message(&user.name, "INBOX", b"Subject: one\r\n\r\nbody\r\n");
    let mut session = Session::connect(&server.plaintext_options(&user))
        .await
        .unwrap();
    session.select_folder("INBOX").await.unwrap();
    let one: UidSet = "1".parse().unwrap();
    assert!(
        !session.get_flags(&one).await.unwrap()[&imap_async::Uid::new(1).unwrap()]
            .contains(&Flag::Flagged)
    );
    session.take_unsolicited();

    // One poll sends the whole (small) command on loopback; its answer cannot have been
    // read yet, so the future is dropped while it waits for it.
    let finished = poll_then_drop(session.add_flags(&one, [Flag::Flagged]), 1).await;
    assert!(finished.is_none(), "the STORE was answered within one poll");
    assert_eq!(session.connection_state(), ConnectionState::Open);

    // The next command reads the abandoned STORE's answer first and gets its own.
    // (NOOP returns the unsolicited queue, emptied: the abandoned STORE's data included.)
    let queued = session.noop().await.unwrap();
    assert!(
        queued.iter().any(|u| matches!(u, Untagged::Fetch { .. })),
        "the STORE's FETCH response is queued as unsolicited: {queued:?}"
    );
    let flags = session.get_flags(&one).await.unwrap();
    assert!(
        flags[&imap_async::Uid::new(1).unwrap()].contains(&Flag::Flagged),
        "the dropped STORE took effect: {flags:?}"
    );
    session.logout().await.unwrap();
}
on_both_servers!(a_store_dropped_after_sending_still_takes_effect);

/// A message source that gives its first line and then nothing, ever.
struct Stalling {
    gave: bool,
}
impl tokio::io::AsyncRead for Stalling {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.gave {
            return Poll::Pending;
        }
        self.gave = true;
        let line = b"Subject: partial\r\n";
        buf.put_slice(&line[..line.len().min(buf.remaining())]);
        Poll::Ready(Ok(()))
    }
}

/// What `Session`'s "Cancel safety" section promises for a command dropped while it is
/// being written: the session refuses every later command with `Error::Unusable`, and
/// the message is not stored.
async fn an_append_dropped_while_sending_leaves_the_session_unusable(server: &dyn ImapServer) {
    let user = server.new_user();
    let opts = server.plaintext_options(&user);
    let mut session = Session::connect(&opts).await.unwrap();
    let append = session.append_reader("INBOX", Stalling { gave: false }, 1000, Flag::NONE, None);
    let finished = poll_then_drop(append, 5).await;
    assert!(finished.is_none(), "the APPEND ended: {finished:?}");
    assert!(
        matches!(session.connection_state(), ConnectionState::Unusable(_)),
        "{:?}",
        session.connection_state()
    );
    let next = session.noop().await.unwrap_err();
    match &next {
        Error::Unusable(reason) => assert!(reason.contains("cancelled"), "{reason}"),
        other => panic!("expected Error::Unusable, got {other:?}"),
    }
    drop(session);

    let mut fresh = Session::connect(&opts).await.unwrap();
    let info = fresh.select_folder("INBOX").await.unwrap();
    assert_eq!(info.exists, 0, "the half-sent message was not stored");
    fresh.logout().await.unwrap();
}
on_both_servers!(an_append_dropped_while_sending_leaves_the_session_unusable);
