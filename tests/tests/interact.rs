//! The real `imap-async-interact` binary against the harness's servers: interactively under
//! a pseudo-terminal (rexpect) on Dovecot, and non-interactively with `-c` and a script on
//! stdin on Dovecot and on Cyrus.
//!
//! The shell is another package's binary, so `CARGO_BIN_EXE_*` does not name it: the tests
//! run `cargo build -p imap-async-interact --message-format=json` once (a no-op when it is
//! up to date, as after `cargo test --workspace`) and take the path cargo reports.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use imap_async::{ConnectOptions, Session};
use imap_async_tests::proxy::DropAfterIdle;
use imap_async_tests::{Dovecot, ImapServer, TestUser, on_both_servers};
use rexpect::process::wait::WaitStatus;
use rexpect::session::{Options, PtySession, spawn_with_options};

fn shell_binary() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .args([
                "build",
                "-p",
                "imap-async-interact",
                "--message-format=json",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run cargo build -p imap-async-interact");
        assert!(
            out.status.success(),
            "cargo build -p imap-async-interact failed"
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let key = "\"executable\":\"";
        text.lines()
            .filter(|l| l.contains("imap-async-interact"))
            .find_map(|l| {
                let start = l.find(key)? + key.len();
                let end = start + l[start..].find('"')?;
                Some(PathBuf::from(&l[start..end]))
            })
            .expect("cargo reports the imap-async-interact executable")
    })
}

fn subject(i: usize) -> String {
    format!("Shell test message {i}")
}

/// A user with three messages in INBOX.
fn user_with_mail(server: &dyn ImapServer) -> TestUser {
    let user = server.new_user();
    for i in 1..=3 {
        let msg = format!(
            "From: Sender {i} <s{i}@example.org>\r\nTo: {}@example.org\r\n\
             Subject: {}\r\n\r\nBody {i}.\r\n",
            user.name,
            subject(i)
        );
        server.append_message(&user.name, "INBOX", msg.as_bytes());
    }
    user
}

/// The connection flags, STARTTLS verified against the harness's CA.
fn connect_args(server: &dyn ImapServer, user: &TestUser) -> Vec<String> {
    vec![
        "-H".into(),
        server.host().into(),
        "-P".into(),
        server.imap_port().to_string(),
        "--starttls".into(),
        "--ca-file".into(),
        server.ca_pem_path().display().to_string(),
        "--tls-server-name".into(),
        "localhost".into(),
        "--timeout".into(),
        "20".into(),
        "-u".into(),
        user.name.clone(),
    ]
}

fn library_session(server: &Dovecot, user: &TestUser) -> ConnectOptions {
    ConnectOptions::new(server.host())
        .port(server.imap_port())
        .plaintext()
        .login(&user.name, user.password.as_str())
}

fn subject_message(subject: &str) -> Vec<u8> {
    format!("From: a@example.org\r\nSubject: {subject}\r\n\r\nbody\r\n").into_bytes()
}

