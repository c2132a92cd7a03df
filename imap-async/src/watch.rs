//! A folder watcher for services that run for weeks: IDLE (RFC 2177) on one folder,
//! reported at the level of UIDs, that reconnects by itself and never loses a change.
//!
//! The guarantees are documented on [`watch`].

use std::collections::VecDeque;
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
use crate::proto::{Flag, Seq, SeqSet, Uid, UidSet};
use crate::session::sync::{difference, intersect};
use crate::session::{
    FetchAttr, FetchItems, Fetched, Idle, IdleEvent, IdleOptions, SelectOptions, Session,
    SyncResult, SyncState,
};
use crate::stepper::{Stepper, Stepping};

/// How [`watch`] behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WatchOptions {
    /// The IDLE stream's own options (restart interval, dead-server timeout, polling).
    pub idle: IdleOptions,
    /// Wait before the first reconnection attempt (default 1 s); doubled after each
    /// failed attempt, up to `max_backoff`, each wait scaled by a random factor in
    /// [0.5, 1) so that many watchers cut off together do not come back together.
    pub initial_backoff: Duration,
    /// Longest wait between attempts (default 60 s).
    pub max_backoff: Duration,
    /// A connection must stay up this long (default 60 s) before the backoff starts from
    /// `initial_backoff` again. A connection that is accepted and dropped soon after
    /// counts as a failed attempt.
    pub stable_after: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            idle: IdleOptions::default(),
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            stable_after: Duration::from_secs(60),
        }
    }
}

impl WatchOptions {
    /// The IDLE options.
    ///
    /// ```
    /// use std::time::Duration;
    /// use imap_async::{IdleOptions, WatchOptions};
    ///
    /// let w = WatchOptions::default()
    ///     .idle(IdleOptions::default().restart_interval(Duration::from_secs(60)))
    ///     .backoff(Duration::from_millis(500), Duration::from_secs(30))
    ///     .stable_after(Duration::from_secs(10));
    /// assert_eq!(w.max_backoff, Duration::from_secs(30));
    /// ```
    pub fn idle(mut self, idle: IdleOptions) -> Self {
        self.idle = idle;
        self
    }

    /// The first and the longest wait between attempts.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// How long a connection must stay up before the backoff resets.
    pub fn stable_after(mut self, d: Duration) -> Self {
        self.stable_after = d;
        self
    }
}

/// The messages of one flag combination.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FlagGroup {
    /// The flags, sorted.
    pub flags: Vec<Flag>,
    /// The messages that have exactly these flags.
    pub uids: UidSet,
}

/// What a watcher knows about its folder: enough to find, after a reconnect or in another
/// process, exactly what changed since. Messages are grouped by flag combination, so the
/// state of a folder of a million messages with a handful of combinations stays small.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct WatchState {
    /// The folder's `UIDVALIDITY`; `None` before the first connection.
    pub uid_validity: Option<u32>,
    /// The folder's `UIDNEXT` when last selected.
    pub uid_next: Option<u32>,
    /// The highest mod-sequence seen (RFC 7162), when the server has CONDSTORE.
    pub highest_modseq: Option<u64>,
    /// Every message known to be in the folder.
    pub known_uids: UidSet,
    /// The known messages' flags.
    pub flags: Vec<FlagGroup>,
}

impl WatchState {
    /// The flags last reported for `uid`, if it is known.
    ///
    /// ```
    /// let state = imap_async::WatchState::default();
    /// assert_eq!(state.flags_of(imap_async::Uid::new(1).unwrap()), None);
    /// ```
    pub fn flags_of(&self, uid: Uid) -> Option<&[Flag]> {
        self.flags
            .iter()
            .find(|g| g.uids.contains(uid.get()))
            .map(|g| g.flags.as_slice())
    }

    /// A [`SyncState`] for [`Session::sync`], when the state has what it needs.
    pub fn sync_state(&self) -> Option<SyncState> {
        Some(SyncState {
            uid_validity: self.uid_validity?,
            highest_modseq: self.highest_modseq.filter(|&m| m > 0)?,
            known_uids: self.known_uids.clone(),
        })
    }

    /// Record `flags` for `uid`; true when they differ from what was recorded.
    fn set_flags(&mut self, uid: Uid, mut flags: Vec<Flag>) -> bool {
        // `\Recent` belongs to one session (RFC 3501 §2.3.2): the next connection never
        // sees it again, which is no change to the message.
        flags.retain(|f| *f != Flag::Recent);
        flags.sort();
        flags.dedup();
        if self.flags_of(uid) == Some(flags.as_slice()) {
            return false;
        }
        self.forget_flags(&UidSet::from(uid));
        match self.flags.iter_mut().find(|g| g.flags == flags) {
            Some(g) => g.uids.insert(uid),
            None => self.flags.push(FlagGroup {
                flags,
                uids: UidSet::from(uid),
            }),
        }
        true
    }

    fn forget_flags(&mut self, uids: &UidSet) {
        for g in &mut self.flags {
            if !intersect(&g.uids, uids).is_empty() {
                g.uids = difference(&g.uids, uids);
            }
        }
        self.flags.retain(|g| !g.uids.is_empty());
    }

