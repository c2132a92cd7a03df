//! Soak: 10,000 sequential sessions against each real server, Dovecot then Cyrus (connect,
//! log in, select, fetch, log out), with no error, no leaked file descriptor, and memory
//! flat. A binary of its own, with one test running the servers one after the other.

use std::time::Instant;

use imap_async::{UidSet, with_session};
use imap_async_tests::probe::{open_fds, rss_kib};
use imap_async_tests::{Cyrus, Dovecot, ImapServer};

const ROUNDS: usize = 10_000;

#[tokio::test]
async fn ten_thousand_sequential_sessions() {
    // Both servers started before any count: starting one opens files in this process.
    let servers: [&dyn ImapServer; 2] = [Dovecot::shared(), Cyrus::shared()];
    for server in servers {
        soak(server).await;
    }
}

async fn soak(server: &dyn ImapServer) {
    let user = server.new_user();
    server.append_message(&user.name, "INBOX", b"Subject: soak\r\n\r\nbody\r\n");
    let opts = server.plaintext_options(&user);
    let work = async |c: &mut imap_async::Session| -> imap_async::Result<usize> {
        c.select_folder("INBOX").await?;
        Ok(c.fetch(&UidSet::all(), "(FLAGS ENVELOPE)").await?.len())
    };
    // Warm-up, so lazily created process-wide state is counted before.
    assert_eq!(with_session(&opts, work).await.unwrap(), 1);
    let fds_before = open_fds();
    let started = Instant::now();
    let mut rss_at = Vec::new();
    for i in 0..ROUNDS {
        let n = with_session(&opts, work)
            .await
            .unwrap_or_else(|e| panic!("{}: session {i}: {e}", server.name()));
        assert_eq!(n, 1, "{}: session {i}", server.name());
        if i % 2_000 == 1_999 {
            rss_at.push(rss_kib());
        }
    }
    let name = server.name();
    println!(
        "{name}: {ROUNDS} sessions in {:?}; RSS every 2,000 (KiB): {rss_at:?}",
        started.elapsed()
    );
    assert_eq!(
        fds_before,
        open_fds(),
        "{name}: open file descriptors before and after"
    );
    let (first, last) = (rss_at[0], *rss_at.last().unwrap());
    assert!(
        last <= first + first / 10,
        "{name}: memory grew from {first} KiB to {last} KiB"
    );
}
