//! Body sections of `BODY[section]` and `BINARY[section]` (RFC 3501 §6.4.5, RFC 9051 §6.4.5
//! `section-spec`).
//!
//! A server echoes the section it answers in its own spelling (`BODY[HEADER.FIELDS (Subject
//! "From")]` for a request of `HEADER.FIELDS (SUBJECT FROM)`), so answers are matched by
//! comparing parsed sections: keywords and header field names without case (field names
//! are case-insensitive, RFC 5322 §1.2.2; the keywords by RFC 9051 §9 note 1), quoting
//! ignored, field lists compared as sets.

use std::fmt;
use std::str::FromStr;

use super::encode::is_atom_char;

/// A body section (`section-spec`): the whole message, its header or text, a header field
/// subset, or a MIME part (by part numbers) and optionally its header, text or MIME header.
///
/// [`Display`](fmt::Display) gives the wire form. Strings convert with `From` (so
/// `FetchAttr::body_peek("HEADER")` keeps working): text that is not a section-spec becomes
/// [`Section::Other`], and a FETCH asking for it fails before anything is sent, with an
/// error naming the text and what is wrong. [`Section::parse`] reports that error at once.
///
/// ```
/// use imap_async::Section;
///
/// let asked = Section::HeaderFields(vec!["SUBJECT".into(), "FROM".into()]);
/// assert_eq!(asked.to_string(), "HEADER.FIELDS (SUBJECT FROM)");
/// // The server's echo matches whatever its case and quoting.
/// assert_eq!(Section::parse("header.fields (Subject \"From\")")?, asked);
/// assert_eq!(Section::part([1, 2]).with(Section::Mime).to_string(), "1.2.MIME");
/// assert_eq!(Section::from("1.TEXT"), Section::part([1]).with(Section::Text));
/// assert!(Section::parse("HEADR").is_err());
/// # Ok::<(), imap_async::SectionError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Section {
    /// `""`: the whole message (`BODY[]`).
    Full,
    /// `HEADER`: the RFC 5322 header, with the blank line after it.
    Header,
    /// `HEADER.FIELDS (name ...)`: only these header fields.
    HeaderFields(Vec<String>),
    /// `HEADER.FIELDS.NOT (name ...)`: every header field but these.
    HeaderFieldsNot(Vec<String>),
    /// `TEXT`: the body, without the header.
    Text,
    /// `MIME`: a part's MIME header; only inside [`Section::Part`] (RFC 3501 §6.4.5).
    Mime,
    /// A part by its numbers (`1.2` is the second part of the first part), optionally with
    /// what of it: [`Header`](Self::Header), [`HeaderFields`](Self::HeaderFields),
    /// [`HeaderFieldsNot`](Self::HeaderFieldsNot), [`Text`](Self::Text) (of an enclosed
    /// `message/rfc822`) or [`Mime`](Self::Mime). Part numbers start at 1.
    Part(Vec<u32>, Option<Box<Section>>),
    /// Text that is not a section-spec, kept as given: a string given as a section that
    /// did not parse (a FETCH of it fails with an error naming it), or a server's echo this
    /// crate cannot read (matched by its text, without case).
    Other(String),
}

