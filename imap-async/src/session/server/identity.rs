//! Which server the session talks to, and the documented workarounds applied for it.
//!
//! The identity is guessed from what the server shows before login (the host name the
//! client connected to, the greeting text, the capabilities) and refined after login
//! from the answer to ID (RFC 2971), when the session sent one. It only ever switches on
//! workarounds for behaviour that was reported on that server (see
//! `tests/quirks/` and `docs/compatibility.md`); every workaround applied is logged at
//! debug level with the server and what was changed.
//!
//! The workarounds are listed on [`ServerIdentity`].

use crate::server_kind::ServerKind;
use crate::session::Capabilities;

/// The server's answer to ID (RFC 2971 §3.2): field/value pairs in the order sent. A value
/// is `None` for `NIL`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerId {
    /// The pairs as the server sent them: field names as sent (RFC 2971 §3.3 makes them
    /// case-insensitive; look them up with [`ServerId::get`]), values `None` for NIL.
    pub fields: Vec<(String, Option<String>)>,
}

impl ServerId {
    /// The value of a field; field names are not case-sensitive (RFC 2971 §3.3). `None`
    /// when the field is absent or `NIL`.
    ///
    /// ```
    /// use imap_async::ServerId;
    ///
    /// let id = ServerId {
    ///     fields: vec![
    ///         ("name".into(), Some("Dovecot".into())),
    ///         ("support-url".into(), None),
    ///     ],
    /// };
    /// assert_eq!(id.get("NAME"), Some("Dovecot"));
    /// assert_eq!(id.get("support-url"), None);
    /// assert_eq!(id.get("version"), None);
    /// ```
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(field))
            .and_then(|(_, value)| value.as_deref())
    }
}

/// Who the session talks to: the recognised family, and what the server said about itself
/// ([`Session::server_identity`](crate::Session::server_identity)).
///
/// The greeting, the host name and capabilities particular to one server give the family
/// before login; after login, the server's ID answer (when ID was sent, see [`IdPolicy`](crate::IdPolicy))
/// gives its name and version and can correct the family. Every workaround the session
/// applies is logged at debug level, naming the server and the workaround.
///
/// Workarounds keyed on the identity:
/// - **163.com / NetEase (Coremail)** refuses SELECT ("Unsafe Login") until the client has
///   sent ID (mjs/imapclient#544): with [`IdPolicy::Auto`](crate::IdPolicy::Auto) the session sends ID right
///   after login.
/// - **Yahoo** refuses any `CHARSET` argument to SEARCH with `BAD [CLIENTBUG]`
///   (iroco-co/aioimaplib#126): ASCII searches never carry one (on every server), and a
///   search that would need `CHARSET UTF-8` fails with [`Error::ServerLimitation`]
///   before anything is sent.
///
/// Workarounds keyed on observed behaviour, for every server:
/// - FETCH or STORE of a set with `*` refused with BAD or NO while the selected folder is
///   known to be empty (EXISTS 0, followed through EXISTS, EXPUNGE and VANISHED, and
///   counted after the answer) gives no message instead of the error: several servers
///   answer `1:*` there with BAD (postalsys/imapflow#209). The command is always sent,
///   because its answer is where the server reports new mail (RFC 3501 §5.2);
/// - ID with no fields goes as `ID NIL`, never `ID ()` (Exchange rejects the empty list,
///   modern-email/defects#13);
/// - the RFC822 fetch items go as their `BODY` equivalents (RFC 3501 §6.4.5): iCloud
///   answers `FETCH RFC822` without the message (modern-email/defects#36), and RFC 9051
///   dropped them;
/// - Office 365's throttling text gives [`Error::retry_after`].
///
/// [`Error::ServerLimitation`]: crate::Error::ServerLimitation
/// [`Error::retry_after`]: crate::Error::retry_after
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerIdentity {
    /// The server family, recognised from the greeting, then the host name, then the
    /// capabilities (and refined by the ID answer when ID was sent);
    /// [`ServerKind::Other`] when nothing matched.
    pub kind: ServerKind,
    /// `name` from the server's ID answer, when ID was sent and answered.
    pub name: Option<String>,
    /// `version` from the server's ID answer.
    pub version: Option<String>,
    /// The text of the greeting (without its response code).
    pub greeting: String,
}

fn has(lowercase: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| lowercase.contains(n))
}

/// The family of the mail domain a host name belongs to: the whole name or a suffix on a
/// label boundary (`imap.mail.ru` is Mail.ru, `email.ru` is not).
fn kind_of_host(host: &str) -> Option<ServerKind> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let rules: [(ServerKind, &[&str]); 8] = [
        (ServerKind::Gmail, &["gmail.com", "googlemail.com"]),
        (ServerKind::Exchange, &["outlook.com", "office365.com"]),
        (ServerKind::ICloud, &["icloud.com", "me.com"]),
        (ServerKind::Yahoo, &["yahoo.com", "aol.com"]),
        (
            ServerKind::Fastmail,
            &["fastmail.com", "messagingengine.com"],
        ),
        (ServerKind::NetEase, &["163.com", "126.com", "yeah.net"]),
        (ServerKind::MailRu, &["mail.ru"]),
        (ServerKind::FreeFr, &["free.fr"]),
    ];
    let in_domain = |d: &&str| {
        host == *d
            || host
                .strip_suffix(*d)
                .is_some_and(|rest| rest.ends_with('.'))
    };
    rules
        .iter()
        .find(|(_, domains)| domains.iter().any(in_domain))
        .map(|(kind, _)| *kind)
}

