//! Which server family a connection talks to, and whether the session introduces itself
//! with ID (RFC 2971). Both are chosen in the connection options and acted on by the
//! session (see `session/server/identity.rs` for how the family is recognised), so they live
//! below both.

/// The server families the session recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ServerKind {
    /// Gmail (`imap.gmail.com`, greeting "Gimap ready", `X-GM-EXT-1`).
    Gmail,
    /// Microsoft Exchange, Outlook.com and Office 365.
    Exchange,
    /// Apple iCloud Mail.
    ICloud,
    /// Yahoo Mail (and AOL, same servers).
    Yahoo,
    /// Fastmail (runs Cyrus; recognised by name before Cyrus).
    Fastmail,
    /// Dovecot.
    Dovecot,
    /// Cyrus IMAP.
    Cyrus,
    /// NetEase mail (163.com, 126.com, yeah.net), served by Coremail.
    NetEase,
    /// Mail.ru.
    MailRu,
    /// free.fr.
    FreeFr,
    /// Not recognised: no workaround keyed on the server is applied.
    #[default]
    Other,
}

impl ServerKind {
    /// A short human name, as used in logs and errors.
    ///
    /// ```
    /// use imap_async::ServerKind;
    ///
    /// assert_eq!(ServerKind::NetEase.label(), "163.com (NetEase)");
    /// assert_eq!(ServerKind::Other.label(), "unrecognised server");
    /// ```
    pub fn label(self) -> &'static str {
        match self {
            ServerKind::Gmail => "Gmail",
            ServerKind::Exchange => "Exchange/Office 365",
            ServerKind::ICloud => "iCloud",
            ServerKind::Yahoo => "Yahoo",
            ServerKind::Fastmail => "Fastmail",
            ServerKind::Dovecot => "Dovecot",
            ServerKind::Cyrus => "Cyrus",
            ServerKind::NetEase => "163.com (NetEase)",
            ServerKind::MailRu => "Mail.ru",
            ServerKind::FreeFr => "free.fr",
            ServerKind::Other => "unrecognised server",
        }
    }

    /// Whether the server refuses SELECT until the client sent ID (163.com).
    pub(crate) fn needs_id(self) -> bool {
        self == ServerKind::NetEase
    }

    /// Whether the server refuses every `CHARSET` argument to SEARCH (Yahoo).
    pub(crate) fn rejects_search_charset(self) -> bool {
        self == ServerKind::Yahoo
    }
}

/// Whether the session sends ID (RFC 2971) right after login.
///
/// The default, [`IdPolicy::Auto`], sends it only to servers known to need it (163.com
/// refuses SELECT with "Unsafe Login" until it has seen ID, mjs/imapclient#544). It is not
/// sent everywhere because it costs a round trip on every login and tells the server the
/// client's name and version, which most servers do not need. [`IdPolicy::Always`] sends
/// it whenever the server advertises ID, which also lets [`ServerIdentity`](crate::ServerIdentity) carry the
/// server's name and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IdPolicy {
    /// Only to servers that need it (today: 163.com / NetEase).
    #[default]
    Auto,
    /// Whenever the server advertises ID.
    Always,
    /// Never; call [`Session::id`](crate::Session::id) yourself.
    Never,
}
