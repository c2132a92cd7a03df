//! Memory of collected results (a program that prints figures; nothing here is a test):
//! how much resident memory `Session::fetch` needs to hold every message of a replayed
//! corpus, against the bytes of the response, and how long it takes against
//! `Session::fetch_stream` on the same corpus.
//!
//! Each measurement runs in processes of its own, so peaks never mix:
//! * a server process generates the corpus and serves it from memory (its memory is not
//!   the client's);
//! * client processes, one after another (`--processes`, 3 by default), each connect,
//!   note their resident memory, run `fetch` (all results held), and report the peak
//!   resident memory (`VmHWM`, reset first through `/proc/self/clear_refs` where allowed)
//!   minus the memory before, the memory still resident while the results are held, the
//!   time of that first `fetch`, and then the times of `--rounds` further `fetch` and
//!   `fetch_stream` passes, interleaved.
//!
//! The first `fetch` of a process is timed apart ("first"): everything it holds is memory
//! new to the process, which the kernel hands out and clears page by page on first touch.
//! Later passes ("again") mostly get back memory the allocator kept from the pass before.
//! A program's first large `fetch` meets the first case, a long-running one often the
//! second; the stream reuses one buffer and meets neither. Beside them, a process of its
//! own writes as many bytes as `fetch` held into new memory ("touch"): what holding them
//! costs whatever the parsing, so that "first" can be read as stream plus touch.
//!
//! Default cases: the three corpora of `bench_replay` at 100,000 messages, and the simple
//! corpus at 1,000,000 messages.
//!
//! Run: `cargo run --release -p imap-async-tests --bin bench_collect -- [--processes P] [--rounds N] [CORPUS:MESSAGES ...]`
//! (default `--processes 3 --rounds 3 simple:100000 realistic:100000 realistic-bs:100000 simple:1000000`)

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

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[v.len() / 2]
}

/// `measure CORPUS N PORT ROUNDS`: print one `RESULT` line: resident memory (KiB) before,
/// at the peak and held; the first `fetch`; then each later `fetch` and `fetch_stream`
/// pass as `F<µs>` or `S<µs>`.
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
        let mut passes = Vec::new();
        for round in 0..rounds {
            // Alternate which goes first.
            for k in 0..2 {
                if (k + round) % 2 == 0 {
                    let (t, n) = time_stream(&mut s, items).await;
                    assert_eq!(n, messages);
                    passes.push(format!("S{}", t.as_micros()));
                } else {
                    let (t, n) = time_collect(&mut s, items).await;
                    assert_eq!(n, messages);
                    passes.push(format!("F{}", t.as_micros()));
                }
            }
        }
        s.logout().await.expect("logout");
        println!(
            "RESULT {before} {peak} {held} {} {} {}",
            u8::from(reset),
            first.as_micros(),
            passes.join(" ")
        );
    });
}

/// `touch BYTES`: print how long writing BYTES of memory new to this process takes, in
/// 64 KiB allocations kept until the end, as `fetch` holds its read buffers: the floor
/// under what holding that much costs, whatever the parsing.
fn touch(bytes: u64) {
    const CHUNK: usize = 64 * 1024;
    let start = Instant::now();
    let mut held: Vec<Vec<u8>> = Vec::new();
    let mut left = bytes as usize;
    while left > 0 {
        let n = left.min(CHUNK);
        held.push(vec![1u8; n]);
        left -= n;
    }
    let elapsed = start.elapsed();
    // Read the memory back so that the writes cannot be left out.
    let sum: u64 = held.iter().map(|c| u64::from(c[c.len() - 1])).sum();
    assert_eq!(sum, held.len() as u64);
    println!("TOUCH {}", elapsed.as_micros());
}

/// What the client processes of one case reported, combined.
#[derive(Default)]
struct Runs {
    /// Largest peak and held growth, in bytes.
    peak_growth: f64,
    held_growth: f64,
    peak_reset: bool,
    first: Vec<Duration>,
    /// Writing as many bytes as `fetch` held into memory new to a process.
    touch: Vec<Duration>,
    again: Vec<Duration>,
    stream: Vec<Duration>,
}

impl Runs {
    fn add(&mut self, result: &str) {
        let words: Vec<&str> = result.split_whitespace().collect();
        let kib = |i: usize| -> u64 { words[i].parse().expect("RESULT: KiB") };
        let (before, peak, held) = (kib(0), kib(1), kib(2));
        self.peak_growth = self
            .peak_growth
            .max(peak.saturating_sub(before) as f64 * 1024.0);
        self.held_growth = self
            .held_growth
            .max(held.saturating_sub(before) as f64 * 1024.0);
        self.peak_reset = words[3] == "1";
        self.first.push(micros(words[4]));
        for pass in &words[5..] {
            match pass.split_at(1) {
                ("F", t) => self.again.push(micros(t)),
                ("S", t) => self.stream.push(micros(t)),
                _ => panic!("RESULT: unexpected {pass:?}"),
            }
        }
    }
}

