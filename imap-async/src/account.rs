//! Watching a whole account on one connection: NOTIFY (RFC 5465) where the server offers
//! it, and IDLE on one folder plus periodic STATUS of the others where it does not.
//!
//! Either way the stream is the same: [`AccountEvent`]s naming their folder (new
//! messages, expunges, flag changes, folders created, renamed and deleted, subscription
//! changes), with the long-life properties of the folder watcher ([`crate::watch`]):
//! credentials asked at every connect, errors told and retried only when retrying can
//! help, backoff, and after every reconnect (or a `NOTIFICATIONOVERFLOW`, RFC 5465 §5.8)
//! a per-folder resynchronisation that yields what changed meanwhile. The state
//! ([`AccountState`]) can be saved and resumed, as with the folder watcher.
//!
//! How the changes are found:
//!
//! * **NOTIFY** (`AccountMode::Notify`): `NOTIFY SET (personal (MessageNew MessageExpunge
//!   FlagChange MailboxName SubscriptionChange))`, then IDLE. A change in a folder that is
//!   not selected comes as `* STATUS` (RFC 5465 §5.2–5.4), a folder created, renamed or
//!   deleted as `* LIST` (with `OLDNAME` for a rename, `\NonExistent` for a delete, §5.4),
//!   a change in the selected folder as EXISTS/EXPUNGE/FETCH. The watcher then selects
//!   each folder that moved and compares it with what it knew (QRESYNC, CONDSTORE or a
//!   UID comparison, as the folder watcher does), so every event carries UIDs. Latency:
//!   the server's own notification delay (Dovecot: about 0.5 s) plus one round trip per
//!   folder that moved. A LIST notification is checked against a fresh LIST, and every
//!   [`AccountOptions::recheck_interval`] all folders are compared anyway: servers merge
//!   and drop notifications (Dovecot 2.3.19 sometimes sends nothing for a RENAME made
//!   just after IDLE began).
//! * **Polling** (`AccountMode::Poll`): IDLE on [`AccountOptions::idle_folder`] (changes
//!   there arrive at once), and every [`AccountOptions::poll_interval`] a `STATUS` of
//!   every other folder and a `LIST`; the folders whose counts, `UIDNEXT` or
//!   `HIGHESTMODSEQ` moved are compared as above (one LIST-STATUS, RFC 5819, where the
//!   server has it). Latency: up to the poll interval for folders other than the idle
//!   one. Without CONDSTORE, STATUS cannot show a flag change, so every poll compares
//!   every folder in full.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::options::ConnectOptions;
use crate::proto::{Flag, NotifyGroup, NotifySet, ResponseCode, Uid, UidSet, Untagged};
use crate::session::{FetchItems, Fetched, FolderStatus, Idle, IdleEvent, Session, StatusItems};
use crate::stepper::{Stepper, Stepping};
use crate::watch::{
    FolderSync, Reconnects, WatchEvent, WatchOptions, WatchState, end_idle_and_log_out, sync_folder,
};

/// How an account watcher finds changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum AccountMode {
    /// NOTIFY when the server offers it, else polling (the default).
    #[default]
    Auto,
    /// NOTIFY (RFC 5465); a server without it ends the stream with
    /// [`Error::MissingCapability`].
    Notify,
    /// IDLE on one folder and a periodic STATUS of the others, on any server.
    Poll,
}

/// How [`watch_account`] behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountOptions {
    /// NOTIFY, polling, or NOTIFY when offered (the default).
    pub mode: AccountMode,
    /// The folders to watch; `None` (the default) for every selectable folder of the
    /// account (`LIST "" "*"`), including those created while watching.
    pub folders: Option<Vec<String>>,
    /// The folder kept selected and idled on (default `INBOX`): with polling, its changes
    /// arrive at once while the others wait for the next poll.
    pub idle_folder: String,
    /// With polling: how often the other folders are checked (default 60 s).
    pub poll_interval: Duration,
    /// With NOTIFY: how often every folder is compared anyway (default 2 minutes;
    /// `None` never), for changes a server failed to notify. A STATUS per folder and
    /// a LIST; only folders whose counts moved are selected.
    pub recheck_interval: Option<Duration>,
    /// Items to fetch for each new message, delivered in [`AccountEvent::New`] (like
    /// NOTIFY's `MessageNew` fetch attributes, RFC 5465 §5.2, on any server). `None`
    /// (the default): UIDs only.
    pub fetch: Option<FetchItems>,
    /// Backoff, stability and IDLE options, as for the folder watcher.
    pub watch: WatchOptions,
}

impl Default for AccountOptions {
    fn default() -> Self {
        AccountOptions {
            mode: AccountMode::Auto,
            folders: None,
            idle_folder: "INBOX".to_owned(),
            poll_interval: Duration::from_secs(60),
            recheck_interval: Some(Duration::from_secs(120)),
            fetch: None,
            watch: WatchOptions::default(),
        }
    }
}

impl AccountOptions {
    /// NOTIFY, polling, or NOTIFY when offered.
    ///
    /// ```
    /// use std::time::Duration;
    /// use imap_async::{AccountMode, AccountOptions};
    ///
    /// let a = AccountOptions::default()
    ///     .mode(AccountMode::Poll)
    ///     .folders(["INBOX", "Lists/rust"])
    ///     .poll_interval(Duration::from_secs(30));
    /// assert_eq!(a.folders.as_ref().map(Vec::len), Some(2));
    /// ```
    pub fn mode(mut self, mode: AccountMode) -> Self {
        self.mode = mode;
        self
    }

    /// Watch only these folders.
    pub fn folders<I, S>(mut self, folders: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.folders = Some(folders.into_iter().map(Into::into).collect());
        self
    }

    /// The folder to keep selected and idle on.
    pub fn idle_folder(mut self, folder: impl Into<String>) -> Self {
        self.idle_folder = folder.into();
        self
    }

    /// With polling, how often the other folders are checked.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// With NOTIFY, how often every folder is compared anyway (`None`: never).
    pub fn recheck_interval(mut self, interval: Option<Duration>) -> Self {
        self.recheck_interval = interval;
        self
    }

