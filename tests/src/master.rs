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

use crate::server::{
    START_ATTEMPTS, START_TIMEOUT, StartError, connect_loopback, greets, tail, terminate,
};

impl From<StartError> for io::Error {
    fn from(e: StartError) -> io::Error {
        match e {
            StartError::Retry(e) | StartError::Other(e) => e,
        }
    }
}

/// Runs `attempt` until it starts a server, at most [`START_ATTEMPTS`] times: another
/// process may take one of the free ports between the harness's probe and the server's
/// bind, or a server may stay silent, and a fresh attempt almost surely works. Any other
/// failure is returned at once. When every attempt fails, the error tells each one.
pub(crate) fn start_with_retries<T>(
    name: &str,
    mut attempt: impl FnMut() -> Result<T, StartError>,
) -> io::Result<T> {
    let mut failures = Vec::new();
    for n in 1..=START_ATTEMPTS {
        match attempt() {
            Ok(server) => {
                if !failures.is_empty() {
                    eprintln!(
                        "{name} started at attempt {n}; the earlier ones failed:\n{}",
                        failures.join("\n")
                    );
                }
                return Ok(server);
            }
            Err(StartError::Retry(e)) => failures.push(format!("attempt {n}: {e}")),
            Err(StartError::Other(e)) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "{name} did not start in {START_ATTEMPTS} attempts:\n{}",
        failures.join("\n")
    )))
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

    /// The processes of the server's process group, one line each: pid, state, what it
    /// waits in (the kernel's wchan) and its command line. Tells where a silent server
    /// is stuck, since neither server logs its start-up to the file the harness reads.
    fn describe_processes(&self) -> String {
        let guard = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let Some(group) = guard.as_ref().map(|child| child.id()) else {
            return "  (stopped)".to_owned();
        };
        drop(guard);
        let mut lines = Vec::new();
        let Ok(entries) = fs::read_dir("/proc") else {
            return "  (no /proc)".to_owned();
        };
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // After the command name in parentheses: state, ppid, pgrp, ...
            let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                continue;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            if fields.get(2).and_then(|g| g.parse::<u32>().ok()) != Some(group) {
                continue;
            }
            let wchan = fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
            let cmdline = fs::read(format!("/proc/{pid}/cmdline"))
                .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
                .unwrap_or_default();
            lines.push(format!(
                "  {pid} {} wchan={} {}",
                fields.first().unwrap_or(&"?"),
                if wchan.is_empty() { "?" } else { wchan.trim() },
                cmdline.trim()
            ));
        }
        if lines.is_empty() {
            "  (none)".to_owned()
        } else {
            lines.join("\n")
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
        self.wait_until_greets_within(port, START_TIMEOUT, exited)
    }

    fn wait_until_greets_within(
        &self,
        port: u16,
        within: Duration,
        exited: impl Fn(ExitStatus, &str) -> StartError,
    ) -> Result<(), StartError> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.exit_status()? {
                return Err(exited(status, &self.log_text()));
            }
            if greets(port) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(StartError::Retry(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "{} did not greet on port {port} within {within:?} (the port {}); \
                         its processes:\n{}\nlog tail:\n{}",
                        self.name,
                        if connect_loopback(port).is_ok() {
                            "accepts connections"
                        } else {
                            "refuses connections"
                        },
                        self.describe_processes(),
                        tail(&self.log_text(), 40)
                    ),
                )));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, TcpListener};
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};

    use super::*;

    /// A server that listens but never greets fails its start with a retryable error
    /// that says the port accepts connections and names the process it found waiting.
    #[test]
    fn a_silent_server_is_retried_and_described() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let dir = std::env::temp_dir().join(format!("master-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let log_path = dir.join("log");
        fs::write(&log_path, "starting\n").unwrap();
        let child = Command::new("sleep")
            .arg("37")
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let master = MasterProcess::new("silent", log_path, child);
        let result = master.wait_until_greets_within(port, Duration::from_millis(300), |_, _| {
            StartError::Other(io::Error::other("exited"))
        });
        master.stop();
        let _ = fs::remove_dir_all(&dir);
        let Err(StartError::Retry(e)) = result else {
            panic!("a silent server must give a retryable error");
        };
        let text = e.to_string();
        assert!(
            text.contains(&format!("did not greet on port {port}")),
            "{text}"
        );
        assert!(text.contains("accepts connections"), "{text}");
        assert!(text.contains("sleep 37"), "{text}");
        assert!(text.contains("starting"), "{text}");
        drop(listener);
    }

    /// Every failed attempt is told when none succeeds; a non-retryable one ends at once.
    #[test]
    fn retries_tell_every_attempt_and_stop_at_a_hard_failure() {
        let mut n = 0;
        let e = start_with_retries::<()>("test", || {
            n += 1;
            Err(StartError::Retry(io::Error::other(format!("silent {n}"))))
        })
        .unwrap_err()
        .to_string();
        assert_eq!(n, START_ATTEMPTS);
        for k in 1..=START_ATTEMPTS {
            assert!(e.contains(&format!("attempt {k}: silent {k}")), "{e}");
        }
        let mut calls = 0;
        let e = start_with_retries::<()>("test", || {
            calls += 1;
            Err(StartError::Other(io::Error::other("bad config")))
        })
        .unwrap_err();
        assert_eq!(calls, 1);
        assert_eq!(e.to_string(), "bad config");
    }
}
