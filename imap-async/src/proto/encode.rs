//! Command encoder (RFC 3501 §4, §9; RFC 7888 LITERAL+/LITERAL-; RFC 6855 UTF8=ACCEPT).
//!
//! Every user-given string goes through a method that picks a form the server cannot
//! misread: an atom only when every byte is an atom character, a quoted string only for
//! short 7-bit text without CR/LF, and a literal otherwise. No input can add an argument,
//! end the line, or start another command.
//!
//! ```
//! use imap_async::proto::{CommandEncoder, Fragment, LiteralSupport};
//!
//! let mut enc = CommandEncoder::new("A1", "LOGIN", LiteralSupport::SyncOnly);
//! enc.astring("user name", b"user")?.secret_astring("password", b"pa ss")?;
//! let cmd = enc.finish();
//! assert_eq!(cmd.fragments, [Fragment::Line(b"A1 LOGIN user \"pa ss\"\r\n".to_vec())]);
//! assert_eq!(cmd.redacted, "A1 LOGIN user <redacted>");
//! # Ok::<(), imap_async::proto::EncodeError>(())
//! ```

use bytes::Bytes;

use super::sequence::{Id, IdSet};
use super::utf7;

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

/// Whether a literal's data may follow its header at once.
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
#[non_exhaustive]
pub enum Fragment {
    /// Bytes to send as they are (ends with `{n}\r\n` or `{n+}\r\n` when a literal follows,
    /// and with `\r\n` at the end of the command).
    Line(Vec<u8>),
    /// Literal data (without header; the header ends the previous `Line`).
    Literal {
        /// The bytes, sent as they are.
        data: Bytes,
        /// Whether the sender must wait for `+` before sending `data`.
        mode: LiteralMode,
    },
    /// Literal data the sender supplies itself while sending, `len` bytes exactly (an
    /// APPEND streamed from a reader, see
    /// [`CommandEncoder::streamed_literal`]); the header ends the previous `Line`.
    StreamedLiteral {
        /// How many bytes the header announced.
        len: u64,
        /// Whether the sender must wait for `+` before sending the data.
        mode: LiteralMode,
    },
}

/// An argument that cannot be sent safely in any form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A NUL byte, which no IMAP string can carry (RFC 3501 §4.3: `CHAR8` excludes NUL;
    /// only BINARY's `literal8` can).
    #[error("{what} contains a NUL byte at offset {offset}; IMAP cannot carry it")]
    Nul {
        /// The argument, e.g. `"password"`.
        what: &'static str,
        /// Byte offset of the first NUL.
        offset: usize,
    },
    /// A keyword, flag or other atom with characters outside `ATOM-CHAR` (RFC 3501 §9).
    #[error("{what} {value:?} is not a valid IMAP atom")]
    NotAnAtom {
        /// The argument, e.g. `"keyword"`.
        what: &'static str,
        /// The rejected value.
        value: String,
    },
    /// An empty sequence set, which has no wire form (RFC 3501 §9 `sequence-set`).
    #[error("{what} is an empty set; IMAP has no syntax for it")]
    EmptySet {
        /// The argument, e.g. `"UIDs to fetch"`.
        what: &'static str,
    },
}

/// A fully encoded command, ready for the session to send.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    /// The tag, e.g. `"A1"`.
    pub tag: String,
    /// Command name as sent, e.g. `"UID FETCH"`; used for spans and error messages.
    pub name: String,
    /// What to send, in order.
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

/// Longest string sent as a quoted string; longer ones become literals. RFC 3501 sets no
/// limit, but servers limit line length (RFC 7162 §4 suggests 8192 octets per line).
pub const QUOTED_MAX: usize = 1024;

/// Largest literal LITERAL- lets us send non-synchronizing (RFC 7888 §5).
pub const LITERAL_MINUS_MAX: usize = 4096;

/// `ATOM-CHAR` (RFC 3501 §9): any `CHAR` except atom-specials: `(` `)` `{` SP CTL `%` `*`
/// `"` `\` `]`.
pub(crate) fn is_atom_char(b: u8) -> bool {
    matches!(b, 0x21..=0x7e) && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// `ASTRING-CHAR = ATOM-CHAR / resp-specials` (RFC 3501 §9).
fn is_astring_char(b: u8) -> bool {
    is_atom_char(b) || b == b']'
}

/// `list-char = ATOM-CHAR / list-wildcards / resp-specials` (RFC 3501 §9).
pub(crate) fn is_list_char(b: u8) -> bool {
    is_atom_char(b) || matches!(b, b'%' | b'*' | b']')
}

/// How one string argument goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Atom,
    Quoted,
    Literal,
}

/// Builds one command. Arguments are separated by exactly one space; lists get no space
/// after `(` or before `)`.
///
/// ```
/// use imap_async::proto::{CommandEncoder, LiteralSupport, UidSet};
///
/// let set: UidSet = "1:5,7".parse().unwrap();
/// let mut enc = CommandEncoder::new("A7", "UID STORE", LiteralSupport::Plus);
/// enc.set("UIDs", &set)?.raw("+FLAGS.SILENT").open_list();
/// enc.flag("flag", "\\Seen")?.flag("flag", "$Junk")?;
/// enc.close_list();
/// assert_eq!(enc.finish().redacted, "A7 UID STORE 1:5,7 +FLAGS.SILENT (\\Seen $Junk)");
/// # Ok::<(), imap_async::proto::EncodeError>(())
/// ```
pub struct CommandEncoder {
    tag: String,
    name: String,
    literals: LiteralSupport,
    utf8_quoted: bool,
    fragments: Vec<Fragment>,
    /// The line being built (after the last literal).
    line: Vec<u8>,
    redacted: String,
    /// Whether the next argument needs a space before it.
    need_space: bool,
    /// Open parentheses.
    depth: usize,
}

/// Shows only the redacted form built so far, never secret arguments.
impl std::fmt::Debug for CommandEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandEncoder")
            .field("redacted", &self.redacted)
            .field("literals", &self.literals)
            .field("utf8_quoted", &self.utf8_quoted)
            .finish_non_exhaustive()
    }
}

