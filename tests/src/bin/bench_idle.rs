//! IDLE benchmark (a program that prints figures; nothing here is a test):
//!
//! 1. Client-added latency: a loopback server writes `* n EXISTS` 1,000 times; the time from
//!    just before the server's write to the event reaching the consumer of the IDLE stream.
//! 2. End to end against Dovecot: from the moment a message is saved (by `doveadm save`) to
//!    the event at the watcher. Dovecot waits about 0.5 s before notifying (a fixed delay
//!    in its source), so this mostly measures the server.
//! 3. 1,000 concurrent IDLE watchers over TLS in this one process: resident memory per
//!    watcher, and CPU time used while they idle.
//!
//! Run: `cargo run --release -p imap-async-tests --bin bench_idle`

use std::time::{Duration, Instant};

use futures::StreamExt;
use imap_async::{ConnectOptions, IdleEvent, Session};
use imap_async_tests::{Dovecot, DovecotOptions};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const EVENTS: usize = 1000;
const WATCHERS: usize = 1000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, mut v: Vec<Duration>) {
    v.sort();
    println!(
        "{name}: n={} median={:?} p99={:?} min={:?} max={:?}",
        v.len(),
        percentile(&v, 0.5),
        percentile(&v, 0.99),
        v[0],
        v[v.len() - 1]
    );
}

async fn client_added_latency() -> Vec<Duration> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sent_tx, mut sent_rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let (ack_tx, mut ack_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let server = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        sock.set_nodelay(true).unwrap();
        let (r, mut w) = sock.into_split();
        let mut r = BufReader::new(r);
        w.write_all(b"* OK [CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN] bench\r\n")
            .await
            .unwrap();
        let mut line = String::new();
        r.read_line(&mut line).await.unwrap(); // LOGIN
        let tag = line.split(' ').next().unwrap().to_owned();
        w.write_all(format!("{tag} OK [CAPABILITY IMAP4rev1 IDLE] in\r\n").as_bytes())
            .await
            .unwrap();
        line.clear();
        r.read_line(&mut line).await.unwrap(); // IDLE
        w.write_all(b"+ idling\r\n").await.unwrap();
        for n in 1..=EVENTS {
            let msg = format!("* {n} EXISTS\r\n");
            let t0 = Instant::now();
            w.write_all(msg.as_bytes()).await.unwrap();
            sent_tx.send(t0).unwrap();
            if ack_rx.recv().await.is_none() {
                return;
            }
        }
    });
    let opts = ConnectOptions::new("127.0.0.1")
        .port(port)
        .plaintext()
        .login("u", "p");
    let mut session = Session::connect(&opts).await.unwrap();
    let mut idle = session.idle().await.unwrap();
    let mut lat = Vec::with_capacity(EVENTS);
    for _ in 0..EVENTS {
        let event = idle.next().await.unwrap().unwrap();
        let t1 = Instant::now();
        assert!(matches!(event, IdleEvent::Exists(_)));
        let t0 = sent_rx.recv().await.unwrap();
        lat.push(t1 - t0);
        ack_tx.send(()).unwrap();
    }
    drop(idle);
    server.await.unwrap();
    lat
}

async fn dovecot_end_to_end(server: &Dovecot, rounds: usize, pairs: usize) -> Vec<Duration> {
    let mut tasks = Vec::new();
    for _ in 0..pairs {
        let user = server.new_user();
        let opts = ConnectOptions::new(server.host())
            .port(server.imap_port())
            .plaintext()
            .login(&user.name, user.password.as_str());
        let name = user.name.clone();
        tasks.push(tokio::spawn(async move {
            let mut s = Session::connect(&opts).await.unwrap();
            s.select_folder("INBOX").await.unwrap();
            let mut idle = s.idle().await.unwrap();
            let mut lat = Vec::new();
            for n in 1..=rounds as u32 {
                let saved = tokio::task::spawn_blocking({
                    let name = name.clone();
                    move || {
                        Dovecot::shared().append_message(
                            &name,
                            "INBOX",
                            b"Subject: b\r\n\r\nx\r\n",
                        );
                        Instant::now()
                    }
                })
                .await
                .unwrap();
                loop {
                    let ev = idle.next().await.unwrap().unwrap();
                    if ev == IdleEvent::Exists(n) {
                        lat.push(Instant::now().saturating_duration_since(saved));
                        break;
                    }
                }
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn cpu_time() -> Duration {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

async fn many_watchers(server: &Dovecot) {
    let user = server.new_user();
    let opts = ConnectOptions::new(server.host())
        .port(server.imaps_port().unwrap())
        .ca_file(server.ca_pem_path())
        .tls_server_name("localhost")
        .login(&user.name, user.password.as_str());
    // Warm up lazily initialised process-wide state (system roots, TLS config) first.
    Session::connect(&opts)
        .await
        .unwrap()
        .logout()
        .await
        .unwrap();
    let before = rss_kib();
    let started = Instant::now();
    let mut watchers = Vec::with_capacity(WATCHERS);
    let mut connecting = futures::stream::iter((0..WATCHERS).map(|_| {
        let opts = opts.clone();
        async move {
            let mut s = Session::connect(&opts).await?;
            s.select_folder("INBOX").await?;
            s.into_idle(imap_async::IdleOptions::default()).await
        }
    }))
    .buffer_unordered(50);
    while let Some(w) = connecting.next().await {
        watchers.push(w.expect("watcher connects"));
    }
    // Every watcher's stream is polled by its own task, as a real watcher service would.
    let mut tasks = Vec::with_capacity(WATCHERS);
    for mut idle in watchers {
        tasks.push(tokio::spawn(async move {
            let first = idle.next().await;
            (idle, first.is_some())
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib();
    println!(
        "{WATCHERS} TLS IDLE watchers connected in {:?}; RSS {} KiB -> {} KiB: {:.1} KiB per watcher",
        started.elapsed(),
        before,
        after,
        (after - before) as f64 / WATCHERS as f64
    );
    // Part of that is memory the allocator keeps after the 1,000 handshakes; give it back
    // to see what the watchers themselves hold.
    // SAFETY: malloc_trim only releases free heap memory.
    unsafe { libc::malloc_trim(0) };
    let trimmed = rss_kib();
    println!(
        "after malloc_trim: RSS {} KiB: {:.1} KiB per watcher",
        trimmed,
        (trimmed - before) as f64 / WATCHERS as f64
    );
    let cpu0 = cpu_time();
    let wall = Duration::from_secs(10);
    tokio::time::sleep(wall).await;
    let cpu = cpu_time() - cpu0;
    println!(
        "CPU while {WATCHERS} watchers idle for {wall:?}: {cpu:?} ({:.3}% of one core)",
        cpu.as_secs_f64() / wall.as_secs_f64() * 100.0
    );
    for t in &tasks {
        t.abort();
    }
}

#[tokio::main]
async fn main() {
    println!(
        "machine: {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    report(
        "client-added latency (server write -> event at consumer)",
        client_added_latency().await,
    );

    let server = Dovecot::shared();
    report(
        "Dovecot end to end (message saved -> event at watcher), 10 watchers x 20 messages",
        dovecot_end_to_end(server, 20, 10).await,
    );
    let _ = DovecotOptions::default();
    many_watchers(server).await;
}
