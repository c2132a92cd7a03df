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
//! Hostile input: every index is checked, recursion (nested BODYSTRUCTUREs, THREAD
//! sub-thread lists) is bounded by [`MAX_DEPTH`], and generic skipping of unknown values is
//! iterative. THREAD chains (`(1 2 3 ...)`) are read in a loop, whatever their length.

// The parser's methods by response family, one file each; this file holds the cursor,
// the lexical primitives and the dispatch on the response's first words.
mod codes;
mod fetch;
mod mailbox;
mod scan;
mod server;
#[cfg(test)]
mod tests;
mod view;

use bytes::Bytes;
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};

use super::types::{
    Address, BodyStructure, Continuation, Disposition, ESearch, Envelope, FetchItem, ListItem,
    MailboxStatus, MultipartExtension, NamespaceDescr, Namespaces, QuotaResource, Response,
    ResponseCode, SingleExtension, Status, StatusText, Tagged, ThreadNode, Untagged,
};
pub(crate) use fetch::{
    body_structure_view, decode_fetch_items, decode_first_fetch_item, envelope_view, flags_at,
    size_at,
};
pub(crate) use view::FIELDS;
pub use view::{AddressView, Addresses, BodyStructureView, EnvelopeView, Parts};

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
///
/// ```
/// use imap_async::proto::parse::show;
/// assert_eq!(show(b"* OK hi\r\n\x00"), "* OK hi\\r\\n\\x00");
/// ```
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

/// A response for a protocol trace: printable, literals of more than 64 bytes shown as
/// their size (`{5000}<5000 bytes>`), at most 4,000 characters.
///
/// ```
/// use imap_async::proto::parse::show_trace;
/// let frame = format!("* 1 FETCH (BODY[] {{100}}\r\n{})\r\n", "x".repeat(100));
/// assert_eq!(show_trace(frame.as_bytes()), "* 1 FETCH (BODY[] {100}<100 bytes>)\\r\\n");
/// ```
pub fn show_trace(raw: &[u8]) -> String {
    const MAX: usize = 4000;
    let mut s = String::new();
    let mut i = 0;
    while i < raw.len() && s.len() < MAX {
        let b = raw[i];
        // `{N}` or `{N+}` then CRLF: a literal of N bytes follows.
        if b == b'{'
            && let Some(close) = raw[i + 1..].iter().position(|&c| c == b'}')
            && raw[i + 1..i + 1 + close]
                .iter()
                .all(|c| c.is_ascii_digit() || *c == b'+')
            && raw[i + 2 + close..].starts_with(b"\r\n")
            && let Ok(n) = std::str::from_utf8(&raw[i + 1..i + 1 + close])
                .unwrap_or("")
                .trim_end_matches('+')
                .parse::<usize>()
            && n > 64
        {
            s.push_str(&String::from_utf8_lossy(&raw[i..i + 1 + close + 1]));
            s.push_str(&format!("<{n} bytes>"));
            i += close + 2 + 2 + n;
            continue;
        }
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
        i += 1;
    }
    if i < raw.len() {
        s.push_str(&format!("... ({} bytes in all)", raw.len()));
    }
    s
}

/// Parse one complete response, as framed by [`super::Framer`] (CRLF included).
///
/// ```
/// use bytes::Bytes;
/// use imap_async::proto::{parse_response, Response, Untagged};
/// let r = parse_response(Bytes::from_static(b"* 23 EXISTS\r\n")).unwrap();
/// assert!(matches!(r, Response::Untagged(Untagged::Exists(23))));
/// ```
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

/// Deepest nesting of BODYSTRUCTUREs (multipart parts, message/rfc822 bodies) and of THREAD
/// sub-thread lists accepted. Real data stays far below; hostile input must not exhaust
/// the stack.
pub const MAX_DEPTH: u32 = 100;

/// Internal failure: a static reason keeps failed lenient attempts allocation-free.
#[derive(Debug, Clone, Copy)]
struct Fail {
    reason: &'static str,
    pos: usize,
}

type R<T> = Result<T, Fail>;

/// `id-params-list` contents (RFC 2971 §3.3): field names and values.
type IdParams = Vec<(Bytes, Option<Bytes>)>;