impl CommandEncoder {
    /// Start `TAG NAME` (name e.g. `"LOGIN"`, `"UID FETCH"`). Both are library-generated:
    /// the tag must be `ASTRING-CHAR`s other than `+` (RFC 3501 §9 `tag`), the name atoms
    /// separated by single spaces; this is checked in debug builds only.
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, Fragment, LiteralSupport};
    ///
    /// let cmd = CommandEncoder::new("A2", "NOOP", LiteralSupport::SyncOnly).finish();
    /// assert_eq!(cmd.fragments, [Fragment::Line(b"A2 NOOP\r\n".to_vec())]);
    /// ```
    pub fn new(tag: &str, name: &str, literals: LiteralSupport) -> Self {
        debug_assert!(
            !tag.is_empty() && tag.bytes().all(|b| is_astring_char(b) && b != b'+'),
            "invalid tag {tag:?}"
        );
        debug_assert!(
            !name.is_empty()
                && name
                    .split(' ')
                    .all(|w| !w.is_empty() && w.bytes().all(is_atom_char)),
            "invalid command name {name:?}"
        );
        let mut line = Vec::with_capacity(64);
        line.extend_from_slice(tag.as_bytes());
        line.push(b' ');
        line.extend_from_slice(name.as_bytes());
        CommandEncoder {
            tag: tag.to_owned(),
            name: name.to_owned(),
            literals,
            utf8_quoted: false,
            fragments: Vec::new(),
            redacted: format!("{tag} {name}"),
            line,
            need_space: true,
            depth: 0,
        }
    }

    /// Allow non-ASCII UTF-8 in quoted strings, once `ENABLE UTF8=ACCEPT` succeeded (RFC 6855
    /// §3). Without it, any 8-bit byte forces a literal. Invalid UTF-8 always does. This also
    /// makes [`mailbox`](Self::mailbox) send names as UTF-8 instead of modified UTF-7.
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "SEARCH", LiteralSupport::SyncOnly).utf8_quoted(true);
    /// enc.raw("SUBJECT").string("subject", "Grüße".as_bytes())?;
    /// assert_eq!(enc.finish().redacted, "A1 SEARCH SUBJECT \"Grüße\"");
    /// # Ok::<(), imap_async::proto::EncodeError>(())
    /// ```
    pub fn utf8_quoted(mut self, on: bool) -> Self {
        self.utf8_quoted = on;
        self
    }

    /// Write the separator before an argument.
    fn begin_arg(&mut self) {
        if self.need_space {
            self.line.push(b' ');
            self.redacted.push(' ');
        }
        self.need_space = true;
    }

    /// Append bytes known to be printable ASCII (atoms, numbers, trusted syntax).
    fn push_ascii(&mut self, s: &str) {
        self.begin_arg();
        self.line.extend_from_slice(s.as_bytes());
        self.redacted.push_str(s);
    }

    /// A validated atom (RFC 3501 §9 `atom`: one or more `ATOM-CHAR`s), e.g. a keyword or a
    /// search key the caller chose. Use [`flag`](Self::flag) for `\Seen`-style flags.
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "SEARCH", LiteralSupport::SyncOnly);
    /// enc.atom("search key", "UNSEEN")?;
    /// assert!(enc.atom("keyword", "not an atom").is_err());
    /// assert_eq!(enc.finish().redacted, "A1 SEARCH UNSEEN");
    /// # Ok::<(), imap_async::proto::EncodeError>(())
    /// ```
    pub fn atom(&mut self, what: &'static str, a: &str) -> Result<&mut Self, EncodeError> {
        if a.is_empty() || !a.bytes().all(is_atom_char) {
            return Err(EncodeError::NotAnAtom {
                what,
                value: a.to_owned(),
            });
        }
        self.push_ascii(a);
        Ok(self)
    }

    /// A flag (RFC 3501 §9 `flag`): a keyword atom, or `\` followed by an atom (`\Seen`,
    /// `\Answered`, extension flags).
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "STORE", LiteralSupport::SyncOnly);
    /// assert!(enc.flag("flag", "\\Seen").is_ok());
    /// assert!(enc.flag("flag", "\\Se en").is_err());
    /// ```
    pub fn flag(&mut self, what: &'static str, f: &str) -> Result<&mut Self, EncodeError> {
        let body = f.strip_prefix('\\').unwrap_or(f);
        if body.is_empty() || !body.bytes().all(is_atom_char) {
            return Err(EncodeError::NotAnAtom {
                what,
                value: f.to_owned(),
            });
        }
        self.push_ascii(f);
        Ok(self)
    }

    /// Trusted, library-generated syntax inserted as one argument, e.g. a sequence set,
    /// `+FLAGS.SILENT` or `(FLAGS UID)`. Never pass user input here. Debug builds check that
    /// it is non-empty and has no CR, LF or NUL.
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "FETCH", LiteralSupport::SyncOnly);
    /// enc.raw("1:*").raw("(FLAGS UID)");
    /// assert_eq!(enc.finish().redacted, "A1 FETCH 1:* (FLAGS UID)");
    /// ```
    pub fn raw(&mut self, s: &str) -> &mut Self {
        debug_assert!(
            !s.is_empty() && !s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)),
            "raw command syntax {s:?}"
        );
        self.push_ascii(s);
        self
    }

    /// Like [`raw`](Self::raw), but logged as `<redacted>`: for a SASL initial response
    /// (RFC 4959), which carries credentials.
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "AUTHENTICATE", LiteralSupport::SyncOnly);
    /// enc.raw("PLAIN").secret_raw("AGJhcgBwYXNzd2Q=");
    /// let cmd = enc.finish();
    /// assert_eq!(cmd.redacted, "A1 AUTHENTICATE PLAIN <redacted>");
    /// ```
    pub fn secret_raw(&mut self, s: &str) -> &mut Self {
        debug_assert!(
            !s.is_empty() && !s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)),
            "raw command syntax"
        );
        self.begin_arg();
        self.line.extend_from_slice(s.as_bytes());
        self.redacted.push_str("<redacted>");
        self
    }

    /// A number (RFC 3501 §4.2).
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "APPEND", LiteralSupport::SyncOnly);
    /// enc.raw("INBOX").number(42);
    /// assert_eq!(enc.finish().redacted, "A1 APPEND INBOX 42");
    /// ```
    pub fn number(&mut self, n: u64) -> &mut Self {
        self.push_ascii(&n.to_string());
        self
    }

    /// `NIL` (RFC 3501 §4.5).
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "ID", LiteralSupport::SyncOnly);
    /// enc.nil();
    /// assert_eq!(enc.finish().redacted, "A1 ID NIL");
    /// ```
    pub fn nil(&mut self) -> &mut Self {
        self.push_ascii("NIL");
        self
    }

    /// A sequence set or UID set in wire form; an empty set is an error.
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, LiteralSupport, UidSet};
    ///
    /// let mut enc = CommandEncoder::new("A1", "UID FETCH", LiteralSupport::SyncOnly);
    /// let set: UidSet = "3:5,9".parse().unwrap();
    /// enc.set("UIDs", &set)?.raw("FLAGS");
    /// assert!(enc.set("UIDs", &UidSet::new()).is_err());
    /// assert_eq!(enc.finish().redacted, "A1 UID FETCH 3:5,9 FLAGS");
    /// # Ok::<(), imap_async::proto::EncodeError>(())
    /// ```
    pub fn set<K: Id>(
        &mut self,
        what: &'static str,
        set: &IdSet<K>,
    ) -> Result<&mut Self, EncodeError> {
        if set.is_empty() {
            return Err(EncodeError::EmptySet { what });
        }
        self.push_ascii(&set.to_string());
        Ok(self)
    }

    /// An `astring` (RFC 3501 §9), in the smallest safe form: an atom if non-empty and every
    /// byte is an `ASTRING-CHAR` (but `NIL` in any case is quoted, so it cannot be read as
    /// NIL); a quoted string if it is at most [`QUOTED_MAX`] bytes of `TEXT-CHAR` (8-bit
    /// UTF-8 only with [`utf8_quoted`](Self::utf8_quoted)); a literal otherwise. CR, LF and
    /// (without UTF8=ACCEPT) 8-bit bytes force a literal. NUL is an error naming `what`.
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "SELECT", LiteralSupport::Plus);
    /// enc.astring("mailbox", b"a\"\r\nA2 DELETE INBOX")?;
    /// assert_eq!(enc.finish().redacted, "A1 SELECT {19}");
    /// # Ok::<(), imap_async::proto::EncodeError>(())
    /// ```
    pub fn astring(&mut self, what: &'static str, s: &[u8]) -> Result<&mut Self, EncodeError> {
        let form = self.classify(what, s, Some(is_astring_char))?;
        self.push_string(form, s, false);
        Ok(self)
    }

    /// Like [`astring`](Self::astring), but the logged form ([`Command::redacted`]) shows
    /// `<redacted>` instead of the value, whatever form it is sent in. For passwords.
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "LOGIN", LiteralSupport::SyncOnly);
    /// enc.astring("user name", b"bar")?.secret_astring("password", b"passwd")?;
    /// assert_eq!(enc.finish().redacted, "A1 LOGIN bar <redacted>");
    /// # Ok::<(), imap_async::proto::EncodeError>(())
    /// ```
    pub fn secret_astring(
        &mut self,
        what: &'static str,
        s: &[u8],
    ) -> Result<&mut Self, EncodeError> {
        let form = self.classify(what, s, Some(is_astring_char))?;
        self.push_string(form, s, true);
        Ok(self)
    }

    /// A `string` (RFC 3501 §9): quoted or literal, never an atom. For arguments where the
    /// grammar has no atom form, e.g. SEARCH `SUBJECT "x"`.
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "SEARCH", LiteralSupport::SyncOnly);
    /// enc.raw("SUBJECT").string("subject", b"hello")?;
    /// assert_eq!(enc.finish().redacted, "A1 SEARCH SUBJECT \"hello\"");
    /// # Ok::<(), imap_async::proto::EncodeError>(())
    /// ```
    pub fn string(&mut self, what: &'static str, s: &[u8]) -> Result<&mut Self, EncodeError> {
        let form = self.classify(what, s, None)?;
        self.push_string(form, s, false);
        Ok(self)
    }

    /// A LIST/LSUB pattern (RFC 3501 §9 `list-mailbox`): like [`astring`](Self::astring), but
    /// the wildcards `%` and `*` may also stay unquoted.
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "LIST", LiteralSupport::SyncOnly);
    /// enc.astring("reference", b"")?.list_mailbox("pattern", b"Archive/%")?;
    /// assert_eq!(enc.finish().redacted, "A1 LIST \"\" Archive/%");
    /// # Ok::<(), imap_async::proto::EncodeError>(())
    /// ```
    pub fn list_mailbox(&mut self, what: &'static str, s: &[u8]) -> Result<&mut Self, EncodeError> {
        let form = self.classify(what, s, Some(is_list_char))?;
        self.push_string(form, s, false);
        Ok(self)
    }

    /// A mailbox name (RFC 3501 §9 `mailbox`, an astring): modified UTF-7 (RFC 3501 §5.1.3),
    /// or raw UTF-8 once [`utf8_quoted`](Self::utf8_quoted) is on (RFC 6855 §3).
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "SELECT", LiteralSupport::SyncOnly);
    /// enc.mailbox("mailbox", "日本語")?;
    /// assert_eq!(enc.finish().redacted, "A1 SELECT &ZeVnLIqe-");
    ///
    /// let mut enc = CommandEncoder::new("A1", "SELECT", LiteralSupport::SyncOnly).utf8_quoted(true);
    /// enc.mailbox("mailbox", "日本語")?;
    /// assert_eq!(enc.finish().redacted, "A1 SELECT \"日本語\"");
    /// # Ok::<(), imap_async::proto::EncodeError>(())
    /// ```
    pub fn mailbox(&mut self, what: &'static str, name: &str) -> Result<&mut Self, EncodeError> {
        if self.utf8_quoted {
            self.astring(what, name.as_bytes())
        } else {
            self.astring(what, utf7::encode(name).as_bytes())
        }
    }

    /// A literal whatever the content (RFC 3501 §4.3), e.g. APPEND message data. NUL is an
    /// error (use [`literal8`](Self::literal8) with BINARY).
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, Fragment, LiteralMode, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "APPEND", LiteralSupport::SyncOnly);
    /// enc.raw("INBOX").literal("Hi\r\n".into())?;
    /// let cmd = enc.finish();
    /// assert_eq!(cmd.redacted, "A1 APPEND INBOX {4}");
    /// assert!(matches!(cmd.fragments[1], Fragment::Literal { mode: LiteralMode::Sync, .. }));
    /// # Ok::<(), imap_async::proto::EncodeError>(())
    /// ```
    pub fn literal(&mut self, data: Bytes) -> Result<&mut Self, EncodeError> {
        if let Some(offset) = data.iter().position(|&b| b == 0) {
            return Err(EncodeError::Nul {
                what: "literal data",
                offset,
            });
        }
        self.push_literal(data, false, false);
        Ok(self)
    }

    /// A BINARY `literal8` (`~{n}`, RFC 3516 §4; `~{n+}` as RFC 7888 §6 allows), which may
    /// hold any bytes including NUL. Only for servers that advertise BINARY.
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "APPEND", LiteralSupport::SyncOnly);
    /// enc.raw("INBOX").literal8(bytes::Bytes::from_static(b"a\0b"));
    /// assert_eq!(enc.finish().redacted, "A1 APPEND INBOX ~{3}");
    /// ```
    pub fn literal8(&mut self, data: Bytes) -> &mut Self {
        self.push_literal(data, true, false);
        self
    }

    /// The header of a literal of `len` bytes whose data is not here: the sender supplies
    /// it while sending ([`Fragment::StreamedLiteral`]), e.g. a message appended from a
    /// reader. `{len+}` when LITERAL+ allows (RFC 7888 §4; LITERAL- only up to 4096
    /// bytes), `{len}` otherwise. The sender must send exactly `len` bytes, none of them
    /// NUL (RFC 3501 §4.3).
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, Fragment, LiteralMode, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "APPEND", LiteralSupport::Plus);
    /// enc.raw("INBOX").streamed_literal(5_000_000);
    /// let cmd = enc.finish();
    /// assert_eq!(cmd.redacted, "A1 APPEND INBOX {5000000}");
    /// assert_eq!(cmd.fragments[0], Fragment::Line(b"A1 APPEND INBOX {5000000+}\r\n".to_vec()));
    /// assert_eq!(
    ///     cmd.fragments[1],
    ///     Fragment::StreamedLiteral { len: 5_000_000, mode: LiteralMode::NonSync }
    /// );
    /// ```
    pub fn streamed_literal(&mut self, len: u64) -> &mut Self {
        let mode = self.push_literal_header(len, false, false);
        self.fragments.push(Fragment::StreamedLiteral { len, mode });
        self
    }

    /// Open a parenthesized list (RFC 3501 §4.4): `(`, with no space after it.
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "FETCH", LiteralSupport::SyncOnly);
    /// enc.raw("1").open_list().raw("FLAGS").raw("UID").close_list();
    /// assert_eq!(enc.finish().redacted, "A1 FETCH 1 (FLAGS UID)");
    /// ```
    pub fn open_list(&mut self) -> &mut Self {
        self.begin_arg();
        self.line.push(b'(');
        self.redacted.push('(');
        self.need_space = false;
        self.depth += 1;
        self
    }

    /// Close the innermost list: `)`, with no space before it.
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "STATUS", LiteralSupport::SyncOnly);
    /// enc.raw("INBOX").open_list().raw("MESSAGES").close_list();
    /// assert_eq!(enc.finish().redacted, "A1 STATUS INBOX (MESSAGES)");
    /// ```
    pub fn close_list(&mut self) -> &mut Self {
        debug_assert!(self.depth > 0, "close_list without open_list");
        self.depth = self.depth.saturating_sub(1);
        self.line.push(b')');
        self.redacted.push(')');
        self.need_space = true;
        self
    }

    /// End the command with CRLF.
    ///
    /// ```
    /// use imap_async::proto::{CommandEncoder, Fragment, LiteralSupport};
    ///
    /// let mut enc = CommandEncoder::new("A1", "SELECT", LiteralSupport::SyncOnly);
    /// enc.mailbox("mailbox", "INBOX")?;
    /// let cmd = enc.finish();
    /// assert_eq!(cmd.tag, "A1");
    /// assert_eq!(cmd.name, "SELECT");
    /// assert_eq!(cmd.fragments, [Fragment::Line(b"A1 SELECT INBOX\r\n".to_vec())]);
    /// # Ok::<(), imap_async::proto::EncodeError>(())
    /// ```
    pub fn finish(mut self) -> Command {
        debug_assert_eq!(self.depth, 0, "unclosed list in {}", self.redacted);
        self.line.extend_from_slice(b"\r\n");
        self.fragments.push(Fragment::Line(self.line));
        Command {
            tag: self.tag,
            name: self.name,
            fragments: self.fragments,
            redacted: self.redacted,
        }
    }

    /// Pick the form for a string argument. `atom_char` is `None` where only `string` is
    /// allowed.
    fn classify(
        &self,
        what: &'static str,
        s: &[u8],
        atom_char: Option<fn(u8) -> bool>,
    ) -> Result<Form, EncodeError> {
        if let Some(offset) = s.iter().position(|&b| b == 0) {
            return Err(EncodeError::Nul { what, offset });
        }
        if let Some(ok) = atom_char
            && !s.is_empty()
            && s.iter().all(|&b| ok(b))
            && !s.eq_ignore_ascii_case(b"NIL")
        {
            return Ok(Form::Atom);
        }
        // RFC 3501 §9 QUOTED-CHAR: TEXT-CHAR is CHAR (7-bit) except CR and LF; RFC 6855 §3
        // adds UTF-8 sequences.
        let text = !s.iter().any(|&b| b == b'\r' || b == b'\n');
        let chars_ok = s.is_ascii() || (self.utf8_quoted && std::str::from_utf8(s).is_ok());
        if s.len() <= QUOTED_MAX && text && chars_ok {
            Ok(Form::Quoted)
        } else {
            Ok(Form::Literal)
        }
    }

    fn push_string(&mut self, form: Form, s: &[u8], secret: bool) {
        match form {
            Form::Atom | Form::Quoted => {
                self.begin_arg();
                let start = self.line.len();
                if form == Form::Atom {
                    self.line.extend_from_slice(s);
                } else {
                    self.line.push(b'"');
                    for &b in s {
                        if b == b'"' || b == b'\\' {
                            self.line.push(b'\\');
                        }
                        self.line.push(b);
                    }
                    self.line.push(b'"');
                }
                if secret {
                    self.redacted.push_str("<redacted>");
                } else {
                    let shown = String::from_utf8_lossy(&self.line[start..]);
                    push_loggable(&mut self.redacted, &shown);
                }
            }
            Form::Literal => self.push_literal(Bytes::copy_from_slice(s), false, secret),
        }
    }

    /// Header (ending the current line), data, and a fresh line for what follows.
    fn push_literal(&mut self, data: Bytes, eight: bool, secret: bool) {
        let mode = self.push_literal_header(data.len() as u64, eight, secret);
        self.fragments.push(Fragment::Literal { data, mode });
    }

    /// The header of a literal of `n` bytes (ending the current line, which is pushed),
    /// in the form the server's literal support allows; the caller pushes the data.
    fn push_literal_header(&mut self, n: u64, eight: bool, secret: bool) -> LiteralMode {
        let mode = match self.literals {
            LiteralSupport::Plus => LiteralMode::NonSync,
            LiteralSupport::Minus if n <= LITERAL_MINUS_MAX as u64 => LiteralMode::NonSync,
            LiteralSupport::Minus | LiteralSupport::SyncOnly => LiteralMode::Sync,
        };
        let tilde = if eight { "~" } else { "" };
        let plus = if mode == LiteralMode::NonSync {
            "+"
        } else {
            ""
        };
        self.begin_arg();
        self.line
            .extend_from_slice(format!("{tilde}{{{n}{plus}}}\r\n").as_bytes());
        if secret {
            self.redacted.push_str("<redacted>");
        } else {
            self.redacted.push_str(&format!("{tilde}{{{n}}}"));
        }
        let line = std::mem::take(&mut self.line);
        self.fragments.push(Fragment::Line(line));
        mode
    }
}

