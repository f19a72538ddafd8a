//! One person is one identity: no two `[[approvers]]` / `[[signers]]` entries whose ids differ
//! only in letter case, and no public key (a `key` or any of `previous_keys`) listed for two
//! entries. Otherwise one person holding one key would count as two approvers.
//!
//! The check reads the file a second time for the places of the ids and keys, so that the
//! error names both entries with their lines.

use serde::Deserialize;
use ssh_key::PublicKey;
use toml::Spanned;

/// The places of the identities of a tollgate.toml (every other key is ignored here: the
/// full parse already refused unknown ones).
#[derive(Deserialize)]
struct Places {
    #[serde(default)]
    approvers: Vec<IdentityPlace>,
    #[serde(default)]
    signers: Vec<IdentityPlace>,
}

#[derive(Deserialize)]
struct IdentityPlace {
    id: Spanned<String>,
    key: Spanned<String>,
    #[serde(default)]
    previous_keys: Vec<PreviousPlace>,
}

#[derive(Deserialize)]
struct PreviousPlace {
    key: Spanned<String>,
}

/// One listed key, with the entry it belongs to.
struct Listed<'a> {
    /// `approver 'x'` or `signer 'x'`.
    entry: String,
    /// `key` or `previous_keys #N`.
    which: String,
    line: usize,
    text: &'a str,
}

/// Why two entries of `text` (a parsed, otherwise valid tollgate.toml) are one person, as one
/// sentence naming both entries and their lines; `None` when every identity is its own.
pub(super) fn same_person(text: &str) -> Option<String> {
    let places: Places = toml::from_str(text).ok()?;
    let line = |start: usize| text[..start.min(text.len())].matches('\n').count() + 1;
    let entries: Vec<(String, &IdentityPlace)> = (places.approvers.iter())
        .map(|a| (format!("approver '{}'", a.id.get_ref()), a))
        .chain((places.signers.iter()).map(|s| (format!("signer '{}'", s.id.get_ref()), s)))
        .collect();

    for (i, (first, a)) in entries.iter().enumerate() {
        for (second, b) in &entries[i + 1..] {
            let (x, y) = (a.id.get_ref(), b.id.get_ref());
            if x != y && x.eq_ignore_ascii_case(y) {
                return Some(format!(
                    "{first} (line {}) and {second} (line {}) differ only in letter case, so one person would count twice; keep one entry per person, with one spelling of the id",
                    line(a.id.span().start),
                    line(b.id.span().start)
                ));
            }
        }
    }

    let mut keys: Vec<Listed> = Vec::new();
    for (entry, place) in &entries {
        keys.push(Listed {
            entry: entry.clone(),
            which: "key".into(),
            line: line(place.key.span().start),
            text: place.key.get_ref(),
        });
        for (n, p) in place.previous_keys.iter().enumerate() {
            keys.push(Listed {
                entry: entry.clone(),
                which: format!("previous_keys #{}", n + 1),
                line: line(p.key.span().start),
                text: p.key.get_ref(),
            });
        }
    }
    for (i, a) in keys.iter().enumerate() {
        for b in &keys[i + 1..] {
            if a.entry != b.entry && same_key(a.text, b.text) {
                return Some(format!(
                    "{} (line {}, {}) and {} (line {}, {}) list the same public key, so one key would count as two people; give each person their own key and remove it from the other entry",
                    a.entry, a.line, a.which, b.entry, b.line, b.which
                ));
            }
        }
    }
    None
}

/// The same public key, whatever the comments say (keys that do not parse are compared by
/// their type and base64 text; their own check names them).
fn same_key(a: &str, b: &str) -> bool {
    match (
        PublicKey::from_openssh(a.trim()),
        PublicKey::from_openssh(b.trim()),
    ) {
        (Ok(x), Ok(y)) => x.key_data() == y.key_data(),
        _ => {
            let (x, y) = (head(a), head(b));
            x.len() == 2 && x == y
        }
    }
}

/// The type and base64 text of an OpenSSH key line, without its comment.
fn head(text: &str) -> Vec<&str> {
    text.split_whitespace().take(2).collect()
}

/// A valid Ed25519 public key line, different for each `n` (for tests that list several
/// identities, which may not share a key).
#[cfg(test)]
pub(crate) fn test_key(n: u8, comment: &str) -> String {
    use base64::Engine as _;
    let mut blob = Vec::new();
    for part in [&b"ssh-ed25519"[..], &[n; 32][..]] {
        blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
        blob.extend_from_slice(part);
    }
    format!(
        "ssh-ed25519 {} {comment}",
        base64::engine::general_purpose::STANDARD.encode(blob)
    )
}
