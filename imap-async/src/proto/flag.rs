//! Message flags (RFC 3501 §2.3.2, RFC 9051 §2.3.2): system flags and keywords.
//!
//! Flags compare ASCII-case-insensitively (RFC 9051 §9 note 1: "all alphabetic characters
//! are case insensitive" unless noted, and flags are not noted otherwise), so `\SEEN` is
//! [`Flag::Seen`] and a keyword `$junk` equals `$Junk`; a keyword keeps the text it was
//! given or received, so it is sent and shown as such.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use super::encode::is_atom_char;

/// A message flag: a system flag (`\Seen`, ...), `\*`, another `\`-flag, or a keyword.
///
/// Arguments that take flags accept anything that converts into a `Flag`: the variants,
/// [`Flag::keyword`], and strings in wire form (`"\\Seen"`, `"$Junk"`), so
/// `&["\\Seen"]`, `&[Flag::Seen]` and `[Flag::keyword("$Junk")]` all work. A string is
/// checked when the command is built: a flag that is not an IMAP atom (a space, a
/// parenthesis, ...) fails that command with an error naming the flag. [`Flag::parse`]
/// checks earlier.
///
/// [`Display`](fmt::Display) gives the wire form.
///
/// ```
/// use imap_async::Flag;
///
/// assert_eq!(Flag::from("\\SEEN"), Flag::Seen);
/// assert_eq!(Flag::Seen.to_string(), "\\Seen");
/// let junk = Flag::keyword("$Junk");
/// assert_eq!(junk, Flag::from("$junk")); // case-insensitive, RFC 9051 §9
/// assert_eq!(junk.to_string(), "$Junk"); // the text as given
/// assert!(Flag::parse("bad flag").is_err());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Flag {
    /// `\Seen`: the message has been read.
    Seen,
    /// `\Answered`: the message has been answered.
    Answered,
    /// `\Flagged`: the message is flagged for urgent or special attention.
    Flagged,
    /// `\Deleted`: the message is marked for removal by EXPUNGE.
    Deleted,
    /// `\Draft`: the message is a draft.
    Draft,
    /// `\Recent` (IMAP4rev1 only): first session to see the message. Servers set it;
    /// clients cannot.
    Recent,
    /// `\*`, only in `PERMANENTFLAGS` (RFC 3501 §7.1): new keywords can be created.
    MayCreate,
    /// Another `\`-flag (RFC 3501 §9 `flag-extension`), e.g. Gmail's `\Important`: its
    /// name without the backslash.
    Extension(String),
    /// A keyword (RFC 3501 §9 `flag-keyword`), e.g. `$Junk`, `$Forwarded`, `NonJunk`, as
    /// given or sent.
    Keyword(String),
}

/// A string that is not a flag, from [`Flag::parse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag:?} is not a valid IMAP flag: {reason}")]
pub struct FlagError {
    /// The rejected text.
    pub flag: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Flag {
    /// No flags, where an argument takes flags: `&[]` alone cannot say what type its
    /// (absent) elements have, so write `Flag::NONE` (e.g. to APPEND without flags or to
    /// clear every flag with `set_flags`).
    ///
    /// ```
    /// use imap_async::{Flag, session::AppendMessage};
    ///
    /// let msg = AppendMessage::new("Subject: x\r\n\r\n").flags(Flag::NONE);
    /// # let _ = msg;
    /// ```
    pub const NONE: &'static [Flag] = &[];

    /// The keyword `name` (e.g. `$Junk`), kept as given. It is checked when sent (it must be
    /// an atom: no space, parenthesis, `{`, `%`, `*`, `"`, `\` or `]`).
    ///
    /// ```
    /// use imap_async::Flag;
    ///
    /// assert_eq!(Flag::keyword("$Junk").to_string(), "$Junk");
    /// ```
    pub fn keyword(name: impl Into<String>) -> Flag {
        Flag::Keyword(name.into())
    }

    /// Parse a flag in wire form, checking its syntax (RFC 3501 §9 `flag`, plus `\*`):
    /// system flags in any case, `\` + atom for an extension flag, an atom for a keyword.
    ///
    /// ```
    /// use imap_async::Flag;
    ///
    /// assert_eq!(Flag::parse("\\deleted")?, Flag::Deleted);
    /// assert_eq!(Flag::parse("$Forwarded")?, Flag::keyword("$Forwarded"));
    /// let err = Flag::parse("$Bad Flag").unwrap_err();
    /// assert_eq!(err.to_string(), "\"$Bad Flag\" is not a valid IMAP flag: \
    ///     a keyword is an atom: no space, control character or any of (){%*\"\\]");
    /// # Ok::<(), imap_async::FlagError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Flag, FlagError> {
        let flag = Flag::from(text);
        flag.check().map_err(|reason| FlagError {
            flag: text.to_owned(),
            reason,
        })?;
        Ok(flag)
    }