fn expect(p: &mut PtySession, needle: &str) -> String {
    p.exp_string(needle)
        .unwrap_or_else(|e| panic!("waiting for {needle:?}: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn interactive_session_under_a_pty() {
    let server = Dovecot::shared();
    let user = user_with_mail(server);
    // What the library itself says, to compare the shell's output with.
    let mut s = Session::connect(&library_session(server, &user))
        .await
        .unwrap();
    s.select_folder("INBOX").await.unwrap();
    let unseen = s.search("UNSEEN").await.unwrap();
    s.logout().await.unwrap();
    let expected_ids = format!(
        "[{}]",
        unseen
            .iter()
            .unwrap()
            .map(|u| u.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );

    let home = std::env::temp_dir().join(format!("interact-home-{}", user.name));
    std::fs::create_dir_all(&home).unwrap();
    // The pty starts with echo off (rexpect); turn it on so that a password that were
    // echoed would show.
    // The shell reaches Dovecot through a proxy that passes the server's bytes on at 4 MB/s:
    // the 30 MB fetch below then takes seconds, so the Ctrl-C sent after its first message
    // always lands while it is still arriving, however fast the machine (and the rest of
    // what the test does is small enough not to notice).
    let proxy = DropAfterIdle::start_throttled(server.host(), server.imap_port(), 4_000_000)
        .await
        .unwrap();
    let mut args = connect_args(server, &user);
    let port = args.iter().position(|a| a == "-P").unwrap() + 1;
    args[port] = proxy.port().to_string();
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("stty echo && exec \"$0\" \"$@\"")
        .arg(shell_binary())
        .args(args)
        .env("HOME", &home)
        .env("TERM", "xterm");
    let mut p = spawn_with_options(
        cmd,
        Options {
            timeout_ms: Some(30_000),
            strip_ansi_escape_codes: true,
        },
    )
    .unwrap();

    expect(&mut p, "Password: ");
    p.send_line(user.password.as_str()).unwrap();
    let before = expect(&mut p, "Connected.");
    assert!(before.contains("Connecting..."), "{before:?}");
    assert!(
        !before.contains(user.password.as_str()),
        "the password was echoed: {before:?}"
    );
    let banner = expect(&mut p, ">>> ");
    assert!(banner.contains("session is \"c\""), "{banner:?}");

    // Tab completion: a method name after `c.`, then a folder name inside the string.
    p.send("c.select_fo").unwrap();
    p.send("\t").unwrap();
    p.flush().unwrap();
    expect(&mut p, "select_folder(");
    p.send("\"IN").unwrap();
    p.send("\t").unwrap();
    p.flush().unwrap();
    expect(&mut p, "\"INBOX");
    p.send("\")\r").unwrap();
    p.flush().unwrap();
    let out = expect(&mut p, ">>> ");
    assert!(out.contains("{\"EXISTS\": 3,"), "{out:?}");
    assert!(out.contains("\"READ-WRITE\": True"), "{out:?}");
    assert!(
        out.contains("(\"\\\\Answered\","),
        "flags print as a tuple: {out:?}"
    );

    p.send_line("let ids = c.search([\"UNSEEN\"])").unwrap();
    expect(&mut p, ">>> ");
    p.send_line("ids").unwrap();
    let out = expect(&mut p, ">>> ");
    assert!(out.contains(&expected_ids), "{out:?} lacks {expected_ids}");

    p.send_line("c.fetch(ids, [\"ENVELOPE\", \"FLAGS\"])")
        .unwrap();
    let out = expect(&mut p, ">>> ");
    for i in 1..=3 {
        assert!(
            out.contains(&format!("\"subject\": \"{}\"", subject(i))),
            "{out:?}"
        );
    }
    assert!(out.contains("\"mailbox\": \"s2\""), "{out:?}");

    // A server error is shown and the shell goes on.
    p.send_line("c.select_folder(\"No such folder\")").unwrap();
    let out = expect(&mut p, ">>> ");
    assert!(out.contains("error:"), "{out:?}");

    p.send_line("help(\"fetch\")").unwrap();
    let out = expect(&mut p, ">>> ");
    assert!(out.contains("c.fetch(ids, items)"), "{out:?}");

    // Ctrl-C ends a long-running command (IDLE) and the session is still usable.
    p.send_line("c.select_folder(\"INBOX\"); c.idle()").unwrap();
    expect(&mut p, "Idling; Ctrl-C stops.");
    p.send_control('c').unwrap();
    expect(&mut p, ">>> ");
    p.send_line("c.folder_status(\"INBOX\")").unwrap();
    let out = expect(&mut p, ">>> ");
    assert!(out.contains("\"MESSAGES\": 3"), "{out:?}");

    // Ctrl-C during a long fetch: the fetch stops, the prompt comes back, and the session
    // still answers.
    {
        let mut other = Session::connect(&library_session(server, &user))
            .await
            .unwrap();
        other.create_folder("Big").await.unwrap();
        let body = "x".repeat(20_000);
        let msgs: Vec<imap_async::AppendMessage> = (0..1500)
            .map(|i| {
                imap_async::AppendMessage::new(
                    format!("Subject: big {i}\r\n\r\n{body}\r\n").into_bytes(),
                )
            })
            .collect();
        for chunk in msgs.chunks(300) {
            other.multiappend("Big", chunk).await.unwrap();
        }
        other.logout().await.unwrap();
    }
    p.send_line("c.examine_folder(\"Big\"); c.fetch_stream(\"1:*\", [\"BODY.PEEK[]\"])")
        .unwrap();
    expect(&mut p, "{\"SEQ\": 1");
    p.send_control('c').unwrap();
    let out = expect(&mut p, ">>> ");
    assert!(out.contains("interrupted"), "{out:?}");
    assert!(
        !out.contains("{\"SEQ\": 1500"),
        "the fetch ran to its end: Ctrl-C came too late to show anything"
    );
    p.send_line("c.select_folder(\"INBOX\")[\"EXISTS\"]")
        .unwrap();
    let out = expect(&mut p, ">>> ");
    assert!(
        out.contains('3'),
        "the session is usable after Ctrl-C: {out:?}"
    );

    // The protocol trace, switched on and off at the prompt.
    p.send_line("c.trace(true)").unwrap();
    expect(&mut p, "Protocol trace on");
    expect(&mut p, ">>> ");
    p.send_line("c.noop()").unwrap();
    let out = expect(&mut p, ">>> ");
    assert!(out.contains("C: ") && out.contains(" NOOP"), "{out:?}");
    assert!(out.contains("S: ") && out.contains("OK"), "{out:?}");
    p.send_line("c.trace(false)").unwrap();
    expect(&mut p, "Protocol trace off");
    expect(&mut p, ">>> ");
    p.send_line("c.noop()").unwrap();
    let out = expect(&mut p, ">>> ");
    assert!(!out.contains("C: "), "the trace is off: {out:?}");

    // The whole account, on a second connection, until Ctrl-C: a folder made and filled
    // from elsewhere shows up named.
    p.send_line("c.watch_account()").unwrap();
    expect(&mut p, "Watching the account; Ctrl-C stops.");
    expect(&mut p, "started: Notify");
    let mut other = Session::connect(&library_session(server, &user))
        .await
        .unwrap();
    other.create_folder("Watched").await.unwrap();
    expect(&mut p, "folder created: \"Watched\"");
    other
        .append(
            "Watched",
            subject_message("watched"),
            imap_async::Flag::NONE,
            None,
        )
        .await
        .unwrap();
    expect(&mut p, "new in \"Watched\": UIDs 1");
    other.logout().await.unwrap();
    p.send_control('c').unwrap();
    expect(&mut p, ">>> ");
    p.send_line("c.selected_folder()").unwrap();
    let out = expect(&mut p, ">>> ");
    assert!(
        out.contains("INBOX"),
        "the shell's own session is as it was: {out:?}"
    );

    // Ctrl-D logs out and exits.
    p.send_control('d').unwrap();
    expect(&mut p, "Logged out.");
    p.exp_eof().unwrap();
    match p.process.wait().unwrap() {
        WaitStatus::Exited(_, 0) => {}
        other => panic!("shell ended with {other:?}"),
    }
    assert!(
        server.session_log_lines(&user.name, "Logged out", 1) > 0,
        "Dovecot did not log a LOGOUT for {}",
        user.name
    );
    let history = std::fs::read_to_string(home.join(".imap_async_history")).unwrap();
    assert!(
        history.contains("c.select_folder(\"INBOX\")"),
        "{history:?}"
    );
    let _ = std::fs::remove_dir_all(&home);
}

fn run(args: &[String], stdin: Option<&str>) -> Output {
    let mut child = Command::new(shell_binary())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn with_password(server: &dyn ImapServer, user: &TestUser, more: &[&str]) -> Vec<String> {
    let mut args = connect_args(server, user);
    args.extend(["-p".into(), user.password.as_str().into()]);
    args.extend(more.iter().map(|s| s.to_string()));
    args
}

fn command_flag_prints_the_result_and_exit_code_tells_errors(server: &dyn ImapServer) {
    let user = user_with_mail(server);
    let ok = run(
        &with_password(
            server,
            &user,
            &["-c", "c.select_folder(\"INBOX\")[\"EXISTS\"]"],
        ),
        None,
    );
    assert!(ok.status.success(), "{ok:?}");
    assert_eq!(String::from_utf8_lossy(&ok.stdout), "3\n");
    assert!(String::from_utf8_lossy(&ok.stderr).contains("Connected."));
    assert_eq!(server.logouts(&user.name, 1), 1, "the shell logged out");

    let bad = run(
        &with_password(server, &user, &["-c", "c.select_folder(\"Nope\")"]),
        None,
    );
    assert!(!bad.status.success(), "{bad:?}");
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("error:"),
        "{bad:?}"
    );
}
on_both_servers!(sync command_flag_prints_the_result_and_exit_code_tells_errors);

fn script_on_stdin_runs_statement_by_statement(server: &dyn ImapServer) {
    let user = user_with_mail(server);
    let script = "c.select_folder(\"INBOX\");\n\
                  let ids = c.search();\n\
                  ids.len()\n\
                  for id in ids {\n    print(`uid ${id}`);\n}\n\
                  c.create_folder(\"Made by script\");\n\
                  c.folder_exists(\"Made by script\")\n";
    let out = run(&with_password(server, &user, &[]), Some(script));
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "3\nuid 1\nuid 2\nuid 3\nTrue\n"
    );

    // The first error stops the script with a non-zero status.
    let failing = "c.select_folder(\"Nope\")\nprint(\"not reached\")\n";
    let out = run(&with_password(server, &user, &[]), Some(failing));
    assert!(!out.status.success(), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("not reached"));
}
on_both_servers!(sync script_on_stdin_runs_statement_by_statement);

#[test]
fn missing_host_is_a_clear_error() {
    let out = run(&["-u".into(), "x".into(), "-p".into(), "y".into()], None);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("-H HOST"),
        "{out:?}"
    );
}

/// The configuration-file module has not landed in the library yet: `-f` must say so
/// plainly instead of connecting somewhere else.
#[test]
fn config_file_with_sections_and_flags_overriding_it() {
    use std::os::unix::fs::PermissionsExt;
    let server = Dovecot::shared();
    let user = user_with_mail(server);
    let dir = std::env::temp_dir().join(format!("imap-async-interact-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("imap.ini");
    let ini = format!(
        "[DEFAULT]\nhost = {}\nport = {}\nstarttls = true\nssl_ca_file = {}\n\
         username = {}\npassword = {}\ntimeout = 20\n\n[wrong]\npassword = not-it\n",
        server.host(),
        server.imap_port(),
        server.ca_pem_path().display(),
        user.name,
        user.password
    );
    std::fs::write(&path, ini).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let file = path.display().to_string();
    let expr = "c.select_folder(\"INBOX\")[\"EXISTS\"]";

    // DEFAULT section.
    let ok = run(&["-f".into(), file.clone(), "-c".into(), expr.into()], None);
    assert!(ok.status.success(), "{ok:?}");
    assert_eq!(String::from_utf8_lossy(&ok.stdout), "3\n");

    // An alternate section inherits DEFAULT and overrides the password: refused.
    let wrong = run(
        &[
            "-f".into(),
            file.clone(),
            "--section".into(),
            "wrong".into(),
            "-c".into(),
            expr.into(),
        ],
        None,
    );
    assert_eq!(wrong.status.code(), Some(1), "{wrong:?}");
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(err.contains("LOGIN") && err.contains("error:"), "{err}");
    assert!(!err.contains("not-it"), "the password is not shown: {err}");

    // A flag beside -f wins over the file.
    let fixed = run(
        &[
            "-f".into(),
            file.clone(),
            "--section".into(),
            "wrong".into(),
            "-p".into(),
            user.password.clone(),
            "-c".into(),
            expr.into(),
        ],
        None,
    );
    assert!(fixed.status.success(), "{fixed:?}");

    // An unknown section is a clear error naming the ones there are.
    let missing = run(
        &[
            "-f".into(),
            file.clone(),
            "--section".into(),
            "nope".into(),
            "-c".into(),
            "1".into(),
        ],
        None,
    );
    assert_eq!(missing.status.code(), Some(2), "{missing:?}");
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("no section [nope]") && err.contains("wrong"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--timeout 5` bounds a whole response, not only each read: a server dripping its answer
/// one byte every 400 ms (for about 30 s) cannot hold the shell much past 5 s. Before, only
/// each read was bounded and the shell sat there until the server stopped.
#[tokio::test(flavor = "multi_thread")]
async fn timeout_flag_bounds_a_server_that_drips_its_answer() {
    use imap_async_tests::fake::{FakeServer, Step, expect, send};
    use std::time::{Duration, Instant};

    // Built before the clock starts (and before the fake server waits for a client).
    tokio::task::spawn_blocking(|| {
        shell_binary();
    })
    .await
    .unwrap();
    let server = FakeServer::start(vec![
        send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake\r\n"),
        expect("LOGIN"),
        send("{tag} OK [CAPABILITY IMAP4rev1] in\r\n"),
        expect("NOOP"),
        Step::Drip {
            text: "* OK this answer never seems to end, one byte at a time, for half a minute"
                .into(),
            every: Duration::from_millis(400),
        },
    ])
    .await;
    let args: Vec<String> = [
        "-H",
        "127.0.0.1",
        "-P",
        &server.port.to_string(),
        "--no-ssl",
        "--timeout",
        "5",
        "-u",
        "user",
        "-p",
        "pw",
        "-c",
        "c.noop()",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || run(&args, None))
        .await
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("shell with --timeout 5 against a dripping server: exited after {took:?}");
    eprintln!("its stderr: {stderr}");
    assert!(!out.status.success(), "{out:?}");
    assert!(stderr.contains("whole of a response"), "{stderr}");
    assert!(took < Duration::from_secs(9), "took {took:?}");
}

/// The shell under a pty with the password on the command line and `more` flags.
fn spawn_shell(args: Vec<String>, home: &std::path::Path) -> PtySession {
    std::fs::create_dir_all(home).unwrap();
    let mut cmd = Command::new(shell_binary());
    cmd.args(args).env("HOME", home).env("TERM", "xterm");
    spawn_with_options(
        cmd,
        Options {
            timeout_ms: Some(30_000),
            strip_ansi_escape_codes: true,
        },
    )
    .unwrap()
}

/// Ctrl-D: the shell exits with status 0 (logging out, or saying the server had already
/// closed the connection).
fn ctrl_d_exits_0(p: &mut PtySession, says: &str) {
    p.send_control('d').unwrap();
    expect(p, says);
    p.exp_eof().unwrap();
    match p.process.wait().unwrap() {
        WaitStatus::Exited(_, 0) => {}
        other => panic!("shell ended with {other:?}"),
    }
}

/// Run `line` at the prompt after the connection was lost: the shell prints one line
/// saying so, reconnects, and runs the command; returns what it printed.
fn run_after_loss(p: &mut PtySession, line: &str) -> String {
    p.send_line(line).unwrap();
    let out = expect(p, ">>> ");
    assert_eq!(
        out.matches("(reconnecting)").count(),
        1,
        "one line about the lost connection: {out:?}"
    );
    assert!(!out.contains("error:"), "{out:?}");
    out
}

/// Shell flags for a real server, password included, with a 1 s keep-alive.
fn pty_args(server: &dyn ImapServer, user: &TestUser) -> Vec<String> {
    with_password(server, user, &["--keepalive", "1"])
}

/// `doveadm kick` while the shell waits at the prompt: the next command reconnects, with
/// INBOX selected again, and works; Ctrl-D then logs out and exits 0.
#[tokio::test(flavor = "multi_thread")]
async fn kicked_shell_reconnects_on_the_next_command() {
    let server = Dovecot::shared();
    let user = user_with_mail(server);
    let home = std::env::temp_dir().join(format!("interact-kick-{}", user.name));
    let mut p = spawn_shell(pty_args(server, &user), &home);
    expect(&mut p, ">>> ");
    p.send_line("c.select_folder(\"INBOX\")[\"EXISTS\"]")
        .unwrap();
    let out = expect(&mut p, ">>> ");
    assert!(out.contains('3'), "{out:?}");
    // A keep-alive NOOP or two while waiting at the prompt, before the kick.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    server.kick(&user.name);
    // The keep-alive task reads the hang-up as it happens.
    std::thread::sleep(std::time::Duration::from_millis(700));

    let out = run_after_loss(&mut p, "c.search()");
    assert!(
        out.contains("[1, 2, 3]"),
        "the search ran in INBOX: {out:?}"
    );
    p.send_line("c.selected_folder()").unwrap();
    let out = expect(&mut p, ">>> ");
    assert!(out.contains("INBOX"), "{out:?}");
    ctrl_d_exits_0(&mut p, "Logged out.");
    assert!(
        server.session_log_lines(&user.name, "Logged out", 1) > 0,
        "the reconnected session logged out"
    );
    let _ = std::fs::remove_dir_all(&home);
}

/// A restart of the server (its own instance): the next command reconnects and works.
#[tokio::test(flavor = "multi_thread")]
async fn shell_survives_a_server_restart() {
    let server = imap_async_tests::RealServer::Dovecot.start(true);
    let user = user_with_mail(server.as_ref());
    let home = std::env::temp_dir().join(format!("interact-restart-{}", user.name));
    let mut p = spawn_shell(pty_args(server.as_ref(), &user), &home);
    expect(&mut p, ">>> ");
    p.send_line("c.examine_folder(\"INBOX\")[\"READ-WRITE\"]")
        .unwrap();
    let out = expect(&mut p, ">>> ");
    assert!(out.contains("False"), "{out:?}");
    server.restart().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));

    let out = run_after_loss(&mut p, "c.search()");
    assert!(out.contains("[1, 2, 3]"), "{out:?}");
    // Still examined, not selected read-write: a flag change is not kept.
    p.send_line("c.add_flags([1], [\"\\\\Flagged\"]);").unwrap();
    expect(&mut p, ">>> ");
    p.send_line("c.get_flags([1])[\"1\"].contains(\"\\\\Flagged\")")
        .unwrap();
    let out = expect(&mut p, ">>> ");
    assert!(
        out.contains("False"),
        "the folder is still read-only: {out:?}"
    );
    ctrl_d_exits_0(&mut p, "Logged out.");
    let _ = std::fs::remove_dir_all(&home);
}

/// A scripted server that logs the shell out for inactivity (`* BYE Autologout`) and
/// closes, then accepts a second connection: the shell prints one line, reconnects,
/// selects INBOX again and runs the command; the second connection ends the same way,
/// and Ctrl-D on the dead connection exits 0.
#[tokio::test(flavor = "multi_thread")]
async fn autologout_bye_then_reconnect_on_a_scripted_server() {
    use imap_async_tests::fake::{FakeServer, Step, expect as wants, send};
    let login = || {
        vec![
            send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake ready\r\n"),
            wants("LOGIN"),
            send("{tag} OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n"),
        ]
    };
    let select = || {
        vec![
            wants("SELECT INBOX"),
            send(
                "* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 4] ok\r\n\
                 {tag} OK [READ-WRITE] selected\r\n",
            ),
        ]
    };
    let autologout = || {
        vec![
            Step::Sleep(std::time::Duration::from_millis(200)),
            send("* BYE Autologout; idle for too long\r\n"),
            Step::Close,
        ]
    };
    let mut first = login();
    first.extend([
        wants("LIST"),
        send("* LIST (\\HasNoChildren) \"/\" INBOX\r\n{tag} OK listed\r\n"),
    ]);
    first.extend(select());
    first.extend(autologout());
    let mut second = login();
    second.extend(select());
    second.extend([
        wants("SEARCH"),
        send("* SEARCH 1 2 3\r\n{tag} OK searched\r\n"),
    ]);
    second.extend(autologout());
    // Built first: the scripted server waits only 20 s for the shell to connect.
    shell_binary();
    let server = FakeServer::start_sessions(vec![first, second]).await;
    let home = home_for(server.port);
    let mut p = spawn_shell(fake_args(server.port, 60), &home);
    expect(&mut p, ">>> ");
    p.send_line("c.select_folder(\"INBOX\")[\"EXISTS\"]")
        .unwrap();
    let out = expect(&mut p, ">>> ");
    assert!(out.contains('3'), "{out:?}");
    // The BYE arrives 200 ms after the SELECT; the keep-alive task reads it at once.
    std::thread::sleep(std::time::Duration::from_millis(800));

    let out = run_after_loss(&mut p, "c.search()");
    assert!(
        out.contains("server closed the connection: Autologout; idle for too long (reconnecting)"),
        "{out:?}"
    );
    assert!(out.contains("[1, 2, 3]"), "{out:?}");
    std::thread::sleep(std::time::Duration::from_millis(800));
    ctrl_d_exits_0(&mut p, "The server had already closed the connection.");
    let lines = server.finish().await;
    assert_eq!(lines.len(), 6, "{lines:?}");
    let _ = std::fs::remove_dir_all(&home);
}

/// While the shell waits at the prompt it sends NOOP at the `--keepalive` interval.
#[tokio::test(flavor = "multi_thread")]
async fn shell_sends_noops_while_waiting_at_the_prompt() {
    use imap_async_tests::fake::{FakeServer, Step, expect as wants, send};
    let two_noops = std::sync::Arc::new(tokio::sync::Notify::new());
    shell_binary();
    let server = FakeServer::start(vec![
        send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake ready\r\n"),
        wants("LOGIN"),
        send("{tag} OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n"),
        wants("LIST"),
        send("{tag} OK listed\r\n"),
        wants("NOOP"),
        send("{tag} OK noop\r\n"),
        wants("NOOP"),
        send("{tag} OK noop\r\n"),
        Step::Notify(two_noops.clone()),
        wants("LOGOUT"),
        send("* BYE bye\r\n{tag} OK\r\n"),
    ])
    .await;
    let home = home_for(server.port);
    let mut p = spawn_shell(fake_args(server.port, 1), &home);
    expect(&mut p, ">>> ");
    let started = std::time::Instant::now();
    tokio::time::timeout(std::time::Duration::from_secs(10), two_noops.notified())
        .await
        .expect("two NOOPs within 10 s at a 1 s interval");
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    ctrl_d_exits_0(&mut p, "Logged out.");
    let lines = server.finish().await;
    assert_eq!(lines.len(), 5, "{lines:?}");
    let _ = std::fs::remove_dir_all(&home);
}

fn home_for(port: u16) -> PathBuf {
    std::env::temp_dir().join(format!("interact-fake-{port}"))
}

/// Shell flags for a scripted server (LOGIN user secret, plaintext on loopback).
fn fake_args(port: u16, keepalive: u64) -> Vec<String> {
    let args: Vec<String> = [
        "-H",
        "127.0.0.1",
        "-P",
        &port.to_string(),
        "--no-ssl",
        "--timeout",
        "5",
        "-u",
        "user",
        "-p",
        "secret",
        "--keepalive",
        &keepalive.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args
}

/// Every C: line of a trace, and whether any looks like it carries a secret: a long
/// base64 run (a SASL answer or a token) where `<redacted ...>` should be.
fn client_lines(trace: &str) -> Vec<&str> {
    trace.lines().filter(|l| l.starts_with("C: ")).collect()
}

fn long_base64_run(line: &str) -> bool {
    let mut run = 0;
    for c in line.chars() {
        if c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=' {
            run += 1;
            if run >= 32 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// `--trace` with a password from IMAP_ASYNC_PASSWORD: every line sent and received is
/// shown, the LOGIN's password is not.
#[test]
fn the_trace_of_a_login_shows_the_conversation_and_no_password() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let out = Command::new(shell_binary())
        .args(connect_args(server, &user))
        .args(["--trace", "-c", "c.noop(); c.select_folder(\"INBOX\")"])
        .env("IMAP_ASYNC_PASSWORD", user.password.as_str())
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains(user.password.as_str()), "{err}");
    let sent = client_lines(&err);
    assert!(
        sent.iter().any(|l| l.contains(" STARTTLS")),
        "the trace starts before TLS: {err}"
    );
    let login = sent
        .iter()
        .find(|l| l.contains(" LOGIN "))
        .unwrap_or_else(|| panic!("no LOGIN line: {err}"));
    assert!(login.ends_with("<redacted>"), "{login}");
    assert!(sent.iter().any(|l| l.ends_with(" NOOP")), "{err}");
    assert!(sent.iter().any(|l| l.contains(" SELECT INBOX")), "{err}");
    assert!(err.lines().any(|l| l.starts_with("S: * OK")), "{err}");
    assert!(
        err.lines()
            .any(|l| l.starts_with("S: ") && l.contains("OK [READ-WRITE]")),
        "{err}"
    );
}

/// `--trace` with XOAUTH2 from a configuration file: the AUTHENTICATE's token, the client
/// secret and the refresh token appear nowhere.
#[test]
fn the_trace_of_an_xoauth2_login_shows_no_token() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let client = server.oauth_client_for(&user.name);
    let dir = std::env::temp_dir().join(format!("interact-oauth-{}", user.name));
    std::fs::create_dir_all(&dir).unwrap();
    let ini = dir.join("oauth.ini");
    std::fs::write(
        &ini,
        format!(
            "[DEFAULT]\nhost = {}\nport = {}\nssl = false\nstarttls = true\nssl_ca_file = {}\n\
             username = {}\ntimeout = 20\noauth2 = true\noauth2_client_id = {}\n\
             oauth2_client_secret = {}\noauth2_refresh_token = {}\noauth2_token_url = {}\n",
            server.host(),
            server.imap_port(),
            server.ca_pem_path().display(),
            user.name,
            client.client_id,
            client.client_secret,
            client.refresh_token,
            client.token_url,
        ),
    )
    .unwrap();
    let out = Command::new(shell_binary())
        .args([
            "-f",
            &ini.display().to_string(),
            "--tls-server-name",
            "localhost",
        ])
        .args(["--trace", "-c", "c.noop()"])
        .env_remove("IMAP_ASYNC_PASSWORD")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(server.oauth_grants(&client.refresh_token), 1, "{err}");
    for secret in [&client.client_secret, &client.refresh_token] {
        assert!(!err.contains(secret.as_str()), "{err}");
    }
    let sent = client_lines(&err);
    let auth = sent
        .iter()
        .find(|l| l.contains("AUTHENTICATE XOAUTH2"))
        .unwrap_or_else(|| panic!("no AUTHENTICATE line: {err}"));
    assert!(auth.contains("<redacted"), "{auth}");
    for l in &sent {
        assert!(
            !long_base64_run(l),
            "a client line that looks like a token: {l}"
        );
    }
    assert!(sent.iter().any(|l| l.ends_with(" NOOP")), "{err}");
}

/// The newer bindings, on both servers: sequence-number forms, SORT, LIST-STATUS, flags
/// replaced, UID EXPUNGE, rights and LSUB, each result checked.
fn more_of_the_library_from_the_shell(server: &dyn ImapServer) {
    let user = user_with_mail(server);
    let script = "c.select_folder(\"INBOX\");\n\
                  c.seq_fetch(2, [\"UID\"])[\"2\"][\"SEQ\"]\n\
                  c.seq_search(\"ALL\")\n\
                  c.sort([\"REVERSE FROM\"], \"ALL\")\n\
                  c.list_status(\"\", \"INBOX\")[\"INBOX\"][\"MESSAGES\"]\n\
                  c.set_flags(1, [\"\\\\Deleted\"])[\"1\"].contains(\"\\\\Deleted\")\n\
                  c.uid_expunge(1)[\"expunged\"]\n\
                  c.seq_get_flags(\"1:*\").len()\n\
                  c.myrights(\"INBOX\").contains(\"l\")\n\
                  c.list_sub_folders().len() >= 0\n";
    let out = run(&with_password(server, &user, &[]), Some(script));
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "2\n[1, 2, 3]\n[3, 2, 1]\n3\nTrue\n[1]\n2\nTrue\nTrue\n"
    );
}
on_both_servers!(sync more_of_the_library_from_the_shell);

/// Streams, threads, ESEARCH, sync, a body to a file, IDLE with a deadline and
/// sequence-number forms, from a script, on both servers.
fn the_rest_of_the_library_from_the_shell(server: &dyn ImapServer) {
    let user = user_with_mail(server);
    let kind = if server.is_cyrus() {
        "cyrus"
    } else {
        "dovecot"
    };
    let file = std::env::temp_dir().join(format!("interact-body-{kind}-{}.eml", user.name));
    let dir = std::env::temp_dir().join(format!("interact-bodies-{kind}-{}", user.name));
    std::fs::create_dir_all(&dir).unwrap();
    let script = format!(
        "c.select_folder_with(\"INBOX\", #{{condstore: true}})[\"EXISTS\"]\n\
         c.fetch_stream(\"1:*\", [\"FLAGS\"])\n\
         c.esearch(\"ALL\", [\"COUNT\", \"MIN\"])[\"COUNT\"]\n\
         c.threads(\"ORDEREDSUBJECT\", \"ALL\").len()\n\
         let first = c.sync_changes(\"INBOX\", #{{uid_validity: c.folder_status(\"INBOX\")[\"UIDVALIDITY\"], highest_modseq: 1, known_uids: ()}});\n\
         first[\"new\"]\n\
         c.fetch_body_to(1, \"\", \"{}\") > 0\n\
         c.fetch_bodies(\"1:3\", \"\", \"{}\") > 0\n\
         c.idle_check(1).len() >= 0\n\
         c.seq_add_flags_silent(2, [\"\\\\Flagged\"]);\n\
         c.seq_get_flags(2)[\"2\"].contains(\"\\\\Flagged\")\n\
         help(\"connect\")\n",
        file.display(),
        dir.display()
    );
    let out = run(&with_password(server, &user, &[]), Some(&script));
    let body = std::fs::read_to_string(&file).unwrap_or_default();
    let _ = std::fs::remove_file(&file);
    let saved: Vec<String> = (1..=3)
        .map(|uid| std::fs::read_to_string(dir.join(format!("{uid}.eml"))).unwrap_or_default())
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "3", "{stdout}");
    // The stream printed each message, then its count.
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("{\"SEQ\":")).count(),
        3,
        "{stdout}"
    );
    assert!(
        stdout.contains("\n3\n3\n"),
        "stream count, then ESEARCH COUNT: {stdout}"
    );
    assert!(stdout.contains("[1, 2, 3]\nTrue\nTrue\nTrue\n"), "{stdout}");
    assert!(stdout.contains("connect is not in the shell:"), "{stdout}");
    assert!(
        body.contains("Subject: "),
        "the body went to the file: {body:?}"
    );
    // fetch_bodies wrote each message to its own file, named by UID.
    assert!(
        saved.iter().all(|b| b.contains("Subject: ")),
        "every body went to its own file: {saved:?}"
    );
    assert_eq!(saved[0], body, "the same bytes as fetch_body_to");
}
on_both_servers!(sync the_rest_of_the_library_from_the_shell);
