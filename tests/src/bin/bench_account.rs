//! Watching one account with many folders, three ways, against the harness's Dovecot:
//!
//! * `notify`: one connection, `watch_account` with NOTIFY (RFC 5465);
//! * `idle`: one folder watcher (`watch`, IDLE) per folder, one connection each;
//! * `poll`: one connection, `watch_account` without NOTIFY: IDLE on INBOX and a
//!   LIST-STATUS of every folder each POLL seconds.
//!
//! For each: the connections the client holds, the client's resident memory beyond
//! what it had before the watchers started, its CPU time, the server's `imap`
//! processes and their memory, and the latency from the start of an APPEND made on
//! another connection to the `New` event naming that message (one APPEND into each
//! folder in turn; INBOX is never one of them).
//!
//! `cargo run --release -p imap-async-tests --bin bench_account [FOLDERS] [POLL]`
//! (default 50 folders, 5 s poll). Each way runs in a child process of its own, with
//! a Dovecot of its own, so that memory figures do not mix.

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use futures::StreamExt;
use imap_async::{
    AccountEvent, AccountMode, AccountOptions, ConnectOptions, Session, WatchEvent, WatchOptions,
    watch, watch_account,
};
use imap_async_tests::probe::{open_fds, rss_kib};
use imap_async_tests::{Dovecot, ImapServer};
use tokio::sync::mpsc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        let mode = args[2].clone();
        let folders: usize = args[3].parse().expect("FOLDERS");
        let poll: u64 = args[4].parse().expect("POLL");
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(child(&mode, folders, Duration::from_secs(poll)));
        return;
    }
    let folders: usize = args
        .get(1)
        .map(|s| s.parse().expect("FOLDERS is a number"))
        .unwrap_or(50);
    let poll: u64 = args
        .get(2)
        .map(|s| s.parse().expect("POLL is a number of seconds"))
        .unwrap_or(5);
    println!("# one account, {folders} folders, a change in each folder in turn (Dovecot)");
    println!(
        "{:<8} {:>5} {:>13} {:>9} {:>7} {:>12} {:>9} {:>9} {:>9} {:>9}",
        "way",
        "conns",
        "client RSS+",
        "CPU",
        "srv imap",
        "srv RSS",
        "lat p50",
        "lat p90",
        "lat max",
        "samples"
    );
    let exe = std::env::current_exe().expect("own path");
    for mode in ["notify", "idle", "poll"] {
        let out = Command::new(&exe)
            .args(["--child", mode, &folders.to_string(), &poll.to_string()])
            .output()
            .expect("run the child");
        if !out.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
            panic!("the {mode} run failed: {}", out.status);
        }
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
    println!("(poll: every {poll} s; latency is from the start of the APPEND to the event)");
}

/// The server's logged-in `imap` processes (those that run as the mail user, not the
/// spare ones still root), as pid and resident memory in KiB.
fn server_sessions() -> HashMap<u32, u64> {
    let out = Command::new("ps")
        .args(["-C", "imap", "-o", "pid=,user=,rss="])
        .output()
        .expect("ps");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() != 3 || f[1] == "root" {
                return None;
            }
            Some((f[0].parse().ok()?, f[2].parse().ok()?))
        })
        .collect()
}

/// User and system CPU time of this process.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let f: Vec<&str> = after.split(' ').collect();
    // utime and stime are fields 14 and 15 of stat; 11 and 12 after "(comm) ".
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