    fn note_modseq(&mut self, modseq: Option<u64>) {
        if let Some(m) = modseq {
            self.highest_modseq = Some(self.highest_modseq.map_or(m, |h| h.max(m)));
        }
    }
}

/// How a watcher found what changed while it was away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResyncMethod {
    /// `SELECT (QRESYNC ...)` (RFC 7162 §3.2.5).
    Qresync,
    /// `SELECT (CONDSTORE)` and `FETCH (CHANGEDSINCE)` (RFC 7162 §3.1).
    Condstore,
    /// `UID SEARCH ALL` and `FETCH FLAGS`, compared with what the watcher knew (servers
    /// with neither extension).
    Compare,
}

/// What a [`watch`] stream yields.
#[derive(Debug)]
#[non_exhaustive]
pub enum WatchEvent {
    /// The first connection is up and the folder selected (`exists` messages). A watcher
    /// resumed from saved state then yields the changes since that state, closed by
    /// [`WatchEvent::Resynced`].
    Started {
        /// The folder's `UIDVALIDITY` (RFC 3501 §2.3.1.1).
        uid_validity: u32,
        /// Number of messages in the folder when selected.
        exists: u32,
    },
    /// New messages arrived.
    New(UidSet),
    /// Messages were expunged.
    Expunged(UidSet),
    /// A message's flags changed: `flags` are all its flags now.
    FlagsChanged {
        /// The message whose flags changed.
        uid: Uid,
        /// All of its flags now (not only those added or removed).
        flags: Vec<Flag>,
        /// Its mod-sequence after the change (RFC 7162), `None` when the server has no
        /// CONDSTORE.
        modseq: Option<u64>,
    },
    /// `* OK [ALERT]` from the server: show it to a person (RFC 3501 §7.1).
    Alert(String),
    /// The connection was lost, or a connection attempt failed, with this error. A
    /// [`WatchEvent::Retrying`] follows.
    Disconnected(Error),
    /// The next connection attempt (`attempt`, from 1 since the last good connection)
    /// starts in `after`.
    Retrying {
        /// Attempt number, from 1 since the last stable connection.
        attempt: u32,
        /// The backoff delay before this attempt.
        after: Duration,
    },
    /// Connected again and the folder selected. What changed meanwhile follows, closed by
    /// [`WatchEvent::Resynced`].
    Reconnected {
        /// The folder's `UIDVALIDITY`; if it differs from the known one, a
        /// [`WatchEvent::UidValidityChanged`] follows.
        uid_validity: u32,
        /// Number of messages in the folder when selected again.
        exists: u32,
    },
    /// The changes missed while disconnected (or since the saved state) have all been
    /// yielded; live changes follow.
    Resynced {
        /// How the missed changes were found (QRESYNC, CONDSTORE or a full comparison).
        method: ResyncMethod,
        /// Number of new messages reported by this resynchronisation.
        new: u64,
        /// Number of expunged messages reported.
        expunged: u64,
        /// Number of messages whose flags changed.
        flags_changed: u64,
    },
    /// The folder's `UIDVALIDITY` is not the one known: every UID stored for the folder is
    /// void (the folder was deleted and recreated, or renumbered). The watcher starts over
    /// with the folder as it is now; fetch what you need of it again.
    UidValidityChanged {
        /// The `UIDVALIDITY` the watcher knew.
        old: u32,
        /// The folder's `UIDVALIDITY` now.
        new: u32,
    },
}

/// Watch `folder` for as long as the stream is polled: connect and log in as `opts` say,
/// select the folder, and yield its changes, reconnecting (with backoff) whenever the
/// connection is lost.
///
/// # Guarantees
///
/// * **It tells the truth.** The stream yields `Result<WatchEvent>`: besides the folder's
///   changes it says when the connection was lost (with the error), when it will try
///   again, and when it is back. An error that retrying cannot fix (refused credentials,
///   a folder that does not exist, a missing capability: see [`Error::is_retryable`])
///   ends the stream with that error instead of being retried forever.
/// * **It backs off.** Attempts are spaced by exponential backoff with jitter, and the
///   backoff resets only once a connection has stayed up for
///   [`WatchOptions::stable_after`]: a server that accepts connections and drops them
///   once IDLE has begun is not hammered.
/// * **It misses nothing.** The watcher keeps the folder's state ([`WatchState`]: UIDs
///   known, their flags, `UIDVALIDITY`, `HIGHESTMODSEQ`). After every reconnect it
///   resynchronises (QRESYNC, RFC 7162 §3.2.5; else CONDSTORE, RFC 7162 §3.1; else a
///   `UID SEARCH ALL` and a `FETCH FLAGS` compared with what it knew) and yields what
///   changed while it was away before any live change. A message is reported new once,
///   expunged once, and a flag change only when the flags differ from what was last
///   reported. The state can be saved ([`Watch::state`], serde with the `serde`
///   feature) and a watcher started in another process from it
///   ([`Watch::resume`]) first yields exactly the changes since.
/// * **Credentials renew.** Every connect asks the options' credentials source
///   ([`ConnectOptions::credentials`]), so OAuth 2.0 access tokens are refreshed as they
///   expire.
///
/// The stream ends only with an error that retrying cannot fix, or after
/// [`Watch::close`]. Drop it, or better call [`Watch::close`], to stop.
///
/// ```no_run
/// use futures::StreamExt;
/// use imap_async::{watch, ConnectOptions, WatchEvent, WatchOptions};
///
/// # async fn run() -> imap_async::Result<()> {
/// let opts = ConnectOptions::new("imap.example.org").login("bar@example.org", "passwd");
/// let mut events = watch(opts, "INBOX", WatchOptions::default());
/// while let Some(event) = events.next().await {
///     match event? {
///         WatchEvent::New(uids) => println!("new: {uids}"),
///         WatchEvent::Expunged(uids) => println!("gone: {uids}"),
///         WatchEvent::Disconnected(e) => eprintln!("connection lost: {e}"),
///         WatchEvent::Retrying { after, .. } => eprintln!("retrying in {after:?}"),
///         other => println!("{other:?}"),
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub fn watch(opts: ConnectOptions, folder: impl Into<String>, wopts: WatchOptions) -> Watch {
    Watch::new(opts, folder.into(), wopts, None)
}

