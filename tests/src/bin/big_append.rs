//! Appends one 500 MB message to Dovecot from a reader that generates it as it is read
//! ([`Session::append_reader`]), so that neither the message nor a copy of it is ever in
//! memory, and prints the time, the throughput and the process's peak resident memory
//! (`VmHWM`). Then fetches the message's RFC822.SIZE, and streams it back to a hashing
//! sink, to check that the server got every byte. A program that prints figures, not a
//! test.
//!
//! Run: `cargo run --release -p imap-async-tests --bin big_append [size-in-MB]`

use std::time::Instant;

use imap_async::{Flag, Session};
use imap_async_tests::generated::GeneratedMessage;
use imap_async_tests::measure::{Fnv, Sink, vm_hwm_kib};
use imap_async_tests::{Dovecot, DovecotOptions};

/// The hash of the generated message, computed by generating it again in pieces.
fn expected_hash(size: u64) -> Fnv {
    let mut g = GeneratedMessage::new(size);
    let mut hash = Fnv::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = g.fill(&mut buf);
        if n == 0 {
            return hash;
        }
        hash.write(&buf[..n]);
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mb: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let size = mb * 1_000_000;
    let server = Dovecot::start(DovecotOptions::default()).expect("start Dovecot");
    let user = server.new_user();
    let opts = imap_async::ConnectOptions::new(server.host())
        .port(server.imap_port())
        .plaintext()
        .login(&user.name, user.password.as_str());
    let mut s = Session::connect(&opts).await.expect("login");
    let literal_plus = s
        .capabilities()
        .await
        .expect("capabilities")
        .has("LITERAL+");
    let hwm_before = vm_hwm_kib();

    let start = Instant::now();
    let stored = s
        .append_reader("INBOX", GeneratedMessage::new(size), size, Flag::NONE, None)
        .await
        .expect("append_reader");
    let secs = start.elapsed().as_secs_f64();
    let hwm_after_append = vm_hwm_kib();

    let uids = stored.expect("Dovecot has UIDPLUS: APPENDUID").uids;
    s.select_folder("INBOX").await.expect("select");
    let fetched = s.fetch(&uids, "RFC822.SIZE").await.expect("fetch size");
    let server_size = fetched.first().and_then(|f| f.size());
    let uid = uids.iter().and_then(|mut i| i.next()).expect("one UID");
    let mut sink = Sink {
        bytes: 0,
        hash: Fnv::new(),
    };
    s.fetch_body_to(uid, "", &mut sink)
        .await
        .expect("fetch the message back");
    s.logout().await.expect("logout");
    let identical = sink.bytes == size && sink.hash.0 == expected_hash(size).0;

    println!("message size: {size} bytes ({mb} MB), generated while read");
    println!(
        "literal: {}",
        if literal_plus {
            "LITERAL+ ({n+})"
        } else {
            "synchronizing ({n})"
        }
    );
    println!("time: {secs:.2} s, {:.1} MB/s", size as f64 / 1e6 / secs);
    println!(
        "peak RSS (VmHWM) before appending: {:.1} MiB",
        hwm_before as f64 / 1024.0
    );
    println!(
        "peak RSS (VmHWM) after appending:  {:.1} MiB",
        hwm_after_append as f64 / 1024.0
    );
    println!(
        "server's RFC822.SIZE: {} ({})",
        server_size.map_or("none".to_owned(), |n| n.to_string()),
        if server_size == Some(size) {
            "all bytes"
        } else {
            "MISMATCH"
        }
    );
    println!("fetched back identical (length and FNV-1a hash): {identical}");
    if server_size != Some(size) || !identical {
        std::process::exit(1);
    }
}
