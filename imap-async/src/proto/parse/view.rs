//! Zero-copy views of an `ENVELOPE` (RFC 3501 §7.4.2): its fields read straight from the
//! received bytes, without building an [`Envelope`].
//!
//! Listing a folder reads a few fields of every envelope (subject, sender, date): building
//! the whole [`Envelope`] for that means a heap object per address list and a reference
//! count per string. A view finds the ten fields once, in one pass, and reads only the
//! ones asked for; strings are borrowed unless an escape had to be resolved.

use std::borrow::Cow;

use super::*;

/// The ten fields of an envelope, in order (RFC 3501 §9 `envelope`).
pub(crate) const FIELDS: usize = 10;

/// A view of one `ENVELOPE` in received FETCH data; see
/// [`Fetched::envelope_view`](crate::Fetched::envelope_view).
///
/// Strings are as sent (RFC 2047 encoded words undecoded; [`EnvelopeView::to_envelope`]
/// gives the owned [`Envelope`] with its decoding helpers). A field whose shape cannot be
/// read gives `None` (an address list: no addresses).
#[derive(Clone, Copy)]
pub struct EnvelopeView<'a> {
    raw: &'a Bytes,
    /// Where the envelope's `(` is in `raw`.
    start: u32,
    /// Where each field starts in `raw`.
    at: [u32; FIELDS],
}

impl std::fmt::Debug for EnvelopeView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.to_envelope(), f)
    }
}

impl<'a> EnvelopeView<'a> {
    /// The view of the envelope starting at `pos` (its `(`) in a checked item list.
    pub(crate) fn at(raw: &'a Bytes, pos: usize) -> Option<EnvelopeView<'a>> {
        let mut p = Parser::over(raw, pos);
        p.sp();
        let start = u32::try_from(p.pos).ok()?;
        let at = p.envelope_fields().ok()?;
        Some(EnvelopeView { raw, start, at })
    }

    /// The view of an envelope whose fields were found when it arrived (see
    /// [`EnvelopeIndex`](crate::proto::fetch_data::EnvelopeIndex)).
    pub(crate) fn indexed(raw: &'a Bytes, start: u32, at: [u32; FIELDS]) -> EnvelopeView<'a> {
        EnvelopeView { raw, start, at }
    }

    fn parser(&self, field: usize) -> Parser<'a> {
        Parser::over(self.raw, self.at[field] as usize)
    }

    fn string(&self, field: usize) -> Option<Cow<'a, [u8]>> {
        let mut p = self.parser(field);
        match p.plain_nstring() {
            Some(value) => value.map(Cow::Borrowed),
            None => p.nstring_ref().ok().flatten(),
        }
    }

    fn addresses(&self, field: usize) -> Addresses<'a> {
        let mut p = self.parser(field);
        let open = p.peek() == Some(b'(');
        if open {
            p.pos += 1;
        }
        Addresses { p, done: !open }
    }

    /// The `Date:` header, raw.
    pub fn date(&self) -> Option<Cow<'a, [u8]>> {
        self.string(0)
    }

    /// The `Subject:` header, raw (RFC 2047 encoded words undecoded).
    pub fn subject(&self) -> Option<Cow<'a, [u8]>> {
        self.string(1)
    }

    /// `From:` addresses.
    pub fn from(&self) -> Addresses<'a> {
        self.addresses(2)
    }

    /// `Sender:` addresses.
    pub fn sender(&self) -> Addresses<'a> {
        self.addresses(3)
    }

    /// `Reply-To:` addresses.
    pub fn reply_to(&self) -> Addresses<'a> {
        self.addresses(4)
    }

    /// `To:` addresses.
    pub fn to(&self) -> Addresses<'a> {
        self.addresses(5)
    }

    /// `Cc:` addresses.
    pub fn cc(&self) -> Addresses<'a> {
        self.addresses(6)
    }

    /// `Bcc:` addresses.
    pub fn bcc(&self) -> Addresses<'a> {
        self.addresses(7)
    }

    /// The `In-Reply-To:` header, raw.
    pub fn in_reply_to(&self) -> Option<Cow<'a, [u8]>> {
        self.string(8)
    }

    /// The `Message-ID:` header, raw.
    pub fn message_id(&self) -> Option<Cow<'a, [u8]>> {
        self.string(9)
    }

    /// The whole envelope, decoded into an owned [`Envelope`].
    pub fn to_envelope(&self) -> Envelope {
        let mut p = Parser::over(self.raw, self.start as usize);
        // The view was made by reading the same fields: this cannot fail.
        p.envelope().map(|e| *e).unwrap_or_default()
    }
}

