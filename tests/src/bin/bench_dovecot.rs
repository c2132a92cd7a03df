//! End-to-end benchmark against Dovecot (a program that prints figures; nothing here is a
//! test). It starts a private Dovecot, builds a 100,000-message mailbox by writing maildir
//! files directly and indexing them (`doveadm index`), then times
//! `UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)`:
//!
//! * a raw socket read of the response (LOGIN, SELECT, then the command; no parsing);
//! * imap-async `Session::fetch_stream` (each message parsed and handed over as it
//!   arrives), with the CPU time of the client's thread (getrusage);
//! * imap-async `Session::fetch`, which collects all 100,000 messages into a `Vec`;
//! * imap-async streaming with COMPRESS=DEFLATE on, and the bytes on the wire with and
//!   without compression (`Session::wire_stats`).
//!
//! The first fetch of a fresh mailbox makes Dovecot build its cache; one untimed fetch
//! warms it, then the rounds alternate between the readers.
//!
//! Run: `cargo run --release -p imap-async-tests --bin bench_dovecot [MESSAGES] [ROUNDS]`
//! (default 100,000 messages, 5 rounds)

use std::os::unix::fs::chown;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use imap_async::{ConnectOptions, Session, UidSet};
use imap_async_tests::bench_data::{MessageMeta, Rng, round_ratios, thread_cpu};
use imap_async_tests::measure::raw_fetch;
use imap_async_tests::{Dovecot, DovecotOptions, TestUser};

/// Rounds when the second argument does not say: on a quiet machine five are enough; on a
/// shared one the medians move by several percent from run to run, so ask for more.
const DEFAULT_ROUNDS: usize = 5;
const ITEMS: &str = "(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)";

