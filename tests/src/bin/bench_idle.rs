//! IDLE benchmark (a program that prints figures; nothing here is a test):
//!
//! 1. Client-added latency: a loopback server writes `* n EXISTS` 1,000 times; the time from
//!    just before the server's write to the event reaching the consumer of the IDLE stream.
//! 2. End to end against Dovecot: from the moment a message is saved (by `doveadm save`) to
//!    the event at the watcher. Dovecot waits about 0.5 s before notifying (a fixed delay
//!    in its source), so this mostly measures the server.
//! 3. 1,000 concurrent watchers against the harness's Dovecot, each on its own connection
//!    and polled by its own task, plaintext and TLS, for each kind of watcher: the
//!    `Session::into_idle` stream, the reconnecting `imap_async::watch` watcher, and (built
//!    with `--features compare-async-imap`) async-imap 0.11's IDLE `wait` future. Each kind
//!    runs in a fresh child process so that what one leaves in the allocator does not count
//!    for another. Printed per watcher: resident memory growth (RSS after all are idling
//!    minus RSS before the first connects, divided by the number of watchers), the heap
//!    bytes the watchers hold (a counting allocator), the polls of the watcher tasks during
//!    a quiet interval (wake-ups while idle: 0 expected), and the CPU used meanwhile.
//!    Dovecot sends every IDLE connection of one user from one address its keepalive
//!    (`* OK Still here`, every `imap_idle_notify_interval`, 2 minutes by default) at the
//!    same moment: when that moment falls in the quiet interval, each watcher is polled
//!    once for it (an event for `into_idle`; `watch` hands out nothing for it).
//!    `BENCH_IDLE_TRACE=DIR` writes each kind's client trace (every line sent and
//!    received, with its time) to `DIR/KIND.log`.
//!
//! Run: `cargo run --release -p imap-async-tests --bin bench_idle`
//! (`-- --watchers-only` skips 1 and 2; `-- --watchers N` changes the count;
//! `-- --kinds idle-plain,watch-tls` runs only those; `-- --histogram` prints the watchers' live allocations by size;
//! `--features compare-async-imap` adds async-imap).

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::StreamExt;
use imap_async::{ConnectOptions, IdleEvent, Session, WatchEvent, WatchOptions};
use imap_async_tests::Dovecot;
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

/// The global allocator, counting the bytes in use: RSS also holds what the allocator
/// keeps after frees, the heap count only what is live.
struct CountingAlloc;

static HEAP_IN_USE: AtomicIsize = AtomicIsize::new(0);
/// Live allocations by size class (class `c` holds sizes in `(2^(c-1), 2^c]`), for
/// `--histogram`: where a watcher's memory goes.
static LIVE_BY_CLASS: [AtomicIsize; 40] = [const { AtomicIsize::new(0) }; 40];

fn size_class(size: usize) -> usize {
    (usize::BITS - size.saturating_sub(1).leading_zeros()) as usize
}

fn note_alloc(size: usize, delta: isize) {
    HEAP_IN_USE.fetch_add(size as isize * delta, Ordering::Relaxed);
    LIVE_BY_CLASS[size_class(size).min(39)].fetch_add(delta, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is
// updated beside it.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note_alloc(layout.size(), 1);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        note_alloc(layout.size(), -1);
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note_alloc(layout.size(), 1);
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note_alloc(layout.size(), -1);
            note_alloc(new_size, 1);
        }
        p
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

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

/// Polls of every watcher task's future, all watchers together.
static WATCHER_POLLS: AtomicU64 = AtomicU64::new(0);
/// Events the watchers received (each explains a poll: the server sent something).
static WATCHER_EVENTS: AtomicU64 = AtomicU64::new(0);

/// A future that counts how often it is polled: a watcher task polled while nothing
/// arrived was woken by something else (a timer, a spurious wake-up).
struct CountPolls(Pin<Box<dyn Future<Output = ()> + Send>>);

impl Future for CountPolls {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        WATCHER_POLLS.fetch_add(1, Ordering::Relaxed);
        self.0.as_mut().poll(cx)
    }
}

/// The kinds of watcher measured, each in its own child process.
const KINDS: &[&str] = &[
    "idle-plain",
    "idle-tls",
    "watch-plain",
    "watch-tls",
    #[cfg(feature = "compare-async-imap")]
    "async-imap-plain",
    #[cfg(feature = "compare-async-imap")]
    "async-imap-tls",
];

