//! Replay benchmark (a program that prints figures; nothing here is a test): a loopback
//! server answers `UID FETCH 1:* (...)` from memory with a recorded-style response, so that
//! the client's own ceiling shows. Three corpora of 100,000 messages each (see
//! `bench_data`):
//!
//! * `simple`: `UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE` of plain generated mail;
//! * `realistic`: the same items for Dovecot-shaped real mail (encoded words in many
//!   charsets, groups, literals for 8-bit and folded values, escapes, NIL fields);
//! * `realistic-bs`: the realistic mail with `BODYSTRUCTURE` too (nested multiparts,
//!   attachments, forwarded messages).
//!
//! Per corpus, four readers, timed from sending the command to the last message handled:
//!
//! * `raw`: a plain socket read of the same bytes (no parsing: the floor);
//! * `ours`: imap-async `Session::fetch_stream`, each message handled as it arrives;
//! * `ours-collect`: imap-async `Session::fetch` (all messages collected), then each handled;
//! * `async-imap`: async-imap 0.11 `Session::uid_fetch`, each message handled as it arrives
//!   (with `--features compare-async-imap`).
//!
//! Every client handles a message with the same work ([`Tally`]): the UID, the number of
//! flags, RFC822.SIZE, the subject's length, the first From address's mailbox and host, the
//! number of To entries, the Message-ID's length, and with BODYSTRUCTURE the number of
//! parts (walking the whole tree, enclosed messages included). The totals are printed and
//! must be the same for every client (the program stops if not: a client that skipped work
//! or misparsed a message would show here, never a timing).
//!
//! The rounds interleave corpora and readers (the readers' order rotates each round), so a
//! busy machine slows all alike; per reader it prints the median, best and worst wall time,
//! the client's CPU time (its thread only; the server runs on another), messages per
//! second, the time against the raw read, and against async-imap as the median of the
//! per-round ratios with their range. A last, untimed pass per reader counts the
//! allocations made on the client's thread (a counting wrapper around the system
//! allocator, inert while timing).
//!
//! Run: `cargo run --release -p imap-async-tests --features compare-async-imap --bin bench_replay -- [ROUNDS] [--messages N] [--corpus NAME]...`
//! (default 15 rounds, 100,000 messages, all three corpora).
//!
//! `bench_replay once CORPUS READER [--messages N]` runs one reader once on one corpus and
//! prints its time and totals: for whole-process paired timings by an external tool
//! (`hyperfine`, `perf stat`), and for profiling.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use imap_async::{ConnectOptions, Fetched, Session, UidSet};
use imap_async_tests::bench_data::{round_ratios, thread_cpu};
use imap_async_tests::replay::{Corpus, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const DEFAULT_MESSAGES: u64 = 100_000;
const DEFAULT_ROUNDS: usize = 15;
/// No reader may take longer than this for one pass (a hang is reported, not waited out).
const PASS_TIMEOUT: Duration = Duration::from_secs(600);

/// The system allocator, counting the allocations made on a thread while that thread's
/// switch is on (only during the counting pass after the timed rounds: when off, the cost
/// is one thread-local read per call, the same for every client).
struct CountingAllocator;

thread_local! {
    static COUNT_HERE: Cell<bool> = const { Cell::new(false) };
}
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);

fn count(size: usize) {
    if COUNT_HERE.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        ALLOCATED_BYTES.fetch_add(size as u64, Ordering::Relaxed);
    }
}

// SAFETY: every call is passed on unchanged to the system allocator.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// The readers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reader {
    Raw,
    Ours,
    OursCollect,
    AsyncImap,
}

impl Reader {
    fn all() -> Vec<Reader> {
        let mut v = vec![Reader::Raw, Reader::Ours, Reader::OursCollect];
        if cfg!(feature = "compare-async-imap") {
            v.push(Reader::AsyncImap);
        }
        v
    }

