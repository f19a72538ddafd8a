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

/// `text` with the credentials of every url in it removed: an http(s) url loses its whole
/// user part (`https://TOKEN@host`, `https://user:password@host` become `https://host`); any
/// other url keeps its user name but loses a password (`ssh://git:pw@host` becomes
/// `ssh://git@host`).
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let scheme: String = before[..at]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            .collect::<String>()
            .chars()
            .rev()
            .collect::<String>()
            .to_ascii_lowercase();
        let end = after
            .find(|c: char| c == '/' || c.is_whitespace() || matches!(c, '\'' | '"' | '>'))
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(user_end) => {
                let user = &authority[..user_end];
                let host = &authority[user_end + 1..];
                let web = matches!(scheme.as_str(), "http" | "https" | "ftp" | "ftps");
                if !web {
                    out.push_str(user.split(':').next().unwrap_or(""));
                    out.push('@');
                }
                out.push_str(host);
            }
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_removes_credentials_and_keeps_the_rest() {
        assert_eq!(
            redact("fatal: unable to access 'https://user:s3cret@git.example.com/acme/deploy.git/': 403"),
            "fatal: unable to access 'https://git.example.com/acme/deploy.git/': 403"
        );
        assert_eq!(
            redact("https://ghp_TOKEN@github.com/a/b.git"),
            "https://github.com/a/b.git"
        );
        assert_eq!(
            redact("ssh://git:pw@git.example.com:2222/a.git and ssh://git@h/x"),
            "ssh://git@git.example.com:2222/a.git and ssh://git@h/x"
        );
        assert_eq!(redact("file:///srv/deploy.git"), "file:///srv/deploy.git");
        assert_eq!(redact("git@github.com:a/b.git"), "git@github.com:a/b.git");
        assert_eq!(redact("HTTPS://u:p@h"), "HTTPS://h");
        assert_eq!(
            redact("x https://a:b@h y https://c:d@i z"),
            "x https://h y https://i z"
        );
    }

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
