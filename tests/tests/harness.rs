//! Smoke tests of the harness itself, talking raw IMAP over std sockets (and rustls for
//! implicit TLS) so they do not depend on the client under test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use imap_async_tests::{Dovecot, DovecotOptions, other_ca_pem};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

/// A line-oriented IMAP conversation over any byte stream.
struct Imap<S: Read + Write> {
    stream: BufReader<S>,
}

impl<S: Read + Write> Imap<S> {
    /// Wraps a fresh connection and returns it with the greeting line.
    fn new(stream: S) -> (Self, String) {
        let mut imap = Imap {
            stream: BufReader::new(stream),
        };
        let greeting = imap.line();
        (imap, greeting)
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        let n = self.stream.read_line(&mut line).expect("read from server");
        assert!(n > 0, "server closed the connection");
        line
    }

    /// Sends `TAG TEXT` and returns all lines up to and including the tagged one.
    fn command(&mut self, tag: &str, text: &str) -> Vec<String> {
        let stream = self.stream.get_mut();
        stream
            .write_all(format!("{tag} {text}\r\n").as_bytes())
            .expect("write to server");
        stream.flush().expect("flush");
        let mut lines = Vec::new();
        loop {
            let line = self.line();
            let done = line.starts_with(&format!("{tag} "));
            lines.push(line);
            if done {
                return lines;
            }
        }
    }

    /// Like [`Imap::command`] but asserts a tagged OK.
    fn ok(&mut self, tag: &str, text: &str) -> Vec<String> {
        let lines = self.command(tag, text);
        let last = lines.last().expect("tagged line");
        assert!(
            last.starts_with(&format!("{tag} OK")),
            "{text} failed: {lines:?}"
        );
        lines
    }
}

fn connect_plain(server: &Dovecot) -> (Imap<TcpStream>, String) {
    let stream = TcpStream::connect((server.host(), server.imap_port())).expect("connect");
    // A hung server must fail the test, not hang it.
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    Imap::new(stream)
}

fn tls_config(ca_pem: &std::path::Path) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_pem).expect("read CA PEM") {
        roots.add(cert.expect("parse CA PEM")).expect("add CA");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

type TlsStream = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

fn connect_tls(server: &Dovecot, ca_pem: &std::path::Path, name: &str) -> TlsStream {
    let port = server
        .imaps_port()
        .expect("shared server has an implicit-TLS port");
    let tcp = TcpStream::connect((server.host(), port)).expect("connect imaps");
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let name = ServerName::try_from(name.to_string()).expect("server name");
    let conn = rustls::ClientConnection::new(tls_config(ca_pem), name).expect("TLS client");
    rustls::StreamOwned::new(conn, tcp)
}

/// Capabilities from the untagged CAPABILITY line among `lines`.
fn capabilities(lines: &[String]) -> Vec<String> {
    let line = lines
        .iter()
        .find(|l| l.starts_with("* CAPABILITY "))
        .unwrap_or_else(|| panic!("no CAPABILITY in {lines:?}"));
    line["* CAPABILITY ".len()..]
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Waits until the server log contains `needle` (Dovecot writes it asynchronously).
fn wait_for_log(server: &Dovecot, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !server.log_text().contains(needle) {
        assert!(
            Instant::now() < deadline,
            "log never showed {needle:?}:\n{}",
            server.log_text()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn login_capability_logout() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let (mut imap, greeting) = connect_plain(server);
    assert!(greeting.starts_with("* OK"), "{greeting}");
    assert!(
        greeting.contains("STARTTLS"),
        "TLS server must offer STARTTLS: {greeting}"
    );
    imap.ok("a", &format!("LOGIN {} {}", user.name, user.password));
    let caps = capabilities(&imap.ok("b", "CAPABILITY"));
    println!("CAPABILITY after login: {}", caps.join(" "));
    for wanted in [
        "ACL",
        "QUOTA",
        "METADATA",
        "SPECIAL-USE",
        "CONDSTORE",
        "QRESYNC",
        "MOVE",
        "UIDPLUS",
        "ESEARCH",
        "IDLE",
        "COMPRESS=DEFLATE",
    ] {
        assert!(
            caps.iter().any(|c| c == wanted),
            "{wanted} missing from {caps:?}"
        );
    }
    let lines = imap.ok("c", "LOGOUT");
    assert!(lines.iter().any(|l| l.starts_with("* BYE")), "{lines:?}");
    wait_for_log(server, &format!("imap({})", user.name));
    wait_for_log(server, "Logged out");
}

#[test]
fn special_use_folders_exist() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let (mut imap, _) = connect_plain(server);
    imap.ok("a", &format!("LOGIN {} {}", user.name, user.password));
    let lines = imap.ok("b", "LIST \"\" \"*\" RETURN (SPECIAL-USE)");
    for (flag, name) in [
        ("\\Sent", "Sent"),
        ("\\Drafts", "Drafts"),
        ("\\Trash", "Trash"),
        ("\\Junk", "Junk"),
        ("\\Archive", "Archive"),
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(flag) && l.trim_end().ends_with(name)),
            "{flag} {name} missing: {lines:?}"
        );
    }
    imap.ok("c", "LOGOUT");
}

#[test]
fn wrong_password_is_rejected_without_a_delay() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let (mut imap, _) = connect_plain(server);
    let lines = imap.command("a", &format!("LOGIN {} wrong{}", user.name, user.password));
    assert!(lines.last().unwrap().starts_with("a NO"), "{lines:?}");
    // Failed logins are answered at once (Dovecot's default waits 2 s), as Dovecot itself
    // reads the harness's configuration.
    let out = std::process::Command::new("doveconf")
        .args(["-c"])
        .arg(server.config_path())
        .args(["-h", "auth_failure_delay"])
        .output()
        .expect("run doveconf");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");
}