/// One address of an [`EnvelopeView`], borrowed. Group syntax as in [`Address`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressView<'a> {
    /// The display name, raw.
    pub name: Option<Cow<'a, [u8]>>,
    /// The obsolete source route.
    pub route: Option<Cow<'a, [u8]>>,
    /// The local part, or the group name at a group start.
    pub mailbox: Option<Cow<'a, [u8]>>,
    /// The domain.
    pub host: Option<Cow<'a, [u8]>>,
}

/// The addresses of one field of an [`EnvelopeView`], read one by one.
#[derive(Clone)]
pub struct Addresses<'a> {
    p: Parser<'a>,
    done: bool,
}

impl std::fmt::Debug for Addresses<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

impl<'a> Iterator for Addresses<'a> {
    type Item = AddressView<'a>;

    fn next(&mut self) -> Option<AddressView<'a>> {
        if self.done {
            return None;
        }
        let field = |p: &mut Parser<'a>| match p.plain_nstring() {
            Some(value) => Ok(value.map(Cow::Borrowed)),
            None => p.nstring_ref(),
        };
        let address = address(&mut self.p, field);
        self.done = address.is_err();
        let [name, route, mailbox, host] = address.ok()?;
        Some(AddressView {
            name,
            route,
            mailbox,
            host,
        })
    }

    /// The number of addresses left, each checked as [`Self::next`] reads it but none
    /// built (counting recipients is common, and needs no strings).
    fn count(self) -> usize {
        if self.done {
            return 0;
        }
        // The walk of `address` written out: through `address` and a closure per field,
        // the realistic benchmark's client ran 1.5 % more instructions in all.
        let mut p = self.p;
        let mut n = 0;
        loop {
            if !p.eat(b'(') {
                return n;
            }
            for _ in 0..4 {
                if p.plain_nstring().is_none() && p.skip_nstring().is_err() {
                    return n;
                }
            }
            if !p.eat(b')') {
                return n;
            }
            n += 1;
        }
    }
}

/// One address at the cursor (RFC 3501 §9 `address`): `(`, four fields each read by
/// `field`, `)`.
fn address<'a, T>(p: &mut Parser<'a>, mut field: impl FnMut(&mut Parser<'a>) -> R<T>) -> R<[T; 4]> {
    if !p.eat(b'(') {
        return Err(Fail {
            reason: "end of list",
            pos: p.pos,
        });
    }
    let fields = [field(p)?, field(p)?, field(p)?, field(p)?];
    p.expect(b')', "expected ')' after address")?;
    Ok(fields)
}

impl std::iter::FusedIterator for Addresses<'_> {}

impl<'a> Parser<'a> {
    /// A parser at `pos` of a checked FETCH item list (the raw bytes of a
    /// [`FetchData`](crate::proto::FetchData)).
    pub(super) fn over(raw: &'a Bytes, pos: usize) -> Parser<'a> {
        Parser {
            frame: raw,
            b: raw,
            pos,
            depth: 0,
        }
    }

    /// The envelope at the cursor's `(`: where each of its ten fields starts. The cursor
    /// ends past the `)`.
    pub(super) fn envelope_fields(&mut self) -> R<[u32; FIELDS]> {
        self.expect(b'(', "expected '(' before envelope")?;
        let mut at = [0u32; FIELDS];
        for slot in &mut at {
            self.sp();
            let Ok(pos) = u32::try_from(self.pos) else {
                return self.fail("envelope too far into the response");
            };
            *slot = pos;
            if self.peek() == Some(b'(') {
                self.skip_list(2, "envelope nested too deeply")?;
            } else {
                self.skip_nstring()?;
            }
        }
        self.expect(b')', "expected ')' after envelope")?;
        Ok(at)
    }

    /// Like [`Parser::nstring`], borrowing the bytes unless an escape had to be resolved.
    pub(super) fn nstring_ref(&mut self) -> R<Option<Cow<'a, [u8]>>> {
        self.sp();
        let b: &'a [u8] = self.b;
        match self.peek() {
            Some(b'"') => {
                let (len, escaped) = self.scan_quoted()?;
                let start = self.pos + 1;
                self.pos = start + len + 1;
                let body = &b[start..start + len];
                Ok(Some(if escaped {
                    Cow::Owned(unescape(body))
                } else {
                    Cow::Borrowed(body)
                }))
            }
            _ if self.at_literal() => {
                let (start, end) = self.any_literal_span()?;
                Ok(Some(Cow::Borrowed(&b[start..end])))
            }
            Some(_) => {
                let (s, e) = self.atom_with(astr_stop)?;
                if b[s..e].eq_ignore_ascii_case(b"NIL") {
                    Ok(None)
                } else {
                    Ok(Some(Cow::Borrowed(&b[s..e])))
                }
            }
            None => self.fail("expected a string"),
        }
    }

