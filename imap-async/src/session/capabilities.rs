//! The server's capabilities (RFC 3501 §7.2.1, RFC 9051 §7.2.2), with what IMAP4rev2 implies.

use bytes::Bytes;

use crate::proto::{Capability, LiteralSupport};

/// Capabilities as advertised, upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Capabilities {
    atoms: Vec<String>,
}

/// Extensions that IMAP4rev2 folds into the base protocol (RFC 9051 §1, Appendix E).
const IMPLIED_BY_REV2: &[&str] = &[
    "NAMESPACE",
    "UNSELECT",
    "UIDPLUS",
    "ESEARCH",
    "SEARCHRES",
    "ENABLE",
    "IDLE",
    "SASL-IR",
    "LIST-EXTENDED",
    "LIST-STATUS",
    "MOVE",
    "LITERAL-",
    "BINARY",
    "SPECIAL-USE",
    "STATUS=SIZE",
];

impl Capabilities {
    pub(crate) fn from_atoms(atoms: &[Bytes]) -> Self {
        Capabilities {
            atoms: atoms
                .iter()
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).to_ascii_uppercase())
                .collect(),
        }
    }

    /// Whether a capability is advertised, or implied by IMAP4rev2: a [`Capability`] or
    /// its name (case-insensitive).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::Capability;
    ///
    /// let caps = session.capabilities().await?;
    /// if caps.has(Capability::Move) {
    ///     println!("MOVE is available (advertised or implied by IMAP4rev2)");
    /// }
    /// if caps.has(Capability::Auth("XOAUTH2".into())) || caps.has("auth=oauthbearer") {
    ///     println!("OAuth2 login offered");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn has(&self, capability: impl Into<Capability>) -> bool {
        let name = capability.into().to_string().to_ascii_uppercase();
        self.atoms.contains(&name) || (self.is_rev2() && IMPLIED_BY_REV2.contains(&name.as_str()))
    }

    /// IMAP4rev2 (RFC 9051) is advertised.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let caps = session.capabilities().await?;
    /// println!("IMAP4rev2: {}", caps.is_rev2());
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_rev2(&self) -> bool {
        self.atoms.iter().any(|a| a == "IMAP4REV2")
    }

    /// Whether the SASL mechanism `mech` is offered (`AUTH=mech`).
    ///
    /// ```no_run
    /// # async fn run(client: &mut imap_async::Client) -> imap_async::Result<()> {
    /// let caps = client.capabilities().await?;
    /// if caps.has_auth("xoauth2") {
    ///     println!("XOAUTH2 offered");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn has_auth(&self, mech: &str) -> bool {
        self.atoms
            .contains(&format!("AUTH={}", mech.to_ascii_uppercase()))
    }

    /// LOGINDISABLED: the server refuses LOGIN on this connection (RFC 3501 §6.2.3).
    ///
    /// ```no_run
    /// # async fn run(client: &mut imap_async::Client) -> imap_async::Result<()> {
    /// let caps = client.capabilities().await?;
    /// if caps.login_disabled() {
    ///     println!("LOGIN refused here; use AUTHENTICATE or STARTTLS");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn login_disabled(&self) -> bool {
        self.has("LOGINDISABLED")
    }

    /// Which non-synchronizing literals we may send (RFC 7888).
    ///
    /// ```no_run
    /// use imap_async::proto::LiteralSupport;
    ///
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let caps = session.capabilities().await?;
    /// if caps.literal_support() == LiteralSupport::Plus {
    ///     println!("LITERAL+: literals are never waited for");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn literal_support(&self) -> LiteralSupport {
        if self.atoms.iter().any(|a| a == "LITERAL+") {
            LiteralSupport::Plus
        } else if self.has("LITERAL-") {
            LiteralSupport::Minus
        } else {
            LiteralSupport::SyncOnly
        }
    }

    /// Every advertised capability, typed, in the server's order (not those only implied
    /// by IMAP4rev2).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::Capability;
    ///
    /// for cap in session.capabilities().await?.iter() {
    ///     match cap {
    ///         Capability::Auth(mechanism) => println!("SASL {mechanism}"),
    ///         other => println!("{other}"),
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = Capability> + '_ {
        self.atoms.iter().map(|a| Capability::from(a.as_str()))
    }

    /// Every advertised capability name, upper-cased, in the server's order.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// let names: Vec<&str> = session.capabilities().await?.names().collect();
    /// println!("{}", names.join(" "));
    /// # Ok(())
    /// # }
    /// ```
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.atoms.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(list: &[&str]) -> Capabilities {
        let atoms: Vec<Bytes> = list
            .iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect();
        Capabilities::from_atoms(&atoms)
    }

    #[test]
    fn case_insensitive_and_auth() {
        let c = caps(&["IMAP4rev1", "Idle", "AUTH=PLAIN", "literal+"]);
        assert!(c.has("IDLE"));
        assert!(c.has(Capability::Idle));
        assert!(c.has(Capability::Auth("plain".into())));
        assert!(!c.has(Capability::Move));
        assert_eq!(
            c.iter().collect::<Vec<_>>(),
            [
                Capability::Imap4rev1,
                Capability::Idle,
                Capability::Auth("PLAIN".into()),
                Capability::LiteralPlus
            ]
        );
        assert_eq!(
            c.names().collect::<Vec<_>>(),
            ["IMAP4REV1", "IDLE", "AUTH=PLAIN", "LITERAL+"]
        );
        assert!(c.has("imap4REV1"));
        assert!(c.has_auth("plain"));
        assert!(!c.has_auth("LOGIN"));
        assert_eq!(c.literal_support(), LiteralSupport::Plus);
        assert!(!c.is_rev2());
    }

    #[test]
    fn rev2_implies_extensions() {
        let c = caps(&["IMAP4rev2"]);
        assert!(c.has("MOVE"));
        assert!(c.has(Capability::Move));
        assert!(c.has("ESEARCH"));
        assert!(!c.has("CONDSTORE"));
        assert_eq!(c.literal_support(), LiteralSupport::Minus);
        assert_eq!(
            caps(&["IMAP4rev1"]).literal_support(),
            LiteralSupport::SyncOnly
        );
    }
}
