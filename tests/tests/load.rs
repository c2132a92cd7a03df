//! Load against Dovecot: 500 concurrent sessions doing mixed commands for a bounded time,
//! with no error, no leaked file descriptor, and memory flat over the run. (A test binary of
//! its own, so no other test opens sockets meanwhile.)

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use imap_async::{ConnectOptions, Session, UidSet};
use imap_async_tests::Dovecot;
use imap_async_tests::probe::{open_fds, rss_kib};

const SESSIONS: usize = 500;
const RUN_FOR: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_sessions_with_mixed_commands() {
    let server = Dovecot::shared();
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
    let deadline = Instant::now() + RUN_FOR;
    let mut tasks: Vec<tokio::task::JoinHandle<imap_async::Result<()>>> = Vec::new();
    for n in 0..SESSIONS {
        let user = users[n % users.len()].clone();
        let opts = ConnectOptions::new(server.host())
            .port(server.imap_port())
            .plaintext()
            .command_timeout(Duration::from_secs(30))
            .login(&user.name, user.password.as_str());
        let commands = commands.clone();
        tasks.push(tokio::spawn(async move {
            let mut s = Session::connect(&opts).await?;
            s.select_folder("INBOX").await?;
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
                i += 1;
            }
            s.logout().await?;
            Ok(())
        }));
    }
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
    for t in tasks {
        t.await.expect("no panic").expect("no error in any session");
    }
    let fds_after = open_fds();
    let total = commands.load(Ordering::Relaxed);
    println!("{SESSIONS} sessions, {total} commands in {RUN_FOR:?}; RSS samples (KiB): {rss:?}");
    assert!(
        total > SESSIONS as u64,
        "every session ran commands ({total})"
    );
    assert_eq!(
        fds_before, fds_after,
        "open file descriptors before and after"
    );
    // Flat memory: the last samples (all sessions connected and busy) do not keep growing.
    let (first, last) = (rss[1.min(rss.len() - 1)], *rss.last().unwrap());
    assert!(
        last <= first + first / 4,
        "memory grew from {first} KiB to {last} KiB while the load was steady"
    );
}
