//! The request side of FETCH (RFC 3501 §6.4.5, RFC 9051 §6.4.5): the data items to ask
//! for ([`FetchAttr`], [`FetchItems`]) and their wire form, and which response items answer
//! them. Also used by NOTIFY's `MessageNew` (RFC 5465 §5.2). What a FETCH returns
//! (`session::Fetched`) is the session's.

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::proto::fetch_data::ItemKind;
use crate::proto::section::{Section, section_from_wire};
use crate::proto::{FetchData, FetchItem};

/// One FETCH data item to ask for (RFC 3501 §6.4.5 `fetch-att`, RFC 3516 BINARY, RFC 7162
/// MODSEQ), or raw syntax.
///
/// ```
/// use imap_async::Section;
/// use imap_async::session::{FetchAttr, FetchItems};
///
/// let items: FetchItems = vec![
///     FetchAttr::Flags,
///     FetchAttr::body_peek(Section::part([1]).with(Section::Mime)),
///     FetchAttr::body_peek(Section::Full).partial(0, 10),
/// ]
/// .into();
/// assert_eq!(items.to_wire()?, "(FLAGS BODY.PEEK[1.MIME] BODY.PEEK[]<0.10>)");
/// # Ok::<(), imap_async::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FetchAttr {
    /// `UID` (always included by UID FETCH, RFC 3501 §6.4.8).
    Uid,
    /// `FLAGS`.
    Flags,
    /// `INTERNALDATE`.
    InternalDate,
    /// `RFC822.SIZE`.
    Rfc822Size,
    /// `RFC822` (the whole message; sets `\Seen`), sent as its equivalent `BODY[]`.
    Rfc822,
    /// `RFC822.HEADER` (does not set `\Seen`), sent as `BODY.PEEK[HEADER]`.
    Rfc822Header,
    /// `RFC822.TEXT` (sets `\Seen`), sent as `BODY[TEXT]`.
    Rfc822Text,
    /// `ENVELOPE`.
    Envelope,
    /// `BODYSTRUCTURE`.
    BodyStructure,
    /// `BODY[section]<origin.length>` or, with `peek`, `BODY.PEEK[...]` (does not set
    /// `\Seen`).
    Body {
        /// Which part of the message (RFC 3501 §6.4.5 `section-spec`).
        section: Section,
        /// `BODY.PEEK`: leave `\Seen` alone.
        peek: bool,
        /// `<origin.length>`: `length` octets from `origin`.
        partial: Option<(u32, u32)>,
    },
    /// `BINARY[section]<origin.length>` / `BINARY.PEEK[...]` (RFC 3516, needs BINARY): the
    /// part with its content transfer encoding removed.
    Binary {
        /// A part ([`Section::Part`] without `.HEADER`/`.TEXT`/`.MIME`).
        section: Section,
        /// `BINARY.PEEK`: leave `\Seen` alone.
        peek: bool,
        /// `<origin.length>`: `length` octets from `origin`.
        partial: Option<(u32, u32)>,
    },
    /// `BINARY.SIZE[section]` (RFC 3516).
    BinarySize {
        /// A part.
        section: Section,
    },
    /// `MODSEQ` (RFC 7162 §3.1.4.1, needs CONDSTORE).
    ModSeq,
    /// Raw fetch item syntax sent as it is, e.g. `X-GM-LABELS` or `BODY[HEADER]`; ASCII,
    /// no control characters, balanced parentheses.
    Raw(String),
}

impl FetchAttr {
    /// `BODY[section]` (sets `\Seen`). `section` is a [`Section`] or its text (see
    /// [`Section`]'s `From<&str>`: text that is not a section-spec fails the FETCH with an
    /// error naming it).
    ///
    /// ```
    /// use imap_async::Section;
    /// use imap_async::session::{FetchAttr, FetchItems};
    ///
    /// let items: FetchItems = FetchAttr::body(Section::Text).into();
    /// assert_eq!(items.to_wire()?, "(BODY[TEXT])");
    /// let bad: FetchItems = FetchAttr::body("TXET").into();
    /// assert!(bad.to_wire().unwrap_err().to_string().contains("TXET"));
    /// # Ok::<(), imap_async::Error>(())
    /// ```
    pub fn body(section: impl Into<Section>) -> FetchAttr {
        FetchAttr::Body {
            section: section.into(),
            peek: false,
            partial: None,
        }
    }

