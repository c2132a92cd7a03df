//! Command encoder (RFC 3501 §4, §9; RFC 7888 LITERAL+/LITERAL-).

use bytes::Bytes;

/// What the server lets us send without waiting for a continuation (RFC 7888).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LiteralSupport {
    /// Every literal is synchronizing: `{n}`, then wait for `+`.
    #[default]
    SyncOnly,
    /// LITERAL- (or IMAP4rev2): `{n+}` for literals of at most 4096 bytes.
    Minus,
    /// LITERAL+: `{n+}` for every literal.
    Plus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiteralMode {
    /// `{n}`: the sender must wait for a `+` continuation before the data.
    Sync,
    /// `{n+}`: the data follows at once.
    NonSync,
}

/// A piece of an encoded command. A command is sent line by line; after a `Sync` literal
/// header (which ends the preceding `Line`) the sender waits for `+`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fragment {
    /// Bytes to send as they are (ends with `{n}\r\n` or `{n+}\r\n` when a literal follows,
    /// and with `\r\n` at the end of the command).
    Line(Vec<u8>),
    /// Literal data (without header; the header ends the previous `Line`).
    Literal { data: Bytes, mode: LiteralMode },
}

/// An argument that cannot be sent safely in any form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("{what} contains a NUL byte at offset {offset}; IMAP cannot carry it")]
    Nul { what: &'static str, offset: usize },
    #[error("{what} {value:?} is not a valid IMAP atom")]
    NotAnAtom { what: &'static str, value: String },
}

/// A fully encoded command, ready for the session to send.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    pub tag: String,
    /// Command name as sent, e.g. `"UID FETCH"`; used for spans and error messages.
    pub name: String,
    pub fragments: Vec<Fragment>,
    /// The command as it may be logged: secret arguments replaced by `<redacted>`, literals
    /// shown as `{n}`.
    pub redacted: String,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted)
    }
}

/// Builds one command. Arguments are separated by exactly one space.
#[derive(Debug)]
pub struct CommandEncoder {
    _private: (),
}

impl CommandEncoder {
    /// Start `TAG NAME` (name e.g. `"LOGIN"`, `"UID FETCH"`).
    pub fn new(tag: &str, name: &str, literals: LiteralSupport) -> Self {
        let _ = (tag, name, literals);
        unimplemented!("being written")
    }
    pub fn utf8_quoted(self, _on: bool) -> Self { self }
    pub fn atom(&mut self, _w: &'static str, _a: &str) -> Result<&mut Self, EncodeError> { unimplemented!() }
    pub fn raw(&mut self, _s: &str) -> &mut Self { unimplemented!() }
    pub fn secret_raw(&mut self, _s: &str) -> &mut Self { unimplemented!() }
    pub fn astring(&mut self, _w: &'static str, _s: &[u8]) -> Result<&mut Self, EncodeError> { unimplemented!() }
    pub fn secret_astring(&mut self, _w: &'static str, _s: &[u8]) -> Result<&mut Self, EncodeError> { unimplemented!() }
    pub fn list_mailbox(&mut self, _w: &'static str, _s: &[u8]) -> Result<&mut Self, EncodeError> { unimplemented!() }
    pub fn finish(self) -> Command { unimplemented!() }
}