/// Where the child process connects (passed in the environment).
struct Target {
    host: String,
    port: u16,
    imaps_port: u16,
    ca: std::path::PathBuf,
    user: String,
    password: String,
}

impl Target {
    fn from_env() -> Target {
        let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} not set"));
        Target {
            host: var("BENCH_IDLE_HOST"),
            port: var("BENCH_IDLE_PORT").parse().unwrap(),
            imaps_port: var("BENCH_IDLE_IMAPS_PORT").parse().unwrap(),
            ca: var("BENCH_IDLE_CA").into(),
            user: var("BENCH_IDLE_USER"),
            password: var("BENCH_IDLE_PASSWORD"),
        }
    }

    fn options(&self, tls: bool) -> ConnectOptions {
        let opts = ConnectOptions::new(&self.host).login(&self.user, self.password.as_str());
        if tls {
            opts.port(self.imaps_port)
                .ca_file(&self.ca)
                .tls_server_name("localhost")
        } else {
            opts.port(self.port).plaintext()
        }
    }
}

/// Start `n` watchers of `kind`; each task signals `idling` once its watcher idles. The
/// tasks are returned running.
async fn start_watchers(kind: &str, target: &Target, n: usize) -> Vec<tokio::task::JoinHandle<()>> {
    let tls = kind.ends_with("-tls");
    let opts = target.options(tls);
    // At most this many connect and log in at once (Dovecot's login processes queue the
    // rest anyway); each task holds a permit until it idles.
    let connecting = Arc::new(tokio::sync::Semaphore::new(16));
    let (idling_tx, mut idling_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let permit = connecting.clone().acquire_owned().await.unwrap();
        let opts = opts.clone();
        let idling = idling_tx.clone();
        let watcher: Pin<Box<dyn Future<Output = ()> + Send>> = if kind.starts_with("idle-") {
            Box::pin(async move {
                let mut s = Session::connect(&opts).await.expect("connect");
                s.select_folder("INBOX").await.expect("select");
                let mut idle = s
                    .into_idle(imap_async::IdleOptions::default())
                    .await
                    .expect("IDLE");
                drop(permit);
                idling.send(()).unwrap();
                while let Some(event) = idle.next().await {
                    event.expect("IDLE event");
                    WATCHER_EVENTS.fetch_add(1, Ordering::Relaxed);
                }
            })
        } else if kind.starts_with("watch-") {
            Box::pin(async move {
                let mut events = imap_async::watch(opts, "INBOX", WatchOptions::default());
                let mut permit = Some(permit);
                while let Some(event) = events.next().await {
                    WATCHER_EVENTS.fetch_add(1, Ordering::Relaxed);
                    if let WatchEvent::Started { .. } = event.expect("watch event") {
                        permit.take();
                        idling.send(()).unwrap();
                    }
                }
            })
        } else {
            #[cfg(feature = "compare-async-imap")]
            {
                Box::pin(async_imap_watcher(
                    opts,
                    tls,
                    target.ca.clone(),
                    permit,
                    idling,
                ))
            }
            #[cfg(not(feature = "compare-async-imap"))]
            unreachable!("{kind} needs --features compare-async-imap")
        };
        tasks.push(tokio::spawn(CountPolls(watcher)));
    }
    drop(idling_tx);
    let mut idle_count = 0;
    while idle_count < n {
        match tokio::time::timeout(Duration::from_secs(60), idling_rx.recv()).await {
            Ok(Some(())) => idle_count += 1,
            // A watcher that failed says why (its task's panic); one that hangs is named.
            _ => match tasks.iter().position(|t| t.is_finished()) {
                Some(i) => {
                    let failed = tasks.swap_remove(i).await;
                    panic!("{kind}: a watcher ended before idling: {failed:?}");
                }
                None => panic!("{kind}: {} of {n} watchers idle after a minute", idle_count),
            },
        }
    }
    tasks
}

