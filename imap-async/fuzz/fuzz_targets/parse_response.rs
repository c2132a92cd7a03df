//! Arbitrary bytes through `Framer` + `parse_response`, as the connection driver uses them.
//!
//! * Never panics.
//! * The same bytes fed in splits derived from the input give exactly the same frames, parse
//!   results, final error and leftover bytes as fed whole.
//! * Memory: with small `Limits`, no frame is larger than `max_response` and the buffer the
//!   caller must keep while the framer asks for more is never larger than `max_response`
//!   (an over-limit literal is refused at its header, before its data is buffered).
#![no_main]

use bytes::Bytes;
use imap_async::proto::{FrameError, Framer, Limits, ParseError, Response, parse_response};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits {
    max_line: 200,
    max_literal: 300,
    max_response: 1000,
    max_streamed_literal: 1 << 32,
};

#[derive(Debug, PartialEq)]
struct Outcome {
    frames: Vec<(Vec<u8>, Result<Response, ParseError>)>,
    error: Option<FrameError>,
    leftover: Vec<u8>,
}

/// Feed `input` in chunks of the given sizes (cycled; the last one repeats).
fn run(input: &[u8], chunks: &[usize]) -> Outcome {
    let mut framer = Framer::new(LIMITS);
    let mut buf: Vec<u8> = Vec::new();
    let mut out = Outcome {
        frames: Vec::new(),
        error: None,
        leftover: Vec::new(),
    };
    let mut fed = 0;
    let mut i = 0;
    while fed < input.len() {
        let n = chunks[i % chunks.len()].clamp(1, input.len() - fed);
        i += 1;
        buf.extend_from_slice(&input[fed..fed + n]);
        fed += n;
        loop {
            match framer.frame(&buf) {
                Ok(Some(n)) => {
                    assert!(
                        n >= 1 && n <= buf.len(),
                        "frame length {n} of {}",
                        buf.len()
                    );
                    assert!(n as u64 <= LIMITS.max_response, "frame of {n} bytes");
                    assert_eq!(buf[n - 1], b'\n');
                    let frame: Vec<u8> = buf.drain(..n).collect();
                    let parsed = parse_response(Bytes::from(frame.clone()));
                    out.frames.push((frame, parsed));
                }
                Ok(None) => {
                    assert!(
                        buf.len() as u64 <= LIMITS.max_response,
                        "framer let the buffer grow to {} bytes",
                        buf.len()
                    );
                    break;
                }
                Err(e) => {
                    out.error = Some(e);
                    return out;
                }
            }
        }
    }
    out.leftover = buf;
    out
}

fuzz_target!(|data: &[u8]| {
    // The first two bytes choose the split points; the rest is the server's stream.
    let (seed, input) = match data {
        [a, b, rest @ ..] => (u16::from_le_bytes([*a, *b]), rest),
        _ => (0, data),
    };
    let whole = run(input, &[input.len().max(1)]);
    let mut x = u64::from(seed) | 0x9e37_79b9_0000_0000;
    let chunks: Vec<usize> = (0..16)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            1 + (x % 40) as usize
        })
        .collect();
    let split = run(input, &chunks);
    assert_eq!(whole, split, "chunks {chunks:?}");
    let bytewise = run(input, &[1]);
    assert_eq!(whole, bytewise, "one byte at a time");
});
