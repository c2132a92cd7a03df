//! The connection core: owns the socket and read buffer, hands out tags, sends commands and
//! reads responses, and routes untagged data either to the command that asked for it or to
//! the unsolicited queue.
//!
//! Cancellation: a command future dropped after its bytes were sent leaves its tag
//! "in flight"; the next command first reads up to that tag's completion (keeping the
//! untagged data as unsolicited, except what the abandoned command said was its own, such
//! as the rest of a dropped fetch stream), so it never mistakes leftovers for its own
//! response. A future dropped while its bytes were being written leaves the server with
//! half a command, which nothing can repair: the connection is then marked unusable and
//! says so.
//!
//! Pipelining: several commands may be in flight at once (a batched fetch sends the next
//! batch before the previous one completes); their tags are kept in the order sent.
//!
//! Large literals: in streaming mode ([`Connection::next_event`] with a threshold), a
//! literal above the threshold is not read into the buffer. The connection hands out the
//! response's beginning, then the literal's bytes in chunks as they arrive
//! ([`Connection::literal_chunk`]), then the whole response parsed with that literal
//! replaced by an empty one. The normal path stays one framing pass and one zero-copy split.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::FutureExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use tracing::Instrument;

use crate::error::{Error, Result};
use crate::proto::{
    Command, CommandEncoder, Continuation, Fragment, Framed, Framer, Limits, LiteralMode,
    LiteralSupport, Response, ResponseCode, Status, StatusText, Untagged, parse_response,
};
use crate::session::Capabilities;
use crate::transport::Stream;

/// Read buffers above this size are given back once empty, so an idle connection stays small
/// after a large response.
const SHRINK_ABOVE: usize = 256 * 1024;
const INITIAL_BUFFER: usize = 8 * 1024;
/// Largest read: while reads keep filling the buffer (a large response streaming in), each
/// new buffer is twice the last, up to this, so that a mailbox listing takes a few hundred
/// reads instead of thousands. Frames are slices of these buffers: a kept message keeps its
/// buffer alive, so they are not made larger than this.
const MAX_READ_CHUNK: usize = 64 * 1024;
/// The room the first read after a quiet spell (IDLE) has: enough for a typical IDLE
/// event (`* 12345 EXISTS`) in one read, small enough to live in every waiting watcher.
const QUIET_READ: usize = 64;
/// Largest piece of a streamed literal read at once.
const LITERAL_CHUNK: usize = 64 * 1024;
/// While draining an abandoned command, literals above this size are skipped without
/// being buffered.
const DRAIN_LITERAL_THRESHOLD: u64 = 64 * 1024;
/// After a write failed because the server had closed the connection, how long to look
/// for what it said before closing (its BYE, already in the socket's buffer).
const SALVAGE_BYE_WITHIN: Duration = Duration::from_millis(100);

/// The unsolicited queue, bounded: a session that runs for days and never drains it must
/// not grow without limit. When full, the oldest response is dropped and counted, so that
/// the owner can tell it missed changes and must resynchronise (a dropped EXPUNGE shifts
/// every later sequence number; nothing can rebuild it).
pub(crate) struct UnsolicitedQueue {
    items: VecDeque<Untagged>,
    limit: usize,
    /// Responses dropped since the connection opened.
    dropped: u64,
    /// An overflow was logged since the queue was last emptied (one warning per episode,
    /// not one per dropped response).
    warned: bool,
}

impl UnsolicitedQueue {
    fn new(limit: usize) -> Self {
        UnsolicitedQueue {
            items: VecDeque::new(),
            limit,
            dropped: 0,
            warned: false,
        }
    }

    pub(crate) fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
        while self.items.len() > limit {
            self.items.pop_front();
            self.note_dropped();
        }
    }

    fn note_dropped(&mut self) {
        self.dropped += 1;
        if !self.warned {
            self.warned = true;
            tracing::warn!(
                limit = self.limit,
                "unsolicited queue full: dropping the oldest responses; the caller must \
                 resynchronise (Session::unsolicited_dropped counts them)"
            );
        }
    }

    /// Queue a response that arrived now (the newest); when full, drop the oldest.
    pub(crate) fn push_back(&mut self, u: Untagged) {
        if self.items.len() >= self.limit {
            if self.items.pop_front().is_none() {
                // A limit of 0: nothing is kept.
                self.note_dropped();
                return;
            }
            self.note_dropped();
        }
        self.items.push_back(u);
    }

    /// Put back a response older than those queued (taken out and not consumed); when
    /// full, it is the oldest, so it is the one dropped.
    pub(crate) fn push_front(&mut self, u: Untagged) {
        if self.items.len() >= self.limit {
            self.note_dropped();
            return;
        }
        self.items.push_front(u);
    }

    /// Take everything queued, oldest first.
    pub(crate) fn drain(
        &mut self,
        range: std::ops::RangeFull,
    ) -> std::collections::vec_deque::Drain<'_, Untagged> {
        self.warned = false;
        self.items.drain(range)
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// The server closed the connection (end of stream, reset, or BYE outside a command).
#[derive(Debug, Clone, Copy)]
struct Closed {
    /// How quiet the connection had been when the command that found it closed began.
    idle_for: Option<Duration>,
}

/// Whether a session can still carry commands, as far as the client has seen: nothing is
/// sent or read to find out. A server that closed an idle connection is noticed by the
/// next command (which then fails with [`Error::ConnectionClosed`]).
///
/// ```no_run
/// # async fn run(session: &mut imap_async::Session) -> imap_async::Result<()> {
/// use imap_async::ConnectionState;
/// if let Err(e) = session.noop().await {
///     if let ConnectionState::Closed { bye: Some(text) } = session.connection_state() {
///         eprintln!("the server hung up: {text}");
///     }
///     return Err(e);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Usable: the next command is sent.
    Open,
    /// The server closed the connection or said BYE; `bye` is the text of its BYE.
    Closed {
        /// The text of the server's BYE; `None` when the connection just ended.
        bye: Option<String>,
    },
    /// The client gave up on the connection (a command cancelled half-way through being
    /// sent, a response that did not complete in time, a protocol violation, logged out),
    /// with the reason.
    Unusable(String),
}

/// An IDLE command that was sent and not yet ended.
#[derive(Debug)]
pub(crate) struct IdleInProgress {
    pub(crate) tag: String,
    /// The server's `+` arrived: DONE may be sent.
    pub(crate) accepted: bool,
}

/// Says whether an untagged response belongs to an abandoned command, so that draining
/// discards it instead of queueing it as unsolicited (a dropped fetch stream must not
/// leave the rest of the mailbox in the queue).
pub(crate) type Discard = Box<dyn FnMut(&Untagged) -> bool + Send + Sync>;

/// A command sent completely whose tagged completion has not been read yet.
pub(crate) struct InFlight {
    pub(crate) tag: String,
    discard: Option<Discard>,
}

/// What [`Connection::next_event`] read.
#[derive(Debug)]
pub(crate) enum Event {
    /// Untagged data, already inspected (BYE, CAPABILITY, ALERT); the caller routes it.
    Untagged(Untagged),
    /// The tagged completion of one of the commands in flight (removed from the list).
    Done { tag: String, status: StatusText },
    /// A literal above the streaming threshold starts: `head` is the response so far (up
    /// to and including the literal header), `size` the literal's length. Its bytes come
    /// from [`Connection::literal_chunk`]; then the response continues.
    Literal { head: Bytes, size: u64 },
    /// A continuation request (not expected by streaming commands).
    Continuation,
}

