//! The programs in `imap-async/examples/` run as a user would run them, against the
//! harness's Dovecot, with their settings in `IMAP_*` environment variables, and their
//! output checked: `fetch_unseen` lists exactly the unseen messages, `download_mailbox`
//! writes each message byte for byte and resumes, `sync`'s later runs report exactly the
//! changes made in between, `watch_folder` reports a message appended while it runs and
//! stops on Ctrl-C; and the demo's `--serve` mode prints settings the examples work with.
//!
//! The examples belong to another package, so `CARGO_BIN_EXE_*` does not name them: the
//! tests run `cargo build -p imap-async --examples --features serde --message-format=json`
//! once (a no-op when they are up to date) and take the paths cargo reports. A failed
//! build fails every test here.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use imap_async_tests::{Dovecot, ImapServer, TestUser};

/// Every variable the examples read; removed from each child's environment first, so that
/// a developer's own settings cannot leak into a test.
const SETTINGS: &[&str] = &[
    "IMAP_HOST",
    "IMAP_PORT",
    "IMAP_USER",
    "IMAP_ASYNC_PASSWORD",
    "IMAP_SECURITY",
    "IMAP_CA_FILE",
];

/// Longest wait for any one thing an example should print or do.
const WAIT: Duration = Duration::from_secs(60);

/// The example binaries by name, built once per test process.
fn examples() -> &'static HashMap<String, PathBuf> {
    static BINARIES: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    BINARIES.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .args([
                "build",
                "-p",
                "imap-async",
                "--examples",
                "--features",
                "serde",
                "--message-format=json",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run cargo build -p imap-async --examples");
        assert!(
            out.status.success(),
            "cargo build -p imap-async --examples --features serde failed ({}); its errors are above",
            out.status
        );
        let mut found = HashMap::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let is_example = message["target"]["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == "example"));
            if let (true, Some(name), Some(exe)) = (
                is_example,
                message["target"]["name"].as_str(),
                message["executable"].as_str(),
            ) {
                found.insert(name.to_owned(), PathBuf::from(exe));
            }
        }
        for name in ["fetch_unseen", "watch_folder", "download_mailbox", "sync"] {
            assert!(
                found.contains_key(name),
                "cargo did not report the example {name}; it reported {:?}",
                found.keys().collect::<Vec<_>>()
            );
        }
        found
    })
}

/// The example `name` with its settings for `user` on the shared Dovecot over STARTTLS,
/// verified against the harness's CA (the certificate names 127.0.0.1).
fn example(name: &str, server: &Dovecot, user: &TestUser) -> Command {
    let mut cmd = bare_example(name);
    cmd.env("IMAP_HOST", server.host())
        .env("IMAP_PORT", server.imap_port().to_string())
        .env("IMAP_SECURITY", "starttls")
        .env("IMAP_USER", &user.name)
        .env("IMAP_ASYNC_PASSWORD", &user.password)
        .env("IMAP_CA_FILE", server.ca_pem_path());
    cmd
}

