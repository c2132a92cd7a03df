//! IDLE (RFC 2177) as a [`futures::Stream`] of typed mailbox changes, with NOOP polling
//! where the server has no IDLE.
//!
//! The stream keeps itself alive: it ends and restarts IDLE every
//! [`IdleOptions::restart_interval`] (RFC 2177 §3 asks clients to do so before 29 minutes;
//! NATs and some servers drop quiet connections after about 10), and a restart that the
//! server does not acknowledge within [`IdleOptions::done_timeout`] ends the stream with a
//! timeout error, so a dead peer is noticed within that bound even when the socket stays
//! open. A cut socket or `* BYE` ends the stream with a typed error at once.

use std::borrow::BorrowMut;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::Session;
use super::connection::{Connection, IdleInProgress, status_result};
use crate::error::{Error, Result};
use crate::proto::flag::{Flag, flags_from_wire};
use crate::proto::{FetchItem, Response, ResponseCode, Status, Uid, UidSet, Untagged};

/// How an IDLE stream behaves. The defaults suit a long-running watcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdleOptions {
    /// End and restart IDLE this often (default 5 minutes). No event is lost across a
    /// restart: what arrives meanwhile is delivered in order.
    pub restart_interval: Duration,
    /// How long the server may take to acknowledge the end of IDLE (`DONE`) before the
    /// connection is declared dead (default 30 seconds).
    pub done_timeout: Duration,
    /// Without the IDLE capability, send NOOP this often instead (default 60 seconds).
    pub poll_interval: Duration,
}

impl Default for IdleOptions {
    fn default() -> Self {
        IdleOptions {
            restart_interval: Duration::from_secs(5 * 60),
            done_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_secs(60),
        }
    }
}

/// Builders: the struct is `#[non_exhaustive]` (options will be added), so it is made
/// from [`IdleOptions::default`] and these.
impl IdleOptions {
    /// How often IDLE is ended and restarted.
    ///
    /// ```
    /// use std::time::Duration;
    /// use imap_async::IdleOptions;
    ///
    /// let o = IdleOptions::default()
    ///     .restart_interval(Duration::from_secs(60))
    ///     .done_timeout(Duration::from_secs(5))
    ///     .poll_interval(Duration::from_secs(20));
    /// assert_eq!(o.restart_interval, Duration::from_secs(60));
    /// ```
    pub fn restart_interval(mut self, d: Duration) -> Self {
        self.restart_interval = d;
        self
    }

    /// How long the server may take to acknowledge `DONE`.
    pub fn done_timeout(mut self, d: Duration) -> Self {
        self.done_timeout = d;
        self
    }

    /// How often NOOP is sent to a server without IDLE.
    pub fn poll_interval(mut self, d: Duration) -> Self {
        self.poll_interval = d;
        self
    }
}

/// A change to the selected mailbox (or a message from the server) seen while idling.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum IdleEvent {
    /// The mailbox now has this many messages (`* n EXISTS`).
    Exists(u32),
    /// Messages with `\Recent` (`* n RECENT`).
    Recent(u32),
    /// The message with this sequence number was expunged (`* n EXPUNGE`); later sequence
    /// numbers shift down by one.
    Expunge(u32),
    /// UIDs expunged, with QRESYNC enabled (`* VANISHED`, RFC 7162 §3.2.10).
    Vanished {
        /// `(EARLIER)` was present: expunged before now, not a live change (the message
        /// count did not just drop).
        earlier: bool,
        /// The expunged UIDs.
        uids: UidSet,
    },
    /// Flags (or MODSEQ) of a message changed (`* n FETCH (...)`).
    Fetch {
        /// The message's sequence number.
        seq: u32,
        /// Its UID, when the server included it (it does with QRESYNC enabled); `None`
        /// otherwise.
        uid: Option<Uid>,
        /// All of its flags now, when the response carried `FLAGS`.
        flags: Option<Vec<Flag>>,
        /// Its mod-sequence now (RFC 7162 `MODSEQ`), when the response carried it.
        modseq: Option<u64>,
    },
    /// The mailbox's defined flags changed (`* FLAGS`).
    Flags(Vec<Flag>),
    /// `* OK [ALERT] text` or `* NO [ALERT] text`: show it to the user (RFC 3501 §7.1).
    Alert(String),
    /// Anything else the server sent.
    Other(Untagged),
}

