//! Watch a folder and print its changes as they happen, until Ctrl-C.
//!
//! Shows: [`watch`], the watcher for services that run for days. It connects, selects the
//! folder and idles (IDLE, or NOOP polling where the server has no IDLE), reports changes
//! by UID, and reconnects with backoff when the connection is lost, reporting what
//! changed meanwhile. `Watch::close` ends it cleanly (IDLE ended, LOGOUT sent).
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
//! cargo run -p imap-async --example watch_folder               # INBOX, until Ctrl-C
//! cargo run -p imap-async --example watch_folder -- Archive    # another folder
//! cargo run -p imap-async --example watch_folder -- --count 1  # stop after one change
//! cargo run -p imap-async --example watch_folder -- --for-secs 60
//! ```
//!
//! and change the folder from a third terminal, for example with the shell
//! (`cargo run -p imap-async-interact -- -H "$IMAP_HOST" -P "$IMAP_PORT" --starttls
//! --ca-file "$IMAP_CA_FILE" -u "$IMAP_USER"`, then `c.add_flags("1:3", ["\\Flagged"])`
//! after `c.select_folder("INBOX")`).
//!
//! The settings: `IMAP_HOST`, `IMAP_USER`, `IMAP_ASYNC_PASSWORD` (required),
//! `IMAP_SECURITY` (`tls`, `starttls` or `plain`; default `tls`), `IMAP_PORT`,
//! `IMAP_CA_FILE` (see `examples/common/mod.rs`).
//!
//! Output: one line per event, changes by UID:
//!
//! ```text
//! started: INBOX has 220 messages (UIDVALIDITY 1733580000)
//! new: 221:222
//! flags: 17 \Seen \Flagged
//! expunged: 3
//! ```
//!
//! `--count N` stops after N changes (`new`, `expunged` and `flags` lines); `--for-secs N`
//! after N seconds.

mod common;

use std::process::ExitCode;
use std::time::Duration;

use futures::StreamExt;
use imap_async::{WatchEvent, WatchOptions, watch};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("watch_folder: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The command line: `[FOLDER] [--count N] [--for-secs N]`.
struct Args {
    folder: String,
    count: Option<u64>,
    for_secs: Option<u64>,
}

fn parse_args() -> Result<Args, String> {
    let usage = "usage: watch_folder [FOLDER] [--count N] [--for-secs N]";
    let mut args = Args {
        folder: "INBOX".into(),
        count: None,
        for_secs: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let value = it
                .next()
                .ok_or_else(|| format!("{name} needs a number; {usage}"))?;
            value
                .parse()
                .map_err(|_| format!("{name} {value:?} is not a number; {usage}"))
        };
        match arg.as_str() {
            "--count" => args.count = Some(number("--count")?),
            "--for-secs" => args.for_secs = Some(number("--for-secs")?),
            s if s.starts_with('-') => return Err(format!("unknown option {s}; {usage}")),
            _ => args.folder = arg,
        }
    }
    Ok(args)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let opts = common::connect_options_from_env()?;
    let mut events = watch(opts, args.folder.clone(), WatchOptions::default());
    // Far enough in the future to mean "no limit".
    let deadline = tokio::time::sleep(Duration::from_secs(
        args.for_secs.unwrap_or(u64::from(u32::MAX)),
    ));
    tokio::pin!(deadline);
    // One Ctrl-C listener for the whole run, polled in every turn of the loop: a listener
    // made anew in each turn would miss a signal that came between two turns.
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let mut changes = 0u64;
    let outcome = loop {
        if args.count.is_some_and(|n| changes >= n) {
            break Ok(());
        }
        // `Watch` is cancel-safe: a `next()` dropped by `select!` loses no event.
        let event = tokio::select! {
            event = events.next() => event,
            _ = &mut interrupted => break Ok(()),
            _ = &mut deadline => break Ok(()),
        };
        let event = match event {
            Some(Ok(event)) => event,
            // An error that reconnecting cannot fix (wrong password, no such folder).
            Some(Err(e)) => break Err(e),
            None => break Ok(()),
        };
        match event {
            WatchEvent::Started {
                uid_validity,
                exists,
            } => {
                println!(
                    "started: {} has {exists} messages (UIDVALIDITY {uid_validity})",
                    args.folder
                );
            }
            WatchEvent::New(uids) => {
                changes += 1;
                println!("new: {uids}");
            }
            WatchEvent::Expunged(uids) => {
                changes += 1;
                println!("expunged: {uids}");
            }
            WatchEvent::FlagsChanged { uid, flags, .. } => {
                changes += 1;
                let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
                println!("flags: {uid} {}", flags.join(" "));
            }
            WatchEvent::Disconnected(e) => eprintln!("connection lost: {e}"),
            WatchEvent::Retrying { attempt, after } => {
                eprintln!("reconnecting in {after:?} (attempt {attempt})");
            }
            WatchEvent::UidValidityChanged { old, new } => {
                println!("renumbered: UIDVALIDITY {old} -> {new}, every UID seen so far is void")
            }
            // Alerts, `Reconnected` and `Resynced` (the changes made while disconnected
            // come before it, as ordinary events), and whatever later versions add.
            other => eprintln!("{other:?}"),
        }
    };
    // End IDLE and log out; the state returned could be saved and given to
    // `Watch::resume` next time, to hear about what changed while the program was off.
    events.close().await;
    outcome?;
    Ok(())
}