    /// Whether the flag can be sent in a STORE or APPEND: an atom after the optional `\`.
    pub(crate) fn check(&self) -> Result<(), &'static str> {
        let atom = |s: &str| !s.is_empty() && s.bytes().all(is_atom_char);
        match self {
            Flag::Keyword(k) if !atom(k) => {
                Err("a keyword is an atom: no space, control character or any of (){%*\"\\]")
            }
            Flag::Extension(e) if !atom(e) => {
                Err("a \\-flag is \\ and an atom: no space, control character or any of (){%*\"\\]")
            }
            _ => Ok(()),
        }
    }

    /// Whether this is one of the system flags of RFC 3501 §2.3.2 (`\Seen`, `\Answered`,
    /// `\Flagged`, `\Deleted`, `\Draft`, `\Recent`).
    ///
    /// ```
    /// use imap_async::Flag;
    ///
    /// assert!(Flag::Seen.is_system());
    /// assert!(!Flag::keyword("$Junk").is_system());
    /// ```
    pub fn is_system(&self) -> bool {
        matches!(
            self,
            Flag::Seen
                | Flag::Answered
                | Flag::Flagged
                | Flag::Deleted
                | Flag::Draft
                | Flag::Recent
        )
    }

    /// The keyword's text, if this is a keyword.
    ///
    /// ```
    /// use imap_async::Flag;
    ///
    /// assert_eq!(Flag::from("$Junk").as_keyword(), Some("$Junk"));
    /// assert_eq!(Flag::Seen.as_keyword(), None);
    /// ```
    pub fn as_keyword(&self) -> Option<&str> {
        match self {
            Flag::Keyword(k) => Some(k),
            _ => None,
        }
    }

    /// The wire form without allocating for system flags.
    fn wire(&self) -> WireForm<'_> {
        match self {
            Flag::Seen => WireForm::Static("\\Seen"),
            Flag::Answered => WireForm::Static("\\Answered"),
            Flag::Flagged => WireForm::Static("\\Flagged"),
            Flag::Deleted => WireForm::Static("\\Deleted"),
            Flag::Draft => WireForm::Static("\\Draft"),
            Flag::Recent => WireForm::Static("\\Recent"),
            Flag::MayCreate => WireForm::Static("\\*"),
            Flag::Extension(e) => WireForm::Backslash(e),
            Flag::Keyword(k) => WireForm::Static(k),
        }
    }

    /// The wire form's bytes, lower-cased, for comparison and hashing.
    fn folded(&self) -> impl Iterator<Item = u8> + '_ {
        let (prefix, rest): (&[u8], &str) = match self.wire() {
            WireForm::Static(s) => (b"", s),
            WireForm::Backslash(s) => (b"\\", s),
        };
        prefix
            .iter()
            .copied()
            .chain(rest.bytes())
            .map(|b| b.to_ascii_lowercase())
    }
}

