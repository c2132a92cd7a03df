//! Many bodies at wire speed (a program that prints figures; nothing here is a test). It
//! starts a private Dovecot, writes 10,000 messages totalling about 210 MB straight into a
//! maildir (most 5–40 KB, about one in a hundred 100 KB–1.5 MB) and indexes them
//! (`doveadm index`), then in interleaved rounds times:
//!
//! * a raw socket read of `UID FETCH 1:* BODY.PEEK[]` (LOGIN, SELECT, the command; no
//!   parsing): the floor; and the same read hashing every byte received with FNV-1a, the
//!   floor for a consumer that does that much work;
//! * `Session::fetch_bodies` of all UIDs, each body written to its own writer: a sink that
//!   counts and hashes (FNV-1a, a byte at a time: about 1 ns per byte, as much CPU as the
//!   whole read), each body's length and hash checked against what was written into the
//!   maildir; and a writer that only counts, lengths checked (the client's own cost);
//!
//! and prints the wall time, the client thread's CPU time, the median of per-round ratios
//! to the same round's raw read, and the process's peak RSS (`VmHWM`). Last, once, the old
//! way: one `fetch_body_to` (one `UID FETCH` round trip) per message.
//!
//! Run: `cargo run --release -p imap-async-tests --bin bench_bodies [MESSAGES] [ROUNDS]`
//! (default 10,000 messages, 7 rounds)

use std::time::{Duration, Instant};

use imap_async::session::BatchOptions;
use imap_async::{Section, Uid, UidSet};
use imap_async_tests::bench_data::{Rng, round_ratios, thread_cpu};
use imap_async_tests::measure::{Counter, Fnv, Sink, inbox_session, raw_fetch, vm_hwm_kib};
use imap_async_tests::{Dovecot, DovecotOptions, TestUser};

const DEFAULT_ROUNDS: usize = 7;

/// A message of `len` bytes: a few headers and lines of pseudo-random text.
fn message(rng: &mut Rng, seq: u64, len: usize) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = format!(
        "From: sender{seq}@example.org\r\nTo: rcpt@example.org\r\nSubject: body {seq}\r\n\
         Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <{seq}@example.org>\r\n\r\n"
    )
    .into_bytes();
    while out.len() < len {
        let x = rng.next_u64();
        for i in 0..10 {
            out.push(alphabet[((x >> (i * 6)) & 63) as usize]);
        }
        if out.len() % 78 >= 76 {
            out.extend_from_slice(b"\r\n");
        }
    }
    out.truncate(len.saturating_sub(2).max(1));
    out.extend_from_slice(b"\r\n");
    out
}

/// Log-uniform between `lo` and `hi`.
fn size_between(rng: &mut Rng, lo: f64, hi: f64) -> usize {
    let u = rng.below(1 << 30) as f64 / f64::from(1u32 << 30);
    (lo * (hi / lo).powf(u)) as usize
}

/// Writes the messages into the user's INBOX maildir and indexes it; returns the size and
/// hash of each message, by UID order.
fn build_mailbox(server: &Dovecot, user: &TestUser, n: u64) -> Vec<(u64, u64)> {
    let dir = server.maildir_path(&user.name, "INBOX");
    let mut rng = Rng::new(0x5eed_b0d1);
    let mut expected = Vec::with_capacity(n as usize);
    for seq in 1..=n {
        let len = if rng.below(100) == 0 {
            size_between(&mut rng, 100e3, 1.5e6)
        } else {
            size_between(&mut rng, 5e3, 40e3)
        };
        let body = message(&mut rng, seq, len);
        let mut hash = Fnv::new();
        hash.write(&body);
        expected.push((body.len() as u64, hash.0));
        let path = dir.join(format!(
            "{}.M{seq}P1.bodies,S={}:2,",
            1_700_000_000 + seq,
            body.len()
        ));
        std::fs::write(&path, &body).unwrap();
        server.give_to_mail_user(&path);
    }
    server.index_folder(&user.name, "INBOX");
    expected
}