/// Which atoms each byte ends, one bit per kind of atom: looked up once per byte, since
/// atoms (item names, flags, NIL) are most of what is not a string in a response.
static STOPS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b <= b' ' || b == 0x7f || b == b'(' || b == b')' || b == b'"' {
            t[c] = ASTR | ATOM | NAME;
        }
        c += 1;
    }
    t[b']' as usize] |= ATOM | NAME;
    t[b'[' as usize] |= NAME;
    t[b'<' as usize] |= NAME;
    t
};
const ASTR: u8 = 1;
const ATOM: u8 = 2;
const NAME: u8 = 4;

/// End of an atom in the widest sense (`ASTRING-CHAR`, RFC 3501 §9, plus 8-bit bytes):
/// a control byte, space, DEL, `(`, `)` or `"`.
fn astr_stop(c: u8) -> bool {
    STOPS[usize::from(c)] & ASTR != 0
}

/// End of an `atom` proper: also stops at `]` (`resp-specials`), as in response codes.
fn atom_stop(c: u8) -> bool {
    STOPS[usize::from(c)] & ATOM != 0
}

/// End of a FETCH item name: `BODY[`, `BINARY.SIZE[`, `BODY[]<0>`.
fn name_stop(c: u8) -> bool {
    STOPS[usize::from(c)] & NAME != 0
}

/// Uppercase copy of a short keyword for `match`; longer words never match any keyword.
/// The longest keyword is `NOTIFICATIONOVERFLOW` (RFC 5465), 20 bytes.
struct Kw {
    buf: [u8; 24],
    len: usize,
}

impl Kw {
    fn new(s: &[u8]) -> Kw {
        let mut buf = [0u8; 24];
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

#[derive(Clone)]
struct Parser<'a> {
    frame: &'a Bytes,
    /// The frame without its final line end.
    b: &'a [u8],
    pos: usize,
    depth: u32,
}

impl<'a> Parser<'a> {
    // ----- cursor primitives -----

    pub(super) fn fail<T>(&self, reason: &'static str) -> R<T> {
        Err(Fail {
            reason,
            pos: self.pos,
        })
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    pub(super) fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.b.get(self.pos + ahead).copied()
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.b.len()
    }

    /// Skip any number of spaces (servers send doubled and trailing spaces).
    pub(super) fn sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    pub(super) fn slice(&self, from: usize, to: usize) -> Bytes {
        self.frame.slice(from..to)
    }