/// One response, or the start of one whose literal is streamed.
enum Streamed {
    Response(Response),
    Literal { head: Bytes, size: u64 },
}

/// A streamed literal in progress.
#[derive(Debug)]
struct LiteralState {
    /// Bytes of the literal not consumed yet.
    remaining: u64,
    /// The response so far, with every streamed literal's header rewritten as `{0}`.
    head: BytesMut,
}

/// Where a streamed literal's data comes from (APPEND from a reader).
pub(crate) type LiteralSource<'a> = &'a mut (dyn tokio::io::AsyncRead + Unpin + Send);

/// What a command does with a continuation request (`+`): SASL exchanges answer it.
pub(crate) type ContinuationHandler<'a> =
    &'a mut (dyn FnMut(&Continuation) -> Result<Vec<u8>> + Send);

pub(crate) struct Connection {
    stream: Stream,
    read_buf: BytesMut,
    /// The read buffer was given back while waiting (IDLE): the next read waits with a
    /// few bytes of its own instead of allocating one.
    quiet: bool,
    /// How much room the next new read buffer gets (see [`MAX_READ_CHUNK`]).
    read_chunk: usize,
    framer: Framer,
    next_tag: u32,
    pub(crate) capabilities: Option<Capabilities>,
    pub(crate) command_timeout: Duration,
    /// Deadline for a whole response once its first bytes arrived.
    pub(crate) response_timeout: Duration,
    /// Credentials may be sent while unencrypted (loopback peer, or allowed explicitly).
    pub(crate) plaintext_credentials_ok: bool,
    /// When the response now in the buffer began to arrive (unset between responses).
    response_started: Option<tokio::time::Instant>,
    /// Commands sent completely whose completion was not read, oldest first.
    in_flight: VecDeque<InFlight>,
    /// A literal being streamed, or the response whose literal was streamed.
    literal: Option<LiteralState>,
    /// True while a command's bytes are being written.
    writing: bool,
    /// An IDLE command in progress (RFC 2177): the next command must end it (DONE) and
    /// read its completion first.
    pub(crate) idle: Option<IdleInProgress>,
    /// Set once the connection cannot be used any more, with the reason.
    unusable: Option<String>,
    /// The server's `* BYE`, once received.
    pub(crate) bye: Option<StatusText>,
    /// Set once the server is known to have closed the connection.
    closed: Option<Closed>,
    /// When bytes last arrived from the server.
    last_received: Instant,
    /// How quiet the connection had been when the current (or last) command began.
    idle_before_command: Option<Duration>,
    /// The bound on LOGOUT, including reading the rest of abandoned commands first.
    pub(crate) logout_timeout: Duration,
    /// Untagged data no command claimed, for `Session::take_unsolicited` (bounded).
    pub(crate) unsolicited: UnsolicitedQueue,
    /// UTF8=ACCEPT is enabled: mailbox names go as UTF-8, not modified UTF-7.
    pub(crate) utf8_enabled: bool,
    /// QRESYNC is enabled (RFC 7162 §3.2.3).
    pub(crate) qresync_enabled: bool,
    /// The selected folder (set by SELECT/EXAMINE, cleared by CLOSE/UNSELECT or a failed
    /// SELECT), and whether SELECT/EXAMINE was ever sent (RFC 5161 §3.1 forbids ENABLE after).
    pub(crate) selected: Option<String>,
    pub(crate) selected_once: bool,
    /// How the selected folder was opened (SELECT or EXAMINE, with CONDSTORE or not), and
    /// the UIDVALIDITY it reported: what a reconnect needs to open it again the same way
    /// and to tell whether stored UIDs survived.
    pub(crate) selected_options: crate::options::SelectOptions,
    pub(crate) selected_uid_validity: Option<u32>,
    /// Extensions the server confirmed with ENABLE (RFC 5161 §3.2), upper-cased, to be
    /// enabled again on a new connection.
    pub(crate) enabled: Vec<String>,
    /// How many messages the selected folder holds, kept from SELECT's EXISTS through
    /// every later EXISTS and EXPUNGE; `None` when not known for sure (no folder selected,
    /// or VANISHED reported removals this count cannot follow).
    pub(crate) selected_exists: Option<u32>,
    /// Who the server is (greeting, host name, capabilities, ID answer).
    pub(crate) identity: crate::session::ServerIdentity,
    /// Whether to send ID after login.
    pub(crate) id_policy: crate::session::IdPolicy,
    /// The family was given by `ConnectOptions::server_kind`: never guessed again.
    pub(crate) kind_fixed: bool,
    /// The server's description, for messages (`host:port`).
    pub(crate) peer: String,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("peer", &self.peer)
            .field("tls", &self.stream.is_tls())
            .field(
                "in_flight",
                &self.in_flight.iter().map(|f| &f.tag).collect::<Vec<_>>(),
            )
            .field("unusable", &self.unusable)
            .field("unsolicited", &self.unsolicited.len())
            .finish_non_exhaustive()
    }
}

impl Connection {
    pub(crate) fn new(stream: Stream, peer: String, limits: Limits, timeout: Duration) -> Self {
        Connection {
            stream,
            read_buf: BytesMut::with_capacity(INITIAL_BUFFER),
            quiet: false,
            read_chunk: INITIAL_BUFFER,
            framer: Framer::new(limits),
            next_tag: 1,
            capabilities: None,
            command_timeout: timeout,
            response_timeout: Duration::from_secs(300),
            response_started: None,
            plaintext_credentials_ok: false,
            in_flight: VecDeque::new(),
            literal: None,
            writing: false,
            idle: None,
            unusable: None,
            bye: None,
            closed: None,
            last_received: Instant::now(),
            idle_before_command: None,
            logout_timeout: Duration::from_secs(5),
            unsolicited: UnsolicitedQueue::new(crate::options::DEFAULT_UNSOLICITED_LIMIT),
            utf8_enabled: false,
            qresync_enabled: false,
            selected: None,
            selected_once: false,
            selected_options: crate::options::SelectOptions::default(),
            selected_uid_validity: None,
            enabled: Vec::new(),
            selected_exists: None,
            identity: crate::session::ServerIdentity::default(),
            id_policy: crate::session::IdPolicy::default(),
            kind_fixed: false,
            peer,
        }
    }

    pub(crate) fn is_tls(&self) -> bool {
        self.stream.is_tls()
    }

    /// A fresh encoder for the next command, with the next tag and what the server lets us
    /// do with literals.
    pub(crate) fn encoder(&mut self, name: &str) -> CommandEncoder {
        let tag = format!("A{}", self.next_tag);
        self.next_tag = self.next_tag.wrapping_add(1);
        let literals = self
            .capabilities
            .as_ref()
            .map(Capabilities::literal_support)
            .unwrap_or(LiteralSupport::SyncOnly);
        CommandEncoder::new(&tag, name, literals).utf8_quoted(self.utf8_enabled)
    }

    /// Read one complete response, waiting at most `command_timeout` for each read.
    pub(crate) async fn read_response(&mut self, waiting_for: &str) -> Result<Response> {
        let timeout = self.command_timeout;
        self.read_response_within(waiting_for, timeout).await
    }

    /// Read one complete response, waiting at most `timeout` for each read. Cancel-safe:
    /// bytes already read stay in the buffer, so dropping this future loses nothing.
    pub(crate) async fn read_response_within(
        &mut self,
        waiting_for: &str,
        timeout: Duration,
    ) -> Result<Response> {
        self.read_maybe_skipping(waiting_for, timeout, None).await
    }