    fn name(self) -> &'static str {
        match self {
            Reader::Raw => "raw",
            Reader::Ours => "ours",
            Reader::OursCollect => "ours-collect",
            Reader::AsyncImap => "async-imap",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Reader::Raw => "plain socket read (floor)",
            Reader::Ours => "imap-async fetch_stream",
            Reader::OursCollect => "imap-async fetch (collect)",
            Reader::AsyncImap => "async-imap 0.11 uid_fetch",
        }
    }

    fn parse(name: &str) -> Reader {
        [
            Reader::Raw,
            Reader::Ours,
            Reader::OursCollect,
            Reader::AsyncImap,
        ]
        .into_iter()
        .find(|r| r.name() == name)
        .unwrap_or_else(|| panic!("{name:?}: reader is raw, ours, ours-collect or async-imap"))
    }
}

/// What every client reads from every message: the same work per message for each, and
/// totals that must agree between clients.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tally {
    messages: u64,
    uid_sum: u64,
    flags: u64,
    size_sum: u64,
    subject_bytes: u64,
    first_from_bytes: u64,
    to_entries: u64,
    message_id_bytes: u64,
    parts: u64,
}

impl Tally {
    fn checksum(&self) -> u64 {
        let mut h = imap_async_tests::measure::Fnv::new();
        for v in [
            self.messages,
            self.uid_sum,
            self.flags,
            self.size_sum,
            self.subject_bytes,
            self.first_from_bytes,
            self.to_entries,
            self.message_id_bytes,
            self.parts,
        ] {
            h.write(&v.to_le_bytes());
        }
        h.0
    }
}

fn len<T: AsRef<[u8]>>(v: &Option<T>) -> u64 {
    v.as_ref().map_or(0, |v| v.as_ref().len() as u64)
}

/// imap-async's consumer: the public accessors of [`Fetched`] only, with the envelope and
/// body structure read through their views (the fields read from the received bytes,
/// nothing built).
fn tally_ours(t: &mut Tally, m: &Fetched) {
    t.messages += 1;
    t.uid_sum += u64::from(m.uid().map_or(0, |u| u.get()));
    t.flags += m.flags().map_or(0, |f| f.len() as u64);
    t.size_sum += m.size().unwrap_or(0);
    if let Some(e) = m.envelope_view() {
        t.subject_bytes += len(&e.subject());
        if let Some(a) = e.from().next() {
            t.first_from_bytes += len(&a.mailbox) + len(&a.host);
        }
        t.to_entries += e.to().count() as u64;
        t.message_id_bytes += len(&e.message_id());
    }
    if let Some(b) = m.body_structure_view() {
        t.parts += parts_ours(b);
    }
}

/// Every node of the tree: multiparts, their parts, enclosed messages' structures.
fn parts_ours(b: imap_async::proto::BodyStructureView<'_>) -> u64 {
    1 + b.parts().map(parts_ours).sum::<u64>() + b.enclosed().map_or(0, parts_ours)
}

/// The length of a quoted string's value once its `\"` and `\\` escapes are undone.
/// async-imap 0.11 (imap-proto 0.16) hands quoted strings back with their escapes still in
/// (`"\"a b\"@host"` comes back as `\"a b\"`), so its consumer does this small part of
/// the work imap-async's parser already did, to read the same values (for the fields that
/// come quoted with escapes in these corpora: mailbox, host, Message-ID).
#[cfg(feature = "compare-async-imap")]
fn unescaped_len(v: &Option<std::borrow::Cow<'_, [u8]>>) -> u64 {
    let Some(v) = v else { return 0 };
    if !v.contains(&b'\\') {
        return v.len() as u64;
    }
    let mut n = 0;
    let mut escaped = false;
    for &b in v.iter() {
        if b == b'\\' && !escaped {
            escaped = true;
        } else {
            escaped = false;
            n += 1;
        }
    }
    n
}