enum WireForm<'a> {
    Static(&'a str),
    Backslash(&'a str),
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.wire() {
            WireForm::Static(s) => f.write_str(s),
            WireForm::Backslash(s) => write!(f, "\\{s}"),
        }
    }
}

impl PartialEq for Flag {
    fn eq(&self, other: &Flag) -> bool {
        self.folded().eq(other.folded())
    }
}

impl Eq for Flag {}

impl Hash for Flag {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.folded() {
            state.write_u8(b);
        }
        state.write_u8(0xff);
    }
}

/// Ordered by wire form, ignoring ASCII case (so consistent with `Eq`).
impl Ord for Flag {
    fn cmp(&self, other: &Flag) -> Ordering {
        self.folded().cmp(other.folded())
    }
}

impl PartialOrd for Flag {
    fn partial_cmp(&self, other: &Flag) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A flag in wire form, not checked (sending it checks it): a system flag in any case,
/// `\*`, `\name` for another `\`-flag, anything else a keyword.
impl From<&str> for Flag {
    fn from(text: &str) -> Flag {
        Flag::from_wire(text.as_bytes())
    }
}

impl From<&&str> for Flag {
    fn from(text: &&str) -> Flag {
        Flag::from(*text)
    }
}

impl From<String> for Flag {
    fn from(text: String) -> Flag {
        Flag::from(text.as_str())
    }
}

impl From<&String> for Flag {
    fn from(text: &String) -> Flag {
        Flag::from(text.as_str())
    }
}

impl From<&Flag> for Flag {
    fn from(flag: &Flag) -> Flag {
        flag.clone()
    }
}

impl FromStr for Flag {
    type Err = FlagError;

    /// [`Flag::parse`].
    fn from_str(s: &str) -> Result<Flag, FlagError> {
        Flag::parse(s)
    }
}

impl PartialEq<str> for Flag {
    fn eq(&self, other: &str) -> bool {
        // A string's flag has the string's text, so comparing folded text is enough.
        self.folded()
            .eq(other.bytes().map(|b| b.to_ascii_lowercase()))
    }
}

impl PartialEq<&str> for Flag {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

/// With the `serde` feature a flag is written as its wire form (`"\\Seen"`, `"$Junk"`), so
/// states saved when flags were strings still load.
#[cfg(feature = "serde")]
impl serde::Serialize for Flag {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Flag::from(text.as_ref()))
    }
}

/// Flags received from a server (`FLAGS (...)`), as [`Flag`]s. Bytes that are not UTF-8
/// (which no atom contains) are replaced rather than failing the response.
impl Flag {
    /// A flag in wire form, unchecked (as a server sent it, or as a caller wrote it):
    /// system flags matched without case and without a copy (they are most of what
    /// servers send), keywords and extensions copied.
    pub(crate) fn from_wire(b: &[u8]) -> Flag {
        let Some(name) = b.strip_prefix(b"\\") else {
            return Flag::Keyword(String::from_utf8_lossy(b).into_owned());
        };
        // By length first, then one compare without case: this runs for every flag of
        // every message fetched.
        let is = |word: &[u8]| name.eq_ignore_ascii_case(word);
        let system = match name.len() {
            4 if is(b"Seen") => Some(Flag::Seen),
            5 if is(b"Draft") => Some(Flag::Draft),
            6 if is(b"Recent") => Some(Flag::Recent),
            7 if is(b"Flagged") => Some(Flag::Flagged),
            7 if is(b"Deleted") => Some(Flag::Deleted),
            8 if is(b"Answered") => Some(Flag::Answered),
            1 if name == b"*" => Some(Flag::MayCreate),
            _ => None,
        };
        if let Some(flag) = system {
            return flag;
        }
        Flag::Extension(String::from_utf8_lossy(name).into_owned())
    }
}

