//! The evidence a promotion or rollback relied on existed when it was made: each entry of its
//! `data.evaluation.evidence` names a `check` event appended before it, for the same app and
//! digest, by the same signer, of the same check and result, whose signed message hashes to the
//! entry's `sha256` (and whose report hashes to `report_sha256`), by an identity the stated
//! policy of its environment allowed to attest that check (its `checks[].attesters`, when the
//! policies say). A promotion cannot cite an attestation made later, one that says something
//! else, or one by someone `[[checks]]` did not name. `tollgate verify` checks the database with
//! it (under tollgate.toml's policies), and `verify FILE` a report (under the sealed ones it
//! states).

use std::collections::HashMap;

use serde_json::Value;

use crate::config::CheckConfig;
use crate::domain::{Digest, Event, EventKind};

/// What a `check` event attested, as far as evidence refers to it.
#[derive(Debug, Clone)]
struct Seen {
    app: String,
    digest: Option<Digest>,
    by: Option<String>,
    check: String,
    result: String,
    sha256: String,
    report_sha256: Option<String>,
}

/// The attestations seen so far: feed every event in `seq` order.
#[derive(Debug, Default)]
pub struct EvidenceLedger {
    checks: HashMap<i64, Seen>,
    /// `{app: {env: policy or null}}` as a report states them (`api::export::policies`).
    policies: Option<Value>,
}

impl EvidenceLedger {
    /// A ledger that also holds each cited attester to the `attesters` the policies list for
    /// the check in the promotion's environment (a check they do not list is not judged).
    pub fn under(policies: Option<Value>) -> Self {
        EvidenceLedger {
            checks: HashMap::new(),
            policies,
        }
    }

