//! Replay benchmark (a program that prints figures; nothing here is a test): a loopback
//! server answers `UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)` with a
//! recorded-style response for 100,000 messages (about 41.5 MB) from memory, so that the
//! client's own ceiling shows. Timed from sending the command to holding every envelope:
//!
//! * a plain socket read of the same bytes (no parsing: the floor);
//! * imap-async, `Session::fetch` (collects every message into a `Vec<Fetched>`);
//! * async-imap 0.11 (`Session::uid_fetch`, every item of its stream pushed to a `Vec`),
//!   when built with `--features compare-async-imap`.
//!
//! For both, every message's envelope is then looked at.
//!
//! Both clients parse every ENVELOPE into typed values (imap-proto parses the whole
//! response when async-imap reads it) and both hand back every message; for both, the
//! clock stops once all are held, before they are dropped. The rounds interleave the three
//! so that a busy machine slows all of them alike; each line gives the median, the best and
//! the worst round. A last, untimed pass per client counts the allocations made on the
//! client's thread (a counting wrapper around the system allocator, inert while timing).
//!
//! Run: `cargo run --release -p imap-async-tests --features compare-async-imap --bin bench_replay [ROUNDS]`
//! (default 5 rounds)
//! (`bench_replay ours [N]` runs imap-async alone, N times (default once): for profiling).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use imap_async::{ConnectOptions, Session, UidSet};
#[cfg(feature = "compare-async-imap")]
use imap_async_tests::bench_data::round_ratios;
use imap_async_tests::bench_data::{self, thread_cpu};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const MESSAGES: u64 = 100_000;
/// Rounds when the first argument does not give a number: on a shared machine the medians
/// of five move by some 10 % from run to run, so ask for more there.
const DEFAULT_ROUNDS: usize = 5;
const ITEMS: &str = "(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)";

/// The system allocator, counting the allocations made on a thread while that thread's
/// switch is on (only during the counting pass after the timed rounds: when off, the cost
/// is one thread-local read per call, the same for both clients).
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

/// Run `f` once with allocation counting on for this thread, and print what one message
/// cost on average (everything from sending the command to holding every message; the
/// connection set-up and logout are counted too, but are negligible next to 100,000 messages).
async fn count_allocations<F: std::future::Future<Output = Timed>>(name: &str, f: F) {
    ALLOCATIONS.store(0, Ordering::Relaxed);
    ALLOCATED_BYTES.store(0, Ordering::Relaxed);
    COUNT_HERE.with(|c| c.set(true));
    f.await;
    COUNT_HERE.with(|c| c.set(false));
    let n = ALLOCATIONS.load(Ordering::Relaxed) as f64 / MESSAGES as f64;
    let b = ALLOCATED_BYTES.load(Ordering::Relaxed) as f64 / MESSAGES as f64;
    println!("{name:<34} {n:>6.2} allocations per message, {b:>6.0} bytes allocated per message");
}

/// Serve every connection: greeting, then answer each command line from memory.
async fn serve(listener: TcpListener, data: Arc<Vec<u8>>) {
    loop {
        let Ok((sock, _)) = listener.accept().await else {
            return;
        };
        let data = data.clone();
        tokio::spawn(async move {
            let _ = sock.set_nodelay(true);
            let (r, mut w) = sock.into_split();
            let mut r = BufReader::new(r);
            w.write_all(b"* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] replay ready\r\n")
                .await
                .unwrap();
            let mut line = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                let mut words = line.split_whitespace();
                let tag = words.next().unwrap_or("*").to_owned();
                let mut cmd = words.next().unwrap_or("").to_ascii_uppercase();
                if cmd == "UID" {
                    cmd = format!("UID {}", words.next().unwrap_or("").to_ascii_uppercase());
                }
                let reply = match cmd.as_str() {
                    "CAPABILITY" => "* CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN\r\n".to_owned(),
                    "LOGIN" => String::new(),
                    "SELECT" | "EXAMINE" => format!(
                        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
                         * {MESSAGES} EXISTS\r\n* 0 RECENT\r\n\
                         * OK [UIDVALIDITY 1700000000] UIDs valid\r\n\
                         * OK [UIDNEXT {}] Predicted next UID\r\n",
                        MESSAGES + 1
                    ),
                    "UID FETCH" | "FETCH" => {
                        w.write_all(&data).await.unwrap();
                        String::new()
                    }
                    "LOGOUT" => "* BYE Logging out\r\n".to_owned(),
                    _ => String::new(),
                };
                let done = match cmd.as_str() {
                    "LOGIN" => format!("{tag} OK [CAPABILITY IMAP4rev1 LITERAL+] Logged in\r\n"),
                    "SELECT" | "EXAMINE" => format!("{tag} OK [READ-WRITE] Select completed.\r\n"),
                    _ => format!("{tag} OK {cmd} completed.\r\n"),
                };
                w.write_all(format!("{reply}{done}").as_bytes())
                    .await
                    .unwrap();
                if cmd == "LOGOUT" {
                    return;
                }
            }
        });
    }
}

