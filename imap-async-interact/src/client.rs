//! The `c` object: the session it drives and how a call runs on it (see `shell.rs` for the
//! threading design).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use imap_async::Session;

use crate::common::{Res, err};

/// What every copy of `c` shares.
pub struct Ctx {
    pub rt: tokio::runtime::Runtime,
    pub session: Mutex<Option<Session>>,
    pub interrupted: Arc<AtomicBool>,
    /// NOOP interval while waiting at the prompt; `None` turns the keep-alive off.
    pub keepalive: Option<Duration>,
    /// The protocol trace's switch (`--trace`, `c.trace(on)`).
    pub trace: Arc<AtomicBool>,
}

/// The session while the line editor waits: a task keeping it alive, and how to stop it.
pub struct Parked {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Session>,
    /// How long handing the session back may take (a NOOP being sent finishes first).
    bound: Duration,
}

/// What [`Ctx::logout`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum LogoutOutcome {
    LoggedOut,
    /// The server had already closed the connection: nothing to log out from.
    AlreadyClosed,
    /// No session (logged out before).
    NoSession,
}

/// The one line the shell prints when it finds the connection gone.
pub fn connection_lost_line(why: &imap_async::Error) -> String {
    match why {
        imap_async::Error::Bye { text, .. } => {
            format!("server closed the connection: {text} (reconnecting)")
        }
        imap_async::Error::ConnectionClosed {
            bye: Some(text), ..
        } => {
            format!("server closed the connection: {text} (reconnecting)")
        }
        imap_async::Error::ConnectionClosed { .. } => {
            "server closed the connection (reconnecting)".to_owned()
        }
        imap_async::Error::Unusable(reason) if reason == "the server closed the connection" => {
            "server closed the connection (reconnecting)".to_owned()
        }
        imap_async::Error::Unusable(reason) => format!("connection lost: {reason} (reconnecting)"),
        other => format!("connection lost: {other} (reconnecting)"),
    }
}

/// Errors that mean the connection is gone (as opposed to a refusal by the server).
fn connection_lost(e: &imap_async::Error) -> bool {
    e.is_connection_lost()
}

impl Ctx {
    /// Builds the runtime and starts the Ctrl-C listener.
    pub fn new(keepalive: Option<Duration>, trace: Arc<AtomicBool>) -> std::io::Result<Arc<Ctx>> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let interrupted = Arc::new(AtomicBool::new(false));
        let flag = interrupted.clone();
        rt.spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                flag.store(true, Ordering::SeqCst);
            }
        });
        Ok(Arc::new(Ctx {
            rt,
            session: Mutex::new(None),
            interrupted,
            keepalive,
            trace,
        }))
    }

    /// Hand the session to a task that keeps it alive until [`Ctx::unpark`]; `None` when
    /// the keep-alive is off or there is no session.
    pub fn park(&self) -> Option<Parked> {
        let interval = self.keepalive?;
        let mut session = self
            .session
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()?;
        let bound = session
            .connect_options()
            .map_or(Duration::from_secs(60), |o| o.command_timeout)
            + Duration::from_secs(5);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = self.rt.spawn(async move {
            // The only error is a zero interval, which the flag parser rules out; a lost
            // connection is reported by the next command.
            let _ = session.keep_alive_while(interval, stopped).await;
            session
        });
        Some(Parked { stop, task, bound })
    }

    /// Take the session back from the keep-alive task.
    pub fn unpark(&self, parked: Option<Parked>) {
        let Some(Parked { stop, task, bound }) = parked else {
            return;
        };
        let _ = stop.send(());
        let back = self.rt.block_on(async {
            let abort = task.abort_handle();
            match tokio::time::timeout(bound, task).await {
                Ok(r) => r.map_err(|e| e.to_string()),
                Err(_) => {
                    abort.abort();
                    Err(format!("the keep-alive did not stop within {bound:?}"))
                }
            }
        });
        match back {
            Ok(session) => {
                *self.session.lock().unwrap_or_else(|p| p.into_inner()) = Some(session);
            }
            Err(e) => eprintln!("error: the session was lost: {e}"),
        }
    }

    /// When the connection is known to be gone, say so in one line and connect again
    /// (the folder is selected again); Ctrl-C abandons the attempt.
    pub fn revive(&self, session: &mut Session) -> Res<()> {
        let Some(why) = session.connection_error() else {
            return Ok(());
        };
        eprintln!("{}", connection_lost_line(&why));
        self.rt.block_on(async {
            tokio::select! {
                r = session.reconnect() => r
                    .map(drop)
                    .map_err(|e| err(format!("reconnecting failed: {e}"))),
                () = interrupt(&self.interrupted) => Err(err("interrupted")),
            }
        })
    }

    pub fn was_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    pub fn clear_interrupt(&self) {
        self.interrupted.store(false, Ordering::SeqCst);
    }

    /// Logs out if still connected (Ctrl-D, end of script). A connection the server has
    /// already closed is not an error: there is nothing left to log out from.
    pub fn logout(&self) -> Result<LogoutOutcome, String> {
        let session = self
            .session
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let Some(s) = session else {
            return Ok(LogoutOutcome::NoSession);
        };
        if !s.is_connected() {
            return Ok(LogoutOutcome::AlreadyClosed);
        }
        match self.rt.block_on(s.logout()) {
            Ok(()) => Ok(LogoutOutcome::LoggedOut),
            Err(e) if connection_lost(&e) => Ok(LogoutOutcome::AlreadyClosed),
            Err(e) => Err(e.to_string()),
        }
    }
}

pub async fn interrupt(flag: &AtomicBool) {
    while !flag.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `c` object.
#[derive(Clone)]
pub struct Client(pub Arc<Ctx>);

impl Client {
    /// Runs one library call on the session, abandoning it on Ctrl-C.
    pub fn run<T>(&self, f: impl AsyncFnOnce(&mut Session) -> imap_async::Result<T>) -> Res<T> {
        let ctx = &*self.0;
        let mut guard = ctx.session.lock().unwrap_or_else(|p| p.into_inner());
        let session = guard
            .as_mut()
            .ok_or_else(|| err("not connected: the session has logged out"))?;
        if ctx.was_interrupted() {
            return Err(err("interrupted"));
        }
        ctx.revive(session)?;
        ctx.rt.block_on(async {
            tokio::select! {
                r = f(session) => r.map_err(|e| err(e.to_string())),
                () = interrupt(&ctx.interrupted) => Err(err("interrupted")),
            }
        })
    }
}
