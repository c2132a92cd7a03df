//! Soak: 10,000 sequential sessions against Dovecot (connect, log in, select, fetch, log
//! out), with no error, no leaked file descriptor, and memory flat. A binary of its own.

use std::time::{Duration, Instant};

use imap_async::{ConnectOptions, UidSet, with_session};
use imap_async_tests::Dovecot;
use imap_async_tests::probe::{open_fds, rss_kib};

const ROUNDS: usize = 10_000;

#[tokio::test]
async fn ten_thousand_sequential_sessions() {
    let server = Dovecot::shared();
    let user = server.new_user();
    server.append_message(&user.name, "INBOX", b"Subject: soak\r\n\r\nbody\r\n");
    let opts = ConnectOptions::new(server.host())
        .port(server.imap_port())
        .plaintext()
        .command_timeout(Duration::from_secs(10))
        .login(&user.name, user.password.as_str());
    let work = async |c: &mut imap_async::Session| {
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
            .unwrap_or_else(|e| panic!("session {i}: {e}"));
        assert_eq!(n, 1, "session {i}");
        if i % 2_000 == 1_999 {
            rss_at.push(rss_kib());
        }
    }
    println!(
        "{ROUNDS} sessions in {:?}; RSS every 2,000 (KiB): {rss_at:?}",
        started.elapsed()
    );
    assert_eq!(
        fds_before,
        open_fds(),
        "open file descriptors before and after"
    );
    let (first, last) = (rss_at[0], *rss_at.last().unwrap());
    assert!(
        last <= first + first / 10,
        "memory grew from {first} KiB to {last} KiB"
    );
}
