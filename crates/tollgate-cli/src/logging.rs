//! The CLI's log: off unless `TOLLGATE_LOG` sets a filter, to standard error, every field
//! written with its control characters escaped ([`escaped_fields`]).

use std::fmt;

use tracing::field::Field;
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::format::{debug_fn, Writer};
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::EnvFilter;

/// Install the log subscriber (`TOLLGATE_LOG=debug`, `TOLLGATE_LOG=tollgate=trace`, ...).
pub fn init() {
    let filter = EnvFilter::try_from_env("TOLLGATE_LOG").unwrap_or_else(|_| EnvFilter::new("off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .fmt_fields(escaped_fields())
        .with_target(false)
        .try_init();
}

/// The field formatter of the log: `name=value` pairs separated by spaces (the message bare),
/// as `tracing_subscriber`'s default, each written by [`tollgate::logging::write_field`] (control
/// characters escaped).
fn escaped_fields() -> impl for<'w> FormatFields<'w> + Send + Sync + 'static {
    debug_fn(
        |w: &mut Writer<'_>, field: &Field, value: &dyn fmt::Debug| {
            tollgate::logging::write_field(w, field.name(), value)
        },
    )
    .delimited(" ")
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn fields_and_messages_are_logged_with_control_characters_escaped() {
        let buffer = Buffer::default();
        let out = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .without_time()
            .fmt_fields(escaped_fields())
            .with_writer(move || out.clone())
            .finish();
        let planted = "api\u{1b}[2J\nFAKE LINE";
        tracing::subscriber::with_default(subscriber, || {
            tracing::info_span!("sync", app = %planted).in_scope(|| {
                tracing::warn!(reason = %planted, id = planted, "skipped {planted}");
            });
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(
            text.contains("sync{app=api\\u{1b}[2J\\u{a}FAKE LINE}")
                && text.contains("skipped api\\u{1b}[2J\\u{a}FAKE LINE reason=api\\u{1b}"),
            "{text}"
        );
    }
}
