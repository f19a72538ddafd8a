//! The `allowed_signers` text (ssh-keygen's format, what `ssh-keygen -Y verify -f` reads):
//! written from the approvers of `tollgate.toml` into every export, and read back from a report
//! by `tollgate verify FILE`. Times in its options are `YYYYMMDD[HHMM[SS]]Z`, UTC.

use chrono::{DateTime, Utc};

use super::public_key::allowed_signers_line_in;
use super::trust::{approver_keys, TrustedKey, TrustedKeys};
use super::NAMESPACE;
use crate::config::{validate_approver, ApproverConfig};

/// The `allowed_signers` file for these approvers, one line each, as
/// `ssh-keygen -Y verify -f allowed_signers` reads it. An approver whose id or key is not valid
/// becomes a `#` comment line (ssh-keygen skips it) so nothing is dropped silently;
/// `tollgate.toml` validation reports those approvers.
/// A previous key (`previous_keys`) becomes a line with `valid-before="<until>"`, so that
/// `ssh-keygen -Y verify -Overify-time=<signed at>` accepts it only for what it signed in time.
pub fn allowed_signers(approvers: &[ApproverConfig]) -> String {
    allowed_signers_in(NAMESPACE, approvers)
}

/// [`allowed_signers`] for another SSHSIG namespace: with `git`, the file
/// `git -c gpg.ssh.allowedSignersFile=FILE verify-commit` checks promotion commits with.
pub fn allowed_signers_in(namespace: &str, approvers: &[ApproverConfig]) -> String {
    let mut out = String::new();
    for a in approvers {
        let line = validate_approver(a).and_then(|()| {
            let mut lines = Vec::new();
            for k in approver_keys(a) {
                let line = allowed_signers_line_in(namespace, &a.id, &k.key)?;
                lines.push(match k.valid_before {
                    None => line,
                    Some(until) => line.replacen(
                        &format!("namespaces=\"{namespace}\""),
                        &format!(
                            "namespaces=\"{namespace}\",valid-before=\"{}\"",
                            ssh_time(until)
                        ),
                        1,
                    ),
                });
            }
            Ok(lines.join("\n"))
        });
        match line {
            Ok(line) => out.push_str(&line),
            Err(_) => {
                out.push_str("# skipped an approver whose id or key in tollgate.toml is not valid")
            }
        }
        out.push('\n');
    }
    out
}

/// `20261101000000Z`: a time as `allowed_signers` options and `-Overify-time` write it.
pub fn ssh_time(t: DateTime<Utc>) -> String {
    t.format("%Y%m%d%H%M%SZ").to_string()
}

/// `allowed_signers` (ssh-keygen's format) → each principal's keys, for the lines whose
/// namespaces (if restricted) include [`NAMESPACE`], with `valid-before="YYYYMMDD[HHMM[SS]]Z"`
/// when a line has it; and the numbers of unreadable lines (a `valid-after` or a time without
/// `Z` counts as unreadable: Tollgate never writes them and will not guess a time zone).
pub fn parse_allowed_signers(text: &str) -> (TrustedKeys, Vec<usize>) {
    parse_allowed_signers_in(NAMESPACE, text)
}

/// [`parse_allowed_signers`] for the lines whose namespaces include `namespace` (`git`: the
/// keys of promotion commits).
pub fn parse_allowed_signers_in(namespace: &str, text: &str) -> (TrustedKeys, Vec<usize>) {
    let mut keys = TrustedKeys::default();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let Some(key_at) = tokens
            .iter()
            .position(|t| t.starts_with("ssh-") || t.starts_with("ecdsa-") || t.starts_with("sk-"))
        else {
            bad.push(i + 1);
            continue;
        };
        if key_at == 0 || key_at + 1 >= tokens.len() {
            bad.push(i + 1);
            continue;
        }
        let options = tokens[1..key_at].join(" ");
        let option = |name: &str| {
            options
                .split(',')
                .find_map(|o| o.trim().strip_prefix(name))
                .map(|v| v.trim_matches('"'))
        };
        let namespace_ok = match option("namespaces=") {
            None => true,
            Some(list) => list.split(',').any(|n| n == namespace),
        };
        if !namespace_ok || options.contains("cert-authority") {
            continue;
        }
        let valid_before = match option("valid-before=") {
            None => None,
            Some(t) => match parse_ssh_time(t) {
                Some(t) => Some(t),
                None => {
                    bad.push(i + 1);
                    continue;
                }
            },
        };
        let key = format!("{} {}", tokens[key_at], tokens[key_at + 1]);
        let Ok(key) = ssh_key::PublicKey::from_openssh(&key) else {
            bad.push(i + 1);
            continue;
        };
        if option("valid-after=").is_some() {
            bad.push(i + 1);
            continue;
        }
        for principal in tokens[0].split(',') {
            keys.add(
                principal,
                TrustedKey {
                    key: key.clone(),
                    valid_before,
                },
            );
        }
    }
    (keys, bad)
}

