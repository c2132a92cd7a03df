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

/// The benchmarks' floor: read from `sock` into `buf` until the bytes received end with a
/// line holding `end` (`"\r\nA3 OK"`: the tagged answer), parsing nothing; every byte also
/// goes through `fnv` when given. Returns the bytes read. Only the new bytes (and the few
/// before them that could start `end`) are searched, so the reader costs no more than the
/// read.
pub async fn read_until(
    sock: &mut tokio::net::TcpStream,
    buf: &mut [u8],
    end: &[u8],
    mut fnv: Option<&mut Fnv>,
) -> u64 {
    use tokio::io::AsyncReadExt;
    let mut tail: Vec<u8> = Vec::new();
    let mut found: Option<usize> = None;
    let mut total = 0u64;
    loop {
        let n = sock.read(buf).await.expect("read from the server");
        assert!(n > 0, "server closed");
        total += n as u64;
        if let Some(f) = fnv.as_deref_mut() {
            f.write(&buf[..n]);
        }
        let from = tail.len().saturating_sub(end.len());
        tail.extend_from_slice(&buf[n.saturating_sub(4096)..n]);
        if found.is_none() {
            found = tail[from..]
                .windows(end.len())
                .position(|w| w == end)
                .map(|p| from + p);
        }
        if let Some(p) = found
            && tail[p..].ends_with(b"\r\n")
        {
            return total;
        }
        if found.is_none() && tail.len() > 8192 {
            tail.drain(..tail.len() - 4096);
        }
    }
}

/// The benchmarks' imap-async session against Dovecot: plaintext, logged in as `user`,
/// INBOX selected (the same state [`raw_fetch`] reads from).
pub async fn inbox_session(server: &crate::Dovecot, user: &crate::TestUser) -> imap_async::Session {
    let opts = imap_async::ConnectOptions::new(server.host())
        .port(server.imap_port())
        .plaintext()
        .login(&user.name, user.password.as_str());
    let mut session = imap_async::Session::connect(&opts).await.expect("login");
    session.select_folder("INBOX").await.expect("select INBOX");
    session
}

/// What a raw read of one command's answer cost.
pub struct RawRead {
    /// From sending the command to the end of the tagged answer.
    pub wall: std::time::Duration,
    /// CPU time of the reading thread in that time.
    pub cpu: std::time::Duration,
    /// Bytes received.
    pub bytes: u64,
}

/// The benchmarks' floor against Dovecot: a plain socket logs in as `user`, selects INBOX,
/// sends `A3 ` + `command` (`UID FETCH 1:* BODY.PEEK[]`) and reads the answer up to its
/// tagged end, parsing nothing (see [`read_until`]; `fnv` hashes every byte when given).
pub async fn raw_fetch(
    server: &crate::Dovecot,
    user: &crate::TestUser,
    command: &str,
    fnv: Option<&mut Fnv>,
) -> RawRead {
    use tokio::io::AsyncWriteExt;
    let mut sock = tokio::net::TcpStream::connect((server.host(), server.imap_port()))
        .await
        .expect("connect to Dovecot");
    sock.set_nodelay(true).expect("TCP_NODELAY");
    let mut buf = vec![0u8; 256 * 1024];
    let send = async |sock: &mut tokio::net::TcpStream, line: String| {
        sock.write_all(line.as_bytes())
            .await
            .expect("write to Dovecot");
    };
    read_until(&mut sock, &mut buf, b"* OK", None).await;
    let login = format!("A1 LOGIN {} {}\r\n", user.name, user.password.as_str());
    send(&mut sock, login).await;
    read_until(&mut sock, &mut buf, b"A1 OK", None).await;
    send(&mut sock, "A2 SELECT INBOX\r\n".to_owned()).await;
    read_until(&mut sock, &mut buf, b"A2 OK", None).await;
    let cpu = crate::bench_data::thread_cpu();
    let start = std::time::Instant::now();
    send(&mut sock, format!("A3 {command}\r\n")).await;
    let bytes = read_until(&mut sock, &mut buf, b"\r\nA3 OK", fnv).await;
    let wall = start.elapsed();
    let cpu = crate::bench_data::thread_cpu() - cpu;
    send(&mut sock, "A4 LOGOUT\r\n".to_owned()).await;
    RawRead { wall, cpu, bytes }
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
