//! COMPRESS=DEFLATE (RFC 4978): raw deflate (RFC 1951, no zlib header) both ways over an
//! existing stream.
//!
//! RFC 4978 §4: each side compresses everything it sends after the tagged OK of
//! `COMPRESS DEFLATE`, and must flush so that the peer can decompress a complete command
//! or response without waiting for more: writes are compressed into a buffer, and
//! `poll_flush` ends the batch with a deflate sync flush (`FlushCompress::Sync`) before the
//! bytes go out. The connection flushes after every command, so no command is held back.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Compressed bytes read from the inner stream at a time.
const IN_CHUNK: usize = 32 * 1024;
/// Decompressed bytes handed out per `poll_read` at most.
const OUT_CHUNK: usize = 64 * 1024;
/// Compressed output buffered before `poll_write` waits for the inner stream to take it.
const MAX_PENDING_OUT: usize = 64 * 1024;

/// A stream whose both directions are raw-deflate compressed. It counts the bytes that
/// really crossed the inner stream (compressed) and the bytes it carried (decompressed).
pub(crate) struct Deflate<S> {
    inner: S,
    compress: Compress,
    decompress: Decompress,
    /// Compressed input read from `inner`, not yet decompressed: `in_buf[in_pos..]`.
    in_buf: Vec<u8>,
    in_pos: usize,
    /// Compressed output not yet written to `inner`: `out_buf[out_pos..]`.
    out_buf: Vec<u8>,
    out_pos: usize,
    /// Data was compressed since the last sync flush.
    needs_sync: bool,
    /// The peer ended the deflate stream (a final block): nothing more can be read.
    ended: bool,
    /// Compressed bytes read from / written to `inner`.
    pub(crate) compressed_in: u64,
    pub(crate) compressed_out: u64,
}

impl<S> std::fmt::Debug for Deflate<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflate")
            .field("compressed_in", &self.compressed_in)
            .field("compressed_out", &self.compressed_out)
            .field("total_in", &self.decompress.total_out())
            .field("total_out", &self.compress.total_in())
            .finish_non_exhaustive()
    }
}

impl<S> Deflate<S> {
    /// Wrap `inner`. `already_read` are bytes read from `inner` before compression began
    /// but after the tagged OK of COMPRESS: they are compressed data and are decompressed
    /// first (RFC 4978 §3).
    ///
    /// ```no_run
    /// // `Deflate` is internal; it is put in place by `Session::compress`.
    /// # async fn run(mut session: imap_async::Session) -> imap_async::Result<()> {
    /// session.compress().await?;
    /// assert!(session.is_compressed());
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(inner: S, already_read: &[u8]) -> Self {
        let mut in_buf = Vec::with_capacity(IN_CHUNK.max(already_read.len()));
        in_buf.extend_from_slice(already_read);
        Deflate {
            inner,
            // Commands are small; the default level costs little and compresses APPENDs well.
            compress: Compress::new(Compression::default(), false),
            decompress: Decompress::new(false),
            in_buf,
            in_pos: 0,
            out_buf: Vec::new(),
            out_pos: 0,
            needs_sync: false,
            ended: false,
            compressed_in: already_read.len() as u64,
            compressed_out: 0,
        }
    }

    /// The wrapped stream.
    ///
    /// ```no_run
    /// // Internal; seen from outside through the connection's properties, which look
    /// // through the compression layer.
    /// # async fn run(mut session: imap_async::Session) -> imap_async::Result<()> {
    /// session.compress().await?;
    /// println!("compressed: {}", session.is_compressed());
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Uncompressed bytes delivered to the reader so far.
    ///
    /// ```no_run
    /// // Test-only; the public figure is `WireStats::data_received`.
    /// # async fn run(session: &imap_async::Session) {
    /// let stats = session.wire_stats();
    /// println!("{} bytes of IMAP from {} on the wire", stats.data_received, stats.received);
    /// # }
    /// ```
    #[cfg(test)]
    pub fn data_in(&self) -> u64 {
        self.decompress.total_out()
    }

    /// Uncompressed bytes accepted from the writer so far.
    ///
    /// ```no_run
    /// // Test-only; the public figure is `WireStats::data_sent`.
    /// # async fn run(session: &imap_async::Session) {
    /// let stats = session.wire_stats();
    /// println!("{} bytes of IMAP sent as {} on the wire", stats.data_sent, stats.sent);
    /// # }
    /// ```
    #[cfg(test)]
    pub fn data_out(&self) -> u64 {
        self.compress.total_in()
    }
}

