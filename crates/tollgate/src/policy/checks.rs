//! The `checks` rule: every check a policy requires (`checks = ["load-test", ...]`) needs a
//! passing attestation of the digest by an identity the `[[checks]]` entry allows, and no
//! failing one by such an identity signed after it. Signing order is `at`, then the sha256 of
//! the signed message: the same on every desktop, whatever order the history learned them in.
//!
//! Pure: the use case reads and verifies the attestations ([`Attestation`]); this decides.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::{Rule, RuleResult};
use crate::config::{ApproverConfig, CheckConfig};
use crate::domain::Digest;
use crate::hint::Hint;
use crate::signing::{CheckResult, ReportRef};

/// One attestation as the views and the rule see it: what was signed, by whom, and whether its
/// signature verifies against a key tollgate.toml lists for the signer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Attestation {
    /// The `check` event's `seq`.
    #[ts(type = "number")]
    pub seq: i64,
    pub app: String,
    #[ts(type = "string")]
    pub digest: Digest,
    pub check: String,
    pub result: CheckResult,
    pub summary: String,
    pub url: Option<String>,
    /// The attached report's sha256, size and media type, as signed.
    pub report: Option<ReportRef>,
    /// Where the report lies in the registry: `<registry>/<repository>@sha256:…` of its
    /// artifact (with `blob`, the layer's digest); `null` when none or not pushed from here.
    pub report_artifact: Option<String>,
    /// The signer's id.
    pub by: String,
    /// When the history appended it.
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    /// When it was signed (the message's `at`): the order of attestations.
    #[ts(type = "string")]
    pub signed_at: DateTime<Utc>,
    /// sha256 (lower-case hex) of the signed message.
    pub sha256: String,
    /// `SHA256:…` of the key that signed.
    pub fingerprint: String,
    /// The signature verifies against a key listed for `by`.
    pub verified: bool,
    /// Why it does not verify; `null` when it does.
    pub problem: Option<String>,
}

impl Attestation {
    /// Signing order: `signed_at`, then the message's sha256.
    fn order_key(&self) -> (DateTime<Utc>, &str) {
        (self.signed_at, self.sha256.as_str())
    }

    fn when(&self) -> String {
        self.signed_at.to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// `by X at T (link)`.
    fn who_when(&self) -> String {
        let mut s = format!("{} at {}", self.by, self.when());
        if let Some(u) = &self.url {
            s.push_str(&format!(" ({u})"));
        }
        if let Some(r) = &self.report {
            s.push_str(&format!(", report sha256:{}", &r.sha256[..12]));
        }
        s
    }
}

/// What the rule decided for one required check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    pub check: String,
    /// The newest passing attestation that counts, when no counted failure came after it.
    pub passed_by: Option<Attestation>,
    pub result: RuleResult,
}

/// Decide each check of `required` (in that order) for one digest from `attestations` (of that
/// app and digest, any order). `checks`: the `[[checks]]` entries; `identities`: every listed
/// approver and signer (for their roles); `app`: whose digest it is (named by a fix).
pub fn decide(
    app: &str,
    required: &[String],
    checks: &[CheckConfig],
    identities: &[ApproverConfig],
    attestations: &[Attestation],
    digest: &Digest,
) -> Vec<CheckOutcome> {
    required
        .iter()
        .map(|name| one(app, name, checks, identities, attestations, digest))
        .collect()
}

