//! What the big-message benchmarks measure with: a writer that counts and hashes what it
//! is given and keeps nothing, and the process's peak resident memory.

use std::pin::Pin;
use std::task::{Context, Poll};

/// FNV-1a, 64 bits: the same value however the bytes are split.
#[derive(Clone, Copy)]
pub struct Fnv(pub u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv::new()
    }
}

impl Fnv {
    /// The hash of no bytes.
    pub fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    /// Add `bytes` to the hash.
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Counts and hashes what it is given, keeping nothing.
pub struct Sink {
    /// How many bytes were written.
    pub bytes: u64,
    /// Their FNV-1a hash.
    pub hash: Fnv,
}

impl tokio::io::AsyncWrite for Sink {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.bytes += buf.len() as u64;
        self.hash.write(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Counts what it is given, keeping nothing (no hashing: the cheapest writer there is).
pub struct Counter(pub u64);

impl tokio::io::AsyncWrite for Counter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.0 += buf.len() as u64;
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A writer that takes bytes until it was given more than `limit`, then fails every write
/// with "disk full": a file system filling up in the middle of a download.
pub struct FailsAfter {
    /// Bytes taken so far.
    pub taken: u64,
    /// Bytes it takes before failing.
    pub limit: u64,
}

impl FailsAfter {
    /// A writer that fails once it was given more than `limit` bytes.
    pub fn new(limit: u64) -> FailsAfter {
        FailsAfter { taken: 0, limit }
    }
}

impl tokio::io::AsyncWrite for FailsAfter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.taken > self.limit {
            return Poll::Ready(Err(std::io::Error::other("disk full")));
        }
        self.taken += buf.len() as u64;
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A field of /proc/self/status in KiB (`"VmRSS:"`, `"VmHWM:"`); 0 where it cannot be read.
pub fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The process's peak resident memory (`VmHWM` of /proc/self/status), in KiB; 0 where
/// it cannot be read.
pub fn vm_hwm_kib() -> u64 {
    status_kib("VmHWM:")
}

/// Reset the peak RSS counter (`VmHWM`) to the current RSS (Linux, `clear_refs` value 5);
/// `false` where the kernel does not allow it.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
