//! A scripted IMAP server on loopback TCP, for the faults a real server will not produce on
//! demand: garbage bytes, a stall, a connection cut mid-response, a BYE in the middle of a
//! command, a response dripped a byte at a time, a reset. Real servers cover everything
//! else.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One step of a script, run in order on the first accepted connection.
#[derive(Debug, Clone)]
pub enum Step {
    /// Send these bytes. `{tag}` is replaced by the tag of the last command received,
    /// `{tag-1}` by the one before it, and so on up to `{tag-9}` (for answering
    /// pipelined commands).
    Send(String),
    /// Send raw bytes as they are.
    SendBytes(Vec<u8>),
    /// Read one command line (and any `{n}`/`{n+}` literal it announces, answering `+` for
    /// synchronizing ones) and check that it contains this text; remembers its tag.
    Expect(String),
    /// Read one command line and check that it contains this text, like `Expect`, but do
    /// not answer or read the literal it announces (a server refusing a literal's size
    /// with `NO` instead of `+`); remembers its tag.
    ExpectLineOnly(String),
    /// Do nothing for this long.
    Sleep(Duration),
    /// Check that the client sends nothing for this long (it must be waiting for the
    /// server); the script fails with what arrived otherwise.
    ExpectSilence(Duration),
    /// Send these bytes one at a time, `every` apart (a server holding a client with a
    /// response that never completes). Ends the script quietly when the client hangs up
    /// half-way, as it should once its deadline passes.
    Drip { text: String, every: Duration },
    /// Close the connection.
    Close,
    /// Reset the connection (RST instead of FIN: `SO_LINGER` 0, then close).
    Reset,
    /// Wake whoever waits on this (`notified().await`), so that a test can act at this
    /// point of the script (a permit is stored when nobody waits yet).
    Notify(std::sync::Arc<tokio::sync::Notify>),
}

/// A running scripted server. [`FakeServer::finish`] returns every line the client sent.
pub struct FakeServer {
    pub port: u16,
    task: JoinHandle<Result<Vec<String>, String>>,
}

pub fn send(s: &str) -> Step {
    Step::Send(s.to_owned())
}

pub fn expect(s: &str) -> Step {
    Step::Expect(s.to_owned())
}

impl FakeServer {
    /// Options for a session with this server: plaintext on its port, 5 s timeouts, and
    /// LOGIN as `user` / `secret` (a test changes what its script needs).
    pub fn options(&self) -> imap_async::ConnectOptions {
        imap_async::ConnectOptions::new("127.0.0.1")
            .port(self.port)
            .plaintext()
            .command_timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(5))
            .login("user", "secret")
    }

    /// Listen on a free loopback port and run `script` on the first connection.
    pub async fn start(script: Vec<Step>) -> FakeServer {
        FakeServer::start_sessions(vec![script]).await
    }

    /// Listen on a free loopback port and run the scripts on successive connections: the
    /// first on the first connection, the next once that one is over (closed by a
    /// [`Step::Close`] or by the client), and so on. For clients that reconnect.
    /// [`FakeServer::finish`] returns the lines of all connections, in order.
    pub async fn start_sessions(scripts: Vec<Vec<Step>>) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let port = listener.local_addr().expect("local addr").port();
        let task = tokio::spawn(async move {
            let mut all = Vec::new();
            for (n, script) in scripts.into_iter().enumerate() {
                let (socket, _) = tokio::time::timeout(Duration::from_secs(20), listener.accept())
                    .await
                    .map_err(|_| format!("no client connection {} within 20 s", n + 1))?
                    .map_err(|e| e.to_string())?;
                let lines = run_script(socket, script)
                    .await
                    .map_err(|e| format!("connection {}: {e}", n + 1))?;
                all.extend(lines);
            }
            Ok(all)
        });
        FakeServer { port, task }
    }

    /// Wait for the script to end; the lines the client sent, or why the script failed.
    pub async fn finish(self) -> Vec<String> {
        match tokio::time::timeout(Duration::from_secs(40), self.task).await {
            Ok(Ok(Ok(lines))) => lines,
            Ok(Ok(Err(e))) => panic!("fake server script failed: {e}"),
            Ok(Err(e)) => panic!("fake server task failed: {e}"),
            Err(_) => panic!("fake server did not finish within 40 s"),
        }
    }
}