    /// Read one response; with `skip_above`, literals above that size are read past in
    /// chunks and dropped instead of being buffered (draining an abandoned command).
    async fn read_maybe_skipping(
        &mut self,
        waiting_for: &str,
        timeout: Duration,
        skip_above: Option<u64>,
    ) -> Result<Response> {
        loop {
            // A streamed literal nobody finished reading: skip the rest of it.
            while self.literal_chunk(waiting_for).await?.is_some() {}
            match self
                .read_framed_within(waiting_for, timeout, skip_above)
                .await?
            {
                Streamed::Response(r) => return Ok(r),
                Streamed::Literal { size, .. } => {
                    tracing::debug!(size, "skipping a large literal of an abandoned command");
                }
            }
        }
    }

    /// The whole response at the front of the read buffer, `n` bytes long, taken out and
    /// parsed.
    fn take_response(&mut self, n: usize) -> Result<Response> {
        self.response_started = None;
        let mut frame = self.read_buf.split_to(n).freeze();
        if self.read_buf.is_empty() && self.read_buf.capacity() > SHRINK_ABOVE {
            self.read_buf = BytesMut::with_capacity(INITIAL_BUFFER);
        }
        if let Some(lit) = self.literal.take() {
            // The end of a response whose literal was streamed: parse it whole, the
            // literal now empty. Only the lines are copied, never data.
            let mut head = lit.head;
            head.extend_from_slice(&frame);
            frame = head.freeze();
        }
        tracing::trace!(response = %crate::proto::parse::show_trace(&frame), "S:");
        parse_response(frame).map_err(Error::from)
    }

    /// Framing is lost: nothing after this point can be trusted.
    fn framing_lost(&mut self, e: crate::proto::FrameError) -> Error {
        self.unusable = Some(format!("unframeable response: {e}"));
        Error::Frame(e)
    }

    /// The next untagged response when it is already whole in the read buffer, taken
    /// without waiting: a long FETCH answer is mostly that, and an await per message costs
    /// more than its parse. `None` (nothing taken) when the buffer holds no whole response,
    /// a tagged one, a continuation, or the start of a literal to stream: the awaited
    /// [`Self::next_event`] deals with those.
    pub(crate) fn buffered_untagged(&mut self, threshold: Option<u64>) -> Option<Result<Untagged>> {
        if self.literal.is_some() || !self.read_buf.starts_with(b"* ") {
            return None;
        }
        let n = match self.framer.frame_streaming(&self.read_buf, threshold) {
            Ok(Some(Framed::Complete(n))) => n,
            Ok(_) => return None,
            Err(e) => return Some(Err(self.framing_lost(e))),
        };
        Some(match self.take_response(n) {
            Ok(Response::Untagged(u)) => self.inspect(&u, false).map(|()| u),
            Ok(_) => Err(Error::Protocol(
                "internal: an untagged response parsed as another kind".into(),
            )),
            Err(e) => Err(e),
        })
    }

    /// Read one response, or (with `threshold`) the start of a response whose next literal
    /// is larger than `threshold`.
    async fn read_framed_within(
        &mut self,
        waiting_for: &str,
        timeout: Duration,
        threshold: Option<u64>,
    ) -> Result<Streamed> {
        if self.literal.as_ref().is_some_and(|l| l.remaining > 0) {
            return Err(Error::Protocol(
                "internal: a response was read while a literal was being streamed".into(),
            ));
        }
        loop {
            match self.framer.frame_streaming(&self.read_buf, threshold) {
                Ok(Some(Framed::Complete(n))) => {
                    return self.take_response(n).map(Streamed::Response);
                }
                Ok(Some(Framed::LiteralHeader { len, size })) => {
                    self.response_started = None;
                    let line = self.read_buf.split_to(len);
                    let mut head = match self.literal.take() {
                        Some(l) => l.head,
                        None => BytesMut::new(),
                    };
                    head.extend_from_slice(&line);
                    let shown = head.clone().freeze();
                    // `{123}\r\n` / `~{123}` / `{123+}` becomes `{0}\r\n`.
                    let brace = head.iter().rposition(|&b| b == b'{').unwrap_or(head.len());
                    head.truncate(brace + 1);
                    head.extend_from_slice(b"0}\r\n");
                    self.literal = Some(LiteralState {
                        remaining: size,
                        head,
                    });
                    tracing::trace!(response = %crate::proto::parse::show(&shown), size, "S: (literal streamed)");
                    return Ok(Streamed::Literal { head: shown, size });
                }
                Ok(None) => {}
                Err(e) => return Err(self.framing_lost(e)),
            }
            if self.read_buf.is_empty() && self.quiet {
                // The connection was quiet (IDLE): wait for the next bytes without a
                // buffer of its own, then continue as usual.
                self.fill_quiet(waiting_for, timeout).await?;
                continue;
            }
            if self.read_buf.capacity() - self.read_buf.len() < 4096 {
                self.read_buf
                    .reserve(self.read_chunk.max(self.read_buf.len()));
            }
            let room = self.read_buf.capacity() - self.read_buf.len();
            let had = self.read_buf.len();
            // A response under way must be complete within `response_timeout`, however
            // often its bytes arrive: each read waits only until that deadline.
            let now = tokio::time::Instant::now();
            let started = if self.read_buf.is_empty() {
                None
            } else {
                Some(*self.response_started.get_or_insert(now))
            };
            match started {
                Some(started) => {
                    let left = (started + self.response_timeout).saturating_duration_since(now);
                    if left < timeout {
                        match self.fill(waiting_for, left).await {
                            Err(Error::Timeout { .. }) => {
                                self.unusable =
                                    Some("a response did not complete in time".to_owned());
                                return Err(Error::Timeout {
                                    waiting_for: format!("the whole of a response ({waiting_for})"),
                                    after: self.response_timeout,
                                });
                            }
                            other => other?,
                        }
                        continue;
                    }
                    self.fill(waiting_for, timeout).await?;
                }
                None => self.fill(waiting_for, timeout).await?,
            }
            // A full buffer means more is waiting: read more at once next time.
            self.read_chunk = if self.read_buf.len() - had >= room {
                (self.read_chunk * 2).min(MAX_READ_CHUNK)
            } else {
                INITIAL_BUFFER
            };
        }
    }

    /// The largest literal read into memory with a response ([`Limits::max_literal`]).
    pub(crate) fn max_literal(&self) -> u64 {
        self.framer.limits().max_literal
    }

    /// The next piece of the literal being streamed, as it arrives (at most 64 KiB, never
    /// more than the literal holds); `None` once it is complete. Cancel-safe.
    pub(crate) async fn literal_chunk(&mut self, waiting_for: &str) -> Result<Option<Bytes>> {
        let Some(remaining) = self.literal.as_ref().map(|l| l.remaining) else {
            return Ok(None);
        };
        if remaining == 0 {
            return Ok(None);
        }
        if self.read_buf.is_empty() {
            // Reuses the allocation of earlier chunks once their consumer dropped them.
            self.read_buf.reserve(LITERAL_CHUNK);
            let timeout = self.command_timeout;
            self.fill(waiting_for, timeout).await?;
        }
        let take = usize::try_from(remaining)
            .unwrap_or(usize::MAX)
            .min(self.read_buf.len())
            .min(LITERAL_CHUNK);
        let chunk = self.read_buf.split_to(take).freeze();
        if let Some(l) = self.literal.as_mut() {
            l.remaining -= take as u64;
        }
        Ok(Some(chunk))
    }