impl From<Untagged> for IdleEvent {
    fn from(u: Untagged) -> Self {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match u {
            Untagged::Exists(n) => IdleEvent::Exists(n),
            Untagged::Recent(n) => IdleEvent::Recent(n),
            Untagged::Expunge(n) => IdleEvent::Expunge(n),
            Untagged::Vanished { earlier, uids } => IdleEvent::Vanished {
                earlier,
                uids: uids
                    .iter()
                    .filter_map(|&(a, b)| Some(UidSet::from_range(Uid::new(a)?..=Uid::new(b)?)))
                    .fold(UidSet::new(), |mut acc, r| {
                        acc.union_with(&r);
                        acc
                    }),
            },
            Untagged::Fetch { seq, items } => {
                let mut uid = None;
                let mut flags = None;
                let mut modseq = None;
                for item in &items {
                    match item {
                        FetchItem::Uid(u) => uid = Uid::new(u),
                        FetchItem::Flags(f) => flags = Some(flags_from_wire(&f)),
                        FetchItem::ModSeq(m) => modseq = Some(m),
                        _ => {}
                    }
                }
                IdleEvent::Fetch {
                    seq,
                    uid,
                    flags,
                    modseq,
                }
            }
            Untagged::Flags(f) => IdleEvent::Flags(flags_from_wire(&f)),
            Untagged::Status(st)
                if st.code == Some(ResponseCode::Alert)
                    && matches!(st.status, Status::Ok | Status::No) =>
            {
                IdleEvent::Alert(text(&st.text))
            }
            other => IdleEvent::Other(other),
        }
    }
}

/// Where an IDLE stream stands between two steps.
#[derive(Debug)]
struct IdleState {
    opts: IdleOptions,
    /// IDLE (true) or NOOP polling (false).
    use_idle: bool,
    /// The IDLE command in progress, and when to restart it.
    idling: Option<(String, Instant)>,
    /// With polling: when the next NOOP is due.
    next_poll: Instant,
}

type Step<'a, S> =
    Pin<Box<dyn Future<Output = (Box<S>, IdleState, Result<Vec<Untagged>>)> + Send + 'a>>;

/// An IDLE in progress: a [`Stream`] of [`IdleEvent`]s. End it with [`Idle::done`] to get
/// the session back; dropping it instead is safe too (the session ends the IDLE before its
/// next command).
///
/// `S` is `&mut Session` (from [`Session::idle`]) or an owned `Session` (from
/// [`Session::into_idle`]).
pub struct Idle<'a, S> {
    /// Boxed, so that the step in progress (which owns it meanwhile) holds a pointer
    /// rather than the whole session, and the stream keeps no empty room for it.
    session: Option<Box<S>>,
    state: Option<IdleState>,
    step: Option<Step<'a, S>>,
    queue: VecDeque<Untagged>,
    stop: Arc<Notify>,
    failed: bool,
}

