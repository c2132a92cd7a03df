//! Typed NOTIFY SET (RFC 5465 §3.1, §5, §6, §8): which folders to watch and for which
//! events, checked against the RFC's rules before anything is sent.
//!
//! A [`NotifySet`] is a list of [`NotifyGroup`]s, each a [`NotifyFilter`] (which folders)
//! with its [`NotifyEvent`]s (or `NONE`), plus the optional `STATUS` indicator.
//! [`encode_notify_set`] writes it after `NOTIFY SET`; [`NotifySet::validate`] checks it
//! alone. Folder names go through [`CommandEncoder::mailbox`] (modified UTF-7, or UTF-8
//! once UTF8=ACCEPT is on), so no name can add arguments or end the command.
//!
//! ```
//! use imap_async::proto::notify::{NotifyGroup, NotifySet, encode_notify_set};
//! use imap_async::proto::{CommandEncoder, LiteralSupport};
//! use imap_async::session::FetchAttr;
//!
//! let set = NotifySet::new()
//!     .status(true)
//!     .group(NotifyGroup::selected().message_new_fetch([FetchAttr::Uid, FetchAttr::Flags]).message_expunge())
//!     .group(NotifyGroup::personal().message_new().message_expunge().mailbox_name());
//! let mut enc = CommandEncoder::new("A1", "NOTIFY SET", LiteralSupport::Plus);
//! encode_notify_set(&mut enc, &set)?;
//! assert_eq!(
//!     enc.finish().redacted,
//!     "A1 NOTIFY SET STATUS (selected (MessageNew (UID FLAGS) MessageExpunge)) \
//!      (personal (MessageNew MessageExpunge MailboxName))"
//! );
//! # Ok::<(), imap_async::proto::notify::NotifyError>(())
//! ```

use std::fmt;

use super::encode::{CommandEncoder, EncodeError};
use super::fetch_items::FetchItems;

/// Which folders an event group watches (RFC 5465 §6, §8 `filter-mailboxes`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifyFilter {
    /// `selected` (§6.1.1): the selected folder, whichever it is when an event happens;
    /// message events are sent at once. Only message events are allowed here.
    Selected,
    /// `selected-delayed` (§6.1.2): like `selected`, but expunges are held back until a
    /// command that may report them (NOOP, IDLE), so message sequence numbers stay usable.
    SelectedDelayed,
    /// `inboxes` (§6.3): the personal folders mail is delivered to (servers that cannot
    /// tell treat it as `personal`).
    Inboxes,
    /// `personal` (§6.2): every selectable folder in the personal namespaces.
    Personal,
    /// `subscribed` (§6.4): every subscribed folder.
    Subscribed,
    /// `subtree` (§6.5): these folders and every folder below them.
    Subtree(Vec<String>),
    /// `mailboxes` (§6.6): exactly these folders (no wildcard expansion).
    Mailboxes(Vec<String>),
}

impl NotifyFilter {
    /// The filter's keyword as sent: `selected`, `personal`, `subtree`, ...
    ///
    /// ```
    /// use imap_async::proto::notify::NotifyFilter;
    ///
    /// assert_eq!(NotifyFilter::SelectedDelayed.keyword(), "selected-delayed");
    /// assert_eq!(NotifyFilter::Subtree(vec!["Lists".into()]).keyword(), "subtree");
    /// ```
    pub fn keyword(&self) -> &'static str {
        match self {
            NotifyFilter::Selected => "selected",
            NotifyFilter::SelectedDelayed => "selected-delayed",
            NotifyFilter::Inboxes => "inboxes",
            NotifyFilter::Personal => "personal",
            NotifyFilter::Subscribed => "subscribed",
            NotifyFilter::Subtree(_) => "subtree",
            NotifyFilter::Mailboxes(_) => "mailboxes",
        }
    }

    /// Whether this is `selected` or `selected-delayed` (§6.1).
    pub fn is_selected(&self) -> bool {
        matches!(self, NotifyFilter::Selected | NotifyFilter::SelectedDelayed)
    }
}

/// Shows the filter as in error messages: `personal`, `subtree "Lists"`.
impl fmt::Display for NotifyFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())?;
        if let NotifyFilter::Subtree(names) | NotifyFilter::Mailboxes(names) = self {
            for name in names {
                write!(f, " {name:?}")?;
            }
        }
        Ok(())
    }
}

