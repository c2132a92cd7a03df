//! Memory of collected results (a program that prints figures; nothing here is a test):
//! how much resident memory `Session::fetch` needs to hold every message of a replayed
//! corpus, against the bytes of the response, and how long it takes against
//! `Session::fetch_stream` on the same corpus.
//!
//! Each measurement runs in processes of its own, so peaks never mix:
//! * a server process generates the corpus and serves it from memory (its memory is not
//!   the client's);
//! * a client process connects, notes its resident memory, runs `fetch` (all results
//!   held), and reports the peak resident memory (`VmHWM`, reset first through
//!   `/proc/self/clear_refs` where allowed) minus the memory before, the memory still
//!   resident while the results are held, and then the times of further `fetch` and
//!   `fetch_stream` passes, interleaved.
//!
//! Default cases: the three corpora of `bench_replay` at 100,000 messages, and the simple
//! corpus at 1,000,000 messages.
//!
//! Run: `cargo run --release -p imap-async-tests --bin bench_collect -- [--rounds N] [CORPUS:MESSAGES ...]`
//! (default `--rounds 3 simple:100000 realistic:100000 realistic-bs:100000 simple:1000000`)

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use imap_async::{ConnectOptions, Session, UidSet};
use imap_async_tests::measure::{reset_peak, status_kib};
use imap_async_tests::replay::{Corpus, serve};

/// `serve CORPUS N`: generate, print `PORT p BYTES b`, serve until killed.
fn server(corpus: Corpus, messages: u64) {
    let data = Arc::new(corpus.responses(messages));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    println!(
        "PORT {} BYTES {}",
        listener.local_addr().unwrap().port(),
        data.len()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        serve(listener, data, messages).await;
    });
}

async fn session(port: u16) -> Session {
    let opts = ConnectOptions::new("127.0.0.1")
        .port(port)
        .plaintext()
        .login("bench", "bench");
    let mut s = Session::connect(&opts).await.expect("connect");
    s.select_folder("INBOX").await.expect("select");
    s
}

async fn time_stream(s: &mut Session, items: &str) -> (Duration, u64) {
    let start = Instant::now();
    let mut n = 0u64;
    let mut stream = s.fetch_stream(&UidSet::all(), items).expect("fetch_stream");
    while let Some(m) = stream.try_next().await.expect("fetch_stream") {
        n += u64::from(m.uid().is_some());
    }
    (start.elapsed(), n)
}

