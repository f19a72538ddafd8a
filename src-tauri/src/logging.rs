//! The app's log: standard error and a rolling file in the app's log directory, every field
//! written with its control characters escaped ([`escaped_fields`]).

use std::io::IsTerminal;
use std::path::PathBuf;

use tracing::field::Field;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::format::{debug_fn, Writer};
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

/// Log to stderr and, when the app's log directory is usable, to a daily file there
/// (`tollgate.YYYY-MM-DD.log`, the last 7 kept). `RUST_LOG` overrides the default `info`.
/// Field values are written with their control characters escaped (names and reasons may come
/// from the registry): see [`tollgate::logging`].
pub fn init(log_dir: Option<PathBuf>) {
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let file = log_dir.and_then(|dir| {
        std::fs::create_dir_all(&dir)
            .inspect_err(|e| eprintln!("tollgate-app: cannot create {}: {e}", dir.display()))
            .ok()?;
        RollingFileAppender::builder()
            .rotation(Rotation::DAILY)
            .filename_prefix("tollgate")
            .filename_suffix("log")
            .max_log_files(7)
            .build(&dir)
            .inspect_err(|e| eprintln!("tollgate-app: no log file in {}: {e}", dir.display()))
            .ok()
    });
    let file_layer = file.map(|f| {
        fmt::layer()
            .with_ansi(false)
            .fmt_fields(escaped_fields())
            .with_writer(f)
            .with_filter(filter())
    });
    let stderr_layer = fmt::layer()
        .with_ansi(std::io::stderr().is_terminal())
        .fmt_fields(escaped_fields())
        .with_writer(std::io::stderr)
        .with_filter(filter());
    // Fails only when a subscriber is already set, which is fine to ignore.
    let _ = tracing_subscriber::registry()
        .with(stderr_layer)
        .with(file_layer)
        .try_init();
}

/// The field formatter of every log layer: `name=value` pairs separated by spaces (the message
/// bare), as `tracing_subscriber`'s default, each written by [`tollgate::logging::write_field`]
/// (control characters escaped).
fn escaped_fields() -> impl for<'w> FormatFields<'w> + Send + Sync + 'static {
    debug_fn(
        |w: &mut Writer<'_>, field: &Field, value: &dyn std::fmt::Debug| {
            tollgate::logging::write_field(w, field.name(), value)
        },
    )
    .delimited(" ")
}