    /// Fetch these items for every new message, into [`AccountEvent::New`].
    ///
    /// ```
    /// use imap_async::AccountOptions;
    /// use imap_async::session::FetchAttr;
    ///
    /// let a = AccountOptions::default().fetch_new([FetchAttr::Envelope, FetchAttr::Flags]);
    /// assert!(a.fetch.is_some());
    /// ```
    pub fn fetch_new(mut self, items: impl Into<FetchItems>) -> Self {
        self.fetch = Some(items.into());
        self
    }

    /// Backoff, stability and IDLE options.
    pub fn watch_options(mut self, watch: WatchOptions) -> Self {
        self.watch = watch;
        self
    }
}

/// A folder's counts as last seen in a STATUS or a resynchronisation: when a later STATUS
/// shows the same, nothing changed there.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct FolderCounts {
    /// `MESSAGES`: number of messages; `None` if not known.
    pub messages: Option<u32>,
    /// `UIDNEXT`: the next UID the folder will assign; `None` if not known.
    pub uid_next: Option<u32>,
    /// `UIDVALIDITY`; `None` if not known.
    pub uid_validity: Option<u32>,
    /// `HIGHESTMODSEQ` (RFC 7162); `None` without CONDSTORE or if not known.
    pub highest_modseq: Option<u64>,
    /// The folder's MAILBOXID (RFC 8474), where the server has OBJECTID: what tells a
    /// rename from a deletion and a creation.
    #[cfg_attr(feature = "serde", serde(default))]
    pub mailbox_id: Option<String>,
}

impl FolderCounts {
    /// Nothing moved between the two: the same message counts, UIDs and modification
    /// sequence. Only with HIGHESTMODSEQ, which moves with every change to a message (RFC
    /// 7162 §3.1.1); without it a flag change shows in none of the counts.
    fn unchanged_since(&self, before: Option<&FolderCounts>) -> bool {
        before.is_some_and(|b| {
            self.highest_modseq.is_some()
                && (
                    self.messages,
                    self.uid_next,
                    self.uid_validity,
                    self.highest_modseq,
                ) == (b.messages, b.uid_next, b.uid_validity, b.highest_modseq)
        })
    }
}

impl From<&FolderStatus> for FolderCounts {
    fn from(s: &FolderStatus) -> Self {
        FolderCounts {
            messages: s.messages,
            uid_next: s.uid_next,
            uid_validity: s.uid_validity,
            highest_modseq: s.highest_modseq,
            mailbox_id: s.mailbox_id.clone(),
        }
    }
}

/// A STATUS notification's counts (it carries no MAILBOXID).
impl From<&crate::proto::MailboxStatus> for FolderCounts {
    fn from(s: &crate::proto::MailboxStatus) -> Self {
        FolderCounts {
            messages: s.messages,
            uid_next: s.uid_next,
            uid_validity: s.uid_validity,
            highest_modseq: s.highest_modseq,
            mailbox_id: None,
        }
    }
}

/// The folder list as the server gives it now.
struct Listed {
    names: Vec<String>,
    subscribed: BTreeSet<String>,
    /// Each folder's counts, when LIST-STATUS gave them.
    counts: Option<BTreeMap<String, FolderCounts>>,
    /// Each folder's MAILBOXID, where the server has OBJECTID.
    ids: BTreeMap<String, String>,
}

impl Listed {
    /// Counts with the MAILBOXIDs put in.
    fn with_ids(
        &self,
        mut counts: BTreeMap<String, FolderCounts>,
    ) -> BTreeMap<String, FolderCounts> {
        for (name, c) in counts.iter_mut() {
            c.mailbox_id = self.ids.get(name).cloned();
        }
        counts
    }
}

/// What an account watcher knows: for each folder, what the folder watcher would know
/// ([`WatchState`]) and its counts; and which folders are subscribed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct AccountState {
    /// Per folder (decoded UTF-8 name), what its folder watcher would know: UIDs, flags,
    /// `UIDVALIDITY`, mod-sequence.
    pub folders: BTreeMap<String, WatchState>,
    /// Per folder, its counts at the last STATUS or resynchronisation.
    pub counts: BTreeMap<String, FolderCounts>,
    /// Names of the subscribed folders.
    pub subscribed: BTreeSet<String>,
}

impl AccountState {
    /// Carry what is known of `old` (its state, counts, subscription) over to `new`: a
    /// rename keeps UIDs. False when `old` was not known.
    fn rename(&mut self, old: &str, new: &str) -> bool {
        let Some(ws) = self.folders.remove(old) else {
            return false;
        };
        self.folders.insert(new.to_owned(), ws);
        if let Some(c) = self.counts.remove(old) {
            self.counts.insert(new.to_owned(), c);
        }
        if self.subscribed.remove(old) {
            self.subscribed.insert(new.to_owned());
        }
        true
    }
}