/// One reader's round: from sending the command to holding every message.
#[derive(Clone, Copy)]
struct Timed {
    wall: Duration,
    /// CPU time of the client's thread (the server runs on another).
    cpu: Duration,
}

impl Timed {
    fn start() -> (Instant, Duration) {
        (Instant::now(), thread_cpu())
    }

    fn since((wall, cpu): (Instant, Duration)) -> Timed {
        Timed {
            wall: wall.elapsed(),
            cpu: thread_cpu() - cpu,
        }
    }
}

/// The floor: read the response's bytes off the socket, find the tagged end, parse nothing.
async fn raw_read(port: u16, expected: usize) -> Timed {
    let mut sock = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    sock.set_nodelay(true).unwrap();
    let mut buf = vec![0u8; 256 * 1024];
    let n = sock.read(&mut buf).await.unwrap(); // greeting
    assert!(buf[..n].ends_with(b"\r\n"));
    let start = Timed::start();
    sock.write_all(format!("A1 UID FETCH 1:* {ITEMS}\r\n").as_bytes())
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
    Timed::since(start)
}

async fn ours(port: u16) -> Timed {
    let opts = ConnectOptions::new("127.0.0.1")
        .port(port)
        .plaintext()
        .login("bench", "bench");
    let mut session = Session::connect(&opts).await.unwrap();
    session.select_folder("INBOX").await.unwrap();
    let start = Timed::start();
    let messages = session.fetch(&UidSet::all(), ITEMS).await.unwrap();
    let envelopes = messages.iter().filter(|m| m.envelope().is_some()).count();
    let elapsed = Timed::since(start);
    assert_eq!(envelopes as u64, MESSAGES);
    drop(messages);
    session.logout().await.unwrap();
    elapsed
}

#[cfg(feature = "compare-async-imap")]
async fn async_imap(port: u16) -> Timed {
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
    let start = Timed::start();
    // Collected like `Session::fetch` does (a Vec grown as messages come), then every
    // envelope looked at, and dropped after the clock stops: the same as for imap-async.
    let mut all = Vec::new();
    {
        let mut stream = session.uid_fetch("1:*", ITEMS).await.unwrap();
        while let Some(fetch) = stream.next().await {
            all.push(fetch.unwrap());
        }
    }
    let envelopes = all.iter().filter(|m| m.envelope().is_some()).count();
    let elapsed = Timed::since(start);
    assert_eq!(envelopes as u64, MESSAGES);
    drop(all);
    session.logout().await.unwrap();
    elapsed
}

