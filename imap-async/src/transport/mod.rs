//! Bytes on the wire: TCP with a connect timeout and keepalive, implicit TLS, and the TLS
//! upgrade that STARTTLS needs, COMPRESS=DEFLATE (RFC 4978) over either (with the
//! `compress` feature), and a count of the bytes that crossed the wire.

#[cfg(feature = "compress")]
mod compress;
mod tls;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

#[cfg(feature = "compress")]
use compress::Deflate;
pub use tls::TlsOptions;
#[cfg(feature = "oauth2")]
pub(crate) use tls::client_config;

use crate::error::{Error, Result};

/// A connected socket, plain or TLS, possibly compressed (RFC 4978), counting the bytes it
/// carries.
#[derive(Debug)]
pub struct Stream {
    layer: Layer,
    /// Bytes handed to / taken from the connection (IMAP data, uncompressed).
    data_in: u64,
    data_out: u64,
    /// Wire bytes counted before compression started.
    #[cfg_attr(not(feature = "compress"), allow(dead_code))]
    wire_in_before: u64,
    #[cfg_attr(not(feature = "compress"), allow(dead_code))]
    wire_out_before: u64,
}

#[derive(Debug)]
enum Layer {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    #[cfg(feature = "compress")]
    Deflate(Box<Deflate<Layer>>),
    /// Only while a layer is being wrapped in another.
    #[cfg_attr(not(feature = "compress"), allow(dead_code))]
    Gone,
}

/// Bytes a session exchanged with the server, from [`crate::Session::wire_stats`].
///
/// `sent`/`received` count what crossed the connection below compression (what TLS
/// encrypted, or the TCP payload for plaintext); `data_sent`/`data_received` count the
/// IMAP bytes they carried. Without COMPRESS=DEFLATE the two pairs are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WireStats {
    /// Bytes written to the connection (compressed, if COMPRESS is active), so far.
    pub sent: u64,
    /// Bytes read from the connection (compressed, if COMPRESS is active), so far.
    pub received: u64,
    /// IMAP bytes sent (before compression), so far.
    pub data_sent: u64,
    /// IMAP bytes received (after decompression), so far.
    pub data_received: u64,
    /// COMPRESS=DEFLATE is active.
    pub compressed: bool,
}

impl Stream {
    /// A plaintext TCP stream.
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// use std::time::Duration;
    /// use imap_async::transport::{Stream, connect_tcp};
    /// let tcp = connect_tcp("imap.example.org", 143, Duration::from_secs(10)).await?;
    /// let stream = Stream::plain(tcp);
    /// assert!(!stream.is_tls() && !stream.is_compressed());
    /// # Ok(())
    /// # }
    /// ```
    pub fn plain(tcp: TcpStream) -> Stream {
        Stream::from_layer(Layer::Plain(tcp))
    }

    fn from_layer(layer: Layer) -> Stream {
        Stream {
            layer,
            data_in: 0,
            data_out: 0,
            wire_in_before: 0,
            wire_out_before: 0,
        }
    }

    /// Whether the stream is encrypted (TLS).
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// use std::time::Duration;
    /// use imap_async::transport::{Stream, connect_tcp};
    ///
    /// let tcp = connect_tcp("imap.example.org", 143, Duration::from_secs(10)).await?;
    /// assert!(!Stream::plain(tcp).is_tls());
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_tls(&self) -> bool {
        fn tls(layer: &Layer) -> bool {
            match layer {
                Layer::Plain(_) | Layer::Gone => false,
                Layer::Tls(_) => true,
                #[cfg(feature = "compress")]
                Layer::Deflate(d) => tls(d.get_ref()),
            }
        }
        tls(&self.layer)
    }

    /// Whether COMPRESS=DEFLATE is active.
    ///
    /// ```no_run
    /// # fn run(stream: &imap_async::transport::Stream) {
    /// println!("compressed: {}", stream.is_compressed());
    /// # }
    /// ```
    pub fn is_compressed(&self) -> bool {
        #[cfg(feature = "compress")]
        if let Layer::Deflate(_) = self.layer {
            return true;
        }
        false
    }

    /// The TCP stream of a plaintext, uncompressed connection (for STARTTLS); `Err` gives
    /// the stream back otherwise.
    ///
    /// ```no_run
    /// # fn run(stream: imap_async::transport::Stream) {
    /// match stream.into_plain() {
    ///     Ok(tcp) => println!("plain TCP to {:?}", tcp.peer_addr()),
    ///     Err(stream) => println!("TLS: {}", stream.is_tls()),
    /// }
    /// # }
    /// ```
    pub fn into_plain(self) -> std::result::Result<TcpStream, Stream> {
        match self.layer {
            Layer::Plain(tcp) => Ok(tcp),
            layer => Err(Stream { layer, ..self }),
        }
    }