async fn time_collect(s: &mut Session, items: &str) -> (Duration, u64) {
    let start = Instant::now();
    let all = s.fetch(&UidSet::all(), items).await.expect("fetch");
    let elapsed = start.elapsed();
    let n = all.iter().filter(|m| m.uid().is_some()).count() as u64;
    (elapsed, n)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// `measure CORPUS N PORT ROUNDS`: print one `RESULT` line.
fn measure(corpus: Corpus, messages: u64, port: u16, rounds: usize) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let items = corpus.items();
        let mut s = session(port).await;
        let reset = reset_peak();
        let before = status_kib("VmRSS:");
        let start = Instant::now();
        let all = s.fetch(&UidSet::all(), items).await.expect("fetch");
        let first = start.elapsed();
        let peak = status_kib("VmHWM:");
        let held = status_kib("VmRSS:");
        let n = all.iter().filter(|m| m.uid().is_some()).count() as u64;
        assert_eq!(n, messages, "fetch returned {n} of {messages} messages");
        drop(all);
        let mut collect = vec![first];
        let mut stream = Vec::new();
        for round in 0..rounds {
            // Alternate which goes first.
            for k in 0..2 {
                if (k + round) % 2 == 0 {
                    let (t, n) = time_stream(&mut s, items).await;
                    assert_eq!(n, messages);
                    stream.push(t);
                } else if round > 0 || k == 0 {
                    let (t, n) = time_collect(&mut s, items).await;
                    assert_eq!(n, messages);
                    collect.push(t);
                }
            }
        }
        s.logout().await.expect("logout");
        println!(
            "RESULT {before} {peak} {held} {} {} {} {}",
            median(collect.clone()).as_micros(),
            median(stream).as_micros(),
            collect.len(),
            u8::from(reset)
        );
    });
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => {
            return server(
                Corpus::parse(&args[1]),
                args[2].parse().expect("serve CORPUS N"),
            );
        }
        Some("measure") => {
            return measure(
                Corpus::parse(&args[1]),
                args[2].parse().expect("N"),
                args[3].parse().expect("PORT"),
                args[4].parse().expect("ROUNDS"),
            );
        }
        _ => {}
    }
    let mut rounds = 3usize;
    let mut cases = Vec::new();
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--rounds" {
            i += 1;
            rounds = args
                .get(i)
                .and_then(|v| v.parse().ok())
                .expect("--rounds N");
        } else {
            let (c, n) = args[i]
                .split_once(':')
                .unwrap_or_else(|| panic!("{:?}: expected CORPUS:MESSAGES", args[i]));
            cases.push((Corpus::parse(c), n.parse::<u64>().expect("MESSAGES")));
        }
        i += 1;
    }
    if cases.is_empty() {
        cases = vec![
            (Corpus::Simple, 100_000),
            (Corpus::Realistic, 100_000),
            (Corpus::RealisticBs, 100_000),
            (Corpus::Simple, 1_000_000),
        ];
    }
    assert!(rounds > 0, "--rounds must be at least 1");
    let exe = std::env::current_exe().expect("own path");
    println!(
        "bench_collect: Session::fetch holding every message; one server and one client process per case; {rounds} timing rounds"
    );
    println!(
        "{:<14} {:>9} {:>12} {:>14} {:>14} {:>10} {:>10} {:>13} {:>9}",
        "corpus",
        "messages",
        "response MB",
        "peak RSS+ MB",
        "held RSS+ MB",
        "RSS/resp",
        "fetch ms",
        "fetch_stream",
        "ratio"
    );
    for (corpus, messages) in cases {
        let mut server = Command::new(&exe)
            .args(["serve", corpus.name(), &messages.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the server process");
        let mut line = String::new();
        BufReader::new(server.stdout.take().expect("server stdout"))
            .read_line(&mut line)
            .expect("server's PORT line");
        let words: Vec<&str> = line.split_whitespace().collect();
        let (port, bytes): (u16, u64) = match words.as_slice() {
            ["PORT", p, "BYTES", b] => (p.parse().unwrap(), b.parse().unwrap()),
            _ => panic!("server said {line:?}"),
        };
        let out = Command::new(&exe)
            .args([
                "measure",
                corpus.name(),
                &messages.to_string(),
                &port.to_string(),
                &rounds.to_string(),
            ])
            .output()
            .expect("run the client process");
        let _ = server.kill();
        let _ = server.wait();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let Some(result) = stdout.lines().find_map(|l| l.strip_prefix("RESULT ")) else {
            panic!(
                "client failed on {}: {}{}",
                corpus.name(),
                stdout,
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let v: Vec<u64> = result
            .split_whitespace()
            .map(|w| w.parse().unwrap())
            .collect();
        let (before, peak, held, collect_us, stream_us, n_collect, reset) =
            (v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
        let growth = peak.saturating_sub(before) as f64 * 1024.0;
        let held_growth = held.saturating_sub(before) as f64 * 1024.0;
        println!(
            "{:<14} {:>9} {:>12.1} {:>14.1} {:>14.1} {:>9.2}x {:>10.1} {:>13.1} {:>8.2}x{}",
            corpus.name(),
            messages,
            bytes as f64 / 1e6,
            growth / 1e6,
            held_growth / 1e6,
            growth / bytes as f64,
            collect_us as f64 / 1e3,
            stream_us as f64 / 1e3,
            collect_us as f64 / stream_us as f64,
            if reset == 1 {
                String::new()
            } else {
                " (peak not reset: whole-process peak)".to_owned()
            }
        );
        let _ = n_collect;
        println!(
            "SUMMARY\t{messages} messages, {}, fetch (all held): peak RSS growth\t{:.0} MB\t-\t{:.2}x the {:.1} MB response; fetch {:.3} s = {:.2}x fetch_stream ({:.3} s)",
            corpus.describe(),
            growth / 1e6,
            growth / bytes as f64,
            bytes as f64 / 1e6,
            collect_us as f64 / 1e6,
            collect_us as f64 / stream_us as f64,
            stream_us as f64 / 1e6
        );
    }
    println!(
        "peak RSS+: VmHWM during the first fetch minus VmRSS before it; held RSS+: VmRSS with the results held; \
         fetch/fetch_stream: median wall times of {rounds} passes each, interleaved, client process only"
    );
}
