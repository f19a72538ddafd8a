//! Which key may have signed an approval, and when: an approver's current `key`, and the
//! `previous_keys` of a key rotation, each valid for approvals the history appended at or before
//! its `until`. "When" is where the approval sits in the chain (its event's `at`, the append
//! time, in whole seconds), never the `at` inside the signed message, which the signer chose: a
//! leaked old key cannot backdate an approval. The same rule as an `allowed_signers` line with
//! `valid-before="…"` checked by `ssh-keygen -Y verify -Overify-time=<appended at>`.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use ssh_key::{HashAlg, PublicKey};

use crate::config::{parse_key_text, parse_until, ApproverConfig};

/// One key an approver may sign with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    pub key: PublicKey,
    /// The last moment (whole seconds, inclusive) an approval signed with it may have been
    /// appended to the history; `None` for the current key.
    pub valid_before: Option<DateTime<Utc>>,
}

impl TrustedKey {
    /// `SHA256:…`.
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }

    /// `ssh-ed25519 AAAA…` without a comment.
    pub fn openssh(&self) -> String {
        PublicKey::new(self.key.key_data().clone(), "")
            .to_openssh()
            .unwrap_or_default()
    }

    /// Whether an approval appended at `at` may count with this key: `at`, cut to whole
    /// seconds (what `-Overify-time` states), is not after `valid_before`.
    fn valid_at(&self, at: Option<DateTime<Utc>>) -> bool {
        match (self.valid_before, at) {
            (None, _) => true,
            (Some(until), Some(at)) => whole_seconds(at) <= until,
            (Some(_), None) => false,
        }
    }
}

/// The keys of one approver from `tollgate.toml`: the current one first, then the previous
/// ones. Keys or times that do not parse are left out (config validation reports them).
pub fn approver_keys(approver: &ApproverConfig) -> Vec<TrustedKey> {
    let mut keys: Vec<TrustedKey> = parse_key_text(&approver.id, &approver.key)
        .ok()
        .map(|key| TrustedKey {
            key,
            valid_before: None,
        })
        .into_iter()
        .collect();
    for previous in &approver.previous_keys {
        if let (Ok(key), Some(until)) = (
            parse_key_text(&approver.id, &previous.key),
            parse_until(&previous.until),
        ) {
            keys.push(TrustedKey {
                key,
                valid_before: Some(until),
            });
        }
    }
    keys
}

/// `t` without its fraction of a second.
pub fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// Among `keys`, the one that made a signature (`signer`) and was valid when the history
/// appended the approval (`at`); otherwise why not, naming `approver` (one line, without the
/// word "error").
pub fn pick<'k>(
    keys: &'k [TrustedKey],
    approver: &str,
    signer: &PublicKey,
    at: Option<DateTime<Utc>>,
) -> Result<&'k TrustedKey, String> {
    let fp = signer.fingerprint(HashAlg::Sha256);
    let Some(key) = keys.iter().find(|k| k.key.key_data() == signer.key_data()) else {
        return Err(format!(
            "key {fp} is not the key listed for {approver} in tollgate.toml"
        ));
    };
    if key.valid_at(at) {
        return Ok(key);
    }
    let until = key
        .valid_before
        .map(|u| u.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default();
    Err(match at {
        Some(at) => format!(
            "key {fp} of {approver} is retired: it verifies approvals appended to the history until {until}, and this one was appended at {}",
            whole_seconds(at).to_rfc3339_opts(SecondsFormat::Secs, true)
        ),
        None => format!(
            "key {fp} of {approver} is retired (until {until}) and it is not known when the approval was appended"
        ),
    })
}

/// Every approver's keys, by approver id: from `tollgate.toml`, or from the `allowed_signers`
/// text of an exported report.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    by_id: HashMap<String, Vec<TrustedKey>>,
}

impl TrustedKeys {
    pub fn from_approvers(approvers: &[ApproverConfig]) -> Self {
        let mut keys = TrustedKeys::default();
        for a in approvers {
            keys.by_id.insert(a.id.clone(), approver_keys(a));
        }
        keys
    }

