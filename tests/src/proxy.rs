//! A TCP proxy on loopback in front of a real server, for faults a real server does not
//! produce by itself: [`DropAfterIdle`] forwards everything and closes each connection as
//! soon as the server's IDLE continuation (`+ ...` after an `IDLE` command) has been
//! passed on, as a flaky middlebox or a connection limit enforced late would.
//! [`DropAfterIdle::start_throttled`] forwards everything but passes the server's bytes on
//! at a fixed rate, as a slow link would: a long response then takes long enough that a
//! test can act while it is still arriving, whatever the machine's speed.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// See the module documentation. Stops accepting when dropped.
pub struct DropAfterIdle {
    port: u16,
    accepted: Arc<Mutex<Vec<Instant>>>,
    task: tokio::task::JoinHandle<()>,
}

impl DropAfterIdle {
    /// Listen on a free loopback port and forward to `host:port`, dropping each
    /// connection after IDLE's continuation.
    pub async fn start(host: &str, port: u16) -> io::Result<DropAfterIdle> {
        Self::start_with(host, port, true).await
    }

    /// Forward to `host:port`; with `drop_after_idle` false nothing is dropped and the
    /// proxy only counts connections.
    pub async fn start_with(
        host: &str,
        port: u16,
        drop_after_idle: bool,
    ) -> io::Result<DropAfterIdle> {
        Self::serve(host, port, drop_after_idle, None).await
    }

    /// Forward to `host:port`, dropping nothing, with the server's bytes passed on at
    /// about `bytes_per_second`.
    pub async fn start_throttled(
        host: &str,
        port: u16,
        bytes_per_second: u64,
    ) -> io::Result<DropAfterIdle> {
        Self::serve(host, port, false, Some(bytes_per_second.max(1))).await
    }

    async fn serve(
        host: &str,
        port: u16,
        drop_after_idle: bool,
        throttle: Option<u64>,
    ) -> io::Result<DropAfterIdle> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let local = listener.local_addr()?.port();
        let accepted: Arc<Mutex<Vec<Instant>>> = Arc::default();
        let target = format!("{host}:{port}");
        let seen = accepted.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                seen.lock().unwrap().push(Instant::now());
                let target = target.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&target).await {
                        let _ = relay(client, server, drop_after_idle, throttle).await;
                    }
                });
            }
        });
        Ok(DropAfterIdle {
            port: local,
            accepted,
            task,
        })
    }

    /// The host to connect to.
    pub fn host(&self) -> &str {
        "127.0.0.1"
    }

    /// The port to connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// When each connection was accepted, in order.
    pub fn connection_times(&self) -> Vec<Instant> {
        self.accepted.lock().unwrap().clone()
    }
}

impl Drop for DropAfterIdle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Forward both ways until the server's answer to IDLE has gone through, then close.
async fn relay(
    client: TcpStream,
    server: TcpStream,
    drop_after_idle: bool,
    throttle: Option<u64>,
) -> io::Result<()> {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let idle_sent = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = idle_sent.clone();
    let upstream = tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = cr.read(&mut buf).await?;
            if n == 0 {
                return io::Result::Ok(());
            }
            if buf[..n]
                .windows(6)
                .any(|w| w.eq_ignore_ascii_case(b" IDLE\r"))
            {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            sw.write_all(&buf[..n]).await?;
        }
    });
    // Throttled, the server's bytes go on in small pieces, each followed by the pause
    // its size takes at the rate.
    let mut buf = vec![
        0u8;
        if throttle.is_some() {
            8 * 1024
        } else {
            64 * 1024
        }
    ];
    loop {
        let n = sr.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        cw.write_all(&buf[..n]).await?;
        if let Some(rate) = throttle {
            tokio::time::sleep(std::time::Duration::from_secs_f64(n as f64 / rate as f64)).await;
        }
        let chunk = &buf[..n];
        let continuation = chunk.starts_with(b"+ ") || chunk.windows(3).any(|w| w == b"\n+ ");
        if drop_after_idle && continuation && idle_sent.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
    }
    upstream.abort();
    cw.shutdown().await
}
