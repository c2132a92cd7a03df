//! A loopback IMAP server for the replay benchmarks: it answers any FETCH with recorded-style
//! responses held in memory (`bench_data`), so the client's own ceiling shows.

use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::bench_data;

/// One of the three replayed corpora.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Corpus {
    /// `bench_data::envelope_responses`: plain generated mail.
    Simple,
    /// `bench_data::realistic_responses` without BODYSTRUCTURE.
    Realistic,
    /// `bench_data::realistic_responses` with BODYSTRUCTURE.
    RealisticBs,
}

impl Corpus {
    /// The three, in the order benchmarks print them.
    pub const ALL: [Corpus; 3] = [Corpus::Simple, Corpus::Realistic, Corpus::RealisticBs];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Corpus::Simple => "simple",
            Corpus::Realistic => "realistic",
            Corpus::RealisticBs => "realistic-bs",
        }
    }

    /// The corpus called `name`; panics with the list of names otherwise.
    pub fn parse(name: &str) -> Corpus {
        Corpus::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .unwrap_or_else(|| panic!("{name:?}: corpus is simple, realistic or realistic-bs"))
    }

    /// A few words for tables.
    pub fn describe(self) -> &'static str {
        match self {
            Corpus::Simple => "simple generated mail",
            Corpus::Realistic => "realistic mail",
            Corpus::RealisticBs => "realistic mail + BODYSTRUCTURE",
        }
    }

    /// The FETCH items the corpus answers.
    pub fn items(self) -> &'static str {
        match self {
            Corpus::Simple => "(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)",
            Corpus::Realistic => bench_data::realistic_items(false),
            Corpus::RealisticBs => bench_data::realistic_items(true),
        }
    }

    /// The untagged FETCH responses for a mailbox of `n` messages.
    pub fn responses(self, n: u64) -> Vec<u8> {
        match self {
            Corpus::Simple => bench_data::envelope_responses(n),
            Corpus::Realistic => bench_data::realistic_responses(n, false),
            Corpus::RealisticBs => bench_data::realistic_responses(n, true),
        }
    }
}

/// Serve every connection of `listener`: a greeting, then each command line answered from
/// memory (any FETCH is answered with `data`; LOGIN and SELECT as a server would, for a
/// mailbox of `messages` messages).
pub async fn serve(listener: TcpListener, data: Arc<Vec<u8>>, messages: u64) {
    loop {
        let Ok((sock, _)) = listener.accept().await else {
            return;
        };
        let data = data.clone();
        tokio::spawn(async move {
            let _ = sock.set_nodelay(true);
            let (r, mut w) = sock.into_split();
            let mut r = BufReader::new(r);
            w.write_all(b"* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] replay ready\r\n")
                .await
                .unwrap();
            let mut line = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                let mut words = line.split_whitespace();
                let tag = words.next().unwrap_or("*").to_owned();
                let mut cmd = words.next().unwrap_or("").to_ascii_uppercase();
                if cmd == "UID" {
                    cmd = format!("UID {}", words.next().unwrap_or("").to_ascii_uppercase());
                }
                let reply = match cmd.as_str() {
                    "CAPABILITY" => "* CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN\r\n".to_owned(),
                    "SELECT" | "EXAMINE" => format!(
                        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $Junk NonJunk)\r\n\
                         * {messages} EXISTS\r\n* 0 RECENT\r\n\
                         * OK [UIDVALIDITY 1700000000] UIDs valid\r\n\
                         * OK [UIDNEXT {}] Predicted next UID\r\n",
                        messages * 2 + 200
                    ),
                    "UID FETCH" | "FETCH" => {
                        if w.write_all(&data).await.is_err() {
                            return;
                        }
                        String::new()
                    }
                    "LOGOUT" => "* BYE Logging out\r\n".to_owned(),
                    _ => String::new(),
                };
                let done = match cmd.as_str() {
                    "LOGIN" => format!("{tag} OK [CAPABILITY IMAP4rev1 LITERAL+] Logged in\r\n"),
                    "SELECT" | "EXAMINE" => format!("{tag} OK [READ-WRITE] Select completed.\r\n"),
                    _ => format!("{tag} OK {cmd} completed.\r\n"),
                };
                if w.write_all(format!("{reply}{done}").as_bytes())
                    .await
                    .is_err()
                {
                    return;
                }
                if cmd == "LOGOUT" {
                    return;
                }
            }
        });
    }
}
