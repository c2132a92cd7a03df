//! Response codes: `[...]` after a status (RFC 3501 §7.1, RFC 9051 §7.1, RFC 5530 and the
//! extensions' codes).

use super::*;

impl Parser<'_> {
    /// A response code, or `None` (cursor unmoved, so the `[` starts the text) when there
    /// is no closing `]` at all.
    pub(super) fn resp_code_opt(&mut self) -> Option<ResponseCode> {
        let save = self.pos;
        match self.resp_code() {
            Ok(c) => Some(c),
            Err(_) => {
                self.pos = save;
                None
            }
        }
    }

    /// `resp-text-code` (RFC 3501 §7.1, RFC 9051 §7.1, RFC 4315 §3, RFC 7162 §3.1, §3.2),
    /// at the `[`. A known code whose arguments do not parse is kept as `Other`.
    pub(super) fn resp_code(&mut self) -> R<ResponseCode> {
        self.pos += 1;
        let name = self.atom_with(atom_stop)?;
        let after_name = self.pos;
        let parsed = self.known_code(&self.kw(name));
        match parsed {
            Ok(code) if self.eat(b']') => Ok(code),
            _ => {
                self.pos = after_name;
                self.sp();
                let start = self.pos;
                let Some(i) = self.b[start..].iter().position(|&c| c == b']') else {
                    return self.fail("response code without ']'");
                };
                let mut end = start + i;
                self.pos = end + 1;
                while end > start && self.b[end - 1] == b' ' {
                    end -= 1;
                }
                let raw = (end > start).then(|| self.slice(start, end));
                Ok(ResponseCode::Other(self.slice(name.0, name.1), raw))
            }
        }
    }

    pub(super) fn known_code(&mut self, name: &Kw) -> R<ResponseCode> {
        Ok(match name.as_bytes() {
            b"ALERT" => ResponseCode::Alert,
            b"PARSE" => ResponseCode::Parse,
            b"READ-ONLY" => ResponseCode::ReadOnly,
            b"READ-WRITE" => ResponseCode::ReadWrite,
            b"TRYCREATE" => ResponseCode::TryCreate,
            b"UIDNOTSTICKY" => ResponseCode::UidNotSticky,
            b"NOMODSEQ" => ResponseCode::NoModSeq,
            b"CLOSED" => ResponseCode::Closed,
            b"NOTIFICATIONOVERFLOW" => ResponseCode::NotificationOverflow,
            // RFC 5530 §3: none of these carries data.
            b"UNAVAILABLE" => ResponseCode::Unavailable,
            b"AUTHENTICATIONFAILED" => ResponseCode::AuthenticationFailed,
            b"AUTHORIZATIONFAILED" => ResponseCode::AuthorizationFailed,
            b"EXPIRED" => ResponseCode::Expired,
            b"PRIVACYREQUIRED" => ResponseCode::PrivacyRequired,
            b"CONTACTADMIN" => ResponseCode::ContactAdmin,
            b"NOPERM" => ResponseCode::NoPerm,
            b"INUSE" => ResponseCode::InUse,
            b"EXPUNGEISSUED" => ResponseCode::ExpungeIssued,
            b"CORRUPTION" => ResponseCode::Corruption,
            b"SERVERBUG" => ResponseCode::ServerBug,
            b"CLIENTBUG" => ResponseCode::ClientBug,
            b"CANNOT" => ResponseCode::Cannot,
            b"LIMIT" => ResponseCode::Limit,
            b"OVERQUOTA" => ResponseCode::OverQuota,
            b"ALREADYEXISTS" => ResponseCode::AlreadyExists,
            b"NONEXISTENT" => ResponseCode::NonExistent,
            // `"BADEVENT" SP "(" event-name *(SP event-name) ")"` (RFC 5465 §8); Dovecot 2.3
            // sends the names without parentheses (`[BADEVENT AnnotationChange]`).
            b"BADEVENT" => {
                self.sp();
                if self.peek() == Some(b'(') {
                    ResponseCode::BadEvent(self.flag_list()?)
                } else {
                    let names = self.atoms_to_end(true);
                    if names.is_empty() {
                        return self.fail("BADEVENT without event names");
                    }
                    ResponseCode::BadEvent(names)
                }
            }
            b"BADCHARSET" => {
                // `"BADCHARSET" [SP "(" charset *(SP charset) ")"]`
                let mut v = Vec::new();
                if self.eat(b'(') {
                    while !self.eat(b')') {
                        if self.at_end() {
                            return self.fail("unterminated charset list");
                        }
                        v.push(self.astring()?);
                    }
                }
                ResponseCode::BadCharset(v)
            }
            b"CAPABILITY" => ResponseCode::Capability(self.atoms_to_end(true)),
            b"PERMANENTFLAGS" => ResponseCode::PermanentFlags(self.flag_list()?),
            b"UIDNEXT" => ResponseCode::UidNext(self.num32()?),
            b"UIDVALIDITY" => ResponseCode::UidValidity(self.num32()?),
            b"UNSEEN" => ResponseCode::Unseen(self.num32()?),
            b"APPENDUID" => ResponseCode::AppendUid {
                uid_validity: self.num32()?,
                uids: self.uid_set()?,
            },
            b"COPYUID" => ResponseCode::CopyUid {
                uid_validity: self.num32()?,
                source: self.uid_set()?,
                destination: self.uid_set()?,
            },
            b"HIGHESTMODSEQ" => ResponseCode::HighestModSeq(self.num64()?),
            b"MODIFIED" => ResponseCode::Modified(self.uid_set()?),
            _ => return self.fail("unknown response code"),
        })
    }
}