/// Append to the log form, showing control characters (which quoted strings may carry) as
/// escapes so that a log line cannot be forged or garbled.
fn push_loggable(out: &mut String, s: &str) {
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &str) -> Fragment {
        Fragment::Line(s.as_bytes().to_vec())
    }

    fn lit(s: &[u8], mode: LiteralMode) -> Fragment {
        Fragment::Literal {
            data: Bytes::copy_from_slice(s),
            mode,
        }
    }

    fn enc(name: &str) -> CommandEncoder {
        CommandEncoder::new("A1", name, LiteralSupport::SyncOnly)
    }

    use crate::proto::testing::{Arg, content, read_back};

    #[test]
    fn login_quoted() {
        let mut e = enc("LOGIN");
        e.astring("user", b"user")
            .unwrap()
            .secret_astring("password", b"pa ss")
            .unwrap();
        let cmd = e.finish();
        assert_eq!(cmd.fragments, [line("A1 LOGIN user \"pa ss\"\r\n")]);
        assert_eq!(cmd.redacted, "A1 LOGIN user <redacted>");
        assert_eq!(format!("{cmd:?}"), "A1 LOGIN user <redacted>");
        assert_eq!(cmd.tag, "A1");
        assert_eq!(cmd.name, "LOGIN");
    }

    #[test]
    fn login_literal_password_each_literal_support() {
        let pw = "pässwörd".as_bytes(); // 10 bytes, 8-bit: literal
        assert_eq!(pw.len(), 10);
        for (support, header, mode) in [
            (LiteralSupport::SyncOnly, "{10}", LiteralMode::Sync),
            (LiteralSupport::Minus, "{10+}", LiteralMode::NonSync),
            (LiteralSupport::Plus, "{10+}", LiteralMode::NonSync),
        ] {
            let mut e = CommandEncoder::new("A1", "LOGIN", support);
            e.astring("user", b"user")
                .unwrap()
                .secret_astring("password", pw)
                .unwrap();
            let cmd = e.finish();
            assert_eq!(
                cmd.fragments,
                [
                    line(&format!("A1 LOGIN user {header}\r\n")),
                    lit(pw, mode),
                    line("\r\n")
                ],
                "{support:?}"
            );
            assert_eq!(cmd.redacted, "A1 LOGIN user <redacted>");
            assert!(!format!("{cmd:?}").contains("ss"));
        }
    }

    #[test]
    fn literal_minus_limit() {
        for (n, support, header, mode) in [
            (4096, LiteralSupport::Minus, "{4096+}", LiteralMode::NonSync),
            (4097, LiteralSupport::Minus, "{4097}", LiteralMode::Sync),
            (4097, LiteralSupport::Plus, "{4097+}", LiteralMode::NonSync),
            (1, LiteralSupport::SyncOnly, "{1}", LiteralMode::Sync),
        ] {
            let data = Bytes::from(vec![b'x'; n]);
            let mut e = CommandEncoder::new("A9", "APPEND", support);
            e.astring("mailbox", b"INBOX")
                .unwrap()
                .literal(data.clone())
                .unwrap();
            let cmd = e.finish();
            assert_eq!(
                cmd.fragments,
                [
                    line(&format!("A9 APPEND INBOX {header}\r\n")),
                    Fragment::Literal { data, mode },
                    line("\r\n")
                ]
            );
            assert_eq!(cmd.redacted, format!("A9 APPEND INBOX {{{n}}}"));
        }
    }

    #[test]
    fn injection_attempt_becomes_literal() {
        let evil = b"a\"\r\nA2 DELETE INBOX";
        let mut e = enc("SELECT");
        e.astring("mailbox", evil).unwrap();
        let cmd = e.finish();
        assert_eq!(
            cmd.fragments,
            [
                line("A1 SELECT {19}\r\n"),
                lit(evil, LiteralMode::Sync),
                line("\r\n")
            ]
        );
        assert_eq!(cmd.redacted, "A1 SELECT {19}");
        let (_, _, args) = read_back(&cmd, 1);
        assert_eq!(args, [Arg::Literal(evil.to_vec())]);
    }

    /// Inputs that try to break out of their argument.
    fn nasty() -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = [
            &b""[..],
            b"NIL",
            b"nil",
            b"Nil",
            b" ",
            b"a b",
            b"\"",
            b"\\",
            b"\\\"",
            b"\"\\",
            b"a\"b",
            b"\r",
            b"\n",
            b"\r\n",
            b"x\r\nA2 LOGOUT",
            b"a\"\r\nA2 DELETE INBOX",
            b"{5}",
            b"{5}\r\nhello",
            b"{5+}",
            b"~{5}",
            b"(",
            b")",
            b"()",
            b"((",
            b"]",
            b"[",
            b"%",
            b"*",
            b"INBOX/*",
            b"\\Seen",
            b"+",
            b"\t",
            b"\x7f",
            b"\x1b[31m",
            "Entwürfe".as_bytes(),
            "日本語".as_bytes(),
            "😀".as_bytes(),
            b"\xff\xfe",
            b"\xc3",
            b"trailing ",
            b" leading",
        ]
        .iter()
        .map(|s| s.to_vec())
        .collect();
        v.push(vec![b'q'; QUOTED_MAX]);
        v.push(vec![b' '; QUOTED_MAX]);
        v.push(vec![b' '; QUOTED_MAX + 1]);
        v.push(vec![b'"'; 700]);
        // Every byte but NUL.
        v.push((1..=255u8).collect());
        v.extend((1..=255u8).map(|b| vec![b]));
        v
    }

    #[test]
    fn no_input_changes_the_command_structure() {
        type Method = fn(&mut CommandEncoder, &'static str, &[u8]) -> Result<(), EncodeError>;
        let methods: [(&str, Method); 4] = [
            ("astring", |e, w, s| e.astring(w, s).map(drop)),
            ("string", |e, w, s| e.string(w, s).map(drop)),
            ("list_mailbox", |e, w, s| e.list_mailbox(w, s).map(drop)),
            ("secret_astring", |e, w, s| e.secret_astring(w, s).map(drop)),
        ];
        for support in [
            LiteralSupport::SyncOnly,
            LiteralSupport::Minus,
            LiteralSupport::Plus,
        ] {
            for utf8 in [false, true] {
                for s in nasty() {
                    for (mname, m) in methods {
                        let mut e = CommandEncoder::new("T1", "X Y", support).utf8_quoted(utf8);
                        e.raw("1");
                        m(&mut e, "first", &s).unwrap();
                        e.open_list();
                        m(&mut e, "second", &s).unwrap();
                        m(&mut e, "third", &s).unwrap();
                        e.close_list();
                        e.atom("last", "END").unwrap();
                        let cmd = e.finish();
                        let ctx = format!("{mname} {s:?} {support:?} utf8={utf8}");
                        let (tag, words, args) = read_back(&cmd, 2);
                        assert_eq!(tag, "T1", "{ctx}");
                        assert_eq!(words, ["X", "Y"], "{ctx}");
                        assert_eq!(args.len(), 4, "{ctx}: {args:?}");
                        assert_eq!(args[0], Arg::Atom(b"1".to_vec()), "{ctx}");
                        assert_eq!(content(&args[1]), &s[..], "{ctx}");
                        let Arg::List(items) = &args[2] else {
                            panic!("{ctx}")
                        };
                        assert_eq!(items.len(), 2, "{ctx}");
                        assert_eq!(content(&items[0]), &s[..], "{ctx}");
                        assert_eq!(content(&items[1]), &s[..], "{ctx}");
                        assert_eq!(args[3], Arg::Atom(b"END".to_vec()), "{ctx}");
                        // Form rules.
                        match &args[1] {
                            Arg::Atom(v) => {
                                assert!(mname != "string", "{ctx}");
                                assert!(!v.eq_ignore_ascii_case(b"NIL"), "{ctx}");
                                assert!(!v.is_empty());
                            }
                            Arg::Quoted(v) => {
                                assert!(v.len() <= QUOTED_MAX, "{ctx}");
                                assert!(utf8 || v.is_ascii(), "{ctx}");
                            }
                            Arg::Literal(_) => {}
                            Arg::List(_) => panic!("{ctx}"),
                        }
                        // The log line is one line.
                        assert!(!cmd.redacted.contains(['\r', '\n', '\x1b']), "{ctx}");
                        if mname == "secret_astring" {
                            assert_eq!(
                                cmd.redacted, "T1 X Y 1 <redacted> (<redacted> <redacted>) END",
                                "{ctx}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn nul_is_an_error_naming_the_argument() {
        let mut e = enc("LOGIN");
        let err = e.astring("password", b"ab\0c").unwrap_err();
        assert_eq!(
            err,
            EncodeError::Nul {
                what: "password",
                offset: 2
            }
        );
        assert_eq!(
            err.to_string(),
            "password contains a NUL byte at offset 2; IMAP cannot carry it"
        );
        assert!(e.string("s", b"\0").is_err());
        assert!(e.list_mailbox("s", b"x\0").is_err());
        assert!(e.secret_astring("s", b"x\0").is_err());
        assert_eq!(
            e.literal(Bytes::from_static(b"Subject: x\r\n\r\n\0"))
                .unwrap_err(),
            EncodeError::Nul {
                what: "literal data",
                offset: 14
            }
        );
        // Nothing was written by the failed calls.
        assert_eq!(e.finish().fragments, [line("A1 LOGIN\r\n")]);
    }

    #[test]
    fn astring_forms() {
        let cases: [(&[u8], &str); 13] = [
            (b"INBOX", "INBOX"),
            (b"a]b", "a]b"),
            (b"", "\"\""),
            (b"NIL", "\"NIL\""),
            (b"nil", "\"nil\""),
            (b"NILS", "NILS"),
            (b"a b", "\"a b\""),
            (b"a\"b\\c", "\"a\\\"b\\\\c\""),
            (b"{5}", "\"{5}\""),
            (b"%", "\"%\""),
            (b"*", "\"*\""),
            (b"(x)", "\"(x)\""),
            (b"\\Seen", "\"\\\\Seen\""),
        ];
        for (input, want) in cases {
            let mut e = enc("X");
            e.astring("a", input).unwrap();
            assert_eq!(
                e.finish().fragments,
                [line(&format!("A1 X {want}\r\n"))],
                "{input:?}"
            );
        }
    }

    #[test]
    fn string_is_never_an_atom() {
        let mut e = enc("SEARCH");
        e.raw("SUBJECT").string("subject", b"hello").unwrap();
        e.raw("BODY").string("body", b"").unwrap();
        assert_eq!(
            e.finish().fragments,
            [line("A1 SEARCH SUBJECT \"hello\" BODY \"\"\r\n")]
        );
    }

    #[test]
    fn list_patterns() {
        let mut e = enc("LIST");
        e.list_mailbox("reference", b"").unwrap();
        e.list_mailbox("pattern", b"INBOX/%").unwrap();
        e.list_mailbox("pattern", b"*").unwrap();
        e.list_mailbox("pattern", b"a]").unwrap();
        e.list_mailbox("pattern", b"My Folder*").unwrap();
        e.list_mailbox("pattern", b"NIL").unwrap();
        assert_eq!(
            e.finish().fragments,
            [line("A1 LIST \"\" INBOX/% * a] \"My Folder*\" \"NIL\"\r\n")]
        );
    }

    #[test]
    fn eight_bit_needs_utf8_accept() {
        let name = "Entwürfe".as_bytes();
        let mut e = enc("SELECT");
        e.astring("mailbox", name).unwrap();
        let cmd = e.finish();
        assert_eq!(
            cmd.fragments,
            [
                line("A1 SELECT {9}\r\n"),
                lit(name, LiteralMode::Sync),
                line("\r\n")
            ]
        );

        let mut e = enc("SELECT").utf8_quoted(true);
        e.astring("mailbox", name).unwrap();
        let cmd = e.finish();
        assert_eq!(cmd.fragments, [line("A1 SELECT \"Entwürfe\"\r\n")]);
        assert_eq!(cmd.redacted, "A1 SELECT \"Entwürfe\"");

        // Invalid UTF-8 is a literal even with UTF8=ACCEPT.
        let mut e = enc("SELECT").utf8_quoted(true);
        e.astring("mailbox", b"\xff").unwrap();
        assert_eq!(e.finish().fragments.len(), 3);
    }

    #[test]
    fn quoted_length_limit() {
        let ok = vec![b' '; QUOTED_MAX];
        let mut e = enc("X");
        e.string("s", &ok).unwrap();
        assert_eq!(e.finish().fragments.len(), 1);
        let long = vec![b' '; QUOTED_MAX + 1];
        let mut e = enc("X");
        e.string("s", &long).unwrap();
        let cmd = e.finish();
        assert_eq!(cmd.fragments[0], line("A1 X {1025}\r\n"));
        assert_eq!(cmd.fragments.len(), 3);
        // A long atom stays an atom.
        let atom = vec![b'a'; 5000];
        let mut e = enc("X");
        e.astring("s", &atom).unwrap();
        assert_eq!(e.finish().fragments.len(), 1);
    }

    #[test]
    fn lists_and_spacing() {
        let mut e = enc("UID FETCH");
        e.raw("1:5")
            .open_list()
            .raw("FLAGS")
            .raw("UID")
            .close_list();
        assert_eq!(
            e.finish().fragments,
            [line("A1 UID FETCH 1:5 (FLAGS UID)\r\n")]
        );

        let mut e = enc("UID FETCH");
        e.raw("1:5").raw("(FLAGS UID)");
        assert_eq!(
            e.finish().fragments,
            [line("A1 UID FETCH 1:5 (FLAGS UID)\r\n")]
        );

        let mut e = enc("STORE");
        e.number(1).raw("+FLAGS").open_list();
        e.flag("flag", "\\Seen")
            .unwrap()
            .flag("flag", "\\Draft")
            .unwrap();
        e.close_list();
        assert_eq!(
            e.finish().fragments,
            [line("A1 STORE 1 +FLAGS (\\Seen \\Draft)\r\n")]
        );

        let mut e = enc("X");
        e.open_list()
            .close_list()
            .open_list()
            .open_list()
            .nil()
            .close_list()
            .close_list();
        assert_eq!(e.finish().fragments, [line("A1 X () ((NIL))\r\n")]);

        // A literal inside a list.
        let mut e = enc("X");
        e.open_list()
            .astring("a", b"x\ny")
            .unwrap()
            .raw("Z")
            .close_list();
        let cmd = e.finish();
        assert_eq!(
            cmd.fragments,
            [
                line("A1 X ({3}\r\n"),
                lit(b"x\ny", LiteralMode::Sync),
                line(" Z)\r\n")
            ]
        );
        assert_eq!(cmd.redacted, "A1 X ({3} Z)");
    }

    #[test]
    fn two_literals() {
        let mut e = CommandEncoder::new("A1", "LOGIN", LiteralSupport::Plus);
        e.astring("user", "ü".as_bytes()).unwrap();
        e.secret_astring("password", b"p\r\nw").unwrap();
        let cmd = e.finish();
        assert_eq!(
            cmd.fragments,
            [
                line("A1 LOGIN {2+}\r\n"),
                lit("ü".as_bytes(), LiteralMode::NonSync),
                line(" {4+}\r\n"),
                lit(b"p\r\nw", LiteralMode::NonSync),
                line("\r\n"),
            ]
        );
        assert_eq!(cmd.redacted, "A1 LOGIN {2} <redacted>");
    }

    #[test]
    fn encoder_debug_hides_secrets() {
        let mut e = enc("LOGIN");
        e.astring("user", b"u")
            .unwrap()
            .secret_astring("password", b"hunter2")
            .unwrap();
        let shown = format!("{e:?}");
        assert!(shown.contains("A1 LOGIN u <redacted>"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn secret_in_every_form_is_redacted() {
        for pw in [&b"atompw"[..], b"two words", b"line\nbreak", b""] {
            let mut e = enc("LOGIN");
            e.astring("user", b"u")
                .unwrap()
                .secret_astring("password", pw)
                .unwrap();
            let cmd = e.finish();
            assert_eq!(cmd.redacted, "A1 LOGIN u <redacted>");
            assert_eq!(format!("{cmd:?}"), "A1 LOGIN u <redacted>");
        }
    }

    #[test]
    fn atoms_and_flags() {
        let mut e = enc("X");
        for bad in [
            "", "a b", "a]", "(", "%", "*", "\"", "\\", "{1}", "a\r", "é", "\\Seen",
        ] {
            assert!(
                matches!(
                    e.atom("keyword", bad),
                    Err(EncodeError::NotAnAtom {
                        what: "keyword",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
        for bad in [
            "",
            "\\",
            "\\\\Seen",
            "\\Se en",
            "\\*",
            "$a]",
            "a(",
            "\\Seen\r\n",
        ] {
            assert!(e.flag("flag", bad).is_err(), "{bad:?}");
        }
        e.atom("keyword", "$Forwarded")
            .unwrap()
            .flag("flag", "$Junk")
            .unwrap();
        e.flag("flag", "\\Answered").unwrap();
        let err = EncodeError::NotAnAtom {
            what: "keyword",
            value: "a b".into(),
        };
        assert_eq!(err.to_string(), "keyword \"a b\" is not a valid IMAP atom");
        assert_eq!(e.finish().redacted, "A1 X $Forwarded $Junk \\Answered");
    }

    #[test]
    fn append_with_literal_and_literal8() {
        let msg = Bytes::from_static(b"Subject: hi\r\n\r\nbody\r\n");
        let mut e = enc("APPEND");
        e.mailbox("mailbox", "Sent")
            .unwrap()
            .open_list()
            .flag("f", "\\Seen")
            .unwrap();
        e.close_list().literal(msg.clone()).unwrap();
        let cmd = e.finish();
        assert_eq!(
            cmd.fragments,
            [
                line("A1 APPEND Sent (\\Seen) {21}\r\n"),
                Fragment::Literal {
                    data: msg,
                    mode: LiteralMode::Sync
                },
                line("\r\n"),
            ]
        );
        assert_eq!(cmd.redacted, "A1 APPEND Sent (\\Seen) {21}");

        let bin = Bytes::from_static(b"a\0b");
        for (support, header, mode) in [
            (LiteralSupport::SyncOnly, "~{3}", LiteralMode::Sync),
            (LiteralSupport::Minus, "~{3+}", LiteralMode::NonSync),
            (LiteralSupport::Plus, "~{3+}", LiteralMode::NonSync),
        ] {
            let mut e = CommandEncoder::new("A2", "APPEND", support);
            e.astring("mailbox", b"INBOX")
                .unwrap()
                .literal8(bin.clone());
            let cmd = e.finish();
            assert_eq!(
                cmd.fragments,
                [
                    line(&format!("A2 APPEND INBOX {header}\r\n")),
                    Fragment::Literal {
                        data: bin.clone(),
                        mode
                    },
                    line("\r\n"),
                ]
            );
            assert_eq!(cmd.redacted, "A2 APPEND INBOX ~{3}");
        }
    }

    #[test]
    fn mailbox_names() {
        let mut e = enc("CREATE");
        e.mailbox("mailbox", "~peter/mail/台北/日本語").unwrap();
        assert_eq!(
            e.finish().redacted,
            "A1 CREATE ~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        let mut e = enc("CREATE");
        e.mailbox("mailbox", "R&D Team").unwrap();
        assert_eq!(e.finish().redacted, "A1 CREATE \"R&-D Team\"");
        let mut e = enc("CREATE").utf8_quoted(true);
        e.mailbox("mailbox", "~peter/mail/台北").unwrap();
        assert_eq!(
            e.finish().fragments,
            [line("A1 CREATE \"~peter/mail/台北\"\r\n")]
        );
        // Modified UTF-7 of a name with a newline: the newline is shifted, so no literal.
        let mut e = enc("CREATE");
        e.mailbox("mailbox", "a\r\nb").unwrap();
        assert_eq!(e.finish().redacted, "A1 CREATE a&AA0ACg-b");
    }

    #[test]
    fn sets() {
        use crate::proto::sequence::{SeqSet, UidSet};
        let mut e = enc("UID FETCH");
        e.set("UIDs", &"1:5,7,9:*".parse::<UidSet>().unwrap())
            .unwrap()
            .raw("(UID)");
        assert_eq!(
            e.finish().fragments,
            [line("A1 UID FETCH 1:5,7,9:* (UID)\r\n")]
        );
        let mut e = enc("FETCH");
        assert_eq!(
            e.set("messages", &SeqSet::new()).unwrap_err(),
            EncodeError::EmptySet { what: "messages" }
        );
    }

    #[test]
    fn control_characters_are_escaped_in_the_log_only() {
        let mut e = enc("X");
        e.string("s", b"a\tb\x1b").unwrap();
        let cmd = e.finish();
        assert_eq!(cmd.fragments, [line("A1 X \"a\tb\x1b\"\r\n")]);
        assert_eq!(cmd.redacted, "A1 X \"a\\tb\\u{1b}\"");
    }
}