pub(crate) fn flags_from_wire(list: &[bytes::Bytes]) -> Vec<Flag> {
    list.iter().map(|b| Flag::from_wire(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn system_flags_parse_in_any_case_and_print_canonically() {
        for (text, flag) in [
            ("\\Seen", Flag::Seen),
            ("\\SEEN", Flag::Seen),
            ("\\answered", Flag::Answered),
            ("\\Flagged", Flag::Flagged),
            ("\\DeLeTeD", Flag::Deleted),
            ("\\Draft", Flag::Draft),
            ("\\Recent", Flag::Recent),
            ("\\*", Flag::MayCreate),
        ] {
            let parsed = Flag::parse(text).unwrap();
            assert!(matches!(
                (&parsed, &flag),
                (Flag::Seen, Flag::Seen)
                    | (Flag::Answered, Flag::Answered)
                    | (Flag::Flagged, Flag::Flagged)
                    | (Flag::Deleted, Flag::Deleted)
                    | (Flag::Draft, Flag::Draft)
                    | (Flag::Recent, Flag::Recent)
                    | (Flag::MayCreate, Flag::MayCreate)
            ));
            assert!(text.eq_ignore_ascii_case(&parsed.to_string()));
        }
        assert_eq!(Flag::Deleted.to_string(), "\\Deleted");
        // Names as long as a system flag's, or one byte off, are extensions.
        for text in [
            "\\Seem",
            "\\Seen2",
            "\\Drafts",
            "\\Flagger",
            "\\Answers",
            "\\**",
            "\\",
        ] {
            let name = text.strip_prefix('\\').unwrap_or(text);
            assert_eq!(
                Flag::from_wire(text.as_bytes()),
                Flag::Extension(name.into()),
                "{text}"
            );
        }
    }

    #[test]
    fn keywords_and_extensions_keep_their_text_and_compare_without_case() {
        let k = Flag::from("$MDNSent");
        assert_eq!(k, Flag::Keyword("$MDNSent".into()));
        assert_eq!(k.to_string(), "$MDNSent");
        assert_eq!(k, Flag::keyword("$mdnsent"));
        assert_ne!(k, Flag::keyword("$MDNSent2"));
        let e = Flag::from("\\Important");
        assert_eq!(e, Flag::Extension("important".into()));
        assert_eq!(e.to_string(), "\\Important");
        // A keyword never equals a \-flag of the same name.
        assert_ne!(Flag::keyword("Seen"), Flag::Seen);
        let set: HashSet<Flag> = ["$Junk", "$JUNK", "\\seen", "\\Seen"]
            .iter()
            .map(Flag::from)
            .collect();
        assert_eq!(set.len(), 2);
        let mut sorted = [Flag::keyword("b"), Flag::Seen, Flag::keyword("A")];
        sorted.sort();
        assert_eq!(
            sorted.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
            ["\\Seen", "A", "b"]
        );
    }

    #[test]
    fn a_keyword_with_a_bad_character_is_rejected_naming_it() {
        for bad in [
            "$Bad Flag",
            "a(b",
            "x\"y",
            "",
            "k]",
            "\\",
            "\\Se en",
            "a\r\nb",
        ] {
            let err = Flag::parse(bad).unwrap_err();
            assert_eq!(err.flag, bad);
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
        assert!("$Junk".parse::<Flag>().is_ok());
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_uses_the_wire_form_so_states_saved_with_strings_load() {
        let saved = r#"["\\Seen","$Junk","\\Important"]"#;
        let flags: Vec<Flag> = serde_json::from_str(saved).unwrap();
        assert_eq!(
            flags,
            [
                Flag::Seen,
                Flag::keyword("$Junk"),
                Flag::Extension("Important".into())
            ]
        );
        assert_eq!(serde_json::to_string(&flags).unwrap(), saved);
    }

    #[test]
    fn comparisons_with_strings() {
        assert_eq!(Flag::Seen, "\\seen");
        assert!(Flag::keyword("$Junk") == *"$junk");
    }
}
