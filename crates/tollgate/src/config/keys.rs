//! The ids and public keys of `[[approvers]]` and `[[signers]]` as tollgate.toml writes them:
//! an id that can be an `allowed_signers` principal, an OpenSSH Ed25519 public key (never a
//! private one pasted by mistake), a previous key's `until`. Checked when the file is loaded;
//! `signing` verifies signatures with the keys parsed here.

use chrono::{DateTime, Utc};
use ssh_key::{Algorithm, PublicKey};

use super::ApproverConfig;
use crate::{Error, Result};

/// Check an approver id can be a principal of an `allowed_signers` line: not empty, no white
/// space or control characters, none of `, " * ? !` (list separators and patterns to
/// ssh-keygen), and not starting with `#`.
pub fn validate_approver_id(id: &str) -> Result<()> {
    let bad = |why: &str| {
        Error::bad_input(format!(
            "approver id {id:?} {why}; use an e-mail address such as alice@example.com"
        ))
    };
    if id.is_empty() {
        return Err(bad("is empty"));
    }
    if id.starts_with('#') {
        return Err(bad("starts with '#'"));
    }
    if let Some(c) = id
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || ",\"*?!".contains(*c))
    {
        return Err(bad(&format!("contains {c:?}")));
    }
    Ok(())
}

/// Parse the `key` of an approver in `tollgate.toml`: an OpenSSH Ed25519 public key
/// (`ssh-ed25519 AAAA… comment`). Anything else is a [`Code::Config`](crate::Code::Config) error that names the
/// approver and never repeats the text (it could be a private key pasted by mistake).
pub fn parse_approver_key(approver: &ApproverConfig) -> Result<PublicKey> {
    parse_key_text(&approver.id, &approver.key)
}

/// [`parse_approver_key`] for any key text of approver `id` (its `key` or a previous one).
pub fn parse_key_text(id: &str, text: &str) -> Result<PublicKey> {
    let text = text.trim();
    let bad = |why: String| {
        Error::config(format!(
            "approver '{id}': key {why}; write {id}'s public key line, e.g. key = \"ssh-ed25519 AAAAC3… {id}\""
        ))
        .with_hint(crate::Hint::HandOverKey { id: id.to_string() })
    };
    if text.contains("PRIVATE KEY") {
        return Err(Error::config(format!(
            "approver '{id}': key holds a PRIVATE key; remove it from tollgate.toml now, treat that key as leaked, and put {id}'s public key there instead"
        ))
        .with_hint(crate::Hint::HandOverKey { id: id.to_string() }));
    }
    let algorithm = text.split_whitespace().next().unwrap_or("");
    if algorithm != Algorithm::Ed25519.as_str() {
        let shown = match Algorithm::new(algorithm) {
            Ok(a) if !matches!(a, Algorithm::Other(_)) => {
                format!("is a {a} key, and Tollgate accepts only ssh-ed25519 keys")
            }
            _ if text.is_empty() => "is empty".to_string(),
            _ => "is not an OpenSSH public key".to_string(),
        };
        return Err(bad(shown));
    }
    let key = PublicKey::from_openssh(text)
        .map_err(|_| bad("is not a valid ssh-ed25519 public key (damaged or cut short?)".into()))?;
    if key.algorithm() != Algorithm::Ed25519 {
        return Err(bad("is not an Ed25519 key".into()));
    }
    Ok(key)
}

/// Check one `[[approvers]]` entry: a usable id and an Ed25519 public key. Errors are
/// [`Code::Config`](crate::Code::Config); config validation calls this for every approver.
pub fn validate_approver(approver: &ApproverConfig) -> Result<()> {
    validate_approver_id(&approver.id)
        .map_err(|e| Error::config(format!("[[approvers]]: {}", e.message)))?;
    let current = parse_approver_key(approver)?;
    let id = &approver.id;
    for (i, previous) in approver.previous_keys.iter().enumerate() {
        let n = i + 1;
        let key = parse_key_text(id, &previous.key).map_err(|e| {
            Error::config(
                e.message
                    .replacen(": key ", &format!(": previous_keys #{n}: key "), 1),
            )
            .with_hint_opt(e.hint)
        })?;
        if key.key_data() == current.key_data() {
            return Err(Error::config(format!(
                "approver '{id}': previous_keys #{n} is the current key; list only keys it no longer signs with"
            )));
        }
        if parse_until(&previous.until).is_none() {
            return Err(Error::config(format!(
                "approver '{id}': previous_keys #{n}: until {:?} is not an RFC 3339 time; write the moment the key was retired, e.g. until = \"2026-11-01T00:00:00Z\"",
                previous.until
            )));
        }
    }
    Ok(())
}

/// `until` as RFC 3339, cut to whole seconds (what `allowed_signers` can state).
pub fn parse_until(text: &str) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(text.trim()).ok()?;
    DateTime::from_timestamp(t.timestamp(), 0)
}