    /// `BODY.PEEK[section]` (leaves `\Seen` alone).
    ///
    /// ```
    /// use imap_async::Section;
    /// use imap_async::session::{FetchAttr, FetchItems};
    ///
    /// let items: FetchItems = FetchAttr::body_peek(Section::Header).into();
    /// assert_eq!(items.to_wire()?, "(BODY.PEEK[HEADER])");
    /// // The same from text:
    /// assert_eq!(FetchAttr::body_peek("header"), FetchAttr::body_peek(Section::Header));
    /// # Ok::<(), imap_async::Error>(())
    /// ```
    pub fn body_peek(section: impl Into<Section>) -> FetchAttr {
        FetchAttr::Body {
            section: section.into(),
            peek: true,
            partial: None,
        }
    }

    /// `BINARY.PEEK[section]` (RFC 3516).
    ///
    /// ```
    /// use imap_async::Section;
    /// use imap_async::session::{FetchAttr, FetchItems};
    ///
    /// let items: FetchItems = FetchAttr::binary_peek(Section::part([1])).into();
    /// assert_eq!(items.to_wire()?, "(BINARY.PEEK[1])");
    /// # Ok::<(), imap_async::Error>(())
    /// ```
    pub fn binary_peek(section: impl Into<Section>) -> FetchAttr {
        FetchAttr::Binary {
            section: section.into(),
            peek: true,
            partial: None,
        }
    }

    /// The same `BODY`/`BINARY` item limited to `length` octets from `origin`
    /// (`<origin.length>`); other items are returned unchanged.
    ///
    /// ```
    /// use imap_async::session::{FetchAttr, FetchItems};
    ///
    /// let items: FetchItems = FetchAttr::body_peek(imap_async::Section::Full)
    ///     .partial(0, 1024)
    ///     .into();
    /// assert_eq!(items.to_wire()?, "(BODY.PEEK[]<0.1024>)");
    /// assert_eq!(FetchAttr::Flags.partial(0, 10), FetchAttr::Flags);
    /// # Ok::<(), imap_async::Error>(())
    /// ```
    pub fn partial(self, origin: u32, length: u32) -> FetchAttr {
        match self {
            FetchAttr::Body { section, peek, .. } => FetchAttr::Body {
                section,
                peek,
                partial: Some((origin, length)),
            },
            FetchAttr::Binary { section, peek, .. } => FetchAttr::Binary {
                section,
                peek,
                partial: Some((origin, length)),
            },
            other => other,
        }
    }