fn summary(name: &str, runs: &[Timed], bytes: usize, floor: Option<Duration>) -> Duration {
    let mut v: Vec<Duration> = runs.iter().map(|r| r.wall).collect();
    v.sort();
    let best = v[0];
    let worst = v[v.len() - 1];
    let median = v[v.len() / 2];
    let mut cpu: Vec<Duration> = runs.iter().map(|r| r.cpu).collect();
    cpu.sort();
    let vs = floor
        .map(|f| {
            format!(
                " | {:.2}x the raw read",
                median.as_secs_f64() / f.as_secs_f64()
            )
        })
        .unwrap_or_default();
    println!(
        "{name:<34} median {:>7.1} ms  best {:>7.1}  worst {:>7.1}  {:>7.1} MB/s  {:>9.0} msgs/s  client CPU {:>7.1} ms{vs}",
        median.as_secs_f64() * 1e3,
        best.as_secs_f64() * 1e3,
        worst.as_secs_f64() * 1e3,
        bytes as f64 / 1e6 / median.as_secs_f64(),
        MESSAGES as f64 / median.as_secs_f64(),
        cpu[cpu.len() / 2].as_secs_f64() * 1e3,
    );
    median
}

fn main() {
    let rounds: usize = match std::env::args().nth(1) {
        Some(arg) if arg != "ours" => arg.parse().expect("ROUNDS must be a number or `ours`"),
        _ => DEFAULT_ROUNDS,
    };
    assert!(rounds > 0, "ROUNDS must be at least 1");
    let data = Arc::new(bench_data::envelope_responses(MESSAGES));
    let bytes = data.len();
    println!(
        "bench_replay: {} CPU cores; {MESSAGES} envelopes, {:.1} MB response; server on its own thread; {rounds} rounds",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        bytes as f64 / 1e6
    );
    // The server gets its own thread and runtime; the clients run on a current-thread
    // runtime on the main thread, as a simple application would.
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let port = std_listener.local_addr().unwrap().port();
    let server_data = data.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            serve(listener, server_data).await;
        });
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    if std::env::args().nth(1).as_deref() == Some("ours") {
        let times: usize = std::env::args()
            .nth(2)
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        for _ in 0..times {
            let t = rt.block_on(ours(port));
            println!(
                "imap-async Session::fetch: {:.1} ms, client CPU {:.1} ms",
                t.wall.as_secs_f64() * 1e3,
                t.cpu.as_secs_f64() * 1e3
            );
        }
        return;
    }
    rt.block_on(async move {
        let mut raw = Vec::new();
        let mut ours_t = Vec::new();
        #[cfg(feature = "compare-async-imap")]
        let mut theirs = Vec::new();
        for _ in 0..rounds {
            raw.push(raw_read(port, bytes).await);
            ours_t.push(ours(port).await);
            #[cfg(feature = "compare-async-imap")]
            theirs.push(async_imap(port).await);
        }
        let floor = summary("plain socket read (floor)", &raw, bytes, None);
        let ours_m = summary("imap-async Session::fetch", &ours_t, bytes, Some(floor));
        #[cfg(feature = "compare-async-imap")]
        {
            let theirs_m = summary("async-imap 0.11 uid_fetch", &theirs, bytes, Some(floor));
            println!(
                "imap-async is {:.2}x faster than async-imap 0.11 (median against median)",
                theirs_m.as_secs_f64() / ours_m.as_secs_f64()
            );
            let rounds = theirs.iter().zip(&ours_t);
            let (m, lo, hi) = round_ratios(rounds.clone().map(|(t, o)| (t.wall, o.wall)));
            println!(
                "imap-async is {m:.2}x faster than async-imap 0.11 (median of the per-round ratios, {lo:.2}x to {hi:.2}x)"
            );
            let (m, lo, hi) = round_ratios(rounds.map(|(t, o)| (t.cpu, o.cpu)));
            println!(
                "imap-async needs {m:.2}x less client CPU than async-imap 0.11 (median of the per-round ratios, {lo:.2}x to {hi:.2}x)"
            );
        }
        #[cfg(not(feature = "compare-async-imap"))]
        {
            let _ = ours_m;
            println!("async-imap 0.11: not built; add `--features compare-async-imap` to compare");
        }
        count_allocations("imap-async Session::fetch", ours(port)).await;
        #[cfg(feature = "compare-async-imap")]
        count_allocations("async-imap 0.11 uid_fetch", async_imap(port)).await;
    });
}