struct Run {
    wall: Duration,
    cpu: Duration,
    bytes: u64,
}

/// The raw read; with `hash`, every byte received also goes through FNV-1a, the work the
/// hashing sink does on the bodies.
async fn raw_read(server: &Dovecot, user: &TestUser, hash: bool) -> Run {
    let mut fnv = Fnv::new();
    let fnv = hash.then_some(&mut fnv);
    let r = raw_fetch(server, user, "UID FETCH 1:* BODY.PEEK[]", fnv).await;
    Run {
        wall: r.wall,
        cpu: r.cpu,
        bytes: r.bytes,
    }
}

/// [`BatchOptions::default`], or `BATCH` / `PIPELINE` from the environment.
fn batch_options() -> BatchOptions {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    let mut o = BatchOptions::default();
    if let Some(b) = env("BATCH") {
        o = o.batch_size(b as u32);
    }
    if let Some(p) = env("PIPELINE") {
        o = o.pipeline(p);
    }
    o
}

/// Every body to its own writer: a [`Sink`] hashing every byte (`hash`: each body's
/// length and FNV-1a hash are checked), or a counter (only lengths are checked).
async fn bodies(server: &Dovecot, user: &TestUser, expected: &[(u64, u64)], hash: bool) -> Run {
    let mut session = inbox_session(server, user).await;
    let n = expected.len() as u32;
    let set: UidSet = format!("1:{n}").parse().unwrap();
    let before = session.wire_stats();
    let cpu = thread_cpu();
    let start = Instant::now();
    let mut seen = 0usize;
    let mut bodies = session
        .fetch_bodies(&set, Section::Full, batch_options())
        .unwrap();
    while let Some(mut body) = bodies.next().await.unwrap() {
        let uid = body.uid().unwrap().get() as usize;
        if hash {
            let mut sink = Sink {
                bytes: 0,
                hash: Fnv::new(),
            };
            body.write_to(&mut sink).await.unwrap();
            let got = (sink.bytes, sink.hash.0);
            assert_eq!(got, expected[uid - 1], "message {uid} differs");
        } else {
            let mut counter = Counter(0);
            body.write_to(&mut counter).await.unwrap();
            assert_eq!(counter.0, expected[uid - 1].0, "message {uid} differs");
        }
        seen += 1;
    }
    drop(bodies);
    let wall = start.elapsed();
    let cpu = thread_cpu() - cpu;
    assert_eq!(seen, expected.len());
    let bytes = session.wire_stats().received - before.received;
    session.logout().await.unwrap();
    Run { wall, cpu, bytes }
}

/// The old way: one `UID FETCH` per message.
async fn one_by_one(server: &Dovecot, user: &TestUser, expected: &[(u64, u64)]) -> Run {
    let mut session = inbox_session(server, user).await;
    let before = session.wire_stats();
    let cpu = thread_cpu();
    let start = Instant::now();
    for (i, want) in expected.iter().enumerate() {
        let mut sink = Sink {
            bytes: 0,
            hash: Fnv::new(),
        };
        let uid = Uid::new(i as u32 + 1).unwrap();
        session
            .fetch_body_to(uid, Section::Full, &mut sink)
            .await
            .unwrap();
        assert_eq!((sink.bytes, sink.hash.0), *want);
    }
    let wall = start.elapsed();
    let cpu = thread_cpu() - cpu;
    let bytes = session.wire_stats().received - before.received;
    session.logout().await.unwrap();
    Run { wall, cpu, bytes }
}