/// Text that is not a section-spec, from [`Section::parse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{section:?} is not a body section (RFC 3501 §6.4.5 section-spec): {reason}")]
pub struct SectionError {
    /// The rejected text.
    pub section: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Section {
    /// A part by its numbers, e.g. `Section::part([1, 2])` for `1.2`.
    ///
    /// ```
    /// use imap_async::Section;
    ///
    /// assert_eq!(Section::part([2]).to_string(), "2");
    /// ```
    pub fn part(numbers: impl IntoIterator<Item = u32>) -> Section {
        Section::Part(numbers.into_iter().collect(), None)
    }

    /// This part's `HEADER`, `HEADER.FIELDS ...`, `TEXT` or `MIME`; on anything but a
    /// [`Section::Part`] without one, `of` replaces `self`.
    ///
    /// ```
    /// use imap_async::Section;
    ///
    /// assert_eq!(Section::part([3]).with(Section::Header).to_string(), "3.HEADER");
    /// ```
    pub fn with(self, of: Section) -> Section {
        match self {
            Section::Part(path, None) => Section::Part(path, Some(Box::new(of))),
            _ => of,
        }
    }

    /// Parse section-spec text as sent or echoed: keywords in any case, header field names
    /// as atoms or quoted strings.
    ///
    /// ```
    /// use imap_async::Section;
    ///
    /// assert_eq!(Section::parse("")?, Section::Full);
    /// assert_eq!(Section::parse("1.2.mime")?, Section::part([1, 2]).with(Section::Mime));
    /// let err = Section::parse("1.0").unwrap_err();
    /// assert!(err.to_string().contains("part numbers start at 1"), "{err}");
    /// # Ok::<(), imap_async::SectionError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Section, SectionError> {
        let fail = |reason: &str| SectionError {
            section: text.to_owned(),
            reason: reason.to_owned(),
        };
        let mut rest = text;
        let mut path = Vec::new();
        // Part numbers: digits followed by "." or the end.
        loop {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                break;
            }
            let after = &rest[digits..];
            if !(after.is_empty() || after.starts_with('.')) {
                break;
            }
            let n: u32 = rest[..digits]
                .parse()
                .map_err(|_| fail("a part number does not fit in 32 bits"))?;
            if n == 0 {
                return Err(fail("part numbers start at 1"));
            }
            path.push(n);
            rest = after.strip_prefix('.').unwrap_or(after);
            if after.is_empty() {
                break;
            }
            if rest.is_empty() {
                return Err(fail("nothing after the final '.'"));
            }
        }
        let tail = if rest.is_empty() {
            None
        } else {
            Some(parse_text(rest).map_err(|r| fail(&r))?)
        };
        match (path.is_empty(), tail) {
            (true, Some(Section::Mime)) => Err(fail("MIME needs a part number before it")),
            (true, Some(s)) => Ok(s),
            (false, tail) => Ok(Section::Part(path, tail.map(Box::new))),
            (true, None) => Ok(Section::Full),
        }
    }

    /// Why this section cannot be sent, if it cannot.
    pub(crate) fn check(&self) -> Result<(), SectionError> {
        let fail = |reason: &str| {
            Err(SectionError {
                section: self.to_string(),
                reason: reason.to_owned(),
            })
        };
        match self {
            Section::Other(text) => Section::parse(text)?.check(),
            Section::Mime => fail("MIME needs a part number before it"),
            Section::HeaderFields(f) | Section::HeaderFieldsNot(f) => check_fields(self, f),
            Section::Part(path, tail) => {
                if path.is_empty() {
                    return fail("a part needs at least one number");
                }
                if path.contains(&0) {
                    return fail("part numbers start at 1");
                }
                match tail.as_deref() {
                    None | Some(Section::Header | Section::Text | Section::Mime) => Ok(()),
                    Some(f @ (Section::HeaderFields(v) | Section::HeaderFieldsNot(v))) => {
                        check_fields(f, v)
                    }
                    Some(_) => fail("after part numbers only HEADER, HEADER.FIELDS, TEXT or MIME"),
                }
            }
            Section::Full | Section::Header | Section::Text => Ok(()),
        }
    }

    /// The text to send: `Other` text that parses is sent as parsed, so only checked
    /// forms reach the wire.
    pub(crate) fn wire(&self) -> String {
        self.normal().to_string()
    }

    /// The same section with `Other` text parsed where it can be, for comparison.
    fn normal(&self) -> std::borrow::Cow<'_, Section> {
        match self {
            Section::Other(t) => match Section::parse(t) {
                Ok(s) => std::borrow::Cow::Owned(s),
                Err(_) => std::borrow::Cow::Borrowed(self),
            },
            _ => std::borrow::Cow::Borrowed(self),
        }
    }
}

fn check_fields(section: &Section, fields: &[String]) -> Result<(), SectionError> {
    let fail = |reason: &str| {
        Err(SectionError {
            section: section.to_string(),
            reason: reason.to_owned(),
        })
    };
    if fields.is_empty() {
        return fail("a header field list needs at least one name");
    }
    for f in fields {
        // RFC 5322 §3.6.8 field-name: printable ASCII but ":" and space.
        if f.is_empty() || !f.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b':') {
            return fail(&format!(
                "header field name {f:?} is not printable ASCII without ':' and space"
            ));
        }
    }
    Ok(())
}

/// `section-msgtext / "MIME"` after any part numbers.
fn parse_text(text: &str) -> Result<Section, String> {
    let (word, list) = match text.find(' ') {
        Some(i) => (&text[..i], Some(text[i + 1..].trim_start())),
        None => (text, None),
    };
    let up = word.to_ascii_uppercase();
    let fields = |list: Option<&str>| -> Result<Vec<String>, String> {
        let list = list.ok_or_else(|| format!("{word} needs a list of header field names"))?;
        parse_field_list(list)
    };
    match up.as_str() {
        "HEADER" | "TEXT" | "MIME" if list.is_some() => {
            Err(format!("unexpected text after {word}"))
        }
        "HEADER" => Ok(Section::Header),
        "TEXT" => Ok(Section::Text),
        "MIME" => Ok(Section::Mime),
        "HEADER.FIELDS" => Ok(Section::HeaderFields(fields(list)?)),
        "HEADER.FIELDS.NOT" => Ok(Section::HeaderFieldsNot(fields(list)?)),
        _ => Err(format!(
            "{word:?} is not HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT, MIME or a part number"
        )),
    }
}

