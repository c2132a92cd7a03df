//! Server-level commands: ENABLE (RFC 5161).

use super::Session;
use crate::error::{Error, Result};
use crate::proto::Untagged;

impl Session {
    /// ENABLE extensions (RFC 5161), e.g. `CONDSTORE` so that SELECT reports
    /// `HIGHESTMODSEQ`. Returns what the server says it enabled, upper-cased. Fails before
    /// sending when the server lacks the ENABLE capability.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let enabled = session.enable(&["CONDSTORE"]).await?;
    /// if enabled.iter().any(|e| e == "CONDSTORE") {
    ///     let info = session.select_folder("INBOX").await?;
    ///     println!("HIGHESTMODSEQ {:?}", info.highest_modseq);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn enable(&mut self, extensions: &[&str]) -> Result<Vec<String>> {
        self.require("ENABLE", "ENABLE").await?;
        if extensions.is_empty() {
            return Err(Error::invalid("ENABLE", "no extension named"));
        }
        let mut enc = self.conn.encoder("ENABLE");
        for ext in extensions {
            enc.atom("extension name", ext)?;
        }
        let cmd = enc.finish();
        let mut enabled = Vec::new();
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::Enabled(list) => {
                    enabled.extend(
                        list.iter()
                            .map(|b| String::from_utf8_lossy(b).to_ascii_uppercase()),
                    );
                    None
                }
                other => Some(other),
            })
            .await?;
        if enabled.iter().any(|e| e == "UTF8=ACCEPT") {
            self.conn.utf8_enabled = true;
        }
        Ok(enabled)
    }
}