/// What [`watch_account`] yields. Every change names its folder.
#[derive(Debug)]
#[non_exhaustive]
pub enum AccountEvent {
    /// Connected for the first time, watching `folders` folders this way.
    Started {
        /// How changes are being watched ([`AccountMode::Notify`] or
        /// [`AccountMode::Poll`]; never `Auto` here).
        mode: AccountMode,
        /// Number of folders watched.
        folders: usize,
    },
    /// New messages in `folder`; with [`AccountOptions::fetch_new`], `messages` holds
    /// the items asked for, one entry per message still there when fetched.
    New {
        /// The folder (decoded UTF-8 name).
        folder: String,
        /// UIDs of the new messages.
        uids: UidSet,
        /// The fetched items of each new message; empty without
        /// [`AccountOptions::fetch_new`].
        messages: Vec<Fetched>,
    },
    /// Messages expunged from `folder` (or moved out of it).
    Expunged {
        /// The folder (decoded UTF-8 name).
        folder: String,
        /// UIDs of the messages gone.
        uids: UidSet,
    },
    /// A message's flags changed (`flags` is all of them now).
    FlagsChanged {
        /// The folder (decoded UTF-8 name).
        folder: String,
        /// The message whose flags changed.
        uid: Uid,
        /// All of its flags now.
        flags: Vec<Flag>,
        /// Its mod-sequence after the change (RFC 7162), `None` without CONDSTORE.
        modseq: Option<u64>,
    },
    /// `folder` is void: its UIDs were renumbered. Fetch it again.
    UidValidityChanged {
        /// The folder (decoded UTF-8 name).
        folder: String,
        /// The `UIDVALIDITY` the watcher knew.
        old: u32,
        /// The folder's `UIDVALIDITY` now.
        new: u32,
    },
    /// A folder was created. Messages already in it follow as [`AccountEvent::New`].
    FolderCreated {
        /// The new folder (decoded UTF-8 name).
        folder: String,
    },
    /// A folder was renamed; its messages keep their UIDs.
    FolderRenamed {
        /// The old name (decoded UTF-8).
        from: String,
        /// The new name (decoded UTF-8).
        to: String,
    },
    /// A folder was deleted.
    FolderDeleted {
        /// The deleted folder (decoded UTF-8 name).
        folder: String,
    },
    /// A folder was subscribed or unsubscribed.
    SubscriptionChanged {
        /// The folder (decoded UTF-8 name).
        folder: String,
        /// True if it is now subscribed, false if unsubscribed.
        subscribed: bool,
    },
    /// The server said it lost track of changes (`NOTIFICATIONOVERFLOW`, RFC 5465 §5.8):
    /// every folder is being compared again; what changed follows, closed by
    /// [`AccountEvent::Resynced`].
    Overflow,
    /// `* OK [ALERT]` from the server.
    Alert(String),
    /// The connection was lost, or an attempt failed; [`AccountEvent::Retrying`] follows.
    Disconnected(Error),
    /// The next attempt starts in `after`.
    Retrying {
        /// Attempt number, from 1 since the last stable connection.
        attempt: u32,
        /// The backoff delay before this attempt.
        after: Duration,
    },
    /// Connected again; what changed meanwhile follows, closed by `Resynced`.
    Reconnected {
        /// How changes are watched on the new connection (`Notify` or `Poll`).
        mode: AccountMode,
    },
    /// A resynchronisation of `folders` folders (after a reconnect, a resume or an
    /// overflow) is complete.
    Resynced {
        /// Number of folders compared.
        folders: usize,
        /// Number of new messages reported, over all folders.
        new: u64,
        /// Number of expunged messages reported, over all folders.
        expunged: u64,
        /// Number of messages whose flags changed, over all folders.
        flags_changed: u64,
    },
}

/// Watch every folder of an account (or [`AccountOptions::folders`]) on one connection.
/// See the [module documentation](self).
///
/// ```no_run
/// use futures::StreamExt;
/// use imap_async::{watch_account, AccountEvent, AccountOptions, ConnectOptions};
///
/// # async fn run() -> imap_async::Result<()> {
/// let opts = ConnectOptions::new("imap.example.org").login("bar@example.org", "passwd");
/// let mut events = watch_account(opts, AccountOptions::default());
/// while let Some(event) = events.next().await {
///     match event? {
///         AccountEvent::New { folder, uids, .. } => println!("{folder}: new {uids}"),
///         AccountEvent::FolderRenamed { from, to } => println!("{from} is now {to}"),
///         other => println!("{other:?}"),
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub fn watch_account(opts: ConnectOptions, aopts: AccountOptions) -> AccountWatch {
    AccountWatch::new(opts, aopts, None)
}

/// The stream of a [`watch_account`]. Cancel-safe: dropping a `next()` future loses no
/// event.
pub struct AccountWatch {
    stepper: Stepper<Machine>,
    state: Arc<Mutex<AccountState>>,
    stop: Arc<Notify>,
}

impl std::fmt::Debug for AccountWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountWatch")
            .field("folders", &self.state().folders.len())
            .field("done", &self.stepper.is_done())
            .finish_non_exhaustive()
    }
}

impl AccountWatch {
    fn new(opts: ConnectOptions, aopts: AccountOptions, resume: Option<AccountState>) -> Self {
        let resumed = resume.is_some();
        let initial = resume.unwrap_or_default();
        let published = Arc::new(Mutex::new(initial.clone()));
        let stop = Arc::new(Notify::new());
        AccountWatch {
            stepper: Stepper::new(Machine {
                opts,
                aopts,
                state: initial,
                published: published.clone(),
                stop: stop.clone(),
                live: None,
                pending: VecDeque::new(),
                reconnects: Reconnects::default(),
                started: false,
                resumed,
                ended: false,
            }),
            state: published,
            stop,
        }
    }

    /// Watch from a state saved earlier ([`AccountWatch::state`]): the first events are
    /// what changed in every folder since.
    pub fn resume(opts: ConnectOptions, aopts: AccountOptions, state: AccountState) -> Self {
        AccountWatch::new(opts, aopts, Some(state))
    }

    /// The state covering the events yielded so far (see [`crate::Watch::state`] for how
    /// batches are handled).
    pub fn state(&self) -> AccountState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stop watching: end IDLE and log out, and return the state to save.
    pub async fn close(mut self) -> AccountState {
        let before = self.state();
        let mut result = None;
        self.stop.notify_one();
        let (machine, undelivered) = self.stepper.settle().await;
        if undelivered.is_some() {
            // Not delivered: the state from before it, so that a resumed watcher reports it.
            result = Some(before);
        }
        if let Some(machine) = machine
            && let Some(live) = machine.live
        {
            end_idle_and_log_out(live.idle, machine.opts.logout_timeout).await;
        }
        result.unwrap_or_else(|| self.state())
    }
}

impl Stream for AccountWatch {
    type Item = Result<AccountEvent>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().stepper.poll_next(cx)
    }
}

impl futures::stream::FusedStream for AccountWatch {
    fn is_terminated(&self) -> bool {
        self.stepper.is_done()
    }
}

struct Live {
    idle: Idle<'static, Session>,
    mode: AccountMode,
    /// With polling: when the other folders are checked next.
    next_poll: Option<Instant>,
    /// SubscriptionChange was accepted by the server.
    subscriptions: bool,
}

