//! A message of any size produced on the fly as an [`AsyncRead`]: for appending large
//! messages without holding them in memory (the `big_append` bench, the streamed-APPEND
//! tests). The content is deterministic (a header, then base64-like lines of 76
//! pseudo-random characters and CRLF, the last line shorter to reach the exact size), so
//! a test can produce the same bytes again to compare with what the server stored.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

const HEAD: &[u8] = b"From: big@example.org\r\nTo: restore@example.org\r\n\
Subject: generated message\r\nMessage-ID: <generated@example.org>\r\n\r\n";
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const LINE: usize = 78;

/// `len` bytes of message, generated as they are read.
#[derive(Debug, Clone)]
pub struct GeneratedMessage {
    len: u64,
    produced: u64,
    line: [u8; LINE],
    line_len: usize,
    line_pos: usize,
    /// xorshift64 state.
    x: u64,
}

impl GeneratedMessage {
    /// A message of exactly `len` bytes (at least the header's length plus 2).
    pub fn new(len: u64) -> Self {
        assert!(
            len >= HEAD.len() as u64 + 2,
            "a generated message needs at least {} bytes",
            HEAD.len() + 2
        );
        GeneratedMessage {
            len,
            produced: 0,
            line: [0; LINE],
            line_len: 0,
            line_pos: 0,
            x: 0x9e37_79b9_7f4a_7c15,
        }
    }

    /// The whole message in memory (for comparing with what a server stored).
    pub fn to_vec(len: u64) -> Vec<u8> {
        let mut g = GeneratedMessage::new(len);
        let mut out = vec![0; usize::try_from(len).expect("fits in memory")];
        let n = g.fill(&mut out);
        assert_eq!(n as u64, len);
        out
    }

    /// Write the next bytes into `out`; how many (0 at the end).
    pub fn fill(&mut self, out: &mut [u8]) -> usize {
        let mut n = 0;
        while n < out.len() && self.produced < self.len {
            let head = HEAD.len() as u64;
            if self.produced < head {
                let from = self.produced as usize;
                let k = (HEAD.len() - from).min(out.len() - n);
                out[n..n + k].copy_from_slice(&HEAD[from..from + k]);
                n += k;
                self.produced += k as u64;
                continue;
            }
            if self.line_pos == self.line_len {
                self.next_line();
            }
            let k = (self.line_len - self.line_pos).min(out.len() - n);
            out[n..n + k].copy_from_slice(&self.line[self.line_pos..self.line_pos + k]);
            self.line_pos += k;
            n += k;
            self.produced += k as u64;
        }
        n
    }

    fn next_line(&mut self) {
        let left = self.len - self.produced;
        let size = usize::try_from(left).map_or(LINE, |l| l.min(LINE));
        // Lines end with CRLF; a last piece of one byte (never left when the header fits)
        // would be a bare character.
        let text = size.saturating_sub(2);
        for b in self.line.iter_mut().take(text) {
            self.x ^= self.x << 13;
            self.x ^= self.x >> 7;
            self.x ^= self.x << 17;
            *b = ALPHABET[(self.x % 64) as usize];
        }
        if size >= 2 {
            self.line[text] = b'\r';
            self.line[text + 1] = b'\n';
        } else {
            self.line[0] = b'.';
        }
        self.line_len = size;
        self.line_pos = 0;
    }
}

impl AsyncRead for GeneratedMessage {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = self.fill(buf.initialize_unfilled());
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

/// A message of exactly `len` bytes (at least `header.len() + 2`): `header` (its header
/// lines and the blank line), then lines of 76 pseudo-random base64 characters from `seed`.
/// The same arguments give the same bytes, so a test can compare what it reads back.
pub fn text_message(header: &str, len: usize, seed: u64) -> Vec<u8> {
    let mut out = header.as_bytes().to_vec();
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    while out.len() < len {
        for _ in 0..76 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.push(alphabet[(x % 64) as usize]);
        }
        out.extend_from_slice(b"\r\n");
    }
    out.truncate(len - 2);
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_length_crlf_lines_and_the_same_bytes_however_read() {
        for len in [HEAD.len() as u64 + 2, 1000, 78 * 50 + 1, 200_003] {
            let whole = GeneratedMessage::to_vec(len);
            assert_eq!(whole.len() as u64, len);
            assert!(whole.starts_with(HEAD));
            let body = &whole[HEAD.len()..];
            for line in body.split_inclusive(|&b| b == b'\n') {
                assert!(line.len() <= LINE);
                assert!(line.ends_with(b"\r\n") || line == b".", "{line:?}");
            }
            // Read in odd-sized pieces: the same bytes.
            let mut g = GeneratedMessage::new(len);
            let mut pieces = Vec::new();
            let mut buf = [0u8; 7];
            loop {
                let n = g.fill(&mut buf);
                if n == 0 {
                    break;
                }
                pieces.extend_from_slice(&buf[..n]);
            }
            assert_eq!(pieces, whole);
        }
    }
}