    fn write(&self, out: &mut String) -> Result<()> {
        let bracket =
            |out: &mut String, name: &str, section: &Section, partial: Option<(u32, u32)>| {
                section
                    .check()
                    .map_err(|e| Error::invalid("fetch section", e.to_string()))?;
                out.push_str(name);
                out.push('[');
                out.push_str(&section.wire());
                out.push(']');
                if let Some((o, n)) = partial {
                    if n == 0 {
                        return Err(Error::invalid(
                            "fetch partial",
                            "length 0 (RFC 3501 nz-number)",
                        ));
                    }
                    out.push_str(&format!("<{o}.{n}>"));
                }
                Ok(())
            };
        match self {
            FetchAttr::Uid => out.push_str("UID"),
            FetchAttr::Flags => out.push_str("FLAGS"),
            FetchAttr::InternalDate => out.push_str("INTERNALDATE"),
            FetchAttr::Rfc822Size => out.push_str("RFC822.SIZE"),
            // RFC 3501 §6.4.5 defines the RFC822 items as these BODY forms (same data, same
            // \Seen effect); RFC 9051 dropped them, and iCloud answers FETCH RFC822 with no
            // message at all (modern-email/defects#36). Answers are matched back to the
            // RFC822 attributes by `FetchAttr::answered_by`.
            FetchAttr::Rfc822 => out.push_str("BODY[]"),
            FetchAttr::Rfc822Header => out.push_str("BODY.PEEK[HEADER]"),
            FetchAttr::Rfc822Text => out.push_str("BODY[TEXT]"),
            FetchAttr::Envelope => out.push_str("ENVELOPE"),
            FetchAttr::BodyStructure => out.push_str("BODYSTRUCTURE"),
            FetchAttr::ModSeq => out.push_str("MODSEQ"),
            FetchAttr::Body {
                section,
                peek,
                partial,
            } => bracket(
                out,
                if *peek { "BODY.PEEK" } else { "BODY" },
                section,
                *partial,
            )?,
            FetchAttr::Binary {
                section,
                peek,
                partial,
            } => bracket(
                out,
                if *peek { "BINARY.PEEK" } else { "BINARY" },
                section,
                *partial,
            )?,
            FetchAttr::BinarySize { section } => bracket(out, "BINARY.SIZE", section, None)?,
            FetchAttr::Raw(r) => {
                check_items(r)?;
                out.push_str(r.trim());
            }
        }
        Ok(())
    }

    /// Whether a response item answers this request (the way it was asked: a partial
    /// `BODY.PEEK[]<0.10>` is answered by `BODY[]<0>`).
    pub(crate) fn answered_by(&self, item: &FetchItem) -> bool {
        let same = |a: &Bytes, b: &str| a.eq_ignore_ascii_case(b.as_bytes());
        // Sections are compared parsed: a server echoes them in its own case and quoting.
        let same_section = |a: &Bytes, b: &Section| section_from_wire(a) == *b;
        match (self, item) {
            (FetchAttr::Uid, FetchItem::Uid(_))
            | (FetchAttr::Flags, FetchItem::Flags(_))
            | (FetchAttr::InternalDate, FetchItem::InternalDate(_))
            | (FetchAttr::Rfc822Size, FetchItem::Rfc822Size(_))
            | (FetchAttr::Envelope, FetchItem::Envelope(_))
            | (FetchAttr::BodyStructure, FetchItem::BodyStructure(_))
            | (FetchAttr::ModSeq, FetchItem::ModSeq(_)) => true,
            (
                FetchAttr::Rfc822,
                FetchItem::Body {
                    section, origin, ..
                },
            ) => section.is_empty() && origin.is_none(),
            (
                FetchAttr::Rfc822Header,
                FetchItem::Body {
                    section, origin, ..
                },
            ) => same_section(section, &Section::Header) && origin.is_none(),
            (
                FetchAttr::Rfc822Text,
                FetchItem::Body {
                    section, origin, ..
                },
            ) => same_section(section, &Section::Text) && origin.is_none(),
            (
                FetchAttr::Body {
                    section, partial, ..
                },
                FetchItem::Body {
                    section: s, origin, ..
                },
            )
            | (
                FetchAttr::Binary {
                    section, partial, ..
                },
                FetchItem::Binary {
                    section: s, origin, ..
                },
            ) => same_section(s, section) && *origin == partial.map(|p| p.0),
            // A piece of a streamed literal answers what the whole literal would have.
            (
                FetchAttr::Body {
                    section, partial, ..
                },
                FetchItem::BodyChunk {
                    section: s,
                    origin,
                    binary: false,
                    ..
                },
            )
            | (
                FetchAttr::Binary {
                    section, partial, ..
                },
                FetchItem::BodyChunk {
                    section: s,
                    origin,
                    binary: true,
                    ..
                },
            ) => same_section(s, section) && *origin == partial.map(|p| p.0),
            (
                FetchAttr::Rfc822,
                FetchItem::BodyChunk {
                    section,
                    origin,
                    binary: false,
                    ..
                },
            ) => section.is_empty() && origin.is_none(),
            (FetchAttr::BinarySize { section }, FetchItem::BinarySize { section: s, .. }) => {
                same_section(s, section)
            }
            (FetchAttr::Raw(r), FetchItem::Other { name, .. }) => same(name, r.trim()),
            _ => false,
        }
    }
}