#[test]
fn implicit_tls_verifies_against_the_ca() {
    let server = Dovecot::shared();
    let user = server.new_user();
    for name in ["localhost", "127.0.0.1"] {
        let (mut imap, greeting) = Imap::new(connect_tls(server, server.ca_pem_path(), name));
        assert!(greeting.starts_with("* OK"), "{greeting}");
        imap.ok("a", &format!("LOGIN {} {}", user.name, user.password));
        imap.ok("b", "LOGOUT");
    }
}

#[test]
fn implicit_tls_fails_with_another_ca() {
    let server = Dovecot::shared();
    let mut stream = connect_tls(server, &other_ca_pem(), "localhost");
    let mut buf = [0u8; 64];
    let err = stream
        .read(&mut buf)
        .expect_err("handshake must fail with an unrelated CA");
    assert!(
        err.to_string().contains("invalid peer certificate"),
        "{err}"
    );
}

#[test]
fn two_users_log_in_in_parallel() {
    let server = Dovecot::shared();
    let users = [server.new_user(), server.new_user()];
    assert_ne!(users[0].name, users[1].name);
    let handles = users.map(|user| {
        thread::spawn(move || {
            let (mut imap, _) = connect_plain(server);
            imap.ok("a", &format!("LOGIN {} {}", user.name, user.password));
            let lines = imap.ok("b", "SELECT INBOX");
            assert!(lines.iter().any(|l| l == "* 0 EXISTS\r\n"), "{lines:?}");
            imap.ok("c", "LOGOUT");
        })
    });
    for handle in handles {
        handle.join().expect("login thread");
    }
}

#[test]
fn append_message_creates_the_folder() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let message = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hello\r\n\r\nbody\r\n";
    server.append_message(&user.name, "Work/Reports", message);
    server.append_message(&user.name, "Work/Reports", message);
    server.append_message(&user.name, "INBOX", message);
    let (mut imap, _) = connect_plain(server);
    imap.ok("a", &format!("LOGIN {} {}", user.name, user.password));
    let lines = imap.ok("b", "STATUS Work/Reports (MESSAGES)");
    assert!(
        lines.iter().any(|l| l.contains("(MESSAGES 2)")),
        "{lines:?}"
    );
    let lines = imap.ok("c", "STATUS INBOX (MESSAGES)");
    assert!(
        lines.iter().any(|l| l.contains("(MESSAGES 1)")),
        "{lines:?}"
    );
    imap.ok("d", "LOGOUT");
}

#[test]
fn kick_disconnects_the_user() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let (mut imap, _) = connect_plain(server);
    imap.ok("a", &format!("LOGIN {} {}", user.name, user.password));
    imap.ok("b", "SELECT INBOX");
    server.kick(&user.name);
    let line = imap.line();
    assert!(line.starts_with("* BYE"), "{line}");
}

#[test]
fn server_without_tls_offers_no_starttls() {
    let server = Dovecot::start(DovecotOptions {
        tls: false,
        ..Default::default()
    })
    .expect("start plain server");
    assert_eq!(server.imaps_port(), None);
    let user = server.new_user();
    let (mut imap, greeting) = connect_plain(&server);
    assert!(!greeting.contains("STARTTLS"), "{greeting}");
    let caps = capabilities(&imap.ok("a", "CAPABILITY"));
    assert!(!caps.iter().any(|c| c == "STARTTLS"), "{caps:?}");
    imap.ok("b", &format!("LOGIN {} {}", user.name, user.password));
    imap.ok("c", "LOGOUT");

    let port = server.imap_port();
    server.stop();
    assert!(
        TcpStream::connect((server.host(), port)).is_err(),
        "port still open after stop"
    );
}

#[test]
fn configuration_is_valid_without_warnings() {
    let server = Dovecot::shared();
    let out = std::process::Command::new("/usr/bin/doveconf")
        .arg("-c")
        .arg(server.config_path())
        .arg("-n")
        .output()
        .expect("run doveconf");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "doveconf failed: {stderr}");
    assert!(stderr.trim().is_empty(), "doveconf warns: {stderr}");
}
