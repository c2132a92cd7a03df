//! Framing: where does the next complete response end? (RFC 3501 §4.3 literals, RFC 3516 literal8)
//!
//! A response is a line ending in CRLF; when a line ends in a literal header `{N}` (or the
//! literal8 form `~{N}`, RFC 3516 §4.2, or `{N+}`, RFC 7888), the next N bytes are literal
//! data and the response continues with another line after them. The framer knows nothing
//! else of the grammar: it only finds line ends and literal headers, once per byte.

/// Size limits applied while framing, before anything is allocated for the data.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest line (excluding literal data) accepted, in bytes.
    pub max_line: usize,
    /// Largest single literal accepted, in bytes. A `{n}` header above it is an error at once.
    pub max_literal: u64,
    /// Largest complete response (lines plus literals), in bytes.
    pub max_response: u64,
    /// Largest literal accepted when it is streamed (taken from the socket in chunks and
    /// never held whole: bodies above [`max_literal`](Self::max_literal) in
    /// `fetch_stream`, bodies written to a writer). Nothing is allocated for such a
    /// literal, but a consumer still has to take every byte of it, so a server announcing
    /// 100 GB is refused at its header instead of being read for hours. Default 4 GiB, the
    /// largest literal IMAP4rev1 can announce (RFC 3501 §9 `number` is 32-bit) and above
    /// what mail stores accept as one message; raise it for IMAP4rev2 `literal8` bodies
    /// larger than that.
    pub max_streamed_literal: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 1 << 20,
            max_literal: 256 << 20,
            max_response: 512 << 20,
            max_streamed_literal: 1 << 32,
        }
    }
}

/// A response that can never be framed within the limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A line (literal data not counted) exceeded [`Limits::max_line`].
    #[error("response line longer than {limit} bytes")]
    LineTooLong {
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// A literal header announced more than [`Limits::max_literal`] bytes.
    #[error("literal of {size} bytes announced, above the limit of {limit}")]
    LiteralTooLarge {
        /// The announced literal size, in bytes.
        size: u64,
        /// The limit in force, in bytes.
        limit: u64,
    },
    /// Lines plus literals of one response exceed [`Limits::max_response`].
    #[error("response larger than {limit} bytes")]
    ResponseTooLarge {
        /// The limit in force, in bytes.
        limit: u64,
    },
    /// A literal header whose size does not even fit in a `u64`.
    #[error("malformed literal header {header:?}")]
    BadLiteralHeader {
        /// The header as received (e.g. `{99999999999999999999}`), lossily decoded.
        header: String,
    },
}

/// Incremental framer. Feed it the whole unread buffer each time; it remembers how far it
/// already scanned, so total work is linear in the bytes received.
#[derive(Debug, Default)]
pub struct Framer {
    limits: Limits,
    /// First byte of the buffer not yet examined. While inside a literal this points just
    /// past the literal's end, which may lie beyond the bytes received so far: the literal
    /// data itself is never looked at.
    pos: usize,
    /// Where the line currently being scanned starts (after the previous literal), so that
    /// the literal header can be found and the line length checked without rescanning.
    line_start: usize,
}

impl Framer {
    /// A framer enforcing `limits`.
    ///
    /// ```
    /// use imap_async::proto::{Framer, Limits};
    ///
    /// let limits = Limits {
    ///     max_line: 8192,
    ///     ..Limits::default()
    /// };
    /// let mut framer = Framer::new(limits);
    /// assert_eq!(framer.frame(b"* OK ready\r\n")?, Some(12));
    /// # Ok::<(), imap_async::proto::FrameError>(())
    /// ```
    pub fn new(limits: Limits) -> Self {
        Framer {
            limits,
            pos: 0,
            line_start: 0,
        }
    }