    /// Start COMPRESS=DEFLATE (RFC 4978 §3) in both directions. `already_read` are the
    /// bytes read after the command's tagged OK, which the server already compressed.
    /// Does nothing if compression is already on (RFC 4978 §3: it cannot be stacked).
    #[cfg(feature = "compress")]
    pub(crate) fn start_deflate(&mut self, already_read: &[u8]) {
        if self.is_compressed() {
            return;
        }
        let n = already_read.len() as u64;
        // Those bytes were counted as data when read; they were compressed wire bytes,
        // which the deflate layer counts from now on.
        self.data_in = self.data_in.saturating_sub(n);
        self.wire_in_before = self.data_in;
        self.wire_out_before = self.data_out;
        let inner = std::mem::replace(&mut self.layer, Layer::Gone);
        self.layer = Layer::Deflate(Box::new(Deflate::new(inner, already_read)));
    }

    /// Bytes exchanged so far.
    ///
    /// ```no_run
    /// # fn run(stream: &imap_async::transport::Stream) {
    /// let stats = stream.wire_stats();
    /// println!("{} bytes received, {} of IMAP data", stats.received, stats.data_received);
    /// # }
    /// ```
    pub fn wire_stats(&self) -> WireStats {
        match &self.layer {
            #[cfg(feature = "compress")]
            Layer::Deflate(d) => WireStats {
                sent: self.wire_out_before + d.compressed_out,
                received: self.wire_in_before + d.compressed_in,
                data_sent: self.data_out,
                data_received: self.data_in,
                compressed: true,
            },
            _ => WireStats {
                sent: self.data_out,
                received: self.data_in,
                data_sent: self.data_out,
                data_received: self.data_in,
                compressed: false,
            },
        }
    }
}

/// Open a TCP connection within `timeout` (name resolution included), with TCP keepalive on so
/// that a dead peer is eventually noticed even on an idle connection.
///
/// ```no_run
/// # async fn run() -> imap_async::Result<()> {
/// use std::time::Duration;
/// use imap_async::transport::connect_tcp;
/// let tcp = connect_tcp("imap.example.org", 993, Duration::from_secs(10)).await?;
/// println!("connected to {}", tcp.peer_addr().expect("a connected socket has a peer"));
/// # Ok(())
/// # }
/// ```
pub async fn connect_tcp(host: &str, port: u16, timeout: Duration) -> Result<TcpStream> {
    let what = format!("connecting to {host}:{port}");
    let tcp = tokio::time::timeout(timeout, TcpStream::connect((host, port)))
        .await
        .map_err(|_| Error::Timeout {
            waiting_for: what.clone(),
            after: timeout,
        })?
        .map_err(|e| Error::io(what.clone(), e))?;
    // Commands are small and latency-bound: do not let Nagle hold them back.
    tcp.set_nodelay(true)
        .map_err(|e| Error::io(what.clone(), e))?;
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(Duration::from_secs(60))
        .with_interval(Duration::from_secs(15))
        .with_retries(4);
    socket2::SockRef::from(&tcp)
        .set_tcp_keepalive(&keepalive)
        .map_err(|e| Error::io(what, e))?;
    Ok(tcp)
}

/// Run the TLS handshake over an open TCP connection within `timeout`, verifying the
/// certificate for `server_name` as `opts` say.
///
/// ```no_run
/// # async fn run() -> imap_async::Result<()> {
/// use std::time::Duration;
/// use imap_async::TlsOptions;
/// use imap_async::transport::{connect_tcp, tls_handshake};
/// let timeout = Duration::from_secs(10);
/// let tcp = connect_tcp("imap.example.org", 993, timeout).await?;
/// let stream = tls_handshake(tcp, "imap.example.org", &TlsOptions::default(), timeout).await?;
/// assert!(stream.is_tls());
/// # Ok(())
/// # }
/// ```
pub async fn tls_handshake(
    tcp: TcpStream,
    server_name: &str,
    opts: &TlsOptions,
    timeout: Duration,
) -> Result<Stream> {
    let config = tls::client_config(opts)?;
    let name = rustls::pki_types::ServerName::try_from(server_name.to_owned())
        .map_err(|e| Error::invalid("TLS server name", format!("{server_name:?}: {e}")))?;
    let connector = TlsConnector::from(config);
    let tls = tokio::time::timeout(timeout, connector.connect(name, tcp))
        .await
        .map_err(|_| Error::Timeout {
            waiting_for: format!("the TLS handshake with {server_name}"),
            after: timeout,
        })?
        .map_err(|e| tls_error(server_name, e))?;
    Ok(Stream::from_layer(Layer::Tls(Box::new(tls))))
}