/// `"(" header-fld-name *(SP header-fld-name) ")"`, names as atoms or quoted strings.
fn parse_field_list(list: &str) -> Result<Vec<String>, String> {
    let inner = list
        .strip_prefix('(')
        .and_then(|l| l.strip_suffix(')'))
        .ok_or("a header field list is in parentheses")?;
    let mut names = Vec::new();
    let mut rest = inner.trim_start_matches(' ');
    while !rest.is_empty() {
        if let Some(q) = rest.strip_prefix('"') {
            let mut name = String::new();
            let mut chars = q.char_indices();
            let end = loop {
                match chars.next() {
                    Some((i, '"')) => break i,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, c)) => name.push(c),
                        None => return Err("unterminated quoted field name".into()),
                    },
                    Some((_, c)) => name.push(c),
                    None => return Err("unterminated quoted field name".into()),
                }
            };
            names.push(name);
            rest = &q[end + 1..];
        } else {
            let len = rest.find(' ').unwrap_or(rest.len());
            let name = &rest[..len];
            if !name.bytes().all(|b| is_atom_char(b) || b == b']') {
                return Err(format!("field name {name:?} is neither an atom nor quoted"));
            }
            names.push(name.to_owned());
            rest = &rest[len..];
        }
        if !(rest.is_empty() || rest.starts_with(' ')) {
            return Err("field names are separated by spaces".into());
        }
        rest = rest.trim_start_matches(' ');
    }
    if names.is_empty() {
        return Err("a header field list needs at least one name".into());
    }
    Ok(names)
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, names: &[String]| -> fmt::Result {
            f.write_str(" (")?;
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                if !n.is_empty() && n.bytes().all(is_atom_char) {
                    f.write_str(n)?;
                } else {
                    write!(f, "\"{}\"", n.replace('\\', "\\\\").replace('"', "\\\""))?;
                }
            }
            f.write_str(")")
        };
        match self {
            Section::Full => Ok(()),
            Section::Header => f.write_str("HEADER"),
            Section::HeaderFields(n) => {
                f.write_str("HEADER.FIELDS")?;
                list(f, n)
            }
            Section::HeaderFieldsNot(n) => {
                f.write_str("HEADER.FIELDS.NOT")?;
                list(f, n)
            }
            Section::Text => f.write_str("TEXT"),
            Section::Mime => f.write_str("MIME"),
            Section::Part(path, tail) => {
                for (i, n) in path.iter().enumerate() {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    write!(f, "{n}")?;
                }
                if let Some(t) = tail {
                    write!(f, ".{t}")?;
                }
                Ok(())
            }
            Section::Other(t) => f.write_str(t),
        }
    }
}

/// Field names, upper-cased and sorted, for comparison as a set.
fn folded(names: &[String]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|n| n.to_ascii_uppercase()).collect();
    v.sort();
    v.dedup();
    v
}

/// Sections are equal when they name the same data: keywords and field names without case,
/// quoting ignored, field lists as sets; `Other` text is parsed first where it can be.
impl PartialEq for Section {
    fn eq(&self, other: &Section) -> bool {
        let (a, b) = (self.normal(), other.normal());
        match (a.as_ref(), b.as_ref()) {
            (Section::Full, Section::Full)
            | (Section::Header, Section::Header)
            | (Section::Text, Section::Text)
            | (Section::Mime, Section::Mime) => true,
            (Section::HeaderFields(x), Section::HeaderFields(y))
            | (Section::HeaderFieldsNot(x), Section::HeaderFieldsNot(y)) => folded(x) == folded(y),
            (Section::Part(p, t), Section::Part(q, u)) => p == q && t == u,
            (Section::Other(x), Section::Other(y)) => x.eq_ignore_ascii_case(y),
            _ => false,
        }
    }
}

impl Eq for Section {}

impl std::hash::Hash for Section {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Consistent with `Eq`: the normalised wire form, upper-cased, with field lists
        // sorted.
        fn norm(s: &Section) -> String {
            match s {
                Section::HeaderFields(f) => Section::HeaderFields(folded(f)).to_string(),
                Section::HeaderFieldsNot(f) => Section::HeaderFieldsNot(folded(f)).to_string(),
                Section::Part(p, Some(t)) => format!("{}.{}", Section::part(p.clone()), norm(t)),
                other => other.to_string().to_ascii_uppercase(),
            }
        }
        norm(self.normal().as_ref()).hash(state);
    }
}

/// Parse the text, or keep it as [`Section::Other`] when it is not a section-spec (a FETCH
/// of that fails with the parse error).
impl From<&str> for Section {
    fn from(text: &str) -> Section {
        Section::parse(text).unwrap_or_else(|_| Section::Other(text.to_owned()))
    }
}

