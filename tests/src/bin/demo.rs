//! The quick-start demo: starts a private Dovecot on loopback (installing it first when
//! missing), fills a mailbox, then uses imap-async the way an application would: connect
//! with STARTTLS verified against the server's CA, log in, list folders, select INBOX,
//! search and fetch, all inside `with_session` so the connection is always closed.

use std::time::Instant;

use imap_async::{ConnectOptions, with_session};
use imap_async_tests::{Dovecot, DovecotOptions, ensure_dovecot_installed};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    ensure_dovecot_installed()?;
    let server = Dovecot::start(DovecotOptions { tls: true })?;
    println!(
        "Dovecot listening on {}:{} (STARTTLS) and {}:{} (TLS), started in {:?}",
        server.host(),
        server.imap_port(),
        server.host(),
        server.imaps_port().unwrap_or_default(),
        started.elapsed()
    );
    let user = server.new_user();
    for (i, subject) in ["Welcome", "Your invoice", "Lunch?"].iter().enumerate() {
        let msg = format!(
            "From: Sender {i} <sender{i}@example.org>\r\nTo: {}@example.org\r\n\
             Subject: {subject}\r\n\r\nMessage number {i}.\r\n",
            user.name
        );
        server.append_message(&user.name, "INBOX", msg.as_bytes());
    }

    let opts = ConnectOptions::new(server.host())
        .port(server.imap_port())
        .starttls()
        .ca_file(server.ca_pem_path())
        .tls_server_name("localhost")
        .login(&user.name, user.password.as_str());
    println!("Connecting as {} with STARTTLS...", user.name);

    with_session(&opts, async |c| {
        println!("Folders:");
        for folder in c.list_folders("", "*").await? {
            println!("  {:<10} {}", folder.name, folder.attributes.join(" "));
        }
        let inbox = c.select_folder("INBOX").await?;
        println!(
            "INBOX: {} messages, UIDVALIDITY {:?}, UIDNEXT {:?}",
            inbox.exists, inbox.uid_validity, inbox.uid_next
        );
        let uids = c.search("ALL").await?;
        println!("SEARCH ALL -> UIDs {uids}");
        for msg in c.fetch(&uids, "(FLAGS RFC822.SIZE ENVELOPE)").await? {
            let env = msg.envelope();
            let subject = env
                .and_then(|e| e.subject.as_ref())
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .unwrap_or_default();
            println!(
                "  UID {:>3}  {:>4} bytes  flags {:?}  {subject}",
                msg.uid().map(|u| u.to_string()).unwrap_or_default(),
                msg.size().unwrap_or_default(),
                msg.flags().unwrap_or_default(),
            );
        }
        Ok(())
    })
    .await?;
    println!(
        "Logged out; connection closed. Total {:?}",
        started.elapsed()
    );
    server.stop();
    Ok(())
}