impl<S> std::fmt::Debug for Idle<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idle")
            .field("state", &self.state)
            .field("queued", &self.queue.len())
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Start IDLE (RFC 2177) on the selected folder with the default [`IdleOptions`] and
    /// return the stream of changes. Without the IDLE capability the stream polls with
    /// NOOP instead.
    ///
    /// ```no_run
    /// use futures::StreamExt;
    /// use imap_async::IdleEvent;
    ///
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// session.select_folder("INBOX").await?;
    /// let mut idle = session.idle().await?;
    /// while let Some(event) = idle.next().await {
    ///     match event? {
    ///         IdleEvent::Exists(n) => { println!("{n} messages now"); break; }
    ///         other => println!("{other:?}"),
    ///     }
    /// }
    /// let session = idle.done().await?;
    /// session.noop().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn idle(&mut self) -> Result<Idle<'_, &mut Session>> {
        self.idle_with(IdleOptions::default()).await
    }

    /// [`Session::idle`] with explicit options.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use std::time::Duration;
    /// use imap_async::IdleOptions;
    /// session.select_folder("INBOX").await?;
    /// let opts = IdleOptions::default().restart_interval(Duration::from_secs(60));
    /// let mut idle = session.idle_with(opts).await?;
    /// let events = idle.check(Duration::from_secs(30)).await?;
    /// idle.done().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn idle_with(&mut self, opts: IdleOptions) -> Result<Idle<'_, &mut Session>> {
        Idle::start(self, opts).await
    }

    /// Like [`Session::idle_with`], but the stream owns the session: for watchers that run
    /// on their own task. [`Idle::done`] gives the session back.
    ///
    /// ```no_run
    /// # async fn run(mut session: imap_async::Session) -> imap_async::Result<()> {
    /// use futures::StreamExt;
    /// use imap_async::{IdleOptions, Session};
    /// session.select_folder("INBOX").await?;
    /// let watcher = tokio::spawn(async move {
    ///     let mut idle = session.into_idle(IdleOptions::default()).await?;
    ///     if let Some(event) = idle.next().await {
    ///         println!("{:?}", event?);
    ///     }
    ///     let session: Session = idle.done().await?;
    ///     session.logout().await
    /// });
    /// watcher.await.expect("the watcher task panicked")?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn into_idle(self, opts: IdleOptions) -> Result<Idle<'static, Session>> {
        Idle::start(self, opts).await
    }

    /// IMAPClient's `idle_check`: IDLE for at most `timeout`, return the changes seen (as
    /// soon as there is at least one), and end IDLE again.
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use std::time::Duration;
    /// session.select_folder("INBOX").await?;
    /// for event in session.idle_check(Duration::from_secs(60)).await? {
    ///     println!("{event:?}");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn idle_check(&mut self, timeout: Duration) -> Result<Vec<IdleEvent>> {
        let mut idle = self.idle().await?;
        let events = idle.check(timeout).await?;
        idle.done().await?;
        Ok(events)
    }
}

impl<'a, S: BorrowMut<Session> + Send + Unpin + 'a> Idle<'a, S> {
    async fn start(mut session: S, opts: IdleOptions) -> Result<Self> {
        // Boxed: starting takes a command's worth of future, which the caller's task
        // would otherwise keep for as long as it idles.
        let (state, queue) = Box::pin(Self::begin(session.borrow_mut(), opts)).await?;
        Ok(Idle {
            session: Some(Box::new(session)),
            state: Some(state),
            step: None,
            queue,
            stop: Arc::new(Notify::new()),
            failed: false,
        })
    }

    async fn begin(s: &mut Session, opts: IdleOptions) -> Result<(IdleState, VecDeque<Untagged>)> {
        let use_idle = s.capabilities().await?.has("IDLE");
        let mut state = IdleState {
            opts,
            use_idle,
            idling: None,
            next_poll: Instant::now(),
        };
        // What arrived before IDLE began is delivered first, so nothing is lost.
        let mut queue: VecDeque<Untagged> = s.conn.unsolicited.drain(..).collect();
        if use_idle {
            queue.extend(begin_idle(&mut s.conn, &mut state).await?);
        } else {
            state.next_poll = Instant::now() + opts.poll_interval;
        }
        Ok((state, queue))
    }

    /// Wait up to `timeout` for changes; return those seen (as soon as there is at least
    /// one; an empty list when the time ran out).
    ///
    /// ```no_run
    /// # async fn run(mut idle: imap_async::Idle<'_, &mut imap_async::Session>) -> imap_async::Result<()> {
    /// use std::time::Duration;
    /// let events = idle.check(Duration::from_secs(30)).await?;
    /// if events.is_empty() {
    ///     println!("nothing happened for 30 s");
    /// }
    /// idle.done().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn check(&mut self, timeout: Duration) -> Result<Vec<IdleEvent>> {
        use futures::StreamExt;
        let mut out = Vec::new();
        match tokio::time::timeout(timeout, self.next()).await {
            Err(_) | Ok(None) => return Ok(out),
            Ok(Some(event)) => out.push(event?),
        }
        out.extend(self.queue.drain(..).map(IdleEvent::from));
        Ok(out)
    }

    /// End IDLE (send `DONE` and read the server's completion) and give the session back.
    /// Events not yet taken from the stream, and any that arrive before the completion,
    /// stay in the session's unsolicited queue ([`Session::take_unsolicited`]).
    ///
    /// ```no_run
    /// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
    /// use std::time::Duration;
    /// session.select_folder("INBOX").await?;
    /// let mut idle = session.idle().await?;
    /// let seen = idle.check(Duration::from_secs(10)).await?;
    /// let session = idle.done().await?;
    /// // Whatever arrived while DONE was being answered is not lost:
    /// let later = session.take_unsolicited();
    /// # Ok(())
    /// # }
    /// ```
    pub async fn done(mut self) -> Result<S> {
        self.stop.notify_one();
        if let Some(step) = self.step.take() {
            let (session, state, result) = step.await;
            self.session = Some(session);
            self.state = Some(state);
            self.queue.extend(result?);
        }
        let mut session = self
            .session
            .take()
            .expect("an idle stream always holds its session");
        let s = (*session).borrow_mut();
        for u in self.queue.drain(..).rev() {
            s.conn.unsolicited.push_front(u);
        }
        // recover() sends DONE for the IDLE in progress and reads up to its completion,
        // queueing what arrives meanwhile.
        let state = self
            .state
            .take()
            .expect("an idle stream always holds its state");
        let timeout = s.conn.command_timeout;
        s.conn.command_timeout = state.opts.done_timeout;
        let ended = s.conn.recover("DONE").await;
        s.conn.command_timeout = timeout;
        ended?;
        Ok(*session)
    }
}