fn corrupt(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("COMPRESS=DEFLATE: invalid compressed data from the server: {e}"),
    )
}

impl<S: AsyncRead + AsyncWrite + Unpin> Deflate<S> {
    /// Write buffered compressed output to `inner` until none is left.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.out_pos < self.out_buf.len() {
            let n =
                ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out_buf[self.out_pos..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.out_pos += n;
            self.compressed_out += n as u64;
        }
        self.out_buf.clear();
        self.out_pos = 0;
        Poll::Ready(Ok(()))
    }

    /// Compress `data` (all of it) into `out_buf` with `flush`.
    fn compress_into_buffer(&mut self, mut data: &[u8], flush: FlushCompress) -> io::Result<()> {
        loop {
            if self.out_buf.capacity() - self.out_buf.len() < 1024 {
                self.out_buf.reserve(data.len() / 2 + 4096);
            }
            let before_in = self.compress.total_in();
            let status = self
                .compress
                .compress_vec(data, &mut self.out_buf, flush)
                .map_err(io::Error::other)?;
            let used = (self.compress.total_in() - before_in) as usize;
            data = &data[used..];
            // Done when every input byte was taken and the compressor did not stop for
            // lack of room (a sync flush may need several rounds to emit everything).
            let room_left = self.out_buf.capacity() > self.out_buf.len();
            if data.is_empty() && (room_left || status == Status::StreamEnd) {
                return Ok(());
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Deflate<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        loop {
            if this.ended {
                return Poll::Ready(Ok(()));
            }
            // Decompress what we have first: the decompressor may also hold output that
            // did not fit last time, even with no new input.
            let out = buf.initialize_unfilled_to(buf.remaining().min(OUT_CHUNK));
            let (before_in, before_out) = (this.decompress.total_in(), this.decompress.total_out());
            let status = this
                .decompress
                .decompress(&this.in_buf[this.in_pos..], out, FlushDecompress::None)
                .map_err(corrupt)?;
            let consumed = (this.decompress.total_in() - before_in) as usize;
            let produced = (this.decompress.total_out() - before_out) as usize;
            this.in_pos += consumed;
            if this.in_pos == this.in_buf.len() {
                this.in_buf.clear();
                this.in_pos = 0;
            }
            if status == Status::StreamEnd {
                this.ended = true;
            }
            if produced > 0 {
                buf.advance(produced);
                return Poll::Ready(Ok(()));
            }
            if consumed > 0 && this.in_pos < this.in_buf.len() {
                continue;
            }
            if this.ended {
                return Poll::Ready(Ok(()));
            }
            // No output: the input left (if any) is an incomplete block; read more.
            if this.in_pos > 0 {
                this.in_buf.drain(..this.in_pos);
                this.in_pos = 0;
            }
            let start = this.in_buf.len();
            this.in_buf.resize(start + IN_CHUNK, 0);
            let mut rb = ReadBuf::new(&mut this.in_buf[start..]);
            let res = Pin::new(&mut this.inner).poll_read(cx, &mut rb);
            let n = match res {
                Poll::Ready(Ok(())) => rb.filled().len(),
                Poll::Ready(Err(e)) => {
                    this.in_buf.truncate(start);
                    return Poll::Ready(Err(e));
                }
                Poll::Pending => {
                    this.in_buf.truncate(start);
                    return Poll::Pending;
                }
            };
            this.in_buf.truncate(start + n);
            this.compressed_in += n as u64;
            if n == 0 {
                // The peer closed the connection: end of stream for our reader too.
                return Poll::Ready(Ok(()));
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Deflate<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.out_buf.len() - this.out_pos >= MAX_PENDING_OUT {
            ready!(this.poll_drain(cx))?;
        }
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        this.compress_into_buffer(data, FlushCompress::None)?;
        this.needs_sync = true;
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.needs_sync {
            // RFC 4978 §4: end the batch so that the server can decompress all of it now.
            this.compress_into_buffer(&[], FlushCompress::Sync)?;
            this.needs_sync = false;
        }
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush(cx))?;
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};

    /// Compress `data` as one raw deflate stream with sync flushes between chunks.
    fn deflate_chunks(chunks: &[&[u8]]) -> Vec<u8> {
        let mut c = Compress::new(Compression::default(), false);
        let mut out = Vec::new();
        for chunk in chunks {
            let mut input = *chunk;
            loop {
                out.reserve(input.len() + 1024);
                let before = c.total_in();
                c.compress_vec(input, &mut out, FlushCompress::Sync)
                    .unwrap();
                input = &input[(c.total_in() - before) as usize..];
                if input.is_empty() && out.capacity() > out.len() {
                    break;
                }
            }
        }
        out
    }

    fn inflate(data: &[u8]) -> Vec<u8> {
        let mut d = Decompress::new(false);
        let mut out = Vec::with_capacity(data.len() * 20 + 1024);
        let mut input = data;
        loop {
            out.reserve(64 * 1024);
            let before = d.total_in();
            let before_out = d.total_out();
            d.decompress_vec(input, &mut out, FlushDecompress::Sync)
                .unwrap();
            input = &input[(d.total_in() - before) as usize..];
            if input.is_empty() && d.total_out() == before_out {
                break;
            }
        }
        out
    }

    #[tokio::test]
    async fn writes_are_raw_deflate_and_flushed_per_batch() {
        let (client, mut server) = duplex(1 << 20);
        let mut z = Deflate::new(client, b"");
        z.write_all(b"A1 NOOP\r\n").await.unwrap();
        z.flush().await.unwrap();
        let mut got = vec![0u8; 4096];
        let n = server.read(&mut got).await.unwrap();
        // A sync flush ends with the empty stored block 00 00 ff ff.
        assert!(got[..n].ends_with(&[0, 0, 0xff, 0xff]), "{:?}", &got[..n]);
        assert_eq!(inflate(&got[..n]), b"A1 NOOP\r\n");
        assert_eq!(z.data_out(), 9);
        assert_eq!(z.compressed_out, n as u64);
    }

    #[tokio::test]
    async fn reads_leftover_then_stream_in_tiny_pieces() {
        let big: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("* {i} FETCH (FLAGS (\\Seen))\r\n").into_bytes())
            .take(300_000)
            .collect();
        let wire = deflate_chunks(&[b"* OK first\r\n", &big, b"A2 OK done\r\n"]);
        // The first 7 compressed bytes were already read with COMPRESS's OK.
        let (leftover, rest) = wire.split_at(7);
        let (client, mut server) = duplex(64);
        let rest = rest.to_vec();
        let writer = tokio::spawn(async move {
            for piece in rest.chunks(13) {
                server.write_all(piece).await.unwrap();
            }
            server.shutdown().await.unwrap();
            server
        });
        let mut z = Deflate::new(client, leftover);
        let mut out = Vec::new();
        z.read_to_end(&mut out).await.unwrap();
        let mut expected = b"* OK first\r\n".to_vec();
        expected.extend_from_slice(&big);
        expected.extend_from_slice(b"A2 OK done\r\n");
        assert_eq!(out.len(), expected.len());
        assert!(out == expected);
        assert_eq!(z.compressed_in, wire.len() as u64);
        assert_eq!(z.data_in(), expected.len() as u64);
        drop(writer.await.unwrap());
    }

    #[tokio::test]
    async fn garbage_is_an_error() {
        let (client, mut server) = duplex(64);
        server.write_all(&[0xff; 16]).await.unwrap();
        let mut z = Deflate::new(client, b"");
        let mut out = [0u8; 64];
        let err = z.read(&mut out).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[tokio::test]
    async fn round_trip_through_two_wrappers() {
        let (a, b) = duplex(1024);
        let mut a = Deflate::new(a, b"");
        let mut b = Deflate::new(b, b"");
        let payload: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let p = payload.clone();
        let t = tokio::spawn(async move {
            a.write_all(&p).await.unwrap();
            a.flush().await.unwrap();
            a
        });
        let mut got = vec![0u8; payload.len()];
        b.read_exact(&mut got).await.unwrap();
        assert!(got == payload);
        let a = t.await.unwrap();
        assert_eq!(a.data_out(), payload.len() as u64);
        assert!(a.compressed_out < payload.len() as u64 / 2);
    }
}
