//! Figures for the watcher's behaviour under faults, against the harness's Dovecot, with
//! the default `WatchOptions` (1 s first backoff, 60 s cap, 60 s to count as stable):
//!
//! 1. a wrong password: how many login attempts the watcher makes in SECONDS (want 1);
//! 2. a proxy that lets each connection log in, select and start IDLE, then closes it
//!    right after IDLE's `+`: how many connections in SECONDS, and the gaps between them.
//!
//! `cargo run --release -p imap-async-tests --bin watch_faults [SECONDS]` (default 60;
//! the backoff figure uses 600). Both run at once, so the whole takes SECONDS.

use std::time::{Duration, Instant};

use futures::StreamExt;
use imap_async::{WatchEvent, WatchOptions, watch};
use imap_async_tests::proxy::DropAfterIdle;
use imap_async_tests::{Dovecot, ImapServer};

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("SECONDS is a number"))
        .unwrap_or(60);
    let run = Duration::from_secs(seconds);
    let server = Dovecot::shared();

    let wrong_password = async {
        let user = server.new_user();
        let counter = DropAfterIdle::start_with(server.host(), server.imap_port(), false)
            .await
            .unwrap();
        let mut opts = server
            .plaintext_options(&user)
            .port(counter.port())
            .login(&user.name, "wrong");
        opts.host = counter.host().to_owned();
        let mut w = watch(opts, "INBOX", WatchOptions::default());
        let started = Instant::now();
        let mut ended = None;
        let _ = tokio::time::timeout(run, async {
            while let Some(e) = w.next().await {
                if let Err(e) = e {
                    ended = Some((started.elapsed(), e.to_string()));
                }
            }
            // The stream ended: wait out the rest of the window, counting connections.
            tokio::time::sleep(run).await;
        })
        .await;
        (counter.connection_times().len(), ended)
    };

    let dropped = async {
        let user = server.new_user();
        let proxy = DropAfterIdle::start(server.host(), server.imap_port())
            .await
            .unwrap();
        let mut opts = server.plaintext_options(&user).port(proxy.port());
        opts.host = proxy.host().to_owned();
        let mut w = watch(opts, "INBOX", WatchOptions::default());
        let mut retries = Vec::new();
        let _ = tokio::time::timeout(run, async {
            while let Some(e) = w.next().await {
                if let Ok(WatchEvent::Retrying { attempt, after }) = e {
                    retries.push((attempt, after));
                }
            }
        })
        .await;
        (proxy.connection_times(), retries)
    };

    let ((logins, ended), (connections, retries)) = tokio::join!(wrong_password, dropped);
    println!("# watcher under faults, {seconds} s each, default WatchOptions");
    println!("wrong password: {logins} login attempt(s) in {seconds} s");
    if let Some((after, e)) = ended {
        println!("  the stream ended after {after:.2?} with: {e}");
    }
    println!(
        "drop after IDLE '+': {} connections in {seconds} s",
        connections.len()
    );
    let start = connections.first().copied();
    let offsets: Vec<String> = connections
        .iter()
        .map(|t| format!("{:.1}", (*t - start.unwrap()).as_secs_f64()))
        .collect();
    println!("  connection times (s): {}", offsets.join(" "));
    let waits: Vec<String> = retries
        .iter()
        .map(|(a, d)| format!("#{a}:{:.1}", d.as_secs_f64()))
        .collect();
    println!("  announced waits (attempt:s): {}", waits.join(" "));
}
