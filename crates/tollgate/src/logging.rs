//! Log lines as people read them: the fields of every `tracing` event and span (app and
//! environment names, teammates' ids, reasons that quote a registry) are written with their
//! control characters escaped ([`crate::domain::escape_controls`]), so that a string planted in
//! the registry cannot move the cursor of a terminal that shows the log or forge a log line.
//! The CLI and the desktop app format their logs with [`escaped_fields`].

use std::fmt;

use tracing::field::Field;
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::format::{debug_fn, Writer};
use tracing_subscriber::fmt::FormatFields;

use crate::domain::escape_controls;

/// The field formatter of every log layer: `name=value` pairs separated by spaces (the message
/// bare), as `tracing_subscriber`'s default, with control characters escaped.
pub fn escaped_fields() -> impl for<'w> FormatFields<'w> + Send + Sync + 'static {
    debug_fn(
        |w: &mut Writer<'_>, field: &Field, value: &dyn fmt::Debug| {
            let text = format!("{value:?}");
            let text = escape_controls(&text);
            if field.name() == "message" {
                write!(w, "{text}")
            } else {
                write!(w, "{}={text}", field.name())
            }
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