    pub fn add(&mut self, id: &str, key: TrustedKey) {
        let keys = self.by_id.entry(id.to_string()).or_default();
        if !keys.contains(&key) {
            keys.push(key);
        }
    }

    /// The approver's keys; `None` when the approver has none.
    pub fn of(&self, approver: &str) -> Option<&[TrustedKey]> {
        self.by_id
            .get(approver)
            .map(Vec::as_slice)
            .filter(|k| !k.is_empty())
    }

    /// Every (approver, key), sorted by approver, current key first.
    pub fn all(&self) -> Vec<(&str, &TrustedKey)> {
        let mut out: Vec<(&str, &TrustedKey)> = self
            .by_id
            .iter()
            .flat_map(|(id, keys)| keys.iter().map(move |k| (id.as_str(), k)))
            .collect();
        out.sort_by_key(|(id, k)| {
            (
                *id,
                k.valid_before.is_some(),
                std::cmp::Reverse(k.valid_before),
            )
        });
        out
    }

    /// The key (OpenSSH form) to check an armored approval signature of `approver` with: the
    /// approver's key that made it, valid when the history appended the approval
    /// (`appended_at`, its event's `at`). `Err` says why there is none.
    pub fn key_for(
        &self,
        approver: &str,
        appended_at: DateTime<Utc>,
        armored: &str,
    ) -> Result<String, String> {
        let Some(keys) = self.of(approver) else {
            return Err(format!("{approver} has no key listed"));
        };
        let signer = super::signer_key(armored)
            .ok()
            .and_then(|k| PublicKey::from_openssh(&k).ok());
        match signer {
            Some(signer) => pick(keys, approver, &signer, Some(appended_at)).map(|k| k.openssh()),
            // An unreadable signature: check it against the current key, which names the damage.
            None => Ok(keys[0].openssh()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PreviousKeyConfig;
    use crate::signing::ssh_time;
    use rand_core::OsRng;
    use ssh_key::{Algorithm, PrivateKey};

    fn key() -> PublicKey {
        PrivateKey::random(&mut OsRng, Algorithm::Ed25519)
            .unwrap()
            .public_key()
            .clone()
    }

    fn t(s: &str) -> Option<DateTime<Utc>> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn a_previous_key_verifies_what_was_signed_until_its_end_and_nothing_later() {
        let (old, new, other) = (key(), key(), key());
        let approver = ApproverConfig {
            id: "alice".into(),
            roles: vec![],
            key: new.to_openssh().unwrap(),
            previous_keys: vec![PreviousKeyConfig {
                key: old.to_openssh().unwrap(),
                until: "2026-11-01T12:00:00.900+01:00".into(),
            }],
        };
        let keys = approver_keys(&approver);
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1].valid_before, t("2026-11-01T11:00:00Z"));
        assert!(pick(&keys, "alice", &old, t("2026-11-01T11:00:00Z")).is_ok());
        let late = pick(&keys, "alice", &old, t("2026-11-01T11:00:01Z")).unwrap_err();
        assert!(
            late.contains("is retired") && late.contains("until 2026-11-01T11:00:00Z"),
            "{late}"
        );
        assert!(pick(&keys, "alice", &old, None).is_err());
        assert!(pick(&keys, "alice", &new, t("2020-01-01T00:00:00Z")).is_ok());
        assert!(pick(&keys, "alice", &new, None).is_ok());
        let unknown = pick(&keys, "alice", &other, t("2026-01-01T00:00:00Z")).unwrap_err();
        assert!(
            unknown.contains("is not the key listed for alice"),
            "{unknown}"
        );
    }

    #[test]
    fn allowed_signers_times() {
        assert_eq!(
            ssh_time(parse_until("2026-11-01T12:00:00.9+01:00").unwrap()),
            "20261101110000Z"
        );
        assert_eq!(parse_until("yesterday"), None);
    }
}
