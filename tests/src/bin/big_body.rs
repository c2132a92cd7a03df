//! One 500 MB message from Dovecot, three ways (a program that prints figures, not a
//! test): a raw socket read of `UID FETCH 1 BODY.PEEK[]` (the floor), `fetch_stream`
//! (the body, above the 256 MiB in-memory limit, comes as `FetchItem::BodyChunk`
//! pieces), and `fetch_body_to` into a writer. Interleaved rounds print each one's wall
//! time, the client thread's CPU time and the median of per-round ratios to the raw read;
//! the timed consumers only count bytes, and one more run of each checks the bytes with
//! an FNV-1a hash (untimed: hashing a byte at a time costs about as much as the read).
//! Last, the process's peak resident memory (`VmHWM`).
//!
//! Run: `cargo run --release -p imap-async-tests --bin big_body [size-in-MB] [rounds]`
//! (default 500 MB, 5 rounds)

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use imap_async::session::FetchAttr;
use imap_async::{Section, Uid, UidSet};
use imap_async_tests::bench_data::{round_ratios, thread_cpu};
use imap_async_tests::measure::{Counter, Fnv, Sink, inbox_session, raw_fetch, vm_hwm_kib};
use imap_async_tests::{Dovecot, DovecotOptions, TestUser};

/// The message, produced line by line into the file so that this process never holds it.
fn write_message(path: &std::path::Path, size: u64) -> (u64, u64) {
    use std::io::Write;
    let file = std::fs::File::create(path).expect("create the message file");
    let mut out = std::io::BufWriter::new(file);
    let mut hash = Fnv::new();
    let head = b"From: big@example.org\r\nSubject: big\r\n\r\n";
    out.write_all(head).unwrap();
    hash.write(head);
    let mut written = head.len() as u64;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut line = [0u8; 78];
    while written + 78 <= size {
        for b in line.iter_mut().take(76) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = alphabet[(x % 64) as usize];
        }
        line[76] = b'\r';
        line[77] = b'\n';
        out.write_all(&line).unwrap();
        hash.write(&line);
        written += 78;
    }
    out.flush().unwrap();
    (written, hash.0)
}

struct Run {
    wall: Duration,
    cpu: Duration,
    bytes: u64,
}

async fn raw_read(server: &Dovecot, user: &TestUser) -> Run {
    let r = raw_fetch(server, user, "UID FETCH 1 BODY.PEEK[]", None).await;
    Run {
        wall: r.wall,
        cpu: r.cpu,
        bytes: r.bytes,
    }
}

/// `fetch_stream` of the body; returns the run and the bytes' FNV-1a hash (with `hash`).
async fn stream(server: &Dovecot, user: &TestUser, hash: bool) -> (Run, u64) {
    let mut s = inbox_session(server, user).await;
    let mut fnv = Fnv::new();
    let mut bytes = 0u64;
    let mut pieces = 0u64;
    let cpu = thread_cpu();
    let start = Instant::now();
    let mut messages = s
        .fetch_stream(
            &UidSet::from(Uid::new(1).unwrap()),
            FetchAttr::body_peek(Section::Full),
        )
        .expect("fetch_stream");
    while let Some(msg) = messages.try_next().await.expect("fetch_stream") {
        let data = match msg.body_chunk() {
            Some(chunk) => chunk.data.clone(),
            None => msg.body(Section::Full).expect("the body"),
        };
        if hash {
            fnv.write(&data);
        }
        bytes += data.len() as u64;
        pieces += 1;
    }
    drop(messages);
    let wall = start.elapsed();
    let cpu = thread_cpu() - cpu;
    assert!(pieces > 1, "the body came in one piece: it was held whole");
    s.logout().await.expect("logout");
    (Run { wall, cpu, bytes }, fnv.0)
}

async fn body_to(server: &Dovecot, user: &TestUser, hash: bool) -> (Run, u64) {
    let mut s = inbox_session(server, user).await;
    let mut sink = Sink {
        bytes: 0,
        hash: Fnv::new(),
    };
    let mut count = Counter(0);
    let cpu = thread_cpu();
    let start = Instant::now();
    let uid = Uid::new(1).unwrap();
    let bytes = if hash {
        s.fetch_body_to(uid, Section::Full, &mut sink).await
    } else {
        s.fetch_body_to(uid, Section::Full, &mut count).await
    }
    .expect("fetch_body_to");
    let wall = start.elapsed();
    let cpu = thread_cpu() - cpu;
    s.logout().await.expect("logout");
    (Run { wall, cpu, bytes }, sink.hash.0)
}

