//! What large fetches do on the wire, shown with a scripted server over loopback TCP
//! because a real server does not let a test watch its socket: a slow consumer stops the
//! client's reads (TCP backpressure holds the rest of the mailbox in the server), and
//! batched fetches keep several commands in flight at once, never more than asked.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::TryStreamExt;
use imap_async::session::{BatchOptions, FetchAttr};
use imap_async::{ConnectOptions, Session, UidSet};
use imap_async_tests::fake::{FakeServer, Step, expect, send};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const GREETING: &str = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake\r\n";
/// The size of each FETCH response in the backpressure test.
const RESPONSE_LEN: usize = 320;
/// A write that does not finish in this long is taken as the server being held back.
const BLOCKED_AFTER: Duration = Duration::from_secs(2);

/// `* n FETCH (UID n BODY[HEADER] {..}...)` padded to exactly `RESPONSE_LEN` bytes.
fn fetch_response(n: u32) -> Vec<u8> {
    let head = format!("* {n} FETCH (UID {n} BODY[HEADER] {{");
    // The literal's length depends on how many digits it has; it has three here.
    let literal = RESPONSE_LEN - head.len() - "000}\r\n".len() - ")\r\n".len();
    let mut r = format!("{head}{literal}}}\r\n").into_bytes();
    r.extend(std::iter::repeat_n(b'x', literal - 2));
    r.extend_from_slice(b"\r\n)\r\n");
    assert_eq!(r.len(), RESPONSE_LEN);
    r
}

/// The most a TCP connection on this machine can hold between a writer and a reader that
/// has stopped reading: both ends' largest socket buffers (Linux's limits for autotuning),
/// plus what the client may hold itself (a few read chunks).
fn in_flight_limit() -> u64 {
    let max_of = |file: &str| -> u64 {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let max = text.split_whitespace().last().and_then(|v| v.parse().ok());
        max.unwrap_or_else(|| panic!("{file}: unexpected {text:?}"))
    };
    max_of("/proc/sys/net/ipv4/tcp_rmem") + max_of("/proc/sys/net/ipv4/tcp_wmem") + (4 << 20)
}

