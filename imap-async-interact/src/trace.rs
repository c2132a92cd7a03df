//! The protocol trace (`--trace`, `c.trace(true)`) and `RUST_LOG` logging.
//!
//! The library logs each command it sends at debug level (`C:`, secret arguments and SASL
//! answers already replaced by `<redacted ...>`) and each response it reads at trace
//! level (`S:`, long literals shown as their size). The trace is a `tracing` layer that
//! prints just those, one line each, to standard error, while a switch is on; the switch
//! is checked for every event, so turning it off costs the library no formatting.
//! `RUST_LOG`, when set, adds the usual formatted log through an `EnvFilter`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::{EnvFilter, filter_fn};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Where the library logs the protocol lines.
const PROTOCOL_TARGET: &str = "imap_async::session::connection";

/// Install the subscriber; the returned switch turns the protocol trace on and off.
pub fn install(trace: bool) -> Arc<AtomicBool> {
    let on = Arc::new(AtomicBool::new(trace));
    let switch = on.clone();
    let protocol = ProtocolLines.with_filter(filter_fn(move |m| {
        switch.load(Ordering::Relaxed) && m.target() == PROTOCOL_TARGET
    }));
    let env = std::env::var_os("RUST_LOG").map(|_| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(EnvFilter::from_default_env())
    });
    // A second install (tests that build the shell twice) keeps the first.
    let _ = tracing_subscriber::registry()
        .with(protocol)
        .with(env)
        .try_init();
    on
}

/// Prints `C: ...` and `S: ...` lines.
struct ProtocolLines;

impl<S: Subscriber> Layer<S> for ProtocolLines {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut f = Fields::default();
        event.record(&mut f);
        let line = match f.message.as_deref() {
            Some("C:") => format!("C: {}", f.command.unwrap_or_default()),
            // The line end every response has is noise here.
            Some("S:") => format!(
                "S: {}",
                f.response.unwrap_or_default().trim_end_matches("\\r\\n")
            ),
            Some("S: (literal streamed)") => format!(
                "S: {} <literal of {} bytes, streamed>",
                f.response.unwrap_or_default(),
                f.size.unwrap_or_default()
            ),
            _ => return,
        };
        eprintln!("{line}");
    }
}

#[derive(Default)]
struct Fields {
    message: Option<String>,
    command: Option<String>,
    response: Option<String>,
    size: Option<String>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let v = format!("{value:?}");
        match field.name() {
            "message" => self.message = Some(v),
            "size" => self.size = Some(v),
            // Display values (`%x`) come through here as their Display text.
            "command" => self.command = Some(v),
            "response" => self.response = Some(v),
            _ => {}
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }
}
