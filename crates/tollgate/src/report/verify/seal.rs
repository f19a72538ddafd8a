//! The seal of a report (format version 2, [`crate::report::seal`]): the sealed text must be
//! exactly what the report's version, workspace, generation time, range, database head,
//! filters, summary, conflicts and policies give, and its SSHSIG (namespace `tollgate-report`) must verify
//! against the signer's key: the seal's own `allowed_signers` line (`verify FILE`: a report
//! forged whole passes that too), or the key the workspace lists for the signer
//! (`verify FILE --config`). A report without a seal (version 1, or exported where no listed
//! key could sign) is a problem unless `--allow-unsealed`, which lists what is then unproven.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::report::seal::{sealed_value, Seal, Sealed, SEAL_NAMESPACE};
use crate::signing::{self, TrustedKeys};

/// The keys a seal is checked against.
#[derive(Debug, Clone, Copy)]
pub enum SealKeys<'a> {
    /// The seal's own `allowed_signers` line.
    Report,
    /// The identities (approvers and `[[signers]]`) a workspace lists; `from` names its file.
    Workspace {
        identities: &'a TrustedKeys,
        from: &'a str,
    },
}

/// What the seal check found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SealOutcome {
    /// The identity whose seal verified.
    pub sealed_by: Option<String>,
    /// One line each (report-wide).
    pub problems: Vec<String>,
    /// What an unsealed report accepted with `--allow-unsealed` leaves unproven (one line).
    pub unproven: Vec<String>,
}

/// What an unsealed report leaves unproven.
pub const UNPROVEN: &str = "nothing proves that its summary, filters, range, database head and policies are what the exporting machine wrote: they could have been edited (the event hashes and signatures were still checked)";

/// Check the seal of a report whose top-level object is `top`.
pub fn check(top: &Map<String, Value>, keys: SealKeys<'_>, allow_unsealed: bool) -> SealOutcome {
    let mut out = SealOutcome::default();
    let version = top.get("version").and_then(Value::as_u64).unwrap_or(0);
    let seal = top.get("seal").filter(|s| !s.is_null());
    let Some(seal) = seal else {
        let why = if version < 2 {
            "a version 1 report has no seal".to_string()
        } else {
            match top.get("unsealed").and_then(Value::as_str) {
                Some(w) => format!("it was exported unsealed: {w}"),
                None => "it has no seal".to_string(),
            }
        };
        if allow_unsealed {
            out.unproven
                .push(format!("the report is not sealed ({why}): {UNPROVEN}"));
        } else {
            out.problems.push(format!(
                "the report is not sealed ({why}): pass --allow-unsealed to check it anyway, its summary, filters, range, database head and policies then unproven, or export it again where a listed identity's key can sign"
            ));
        }
        return out;
    };
    let seal: Seal = match serde_json::from_value(seal.clone()) {
        Ok(s) => s,
        Err(e) => {
            out.problems
                .push(format!("the seal is unreadable ({e}): it needs signer, fingerprint, allowed_signers, message and signature"));
            return out;
        }
    };
    let null = Value::Null;
    let field = |k: &str| top.get(k).unwrap_or(&null);
    let expected = sealed_value(
        &Sealed {
            version: field("version"),
            workspace: field("workspace"),
            generated_at: field("generated_at"),
            range: field("range"),
            database: field("database"),
            filters: field("filters"),
            summary: field("summary"),
            conflicts: field("conflicts"),
            policies: field("policies"),
        },
        &seal.signer,
    );
    match serde_json::from_str::<Value>(&seal.message) {
        Ok(signed) if signed == expected => {
            if crate::domain::canonical_json(&signed) != seal.message {
                out.problems.push(
                    "the sealed message is not canonical JSON (sorted keys, no white space)".into(),
                );
            }
        }
        Ok(signed) => {
            let edited: Vec<&str> = expected
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter(|(k, v)| signed.get(k.as_str()) != Some(*v))
                        .map(|(k, _)| k.as_str())
                        .collect()
                })
                .unwrap_or_default();
            out.problems.push(format!(
                "the seal does not cover the report as it is: {} differ from what {} sealed, so the report was edited after it was exported",
                edited.join(", "),
                seal.signer
            ));
            return out;
        }
        Err(_) => {
            out.problems.push("the sealed message is not JSON".into());
            return out;
        }
    }
    let generated_at = top
        .get("generated_at")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default();
    let key = match keys {
        SealKeys::Report => {
            let (own, _) = signing::parse_allowed_signers(&seal.allowed_signers.replace(
                &format!("namespaces=\"{SEAL_NAMESPACE}\""),
                &format!("namespaces=\"{}\"", signing::NAMESPACE),
            ));
            own.key_for(&seal.signer, generated_at, &seal.signature)
        }
        SealKeys::Workspace { identities, from } => match identities.of(&seal.signer) {
            None => Err(format!(
                "{} is not an approver or signer in {from}",
                seal.signer
            )),
            Some(_) => identities.key_for(&seal.signer, generated_at, &seal.signature),
        },
    };
    let key = match key {
        Ok(k) => k,
        Err(why) => {
            out.problems.push(format!(
                "the seal by {} cannot be checked: {why}",
                seal.signer
            ));
            return out;
        }
    };
    match signing::verify_in(
        SEAL_NAMESPACE,
        seal.message.as_bytes(),
        &seal.signature,
        &key,
    ) {
        Ok(v) if v.fingerprint == seal.fingerprint => out.sealed_by = Some(seal.signer),
        Ok(v) => out.problems.push(format!(
            "the seal's recorded fingerprint {} is not the key that signed ({})",
            seal.fingerprint, v.fingerprint
        )),
        Err(e) => out.problems.push(format!(
            "the seal by {} does not verify: {}",
            seal.signer, e.message
        )),
    }
    out
}

impl super::Checker<'_> {
    /// The seal, against the keys of [`super::ReportKeys`] ([`check`]). Returns who sealed the
    /// report, when the seal verified.
    pub(super) fn check_seal(&mut self) -> Option<String> {
        use super::ReportKeys;
        let keys = match &self.keys {
            ReportKeys::Report => SealKeys::Report,
            ReportKeys::Workspace {
                identities, from, ..
            } => SealKeys::Workspace { identities, from },
        };
        let outcome = check(self.top, keys, self.allow_unsealed);
        for p in outcome.problems {
            self.problem(None, p);
        }
        self.unproven.extend(outcome.unproven);
        outcome.sealed_by
    }
}
