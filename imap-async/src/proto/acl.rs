//! Access rights of the ACL extension (RFC 4314 §2.1), typed.

use std::fmt;

/// One access right (RFC 4314 §2.1), named by its letter on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Right {
    /// `l`: the folder is visible to LIST/LSUB, and can be subscribed.
    Lookup,
    /// `r`: SELECT, EXAMINE, STATUS, FETCH, SEARCH, COPY from the folder.
    Read,
    /// `s`: keep `\Seen` across sessions (set or clear it).
    Seen,
    /// `w`: set or clear flags other than `\Seen` and `\Deleted`.
    Write,
    /// `i`: APPEND and COPY into the folder.
    Insert,
    /// `p`: send mail to the folder's submission address.
    Post,
    /// `k`: create folders below this one (and, per server, this one).
    CreateMailbox,
    /// `x`: delete the folder, rename it away.
    DeleteMailbox,
    /// `t`: set or clear `\Deleted`.
    DeleteMessages,
    /// `e`: EXPUNGE.
    Expunge,
    /// `a`: administer (SETACL, DELETEACL, GETACL, LISTRIGHTS).
    Administer,
    /// `c`: RFC 2086's "create", kept by RFC 4314 §2.1.1 as a virtual right: a server reports
    /// it when any member of "create" (`k`, and on some servers `x`) is set; sent, it stands
    /// for all of them. Which members it covers depends on the server, so it is not
    /// expanded here.
    ObsoleteCreate,
    /// `d`: RFC 2086's "delete", a virtual right (RFC 4314 §2.1.1): reported when any of
    /// `e`, `t` (and on some servers `x`) is set; sent, it stands for all of them.
    ObsoleteDelete,
    /// Any other right letter or digit a server defines (RFC 4314 §2.1 allows digits for
    /// implementation-defined rights).
    Other(char),
}

/// The RFC 4314 letters, in the order this crate writes them.
const ORDER: &str = "lrswipkxteacd";

impl Right {
    /// The right's letter on the wire.
    ///
    /// ```
    /// use imap_async::proto::Right;
    ///
    /// assert_eq!(Right::Administer.letter(), 'a');
    /// ```
    pub fn letter(self) -> char {
        match self {
            Right::Lookup => 'l',
            Right::Read => 'r',
            Right::Seen => 's',
            Right::Write => 'w',
            Right::Insert => 'i',
            Right::Post => 'p',
            Right::CreateMailbox => 'k',
            Right::DeleteMailbox => 'x',
            Right::DeleteMessages => 't',
            Right::Expunge => 'e',
            Right::Administer => 'a',
            Right::ObsoleteCreate => 'c',
            Right::ObsoleteDelete => 'd',
            Right::Other(c) => c,
        }
    }

    /// The right with this letter (any other character is [`Right::Other`]).
    ///
    /// ```
    /// use imap_async::proto::Right;
    ///
    /// assert_eq!(Right::from_letter('x'), Right::DeleteMailbox);
    /// ```
    pub fn from_letter(c: char) -> Right {
        match c {
            'l' => Right::Lookup,
            'r' => Right::Read,
            's' => Right::Seen,
            'w' => Right::Write,
            'i' => Right::Insert,
            'p' => Right::Post,
            'k' => Right::CreateMailbox,
            'x' => Right::DeleteMailbox,
            't' => Right::DeleteMessages,
            'e' => Right::Expunge,
            'a' => Right::Administer,
            'c' => Right::ObsoleteCreate,
            'd' => Right::ObsoleteDelete,
            other => Right::Other(other),
        }
    }

    fn rank(self) -> (usize, char) {
        let c = self.letter();
        (ORDER.find(c).unwrap_or(ORDER.len()), c)
    }
}

/// A set of access rights (RFC 4314 §2.1), as in ACL, MYRIGHTS and LISTRIGHTS responses and
/// SETACL.
///
/// Built from the rights' letters (`AclRights::from("lrs")`, as a server sends them) or from
/// [`Right`]s. [`Display`](fmt::Display) gives the letters in the order given or received
/// (so a server's answer prints as sent); equality ignores order. Letters are
/// case-sensitive (RFC 4314 §2.1 rights are lower-case letters and digits); anything else
/// is kept and refused when sent, naming it.
///
/// ```
/// use imap_async::AclRights;
/// use imap_async::proto::Right;
///
/// let rights = AclRights::from("rlsw");
/// assert!(rights.contains(Right::Read));
/// assert!(!rights.contains(Right::Administer));
/// assert_eq!(rights.to_string(), "rlsw");
/// assert_eq!(rights, AclRights::from("lrsw"));
/// let typed: AclRights = [Right::Lookup, Right::Read].into_iter().collect();
/// assert_eq!(typed, AclRights::from("rl"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct AclRights {
    /// In the order given, no duplicates.
    rights: Vec<Right>,
}

impl AclRights {
    fn sorted(&self) -> Vec<Right> {
        let mut v = self.rights.clone();
        v.sort_by_key(|r| r.rank());
        v
    }
}

/// Sets: the order of the letters does not matter.
impl PartialEq for AclRights {
    fn eq(&self, other: &AclRights) -> bool {
        self.sorted() == other.sorted()
    }
}

impl Eq for AclRights {}

impl std::hash::Hash for AclRights {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.sorted().hash(state);
    }
}