    /// One read from the socket into the buffer, within `timeout`. A zero `timeout` takes
    /// only what has already arrived, without waiting at all.
    async fn fill(&mut self, waiting_for: &str, timeout: Duration) -> Result<()> {
        let read = self.stream.read_buf(&mut self.read_buf);
        let outcome = if timeout.is_zero() {
            read.now_or_never()
        } else {
            tokio::time::timeout(timeout, read).await.ok()
        };
        self.read_outcome(outcome, waiting_for, timeout).map(drop)
    }

    /// [`Connection::fill`] for a quiet connection that holds no read buffer: the wait
    /// uses a few bytes inside this future instead (an idle watcher waits for minutes, and
    /// a thousand of them would otherwise hold a thousand empty buffers). What arrives
    /// first goes into a new buffer; the rest of a response is read as usual. TLS keeps
    /// whatever did not fit in its own plaintext buffer, so nothing is lost.
    async fn fill_quiet(&mut self, waiting_for: &str, timeout: Duration) -> Result<()> {
        let mut first = [0u8; QUIET_READ];
        let read = self.stream.read(&mut first);
        let outcome = if timeout.is_zero() {
            read.now_or_never()
        } else {
            tokio::time::timeout(timeout, read).await.ok()
        };
        let n = self.read_outcome(outcome, waiting_for, timeout)?;
        self.quiet = false;
        self.read_buf = BytesMut::with_capacity(INITIAL_BUFFER);
        self.read_chunk = INITIAL_BUFFER;
        self.read_buf.extend_from_slice(&first[..n]);
        Ok(())
    }

    /// What one read gave: the number of bytes, or the error it means (`None` is a
    /// timeout; end of stream and resets are the server closing the connection).
    fn read_outcome(
        &mut self,
        outcome: Option<std::io::Result<usize>>,
        waiting_for: &str,
        timeout: Duration,
    ) -> Result<usize> {
        let n = match outcome {
            None => {
                return Err(Error::Timeout {
                    waiting_for: waiting_for.to_owned(),
                    after: timeout,
                });
            }
            Some(Err(e)) if is_closed_by_peer(&e) => {
                tracing::debug!(error = %e, "the server reset the connection");
                return Err(self.closed_error(format!("waiting for {waiting_for}")));
            }
            Some(Err(e)) => {
                self.unusable = Some(format!("read failed: {e}"));
                return Err(Error::io(format!("reading {waiting_for}"), e));
            }
            Some(Ok(n)) => n,
        };
        if n == 0 {
            return Err(self.closed_error(format!("waiting for {waiting_for}")));
        }
        self.last_received = Instant::now();
        Ok(n)
    }

    /// The server closed the connection: remember it (every later command fails the same
    /// way, without touching the socket) and say so, with its BYE when it sent one.
    fn closed_error(&mut self, during: String) -> Error {
        let idle_for = self.idle_before_command;
        let closed = *self.closed.get_or_insert(Closed { idle_for });
        self.unusable
            .get_or_insert_with(|| "the server closed the connection".to_owned());
        Error::ConnectionClosed {
            during,
            bye: self
                .bye
                .as_ref()
                .map(|b| String::from_utf8_lossy(&b.text).into_owned()),
            idle_for: closed.idle_for,
        }
    }

