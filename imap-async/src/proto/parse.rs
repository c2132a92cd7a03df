//! Response parser (RFC 3501 §9 / RFC 9051 §9 grammar), lenient where servers are known to
//! stray.
//!
//! One pass over the bytes of a framed response with a cursor. Strings are returned as
//! [`Bytes`] slices of the frame (no copy) except quoted strings containing an escape.
//! Keywords are matched case-insensitively through a small uppercase copy on the stack.
//!
//! Leniency, everywhere: any number of spaces between tokens (also after `(` and before
//! `)`), bare LF line ends, lowercase keywords, 8-bit bytes in atoms and quoted strings,
//! NIL where a string belongs, and atoms where a string belongs.
//!
//! Hostile input: every index is checked, recursion (nested BODYSTRUCTUREs) is bounded by
//! [`MAX_DEPTH`], and generic skipping of unknown values is iterative.

use bytes::Bytes;
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};

use super::types::{
    Address, BodyStructure, Continuation, Disposition, ESearch, Envelope, FetchItem, ListItem,
    MailboxStatus, MultipartExtension, NamespaceDescr, Namespaces, Response, ResponseCode,
    SingleExtension, Status, StatusText, Tagged, Untagged,
};

/// A framed response that could not be parsed. It carries the raw bytes so the caller can
/// log or report them; framing was intact, so the connection stays usable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "cannot parse server response at byte {position}: {reason} (response: {})",
    crate::proto::parse::show(raw)
)]
pub struct ParseError {
    /// What was expected or what went wrong.
    pub reason: String,
    /// Byte offset in `raw` where parsing stopped.
    pub position: usize,
    /// The whole framed response.
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
    // The final line end is not part of any token; cutting it off here means no token
    // reader needs to know about it (CRLF inside literals and after literal headers stays).
    let mut content = frame.len();
    if frame.last() == Some(&b'\n') {
        content -= 1;
        if content > 0 && frame[content - 1] == b'\r' {
            content -= 1;
        }
    }
    let mut p = Parser {
        frame: &frame,
        b: &frame[..content],
        pos: 0,
        depth: 0,
    };
    match p.response() {
        Ok(r) => Ok(r),
        Err(f) => Err(ParseError {
            reason: f.reason.to_owned(),
            position: f.pos,
            raw: frame.clone(),
        }),
    }
}

/// Deepest nesting of BODYSTRUCTUREs (multipart parts, message/rfc822 bodies) accepted.
/// Real messages stay far below; hostile input must not exhaust the stack.
pub const MAX_DEPTH: u32 = 100;

/// Internal failure: a static reason keeps failed lenient attempts allocation-free.
#[derive(Debug, Clone, Copy)]
struct Fail {
    reason: &'static str,
    pos: usize,
}

type R<T> = Result<T, Fail>;

/// End of an atom in the widest sense (`ASTRING-CHAR`, RFC 3501 §9, plus 8-bit bytes).
fn astr_stop(c: u8) -> bool {
    c <= b' ' || c == 0x7f || c == b'(' || c == b')' || c == b'"'
}

/// End of an `atom` proper: also stops at `]` (`resp-specials`), as in response codes.
fn atom_stop(c: u8) -> bool {
    astr_stop(c) || c == b']'
}

/// End of a FETCH item name: `BODY[`, `BINARY.SIZE[`, `BODY[]<0>`.
fn name_stop(c: u8) -> bool {
    atom_stop(c) || c == b'[' || c == b'<'
}

/// Uppercase copy of a short keyword for `match`; longer words never match any keyword.
struct Kw {
    buf: [u8; 16],
    len: usize,
}

impl Kw {
    fn new(s: &[u8]) -> Kw {
        let mut buf = [0u8; 16];
        if s.len() > buf.len() {
            return Kw { buf, len: 0 };
        }
        for (d, c) in buf.iter_mut().zip(s) {
            *d = c.to_ascii_uppercase();
        }
        Kw { buf, len: s.len() }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Per-part collector for the extension data shared by single parts and multiparts.
#[derive(Default)]
struct ExtTail {
    disposition: Option<Disposition>,
    language: Option<Vec<Bytes>>,
    location: Option<Bytes>,
    rest: Option<Bytes>,
}

struct Parser<'a> {
    frame: &'a Bytes,
    /// The frame without its final line end.
    b: &'a [u8],
    pos: usize,
    depth: u32,
}

impl<'a> Parser<'a> {
    // ----- cursor primitives -----

    fn fail<T>(&self, reason: &'static str) -> R<T> {
        Err(Fail {
            reason,
            pos: self.pos,
        })
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.b.get(self.pos + ahead).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.b.len()
    }

    /// Skip any number of spaces (servers send doubled and trailing spaces).
    fn sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn slice(&self, from: usize, to: usize) -> Bytes {
        self.frame.slice(from..to)
    }

    /// After optional spaces, consume `c` if it is next.
    fn eat(&mut self, c: u8) -> bool {
        self.sp();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8, reason: &'static str) -> R<()> {
        if self.eat(c) {
            Ok(())
        } else {
            self.fail(reason)
        }
    }

    /// The rest of the line after optional spaces (`text` in `resp-text`, raw remainders).
    fn rest(&mut self) -> Bytes {
        self.sp();
        let s = self.slice(self.pos.min(self.b.len()), self.b.len());
        self.pos = self.b.len();
        s
    }

    /// A non-empty run of bytes up to one for which `stop` holds, after optional spaces.
    fn atom_with(&mut self, stop: fn(u8) -> bool) -> R<(usize, usize)> {
        self.sp();
        let start = self.pos;
        let rest = self.b.get(start..).unwrap_or_default();
        let len = rest.iter().position(|&c| stop(c)).unwrap_or(rest.len());
        if len == 0 {
            return self.fail("expected an atom");
        }
        self.pos = start + len;
        Ok((start, start + len))
    }