struct Machine {
    opts: ConnectOptions,
    aopts: AccountOptions,
    /// The working state; `published` follows it batch by batch.
    state: AccountState,
    published: Arc<Mutex<AccountState>>,
    stop: Arc<Notify>,
    live: Option<Live>,
    pending: VecDeque<Result<AccountEvent>>,
    reconnects: Reconnects,
    started: bool,
    resumed: bool,
    ended: bool,
}

enum Interrupt {
    Stopped,
    Failed(Error),
}

impl From<Error> for Interrupt {
    fn from(e: Error) -> Self {
        Interrupt::Failed(e)
    }
}

/// What one round of work found: events, and the state to commit with them.
struct Found {
    events: Vec<AccountEvent>,
    state: AccountState,
}

/// Totals of a resynchronisation.
#[derive(Default)]
struct Totals {
    folders: usize,
    new: u64,
    expunged: u64,
    flags_changed: u64,
}

impl Stepping for Machine {
    type Item = Result<AccountEvent>;

    fn step(&mut self) -> impl Future<Output = Option<Self::Item>> + Send + '_ {
        self.next()
    }
}

impl Machine {
    async fn next(&mut self) -> Option<Result<AccountEvent>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                if self.pending.is_empty() {
                    *self.published.lock().unwrap_or_else(|e| e.into_inner()) = self.state.clone();
                }
                return Some(event);
            }
            if self.ended {
                return None;
            }
            let result = if self.live.is_some() {
                self.watch_live().await
            } else {
                self.connect().await
            };
            match result {
                Ok(()) => {}
                Err(Interrupt::Stopped) => {
                    self.ended = true;
                    return None;
                }
                Err(Interrupt::Failed(e)) => self.failed(e),
            }
        }
    }

    fn failed(&mut self, error: Error) {
        self.live = None;
        let Some((attempt, delay)) = self.reconnects.failed(&error, &self.aopts.watch) else {
            tracing::warn!(error = %error, "account watcher stopped: retrying cannot fix this");
            self.pending.push_back(Err(error));
            self.ended = true;
            return;
        };
        tracing::warn!(error = %error, attempt, ?delay, "account watcher disconnected; retrying");
        self.pending
            .push_back(Ok(AccountEvent::Disconnected(error)));
        self.pending.push_back(Ok(AccountEvent::Retrying {
            attempt,
            after: delay,
        }));
    }

    async fn connect(&mut self) -> std::result::Result<(), Interrupt> {
        if !self.reconnects.wait(&self.stop).await {
            return Err(Interrupt::Stopped);
        }
        let stop = self.stop.clone();
        let attempt = async {
            let mut session = Session::connect(&self.opts).await?;
            let caps = session.capabilities().await?;
            let notify = caps.has("NOTIFY");
            let qresync = caps.has("QRESYNC") && caps.has("CONDSTORE") && caps.has("ENABLE");
            let mode = match self.aopts.mode {
                AccountMode::Auto if notify => AccountMode::Notify,
                AccountMode::Auto | AccountMode::Poll => AccountMode::Poll,
                AccountMode::Notify if notify => AccountMode::Notify,
                AccountMode::Notify => {
                    return Err(Error::MissingCapability {
                        capability: "NOTIFY".into(),
                        needed_for: "watching an account with NOTIFY".into(),
                    });
                }
            };
            if qresync {
                // Before any SELECT (RFC 5161 §3.1): expunges then come as UIDs.
                session.enable(&["QRESYNC"]).await?;
            }
            // NOTIFY first, then the comparison: a change made while comparing is
            // notified, and compared again.
            let mut subscriptions = false;
            if mode == AccountMode::Notify {
                subscriptions = self.notify_set(&mut session).await?;
            }
            let catch_up = self.started || self.resumed;
            let found = self.full_resync(&mut session, catch_up).await?;
            let idle = session.into_idle(self.aopts.watch.idle).await?;
            Ok::<_, Error>((idle, mode, subscriptions, found))
        };
        let (idle, mode, subscriptions, found) = tokio::select! {
            r = attempt => r?,
            _ = stop.notified() => return Err(Interrupt::Stopped),
        };
        self.state = found.state;
        self.reconnects.connected();
        let next_poll = self.check_interval(mode).map(|i| Instant::now() + i);
        self.live = Some(Live {
            idle,
            mode,
            next_poll,
            subscriptions,
        });
        let first = if self.started {
            AccountEvent::Reconnected { mode }
        } else {
            AccountEvent::Started {
                mode,
                folders: self.state.folders.len(),
            }
        };
        self.pending.push_back(Ok(first));
        self.pending.extend(found.events.into_iter().map(Ok));
        self.started = true;
        Ok(())
    }

    /// `NOTIFY SET` for the account; true when subscription changes are reported too
    /// (Dovecot refuses some events with `BADEVENT`: they are dropped and the set sent
    /// again).
    async fn notify_set(&mut self, session: &mut Session) -> Result<bool> {
        let group = |subscriptions: bool| {
            let g = match &self.aopts.folders {
                None => NotifyGroup::personal(),
                Some(list) => NotifyGroup::mailboxes(list.iter().cloned()),
            };
            let g = g.messages().flag_change().mailbox_name();
            if subscriptions {
                g.subscription_change()
            } else {
                g
            }
        };
        match session
            .notify_set(&NotifySet::new().group(group(true)))
            .await
        {
            Ok(_) => Ok(true),
            Err(Error::No {
                code: Some(ResponseCode::BadEvent(_)),
                ..
            }) => {
                session
                    .notify_set(&NotifySet::new().group(group(false)))
                    .await?;
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// The folders to watch, as the server lists them now, with their subscription.
    /// With LIST-STATUS (RFC 5819) the counts come in the same command.
    async fn list(&mut self, session: &mut Session) -> Result<Listed> {
        let (all, mut counts) = if session.has_capability("LIST-STATUS").await? {
            let items = Self::status_items(session).await?;
            let mut counts = BTreeMap::new();
            let mut all = Vec::new();
            for (folder, status) in session.list_status("", "*", items).await? {
                if let Some(s) = status {
                    counts.insert(folder.name.clone(), FolderCounts::from(&s));
                }
                all.push(folder);
            }
            (all, Some(counts))
        } else {
            (session.list_folders("", "*").await?, None)
        };
        let mut names: Vec<String> = all
            .into_iter()
            .filter(|f| {
                !f.attributes.iter().any(|a| {
                    a.eq_ignore_ascii_case("\\Noselect") || a.eq_ignore_ascii_case("\\NonExistent")
                })
            })
            .map(|f| f.name)
            .collect();
        if let Some(wanted) = &self.aopts.folders {
            names.retain(|n| wanted.iter().any(|w| same_folder(w, n)));
        }
        // A folder known before and missing now is asked for by name before it is called
        // deleted: Dovecot 2.3.19 with its mailbox list index was seen to leave three
        // existing folders out of one `LIST "" *` made just after another connection
        // deleted a fourth.
        let missing: Vec<String> = self
            .state
            .folders
            .keys()
            .filter(|k| !names.contains(k))
            .cloned()
            .collect();
        for name in missing {
            let items = StatusItems {
                uid_validity: true,
                ..StatusItems::NONE
            };
            match session.folder_status(&name, Some(items)).await {
                Ok(_) => {
                    tracing::debug!(folder = %name, "left out of LIST but still there");
                    // No counts: it is compared in full.
                    if let Some(c) = counts.as_mut() {
                        c.remove(&name);
                    }
                    names.push(name);
                }
                Err(Error::No { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let subscribed = session
            .list_sub_folders("", "*")
            .await
            .map(|l| l.into_iter().map(|f| f.name).collect())
            .unwrap_or_default();
        // MAILBOXID (RFC 8474) tells a rename from a deletion and a creation. Asked for
        // alone, once per folder not known yet: Cyrus 3.6.1 was seen to send garbage bytes
        // as the MAILBOXID of a LIST-STATUS that asked for it with other items.
        let mut ids = BTreeMap::new();
        if session.has_capability("OBJECTID").await? {
            for name in &names {
                if let Some(id) = self
                    .state
                    .counts
                    .get(name)
                    .and_then(|c| c.mailbox_id.clone())
                {
                    ids.insert(name.clone(), id);
                    continue;
                }
                let items = StatusItems {
                    mailbox_id: true,
                    ..StatusItems::NONE
                };
                match session.folder_status(name, Some(items)).await {
                    Ok(st) => {
                        if let Some(id) = st.mailbox_id {
                            ids.insert(name.clone(), id);
                        }
                    }
                    Err(Error::No { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(Listed {
            names,
            subscribed,
            counts,
            ids,
        })
    }

    /// The STATUS items that tell whether a folder moved.
    async fn status_items(session: &mut Session) -> Result<StatusItems> {
        Ok(StatusItems {
            messages: true,
            uid_next: true,
            uid_validity: true,
            highest_modseq: session.has_capability("CONDSTORE").await?,
            ..StatusItems::NONE
        })
    }

    /// Compare every folder with what was known (created and deleted folders included),
    /// ending with the idle folder selected. With `catch_up` false, what is there is the
    /// baseline.
    async fn full_resync(&mut self, session: &mut Session, catch_up: bool) -> Result<Found> {
        let mut listed = self.list(session).await?;
        let counts_now = match listed.counts.take() {
            Some(c) => c,
            None => self.counts(session, &listed.names).await?,
        };
        let counts_now = listed.with_ids(counts_now);
        let Listed {
            names, subscribed, ..
        } = listed;
        let mut state = self.state.clone();
        let mut events = Vec::new();
        let mut totals = Totals::default();
        let created = apply_structure(
            &mut state,
            &names,
            subscribed,
            &counts_now,
            catch_up,
            &mut events,
        );
        let idle_folder = self.idle_folder(&names);
        let mut order: Vec<&String> = names
            .iter()
            .filter(|n| Some(*n) != idle_folder.as_ref())
            .collect();
        order.extend(idle_folder.as_ref());
        for name in order {
            let known = !created.contains(name);
            let unchanged = known
                && catch_up
                && counts_now
                    .get(name)
                    .is_some_and(|c| c.unchanged_since(state.counts.get(name)));
            // The idle folder is always selected last, even when nothing moved there.
            if unchanged && Some(name) != idle_folder.as_ref() {
                continue;
            }
            let previous = state.folders.get(name).cloned().unwrap_or_default();
            let sync = sync_folder(session, name, &previous, catch_up && known).await?;
            totals.folders += 1;
            let created = catch_up && !known;
            let from = events.len();
            add_folder_events(&mut events, &mut totals, name, &sync, created);
            attach_messages(session, self.aopts.fetch.as_ref(), &mut events[from..]).await?;
            state.folders.insert(name.clone(), sync.state);
            if let Some(c) = counts_now.get(name) {
                state.counts.insert(name.clone(), c.clone());
            }
        }
        if catch_up {
            events.push(AccountEvent::Resynced {
                folders: totals.folders,
                new: totals.new,
                expunged: totals.expunged,
                flags_changed: totals.flags_changed,
            });
        }
        Ok(Found { events, state })
    }

    /// STATUS of each folder (HIGHESTMODSEQ when the server has CONDSTORE).
    async fn counts(
        &mut self,
        session: &mut Session,
        names: &[String],
    ) -> Result<BTreeMap<String, FolderCounts>> {
        let items = Self::status_items(session).await?;
        let mut out = BTreeMap::new();
        for name in names {
            match session.folder_status(name, Some(items)).await {
                Ok(s) => {
                    out.insert(name.clone(), FolderCounts::from(&s));
                }
                // Deleted between LIST and STATUS: the next LIST says so.
                Err(Error::No { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// How often every folder is checked: the poll interval when polling, the recheck
    /// interval under NOTIFY.
    fn check_interval(&self, mode: AccountMode) -> Option<Duration> {
        match mode {
            AccountMode::Notify => self.aopts.recheck_interval,
            _ => Some(self.aopts.poll_interval),
        }
    }

    fn idle_folder(&self, names: &[String]) -> Option<String> {
        names
            .iter()
            .find(|n| same_folder(n, &self.aopts.idle_folder))
            .or_else(|| names.first())
            .cloned()
    }

    /// Wait for the next change (a notification, or the poll time) and compare the
    /// folders it concerns.
    async fn watch_live(&mut self) -> std::result::Result<(), Interrupt> {
        use futures::StreamExt;
        let stop = self.stop.clone();
        let live = self.live.as_mut().expect("checked by the caller");
        let wait = live
            .next_poll
            .map(|at| at.saturating_duration_since(Instant::now()));
        let event = tokio::select! {
            e = async {
                match wait {
                    Some(w) => tokio::time::timeout(w, live.idle.next()).await.ok(),
                    None => Some(live.idle.next().await),
                }
            } => e,
            _ = stop.notified() => return Err(Interrupt::Stopped),
        };
        let mut marks = Marks::default();
        let poll_due = match event {
            None => true,
            Some(Some(Ok(e))) => {
                self.note(e, &mut marks);
                false
            }
            Some(Some(Err(e))) => return Err(e.into()),
            Some(None) => {
                return Err(Error::ConnectionClosed {
                    during: "IDLE".into(),
                    bye: None,
                    idle_for: None,
                }
                .into());
            }
        };
        let live = self.live.take().expect("still live");
        let mode = live.mode;
        let subscriptions = live.subscriptions;
        let mut session = live.idle.done().await?;
        for u in session.take_unsolicited() {
            self.note(IdleEvent::from(u), &mut marks);
        }
        let found = self.handle(&mut session, marks, poll_due).await?;
        let idle = session.into_idle(self.aopts.watch.idle).await?;
        self.state = found.state;
        self.pending.extend(found.events.into_iter().map(Ok));
        let next_poll = if poll_due {
            self.check_interval(mode).map(|i| Instant::now() + i)
        } else {
            live.next_poll
        };
        self.live = Some(Live {
            idle,
            mode,
            next_poll,
            subscriptions,
        });
        Ok(())
    }

    /// What a notification says needs looking at.
    fn note(&self, event: IdleEvent, marks: &mut Marks) {
        match event {
            IdleEvent::Exists(_)
            | IdleEvent::Expunge(_)
            | IdleEvent::Vanished { .. }
            | IdleEvent::Fetch { .. } => marks.selected = true,
            IdleEvent::Alert(text) => marks.alerts.push(text),
            IdleEvent::Other(Untagged::MailboxStatus(st)) => {
                let name = mailbox_name(&st.mailbox);
                marks.status.insert(name.clone(), FolderCounts::from(&st));
                marks.folders.insert(name);
            }
            IdleEvent::Other(Untagged::List(item)) => {
                // What the LIST says beyond OLDNAME is checked against a fresh LIST.
                marks.names.push(NameChange {
                    name: mailbox_name(&item.name),
                    old: item.old_name.as_deref().map(mailbox_name),
                });
            }
            IdleEvent::Other(Untagged::Status(st))
                if st.code == Some(ResponseCode::NotificationOverflow)
                    || String::from_utf8_lossy(&st.text).contains("NOTIFY error") =>
            {
                marks.overflow = true;
            }
            _ => {}
        }
    }

    /// Act on what was noted: renames, deletions and creations first, then the folders
    /// that moved (all of them after an overflow or at poll time), the idle folder last.
    async fn handle(
        &mut self,
        session: &mut Session,
        marks: Marks,
        poll_due: bool,
    ) -> Result<Found> {
        let mut events: Vec<AccountEvent> =
            marks.alerts.into_iter().map(AccountEvent::Alert).collect();
        if marks.overflow {
            events.push(AccountEvent::Overflow);
            let mut found = self.full_resync(session, true).await?;
            events.append(&mut found.events);
            return Ok(Found {
                events,
                state: found.state,
            });
        }
        if poll_due {
            // Polling, or NOTIFY's recheck: the folder list and every folder's counts.
            let mut found = self.full_resync(session, true).await?;
            // A poll that found nothing says nothing.
            found.events.retain(|e| {
                !matches!(
                    e,
                    AccountEvent::Resynced {
                        new: 0,
                        expunged: 0,
                        flags_changed: 0,
                        ..
                    }
                )
            });
            events.append(&mut found.events);
            return Ok(Found {
                events,
                state: found.state,
            });
        }
        let mut state = self.state.clone();
        let mut dirty: BTreeSet<String> = marks.folders;
        // A STATUS that says what the last one said is news of nothing: Dovecot sends one
        // for every index change, including the \Recent our own SELECT took away, which
        // would otherwise cost a round of SELECTs after each real change. Only with
        // HIGHESTMODSEQ, which moves with every change to a message (RFC 7162 §3.1.1).
        dirty.retain(|f| {
            !marks
                .status
                .get(f)
                .is_some_and(|c| c.unchanged_since(state.counts.get(f)))
        });
        if !marks.names.is_empty() {
            // OLDNAME (RFC 5465 §5.4) is the sure sign of a rename: applied first.
            for change in &marks.names {
                if let Some(old) = change.old.as_ref().filter(|o| **o != change.name)
                    && !state.folders.contains_key(&change.name)
                    && state.rename(old, &change.name)
                {
                    events.push(AccountEvent::FolderRenamed {
                        from: old.clone(),
                        to: change.name.clone(),
                    });
                }
            }
            // Then the folder list as it is now, not as the notifications tell it: a
            // server merges and drops them (Dovecot 2.3.19 was seen to send no LIST for
            // a RENAME made within its 0.5 s notification delay of other list changes,
            // and to send a folder's LIST twice, without and then with \Subscribed).
            let mut listed = self.list(session).await?;
            let counts_new = match listed.counts.take() {
                Some(c) => c,
                None => {
                    let new: Vec<String> = listed
                        .names
                        .iter()
                        .filter(|n| !state.folders.contains_key(*n))
                        .cloned()
                        .collect();
                    self.counts(session, &new).await?
                }
            };
            let counts_new = listed.with_ids(counts_new);
            let Listed {
                names, subscribed, ..
            } = listed;
            let created = apply_structure(
                &mut state,
                &names,
                subscribed,
                &counts_new,
                true,
                &mut events,
            );
            for folder in created {
                if let Some(c) = counts_new.get(&folder) {
                    state.counts.insert(folder.clone(), c.clone());
                }
                state.folders.insert(folder.clone(), WatchState::default());
                dirty.insert(folder);
            }
        }
        let selected = session.selected_folder().map(str::to_owned);
        if marks.selected
            && let Some(s) = &selected
        {
            dirty.insert(s.clone());
        }
        let names: Vec<String> = state.folders.keys().cloned().collect();
        let idle_folder = self.idle_folder(&names);
        let mut order: Vec<String> = dirty
            .into_iter()
            .filter(|d| state.folders.contains_key(d) && Some(d) != idle_folder.as_ref())
            .collect();
        // End where IDLE is to run: the idle folder selected again.
        if let Some(f) = idle_folder
            && (selected.as_deref() != Some(f.as_str()) || marks.selected || !order.is_empty())
        {
            order.push(f);
        }
        let mut totals = Totals::default();
        for name in order {
            let previous = state.folders.get(&name).cloned().unwrap_or_default();
            let created = previous.uid_validity.is_none();
            let sync = match sync_folder(session, &name, &previous, !created).await {
                Ok(s) => s,
                // Deleted meanwhile: its LIST notification follows.
                Err(Error::No { .. }) => continue,
                Err(e) => return Err(e),
            };
            let from = events.len();
            add_folder_events(&mut events, &mut totals, &name, &sync, created);
            attach_messages(session, self.aopts.fetch.as_ref(), &mut events[from..]).await?;
            if let Some(c) = marks.status.get(&name) {
                // A notification carries no MAILBOXID: the one known is kept.
                let mailbox_id = state.counts.get(&name).and_then(|k| k.mailbox_id.clone());
                state.counts.insert(
                    name.clone(),
                    FolderCounts {
                        mailbox_id,
                        ..c.clone()
                    },
                );
            }
            state.folders.insert(name, sync.state);
        }
        Ok(Found { events, state })
    }
}

/// What notifications asked for, gathered before acting.
#[derive(Default)]
struct Marks {
    /// Folders whose STATUS moved.
    folders: BTreeSet<String>,
    /// The last STATUS counts notified for each of them.
    status: BTreeMap<String, FolderCounts>,
    /// The selected folder changed.
    selected: bool,
    names: Vec<NameChange>,
    overflow: bool,
    alerts: Vec<String>,
}

struct NameChange {
    name: String,
    old: Option<String>,
}

/// Bring `state` to the folder list the server gives now (`names`, `subscribed`), with
/// events when `report`: a folder gone and one new with the same UIDVALIDITY are one
/// folder renamed (RENAME keeps UIDs and UIDVALIDITY, RFC 3501 §6.3.5; the server may not
/// have said so with OLDNAME), other gone ones are deleted; subscription changes. Returns
/// the folders new to the state, to be compared from nothing (their messages are new).
fn apply_structure(
    state: &mut AccountState,
    names: &[String],
    subscribed: BTreeSet<String>,
    counts_now: &BTreeMap<String, FolderCounts>,
    report: bool,
    events: &mut Vec<AccountEvent>,
) -> Vec<String> {
    let gone: Vec<String> = state
        .folders
        .keys()
        .filter(|k| !names.contains(k))
        .cloned()
        .collect();
    for old in gone {
        match renamed_to(state, &old, names, counts_now) {
            Some(to) => {
                state.rename(&old, &to);
                if report {
                    events.push(AccountEvent::FolderRenamed { from: old, to });
                }
            }
            None => {
                state.folders.remove(&old);
                state.counts.remove(&old);
                if report {
                    events.push(AccountEvent::FolderDeleted { folder: old });
                }
            }
        }
    }
    let created: Vec<String> = names
        .iter()
        .filter(|n| !state.folders.contains_key(*n))
        .cloned()
        .collect();
    if report {
        for folder in &created {
            events.push(AccountEvent::FolderCreated {
                folder: folder.clone(),
            });
        }
        for folder in subscribed.difference(&state.subscribed) {
            events.push(AccountEvent::SubscriptionChanged {
                folder: folder.clone(),
                subscribed: true,
            });
        }
        for folder in state.subscribed.difference(&subscribed) {
            events.push(AccountEvent::SubscriptionChanged {
                folder: folder.clone(),
                subscribed: false,
            });
        }
    }
    state.subscribed = subscribed;
    created
}

/// Where the folder `old`, gone from the list, went, if it was renamed.
///
/// With OBJECTID the answer is sure: RENAME keeps MAILBOXID (RFC 8474 §4). Without it, a
/// folder that appeared with the same UIDVALIDITY, no fewer UIDs assigned, and no other
/// folder sharing that UIDVALIDITY is taken for it (RENAME keeps UIDVALIDITY and UIDs,
/// RFC 3501 §6.3.5). Dovecot never gives two folders of an account one UIDVALIDITY;
/// Cyrus does, to folders created in the same second, and has OBJECTID.
fn renamed_to(
    state: &AccountState,
    old: &str,
    names: &[String],
    counts_now: &BTreeMap<String, FolderCounts>,
) -> Option<String> {
    let fresh = |n: &&String| !state.folders.contains_key(*n);
    if let Some(id) = state.counts.get(old).and_then(|c| c.mailbox_id.as_ref()) {
        return names
            .iter()
            .filter(fresh)
            .find(|n| counts_now.get(*n).and_then(|c| c.mailbox_id.as_ref()) == Some(id))
            .cloned();
    }
    let known = state.folders.get(old)?;
    let validity = known.uid_validity?;
    let with_validity: Vec<&String> = names
        .iter()
        .filter(|n| counts_now.get(*n).and_then(|c| c.uid_validity) == Some(validity))
        .collect();
    let others_known = state
        .folders
        .iter()
        .any(|(n, w)| n != old && w.uid_validity == Some(validity));
    match with_validity.as_slice() {
        [only] if fresh(only) && !others_known => {
            let uid_next = counts_now.get(*only).and_then(|c| c.uid_next);
            (uid_next >= known.uid_next).then(|| (*only).clone())
        }
        _ => None,
    }
}

/// With [`AccountOptions::fetch`], fetch the asked items of the new messages in these
/// events (of the folder that is selected now).
async fn attach_messages(
    session: &mut Session,
    items: Option<&FetchItems>,
    events: &mut [AccountEvent],
) -> Result<()> {
    let Some(items) = items else {
        return Ok(());
    };
    for event in events {
        if let AccountEvent::New { uids, messages, .. } = event
            && !uids.is_empty()
        {
            *messages = session.fetch(uids, items.clone()).await?;
        }
    }
    Ok(())
}

/// A folder watcher's events, named for the account.
fn add_folder_events(
    events: &mut Vec<AccountEvent>,
    totals: &mut Totals,
    folder: &str,
    sync: &FolderSync,
    created: bool,
) {
    if let Some(old) = sync.validity_changed {
        events.push(AccountEvent::UidValidityChanged {
            folder: folder.to_owned(),
            old,
            new: sync.uid_validity,
        });
    }
    if created && sync.fresh && !sync.state.known_uids.is_empty() {
        // A folder that appeared with messages in it (created, then filled by a MOVE):
        // they are new to the caller.
        totals.new += sync.state.known_uids.count().unwrap_or(0);
        events.push(AccountEvent::New {
            folder: folder.to_owned(),
            uids: sync.state.known_uids.clone(),
            messages: Vec::new(),
        });
    }
    let (n, x, f) = sync.counts;
    totals.new += n;
    totals.expunged += x;
    totals.flags_changed += f;
    for change in &sync.changes {
        let folder = folder.to_owned();
        events.push(match change {
            WatchEvent::New(uids) => AccountEvent::New {
                folder,
                uids: uids.clone(),
                messages: Vec::new(),
            },
            WatchEvent::Expunged(uids) => AccountEvent::Expunged {
                folder,
                uids: uids.clone(),
            },
            WatchEvent::FlagsChanged { uid, flags, modseq } => AccountEvent::FlagsChanged {
                folder,
                uid: *uid,
                flags: flags.clone(),
                modseq: *modseq,
            },
            _ => continue,
        });
    }
}

/// A mailbox name from the wire: modified UTF-7 decoded, else as sent.
fn mailbox_name(wire: &[u8]) -> String {
    crate::proto::utf7::decode(wire).unwrap_or_else(|_| String::from_utf8_lossy(wire).into_owned())
}

/// Folder names compare exactly, except INBOX, which is case-insensitive (RFC 3501 §5.1).
fn same_folder(a: &str, b: &str) -> bool {
    a == b || (a.eq_ignore_ascii_case("INBOX") && b.eq_ignore_ascii_case("INBOX"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(validity: u32, uid_next: u32) -> WatchState {
        WatchState {
            uid_validity: Some(validity),
            uid_next: Some(uid_next),
            ..WatchState::default()
        }
    }

    fn counts(validity: u32, uid_next: u32, id: Option<&str>) -> FolderCounts {
        FolderCounts {
            uid_validity: Some(validity),
            uid_next: Some(uid_next),
            mailbox_id: id.map(str::to_owned),
            ..FolderCounts::default()
        }
    }

    #[test]
    fn a_rename_is_told_by_mailboxid_or_by_a_uidvalidity_no_other_folder_has() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // Dovecot-like: every folder its own UIDVALIDITY, no MAILBOXID.
        let mut state = AccountState::default();
        state.folders.insert("Lists".into(), known(7, 5));
        state.folders.insert("Work".into(), known(8, 1));
        let now: BTreeMap<_, _> = [
            ("Lists2".to_string(), counts(7, 6, None)),
            ("Work".to_string(), counts(8, 1, None)),
        ]
        .into();
        assert_eq!(
            renamed_to(&state, "Lists", &names(&["Lists2", "Work"]), &now),
            Some("Lists2".into())
        );
        // Fewer UIDs assigned than before: not the same folder.
        let now_fewer: BTreeMap<_, _> = [("Lists2".to_string(), counts(7, 2, None))].into();
        assert_eq!(
            renamed_to(&state, "Lists", &names(&["Lists2"]), &now_fewer),
            None
        );

        // Cyrus-like: folders made in one second share a UIDVALIDITY; without MAILBOXID
        // nothing can be said.
        let mut shared = AccountState::default();
        shared.folders.insert("Lists".into(), known(9, 1));
        shared.folders.insert("Old".into(), known(9, 1));
        let now: BTreeMap<_, _> = [
            ("Fresh".to_string(), counts(9, 2, None)),
            ("Lists2".to_string(), counts(9, 1, None)),
        ]
        .into();
        assert_eq!(
            renamed_to(&shared, "Lists", &names(&["Fresh", "Lists2"]), &now),
            None
        );
        // With MAILBOXID it can.
        shared
            .counts
            .insert("Lists".into(), counts(9, 1, Some("m-lists")));
        shared
            .counts
            .insert("Old".into(), counts(9, 1, Some("m-old")));
        let now: BTreeMap<_, _> = [
            ("Fresh".to_string(), counts(9, 2, Some("m-fresh"))),
            ("Lists2".to_string(), counts(9, 1, Some("m-lists"))),
        ]
        .into();
        let listed = names(&["Fresh", "Lists2"]);
        assert_eq!(
            renamed_to(&shared, "Lists", &listed, &now),
            Some("Lists2".into())
        );
        assert_eq!(renamed_to(&shared, "Old", &listed, &now), None);
    }

    #[test]
    fn inbox_is_case_insensitive_and_nothing_else_is() {
        assert!(same_folder("INBOX", "inbox"));
        assert!(!same_folder("Sent", "sent"));
        assert_eq!(mailbox_name(b"Entw&APw-rfe"), "Entwürfe");
    }
}