/// The example `name` with none of the `IMAP_*` settings.
fn bare_example(name: &str) -> Command {
    let mut cmd = Command::new(&examples()[name]);
    for var in SETTINGS {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// Runs `cmd` to its end (within [`WAIT`]) and returns its output.
fn run(mut cmd: Command) -> Output {
    let mut child = Running::spawn(&mut cmd);
    let status = child.wait(WAIT);
    let mut stdout = Vec::new();
    while let Ok(line) = child.lines.try_recv() {
        stdout.extend_from_slice(line.as_bytes());
        stdout.push(b'\n');
    }
    let stderr = child.stderr();
    Output {
        status,
        stdout,
        stderr,
    }
}

/// Runs `cmd`, asserts it succeeded, and returns its standard output.
fn run_ok(cmd: Command) -> String {
    let out = run(cmd);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "the example failed ({}):\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A child process whose standard output is read line by line by a thread; killed if
/// dropped while still running, so that a failed assertion leaves nothing behind.
struct Running {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn spawn(cmd: &mut Command) -> Running {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (up to [`WAIT`]) for a line that satisfies `wanted` and returns it; the lines
    /// before it are kept for the failure message of a later wait.
    fn line_where(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "no {what} line within {WAIT:?}; printed so far: {:?}",
                        self.seen
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().ok();
                    let stderr = self.stderr();
                    panic!(
                        "the program ended ({status:?}) without a {what} line; printed: {:?}; stderr: {}",
                        self.seen,
                        String::from_utf8_lossy(&stderr)
                    )
                }
            }
        }
    }

    /// Waits up to `limit` for the process to end.
    fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the child") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the program did not end within {limit:?}; printed: {:?}",
                self.seen
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Its standard error, read after it ended.
    fn stderr(&mut self) -> Vec<u8> {
        let mut text = Vec::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            let _ = stderr.read_to_end(&mut text);
        }
        text
    }

    /// Sends SIGINT, what Ctrl-C in a terminal sends.
    fn interrupt(&self) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid fits pid_t");
        // SAFETY: kill(2) with a valid signal number on our own child's pid.
        let rc = unsafe { libc::kill(pid, libc::SIGINT) };
        assert_eq!(rc, 0, "kill(SIGINT): {}", std::io::Error::last_os_error());
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn message(subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Alice Martin <alice@example.org>\r\nTo: bob@example.org\r\n\
         Subject: {subject}\r\nDate: Mon, 03 Mar 2025 09:17:00 +0100\r\n\
         Message-ID: <{}@example.org>\r\n\r\n{body}\r\n",
        subject.replace(' ', "-")
    )
    .into_bytes()
}

/// A fresh directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("imap-async-examples-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn fetch_unseen_prints_exactly_the_unseen_messages() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let s = server as &dyn ImapServer;
    s.append_message_with_flags(&user.name, "INBOX", &[], &message("First unseen", "a"));
    s.append_message_with_flags(
        &user.name,
        "INBOX",
        &["\\Seen"],
        &message("Already read", "b"),
    );
    s.append_message_with_flags(
        &user.name,
        "INBOX",
        &["\\Flagged"],
        &message("Second unseen", "c"),
    );

    let expected = "2 unseen in INBOX\n\
        1 | Mon, 03 Mar 2025 09:17:00 +0100 | Alice Martin <alice@example.org> | First unseen\n\
        3 | Mon, 03 Mar 2025 09:17:00 +0100 | Alice Martin <alice@example.org> | Second unseen\n";
    assert_eq!(run_ok(example("fetch_unseen", server, &user)), expected);
    // Reading envelopes marks nothing as seen: a second run lists the same messages.
    assert_eq!(run_ok(example("fetch_unseen", server, &user)), expected);

    // Another folder, given as the argument.
    s.append_message_with_flags(&user.name, "Archive", &[], &message("Archived", "d"));
    let mut cmd = example("fetch_unseen", server, &user);
    cmd.arg("Archive");
    let out = run_ok(cmd);
    assert!(out.starts_with("1 unseen in Archive\n1 | "), "{out}");
    assert!(out.ends_with(" | Archived\n"), "{out}");
}

#[test]
fn download_mailbox_writes_each_message_byte_for_byte_and_resumes() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let folder = "Downloads";
    // One message well above the 64 KiB chunk `fetch_body_to` writes at a time.
    let big_body: String = (0..6000)
        .map(|i| format!("line {i:05} of the large message, padded to a fixed width...\r\n"))
        .collect();
    let mut messages = vec![
        message("small", "hello"),
        message("large", &big_body),
        message("third", "x"),
    ];
    assert!(messages[1].len() > 300_000);
    for m in &messages {
        server.append_message(&user.name, folder, m);
    }
    let dir = TempDir::new("download");

    let mut cmd = example("download_mailbox", server, &user);
    cmd.arg(&dir.0).arg(folder);
    let out = run_ok(cmd);
    let total: usize = messages.iter().map(Vec::len).sum();
    let expected: String = messages
        .iter()
        .enumerate()
        .map(|(i, m)| format!("{}.eml {}\n", i + 1, m.len()))
        .chain([format!(
            "{folder}: 3 written ({total} bytes), 0 already there, in {}\n",
            dir.0.display()
        )])
        .collect();
    assert_eq!(out, expected);
    check_files(&dir.0, &messages);

    // A second run after one more message arrived fetches only that one.
    messages.push(message("fourth", "arrived later"));
    server.append_message(&user.name, folder, &messages[3]);
    let mut cmd = example("download_mailbox", server, &user);
    cmd.arg(&dir.0).arg(folder);
    let out = run_ok(cmd);
    assert_eq!(
        out,
        format!(
            "4.eml {}\n{folder}: 1 written ({} bytes), 3 already there, in {}\n",
            messages[3].len(),
            messages[3].len(),
            dir.0.display()
        )
    );
    check_files(&dir.0, &messages);
}

