//! Mailbox-level responses: LIST (and LIST-EXTENDED, RFC 5258), STATUS, SEARCH, ESEARCH
//! (RFC 4731), VANISHED (RFC 7162 §3.2.10) and THREAD (RFC 5256).

use super::*;

impl Parser<'_> {
    /// `mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP
    /// mailbox [SP mbox-list-extended]` (RFC 3501 §7.2.2, RFC 5258 §9). Extended data
    /// that does not parse is dropped (the item is kept without it), as before servers
    /// sent any.
    pub(super) fn list_item(&mut self) -> R<ListItem> {
        let attributes = self.flag_list()?;
        let delimiter = self.delimiter()?;
        let name = self.astring()?;
        let mut item = ListItem {
            attributes,
            delimiter,
            name,
            ..ListItem::default()
        };
        self.sp();
        if self.peek() == Some(b'(') {
            let save = self.pos;
            if self.list_extended(&mut item).is_err() {
                self.pos = save;
                item.old_name = None;
                item.extended.clear();
            }
        }
        Ok(item)
    }

    /// `mbox-list-extended = "(" [mbox-list-extended-item *(SP mbox-list-extended-item)]
    /// ")"`, `mbox-list-extended-item = mbox-list-extended-item-tag SP tagged-ext-val`
    /// (RFC 5258 §9; the tag is an astring), at the `(`. `OLDNAME` is read as RFC 5465 §8
    /// `"OLDNAME" SP "(" mailbox ")"` (a bare mailbox is accepted too); other items are
    /// kept raw.
    pub(super) fn list_extended(&mut self, item: &mut ListItem) -> R<()> {
        self.expect(b'(', "expected '(' before LIST extended data")?;
        loop {
            self.sp();
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    return Ok(());
                }
                None => return self.fail("unterminated LIST extended data"),
                Some(_) => {}
            }
            let tag = self.astring()?;
            if tag.eq_ignore_ascii_case(b"OLDNAME") {
                let old = if self.eat(b'(') {
                    let old = self.astring()?;
                    self.expect(b')', "expected ')' after the OLDNAME mailbox")?;
                    old
                } else {
                    self.astring()?
                };
                item.old_name = Some(old);
            } else {
                let value = self.raw_value()?;
                item.extended.push((tag, value));
            }
        }
    }

    /// `"STATUS" SP mailbox SP "(" [status-att-list] ")"` (RFC 3501 §7.2.4, RFC 9051
    /// §7.2.4, RFC 7162 §3.1.2). A missing `)` at the end is tolerated.
    pub(super) fn mailbox_status(&mut self) -> R<MailboxStatus> {
        let mut st = MailboxStatus {
            mailbox: self.astring()?,
            ..MailboxStatus::default()
        };
        self.expect(b'(', "expected '(' after the STATUS mailbox")?;
        loop {
            self.sp();
            match self.peek() {
                Some(b')') | None => return Ok(st),
                Some(_) => {}
            }
            let name = self.atom_with(atom_stop)?;
            match self.kw(name).as_bytes() {
                b"MESSAGES" => st.messages = Some(self.num32()?),
                b"RECENT" => st.recent = Some(self.num32()?),
                b"UIDNEXT" => st.uid_next = Some(self.num32()?),
                b"UIDVALIDITY" => st.uid_validity = Some(self.num32()?),
                b"UNSEEN" => st.unseen = Some(self.num32()?),
                b"HIGHESTMODSEQ" => st.highest_modseq = Some(self.num64()?),
                b"SIZE" => st.size = Some(self.num64()?),
                b"DELETED" => st.deleted = Some(self.num32()?),
                _ => {
                    let value = self.raw_value()?;
                    st.other.push((self.slice(name.0, name.1), value));
                }
            }
        }
    }

    /// `mailbox-data =/ "SEARCH" *(SP nz-number) [SP "(" "MODSEQ" SP mod-sequence-value
    /// ")"]` (RFC 3501 §7.2.5, RFC 7162 §3.1.5); SORT has the same shape (RFC 5256 §4).
    pub(super) fn search(&mut self) -> R<(Vec<u32>, Option<u64>)> {
        let mut ids = Vec::new();
        let mut modseq = None;
        loop {
            self.sp();
            match self.peek() {
                None => return Ok((ids, modseq)),
                Some(b'(') => {
                    self.pos += 1;
                    let w = self.atom_with(atom_stop)?;
                    if self.kw(w).as_bytes() != b"MODSEQ" {
                        return self.fail("expected MODSEQ");
                    }
                    modseq = Some(self.num64()?);
                    self.expect(b')', "expected ')' after MODSEQ")?;
                }
                Some(_) => ids.push(self.num32()?),
            }
        }
    }

    /// `esearch-response = "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data)`
    /// (RFC 4731 §3.1, RFC 9051 §7.3.4, RFC 7162 §3.1.10).
    pub(super) fn esearch(&mut self) -> R<ESearch> {
        let mut es = ESearch::default();
        if self.eat(b'(') {
            // `search-correlator = SP "(" "TAG" SP tag-string ")"`; other pairs
            // (RFC 7377 MAILBOX, UIDVALIDITY) are skipped.
            loop {
                self.sp();
                match self.peek() {
                    Some(b')') => {
                        self.pos += 1;
                        break;
                    }
                    None => return self.fail("unterminated search correlator"),
                    Some(_) => {}
                }
                let w = self.atom_with(atom_stop)?;
                if self.kw(w).as_bytes() == b"TAG" {
                    es.tag = self.nstring()?;
                } else {
                    self.skip_value()?;
                }
            }
        }
        loop {
            self.sp();
            if self.at_end() {
                return Ok(es);
            }
            let name = self.atom_with(atom_stop)?;
            match self.kw(name).as_bytes() {
                b"UID" => es.uid = true,
                b"MIN" => es.min = Some(self.num32()?),
                b"MAX" => es.max = Some(self.num32()?),
                b"COUNT" => es.count = Some(self.num32()?),
                b"ALL" => es.all = Some(self.uid_set()?),
                b"MODSEQ" => es.modseq = Some(self.num64()?),
                _ => {
                    let value = self.raw_value()?;
                    es.other.push((self.slice(name.0, name.1), value));
                }
            }
        }
    }

    /// `"VANISHED" [SP "(EARLIER)"] SP known-uids` (RFC 7162 §3.2.10).
    pub(super) fn vanished(&mut self) -> R<Untagged> {
        let mut earlier = false;
        if self.eat(b'(') {
            let w = self.atom_with(atom_stop)?;
            if self.kw(w).as_bytes() != b"EARLIER" {
                return self.fail("expected EARLIER");
            }
            self.expect(b')', "expected ')' after EARLIER")?;
            earlier = true;
        }
        Ok(Untagged::Vanished {
            earlier,
            uids: self.uid_set()?,
        })
    }

    /// `thread-data = "THREAD" [SP 1*thread-list]` (RFC 5256 §5).
    pub(super) fn threads(&mut self) -> R<Vec<ThreadNode>> {
        let mut v = Vec::new();
        loop {
            self.sp();
            match self.peek() {
                None => return Ok(v),
                Some(b'(') => v.push(self.thread_list()?),
                Some(_) => return self.fail("expected '(' before a thread"),
            }
        }
    }

    /// `thread-list = "(" (thread-members / thread-nested) ")"`, `thread-members =
    /// nz-number *(SP nz-number) [SP thread-nested]`, `thread-nested = 2*thread-list`
    /// (RFC 5256 §5), at the `(`. Members are read in a loop; only nested lists recurse,
    /// bounded by [`MAX_DEPTH`]. Leniently, a single nested list is accepted where the
    /// grammar wants two (`(1 (2))`, kept as sent).
    pub(super) fn thread_list(&mut self) -> R<ThreadNode> {
        if self.depth >= MAX_DEPTH {
            return self.fail("thread nested too deeply");
        }
        self.depth += 1;
        self.pos += 1;
        let mut node = ThreadNode::default();
        let r = loop {
            self.sp();
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    break if node.members.is_empty() && node.children.is_empty() {
                        self.fail("empty thread")
                    } else {
                        Ok(node)
                    };
                }
                Some(b'(') => match self.thread_list() {
                    Ok(child) => node.children.push(child),
                    Err(e) => break Err(e),
                },
                Some(b'0'..=b'9') if !node.children.is_empty() => {
                    break self.fail("message number after sub-threads");
                }
                Some(b'0'..=b'9') => match self.num32() {
                    Ok(n) => node.members.push(n),
                    Err(e) => break Err(e),
                },
                None => break self.fail("unterminated thread"),
                Some(_) => break self.fail("expected a message number or '(' in a thread"),
            }
        };
        self.depth -= 1;
        r
    }
}