    /// `Ok(Some(n))`: `buf[..n]` is one complete response (ending in CRLF, or a bare LF).
    /// `Ok(None)`: more bytes are needed. Once it returns `Some`, the caller removes those
    /// `n` bytes from the front of the buffer before calling again.
    ///
    /// An error means the stream cannot be framed within the limits; the connection has to
    /// be dropped (the framer's state is not meaningful afterwards).
    ///
    /// ```
    /// use imap_async::proto::{Framer, Limits};
    ///
    /// let mut framer = Framer::new(Limits::default());
    /// // A response with a literal is one frame, literal included.
    /// let mut buf = b"* 1 FETCH (BODY[] {5}\r\n".to_vec();
    /// assert_eq!(framer.frame(&buf)?, None);
    /// buf.extend_from_slice(b"Hello)\r\nA1 OK");
    /// let n = framer.frame(&buf)?.unwrap();
    /// assert_eq!(&buf[..n], b"* 1 FETCH (BODY[] {5}\r\nHello)\r\n");
    /// buf.drain(..n);
    /// assert_eq!(framer.frame(&buf)?, None); // "A1 OK" still needs its line end
    /// # Ok::<(), imap_async::proto::FrameError>(())
    /// ```
    pub fn frame(&mut self, buf: &[u8]) -> Result<Option<usize>, FrameError> {
        match self.frame_streaming(buf, None)? {
            Some(Framed::Complete(n)) => Ok(Some(n)),
            // Without a threshold no literal is ever handed out separately.
            Some(Framed::LiteralHeader { .. }) | None => Ok(None),
        }
    }

    /// Like [`frame`](Self::frame), but a literal larger than `threshold` bytes is not
    /// framed into the response: the framer stops at its header and returns
    /// [`Framed::LiteralHeader`], so the caller can take the literal's bytes straight from
    /// the socket in chunks instead of buffering them. Such a literal is exempt from
    /// [`Limits::max_literal`] and [`Limits::max_response`] (it is never held in memory);
    /// [`Limits::max_streamed_literal`] applies instead.
    /// After the caller removed the `len` header bytes and consumed the `size` literal
    /// bytes, framing continues with the rest of the response as if it were a new one.
    ///
    /// ```
    /// use imap_async::proto::{Framed, Framer, Limits};
    ///
    /// let mut framer = Framer::new(Limits::default());
    /// let buf = b"* 1 FETCH (BODY[] {100000}\r\n";
    /// assert_eq!(
    ///     framer.frame_streaming(buf, Some(4096))?,
    ///     Some(Framed::LiteralHeader { len: buf.len(), size: 100000 })
    /// );
    /// # Ok::<(), imap_async::proto::FrameError>(())
    /// ```
    pub fn frame_streaming(
        &mut self,
        buf: &[u8],
        threshold: Option<u64>,
    ) -> Result<Option<Framed>, FrameError> {
        loop {
            // Inside a literal whose data has not fully arrived: nothing to scan yet.
            let Some(unscanned) = buf.get(self.pos..) else {
                return Ok(None);
            };
            let Some(off) = memchr::memchr(b'\n', unscanned) else {
                // Check the limits on the partial line now, so that a server that never
                // sends a line end cannot make the caller buffer without bound. A final CR
                // may be the start of the line end, which does not count in the line.
                let mut partial = buf.len().saturating_sub(self.line_start);
                if buf.last() == Some(&b'\r') {
                    partial = partial.saturating_sub(1);
                }
                self.check_sizes(partial, buf.len() as u64)?;
                self.pos = buf.len();
                return Ok(None);
            };
            let lf = self.pos + off;
            // Bare LF endings are accepted (some servers send them); a CR before the LF is
            // not part of the line.
            let mut line_end = lf;
            if line_end > self.line_start && buf.get(line_end - 1) == Some(&b'\r') {
                line_end -= 1;
            }
            let line = buf.get(self.line_start..line_end).unwrap_or_default();
            let after_line = lf as u64 + 1;
            self.check_sizes(line.len(), after_line)?;
            match literal_header(line)? {
                None => {
                    self.pos = 0;
                    self.line_start = 0;
                    return Ok(Some(Framed::Complete(lf + 1)));
                }
                Some(size) if threshold.is_some_and(|t| size > t) => {
                    if size > self.limits.max_streamed_literal {
                        return Err(FrameError::LiteralTooLarge {
                            size,
                            limit: self.limits.max_streamed_literal,
                        });
                    }
                    self.pos = 0;
                    self.line_start = 0;
                    return Ok(Some(Framed::LiteralHeader { len: lf + 1, size }));
                }
                Some(size) => {
                    if size > self.limits.max_literal {
                        return Err(FrameError::LiteralTooLarge {
                            size,
                            limit: self.limits.max_literal,
                        });
                    }
                    // The literal must be followed by at least a line end, hence `>=`.
                    let next = after_line.saturating_add(size);
                    if next >= self.limits.max_response {
                        return Err(FrameError::ResponseTooLarge {
                            limit: self.limits.max_response,
                        });
                    }
                    let next = usize::try_from(next).map_err(|_| FrameError::ResponseTooLarge {
                        limit: self.limits.max_response,
                    })?;
                    // Skip the literal data without looking at it: it may contain CRLF,
                    // `{`, anything.
                    self.pos = next;
                    self.line_start = next;
                }
            }
        }
    }
}