/// `dir` holds exactly `UID.eml` for each message (UIDs from 1), with its bytes, and the
/// UIDVALIDITY record; no partial file is left.
fn check_files(dir: &Path, messages: &[Vec<u8>]) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = (1..=messages.len()).map(|i| format!("{i}.eml")).collect();
    expected.push("UIDVALIDITY".into());
    expected.sort();
    assert_eq!(names, expected);
    for (i, m) in messages.iter().enumerate() {
        let saved = std::fs::read(dir.join(format!("{}.eml", i + 1))).unwrap();
        assert!(
            saved == *m,
            "{}.eml differs from the message appended",
            i + 1
        );
    }
}

#[test]
fn sync_reports_exactly_the_changes_made_between_two_runs() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let s = server as &dyn ImapServer;
    let folder = "Mirror";
    s.fill(
        &user.name,
        folder,
        (1..=5).map(|i| message(&format!("message {i}"), "body")),
    );
    let dir = TempDir::new("sync");
    let state = dir.0.join("state.json");
    let sync = |folder_arg: bool| {
        let mut cmd = example("sync", server, &user);
        cmd.arg(&state);
        if folder_arg {
            cmd.arg(folder);
        }
        run_ok(cmd)
    };

    let first = sync(true);
    let mut lines = first.lines();
    assert_eq!(lines.next(), Some("first run: Mirror has 5 messages"));
    let saved = lines.next().unwrap();
    assert!(
        saved.starts_with("saved: Mirror UIDVALIDITY ")
            && saved.ends_with(", 5 messages known (first run)"),
        "{first}"
    );
    assert_eq!(lines.next(), None, "{first}");

    // Another client flags message 2, expunges 4 and appends one.
    s.add_flags(&user.name, folder, "2", &["\\Flagged"]);
    s.expunge(&user.name, folder, "4");
    s.append_message(&user.name, folder, &message("Brand new", "fresh"));

    // The folder comes from the state file now.
    let second = sync(false);
    let lines: Vec<&str> = second.lines().collect();
    assert_eq!(lines.len(), 4, "{second}");
    assert_eq!(lines[0], "new: 6 | Brand new");
    // All the message's flags: \Recent too where the server still reports it (nothing
    // has SELECTed the folder read-write before this run).
    let flags = lines[1]
        .strip_prefix("flags: 2 ")
        .unwrap_or_else(|| panic!("{second}"));
    let flags: Vec<&str> = flags.split(' ').filter(|f| *f != "\\Recent").collect();
    assert_eq!(flags, ["\\Flagged"], "{second}");
    assert_eq!(lines[2], "vanished: 4");
    assert!(
        lines[3].starts_with("saved: Mirror UIDVALIDITY ")
            && lines[3].ends_with(", 5 messages known (QRESYNC)"),
        "{second}"
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved["folder"], "Mirror");
    assert_eq!(saved["state"]["known_uids"], "1:3,5:6");

    // Nothing changed since.
    let third = sync(false);
    let lines: Vec<&str> = third.lines().collect();
    assert_eq!(lines.len(), 2, "{third}");
    assert_eq!(lines[0], "no changes");
    assert_eq!(lines[1], second.lines().last().unwrap());

    // The state of one folder is not applied to another.
    let mut cmd = example("sync", server, &user);
    cmd.arg(&state).arg("INBOX");
    let out = run(cmd);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("holds the state of \"Mirror\", not \"INBOX\""),
        "{err}"
    );
}