impl<'a, S: BorrowMut<Session> + Send + Unpin + 'a> Stream for Idle<'a, S> {
    type Item = Result<IdleEvent>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(u) = this.queue.pop_front() {
                return Poll::Ready(Some(Ok(IdleEvent::from(u))));
            }
            if this.failed {
                return Poll::Ready(None);
            }
            if this.step.is_none() {
                let mut session = this.session.take().expect("session present between steps");
                let mut state = this.state.take().expect("state present between steps");
                let stop = this.stop.clone();
                this.step = Some(Box::pin(async move {
                    let result = step(&mut (*session).borrow_mut().conn, &mut state, &stop).await;
                    (session, state, result)
                }));
            }
            let step = this.step.as_mut().expect("just set");
            let (session, state, result) = match step.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(done) => done,
            };
            this.step = None;
            this.session = Some(session);
            this.state = Some(state);
            match result {
                Ok(events) => this.queue.extend(events),
                Err(e) => {
                    this.failed = true;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }
}

/// After an error (the connection lost, a timeout) and once what was queued is yielded,
/// the stream is over, and says so.
impl<'a, S: BorrowMut<Session> + Send + Unpin + 'a> futures::stream::FusedStream for Idle<'a, S> {
    fn is_terminated(&self) -> bool {
        self.failed && self.queue.is_empty()
    }
}

/// Send IDLE and wait for the server's `+`. Untagged data that comes first is returned.
async fn begin_idle(conn: &mut Connection, state: &mut IdleState) -> Result<Vec<Untagged>> {
    let cmd = conn.encoder("IDLE").finish();
    let tag = cmd.tag.clone();
    conn.send_line_command(&cmd).await?;
    // From the moment IDLE is sent, whoever sends the next command must end it first
    // (RFC 2177 §3), even if this future is dropped before the server's "+" arrives:
    // waiting for IDLE's completion without sending DONE would wait forever. Until the
    // "+" is seen DONE may not be sent yet (see `Connection::recover`).
    conn.complete_in_flight();
    conn.idle = Some(IdleInProgress {
        tag: tag.clone(),
        accepted: false,
    });
    let mut events = Vec::new();
    loop {
        match conn.read_response("the IDLE continuation").await? {
            Response::Continuation(_) => {
                if let Some(idle) = &mut conn.idle {
                    idle.accepted = true;
                }
                break;
            }
            Response::Tagged(t) if t.tag == tag.as_bytes() => {
                conn.idle = None;
                status_result(t.status, "IDLE")?;
                return Err(Error::Protocol(
                    "the server ended IDLE before accepting it".into(),
                ));
            }
            Response::Tagged(t) => conn.other_tag(&t.tag)?,
            Response::Untagged(u) => conn.note_untagged(u, false, &mut |u| {
                events.push(u);
                None
            })?,
        }
    }
    state.idling = Some((tag, Instant::now() + state.opts.restart_interval));
    Ok(events)
}

