//! Streams one 500 MB message from Dovecot to a writer (a sink that counts and hashes the
//! bytes) and prints the process's peak resident memory (`VmHWM`) and the throughput.
//! A program that prints figures, not a test.
//!
//! Run: `cargo run --release -p imap-async-tests --bin big_body [size-in-MB]`

use std::time::Instant;

use imap_async::{ConnectOptions, Session, Uid};
use imap_async_tests::measure::{Fnv, Sink, vm_hwm_kib};
use imap_async_tests::{Dovecot, DovecotOptions};

/// The message, produced line by line into the file so that this process never holds it.
fn write_message(path: &std::path::Path, size: u64) -> (u64, u64) {
    use std::io::Write;
    let file = std::fs::File::create(path).expect("create the message file");
    let mut out = std::io::BufWriter::new(file);
    let mut hash = Fnv::new();
    let head = b"From: big@example.org\r\nSubject: big\r\n\r\n";
    out.write_all(head).unwrap();
    hash.write(head);
    let mut written = head.len() as u64;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut line = [0u8; 78];
    while written + 78 <= size {
        for b in line.iter_mut().take(76) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = alphabet[(x % 64) as usize];
        }
        line[76] = b'\r';
        line[77] = b'\n';
        out.write_all(&line).unwrap();
        hash.write(&line);
        written += 78;
    }
    out.flush().unwrap();
    (written, hash.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mb: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let server = Dovecot::start(DovecotOptions::default()).expect("start Dovecot");
    let user = server.new_user();
    let dir = server.maildir_path(&user.name, "INBOX");
    let path = dir.join("1700000000.M1P1.big:2,");
    let (size, expected) = write_message(&path, mb << 20);
    server.give_to_mail_user(&path);
    server.index_folder(&user.name, "INBOX");
    let hwm_before = vm_hwm_kib();

    let opts = ConnectOptions::new(server.host())
        .port(server.imap_port())
        .plaintext()
        .login(&user.name, user.password.as_str());
    let mut s = Session::connect(&opts).await.expect("login");
    s.select_folder("INBOX").await.expect("select");
    let mut sink = Sink {
        bytes: 0,
        hash: Fnv::new(),
    };
    let start = Instant::now();
    let n = s
        .fetch_body_to(Uid::new(1).unwrap(), "", &mut sink)
        .await
        .expect("fetch_body_to");
    let secs = start.elapsed().as_secs_f64();
    s.logout().await.expect("logout");
    println!("message size: {size} bytes ({mb} MiB requested)");
    println!("bytes streamed: {n} (sink counted {})", sink.bytes);
    println!(
        "identical (length and FNV-1a hash): {}",
        n == size && sink.bytes == size && sink.hash.0 == expected
    );
    println!("time: {secs:.2} s, {:.1} MB/s", n as f64 / 1e6 / secs);
    println!(
        "peak RSS (VmHWM) before fetching: {:.1} MiB",
        hwm_before as f64 / 1024.0
    );
    println!(
        "peak RSS (VmHWM) after fetching:  {:.1} MiB",
        vm_hwm_kib() as f64 / 1024.0
    );
}