    fn kw(&self, (s, e): (usize, usize)) -> Kw {
        Kw::new(&self.b[s..e])
    }

    // ----- numbers (RFC 3501 §9 `number`, RFC 9051 `number64`) -----

    fn digits(&mut self) -> R<u64> {
        let start = self.pos;
        let mut v: u64 = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            v = match v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(c - b'0')))
            {
                Some(v) => v,
                None => return self.fail("number too large"),
            };
            self.pos += 1;
        }
        if self.pos == start {
            return self.fail("expected a number");
        }
        Ok(v)
    }

    fn num64(&mut self) -> R<u64> {
        self.sp();
        self.digits()
    }

    fn num32(&mut self) -> R<u32> {
        self.sp();
        let start = self.pos;
        let v = self.digits()?;
        u32::try_from(v).map_err(|_| Fail {
            reason: "number too large for 32 bits",
            pos: start,
        })
    }

    /// `sequence-set` / `uid-set` (RFC 3501 §9, RFC 4315 §4) as inclusive ranges, each
    /// ordered low to high (`4:2` is the same set as `2:4`). `*` reads as `u32::MAX`.
    fn uid_set(&mut self) -> R<Vec<(u32, u32)>> {
        self.sp();
        let mut v = Vec::new();
        loop {
            let a = self.set_number()?;
            let b = if self.peek() == Some(b':') {
                self.pos += 1;
                self.set_number()?
            } else {
                a
            };
            v.push((a.min(b), a.max(b)));
            if self.peek() == Some(b',') {
                self.pos += 1;
            } else {
                return Ok(v);
            }
        }
    }

    fn set_number(&mut self) -> R<u32> {
        if self.peek() == Some(b'*') {
            self.pos += 1;
            return Ok(u32::MAX);
        }
        self.num32()
    }

    // ----- strings (RFC 3501 §4.3, §9 `string`, `astring`, `nstring`; RFC 3516 literal8) ----

    /// `quoted`, at the opening `"`. Only `\\` and `\"` are escapes; a backslash before
    /// anything else is kept as it is (some servers do not escape backslashes).
    fn quoted(&mut self) -> R<Bytes> {
        let start = self.pos + 1;
        let rest = self.b.get(start..).unwrap_or_default();
        let Some(i) = rest.iter().position(|&c| c == b'"' || c == b'\\') else {
            return self.fail("unterminated quoted string");
        };
        if rest[i] == b'"' {
            // The common case: no escapes, a slice of the frame.
            self.pos = start + i + 1;
            return Ok(self.slice(start, start + i));
        }
        let mut v = Vec::with_capacity(rest.len().min(256));
        v.extend_from_slice(&rest[..i]);
        let mut j = i;
        loop {
            match rest.get(j) {
                None => return self.fail("unterminated quoted string"),
                Some(b'"') => break,
                Some(b'\\') => match rest.get(j + 1) {
                    Some(&c @ (b'"' | b'\\')) => {
                        v.push(c);
                        j += 2;
                    }
                    _ => {
                        v.push(b'\\');
                        j += 1;
                    }
                },
                Some(&c) => {
                    v.push(c);
                    j += 1;
                }
            }
        }
        self.pos = start + j + 1;
        Ok(Bytes::from(v))
    }

    /// Like [`Self::quoted`] without building the unescaped value.
    fn skip_quoted(&mut self) -> R<()> {
        let mut j = self.pos + 1;
        loop {
            match self.b.get(j) {
                None => return self.fail("unterminated quoted string"),
                Some(b'"') => break,
                Some(b'\\') if matches!(self.b.get(j + 1), Some(b'"' | b'\\')) => j += 2,
                Some(_) => j += 1,
            }
        }
        self.pos = j + 1;
        Ok(())
    }

    /// `literal` / `literal8`, at the `{` (the `~` of literal8 already consumed).
    /// `{N+}` is accepted too. The data is a slice of the frame.
    fn literal(&mut self) -> R<Bytes> {
        self.pos += 1;
        let n = self.digits()?;
        if self.peek() == Some(b'+') {
            self.pos += 1;
        }
        if self.peek() != Some(b'}') {
            return self.fail("expected '}' in literal header");
        }
        self.pos += 1;
        if self.peek() == Some(b'\r') {
            self.pos += 1;
        }
        if self.peek() != Some(b'\n') {
            return self.fail("expected line end after literal header");
        }
        self.pos += 1;
        let start = self.pos;
        let end = match usize::try_from(n).ok().and_then(|n| start.checked_add(n)) {
            Some(end) if end <= self.b.len() => end,
            _ => return self.fail("literal longer than the response"),
        };
        self.pos = end;
        Ok(self.slice(start, end))
    }

    /// At `{` or `~{`: a literal or literal8.
    fn at_literal(&self) -> bool {
        match self.peek() {
            Some(b'{') => true,
            Some(b'~') => self.peek_at(1) == Some(b'{'),
            _ => false,
        }
    }

    fn any_literal(&mut self) -> R<Bytes> {
        if self.peek() == Some(b'~') {
            self.pos += 1;
        }
        self.literal()
    }

    /// `nstring`, leniently: quoted, literal, literal8, or an atom; `NIL` gives `None`.
    fn nstring(&mut self) -> R<Option<Bytes>> {
        self.sp();
        match self.peek() {
            Some(b'"') => self.quoted().map(Some),
            _ if self.at_literal() => self.any_literal().map(Some),
            Some(_) => {
                let (s, e) = self.atom_with(astr_stop)?;
                if self.b[s..e].eq_ignore_ascii_case(b"NIL") {
                    Ok(None)
                } else {
                    Ok(Some(self.slice(s, e)))
                }
            }
            None => self.fail("expected a string"),
        }
    }

    /// A `string` where servers sometimes send NIL: NIL reads as empty.
    fn string_or_empty(&mut self) -> R<Bytes> {
        Ok(self.nstring()?.unwrap_or_default())
    }

    /// `astring` (mailbox names): an atom `NIL` is the name "NIL", not a missing value.
    fn astring(&mut self) -> R<Bytes> {
        self.sp();
        match self.peek() {
            Some(b'"') => self.quoted(),
            _ if self.at_literal() => self.any_literal(),
            _ => {
                let (s, e) = self.atom_with(astr_stop)?;
                Ok(self.slice(s, e))
            }
        }
    }

    /// A hierarchy delimiter: `QUOTED-CHAR` or NIL (RFC 3501 §7.2.2, RFC 2342).
    fn delimiter(&mut self) -> R<Option<u8>> {
        Ok(self.nstring()?.and_then(|s| s.first().copied()))
    }

    /// `flag-list` / `mbx-list-flags`: `(` flags `)`, flags including `\*`.
    fn flag_list(&mut self) -> R<Vec<Bytes>> {
        self.expect(b'(', "expected '(' before flags")?;
        let mut v = Vec::new();
        loop {
            self.sp();
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    return Ok(v);
                }
                None => return self.fail("unterminated flag list"),
                Some(_) => {
                    let (s, e) = self.atom_with(atom_stop)?;
                    v.push(self.slice(s, e));
                }
            }
        }
    }

    /// Space-separated atoms up to `]` or the end of the line (capability lists).
    fn atoms_to_end(&mut self) -> Vec<Bytes> {
        let mut v = Vec::new();
        loop {
            self.sp();
            match self.peek() {
                None | Some(b']') => return v,
                Some(_) => {
                    let start = self.pos;
                    let rest = &self.b[start..];
                    let len = rest
                        .iter()
                        .position(|&c| c == b' ' || c == b']')
                        .unwrap_or(rest.len());
                    self.pos = start + len;
                    v.push(self.slice(start, start + len));
                }
            }
        }
    }

    /// Skip one value of any shape: atom (with any `[...]` section in it), quoted string,
    /// literal, or a parenthesised list nested to any depth. Iterative, so hostile nesting
    /// costs no stack. At `)` or the end it skips nothing (an absent value).
    fn skip_value(&mut self) -> R<()> {
        self.sp();
        let mut depth = 0usize;
        loop {
            let Some(c) = self.peek() else {
                return if depth == 0 {
                    Ok(())
                } else {
                    self.fail("unterminated list")
                };
            };
            match c {
                b'(' => {
                    depth += 1;
                    self.pos += 1;
                    continue;
                }
                b')' => {
                    if depth == 0 {
                        return Ok(());
                    }
                    depth -= 1;
                    self.pos += 1;
                }
                b' ' => {
                    self.pos += 1;
                    continue;
                }
                b'"' => self.skip_quoted()?,
                _ if self.at_literal() => {
                    self.any_literal()?;
                }
                _ => self.skip_atomish(),
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }

    /// Skip an atom-like token, including bracketed sections that may hold spaces
    /// (`BODY[HEADER.FIELDS (A B)]`). Always consumes at least one byte.
    fn skip_atomish(&mut self) {
        self.pos += 1;
        while let Some(c) = self.peek() {
            if c == b'[' {
                match self.b[self.pos..].iter().position(|&c| c == b']') {
                    Some(i) => self.pos += i + 1,
                    None => self.pos = self.b.len(),
                }
            } else if astr_stop(c) {
                return;
            } else {
                self.pos += 1;
            }
        }
    }

    /// The raw bytes of one value (see [`Self::skip_value`]).
    fn raw_value(&mut self) -> R<Bytes> {
        self.sp();
        let start = self.pos;
        self.skip_value()?;
        Ok(self.slice(start, self.pos))
    }

    // ----- responses (RFC 3501 §7, §9 `response`) -----

    fn response(&mut self) -> R<Response> {
        match self.peek() {
            None => self.fail("empty response"),
            Some(b'+') => {
                self.pos += 1;
                self.continuation().map(Response::Continuation)
            }
            Some(b'*') => {
                self.pos += 1;
                self.untagged().map(Response::Untagged)
            }
            Some(_) => self.tagged().map(Response::Tagged),
        }
    }

    /// `continue-req = "+" SP (resp-text / base64) CRLF` (RFC 3501 §7.5); the space and
    /// the text may be missing.
    fn continuation(&mut self) -> R<Continuation> {
        self.sp();
        let code = if self.peek() == Some(b'[') {
            self.resp_code_opt()
        } else {
            None
        };
        Ok(Continuation {
            code,
            text: self.rest(),
        })
    }

    /// `response-tagged = tag SP resp-cond-state CRLF` (RFC 3501 §7.1).
    fn tagged(&mut self) -> R<Tagged> {
        let (s, e) = self.atom_with(|c| c <= b' ' || c == 0x7f)?;
        let tag = self.slice(s, e);
        let word = match self.atom_with(atom_stop) {
            Ok(w) => w,
            Err(_) => return self.fail("expected OK, NO or BAD after the tag"),
        };
        let status = match self.kw(word).as_bytes() {
            b"OK" => Status::Ok,
            b"NO" => Status::No,
            b"BAD" => Status::Bad,
            // Not valid tagged, but unambiguous.
            b"BYE" => Status::Bye,
            b"PREAUTH" => Status::PreAuth,
            _ => {
                self.pos = word.0;
                return self.fail("expected OK, NO or BAD after the tag");
            }
        };
        let status = self.resp_text(status);
        Ok(Tagged { tag, status })
    }

    /// `resp-text = ["[" resp-text-code "]" SP] text`; text may be empty.
    fn resp_text(&mut self, status: Status) -> StatusText {
        self.sp();
        let code = if self.peek() == Some(b'[') {
            self.resp_code_opt()
        } else {
            None
        };
        StatusText {
            status,
            code,
            text: self.rest(),
        }
    }

    /// A response code, or `None` (cursor unmoved, so the `[` starts the text) when there
    /// is no closing `]` at all.
    fn resp_code_opt(&mut self) -> Option<ResponseCode> {
        let save = self.pos;
        match self.resp_code() {
            Ok(c) => Some(c),
            Err(_) => {
                self.pos = save;
                None
            }
        }
    }

    /// `resp-text-code` (RFC 3501 §7.1, RFC 9051 §7.1, RFC 4315 §3, RFC 7162 §3.1, §3.2),
    /// at the `[`. A known code whose arguments do not parse is kept as `Other`.
    fn resp_code(&mut self) -> R<ResponseCode> {
        self.pos += 1;
        let name = self.atom_with(atom_stop)?;
        let after_name = self.pos;
        let parsed = self.known_code(&self.kw(name));
        match parsed {
            Ok(code) if self.eat(b']') => Ok(code),
            _ => {
                self.pos = after_name;
                self.sp();
                let start = self.pos;
                let Some(i) = self.b[start..].iter().position(|&c| c == b']') else {
                    return self.fail("response code without ']'");
                };
                let mut end = start + i;
                self.pos = end + 1;
                while end > start && self.b[end - 1] == b' ' {
                    end -= 1;
                }
                let raw = (end > start).then(|| self.slice(start, end));
                Ok(ResponseCode::Other(self.slice(name.0, name.1), raw))
            }
        }
    }

    fn known_code(&mut self, name: &Kw) -> R<ResponseCode> {
        Ok(match name.as_bytes() {
            b"ALERT" => ResponseCode::Alert,
            b"PARSE" => ResponseCode::Parse,
            b"READ-ONLY" => ResponseCode::ReadOnly,
            b"READ-WRITE" => ResponseCode::ReadWrite,
            b"TRYCREATE" => ResponseCode::TryCreate,
            b"UIDNOTSTICKY" => ResponseCode::UidNotSticky,
            b"NOMODSEQ" => ResponseCode::NoModSeq,
            b"CLOSED" => ResponseCode::Closed,
            b"BADCHARSET" => {
                // `"BADCHARSET" [SP "(" charset *(SP charset) ")"]`
                let mut v = Vec::new();
                if self.eat(b'(') {
                    while !self.eat(b')') {
                        if self.at_end() {
                            return self.fail("unterminated charset list");
                        }
                        v.push(self.astring()?);
                    }
                }
                ResponseCode::BadCharset(v)
            }
            b"CAPABILITY" => ResponseCode::Capability(self.atoms_to_end()),
            b"PERMANENTFLAGS" => ResponseCode::PermanentFlags(self.flag_list()?),
            b"UIDNEXT" => ResponseCode::UidNext(self.num32()?),
            b"UIDVALIDITY" => ResponseCode::UidValidity(self.num32()?),
            b"UNSEEN" => ResponseCode::Unseen(self.num32()?),
            b"APPENDUID" => ResponseCode::AppendUid {
                uid_validity: self.num32()?,
                uids: self.uid_set()?,
            },
            b"COPYUID" => ResponseCode::CopyUid {
                uid_validity: self.num32()?,
                source: self.uid_set()?,
                destination: self.uid_set()?,
            },
            b"HIGHESTMODSEQ" => ResponseCode::HighestModSeq(self.num64()?),
            b"MODIFIED" => ResponseCode::Modified(self.uid_set()?),
            _ => return self.fail("unknown response code"),
        })
    }

    /// `response-data = "*" SP (resp-cond-state / resp-cond-bye / mailbox-data /
    /// message-data / capability-data / enable-data) CRLF` (RFC 3501 §7, RFC 9051 §7).
    fn untagged(&mut self) -> R<Untagged> {
        self.sp();
        let start = self.pos;
        if matches!(self.peek(), Some(b'0'..=b'9')) {
            let n = self.num32()?;
            let Ok(word) = self.atom_with(name_stop) else {
                return Ok(Untagged::Other(self.slice(start, self.b.len())));
            };
            return Ok(match self.kw(word).as_bytes() {
                b"EXISTS" => Untagged::Exists(n),
                b"RECENT" => Untagged::Recent(n),
                b"EXPUNGE" => Untagged::Expunge(n),
                b"FETCH" => Untagged::Fetch {
                    seq: n,
                    items: self.fetch_items()?,
                },
                _ => Untagged::Other(self.slice(start, self.b.len())),
            });
        }
        let Ok(word) = self.atom_with(|c| atom_stop(c) || c == b'[') else {
            return if self.at_end() {
                self.fail("empty untagged response")
            } else {
                Ok(Untagged::Other(self.slice(start, self.b.len())))
            };
        };
        Ok(match self.kw(word).as_bytes() {
            b"OK" => Untagged::Status(self.resp_text(Status::Ok)),
            b"NO" => Untagged::Status(self.resp_text(Status::No)),
            b"BAD" => Untagged::Status(self.resp_text(Status::Bad)),
            b"PREAUTH" => Untagged::Status(self.resp_text(Status::PreAuth)),
            b"BYE" => Untagged::Status(self.resp_text(Status::Bye)),
            b"CAPABILITY" => Untagged::Capability(self.atoms_to_end()),
            b"ENABLED" => Untagged::Enabled(self.atoms_to_end()),
            b"LIST" | b"XLIST" => Untagged::List(self.list_item()?),
            b"LSUB" => Untagged::Lsub(self.list_item()?),
            b"STATUS" => Untagged::MailboxStatus(self.mailbox_status()?),
            b"SEARCH" => {
                let (ids, modseq) = self.search()?;
                Untagged::Search { ids, modseq }
            }
            b"SORT" => {
                let (ids, modseq) = self.search()?;
                Untagged::Sort { ids, modseq }
            }
            b"THREAD" => Untagged::Thread(self.rest()),
            b"ESEARCH" => Untagged::ESearch(self.esearch()?),
            b"FLAGS" => Untagged::Flags(self.flag_list()?),
            b"VANISHED" => self.vanished()?,
            b"NAMESPACE" => Untagged::Namespace(self.namespace()?),
            b"ID" => Untagged::Id(self.id()?),
            b"QUOTA" => Untagged::Quota(self.rest()),
            b"QUOTAROOT" => Untagged::QuotaRoot(self.rest()),
            b"ACL" => Untagged::Acl(self.rest()),
            b"MYRIGHTS" => Untagged::MyRights(self.rest()),
            b"LISTRIGHTS" => Untagged::ListRights(self.rest()),
            b"METADATA" => Untagged::Metadata(self.rest()),
            _ => Untagged::Other(self.slice(start, self.b.len())),
        })
    }

    /// `mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP
    /// mailbox [SP mbox-list-extended]` (RFC 3501 §7.2.2, RFC 5258 §9). The extended data
    /// is ignored.
    fn list_item(&mut self) -> R<ListItem> {
        let attributes = self.flag_list()?;
        let delimiter = self.delimiter()?;
        let name = self.astring()?;
        Ok(ListItem {
            attributes,
            delimiter,
            name,
        })
    }

    /// `"STATUS" SP mailbox SP "(" [status-att-list] ")"` (RFC 3501 §7.2.4, RFC 9051
    /// §7.2.4, RFC 7162 §3.1.2). A missing `)` at the end is tolerated.
    fn mailbox_status(&mut self) -> R<MailboxStatus> {
        let mut st = MailboxStatus {
            mailbox: self.astring()?,
            ..MailboxStatus::default()
        };
        self.expect(b'(', "expected '(' after the STATUS mailbox")?;
        loop {
            self.sp();
            match self.peek() {
                Some(b')') | None => return Ok(st),
                Some(_) => {}
            }
            let name = self.atom_with(atom_stop)?;
            match self.kw(name).as_bytes() {
                b"MESSAGES" => st.messages = Some(self.num32()?),
                b"RECENT" => st.recent = Some(self.num32()?),
                b"UIDNEXT" => st.uid_next = Some(self.num32()?),
                b"UIDVALIDITY" => st.uid_validity = Some(self.num32()?),
                b"UNSEEN" => st.unseen = Some(self.num32()?),
                b"HIGHESTMODSEQ" => st.highest_modseq = Some(self.num64()?),
                b"SIZE" => st.size = Some(self.num64()?),
                b"DELETED" => st.deleted = Some(self.num32()?),
                _ => {
                    let value = self.raw_value()?;
                    st.other.push((self.slice(name.0, name.1), value));
                }
            }
        }
    }

    /// `mailbox-data =/ "SEARCH" *(SP nz-number) [SP "(" "MODSEQ" SP mod-sequence-value
    /// ")"]` (RFC 3501 §7.2.5, RFC 7162 §3.1.5); SORT has the same shape (RFC 5256 §4).
    fn search(&mut self) -> R<(Vec<u32>, Option<u64>)> {
        let mut ids = Vec::new();
        let mut modseq = None;
        loop {
            self.sp();
            match self.peek() {
                None => return Ok((ids, modseq)),
                Some(b'(') => {
                    self.pos += 1;
                    let w = self.atom_with(atom_stop)?;
                    if self.kw(w).as_bytes() != b"MODSEQ" {
                        return self.fail("expected MODSEQ");
                    }
                    modseq = Some(self.num64()?);
                    self.expect(b')', "expected ')' after MODSEQ")?;
                }
                Some(_) => ids.push(self.num32()?),
            }
        }
    }

    /// `esearch-response = "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data)`
    /// (RFC 4731 §3.1, RFC 9051 §7.3.4, RFC 7162 §3.1.10).
    fn esearch(&mut self) -> R<ESearch> {
        let mut es = ESearch::default();
        if self.eat(b'(') {
            // `search-correlator = SP "(" "TAG" SP tag-string ")"`; other pairs
            // (RFC 7377 MAILBOX, UIDVALIDITY) are skipped.
            loop {
                self.sp();
                match self.peek() {
                    Some(b')') => {
                        self.pos += 1;
                        break;
                    }
                    None => return self.fail("unterminated search correlator"),
                    Some(_) => {}
                }
                let w = self.atom_with(atom_stop)?;
                if self.kw(w).as_bytes() == b"TAG" {
                    es.tag = self.nstring()?;
                } else {
                    self.skip_value()?;
                }
            }
        }
        loop {
            self.sp();
            if self.at_end() {
                return Ok(es);
            }
            let name = self.atom_with(atom_stop)?;
            match self.kw(name).as_bytes() {
                b"UID" => es.uid = true,
                b"MIN" => es.min = Some(self.num32()?),
                b"MAX" => es.max = Some(self.num32()?),
                b"COUNT" => es.count = Some(self.num32()?),
                b"ALL" => es.all = Some(self.uid_set()?),
                b"MODSEQ" => es.modseq = Some(self.num64()?),
                _ => {
                    let value = self.raw_value()?;
                    es.other.push((self.slice(name.0, name.1), value));
                }
            }
        }
    }

    /// `"VANISHED" [SP "(EARLIER)"] SP known-uids` (RFC 7162 §3.2.10).
    fn vanished(&mut self) -> R<Untagged> {
        let mut earlier = false;
        if self.eat(b'(') {
            let w = self.atom_with(atom_stop)?;
            if self.kw(w).as_bytes() != b"EARLIER" {
                return self.fail("expected EARLIER");
            }
            self.expect(b')', "expected ')' after EARLIER")?;
            earlier = true;
        }
        Ok(Untagged::Vanished {
            earlier,
            uids: self.uid_set()?,
        })
    }

    /// `Namespace-Response = "NAMESPACE" SP Namespace SP Namespace SP Namespace`
    /// (RFC 2342 §5, RFC 9051 §7.3.5). Namespace response extensions are skipped.
    fn namespace(&mut self) -> R<Namespaces> {
        Ok(Namespaces {
            personal: self.namespace_group()?,
            other_users: self.namespace_group()?,
            shared: self.namespace_group()?,
        })
    }

    fn namespace_group(&mut self) -> R<Vec<NamespaceDescr>> {
        self.sp();
        if self.peek() != Some(b'(') {
            return match self.nstring()? {
                None => Ok(Vec::new()),
                Some(_) => self.fail("expected a namespace list or NIL"),
            };
        }
        self.pos += 1;
        let mut v = Vec::new();
        loop {
            self.sp();
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    return Ok(v);
                }
                Some(b'(') => self.pos += 1,
                _ => return self.fail("expected a namespace description"),
            }
            let prefix = self.string_or_empty()?;
            let delimiter = self.delimiter()?;
            // `Namespace-Response-Extension = SP string SP "(" string *(SP string) ")"`
            while !self.eat(b')') {
                if self.at_end() {
                    return self.fail("unterminated namespace description");
                }
                self.skip_value()?;
            }
            v.push(NamespaceDescr { prefix, delimiter });
        }
    }

    /// `id-response = "ID" SP id-params-list` (RFC 2971 §3.2).
    fn id(&mut self) -> R<Option<Vec<(Bytes, Option<Bytes>)>>> {
        if !self.eat(b'(') {
            return match self.nstring()? {
                None => Ok(None),
                Some(_) => self.fail("expected an ID list or NIL"),
            };
        }
        let mut v = Vec::new();
        while !self.eat(b')') {
            if self.at_end() {
                return self.fail("unterminated ID list");
            }
            let key = self.string_or_empty()?;
            let value = self.nstring()?;
            v.push((key, value));
        }
        Ok(Some(v))
    }

    // ----- FETCH (RFC 3501 §7.4.2, RFC 9051 §7.5.2, RFC 3516 §4.2, RFC 7162 §3.1.4) -----

    fn fetch_items(&mut self) -> R<Vec<FetchItem>> {
        self.expect(b'(', "expected '(' after FETCH")?;
        let mut items = Vec::with_capacity(4);
        loop {
            self.sp();
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    return Ok(items);
                }
                None => return self.fail("unterminated FETCH data"),
                Some(_) => items.push(self.fetch_item()?),
            }
        }
    }

    fn fetch_item(&mut self) -> R<FetchItem> {
        let name = self.atom_with(name_stop)?;
        let kw = self.kw(name);
        let bracket = self.peek() == Some(b'[');
        Ok(match kw.as_bytes() {
            b"UID" => FetchItem::Uid(self.num32()?),
            b"FLAGS" => FetchItem::Flags(self.flag_list()?),
            b"RFC822.SIZE" => FetchItem::Rfc822Size(self.num64()?),
            b"MODSEQ" => {
                // `"MODSEQ" SP "(" permsg-modsequence ")"`
                self.expect(b'(', "expected '(' after MODSEQ")?;
                let m = self.num64()?;
                self.expect(b')', "expected ')' after MODSEQ value")?;
                FetchItem::ModSeq(m)
            }
            b"INTERNALDATE" => {
                self.sp();
                let start = self.pos;
                match self.nstring()?.as_deref().and_then(parse_internal_date) {
                    Some(d) => FetchItem::InternalDate(d),
                    // A date we cannot read should not cost the whole FETCH.
                    None => FetchItem::Other {
                        name: self.slice(name.0, name.1),
                        value: self.slice(start, self.pos),
                    },
                }
            }
            b"ENVELOPE" => FetchItem::Envelope(Box::new(self.envelope()?)),
            b"BODYSTRUCTURE" => FetchItem::BodyStructure(Box::new(self.body()?)),
            b"BODY" if !bracket => FetchItem::BodyStructure(Box::new(self.body()?)),
            b"BODY" => {
                let (section, origin) = self.section()?;
                FetchItem::Body {
                    section,
                    origin,
                    data: self.nstring()?,
                }
            }
            b"BINARY" if bracket => {
                let (section, origin) = self.section()?;
                FetchItem::Binary {
                    section,
                    origin,
                    data: self.nstring()?,
                }
            }
            b"BINARY.SIZE" if bracket => {
                let (section, _) = self.section()?;
                FetchItem::BinarySize {
                    section,
                    size: self.num32()?,
                }
            }
            b"RFC822" => FetchItem::Body {
                section: Bytes::new(),
                origin: None,
                data: self.nstring()?,
            },
            b"RFC822.HEADER" => FetchItem::Body {
                section: Bytes::from_static(b"HEADER"),
                origin: None,
                data: self.nstring()?,
            },
            b"RFC822.TEXT" => FetchItem::Body {
                section: Bytes::from_static(b"TEXT"),
                origin: None,
                data: self.nstring()?,
            },
            _ => {
                // Unknown item: keep any `[section]<origin>` in the name, then the value raw.
                let mut end = name.1;
                if bracket {
                    self.section()?;
                    end = self.pos;
                }
                FetchItem::Other {
                    name: self.slice(name.0, end),
                    value: self.raw_value()?,
                }
            }
        })
    }

    /// `"[" [section-spec] "]" ["<" number ">"]`, at the `[`. The section text is kept raw
    /// (`1.2.HEADER.FIELDS (FROM TO)`).
    fn section(&mut self) -> R<(Bytes, Option<u32>)> {
        let start = self.pos + 1;
        let Some(i) = self
            .b
            .get(start..)
            .and_then(|r| r.iter().position(|&c| c == b']'))
        else {
            return self.fail("unterminated section");
        };
        let section = self.slice(start, start + i);
        self.pos = start + i + 1;
        let origin = if self.peek() == Some(b'<') {
            self.pos += 1;
            let o = self.num32()?;
            self.expect(b'>', "expected '>' after origin")?;
            Some(o)
        } else {
            None
        };
        Ok((section, origin))
    }

    /// `envelope = "(" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP
    /// env-to SP env-cc SP env-bcc SP env-in-reply-to SP env-message-id ")"`
    fn envelope(&mut self) -> R<Envelope> {
        self.expect(b'(', "expected '(' before envelope")?;
        let env = Envelope {
            date: self.nstring()?,
            subject: self.nstring()?,
            from: self.addresses()?,
            sender: self.addresses()?,
            reply_to: self.addresses()?,
            to: self.addresses()?,
            cc: self.addresses()?,
            bcc: self.addresses()?,
            in_reply_to: self.nstring()?,
            message_id: self.nstring()?,
        };
        self.expect(b')', "expected ')' after envelope")?;
        Ok(env)
    }

    /// `"(" 1*address ")" / nil`. A string where a list belongs reads as NIL.
    fn addresses(&mut self) -> R<Option<Vec<Address>>> {
        if !self.eat(b'(') {
            self.nstring()?;
            return Ok(None);
        }
        let mut v = Vec::new();
        loop {
            self.sp();
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    return Ok(Some(v));
                }
                Some(b'(') => {
                    // `address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"`
                    self.pos += 1;
                    v.push(Address {
                        name: self.nstring()?,
                        route: self.nstring()?,
                        mailbox: self.nstring()?,
                        host: self.nstring()?,
                    });
                    self.expect(b')', "expected ')' after address")?;
                }
                _ => return self.fail("expected an address"),
            }
        }
    }

    /// `body = "(" (body-type-1part / body-type-mpart) ")"` (RFC 3501 §9, RFC 9051 §9).
    fn body(&mut self) -> R<BodyStructure> {
        self.expect(b'(', "expected '(' before body structure")?;
        if self.depth >= MAX_DEPTH {
            return self.fail("body structure nested too deeply");
        }
        self.depth += 1;
        self.sp();
        let r = if self.peek() == Some(b'(') {
            self.body_multipart()
        } else {
            self.body_single()
        };
        self.depth -= 1;
        r
    }

    /// `body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]`
    fn body_multipart(&mut self) -> R<BodyStructure> {
        let mut parts = Vec::new();
        while self.eat_peek(b'(') {
            parts.push(self.body()?);
        }
        let media_subtype = self.string_or_empty()?;
        let ext = if self.eat(b')') {
            None
        } else {
            // `body-ext-mpart = body-fld-param [SP body-fld-dsp [SP body-fld-lang
            // [SP body-fld-loc *(SP body-extension)]]]`
            let params = self.body_params()?;
            let t = self.ext_tail()?;
            Some(MultipartExtension {
                params,
                disposition: t.disposition,
                language: t.language,
                location: t.location,
                rest: t.rest,
            })
        };
        Ok(BodyStructure::Multipart {
            parts,
            media_subtype,
            ext,
        })
    }

    /// After spaces, is `c` next (not consumed)?
    fn eat_peek(&mut self, c: u8) -> bool {
        self.sp();
        self.peek() == Some(c)
    }

    /// `body-type-1part = (body-type-basic / body-type-msg / body-type-text)
    /// [SP body-ext-1part]`
    fn body_single(&mut self) -> R<BodyStructure> {
        let media_type = self.string_or_empty()?;
        let media_subtype = self.string_or_empty()?;
        let params = self.body_params()?;
        let id = self.nstring()?;
        let description = self.nstring()?;
        let encoding = self.string_or_empty()?;
        let size = self.num32()?;
        let mut lines = None;
        let mut message = None;
        let is_message = media_type.eq_ignore_ascii_case(b"MESSAGE")
            && (media_subtype.eq_ignore_ascii_case(b"RFC822")
                || media_subtype.eq_ignore_ascii_case(b"GLOBAL"));
        if is_message && self.eat_peek(b'(') {
            // `body-type-msg = media-message SP body-fields SP envelope SP body SP
            // body-fld-lines`
            let env = self.envelope()?;
            let body = self.body()?;
            lines = Some(self.num32()?);
            message = Some(Box::new((env, body)));
        } else if media_type.eq_ignore_ascii_case(b"TEXT")
            && matches!(self.peek_after_sp(), Some(b'0'..=b'9'))
        {
            // `body-type-text = media-text SP body-fields SP body-fld-lines`
            lines = Some(self.num32()?);
        }
        let ext = if self.eat(b')') {
            None
        } else {
            // `body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang
            // [SP body-fld-loc *(SP body-extension)]]]`
            let md5 = self.nstring()?;
            let t = self.ext_tail()?;
            Some(SingleExtension {
                md5,
                disposition: t.disposition,
                language: t.language,
                location: t.location,
                rest: t.rest,
            })
        };
        Ok(BodyStructure::Single {
            media_type,
            media_subtype,
            params,
            id,
            description,
            encoding,
            size,
            lines,
            message,
            ext,
        })
    }

    fn peek_after_sp(&mut self) -> Option<u8> {
        self.sp();
        self.peek()
    }

    /// Disposition, language, location and further extensions, each optional in turn,
    /// through the `)` that closes the body.
    fn ext_tail(&mut self) -> R<ExtTail> {
        let mut t = ExtTail::default();
        if self.eat(b')') {
            return Ok(t);
        }
        t.disposition = self.disposition()?;
        if self.eat(b')') {
            return Ok(t);
        }
        t.language = self.language()?;
        if self.eat(b')') {
            return Ok(t);
        }
        t.location = self.nstring()?;
        if self.eat(b')') {
            return Ok(t);
        }
        // `body-extension = nstring / number / number64 / "(" body-extension *(SP
        // body-extension) ")"`: kept raw.
        let start = self.pos;
        let mut end = start;
        while !self.eat(b')') {
            if self.at_end() {
                return self.fail("unterminated body extension data");
            }
            self.skip_value()?;
            end = self.pos;
        }
        t.rest = Some(self.slice(start, end));
        Ok(t)
    }

    /// `body-fld-param = "(" string SP string *(SP string SP string) ")" / nil`. NIL
    /// values and `()` are accepted.
    fn body_params(&mut self) -> R<Vec<(Bytes, Bytes)>> {
        if !self.eat(b'(') {
            self.nstring()?;
            return Ok(Vec::new());
        }
        let mut v = Vec::new();
        while !self.eat(b')') {
            if self.at_end() {
                return self.fail("unterminated body parameter list");
            }
            let k = self.string_or_empty()?;
            let val = self.string_or_empty()?;
            v.push((k, val));
        }
        Ok(v)
    }

    /// `body-fld-dsp = "(" string SP body-fld-param ")" / nil`; a bare string is taken as
    /// a disposition without parameters.
    fn disposition(&mut self) -> R<Option<Disposition>> {
        if !self.eat(b'(') {
            return Ok(self.nstring()?.map(|kind| Disposition {
                kind,
                params: Vec::new(),
            }));
        }
        let kind = self.string_or_empty()?;
        let params = if self.eat_peek(b')') {
            Vec::new()
        } else {
            self.body_params()?
        };
        self.expect(b')', "expected ')' after disposition")?;
        Ok(Some(Disposition { kind, params }))
    }

    /// `body-fld-lang = nstring / "(" string *(SP string) ")"`
    fn language(&mut self) -> R<Option<Vec<Bytes>>> {
        if !self.eat(b'(') {
            return Ok(self.nstring()?.map(|s| vec![s]));
        }
        let mut v = Vec::new();
        while !self.eat(b')') {
            if self.at_end() {
                return self.fail("unterminated language list");
            }
            v.push(self.string_or_empty()?);
        }
        Ok(Some(v))
    }
}