/// async-imap's consumer: the same reads through its accessors.
#[cfg(feature = "compare-async-imap")]
fn tally_async_imap(t: &mut Tally, m: &async_imap::types::Fetch) {
    t.messages += 1;
    t.uid_sum += u64::from(m.uid.unwrap_or(0));
    t.flags += m.flags().count() as u64;
    t.size_sum += u64::from(m.size.unwrap_or(0));
    if let Some(e) = m.envelope() {
        // Dovecot sends a subject holding `"` or `\\` as a literal (never escaped), so
        // the subject's bytes are its value.
        t.subject_bytes += len(&e.subject);
        if let Some(a) = e.from.as_ref().and_then(|f| f.first()) {
            t.first_from_bytes += unescaped_len(&a.mailbox) + unescaped_len(&a.host);
        }
        t.to_entries += e.to.as_ref().map_or(0, |v| v.len() as u64);
        t.message_id_bytes += unescaped_len(&e.message_id);
    }
    if let Some(b) = m.bodystructure() {
        t.parts += parts_async_imap(b);
    }
}

#[cfg(feature = "compare-async-imap")]
fn parts_async_imap(b: &async_imap::imap_proto::types::BodyStructure<'_>) -> u64 {
    use async_imap::imap_proto::types::BodyStructure;
    match b {
        BodyStructure::Basic { .. } | BodyStructure::Text { .. } => 1,
        BodyStructure::Message { body, .. } => 1 + parts_async_imap(body),
        BodyStructure::Multipart { bodies, .. } => {
            1 + bodies.iter().map(parts_async_imap).sum::<u64>()
        }
    }
}

/// One reader's pass: from sending the command to the last message handled.
#[derive(Clone, Copy)]
struct Timed {
    wall: Duration,
    /// CPU time of the client's thread (the server runs on another).
    cpu: Duration,
    tally: Tally,
}

struct Clock(Instant, Duration);

impl Clock {
    fn start() -> Clock {
        Clock(Instant::now(), thread_cpu())
    }

    fn stop(self, tally: Tally) -> Timed {
        Timed {
            wall: self.0.elapsed(),
            cpu: thread_cpu() - self.1,
            tally,
        }
    }
}

/// The floor: read the response's bytes off the socket, find the tagged end, parse nothing.
async fn raw_read(port: u16, items: &str, expected: usize) -> Timed {
    let mut sock = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    sock.set_nodelay(true).unwrap();
    let mut buf = vec![0u8; 256 * 1024];
    let n = sock.read(&mut buf).await.unwrap(); // greeting
    assert!(buf[..n].ends_with(b"\r\n"));
    let clock = Clock::start();
    sock.write_all(format!("A1 UID FETCH 1:* {items}\r\n").as_bytes())
        .await
        .unwrap();
    let end = b"A1 OK UID FETCH completed.\r\n";
    let mut total = 0;
    let mut tail = Vec::new();
    loop {
        let n = sock.read(&mut buf).await.unwrap();
        assert!(n > 0, "server closed");
        total += n;
        tail.extend_from_slice(&buf[n.saturating_sub(64)..n]);
        if tail.len() > 128 {
            tail.drain(..tail.len() - 64);
        }
        if total >= expected + end.len() && tail.ends_with(end) {
            break;
        }
    }
    clock.stop(Tally::default())
}

async fn ours_session(port: u16) -> Session {
    let opts = ConnectOptions::new("127.0.0.1")
        .port(port)
        .plaintext()
        .login("bench", "bench");
    let mut session = Session::connect(&opts).await.unwrap();
    session.select_folder("INBOX").await.unwrap();
    session
}

/// imap-async, `fetch_stream`: each message handled as it arrives.
async fn ours_stream(port: u16, items: &str) -> Timed {
    let mut session = ours_session(port).await;
    let clock = Clock::start();
    let mut tally = Tally::default();
    {
        let mut stream = session.fetch_stream(&UidSet::all(), items).unwrap();
        while let Some(m) = stream.try_next().await.unwrap() {
            tally_ours(&mut tally, &m);
        }
    }
    let timed = clock.stop(tally);
    session.logout().await.unwrap();
    timed
}

/// imap-async, `fetch`: every message collected, then each handled; dropped after the
/// clock stops.
async fn ours_collect(port: u16, items: &str) -> Timed {
    let mut session = ours_session(port).await;
    let clock = Clock::start();
    let mut tally = Tally::default();
    let all = session.fetch(&UidSet::all(), items).await.unwrap();
    for m in &all {
        tally_ours(&mut tally, m);
    }
    let timed = clock.stop(tally);
    drop(all);
    session.logout().await.unwrap();
    timed
}