/// Run one script on one accepted connection.
async fn run_script(
    socket: tokio::net::TcpStream,
    script: Vec<Step>,
) -> Result<Vec<String>, String> {
    let (read, mut write) = socket.into_split();
    let mut read = BufReader::new(read);
    // Tags of the commands received so far, in order.
    let mut tags: Vec<String> = Vec::new();
    let mut received = Vec::new();
    for step in script {
        match step {
            Step::Send(s) => {
                let mut s = s;
                for back in (0..=9).rev() {
                    let name = match back {
                        0 => "{tag}".to_owned(),
                        _ => format!("{{tag-{back}}}"),
                    };
                    let earlier = tags.len().checked_sub(back + 1).map(|i| &tags[i]);
                    s = s.replace(&name, earlier.map_or("", String::as_str));
                }
                write
                    .write_all(s.as_bytes())
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Step::SendBytes(b) => write.write_all(&b).await.map_err(|e| e.to_string())?,
            Step::ExpectLineOnly(want) => {
                let mut line = Vec::new();
                tokio::time::timeout(Duration::from_secs(20), read.read_until(b'\n', &mut line))
                    .await
                    .map_err(|_| "client sent no command within 20 s".to_owned())?
                    .map_err(|e| e.to_string())?;
                let line = String::from_utf8_lossy(&line)
                    .trim_end_matches(['\r', '\n'])
                    .to_owned();
                if !line.contains(&want) {
                    return Err(format!("expected a line containing {want:?}, got {line:?}"));
                }
                if let Some((t, _)) = line.split_once(' ') {
                    tags.push(t.to_owned());
                }
                received.push(line);
            }
            Step::Expect(want) => {
                let line = read_command(&mut read, &mut write).await?;
                if !line.contains(&want) {
                    return Err(format!(
                        "expected a command containing {want:?}, got {line:?}"
                    ));
                }
                // A command is "TAG NAME ..."; a SASL answer (one base64 word) is
                // not, and keeps the tag of the command it belongs to.
                if let Some((t, _)) = line.split_once(' ') {
                    tags.push(t.to_owned());
                }
                received.push(line);
            }
            Step::Sleep(d) => tokio::time::sleep(d).await,
            Step::ExpectSilence(d) => {
                if let Ok(read) = tokio::time::timeout(d, read.fill_buf()).await {
                    let early = read.map_err(|e| e.to_string())?;
                    if early.is_empty() {
                        return Err("the client closed the connection where it had \
                                            to wait for the server"
                            .to_owned());
                    }
                    return Err(format!(
                        "the client sent {:?} where it had to wait for the server",
                        String::from_utf8_lossy(early)
                    ));
                }
            }
            Step::Drip { text, every } => {
                for b in text.bytes() {
                    if write.write_all(&[b]).await.is_err() {
                        return Ok(received);
                    }
                    tokio::time::sleep(every).await;
                }
            }
            Step::Close => {
                let _ = write.shutdown().await;
                return Ok(received);
            }
            Step::Reset => {
                let sock = socket2::SockRef::from(write.as_ref());
                sock.set_linger(Some(Duration::ZERO))
                    .map_err(|e| e.to_string())?;
                drop(write);
                drop(read);
                return Ok(received);
            }
            Step::Notify(n) => n.notify_one(),
        }
    }
    // Keep the socket open until the client closes it, so a client that reads more
    // than the script sends sees a stall, not an EOF.
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), read.read_to_end(&mut sink)).await;
    Ok(received)
}

/// One command: its line plus any literals, literals shown as `{n}` followed by their data.
async fn read_command(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    write: &mut tokio::net::tcp::OwnedWriteHalf,
) -> Result<String, String> {
    let mut text = String::new();
    loop {
        let mut line = Vec::new();
        let n = tokio::time::timeout(Duration::from_secs(20), read.read_until(b'\n', &mut line))
            .await
            .map_err(|_| "client sent no command within 20 s".to_owned())?
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("client closed the connection (had {text:?})"));
        }
        let s = String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_owned();
        text.push_str(&s);
        let Some(open) = s.rfind('{') else {
            return Ok(text);
        };
        if !s.ends_with('}') {
            return Ok(text);
        }
        let spec = &s[open + 1..s.len() - 1];
        let (num, sync) = match spec.strip_suffix('+') {
            Some(n) => (n, false),
            None => (spec, true),
        };
        let Ok(size) = num.parse::<usize>() else {
            return Ok(text);
        };
        if sync {
            write
                .write_all(b"+ go ahead\r\n")
                .await
                .map_err(|e| e.to_string())?;
        }
        let mut data = vec![0; size];
        read.read_exact(&mut data)
            .await
            .map_err(|e| e.to_string())?;
        text.push_str(&String::from_utf8_lossy(&data));
    }
}