/// What a FETCH asks for: typed [`FetchAttr`]s, or a raw string.
///
/// Built with `.into()` from a `&str` (raw syntax such as `"(FLAGS ENVELOPE)"`, checked for
/// control characters, non-ASCII and unbalanced parentheses), one [`FetchAttr`], a
/// `Vec`/array/slice of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchItems(Vec<FetchAttr>);

impl FetchItems {
    /// The items as they go on the wire: one raw item as it is, several in parentheses.
    ///
    /// ```
    /// use imap_async::session::{FetchAttr, FetchItems};
    ///
    /// let items: FetchItems = vec![FetchAttr::Uid, FetchAttr::Flags].into();
    /// assert_eq!(items.to_wire()?, "(UID FLAGS)");
    /// let raw: FetchItems = "(FLAGS ENVELOPE)".into();
    /// assert_eq!(raw.to_wire()?, "(FLAGS ENVELOPE)");
    /// # Ok::<(), imap_async::Error>(())
    /// ```
    pub fn to_wire(&self) -> Result<String> {
        let mut out = String::new();
        match self.0.as_slice() {
            [] => return Err(Error::invalid("fetch items", "empty")),
            [FetchAttr::Raw(r)] => {
                check_items(r)?;
                out.push_str(r.trim());
            }
            attrs => {
                out.push('(');
                for (i, a) in attrs.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    a.write(&mut out)?;
                }
                out.push(')');
            }
        }
        Ok(out)
    }

    /// The items asked for.
    ///
    /// ```
    /// use imap_async::session::{FetchAttr, FetchItems};
    ///
    /// let items: FetchItems = vec![FetchAttr::Uid, FetchAttr::Flags].into();
    /// assert_eq!(items.attrs(), [FetchAttr::Uid, FetchAttr::Flags]);
    /// ```
    pub fn attrs(&self) -> &[FetchAttr] {
        &self.0
    }

    /// Which response items count as answers (see [`Wanted`]).
    pub(crate) fn wanted(&self) -> Wanted {
        let mut w = Wanted::default();
        for a in &self.0 {
            match a {
                FetchAttr::Raw(r) => w.add_raw(r),
                FetchAttr::Uid => w.uid = true,
                FetchAttr::Flags => w.flags = true,
                FetchAttr::InternalDate => w.internal_date = true,
                FetchAttr::Rfc822Size => w.size = true,
                FetchAttr::Envelope => w.envelope = true,
                FetchAttr::BodyStructure => w.structure = true,
                FetchAttr::Rfc822
                | FetchAttr::Rfc822Header
                | FetchAttr::Rfc822Text
                | FetchAttr::Body { .. } => w.body = true,
                FetchAttr::Binary { .. } => w.binary = true,
                FetchAttr::BinarySize { .. } => w.binary_size = true,
                FetchAttr::ModSeq => w.modseq = true,
            }
        }
        w
    }
}

impl From<&str> for FetchItems {
    fn from(raw: &str) -> Self {
        FetchItems(vec![FetchAttr::Raw(raw.to_owned())])
    }
}

impl From<String> for FetchItems {
    fn from(raw: String) -> Self {
        FetchItems(vec![FetchAttr::Raw(raw)])
    }
}

impl From<FetchAttr> for FetchItems {
    fn from(a: FetchAttr) -> Self {
        FetchItems(vec![a])
    }
}

impl From<Vec<FetchAttr>> for FetchItems {
    fn from(v: Vec<FetchAttr>) -> Self {
        FetchItems(v)
    }
}

impl From<&[FetchAttr]> for FetchItems {
    fn from(v: &[FetchAttr]) -> Self {
        FetchItems(v.to_vec())
    }
}