/// async-imap 0.11, `uid_fetch`: each message handled as it arrives.
#[cfg(feature = "compare-async-imap")]
async fn async_imap(port: u16, items: &str) -> Timed {
    use futures::StreamExt;
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.unwrap().unwrap(); // greeting
    let mut session = client
        .login("bench", "bench")
        .await
        .map_err(|e| e.0)
        .unwrap();
    session.select("INBOX").await.unwrap();
    let clock = Clock::start();
    let mut tally = Tally::default();
    {
        let mut stream = session.uid_fetch("1:*", items).await.unwrap();
        while let Some(fetch) = stream.next().await {
            tally_async_imap(&mut tally, &fetch.unwrap());
        }
    }
    let timed = clock.stop(tally);
    session.logout().await.unwrap();
    timed
}

#[cfg(not(feature = "compare-async-imap"))]
async fn async_imap(_port: u16, _items: &str) -> Timed {
    panic!("async-imap is not built: add `--features compare-async-imap`")
}

async fn run(reader: Reader, corpus: Corpus, port: u16, bytes: usize) -> Timed {
    let items = corpus.items();
    let pass = async {
        match reader {
            Reader::Raw => raw_read(port, items, bytes).await,
            Reader::Ours => ours_stream(port, items).await,
            Reader::OursCollect => ours_collect(port, items).await,
            Reader::AsyncImap => async_imap(port, items).await,
        }
    };
    tokio::time::timeout(PASS_TIMEOUT, pass)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{} on {}: no end after {PASS_TIMEOUT:?}",
                reader.name(),
                corpus.name()
            )
        })
}

/// Run `reader` once with allocation counting on for this thread: allocations and bytes
/// allocated per message (everything from connecting to logging out; the set-up is
/// negligible next to 100,000 messages).
async fn count_allocations(
    reader: Reader,
    corpus: Corpus,
    port: u16,
    bytes: usize,
    messages: u64,
) -> (f64, f64) {
    ALLOCATIONS.store(0, Ordering::Relaxed);
    ALLOCATED_BYTES.store(0, Ordering::Relaxed);
    COUNT_HERE.with(|c| c.set(true));
    run(reader, corpus, port, bytes).await;
    COUNT_HERE.with(|c| c.set(false));
    (
        ALLOCATIONS.load(Ordering::Relaxed) as f64 / messages as f64,
        ALLOCATED_BYTES.load(Ordering::Relaxed) as f64 / messages as f64,
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A served corpus.
struct Served {
    corpus: Corpus,
    port: u16,
    bytes: usize,
}

/// Generate the corpora and serve them, one port each, on a thread of their own.
fn start_server(corpora: &[Corpus], messages: u64) -> Vec<Served> {
    let mut served = Vec::new();
    let mut listeners = Vec::new();
    for &corpus in corpora {
        let start = Instant::now();
        let data = Arc::new(corpus.responses(messages));
        eprintln!(
            "{}: {messages} messages, {:.1} MB, generated in {:.2} s",
            corpus.name(),
            data.len() as f64 / 1e6,
            start.elapsed().as_secs_f64()
        );
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        served.push(Served {
            corpus,
            port: l.local_addr().unwrap().port(),
            bytes: data.len(),
        });
        listeners.push((l, data));
    }
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            for (l, data) in listeners {
                let listener = TcpListener::from_std(l).unwrap();
                tokio::spawn(serve(listener, data, messages));
            }
            std::future::pending::<()>().await
        });
    });
    served
}