#[test]
fn watch_folder_prints_a_new_event_for_a_message_appended_while_it_runs() {
    let server = Dovecot::shared();
    let user = server.new_user();
    server.append_message(&user.name, "INBOX", &message("before", "x"));
    let mut cmd = example("watch_folder", server, &user);
    // `--for-secs` only bounds the run if the event never comes.
    cmd.args(["--count", "1", "--for-secs", "120"]);
    let mut watcher = Running::spawn(&mut cmd);
    let started = watcher.line_where("started", |l| l.starts_with("started:"));
    assert!(
        started.starts_with("started: INBOX has 1 messages (UIDVALIDITY "),
        "{started}"
    );

    server.append_message(&user.name, "INBOX", &message("during", "y"));
    let new = watcher.line_where("new", |l| l.starts_with("new:"));
    assert_eq!(new, "new: 2");
    // `--count 1`: it stops by itself after that change, cleanly.
    let status = watcher.wait(WAIT);
    assert!(
        status.success(),
        "{status}; stderr: {}",
        String::from_utf8_lossy(&watcher.stderr())
    );
}

#[test]
fn watch_folder_stops_on_ctrl_c() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let mut watcher = Running::spawn(&mut example("watch_folder", server, &user));
    watcher.line_where("started", |l| {
        l.starts_with("started: INBOX has 0 messages")
    });
    watcher.interrupt();
    let status = watcher.wait(WAIT);
    assert!(
        status.success(),
        "{status}; stderr: {}",
        String::from_utf8_lossy(&watcher.stderr())
    );
    // It logged out on the way (Watch::close), as a well-behaved client does.
    assert_eq!((server as &dyn ImapServer).logouts(&user.name, 1), 1);
}

#[test]
fn a_missing_or_wrong_setting_is_named() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let cases: [(&str, Command); 4] = [
        ("IMAP_HOST", bare_example("fetch_unseen")),
        ("IMAP_ASYNC_PASSWORD", {
            let mut cmd = example("fetch_unseen", server, &user);
            cmd.env_remove("IMAP_ASYNC_PASSWORD");
            cmd
        }),
        ("IMAP_SECURITY is \"ssl\"", {
            let mut cmd = example("watch_folder", server, &user);
            cmd.env("IMAP_SECURITY", "ssl");
            cmd
        }),
        ("IMAP_PORT is \"99999\"", {
            let mut cmd = example("download_mailbox", server, &user);
            cmd.env("IMAP_PORT", "99999").arg(std::env::temp_dir());
            cmd
        }),
    ];
    for (named, cmd) in cases {
        let out = run(cmd);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{named}: {err}");
        assert!(err.contains(named), "the error should name {named}: {err}");
        assert!(out.stdout.is_empty(), "{named}");
    }

    // A wrong password is the server's refusal, reported without a panic.
    let mut cmd = example("fetch_unseen", server, &user);
    cmd.env("IMAP_ASYNC_PASSWORD", "not-the-password");
    let out = run(cmd);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("fetch_unseen: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn the_examples_work_against_the_demo_server() {
    let mut demo = Command::new(env!("CARGO_BIN_EXE_demo"));
    demo.arg("--serve").stdin(Stdio::null());
    for var in SETTINGS {
        demo.env_remove(var);
    }
    let mut demo = Running::spawn(&mut demo);
    let mut settings = HashMap::new();
    while settings.len() < SETTINGS.len() {
        let line = demo.line_where("export IMAP_*", |l| l.starts_with("export IMAP_"));
        let (name, value) = line["export ".len()..].split_once('=').unwrap();
        settings.insert(name.to_owned(), value.trim_matches('\'').to_owned());
    }
    demo.line_where("Serving until Ctrl-C.", |l| l == "Serving until Ctrl-C.");
    assert_eq!(settings["IMAP_SECURITY"], "starttls");

    let mut cmd = bare_example("fetch_unseen");
    cmd.envs(&settings);
    let out = run_ok(cmd);
    let count: usize = out
        .lines()
        .next()
        .and_then(|l| l.strip_suffix(" unseen in INBOX"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(count > 0, "the demo account has unseen mail: {out}");
    assert_eq!(out.lines().count(), 1 + count);

    demo.interrupt();
    let status = demo.wait(WAIT);
    assert!(status.success(), "{status}");
    // The server went with it, and its files (the CA among them).
    let ca_file = Path::new(&settings["IMAP_CA_FILE"]);
    assert!(!ca_file.exists(), "{} is left behind", ca_file.display());
}