/// The stream of a [`watch`]: `Result<WatchEvent>` items. Cancel-safe: dropping a
/// `next()` future (in a `select!`) loses no event.
pub struct Watch {
    stepper: Stepper<Machine>,
    state: Arc<Mutex<WatchState>>,
    stop: Arc<Notify>,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("state", &self.state())
            .field("done", &self.stepper.is_done())
            .finish_non_exhaustive()
    }
}

impl Watch {
    fn new(
        opts: ConnectOptions,
        folder: String,
        wopts: WatchOptions,
        resume: Option<WatchState>,
    ) -> Watch {
        let resumed = resume.is_some();
        let initial = resume.unwrap_or_default();
        let state = Arc::new(Mutex::new(initial.clone()));
        let published = Arc::new(Mutex::new(initial));
        let stop = Arc::new(Notify::new());
        Watch {
            stepper: Stepper::new(Machine {
                opts,
                folder,
                wopts,
                state,
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

    /// Watch `folder` starting from a state saved earlier ([`Watch::state`]), in this
    /// process or another: the first events after [`WatchEvent::Started`] are exactly the
    /// changes since that state (or [`WatchEvent::UidValidityChanged`]), closed by
    /// [`WatchEvent::Resynced`].
    ///
    /// ```no_run
    /// # async fn run(saved_json: &str) -> imap_async::Result<()> {
    /// # #[cfg(feature = "serde")] {
    /// use imap_async::{ConnectOptions, Watch, WatchOptions, WatchState};
    /// let state: WatchState = serde_json::from_str(saved_json).expect("saved state");
    /// let opts = ConnectOptions::new("imap.example.org").login("bar@example.org", "passwd");
    /// let events = Watch::resume(opts, "INBOX", WatchOptions::default(), state);
    /// # let _ = events;
    /// # }
    /// # Ok(())
    /// # }
    /// ```
    pub fn resume(
        opts: ConnectOptions,
        folder: impl Into<String>,
        wopts: WatchOptions,
        state: WatchState,
    ) -> Watch {
        Watch::new(opts, folder.into(), wopts, Some(state))
    }

    /// The folder's state, to save (serde, with the `serde` feature) and resume from in
    /// another process with [`Watch::resume`]. It covers the events yielded so far, except
    /// while a batch of events that arrived together (a resynchronisation, changes read
    /// in one go) is being yielded: until its last event it is the state from before the
    /// batch. So a state saved after any event makes a resumed watcher report nothing
    /// twice that was handled in a complete batch, and never skip a change.
    pub fn state(&self) -> WatchState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stop watching: end IDLE and log out (within the options' `logout_timeout`), or stop
    /// waiting to reconnect, and return the state to save. Events not yet taken from the
    /// stream are dropped and are not in that state: a watcher resumed from it reports
    /// them.
    pub async fn close(mut self) -> WatchState {
        let before = self.state();
        let mut result = None;
        self.stop.notify_one();
        let (machine, undelivered) = self.stepper.settle().await;
        if let Some(event) = undelivered {
            // An event read while stopping is never delivered: return the state from
            // before it, so that a resumed watcher reports it.
            tracing::debug!(?event, "event arrived while the watcher was closing");
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

impl Stream for Watch {
    type Item = Result<WatchEvent>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().stepper.poll_next(cx)
    }
}

impl futures::stream::FusedStream for Watch {
    fn is_terminated(&self) -> bool {
        self.stepper.is_done()
    }
}

/// End IDLE and log out, within `timeout` in all: a watcher being closed does not wait
/// on a server that stopped answering.
pub(crate) async fn end_idle_and_log_out(idle: Idle<'static, Session>, timeout: Duration) {
    let _ = tokio::time::timeout(timeout, async {
        if let Ok(session) = idle.done().await {
            let _ = session.logout().await;
        }
    })
    .await;
}

/// A live connection: the IDLE stream and the map from sequence numbers to UIDs.
struct Live {
    idle: Idle<'static, Session>,
    /// UIDs of the messages known, in sequence-number order (message `n` is `uids[n-1]`).
    uids: Vec<u32>,
    /// The server's message count; above `uids.len()` while new messages are not fetched.
    exists: u32,
    condstore: bool,
}

impl Stepping for Machine {
    type Item = Result<WatchEvent>;

    fn step(&mut self) -> impl Future<Output = Option<Self::Item>> + Send + '_ {
        self.next()
    }
}

struct Machine {
    opts: ConnectOptions,
    folder: String,
    wopts: WatchOptions,
    state: Arc<Mutex<WatchState>>,
    stop: Arc<Notify>,
    live: Option<Live>,
    pending: VecDeque<Result<WatchEvent>>,
    /// The state as of the events yielded so far (see [`Watch::state`]).
    published: Arc<Mutex<WatchState>>,
    /// Failed attempts since the last stable connection, and when the next may start.
    reconnects: Reconnects,
    /// The first connection succeeded once.
    started: bool,
    /// Started from saved state: the first connection resynchronises too.
    resumed: bool,
    ended: bool,
}

/// Why a step of the machine stopped early.
enum Interrupt {
    Stopped,
    Failed(Error),
}

impl From<Error> for Interrupt {
    fn from(e: Error) -> Self {
        Interrupt::Failed(e)
    }
}

impl Machine {
    fn state(&self) -> std::sync::MutexGuard<'_, WatchState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn next(&mut self) -> Option<Result<WatchEvent>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                if self.pending.is_empty() {
                    // The last event of a batch is being handed out: from now on the
                    // state may say what the batch said. Before, it still says what the
                    // previous batch left, so a state saved part-way through a batch
                    // makes a resumed watcher report that batch again, never skip it.
                    let now = self.state().clone();
                    *self.published.lock().unwrap_or_else(|e| e.into_inner()) = now;
                }
                return Some(event);
            }
            if self.ended {
                return None;
            }
            // Connecting and resynchronising take a large future; boxed, it exists only
            // while that runs, instead of sizing the step every idle watcher holds.
            let result = if self.live.is_some() {
                self.watch_live().await
            } else {
                Box::pin(self.connect()).await
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

    /// A connection was lost or an attempt failed: end with the error if retrying cannot
    /// fix it, else say so and plan the next attempt.
    fn failed(&mut self, error: Error) {
        self.live = None;
        let Some((attempt, delay)) = self.reconnects.failed(&error, &self.wopts) else {
            tracing::warn!(error = %error, folder = %self.folder, "watcher stopped: retrying cannot fix this");
            self.pending.push_back(Err(error));
            self.ended = true;
            return;
        };
        tracing::warn!(error = %error, folder = %self.folder, attempt, ?delay, "watcher disconnected; retrying");
        self.pending.push_back(Ok(WatchEvent::Disconnected(error)));
        self.pending.push_back(Ok(WatchEvent::Retrying {
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
            let found = self.resync(&mut session).await?;
            let idle = session.into_idle(self.wopts.idle).await?;
            Ok::<_, Error>((idle, found))
        };
        let (idle, (live_map, events, state)) = tokio::select! {
            r = attempt => r?,
            _ = stop.notified() => return Err(Interrupt::Stopped),
        };
        *self.state() = state;
        self.reconnects.connected();
        self.live = Some(Live::new(idle, live_map));
        self.pending.extend(events.into_iter().map(Ok));
        self.started = true;
        Ok(())
    }

    /// Select the folder and bring the state up to date, returning the sequence map and
    /// the events to yield (Started/Reconnected, the changes, Resynced).
    ///
    /// The new state is returned, not stored: the caller commits it together with the
    /// events once the connection is idling, so that a failure in between (a server
    /// going down again) leaves the old state, and the next attempt finds the same
    /// changes again instead of losing them.
    async fn resync(
        &mut self,
        session: &mut Session,
    ) -> Result<(LiveMap, Vec<WatchEvent>, WatchState)> {
        let previous = self.state().clone();
        let catch_up = self.started || self.resumed;
        let sync = sync_folder(session, &self.folder, &previous, catch_up).await?;
        let mut events = Vec::new();
        events.push(if self.started {
            WatchEvent::Reconnected {
                uid_validity: sync.uid_validity,
                exists: sync.exists,
            }
        } else {
            WatchEvent::Started {
                uid_validity: sync.uid_validity,
                exists: sync.exists,
            }
        });
        if let Some(old) = sync.validity_changed {
            events.push(WatchEvent::UidValidityChanged {
                old,
                new: sync.uid_validity,
            });
        }
        let fresh = sync.fresh;
        let (new, expunged, flags_changed) = sync.counts;
        events.extend(sync.changes);
        if !fresh || self.started || self.resumed {
            events.push(WatchEvent::Resynced {
                method: sync.method,
                new,
                expunged,
                flags_changed,
            });
        }
        let live = LiveMap::new(sync.uids, sync.exists, sync.condstore);
        Ok((live, events, sync.state))
    }

    /// Wait for the next change on the live connection and turn it into events. Every
    /// change applied to the state has its event queued, even when a later step fails
    /// (the server going away while the new messages are fetched): the state never knows
    /// of a change that was not told.
    async fn watch_live(&mut self) -> std::result::Result<(), Interrupt> {
        let mut out = Vec::new();
        let result = self.watch_live_into(&mut out).await;
        self.pending.extend(out.into_iter().map(Ok));
        result
    }

    async fn watch_live_into(
        &mut self,
        out: &mut Vec<WatchEvent>,
    ) -> std::result::Result<(), Interrupt> {
        use futures::StreamExt;
        let stop = self.stop.clone();
        let live = self.live.as_mut().expect("checked by the caller");
        let event = tokio::select! {
            e = live.idle.next() => e,
            _ = stop.notified() => return Err(Interrupt::Stopped),
        };
        let event = match event {
            Some(Ok(e)) => e,
            Some(Err(e)) => return Err(e.into()),
            None => {
                return Err(Error::ConnectionClosed {
                    during: "IDLE".into(),
                    bye: None,
                    idle_for: None,
                }
                .into());
            }
        };
        self.apply(event, out)?;
        // Boxed for the same reason as connecting: the wait above is what idles.
        Box::pin(self.learn_new_messages(out)).await
    }

    /// New messages: end IDLE, learn their UIDs and flags, IDLE again.
    async fn learn_new_messages(
        &mut self,
        out: &mut Vec<WatchEvent>,
    ) -> std::result::Result<(), Interrupt> {
        let live = self.live.as_ref().expect("still live");
        if live.exists as usize > live.uids.len() {
            let live = self.live.take().expect("still live");
            let Live {
                idle,
                uids,
                exists,
                condstore,
            } = live;
            let mut session = idle.done().await?;
            // A full unsolicited queue dropped responses (`unsolicited_limit`): a lost
            // EXPUNGE would shift the sequence map, so it cannot be trusted. Reconnect and
            // resynchronise instead of guessing.
            let dropped = session.unsolicited_dropped();
            if dropped > 0 {
                return Err(Error::Protocol(format!(
                    "{dropped} unsolicited responses were dropped from a full queue; \
                     resynchronising"
                ))
                .into());
            }
            let mut map = LiveMap::new(uids, exists, condstore);
            // What arrived before the end of IDLE comes first (an EXPUNGE there shifts
            // the sequence numbers of the new messages).
            for u in session.take_unsolicited() {
                self.apply_to(&mut map, IdleEvent::from(u), out)?;
            }
            if map.exists as usize > map.uids.len() {
                let first = map.uids.len() as u32 + 1;
                let set = SeqSet::from_range(
                    Seq::new(first).expect("non-zero")..=Seq::new(map.exists).expect("non-zero"),
                );
                let mut items = vec![FetchAttr::Uid, FetchAttr::Flags];
                if condstore {
                    items.push(FetchAttr::ModSeq);
                }
                let mut fetched = session.fetch(&set, FetchItems::from(items)).await?;
                fetched.sort_by_key(|f| f.seq);
                let mut new = UidSet::new();
                let mut problem = None;
                {
                    let mut state = self.state();
                    for f in fetched {
                        let Some(uid) = f.uid() else { continue };
                        if f.seq as usize != map.uids.len() + 1
                            || map.uids.last().is_some_and(|&last| last >= uid.get())
                        {
                            problem = Some(Error::Protocol(format!(
                                "message {} has UID {uid}, out of order; resynchronising",
                                f.seq
                            )));
                            break;
                        }
                        map.uids.push(uid.get());
                        state.note_modseq(f.modseq());
                        if !state.known_uids.contains(uid.get()) {
                            state.known_uids.insert(uid);
                            new.insert(uid);
                        }
                        state.set_flags(uid, f.flags().unwrap_or_default());
                        state.uid_next = Some(
                            state
                                .uid_next
                                .map_or(uid.get() + 1, |n| n.max(uid.get().saturating_add(1))),
                        );
                    }
                }
                if !new.is_empty() {
                    out.push(WatchEvent::New(new));
                }
                if let Some(e) = problem {
                    return Err(e.into());
                }
                if map.exists as usize != map.uids.len() {
                    return Err(Error::Protocol(format!(
                        "the server reports {} messages but listed {}; resynchronising",
                        map.exists,
                        map.uids.len()
                    ))
                    .into());
                }
            }
            let idle = session.into_idle(self.wopts.idle).await?;
            self.live = Some(Live::new(idle, map));
        }
        Ok(())
    }

    fn apply(&mut self, event: IdleEvent, out: &mut Vec<WatchEvent>) -> Result<()> {
        let live = self.live.take().expect("live");
        let Live {
            idle,
            uids,
            exists,
            condstore,
        } = live;
        let mut map = LiveMap::new(uids, exists, condstore);
        let r = self.apply_to(&mut map, event, out);
        self.live = Some(Live::new(idle, map));
        r
    }

    /// One live change, applied to the sequence map and the state.
    fn apply_to(
        &mut self,
        map: &mut LiveMap,
        event: IdleEvent,
        out: &mut Vec<WatchEvent>,
    ) -> Result<()> {
        let mut state = self.state();
        match event {
            IdleEvent::Exists(n) => {
                if (n as usize) < map.uids.len() {
                    return Err(Error::Protocol(format!(
                        "EXISTS {n} with {} messages known and no EXPUNGE; resynchronising",
                        map.uids.len()
                    )));
                }
                map.exists = n;
            }
            IdleEvent::Expunge(seq) => {
                // RFC 3501 §7.4.1: later sequence numbers move down by one.
                let i = seq as usize;
                if i == 0 || i > map.exists as usize {
                    return Err(Error::Protocol(format!(
                        "EXPUNGE {seq} with {} messages; resynchronising",
                        map.exists
                    )));
                }
                map.exists -= 1;
                if i <= map.uids.len() {
                    let uid = map.uids.remove(i - 1);
                    let gone = UidSet::from(Uid::new(uid).expect("UIDs are non-zero"));
                    state.known_uids = difference(&state.known_uids, &gone);
                    state.forget_flags(&gone);
                    push_expunged(out, gone);
                }
            }
            IdleEvent::Vanished {
                earlier: false,
                uids,
            } => {
                let known = intersect(&uids, &state.known_uids);
                let before = map.uids.len();
                map.uids.retain(|u| !known.contains(*u));
                let removed = before - map.uids.len();
                let total = uids.count().unwrap_or(0);
                // Vanished messages not in the map were new ones not fetched yet.
                map.exists = map
                    .exists
                    .saturating_sub(u32::try_from(total.max(removed as u64)).unwrap_or(u32::MAX));
                if !known.is_empty() {
                    state.known_uids = difference(&state.known_uids, &known);
                    state.forget_flags(&known);
                    push_expunged(out, known);
                }
            }
            IdleEvent::Fetch {
                seq,
                uid,
                flags,
                modseq,
            } => {
                let uid = uid.or_else(|| {
                    map.uids
                        .get((seq as usize).wrapping_sub(1))
                        .and_then(|&u| Uid::new(u))
                });
                let Some(uid) = uid else { return Ok(()) };
                if !state.known_uids.contains(uid.get()) {
                    // A new message not fetched yet: its flags come with it.
                    return Ok(());
                }
                state.note_modseq(modseq);
                if let Some(flags) = flags
                    && state.set_flags(uid, flags)
                {
                    let flags = state.flags_of(uid).unwrap_or_default().to_vec();
                    out.push(WatchEvent::FlagsChanged { uid, flags, modseq });
                }
            }
            IdleEvent::Alert(text) => out.push(WatchEvent::Alert(text)),
            _ => {}
        }
        Ok(())
    }
}

/// What [`sync_folder`] found.
pub(crate) struct FolderSync {
    /// The folder's UIDs in sequence order.
    pub(crate) uids: Vec<u32>,
    pub(crate) exists: u32,
    pub(crate) condstore: bool,
    pub(crate) uid_validity: u32,
    /// The UIDVALIDITY known before, when it changed.
    pub(crate) validity_changed: Option<u32>,
    /// New, Expunged and FlagsChanged events, in that order.
    pub(crate) changes: Vec<WatchEvent>,
    /// The state to commit with those events.
    pub(crate) state: WatchState,
    pub(crate) method: ResyncMethod,
    /// New, expunged and flag-changed messages.
    pub(crate) counts: (u64, u64, u64),
    /// A baseline was taken (first sight of the folder, or UIDVALIDITY changed): nothing
    /// is reported for the messages found.
    pub(crate) fresh: bool,
}

/// Select `folder` and compare it with `previous`: QRESYNC (RFC 7162 §3.2.5) or
/// CONDSTORE (§3.1) when offered and the state has a mod-sequence, else a comparison of
/// every UID and its flags. With `catch_up` false, or without a known UIDVALIDITY, or
/// when it changed, what is there is the new baseline and nothing is reported. The
/// folder stays selected.
pub(crate) async fn sync_folder(
    session: &mut Session,
    folder: &str,
    previous: &WatchState,
    catch_up: bool,
) -> Result<FolderSync> {
    let caps = session.capabilities().await?;
    let condstore = caps.has("CONDSTORE");
    let qresync = condstore && caps.has("QRESYNC") && caps.has("ENABLE");
    let mut events = Vec::new();

    let mut method = ResyncMethod::Compare;
    let mut changed_candidates: Option<Vec<Fetched>> = None;
    // QRESYNC or CONDSTORE: one SELECT (plus a FETCH CHANGEDSINCE without QRESYNC)
    // gives the flag changes since the known mod-sequence.
    let sync_state = previous.sync_state().filter(|_| catch_up && condstore);
    let (uid_validity, uid_next, highest_modseq) = match sync_state {
        Some(sync_state) => match session.sync(folder, &sync_state).await {
            Ok(SyncResult::Changes(c)) => {
                method = if c.qresync {
                    ResyncMethod::Qresync
                } else {
                    ResyncMethod::Condstore
                };
                changed_candidates = Some(
                    c.changed
                        .into_iter()
                        .map(|f| flag_change_as_fetched(f.uid, f.flags, f.modseq))
                        .collect(),
                );
                (c.state.uid_validity, None, Some(c.state.highest_modseq))
            }
            Ok(SyncResult::UidValidityChanged {
                uid_validity,
                highest_modseq,
            }) => (uid_validity, None, Some(highest_modseq)),
            Err(e) => return Err(e),
        },
        None => {
            if qresync && session.may_enable() && !session.qresync_enabled() {
                // Live expunges then arrive as UIDs (VANISHED, RFC 7162 §3.2.10).
                session.enable(&["QRESYNC"]).await?;
            }
            let info = session
                .select_folder_with(
                    folder,
                    SelectOptions {
                        condstore,
                        ..SelectOptions::default()
                    },
                )
                .await?;
            let uid_validity = info
                .uid_validity
                .ok_or_else(|| Error::Protocol(format!("SELECT {} gave no UIDVALIDITY", folder)))?;
            (uid_validity, info.uid_next, info.highest_modseq)
        }
    };

    // The folder's messages now, in sequence order, for the live map and for the
    // comparison with what was known.
    let current = session.search(crate::SearchKey::All).await?;
    let uids: Vec<u32> = current
        .iter()
        .map(|it| it.map(Uid::get).collect())
        .unwrap_or_default();
    let exists = u32::try_from(uids.len()).unwrap_or(u32::MAX);

    let validity_changed = previous.uid_validity.is_some_and(|old| old != uid_validity);
    if !catch_up || validity_changed || previous.uid_validity.is_none() {
        // A fresh start: what is there now is the baseline, reported as nothing new.
        let fetched = fetch_flags(session, &current, condstore, None).await?;
        let mut state = WatchState {
            uid_validity: Some(uid_validity),
            uid_next,
            highest_modseq: highest_modseq.filter(|_| condstore),
            known_uids: current.clone(),
            flags: Vec::new(),
        };
        for f in &fetched {
            if let (Some(uid), Some(flags)) = (f.uid(), f.flags()) {
                state.set_flags(uid, flags);
            }
        }
        return Ok(FolderSync {
            uids,
            exists,
            condstore,
            uid_validity,
            validity_changed: previous.uid_validity.filter(|_| validity_changed),
            changes: events,
            state,
            method,
            counts: (0, 0, 0),
            fresh: true,
        });
    }

    let new = difference(&current, &previous.known_uids);
    let gone = difference(&previous.known_uids, &current);
    let kept = intersect(&previous.known_uids, &current);
    // Flags of the new messages, and of the kept ones that may have changed: those
    // that CHANGEDSINCE named, else all of them (compared with what was known).
    let mut fetched = fetch_flags(session, &new, condstore, None).await?;
    match changed_candidates {
        Some(c) => fetched.extend(
            c.into_iter()
                .filter(|f| f.uid().is_some_and(|u| kept.contains(u.get()))),
        ),
        None => {
            let since = previous.highest_modseq.filter(|_| condstore);
            if since.is_some() {
                method = ResyncMethod::Condstore;
            }
            fetched.extend(fetch_flags(session, &kept, condstore, since).await?);
        }
    }
    let mut state = previous.clone();
    state.uid_validity = Some(uid_validity);
    if uid_next.is_some() {
        state.uid_next = uid_next;
    }
    state.forget_flags(&gone);
    state.known_uids = current.clone();
    if !gone.is_empty() {
        events.push(WatchEvent::Expunged(gone.clone()));
    }
    let mut new_flags = Vec::new();
    let mut flags_changed = 0;
    let mut changes = Vec::new();
    for f in fetched {
        let Some(uid) = f.uid() else { continue };
        let flags = f.flags().unwrap_or_default();
        let modseq = f.modseq();
        state.note_modseq(modseq);
        if new.contains(uid.get()) {
            new_flags.push((uid, flags));
        } else if state.set_flags(uid, flags) {
            flags_changed += 1;
            let flags = state.flags_of(uid).unwrap_or_default().to_vec();
            changes.push(WatchEvent::FlagsChanged { uid, flags, modseq });
        }
    }
    for (uid, flags) in new_flags {
        state.set_flags(uid, flags);
    }
    if let Some(m) = highest_modseq.filter(|_| condstore) {
        state.note_modseq(Some(m));
    }
    if !new.is_empty() {
        events.push(WatchEvent::New(new.clone()));
    }
    events.extend(changes);
    Ok(FolderSync {
        uids,
        exists,
        condstore,
        uid_validity,
        validity_changed: None,
        changes: events,
        state,
        method,
        counts: (
            new.count().unwrap_or(0),
            gone.count().unwrap_or(0),
            flags_changed,
        ),
        fresh: false,
    })
}

/// Consecutive expunges become one event.
fn push_expunged(out: &mut Vec<WatchEvent>, gone: UidSet) {
    if let Some(WatchEvent::Expunged(set)) = out.last_mut() {
        set.union_with(&gone);
    } else {
        out.push(WatchEvent::Expunged(gone));
    }
}

/// The sequence map between connections of a step.
struct LiveMap {
    uids: Vec<u32>,
    exists: u32,
    condstore: bool,
}

impl LiveMap {
    fn new(uids: Vec<u32>, exists: u32, condstore: bool) -> Self {
        LiveMap {
            uids,
            exists,
            condstore,
        }
    }
}

impl Live {
    fn new(idle: Idle<'static, Session>, map: LiveMap) -> Self {
        Live {
            idle,
            uids: map.uids,
            exists: map.exists,
            condstore: map.condstore,
        }
    }
}

/// `UID FETCH set (UID FLAGS [MODSEQ]) [(CHANGEDSINCE m)]`; nothing when `set` is empty.
async fn fetch_flags(
    session: &mut Session,
    set: &UidSet,
    condstore: bool,
    changed_since: Option<u64>,
) -> Result<Vec<Fetched>> {
    if set.is_empty() {
        return Ok(Vec::new());
    }
    let mut items = vec![FetchAttr::Uid, FetchAttr::Flags];
    if condstore {
        items.push(FetchAttr::ModSeq);
    }
    let items = FetchItems::from(items);
    match changed_since {
        Some(m) => session.fetch_changed_since(set, items, m).await,
        None => session.fetch(set, items).await,
    }
}

fn flag_change_as_fetched(uid: Uid, flags: Vec<Flag>, modseq: u64) -> Fetched {
    use crate::proto::FetchItem;
    Fetched {
        seq: 0,
        items: vec![
            FetchItem::Uid(uid.get()),
            FetchItem::Flags(
                flags
                    .iter()
                    .map(|f| bytes::Bytes::from(f.to_string()))
                    .collect(),
            ),
            FetchItem::ModSeq(modseq),
        ]
        .into(),
    }
}

/// The reconnection policy both watchers share: exponential backoff with a random factor,
/// which starts over only after a connection stayed up `stable_after`, and never a retry
/// of what retrying cannot fix.
#[derive(Debug, Default)]
pub(crate) struct Reconnects {
    failures: u32,
    connected_at: Option<Instant>,
    /// When the next attempt may start.
    retry_at: Option<Instant>,
}

impl Reconnects {
    /// A connection is up.
    pub(crate) fn connected(&mut self) {
        self.connected_at = Some(Instant::now());
    }

    /// A connection was lost or an attempt failed: `None` when retrying cannot fix
    /// `error`, else the attempt's number and how long to wait before it (at least what
    /// the server asked for, RFC 5530 `UNAVAILABLE` and the like).
    pub(crate) fn failed(
        &mut self,
        error: &Error,
        wopts: &WatchOptions,
    ) -> Option<(u32, Duration)> {
        let stable = self
            .connected_at
            .take()
            .is_some_and(|at| at.elapsed() >= wopts.stable_after);
        if !error.is_retryable() {
            return None;
        }
        if stable {
            self.failures = 0;
        }
        let mut delay = backoff(wopts, self.failures);
        if let Some(hint) = error.retry_after() {
            delay = delay.max(hint);
        }
        self.failures = self.failures.saturating_add(1);
        self.retry_at = Some(Instant::now() + delay);
        Some((self.failures, delay))
    }

    /// Wait until the next attempt may start; `false` when told to stop meanwhile.
    pub(crate) async fn wait(&mut self, stop: &Notify) -> bool {
        let Some(at) = self.retry_at.take() else {
            return true;
        };
        tokio::select! {
            _ = tokio::time::sleep_until(at) => true,
            _ = stop.notified() => false,
        }
    }
}

/// `initial * 2^failures`, capped, then scaled by a random factor in [0.5, 1.0) so that
/// many watchers cut off together do not reconnect together.
pub(crate) fn backoff(wopts: &WatchOptions, failures: u32) -> Duration {
    let base = wopts
        .initial_backoff
        .saturating_mul(1u32.checked_shl(failures.min(20)).unwrap_or(u32::MAX))
        .min(wopts.max_backoff);
    base.mul_f64(0.5 + jitter() / 2.0)
}

/// A number in [0, 1) from the standard library's randomly keyed hasher: enough for jitter,
/// with no extra dependency.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let w = WatchOptions::default().backoff(Duration::from_secs(1), Duration::from_secs(60));
        for failures in 0..40 {
            let d = backoff(&w, failures);
            let full = Duration::from_secs(1u64 << failures.min(6)).min(Duration::from_secs(60));
            assert!(
                d >= full / 2 && d < full,
                "failures {failures}: {d:?} vs {full:?}"
            );
        }
        let samples: std::collections::HashSet<_> = (0..20).map(|_| backoff(&w, 3)).collect();
        assert!(samples.len() > 1, "jitter varies");
    }

    #[test]
    fn flags_are_grouped_and_changes_detected_once() {
        let u = |n| Uid::new(n).unwrap();
        let mut s = WatchState::default();
        assert!(s.set_flags(u(1), vec!["\\Seen".into()]));
        assert!(s.set_flags(u(2), vec!["\\Seen".into()]));
        assert!(s.set_flags(u(3), vec![]));
        assert_eq!(s.flags.len(), 2, "two combinations: {s:?}");
        assert!(
            !s.set_flags(u(1), vec!["\\Seen".into()]),
            "same flags: no change"
        );
        assert!(s.set_flags(u(1), vec!["\\Flagged".into(), "\\Seen".into()]));
        assert_eq!(s.flags_of(u(1)), Some(&[Flag::Flagged, Flag::Seen][..]));
        assert_eq!(s.flags_of(u(2)), Some(&[Flag::Seen][..]));
        // Case does not make a change (RFC 9051 §9), nor does \Recent.
        assert!(!s.set_flags(u(2), vec!["\\SEEN".into(), Flag::Recent]));
        s.forget_flags(&UidSet::from(u(3)));
        assert_eq!(s.flags_of(u(3)), None);
        assert_eq!(s.flags.len(), 2);
    }
}