/// The family shown by one piece of text (greeting, ID values).
fn kind_in_text(text: &str) -> Option<ServerKind> {
    let text = text.to_ascii_lowercase();
    let rules: [(ServerKind, &[&str]); 10] = [
        (ServerKind::Gmail, &["gimap", "gmail", "googlemail"]),
        (
            ServerKind::Exchange,
            &[
                "microsoft exchange",
                "microsoft.exchange",
                "office365",
                "outlook.",
            ],
        ),
        (ServerKind::ICloud, &["icloud", "mail.me.com"]),
        (ServerKind::Yahoo, &["yahoo", "aol.com"]),
        (ServerKind::Fastmail, &["fastmail", "messagingengine"]),
        (
            ServerKind::NetEase,
            &["coremail", "163.com", "126.com", "yeah.net", "netease"],
        ),
        (ServerKind::MailRu, &["mail.ru"]),
        (ServerKind::FreeFr, &["free.fr"]),
        (ServerKind::Dovecot, &["dovecot"]),
        (ServerKind::Cyrus, &["cyrus"]),
    ];
    rules
        .iter()
        .find(|(_, needles)| has(&text, needles))
        .map(|(kind, _)| *kind)
}

/// The family shown by capabilities only a few servers advertise.
fn kind_in_capabilities(caps: &Capabilities) -> Option<ServerKind> {
    if caps.has("X-GM-EXT-1") {
        Some(ServerKind::Gmail)
    } else if caps.has("X-MSG-EXT") || caps.has("XYMHIGHESTMODSEQ") {
        Some(ServerKind::Yahoo)
    } else if caps.has("X-CM-EXT-1") {
        Some(ServerKind::NetEase)
    } else {
        None
    }
}

impl ServerIdentity {
    /// The identity shown before login: the greeting first, then the host name connected
    /// to, then capabilities particular to one server.
    ///
    /// ```
    /// use imap_async::{ServerIdentity, ServerKind};
    ///
    /// let who = ServerIdentity::detect("127.0.0.1", "Gimap ready for requests from 192.0.2.1", None);
    /// assert_eq!(who.kind, ServerKind::Gmail);
    /// let who = ServerIdentity::detect("imap.163.com", "IMAP ready", None);
    /// assert_eq!(who.kind, ServerKind::NetEase);
    /// assert_eq!(ServerIdentity::detect("mx.example.org", "ready", None).kind, ServerKind::Other);
    /// ```
    pub fn detect(host: &str, greeting: &str, caps: Option<&Capabilities>) -> ServerIdentity {
        let kind = kind_in_text(greeting)
            .or_else(|| kind_of_host(host))
            .or_else(|| caps.and_then(kind_in_capabilities))
            .unwrap_or_default();
        ServerIdentity {
            kind,
            name: None,
            version: None,
            greeting: greeting.to_owned(),
        }
    }

    /// Learn from capabilities seen later (after login), when nothing was recognised yet.
    pub(crate) fn note_capabilities(&mut self, caps: &Capabilities) {
        if self.kind == ServerKind::Other
            && let Some(kind) = kind_in_capabilities(caps)
        {
            self.kind = kind;
            tracing::debug!(
                server = kind.label(),
                "server recognised from its capabilities"
            );
        }
    }

