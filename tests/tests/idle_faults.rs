//! IDLE faults from a scripted loopback server: BYE mid-IDLE, a server that stops
//! answering, events packed into the `+` line, restarts on the wire, and NOOP polling when
//! IDLE is not offered.

use std::time::Duration;

use futures::StreamExt;
use imap_async::{ConnectOptions, Error, IdleEvent, IdleOptions, Session};
use imap_async_tests::fake::{FakeServer, Step, expect, send};

fn login(caps: &str) -> Vec<Step> {
    vec![
        send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake\r\n"),
        expect("LOGIN"),
        Step::Send(format!("{{tag}} OK [CAPABILITY IMAP4rev1 {caps}] in\r\n")),
    ]
}

fn with(mut a: Vec<Step>, b: Vec<Step>) -> Vec<Step> {
    a.extend(b);
    a
}

fn opts(server: &FakeServer) -> ConnectOptions {
    server.options().login("user", "pw")
}

#[tokio::test]
async fn bye_mid_idle_ends_the_stream_with_a_typed_error() {
    let server = FakeServer::start(with(
        login("IDLE"),
        vec![
            expect("IDLE"),
            send("+ idling\r\n"),
            Step::Sleep(Duration::from_millis(100)),
            send("* BYE [UNAVAILABLE] server going down\r\n"),
            Step::Close,
        ],
    ))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let mut idle = s.idle().await.unwrap();
    match idle.next().await {
        Some(Err(Error::Bye { text, .. })) => assert_eq!(text, "server going down"),
        other => panic!("expected BYE, got {other:?}"),
    }
    // A FusedStream: over, and it says so, so a `select!` loop can skip it.
    assert!(futures::stream::FusedStream::is_terminated(&idle));
    assert!(idle.next().await.is_none());
}

