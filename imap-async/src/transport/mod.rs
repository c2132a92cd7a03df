//! Bytes on the wire: TCP with a connect timeout and keepalive, implicit TLS, and the TLS
//! upgrade that STARTTLS needs.

mod tls;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

pub use tls::TlsOptions;

use crate::error::{Error, Result};

/// A connected socket, plain or TLS.
#[derive(Debug)]
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    /// Whether the stream is encrypted (TLS).
    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
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
    Ok(Stream::Tls(Box::new(tls)))
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
    Error::Tls {
        server_name: server_name.to_owned(),
        reason,
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }
}