    /// Learn from the server's ID answer: its name and version, and the family its
    /// `vendor`, `name` or `support-url` names, in that order (which wins over guesses
    /// from the greeting).
    ///
    /// ```
    /// use imap_async::{ServerId, ServerIdentity, ServerKind};
    ///
    /// let mut who = ServerIdentity::detect("127.0.0.1", "IMAP4 ready", None);
    /// who.note_id(&ServerId {
    ///     fields: vec![
    ///         ("name".into(), Some("Dovecot".into())),
    ///         ("version".into(), Some("2.3.19".into())),
    ///     ],
    /// });
    /// assert_eq!(who.kind, ServerKind::Dovecot);
    /// assert_eq!(who.version.as_deref(), Some("2.3.19"));
    /// ```
    pub fn note_id(&mut self, id: &ServerId) {
        self.name = id.get("name").map(str::to_owned);
        self.version = id.get("version").map(str::to_owned);
        // The vendor first: Fastmail's ID names Cyrus, the software, and Fastmail, the
        // vendor, whose quirks are the ones that matter.
        let named = ["vendor", "name", "support-url"]
            .iter()
            .filter_map(|f| id.get(f))
            .find_map(kind_in_text);
        if let Some(kind) = named {
            self.kind = kind;
        }
        tracing::debug!(server = self.kind.label(), name = ?self.name, version = ?self.version,
            "server identified by its ID answer");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn caps(list: &str) -> Capabilities {
        let atoms: Vec<Bytes> = list
            .split(' ')
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect();
        Capabilities::from_atoms(&atoms)
    }

    #[test]
    fn greetings_of_known_servers() {
        let cases = [
            (
                "Gimap ready for requests from 192.0.2.1 x1",
                ServerKind::Gmail,
            ),
            (
                "The Microsoft Exchange IMAP4 service is ready.",
                ServerKind::Exchange,
            ),
            ("iCloud IMAP4 service ready", ServerKind::ICloud),
            (
                "Coremail System IMap Server Ready(163com[20121016])",
                ServerKind::NetEase,
            ),
            ("Dovecot (Debian) ready.", ServerKind::Dovecot),
            (
                "example.org Cyrus IMAP 3.6.1 server ready",
                ServerKind::Cyrus,
            ),
            ("IMAP4rev1 server ready (mail.ru)", ServerKind::MailRu),
            ("IMAP4rev1 Hello", ServerKind::Other),
        ];
        for (greeting, kind) in cases {
            assert_eq!(
                ServerIdentity::detect("127.0.0.1", greeting, None).kind,
                kind,
                "{greeting}"
            );
        }
    }

    #[test]
    fn host_names_and_capabilities() {
        let by_host = |h| ServerIdentity::detect(h, "ready", None).kind;
        assert_eq!(by_host("imap.gmail.com"), ServerKind::Gmail);
        assert_eq!(by_host("outlook.office365.com"), ServerKind::Exchange);
        assert_eq!(by_host("imap.mail.me.com"), ServerKind::ICloud);
        assert_eq!(by_host("imap.mail.yahoo.com"), ServerKind::Yahoo);
        assert_eq!(by_host("imap.fastmail.com"), ServerKind::Fastmail);
        assert_eq!(by_host("imap.free.fr"), ServerKind::FreeFr);
        assert_eq!(by_host("imap.mail.ru"), ServerKind::MailRu);
        assert_eq!(by_host("imap.126.com"), ServerKind::NetEase);
        assert_eq!(by_host("IMAP.Mail.RU."), ServerKind::MailRu);
        // Only whole domains: a name that merely contains one is another server.
        for other in [
            "imap.email.ru",
            "mail.carefree.fr",
            "imap.x163.com",
            "notyahoo.com",
            "gmail.example.org",
        ] {
            assert_eq!(by_host(other), ServerKind::Other, "{other}");
        }
        let yahoo = caps("IMAP4rev1 ID MOVE XYMHIGHESTMODSEQ X-MSG-EXT");
        let who = ServerIdentity::detect("127.0.0.1", "IMAP4rev1 Hello", Some(&yahoo));
        assert_eq!(who.kind, ServerKind::Yahoo);
        let mut later = ServerIdentity::detect("127.0.0.1", "ready", None);
        later.note_capabilities(&caps("IMAP4rev1 X-GM-EXT-1"));
        assert_eq!(later.kind, ServerKind::Gmail);
        // The greeting wins over the host name (a Dovecot behind a gmail-like name).
        let who = ServerIdentity::detect("gmail.example.org", "Dovecot ready.", None);
        assert_eq!(who.kind, ServerKind::Dovecot);
    }

    #[test]
    fn id_answer_names_the_server() {
        let mut who = ServerIdentity::detect("127.0.0.1", "IMAP4 ready", None);
        who.note_id(&ServerId {
            fields: vec![
                ("name".into(), Some("Cyrus IMAPD".into())),
                ("vendor".into(), Some("Fastmail Pty Ltd".into())),
            ],
        });
        // The vendor is checked first: Fastmail, which runs Cyrus.
        assert_eq!(who.kind, ServerKind::Fastmail);
        assert_eq!(who.name.as_deref(), Some("Cyrus IMAPD"));
        let id = |name: &str, vendor: &str| ServerId {
            fields: vec![
                ("name".into(), Some(name.into())),
                ("vendor".into(), Some(vendor.into())),
            ],
        };
        let mut who = ServerIdentity::detect("127.0.0.1", "ready", None);
        who.note_id(&id("Coremail Imap", "Mailtech"));
        assert_eq!(who.kind, ServerKind::NetEase);
        who.note_id(&id("GImap", "Google, Inc."));
        assert_eq!(who.kind, ServerKind::Gmail);
        let mut who = ServerIdentity::detect("127.0.0.1", "ready", None);
        who.note_id(&ServerId {
            fields: vec![("name".into(), Some("Unknown".into()))],
        });
        assert_eq!(who.kind, ServerKind::Other);
        assert_eq!(who.version, None);
    }
}
