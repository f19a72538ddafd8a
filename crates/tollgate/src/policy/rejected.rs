//! The `rejected` rule: a digest someone with a role rejected ("never this digest") is not
//! promoted into the environments the rejection covers until an unrejection of the same scope
//! lifts it.
//!
//! A rejection names a first environment (it covers that one and every later one in the app's
//! order) or none (it covers every environment). An unrejection lifts the rejection of exactly
//! its scope, not a narrower or wider one. Only rejections and unrejections whose signature
//! verified take part ([`Rejection::verified`]). Pure: the use case reads and verifies them.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::{Rule, RuleResult};
use crate::domain::{Digest, EventKind};

/// One rejection or unrejection of a digest, as the history holds it and the views show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Rejection {
    /// Its event's `seq`.
    #[ts(type = "number")]
    pub seq: i64,
    /// `rejection` or `unrejection`.
    pub kind: EventKind,
    pub app: String,
    #[ts(type = "string")]
    pub digest: Digest,
    /// The first environment it covers (and every later one); `null`: every environment.
    pub env: Option<String>,
    /// The approver id that signed it.
    pub by: String,
    /// The role it was signed in.
    pub role: String,
    pub reason: String,
    /// When the history appended it.
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    /// `SHA256:…` of the key that signed, as recorded.
    pub fingerprint: String,
    /// Its signature verifies against the keys tollgate.toml lists for `by`, and its signed
    /// message says what the event says. Only verified ones count.
    pub verified: bool,
    /// Why it does not count, when it does not verify.
    pub problem: Option<String>,
    /// A verified rejection that no later verified unrejection of the same scope lifted: it is
    /// in force. Always `false` for an unrejection.
    pub active: bool,
}

impl Rejection {
    /// Whether this rejection's scope covers `env` of an app whose environments are `order`.
    pub fn covers(&self, order: &[&str], env: &str) -> bool {
        let Some(first) = &self.env else {
            return true;
        };
        match (
            order.iter().position(|e| e == first),
            order.iter().position(|e| *e == env),
        ) {
            (Some(f), Some(e)) => e >= f,
            // An environment since removed from tollgate.toml covers only itself.
            _ => first == env,
        }
    }

    /// `staging and later`, `every environment`.
    pub fn scope(&self) -> String {
        match &self.env {
            Some(e) => format!("{e} and later"),
            None => "every environment".into(),
        }
    }
}

/// Mark which rejections are in force: walk them in `seq` order; a verified rejection puts its
/// scope in force, a verified unrejection of the same scope takes it out.
pub fn settle(list: &mut [Rejection]) {
    list.sort_by_key(|r| r.seq);
    for i in 0..list.len() {
        list[i].active = false;
        if !list[i].verified {
            continue;
        }
        match list[i].kind {
            EventKind::Rejection => list[i].active = true,
            EventKind::Unrejection => {
                for j in 0..i {
                    if list[j].env == list[i].env {
                        list[j].active = false;
                    }
                }
            }
            _ => {}
        }
    }
}

/// The rejections in force that cover `env`, oldest first.
pub fn covering<'a>(list: &'a [Rejection], order: &[&str], env: &str) -> Vec<&'a Rejection> {
    list.iter()
        .filter(|r| r.active && r.kind == EventKind::Rejection && r.covers(order, env))
        .collect()
}

/// The failed, blocking `rejected` rule for promoting into `to`, when rejections in force
/// cover it (`None` otherwise: the rule is shown only then).
pub fn rule(covering: &[&Rejection], app: &str, to: &str) -> Option<RuleResult> {
    let newest = covering.last()?;
    let mut reason = format!(
        "rejected for {} by {} ({}) at {}: {}",
        newest.scope(),
        newest.by,
        newest.role,
        newest.at.to_rfc3339_opts(SecondsFormat::Secs, true),
        newest.reason
    );
    if covering.len() > 1 {
        let others: Vec<String> = covering[..covering.len() - 1]
            .iter()
            .map(|r| format!("{} for {}", r.by, r.scope()))
            .collect();
        reason.push_str(&format!("; also rejected by {}", others.join(", ")));
    }
    let env = newest
        .env
        .as_deref()
        .map(|e| format!(" --env {e}"))
        .unwrap_or_default();
    reason.push_str(&format!(
        "; it is not promoted into {to} until someone with a role lifts it (`tollgate unreject --app {app} --digest {} --confirm {}{env} --reason TEXT`)",
        newest.digest,
        newest.digest.short()
    ));
    Some(RuleResult {
        rule: Rule::Rejected,
        passed: false,
        reason,
        blocking: true,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    const ORDER: &[&str] = &["dev", "staging", "production"];

    fn r(seq: i64, kind: EventKind, env: Option<&str>, verified: bool) -> Rejection {
        Rejection {
            seq,
            kind,
            app: "api".into(),
            digest: Digest::of(b"image"),
            env: env.map(str::to_string),
            by: "qa@example.com".into(),
            role: "qa".into(),
            reason: "crashes".into(),
            at: Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap(),
            fingerprint: "SHA256:x".into(),
            verified,
            problem: None,
            active: false,
        }
    }

    fn blocked(list: &mut [Rejection], env: &str) -> bool {
        settle(list);
        !covering(list, ORDER, env).is_empty()
    }

    #[test]
    fn a_rejection_covers_its_environment_and_the_later_ones() {
        let mut l = vec![r(1, EventKind::Rejection, Some("staging"), true)];
        assert!(!blocked(&mut l, "dev"));
        assert!(blocked(&mut l, "staging"));
        assert!(blocked(&mut l, "production"));
        let mut all = vec![r(1, EventKind::Rejection, None, true)];
        assert!(ORDER.iter().all(|e| blocked(&mut all, e)));
    }

    #[test]
    fn only_an_unrejection_of_the_same_scope_lifts_it() {
        let mut l = vec![
            r(1, EventKind::Rejection, Some("staging"), true),
            r(2, EventKind::Unrejection, Some("production"), true),
            r(3, EventKind::Unrejection, None, true),
        ];
        assert!(
            blocked(&mut l, "production"),
            "narrower and wider scopes lift nothing"
        );
        l.push(r(4, EventKind::Unrejection, Some("staging"), true));
        assert!(!blocked(&mut l, "production"));
        l.push(r(5, EventKind::Rejection, Some("staging"), true));
        assert!(
            blocked(&mut l, "staging"),
            "rejected again after it was lifted"
        );
    }

    #[test]
    fn unverified_ones_count_for_nothing() {
        let mut l = vec![r(1, EventKind::Rejection, None, false)];
        assert!(!blocked(&mut l, "production"));
        let mut l = vec![
            r(1, EventKind::Rejection, None, true),
            r(2, EventKind::Unrejection, None, false),
        ];
        assert!(blocked(&mut l, "production"));
    }

    #[test]
    fn the_rule_names_who_when_and_why() {
        let mut l = vec![r(1, EventKind::Rejection, Some("staging"), true)];
        settle(&mut l);
        let c = covering(&l, ORDER, "production");
        let rule = rule(&c, "api", "production").unwrap();
        assert!(!rule.passed && rule.blocking);
        assert_eq!(rule.rule, Rule::Rejected);
        for part in [
            "rejected for staging and later by qa@example.com (qa) at 2026-11-25T08:00:00Z: crashes",
            "tollgate unreject --app api",
            "--env staging",
        ] {
            assert!(rule.reason.contains(part), "{}", rule.reason);
        }
        assert!(super::rule(&[], "api", "dev").is_none());
    }
}