    /// A write failed because the server had closed the connection. What it said before
    /// closing (typically `* BYE`) is still in the socket's receive buffer: read it, for a
    /// moment only, so the error can say why. Other data found is queued as unsolicited.
    async fn closed_while_sending(&mut self, what: &str) -> Error {
        let deadline = Instant::now() + SALVAGE_BYE_WITHIN;
        while self.closed.is_none() && self.bye.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match self
                .read_framed_within("what the server sent before closing", left, None)
                .await
            {
                Ok(Streamed::Response(Response::Untagged(u))) => {
                    // `inspect` keeps a BYE; nothing here can fail the salvage.
                    let _ = self.inspect(&u, true);
                    self.push_unsolicited(u);
                }
                Ok(_) | Err(Error::Parse(_)) => {}
                Err(_) => break,
            }
        }
        self.closed_error(format!("sending {what}"))
    }

    async fn write(&mut self, bytes: &[u8], what: &str) -> Result<()> {
        let timeout = self.command_timeout;
        match tokio::time::timeout(timeout, self.stream.write_all(bytes)).await {
            Err(_) => {
                self.unusable = Some(format!("timed out sending {what}"));
                Err(Error::Timeout {
                    waiting_for: format!("sending {what}"),
                    after: timeout,
                })
            }
            Ok(Err(e)) if is_closed_by_peer(&e) => {
                tracing::debug!(error = %e, "sending failed: the server closed the connection");
                Err(self.closed_while_sending(what).await)
            }
            Ok(Err(e)) => {
                self.unusable = Some(format!("write failed: {e}"));
                Err(Error::io(format!("sending {what}"), e))
            }
            Ok(Ok(())) => Ok(()),
        }
    }

    async fn flush(&mut self, what: &str) -> Result<()> {
        let timeout = self.command_timeout;
        match tokio::time::timeout(timeout, self.stream.flush()).await {
            Err(_) => {
                self.unusable = Some(format!("timed out sending {what}"));
                Err(Error::Timeout {
                    waiting_for: format!("sending {what}"),
                    after: timeout,
                })
            }
            Ok(Err(e)) if is_closed_by_peer(&e) => {
                tracing::debug!(error = %e, "sending failed: the server closed the connection");
                Err(self.closed_while_sending(what).await)
            }
            Ok(Err(e)) => {
                self.unusable = Some(format!("write failed: {e}"));
                Err(Error::io(format!("sending {what}"), e))
            }
            Ok(Ok(())) => Ok(()),
        }
    }

    /// Make the connection ready for `next` (a command's name): refuse if it is unusable,
    /// finish reading the response of a command whose future was dropped, and take what
    /// the server sent meanwhile on its own (a BYE there means it closed the connection).
    pub(crate) async fn recover(&mut self, next: &str) -> Result<()> {
        // After a BYE (RFC 3501 §7.1.5) the server closes the connection: whether or not
        // the close was read yet, the session is over, and the error says what it said.
        if self.closed.is_some() || self.bye.is_some() {
            return Err(self.closed_error(format!("sending {next}")));
        }
        if let Some(reason) = &self.unusable {
            return Err(Error::Unusable(reason.clone()));
        }
        if self.writing {
            let reason = "a command was cancelled while it was being sent".to_owned();
            self.unusable = Some(reason.clone());
            return Err(Error::Unusable(reason));
        }
        self.idle_before_command = Some(self.last_received.elapsed());
        if self.idle.is_some() {
            // An IDLE whose owner went away without ending it (RFC 2177 §3: "DONE").
            tracing::debug!("ending an abandoned IDLE");
            self.await_idle_continuation().await?;
            self.end_idle_send_done().await?;
        }
        while !self.in_flight.is_empty() {
            tracing::debug!(tags = ?self.in_flight.iter().map(|f| &f.tag).collect::<Vec<_>>(),
                "reading the rest of abandoned commands' responses");
            let timeout = self.command_timeout;
            match self
                .read_maybe_skipping(
                    "the response to an abandoned command",
                    timeout,
                    Some(DRAIN_LITERAL_THRESHOLD),
                )
                .await
            {
                Ok(Response::Tagged(t)) => {
                    if self.take_in_flight(&t.tag).is_none() {
                        self.other_tag(&t.tag)?;
                    }
                }
                Ok(Response::Continuation(_)) => {}
                Ok(Response::Untagged(u)) => {
                    let theirs = self
                        .in_flight
                        .iter_mut()
                        .any(|f| f.discard.as_mut().is_some_and(|d| d(&u)));
                    if theirs {
                        continue;
                    }
                    self.note_untagged(u, false, &mut |u| Some(u))?
                }
                Err(Error::Parse(e)) => tracing::warn!(error = %e, "skipping unparseable response"),
                Err(e) => return Err(e),
            }
        }
        self.take_arrived(next).await
    }

    /// Before sending `next`, with no command in flight: take whatever the server sent on
    /// its own while the connection was quiet, without waiting for more. Data is queued as
    /// unsolicited. RFC 3501 §7.1.5: "The BYE response is always untagged, and indicates
    /// that the server is about to close the connection": a BYE here (an idle timeout,
    /// an administrator's kick, a shutdown) ends the session before `next` is sent, and
    /// the error carries its text. So does the end of the stream.
    async fn take_arrived(&mut self, next: &str) -> Result<()> {
        let waiting_for = format!("what the server sent before {next}");
        loop {
            // A zero timeout reads only what is already there.
            match self
                .read_response_within(&waiting_for, Duration::ZERO)
                .await
            {
                Err(Error::Timeout { .. }) => return Ok(()),
                Err(Error::Parse(e)) => tracing::warn!(error = %e, "skipping unparseable response"),
                Err(Error::ConnectionClosed { .. }) => {
                    return Err(self.closed_error(format!("sending {next}")));
                }
                Err(e) => return Err(e),
                Ok(Response::Untagged(u)) => {
                    if let Untagged::Status(st) = &u
                        && st.status == Status::Bye
                    {
                        tracing::debug!(text = %String::from_utf8_lossy(&st.text),
                            "server said BYE while the connection was idle");
                        self.bye = Some(st.clone());
                        return Err(self.closed_error(format!("sending {next}")));
                    }
                    self.note_untagged(u, false, &mut |u| Some(u))?;
                }
                Ok(Response::Tagged(t)) => self.other_tag(&t.tag)?,
                Ok(Response::Continuation(_)) => {
                    tracing::warn!("continuation request while no command runs; ignored");
                }
            }
        }
    }

    /// A tagged response whose tag is not the one being waited for. RFC 3501 §2.2.2: a
    /// completion "is tagged with the same tag as the client command which began the
    /// operation", so it may only complete a command still in flight (one abandoned by its
    /// caller, which is then done) or end the IDLE in progress. Any other tag was never
    /// sent, or was completed already: the server and the client no longer agree on what
    /// is going on, so the connection cannot be trusted any more.
    pub(crate) fn other_tag(&mut self, tag: &[u8]) -> Result<()> {
        if self.take_in_flight(tag).is_some() {
            tracing::debug!(tag = %String::from_utf8_lossy(tag), "an abandoned command completed");
            return Ok(());
        }
        if self.idle.as_ref().is_some_and(|i| i.tag.as_bytes() == tag) {
            tracing::debug!("the server ended the IDLE in progress");
            self.idle = None;
            return Ok(());
        }
        let msg = format!(
            "tagged response for {}, a tag the client never sent or that was already \
             complete",
            String::from_utf8_lossy(tag)
        );
        self.unusable.get_or_insert_with(|| msg.clone());
        Err(Error::Protocol(msg))
    }

    /// True when every command sent has been answered (none abandoned half-way).
    pub(crate) fn in_flight_is_empty(&self) -> bool {
        self.in_flight.is_empty()
    }

    /// What the client knows about the connection, without any I/O.
    pub(crate) fn state(&self) -> ConnectionState {
        if self.closed.is_some() || self.bye.is_some() {
            return ConnectionState::Closed {
                bye: self
                    .bye
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(&b.text).into_owned()),
            };
        }
        if let Some(reason) = &self.unusable {
            return ConnectionState::Unusable(reason.clone());
        }
        if self.writing {
            return ConnectionState::Unusable(
                "a command was cancelled while it was being sent".to_owned(),
            );
        }
        ConnectionState::Open
    }

    /// Remove the in-flight command with this tag, if any.
    pub(crate) fn take_in_flight(&mut self, tag: &[u8]) -> Option<InFlight> {
        let i = self
            .in_flight
            .iter()
            .position(|f| f.tag.as_bytes() == tag)?;
        self.in_flight.remove(i)
    }

    /// Send a command without waiting for its completion; read its responses with
    /// [`Connection::next_event`]. Commands still in flight are finished first (see
    /// [`Connection::recover`]). `discard` says which untagged data is this command's own,
    /// to be dropped if the caller abandons it. Commands with literals are refused.
    pub(crate) async fn start(&mut self, cmd: Command, discard: Option<Discard>) -> Result<()> {
        self.recover(&cmd.name).await?;
        self.pipeline(cmd, discard).await
    }

    /// Send one more command while others are still in flight (pipelining, RFC 3501 §5.5):
    /// only for commands whose responses cannot be confused with those before them.
    pub(crate) async fn pipeline(&mut self, cmd: Command, discard: Option<Discard>) -> Result<()> {
        if self.closed.is_some() {
            return Err(self.closed_error(format!("sending {}", cmd.name)));
        }
        if let Some(reason) = &self.unusable {
            return Err(Error::Unusable(reason.clone()));
        }
        if self.writing || self.idle.is_some() {
            return Err(Error::Protocol(
                "internal: pipelining while a command is being sent or IDLE runs".into(),
            ));
        }
        tracing::debug!(command = %cmd.redacted, "C:");
        let mut line = Vec::new();
        for fragment in &cmd.fragments {
            match fragment {
                Fragment::Line(l) => line.extend_from_slice(l),
                Fragment::Literal { .. } | Fragment::StreamedLiteral { .. } => {
                    return Err(Error::invalid(&cmd.name, "a command with a literal"));
                }
            }
        }
        self.send_raw(&line, &cmd.name).await?;
        self.in_flight.push_back(InFlight {
            tag: cmd.tag.clone(),
            discard,
        });
        Ok(())
    }

    /// Read the next thing the server sends while commands started with
    /// [`Connection::start`] are in flight. Untagged data is inspected (BYE is an error,
    /// CAPABILITY is cached) and given to the caller to route; a tagged completion removes
    /// its command from the in-flight list. With `threshold`, a literal larger than it
    /// comes as [`Event::Literal`] and its bytes through [`Connection::literal_chunk`].
    pub(crate) async fn next_event(
        &mut self,
        waiting_for: &str,
        threshold: Option<u64>,
    ) -> Result<Event> {
        let timeout = self.command_timeout;
        match self
            .read_framed_within(waiting_for, timeout, threshold)
            .await?
        {
            Streamed::Literal { head, size } => Ok(Event::Literal { head, size }),
            Streamed::Response(Response::Continuation(_)) => Ok(Event::Continuation),
            Streamed::Response(Response::Untagged(u)) => {
                self.inspect(&u, false)?;
                Ok(Event::Untagged(u))
            }
            Streamed::Response(Response::Tagged(t)) => match self.take_in_flight(&t.tag) {
                Some(f) => {
                    if let Some(ResponseCode::Capability(caps)) = &t.status.code {
                        self.capabilities = Some(Capabilities::from_atoms(caps));
                    }
                    Ok(Event::Done {
                        tag: f.tag,
                        status: t.status,
                    })
                }
                None => {
                    self.other_tag(&t.tag)?;
                    Box::pin(self.next_event(waiting_for, threshold)).await
                }
            },
        }
    }

    /// Queue untagged data nobody claimed.
    pub(crate) fn push_unsolicited(&mut self, u: Untagged) {
        tracing::debug!(data = ?u, "unsolicited");
        self.unsolicited.push_back(u);
    }

    /// Look at untagged data before it goes anywhere: BYE ends the session, CAPABILITY
    /// refreshes the cache, ALERT is logged; the rest goes to `claim`, and what it does not
    /// claim is queued as unsolicited.
    pub(crate) fn note_untagged(
        &mut self,
        u: Untagged,
        expect_bye: bool,
        claim: &mut dyn FnMut(Untagged) -> Option<Untagged>,
    ) -> Result<()> {
        self.inspect(&u, expect_bye)?;
        if let Some(rest) = claim(u) {
            self.push_unsolicited(rest);
        }
        Ok(())
    }

    /// What the connection itself learns from untagged data: BYE ends the session (an
    /// error unless expected), CAPABILITY refreshes the cache, ALERT is logged.
    fn inspect(&mut self, u: &Untagged, expect_bye: bool) -> Result<()> {
        match u {
            Untagged::Status(st) if st.status == Status::Bye => {
                tracing::debug!(text = %String::from_utf8_lossy(&st.text), "server said BYE");
                self.bye = Some(st.clone());
                if !expect_bye {
                    return Err(bye_error(st));
                }
                return Ok(());
            }
            Untagged::Status(st) => {
                if st.code == Some(ResponseCode::Alert) {
                    tracing::warn!(alert = %String::from_utf8_lossy(&st.text), "server ALERT");
                }
                if let Some(ResponseCode::Capability(caps)) = &st.code {
                    self.capabilities = Some(Capabilities::from_atoms(caps));
                }
            }
            Untagged::Capability(caps) => {
                self.capabilities = Some(Capabilities::from_atoms(caps));
            }
            // RFC 3501 §7.3.1 / §7.4.1: the message count of the selected folder.
            Untagged::Exists(n) if self.selected_exists.is_some() => {
                self.selected_exists = Some(*n);
            }
            Untagged::Expunge(_) => {
                if let Some(n) = self.selected_exists.as_mut() {
                    *n = n.saturating_sub(1);
                }
            }
            // RFC 7162 §3.2.10: each UID of a VANISHED without EARLIER is one message
            // gone, as an EXPUNGE would say.
            Untagged::Vanished {
                earlier: false,
                uids,
            } => {
                if let Some(n) = self.selected_exists.as_mut() {
                    let gone: u64 = uids
                        .iter()
                        .map(|&(a, b)| u64::from(a.max(b) - a.min(b)) + 1)
                        .sum();
                    *n = n.saturating_sub(u32::try_from(gone).unwrap_or(u32::MAX));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Send `cmd` and read until its tagged completion. Untagged data goes to `claim`
    /// (anything it returns is queued as unsolicited). `NO` and `BAD` become errors.
    pub(crate) async fn execute(
        &mut self,
        cmd: Command,
        claim: &mut (dyn FnMut(Untagged) -> Option<Untagged> + Send),
    ) -> Result<StatusText> {
        self.execute_full(cmd, claim, None, false).await
    }

    /// [`Connection::execute`] with every option: a handler for continuation requests (SASL)
    /// and whether `* BYE` is expected (LOGOUT).
    pub(crate) async fn execute_full(
        &mut self,
        cmd: Command,
        claim: &mut (dyn FnMut(Untagged) -> Option<Untagged> + Send),
        on_continuation: Option<ContinuationHandler<'_>>,
        expect_bye: bool,
    ) -> Result<StatusText> {
        // Boxed: a command's future is large, and every caller's future (a watcher task
        // that selects a folder and then idles for days) would otherwise be as large.
        Box::pin(async move {
            self.recover(&cmd.name).await?;
            let span = tracing::debug_span!("imap", tag = %cmd.tag, command = %cmd.name);
            self.run(cmd, claim, on_continuation, expect_bye, None)
                .instrument(span)
                .await
        })
        .await
    }

    /// [`Connection::execute`] for a command with a [`Fragment::StreamedLiteral`] (APPEND
    /// from a reader): its data is copied from `source` as it is sent.
    pub(crate) async fn execute_streamed(
        &mut self,
        cmd: Command,
        claim: &mut (dyn FnMut(Untagged) -> Option<Untagged> + Send),
        source: LiteralSource<'_>,
    ) -> Result<StatusText> {
        self.recover(&cmd.name).await?;
        let span = tracing::debug_span!("imap", tag = %cmd.tag, command = %cmd.name);
        self.run(cmd, claim, None, false, Some(source))
            .instrument(span)
            .await
    }

    /// Send a streamed literal's `len` bytes from `source`, in chunks of at most
    /// [`LITERAL_CHUNK`], each write bounded by the command timeout, each read from the
    /// source too. Any failure here leaves the server inside the literal, waiting for
    /// bytes that will never come: the connection is marked unusable.
    async fn send_streamed_literal(
        &mut self,
        source: &mut LiteralSource<'_>,
        len: u64,
        name: &str,
    ) -> Result<()> {
        use tokio::io::AsyncReadExt as _;
        let timeout = self.command_timeout;
        let mut buf = vec![0u8; LITERAL_CHUNK.min(usize::try_from(len).unwrap_or(usize::MAX))];
        let mut sent: u64 = 0;
        while sent < len {
            let want = usize::try_from(len - sent).map_or(buf.len(), |left| left.min(buf.len()));
            let n = match tokio::time::timeout(timeout, source.read(&mut buf[..want])).await {
                Err(_) => {
                    let why = format!(
                        "the message reader gave nothing for {timeout:?} after {sent} of \
                         {len} bytes of the {name} literal"
                    );
                    self.unusable = Some(format!("{why}; the server still waits for the rest"));
                    return Err(Error::Timeout {
                        waiting_for: format!("the message reader during {name}"),
                        after: timeout,
                    });
                }
                Ok(Err(e)) => {
                    self.unusable = Some(format!(
                        "reading the message failed after {sent} of {len} bytes of the \
                         {name} literal: {e}; the server still waits for the rest"
                    ));
                    return Err(Error::io(
                        format!("reading the message for {name} ({sent} of {len} bytes sent)"),
                        e,
                    ));
                }
                Ok(Ok(n)) => n,
            };
            if n == 0 {
                // RFC 3501 §4.3: the server reads exactly the announced count; nothing
                // can end the literal early, so the connection cannot go on.
                let why = format!(
                    "the message reader ended after {sent} of the {len} bytes announced \
                     for {name}"
                );
                self.unusable = Some(format!(
                    "{why}; the server still waits for the rest of the literal"
                ));
                return Err(Error::io(
                    format!("reading the message for {name}"),
                    std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!("{why}; the connection is unusable (log out and reconnect)"),
                    ),
                ));
            }
            let chunk = &buf[..n];
            if let Some(at) = chunk.iter().position(|&b| b == 0) {
                let offset = sent + at as u64;
                self.unusable = Some(format!(
                    "the {name} literal held a NUL byte at offset {offset}; it was abandoned \
                     half-sent"
                ));
                return Err(Error::invalid(
                    format!("{name} message data"),
                    format!(
                        "NUL byte at offset {offset}, which IMAP cannot carry (RFC 3501 §4.3); \
                         the connection is unusable"
                    ),
                ));
            }
            self.write(chunk, name).await?;
            sent += n as u64;
        }
        Ok(())
    }

    async fn run(
        &mut self,
        cmd: Command,
        claim: &mut (dyn FnMut(Untagged) -> Option<Untagged> + Send),
        mut on_continuation: Option<ContinuationHandler<'_>>,
        expect_bye: bool,
        mut source: Option<LiteralSource<'_>>,
    ) -> Result<StatusText> {
        tracing::debug!(command = %cmd.redacted, "C:");
        let tag = cmd.tag.clone();
        let waiting_for = format!("the response to {}", cmd.name);
        self.writing = true;
        let mut rejected_early = None;
        'send: for fragment in &cmd.fragments {
            match fragment {
                Fragment::Line(line) => self.write(line, &cmd.name).await?,
                Fragment::Literal { mode, .. } | Fragment::StreamedLiteral { mode, .. } => {
                    if *mode == LiteralMode::Sync {
                        // RFC 3501 §7.5: wait for "+" before sending the literal's bytes.
                        self.flush(&cmd.name).await?;
                        loop {
                            match self.read_response(&waiting_for).await? {
                                Response::Continuation(_) => break,
                                Response::Tagged(t) if t.tag == tag.as_bytes() => {
                                    // The server refused the literal: the command is over.
                                    rejected_early = Some(t.status);
                                    break 'send;
                                }
                                Response::Tagged(t) => self.other_tag(&t.tag)?,
                                Response::Untagged(u) => {
                                    self.note_untagged(u, expect_bye, claim)?
                                }
                            }
                        }
                    }
                    match (fragment, source.as_mut()) {
                        (Fragment::Literal { data, .. }, _) => {
                            self.write(data, &cmd.name).await?;
                        }
                        (Fragment::StreamedLiteral { len, .. }, Some(source)) => {
                            self.send_streamed_literal(source, *len, &cmd.name).await?;
                        }
                        _ => {
                            // The header went out: the server waits for data we do not have.
                            let msg = format!(
                                "internal: {} has a streamed literal but no source",
                                cmd.name
                            );
                            self.unusable = Some(msg.clone());
                            return Err(Error::Protocol(msg));
                        }
                    }
                }
            }
        }
        if rejected_early.is_none() {
            self.flush(&cmd.name).await?;
        }
        self.writing = false;
        if let Some(status) = rejected_early {
            return status_result(status, &cmd.name);
        }
        self.in_flight.push_back(InFlight {
            tag: tag.clone(),
            discard: None,
        });

        // Read to the tagged completion. An unparseable untagged response does not end the
        // command early (that would leave the rest of its data for the next command); it is
        // reported once the command is complete.
        let mut parse_error = None;
        loop {
            let response = match self.read_response(&waiting_for).await {
                Ok(r) => r,
                Err(Error::Parse(e)) => {
                    if e.raw.starts_with(tag.as_bytes()) && e.raw.get(tag.len()) == Some(&b' ') {
                        self.take_in_flight(tag.as_bytes());
                        return Err(Error::Parse(e));
                    }
                    tracing::warn!(error = %e, "unparseable response");
                    parse_error.get_or_insert(e);
                    continue;
                }
                Err(e) => {
                    if expect_bye && self.bye.is_some() {
                        // LOGOUT: the server may close right after its BYE.
                        if let Error::ConnectionClosed { .. } | Error::Bye { .. } = e {
                            self.take_in_flight(tag.as_bytes());
                            let bye = self.bye.clone().expect("checked above");
                            return Ok(bye);
                        }
                    }
                    return Err(e);
                }
            };
            match response {
                Response::Tagged(t) if t.tag == tag.as_bytes() => {
                    self.take_in_flight(tag.as_bytes());
                    if let Some(ResponseCode::Capability(caps)) = &t.status.code {
                        self.capabilities = Some(Capabilities::from_atoms(caps));
                    }
                    if let Some(e) = parse_error {
                        return Err(Error::Parse(e));
                    }
                    return status_result(t.status, &cmd.name);
                }
                Response::Tagged(t) => self.other_tag(&t.tag)?,
                Response::Untagged(u) => self.note_untagged(u, expect_bye, claim)?,
                Response::Continuation(c) => match on_continuation.as_mut() {
                    Some(handler) => {
                        let mut answer = match handler(&c) {
                            Ok(answer) => answer,
                            Err(e) => {
                                // RFC 3501 §6.2.2: "*" cancels the exchange; the server
                                // then ends the command with BAD, which we read first.
                                self.write(b"*\r\n", &cmd.name).await?;
                                self.flush(&cmd.name).await?;
                                self.finish_after_error(&cmd.name).await?;
                                return Err(e);
                            }
                        };
                        // The answer is SASL data (credentials, tokens): only its size is
                        // ever logged.
                        tracing::debug!(
                            command = %format_args!("<{} answer redacted, {} bytes>", cmd.name, answer.len()),
                            "C:"
                        );
                        answer.extend_from_slice(b"\r\n");
                        self.writing = true;
                        self.write(&answer, &cmd.name).await?;
                        self.flush(&cmd.name).await?;
                        self.writing = false;
                    }
                    None => {
                        let msg = format!(
                            "unexpected continuation request during {}: {}",
                            cmd.name,
                            String::from_utf8_lossy(&c.text)
                        );
                        self.unusable = Some(msg.clone());
                        return Err(Error::Protocol(msg));
                    }
                },
            }
        }
    }

    /// Read to the in-flight command's completion, ignoring its outcome.
    async fn finish_after_error(&mut self, name: &str) -> Result<()> {
        self.recover(name).await
    }

    /// Send bytes outside the command flow (IDLE's DONE), refusing to leave half of them.
    pub(crate) async fn send_raw(&mut self, bytes: &[u8], what: &str) -> Result<()> {
        self.writing = true;
        self.write(bytes, what).await?;
        self.flush(what).await?;
        self.writing = false;
        Ok(())
    }

    /// End the IDLE in progress: send DONE, and from then on its tagged completion is what
    /// the next command waits for (the IDLE tag becomes the in-flight command).
    pub(crate) async fn end_idle_send_done(&mut self) -> Result<()> {
        if let Some(IdleInProgress { tag, .. }) = self.idle.take() {
            self.in_flight.push_back(InFlight { tag, discard: None });
            self.send_raw(b"DONE\r\n", "DONE").await?;
        }
        Ok(())
    }

    /// Wait for the `+` of an IDLE that was sent but whose continuation had not arrived
    /// when its owner went away. DONE is the client's continuation of the command, so it
    /// may only follow the server's `+` (RFC 2177 §3, RFC 3501 §7.5); a server that
    /// reads `IDLE` and `DONE` together can otherwise wait for DONE forever (Cyrus 3.6
    /// did, now and then). If the server refuses or ends the IDLE instead, nothing is
    /// left to end. Untagged data arriving meanwhile is queued as unsolicited.
    async fn await_idle_continuation(&mut self) -> Result<()> {
        while let Some(idle) = &self.idle {
            if idle.accepted {
                break;
            }
            let tag = idle.tag.clone();
            match self.read_response("the IDLE continuation").await? {
                Response::Continuation(_) => {
                    if let Some(idle) = &mut self.idle {
                        idle.accepted = true;
                    }
                }
                Response::Tagged(t) if t.tag == tag.as_bytes() => self.idle = None,
                Response::Tagged(t) => self.other_tag(&t.tag)?,
                Response::Untagged(u) => self.note_untagged(u, false, &mut |u| Some(u))?,
            }
        }
        Ok(())
    }

    /// Send a command that has no literal and does not wait for its completion (IDLE).
    /// Its tag is then in flight.
    pub(crate) async fn send_line_command(&mut self, cmd: &Command) -> Result<()> {
        self.recover(&cmd.name).await?;
        tracing::debug!(command = %cmd.redacted, "C:");
        let mut line = Vec::new();
        for fragment in &cmd.fragments {
            match fragment {
                Fragment::Line(l) => line.extend_from_slice(l),
                Fragment::Literal { .. } | Fragment::StreamedLiteral { .. } => {
                    return Err(Error::invalid(&cmd.name, "a command with a literal"));
                }
            }
        }
        self.send_raw(&line, &cmd.name).await?;
        self.in_flight.push_back(InFlight {
            tag: cmd.tag.clone(),
            discard: None,
        });
        Ok(())
    }

    /// The tagged completion of the in-flight command arrived.
    pub(crate) fn complete_in_flight(&mut self) {
        self.in_flight.pop_back();
    }

    /// Give the read buffer back while nothing is buffered: a connection that waits for a
    /// long time (IDLE) then holds no buffer at all, not even while its read is pending
    /// ([`Connection::fill_quiet`]); the read that ends the wait allocates one again.
    pub(crate) fn release_idle_buffer(&mut self) {
        if self.read_buf.is_empty() {
            self.read_buf = BytesMut::new();
            self.quiet = true;
        }
    }

    /// Mark the connection unusable, with the reason.
    pub(crate) fn poison(&mut self, reason: impl Into<String>) {
        self.unusable.get_or_insert(reason.into());
    }

    /// Bytes already read but not yet framed. STARTTLS must find none (RFC 2595 §3.1:
    /// anything here was sent before TLS and could be an injection).
    pub(crate) fn buffered(&self) -> usize {
        self.read_buf.len()
    }

    /// Close the socket (after LOGOUT, or on giving up). Errors are irrelevant by then.
    pub(crate) async fn shutdown(&mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.stream.shutdown()).await;
        self.unusable
            .get_or_insert_with(|| "the session was logged out".to_owned());
    }

    /// RFC 4978 §3: from COMPRESS's tagged OK on, both directions are compressed; bytes
    /// already read past that OK arrived compressed and are decompressed first.
    #[cfg(feature = "compress")]
    pub(crate) fn start_compression(&mut self) {
        let already_read = self.read_buf.split();
        self.stream.start_deflate(&already_read);
    }

    pub(crate) fn wire_stats(&self) -> crate::transport::WireStats {
        self.stream.wire_stats()
    }

    pub(crate) fn into_stream(self) -> Stream {
        self.stream
    }

    /// Take every queued unsolicited response.
    pub(crate) fn take_unsolicited(&mut self) -> Vec<Untagged> {
        self.unsolicited.drain(..).collect()
    }
}

