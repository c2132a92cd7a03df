//! Capability names (RFC 3501 §7.2.1, RFC 9051 §7.2.2 `capability`), typed.
//!
//! Names compare without case (RFC 9051 §9 note 1); [`Capability::Other`] keeps any name
//! this crate does not know, so nothing a server advertises is lost.

use std::convert::Infallible;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

macro_rules! capabilities {
    ($($(#[$doc:meta])* $variant:ident => $wire:literal,)*) => {
        /// One capability, as advertised in `CAPABILITY` or named in ENABLE.
        ///
        /// Parsed from text without case (`"idle"` is [`Capability::Idle`]); names with a
        /// value keep it upper-cased (`AUTH=PLAIN` is `Auth("PLAIN")`); anything else is
        /// [`Capability::Other`] with its text. [`Display`](fmt::Display) gives the wire
        /// form. Equality ignores case, also for `Other`.
        ///
        /// ```
        /// use imap_async::Capability;
        ///
        /// assert_eq!(Capability::from("idle"), Capability::Idle);
        /// assert_eq!(Capability::from("auth=xoauth2"), Capability::Auth("XOAUTH2".into()));
        /// assert_eq!(Capability::Compress("DEFLATE".into()).to_string(), "COMPRESS=DEFLATE");
        /// assert_eq!(Capability::from("X-SOMETHING"), Capability::Other("x-something".into()));
        /// ```
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub enum Capability {
            $($(#[$doc])* $variant,)*
            /// `AUTH=mechanism`: a SASL mechanism for AUTHENTICATE (RFC 3501 §6.2.2).
            Auth(String),
            /// `COMPRESS=algorithm` (RFC 4978), e.g. `DEFLATE`.
            Compress(String),
            /// `THREAD=algorithm` (RFC 5256), e.g. `REFERENCES`.
            Thread(String),
            /// Any other capability, as advertised.
            Other(String),
        }

        impl Capability {
            fn simple_name(&self) -> Option<&'static str> {
                match self {
                    $(Capability::$variant => Some($wire),)*
                    _ => None,
                }
            }

            fn simple_from(name: &str) -> Option<Capability> {
                $(if name.eq_ignore_ascii_case($wire) {
                    return Some(Capability::$variant);
                })*
                None
            }
        }
    };
}

capabilities! {
    /// `IMAP4rev1` (RFC 3501).
    Imap4rev1 => "IMAP4rev1",
    /// `IMAP4rev2` (RFC 9051).
    Imap4rev2 => "IMAP4rev2",
    /// `STARTTLS` (RFC 3501 §6.2.1).
    StartTls => "STARTTLS",
    /// `LOGINDISABLED`: LOGIN is refused on this connection (RFC 3501 §6.2.3).
    LoginDisabled => "LOGINDISABLED",
    /// `IDLE` (RFC 2177).
    Idle => "IDLE",
    /// `CONDSTORE` (RFC 7162).
    Condstore => "CONDSTORE",
    /// `QRESYNC` (RFC 7162).
    Qresync => "QRESYNC",
    /// `MOVE` (RFC 6851).
    Move => "MOVE",
    /// `UIDPLUS` (RFC 4315).
    Uidplus => "UIDPLUS",
    /// `LITERAL+` (RFC 7888).
    LiteralPlus => "LITERAL+",
    /// `LITERAL-` (RFC 7888).
    LiteralMinus => "LITERAL-",
    /// `SASL-IR` (RFC 4959).
    SaslIr => "SASL-IR",
    /// `ENABLE` (RFC 5161).
    Enable => "ENABLE",
    /// `NOTIFY` (RFC 5465).
    Notify => "NOTIFY",
    /// `LIST-STATUS` (RFC 5819).
    ListStatus => "LIST-STATUS",
    /// `LIST-EXTENDED` (RFC 5258).
    ListExtended => "LIST-EXTENDED",
    /// `NAMESPACE` (RFC 2342).
    Namespace => "NAMESPACE",
    /// `ID` (RFC 2971).
    Id => "ID",
    /// `QUOTA` (RFC 9208).
    Quota => "QUOTA",
    /// `ACL` (RFC 4314).
    Acl => "ACL",
    /// `METADATA` (RFC 5464).
    Metadata => "METADATA",
    /// `METADATA-SERVER` (RFC 5464).
    MetadataServer => "METADATA-SERVER",
    /// `OBJECTID` (RFC 8474).
    ObjectId => "OBJECTID",
    /// `ESEARCH` (RFC 4731).
    Esearch => "ESEARCH",
    /// `SEARCHRES` (RFC 5182).
    SearchRes => "SEARCHRES",
    /// `SORT` (RFC 5256).
    Sort => "SORT",
    /// `SPECIAL-USE` (RFC 6154).
    SpecialUse => "SPECIAL-USE",
    /// `CREATE-SPECIAL-USE` (RFC 6154).
    CreateSpecialUse => "CREATE-SPECIAL-USE",
    /// `UNSELECT` (RFC 3691).
    Unselect => "UNSELECT",
    /// `BINARY` (RFC 3516).
    Binary => "BINARY",
    /// `MULTIAPPEND` (RFC 3502).
    Multiappend => "MULTIAPPEND",
    /// `CHILDREN` (RFC 3348).
    Children => "CHILDREN",
    /// `UTF8=ACCEPT` (RFC 6855).
    Utf8Accept => "UTF8=ACCEPT",
    /// `STATUS=SIZE` (RFC 8438).
    StatusSize => "STATUS=SIZE",
    /// `XLIST` (Gmail's older special-use LIST).
    Xlist => "XLIST",
    /// `X-GM-EXT-1` (Gmail's labels, message and thread ids).
    GmailExt1 => "X-GM-EXT-1",
}

impl Capability {
    /// The wire name, upper-cased, for comparison.
    fn folded(&self) -> String {
        self.to_string().to_ascii_uppercase()
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = self.simple_name() {
            return f.write_str(name);
        }
        match self {
            Capability::Auth(m) => write!(f, "AUTH={m}"),
            Capability::Compress(a) => write!(f, "COMPRESS={a}"),
            Capability::Thread(a) => write!(f, "THREAD={a}"),
            Capability::Other(o) => f.write_str(o),
            _ => Ok(()),
        }
    }
}

/// Parse a capability name; never fails ([`Capability::Other`] takes unknown names).
impl From<&str> for Capability {
    fn from(name: &str) -> Capability {
        if let Some(c) = Capability::simple_from(name) {
            return c;
        }
        let valued = |prefix: &str| {
            name.get(..prefix.len())
                .filter(|p| p.eq_ignore_ascii_case(prefix))
                .map(|_| name[prefix.len()..].to_ascii_uppercase())
                .filter(|v| !v.is_empty())
        };
        if let Some(m) = valued("AUTH=") {
            Capability::Auth(m)
        } else if let Some(a) = valued("COMPRESS=") {
            Capability::Compress(a)
        } else if let Some(a) = valued("THREAD=") {
            Capability::Thread(a)
        } else {
            Capability::Other(name.to_owned())
        }
    }
}

impl From<&&str> for Capability {
    fn from(name: &&str) -> Capability {
        Capability::from(*name)
    }
}

impl From<String> for Capability {
    fn from(name: String) -> Capability {
        Capability::from(name.as_str())
    }
}

impl From<&String> for Capability {
    fn from(name: &String) -> Capability {
        Capability::from(name.as_str())
    }
}

impl From<&Capability> for Capability {
    fn from(c: &Capability) -> Capability {
        c.clone()
    }
}

impl FromStr for Capability {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Capability, Infallible> {
        Ok(Capability::from(s))
    }
}

impl PartialEq for Capability {
    fn eq(&self, other: &Capability) -> bool {
        self.folded() == other.folded()
    }
}

impl Eq for Capability {}

impl Hash for Capability {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.folded().hash(state);
    }
}

impl PartialEq<str> for Capability {
    fn eq(&self, other: &str) -> bool {
        self.folded().eq_ignore_ascii_case(other)
    }
}

impl PartialEq<&str> for Capability {
    fn eq(&self, other: &&str) -> bool {
        self.folded().eq_ignore_ascii_case(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_without_case_and_print_back() {
        for (text, cap) in [
            ("IMAP4rev1", Capability::Imap4rev1),
            ("imap4REV2", Capability::Imap4rev2),
            ("Idle", Capability::Idle),
            ("literal+", Capability::LiteralPlus),
            ("LITERAL-", Capability::LiteralMinus),
            ("sasl-ir", Capability::SaslIr),
            ("utf8=accept", Capability::Utf8Accept),
            ("x-gm-ext-1", Capability::GmailExt1),
            ("auth=plain", Capability::Auth("PLAIN".into())),
            ("COMPRESS=deflate", Capability::Compress("DEFLATE".into())),
            ("THREAD=REFERENCES", Capability::Thread("REFERENCES".into())),
            ("XYZZY", Capability::Other("XYZZY".into())),
        ] {
            let parsed = Capability::from(text);
            assert_eq!(parsed, cap, "{text}");
            assert!(parsed.to_string().eq_ignore_ascii_case(text), "{text}");
        }
        // A bare `AUTH=` has no mechanism: kept as text.
        assert!(matches!(Capability::from("AUTH="), Capability::Other(_)));
        assert_ne!(Capability::Idle, Capability::Other("IDLE2".into()));
        assert_eq!(Capability::Other("IDLE".into()), Capability::Idle);
        assert_eq!(Capability::Idle, "idle");
    }
}