/// End the IDLE in progress and read its completion within `done_timeout`; a server that
/// does not answer is dead.
async fn end_idle(conn: &mut Connection, state: &mut IdleState) -> Result<Vec<Untagged>> {
    let Some((tag, _)) = state.idling.take() else {
        return Ok(Vec::new());
    };
    // DONE makes IDLE's completion the in-flight command, so that if this future is
    // dropped half-way the next command reads the rest first.
    conn.end_idle_send_done().await?;
    let mut events = Vec::new();
    loop {
        let response = match conn
            .read_response_within("the end of IDLE", state.opts.done_timeout)
            .await
        {
            Err(e @ Error::Timeout { .. }) => {
                conn.poison("the server did not acknowledge the end of IDLE");
                return Err(e);
            }
            other => other?,
        };
        match response {
            Response::Tagged(t) if t.tag == tag.as_bytes() => {
                conn.complete_in_flight();
                status_result(t.status, "IDLE")?;
                return Ok(events);
            }
            Response::Tagged(t) => conn.other_tag(&t.tag)?,
            Response::Continuation(_) => {}
            Response::Untagged(u) => conn.note_untagged(u, false, &mut |u| {
                events.push(u);
                None
            })?,
        }
    }
}

/// Without IDLE: one NOOP, whose untagged data are the changes (RFC 3501 §6.1.2).
async fn poll_with_noop(conn: &mut Connection, state: &mut IdleState) -> Result<Vec<Untagged>> {
    let cmd = conn.encoder("NOOP").finish();
    let mut events = Vec::new();
    conn.execute(cmd, &mut |u| {
        events.push(u);
        None
    })
    .await?;
    state.next_poll = Instant::now() + state.opts.poll_interval;
    Ok(events)
}

/// One step of the stream: wait for the next change (or the restart time, or a stop
/// request) and return what arrived.
async fn step(
    conn: &mut Connection,
    state: &mut IdleState,
    stop: &Notify,
) -> Result<Vec<Untagged>> {
    // Only the wait below runs while idling: whatever talks to the server (starting and
    // ending IDLE, polling) is boxed, so that the step each watcher holds is just a read.
    if !state.use_idle {
        tokio::select! {
            _ = tokio::time::sleep_until(state.next_poll) => {}
            _ = stop.notified() => return Ok(Vec::new()),
        }
        return Box::pin(poll_with_noop(conn, state)).await;
    }
    let Some((tag, restart_at)) = state.idling.clone() else {
        return Box::pin(begin_idle(conn, state)).await;
    };
    let wait = restart_at.saturating_duration_since(Instant::now());
    conn.release_idle_buffer();
    let response = tokio::select! {
        r = conn.read_response_within("IDLE data", wait) => r,
        _ = stop.notified() => return Ok(Vec::new()),
    };
    match response {
        Ok(Response::Untagged(u)) => {
            let mut events = Vec::new();
            conn.note_untagged(u, false, &mut |u| {
                events.push(u);
                None
            })?;
            Ok(events)
        }
        Ok(Response::Tagged(t)) if t.tag == tag.as_bytes() => {
            // The server ended the IDLE itself; OK means start another.
            state.idling = None;
            conn.idle = None;
            status_result(t.status, "IDLE")?;
            Ok(Vec::new())
        }
        Ok(Response::Tagged(t)) => {
            conn.other_tag(&t.tag)?;
            Ok(Vec::new())
        }
        Ok(Response::Continuation(_)) => Ok(Vec::new()),
        Err(Error::Timeout { .. }) => {
            // Time to restart: DONE, then IDLE again on the next step.
            tracing::debug!("restarting IDLE");
            Box::pin(end_idle(conn, state)).await
        }
        Err(e) => Err(e),
    }
}