#[tokio::test]
async fn a_server_that_stops_answering_is_noticed_at_the_restart() {
    // The server accepts IDLE, then never answers DONE.
    let server = FakeServer::start(with(
        login("IDLE"),
        vec![
            expect("IDLE"),
            send("+ idling\r\n"),
            expect("DONE"),
            Step::Sleep(Duration::from_secs(20)),
        ],
    ))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let idle_opts = IdleOptions::default()
        .restart_interval(Duration::from_millis(200))
        .done_timeout(Duration::from_millis(500));
    let mut idle = s.idle_with(idle_opts).await.unwrap();
    // The server sleeps 20 s: only the done timeout can end the stream within the
    // outer limit (restart interval + done timeout, with room to spare).
    let end = tokio::time::timeout(Duration::from_secs(5), idle.next())
        .await
        .expect("the done timeout ended the stream before the server woke up");
    match end {
        Some(Err(e)) => {
            assert!(e.is_timeout(), "{e:?}");
            assert!(e.to_string().contains("end of IDLE"), "{e}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    drop(idle);
    assert!(matches!(s.noop().await, Err(Error::Unusable(_))));
}

#[tokio::test]
async fn events_in_the_continuation_packet_are_not_lost() {
    let server = FakeServer::start(with(
        login("IDLE"),
        vec![
            expect("IDLE"),
            // One write: the continuation and two events together.
            send("+ idling\r\n* 5 EXISTS\r\n* 2 FETCH (FLAGS (\\Seen) UID 9)\r\n"),
            expect("DONE"),
            send("* 6 EXISTS\r\n{tag} OK IDLE done\r\n"),
            expect("NOOP"),
            send("{tag} OK\r\n"),
        ],
    ))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let mut idle = s.idle().await.unwrap();
    assert_eq!(idle.next().await.unwrap().unwrap(), IdleEvent::Exists(5));
    match idle.next().await.unwrap().unwrap() {
        IdleEvent::Fetch {
            seq, uid, flags, ..
        } => {
            assert_eq!(seq, 2);
            assert_eq!(uid.map(|u| u.get()), Some(9));
            assert_eq!(flags, Some(vec![imap_async::Flag::Seen]));
        }
        other => panic!("{other:?}"),
    }
    let back = idle.done().await.unwrap();
    // What arrived before IDLE's completion is kept for the user.
    let rest = back.noop().await.unwrap();
    assert_eq!(rest, vec![imap_async::proto::Untagged::Exists(6)]);
    drop(s);
    server.finish().await;
}

#[tokio::test]
async fn restarts_send_done_and_idle_again_with_events_in_between() {
    let server = FakeServer::start(with(
        login("IDLE"),
        vec![
            expect("IDLE"),
            send("+ idling\r\n"),
            expect("DONE"),
            send("* 3 EXISTS\r\n{tag} OK done\r\n"),
            expect("IDLE"),
            send("+ idling\r\n* 4 EXISTS\r\n"),
        ],
    ))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let idle_opts = IdleOptions::default().restart_interval(Duration::from_millis(200));
    let mut idle = s.idle_with(idle_opts).await.unwrap();
    assert_eq!(idle.next().await.unwrap().unwrap(), IdleEvent::Exists(3));
    assert_eq!(idle.next().await.unwrap().unwrap(), IdleEvent::Exists(4));
    drop(idle);
    drop(s);
    let lines = server.finish().await;
    let commands: Vec<&str> = lines
        .iter()
        .map(|l| l.split_once(' ').map_or(l.as_str(), |(_, c)| c))
        .collect();
    assert_eq!(commands, vec!["LOGIN user pw", "IDLE", "DONE", "IDLE"]);
}

#[tokio::test]
async fn without_idle_the_stream_polls_with_noop() {
    let server = FakeServer::start(with(
        login("UIDPLUS"),
        vec![
            expect("NOOP"),
            send("{tag} OK nothing\r\n"),
            expect("NOOP"),
            send("* 7 EXISTS\r\n{tag} OK\r\n"),
        ],
    ))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let idle_opts = IdleOptions::default().poll_interval(Duration::from_millis(100));
    let mut idle = s.idle_with(idle_opts).await.unwrap();
    let e = tokio::time::timeout(Duration::from_secs(5), idle.next())
        .await
        .unwrap();
    assert_eq!(e.unwrap().unwrap(), IdleEvent::Exists(7));
    drop(idle);
    drop(s);
    server.finish().await;
}

/// IDLE was sent and its caller went away before the server's `+`. DONE is the client's
/// continuation of IDLE and may only follow the `+` (RFC 2177 §3): sent early, Cyrus 3.6
/// sometimes never answered it. The next command waits for `+`, then ends the IDLE.
#[tokio::test]
async fn an_idle_dropped_before_its_continuation_is_ended_after_the_continuation() {
    let server = FakeServer::start(with(
        login("IDLE"),
        vec![
            expect("IDLE"),
            Step::ExpectSilence(Duration::from_millis(400)),
            send("* 3 EXISTS\r\n+ idling\r\n"),
            expect("DONE"),
            send("{tag} OK idle done\r\n"),
            expect("NOOP"),
            send("{tag} OK noop done\r\n"),
        ],
    ))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let waited = tokio::time::timeout(Duration::from_millis(100), s.idle())
        .await
        .is_err();
    assert!(
        waited,
        "idle() was still waiting for the `+` when it was dropped"
    );
    let seen = tokio::time::timeout(Duration::from_secs(5), s.noop())
        .await
        .expect("NOOP answered after the IDLE was ended")
        .expect("NOOP succeeds");
    assert!(
        seen.iter().any(|u| format!("{u:?}").contains("Exists(3)")),
        "what arrived before the `+` is kept: {seen:?}"
    );
    drop(s);
    let lines = server.finish().await;
    assert!(lines[lines.len() - 2..][0].ends_with("DONE"), "{lines:?}");
}

/// The same, but the server refuses the IDLE instead of accepting it: there is nothing
/// to end, and no DONE may be sent.
#[tokio::test]
async fn an_idle_dropped_and_then_refused_gets_no_done() {
    let server = FakeServer::start(with(
        login("IDLE"),
        vec![
            expect("IDLE"),
            Step::ExpectSilence(Duration::from_millis(400)),
            send("{tag} NO [LIMIT] too many sessions idling\r\n"),
            expect("NOOP"),
            send("{tag} OK noop done\r\n"),
        ],
    ))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let waited = tokio::time::timeout(Duration::from_millis(100), s.idle())
        .await
        .is_err();
    assert!(
        waited,
        "idle() was still waiting for the `+` when it was dropped"
    );
    tokio::time::timeout(Duration::from_secs(5), s.noop())
        .await
        .expect("NOOP answered")
        .expect("NOOP succeeds");
    drop(s);
    let lines = server.finish().await;
    assert!(
        lines.last().is_some_and(|l| l.ends_with("NOOP")),
        "{lines:?}"
    );
    assert!(!lines.iter().any(|l| l == "DONE"), "{lines:?}");
}

/// Wakes of a task, counted: a waker handed to the stream by hand.
#[derive(Default)]
struct CountWakes {
    wakes: std::sync::atomic::AtomicUsize,
    woken: tokio::sync::Notify,
}

impl futures::task::ArcWake for CountWakes {
    fn wake_by_ref(this: &std::sync::Arc<Self>) {
        this.wakes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        this.woken.notify_one();
    }
}

#[tokio::test]
async fn an_idle_stream_is_woken_only_by_the_server() {
    // The server is quiet for a while after its "+", then sends one event. RFC 2177 §3's
    // restart is one deadline minutes away, so nothing but that event may wake the stream:
    // a periodic timer (a tick, a keepalive poll) would show up as extra wake-ups.
    let server = FakeServer::start(with(
        login("IDLE"),
        vec![
            expect("IDLE"),
            send("+ idling\r\n"),
            Step::Sleep(Duration::from_millis(1500)),
            send("* 7 EXISTS\r\n"),
            expect("DONE"),
            send("{tag} OK done\r\n"),
        ],
    ))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let mut idle = s.idle().await.unwrap();
    let counter = std::sync::Arc::new(CountWakes::default());
    let waker = futures::task::waker(counter.clone());
    let mut cx = std::task::Context::from_waker(&waker);
    let mut polls = 0;
    let event = loop {
        polls += 1;
        match idle.poll_next_unpin(&mut cx) {
            std::task::Poll::Ready(event) => break event,
            std::task::Poll::Pending => counter.woken.notified().await,
        }
    };
    assert!(matches!(event, Some(Ok(IdleEvent::Exists(7)))), "{event:?}");
    assert_eq!(
        counter.wakes.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the stream was woken by something other than the server's data"
    );
    assert_eq!(polls, 2, "polled once to wait, once when the event arrived");
    idle.done().await.unwrap();
}
