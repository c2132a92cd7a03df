//! A mailbox watcher that reconnects: the same IDLE events forever, across dropped
//! connections and server restarts, with exponential backoff and jitter between attempts
//! and an explicit [`IdleEvent::Reconnected`] after each recovery so the application can
//! resynchronise.

use std::time::Duration;

use futures::Stream;

use crate::options::ConnectOptions;
use crate::session::{Idle, IdleEvent, IdleOptions, Session};

/// How [`watch`] behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchOptions {
    /// The IDLE stream's own options (restart interval, dead-server timeout, polling).
    pub idle: IdleOptions,
    /// Wait before the first reconnection attempt (default 1 s); doubled after each failed
    /// attempt, up to `max_backoff`.
    pub initial_backoff: Duration,
    /// Longest wait between attempts (default 5 minutes).
    pub max_backoff: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            idle: IdleOptions::default(),
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(5 * 60),
        }
    }
}

enum State {
    /// Not connected. `failures` attempts have failed since the last good connection;
    /// `recovering` is false only before the very first connection.
    Disconnected {
        failures: u32,
        recovering: bool,
    },
    Watching(Box<Idle<'static, Session>>),
}

/// Watch `folder` forever: connect and log in as `opts` say, SELECT the folder, and yield
/// its changes. When the connection fails (cut socket, BYE, a server that stops answering,
/// a failed login), the watcher logs the error at WARN, waits with exponential backoff and
/// jitter, reconnects, and yields [`IdleEvent::Reconnected`] with the folder's new state
/// (compare its `uid_validity`, `uid_next` and `highest_modseq` with what you had).
///
/// The stream never ends by itself; drop it to stop watching.
///
/// ```no_run
/// use futures::StreamExt;
/// use imap_async::{watch, ConnectOptions, IdleEvent, WatchOptions};
///
/// # async fn run() {
/// let opts = ConnectOptions::new("imap.example.org").login("bar@example.org", "passwd");
/// let mut events = Box::pin(watch(opts, "INBOX", WatchOptions::default()));
/// while let Some(event) = events.next().await {
///     match event {
///         IdleEvent::Exists(n) => println!("{n} messages"),
///         IdleEvent::Reconnected(info) => println!("back; UIDNEXT {:?}", info.uid_next),
///         other => println!("{other:?}"),
///     }
/// }
/// # }
/// ```
pub fn watch(
    opts: ConnectOptions,
    folder: impl Into<String>,
    wopts: WatchOptions,
) -> impl Stream<Item = IdleEvent> + Send + 'static {
    let folder = folder.into();
    let start = State::Disconnected {
        failures: 0,
        recovering: false,
    };
    futures::stream::unfold(start, move |mut state| {
        let opts = opts.clone();
        let folder = folder.clone();
        async move {
            loop {
                match state {
                    State::Watching(mut idle) => {
                        use futures::StreamExt;
                        match idle.next().await {
                            Some(Ok(event)) => return Some((event, State::Watching(idle))),
                            Some(Err(e)) => {
                                tracing::warn!(error = %e, %folder, "watcher lost its connection");
                            }
                            None => tracing::warn!(%folder, "watcher's IDLE stream ended"),
                        }
                        state = State::Disconnected {
                            failures: 0,
                            recovering: true,
                        };
                    }
                    State::Disconnected {
                        failures,
                        recovering,
                    } => {
                        if recovering {
                            tokio::time::sleep(backoff(&wopts, failures)).await;
                        }
                        match connect(&opts, &folder, wopts.idle).await {
                            Ok((info, idle)) => {
                                let watching = State::Watching(Box::new(idle));
                                if recovering {
                                    tracing::info!(%folder, "watcher reconnected");
                                    return Some((IdleEvent::Reconnected(info), watching));
                                }
                                state = watching;
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, %folder, attempt = failures + 1, "watcher could not connect");
                                state = State::Disconnected {
                                    failures: failures.saturating_add(1),
                                    recovering: true,
                                };
                            }
                        }
                    }
                }
            }
        }
    })
}

async fn connect(
    opts: &ConnectOptions,
    folder: &str,
    idle: IdleOptions,
) -> crate::Result<(crate::SelectInfo, Idle<'static, Session>)> {
    let mut session = Session::connect(opts).await?;
    let info = session.select_folder(folder).await?;
    Ok((info, session.into_idle(idle).await?))
}

/// `initial * 2^failures`, capped, then scaled by a random factor in [0.5, 1.0) so that
/// many watchers cut off together do not reconnect together.
fn backoff(wopts: &WatchOptions, failures: u32) -> Duration {
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
        let w = WatchOptions {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            ..WatchOptions::default()
        };
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
}