fn one(
    app: &str,
    name: &str,
    checks: &[CheckConfig],
    identities: &[ApproverConfig],
    attestations: &[Attestation],
    digest: &Digest,
) -> CheckOutcome {
    let fail = |reason: String| CheckOutcome {
        check: name.to_string(),
        passed_by: None,
        result: RuleResult {
            rule: Rule::Checks,
            passed: false,
            reason,
            blocking: true,
            fix: None,
        },
    };
    let Some(config) = checks.iter().find(|c| c.name == name) else {
        return fail(format!(
            "{name}: no [[checks]] entry declares it in tollgate.toml, so nothing can attest it"
        ));
    };
    let mut mine: Vec<&Attestation> = attestations.iter().filter(|a| a.check == name).collect();
    mine.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    let mut set_aside = Vec::new();
    let mut counted = Vec::new();
    for a in mine {
        let allowed = identities
            .iter()
            .find(|i| i.id == a.by)
            .is_some_and(|i| config.allows(i));
        if !a.verified {
            set_aside.push(format!(
                "{}'s does not verify ({})",
                a.by,
                a.problem.as_deref().unwrap_or("bad signature")
            ));
        } else if !allowed {
            set_aside.push(format!(
                "{}'s does not count (may not attest {name}: {})",
                a.by,
                config.who()
            ));
        } else {
            counted.push(a);
        }
    }
    let aside = if set_aside.is_empty() {
        String::new()
    } else {
        format!("; {}", set_aside.join("; "))
    };
    let last_pass = counted.iter().rposition(|a| a.result == CheckResult::Pass);
    let last_fail = counted.iter().rposition(|a| a.result == CheckResult::Fail);
    match (last_pass, last_fail) {
        (Some(p), f) if f.is_none_or(|f| f < p) => {
            let a = counted[p];
            CheckOutcome {
                check: name.to_string(),
                passed_by: Some(a.clone()),
                result: RuleResult {
                    rule: Rule::Checks,
                    passed: true,
                    reason: format!("{name} passed: {}: {}", a.who_when(), a.summary),
                    blocking: true,
                    fix: None,
                },
            }
        }
        (Some(_), Some(f)) | (None, Some(f)) => {
            let a = counted[f];
            fail(format!(
                "{name} failed: {}: {}; a later passing attestation is needed{aside}",
                a.who_when(),
                a.summary
            ))
        }
        (_, None) => {
            let mut outcome = fail(format!(
                "{name} has no passing attestation for {} by {}: run it, then attest that it passed{aside}",
                digest.short(),
                config.who()
            ));
            outcome.result.fix = Some(Hint::Attest {
                app: app.to_string(),
                digest: digest.to_string(),
                check: name.to_string(),
            });
            outcome
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn id(name: &str, roles: &[&str]) -> ApproverConfig {
        ApproverConfig {
            id: name.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            key: String::new(),
            previous_keys: Vec::new(),
        }
    }

    fn att(seq: i64, check: &str, result: CheckResult, by: &str, minute: u32) -> Attestation {
        Attestation {
            seq,
            app: "api".into(),
            digest: Digest::of(b"img"),
            check: check.into(),
            result,
            summary: format!("run {seq}"),
            url: Some(format!("https://ci.example/{seq}")),
            report: None,
            report_artifact: None,
            by: by.into(),
            at: Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap(),
            signed_at: Utc.with_ymd_and_hms(2026, 12, 1, 10, minute, 0).unwrap(),
            sha256: format!("{seq:064}"),
            fingerprint: String::new(),
            verified: true,
            problem: None,
        }
    }

    fn checks() -> Vec<CheckConfig> {
        vec![
            CheckConfig {
                name: "load-test".into(),
                roles: vec![],
                signers: vec!["ci".into()],
            },
            CheckConfig {
                name: "security-review".into(),
                roles: vec!["security".into()],
                signers: vec![],
            },
        ]
    }

    fn run(list: &[Attestation]) -> Vec<CheckOutcome> {
        let ids = [id("ci", &[]), id("sec", &["security"]), id("dev", &["qa"])];
        decide(
            "api",
            &["load-test".into(), "security-review".into()],
            &checks(),
            &ids,
            list,
            &Digest::of(b"img"),
        )
    }

    #[test]
    fn missing_checks_fail_naming_who_may_attest() {
        let out = run(&[]);
        assert_eq!(out.len(), 2);
        assert!(!out[0].result.passed && out[0].result.blocking);
        assert!(
            out[0]
                .result
                .reason
                .starts_with("load-test has no passing attestation")
                && out[0].result.reason.contains("by ci:"),
            "{}",
            out[0].result.reason
        );
        assert!(out[1].result.reason.contains("by role security"));
        for o in &out {
            crate::policy::evaluate::tests::assert_app_facing(&o.result.reason);
            assert_eq!(
                o.result.fix,
                Some(Hint::Attest {
                    app: "api".into(),
                    digest: Digest::of(b"img").to_string(),
                    check: o.check.clone(),
                })
            );
        }
    }

    #[test]
    fn a_pass_counts_only_from_an_allowed_verified_identity() {
        let mut bad = att(3, "load-test", CheckResult::Pass, "ci", 3);
        bad.verified = false;
        bad.problem = Some("no key".into());
        let out = run(&[
            att(1, "load-test", CheckResult::Pass, "dev", 1),
            att(2, "security-review", CheckResult::Pass, "sec", 2),
            bad,
        ]);
        assert!(!out[0].result.passed);
        assert!(
            out[0].result.reason.contains("dev's does not count")
                && out[0]
                    .result
                    .reason
                    .contains("ci's does not verify (no key)"),
            "{}",
            out[0].result.reason
        );
        assert!(out[1].result.passed, "{}", out[1].result.reason);
        assert_eq!(out[1].passed_by.as_ref().map(|a| a.seq), Some(2));
        assert!(
            out[1]
                .result
                .reason
                .contains("sec at 2026-12-01T10:02:00Z (https://ci.example/2)"),
            "{}",
            out[1].result.reason
        );
    }

    #[test]
    fn the_newest_counted_result_in_signing_order_decides() {
        // Appended in another order than signed: signing order decides.
        let pass = att(5, "load-test", CheckResult::Pass, "ci", 1);
        let fail = att(4, "load-test", CheckResult::Fail, "ci", 2);
        let out = run(&[pass.clone(), fail.clone()]);
        assert!(!out[0].result.passed);
        assert!(
            out[0]
                .result
                .reason
                .starts_with("load-test failed: ci at 2026-12-01T10:02:00Z"),
            "{}",
            out[0].result.reason
        );
        let again = att(6, "load-test", CheckResult::Pass, "ci", 3);
        let out = run(&[pass, fail.clone(), again]);
        assert!(out[0].result.passed);
        assert_eq!(out[0].passed_by.as_ref().map(|a| a.seq), Some(6));
        // Same second: the message hash orders them.
        let mut tie = att(7, "load-test", CheckResult::Pass, "ci", 2);
        tie.sha256 = format!("{:064}", 0);
        let out = run(&[fail, tie]);
        assert!(!out[0].result.passed, "the fail's hash is greater");
        // A failure by someone who may not attest it changes nothing.
        let out = run(&[
            att(1, "load-test", CheckResult::Pass, "ci", 1),
            att(2, "load-test", CheckResult::Fail, "dev", 2),
        ]);
        assert!(out[0].result.passed);
    }
}