/// async-imap 0.11's watcher: IDLE, then its `wait` future (restarted at each event, as
/// its documentation shows), on a stream from imap-async's transport (plain TCP, or the
/// same tokio-rustls stack).
#[cfg(feature = "compare-async-imap")]
async fn async_imap_watcher(
    opts: ConnectOptions,
    tls: bool,
    ca: std::path::PathBuf,
    permit: tokio::sync::OwnedSemaphorePermit,
    idling: tokio::sync::mpsc::UnboundedSender<()>,
) {
    use imap_async::transport::{Stream, connect_tcp, tls_handshake};
    let timeout = Duration::from_secs(30);
    let tcp = connect_tcp(&opts.host, opts.effective_port(), timeout)
        .await
        .expect("connect");
    let stream = if tls {
        let tls_opts = imap_async::TlsOptions {
            ca_file: Some(ca),
            ..Default::default()
        };
        tls_handshake(tcp, "localhost", &tls_opts, timeout)
            .await
            .expect("TLS")
    } else {
        Stream::plain(tcp)
    };
    let mut client = async_imap::Client::new(stream);
    client.read_response().await.unwrap().unwrap(); // greeting
    let (user, password) = (
        std::env::var("BENCH_IDLE_USER").unwrap(),
        std::env::var("BENCH_IDLE_PASSWORD").unwrap(),
    );
    let mut session = client
        .login(user, password)
        .await
        .map_err(|e| e.0)
        .expect("login");
    session.select("INBOX").await.expect("select");
    let mut idle = session.idle();
    idle.init().await.expect("IDLE");
    drop(permit);
    idling.send(()).unwrap();
    loop {
        let (wait, _stop) = idle.wait();
        if wait.await.is_err() {
            return;
        }
        WATCHER_EVENTS.fetch_add(1, Ordering::Relaxed);
    }
}

/// One kind of watcher, in this (child) process: prints one line of figures.
async fn measure_watchers(kind: &str, n: usize) {
    if let Some(dir) = std::env::var_os("BENCH_IDLE_TRACE") {
        // What each connection said and heard, to tell what woke a watcher.
        let path = std::path::Path::new(&dir).join(format!("{kind}.log"));
        let file = std::fs::File::create(&path)
            .unwrap_or_else(|e| panic!("BENCH_IDLE_TRACE: {}: {e}", path.display()));
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .init();
    }
    let target = Target::from_env();
    // Process-wide state created once (the TLS configuration with its root store, the
    // runtime's timer wheel) is not a watcher's: one connection first, closed again. It
    // also selects the new user's INBOX once, so that Dovecot creates the mailbox's index
    // files before a thousand sessions open it at once (in runs after other benchmarks,
    // a few of a thousand first SELECTs of a new mailbox sometimes got no answer in 60 s).
    let warm = target.options(kind.ends_with("-tls"));
    let mut first = Session::connect(&warm).await.expect("warm-up connect");
    first.select_folder("INBOX").await.expect("warm-up SELECT");
    first.logout().await.expect("warm-up LOGOUT");
    // SAFETY: malloc_trim only releases free heap memory.
    unsafe { libc::malloc_trim(0) };
    let rss_before = rss_kib();
    let heap_before = HEAP_IN_USE.load(Ordering::Relaxed);
    let classes_before: Vec<isize> = LIVE_BY_CLASS
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .collect();
    let started = Instant::now();
    let tasks = start_watchers(kind, &target, n).await;
    let connected_in = started.elapsed();
    // Let the last ones settle into IDLE.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = rss_kib();
    let heap_after = HEAP_IN_USE.load(Ordering::Relaxed);
    if std::env::args().any(|a| a == "--histogram") {
        for (class, before) in classes_before.iter().enumerate() {
            let live = LIVE_BY_CLASS[class].load(Ordering::Relaxed) - before;
            if live != 0 {
                let low = if class == 0 {
                    0
                } else {
                    (1usize << (class - 1)) + 1
                };
                println!(
                    "  {kind}: allocations of {low}..={} bytes: {:.2} per watcher",
                    1usize << class,
                    live as f64 / n as f64
                );
            }
        }
    }
    let polls0 = WATCHER_POLLS.load(Ordering::Relaxed);
    let events0 = WATCHER_EVENTS.load(Ordering::Relaxed);
    let cpu0 = cpu_time();
    let quiet = Duration::from_secs(10);
    tokio::time::sleep(quiet).await;
    let cpu = cpu_time() - cpu0;
    let polls = WATCHER_POLLS.load(Ordering::Relaxed) - polls0;
    let events = WATCHER_EVENTS.load(Ordering::Relaxed) - events0;
    let per = |kib: f64| kib / n as f64;
    println!(
        "{kind:<17} {n} watchers (connected in {:.1?}): RSS {rss_before} -> {rss_after} KiB = \
         {:.1} KiB per watcher; heap in use {:.1} KiB per watcher; during {quiet:?} of quiet: \
         {polls} polls of the watcher tasks ({:.3} per watcher) for {events} events from the \
         server, CPU {cpu:.1?}",
        connected_in,
        per((rss_after - rss_before) as f64),
        per((heap_after - heap_before) as f64 / 1024.0),
        polls as f64 / n as f64,
    );
    let kib = format!("{:.1} KiB", per((rss_after - rss_before) as f64));
    let (ours, theirs) = if kind.starts_with("async-imap") {
        ("-".to_owned(), kib)
    } else {
        (kib, "-".to_owned())
    };
    let tls = if kind.ends_with("tls") {
        "TLS"
    } else {
        "plaintext"
    };
    let api = match kind.split('-').next() {
        Some("idle") => "`into_idle` stream",
        Some("watch") => "`watch()`",
        _ => "async-imap `idle()`",
    };
    println!(
        "SUMMARY\t{n} IDLE watchers, {tls}, {api}: RSS growth per watcher\t{ours}\t{theirs}\t\
         {:.3} polls per watcher in {quiet:?} of quiet ({events} events); target <= {} KiB",
        polls as f64 / n as f64,
        if tls == "TLS" { 24 } else { 16 }
    );
    for t in &tasks {
        t.abort();
    }
}

