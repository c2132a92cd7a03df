//! The server process both harnesses run: Dovecot's `dovecot -F` and Cyrus's `master`,
//! with the log its output goes to. Starting it is each harness's own business; stopping
//! it, reading its log and waiting for its first greeting are the same for both.

use std::fs;
use std::io;
use std::path::PathBuf;
use std::process::{Child, ExitStatus};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use crate::server::{START_ATTEMPTS, START_TIMEOUT, StartError, greets, tail, terminate};

impl From<StartError> for io::Error {
    fn from(e: StartError) -> io::Error {
        match e {
            StartError::PortInUse(e) | StartError::Other(e) => e,
        }
    }
}

/// Runs `attempt` until it starts a server, at most [`START_ATTEMPTS`] times: another
/// process may take one of the free ports between the harness's probe and the server's
/// bind, and fresh ports almost surely work. Any other failure is returned at once.
pub(crate) fn start_with_retries<T>(
    name: &str,
    mut attempt: impl FnMut() -> Result<T, StartError>,
) -> io::Result<T> {
    let mut last_error = None;
    for _ in 0..START_ATTEMPTS {
        match attempt() {
            Ok(server) => return Ok(server),
            Err(StartError::PortInUse(e)) => last_error = Some(e),
            Err(StartError::Other(e)) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other(format!("{name} did not start"))))
}

pub(crate) struct MasterProcess {
    /// The server's name in errors: "dovecot", "cyrus".
    name: &'static str,
    log_path: PathBuf,
    /// `None` once stopped.
    child: Mutex<Option<Child>>,
}

impl MasterProcess {
    pub(crate) fn new(name: &'static str, log_path: PathBuf, child: Child) -> MasterProcess {
        MasterProcess {
            name,
            log_path,
            child: Mutex::new(Some(child)),
        }
    }

    /// What the server wrote to its log so far.
    pub(crate) fn log_text(&self) -> String {
        fs::read(&self.log_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// Stops the process and its children. Idempotent.
    pub(crate) fn stop(&self) {
        let child = self.child.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(child) = child {
            terminate(child);
        }
    }

    /// Takes over a newly started process (after [`MasterProcess::stop`], to restart).
    pub(crate) fn replace(&self, child: Child) {
        let old = self
            .child
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(child);
        if let Some(old) = old {
            terminate(old);
        }
    }

    fn exit_status(&self) -> io::Result<Option<ExitStatus>> {
        let mut guard = self.child.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_mut() {
            Some(child) => child.try_wait(),
            None => Err(io::Error::other(format!("{} was stopped", self.name))),
        }
    }

    /// Waits (up to [`START_TIMEOUT`]) until `port` greets, failing at once if the
    /// process exits; `exited` turns its exit status and log into the error, which tells
    /// whether another attempt on other ports is worth it.
    pub(crate) fn wait_until_greets(
        &self,
        port: u16,
        exited: impl Fn(ExitStatus, &str) -> StartError,
    ) -> Result<(), StartError> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.exit_status()? {
                return Err(exited(status, &self.log_text()));
            }
            if greets(port) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(StartError::Other(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "{} did not greet on port {port} within {START_TIMEOUT:?}; log tail:\n{}",
                        self.name,
                        tail(&self.log_text(), 40)
                    ),
                )));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}
