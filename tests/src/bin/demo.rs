//! The quick-start demo: starts a private Dovecot on loopback (installing it first when
//! missing), fills a demo account with a few hundred varied messages (senders, non-ASCII
//! subjects, sizes, flags, folders, multipart messages with attachments), then opens the
//! interactive shell `imap-async-interact` on it, connected with STARTTLS verified against
//! the server's CA.
//!
//! `cargo run -p imap-async-tests --bin demo` opens the shell when standard input is a
//! terminal. With `--no-shell`, or without a terminal (CI), it runs a few expressions in
//! the shell non-interactively instead and exits with the shell's status.
//!
//! With `--serve` it opens no shell: it prints the account's connection settings as
//! `export IMAP_HOST=... IMAP_PORT=...` lines, the ones the programs in
//! `imap-async/examples/` read, and keeps the server running until Ctrl-C (or SIGTERM).
//!
//! The shell is another package's binary: the demo builds it with `cargo build -p
//! imap-async-interact` (a no-op when it is up to date) and takes its path from cargo's
//! JSON messages.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use imap_async::{AppendMessage, ConnectOptions, with_session};
use imap_async_tests::{Dovecot, DovecotOptions, TestUser, ensure_dovecot_installed};

const SENDERS: &[(&str, &str)] = &[
    ("Alice Martin", "alice@example.org"),
    ("Bob Stone", "bob@example.net"),
    ("=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?=", "juergen@example.de"),
    (
        "=?UTF-8?Q?Fran=C3=A7oise_Ch=C3=A2telet?=",
        "francoise@example.fr",
    ),
    ("Carol Li", "carol@example.com"),
    ("=?UTF-8?B?55Sw5Lit5aSq6YOO?=", "tanaka@example.jp"),
    ("Build Bot", "ci@builds.example.org"),
    ("Dave O'Neil", "dave@example.ie"),
    ("", "noreply@shop.example.com"),
    ("Eve Adams", "eve@example.org"),
];

const SUBJECTS: &[&str] = &[
    "Weekly report",
    "Lunch on Friday?",
    "Your invoice #{n}",
    "=?UTF-8?Q?R=C3=A9union_de_projet?=",
    "=?UTF-8?B?0J/RgNC40LLQtdGCLCDQvNC40YAh?=",
    "Re: release plan",
    "Build #{n} failed",
    "=?UTF-8?B?5Lya6K2w44Gu6K2w5LqL6Yyy?=",
    "Photos from the trip",
    "Fwd: contract draft",
    "Meeting notes",
    "=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=",
];

const WORDS: &[&str] = &[
    "the", "server", "mailbox", "release", "meeting", "tomorrow", "invoice", "report", "attached",
    "please", "review", "thanks", "draft", "folder", "message", "schedule",
];

/// A small deterministic generator, so every run makes the same mailbox.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn message(rng: &mut Lcg, n: usize, to: &str) -> (Vec<u8>, Vec<&'static str>) {
    let (name, addr) = SENDERS[rng.next(SENDERS.len())];
    let from = if name.is_empty() {
        addr.to_owned()
    } else {
        format!("{name} <{addr}>")
    };
    let subject = SUBJECTS[rng.next(SUBJECTS.len())].replace("{n}", &(1000 + n).to_string());
    let day = 1 + n % 28;
    let mut body = String::new();
    let paragraphs = 1 + rng.next(4) * rng.next(6);
    for _ in 0..paragraphs {
        for i in 0..(20 + rng.next(60)) {
            body.push_str(WORDS[rng.next(WORDS.len())]);
            body.push(if i % 12 == 11 { '\n' } else { ' ' });
        }
        body.push_str("\n\n");
    }
    let body = body.replace('\n', "\r\n");
    let head = format!(
        "From: {from}\r\nTo: Demo <{to}@example.org>\r\nSubject: {subject}\r\n\
         Date: {day:02} Mar 2025 {:02}:{:02}:00 +0100\r\nMessage-ID: <demo-{n}@example.org>\r\n\
         MIME-Version: 1.0\r\n",
        8 + n % 12,
        n % 60
    );
    let data = if rng.next(5) == 0 {
        let attachment: String = (0..(50 + rng.next(400)))
            .map(|i| format!("{i},{},{}\n", WORDS[i % WORDS.len()], i * 7))
            .collect();
        let encoded = base64_lines(attachment.as_bytes());
        format!(
            "{head}Content-Type: multipart/mixed; boundary=\"b{n}\"\r\n\r\n\
             --b{n}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n\
             --b{n}\r\nContent-Type: text/csv; name=\"data-{n}.csv\"\r\n\
             Content-Disposition: attachment; filename=\"data-{n}.csv\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n--b{n}--\r\n"
        )
    } else {
        format!("{head}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}")
    };
    let mut flags = Vec::new();
    if rng.next(3) > 0 {
        flags.push("\\Seen");
    }
    if rng.next(8) == 0 {
        flags.push("\\Flagged");
    }
    if rng.next(6) == 0 {
        flags.push("\\Answered");
    }
    (data.into_bytes(), flags)
}

fn base64_lines(data: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in data.chunks(3).enumerate() {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for j in 0..4 {
            if j <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * j)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
        if i % 19 == 18 {
            out.push_str("\r\n");
        }
    }
    out
}