/// `YYYYMMDDZ`, `YYYYMMDDHHMMZ` or `YYYYMMDDHHMMSSZ` (UTC), as `allowed_signers` options write
/// times; a date alone means its first second, as ssh-keygen reads it.
pub fn parse_ssh_time(text: &str) -> Option<DateTime<Utc>> {
    let digits = text.strip_suffix('Z')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded = match digits.len() {
        8 => format!("{digits}000000"),
        12 => format!("{digits}00"),
        14 => digits.to_string(),
        _ => return None,
    };
    chrono::NaiveDateTime::parse_from_str(&padded, "%Y%m%d%H%M%S")
        .ok()
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PreviousKeyConfig;

    fn key() -> String {
        ssh_key::PrivateKey::random(&mut rand_core::OsRng, ssh_key::Algorithm::Ed25519)
            .unwrap()
            .public_key()
            .to_openssh()
            .unwrap()
    }

    #[test]
    fn allowed_signers_lines() {
        let (a, a_old, b, c) = (key(), key(), key(), key());
        let text = format!(
            "# comment\nalice@example.com namespaces=\"tollgate-approval\" {a}\n\
             bob@example.com,b2 {b} comment\n\
             carol namespaces=\"git\" {c}\n\
             broken line\n\
             alice@example.com namespaces=\"tollgate-approval\",valid-before=\"20261101120000Z\" {a_old}\n\
             dave valid-before=\"20261101\" {c}\n\
             erin valid-after=\"20261101Z\" {c}\n\
             frank ssh-ed25519 AAAAnot-a-key\n"
        );
        let (keys, bad) = parse_allowed_signers(&text);
        let alice = keys.of("alice@example.com").unwrap();
        assert_eq!(alice.len(), 2);
        assert_eq!(alice[0].openssh(), a);
        assert_eq!(alice[0].valid_before, None);
        assert_eq!(alice[1].openssh(), a_old);
        assert_eq!(
            alice[1].valid_before,
            Some("2026-11-01T12:00:00Z".parse().unwrap())
        );
        assert_eq!(keys.of("b2").unwrap()[0].openssh(), b);
        assert!(keys.of("carol").is_none());
        // No time zone, valid-after, and a key that does not parse: unreadable.
        assert_eq!(bad, vec![5, 7, 8, 9]);
    }

    #[test]
    fn ssh_times() {
        let t = |s: &str| parse_ssh_time(s).map(|t| t.to_rfc3339());
        assert_eq!(t("20261101Z").as_deref(), Some("2026-11-01T00:00:00+00:00"));
        assert_eq!(
            t("202611011230Z").as_deref(),
            Some("2026-11-01T12:30:00+00:00")
        );
        assert_eq!(
            t("20261101123059Z").as_deref(),
            Some("2026-11-01T12:30:59+00:00")
        );
        assert_eq!(t("20261101"), None);
        assert_eq!(t("20261301Z"), None);
    }

    fn approver(id: &str, key: &str, previous: &[(&str, &str)]) -> ApproverConfig {
        ApproverConfig {
            id: id.into(),
            roles: vec!["qa".into()],
            key: key.into(),
            previous_keys: previous
                .iter()
                .map(|(key, until)| PreviousKeyConfig {
                    key: (*key).into(),
                    until: (*until).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn allowed_signers_has_one_line_per_key() {
        let (a, b) = (key(), key());
        let text = allowed_signers(&[
            approver("alice@example.com", &a, &[]),
            approver("bob@example.com", &b, &[]),
            approver("mallory@example.com", "ssh-rsa AAAA", &[]),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[0],
            format!("alice@example.com namespaces=\"tollgate-approval\" {a}")
        );
        assert_eq!(
            lines[1],
            format!("bob@example.com namespaces=\"tollgate-approval\" {b}")
        );
        assert!(lines[2].starts_with('#'));
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn a_previous_key_is_listed_valid_before_its_end() {
        let (new, old) = (key(), key());
        let text = allowed_signers(&[approver(
            "alice@example.com",
            &new,
            &[(&old, "2026-11-01T13:30:00+01:00")],
        )]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[1],
            format!("alice@example.com namespaces=\"tollgate-approval\",valid-before=\"20261101123000Z\" {old}")
        );
    }

    /// What is written reads back as the same keys, valid until the same moments.
    #[test]
    fn written_text_reads_back_as_the_same_keys() {
        let (a, a_old, a_older, b) = (key(), key(), key(), key());
        let approvers = [
            approver(
                "alice@example.com",
                &a,
                &[
                    (&a_old, "2026-11-01T12:00:00.900+01:00"),
                    (&a_older, "2026-10-01T00:00:00Z"),
                ],
            ),
            approver("bob@example.com", &b, &[]),
        ];
        let text = allowed_signers(&approvers);
        let (read, bad) = parse_allowed_signers(&text);
        assert!(bad.is_empty(), "{bad:?}");
        let listed = TrustedKeys::from_approvers(&approvers);
        let describe = |k: &TrustedKeys| {
            k.all()
                .into_iter()
                .map(|(id, k)| (id.to_string(), k.openssh(), k.valid_before))
                .collect::<Vec<_>>()
        };
        assert_eq!(describe(&read), describe(&listed));
        assert_eq!(describe(&read).len(), 4);
        assert_eq!(
            ssh_time(parse_ssh_time("20261101110000Z").unwrap()),
            "20261101110000Z"
        );
    }
}
