//! What reaches a person is what was meant: strings that come from outside (the registry,
//! teammates' signed messages, an edited database) are shown with their control characters
//! escaped, so that an ANSI sequence, a carriage return or a bidirectional override is visible
//! as text (`\u{1b}[2J`) instead of acting on the terminal, the log or the page.

use std::borrow::Cow;

/// `s` with every control character (C0, DEL, C1) and every bidirectional formatting
/// character written as `\u{hex}`; borrowed as it is when it holds none.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    escape_where(s, |_| true)
}

/// [`escape_controls`] except line breaks (`\n`): for text made of several lines on purpose,
/// whose own fields were escaped before (a whole line would otherwise hide a forged one).
pub fn escape_controls_keep_lines(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c != '\n')
}

/// Whether `c` is a control or bidirectional formatting character (what [`escape_controls`]
/// escapes).
pub fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

fn escape_where(s: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_control(c) && escape(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_control(c) && escape(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_written_out_and_plain_text_is_kept() {
        assert!(matches!(
            escape_controls("api production ✓"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            escape_controls("ok\u{1b}[2J\r\nfake\u{7}\u{9b}\u{202e}x\t"),
            "ok\\u{1b}[2J\\u{d}\\u{a}fake\\u{7}\\u{9b}\\u{202e}x\\u{9}"
        );
        assert_eq!(
            escape_controls_keep_lines("a\u{1b}\nb\r"),
            "a\\u{1b}\nb\\u{d}"
        );
        assert!(is_control('\u{2067}') && !is_control('é') && !is_control(' '));
    }
}