/// Helpers for keep-alive and reconnection: the connection's health without I/O, and
/// reading between commands.
impl Connection {
    /// The error the next command would fail with before sending anything (the server's
    /// BYE, or why the connection became unusable), or `None` while it looks usable. No
    /// I/O: a connection the server dropped silently looks usable until it is read.
    pub(crate) fn dead_error(&self) -> Option<Error> {
        if self.closed.is_some() || self.bye.is_some() {
            return Some(Error::ConnectionClosed {
                during: "an earlier command".to_owned(),
                bye: self
                    .bye
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(&b.text).into_owned()),
                idle_for: self.closed.and_then(|c| c.idle_for),
            });
        }
        if let Some(reason) = &self.unusable {
            return Some(Error::Unusable(reason.clone()));
        }
        if self.writing {
            return Some(Error::Unusable(
                "a command was cancelled while it was being sent".to_owned(),
            ));
        }
        None
    }

    /// Read what the server sends while no command of the caller runs, queueing untagged
    /// data as unsolicited, until the connection fails; the caller ends the wait by
    /// dropping this future (cancel-safe: a response read halfway stays in the buffer).
    /// Commands left in flight are finished first. RFC 3501 §7.1.5: the server may send
    /// `BYE` at any time (autologout), so a hang-up is noticed as it happens.
    pub(crate) async fn watch_between_commands(&mut self, poll: Duration) -> Result<()> {
        self.recover("waiting between commands").await?;
        loop {
            match self
                .read_response_within("data from the server between commands", poll)
                .await
            {
                Ok(Response::Untagged(u)) => self.note_untagged(u, false, &mut |u| Some(u))?,
                Ok(Response::Tagged(t)) => self.other_tag(&t.tag)?,
                Ok(Response::Continuation(_)) => {
                    tracing::warn!("continuation request while no command runs; ignored");
                }
                Err(Error::Parse(e)) => tracing::warn!(error = %e, "unparseable response"),
                // Nothing arrived: normal while waiting, unless a response stopped
                // half-way for longer than the response timeout.
                Err(e @ Error::Timeout { .. }) => {
                    if self.dead_error().is_some() {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// An I/O error that means the server closed its end (or the connection was reset).
fn is_closed_by_peer(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        BrokenPipe | ConnectionReset | ConnectionAborted | UnexpectedEof | NotConnected
    )
}

pub(crate) fn bye_error(st: &StatusText) -> Error {
    Error::Bye {
        code: st.code.clone(),
        text: String::from_utf8_lossy(&st.text).into_owned(),
    }
}

/// `OK` is success; `NO` and `BAD` become errors naming the command.
pub(crate) fn status_result(st: StatusText, command: &str) -> Result<StatusText> {
    let text = || String::from_utf8_lossy(&st.text).into_owned();
    match st.status {
        Status::Ok => Ok(st),
        Status::No => Err(Error::No {
            command: command.to_owned(),
            code: st.code.clone(),
            text: text(),
        }),
        Status::Bad | Status::PreAuth | Status::Bye => Err(Error::Bad {
            command: command.to_owned(),
            code: st.code.clone(),
            text: text(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exists(n: u32) -> Untagged {
        Untagged::Exists(n)
    }

    fn numbers(q: &mut UnsolicitedQueue) -> Vec<u32> {
        q.drain(..)
            .map(|u| match u {
                Untagged::Exists(n) => n,
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn unsolicited_queue_drops_the_oldest_and_counts_them() {
        let mut q = UnsolicitedQueue::new(3);
        for n in 1..=5 {
            q.push_back(exists(n));
        }
        assert_eq!(q.len(), 3);
        assert_eq!(q.dropped(), 2);
        assert_eq!(numbers(&mut q), [3, 4, 5]);
        // The count is cumulative; an empty queue takes new responses again.
        q.push_back(exists(6));
        assert_eq!(q.dropped(), 2);
        assert_eq!(numbers(&mut q), [6]);
    }

    #[test]
    fn unsolicited_queue_put_back_when_full_drops_what_is_put_back() {
        let mut q = UnsolicitedQueue::new(2);
        q.push_back(exists(2));
        q.push_front(exists(1));
        // Full: what is put back is older than everything queued, so it goes.
        q.push_front(exists(0));
        assert_eq!(q.dropped(), 1);
        assert_eq!(numbers(&mut q), [1, 2]);
    }

    #[test]
    fn unsolicited_queue_limit_zero_keeps_nothing_and_lowering_trims() {
        let mut q = UnsolicitedQueue::new(0);
        q.push_back(exists(1));
        assert_eq!((q.len(), q.dropped()), (0, 1));
        let mut q = UnsolicitedQueue::new(10);
        for n in 1..=4 {
            q.push_back(exists(n));
        }
        q.set_limit(2);
        assert_eq!(q.dropped(), 2);
        assert_eq!(numbers(&mut q), [3, 4]);
    }
}