/// `date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE`
/// (RFC 3501 §9), given without the quotes. The day may be space-padded, zero-padded or a
/// single digit. The server's zone is kept.
fn parse_internal_date(s: &[u8]) -> Option<DateTime<FixedOffset>> {
    let mut i = s.iter().position(|&c| c != b' ')?;
    let num = |i: &mut usize, min: usize, max: usize| -> Option<u32> {
        let mut v = 0u32;
        let start = *i;
        while *i - start < max {
            match s.get(*i) {
                Some(&c @ b'0'..=b'9') => v = v * 10 + u32::from(c - b'0'),
                _ => break,
            }
            *i += 1;
        }
        (*i - start >= min).then_some(v)
    };
    let lit = |i: &mut usize, c: u8| -> Option<()> { (s.get(*i) == Some(&c)).then(|| *i += 1) };
    let day = num(&mut i, 1, 2)?;
    lit(&mut i, b'-')?;
    let mon = s.get(i..i + 3)?;
    i += 3;
    const MONTHS: [&[u8; 3]; 12] = [
        b"JAN", b"FEB", b"MAR", b"APR", b"MAY", b"JUN", b"JUL", b"AUG", b"SEP", b"OCT", b"NOV",
        b"DEC",
    ];
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(mon))? as u32 + 1;
    lit(&mut i, b'-')?;
    let year = num(&mut i, 4, 4)?;
    lit(&mut i, b' ')?;
    let hour = num(&mut i, 2, 2)?;
    lit(&mut i, b':')?;
    let minute = num(&mut i, 2, 2)?;
    lit(&mut i, b':')?;
    let second = num(&mut i, 2, 2)?;
    lit(&mut i, b' ')?;
    let sign: i32 = match s.get(i)? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    i += 1;
    let zone = num(&mut i, 4, 4)? as i32;
    let offset = FixedOffset::east_opt(sign * ((zone / 100) * 3600 + (zone % 100) * 60))?;
    let local =
        NaiveDate::from_ymd_opt(year as i32, month, day)?.and_hms_opt(hour, minute, second)?;
    offset.from_local_datetime(&local).single()
}
