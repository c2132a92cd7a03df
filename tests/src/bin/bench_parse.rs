//! Parser benchmark (a program that prints figures; nothing here is a test): generated
//! FETCH responses of four kinds go through `proto::Framer` and `proto::parse_response`
//! exactly as the connection does (frame, split the frame off as `Bytes`, parse), from
//! memory. Prints MB/s and messages/s for each kind, best of several rounds.
//!
//! Run: `cargo run --release -p imap-async-tests --bin bench_parse [KIND] [ROUNDS]`, KIND one
//! of `envelopes`, `bodystructures`, `flags`, `literals` (default: all).

use std::time::{Duration, Instant};

use bytes::Bytes;
use imap_async::proto::{Framer, Limits, Response, Untagged, parse_response};
use imap_async_tests::bench_data;

fn rounds() -> usize {
    std::env::args()
        .nth(2)
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
}

fn wanted(kind: &str) -> bool {
    std::env::args().nth(1).is_none_or(|k| kind.starts_with(&k))
}

/// Frame and parse everything in `data`; the number of FETCH responses seen.
fn parse_all(data: &Bytes) -> usize {
    let mut framer = Framer::new(Limits::default());
    let mut rest = data.clone();
    let mut fetches = 0;
    while !rest.is_empty() {
        let n = framer
            .frame(&rest)
            .expect("frames")
            .expect("complete response");
        let frame = rest.split_to(n);
        match parse_response(frame).expect("parses") {
            Response::Untagged(Untagged::Fetch { items, .. }) => {
                assert!(!items.is_empty());
                fetches += 1;
            }
            other => panic!("not a FETCH: {other:?}"),
        }
    }
    fetches
}

/// Only find the frames (no parsing), to show the framer's share.
fn frame_all(data: &Bytes) -> usize {
    let mut framer = Framer::new(Limits::default());
    let mut pos = 0;
    let mut count = 0;
    while pos < data.len() {
        let n = framer.frame(&data[pos..]).unwrap().unwrap();
        pos += n;
        count += 1;
    }
    count
}

fn best_of(mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut count = 0;
    for _ in 0..rounds() {
        let start = Instant::now();
        count = std::hint::black_box(f());
        best = best.min(start.elapsed());
    }
    (best, count)
}

/// `per_byte`: whether an MB/s figure means anything. Literal data is skipped by its
/// announced length, never scanned, so for literals only the per-message rate is printed.
fn report(kind: &str, per_byte: bool, data: impl FnOnce() -> Vec<u8>) {
    if !wanted(kind.split_whitespace().next().unwrap_or(kind)) {
        return;
    }
    let data = &Bytes::from(data());
    let (parse, messages) = best_of(|| parse_all(data));
    let (frame, frames) = best_of(|| frame_all(data));
    assert_eq!(messages, frames);
    let mb = data.len() as f64 / 1e6;
    let rate = |d: Duration| {
        if per_byte {
            format!("{:>7.1} MB/s", mb / d.as_secs_f64())
        } else {
            format!("{:>12}", "(not scanned)")
        }
    };
    println!(
        "{kind:<34} {messages:>8} msgs {mb:>7.1} MB | frame+parse {} {:>10.0} msgs/s ({:>6.1} ms) | frame only {}",
        rate(parse),
        messages as f64 / parse.as_secs_f64(),
        parse.as_secs_f64() * 1e3,
        rate(frame),
    );
}

fn main() {
    println!(
        "bench_parse: {} CPU cores available, best of {} rounds, single thread",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        rounds()
    );
    report("envelopes (UID FLAGS SIZE DATE ENV)", true, || {
        bench_data::envelope_responses(100_000)
    });
    report("bodystructures", true, || {
        bench_data::bodystructure_responses(100_000)
    });
    report("flags only (UID FLAGS)", true, || {
        bench_data::flags_responses(1_000_000)
    });
    report("literals, 1 MiB each (BODY[])", false, || {
        bench_data::literal_responses(100, 1 << 20)
    });
    report("literals, 16 KiB each (BODY[])", false, || {
        bench_data::literal_responses(5_000, 16 << 10)
    });
}
