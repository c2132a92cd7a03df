//! Download every message of a folder into a directory, one `UID.eml` file per message,
//! in bounded memory.
//!
//! Shows: `examine_folder` (read-only: nothing changes on the server, not even `\Seen`),
//! a typed search for every UID (`Search::all()`; the answer is a compact set of ranges,
//! so a million UIDs cost a few bytes with ESEARCH), and `fetch_body_to`, which writes a
//! message from the socket to a file in chunks of at most 64 KiB: a 500 MB message costs
//! no more memory than a small one.
//!
//! Each message goes to `UID.eml.part` first and is renamed to `UID.eml` once complete,
//! so an interrupted run can simply be started again: messages already saved are
//! skipped. The directory also records the folder's UIDVALIDITY; if the folder's UIDs
//! were renumbered since (UIDVALIDITY changed), the run stops rather than mixing two
//! numberings.
//!
//! Run it against the demo server: in one terminal
//!
//! ```sh
//! cargo run -p imap-async-tests --bin demo -- --serve
//! ```
//!
//! then paste the `export IMAP_...` lines it prints into another and run
//!
//! ```sh
//! cargo run -p imap-async --example download_mailbox -- /tmp/inbox          # INBOX
//! cargo run -p imap-async --example download_mailbox -- /tmp/archive Archive # another folder
//! ```
//!
//! The settings: `IMAP_HOST`, `IMAP_USER`, `IMAP_ASYNC_PASSWORD` (required),
//! `IMAP_SECURITY` (`tls`, `starttls` or `plain`; default `tls`), `IMAP_PORT`,
//! `IMAP_CA_FILE` (see `examples/common/mod.rs`).
//!
//! Output: one line per message written (`UID.eml BYTES`), then a summary:
//!
//! ```text
//! 1.eml 2048
//! 2.eml 913
//! INBOX: 2 written (2961 bytes), 0 already there, in /tmp/inbox
//! ```

mod common;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use imap_async::{Search, Session};
use tokio::fs;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("download_mailbox: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or("usage: download_mailbox DIRECTORY [FOLDER] (FOLDER: INBOX by default)")?,
    );
    let folder = args.next().unwrap_or_else(|| "INBOX".into());
    let opts = common::connect_options_from_env()?;
    fs::create_dir_all(&dir)
        .await
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;

    let mut session = Session::connect(&opts).await?;
    let result = download(&mut session, &folder, &dir).await;
    // Log out whatever happened; the download's error, if any, is the one to report.
    let logout = session.logout().await;
    result?;
    logout?;
    Ok(())
}

async fn download(
    session: &mut Session,
    folder: &str,
    dir: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let info = session.examine_folder(folder).await?;
    let uid_validity = info
        .uid_validity
        .ok_or("the server gave no UIDVALIDITY for the folder")?;
    check_uid_validity(dir, uid_validity).await?;

    let uids = session.search(Search::all()).await?;
    let (mut written, mut bytes, mut skipped) = (0u64, 0u64, 0u64);
    // `iter` walks the set's ranges without expanding them into a list.
    for uid in uids.iter().ok_or("the server answered SEARCH with `*`")? {
        let path = dir.join(format!("{uid}.eml"));
        if fs::try_exists(&path).await? {
            skipped += 1;
            continue;
        }
        let part = dir.join(format!("{uid}.eml.part"));
        let mut file = fs::File::create(&part)
            .await
            .map_err(|e| format!("cannot create {}: {e}", part.display()))?;
        // `""`: the whole message (BODY.PEEK[]), streamed to the file as it arrives.
        let n = session.fetch_body_to(uid, "", &mut file).await?;
        file.sync_all().await?;
        drop(file);
        fs::rename(&part, &path).await?;
        println!("{uid}.eml {n}");
        written += 1;
        bytes += n;
    }
    println!(
        "{folder}: {written} written ({bytes} bytes), {skipped} already there, in {}",
        dir.display()
    );
    Ok(())
}

/// Records the folder's UIDVALIDITY in `DIR/UIDVALIDITY` on the first run, and refuses
/// to go on if a later run finds another: the files are named by UID, and UIDs of two
/// UIDVALIDITY values name different messages (RFC 3501 §2.3.1.1).
async fn check_uid_validity(dir: &Path, uid_validity: u32) -> Result<(), String> {
    let path = dir.join("UIDVALIDITY");
    match fs::read_to_string(&path).await {
        Ok(saved) if saved.trim() == uid_validity.to_string() => Ok(()),
        Ok(saved) => Err(format!(
            "{} holds messages of UIDVALIDITY {}, but the folder's is now {uid_validity}: \
             its UIDs were renumbered; download into an empty directory",
            dir.display(),
            saved.trim()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::write(&path, format!("{uid_validity}\n"))
                .await
                .map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}
