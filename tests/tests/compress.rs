//! COMPRESS=DEFLATE (RFC 4978) against the real servers (Dovecot's `imap_zlib`, Cyrus): a
//! whole session with compression on gives the same data as without, and the bytes on the
//! wire really shrink.
//! Figures (how much smaller, how much slower) come from `bench_dovecot`, not from here.

use std::time::Duration;

use futures::StreamExt;
use imap_async::{ConnectOptions, Error, IdleEvent, Session, UidSet};
use imap_async_tests::{ImapServer, TestUser, on_both_servers};

fn options(server: &dyn ImapServer, user: &TestUser) -> ConnectOptions {
    server.plaintext_options(user)
}

/// A message whose body is large (several deflate blocks, several reads) and compressible.
fn message(i: usize) -> Vec<u8> {
    let mut m = format!(
        "From: Sender {i} <sender{i}@example.org>\r\nTo: rcpt@example.net\r\n\
         Subject: compressed message {i}\r\nMessage-ID: <m{i}@example.org>\r\n\r\n"
    )
    .into_bytes();
    for line in 0..4000 {
        m.extend_from_slice(
            format!("line {line} of message {i}: the quick brown fox\r\n").as_bytes(),
        );
    }
    m
}

/// Select, search, fetch every body and the envelopes; what the test compares.
async fn read_everything(session: &mut Session) -> (UidSet, Vec<(Option<u32>, Vec<u8>, Vec<u8>)>) {
    session.select_folder("INBOX").await.unwrap();
    let found = session.search("SUBJECT compressed").await.unwrap();
    let mut got: Vec<_> = session
        .fetch(&found, "(UID BODY.PEEK[] ENVELOPE)")
        .await
        .unwrap()
        .into_iter()
        .map(|m| {
            (
                m.uid().map(|u| u.get()),
                m.body("").expect("the body").to_vec(),
                m.envelope()
                    .and_then(|e| e.subject.clone())
                    .map(|s| s.to_vec())
                    .unwrap_or_default(),
            )
        })
        .collect();
    got.sort();
    (found, got)
}

async fn a_compressed_session_sees_the_same_data_with_fewer_bytes(server: &dyn ImapServer) {
    let user = server.new_user();
    let sent: Vec<Vec<u8>> = (0..5).map(message).collect();
    for m in &sent {
        server.append_message(&user.name, "INBOX", m);
    }
    let opts = options(server, &user);

    let mut plain = Session::connect(&opts).await.unwrap();
    assert!(!plain.is_compressed(), "compression is off by default");
    let (plain_found, plain_got) = read_everything(&mut plain).await;
    let plain_stats = plain.wire_stats();
    assert!(!plain_stats.compressed);
    assert_eq!(plain_stats.received, plain_stats.data_received);
    assert_eq!(plain_stats.sent, plain_stats.data_sent);
    plain.logout().await.unwrap();

    let mut z = Session::connect(&opts.clone().compress(true))
        .await
        .unwrap();
    assert!(z.is_compressed());
    let (z_found, z_got) = read_everything(&mut z).await;
    assert_eq!(z_found, plain_found);
    assert_eq!(z_got.len(), 5);
    assert!(z_got == plain_got, "compressed and plain sessions disagree");
    for (i, (_, body, subject)) in z_got.iter().enumerate() {
        assert_eq!(body, &sent[i], "message {i} is byte-exact");
        assert_eq!(subject, format!("compressed message {i}").as_bytes());
    }
    let stats = z.wire_stats();
    assert!(stats.compressed);
    // The same IMAP data arrived (the response texts may differ by a few bytes, the
    // bodies dominate), in far fewer bytes: the bodies are repetitive text.
    assert!(stats.data_received > 5 * 4000 * 40, "{stats:?}");
    assert!(stats.received * 3 < stats.data_received, "{stats:?}");
    assert!(stats.sent < stats.data_sent + 200, "{stats:?}");

    // IDLE over the compressed stream: a change arrives as an event, DONE ends it.
    let mut idle = z.idle().await.unwrap();
    server.append_message(&user.name, "INBOX", &message(5));
    let event = loop {
        let e = tokio::time::timeout(Duration::from_secs(10), idle.next())
            .await
            .expect("an event within 10 s")
            .expect("the stream goes on")
            .expect("no error");
        if matches!(e, IdleEvent::Exists(_)) {
            break e;
        }
    };
    assert_eq!(event, IdleEvent::Exists(6));
    idle.done().await.unwrap();
    // Still in step after IDLE: a command after DONE gets its own answer.
    let all = z.search("ALL").await.unwrap();
    assert_eq!(all.count(), Some(6));
    z.logout().await.unwrap();
}
on_both_servers!(a_compressed_session_sees_the_same_data_with_fewer_bytes);

async fn compress_is_sent_once_and_needs_login_first(server: &dyn ImapServer) {
    let user = server.new_user();
    server.append_message(&user.name, "INBOX", &message(0));
    let mut session = Session::connect(&options(server, &user)).await.unwrap();
    assert!(session.has_capability("COMPRESS=DEFLATE").await.unwrap());
    session.compress().await.unwrap();
    let after_first = session.wire_stats();
    assert!(after_first.compressed);
    // A second COMPRESS would be refused by the server (RFC 4978 §3, COMPRESSIONACTIVE):
    // the client does not send it at all.
    session.compress().await.unwrap();
    assert_eq!(session.wire_stats().sent, after_first.sent);
    // Commands still work after the wasted call.
    assert_eq!(session.select_folder("INBOX").await.unwrap().exists, 1);
    match session.noop().await {
        Ok(_) => {}
        Err(e @ Error::Bye { .. }) => panic!("server dropped us: {e}"),
        Err(e) => panic!("{e}"),
    }
    session.logout().await.unwrap();
}
on_both_servers!(compress_is_sent_once_and_needs_login_first);