/// One event type (RFC 5465 §5, §8 `event`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifyEvent {
    /// `MessageNew` (§5.2), optionally with the FETCH attributes the server pushes for each
    /// new message in the selected folder (only with `selected`/`selected-delayed`). The
    /// RFC advises against attributes that set `\Seen` (`BODY[...]` without `.PEEK`).
    /// Elsewhere a new message is reported with `* STATUS folder (UIDNEXT MESSAGES)`.
    MessageNew {
        /// `MessageNew (fetch-att ...)`: what to send with each new message.
        fetch: Option<FetchItems>,
    },
    /// `MessageExpunge` (§5.3): `EXPUNGE`/`VANISHED` in the selected folder, `STATUS`
    /// elsewhere. Must come with `MessageNew` (§5).
    MessageExpunge,
    /// `FlagChange` (§5.1): needs `MessageNew` and `MessageExpunge` in the same group.
    FlagChange,
    /// `AnnotationChange` (§5.1): needs `MessageNew` and `MessageExpunge` in the same group.
    AnnotationChange,
    /// `MailboxName` (§5.4): folders created, deleted or renamed, as unsolicited LIST
    /// responses (`\NonExistent` for a deletion, `OLDNAME` for a rename).
    MailboxName,
    /// `SubscriptionChange` (§5.5): as unsolicited LIST responses.
    SubscriptionChange,
    /// `MailboxMetadataChange` (§5.6): as unsolicited METADATA responses.
    MailboxMetadataChange,
    /// `ServerMetadataChange` (§5.7): as unsolicited METADATA responses.
    ServerMetadataChange,
    /// An event of a later extension (§8 `event-ext = atom`), sent as it is.
    Other(String),
}

impl NotifyEvent {
    /// `MessageNew` without FETCH attributes.
    pub const MESSAGE_NEW: NotifyEvent = NotifyEvent::MessageNew { fetch: None };

    /// The event's name as sent, e.g. `MessageNew`.
    ///
    /// ```
    /// use imap_async::proto::notify::NotifyEvent;
    ///
    /// assert_eq!(NotifyEvent::MESSAGE_NEW.name(), "MessageNew");
    /// assert_eq!(NotifyEvent::FlagChange.name(), "FlagChange");
    /// ```
    pub fn name(&self) -> &str {
        match self {
            NotifyEvent::MessageNew { .. } => "MessageNew",
            NotifyEvent::MessageExpunge => "MessageExpunge",
            NotifyEvent::FlagChange => "FlagChange",
            NotifyEvent::AnnotationChange => "AnnotationChange",
            NotifyEvent::MailboxName => "MailboxName",
            NotifyEvent::SubscriptionChange => "SubscriptionChange",
            NotifyEvent::MailboxMetadataChange => "MailboxMetadataChange",
            NotifyEvent::ServerMetadataChange => "ServerMetadataChange",
            NotifyEvent::Other(name) => name,
        }
    }

    /// Whether this is a `message-event` (§8: MessageNew, MessageExpunge, FlagChange,
    /// AnnotationChange), the only kind `selected`/`selected-delayed` may carry.
    pub fn is_message_event(&self) -> bool {
        matches!(
            self,
            NotifyEvent::MessageNew { .. }
                | NotifyEvent::MessageExpunge
                | NotifyEvent::FlagChange
                | NotifyEvent::AnnotationChange
        )
    }
}

/// One event group (RFC 5465 §8 `event-group = "(" filter-mailboxes SP events ")"`): which
/// folders, and which events for them (or `NONE`). Build it with a filter constructor and
/// event methods:
///
/// ```
/// use imap_async::proto::notify::{NotifyEvent, NotifyGroup};
///
/// let inbox = NotifyGroup::mailboxes(["INBOX"]).message_new().message_expunge();
/// assert_eq!(inbox.events(), Some(&[NotifyEvent::MESSAGE_NEW, NotifyEvent::MessageExpunge][..]));
/// let quiet = NotifyGroup::subscribed().none();
/// assert_eq!(quiet.events(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyGroup {
    filter: NotifyFilter,
    /// `None` is `NONE`.
    events: Option<Vec<NotifyEvent>>,
}

impl NotifyGroup {
    /// A group for `filter` with no events yet: add some, or call [`none`](Self::none).
    /// Encoding a group with neither is an error ([`NotifyError::NoEvents`]).
    pub fn new(filter: NotifyFilter) -> NotifyGroup {
        NotifyGroup {
            filter,
            events: Some(Vec::new()),
        }
    }