    /// Who the stated policy of `app`/`env` lets attest `check`: `None` when it does not say.
    fn attesters(&self, app: &str, env: &str, check: &str) -> Option<(Vec<&str>, String)> {
        let stated = self
            .policies
            .as_ref()?
            .get(app)?
            .get(env)?
            .get("checks")?
            .as_array()?
            .iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(check))?;
        let list = |k: &str| -> Vec<&str> {
            stated
                .get(k)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default()
        };
        let owned = |k: &str| list(k).into_iter().map(str::to_string).collect();
        // Worded as tollgate.toml's entry words it (`CheckConfig::who`).
        let declared = CheckConfig {
            name: check.to_string(),
            roles: owned("roles"),
            signers: owned("signers"),
        };
        Some((list("attesters"), declared.who()))
    }

    /// Take in one event; for a promotion or rollback, what is wrong with the evidence it
    /// relied on (one line each). `absent(seq)` words an entry whose `check` event is not one
    /// seen before it (`None`: say nothing, e.g. a filtered report's stub).
    pub fn event(&mut self, e: &Event, absent: impl Fn(i64) -> Option<String>) -> Vec<String> {
        match e.kind {
            EventKind::Check => {
                let text = |k: &str| e.data_str(k).unwrap_or_default().to_string();
                self.checks.insert(
                    e.seq,
                    Seen {
                        app: e.app.clone(),
                        digest: e.digest.clone(),
                        by: e.actor.clone(),
                        check: text("check"),
                        result: text("result"),
                        sha256: e
                            .data_str("message")
                            .map(|m| Digest::of(m.as_bytes()).hex().to_string())
                            .unwrap_or_default(),
                        report_sha256: e
                            .data
                            .get("report")
                            .and_then(|r| r.get("sha256"))
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    },
                );
                Vec::new()
            }
            EventKind::Promotion | EventKind::Rollback => self.relied_on(e, absent),
            _ => Vec::new(),
        }
    }

    fn relied_on(&self, e: &Event, absent: impl Fn(i64) -> Option<String>) -> Vec<String> {
        let Some(entries) = e
            .data
            .get("evaluation")
            .and_then(|v| v.get("evidence"))
            .and_then(Value::as_array)
        else {
            return Vec::new();
        };
        let kind = e.kind.as_str();
        let mut problems = Vec::new();
        for entry in entries {
            let field = |k: &str| entry.get(k).and_then(Value::as_str).unwrap_or_default();
            let Some(seq) = entry.get("seq").and_then(Value::as_i64) else {
                problems.push(format!(
                    "the {kind} relied on evidence with no event number: {entry}"
                ));
                continue;
            };
            let Some(seen) = self.checks.get(&seq) else {
                problems.extend(absent(seq));
                continue;
            };
            let mut differs = Vec::new();
            if seen.app != e.app || seen.digest != e.digest {
                differs.push("it attests another app or digest".to_string());
            }
            if seen.by.as_deref().unwrap_or_default() != field("by") {
                differs.push(format!(
                    "it was signed by {}, not {}",
                    seen.by.as_deref().unwrap_or("nobody"),
                    field("by")
                ));
            }
            if seen.check != field("check") || seen.result != field("result") {
                differs.push(format!(
                    "it says {} {}, not {} {}",
                    seen.check,
                    seen.result,
                    field("check"),
                    field("result")
                ));
            }
            if seen.sha256 != field("sha256") {
                differs.push("its signed message hashes to something else".to_string());
            }
            if let Some((allowed, who)) = self.attesters(&e.app, &e.env, field("check")) {
                if !allowed.contains(&field("by")) {
                    differs.push(format!(
                        "{} may not attest {} under the stated policy of {} (who may: {})",
                        field("by"),
                        field("check"),
                        e.env,
                        if who.is_empty() { "nobody" } else { &who }
                    ));
                }
            }
            let cited_report = entry.get("report_sha256").and_then(Value::as_str);
            if cited_report.is_some() && cited_report != seen.report_sha256.as_deref() {
                differs.push("its report hashes to something else".to_string());
            }
            if !differs.is_empty() {
                problems.push(format!(
                    "the {kind} relied on attestation {seq} ({} {}), but {}",
                    field("check"),
                    field("result"),
                    differs.join("; ")
                ));
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64, kind: EventKind, data: Value) -> Event {
        Event {
            seq,
            at: chrono::DateTime::UNIX_EPOCH,
            kind,
            app: "api".into(),
            env: if kind == EventKind::Check {
                String::new()
            } else {
                "production".into()
            },
            digest: Some(Digest::of(b"image")),
            actor: Some("ci@example.com".into()),
            data,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    fn promotion(seq: i64, cited: i64, sha256: &str, result: &str) -> Event {
        event(
            seq,
            EventKind::Promotion,
            serde_json::json!({"evaluation": {"passed": true, "rules": [], "evidence": [{
                "seq": cited, "check": "load-test", "result": result, "by": "ci@example.com",
                "signed_at": "1970-01-01T00:00:00Z", "sha256": sha256, "report_sha256": null, "url": null
            }]}}),
        )
    }

    #[test]
    fn evidence_must_exist_before_and_say_what_the_promotion_cites() {
        let message = "{\"kind\":\"tollgate.check\"}";
        let sha = Digest::of(message.as_bytes()).hex().to_string();
        let check = event(
            2,
            EventKind::Check,
            serde_json::json!({"check": "load-test", "result": "pass", "message": message}),
        );
        let absent = |s: i64| Some(format!("attestation {s} is not before it"));

        // Cited before it was made: absent.
        let mut ledger = EvidenceLedger::default();
        let early = ledger.event(&promotion(1, 2, &sha, "pass"), absent);
        assert_eq!(early, ["attestation 2 is not before it"]);

        let mut ledger = EvidenceLedger::default();
        assert!(ledger.event(&check, absent).is_empty());
        assert!(ledger
            .event(&promotion(3, 2, &sha, "pass"), absent)
            .is_empty());
        let wrong = ledger.event(&promotion(4, 2, &"0".repeat(64), "fail"), absent);
        assert_eq!(wrong.len(), 1);
        assert!(
            wrong[0].contains("it says load-test pass, not load-test fail")
                && wrong[0].contains("hashes to something else"),
            "{wrong:?}"
        );
        // Under policies that let only qa@example.com attest load-test, ci's attestation
        // cannot carry the promotion; where the policies do not say, it is not judged.
        let policies = serde_json::json!({"api": {"production": {"approvals": 1, "checks": [
            {"name": "load-test", "roles": ["qa"], "signers": [], "attesters": ["qa@example.com"]}
        ]}}});
        let mut strict = EvidenceLedger::under(Some(policies));
        assert!(strict.event(&check, absent).is_empty());
        let not_allowed = strict.event(&promotion(3, 2, &sha, "pass"), absent);
        assert_eq!(not_allowed.len(), 1);
        assert!(
            not_allowed[0].contains(
                "ci@example.com may not attest load-test under the stated policy of production (who may: role qa)"
            ),
            "{not_allowed:?}"
        );
        let mut silent =
            EvidenceLedger::under(Some(serde_json::json!({"api": {"production": null}})));
        assert!(silent.event(&check, absent).is_empty());
        assert!(silent
            .event(&promotion(3, 2, &sha, "pass"), absent)
            .is_empty());
        // A filtered report's stub says nothing.
        assert!(ledger
            .event(&promotion(5, 9, &sha, "pass"), |_| None)
            .is_empty());
    }
}
