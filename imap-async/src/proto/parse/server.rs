//! Server-level responses: NAMESPACE (RFC 2342), ID (RFC 2971), QUOTA (RFC 9208),
//! ACL (RFC 4314) and METADATA (RFC 5464).

use super::*;

impl Parser<'_> {
    /// `Namespace-Response = "NAMESPACE" SP Namespace SP Namespace SP Namespace`
    /// (RFC 2342 §5, RFC 9051 §7.3.5). Namespace response extensions are skipped.
    pub(super) fn namespace(&mut self) -> R<Namespaces> {
        Ok(Namespaces {
            personal: self.namespace_group()?,
            other_users: self.namespace_group()?,
            shared: self.namespace_group()?,
        })
    }

    pub(super) fn namespace_group(&mut self) -> R<Vec<NamespaceDescr>> {
        self.sp();
        if self.peek() != Some(b'(') {
            return match self.nstring()? {
                None => Ok(Vec::new()),
                Some(_) => self.fail("expected a namespace list or NIL"),
            };
        }
        self.pos += 1;
        let mut v = Vec::new();
        loop {
            self.sp();
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    return Ok(v);
                }
                Some(b'(') => self.pos += 1,
                _ => return self.fail("expected a namespace description"),
            }
            let prefix = self.string_or_empty()?;
            let delimiter = self.delimiter()?;
            // `Namespace-Response-Extension = SP string SP "(" string *(SP string) ")"`
            while !self.eat(b')') {
                if self.at_end() {
                    return self.fail("unterminated namespace description");
                }
                self.skip_value()?;
            }
            v.push(NamespaceDescr { prefix, delimiter });
        }
    }

    /// `id-response = "ID" SP id-params-list` (RFC 2971 §3.2).
    pub(super) fn id(&mut self) -> R<Option<IdParams>> {
        if !self.eat(b'(') {
            return match self.nstring()? {
                None => Ok(None),
                Some(_) => self.fail("expected an ID list or NIL"),
            };
        }
        let mut v = Vec::new();
        while !self.eat(b')') {
            if self.at_end() {
                return self.fail("unterminated ID list");
            }
            let key = self.string_or_empty()?;
            let value = self.nstring()?;
            v.push((key, value));
        }
        Ok(Some(v))
    }

    /// Space-separated `astring`s up to the end of the line (possibly none).
    pub(super) fn astrings_to_end(&mut self) -> R<Vec<Bytes>> {
        let mut v = Vec::new();
        loop {
            self.sp();
            if self.at_end() {
                return Ok(v);
            }
            v.push(self.astring()?);
        }
    }

    /// `quota-response = "QUOTA" SP quota-root-name SP quota-list`, `quota-list = "("
    /// quota-resource *(SP quota-resource) ")"`, `quota-resource = resource-name SP
    /// resource-usage SP resource-limit` (RFC 9208 §7). The list may be empty (§4.2.1:
    /// "zero or more triplets").
    pub(super) fn quota(&mut self) -> R<Untagged> {
        let root = self.astring()?;
        self.expect(b'(', "expected '(' before the quota list")?;
        let mut resources = Vec::new();
        while !self.eat(b')') {
            if self.at_end() {
                return self.fail("unterminated quota list");
            }
            resources.push(QuotaResource {
                name: self.astring()?,
                usage: self.num64()?,
                limit: self.num64()?,
            });
        }
        Ok(Untagged::Quota { root, resources })
    }

    /// `acl-data = "ACL" SP mailbox *(SP identifier SP rights)` (RFC 4314 §3.6, §7).
    /// Rights are `astring`s kept as sent: `nil` is a valid rights string (n, i, l), so NIL
    /// is never read as a missing value here.
    pub(super) fn acl(&mut self) -> R<Untagged> {
        let mailbox = self.astring()?;
        let mut entries = Vec::new();
        loop {
            self.sp();
            if self.at_end() {
                return Ok(Untagged::Acl { mailbox, entries });
            }
            let identifier = self.astring()?;
            self.sp();
            if self.at_end() {
                return self.fail("ACL identifier without rights");
            }
            entries.push((identifier, self.astring()?));
        }
    }

    /// `metadata-resp = "METADATA" SP mailbox SP (entry-values / entry-list)`,
    /// `entry-values = "(" entry-value *(SP entry-value) ")"`, `entry-value = entry SP
    /// value`, `value = nstring / literal8`, `entry-list = entry *(SP entry)` (RFC 5464
    /// §4.4, §5). An empty `()` is accepted.
    pub(super) fn metadata(&mut self) -> R<Untagged> {
        let mailbox = self.astring()?;
        if !self.eat(b'(') {
            return Ok(Untagged::MetadataChanged {
                mailbox,
                entries: self.astrings_to_end()?,
            });
        }
        let mut entries = Vec::new();
        while !self.eat(b')') {
            if self.at_end() {
                return self.fail("unterminated METADATA list");
            }
            let entry = self.astring()?;
            entries.push((entry, self.nstring()?));
        }
        Ok(Untagged::Metadata { mailbox, entries })
    }
}