    /// `selected` (RFC 5465 §6.1.1).
    pub fn selected() -> NotifyGroup {
        NotifyGroup::new(NotifyFilter::Selected)
    }

    /// `selected-delayed` (RFC 5465 §6.1.2).
    pub fn selected_delayed() -> NotifyGroup {
        NotifyGroup::new(NotifyFilter::SelectedDelayed)
    }

    /// `inboxes` (RFC 5465 §6.3).
    pub fn inboxes() -> NotifyGroup {
        NotifyGroup::new(NotifyFilter::Inboxes)
    }

    /// `personal` (RFC 5465 §6.2).
    pub fn personal() -> NotifyGroup {
        NotifyGroup::new(NotifyFilter::Personal)
    }

    /// `subscribed` (RFC 5465 §6.4).
    pub fn subscribed() -> NotifyGroup {
        NotifyGroup::new(NotifyFilter::Subscribed)
    }

    /// `subtree name...` (RFC 5465 §6.5): these folders and all below them.
    ///
    /// ```
    /// use imap_async::proto::notify::{NotifyFilter, NotifyGroup};
    ///
    /// let g = NotifyGroup::subtree(["Lists", "Projects"]);
    /// assert_eq!(g.filter(), &NotifyFilter::Subtree(vec!["Lists".into(), "Projects".into()]));
    /// ```
    pub fn subtree<I, S>(names: I) -> NotifyGroup
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        NotifyGroup::new(NotifyFilter::Subtree(
            names.into_iter().map(Into::into).collect(),
        ))
    }

    /// `mailboxes name...` (RFC 5465 §6.6): exactly these folders.
    pub fn mailboxes<I, S>(names: I) -> NotifyGroup
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        NotifyGroup::new(NotifyFilter::Mailboxes(
            names.into_iter().map(Into::into).collect(),
        ))
    }

    /// Add an event (replacing `NONE`, if [`none`](Self::none) was called).
    pub fn event(mut self, event: NotifyEvent) -> NotifyGroup {
        self.events.get_or_insert_with(Vec::new).push(event);
        self
    }

    /// Add `MessageNew` (RFC 5465 §5.2).
    pub fn message_new(self) -> NotifyGroup {
        self.event(NotifyEvent::MESSAGE_NEW)
    }

    /// Add `MessageNew (fetch-att ...)`: the server sends these FETCH items with each new
    /// message in the selected folder (only for `selected`/`selected-delayed`).
    ///
    /// ```
    /// use imap_async::Section;
    /// use imap_async::proto::notify::NotifyGroup;
    /// use imap_async::session::FetchAttr;
    ///
    /// let subject = Section::HeaderFields(vec!["SUBJECT".into()]);
    /// let g = NotifyGroup::selected()
    ///     .message_new_fetch([FetchAttr::Uid, FetchAttr::body_peek(subject)])
    ///     .message_expunge();
    /// assert!(g.validate().is_ok());
    /// ```
    pub fn message_new_fetch(self, fetch: impl Into<FetchItems>) -> NotifyGroup {
        self.event(NotifyEvent::MessageNew {
            fetch: Some(fetch.into()),
        })
    }

    /// Add `MessageExpunge` (RFC 5465 §5.3).
    pub fn message_expunge(self) -> NotifyGroup {
        self.event(NotifyEvent::MessageExpunge)
    }

    /// Add `MessageNew` and `MessageExpunge`, which must come together (RFC 5465 §5).
    pub fn messages(self) -> NotifyGroup {
        self.message_new().message_expunge()
    }

    /// Add `FlagChange` (RFC 5465 §5.1).
    pub fn flag_change(self) -> NotifyGroup {
        self.event(NotifyEvent::FlagChange)
    }

    /// Add `AnnotationChange` (RFC 5465 §5.1).
    pub fn annotation_change(self) -> NotifyGroup {
        self.event(NotifyEvent::AnnotationChange)
    }

    /// Add `MailboxName` (RFC 5465 §5.4).
    pub fn mailbox_name(self) -> NotifyGroup {
        self.event(NotifyEvent::MailboxName)
    }

    /// Add `SubscriptionChange` (RFC 5465 §5.5).
    pub fn subscription_change(self) -> NotifyGroup {
        self.event(NotifyEvent::SubscriptionChange)
    }

    /// Add `MailboxMetadataChange` (RFC 5465 §5.6).
    pub fn mailbox_metadata_change(self) -> NotifyGroup {
        self.event(NotifyEvent::MailboxMetadataChange)
    }

    /// Add `ServerMetadataChange` (RFC 5465 §5.7).
    pub fn server_metadata_change(self) -> NotifyGroup {
        self.event(NotifyEvent::ServerMetadataChange)
    }

    /// `NONE` (RFC 5465 §8 `events`): no events for these folders; drops any added so far.
    ///
    /// ```
    /// use imap_async::proto::notify::{NotifyGroup, NotifySet};
    ///
    /// // Only the selected folder's messages: nothing from anywhere else.
    /// let set = NotifySet::new()
    ///     .group(NotifyGroup::selected().messages())
    ///     .group(NotifyGroup::personal().none());
    /// assert!(set.validate().is_ok());
    /// ```
    pub fn none(mut self) -> NotifyGroup {
        self.events = None;
        self
    }

    /// The folders this group watches.
    pub fn filter(&self) -> &NotifyFilter {
        &self.filter
    }

    /// The events, or `None` for `NONE`.
    pub fn events(&self) -> Option<&[NotifyEvent]> {
        self.events.as_deref()
    }

    /// Check this group alone against RFC 5465 (see [`NotifySet::validate`]).
    pub fn validate(&self) -> Result<(), NotifyError> {
        let filter = &self.filter;
        if let NotifyFilter::Subtree(names) | NotifyFilter::Mailboxes(names) = filter {
            if names.is_empty() {
                return Err(NotifyError::NoMailboxes {
                    filter: filter.keyword(),
                });
            }
            if let Some(name) = names.iter().find(|n| n.contains('\0')) {
                return Err(NotifyError::Encode(EncodeError::Nul {
                    what: "NOTIFY mailbox name",
                    offset: name.find('\0').unwrap_or(0),
                }));
            }
        }
        let Some(events) = &self.events else {
            return Ok(());
        };
        if events.is_empty() {
            return Err(NotifyError::NoEvents {
                filter: filter.to_string(),
            });
        }
        let has = |name: &str| events.iter().any(|e| e.name() == name);
        let new = has("MessageNew");
        let expunge = has("MessageExpunge");
        if new != expunge {
            let (given, missing) = if new {
                ("MessageNew", "MessageExpunge")
            } else {
                ("MessageExpunge", "MessageNew")
            };
            return Err(NotifyError::UnpairedMessageEvents {
                filter: filter.to_string(),
                given,
                missing,
            });
        }
        for event in events {
            match event {
                NotifyEvent::FlagChange | NotifyEvent::AnnotationChange if !new => {
                    return Err(NotifyError::NeedsMessageEvents {
                        filter: filter.to_string(),
                        event: event.name().to_owned(),
                    });
                }
                NotifyEvent::MessageNew { fetch: Some(fetch) } => {
                    if !filter.is_selected() {
                        return Err(NotifyError::FetchOutsideSelected {
                            filter: filter.to_string(),
                        });
                    }
                    fetch_list(fetch)?;
                }
                NotifyEvent::Other(name) if name.is_empty() || !name.bytes().all(is_atom_char) => {
                    return Err(NotifyError::Encode(EncodeError::NotAnAtom {
                        what: "NOTIFY event",
                        value: name.clone(),
                    }));
                }
                NotifyEvent::Other(_) => {}
                _ if filter.is_selected() && !event.is_message_event() => {
                    return Err(NotifyError::NotMessageEvent {
                        filter: filter.keyword(),
                        event: event.name().to_owned(),
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn encode(&self, enc: &mut CommandEncoder) -> Result<(), NotifyError> {
        enc.open_list();
        enc.raw(self.filter.keyword());
        if let NotifyFilter::Subtree(names) | NotifyFilter::Mailboxes(names) = &self.filter {
            // `one-or-more-mailbox = mailbox / many-mailboxes`
            if let [name] = names.as_slice() {
                enc.mailbox("NOTIFY mailbox name", name)?;
            } else {
                enc.open_list();
                for name in names {
                    enc.mailbox("NOTIFY mailbox name", name)?;
                }
                enc.close_list();
            }
        }
        match &self.events {
            None => {
                enc.raw("NONE");
            }
            Some(events) => {
                enc.open_list();
                for event in events {
                    match event {
                        NotifyEvent::MessageNew { fetch: Some(fetch) } => {
                            enc.raw("MessageNew").raw(&fetch_list(fetch)?);
                        }
                        NotifyEvent::Other(name) => {
                            enc.atom("NOTIFY event", name)?;
                        }
                        other => {
                            enc.raw(other.name());
                        }
                    }
                }
                enc.close_list();
            }
        }
        enc.close_list();
        Ok(())
    }
}

/// `ATOM-CHAR` (RFC 3501 §9), as the encoder checks it.
fn is_atom_char(b: u8) -> bool {
    matches!(b, 0x21..=0x7e) && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// The `"(" fetch-att *(SP fetch-att) ")"` of `MessageNew` (RFC 5465 §8): always in
/// parentheses, and no FETCH macro (`ALL`, `FAST`, `FULL` are not `fetch-att`s).
fn fetch_list(fetch: &FetchItems) -> Result<String, NotifyError> {
    let wire = fetch
        .to_wire()
        .map_err(|e| NotifyError::Fetch(e.to_string()))?;
    let wire = wire.trim();
    let inner = match wire.strip_prefix('(') {
        Some(rest) if closes_at_end(wire) => rest.strip_suffix(')').unwrap_or(rest).trim(),
        _ => wire,
    };
    if inner.is_empty() {
        return Err(NotifyError::Fetch("no FETCH attribute in the list".into()));
    }
    for word in inner.split(' ') {
        if ["ALL", "FAST", "FULL"]
            .iter()
            .any(|m| word.eq_ignore_ascii_case(m))
        {
            return Err(NotifyError::Fetch(format!(
                "{word} is a FETCH macro, not a fetch-att; name the attributes"
            )));
        }
    }
    Ok(format!("({inner})"))
}

/// Whether the `(` that starts `s` is closed by its last byte.
fn closes_at_end(s: &str) -> bool {
    let mut depth = 0i32;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i == s.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

/// `NOTIFY SET [STATUS] event-group...` (RFC 5465 §3.1, §8 `notify-set`).
///
/// ```
/// use imap_async::proto::notify::{NotifyGroup, NotifySet};
///
/// let set = NotifySet::new()
///     .status(true)
///     .group(NotifyGroup::personal().messages());
/// assert!(set.has_status());
/// assert_eq!(set.groups().len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotifySet {
    status: bool,
    groups: Vec<NotifyGroup>,
}

impl NotifySet {
    /// An empty set: add at least one group.
    pub fn new() -> NotifySet {
        NotifySet::default()
    }

    /// The `STATUS` indicator (RFC 5465 §3.1): the server answers with one `* STATUS` for
    /// each watched folder other than the selected one before its tagged OK, so the client
    /// starts from known counts.
    pub fn status(mut self, on: bool) -> NotifySet {
        self.status = on;
        self
    }

    /// Add an event group.
    pub fn group(mut self, group: NotifyGroup) -> NotifySet {
        self.groups.push(group);
        self
    }

    /// Whether the `STATUS` indicator is on.
    pub fn has_status(&self) -> bool {
        self.status
    }

    /// The event groups, in order.
    pub fn groups(&self) -> &[NotifyGroup] {
        &self.groups
    }

    /// Check the set against RFC 5465 without encoding it:
    ///
    /// * at least one group (§8 `event-groups`), and every group has events or `NONE`;
    /// * `MessageNew` and `MessageExpunge` together or not at all, in each group (§5);
    /// * `FlagChange` and `AnnotationChange` only with both of them (§5);
    /// * at most one `selected`/`selected-delayed` group (§6.1), carrying only message
    ///   events (§6.1, §8);
    /// * FETCH attributes on `MessageNew` only for `selected`/`selected-delayed` (§8), and
    ///   no FETCH macro among them;
    /// * `subtree`/`mailboxes` name at least one folder, with no NUL in any name;
    /// * an [`NotifyEvent::Other`] name is an atom.
    ///
    /// ```
    /// use imap_async::proto::notify::{NotifyError, NotifyGroup, NotifySet};
    ///
    /// let set = NotifySet::new().group(NotifyGroup::personal().message_new());
    /// let err = set.validate().unwrap_err();
    /// assert!(matches!(err, NotifyError::UnpairedMessageEvents { missing: "MessageExpunge", .. }));
    /// assert_eq!(
    ///     err.to_string(),
    ///     "event group `personal` has MessageNew without MessageExpunge; \
    ///      RFC 5465 §5 requires both or neither"
    /// );
    /// ```
    pub fn validate(&self) -> Result<(), NotifyError> {
        if self.groups.is_empty() {
            return Err(NotifyError::NoGroups);
        }
        let selected: Vec<_> = self
            .groups
            .iter()
            .filter(|g| g.filter.is_selected())
            .collect();
        if let [first, second, ..] = selected.as_slice() {
            return Err(NotifyError::SelectedTwice {
                first: first.filter.keyword(),
                second: second.filter.keyword(),
            });
        }
        self.groups.iter().try_for_each(NotifyGroup::validate)
    }
}

/// Write the arguments of `NOTIFY SET` (the encoder's command name should be
/// `"NOTIFY SET"`): `[STATUS] (filter events) ...`. The set is validated first
/// ([`NotifySet::validate`]); on an error nothing is written.
///
/// ```
/// use imap_async::proto::notify::{NotifyGroup, NotifySet, encode_notify_set};
/// use imap_async::proto::{CommandEncoder, LiteralSupport};
///
/// let set = NotifySet::new()
///     .group(NotifyGroup::mailboxes(["INBOX", "Entwürfe"]).messages())
///     .group(NotifyGroup::subtree(["Lists"]).none());
/// let mut enc = CommandEncoder::new("A1", "NOTIFY SET", LiteralSupport::Plus);
/// encode_notify_set(&mut enc, &set)?;
/// assert_eq!(
///     enc.finish().redacted,
///     "A1 NOTIFY SET (mailboxes (INBOX Entw&APw-rfe) (MessageNew MessageExpunge)) \
///      (subtree Lists NONE)"
/// );
/// # Ok::<(), imap_async::proto::notify::NotifyError>(())
/// ```
pub fn encode_notify_set(enc: &mut CommandEncoder, set: &NotifySet) -> Result<(), NotifyError> {
    set.validate()?;
    if set.status {
        enc.raw("STATUS");
    }
    for group in &set.groups {
        group.encode(enc)?;
    }
    Ok(())
}

/// A NOTIFY SET that breaks RFC 5465's rules or cannot be encoded; found before anything is
/// sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// No event group (§8: `event-groups = event-group *(SP event-group)`).
    #[error("NOTIFY SET needs at least one event group (use NOTIFY NONE to stop notifications)")]
    NoGroups,
    /// A group with neither events nor `NONE`.
    #[error("event group `{filter}` has no events; add some, or use NotifyGroup::none() for NONE")]
    NoEvents {
        /// The group's filter, e.g. `personal`.
        filter: String,
    },
    /// `MessageNew` without `MessageExpunge`, or the reverse (§5).
    #[error(
        "event group `{filter}` has {given} without {missing}; RFC 5465 §5 requires both or neither"
    )]
    UnpairedMessageEvents {
        /// The group's filter.
        filter: String,
        /// The event that was given.
        given: &'static str,
        /// The one missing.
        missing: &'static str,
    },
    /// `FlagChange` or `AnnotationChange` without `MessageNew` and `MessageExpunge` (§5).
    #[error(
        "event group `{filter}` has {event} without MessageNew and MessageExpunge, which \
         RFC 5465 §5 requires with it"
    )]
    NeedsMessageEvents {
        /// The group's filter.
        filter: String,
        /// `FlagChange` or `AnnotationChange`.
        event: String,
    },
    /// Two groups for the selected folder (§6.1: only one of `selected` and
    /// `selected-delayed`, once).
    #[error(
        "both `{first}` and `{second}` are given; RFC 5465 §6.1 allows one selected or \
         selected-delayed group"
    )]
    SelectedTwice {
        /// The first such filter.
        first: &'static str,
        /// The second.
        second: &'static str,
    },
    /// A non-message event for `selected`/`selected-delayed` (§6.1).
    #[error(
        "`{filter}` can only carry message events (MessageNew, MessageExpunge, FlagChange, \
         AnnotationChange), not {event} (RFC 5465 §6.1)"
    )]
    NotMessageEvent {
        /// `selected` or `selected-delayed`.
        filter: &'static str,
        /// The event.
        event: String,
    },
    /// FETCH attributes on `MessageNew` for a group other than `selected` (§8).
    #[error(
        "event group `{filter}` asks for FETCH attributes with MessageNew; RFC 5465 §8 allows \
         them only for selected or selected-delayed"
    )]
    FetchOutsideSelected {
        /// The group's filter.
        filter: String,
    },
    /// `subtree` or `mailboxes` without a folder name.
    #[error("`{filter}` needs at least one folder name")]
    NoMailboxes {
        /// `subtree` or `mailboxes`.
        filter: &'static str,
    },
    /// The FETCH attributes of `MessageNew` are not usable (empty, a macro, bad raw text).
    #[error("NOTIFY MessageNew fetch attributes: {0}")]
    Fetch(String),
    /// A folder name or event that cannot be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::encode::LiteralSupport;
    use crate::proto::fetch_items::FetchAttr;
    use crate::proto::testing::{check_lines, wire};

    fn encode(set: &NotifySet) -> Result<String, NotifyError> {
        encode_utf8(set, false)
    }

    fn encode_utf8(set: &NotifySet, utf8: bool) -> Result<String, NotifyError> {
        let mut enc =
            CommandEncoder::new("A1", "NOTIFY SET", LiteralSupport::SyncOnly).utf8_quoted(utf8);
        encode_notify_set(&mut enc, set)?;
        let cmd = enc.finish();
        check_lines(&cmd);
        Ok(String::from_utf8(wire(&cmd)).unwrap())
    }

    #[test]
    fn rfc_examples() {
        // RFC 5465 §3.1.
        let set = NotifySet::new()
            .status(true)
            .group(
                NotifyGroup::selected()
                    .message_new_fetch([
                        FetchAttr::Uid,
                        FetchAttr::body_peek("HEADER.FIELDS (FROM TO SUBJECT)"),
                    ])
                    .message_expunge(),
            )
            .group(NotifyGroup::subtree(["Lists"]).messages());
        assert_eq!(
            encode(&set).unwrap(),
            "A1 NOTIFY SET STATUS (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (FROM TO \
             SUBJECT)]) MessageExpunge)) (subtree Lists (MessageNew MessageExpunge))\r\n"
        );
        // §6.
        let set = NotifySet::new()
            .group(NotifyGroup::mailboxes(["INBOX"]).messages())
            .group(NotifyGroup::personal().subscription_change());
        assert_eq!(
            encode(&set).unwrap(),
            "A1 NOTIFY SET (mailboxes INBOX (MessageNew MessageExpunge)) (personal \
             (SubscriptionChange))\r\n"
        );
        let set = NotifySet::new()
            .group(
                NotifyGroup::selected()
                    .message_new_fetch("(uid flags)")
                    .message_expunge(),
            )
            .group(
                NotifyGroup::personal()
                    .message_new()
                    .flag_change()
                    .message_expunge(),
            );
        assert_eq!(
            encode(&set).unwrap(),
            "A1 NOTIFY SET (selected (MessageNew (uid flags) MessageExpunge)) (personal \
             (MessageNew FlagChange MessageExpunge))\r\n"
        );
    }

    #[test]
    fn every_filter_and_event() {
        let set = NotifySet::new()
            .group(
                NotifyGroup::selected_delayed()
                    .messages()
                    .flag_change()
                    .annotation_change(),
            )
            .group(NotifyGroup::inboxes().messages())
            .group(NotifyGroup::subscribed().none())
            .group(
                NotifyGroup::personal()
                    .mailbox_name()
                    .subscription_change()
                    .mailbox_metadata_change()
                    .server_metadata_change()
                    .event(NotifyEvent::Other("X-Future".into())),
            )
            .group(NotifyGroup::mailboxes(["a b", "日本語", "%*"]).none());
        assert_eq!(
            encode(&set).unwrap(),
            "A1 NOTIFY SET (selected-delayed (MessageNew MessageExpunge FlagChange \
             AnnotationChange)) (inboxes (MessageNew MessageExpunge)) (subscribed NONE) \
             (personal (MailboxName SubscriptionChange MailboxMetadataChange \
             ServerMetadataChange X-Future)) (mailboxes (\"a b\" &ZeVnLIqe- \"%*\") NONE)\r\n"
        );
        // UTF-8 names once UTF8=ACCEPT is on; a newline goes into a literal.
        let set = NotifySet::new().group(NotifyGroup::mailboxes(["日本語", "a\nb"]).messages());
        assert_eq!(
            encode_utf8(&set, true).unwrap(),
            "A1 NOTIFY SET (mailboxes (\"日本語\" {3}\r\na\nb) (MessageNew MessageExpunge))\r\n"
        );
    }

    #[test]
    fn rules_are_checked_before_encoding() {
        let bad: Vec<(NotifySet, &str)> = vec![
            (NotifySet::new(), "at least one event group"),
            (
                NotifySet::new().group(NotifyGroup::personal()),
                "event group `personal` has no events",
            ),
            (
                NotifySet::new().group(NotifyGroup::personal().message_expunge()),
                "MessageExpunge without MessageNew",
            ),
            (
                NotifySet::new().group(NotifyGroup::inboxes().flag_change()),
                "FlagChange without MessageNew and MessageExpunge",
            ),
            (
                NotifySet::new().group(NotifyGroup::inboxes().annotation_change().mailbox_name()),
                "AnnotationChange without",
            ),
            (
                NotifySet::new()
                    .group(NotifyGroup::selected().messages())
                    .group(NotifyGroup::selected_delayed().messages()),
                "both `selected` and `selected-delayed`",
            ),
            (
                NotifySet::new()
                    .group(NotifyGroup::selected().none())
                    .group(NotifyGroup::selected().none()),
                "both `selected` and `selected`",
            ),
            (
                NotifySet::new().group(NotifyGroup::selected().mailbox_name()),
                "not MailboxName (RFC 5465 §6.1)",
            ),
            (
                NotifySet::new().group(
                    NotifyGroup::personal()
                        .message_new_fetch(FetchAttr::Uid)
                        .message_expunge(),
                ),
                "allows them only for selected",
            ),
            (
                NotifySet::new().group(NotifyGroup::subtree(Vec::<String>::new()).messages()),
                "`subtree` needs at least one folder name",
            ),
            (
                NotifySet::new().group(NotifyGroup::mailboxes(["a\0b"]).messages()),
                "NUL byte at offset 1",
            ),
            (
                NotifySet::new().group(
                    NotifyGroup::selected()
                        .message_new_fetch("ALL")
                        .message_expunge(),
                ),
                "ALL is a FETCH macro",
            ),
            (
                NotifySet::new().group(
                    NotifyGroup::selected()
                        .message_new_fetch("(FLAGS fast)")
                        .message_expunge(),
                ),
                "fast is a FETCH macro",
            ),
            (
                NotifySet::new().group(
                    NotifyGroup::selected()
                        .message_new_fetch("UID\r\nA2 LOGOUT")
                        .message_expunge(),
                ),
                "control character",
            ),
            (
                NotifySet::new().group(
                    NotifyGroup::selected()
                        .message_new_fetch(Vec::new())
                        .message_expunge(),
                ),
                "empty",
            ),
            (
                NotifySet::new()
                    .group(NotifyGroup::personal().event(NotifyEvent::Other("Bad Event".into()))),
                "\"Bad Event\" is not a valid IMAP atom",
            ),
        ];
        for (set, want) in bad {
            let err = set.validate().unwrap_err();
            assert!(err.to_string().contains(want), "{err} vs {want}");
            let mut enc = CommandEncoder::new("A1", "NOTIFY SET", LiteralSupport::Plus);
            assert_eq!(encode_notify_set(&mut enc, &set).unwrap_err(), err);
            // Nothing was written.
            assert_eq!(enc.finish().redacted, "A1 NOTIFY SET");
        }
    }

    #[test]
    fn fetch_lists_are_always_parenthesised() {
        for (fetch, want) in [
            (FetchItems::from("UID"), "(UID)"),
            (FetchItems::from(" (UID FLAGS) "), "(UID FLAGS)"),
            (FetchItems::from("(FLAGS) (UID)"), "((FLAGS) (UID))"),
            (FetchItems::from(FetchAttr::Flags), "(FLAGS)"),
            (
                FetchItems::from(FetchAttr::body_peek("HEADER.FIELDS (SUBJECT)")),
                "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
            ),
        ] {
            assert_eq!(fetch_list(&fetch).unwrap(), want, "{fetch:?}");
        }
        assert!(fetch_list(&FetchItems::from("()")).is_err());
    }

    #[test]
    fn none_and_events_last_call_wins() {
        let g = NotifyGroup::personal().messages().none();
        assert_eq!(g.events(), None);
        let g = NotifyGroup::personal().none().mailbox_name();
        assert_eq!(g.events(), Some(&[NotifyEvent::MailboxName][..]));
        assert_eq!(
            NotifyFilter::Mailboxes(vec!["a".into(), "b c".into()]).to_string(),
            "mailboxes \"a\" \"b c\""
        );
    }
}
