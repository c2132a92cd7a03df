//! Load against the real servers, Dovecot then Cyrus: 500 concurrent sessions doing mixed
//! commands for a bounded time, with no error, no leaked file descriptor, and memory flat
//! over the run. (A test binary of its own, with one test running the servers one after
//! the other, so no other test opens sockets meanwhile.)

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use imap_async::{Session, UidSet};
use imap_async_tests::probe::{open_fds, rss_kib};
use imap_async_tests::{Cyrus, Dovecot, ImapServer};

const SESSIONS: usize = 500;
const RUN_FOR: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_sessions_with_mixed_commands() {
    // Both servers started before any count: starting one opens files in this process.
    let servers: [&dyn ImapServer; 2] = [Dovecot::shared(), Cyrus::shared()];
    for server in servers {
        load(server).await;
    }
}

async fn load(server: &dyn ImapServer) {
    // Ten users with 50 sessions each, every user's INBOX holding 20 messages.
    let users: Vec<_> = (0..10).map(|_| server.new_user()).collect();
    for u in &users {
        for i in 0..20 {
            let m = format!("Subject: load {i}\r\n\r\n{}\r\n", "y".repeat(100 + 50 * i));
            server.append_message(&u.name, "INBOX", m.as_bytes());
        }
    }
    let fds_before = open_fds();
    let commands = Arc::new(AtomicU64::new(0));
    // The mixed load starts when all 500 are connected and have selected INBOX, so every
    // session gets the whole run whatever the connection setup cost.
    let all_ready = Arc::new(tokio::sync::Barrier::new(SESSIONS + 1));
    let mut tasks: Vec<tokio::task::JoinHandle<imap_async::Result<u64>>> = Vec::new();
    // At most 16 connections being set up at once, as a service opening many sessions to
    // one server should: Cyrus 3.6 listens with a backlog of 32, and connections beyond it
    // wait for TCP's SYN-ACK retries (seconds) before the server ever sees them.
    let connecting = Arc::new(tokio::sync::Semaphore::new(16));
    for n in 0..SESSIONS {
        let user = users[n % users.len()].clone();
        let opts = server
            .plaintext_options(&user)
            .command_timeout(Duration::from_secs(30));
        let commands = commands.clone();
        let connecting = connecting.clone();
        let all_ready = all_ready.clone();
        tasks.push(tokio::spawn(async move {
            let permit = connecting.acquire_owned().await.expect("semaphore open");
            let ready: imap_async::Result<Session> = async {
                let mut s = Session::connect(&opts).await?;
                s.select_folder("INBOX").await?;
                Ok(s)
            }
            .await;
            drop(permit);
            // Reached on failure too, so the others are never left waiting.
            all_ready.wait().await;
            let mut s = ready?;
            let deadline = Instant::now() + RUN_FOR;
            let mut mine = 0;
            let mut i = n;
            while Instant::now() < deadline {
                match i % 5 {
                    0 => assert_eq!(s.search("ALL").await?.to_string(), "1:20"),
                    1 => assert_eq!(
                        s.fetch(&UidSet::all(), "(FLAGS RFC822.SIZE ENVELOPE)")
                            .await?
                            .len(),
                        20
                    ),
                    2 => assert_eq!(s.examine_folder("INBOX").await?.exists, 20),
                    3 => s.noop().await.map(drop)?,
                    _ => assert!(!s.list_folders("", "*").await?.is_empty()),
                }
                commands.fetch_add(1, Ordering::Relaxed);
                mine += 1;
                i += 1;
            }
            s.logout().await?;
            Ok(mine)
        }));
    }
    tokio::time::timeout(Duration::from_secs(300), all_ready.wait())
        .await
        .expect("500 sessions connected within 5 minutes");
    let mut rss = Vec::new();
    let sampler = {
        let start = Instant::now();
        async move {
            while start.elapsed() < RUN_FOR {
                tokio::time::sleep(Duration::from_secs(2)).await;
                rss.push(rss_kib());
            }
            rss
        }
    };
    let rss = sampler.await;
    let mut per_session = Vec::new();
    for t in tasks {
        per_session.push(t.await.expect("no panic").expect("no error in any session"));
    }
    let fds_after = open_fds();
    let total = commands.load(Ordering::Relaxed);
    let name = server.name();
    println!(
        "{name}: {SESSIONS} sessions, {total} commands in {RUN_FOR:?}; RSS samples (KiB): {rss:?}"
    );
    let idle_sessions = per_session.iter().filter(|&&n| n == 0).count();
    assert_eq!(
        idle_sessions, 0,
        "{name}: every session ran commands ({total} in all)"
    );
    assert_eq!(
        fds_before, fds_after,
        "{name}: open file descriptors before and after"
    );
    // Flat memory: the last samples (all sessions connected and busy) do not keep growing.
    let (first, last) = (rss[1.min(rss.len() - 1)], *rss.last().unwrap());
    assert!(
        last <= first + first / 4,
        "{name}: memory grew from {first} KiB to {last} KiB while the load was steady"
    );
}