fn summary(name: &str, runs: &[Run]) {
    let mut sorted: Vec<&Run> = runs.iter().collect();
    sorted.sort_by_key(|r| r.wall);
    let m = sorted[sorted.len() / 2];
    println!(
        "{name:<34} median {:>8.1} ms (best {:>8.1}) client CPU {:>7.1} ms | {:>6.1} MB received, {:>6.0} MB/s",
        m.wall.as_secs_f64() * 1e3,
        sorted[0].wall.as_secs_f64() * 1e3,
        m.cpu.as_secs_f64() * 1e3,
        m.bytes as f64 / 1e6,
        m.bytes as f64 / 1e6 / m.wall.as_secs_f64(),
    );
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("MESSAGES must be a number"))
        .unwrap_or(10_000);
    let rounds: usize = std::env::args()
        .nth(2)
        .map(|a| a.parse().expect("ROUNDS must be a number"))
        .unwrap_or(DEFAULT_ROUNDS);
    assert!(rounds > 0 && n > 0);
    println!(
        "bench_bodies: {} CPU cores (shared with the server); {n} messages; {rounds} rounds; loopback, plaintext",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let server = Dovecot::start(DovecotOptions::default()).expect("start Dovecot");
    let user = server.new_user();
    let built = Instant::now();
    let expected = build_mailbox(&server, &user, n);
    let total: u64 = expected.iter().map(|e| e.0).sum();
    let big = expected.iter().filter(|e| e.0 > 64 * 1024).count();
    println!(
        "mailbox: {n} messages, {:.1} MB ({big} above 64 KiB, largest {:.2} MB), built in {:.1} s",
        total as f64 / 1e6,
        expected.iter().map(|e| e.0).max().unwrap_or(0) as f64 / 1e6,
        built.elapsed().as_secs_f64()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // The first read makes Dovecot open and cache every file.
        raw_read(&server, &user, false).await;
        let hwm_before = vm_hwm_kib();
        let (mut raw, mut raw_hashed, mut hashed, mut counted) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        // Each round starts with a different reader.
        for round in 0..rounds {
            for reader in (0..4).map(|i| (i + round) % 4) {
                match reader {
                    0 => raw.push(raw_read(&server, &user, false).await),
                    1 => counted.push(bodies(&server, &user, &expected, false).await),
                    2 => raw_hashed.push(raw_read(&server, &user, true).await),
                    _ => hashed.push(bodies(&server, &user, &expected, true).await),
                }
            }
        }
        summary("raw read, UID FETCH 1:* BODY[]", &raw);
        summary("fetch_bodies, counter per body", &counted);
        summary("raw read + FNV of every byte", &raw_hashed);
        summary("fetch_bodies, FNV sink per body", &hashed);
        for (name, runs, floor, floor_name) in [
            ("counter", &counted, &raw, "raw read"),
            ("FNV sink", &hashed, &raw_hashed, "raw read + FNV"),
            ("FNV sink", &hashed, &raw, "raw read"),
        ] {
            let (ratio, lo, hi) =
                round_ratios(runs.iter().zip(floor).map(|(o, r)| (o.wall, r.wall)));
            println!(
                "fetch_bodies ({name}) / {floor_name}, median of per-round ratios: {ratio:.3} (range {lo:.3}-{hi:.3})"
            );
            if name == "counter" {
                let median = |runs: &[Run]| {
                    let mut v: Vec<_> = runs.iter().map(|r| r.wall).collect();
                    v.sort();
                    v[v.len() / 2].as_secs_f64()
                };
                println!(
                    "SUMMARY\t{n} bodies ({:.0} MB), `fetch_bodies` to a writer each\t{:.3} s\t-\t\
                     {ratio:.3}x a raw read of the same bytes ({:.3} s; per-round {lo:.3}-{hi:.3}); \
                     peak RSS {:.1} MiB; target <= 1.1x raw, < 32 MB",
                    total as f64 / 1e6,
                    median(runs),
                    median(floor),
                    vm_hwm_kib() as f64 / 1024.0
                );
            }
        }
        println!(
            "peak RSS (VmHWM): {:.1} MiB before the rounds, {:.1} MiB after",
            hwm_before as f64 / 1024.0,
            vm_hwm_kib() as f64 / 1024.0
        );
        if std::env::var_os("SKIP_OLD_WAY").is_none() {
            let old = one_by_one(&server, &user, &expected).await;
            summary("old way: fetch_body_to per message", std::slice::from_ref(&old));
        }
    });
    server.stop();
}