/// Run every kind of watcher, each in a child process of its own, against `server`.
fn many_watchers(server: &Dovecot, n: usize, histogram: bool) {
    println!(
        "{n} concurrent watchers per kind, each on its own connection to Dovecot on loopback, \
         each polled by its own task:"
    );
    let only: Option<String> = std::env::args().skip_while(|a| a != "--kinds").nth(1);
    for kind in KINDS {
        if only
            .as_ref()
            .is_some_and(|o| !o.split(',').any(|k| k == *kind))
        {
            continue;
        }
        let user = server.new_user();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--child", kind, "--watchers", &n.to_string()])
            .args(histogram.then_some("--histogram"))
            .env("BENCH_IDLE_HOST", server.host())
            .env("BENCH_IDLE_PORT", server.imap_port().to_string())
            .env(
                "BENCH_IDLE_IMAPS_PORT",
                server.imaps_port().unwrap().to_string(),
            )
            .env("BENCH_IDLE_CA", server.ca_pem_path())
            .env("BENCH_IDLE_USER", &user.name)
            .env("BENCH_IDLE_PASSWORD", user.password.as_str())
            .output()
            .expect("the benchmark runs itself as a child");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            eprint!("{}", String::from_utf8_lossy(&out.stderr));
            panic!("{kind}: the child failed ({})", out.status);
        }
        // Let Dovecot take back the imap processes of the closed connections. With 2 s,
        // the next kind's SELECTs sometimes stalled for 60 s in Dovecot (an internal
        // error, or no answer) while 1,000 processes of the last kind were still ending.
        std::thread::sleep(Duration::from_secs(10));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let watchers = args
        .iter()
        .position(|a| a == "--watchers")
        .and_then(|i| args.get(i + 1))
        .map_or(WATCHERS, |n| n.parse().expect("--watchers takes a number"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let kind = args.get(i + 1).expect("--child takes a kind");
        runtime.block_on(measure_watchers(kind, watchers));
        return;
    }
    println!(
        "machine: {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let server = Dovecot::shared();
    if !args.iter().any(|a| a == "--watchers-only") {
        runtime.block_on(async {
            report(
                "client-added latency (server write -> event at consumer)",
                client_added_latency().await,
            );
            report(
                "Dovecot end to end (message saved -> event at watcher), 10 watchers x 20 messages",
                dovecot_end_to_end(server, 20, 10).await,
            );
        });
    }
    drop(runtime);
    many_watchers(server, watchers, args.iter().any(|a| a == "--histogram"));
}
