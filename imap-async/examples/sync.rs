//! Mirror a folder incrementally: the first run records the folder's state in a JSON
//! file, each later run prints only what changed since the previous one and saves the new
//! state.
//!
//! Shows: `Session::sync` (RFC 7162: one `SELECT ... (QRESYNC ...)` where the server has
//! QRESYNC, CONDSTORE otherwise), `SyncState` saved with serde (the `serde` feature), and
//! what to do when the folder's UIDVALIDITY changed (every stored UID is void: start
//! over). The server must offer CONDSTORE (Dovecot, Cyrus, Fastmail and Gmail do).
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
//! cargo run -p imap-async --features serde --example sync -- /tmp/inbox-state.json
//! # change something: read a message in the shell, delete one, append one, ... then
//! cargo run -p imap-async --features serde --example sync -- /tmp/inbox-state.json
//! ```
//!
//! `sync STATE_FILE [FOLDER]`: FOLDER is INBOX by default, and is recorded in the file.
//!
//! The settings: `IMAP_HOST`, `IMAP_USER`, `IMAP_ASYNC_PASSWORD` (required),
//! `IMAP_SECURITY` (`tls`, `starttls` or `plain`; default `tls`), `IMAP_PORT`,
//! `IMAP_CA_FILE` (see `examples/common/mod.rs`).
//!
//! Output of a later run, one line per change:
//!
//! ```text
//! new: 221 | Lunch on Friday?
//! flags: 17 \Seen \Flagged
//! vanished: 3,9:10
//! saved: INBOX UIDVALIDITY 1733580000 HIGHESTMODSEQ 431, 218 messages known (QRESYNC)
//! ```

mod common;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use futures::TryStreamExt;
use imap_async::session::{FetchAttr, SelectOptions, SyncResult, SyncState};
use imap_async::{Search, Session, UidSet};
use serde_json::json;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sync: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = PathBuf::from(args.next().ok_or("usage: sync STATE_FILE [FOLDER]")?);
    let folder_arg = args.next();
    let saved = load(&file)?;
    let folder = match (&saved, folder_arg) {
        (Some((saved_folder, _)), Some(arg)) if *saved_folder != arg => {
            return Err(format!(
                "{} holds the state of {saved_folder:?}, not {arg:?}: use another file",
                file.display()
            )
            .into());
        }
        (Some((saved_folder, _)), _) => saved_folder.clone(),
        (None, arg) => arg.unwrap_or_else(|| "INBOX".into()),
    };

    let opts = common::connect_options_from_env()?;
    let mut session = Session::connect(&opts).await?;
    let result = sync(&mut session, &folder, saved.map(|(_, state)| state)).await;
    // Log out whatever happened; the sync's error, if any, is the one to report.
    let logout = session.logout().await;
    let (state, how) = result?;
    logout?;
    save(&file, &folder, &state)?;
    println!(
        "saved: {folder} UIDVALIDITY {} HIGHESTMODSEQ {}, {} messages known ({how})",
        state.uid_validity,
        state.highest_modseq,
        state.known_uids.count().unwrap_or(0)
    );
    Ok(())
}

/// Brings `state` up to date, printing the changes; returns the new state and how it was
/// found.
async fn sync(
    session: &mut Session,
    folder: &str,
    state: Option<SyncState>,
) -> Result<(SyncState, &'static str), Box<dyn std::error::Error>> {
    let Some(state) = state else {
        let state = initial_state(session, folder).await?;
        println!(
            "first run: {folder} has {} messages",
            state.known_uids.count().unwrap_or(0)
        );
        return Ok((state, "first run"));
    };
    // Sync before anything else is selected: that lets it enable QRESYNC.
    match session.sync(folder, &state).await? {
        SyncResult::Changes(changes) => {
            if !changes.new.is_empty() {
                print_new(session, &changes.new).await?;
            }
            for change in &changes.changed {
                let flags: Vec<String> = change.flags.iter().map(|f| f.to_string()).collect();
                println!("flags: {} {}", change.uid, flags.join(" "));
            }
            if !changes.vanished.is_empty() {
                println!("vanished: {}", changes.vanished);
            }
            if changes.new.is_empty() && changes.changed.is_empty() && changes.vanished.is_empty() {
                println!("no changes");
            }
            let how = if changes.qresync {
                "QRESYNC"
            } else {
                "CONDSTORE"
            };
            Ok((changes.state, how))
        }
        SyncResult::UidValidityChanged { uid_validity, .. } => {
            // The folder was recreated or renumbered: a real mirror drops its copy here.
            println!(
                "renumbered: UIDVALIDITY {} -> {uid_validity}, starting over",
                state.uid_validity
            );
            Ok((initial_state(session, folder).await?, "started over"))
        }
        // SyncResult may grow (it is #[non_exhaustive]); this program knows no other kind.
        other => Err(format!("unexpected sync result: {other:?}").into()),
    }
}

/// The state of a folder seen for the first time: its UIDVALIDITY and HIGHESTMODSEQ
/// (reported by a SELECT with CONDSTORE) and all its UIDs. A real mirror would download
/// the messages here.
async fn initial_state(session: &mut Session, folder: &str) -> Result<SyncState, String> {
    let options = SelectOptions::default().readonly(true).condstore(true);
    let info = session
        .select_folder_with(folder, options)
        .await
        .map_err(|e| format!("selecting {folder}: {e}"))?;
    let uid_validity = info
        .uid_validity
        .ok_or("the server gave no UIDVALIDITY for the folder")?;
    let highest_modseq = info.highest_modseq.ok_or(
        "the server keeps no mod-sequences for this folder (NOMODSEQ): it cannot be synced incrementally",
    )?;
    let known_uids = session
        .search(Search::all())
        .await
        .map_err(|e| e.to_string())?;
    Ok(SyncState {
        uid_validity,
        highest_modseq,
        known_uids,
    })
}

/// One line per new message: its UID and subject (as sent, RFC 2047 words undecoded).
async fn print_new(session: &mut Session, new: &UidSet) -> imap_async::Result<()> {
    let mut messages = session.fetch_stream(new, [FetchAttr::Envelope])?;
    while let Some(message) = messages.try_next().await? {
        let uid = message.uid().map(|u| u.get()).unwrap_or(0);
        let subject = message
            .envelope()
            .and_then(|e| e.subject)
            .map(|s| String::from_utf8_lossy(&s).into_owned())
            .unwrap_or_default();
        println!("new: {uid} | {subject}");
    }
    Ok(())
}

/// The folder and state saved by a previous run, or `None` when the file does not exist.
fn load(file: &Path) -> Result<Option<(String, SyncState)>, String> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", file.display())),
    };
    let bad = |what: String| {
        format!(
            "{} is not a state file of this example: {what}",
            file.display()
        )
    };
    let mut value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let folder = value["folder"]
        .as_str()
        .ok_or_else(|| bad("no \"folder\"".into()))?
        .to_owned();
    let state = serde_json::from_value(value["state"].take()).map_err(|e| bad(e.to_string()))?;
    Ok(Some((folder, state)))
}

/// Writes the state to a temporary file and renames it over `file`, so that a crash
/// leaves either the old state or the new one, never half of one.
fn save(file: &Path, folder: &str, state: &SyncState) -> Result<(), String> {
    let text = serde_json::to_string_pretty(&json!({ "folder": folder, "state": state }))
        .map_err(|e| format!("cannot encode the state: {e}"))?;
    let mut tmp = file.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, text + "\n")
        .and_then(|()| std::fs::rename(&tmp, file))
        .map_err(|e| format!("cannot save the state to {}: {e}", file.display()))
}
