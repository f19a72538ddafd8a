//! Log lines as people read them: the fields of every `tracing` event and span (app and
//! environment names, teammates' ids, reasons that quote a registry) are written with their
//! control characters escaped ([`crate::domain::escape_controls`]), so that a string planted in
//! the registry cannot move the cursor of a terminal that shows the log or forge a log line.
//! The CLI and the desktop app each install their own `tracing_subscriber` formatter (the core
//! does not depend on it) and write every field with [`write_field`].

use std::fmt;

use crate::domain::escape_controls;

/// Write one field of a log line as `tracing_subscriber`'s default does (`name=value`, the
/// message bare), with control characters escaped.
pub fn write_field(w: &mut dyn fmt::Write, name: &str, value: &dyn fmt::Debug) -> fmt::Result {
    let text = format!("{value:?}");
    let text = escape_controls(&text);
    if name == "message" {
        write!(w, "{text}")
    } else {
        write!(w, "{name}={text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_messages_are_written_with_control_characters_escaped() {
        let planted = "api\u{1b}[2J\nFAKE LINE";
        let mut line = String::new();
        write_field(&mut line, "message", &format_args!("skipped {planted}")).unwrap();
        line.push(' ');
        write_field(&mut line, "reason", &format_args!("{planted}")).unwrap();
        assert_eq!(
            line,
            "skipped api\\u{1b}[2J\\u{a}FAKE LINE reason=api\\u{1b}[2J\\u{a}FAKE LINE"
        );
    }
}