    /// After optional spaces, consume `c` if it is next.
    pub(super) fn eat(&mut self, c: u8) -> bool {
        self.sp();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn expect(&mut self, c: u8, reason: &'static str) -> R<()> {
        if self.eat(c) {
            Ok(())
        } else {
            self.fail(reason)
        }
    }

    /// The rest of the line after optional spaces (`text` in `resp-text`, raw remainders).
    pub(super) fn rest(&mut self) -> Bytes {
        self.sp();
        let s = self.slice(self.pos.min(self.b.len()), self.b.len());
        self.pos = self.b.len();
        s
    }

    /// A non-empty run of bytes up to one for which `stop` holds, after optional spaces.
    pub(super) fn atom_with(&mut self, stop: fn(u8) -> bool) -> R<(usize, usize)> {
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

    pub(super) fn kw(&self, (s, e): (usize, usize)) -> Kw {
        Kw::new(&self.b[s..e])
    }

    // ----- numbers (RFC 3501 §9 `number`, RFC 9051 `number64`) -----

    pub(super) fn digits(&mut self) -> R<u64> {
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

    pub(super) fn num64(&mut self) -> R<u64> {
        self.sp();
        self.digits()
    }

    pub(super) fn num32(&mut self) -> R<u32> {
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
    pub(super) fn uid_set(&mut self) -> R<Vec<(u32, u32)>> {
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

    pub(super) fn set_number(&mut self) -> R<u32> {
        if self.peek() == Some(b'*') {
            self.pos += 1;
            return Ok(u32::MAX);
        }
        self.num32()
    }

    // ----- strings (RFC 3501 §4.3, §9 `string`, `astring`, `nstring`; RFC 3516 literal8) ----

    /// Find the end of the `quoted` string whose opening `"` is at the cursor: the length
    /// of its body and whether it contains an escape pair. Only `\\` and `\"` are escapes;
    /// a backslash before anything else is an ordinary byte (some servers do not escape
    /// backslashes).
    #[inline(always)]
    pub(super) fn scan_quoted(&self) -> R<(usize, bool)> {
        let rest = self.b.get(self.pos + 1..).unwrap_or_default();
        // Fast path: most strings have no backslash at all.
        let Some(mut j) = find_quote_or_backslash(rest) else {
            return self.fail("unterminated quoted string");
        };
        let mut escaped = false;
        loop {
            match rest.get(j) {
                None => return self.fail("unterminated quoted string"),
                Some(b'"') => return Ok((j, escaped)),
                Some(b'\\') if matches!(rest.get(j + 1), Some(b'"' | b'\\')) => {
                    escaped = true;
                    j += 2;
                }
                Some(_) => j += 1,
            }
        }
    }

    /// `quoted`, at the opening `"`: a slice of the frame, or a new buffer when escapes
    /// had to be resolved.
    #[inline(always)]
    pub(super) fn quoted(&mut self) -> R<Bytes> {
        let (len, escaped) = self.scan_quoted()?;
        let start = self.pos + 1;
        self.pos = start + len + 1;
        if !escaped {
            return Ok(self.slice(start, start + len));
        }
        Ok(Bytes::from(unescape(&self.b[start..start + len])))
    }

    /// Like [`Self::quoted`] without building the value.
    pub(super) fn skip_quoted(&mut self) -> R<()> {
        let (len, _) = self.scan_quoted()?;
        self.pos += len + 2;
        Ok(())
    }

    /// `literal` / `literal8`, at the `{` (the `~` of literal8 already consumed), giving
    /// where the data is in the frame. `{N+}` is accepted too.
    pub(super) fn literal_span(&mut self) -> R<(usize, usize)> {
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
        Ok((start, end))
    }

    /// At `{` or `~{`: a literal or literal8.
    pub(super) fn at_literal(&self) -> bool {
        match self.peek() {
            Some(b'{') => true,
            Some(b'~') => self.peek_at(1) == Some(b'{'),
            _ => false,
        }
    }

    /// `literal` or `literal8` (RFC 3516), at its `{` or `~{`: the data, a slice of the
    /// frame.
    pub(super) fn any_literal(&mut self) -> R<Bytes> {
        let (start, end) = self.any_literal_span()?;
        Ok(self.slice(start, end))
    }

    /// Like [`Self::any_literal`], giving where the data is.
    pub(super) fn any_literal_span(&mut self) -> R<(usize, usize)> {
        if self.peek() == Some(b'~') {
            self.pos += 1;
        }
        self.literal_span()
    }

    /// `nstring`, leniently: quoted, literal, literal8, or an atom; `NIL` gives `None`.
    pub(super) fn nstring(&mut self) -> R<Option<Bytes>> {
        self.sp();
        match self.peek() {
            Some(b'"') => self.quoted().map(Some),
            // NIL is most of an envelope's address fields: no need to scan for its end.
            Some(b'N' | b'n')
                if self
                    .b
                    .get(self.pos..self.pos + 3)
                    .is_some_and(|w| w.eq_ignore_ascii_case(b"NIL"))
                    && self.b.get(self.pos + 3).is_none_or(|&c| astr_stop(c)) =>
            {
                self.pos += 3;
                Ok(None)
            }
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
    pub(super) fn string_or_empty(&mut self) -> R<Bytes> {
        Ok(self.nstring()?.unwrap_or_default())
    }

    /// `astring` (mailbox names): an atom `NIL` is the name "NIL", not a missing value.
    pub(super) fn astring(&mut self) -> R<Bytes> {
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
    pub(super) fn delimiter(&mut self) -> R<Option<u8>> {
        Ok(self.nstring()?.and_then(|s| s.first().copied()))
    }

    /// `flag-list` / `mbx-list-flags`: `(` flags `)`, flags including `\*`.
    pub(super) fn flag_list(&mut self) -> R<Vec<Bytes>> {
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

    /// Space-separated atoms up to the end of the line, or up to `]` when `in_code` (the
    /// capability list of a response code). Any other byte is part of an atom, since
    /// capability names from real servers are not always clean atoms.
    pub(super) fn atoms_to_end(&mut self, in_code: bool) -> Vec<Bytes> {
        let mut v = Vec::new();
        let stop = |c: u8| c == b' ' || (in_code && c == b']');
        loop {
            self.sp();
            match self.peek() {
                None => return v,
                Some(c) if stop(c) => return v,
                Some(_) => {
                    let start = self.pos;
                    let rest = &self.b[start..];
                    let len = rest.iter().position(|&c| stop(c)).unwrap_or(rest.len());
                    self.pos = start + len;
                    v.push(self.slice(start, start + len));
                }
            }
        }
    }

    /// Skip one value of any shape: atom (with any `[...]` section in it), quoted string,
    /// literal, or a parenthesised list nested to any depth. Iterative, so hostile nesting
    /// costs no stack. At `)` or the end it skips nothing (an absent value).
    pub(super) fn skip_value(&mut self) -> R<()> {
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
    pub(super) fn skip_atomish(&mut self) {
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
    pub(super) fn raw_value(&mut self) -> R<Bytes> {
        self.sp();
        let start = self.pos;
        self.skip_value()?;
        Ok(self.slice(start, self.pos))
    }

    // ----- responses (RFC 3501 §7, §9 `response`) -----

    pub(super) fn response(&mut self) -> R<Response> {
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
    pub(super) fn continuation(&mut self) -> R<Continuation> {
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
    pub(super) fn tagged(&mut self) -> R<Tagged> {
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
    pub(super) fn resp_text(&mut self, status: Status) -> StatusText {
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

    /// `response-data = "*" SP (resp-cond-state / resp-cond-bye / mailbox-data /
    /// message-data / capability-data / enable-data) CRLF` (RFC 3501 §7, RFC 9051 §7).
    pub(super) fn untagged(&mut self) -> R<Untagged> {
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
                    items: self.fetch_data()?,
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
            b"CAPABILITY" => Untagged::Capability(self.atoms_to_end(false)),
            b"ENABLED" => Untagged::Enabled(self.atoms_to_end(false)),
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
            b"THREAD" => Untagged::Thread(self.threads()?),
            b"ESEARCH" => Untagged::ESearch(self.esearch()?),
            b"FLAGS" => Untagged::Flags(self.flag_list()?),
            b"VANISHED" => self.vanished()?,
            b"NAMESPACE" => Untagged::Namespace(self.namespace()?),
            b"ID" => Untagged::Id(self.id()?),
            b"QUOTA" => self.quota()?,
            b"QUOTAROOT" => Untagged::QuotaRoot {
                mailbox: self.astring()?,
                roots: self.astrings_to_end()?,
            },
            b"ACL" => self.acl()?,
            b"MYRIGHTS" => Untagged::MyRights {
                mailbox: self.astring()?,
                rights: self.astring()?,
            },
            b"LISTRIGHTS" => Untagged::ListRights {
                mailbox: self.astring()?,
                identifier: self.astring()?,
                required: self.astring()?,
                optional: self.astrings_to_end()?,
            },
            b"METADATA" => self.metadata()?,
            // Unknown: everything after `* ` except the final line end.
            _ => Untagged::Other(self.slice(start, self.b.len())),
        })
    }
}

/// The first `"` or `\\` in `s`. Quoted strings are mostly short (names, hosts, dates), too
/// short for a vectorised search to pay for its set-up: the first bytes are tested eight at
/// a time in a plain `u64`, and only a longer string goes to `memchr`.
pub(super) fn find_quote_or_backslash(s: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    /// High bit set in each byte of `w` that is zero (exact for the lowest such byte).
    fn zero_bytes(w: u64) -> u64 {
        w.wrapping_sub(ONES) & !w & HIGHS
    }
    const SHORT: usize = 64;
    let mut i = 0;
    while i < SHORT {
        let Some(chunk) = s.get(i..i + 8) else {
            let tail = s.get(i..).unwrap_or_default();
            return tail
                .iter()
                .position(|&c| c == b'"' || c == b'\\')
                .map(|j| i + j);
        };
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let hits =
            zero_bytes(w ^ (ONES * u64::from(b'"'))) | zero_bytes(w ^ (ONES * u64::from(b'\\')));
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr::memchr2(b'"', b'\\', &s[SHORT..]).map(|j| SHORT + j)
}

/// A quoted string's value: `\"` and `\\` undone (a backslash before anything else
/// is kept, as [`Parser::scan_quoted`] reads it).
fn unescape(body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(body.len());
    let mut j = 0;
    while let Some(&c) = body.get(j) {
        if c == b'\\' && matches!(body.get(j + 1), Some(b'"' | b'\\')) {
            v.push(body[j + 1]);
            j += 2;
        } else {
            v.push(c);
            j += 1;
        }
    }
    v
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
