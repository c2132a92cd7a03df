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

use bytes::Bytes;
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};

use super::types::{
    Address, BodyStructure, Continuation, Disposition, ESearch, Envelope, FetchItem, ListItem,
    MailboxStatus, MultipartExtension, NamespaceDescr, Namespaces, QuotaResource, Response,
    ResponseCode, SingleExtension, Status, StatusText, Tagged, ThreadNode, Untagged,
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

    /// Find the end of the `quoted` string whose opening `"` is at the cursor: the length
    /// of its body and whether it contains an escape pair. Only `\\` and `\"` are escapes;
    /// a backslash before anything else is an ordinary byte (some servers do not escape
    /// backslashes).
    #[inline(always)]
    fn scan_quoted(&self) -> R<(usize, bool)> {
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
    fn quoted(&mut self) -> R<Bytes> {
        let (len, escaped) = self.scan_quoted()?;
        let start = self.pos + 1;
        self.pos = start + len + 1;
        if !escaped {
            return Ok(self.slice(start, start + len));
        }
        let body = &self.b[start..start + len];
        let mut v = Vec::with_capacity(len);
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
        Ok(Bytes::from(v))
    }

    /// Like [`Self::quoted`] without building the value.
    fn skip_quoted(&mut self) -> R<()> {
        let (len, _) = self.scan_quoted()?;
        self.pos += len + 2;
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

    /// Space-separated atoms up to the end of the line, or up to `]` when `in_code` (the
    /// capability list of a response code). Any other byte is part of an atom, since
    /// capability names from real servers are not always clean atoms.
    fn atoms_to_end(&mut self, in_code: bool) -> Vec<Bytes> {
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
            b"NOTIFICATIONOVERFLOW" => ResponseCode::NotificationOverflow,
            // RFC 5530 §3: none of these carries data.
            b"UNAVAILABLE" => ResponseCode::Unavailable,
            b"AUTHENTICATIONFAILED" => ResponseCode::AuthenticationFailed,
            b"AUTHORIZATIONFAILED" => ResponseCode::AuthorizationFailed,
            b"EXPIRED" => ResponseCode::Expired,
            b"PRIVACYREQUIRED" => ResponseCode::PrivacyRequired,
            b"CONTACTADMIN" => ResponseCode::ContactAdmin,
            b"NOPERM" => ResponseCode::NoPerm,
            b"INUSE" => ResponseCode::InUse,
            b"EXPUNGEISSUED" => ResponseCode::ExpungeIssued,
            b"CORRUPTION" => ResponseCode::Corruption,
            b"SERVERBUG" => ResponseCode::ServerBug,
            b"CLIENTBUG" => ResponseCode::ClientBug,
            b"CANNOT" => ResponseCode::Cannot,
            b"LIMIT" => ResponseCode::Limit,
            b"OVERQUOTA" => ResponseCode::OverQuota,
            b"ALREADYEXISTS" => ResponseCode::AlreadyExists,
            b"NONEXISTENT" => ResponseCode::NonExistent,
            // `"BADEVENT" SP "(" event-name *(SP event-name) ")"` (RFC 5465 §8); Dovecot 2.3
            // sends the names without parentheses (`[BADEVENT AnnotationChange]`).
            b"BADEVENT" => {
                self.sp();
                if self.peek() == Some(b'(') {
                    ResponseCode::BadEvent(self.flag_list()?)
                } else {
                    let names = self.atoms_to_end(true);
                    if names.is_empty() {
                        return self.fail("BADEVENT without event names");
                    }
                    ResponseCode::BadEvent(names)
                }
            }
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
            b"CAPABILITY" => ResponseCode::Capability(self.atoms_to_end(true)),
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

    /// `mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP
    /// mailbox [SP mbox-list-extended]` (RFC 3501 §7.2.2, RFC 5258 §9). Extended data
    /// that does not parse is dropped (the item is kept without it), as before servers
    /// sent any.
    fn list_item(&mut self) -> R<ListItem> {
        let attributes = self.flag_list()?;
        let delimiter = self.delimiter()?;
        let name = self.astring()?;
        let mut item = ListItem {
            attributes,
            delimiter,
            name,
            ..ListItem::default()
        };
        self.sp();
        if self.peek() == Some(b'(') {
            let save = self.pos;
            if self.list_extended(&mut item).is_err() {
                self.pos = save;
                item.old_name = None;
                item.extended.clear();
            }
        }
        Ok(item)
    }

    /// `mbox-list-extended = "(" [mbox-list-extended-item *(SP mbox-list-extended-item)]
    /// ")"`, `mbox-list-extended-item = mbox-list-extended-item-tag SP tagged-ext-val`
    /// (RFC 5258 §9; the tag is an astring), at the `(`. `OLDNAME` is read as RFC 5465 §8
    /// `"OLDNAME" SP "(" mailbox ")"` (a bare mailbox is accepted too); other items are
    /// kept raw.
    fn list_extended(&mut self, item: &mut ListItem) -> R<()> {
        self.expect(b'(', "expected '(' before LIST extended data")?;
        loop {
            self.sp();
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    return Ok(());
                }
                None => return self.fail("unterminated LIST extended data"),
                Some(_) => {}
            }
            let tag = self.astring()?;
            if tag.eq_ignore_ascii_case(b"OLDNAME") {
                let old = if self.eat(b'(') {
                    let old = self.astring()?;
                    self.expect(b')', "expected ')' after the OLDNAME mailbox")?;
                    old
                } else {
                    self.astring()?
                };
                item.old_name = Some(old);
            } else {
                let value = self.raw_value()?;
                item.extended.push((tag, value));
            }
        }
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
    fn id(&mut self) -> R<Option<IdParams>> {
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

    /// Space-separated `astring`s up to the end of the line (possibly none).
    fn astrings_to_end(&mut self) -> R<Vec<Bytes>> {
        let mut v = Vec::new();
        loop {
            self.sp();
            if self.at_end() {
                return Ok(v);
            }
            v.push(self.astring()?);
        }
    }

    /// `quota-response = "QUOTA" SP quota-root-name SP quota-list`, `quota-list = "("
    /// quota-resource *(SP quota-resource) ")"`, `quota-resource = resource-name SP
    /// resource-usage SP resource-limit` (RFC 9208 §7). The list may be empty (§4.2.1:
    /// "zero or more triplets").
    fn quota(&mut self) -> R<Untagged> {
        let root = self.astring()?;
        self.expect(b'(', "expected '(' before the quota list")?;
        let mut resources = Vec::new();
        while !self.eat(b')') {
            if self.at_end() {
                return self.fail("unterminated quota list");
            }
            resources.push(QuotaResource {
                name: self.astring()?,
                usage: self.num64()?,
                limit: self.num64()?,
            });
        }
        Ok(Untagged::Quota { root, resources })
    }

    /// `acl-data = "ACL" SP mailbox *(SP identifier SP rights)` (RFC 4314 §3.6, §7).
    /// Rights are `astring`s kept as sent: `nil` is a valid rights string (n, i, l), so NIL
    /// is never read as a missing value here.
    fn acl(&mut self) -> R<Untagged> {
        let mailbox = self.astring()?;
        let mut entries = Vec::new();
        loop {
            self.sp();
            if self.at_end() {
                return Ok(Untagged::Acl { mailbox, entries });
            }
            let identifier = self.astring()?;
            self.sp();
            if self.at_end() {
                return self.fail("ACL identifier without rights");
            }
            entries.push((identifier, self.astring()?));
        }
    }

    /// `metadata-resp = "METADATA" SP mailbox SP (entry-values / entry-list)`,
    /// `entry-values = "(" entry-value *(SP entry-value) ")"`, `entry-value = entry SP
    /// value`, `value = nstring / literal8`, `entry-list = entry *(SP entry)` (RFC 5464
    /// §4.4, §5). An empty `()` is accepted.
    fn metadata(&mut self) -> R<Untagged> {
        let mailbox = self.astring()?;
        if !self.eat(b'(') {
            return Ok(Untagged::MetadataChanged {
                mailbox,
                entries: self.astrings_to_end()?,
            });
        }
        let mut entries = Vec::new();
        while !self.eat(b')') {
            if self.at_end() {
                return self.fail("unterminated METADATA list");
            }
            let entry = self.astring()?;
            entries.push((entry, self.nstring()?));
        }
        Ok(Untagged::Metadata { mailbox, entries })
    }

    /// `thread-data = "THREAD" [SP 1*thread-list]` (RFC 5256 §5).
    fn threads(&mut self) -> R<Vec<ThreadNode>> {
        let mut v = Vec::new();
        loop {
            self.sp();
            match self.peek() {
                None => return Ok(v),
                Some(b'(') => v.push(self.thread_list()?),
                Some(_) => return self.fail("expected '(' before a thread"),
            }
        }
    }

    /// `thread-list = "(" (thread-members / thread-nested) ")"`, `thread-members =
    /// nz-number *(SP nz-number) [SP thread-nested]`, `thread-nested = 2*thread-list`
    /// (RFC 5256 §5), at the `(`. Members are read in a loop; only nested lists recurse,
    /// bounded by [`MAX_DEPTH`]. Leniently, a single nested list is accepted where the
    /// grammar wants two (`(1 (2))`, kept as sent).
    fn thread_list(&mut self) -> R<ThreadNode> {
        if self.depth >= MAX_DEPTH {
            return self.fail("thread nested too deeply");
        }
        self.depth += 1;
        self.pos += 1;
        let mut node = ThreadNode::default();
        let r = loop {
            self.sp();
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    break if node.members.is_empty() && node.children.is_empty() {
                        self.fail("empty thread")
                    } else {
                        Ok(node)
                    };
                }
                Some(b'(') => match self.thread_list() {
                    Ok(child) => node.children.push(child),
                    Err(e) => break Err(e),
                },
                Some(b'0'..=b'9') if !node.children.is_empty() => {
                    break self.fail("message number after sub-threads");
                }
                Some(b'0'..=b'9') => match self.num32() {
                    Ok(n) => node.members.push(n),
                    Err(e) => break Err(e),
                },
                None => break self.fail("unterminated thread"),
                Some(_) => break self.fail("expected a message number or '(' in a thread"),
            }
        };
        self.depth -= 1;
        r
    }

    // ----- FETCH (RFC 3501 §7.4.2, RFC 9051 §7.5.2, RFC 3516 §4.2, RFC 7162 §3.1.4) -----

    fn fetch_items(&mut self) -> R<Vec<FetchItem>> {
        self.expect(b'(', "expected '(' after FETCH")?;
        let mut items = Vec::with_capacity(8);
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
            b"ENVELOPE" => FetchItem::Envelope(self.envelope()?),
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
    ///
    /// Filled in place in its box: a mailbox listing parses 100,000s of envelopes, and
    /// building each on the stack first would copy it once more.
    fn envelope(&mut self) -> R<Box<Envelope>> {
        self.expect(b'(', "expected '(' before envelope")?;
        let mut env = Box::<Envelope>::default();
        env.date = self.nstring()?;
        env.subject = self.nstring()?;
        env.from = self.addresses()?;
        env.sender = self.addresses()?;
        env.reply_to = self.addresses()?;
        env.to = self.addresses()?;
        env.cc = self.addresses()?;
        env.bcc = self.addresses()?;
        env.in_reply_to = self.nstring()?;
        env.message_id = self.nstring()?;
        self.expect(b')', "expected ')' after envelope")?;
        Ok(env)
    }

    /// `"(" 1*address ")" / nil`. A string where a list belongs reads as NIL.
    fn addresses(&mut self) -> R<Option<Vec<Address>>> {
        if !self.eat(b'(') {
            self.nstring()?;
            return Ok(None);
        }
        let mut v = Vec::with_capacity(1);
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
        // `body-fld-enc` is a string, but NIL is accepted (and kept apart from "").
        let encoding = self.nstring()?;
        let size = self.num32()?;
        let mut lines = None;
        let mut message = None;
        let is_message = media_type.eq_ignore_ascii_case(b"MESSAGE")
            && (media_subtype.eq_ignore_ascii_case(b"RFC822")
                || media_subtype.eq_ignore_ascii_case(b"GLOBAL"));
        if is_message && self.eat_peek(b'(') {
            // `body-type-msg = media-message SP body-fields SP envelope SP body SP
            // body-fld-lines`
            let env = *self.envelope()?;
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
    /// values (kept as `None`, apart from `""`) and `()` are accepted.
    fn body_params(&mut self) -> R<Vec<(Bytes, Option<Bytes>)>> {
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
            let val = self.nstring()?;
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

/// The first `"` or `\\` in `s`. Quoted strings are mostly short (names, hosts, dates), too
/// short for a vectorised search to pay for its set-up: the first bytes are tested eight at
/// a time in a plain `u64`, and only a longer string goes to `memchr`.
fn find_quote_or_backslash(s: &[u8]) -> Option<usize> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn bs(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn parse(s: &[u8]) -> Response {
        match parse_response(Bytes::copy_from_slice(s)) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    fn untagged(s: &[u8]) -> Untagged {
        match parse(s) {
            Response::Untagged(u) => u,
            other => panic!("not untagged: {other:?}"),
        }
    }

    fn status(s: &[u8]) -> StatusText {
        match parse(s) {
            Response::Untagged(Untagged::Status(st)) => st,
            Response::Tagged(t) => t.status,
            other => panic!("not a status: {other:?}"),
        }
    }

    fn fetch(s: &[u8]) -> (u32, Vec<FetchItem>) {
        match untagged(s) {
            Untagged::Fetch { seq, items } => (seq, items),
            other => panic!("not FETCH: {other:?}"),
        }
    }

    fn code(s: &str) -> ResponseCode {
        let line = format!("* OK [{s}] text\r\n");
        let st = status(line.as_bytes());
        assert_eq!(st.text, bs("text"), "{s}");
        st.code.unwrap_or_else(|| panic!("no code parsed from {s}"))
    }

    #[test]
    fn greetings() {
        let st = status(b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] Dovecot ready.\r\n");
        assert_eq!(st.status, Status::Ok);
        assert_eq!(st.text, bs("Dovecot ready."));
        let Some(ResponseCode::Capability(caps)) = st.code else {
            panic!("{st:?}")
        };
        assert_eq!(caps.len(), 8);
        assert_eq!(caps[0], bs("IMAP4rev1"));
        assert_eq!(caps[7], bs("AUTH=PLAIN"));

        let st = status(b"* PREAUTH IMAP4rev1 server logged in as Smith\r\n");
        assert_eq!(
            (st.status, st.code, st.text),
            (
                Status::PreAuth,
                None,
                bs("IMAP4rev1 server logged in as Smith")
            )
        );
        let st = status(b"* BYE Autologout; idle for too long\r\n");
        assert_eq!(
            (st.status, st.text),
            (Status::Bye, bs("Autologout; idle for too long"))
        );
    }

    #[test]
    fn bye_and_status_without_text() {
        for line in [&b"* BYE\r\n"[..], b"* BYE \r\n", b"*BYE\r\n", b"* BYE\n"] {
            let st = status(line);
            assert_eq!(
                (st.status, st.code, st.text),
                (Status::Bye, None, Bytes::new())
            );
        }
        match parse(b"A1 OK\r\n") {
            Response::Tagged(t) => {
                assert_eq!(t.tag, bs("A1"));
                assert_eq!(t.status.status, Status::Ok);
                assert!(t.status.text.is_empty());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tagged_statuses() {
        match parse(b"a002 OK [READ-WRITE] SELECT completed\r\n") {
            Response::Tagged(t) => {
                assert_eq!(t.tag, bs("a002"));
                assert_eq!(
                    t.status,
                    StatusText {
                        status: Status::Ok,
                        code: Some(ResponseCode::ReadWrite),
                        text: bs("SELECT completed")
                    }
                );
            }
            other => panic!("{other:?}"),
        }
        let st = status(b"A3 no [TRYCREATE] Mailbox doesn't exist\r\n");
        assert_eq!(
            (st.status, st.code),
            (Status::No, Some(ResponseCode::TryCreate))
        );
        let st = status(b"A4 BAD Command unknown\r\n");
        assert_eq!(st.status, Status::Bad);
        let st = status(b"* NO [ALERT] disk full\r\n");
        assert_eq!(
            (st.status, st.code, st.text),
            (Status::No, Some(ResponseCode::Alert), bs("disk full"))
        );
        // A `[` without a closing bracket is just text.
        let st = status(b"* OK [not a code\r\n");
        assert_eq!((st.code, st.text), (None, bs("[not a code")));
    }

    #[test]
    fn response_codes() {
        use ResponseCode as C;
        assert_eq!(code("ALERT"), C::Alert);
        assert_eq!(code("BADCHARSET"), C::BadCharset(vec![]));
        assert_eq!(
            code("BADCHARSET (UTF-8 \"US-ASCII\")"),
            C::BadCharset(vec![bs("UTF-8"), bs("US-ASCII")])
        );
        assert_eq!(
            code("CAPABILITY IMAP4rev1  IDLE"),
            C::Capability(vec![bs("IMAP4rev1"), bs("IDLE")])
        );
        assert_eq!(code("PARSE"), C::Parse);
        assert_eq!(
            code("PERMANENTFLAGS (\\Deleted \\Seen $Forwarded \\*)"),
            C::PermanentFlags(vec![
                bs("\\Deleted"),
                bs("\\Seen"),
                bs("$Forwarded"),
                bs("\\*")
            ])
        );
        assert_eq!(code("PERMANENTFLAGS ()"), C::PermanentFlags(vec![]));
        assert_eq!(code("READ-ONLY"), C::ReadOnly);
        assert_eq!(code("READ-WRITE"), C::ReadWrite);
        assert_eq!(code("TRYCREATE"), C::TryCreate);
        assert_eq!(code("UIDNEXT 4392"), C::UidNext(4392));
        assert_eq!(
            code("UIDVALIDITY 3857529045"),
            C::UidValidity(3_857_529_045)
        );
        assert_eq!(code("UNSEEN 12"), C::Unseen(12));
        assert_eq!(
            code("APPENDUID 38505 3955"),
            C::AppendUid {
                uid_validity: 38505,
                uids: vec![(3955, 3955)]
            }
        );
        assert_eq!(
            code("APPENDUID 38505 4:6,9"),
            C::AppendUid {
                uid_validity: 38505,
                uids: vec![(4, 6), (9, 9)]
            }
        );
        assert_eq!(
            code("COPYUID 38505 304,319:320 3956:3958"),
            C::CopyUid {
                uid_validity: 38505,
                source: vec![(304, 304), (319, 320)],
                destination: vec![(3956, 3958)]
            }
        );
        assert_eq!(code("UIDNOTSTICKY"), C::UidNotSticky);
        assert_eq!(
            code("HIGHESTMODSEQ 715194045007"),
            C::HighestModSeq(715_194_045_007)
        );
        assert_eq!(code("NOMODSEQ"), C::NoModSeq);
        assert_eq!(code("MODIFIED 7,9"), C::Modified(vec![(7, 7), (9, 9)]));
        assert_eq!(code("MODIFIED 12:10"), C::Modified(vec![(10, 12)]));
        assert_eq!(code("CLOSED"), C::Closed);
        assert_eq!(code("NOTIFICATIONOVERFLOW"), C::NotificationOverflow);
        assert_eq!(code("notificationoverflow"), C::NotificationOverflow);
        assert_eq!(
            code("BADEVENT (MessageNew MessageExpunge FlagChange MailboxName)"),
            C::BadEvent(vec![
                bs("MessageNew"),
                bs("MessageExpunge"),
                bs("FlagChange"),
                bs("MailboxName")
            ])
        );
        // Dovecot 2.3 leaves out the parentheses.
        assert_eq!(
            code("BADEVENT AnnotationChange"),
            C::BadEvent(vec![bs("AnnotationChange")])
        );
        assert_eq!(
            code("BADEVENT ServerMetadataChange MailboxMetadataChange"),
            C::BadEvent(vec![
                bs("ServerMetadataChange"),
                bs("MailboxMetadataChange")
            ])
        );
        // BADEVENT without names, or with a broken list, is kept raw, not fatal.
        assert_eq!(code("BADEVENT"), C::Other(bs("BADEVENT"), None));
        assert_eq!(
            code("BADEVENT (MessageNew"),
            C::Other(bs("BADEVENT"), Some(bs("(MessageNew")))
        );
        assert_eq!(
            code("REFERRAL imap://user@host/INBOX"),
            C::Other(bs("REFERRAL"), Some(bs("imap://user@host/INBOX")))
        );
        // Known code with arguments we cannot read: kept, not fatal.
        assert_eq!(
            code("UIDNEXT soon"),
            C::Other(bs("UIDNEXT"), Some(bs("soon")))
        );
        assert_eq!(code("uidnext 5 "), C::UidNext(5));
    }

    /// Every response code of RFC 5530 §3, in any case, as a typed code, in a tagged `NO`
    /// (where servers send most of them) as well as in an untagged `OK`.
    #[test]
    fn rfc5530_codes_are_typed() {
        use ResponseCode as C;
        let codes = [
            ("UNAVAILABLE", C::Unavailable),
            ("AUTHENTICATIONFAILED", C::AuthenticationFailed),
            ("AUTHORIZATIONFAILED", C::AuthorizationFailed),
            ("EXPIRED", C::Expired),
            ("PRIVACYREQUIRED", C::PrivacyRequired),
            ("CONTACTADMIN", C::ContactAdmin),
            ("NOPERM", C::NoPerm),
            ("INUSE", C::InUse),
            ("EXPUNGEISSUED", C::ExpungeIssued),
            ("CORRUPTION", C::Corruption),
            ("SERVERBUG", C::ServerBug),
            ("CLIENTBUG", C::ClientBug),
            ("CANNOT", C::Cannot),
            ("LIMIT", C::Limit),
            ("OVERQUOTA", C::OverQuota),
            ("ALREADYEXISTS", C::AlreadyExists),
            ("NONEXISTENT", C::NonExistent),
        ];
        for (atom, expected) in codes {
            assert_eq!(code(atom), expected, "{atom}");
            assert_eq!(code(&atom.to_ascii_lowercase()), expected, "{atom}");
            assert_eq!(expected.atom(), Some(atom));
            let line = format!("A7 NO [{atom}] refused\r\n");
            match parse_response(Bytes::from(line)).unwrap() {
                Response::Tagged(t) => {
                    assert_eq!(t.status.status, Status::No);
                    assert_eq!(t.status.code, Some(expected), "{atom}");
                    assert_eq!(t.status.text, bs("refused"));
                }
                other => panic!("{atom}: {other:?}"),
            }
        }
        // RFC 5530 codes carry no data: text inside the brackets keeps the code raw.
        assert_eq!(
            code("OVERQUOTA 5 GB"),
            C::Other(bs("OVERQUOTA"), Some(bs("5 GB")))
        );
    }

    /// `[NOMODSEQ]` (RFC 7162 §3.1.2.2) in the untagged OK a SELECT gets for a folder
    /// without mod-sequences: its own code, the response an ordinary status.
    #[test]
    fn nomodseq_is_its_own_code() {
        let st =
            status(b"* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences\r\n");
        assert_eq!(st.status, Status::Ok);
        assert_eq!(st.code, Some(ResponseCode::NoModSeq));
        assert_eq!(ResponseCode::NoModSeq.atom(), Some("NOMODSEQ"));
        assert_eq!(code("nomodseq"), ResponseCode::NoModSeq);
    }

    #[test]
    fn continuations() {
        let cases: [(&[u8], Option<ResponseCode>, &str); 5] = [
            (b"+ idling\r\n", None, "idling"),
            (b"+ [ALERT] go on\r\n", Some(ResponseCode::Alert), "go on"),
            (b"+\r\n", None, ""),
            (b"+ \r\n", None, ""),
            (
                b"+ YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSzBJoAMCAQGiQgRA\r\n",
                None,
                "YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSzBJoAMCAQGiQgRA",
            ),
        ];
        for (line, code, text) in cases {
            assert_eq!(
                parse(line),
                Response::Continuation(Continuation {
                    code,
                    text: bs(text)
                })
            );
        }
    }

    #[test]
    fn capability_and_enabled() {
        assert_eq!(
            untagged(b"* CAPABILITY IMAP4rev1  STARTTLS AUTH=GSSAPI \r\n"),
            Untagged::Capability(vec![bs("IMAP4rev1"), bs("STARTTLS"), bs("AUTH=GSSAPI")])
        );
        assert_eq!(
            untagged(b"* ENABLED CONDSTORE QRESYNC\r\n"),
            Untagged::Enabled(vec![bs("CONDSTORE"), bs("QRESYNC")])
        );
        assert_eq!(untagged(b"* ENABLED\r\n"), Untagged::Enabled(vec![]));
        // Outside a response code a `]` is just a byte of a (badly named) capability.
        assert_eq!(
            untagged(b"* capability IMAP4rev1 X-ODD]NAME\n"),
            Untagged::Capability(vec![bs("IMAP4rev1"), bs("X-ODD]NAME")])
        );
    }

    #[test]
    fn list_lsub_xlist() {
        assert_eq!(
            untagged(b"* LIST (\\HasNoChildren) \"/\" INBOX\r\n"),
            Untagged::List(ListItem {
                attributes: vec![bs("\\HasNoChildren")],
                delimiter: Some(b'/'),
                name: bs("INBOX"),
                ..ListItem::default()
            })
        );
        assert_eq!(
            untagged(b"* LIST (\\Noselect) NIL \"\"\r\n"),
            Untagged::List(ListItem {
                attributes: vec![bs("\\Noselect")],
                delimiter: None,
                name: bs(""),
                ..ListItem::default()
            })
        );
        assert_eq!(
            untagged(b"* LIST () \".\" {12}\r\nfoo\r\nbar baz\r\n"),
            Untagged::List(ListItem {
                attributes: vec![],
                delimiter: Some(b'.'),
                name: bs("foo\r\nbar baz"),
                ..ListItem::default()
            })
        );
        // LIST-EXTENDED data after the name is kept raw; a backslash delimiter is escaped.
        assert_eq!(
            untagged(b"* LIST (\\HasChildren \\Subscribed) \"\\\\\" \"Sent Items\" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"),
            Untagged::List(ListItem {
                attributes: vec![bs("\\HasChildren"), bs("\\Subscribed")],
                delimiter: Some(b'\\'),
                name: bs("Sent Items"),
                extended: vec![(bs("CHILDINFO"), bs("(\"SUBSCRIBED\")"))],
                ..ListItem::default()
            })
        );
        assert_eq!(
            untagged(b"* XLIST (\\HasNoChildren \\Sent) \"/\" \"[Gmail]/Sent Mail\"\r\n"),
            Untagged::List(ListItem {
                attributes: vec![bs("\\HasNoChildren"), bs("\\Sent")],
                delimiter: Some(b'/'),
                name: bs("[Gmail]/Sent Mail"),
                ..ListItem::default()
            })
        );
        assert_eq!(
            untagged(b"* LSUB () \".\" #news.comp.mail.misc\r\n"),
            Untagged::Lsub(ListItem {
                attributes: vec![],
                delimiter: Some(b'.'),
                name: bs("#news.comp.mail.misc"),
                ..ListItem::default()
            })
        );
        // An atom mailbox named NIL is a name, not a missing value.
        let Untagged::List(l) = untagged(b"* LIST () \"/\" NIL\r\n") else {
            panic!()
        };
        assert_eq!(l.name, bs("NIL"));
    }

    #[test]
    fn list_notify_oldname_and_nonexistent() {
        // RFC 5465 §5.4 examples.
        assert_eq!(
            untagged(b"* LIST () \"/\" \"NewMailbox\" (\"OLDNAME\" (\"OldMailbox\"))\r\n"),
            Untagged::List(ListItem {
                delimiter: Some(b'/'),
                name: bs("NewMailbox"),
                old_name: Some(bs("OldMailbox")),
                ..ListItem::default()
            })
        );
        assert_eq!(
            untagged(b"* LIST (\\NonExistent) \".\" \"INBOX.DeletedMailbox\"\r\n"),
            Untagged::List(ListItem {
                attributes: vec![bs("\\NonExistent")],
                delimiter: Some(b'.'),
                name: bs("INBOX.DeletedMailbox"),
                ..ListItem::default()
            })
        );
        // Unquoted tag, literal old name, another item beside it, lower case.
        let Untagged::List(l) = untagged(
            b"* LIST (\\HasNoChildren) \"/\" new (CHILDINFO (\"SUBSCRIBED\") oldname ({3}\r\na b))\r\n",
        ) else {
            panic!()
        };
        assert_eq!(l.old_name, Some(bs("a b")));
        assert_eq!(l.extended, vec![(bs("CHILDINFO"), bs("(\"SUBSCRIBED\")"))]);
        // A bare old name is accepted.
        let Untagged::List(l) = untagged(b"* LIST () \"/\" new (\"OLDNAME\" old)\r\n") else {
            panic!()
        };
        assert_eq!(l.old_name, Some(bs("old")));
        // Malformed extended data is dropped, the item kept.
        for raw in [
            &b"* LIST () \"/\" new (\"OLDNAME\" (old\r\n"[..],
            b"* LIST () \"/\" new (\"OLDNAME\"\r\n",
            b"* LIST () \"/\" new ((x) y)\r\n",
            b"* LIST () \"/\" new (\"OLDNAME\" (a b))\r\n",
        ] {
            let Untagged::List(l) = untagged(raw) else {
                panic!("{}", show(raw))
            };
            assert_eq!(l.name, bs("new"), "{}", show(raw));
            assert_eq!(l.old_name, None, "{}", show(raw));
            assert!(l.extended.is_empty(), "{}", show(raw));
        }
    }

    #[test]
    fn mailbox_status() {
        assert_eq!(
            untagged(b"* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n"),
            Untagged::MailboxStatus(MailboxStatus {
                mailbox: bs("blurdybloop"),
                messages: Some(231),
                uid_next: Some(44292),
                ..Default::default()
            })
        );
        assert_eq!(
            untagged(b"* STATUS \"Sent Items\" ( MESSAGES 3 RECENT 1 UIDNEXT 9 UIDVALIDITY 1234 UNSEEN 2 HIGHESTMODSEQ 90000000000 SIZE 123456 DELETED 1 X-FOO (1 2) APPENDLIMIT 10 )\r\n"),
            Untagged::MailboxStatus(MailboxStatus {
                mailbox: bs("Sent Items"),
                messages: Some(3),
                recent: Some(1),
                uid_next: Some(9),
                uid_validity: Some(1234),
                unseen: Some(2),
                highest_modseq: Some(90_000_000_000),
                size: Some(123_456),
                deleted: Some(1),
                other: vec![(bs("X-FOO"), bs("(1 2)")), (bs("APPENDLIMIT"), bs("10"))],
            })
        );
    }

    #[test]
    fn search_and_sort() {
        assert_eq!(
            untagged(b"* SEARCH 2 3 6\r\n"),
            Untagged::Search {
                ids: vec![2, 3, 6],
                modseq: None
            }
        );
        assert_eq!(
            untagged(b"* SEARCH\r\n"),
            Untagged::Search {
                ids: vec![],
                modseq: None
            }
        );
        assert_eq!(
            untagged(b"* SEARCH 1 2 3 \r\n"),
            Untagged::Search {
                ids: vec![1, 2, 3],
                modseq: None
            }
        );
        assert_eq!(
            untagged(b"* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)\r\n"),
            Untagged::Search {
                ids: vec![2, 5, 6, 7, 11, 12, 18, 19, 20, 23],
                modseq: Some(917_162_500)
            }
        );
        assert_eq!(
            untagged(b"* SORT 5 3 4 1 2\r\n"),
            Untagged::Sort {
                ids: vec![5, 3, 4, 1, 2],
                modseq: None
            }
        );
    }

    #[test]
    fn esearch() {
        assert_eq!(
            untagged(b"* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\r\n"),
            Untagged::ESearch(ESearch {
                tag: Some(bs("A282")),
                min: Some(2),
                count: Some(3),
                ..Default::default()
            })
        );
        assert_eq!(
            untagged(b"* ESEARCH (TAG \"A283\") ALL 2,10:11\r\n"),
            Untagged::ESearch(ESearch {
                tag: Some(bs("A283")),
                all: Some(vec![(2, 2), (10, 11)]),
                ..Default::default()
            })
        );
        assert_eq!(
            untagged(b"* ESEARCH (TAG \"a\" MAILBOX \"INBOX\" UIDVALIDITY 7) UID MIN 7 MAX 3800 MODSEQ 12 PARTIAL (1:10 NIL)\r\n"),
            Untagged::ESearch(ESearch {
                tag: Some(bs("a")),
                uid: true,
                min: Some(7),
                max: Some(3800),
                modseq: Some(12),
                other: vec![(bs("PARTIAL"), bs("(1:10 NIL)"))],
                ..Default::default()
            })
        );
        assert_eq!(
            untagged(b"* ESEARCH\r\n"),
            Untagged::ESearch(ESearch::default())
        );
    }

    #[test]
    fn flags_counts_vanished() {
        assert_eq!(
            untagged(b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"),
            Untagged::Flags(
                ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"]
                    .map(bs)
                    .to_vec()
            )
        );
        assert_eq!(untagged(b"* 172 EXISTS\r\n"), Untagged::Exists(172));
        assert_eq!(untagged(b"* 1 RECENT\r\n"), Untagged::Recent(1));
        assert_eq!(untagged(b"* 44 EXPUNGE\r\n"), Untagged::Expunge(44));
        assert_eq!(
            untagged(b"* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n"),
            Untagged::Vanished {
                earlier: true,
                uids: vec![(41, 41), (43, 116), (118, 118), (120, 211), (214, 540)]
            }
        );
        assert_eq!(
            untagged(b"* VANISHED 405,407\r\n"),
            Untagged::Vanished {
                earlier: false,
                uids: vec![(405, 405), (407, 407)]
            }
        );
    }

    #[test]
    fn namespace() {
        let d = |p: &str, c: Option<u8>| NamespaceDescr {
            prefix: bs(p),
            delimiter: c,
        };
        assert_eq!(
            untagged(b"* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")(\"#public/\" \"/\")(\"#news.\" \".\"))\r\n"),
            Untagged::Namespace(Namespaces {
                personal: vec![d("", Some(b'/'))],
                other_users: vec![d("~", Some(b'/'))],
                shared: vec![d("#shared/", Some(b'/')), d("#public/", Some(b'/')), d("#news.", Some(b'.'))],
            })
        );
        assert_eq!(
            untagged(b"* NAMESPACE NIL NIL ((\"\" NIL))\r\n"),
            Untagged::Namespace(Namespaces {
                shared: vec![d("", None)],
                ..Default::default()
            })
        );
        // RFC 2342 §5 Namespace-Response-Extension is skipped.
        assert_eq!(
            untagged(b"* NAMESPACE ((\"\" \"/\" \"X-PARAM\" (\"FLAG1\" \"FLAG2\"))) NIL NIL\r\n"),
            Untagged::Namespace(Namespaces {
                personal: vec![d("", Some(b'/'))],
                ..Default::default()
            })
        );
    }

    #[test]
    fn id_and_raw_kinds() {
        assert_eq!(
            untagged(b"* ID (\"name\" \"Cyrus\" \"version\" \"1.5\" \"os\" NIL)\r\n"),
            Untagged::Id(Some(vec![
                (bs("name"), Some(bs("Cyrus"))),
                (bs("version"), Some(bs("1.5"))),
                (bs("os"), None)
            ]))
        );
        assert_eq!(untagged(b"* ID NIL\r\n"), Untagged::Id(None));
        assert_eq!(
            untagged(b"* XFOO bar  baz\r\n"),
            Untagged::Other(bs("XFOO bar  baz"))
        );
        assert_eq!(
            untagged(b"* 5 XBAR (1)\r\n"),
            Untagged::Other(bs("5 XBAR (1)"))
        );
    }

    fn quota_res(name: &str, usage: u64, limit: u64) -> QuotaResource {
        QuotaResource {
            name: bs(name),
            usage,
            limit,
        }
    }

    #[test]
    fn quota_and_quotaroot() {
        // RFC 9208 §4.2.1 example.
        assert_eq!(
            untagged(b"* QUOTA \"\" (STORAGE 10 512)\r\n"),
            Untagged::Quota {
                root: bs(""),
                resources: vec![quota_res("STORAGE", 10, 512)],
            }
        );
        // Dovecot.
        assert_eq!(
            untagged(b"* QUOTA \"User quota\" (STORAGE 10 10485760 MESSAGE 2 1000)\r\n"),
            Untagged::Quota {
                root: bs("User quota"),
                resources: vec![
                    quota_res("STORAGE", 10, 10485760),
                    quota_res("MESSAGE", 2, 1000)
                ],
            }
        );
        // Lowercase, extra spaces, 64-bit numbers, unknown resources kept as sent.
        assert_eq!(
            untagged(b"* quota  user.joe  ( storage  0  18446744073709551615  x-foo 1 2 )\r\n"),
            Untagged::Quota {
                root: bs("user.joe"),
                resources: vec![quota_res("storage", 0, u64::MAX), quota_res("x-foo", 1, 2)],
            }
        );
        // "An empty list means there are no administrative resource limits" (§4.2.1).
        assert_eq!(
            untagged(b"* QUOTA \"\" ()\r\n"),
            Untagged::Quota {
                root: bs(""),
                resources: vec![],
            }
        );
        // RFC 9208 §4.2.2 examples and Dovecot.
        assert_eq!(
            untagged(b"* QUOTAROOT INBOX \"\"\r\n"),
            Untagged::QuotaRoot {
                mailbox: bs("INBOX"),
                roots: vec![bs("")],
            }
        );
        assert_eq!(
            untagged(b"* QUOTAROOT comp.mail.mime\r\n"),
            Untagged::QuotaRoot {
                mailbox: bs("comp.mail.mime"),
                roots: vec![],
            }
        );
        assert_eq!(
            untagged(b"* QUOTAROOT INBOX \"User quota\"\r\n"),
            Untagged::QuotaRoot {
                mailbox: bs("INBOX"),
                roots: vec![bs("User quota")],
            }
        );
        assert_eq!(
            untagged(b"* quotaroot  {5}\r\nINBOX  \"User quota\"  Shared \r\n"),
            Untagged::QuotaRoot {
                mailbox: bs("INBOX"),
                roots: vec![bs("User quota"), bs("Shared")],
            }
        );
    }

    #[test]
    fn acl_myrights_listrights() {
        // Dovecot.
        assert_eq!(
            untagged(b"* ACL INBOX owner lrwipkxtecda\r\n"),
            Untagged::Acl {
                mailbox: bs("INBOX"),
                entries: vec![(bs("owner"), bs("lrwipkxtecda"))],
            }
        );
        // Several pairs, negative rights, quoted identifiers, empty rights.
        assert_eq!(
            untagged(
                b"* ACL \"Shared/Team\" Fred rwipsldexta  -anyone r \"group=Staff A\" \"\"\r\n"
            ),
            Untagged::Acl {
                mailbox: bs("Shared/Team"),
                entries: vec![
                    (bs("Fred"), bs("rwipsldexta")),
                    (bs("-anyone"), bs("r")),
                    (bs("group=Staff A"), bs("")),
                ],
            }
        );
        // Zero pairs (RFC 4314 §3.6); lowercase keyword.
        assert_eq!(
            untagged(b"* acl INBOX \r\n"),
            Untagged::Acl {
                mailbox: bs("INBOX"),
                entries: vec![],
            }
        );
        // `nil` is rights n, i, l (RFC 4314 §7 `rights = astring`), not a missing value.
        assert_eq!(
            untagged(b"* ACL INBOX anyone nil\r\n"),
            Untagged::Acl {
                mailbox: bs("INBOX"),
                entries: vec![(bs("anyone"), bs("nil"))],
            }
        );
        assert_eq!(
            untagged(b"* MYRIGHTS INBOX lrwstipekxacd\r\n"),
            Untagged::MyRights {
                mailbox: bs("INBOX"),
                rights: bs("lrwstipekxacd"),
            }
        );
        assert_eq!(
            untagged(b"* myrights  \"a b\"  \"\"\r\n"),
            Untagged::MyRights {
                mailbox: bs("a b"),
                rights: bs(""),
            }
        );
        // Dovecot: empty required rights, every optional right on its own.
        assert_eq!(
            untagged(b"* LISTRIGHTS INBOX anyone \"\" l r w s t p k x e c d a i\r\n"),
            Untagged::ListRights {
                mailbox: bs("INBOX"),
                identifier: bs("anyone"),
                required: bs(""),
                optional: "l r w s t p k x e c d a i".split(' ').map(bs).collect(),
            }
        );
        // RFC 4314 §3.4 example: tied rights stay one string.
        assert_eq!(
            untagged(b"* LISTRIGHTS ~/Mail/saved smith la r swicdkxte\r\n"),
            Untagged::ListRights {
                mailbox: bs("~/Mail/saved"),
                identifier: bs("smith"),
                required: bs("la"),
                optional: vec![bs("r"), bs("swicdkxte")],
            }
        );
        assert_eq!(
            untagged(b"* listrights INBOX owner lrwipkxtecda\r\n"),
            Untagged::ListRights {
                mailbox: bs("INBOX"),
                identifier: bs("owner"),
                required: bs("lrwipkxtecda"),
                optional: vec![],
            }
        );
    }

    #[test]
    fn metadata() {
        // Dovecot: a literal value and a NIL value.
        assert_eq!(
            untagged(b"* METADATA INBOX (/private/comment {5}\r\nhello /shared/x NIL)\r\n"),
            Untagged::Metadata {
                mailbox: bs("INBOX"),
                entries: vec![
                    (bs("/private/comment"), Some(bs("hello"))),
                    (bs("/shared/x"), None)
                ],
            }
        );
        // Server annotations (empty mailbox), quoted value.
        assert_eq!(
            untagged(b"* METADATA \"\" (/shared/comment \"My comment\")\r\n"),
            Untagged::Metadata {
                mailbox: bs(""),
                entries: vec![(bs("/shared/comment"), Some(bs("My comment")))],
            }
        );
        // Lowercase, extra spaces, literal8, an empty literal, nil, an empty list.
        assert_eq!(
            untagged(b"* metadata  INBOX  ( /shared/a  ~{3}\r\na\x00c  /shared/b {0}\r\n /private/c nil )\r\n"),
            Untagged::Metadata {
                mailbox: bs("INBOX"),
                entries: vec![
                    (bs("/shared/a"), Some(bs("a\0c"))),
                    (bs("/shared/b"), Some(bs(""))),
                    (bs("/private/c"), None),
                ],
            }
        );
        assert_eq!(
            untagged(b"* METADATA INBOX ()\r\n"),
            Untagged::Metadata {
                mailbox: bs("INBOX"),
                entries: vec![],
            }
        );
        // Unsolicited: names only (RFC 5464 §4.4 `entry-list`).
        assert_eq!(
            untagged(b"* METADATA INBOX /shared/comment /private/comment\r\n"),
            Untagged::MetadataChanged {
                mailbox: bs("INBOX"),
                entries: vec![bs("/shared/comment"), bs("/private/comment")],
            }
        );
        assert_eq!(
            untagged(b"* METADATA \"\" \"/shared/vendor/x y\"\r\n"),
            Untagged::MetadataChanged {
                mailbox: bs(""),
                entries: vec![bs("/shared/vendor/x y")],
            }
        );
        // The literal value is a slice of the frame.
        let frame = Bytes::from_static(b"* METADATA INBOX (/private/comment {5}\r\nhello)\r\n");
        let Ok(Response::Untagged(Untagged::Metadata { entries, .. })) =
            parse_response(frame.clone())
        else {
            panic!()
        };
        let range = frame.as_ptr() as usize..frame.as_ptr() as usize + frame.len();
        assert!(range.contains(&(entries[0].1.as_ref().unwrap().as_ptr() as usize)));
    }

    fn chain(members: &[u32], children: Vec<ThreadNode>) -> ThreadNode {
        ThreadNode {
            members: members.to_vec(),
            children,
        }
    }

    fn threads(s: &[u8]) -> Vec<ThreadNode> {
        match untagged(s) {
            Untagged::Thread(t) => t,
            other => panic!("not THREAD: {other:?}"),
        }
    }

    #[test]
    fn thread() {
        // RFC 5256 §4: 2; 3 -> 6 -> {4 -> 23, 44 -> 7 -> 96}.
        assert_eq!(
            threads(b"* THREAD (2)(3 6 (4 23)(44 7 96))\r\n"),
            vec![
                chain(&[2], vec![]),
                chain(
                    &[3, 6],
                    vec![chain(&[4, 23], vec![]), chain(&[44, 7, 96], vec![])]
                ),
            ]
        );
        // RFC 5256 §4: 3 and 5 are siblings under a parent not in the result.
        assert_eq!(
            threads(b"* THREAD ((3)(5))\r\n"),
            vec![chain(&[], vec![chain(&[3], vec![]), chain(&[5], vec![])])]
        );
        // A missing parent below a member: 1 -> {missing -> {2, 3}, 4}.
        assert_eq!(
            threads(b"* THREAD (1 ((2)(3))(4))\r\n"),
            vec![chain(
                &[1],
                vec![
                    chain(&[], vec![chain(&[2], vec![]), chain(&[3], vec![])]),
                    chain(&[4], vec![]),
                ]
            )]
        );
        // No threads at all.
        assert_eq!(threads(b"* THREAD\r\n"), vec![]);
        assert_eq!(threads(b"* THREAD   \r\n"), vec![]);
        // Lowercase, extra spaces inside and between lists, UIDs; a single nested list
        // (the grammar wants two) is kept as sent.
        assert_eq!(
            threads(b"* thread ( 4294967295  7 )  (1 (2))\r\n"),
            vec![
                chain(&[u32::MAX, 7], vec![]),
                chain(&[1], vec![chain(&[2], vec![])]),
            ]
        );
    }

    #[test]
    fn thread_chains_and_nesting_limits() {
        // A 100,000-message chain is one flat vector: no recursion to parse, drop, compare.
        let mut s = b"* THREAD (".to_vec();
        for i in 1..=100_000u32 {
            s.extend_from_slice(format!("{i} ").as_bytes());
        }
        s.extend_from_slice(b")(100001)\r\n");
        let t = threads(&s);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].members, (1..=100_000).collect::<Vec<u32>>());
        assert!(t[0].children.is_empty());
        assert_eq!(t[1], chain(&[100_001], vec![]));
        assert_eq!(t.clone(), t);
        // 100,000 threads side by side.
        let mut s = b"* THREAD ".to_vec();
        s.extend(std::iter::repeat_n(&b"(1)"[..], 100_000).flatten());
        assert_eq!(threads(&s).len(), 100_000);
        // Nesting: MAX_DEPTH levels parse, one more is an error, hostile depth too.
        let nested = |levels: usize| {
            let mut s = b"* THREAD ".to_vec();
            s.extend(std::iter::repeat_n(b'(', levels));
            s.push(b'9');
            s.extend(std::iter::repeat_n(b')', levels));
            s.extend_from_slice(b"\r\n");
            s
        };
        let mut node = &threads(&nested(MAX_DEPTH as usize))[0];
        for _ in 1..MAX_DEPTH {
            assert!(node.members.is_empty());
            node = &node.children[0];
        }
        assert_eq!(node, &chain(&[9], vec![]));
        let err = parse_response(Bytes::from(nested(MAX_DEPTH as usize + 1))).unwrap_err();
        assert_eq!(err.reason, "thread nested too deeply");
        let err = parse_response(Bytes::from(nested(100_000))).unwrap_err();
        assert_eq!(err.reason, "thread nested too deeply");
        // Depth is per path, not cumulative: many sibling sub-threads at depth 50.
        let mut s = b"* THREAD ".to_vec();
        s.extend(std::iter::repeat_n(b'(', 50));
        s.extend(std::iter::repeat_n(&b"(1)"[..], 1000).flatten());
        s.extend(std::iter::repeat_n(b')', 50));
        assert!(matches!(untagged(&s), Untagged::Thread(_)));
    }

    #[test]
    fn malformed_extension_data_is_a_parse_error() {
        for (raw, reason) in [
            (&b"* QUOTA \"\" (STORAGE 10)\r\n"[..], "expected a number"),
            (b"* QUOTA \"\" (STORAGE x 512)\r\n", "expected a number"),
            (b"* QUOTA \"\" (STORAGE -1 512)\r\n", "expected a number"),
            (
                b"* QUOTA \"\" (STORAGE 1 18446744073709551616)\r\n",
                "number too large",
            ),
            (b"* QUOTA \"\"\r\n", "expected '(' before the quota list"),
            (
                b"* QUOTA \"\" (STORAGE 10 512\r\n",
                "unterminated quota list",
            ),
            (b"* QUOTAROOT\r\n", "expected an atom"),
            (b"* ACL INBOX owner\r\n", "ACL identifier without rights"),
            (b"* ACL INBOX owner lr (x)\r\n", "expected an atom"),
            (b"* MYRIGHTS INBOX\r\n", "expected an atom"),
            (b"* LISTRIGHTS INBOX anyone\r\n", "expected an atom"),
            (b"* METADATA INBOX (/shared/x)\r\n", "expected an atom"),
            (
                b"* METADATA INBOX (/shared/x \"v\"\r\n",
                "unterminated METADATA list",
            ),
            (
                b"* METADATA INBOX (/shared/x {9}\r\nab)\r\n",
                "literal longer than the response",
            ),
            (b"* METADATA\r\n", "expected an atom"),
            (b"* THREAD 1 2\r\n", "expected '(' before a thread"),
            (b"* THREAD (1 2\r\n", "unterminated thread"),
            (b"* THREAD (1 (2)\r\n", "unterminated thread"),
            (b"* THREAD ()\r\n", "empty thread"),
            (
                b"* THREAD (1 (2) 3)\r\n",
                "message number after sub-threads",
            ),
            (
                b"* THREAD (1 x)\r\n",
                "expected a message number or '(' in a thread",
            ),
            (b"* THREAD (4294967296)\r\n", "number too large for 32 bits"),
            (b"* THREAD (1))\r\n", "expected '(' before a thread"),
        ] {
            let frame = Bytes::copy_from_slice(raw);
            let err = parse_response(frame.clone()).expect_err(&show(raw));
            assert_eq!(err.reason, reason, "{}", show(raw));
            assert_eq!(err.raw, frame);
            assert!(err.position <= raw.len());
        }
    }

    fn rfc_date(s: &str) -> chrono::DateTime<FixedOffset> {
        chrono::DateTime::parse_from_rfc3339(s).unwrap()
    }

    /// The FETCH example of RFC 3501 §8, as one line.
    const RFC3501_FETCH: &[u8] = b"* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\") BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n";

    #[test]
    fn fetch_rfc3501_example() {
        let (seq, items) = fetch(RFC3501_FETCH);
        assert_eq!(seq, 12);
        assert_eq!(items.len(), 5);
        assert_eq!(items[0], FetchItem::Flags(vec![bs("\\Seen")]));
        let FetchItem::InternalDate(d) = &items[1] else {
            panic!("{:?}", items[1])
        };
        assert_eq!(*d, rfc_date("1996-07-17T02:44:25-07:00"));
        assert_eq!(d.offset().local_minus_utc(), -7 * 3600);
        assert_eq!(items[2], FetchItem::Rfc822Size(4286));
        let gray = Address {
            name: Some(bs("Terry Gray")),
            route: None,
            mailbox: Some(bs("gray")),
            host: Some(bs("cac.washington.edu")),
        };
        let expected_env = Envelope {
            date: Some(bs("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)")),
            subject: Some(bs("IMAP4rev1 WG mtg summary and minutes")),
            from: Some(vec![gray.clone()]),
            sender: Some(vec![gray.clone()]),
            reply_to: Some(vec![gray]),
            to: Some(vec![Address {
                mailbox: Some(bs("imap")),
                host: Some(bs("cac.washington.edu")),
                ..Default::default()
            }]),
            cc: Some(vec![
                Address {
                    mailbox: Some(bs("minutes")),
                    host: Some(bs("CNRI.Reston.VA.US")),
                    ..Default::default()
                },
                Address {
                    name: Some(bs("John Klensin")),
                    route: None,
                    mailbox: Some(bs("KLENSIN")),
                    host: Some(bs("MIT.EDU")),
                },
            ]),
            bcc: None,
            in_reply_to: None,
            message_id: Some(bs("<B27397-0100000@cac.washington.edu>")),
        };
        assert_eq!(items[3], FetchItem::Envelope(Box::new(expected_env)));
        assert_eq!(
            items[4],
            FetchItem::BodyStructure(Box::new(BodyStructure::Single {
                media_type: bs("TEXT"),
                media_subtype: bs("PLAIN"),
                params: vec![(bs("CHARSET"), Some(bs("US-ASCII")))],
                id: None,
                description: None,
                encoding: Some(bs("7BIT")),
                size: 3028,
                lines: Some(92),
                message: None,
                ext: None,
            }))
        );
    }

    #[test]
    fn envelope_group_syntax_and_nil_lists() {
        let (_, items) = fetch(b"* 1 FETCH (ENVELOPE (NIL NIL ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL () NIL NIL NIL NIL))\r\n");
        let FetchItem::Envelope(env) = &items[0] else {
            panic!()
        };
        assert_eq!(env.subject, None);
        let from = env.from.as_ref().unwrap();
        assert_eq!(from[0].mailbox, Some(bs("undisclosed-recipients")));
        assert_eq!(from[0].host, None);
        assert_eq!(from[1], Address::default());
        assert_eq!(env.sender, None);
        assert_eq!(env.to, Some(vec![]));
    }

    /// Dovecot-style BODYSTRUCTURE: multipart/mixed holding multipart/alternative, a PDF
    /// with full extension data and further extensions, and a message/rfc822.
    const MULTIPART: &[u8] = b"* 7 FETCH (UID 5 BODYSTRUCTURE (((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 1234 40 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 5678 120 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"b2\") NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"r.pdf\") \"<id1@x>\" \"Report\" \"base64\" 9000 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" (\"attachment\" (\"filename\" \"r.pdf\" \"size\" \"9000\")) (\"en\" \"de\") \"http://x/r.pdf\" 42 (\"a\" 1)) (\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 500 (NIL \"inner\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" NIL NIL NIL \"7bit\" 10 1) 20 NIL (\"inline\" NIL) \"en\" NIL) \"mixed\" (\"boundary\" \"b1\") (\"inline\" NIL) NIL NIL) MODSEQ (624140003))\r\n";

    #[test]
    fn multipart_bodystructure_with_extensions() {
        let (seq, items) = fetch(MULTIPART);
        assert_eq!(seq, 7);
        assert_eq!(items[0], FetchItem::Uid(5));
        assert_eq!(items[2], FetchItem::ModSeq(624_140_003));
        let FetchItem::BodyStructure(bs_) = &items[1] else {
            panic!("{:?}", items[1])
        };
        let BodyStructure::Multipart {
            parts,
            media_subtype,
            ext,
        } = &**bs_
        else {
            panic!()
        };
        assert_eq!(*media_subtype, bs("mixed"));
        assert_eq!(
            *ext,
            Some(MultipartExtension {
                params: vec![(bs("boundary"), Some(bs("b1")))],
                disposition: Some(Disposition {
                    kind: bs("inline"),
                    params: vec![]
                }),
                language: None,
                location: None,
                rest: None,
            })
        );
        assert_eq!(parts.len(), 3);
        let BodyStructure::Multipart {
            parts: alt,
            media_subtype,
            ext,
        } = &parts[0]
        else {
            panic!()
        };
        assert_eq!(*media_subtype, bs("alternative"));
        assert_eq!(
            ext.as_ref().unwrap().params,
            vec![(bs("boundary"), Some(bs("b2")))]
        );
        let BodyStructure::Single {
            media_subtype,
            size,
            lines,
            ext,
            ..
        } = &alt[1]
        else {
            panic!()
        };
        assert_eq!(
            (media_subtype.clone(), *size, *lines),
            (bs("html"), 5678, Some(120))
        );
        assert_eq!(*ext, Some(SingleExtension::default()));
        assert_eq!(
            parts[1],
            BodyStructure::Single {
                media_type: bs("application"),
                media_subtype: bs("pdf"),
                params: vec![(bs("name"), Some(bs("r.pdf")))],
                id: Some(bs("<id1@x>")),
                description: Some(bs("Report")),
                encoding: Some(bs("base64")),
                size: 9000,
                lines: None,
                message: None,
                ext: Some(SingleExtension {
                    md5: Some(bs("Q2hlY2sgSW50ZWdyaXR5IQ==")),
                    disposition: Some(Disposition {
                        kind: bs("attachment"),
                        params: vec![
                            (bs("filename"), Some(bs("r.pdf"))),
                            (bs("size"), Some(bs("9000")))
                        ],
                    }),
                    language: Some(vec![bs("en"), bs("de")]),
                    location: Some(bs("http://x/r.pdf")),
                    rest: Some(bs("42 (\"a\" 1)")),
                }),
            }
        );
        let BodyStructure::Single {
            media_type,
            size,
            lines,
            message,
            ext,
            ..
        } = &parts[2]
        else {
            panic!()
        };
        assert_eq!(
            (media_type.clone(), *size, *lines),
            (bs("message"), 500, Some(20))
        );
        let (env, inner) = &**message.as_ref().unwrap();
        assert_eq!(env.subject, Some(bs("inner")));
        assert!(matches!(
            inner,
            BodyStructure::Single {
                lines: Some(1),
                size: 10,
                ..
            }
        ));
        let ext = ext.as_ref().unwrap();
        assert_eq!(
            ext.disposition,
            Some(Disposition {
                kind: bs("inline"),
                params: vec![]
            })
        );
        assert_eq!(ext.language, Some(vec![bs("en")]));
        assert_eq!(ext.location, None);
    }

    #[test]
    fn body_sections_and_binary() {
        let (_, items) = fetch(b"* 3 FETCH (UID 9 BODY[1.2.HEADER.FIELDS (FROM TO)] {22}\r\nFrom: a@b\r\nTo: c@d\r\n\r\n BODY[]<0> \"abc\" BODY[TEXT] NIL)\r\n");
        assert_eq!(items[0], FetchItem::Uid(9));
        assert_eq!(
            items[1],
            FetchItem::Body {
                section: bs("1.2.HEADER.FIELDS (FROM TO)"),
                origin: None,
                data: Some(bs("From: a@b\r\nTo: c@d\r\n\r\n"))
            }
        );
        assert_eq!(
            items[2],
            FetchItem::Body {
                section: bs(""),
                origin: Some(0),
                data: Some(bs("abc"))
            }
        );
        assert_eq!(
            items[3],
            FetchItem::Body {
                section: bs("TEXT"),
                origin: None,
                data: None
            }
        );

        let (_, items) =
            fetch(b"* 4 FETCH (RFC822 {5}\r\nhello RFC822.HEADER \"H\" RFC822.TEXT {0}\r\n)\r\n");
        assert_eq!(
            items,
            vec![
                FetchItem::Body {
                    section: bs(""),
                    origin: None,
                    data: Some(bs("hello"))
                },
                FetchItem::Body {
                    section: bs("HEADER"),
                    origin: None,
                    data: Some(bs("H"))
                },
                FetchItem::Body {
                    section: bs("TEXT"),
                    origin: None,
                    data: Some(bs(""))
                },
            ]
        );

        let (_, items) = fetch(b"* 5 FETCH (BINARY[1]<100> ~{4}\r\n\x00\x01\r\n BINARY.SIZE[1] 1234 BINARY[2] \"x\")\r\n");
        assert_eq!(
            items,
            vec![
                FetchItem::Binary {
                    section: bs("1"),
                    origin: Some(100),
                    data: Some(Bytes::from_static(b"\x00\x01\r\n"))
                },
                FetchItem::BinarySize {
                    section: bs("1"),
                    size: 1234
                },
                FetchItem::Binary {
                    section: bs("2"),
                    origin: None,
                    data: Some(bs("x"))
                },
            ]
        );
    }

    #[test]
    fn unknown_fetch_items_kept_raw() {
        let (_, items) = fetch(b"* 1 FETCH (X-GM-LABELS (\"\\\\Inbox\" \\Sent Important {3}\r\nabc) X-GM-MSGID 1278455344230334865 EMAILID (M6d99ac3275bb4e) UID 4 X-EMPTY)\r\n");
        assert_eq!(
            items,
            vec![
                FetchItem::Other {
                    name: bs("X-GM-LABELS"),
                    value: bs("(\"\\\\Inbox\" \\Sent Important {3}\r\nabc)")
                },
                FetchItem::Other {
                    name: bs("X-GM-MSGID"),
                    value: bs("1278455344230334865")
                },
                FetchItem::Other {
                    name: bs("EMAILID"),
                    value: bs("(M6d99ac3275bb4e)")
                },
                FetchItem::Uid(4),
                FetchItem::Other {
                    name: bs("X-EMPTY"),
                    value: bs("")
                },
            ]
        );
        let (_, items) = fetch(b"* 1 FETCH (X-SECTION[1 2]<5> (a b) UID 3)\r\n");
        assert_eq!(
            items[0],
            FetchItem::Other {
                name: bs("X-SECTION[1 2]<5>"),
                value: bs("(a b)")
            }
        );
        assert_eq!(items[1], FetchItem::Uid(3));
    }

    #[test]
    fn internal_dates() {
        let (_, items) =
            fetch(b"* 1 FETCH (INTERNALDATE \" 7-Jul-1996 02:44:25 +0530\" UID 1)\r\n");
        let FetchItem::InternalDate(d) = items[0] else {
            panic!("{:?}", items[0])
        };
        assert_eq!(d, rfc_date("1996-07-07T02:44:25+05:30"));
        assert_eq!(d.offset().local_minus_utc(), 5 * 3600 + 1800);
        let (_, items) = fetch(b"* 1 FETCH (INTERNALDATE \"7-jul-1996 02:44:25 -0000\")\r\n");
        assert_eq!(
            items[0],
            FetchItem::InternalDate(rfc_date("1996-07-07T02:44:25+00:00"))
        );
        // A date that cannot be read is kept raw instead of failing the FETCH.
        let (_, items) =
            fetch(b"* 1 FETCH (INTERNALDATE \"31-Feb-2020 00:00:00 +0000\" UID 2)\r\n");
        assert_eq!(
            items[0],
            FetchItem::Other {
                name: bs("INTERNALDATE"),
                value: bs("\"31-Feb-2020 00:00:00 +0000\"")
            }
        );
        assert_eq!(items[1], FetchItem::Uid(2));
    }

    /// The word-at-a-time search must agree with a plain one wherever the byte is: in the
    /// words, in the tail shorter than a word, past the part searched by words, or absent.
    #[test]
    fn quote_or_backslash_search_matches_a_plain_search() {
        for len in 0..100 {
            for at in 0..=len {
                for special in [b'"', b'\\'] {
                    let mut s = vec![b'a'; len];
                    // Bytes next to the searched ones, and 8-bit bytes, must not match.
                    s.iter_mut().enumerate().for_each(|(i, c)| {
                        *c = [b'!', b'#', b'[', b']', 0xa2, 0xdc, 0x22 ^ 0x80][i % 7]
                    });
                    if at < len {
                        s[at] = special;
                    }
                    let plain = s.iter().position(|&c| c == b'"' || c == b'\\');
                    assert_eq!(find_quote_or_backslash(&s), plain, "len {len}, at {at}");
                }
            }
        }
    }

    #[test]
    fn strings_are_slices_of_the_frame() {
        let frame = Bytes::from_static(b"* LIST () \"/\" \"Sent\"\r\n");
        let Ok(Response::Untagged(Untagged::List(l))) = parse_response(frame.clone()) else {
            panic!()
        };
        let range = frame.as_ptr() as usize..frame.as_ptr() as usize + frame.len();
        assert!(range.contains(&(l.name.as_ptr() as usize)));
        // Escapes force a new buffer, with the escapes resolved.
        let Untagged::List(l) = untagged(b"* LIST () \"/\" \"a\\\"b\\\\c\\d\"\r\n") else {
            panic!()
        };
        assert_eq!(l.name, bs("a\"b\\c\\d"));
        // A lone backslash is not an escape: still a slice, kept as sent.
        let frame = Bytes::from_static(b"* LIST () \"/\" \"C:\\dir\"\r\n");
        let Ok(Response::Untagged(Untagged::List(l))) = parse_response(frame.clone()) else {
            panic!()
        };
        assert_eq!(l.name, bs("C:\\dir"));
        let range = frame.as_ptr() as usize..frame.as_ptr() as usize + frame.len();
        assert!(range.contains(&(l.name.as_ptr() as usize)));
    }

    #[test]
    fn leniency() {
        // Lowercase keywords everywhere.
        let st = status(b"* ok [alert] hi\r\n");
        assert_eq!(
            (st.status, st.code),
            (Status::Ok, Some(ResponseCode::Alert))
        );
        assert_eq!(
            fetch(b"* 1 fetch (uid 5 flags (\\seen))\r\n").1,
            vec![FetchItem::Uid(5), FetchItem::Flags(vec![bs("\\seen")])]
        );
        // Extra spaces between tokens, after `(` and before `)`; bare LF.
        assert_eq!(
            fetch(b"*  2  FETCH  ( UID  5   FLAGS ( \\Seen  \\Draft ) MODSEQ ( 7 ) )\n").1,
            vec![
                FetchItem::Uid(5),
                FetchItem::Flags(vec![bs("\\Seen"), bs("\\Draft")]),
                FetchItem::ModSeq(7)
            ]
        );
        assert_eq!(
            fetch(b"* 3 FETCH (BODY ( \"text\"  \"plain\" ( \"charset\" \"us-ascii\" ) NIL NIL \"7bit\" 3 1 ) )\r\n").1.len(),
            1
        );
        // 8-bit bytes in quoted strings and atoms.
        let Untagged::List(l) = untagged("* LIST () \"/\" \"Grüße\"\r\n".as_bytes()) else {
            panic!()
        };
        assert_eq!(l.name, bs("Grüße"));
        let Untagged::List(l) = untagged("* LIST () \"/\" Entwürfe\r\n".as_bytes()) else {
            panic!()
        };
        assert_eq!(l.name, bs("Entwürfe"));
        // NIL where a string belongs (body encoding, parameter values).
        let (_, items) = fetch(b"* 1 FETCH (BODYSTRUCTURE (\"application\" \"octet-stream\" (\"name\" NIL) NIL NIL NIL 10))\r\n");
        let FetchItem::BodyStructure(b) = &items[0] else {
            panic!()
        };
        let BodyStructure::Single {
            encoding, params, ..
        } = &**b
        else {
            panic!()
        };
        assert_eq!(encoding, &None);
        assert_eq!(params, &vec![(bs("name"), None)]);
        // ... and told apart from empty strings.
        let (_, items) = fetch(b"* 1 FETCH (BODYSTRUCTURE (\"application\" \"octet-stream\" (\"name\" \"\" \"x\" NIL) NIL NIL \"\" 10 NIL (\"attachment\" (\"filename\" \"\" \"size\" NIL)) NIL NIL))\r\n");
        let FetchItem::BodyStructure(b) = &items[0] else {
            panic!()
        };
        let BodyStructure::Single {
            encoding,
            params,
            ext,
            ..
        } = &**b
        else {
            panic!()
        };
        assert_eq!(encoding, &Some(Bytes::new()));
        assert_eq!(
            params,
            &vec![(bs("name"), Some(Bytes::new())), (bs("x"), None)]
        );
        let dsp = ext.as_ref().unwrap().disposition.as_ref().unwrap();
        assert_eq!(
            dsp.params,
            vec![(bs("filename"), Some(Bytes::new())), (bs("size"), None)]
        );
        // Atoms where a string belongs.
        let (_, items) =
            fetch(b"* 1 FETCH (ENVELOPE (NIL subj NIL NIL NIL NIL NIL NIL NIL NIL))\r\n");
        let FetchItem::Envelope(e) = &items[0] else {
            panic!()
        };
        assert_eq!(e.subject, Some(bs("subj")));
        // No line end at all (a caller passing a trimmed line).
        assert_eq!(untagged(b"* 3 EXISTS"), Untagged::Exists(3));
    }

    #[test]
    fn garbage_is_a_parse_error_with_raw_bytes() {
        for raw in [
            &b"\r\n"[..],
            b"A1\r\n",
            b"A1 MAYBE ok\r\n",
            b"*\r\n",
            b"* 1 FETCH (UID x)\r\n",
            b"* 1 FETCH (UID 1\r\n",
            b"* 1 FETCH (BODY[] {10}\r\nabc)\r\n",
            b"* 1 FETCH (BODY[1 \"x\")\r\n",
            b"* 99999999999 EXISTS\r\n",
            b"* SEARCH 1 two\r\n",
            b"* LIST (\\A \"/\" x\r\n",
            b"* NAMESPACE (( \"\" \"/\")\r\n",
        ] {
            let frame = Bytes::copy_from_slice(raw);
            let err = parse_response(frame.clone()).expect_err(&show(raw));
            assert_eq!(err.raw, frame);
            assert!(err.position <= raw.len());
            assert!(!err.reason.is_empty());
            assert!(err.to_string().contains("cannot parse"));
        }
    }

    #[test]
    fn deep_nesting_errors_instead_of_overflowing() {
        let mut s = b"* 1 FETCH (BODYSTRUCTURE ".to_vec();
        s.extend(std::iter::repeat_n(b'(', 100_000));
        s.extend_from_slice(b"\r\n");
        let err = parse_response(Bytes::from(s)).unwrap_err();
        assert_eq!(err.reason, "body structure nested too deeply");
        // Unknown items are skipped iteratively: deep but closed nesting is fine...
        let mut s = b"* 1 FETCH (X-DEEP ".to_vec();
        s.extend(std::iter::repeat_n(b'(', 100_000));
        s.extend(std::iter::repeat_n(b')', 100_000));
        s.extend_from_slice(b" UID 3)\r\n");
        let (_, items) = fetch(&s);
        assert_eq!(items[1], FetchItem::Uid(3));
        // ...and unclosed nesting is an error.
        let mut s = b"* 1 FETCH (X-DEEP ".to_vec();
        s.extend(std::iter::repeat_n(b'(', 100_000));
        s.extend_from_slice(b"\r\n");
        assert!(parse_response(Bytes::from(s)).is_err());
        // Nested multiparts within the limit still parse.
        let mut s = b"* 1 FETCH (BODYSTRUCTURE ".to_vec();
        s.extend(std::iter::repeat_n(b'(', 60));
        s.extend_from_slice(b"\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)");
        s.extend(std::iter::repeat_n(&b" \"mixed\")"[..], 59).flatten());
        s.extend_from_slice(b")\r\n");
        assert_eq!(fetch(&s).1.len(), 1);
    }

    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    /// Random bytes, random IMAP-ish token soup, and random mutations of valid responses:
    /// framer and parser must return, never panic.
    #[test]
    fn random_input_never_panics() {
        use crate::proto::frame::{Framer, Limits};
        const TOKENS: [&[u8]; 26] = [
            b"* ",
            b"+ ",
            b"A1 ",
            b"OK ",
            b"FETCH ",
            b"(",
            b")",
            b"[",
            b"]",
            b"{3}\r\n",
            b"~{2}\r\n",
            b"\"",
            b"\\",
            b"NIL ",
            b"BODY[",
            b"BODYSTRUCTURE ",
            b"ENVELOPE ",
            b"1 ",
            b"4294967296",
            b":",
            b",",
            b"\r\n",
            b" ",
            b"\xc3\xa9",
            b"/shared/x ",
            b"lrwipkxtecda ",
        ];
        // Untagged keywords with typed data, for token soup behind `* KEYWORD `.
        const KEYWORDS: [&[u8]; 7] = [
            b"QUOTA ",
            b"QUOTAROOT ",
            b"ACL ",
            b"MYRIGHTS ",
            b"LISTRIGHTS ",
            b"METADATA ",
            b"THREAD ",
        ];
        let seeds: [&[u8]; 11] = [
            RFC3501_FETCH,
            MULTIPART,
            b"* OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n",
            b"* QUOTA \"User quota\" (STORAGE 10 10485760 MESSAGE 2 1000)\r\n",
            b"* QUOTAROOT INBOX \"User quota\"\r\n",
            b"* ACL INBOX owner lrwipkxtecda -anyone r\r\n",
            b"* LISTRIGHTS INBOX anyone \"\" l r w s t p k x e c d a i\r\n",
            b"* MYRIGHTS INBOX lrwstipekxacd\r\n",
            b"* METADATA INBOX (/private/comment {5}\r\nhello /shared/x NIL)\r\n",
            b"* METADATA INBOX /shared/comment /private/comment\r\n",
            b"* THREAD (2)(3 6 (4 23)(44 7 96))((3)(5))\r\n",
        ];
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        for case in 0..8000 {
            let input: Vec<u8> = match case % 4 {
                0 => (0..rng.next() % 64).map(|_| rng.next() as u8).collect(),
                1 => {
                    let mut v = Vec::new();
                    for _ in 0..rng.next() % 24 {
                        v.extend_from_slice(TOKENS[(rng.next() % TOKENS.len() as u64) as usize]);
                    }
                    v
                }
                2 => {
                    let mut v = b"* ".to_vec();
                    v.extend_from_slice(KEYWORDS[(rng.next() % KEYWORDS.len() as u64) as usize]);
                    for _ in 0..rng.next() % 16 {
                        v.extend_from_slice(TOKENS[(rng.next() % TOKENS.len() as u64) as usize]);
                    }
                    v
                }
                _ => {
                    let mut v = seeds[(rng.next() % seeds.len() as u64) as usize].to_vec();
                    for _ in 0..1 + rng.next() % 4 {
                        let i = (rng.next() % v.len() as u64) as usize;
                        match rng.next() % 3 {
                            0 => v[i] = rng.next() as u8,
                            1 => v.truncate(i.max(1)),
                            _ => {
                                v.remove(i);
                            }
                        }
                        if v.is_empty() {
                            break;
                        }
                    }
                    v
                }
            };
            let _ = parse_response(Bytes::from(input.clone()));
            let mut framer = Framer::new(Limits {
                max_line: 1000,
                max_literal: 100,
                max_response: 4000,
            });
            let mut rest = &input[..];
            while let Ok(Some(n)) = framer.frame(rest) {
                let _ = parse_response(Bytes::copy_from_slice(&rest[..n]));
                rest = &rest[n..];
            }
        }
    }
}