    /// The two most common forms of an address field, read in place after optional
    /// spaces: `NIL` (in any case, ended as an atom ends: `NILS` is an atom) gives
    /// `Some(None)`, a quoted string without escapes `Some(Some(value))`. Anything else
    /// gives `None` with the cursor at the field, for [`Self::nstring_ref`] or
    /// [`Self::skip_nstring`] to read: the calls those make per field cost more than
    /// these fields, and an envelope is mostly made of them. The readers of envelope and
    /// address fields call it first rather than those two starting with it: inside them
    /// it ran 0.5 to 1.2 % more instructions in the replay benchmark.
    #[inline(always)]
    fn plain_nstring(&mut self) -> Option<Option<&'a [u8]>> {
        self.sp();
        let b: &'a [u8] = self.b;
        let at = self.pos;
        match b.get(at) {
            Some(b'"') => {
                let rest = &b[at + 1..];
                let j = find_quote_or_backslash(rest).filter(|&j| rest[j] == b'"')?;
                self.pos = at + j + 2;
                Some(Some(&rest[..j]))
            }
            Some(b'N' | b'n')
                if b.get(at + 1..at + 3)
                    .is_some_and(|il| il.eq_ignore_ascii_case(b"IL"))
                    && b.get(at + 3).is_none_or(|&c| astr_stop(c)) =>
            {
                self.pos = at + 3;
                Some(None)
            }
            _ => None,
        }
    }

    /// Like [`Parser::nstring`] without building the value.
    pub(super) fn skip_nstring(&mut self) -> R<()> {
        self.sp();
        match self.peek() {
            Some(b'"') => self.skip_quoted(),
            _ if self.at_literal() => self.any_literal_span().map(drop),
            Some(_) => self.atom_with(astr_stop).map(drop),
            None => self.fail("expected a string"),
        }
    }
}

/// A view of one `BODYSTRUCTURE` (or `BODY`) in received FETCH data, or of one of its
/// parts; see [`Fetched::body_structure_view`](crate::Fetched::body_structure_view).
/// Each accessor reads its answer from the received bytes; nothing is built.
/// [`BodyStructureView::to_body_structure`] gives the owned [`BodyStructure`].
#[derive(Clone, Copy)]
pub struct BodyStructureView<'a> {
    raw: &'a Bytes,
    /// Where this body's `(` is in `raw`.
    start: u32,
}

impl std::fmt::Debug for BodyStructureView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.to_body_structure(), f)
    }
}

impl<'a> BodyStructureView<'a> {
    pub(crate) fn at(raw: &'a Bytes, pos: usize) -> Option<BodyStructureView<'a>> {
        let mut p = Parser::over(raw, pos);
        p.sp();
        let start = u32::try_from(p.pos).ok()?;
        (p.peek() == Some(b'(')).then_some(BodyStructureView { raw, start })
    }

    /// A parser just inside this body's `(`.
    fn inside(&self) -> Parser<'a> {
        let mut p = Parser::over(self.raw, self.start as usize + 1);
        p.sp();
        p
    }

    /// Whether this is a `multipart/*` body (RFC 3501 §9 `body-type-mpart`).
    pub fn is_multipart(&self) -> bool {
        self.inside().peek() == Some(b'(')
    }