/// Run this program with `args` and give the rest of its output line that starts with
/// `prefix`, or all it printed when no line does.
fn child_line(exe: &std::path::Path, args: &[&str], prefix: &str) -> Result<String, String> {
    let out = Command::new(exe)
        .args(args)
        .output()
        .map_err(|e| format!("cannot start {}: {e}", args[0]))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .map(str::to_owned)
        .ok_or_else(|| format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
}

fn micros(word: &str) -> Duration {
    Duration::from_micros(word.parse().expect("RESULT: microseconds"))
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
        Some("touch") => return touch(args[1].parse().expect("touch BYTES")),
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
    let mut processes = 3usize;
    let mut cases = Vec::new();
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--rounds" || args[i] == "--processes" {
            let n = args
                .get(i + 1)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{} N", args[i]));
            if args[i] == "--rounds" {
                rounds = n;
            } else {
                processes = n;
            }
            i += 1;
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
    assert!(
        rounds > 0 && processes > 0,
        "--rounds and --processes must be at least 1"
    );
    let exe = std::env::current_exe().expect("own path");
    println!(
        "bench_collect: Session::fetch holding every message; one server and {processes} client processes per case, {rounds} later passes each"
    );
    println!(
        "{:<14} {:>9} {:>9} {:>11} {:>11} {:>9} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8}",
        "corpus",
        "messages",
        "resp MB",
        "peak RSS+",
        "held RSS+",
        "RSS/resp",
        "first ms",
        "touch ms",
        "again ms",
        "stream ms",
        "first/s",
        "again/s"
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
        let mut runs = Runs::default();
        for _ in 0..processes {
            let measured = child_line(
                &exe,
                &[
                    "measure",
                    corpus.name(),
                    &messages.to_string(),
                    &port.to_string(),
                    &rounds.to_string(),
                ],
                "RESULT ",
            );
            let result = measured.unwrap_or_else(|e| {
                let _ = server.kill();
                panic!("client failed on {}: {e}", corpus.name())
            });
            runs.add(&result);
            let held_bytes = (runs.held_growth as u64).to_string();
            let touched = child_line(&exe, &["touch", &held_bytes], "TOUCH ")
                .unwrap_or_else(|e| panic!("touch process failed: {e}"));
            runs.touch.push(micros(&touched));
        }
        let _ = server.kill();
        let _ = server.wait();
        let (first, touch, again, stream) = (
            median(&runs.first),
            median(&runs.touch),
            median(&runs.again),
            median(&runs.stream),
        );
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{:<14} {:>9} {:>9.1} {:>8.1} MB {:>8.1} MB {:>8.2}x {:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>7.2}x {:>7.2}x{}",
            corpus.name(),
            messages,
            bytes as f64 / 1e6,
            runs.peak_growth / 1e6,
            runs.held_growth / 1e6,
            runs.peak_growth / bytes as f64,
            ms(first),
            ms(touch),
            ms(again),
            ms(stream),
            ms(first) / ms(stream),
            ms(again) / ms(stream),
            if runs.peak_reset {
                String::new()
            } else {
                " (peak not reset: whole-process peak)".to_owned()
            }
        );
        println!(
            "SUMMARY\t{messages} messages, {}, fetch (all held): peak RSS growth\t{:.0} MB\t-\t{:.2}x the {:.1} MB response; fetch {:.3} s = {:.2}x fetch_stream ({:.3} s) first in a process (writing that much new memory alone: {:.3} s), {:.2}x again",
            corpus.describe(),
            runs.peak_growth / 1e6,
            runs.peak_growth / bytes as f64,
            bytes as f64 / 1e6,
            first.as_secs_f64(),
            ms(first) / ms(stream),
            stream.as_secs_f64(),
            touch.as_secs_f64(),
            ms(again) / ms(stream),
        );
    }
    println!(
        "peak RSS+: VmHWM during a process's first fetch minus VmRSS before it (largest of the processes); \
         held RSS+: VmRSS with the results held; first: median of each process's first fetch (memory new to the process); \
         touch: writing as many bytes as were held into memory new to a process of its own (median of as many processes); \
         again: median of the later fetch passes; stream: median of the fetch_stream passes, interleaved with them; client processes only"
    );
}
