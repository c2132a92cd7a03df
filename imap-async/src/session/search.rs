//! SEARCH (RFC 3501 §6.4.4), with UIDs by default (§6.4.8).

use super::Session;
use crate::error::{Error, Result};
use crate::proto::{Seq, SeqSet, Uid, UidSet, Untagged};

/// Criteria are library input that goes on the wire as they are, so they must not be able
/// to end the command line or smuggle bytes IMAP cannot carry.
fn check_raw_criteria(criteria: &str) -> Result<()> {
    if criteria.trim().is_empty() {
        return Err(Error::invalid(
            "search criteria",
            "empty (use \"ALL\" for every message)",
        ));
    }
    if let Some(pos) = criteria
        .bytes()
        .position(|b| b == b'\r' || b == b'\n' || b == 0)
    {
        return Err(Error::invalid(
            "search criteria",
            format!("control character (CR, LF or NUL) at byte {pos}"),
        ));
    }
    if let Some(pos) = criteria.bytes().position(|b| b >= 0x80) {
        return Err(Error::invalid(
            "search criteria",
            format!("non-ASCII text at byte {pos}: raw criteria must be ASCII"),
        ));
    }
    Ok(())
}

impl Session {
    /// `UID SEARCH criteria`: the UIDs of the matching messages, as a compact set.
    /// `criteria` is raw IMAP search syntax (e.g. `"UNSEEN FROM \"alice\""`), which must be
    /// ASCII without line breaks.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.select_folder("INBOX").await?;
    /// let unseen = session.search("UNSEEN").await?;
    /// println!("{} unseen: {unseen}", unseen.count().unwrap_or(0));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn search(&mut self, criteria: &str) -> Result<UidSet> {
        let ids = self.run_search("UID SEARCH", criteria).await?;
        Ok(ids.into_iter().filter_map(Uid::new).collect())
    }

    /// `SEARCH criteria` with message sequence numbers.
    pub async fn seq_search(&mut self, criteria: &str) -> Result<SeqSet> {
        let ids = self.run_search("SEARCH", criteria).await?;
        Ok(ids.into_iter().filter_map(Seq::new).collect())
    }

    async fn run_search(&mut self, command: &str, criteria: &str) -> Result<Vec<u32>> {
        check_raw_criteria(criteria)?;
        let mut enc = self.conn.encoder(command);
        enc.raw(criteria.trim());
        let cmd = enc.finish();
        let mut found = Vec::new();
        self.conn
            .execute(cmd, &mut |u| match u {
                Untagged::Search { ids, .. } => {
                    found.extend(ids);
                    None
                }
                other => Some(other),
            })
            .await?;
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_criteria_are_checked() {
        assert!(check_raw_criteria("UNSEEN").is_ok());
        let e = check_raw_criteria("ALL\r\nA1 DELETE INBOX")
            .unwrap_err()
            .to_string();
        assert!(e.contains("byte 3"), "{e}");
        assert!(
            check_raw_criteria("SUBJECT caf\u{e9}")
                .unwrap_err()
                .to_string()
                .contains("non-ASCII")
        );
        assert!(check_raw_criteria("  ").is_err());
    }
}
