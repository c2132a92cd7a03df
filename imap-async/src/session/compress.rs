//! COMPRESS=DEFLATE (RFC 4978, with the `compress` feature) and the count of bytes on the
//! wire.

use super::Session;
#[cfg(feature = "compress")]
use crate::error::Result;
use crate::transport::WireStats;

impl Session {
    /// `COMPRESS DEFLATE` (RFC 4978 §3): from the server's OK on, everything is compressed
    /// with raw deflate in both directions. Fails before sending when the server does not
    /// advertise `COMPRESS=DEFLATE`; does nothing when compression is already on (it
    /// cannot be stacked, RFC 4978 §3). Usually turned on by
    /// [`ConnectOptions::compress`](crate::ConnectOptions::compress) instead.
    ///
    /// ```no_run
    /// # async fn run(mut session: imap_async::Session) -> imap_async::Result<()> {
    /// if session.has_capability("COMPRESS=DEFLATE").await? {
    ///     session.compress().await?;
    /// }
    /// session.select_folder("INBOX").await?;
    /// let stats = session.wire_stats();
    /// println!("{} bytes received for {} bytes of IMAP", stats.received, stats.data_received);
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "compress")]
    #[cfg_attr(docsrs, doc(cfg(feature = "compress")))]
    pub async fn compress(&mut self) -> Result<()> {
        if self.conn.wire_stats().compressed {
            return Ok(());
        }
        self.require("COMPRESS=DEFLATE", "COMPRESS").await?;
        let mut enc = self.conn.encoder("COMPRESS");
        enc.atom("compression mechanism", "DEFLATE")?;
        let cmd = enc.finish();
        self.conn.execute(cmd, &mut |u| Some(u)).await?;
        self.conn.start_compression();
        Ok(())
    }

    /// Whether COMPRESS=DEFLATE is active on this connection.
    ///
    /// ```no_run
    /// # fn run(session: &imap_async::Session) {
    /// println!("compressed: {}", session.is_compressed());
    /// # }
    /// ```
    pub fn is_compressed(&self) -> bool {
        self.conn.wire_stats().compressed
    }

    /// Bytes exchanged with the server since the connection opened: on the wire (below
    /// compression, above TLS) and as IMAP data. With compression off the two are equal.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let before = session.wire_stats();
    /// session.fetch(&imap_async::UidSet::all(), "(ENVELOPE)").await?;
    /// let after = session.wire_stats();
    /// println!("{} bytes received", after.received - before.received);
    /// # Ok(())
    /// # }
    /// ```
    pub fn wire_stats(&self) -> WireStats {
        self.conn.wire_stats()
    }
}