impl Framer {
    /// The limits this framer enforces.
    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The line and response limits for a line of `line_len` bytes (so far, line end not
    /// counted) in a response of `total` bytes (so far). When both are exceeded, the error
    /// names the limit that the stream crossed first, so that the error does not depend
    /// on how the bytes were split into reads (the partial-line check and the complete-line
    /// check must agree).
    fn check_sizes(&self, line_len: usize, total: u64) -> Result<(), FrameError> {
        let line_over = line_len > self.limits.max_line;
        let total_over = total > self.limits.max_response;
        // Offsets (from the start of the response) of the first byte beyond each limit. On a
        // tie the response limit wins: a partial line ending in that byte as a CR only knows
        // the response limit is exceeded.
        let line_cross = (self.line_start as u64).saturating_add(self.limits.max_line as u64);
        let total_cross = self.limits.max_response;
        match (line_over, total_over) {
            (true, true) if total_cross <= line_cross => Err(FrameError::ResponseTooLarge {
                limit: self.limits.max_response,
            }),
            (true, _) => Err(FrameError::LineTooLong {
                limit: self.limits.max_line,
            }),
            (false, true) => Err(FrameError::ResponseTooLarge {
                limit: self.limits.max_response,
            }),
            (false, false) => Ok(()),
        }
    }
}

/// What [`Framer::frame_streaming`] found at the front of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framed {
    /// `buf[..n]` is one complete response.
    Complete(usize),
    /// `buf[..len]` is the start of a response up to and including a literal header
    /// announcing `size` bytes, above the threshold; the literal's bytes follow.
    LiteralHeader {
        /// Bytes from the start of the buffer through the literal header's CRLF.
        len: usize,
        /// The announced literal size, in bytes.
        size: u64,
    },
}

