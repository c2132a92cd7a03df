//! Memory while streaming a whole mailbox: builds mailboxes of 100,000 and 1,000,000
//! messages in Dovecot (maildir files written directly, then `doveadm index`), streams
//! `UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE` for all of them through
//! `Session::fetch_stream`, and prints the peak resident memory of each pass (the peak is
//! reset between passes through `/proc/self/clear_refs`). A program that prints figures,
//! not a test.
//!
//! Run: `cargo run --release -p imap-async-tests --bin bench_memory [--single] [count ...]`
//! (default: 100000 1000000; `--single`: one `UID FETCH 1:*` even above 200,000)

use std::time::Instant;

use futures::TryStreamExt;
use imap_async::session::{BatchOptions, FetchAttr};
use imap_async::{ConnectOptions, Session, UidSet};
use imap_async_tests::measure::{reset_peak, status_kib};
use imap_async_tests::{Dovecot, DovecotOptions};

fn message(i: usize) -> String {
    format!(
        "From: Sender {i} <sender{i}@example.org>\r\nTo: Someone <to@example.org>\r\n\
         Cc: other{}@example.org\r\nSubject: Message number {i} about things\r\n\
         Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <{i}.bench@example.org>\r\n\
         In-Reply-To: <{}.bench@example.org>\r\n\r\nBody of message {i}.\r\n",
        i % 97,
        i / 2
    )
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

async fn pass(server: &Dovecot, count: usize, single: bool) {
    let user = server.new_user();
    let build = Instant::now();
    let dir = server.maildir_path(&user.name, "INBOX");
    for i in 0..count {
        let path = dir.join(format!(
            "1700000000.M{i:09}P1.bench:2,{}",
            if i % 3 == 0 { "S" } else { "" }
        ));
        std::fs::write(&path, message(i)).expect("write");
        server.give_to_mail_user(&path);
    }
    let written = build.elapsed();
    server.index_folder(&user.name, "INBOX");
    println!(
        "{count} messages: files written in {:.1} s, indexed in {:.1} s",
        written.as_secs_f64(),
        (build.elapsed() - written).as_secs_f64()
    );

    let opts = ConnectOptions::new(server.host())
        .port(server.imap_port())
        .plaintext()
        .login(&user.name, user.password.as_str());
    let mut s = Session::connect(&opts).await.expect("login");
    let info = s.select_folder("INBOX").await.expect("select");
    assert_eq!(info.exists as usize, count);
    let reset = reset_peak();
    let rss_before = status_kib("VmRSS:");
    let items = [
        FetchAttr::Uid,
        FetchAttr::Flags,
        FetchAttr::Rfc822Size,
        FetchAttr::InternalDate,
        FetchAttr::Envelope,
    ];
    let start = Instant::now();
    let cpu_start = cpu_seconds();
    // One `UID FETCH 1:*` up to 200,000 messages; above, the walk goes in pipelined
    // batches of 50,000 UIDs found by one (ESEARCH) search, the way a service should read
    // a huge mailbox (a failure costs one batch, not the whole walk). `--single` sends
    // one `UID FETCH 1:*` whatever the count.
    let batched = count > 200_000 && !single;
    let mut stream = if batched {
        let options = BatchOptions::default().batch_size(50_000).pipeline(2);
        s.fetch_search_batched("ALL", items, options)
            .await
            .expect("search")
    } else {
        s.fetch_stream(&UidSet::all(), items).expect("fetch_stream")
    };
    println!(
        "  method: {}",
        if batched {
            "fetch_search_batched (50,000 UIDs per command, 2 in flight)"
        } else {
            "fetch_stream over UID FETCH 1:*"
        }
    );
    let mut n = 0usize;
    let mut bytes_in_subjects = 0usize;
    let mut rss_at_half = 0;
    while let Some(msg) = stream
        .try_next()
        .await
        .unwrap_or_else(|e| panic!("fetch: {e}\nserver log tail: {}", tail(&server.log_text())))
    {
        n += 1;
        bytes_in_subjects += msg
            .envelope()
            .and_then(|e| e.subject)
            .map_or(0, |s| s.len());
        if n == count / 2 {
            rss_at_half = status_kib("VmRSS:");
        }
    }
    drop(stream);
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_start;
    assert_eq!(n, count);
    println!(
        "{count} messages streamed in {secs:.2} s ({:.0} msg/s), client CPU {cpu:.2} s, \
         {bytes_in_subjects} subject bytes seen",
        n as f64 / secs
    );
    println!(
        "  RSS before {:.1} MiB, at half {:.1} MiB, peak during the stream {:.1} MiB{}",
        mib(rss_before),
        mib(rss_at_half),
        mib(status_kib("VmHWM:")),
        if reset {
            ""
        } else {
            " (peak not reset: whole-process peak)"
        }
    );
    s.logout().await.expect("logout");
}

fn tail(log: &str) -> &str {
    &log[log.len().saturating_sub(1500)..]
}

/// User + system CPU time of this process.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // SAFETY-free: sysconf(_SC_CLK_TCK) is 100 on Linux in practice.
    ticks / 100.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let single = std::env::args().any(|a| a == "--single");
    let counts: Vec<usize> = {
        let args: Vec<usize> = std::env::args()
            .skip(1)
            .filter(|a| a != "--single")
            .map(|a| {
                a.parse()
                    .unwrap_or_else(|_| panic!("{a:?}: expected a message count or --single"))
            })
            .collect();
        if args.is_empty() {
            vec![100_000, 1_000_000]
        } else {
            args
        }
    };
    let server = Dovecot::start(DovecotOptions::default()).expect("start Dovecot");
    for count in counts {
        pass(&server, count, single).await;
    }
}