impl AclRights {
    /// No rights.
    pub fn new() -> AclRights {
        AclRights::default()
    }

    /// Whether `right` is in the set.
    pub fn contains(&self, right: Right) -> bool {
        self.rights.contains(&right)
    }

    /// Add `right`.
    pub fn insert(&mut self, right: Right) {
        if !self.contains(right) {
            self.rights.push(right);
        }
    }

    /// The rights, in the order given or received.
    pub fn iter(&self) -> impl Iterator<Item = Right> + '_ {
        self.rights.iter().copied()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.rights.is_empty()
    }

    /// Why these rights cannot be sent, if they cannot: rights are lower-case ASCII letters
    /// and digits (RFC 4314 §2.1).
    pub(crate) fn check(&self) -> Result<(), String> {
        match self
            .rights
            .iter()
            .find(|r| !matches!(r.letter(), 'a'..='z' | '0'..='9'))
        {
            Some(bad) => Err(format!(
                "{:?} in {:?} is not a right (RFC 4314 §2.1: lower-case letters and digits)",
                bad.letter(),
                self.to_string()
            )),
            None => Ok(()),
        }
    }
}

impl fmt::Display for AclRights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.rights {
            write!(f, "{}", r.letter())?;
        }
        Ok(())
    }
}

impl FromIterator<Right> for AclRights {
    fn from_iter<I: IntoIterator<Item = Right>>(iter: I) -> AclRights {
        let mut out = AclRights::new();
        for r in iter {
            out.insert(r);
        }
        out
    }
}

impl From<&str> for AclRights {
    fn from(letters: &str) -> AclRights {
        letters.chars().map(Right::from_letter).collect()
    }
}

impl From<String> for AclRights {
    fn from(letters: String) -> AclRights {
        AclRights::from(letters.as_str())
    }
}

impl From<&AclRights> for AclRights {
    fn from(r: &AclRights) -> AclRights {
        r.clone()
    }
}

impl<const N: usize> From<[Right; N]> for AclRights {
    fn from(rights: [Right; N]) -> AclRights {
        rights.into_iter().collect()
    }
}

/// What SETACL does with an identifier's rights (RFC 4314 §3.1 `mod-rights`): replace
/// them, add to them (`+`), or remove from them (`-`).
///
/// From text as in IMAPClient and the RFC (`"lr"`, `"+w"`, `"-w"`), or from [`AclRights`]
/// (replace).
///
/// ```
/// use imap_async::proto::{AclChange, Right};
/// use imap_async::AclRights;
///
/// assert_eq!(AclChange::from("+w"), AclChange::Add(AclRights::from([Right::Write])));
/// assert_eq!(AclChange::from("lr").to_string(), "lr");
/// assert_eq!(AclChange::Remove(AclRights::from("w")).to_string(), "-w");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AclChange {
    /// Replace the identifier's rights with these.
    Replace(AclRights),
    /// Add these rights (`+`).
    Add(AclRights),
    /// Remove these rights (`-`).
    Remove(AclRights),
}

impl fmt::Display for AclChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AclChange::Replace(r) => write!(f, "{r}"),
            AclChange::Add(r) => write!(f, "+{r}"),
            AclChange::Remove(r) => write!(f, "-{r}"),
        }
    }
}

impl AclChange {
    pub(crate) fn rights(&self) -> &AclRights {
        match self {
            AclChange::Replace(r) | AclChange::Add(r) | AclChange::Remove(r) => r,
        }
    }
}

impl From<&str> for AclChange {
    fn from(text: &str) -> AclChange {
        if let Some(r) = text.strip_prefix('+') {
            AclChange::Add(r.into())
        } else if let Some(r) = text.strip_prefix('-') {
            AclChange::Remove(r.into())
        } else {
            AclChange::Replace(text.into())
        }
    }
}

impl From<AclRights> for AclChange {
    fn from(r: AclRights) -> AclChange {
        AclChange::Replace(r)
    }
}

impl From<&AclRights> for AclChange {
    fn from(r: &AclRights) -> AclChange {
        AclChange::Replace(r.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_round_trip_in_rfc_order_and_obsolete_rights_are_kept() {
        // RFC 4314 §2.1.1's example answer: `rwipslxcetda`.
        let r = AclRights::from("rwipslxcetda");
        assert_eq!(r.to_string(), "rwipslxcetda");
        assert_eq!(r, AclRights::from("lrswipxteacd"));
        assert_ne!(r, AclRights::from("lrswipxteac"));
        assert!(r.contains(Right::ObsoleteDelete));
        assert!(r.contains(Right::ObsoleteCreate));
        assert!(!r.contains(Right::CreateMailbox));
        assert_eq!(AclRights::from("llr").iter().count(), 2);
        assert!(AclRights::from("lr0").check().is_ok());
        assert_eq!(
            AclRights::from("lr0").iter().last(),
            Some(Right::Other('0'))
        );
        let bad = AclRights::from("lR").check().unwrap_err();
        assert!(bad.contains("'R'"), "{bad}");
        assert_eq!(
            AclChange::from("-te"),
            AclChange::Remove([Right::DeleteMessages, Right::Expunge].into())
        );
        assert_eq!(AclChange::from(AclRights::from("a")).to_string(), "a");
    }
}