async fn child(mode: &str, n: usize, poll: Duration) {
    if std::env::var_os("BENCH_TRACE").is_some() {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(std::io::stderr)
            .init();
    }
    let server = Dovecot::shared();
    let user = server.new_user();
    let opts: ConnectOptions = server
        .plaintext_options(&user)
        .command_timeout(Duration::from_secs(30));
    let names: Vec<String> = (0..n).map(|i| format!("Folder{i:02}")).collect();
    let mut appender = Session::connect(&opts).await.expect("connect");
    for name in &names {
        appender.create_folder(name).await.expect("create");
    }
    let before_conns = open_fds();
    // The appender's server process is not the watchers'.
    let before_server = server_sessions();
    let before_rss = rss_kib();
    let before_cpu = cpu_time();
    // Events as (folder, uid, when).
    let (tx, mut rx) = mpsc::unbounded_channel::<(String, u32, Instant)>();
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
    let mut tasks = Vec::new();
    match mode {
        "notify" | "poll" => {
            let aopts = AccountOptions::default()
                .mode(if mode == "notify" {
                    AccountMode::Notify
                } else {
                    AccountMode::Poll
                })
                .poll_interval(poll)
                .recheck_interval(None);
            let mut w = watch_account(opts.clone(), aopts);
            let tx = tx.clone();
            let ready = ready_tx.clone();
            tasks.push(tokio::spawn(async move {
                while let Some(e) = w.next().await {
                    match e.expect("account watcher") {
                        AccountEvent::Started { .. } => {
                            let _ = ready.send(());
                        }
                        AccountEvent::New { folder, uids, .. } => {
                            for uid in uids.iter().into_iter().flatten() {
                                let _ = tx.send((folder.clone(), uid.get(), Instant::now()));
                            }
                        }
                        _ => {}
                    }
                }
            }));
        }
        "idle" => {
            for name in names.clone() {
                let mut w = watch(opts.clone(), name.clone(), WatchOptions::default());
                let tx = tx.clone();
                let ready = ready_tx.clone();
                tasks.push(tokio::spawn(async move {
                    while let Some(e) = w.next().await {
                        match e.expect("folder watcher") {
                            WatchEvent::Started { .. } => {
                                let _ = ready.send(());
                            }
                            WatchEvent::New(uids) => {
                                for uid in uids.iter().into_iter().flatten() {
                                    let _ = tx.send((name.clone(), uid.get(), Instant::now()));
                                }
                            }
                            _ => {}
                        }
                    }
                }));
            }
        }
        other => panic!("unknown way {other}"),
    }
    let watchers = if mode == "idle" { n } else { 1 };
    for _ in 0..watchers {
        tokio::time::timeout(Duration::from_secs(120), ready_rx.recv())
            .await
            .expect("watchers started within 120 s")
            .expect("ready");
    }
    // Let IDLE begin everywhere.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let conns = open_fds() - before_conns;
    let mut latencies = Vec::new();
    let samples = if mode == "poll" { n.min(20) } else { n };
    let mut early: HashMap<(String, u32), Instant> = HashMap::new();
    for i in 0..samples {
        let folder = &names[i % n];
        if mode == "poll" {
            // Changes come at any point of the poll cycle: spread the APPENDs over it
            // (golden-ratio steps, evenly spread and the same every run).
            let phase = (i as f64 * 0.618_034).fract();
            tokio::time::sleep(poll.mul_f64(phase)).await;
        }
        let started = Instant::now();
        let uid = appender
            .append(
                folder,
                format!(
                    "From: Bench <bench@example.org>\r\nSubject: =?UTF-8?Q?n=C2=B0{i}?=\r\n\r\nbody\r\n"
                )
                .into_bytes(),
                imap_async::Flag::NONE,
                None,
            )
            .await
            .expect("append")
            .and_then(|a| a.uids.iter().and_then(|mut i| i.next()))
            .map(|u| u.get())
            .expect("APPENDUID");
        let key = (folder.clone(), uid);
        let at = loop {
            if let Some(at) = early.remove(&key) {
                break at;
            }
            let (f, u, at) = tokio::time::timeout(Duration::from_secs(60), rx.recv())
                .await
                .unwrap_or_else(|_| panic!("no event for {folder} {uid} within 60 s"))
                .expect("event channel");
            if (f.as_str(), u) == (folder.as_str(), uid) {
                break at;
            }
            early.insert((f, u), at);
        };
        latencies.push(at.saturating_duration_since(started));
    }
    let rss = rss_kib().saturating_sub(before_rss);
    let cpu = cpu_time() - before_cpu;
    let watchers_server: Vec<u64> = server_sessions()
        .into_iter()
        .filter(|(pid, _)| !before_server.contains_key(pid))
        .map(|(_, rss)| rss)
        .collect();
    let (srv_procs, srv_rss) = (watchers_server.len(), watchers_server.iter().sum::<u64>());
    latencies.sort();
    let pick = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!(
        "{:<8} {:>5} {:>10} KiB {:>8.2}s {:>7} {:>8} KiB {:>8.0}ms {:>7.0}ms {:>7.0}ms {:>9}",
        mode,
        conns,
        rss,
        cpu.as_secs_f64(),
        srv_procs,
        srv_rss,
        pick(0.5).as_secs_f64() * 1000.0,
        pick(0.9).as_secs_f64() * 1000.0,
        pick(1.0).as_secs_f64() * 1000.0,
        latencies.len()
    );
    for t in tasks {
        t.abort();
    }
}