fn doveadm_field(server: &Dovecot, user: &str, field: &str) -> String {
    let out = server
        .doveadm(&["user", "-f", field, user], None)
        .expect("doveadm user");
    assert!(out.status.success(), "doveadm user failed: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Write `n` messages into the user's `Maildir/cur` as the mail uid, then index them.
fn build_mailbox(server: &Dovecot, user: &TestUser, n: u64) -> Duration {
    let start = Instant::now();
    let home = PathBuf::from(doveadm_field(server, &user.name, "home"));
    let uid: u32 = doveadm_field(server, &user.name, "uid").parse().unwrap();
    let gid: u32 = doveadm_field(server, &user.name, "gid").parse().unwrap();
    let maildir = home.join("Maildir");
    for dir in [home.clone(), maildir.clone()]
        .into_iter()
        .chain(["cur", "new", "tmp"].map(|d| maildir.join(d)))
    {
        std::fs::create_dir_all(&dir).unwrap();
        chown(&dir, Some(uid), Some(gid)).unwrap();
    }
    let mut rng = Rng::new(0x1a2b_3c4d);
    let base_time = 1_700_000_000u64;
    for seq in 1..=n {
        let mut meta = MessageMeta::generate(&mut rng, seq);
        // Smaller bodies than the generator's default keep the mailbox at ~300 MB; the
        // ENVELOPE fetch reads headers only.
        meta.size = 1_000 + rng.below(4_000);
        let body = meta.rfc822(&mut rng);
        let flags = match (meta.flagged, meta.seen) {
            (true, true) => "FS",
            (true, false) => "F",
            (false, true) => "S",
            (false, false) => "",
        };
        let name = format!(
            "{}.M{seq}P1.bench,S={}:2,{flags}",
            base_time + seq,
            body.len()
        );
        let path = maildir.join("cur").join(name);
        std::fs::write(&path, &body).unwrap();
        chown(&path, Some(uid), Some(gid)).unwrap();
    }
    let out = server
        .doveadm(&["index", "-u", &user.name, "INBOX"], None)
        .expect("doveadm index");
    assert!(out.status.success(), "doveadm index failed: {out:?}");
    start.elapsed()
}

struct Run {
    wall: Duration,
    cpu: Duration,
    bytes: u64,
    wire: u64,
}

async fn raw_read(server: &Dovecot, user: &TestUser) -> Run {
    let r = raw_fetch(server, user, &format!("UID FETCH 1:* {ITEMS}"), None).await;
    Run {
        wall: r.wall,
        cpu: r.cpu,
        bytes: r.bytes,
        wire: r.bytes,
    }
}

/// How the client takes the response: collected into a `Vec` by `Session::fetch`, or one
/// message at a time from `Session::fetch_stream` (the way large mailboxes should be read).
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Collect,
    Stream,
}

async fn ours(server: &Dovecot, user: &TestUser, n: u64, compress: bool, mode: Mode) -> Run {
    let opts = ConnectOptions::new(server.host())
        .port(server.imap_port())
        .plaintext()
        .login(&user.name, user.password.as_str())
        .compress(compress);
    let mut session = Session::connect(&opts).await.unwrap();
    assert_eq!(session.is_compressed(), compress);
    session.select_folder("INBOX").await.unwrap();
    let before = session.wire_stats();
    let cpu = thread_cpu();
    let start = Instant::now();
    let envelopes = match mode {
        Mode::Collect => {
            let messages = session.fetch(&UidSet::all(), ITEMS).await.unwrap();
            messages.iter().filter(|m| m.envelope().is_some()).count()
        }
        Mode::Stream => {
            let mut stream = session.fetch_stream(&UidSet::all(), ITEMS).unwrap();
            let mut envelopes = 0;
            while let Some(m) = stream.try_next().await.unwrap() {
                envelopes += usize::from(m.envelope().is_some());
            }
            envelopes
        }
    };
    let wall = start.elapsed();
    let cpu = thread_cpu() - cpu;
    let after = session.wire_stats();
    assert_eq!(envelopes as u64, n);
    session.logout().await.unwrap();
    Run {
        wall,
        cpu,
        bytes: after.data_received - before.data_received,
        wire: after.received - before.received,
    }
}

fn summary(name: &str, runs: &[Run], floor: Option<Duration>) -> Duration {
    let mut runs: Vec<&Run> = runs.iter().collect();
    runs.sort_by_key(|r| r.wall);
    let m = runs[runs.len() / 2];
    let vs = floor
        .map(|f| {
            format!(
                " | {:+.1}% vs raw",
                (m.wall.as_secs_f64() / f.as_secs_f64() - 1.0) * 100.0
            )
        })
        .unwrap_or_default();
    println!(
        "{name:<36} median {:>7.1} ms (best {:>7.1}) client CPU {:>6.1} ms | {:>6.1} MB IMAP, {:>6.1} MB on the wire{vs}",
        m.wall.as_secs_f64() * 1e3,
        runs[0].wall.as_secs_f64() * 1e3,
        m.cpu.as_secs_f64() * 1e3,
        m.bytes as f64 / 1e6,
        m.wire as f64 / 1e6,
    );
    m.wall
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("MESSAGES must be a number"))
        .unwrap_or(100_000);
    let rounds: usize = std::env::args()
        .nth(2)
        .map(|a| a.parse().expect("ROUNDS must be a number"))
        .unwrap_or(DEFAULT_ROUNDS);
    assert!(rounds > 0, "ROUNDS must be at least 1");
    println!(
        "bench_dovecot: {} CPU cores (shared with the server); {n} messages; {rounds} rounds; loopback, plaintext",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let server = Dovecot::start(DovecotOptions::default()).expect("start Dovecot");
    let user = server.new_user();
    let built = build_mailbox(&server, &user, n);
    println!(
        "mailbox built (maildir files + doveadm index) in {:.1} s",
        built.as_secs_f64()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let warm = Instant::now();
        raw_read(&server, &user).await;
        println!(
            "first fetch (Dovecot fills its cache): {:.1} s",
            warm.elapsed().as_secs_f64()
        );
        let (mut raw, mut streamed, mut collected, mut deflate) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        // Each round starts with a different reader, so that none is always the one
        // that runs right after the compressed fetch (or first in the round).
        for round in 0..rounds {
            for reader in (0..4).map(|i| (i + round) % 4) {
                match reader {
                    0 => raw.push(raw_read(&server, &user).await),
                    1 => streamed.push(ours(&server, &user, n, false, Mode::Stream).await),
                    2 => collected.push(ours(&server, &user, n, false, Mode::Collect).await),
                    _ => deflate.push(ours(&server, &user, n, true, Mode::Stream).await),
                }
            }
        }
        let floor = summary("raw socket read", &raw, None);
        let readers = [
            (
                "imap-async Session::fetch_stream",
                "fetch_stream",
                &streamed,
            ),
            (
                "imap-async Session::fetch, collected",
                "fetch, collected",
                &collected,
            ),
            (
                "imap-async fetch_stream, COMPRESS",
                "fetch_stream, COMPRESS",
                &deflate,
            ),
        ];
        for (title, _, runs) in readers {
            summary(title, runs, Some(floor));
        }
        // Each reader against the same round's raw read (see `round_ratios`).
        for (_, name, runs) in readers {
            let (ratio, _, _) = round_ratios(runs.iter().zip(&raw).map(|(o, r)| (o.wall, r.wall)));
            println!(
                "{name:<24} median of per-round ratios to the same round's raw read: {:+.1}%",
                (ratio - 1.0) * 100.0
            );
        }
    });
    server.stop();
}