impl From<String> for Section {
    fn from(text: String) -> Section {
        Section::from(text.as_str())
    }
}

impl From<&String> for Section {
    fn from(text: &String) -> Section {
        Section::from(text.as_str())
    }
}

impl From<&Section> for Section {
    fn from(s: &Section) -> Section {
        s.clone()
    }
}

impl FromStr for Section {
    type Err = SectionError;

    /// [`Section::parse`].
    fn from_str(s: &str) -> Result<Section, SectionError> {
        Section::parse(s)
    }
}

/// A section as a server echoed it (raw bytes from the parser).
pub(crate) fn section_from_wire(raw: &[u8]) -> Section {
    Section::from(String::from_utf8_lossy(raw).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_parses_and_prints_back() {
        for (text, section) in [
            ("", Section::Full),
            ("HEADER", Section::Header),
            ("TEXT", Section::Text),
            (
                "HEADER.FIELDS (FROM TO)",
                Section::HeaderFields(vec!["FROM".into(), "TO".into()]),
            ),
            (
                "HEADER.FIELDS.NOT (X-A)",
                Section::HeaderFieldsNot(vec!["X-A".into()]),
            ),
            ("1", Section::part([1])),
            ("1.2.3", Section::part([1, 2, 3])),
            ("2.MIME", Section::part([2]).with(Section::Mime)),
            ("4.2.HEADER", Section::part([4, 2]).with(Section::Header)),
            ("3.TEXT", Section::part([3]).with(Section::Text)),
            (
                "1.HEADER.FIELDS (SUBJECT)",
                Section::part([1]).with(Section::HeaderFields(vec!["SUBJECT".into()])),
            ),
        ] {
            let parsed = Section::parse(text).unwrap();
            assert_eq!(parsed, section, "{text}");
            assert!(!matches!(parsed, Section::Other(_)), "{text}");
            assert_eq!(section.to_string(), text);
            assert!(section.check().is_ok(), "{text}");
        }
    }

    #[test]
    fn an_echo_matches_whatever_its_case_and_quoting() {
        // The issue's case: echoed as `HEADER.FIELDS (Subject "From")`, asked as
        // `HEADER.FIELDS (SUBJECT FROM)`.
        let echo = section_from_wire(b"HEADER.FIELDS (Subject \"From\")");
        let asked = Section::from("HEADER.FIELDS (SUBJECT FROM)");
        assert_eq!(echo, asked);
        assert_eq!(
            echo,
            Section::HeaderFields(vec!["from".into(), "subject".into()])
        );
        assert_ne!(echo, Section::HeaderFields(vec!["SUBJECT".into()]));
        assert_ne!(
            echo,
            Section::HeaderFieldsNot(vec!["SUBJECT".into(), "FROM".into()])
        );
        assert_eq!(
            Section::from("1.mime"),
            Section::part([1]).with(Section::Mime)
        );
        assert_ne!(Section::from("1"), Section::from("1.MIME"));
        assert_ne!(Section::Header, Section::Text);
        use std::hash::BuildHasher;
        let state = std::hash::RandomState::new();
        let hash = |s: &Section| state.hash_one(s);
        assert_eq!(hash(&echo), hash(&asked));
        // A field name with a space must be quoted.
        assert_eq!(
            Section::HeaderFields(vec!["A B".into()]).to_string(),
            "HEADER.FIELDS (\"A B\")"
        );
    }

    #[test]
    fn bad_sections_are_rejected_naming_them() {
        for (bad, why) in [
            ("HEADR", "is not HEADER"),
            ("MIME", "MIME needs a part number"),
            ("1.0", "start at 1"),
            ("1.", "nothing after"),
            ("HEADER.FIELDS", "needs a list"),
            ("HEADER.FIELDS ()", "at least one name"),
            ("HEADER.FIELDS (FROM", "in parentheses"),
            ("HEADER x", "unexpected text"),
            ("1.HEADER.FIELDS (\"A)", "unterminated"),
            ("99999999999", "32 bits"),
        ] {
            let err = Section::parse(bad).unwrap_err();
            assert_eq!(err.section, bad);
            assert!(err.to_string().contains(why), "{bad}: {err}");
            // Given as a string, it is kept and refused when sent.
            let kept = Section::from(bad);
            assert!(matches!(kept, Section::Other(_)), "{bad}");
            assert!(kept.check().is_err());
        }
        assert!(Section::Mime.check().is_err());
        assert!(Section::part([1]).with(Section::part([2])).check().is_err());
        assert!(
            Section::HeaderFields(vec!["Sub:ject".into()])
                .check()
                .is_err()
        );
    }
}