    /// The parts of a multipart body, in order; none for a single part.
    pub fn parts(&self) -> Parts<'a> {
        Parts {
            p: self.inside(),
            raw: self.raw,
        }
    }

    /// The media type as sent (`text`, `image`, ...); `multipart` for a multipart body.
    pub fn media_type(&self) -> Option<Cow<'a, [u8]>> {
        if self.is_multipart() {
            return Some(Cow::Borrowed(b"multipart"));
        }
        self.inside().nstring_ref().ok().flatten()
    }

    /// The subtype as sent (`plain`, `mixed`, ...).
    pub fn media_subtype(&self) -> Option<Cow<'a, [u8]>> {
        let mut p = self.inside();
        if p.peek() == Some(b'(') {
            // Past the parts.
            while p.peek_after_sp() == Some(b'(') {
                p.skip_body().ok()?;
            }
        } else {
            p.skip_nstring().ok()?;
        }
        p.nstring_ref().ok().flatten()
    }

    /// `body-fld-octets` of a single part: its size in its transfer encoding; `None` for
    /// a multipart body.
    pub fn size(&self) -> Option<u32> {
        self.after_fields().and_then(|mut p| p.num32().ok())
    }

    /// The body structure of the message enclosed in a `message/rfc822` (or
    /// `message/global`) part (RFC 3501 §9 `body-type-msg`); `None` for other parts.
    pub fn enclosed(&self) -> Option<BodyStructureView<'a>> {
        let p = self.inside();
        match p.peek() {
            // A multipart's subtype comes after all its parts: do not walk them for nothing.
            Some(b'(') => return None,
            // Most parts are not messages, and almost every type comes quoted: told from
            // its bytes, without reading the string. A quoted `MESSAGE` has nothing to
            // escape, so its bytes are exactly `"MESSAGE"` in some case.
            Some(b'"') => {
                let quoted = p.b.get(p.pos + 1..p.pos + 9)?;
                if !(quoted[..7].eq_ignore_ascii_case(b"MESSAGE") && quoted[7] == b'"') {
                    return None;
                }
            }
            _ => {
                let t = self.media_type()?;
                if !t.eq_ignore_ascii_case(b"MESSAGE") {
                    return None;
                }
            }
        }
        let st = self.media_subtype()?;
        if !(st.eq_ignore_ascii_case(b"RFC822") || st.eq_ignore_ascii_case(b"GLOBAL")) {
            return None;
        }
        let mut p = self.after_fields()?;
        p.num32().ok()?;
        if p.peek_after_sp() != Some(b'(') {
            return None;
        }
        // The envelope, then the enclosed body.
        p.skip_envelope().ok()?;
        BodyStructureView::at(self.raw, p.pos)
    }

    /// A single part's parser at its `body-fld-octets`, past type, subtype, parameters,
    /// id, description and encoding.
    fn after_fields(&self) -> Option<Parser<'a>> {
        if self.is_multipart() {
            return None;
        }
        let mut p = self.inside();
        // type, subtype, parameters, id, description, encoding, then the size.
        p.skip_nstring().ok()?;
        p.skip_nstring().ok()?;
        if p.peek_after_sp() == Some(b'(') {
            p.skip_list(2, "body parameters nested too deeply").ok()?;
        } else {
            p.skip_nstring().ok()?;
        }
        for _ in 0..3 {
            p.skip_nstring().ok()?;
        }
        Some(p)
    }

    /// The whole body structure, decoded into an owned [`BodyStructure`] (`None` if its
    /// inner shape cannot be read).
    pub fn to_body_structure(&self) -> Option<BodyStructure> {
        Parser::over(self.raw, self.start as usize).body().ok()
    }
}

/// The parts of a multipart [`BodyStructureView`], one by one.
#[derive(Clone)]
pub struct Parts<'a> {
    p: Parser<'a>,
    raw: &'a Bytes,
}

impl std::fmt::Debug for Parts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

impl<'a> Iterator for Parts<'a> {
    type Item = BodyStructureView<'a>;

    fn next(&mut self) -> Option<BodyStructureView<'a>> {
        if self.p.peek_after_sp() != Some(b'(') {
            return None;
        }
        let start = self.p.pos;
        if self.p.skip_body().is_err() {
            self.p.pos = self.p.b.len();
            return None;
        }
        Some(BodyStructureView {
            raw: self.raw,
            start: start as u32,
        })
    }
}

impl std::iter::FusedIterator for Parts<'_> {}
