//! FETCH responses (RFC 3501 §7.4.2, RFC 9051 §7.5.2): items, sections, ENVELOPE and
//! BODYSTRUCTURE.

use super::view::{BodyStructureView, EnvelopeView};
use super::*;
use crate::proto::fetch_data::{EnvelopeIndex, FetchData, ItemKind, KindSet};
use crate::proto::flag::Flag;

impl Parser<'_> {
    // ----- FETCH (RFC 3501 §7.4.2, RFC 9051 §7.5.2, RFC 3516 §4.2, RFC 7162 §3.1.4) -----

    /// `"(" msg-att-item *(SP msg-att-item) ")"`, checked but not decoded (see
    /// [`FetchData`]): the bytes must be well formed item by item, `UID`, `RFC822.SIZE`,
    /// `MODSEQ`, `BINARY.SIZE` and `FLAGS` fully; `ENVELOPE` and `BODYSTRUCTURE` must be
    /// balanced lists, their inner shape is read on access.
    pub(super) fn fetch_data(&mut self) -> R<FetchData> {
        self.sp();
        let start = self.pos;
        self.expect(b'(', "expected '(' after FETCH")?;
        let mut uid = 0;
        let mut kinds = KindSet::default();
        let mut count = 0usize;
        let mut first = [0u32; 5];
        let mut envelope = EnvelopeIndex::default();
        loop {
            self.sp();
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    let raw = self.slice(start, self.pos);
                    return Ok(FetchData::from_wire(
                        raw, uid, kinds, count, first, envelope,
                    ));
                }
                None => return self.fail("unterminated FETCH data"),
                Some(_) => {
                    let at = self.pos - start;
                    // Only the first envelope is indexed (the one `first` points to).
                    let index = (!kinds.has(ItemKind::Envelope)).then_some(&mut envelope);
                    let kind = self.check_fetch_item(&mut uid, index)?;
                    if let Some(slot) = kind.slot()
                        && first[slot] == 0
                    {
                        first[slot] = u32::try_from(at).unwrap_or(0);
                    }
                    kinds.insert(kind);
                    count += 1;
                }
            }
        }
    }

    /// One item of [`Self::fetch_data`]: its kind; `uid` gets the first UID, and
    /// `envelope`, when given, the fields of the first ENVELOPE.
    fn check_fetch_item(
        &mut self,
        uid: &mut u32,
        envelope: Option<&mut EnvelopeIndex>,
    ) -> R<ItemKind> {
        let item = self.pos;
        let name = self.atom_with(name_stop)?;
        let bracket = self.peek() == Some(b'[');
        let kind = item_kind(self.b, name, bracket);
        match kind {
            ItemKind::Uid => {
                let n = self.num32()?;
                if *uid == 0 {
                    *uid = n;
                }
            }
            ItemKind::Rfc822Size => {
                self.num64()?;
            }
            ItemKind::ModSeq => {
                self.expect(b'(', "expected '(' after MODSEQ")?;
                self.num64()?;
                self.expect(b')', "expected ')' after MODSEQ value")?;
            }
            ItemKind::Flags => {
                self.expect(b'(', "expected '(' before flags")?;
                while !self.eat(b')') {
                    if self.at_end() {
                        return self.fail("unterminated flag list");
                    }
                    self.atom_with(atom_stop)?;
                }
            }
            ItemKind::Envelope => {
                if self.peek_after_sp() != Some(b'(') {
                    return self.fail("expected '(' before envelope");
                }
                self.sp();
                let open = self.pos;
                // The fields are found as it is checked (the views then go straight to a
                // field).
                match envelope {
                    Some(index) => {
                        if let Some(fields) = self.envelope_fields_leniently(open)? {
                            *index = EnvelopeIndex::new(item, open, &fields);
                        }
                    }
                    None => self.skip_envelope()?,
                }
            }
            ItemKind::BodyStructure => {
                if self.peek_after_sp() != Some(b'(') {
                    return self.fail("expected '(' before body structure");
                }
                self.skip_body()?;
            }
            ItemKind::BinarySize => {
                self.section()?;
                self.num32()?;
            }
            ItemKind::Body | ItemKind::Binary | ItemKind::InternalDate => {
                if bracket {
                    self.section()?;
                }
                if matches!(self.peek_after_sp(), None | Some(b')')) {
                    return self.fail("expected a string");
                }
                self.skip_nstring()?;
            }
            ItemKind::Other => {
                if bracket {
                    self.section()?;
                }
                // An unknown item may come without a value (kept raw as empty).
                self.skip_value()?;
            }
        }
        Ok(kind)
    }

    /// Decode the items of a checked list one by one, handing each item of `only` (every
    /// item when `None`) to `take` until it returns `true`. An item whose inner shape
    /// cannot be read is handed over as [`FetchItem::Other`] with its raw value.
    fn decode_fetch_data(
        &mut self,
        only: Option<ItemKind>,
        take: &mut dyn FnMut(FetchItem) -> bool,
    ) -> R<()> {
        if self.pos == 0 {
            self.expect(b'(', "expected '(' after FETCH")?;
        }
        loop {
            self.sp();
            if matches!(self.peek(), Some(b')') | None) {
                return Ok(());
            }
            let start = self.pos;
            let name = self.atom_with(name_stop)?;
            let bracket = self.peek() == Some(b'[');
            let kind = item_kind(self.b, name, bracket);
            self.pos = start;
            if only.is_some_and(|k| k != kind) {
                self.check_fetch_item(&mut 0, None)?;
                continue;
            }
            self.depth = 0;
            let item = match self.fetch_item() {
                Ok(item) => item,
                Err(fail) => {
                    tracing::warn!(
                        item = %String::from_utf8_lossy(&self.b[name.0..name.1]),
                        reason = fail.reason,
                        position = fail.pos,
                        "a FETCH item could not be decoded; kept raw"
                    );
                    self.pos = name.1;
                    if bracket {
                        self.section()?;
                    }
                    let end = self.pos;
                    FetchItem::Other {
                        name: self.slice(name.0, end),
                        value: self.raw_value()?,
                    }
                }
            };
            if take(item) {
                return Ok(());
            }
        }
    }

    pub(super) fn fetch_item(&mut self) -> R<FetchItem> {
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
    pub(super) fn section(&mut self) -> R<(Bytes, Option<u32>)> {
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
    pub(super) fn envelope(&mut self) -> R<Box<Envelope>> {
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
    pub(super) fn addresses(&mut self) -> R<Option<Vec<Address>>> {
        let mut v = Vec::with_capacity(1);
        let listed = self.address_list(|p| {
            v.push(Address {
                name: p.nstring()?,
                route: p.nstring()?,
                mailbox: p.nstring()?,
                host: p.nstring()?,
            });
            Ok(())
        })?;
        Ok(listed.then_some(v))
    }

    /// An address list, handing each `address = "(" addr-name SP addr-adl SP
    /// addr-mailbox SP addr-host ")"` to `fields` after its `(`. `false` for NIL (or a
    /// string where the list belongs).
    fn address_list(&mut self, mut fields: impl FnMut(&mut Self) -> R<()>) -> R<bool> {
        if !self.eat(b'(') {
            self.nstring()?;
            return Ok(false);
        }
        loop {
            self.sp();
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    return Ok(true);
                }
                Some(b'(') => {
                    self.pos += 1;
                    fields(self)?;
                    self.expect(b')', "expected ')' after address")?;
                }
                _ => return self.fail("expected an address"),
            }
        }
    }

    /// The envelope at `open` checked, and where its fields start if that can be told: by
    /// the one-pass scan, else by the field-by-field walk (which takes more leniency, such
    /// as no space between two fields), else `None` for an envelope that is only a
    /// balanced list (its fields are then read as far as they can be, on access).
    fn envelope_fields_leniently(&mut self, open: usize) -> R<Option<[u32; FIELDS]>> {
        if let Ok(Some(fields)) = self.scan_envelope_fields() {
            return Ok(Some(fields));
        }
        self.pos = open;
        if let Ok(fields) = self.envelope_fields() {
            return Ok(Some(fields));
        }
        self.pos = open;
        self.skip_envelope()?;
        Ok(None)
    }

    /// An `envelope`, at its `(`: three lists deep (envelope, address list, address).
    pub(super) fn skip_envelope(&mut self) -> R<()> {
        self.skip_list(3, "envelope nested too deeply")
    }

    /// A `body`, at its `(`. Each body level opens at most a few lists (the body, its
    /// parameters, a disposition and its parameters, a message's envelope and address
    /// lists): three per allowed level leaves room for every real structure.
    pub(super) fn skip_body(&mut self) -> R<()> {
        self.skip_list(3 * MAX_DEPTH, "body structure nested too deeply")
    }

    /// `body = "(" (body-type-1part / body-type-mpart) ")"` (RFC 3501 §9, RFC 9051 §9).
    pub(super) fn body(&mut self) -> R<BodyStructure> {
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
    pub(super) fn body_multipart(&mut self) -> R<BodyStructure> {
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
    pub(super) fn eat_peek(&mut self, c: u8) -> bool {
        self.sp();
        self.peek() == Some(c)
    }

    /// `body-type-1part = (body-type-basic / body-type-msg / body-type-text)
    /// [SP body-ext-1part]`
    pub(super) fn body_single(&mut self) -> R<BodyStructure> {
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

    pub(super) fn peek_after_sp(&mut self) -> Option<u8> {
        self.sp();
        self.peek()
    }

    /// Disposition, language, location and further extensions, each optional in turn,
    /// through the `)` that closes the body.
    pub(super) fn ext_tail(&mut self) -> R<ExtTail> {
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
    pub(super) fn body_params(&mut self) -> R<Vec<(Bytes, Option<Bytes>)>> {
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
    pub(super) fn disposition(&mut self) -> R<Option<Disposition>> {
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
    pub(super) fn language(&mut self) -> R<Option<Vec<Bytes>>> {
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

/// The kind of a FETCH item from its name (in any case), `b[name.0..name.1]`, and whether
/// a `[section]` follows.
///
/// The name is ended by [`name_stop`], so it holds no byte at or below space.
pub(super) fn item_kind(b: &[u8], name: (usize, usize), bracket: bool) -> ItemKind {
    // A jump on the name's length, then one or two compares of numbers instead of a
    // byte loop: the name, folded to lower case, packed into a u128 (the longest name
    // has 13 bytes).
    const UID: u128 = folded(b"UID");
    const BODY: u128 = folded(b"BODY");
    const FLAGS: u128 = folded(b"FLAGS");
    const MODSEQ: u128 = folded(b"MODSEQ");
    const RFC822: u128 = folded(b"RFC822");
    const BINARY: u128 = folded(b"BINARY");
    const ENVELOPE: u128 = folded(b"ENVELOPE");
    const RFC822_SIZE: u128 = folded(b"RFC822.SIZE");
    const RFC822_TEXT: u128 = folded(b"RFC822.TEXT");
    const BINARY_SIZE: u128 = folded(b"BINARY.SIZE");
    const INTERNALDATE: u128 = folded(b"INTERNALDATE");
    const BODYSTRUCTURE: u128 = folded(b"BODYSTRUCTURE");
    const RFC822_HEADER: u128 = folded(b"RFC822.HEADER");
    let (start, end) = name;
    let len = end - start;
    debug_assert!(
        b[start..end].iter().all(|&c| c > b' '),
        "item names hold no control byte"
    );
    if len > 16 {
        return ItemKind::Other;
    }
    // Sixteen bytes loaded at once where the buffer has them (almost always: the item's
    // value follows), the bytes past the name then cleared.
    let word = match b.get(start..start + 16) {
        Some(w) => u128::from_le_bytes(w.try_into().unwrap_or([0; 16])),
        None => {
            let mut w = [0u8; 16];
            w[..len].copy_from_slice(&b[start..end]);
            u128::from_le_bytes(w)
        }
    };
    // The first `len` bytes kept, by table: a computed u128 mask costs a dozen steps.
    static KEEP: [u128; 17] = {
        let mut t = [0u128; 17];
        let mut n = 1;
        while n < 17 {
            t[n] = t[n - 1] << 8 | 0xff;
            n += 1;
        }
        t
    };
    let v = (word | u128::from_le_bytes([0x20; 16])) & KEEP[len];
    // By length first (a jump table), then one or two compares.
    match len {
        3 if v == UID => ItemKind::Uid,
        4 if v == BODY => {
            if bracket {
                ItemKind::Body
            } else {
                ItemKind::BodyStructure
            }
        }
        5 if v == FLAGS => ItemKind::Flags,
        6 if v == MODSEQ => ItemKind::ModSeq,
        6 if v == RFC822 => ItemKind::Body,
        6 if bracket && v == BINARY => ItemKind::Binary,
        8 if v == ENVELOPE => ItemKind::Envelope,
        11 if v == RFC822_SIZE => ItemKind::Rfc822Size,
        11 if v == RFC822_TEXT => ItemKind::Body,
        11 if bracket && v == BINARY_SIZE => ItemKind::BinarySize,
        12 if v == INTERNALDATE => ItemKind::InternalDate,
        13 if v == BODYSTRUCTURE => ItemKind::BodyStructure,
        13 if v == RFC822_HEADER => ItemKind::Body,
        _ => ItemKind::Other,
    }
}

/// Up to 16 bytes as one little-endian number, each with bit 0x20 set: ASCII letters
/// folded to lower case, as [`item_kind`] folds a received name. The fold is exact for
/// the item names there (letters, digits and `.`): another byte could only fold onto one
/// of theirs from below space (0x0E onto `.`, 0x10 to 0x19 onto digits), and no item name
/// holds one. Bytes past the name are zero, so names of different lengths never compare
/// equal.
const fn folded(name: &[u8]) -> u128 {
    let mut v = 0u128;
    let mut i = 0;
    while i < name.len() && i < 16 {
        v |= ((name[i] | 0x20) as u128) << (8 * i);
        i += 1;
    }
    v
}

/// A parser at the start of a checked item list (the `raw` of a [`FetchData`]).
fn over(raw: &Bytes) -> Parser<'_> {
    Parser::over(raw, 0)
}

/// Every item of a checked item list, decoded.
pub(crate) fn decode_fetch_items(raw: &Bytes) -> Vec<FetchItem> {
    let mut items = Vec::new();
    let done = over(raw).decode_fetch_data(None, &mut |item| {
        items.push(item);
        false
    });
    if let Err(fail) = done {
        tracing::warn!(
            reason = fail.reason,
            position = fail.pos,
            "FETCH data cut short"
        );
    }
    items
}

/// Hand the items of `kind` in a checked item list to `take`, decoded, until it returns
/// `true`, looking from `from` (the start of an item, or 0 for the list's start).
pub(crate) fn decode_first_fetch_item(
    raw: &Bytes,
    kind: ItemKind,
    from: usize,
    take: &mut dyn FnMut(FetchItem) -> bool,
) {
    let mut p = over(raw);
    p.pos = from;
    if let Err(fail) = p.decode_fetch_data(Some(kind), take) {
        tracing::warn!(
            reason = fail.reason,
            position = fail.pos,
            "FETCH data cut short"
        );
    }
}

/// Where the value of the first item of `kind` starts in a checked item list, looking
/// from `from` (the start of an item, or 0 for the list's start).
fn value_of(raw: &Bytes, kind: ItemKind, from: usize) -> Option<usize> {
    let mut p = over(raw);
    p.pos = from;
    if from == 0 {
        p.expect(b'(', "expected '(' after FETCH").ok()?;
    }
    loop {
        p.sp();
        if matches!(p.peek(), Some(b')') | None) {
            return None;
        }
        let start = p.pos;
        let name = p.atom_with(name_stop).ok()?;
        if item_kind(p.b, name, p.peek() == Some(b'[')) == kind {
            return Some(p.pos);
        }
        p.pos = start;
        p.check_fetch_item(&mut 0, None).ok()?;
    }
}

/// A parser just past the name of the item starting at `at` in a checked item list, at
/// its value (the item's kind was found when the list arrived: the name need not be read
/// again).
fn at_value(raw: &Bytes, at: usize) -> Parser<'_> {
    let mut p = over(raw);
    p.pos = at;
    while p.peek().is_some_and(|c| !name_stop(c)) {
        p.pos += 1;
    }
    p.sp();
    p
}

/// The number of the `RFC822.SIZE` item starting at `at` in a checked item list.
pub(crate) fn size_at(raw: &Bytes, at: usize) -> Option<u64> {
    at_value(raw, at).num64().ok()
}

/// The flags of the `FLAGS` item starting at `at` in a checked item list.
pub(crate) fn flags_at(raw: &Bytes, at: usize) -> Option<Vec<Flag>> {
    let mut p = at_value(raw, at);
    p.expect(b'(', "expected '(' before flags").ok()?;
    // No allocation for a message without flags; room for the usual few at once for
    // the others, rather than growing from none.
    if p.eat(b')') {
        return Some(Vec::new());
    }
    let mut flags = Vec::with_capacity(4);
    loop {
        p.sp();
        if p.eat(b')') {
            return Some(flags);
        }
        let (s, e) = p.atom_with(atom_stop).ok()?;
        flags.push(Flag::from_wire(&p.b[s..e]));
    }
}

/// A view of the first `BODYSTRUCTURE` (or `BODY`) in a checked item list.
pub(crate) fn body_structure_view(raw: &Bytes, from: usize) -> Option<BodyStructureView<'_>> {
    BodyStructureView::at(raw, value_start(raw, ItemKind::BodyStructure, from)?)
}

/// Where the value of the first item of `kind` starts, looking from `from`: straight past
/// the name when `from` is that item's start (the kept position of a positioned kind).
fn value_start(raw: &Bytes, kind: ItemKind, from: usize) -> Option<usize> {
    if from == 0 {
        return value_of(raw, kind, from);
    }
    Some(at_value(raw, from).pos)
}

/// A view of the first `ENVELOPE` in a checked item list, looking from `from` (the start
/// of an item, or 0 for the list's start).
pub(crate) fn envelope_view(raw: &Bytes, from: usize) -> Option<EnvelopeView<'_>> {
    EnvelopeView::at(raw, value_start(raw, ItemKind::Envelope, from)?)
}