fn print_corpus(
    s: &Served,
    messages: u64,
    readers: &[Reader],
    runs: &[Vec<Timed>],
    allocs: &[(f64, f64)],
) {
    println!();
    println!(
        "== {}: {messages} messages, {:.1} MB response, {:.0} bytes/message, items {}",
        s.corpus.name(),
        s.bytes as f64 / 1e6,
        s.bytes as f64 / messages as f64,
        s.corpus.items()
    );
    let raw_i = readers.iter().position(|&r| r == Reader::Raw).unwrap();
    println!(
        "{:<28} {:>9} {:>9} {:>9} {:>11} {:>12} {:>13} {:>8} {:>10}",
        "reader",
        "median ms",
        "best ms",
        "worst ms",
        "msgs/s",
        "CPU med ms",
        "x raw (med)",
        "allocs/m",
        "bytes/m"
    );
    for (i, r) in readers.iter().enumerate() {
        let walls: Vec<Duration> = runs[i].iter().map(|t| t.wall).collect();
        let cpus: Vec<Duration> = runs[i].iter().map(|t| t.cpu).collect();
        let med = median(walls.clone());
        let best = *walls.iter().min().unwrap();
        let worst = *walls.iter().max().unwrap();
        let (vs_raw, _, _) = round_ratios(
            runs[i]
                .iter()
                .zip(&runs[raw_i])
                .map(|(a, b)| (a.wall, b.wall)),
        );
        println!(
            "{:<28} {:>9.1} {:>9.1} {:>9.1} {:>11.0} {:>12.1} {:>12.2}x {:>8.2} {:>10.0}",
            r.label(),
            ms(med),
            ms(best),
            ms(worst),
            messages as f64 / med.as_secs_f64(),
            ms(median(cpus)),
            vs_raw,
            allocs[i].0,
            allocs[i].1,
        );
    }
    let pos = |r: Reader| readers.iter().position(|&x| x == r);
    // Lines for bench_all's table.
    let secs = |i: usize| {
        format!(
            "{:.3} s",
            median(runs[i].iter().map(|t| t.wall).collect()).as_secs_f64()
        )
    };
    let cpu_ms = |i: usize| ms(median(runs[i].iter().map(|t| t.cpu).collect()));
    let vs = |a: usize, b: usize| {
        round_ratios(runs[b].iter().zip(&runs[a]).map(|(b, a)| (b.wall, a.wall)))
    };
    let theirs = pos(Reader::AsyncImap);
    for (reader, call) in [
        (Reader::Ours, "fetch_stream"),
        (Reader::OursCollect, "fetch (collected)"),
    ] {
        let Some(i) = pos(reader) else { continue };
        let (raw, _, _) = vs(raw_i, i);
        let mut note = format!(
            "{}: {:.1}x a raw read; client CPU {:.0} ms; {:.1} allocations, {:.0} bytes allocated per message",
            s.corpus.name(),
            raw,
            cpu_ms(i),
            allocs[i].0,
            allocs[i].1
        );
        if let Some(t) = theirs {
            let (m, lo, hi) = vs(i, t);
            note = format!(
                "{m:.2}x async-imap (median of {} per-round ratios, {lo:.2}x to {hi:.2}x; async-imap CPU {:.0} ms); {note}",
                runs[i].len(),
                cpu_ms(t)
            );
        }
        println!(
            "SUMMARY\t{} messages, {}, {call}\t{}\t{}\t{note}",
            messages,
            s.corpus.describe(),
            secs(i),
            theirs.map_or("-".to_owned(), secs)
        );
    }
    let compare = |a: Reader, b: Reader, what: &str| {
        if let (Some(ai), Some(bi)) = (pos(a), pos(b)) {
            let pairs = runs[bi].iter().zip(&runs[ai]);
            let (m, lo, hi) = round_ratios(pairs.clone().map(|(b, a)| (b.wall, a.wall)));
            let (cm, clo, chi) = round_ratios(pairs.map(|(b, a)| (b.cpu, a.cpu)));
            println!(
                "{what}: wall {m:.2}x ({lo:.2}x to {hi:.2}x), client CPU {cm:.2}x ({clo:.2}x to {chi:.2}x)  [median of per-round ratios {} / {}]",
                b.name(),
                a.name()
            );
        }
    };
    compare(
        Reader::Ours,
        Reader::AsyncImap,
        "fetch_stream vs async-imap (speed-up)",
    );
    compare(
        Reader::OursCollect,
        Reader::AsyncImap,
        "fetch vs async-imap (speed-up)   ",
    );
    if let (Some(c), Some(o)) = (pos(Reader::OursCollect), pos(Reader::Ours)) {
        let (m, lo, hi) = round_ratios(runs[c].iter().zip(&runs[o]).map(|(c, o)| (c.wall, o.wall)));
        println!("fetch time / fetch_stream time: {m:.2}x ({lo:.2}x to {hi:.2}x)");
    }
    // Every client must have read the same totals.
    let mut reference: Option<(Reader, Tally)> = None;
    for (i, r) in readers.iter().enumerate() {
        if *r == Reader::Raw {
            continue;
        }
        for t in &runs[i] {
            match reference {
                None => reference = Some((*r, t.tally)),
                Some((who, ref_t)) => assert_eq!(
                    t.tally,
                    ref_t,
                    "{} and {} read different totals on {}",
                    r.name(),
                    who.name(),
                    s.corpus.name()
                ),
            }
        }
    }
    if let Some((_, t)) = reference {
        println!(
            "totals (same for every client): checksum {:016x}; {} messages, {} flags, {} subject bytes, {} To entries, {} parts",
            t.checksum(),
            t.messages,
            t.flags,
            t.subject_bytes,
            t.to_entries,
            t.parts
        );
        assert_eq!(
            t.messages, messages,
            "a client saw {} of {messages} messages",
            t.messages
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut messages = DEFAULT_MESSAGES;
    let mut rounds = DEFAULT_ROUNDS;
    let mut corpora = Vec::new();
    let mut positional = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--messages" => {
                i += 1;
                messages = args
                    .get(i)
                    .and_then(|v| v.parse().ok())
                    .expect("--messages N");
            }
            "--corpus" => {
                i += 1;
                corpora.push(Corpus::parse(args.get(i).expect("--corpus NAME")));
            }
            other => positional.push(other.to_owned()),
        }
        i += 1;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    if positional.first().map(String::as_str) == Some("once") {
        let corpus = Corpus::parse(positional.get(1).expect("once CORPUS READER"));
        let reader = Reader::parse(positional.get(2).expect("once CORPUS READER"));
        let served = start_server(&[corpus], messages);
        let s = &served[0];
        let t = rt.block_on(run(reader, corpus, s.port, s.bytes));
        println!(
            "{} on {}: {:.1} ms, client CPU {:.1} ms, checksum {:016x}, {} messages",
            reader.name(),
            corpus.name(),
            ms(t.wall),
            ms(t.cpu),
            t.tally.checksum(),
            t.tally.messages
        );
        println!("totals: {:?}", t.tally);
        return;
    }

    if let Some(r) = positional.first() {
        rounds = r.parse().expect("ROUNDS must be a number (or `once`)");
    }
    assert!(rounds > 0, "ROUNDS must be at least 1");
    if corpora.is_empty() {
        corpora = Corpus::ALL.to_vec();
    }
    let readers = Reader::all();
    println!(
        "bench_replay: {} CPU cores; {rounds} rounds; readers {}; server on its own thread, clients on a current-thread runtime",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        readers
            .iter()
            .map(|r| r.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !cfg!(feature = "compare-async-imap") {
        println!("async-imap 0.11: not built; add `--features compare-async-imap` to compare");
    }
    let served = start_server(&corpora, messages);
    rt.block_on(async {
        // runs[corpus][reader][round]
        let mut runs: Vec<Vec<Vec<Timed>>> = vec![vec![Vec::new(); readers.len()]; served.len()];
        for round in 0..rounds {
            for (ci, s) in served.iter().enumerate() {
                for k in 0..readers.len() {
                    let ri = (k + round) % readers.len();
                    let t = run(readers[ri], s.corpus, s.port, s.bytes).await;
                    runs[ci][ri].push(t);
                }
            }
            eprint!("\rround {}/{rounds}", round + 1);
        }
        eprintln!();
        for (ci, s) in served.iter().enumerate() {
            let mut allocs = Vec::new();
            for &r in &readers {
                allocs.push(count_allocations(r, s.corpus, s.port, s.bytes, messages).await);
            }
            print_corpus(s, messages, &readers, &runs[ci], &allocs);
        }
    });
}