/// Reads command lines and answers LOGIN and SELECT; on UID FETCH writes `messages`
/// responses in 64 KiB writes, counting the bytes, and reports through `blocked` how far it
/// got when a write first stayed pending for `BLOCKED_AFTER`. Then it finishes the response.
async fn serve_mailbox(
    listener: TcpListener,
    messages: u32,
    written: Arc<AtomicU64>,
    blocked: oneshot::Sender<u64>,
) {
    let (socket, _) = listener.accept().await.expect("accept");
    let (read, mut write) = socket.into_split();
    let mut read = BufReader::new(read);
    write.write_all(GREETING.as_bytes()).await.unwrap();
    let mut blocked = Some(blocked);
    let mut line = String::new();
    loop {
        line.clear();
        if read.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let tag = line.split(' ').next().unwrap_or("*").to_owned();
        let upper = line.to_ascii_uppercase();
        let reply = if upper.contains(" LOGIN ") {
            format!("{tag} OK [CAPABILITY IMAP4rev1] in\r\n")
        } else if upper.contains(" SELECT ") {
            format!(
                "* {messages} EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\n{tag} OK [READ-WRITE] ok\r\n"
            )
        } else if upper.contains(" UID FETCH ") {
            let mut chunk = Vec::with_capacity(64 * 1024 + RESPONSE_LEN);
            for n in 1..=messages {
                chunk.extend_from_slice(&fetch_response(n));
                if chunk.len() >= 64 * 1024 || n == messages {
                    let write_all = write.write_all(&chunk);
                    tokio::pin!(write_all);
                    if let Err(_pending) = tokio::time::timeout(BLOCKED_AFTER, &mut write_all).await
                    {
                        if let Some(tx) = blocked.take() {
                            let _ = tx.send(written.load(Ordering::SeqCst));
                        }
                        write_all.await.unwrap();
                    }
                    written.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                    chunk.clear();
                }
            }
            format!("{tag} OK done\r\n")
        } else {
            format!("{tag} OK\r\n")
        };
        write.write_all(reply.as_bytes()).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_stops_stops_the_reads() {
    // A mailbox 16 MiB larger than all the buffers between the two programs can hold:
    // only a client that reads ahead of its consumer gets the server past them.
    let limit = in_flight_limit();
    let messages = u32::try_from((limit + (16 << 20)) / RESPONSE_LEN as u64).unwrap();
    let total = u64::from(messages) * RESPONSE_LEN as u64;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let written = Arc::new(AtomicU64::new(0));
    let (blocked_tx, blocked_rx) = oneshot::channel();
    let server = tokio::spawn(serve_mailbox(
        listener,
        messages,
        written.clone(),
        blocked_tx,
    ));

    let opts = ConnectOptions::new("127.0.0.1")
        .port(port)
        .plaintext()
        .command_timeout(Duration::from_secs(20))
        .login("user", "secret");
    let mut session = Session::connect(&opts).await.unwrap();
    session.select_folder("INBOX").await.unwrap();
    let mut stream = session
        .fetch_stream(&UidSet::all(), "(UID BODY.PEEK[HEADER])")
        .unwrap();
    let first = stream.try_next().await.unwrap().expect("a first message");
    assert_eq!(first.uid().map(|u| u.get()), Some(1));

    // The consumer now holds off. Had the client gone on reading (into memory), the server
    // would write the whole mailbox and never be held back.
    let at = tokio::time::timeout(Duration::from_secs(60), blocked_rx)
        .await
        .expect("the server was never held back: the client read ahead of its consumer")
        .expect("server gone");
    eprintln!("held back after {at} of {total} bytes (buffers hold at most {limit})");
    assert!(
        at <= limit,
        "the server wrote {at} of {total} bytes before being held back, more than the \
         {limit} bytes the sockets' buffers can hold"
    );

    // Consuming again lets the server go on, and nothing is lost.
    let mut count = 1u32;
    let mut last = 1;
    while let Some(m) = stream.try_next().await.unwrap() {
        count += 1;
        last = m.uid().unwrap().get();
        assert_eq!(last, count, "messages out of order");
    }
    assert_eq!((count, last), (messages, messages));
    assert_eq!(written.load(Ordering::SeqCst), total);
    drop(stream);
    session.noop().await.unwrap();
    drop(session);
    server.abort();
}

/// `* n FETCH (UID n FLAGS ())` for UIDs `from..=to`, then the tagged OK with `tag`.
fn batch_answer(from: u32, to: u32, tag: &str) -> Step {
    let mut s = String::new();
    for n in from..=to {
        s.push_str(&format!("* {n} FETCH (UID {n} FLAGS ())\r\n"));
    }
    s.push_str(&format!("{tag} OK done\r\n"));
    send(&s)
}

#[tokio::test]
async fn batches_keep_the_pipeline_full_and_no_fuller() {
    // Six batches of 100 with four in flight: four commands before any answer, then one
    // more for each batch completed.
    let silence = || Step::ExpectSilence(Duration::from_millis(300));
    let server = FakeServer::start(vec![
        send(GREETING),
        expect("LOGIN"),
        send("{tag} OK [CAPABILITY IMAP4rev1] in\r\n"),
        expect("SELECT"),
        send("* 600 EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\n{tag} OK [READ-WRITE] ok\r\n"),
        expect("UID FETCH 1:100 (FLAGS)"),
        expect("UID FETCH 101:200 (FLAGS)"),
        expect("UID FETCH 201:300 (FLAGS)"),
        expect("UID FETCH 301:400 (FLAGS)"),
        silence(),
        batch_answer(1, 100, "{tag-3}"),
        expect("UID FETCH 401:500 (FLAGS)"),
        silence(),
        batch_answer(101, 200, "{tag-3}"),
        expect("UID FETCH 501:600 (FLAGS)"),
        silence(),
        batch_answer(201, 300, "{tag-3}"),
        batch_answer(301, 400, "{tag-2}"),
        batch_answer(401, 500, "{tag-1}"),
        batch_answer(501, 600, "{tag}"),
        expect("NOOP"),
        send("{tag} OK\r\n"),
    ])
    .await;
    let mut session = Session::connect(&server.options()).await.unwrap();
    session.select_folder("INBOX").await.unwrap();
    let uids: UidSet = "1:600".parse().unwrap();
    let options = BatchOptions::default().batch_size(100).pipeline(4);
    let uids_seen: Result<Vec<u32>, _> = session
        .fetch_batched(&uids, [FetchAttr::Flags], options)
        .unwrap()
        .map_ok(|m| m.uid().unwrap().get())
        .try_collect()
        .await;
    let noop = session.noop().await;
    drop(session);
    // The script's own failure, if any, says more than the client's error would.
    let lines = server.finish().await;
    assert_eq!(uids_seen.unwrap(), (1..=600).collect::<Vec<_>>());
    noop.unwrap();
    assert_eq!(lines.iter().filter(|l| l.contains("UID FETCH")).count(), 6);
}