/// tokio-rustls reports handshake failures as `io::Error` wrapping a `rustls::Error`; turn
/// them into an error that says what was wrong with the certificate.
fn tls_error(server_name: &str, e: io::Error) -> Error {
    let reason = match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(cert)) => match cert {
            rustls::CertificateError::UnknownIssuer => {
                "the certificate is not signed by a trusted CA (unknown issuer)".to_owned()
            }
            rustls::CertificateError::NotValidForName
            | rustls::CertificateError::NotValidForNameContext { .. } => {
                format!("the certificate is not valid for the name {server_name:?}")
            }
            rustls::CertificateError::Expired | rustls::CertificateError::ExpiredContext { .. } => {
                "the certificate has expired".to_owned()
            }
            other => format!("invalid certificate: {other:?}"),
        },
        Some(other) => other.to_string(),
        None => {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                "the server closed the connection during the handshake".to_owned()
            } else {
                e.to_string()
            }
        }
    };
    // The rustls error itself is the source when there is one: `io::Error::source` would
    // skip it (it returns the inner error's source, not the inner error).
    let source: Box<dyn std::error::Error + Send + Sync> = match e.downcast::<rustls::Error>() {
        Ok(rustls_error) => Box::new(rustls_error),
        Err(io_error) => Box::new(io_error),
    };
    Error::Tls {
        server_name: server_name.to_owned(),
        reason,
        source,
    }
}

fn gone() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "the stream is being re-layered",
    )
}

impl AsyncRead for Layer {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Layer::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Layer::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            #[cfg(feature = "compress")]
            Layer::Deflate(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Layer::Gone => Poll::Ready(Err(gone())),
        }
    }
}

impl AsyncWrite for Layer {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Layer::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Layer::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            #[cfg(feature = "compress")]
            Layer::Deflate(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Layer::Gone => Poll::Ready(Err(gone())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Layer::Plain(s) => Pin::new(s).poll_flush(cx),
            Layer::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            #[cfg(feature = "compress")]
            Layer::Deflate(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Layer::Gone => Poll::Ready(Err(gone())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Layer::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Layer::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            #[cfg(feature = "compress")]
            Layer::Deflate(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Layer::Gone => Poll::Ready(Err(gone())),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Layer::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Layer::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
            #[cfg(feature = "compress")]
            Layer::Deflate(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
            Layer::Gone => Poll::Ready(Err(gone())),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Layer::Plain(s) => s.is_write_vectored(),
            Layer::Tls(s) => s.is_write_vectored(),
            #[cfg(feature = "compress")]
            Layer::Deflate(s) => s.is_write_vectored(),
            Layer::Gone => false,
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let res = Pin::new(&mut this.layer).poll_read(cx, buf);
        this.data_in += (buf.filled().len() - before) as u64;
        res
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let res = Pin::new(&mut this.layer).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = res {
            this.data_out += n as u64;
        }
        res
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().layer).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().layer).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let res = Pin::new(&mut this.layer).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = res {
            this.data_out += n as u64;
        }
        res
    }

    fn is_write_vectored(&self) -> bool {
        self.layer.is_write_vectored()
    }
}

#[cfg(test)]
mod tls_error_tests {
    use super::*;

    /// The rustls error stays reachable as the source, behind the words of `reason`.
    #[test]
    fn the_rustls_error_is_the_source() {
        let refused = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        let err = tls_error("imap.example.org", refused);
        let Error::Tls { reason, .. } = &err else {
            panic!("not a TLS error: {err:?}");
        };
        assert!(reason.contains("unknown issuer"), "{reason}");
        let source = std::error::Error::source(&err).expect("a source");
        assert!(
            matches!(
                source.downcast_ref::<rustls::Error>(),
                Some(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::UnknownIssuer
                ))
            ),
            "{source:?}"
        );

        let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "tls handshake eof");
        let err = tls_error("imap.example.org", eof);
        let source = std::error::Error::source(&err).expect("a source");
        let io_error = source.downcast_ref::<io::Error>().expect("the I/O error");
        assert_eq!(io_error.kind(), io::ErrorKind::UnexpectedEof);
        assert!(
            err.to_string()
                .contains("closed the connection during the handshake")
        );
    }
}