impl<const N: usize> From<[FetchAttr; N]> for FetchItems {
    fn from(v: [FetchAttr; N]) -> Self {
        FetchItems(v.to_vec())
    }
}

/// The kinds of response item a FETCH asked for. A FETCH response is claimed by the
/// command only when it carries at least one of them: `* 2 FETCH (UID 7 FLAGS (\Seen))`
/// sent because another client changed flags is not an answer to a fetch of `ENVELOPE`,
/// and stays unsolicited (IMAPClient #334/#564). UID and MODSEQ count only when asked for
/// explicitly, since servers add them to every response (RFC 3501 §6.4.8, RFC 7162 §3.2.4).
#[derive(Debug, Default)]
pub(crate) struct Wanted {
    /// Raw syntax we could not read: any item counts.
    any: bool,
    uid: bool,
    flags: bool,
    internal_date: bool,
    size: bool,
    envelope: bool,
    structure: bool,
    body: bool,
    binary: bool,
    binary_size: bool,
    modseq: bool,
    other: Vec<String>,
}

impl Wanted {
    /// Read the item names of raw syntax (`fetch-att` names and the macros ALL, FAST,
    /// FULL, RFC 3501 §6.4.5).
    fn add_raw(&mut self, raw: &str) {
        let bytes = raw.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b' ' || b == b'(' || b == b')' {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && !matches!(bytes[i], b' ' | b'(' | b')' | b'[' | b'<') {
                i += 1;
            }
            let name = raw[start..i].to_ascii_uppercase();
            let bracket = i < bytes.len() && bytes[i] == b'[';
            if bracket {
                // Skip the section, which may hold a parenthesized header list.
                while i < bytes.len() && bytes[i] != b']' {
                    i += 1;
                }
                i += 1;
            }
            if i < bytes.len() && bytes[i] == b'<' {
                while i < bytes.len() && bytes[i] != b'>' {
                    i += 1;
                }
                i += 1;
            }
            match (name.as_str(), bracket) {
                ("UID", _) => self.uid = true,
                ("FLAGS", _) => self.flags = true,
                ("INTERNALDATE", _) => self.internal_date = true,
                ("RFC822.SIZE", _) => self.size = true,
                ("ENVELOPE", _) => self.envelope = true,
                ("BODYSTRUCTURE", _) | ("BODY", false) => self.structure = true,
                ("BODY" | "BODY.PEEK", true) | ("RFC822" | "RFC822.HEADER" | "RFC822.TEXT", _) => {
                    self.body = true;
                }
                ("BINARY" | "BINARY.PEEK", _) => self.binary = true,
                ("BINARY.SIZE", _) => self.binary_size = true,
                ("MODSEQ", _) => self.modseq = true,
                ("FAST", _) => {
                    self.flags = true;
                    self.internal_date = true;
                    self.size = true;
                }
                ("ALL" | "FULL", _) => {
                    self.flags = true;
                    self.internal_date = true;
                    self.size = true;
                    self.envelope = true;
                    self.structure |= name == "FULL";
                }
                ("", _) => self.any = true,
                _ => self.other.push(name),
            }
        }
    }

    pub(crate) fn answers(&self, items: &FetchData) -> bool {
        if self.any {
            return true;
        }
        let kinds = items.kinds();
        let wanted = [
            (self.uid, ItemKind::Uid),
            (self.flags, ItemKind::Flags),
            (self.internal_date, ItemKind::InternalDate),
            (self.size, ItemKind::Rfc822Size),
            (self.envelope, ItemKind::Envelope),
            (self.structure, ItemKind::BodyStructure),
            (self.body, ItemKind::Body),
            (self.binary, ItemKind::Binary),
            (self.binary_size, ItemKind::BinarySize),
            (self.modseq, ItemKind::ModSeq),
        ];
        if wanted.iter().any(|&(w, k)| w && kinds.has(k)) {
            return true;
        }
        // Other items by name (X-GM-LABELS, EMAILID, ...): only these are decoded.
        !self.other.is_empty()
            && items
                .find_map(ItemKind::Other, |i| match i {
                    FetchItem::Other { name, .. } => self
                        .other
                        .iter()
                        .any(|o| name.eq_ignore_ascii_case(o.as_bytes()))
                        .then_some(()),
                    _ => None,
                })
                .is_some()
    }
}

