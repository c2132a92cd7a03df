//! FETCH (RFC 3501 §6.4.5, RFC 9051 §6.4.5), by UID by default (§6.4.8).

use std::collections::HashMap;

use bytes::Bytes;

use super::{Session, command_name};
use crate::error::{Error, Result};
use crate::proto::sequence::{Id, IdSet};
use crate::proto::{BodyStructure, Envelope, FetchItem, Uid, Untagged};

/// One message's data from a FETCH, all lines for that message merged.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// The message's sequence number when the response was sent.
    pub seq: u32,
    /// Every data item, in the order received.
    pub items: Vec<FetchItem>,
}

impl Fetched {
    pub fn uid(&self) -> Option<Uid> {
        self.items.iter().find_map(|i| match i {
            FetchItem::Uid(u) => Uid::new(*u),
            _ => None,
        })
    }

    pub fn flags(&self) -> Option<Vec<String>> {
        self.items.iter().find_map(|i| match i {
            FetchItem::Flags(f) => Some(
                f.iter()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .collect(),
            ),
            _ => None,
        })
    }

    /// `INTERNALDATE`, in the zone the server gave.
    pub fn internal_date(&self) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        self.items.iter().find_map(|i| match i {
            FetchItem::InternalDate(d) => Some(*d),
            _ => None,
        })
    }

    pub fn size(&self) -> Option<u64> {
        self.items.iter().find_map(|i| match i {
            FetchItem::Rfc822Size(n) => Some(*n),
            _ => None,
        })
    }

    pub fn envelope(&self) -> Option<&Envelope> {
        self.items.iter().find_map(|i| match i {
            FetchItem::Envelope(e) => Some(e.as_ref()),
            _ => None,
        })
    }

    pub fn body_structure(&self) -> Option<&BodyStructure> {
        self.items.iter().find_map(|i| match i {
            FetchItem::BodyStructure(b) => Some(b.as_ref()),
            _ => None,
        })
    }

    /// The data of `BODY[section]` (section as you asked for it, case-insensitive: `""` for
    /// the whole message, `"HEADER"`, `"1.2"`, ...). `BODY.PEEK[...]` is answered as
    /// `BODY[...]`, so ask for it here without `.PEEK`.
    pub fn body(&self, section: &str) -> Option<&Bytes> {
        self.items.iter().find_map(|i| match i {
            FetchItem::Body {
                section: s,
                data: Some(d),
                ..
            } if s.eq_ignore_ascii_case(section.as_bytes()) => Some(d),
            _ => None,
        })
    }

    pub fn modseq(&self) -> Option<u64> {
        self.items.iter().find_map(|i| match i {
            FetchItem::ModSeq(n) => Some(*n),
            _ => None,
        })
    }
}

/// FETCH items are raw IMAP syntax (e.g. `"(FLAGS ENVELOPE BODY.PEEK[HEADER])"`) for now:
/// reject what could end the command or unbalance it.
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

/// Collects FETCH responses for the messages a command asked about; everything else
/// (another client's flag change, a FETCH for a message outside the set) stays unsolicited.
struct Collector<F> {
    wanted: F,
    order: Vec<Fetched>,
    index: HashMap<u32, usize>,
}

impl<F: FnMut(u32, &[FetchItem]) -> bool> Collector<F> {
    fn claim(&mut self, u: Untagged) -> Option<Untagged> {
        match u {
            Untagged::Fetch { seq, items } if (self.wanted)(seq, &items) => {
                match self.index.get(&seq) {
                    // Servers may split one message's data over several FETCH lines.
                    Some(&i) => self.order[i].items.extend(items),
                    None => {
                        self.index.insert(seq, self.order.len());
                        self.order.push(Fetched { seq, items });
                    }
                }
                None
            }
            other => Some(other),
        }
    }
}

impl Session {
    /// FETCH: the messages' data, in the order the server sent it.
    ///
    /// The set's type picks the command: a [`UidSet`](crate::UidSet) sends `UID FETCH`
    /// (the UID is then always included, RFC 3501 §6.4.8), a [`SeqSet`](crate::SeqSet)
    /// sends `FETCH` with sequence numbers. Passing one where the other is meant does not
    /// compile. FETCH responses for messages outside the set (another client's flag change,
    /// say) are not mixed in: they stay in [`Session::take_unsolicited`].
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use imap_async::{SeqSet, UidSet};
    /// session.select_folder("INBOX").await?;
    /// for msg in session.fetch(&UidSet::all(), "(FLAGS RFC822.SIZE)").await? {
    ///     println!("{:?} {:?} {:?}", msg.uid(), msg.flags(), msg.size());
    /// }
    /// let first: SeqSet = "1".parse().unwrap();
    /// let headers = session.fetch(&first, "BODY.PEEK[HEADER]").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn fetch<K: Id>(&mut self, set: &IdSet<K>, items: &str) -> Result<Vec<Fetched>> {
        check_items(items)?;
        if set.is_empty() {
            return Ok(Vec::new());
        }
        let mut enc = self.conn.encoder(&command_name::<K>("FETCH"));
        enc.set("message set", set)?;
        enc.raw(items.trim());
        let cmd = enc.finish();
        let mut collector = Collector {
            wanted: |seq: u32, items: &[FetchItem]| {
                if K::IS_UID {
                    items
                        .iter()
                        .any(|i| matches!(i, FetchItem::Uid(u) if set.contains(*u)))
                } else {
                    set.contains(seq)
                }
            },
            order: Vec::new(),
            index: HashMap::new(),
        };
        self.conn.execute(cmd, &mut |u| collector.claim(u)).await?;
        Ok(collector.order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
