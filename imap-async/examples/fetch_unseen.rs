//! Fetch the unseen messages of a folder and print their date, sender and subject.
//!
//! Shows: connecting from settings in environment variables, [`with_session`] (which
//! always logs out), a typed search (`Search::unseen()`), and the envelopes streamed with
//! `fetch_stream`, one message in memory at a time however many are unseen. Reading the
//! envelope does not mark a message as seen.
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
//! cargo run -p imap-async --example fetch_unseen            # INBOX
//! cargo run -p imap-async --example fetch_unseen -- Archive # another folder
//! ```
//!
//! The settings: `IMAP_HOST`, `IMAP_USER`, `IMAP_ASYNC_PASSWORD` (required),
//! `IMAP_SECURITY` (`tls`, `starttls` or `plain`; default `tls`), `IMAP_PORT`,
//! `IMAP_CA_FILE` (see `examples/common/mod.rs`).
//!
//! Output: a count line, then one line per unseen message, by UID:
//!
//! ```text
//! 2 unseen in INBOX
//! 17 | 03 Mar 2025 09:17:00 +0100 | Alice Martin <alice@example.org> | Weekly report
//! 21 | 07 Mar 2025 13:21:00 +0100 | Bob Stone <bob@example.net> | Lunch on Friday?
//! ```
//!
//! Header fields are printed as the server sends them: an RFC 2047 encoded word
//! (`=?UTF-8?B?...?=`) is shown encoded.

mod common;

use std::process::ExitCode;

use futures::TryStreamExt;

use imap_async::{FetchAttr, Search, with_session};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fetch_unseen: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let folder = std::env::args().nth(1).unwrap_or_else(|| "INBOX".into());
    let opts = common::connect_options_from_env()?;
    with_session(&opts, async |session| -> imap_async::Result<()> {
        session.select_folder(&folder).await?;
        let unseen = session.search(Search::unseen()).await?;
        println!("{} unseen in {folder}", unseen.count().unwrap_or(0));
        if unseen.is_empty() {
            return Ok(());
        }
        // UID FETCH of the envelopes, each message handed out as soon as it is parsed.
        let mut messages = session.fetch_stream(&unseen, [FetchAttr::Envelope])?;
        while let Some(message) = messages.try_next().await? {
            let uid = message.uid().map(|u| u.get()).unwrap_or(0);
            let Some(envelope) = message.envelope() else {
                continue;
            };
            let date = text(envelope.date.as_deref());
            // Encoded words (RFC 2047) decoded, names quoted where RFC 5322 needs it, and
            // groups written `Team: a@x, b@y;`.
            let from = envelope
                .from_grouped()
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let subject = envelope.subject_decoded().unwrap_or_default();
            println!("{uid} | {date} | {from} | {subject}");
        }
        Ok(())
    })
    .await?;
    Ok(())
}

/// A header field's bytes as text (invalid UTF-8 replaced); empty when absent.
fn text(bytes: Option<&[u8]>) -> String {
    String::from_utf8_lossy(bytes.unwrap_or_default()).into_owned()
}