/// Raw FETCH items: reject what could end the command or unbalance it.
fn check_items(items: &str) -> Result<()> {
    if items.trim().is_empty() {
        return Err(Error::invalid("fetch items", "empty"));
    }
    let mut depth = 0i32;
    for (pos, b) in items.bytes().enumerate() {
        match b {
            b'\r' | b'\n' | 0 => {
                return Err(Error::invalid(
                    "fetch items",
                    format!("control character (CR, LF or NUL) at byte {pos}"),
                ));
            }
            0x80.. => {
                return Err(Error::invalid(
                    "fetch items",
                    format!("non-ASCII byte at {pos}"),
                ));
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(Error::invalid(
                        "fetch items",
                        format!("unmatched ')' at byte {pos}"),
                    ));
                }
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(Error::invalid("fetch items", "unbalanced parentheses"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_items_on_the_wire() {
        let items: FetchItems = [
            FetchAttr::Uid,
            FetchAttr::Envelope,
            FetchAttr::body_peek("HEADER.FIELDS (FROM TO)"),
            FetchAttr::binary_peek("2").partial(5, 7),
            FetchAttr::BinarySize {
                section: "2".into(),
            },
            FetchAttr::ModSeq,
        ]
        .into();
        assert_eq!(
            items.to_wire().unwrap(),
            "(UID ENVELOPE BODY.PEEK[HEADER.FIELDS (FROM TO)] BINARY.PEEK[2]<5.7> BINARY.SIZE[2] MODSEQ)"
        );
        assert_eq!(FetchItems::from(" FLAGS ").to_wire().unwrap(), "FLAGS");
        assert!(FetchItems::from(FetchAttr::body("1]x")).to_wire().is_err());
        assert!(FetchItems::from(FetchAttr::body("(")).to_wire().is_err());
        assert!(
            FetchItems::from(FetchAttr::body("").partial(0, 0))
                .to_wire()
                .is_err()
        );
        assert!(FetchItems::from(Vec::new()).to_wire().is_err());
    }

    #[test]
    fn foreign_flag_changes_are_not_answers() {
        let flags = FetchData::from(vec![FetchItem::Uid(7), FetchItem::Flags(vec![])]);
        let env = FetchItems::from("(ENVELOPE BODY.PEEK[HEADER.FIELDS (FLAGS)])").wanted();
        assert!(!env.answers(&flags));
        let with_envelope = vec![FetchItem::Uid(7), FetchItem::Envelope(Box::default())];
        assert!(env.answers(&with_envelope.into()));
        assert!(FetchItems::from("FAST").wanted().answers(&flags));
        assert!(FetchItems::from(FetchAttr::Flags).wanted().answers(&flags));
        assert!(
            !FetchItems::from(FetchAttr::Rfc822Size)
                .wanted()
                .answers(&flags)
        );
        let gm = FetchItems::from("X-GM-LABELS").wanted();
        let other = FetchItem::Other {
            name: "X-GM-LABELS".into(),
            value: "()".into(),
        };
        assert!(gm.answers(&vec![other].into()));
        assert!(!gm.answers(&flags));
    }

    #[test]
    fn items_are_checked() {
        assert!(check_items("(FLAGS BODY.PEEK[HEADER.FIELDS (FROM)])").is_ok());
        assert!(
            check_items("FLAGS)")
                .unwrap_err()
                .to_string()
                .contains("byte 5")
        );
        assert!(check_items("(FLAGS").is_err());
        assert!(
            check_items("FLAGS\r\nA9 LOGOUT")
                .unwrap_err()
                .to_string()
                .contains("byte 5")
        );
    }
}