/// Builds the shell (a no-op when up to date) and returns its path.
fn shell_binary() -> Result<PathBuf, Box<dyn std::error::Error>> {
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
        .output()?;
    if !out.status.success() {
        return Err("cargo build -p imap-async-interact failed".into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let key = "\"executable\":\"";
    text.lines()
        .filter(|l| l.contains("imap-async-interact"))
        .find_map(|l| {
            let start = l.find(key)? + key.len();
            let end = start + l[start..].find('"')?;
            Some(PathBuf::from(&l[start..end]))
        })
        .ok_or_else(|| "cargo did not report the imap-async-interact binary".into())
}

/// `--serve`: prints the settings the examples read and waits for Ctrl-C or SIGTERM, then
/// stops the server (which also removes its files).
async fn serve_until_stopped(
    server: &Dovecot,
    user: &TestUser,
) -> Result<(), Box<dyn std::error::Error>> {
    use tokio::signal::unix::{SignalKind, signal};

    let mut terminate = signal(SignalKind::terminate())?;
    // Ctrl-C is listened for from here on, before the settings are printed: a signal sent
    // as soon as they appear is then caught, not left to kill the process.
    let mut interrupt = signal(SignalKind::interrupt())?;
    let port = server.imap_port().to_string();
    let ca_file = server.ca_pem_path().to_string_lossy();
    let settings = [
        ("IMAP_HOST", server.host()),
        ("IMAP_PORT", &port),
        ("IMAP_SECURITY", "starttls"),
        ("IMAP_USER", &user.name),
        ("IMAP_ASYNC_PASSWORD", user.password.as_str()),
        ("IMAP_CA_FILE", &ca_file),
    ];
    println!("Paste these lines into another shell to run the examples against this server:");
    println!();
    for (name, value) in settings {
        println!("export {name}={}", shell_quoted(value));
    }
    println!();
    println!("  cargo run -p imap-async --example fetch_unseen");
    println!("  cargo run -p imap-async --example watch_folder");
    println!("  cargo run -p imap-async --example download_mailbox -- /tmp/demo-inbox");
    println!("  cargo run -p imap-async --features serde --example sync -- /tmp/demo-sync.json");
    println!();
    println!("Serving until Ctrl-C.");
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    println!("Stopping Dovecot.");
    server.stop();
    Ok(())
}

/// `value` in single quotes when it holds anything a POSIX shell would interpret.
fn shell_quoted(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let serve = std::env::args().any(|a| a == "--serve");
    let no_shell = std::env::args().any(|a| a == "--no-shell") || !std::io::stdin().is_terminal();
    if let Some(unknown) = std::env::args()
        .skip(1)
        .find(|a| a != "--serve" && a != "--no-shell")
    {
        return Err(
            format!("unknown argument {unknown:?}; usage: demo [--no-shell | --serve]").into(),
        );
    }
    ensure_dovecot_installed()?;
    let server = Dovecot::start(DovecotOptions {
        tls: true,
        ..Default::default()
    })?;
    println!(
        "Dovecot listening on {}:{} (STARTTLS) and {}:{} (TLS), started in {:?}",
        server.host(),
        server.imap_port(),
        server.host(),
        server.imaps_port().unwrap_or_default(),
        started.elapsed()
    );
    let user = server.new_user();
    let opts = ConnectOptions::new(server.host())
        .port(server.imap_port())
        .starttls()
        .ca_file(server.ca_pem_path())
        .tls_server_name("localhost")
        .login(&user.name, user.password.as_str());

    let mut rng = Lcg(7);
    let plan: &[(&str, usize)] = &[
        ("INBOX", 220),
        ("Archive", 50),
        ("Sent", 30),
        ("Projects/Rust", 25),
        ("Projects/Café", 15),
    ];
    let mut n = 0;
    let mut batches = Vec::new();
    for &(folder, count) in plan {
        let mut msgs = Vec::new();
        for _ in 0..count {
            n += 1;
            let (data, flags) = message(&mut rng, n, &user.name);
            msgs.push(AppendMessage::new(data).flags(&flags));
        }
        batches.push((folder, msgs));
    }
    with_session(&opts, async |c| -> imap_async::Result<()> {
        for (folder, msgs) in &batches {
            if !c.folder_exists(folder).await? {
                c.create_folder(folder).await?;
            }
            c.multiappend(folder, msgs).await?;
        }
        Ok(())
    })
    .await?;
    println!(
        "Demo account {} (password {}) holds {n} messages in {} folders.",
        user.name,
        user.password.as_str(),
        plan.len()
    );

    if serve {
        return serve_until_stopped(&server, &user).await;
    }

    let shell = shell_binary()?;
    let mut cmd = Command::new(&shell);
    cmd.args(["-H", server.host(), "--tls-server-name", "localhost"])
        .args(["-P", &server.imap_port().to_string()])
        .arg("--starttls")
        .arg("--ca-file")
        .arg(server.ca_pem_path())
        .args(["-u", &user.name, "-p", user.password.as_str()]);
    if no_shell {
        cmd.arg("-c").arg(
            "print(c.select_folder(\"INBOX\"));\n\
             let unseen = c.search([\"UNSEEN\"]);\n\
             print(`${unseen.len()} unseen in INBOX`);\n\
             c.fetch(unseen[0], [\"FLAGS\", \"RFC822.SIZE\", \"ENVELOPE\"])",
        );
        println!("Running the shell non-interactively (--no-shell or no terminal)...");
    } else {
        println!("Opening the shell: try c.list_folders(), help, or Ctrl-D to leave.");
    }
    // Not exec: Dovecot must be stopped after the shell exits.
    let status = cmd.status()?;
    server.stop();
    if !status.success() {
        return Err(format!("the shell exited with {status}").into());
    }
    Ok(())
}
