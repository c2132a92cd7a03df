//! imap-async: an async IMAP client for Tokio.

pub mod proto;