fn summary(name: &str, runs: &[Run], raw: Option<&[Run]>) {
    let mut sorted: Vec<&Run> = runs.iter().collect();
    sorted.sort_by_key(|r| r.wall);
    let m = sorted[sorted.len() / 2];
    let vs = raw
        .map(|raw| {
            let (ratio, lo, hi) = round_ratios(runs.iter().zip(raw).map(|(o, r)| (o.wall, r.wall)));
            format!(" | x{ratio:.3} raw (per-round ratios {lo:.3}-{hi:.3})")
        })
        .unwrap_or_default();
    println!(
        "{name:<26} median {:>7.0} ms (best {:>7.0}) client CPU {:>6.0} ms, {:>5.0} MB/s{vs}",
        m.wall.as_secs_f64() * 1e3,
        sorted[0].wall.as_secs_f64() * 1e3,
        m.cpu.as_secs_f64() * 1e3,
        m.bytes as f64 / 1e6 / m.wall.as_secs_f64(),
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mb: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let rounds: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5)
        .max(1);
    let server = Dovecot::start(DovecotOptions::default()).expect("start Dovecot");
    let user = server.new_user();
    let dir = server.maildir_path(&user.name, "INBOX");
    let path = dir.join("1700000000.M1P1.big:2,");
    let (size, expected) = write_message(&path, mb << 20);
    server.give_to_mail_user(&path);
    server.index_folder(&user.name, "INBOX");
    println!(
        "big_body: one message of {size} bytes ({mb} MiB requested), {rounds} rounds, {} CPU cores (shared with the server)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    // The first read brings the file into the page cache.
    raw_read(&server, &user).await;
    let hwm_before = vm_hwm_kib();
    let (mut raw, mut streamed, mut written) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        for reader in (0..3).map(|i| (i + round) % 3) {
            match reader {
                0 => raw.push(raw_read(&server, &user).await),
                1 => {
                    let (run, _) = stream(&server, &user, false).await;
                    assert_eq!(run.bytes, size, "fetch_stream lost bytes");
                    streamed.push(run);
                }
                _ => {
                    let (run, _) = body_to(&server, &user, false).await;
                    assert_eq!(run.bytes, size, "fetch_body_to lost bytes");
                    written.push(run);
                }
            }
        }
    }
    summary("raw read", &raw, None);
    summary("fetch_stream, pieces", &streamed, Some(&raw));
    let median = |runs: &[Run]| {
        let mut v: Vec<_> = runs.iter().map(|r| r.wall).collect();
        v.sort();
        v[v.len() / 2].as_secs_f64()
    };
    let (ratio, lo, hi) = round_ratios(streamed.iter().zip(&raw).map(|(o, r)| (o.wall, r.wall)));
    println!(
        "SUMMARY\tone {:.0} MB body through `fetch_stream` (pieces)\t{:.3} s\t-\t\
         {ratio:.3}x a raw read ({:.3} s; per-round {lo:.3}-{hi:.3}); peak RSS {:.1} MiB; \
         target <= 1.1x raw, < 32 MB",
        size as f64 / 1e6,
        median(&streamed),
        median(&raw),
        vm_hwm_kib() as f64 / 1024.0
    );
    summary("fetch_body_to", &written, Some(&raw));
    let (checked, hash) = stream(&server, &user, true).await;
    println!(
        "fetch_stream bytes identical to the message (length and FNV-1a hash): {}",
        checked.bytes == size && hash == expected
    );
    let (checked, hash) = body_to(&server, &user, true).await;
    println!(
        "fetch_body_to bytes identical to the message (length and FNV-1a hash): {}",
        checked.bytes == size && hash == expected
    );
    println!(
        "peak RSS (VmHWM): {:.1} MiB before the rounds, {:.1} MiB after",
        hwm_before as f64 / 1024.0,
        vm_hwm_kib() as f64 / 1024.0
    );
    server.stop();
}
