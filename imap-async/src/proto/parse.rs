//! Response parser (RFC 3501 §9 / RFC 9051 §9 grammar), lenient where servers are known to
//! stray.

use bytes::Bytes;

use super::types::Response;

/// A framed response that could not be parsed. It carries the raw bytes so the caller can
/// log or report them; framing was intact, so the connection stays usable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot parse server response at byte {position}: {reason} (response: {})", crate::proto::parse::show(raw))]
pub struct ParseError {
    pub reason: String,
    pub position: usize,
    pub raw: Bytes,
}

/// Printable, length-limited rendering of raw bytes for error messages.
pub fn show(raw: &[u8]) -> String {
    let mut s = String::new();
    for &b in raw.iter().take(300) {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    if raw.len() > 300 {
        s.push_str(&format!("... ({} bytes)", raw.len()));
    }
    s
}

/// Parse one complete response, as framed by [`super::Framer`] (CRLF included).
pub fn parse_response(frame: Bytes) -> Result<Response, ParseError> {
    let _ = frame;
    unimplemented!("being written")
}
