//! Framing: where does the next complete response end? (RFC 3501 §4.3 literals, RFC 3516 literal8)

/// Size limits applied while framing, before anything is allocated for the data.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest line (excluding literal data) accepted, in bytes.
    pub max_line: usize,
    /// Largest single literal accepted, in bytes. A `{n}` header above it is an error at once.
    pub max_literal: u64,
    /// Largest complete response (lines plus literals), in bytes.
    pub max_response: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_line: 1 << 20, max_literal: 256 << 20, max_response: 512 << 20 }
    }
}

/// A response that can never be framed within the limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("response line longer than {limit} bytes")]
    LineTooLong { limit: usize },
    #[error("literal of {size} bytes announced, above the limit of {limit}")]
    LiteralTooLarge { size: u64, limit: u64 },
    #[error("response larger than {limit} bytes")]
    ResponseTooLarge { limit: u64 },
    #[error("malformed literal header {header:?}")]
    BadLiteralHeader { header: String },
}

/// Incremental framer. Feed it the whole unread buffer each time; it remembers how far it
/// already scanned, so total work is linear in the bytes received.
#[derive(Debug, Default)]
pub struct Framer {
    limits: Limits,
}

impl Framer {
    pub fn new(limits: Limits) -> Self {
        Framer { limits }
    }

    /// `Ok(Some(n))`: `buf[..n]` is one complete response (ending in CRLF).
    /// `Ok(None)`: more bytes are needed. Once it returns `Some`, the caller removes those
    /// `n` bytes from the front of the buffer before calling again.
    pub fn frame(&mut self, buf: &[u8]) -> Result<Option<usize>, FrameError> {
        let _ = (buf, &self.limits);
        unimplemented!("being written")
    }
}
