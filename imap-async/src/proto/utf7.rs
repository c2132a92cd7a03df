//! Modified UTF-7 for mailbox names (RFC 3501 §5.1.3).

/// Encode a mailbox name to modified UTF-7.
pub fn encode(name: &str) -> String {
    let _ = name;
    unimplemented!("being written")
}

/// A mailbox name that is not valid modified UTF-7.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid modified UTF-7 in mailbox name at byte {position}: {reason}")]
pub struct Utf7Error {
    pub position: usize,
    pub reason: &'static str,
}

/// Decode a modified UTF-7 mailbox name.
pub fn decode(wire: &[u8]) -> Result<String, Utf7Error> {
    let _ = wire;
    unimplemented!("being written")
}