/// If `line` (without its line end) ends in a literal header `{N}`, `{N+}` or `~{N}`
/// (RFC 3501 §9 `literal`, RFC 3516 `literal8`, RFC 7888 `literal+`), return N.
///
/// Only the very end of the line counts: `{5}` in the middle of a line is text. `{}` or a
/// header with no digits is not a literal header either (just text ending in a brace).
fn literal_header(line: &[u8]) -> Result<Option<u64>, FrameError> {
    let Some((&b'}', rest)) = line.split_last() else {
        return Ok(None);
    };
    let rest = rest.strip_suffix(b"+").unwrap_or(rest);
    let digits_start = rest
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |i| i + 1);
    if digits_start == 0 || rest[digits_start - 1] != b'{' || digits_start == rest.len() {
        return Ok(None);
    }
    let mut n: u64 = 0;
    for &d in &rest[digits_start..] {
        n = match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
        {
            Some(n) => n,
            None => {
                // Show at most a short piece of a hostile header.
                let from = (digits_start - 1).max(line.len().saturating_sub(40));
                let header = String::from_utf8_lossy(&line[from..]).into_owned();
                return Err(FrameError::BadLiteralHeader { header });
            }
        };
    }
    Ok(Some(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feed `input` in chunks of the given sizes (cycled), like a socket would, and collect
    /// the framed responses the way the connection driver does.
    fn frame_chunked(input: &[u8], chunks: &[usize], limits: Limits) -> Vec<Vec<u8>> {
        let mut framer = Framer::new(limits);
        let mut buf: Vec<u8> = Vec::new();
        let mut out = Vec::new();
        let mut fed = 0;
        let mut i = 0;
        while fed < input.len() {
            let n = chunks[i % chunks.len()].max(1).min(input.len() - fed);
            i += 1;
            buf.extend_from_slice(&input[fed..fed + n]);
            fed += n;
            while let Some(n) = framer.frame(&buf).expect("frame") {
                out.push(buf.drain(..n).collect());
            }
        }
        assert!(
            buf.is_empty(),
            "left over: {:?}",
            String::from_utf8_lossy(&buf)
        );
        out
    }

    const MULTI: &[u8] = b"* OK [CAPABILITY IMAP4rev1] ready\r\n\
* 1 FETCH (UID 7 BODY[HEADER] {9}\r\nab\r\n{3}\r\n BODY[TEXT] {5}\r\nxy\r\nz)\r\n\
* 2 FETCH (BINARY[1] ~{4}\r\n\x00\x01\r\n FLAGS (\\Seen))\r\n\
+ go ahead\r\n\
* 3 FETCH (BODY[] {0}\r\n)\r\n\
A1 OK done\r\n";

    fn expected() -> Vec<&'static [u8]> {
        vec![
            b"* OK [CAPABILITY IMAP4rev1] ready\r\n",
            b"* 1 FETCH (UID 7 BODY[HEADER] {9}\r\nab\r\n{3}\r\n BODY[TEXT] {5}\r\nxy\r\nz)\r\n",
            b"* 2 FETCH (BINARY[1] ~{4}\r\n\x00\x01\r\n FLAGS (\\Seen))\r\n",
            b"+ go ahead\r\n",
            b"* 3 FETCH (BODY[] {0}\r\n)\r\n",
            b"A1 OK done\r\n",
        ]
    }

    #[test]
    fn whole_buffer() {
        assert_eq!(
            frame_chunked(MULTI, &[MULTI.len()], Limits::default()),
            expected()
        );
    }

    #[test]
    fn one_byte_at_a_time() {
        assert_eq!(frame_chunked(MULTI, &[1], Limits::default()), expected());
    }

    #[test]
    fn random_chunk_splits() {
        let mut rng = XorShift(0x1234_5678_9abc_def1);
        for _ in 0..500 {
            let chunks: Vec<usize> = (0..7).map(|_| 1 + (rng.next() % 23) as usize).collect();
            assert_eq!(frame_chunked(MULTI, &chunks, Limits::default()), expected());
        }
    }

    #[test]
    fn remembers_scan_position() {
        // The framer must not rescan: after a partial line its cursor sits at the end.
        let mut f = Framer::default();
        let mut buf = b"* 1 FETCH (BODY[] {5}\r\nab".to_vec();
        assert_eq!(f.frame(&buf), Ok(None));
        // Inside the literal the cursor points past its end, beyond the received bytes.
        assert_eq!(f.pos, 23 + 5);
        buf.extend_from_slice(b"c\r\n");
        assert_eq!(f.frame(&buf), Ok(None));
        buf.extend_from_slice(b")");
        assert_eq!(f.frame(&buf), Ok(None));
        assert_eq!(f.pos, buf.len());
        buf.extend_from_slice(b"\r\n* 2 EXISTS\r\n");
        assert_eq!(f.frame(&buf), Ok(Some(31)));
        assert_eq!((f.pos, f.line_start), (0, 0));
        assert_eq!(f.frame(&buf[31..]), Ok(Some(12)));
    }

    #[test]
    fn bare_lf_and_plus_literal() {
        let input = b"* 1 FETCH (BODY[] {3+}\nabc)\n* 2 EXISTS\n";
        let got = frame_chunked(input, &[2, 5], Limits::default());
        assert_eq!(
            got,
            vec![
                b"* 1 FETCH (BODY[] {3+}\nabc)\n".to_vec(),
                b"* 2 EXISTS\n".to_vec()
            ]
        );
    }

    #[test]
    fn literal_header_only_at_line_end() {
        let mut f = Framer::default();
        assert_eq!(f.frame(b"* OK {5} not a literal\r\n"), Ok(Some(24)));
        assert_eq!(f.frame(b"* OK weird {}\r\n"), Ok(Some(15)));
        assert_eq!(f.frame(b"* OK weird {x5}\r\n"), Ok(Some(17)));
        assert_eq!(f.frame(b"* OK {5} \r\n"), Ok(Some(11)));
        // `{2}` followed by CR alone is still a header ending the line at the LF.
        assert_eq!(f.frame(b"* OK {2}\r\n\r\n\r\n"), Ok(Some(14)));
    }

    #[test]
    fn huge_literal_rejected_at_once() {
        let mut f = Framer::default();
        let e = f.frame(b"* 1 FETCH (BODY[] {99999999999}\r\n").unwrap_err();
        assert_eq!(
            e,
            FrameError::LiteralTooLarge {
                size: 99_999_999_999,
                limit: 256 << 20
            }
        );
        let mut f = Framer::default();
        let e = f
            .frame(b"* 1 FETCH (BODY[] ~{99999999999999999999999999}\r\n")
            .unwrap_err();
        assert!(matches!(e, FrameError::BadLiteralHeader { .. }), "{e:?}");
    }

    #[test]
    fn limits_enforced() {
        let limits = Limits {
            max_line: 16,
            max_literal: 100,
            max_response: 64,
            max_streamed_literal: 1 << 32,
        };
        let mut f = Framer::new(limits);
        assert_eq!(
            f.frame(b"* 0123456789abcdef"),
            Err(FrameError::LineTooLong { limit: 16 })
        );
        let mut f = Framer::new(limits);
        assert_eq!(
            f.frame(b"* 0123456789abcdef\r\n"),
            Err(FrameError::LineTooLong { limit: 16 })
        );
        let mut f = Framer::new(limits);
        assert_eq!(f.frame(b"* 0123456789abcd\r\n"), Ok(Some(18)));
        // Literal within max_literal but the response would exceed max_response.
        let mut f = Framer::new(limits);
        assert_eq!(
            f.frame(b"* X {90}\r\n"),
            Err(FrameError::ResponseTooLarge { limit: 64 })
        );
        // Many small literals adding up.
        let mut f = Framer::new(limits);
        let mut buf = Vec::new();
        let mut res = Ok(None);
        for _ in 0..10 {
            buf.extend_from_slice(b"* {5}\r\n12345");
            res = f.frame(&buf);
            if res.is_err() {
                break;
            }
        }
        assert_eq!(res, Err(FrameError::ResponseTooLarge { limit: 64 }));
    }

    /// Regression (found while writing the `parse_response` fuzz target, which fails at once
    /// on the old framer with the kept corpus): the same bytes must give the
    /// same frames and the same error however they are split into reads. A read ending in the
    /// CR of a line exactly `max_line` long used to count the CR and fail; and a read ending
    /// after the response limit but before the line limit named a different limit than the
    /// complete line did.
    #[test]
    fn limit_errors_do_not_depend_on_read_splits() {
        let limits = Limits {
            max_line: 8,
            max_literal: 100,
            max_response: 20,
            max_streamed_literal: 1 << 32,
        };
        let whole = |input: &[u8]| Framer::new(limits).frame(input);
        let split = |input: &[u8], at: usize| {
            let mut f = Framer::new(limits);
            match f.frame(&input[..at]) {
                Ok(None) => f.frame(input),
                other => other,
            }
        };
        // A line of exactly max_line bytes, read ending at its CR.
        let input = b"* 345678\r\n";
        assert_eq!(whole(input), Ok(Some(10)));
        assert_eq!(split(input, 9), Ok(Some(10)));
        // After a literal, a line too long that also crosses max_response first.
        let input = b"* {7}\r\nabcdefg 0123456789\r\n";
        for at in 1..input.len() {
            assert_eq!(split(input, at), whole(input), "split at {at}");
        }
        assert_eq!(
            whole(input),
            Err(FrameError::ResponseTooLarge { limit: 20 })
        );
        // The line limit crossed first, then the response limit.
        let input = b"* {1}\r\nx 012345678901234\r\n";
        for at in 1..input.len() {
            assert_eq!(split(input, at), whole(input), "split at {at}");
        }
        assert_eq!(whole(input), Err(FrameError::LineTooLong { limit: 8 }));
    }

    #[test]
    fn big_literal_stops_at_its_header() {
        let limits = Limits {
            max_line: 64,
            max_literal: 10,
            max_response: 40,
            max_streamed_literal: 1 << 32,
        };
        let mut f = Framer::new(limits);
        let input = b"* 1 FETCH (UID 3 BODY[] {100}\r\n";
        let mut buf = input.to_vec();
        buf.extend_from_slice(&[b'x'; 100]);
        buf.extend_from_slice(b" FLAGS (a))\r\n* 2 EXISTS\r\n");
        // Small literals are still framed whole; the big one is handed out by header.
        assert_eq!(
            f.frame_streaming(&buf, Some(50)),
            Ok(Some(Framed::LiteralHeader {
                len: input.len(),
                size: 100
            }))
        );
        let rest = &buf[input.len() + 100..];
        assert_eq!(
            f.frame_streaming(rest, Some(50)),
            Ok(Some(Framed::Complete(13)))
        );
        assert_eq!(
            f.frame_streaming(&rest[13..], Some(50)),
            Ok(Some(Framed::Complete(12)))
        );
        // Without a threshold the same literal breaks the limits.
        let mut f = Framer::new(limits);
        assert!(f.frame(&buf).is_err());
        let mut f = Framer::new(limits);
        assert_eq!(
            f.frame_streaming(b"* 1 FETCH (BODY[] {5}\r\nabcde)\r\n", Some(50)),
            Ok(Some(Framed::Complete(31)))
        );
    }

    #[test]
    fn streamed_literal_has_its_own_ceiling() {
        let limits = Limits {
            max_line: 64,
            max_literal: 10,
            max_response: 40,
            max_streamed_literal: 1000,
        };
        let mut f = Framer::new(limits);
        let at_ceiling = b"* 1 FETCH (BODY[] {1000}\r\n";
        assert_eq!(
            f.frame_streaming(at_ceiling, Some(50)),
            Ok(Some(Framed::LiteralHeader {
                len: at_ceiling.len(),
                size: 1000
            }))
        );
        // A server announcing more than anything may take is refused at the header.
        let mut f = Framer::new(limits);
        assert_eq!(
            f.frame_streaming(b"* 1 FETCH (BODY[] {100000000000}\r\n", Some(50)),
            Err(FrameError::LiteralTooLarge {
                size: 100_000_000_000,
                limit: 1000
            })
        );
    }

    pub(crate) struct XorShift(pub u64);
    impl XorShift {
        pub fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let alphabet = b"{}~+0123456789\r\n (*A";
        let limits = Limits {
            max_line: 64,
            max_literal: 50,
            max_response: 200,
            max_streamed_literal: 1 << 32,
        };
        for _ in 0..3000 {
            let len = (rng.next() % 80) as usize;
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    let r = rng.next();
                    if r.is_multiple_of(4) {
                        r as u8
                    } else {
                        alphabet[(r >> 8) as usize % alphabet.len()]
                    }
                })
                .collect();
            let mut f = Framer::new(limits);
            let mut buf = Vec::new();
            for &b in &input {
                buf.push(b);
                match f.frame(&buf) {
                    Ok(Some(n)) => {
                        assert!(n <= buf.len());
                        assert_eq!(buf[n - 1], b'\n');
                        buf.drain(..n);
                    }
                    Ok(None) => {}
                    Err(_) => break,
                }
            }
        }
    }
}
