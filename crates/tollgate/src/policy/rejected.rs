//! The `rejected` rule: a digest someone with a role rejected ("never this digest") is not
//! promoted into the environments the rejection covers until an unrejection of the same scope
//! lifts it.
//!
//! A rejection names a first environment (it covers that one and every later one in the app's
//! order) or none (it covers every environment). An unrejection of version 2 lifts the one
//! rejection it names (by the sha256 of its signed message); one of version 1 lifts the
//! rejections of exactly its scope, not a narrower or wider one, signed before it (allowing
//! [`CLOCK_SKEW`]). Only rejections and unrejections whose signature verified take part
//! ([`Rejection::verified`]), whose signer holds a role a covered policy names ([`may_say`]),
//! and that are not a replay of an earlier one (the same signed message). Pure: the use case
//! reads and verifies them.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::{Rule, RuleResult};
use crate::config::{AppConfig, ApproverConfig};
use crate::domain::statement::CLOCK_SKEW;
use crate::domain::{Digest, EventKind};
use crate::hint::Hint;

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
    /// When it was signed (its signed message's `at`; the append time when unreadable).
    #[ts(type = "string")]
    pub signed_at: DateTime<Utc>,
    /// The sha256 of its signed message: its name (a copy of the same bytes counts once).
    pub sha256: String,
    /// An unrejection of version 2: the sha256 of the one rejection it lifts.
    pub lifts: Option<String>,
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
/// scope in force, a verified unrejection lifts the rejection it names (version 2) or those of
/// its scope signed before it (version 1). A copy of an earlier one's signed message (a replay)
/// counts for nothing and says so in its `problem`.
pub fn settle(list: &mut [Rejection]) {
    list.sort_by_key(|r| r.seq);
    let mut first: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for i in 0..list.len() {
        list[i].active = false;
        if !list[i].sha256.is_empty() {
            if let Some(&seq) = first.get(&list[i].sha256) {
                list[i].verified = false;
                list[i].problem = Some(format!(
                    "it is the same signed message as event {seq}: a replayed {} counts for nothing",
                    list[i].kind.as_str()
                ));
                continue;
            }
            first.insert(list[i].sha256.clone(), list[i].seq);
        }
        if !list[i].verified {
            continue;
        }
        match list[i].kind {
            EventKind::Rejection => list[i].active = true,
            EventKind::Unrejection => {
                for j in 0..i {
                    if list[j].kind == EventKind::Rejection && lifts(&list[i], &list[j]) {
                        list[j].active = false;
                    }
                }
            }
            _ => {}
        }
    }
}

/// Whether unrejection `u` lifts rejection `r`: the one it names (version 2), or one of exactly
/// its scope signed before it (version 1, allowing [`CLOCK_SKEW`]).
fn lifts(u: &Rejection, r: &Rejection) -> bool {
    match &u.lifts {
        Some(sha) => &r.sha256 == sha,
        None => r.env == u.env && r.signed_at <= u.signed_at + CLOCK_SKEW,
    }
}

/// Whether `approver` (`None`: not an approver in tollgate.toml) may say no, or lift a no, about
/// a digest of `app` for the environments from `env` on (`None`: every one), signing in
/// `role`: when a covered environment's policy names roles, only in one of them, and only
/// holding it; otherwise in a role it holds, or none. The rule `reject` applies on the signing
/// desktop, checked again wherever a signed rejection is read (import, the `rejected` rule,
/// `verify`). `Err` says why not, in one line.
pub fn may_say(
    approver: Option<&ApproverConfig>,
    signer: &str,
    app: &AppConfig,
    env: Option<&str>,
    role: &str,
) -> Result<(), String> {
    let Some(approver) = approver else {
        return Err(format!("{signer} is not an approver in tollgate.toml"));
    };
    let first = env
        .and_then(|e| app.environments.iter().position(|x| x.name == e))
        .unwrap_or(0);
    let covered = &app.environments[first.min(app.environments.len())..];
    let mut named: Vec<&str> = Vec::new();
    for e in covered {
        for r in e.policy.iter().flat_map(|p| p.roles.iter()) {
            if !named.contains(&r.as_str()) {
                named.push(r);
            }
        }
    }
    let holds = approver.roles.iter().any(|r| r == role);
    if named.is_empty() && (role.is_empty() || holds) {
        return Ok(());
    }
    if named.contains(&role) && holds {
        return Ok(());
    }
    let has = if approver.roles.is_empty() {
        "none".to_string()
    } else {
        approver.roles.join(", ")
    };
    let envs: Vec<&str> = covered.iter().map(|e| e.name.as_str()).collect();
    Err(if named.is_empty() {
        format!(
            "it is signed as {role:?}, a role {signer} does not hold in tollgate.toml (has: {has})"
        )
    } else {
        format!(
            "it is signed as {role:?} by {signer}, but only a role the policies of {} name ({}) may say it, held in tollgate.toml (has: {has})",
            envs.join(", "),
            named.join(", ")
        )
    })
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
    reason.push_str(&format!(
        "; it is not promoted into {to} until someone with a role lifts it"
    ));
    Some(RuleResult {
        rule: Rule::Rejected,
        passed: false,
        reason,
        blocking: true,
        fix: Some(Hint::Unreject {
            app: app.to_string(),
            digest: newest.digest.to_string(),
            env: newest.env.clone(),
        }),
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
            signed_at: Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap()
                + chrono::Duration::hours(seq),
            sha256: format!("{seq:064}"),
            lifts: None,
            fingerprint: "SHA256:x".into(),
            verified,
            problem: None,
            active: false,
        }
    }

    #[test]
    fn a_replayed_copy_counts_for_nothing() {
        let mut l = vec![
            r(1, EventKind::Rejection, Some("staging"), true),
            r(2, EventKind::Unrejection, Some("staging"), true),
            r(3, EventKind::Rejection, Some("staging"), true),
        ];
        // The old unrejection re-listed and imported again (before this rule).
        let mut replay = l[1].clone();
        replay.seq = 4;
        l.push(replay);
        assert!(blocked(&mut l, "staging"), "the replay lifts nothing");
        assert!(!l[3].verified, "{:?}", l[3]);
        assert!(
            l[3].problem
                .as_deref()
                .unwrap()
                .contains("same signed message as event 2"),
            "{:?}",
            l[3].problem
        );
    }

    #[test]
    fn a_version_1_unrejection_lifts_only_what_was_signed_before_it() {
        let mut l = vec![
            r(1, EventKind::Rejection, Some("staging"), true),
            r(2, EventKind::Unrejection, Some("staging"), true),
        ];
        // Signed an hour before the rejection, imported after it: lifts nothing.
        l[1].signed_at = l[0].signed_at - chrono::Duration::hours(1);
        assert!(blocked(&mut l, "staging"));
        l[1].signed_at = l[0].signed_at + chrono::Duration::minutes(-4);
        assert!(!blocked(&mut l, "staging"), "within the clock skew");
    }

    #[test]
    fn a_version_2_unrejection_lifts_only_the_rejection_it_names() {
        let mut l = vec![
            r(1, EventKind::Rejection, Some("staging"), true),
            r(2, EventKind::Rejection, None, true),
            r(3, EventKind::Unrejection, Some("production"), true),
        ];
        l[2].lifts = Some(l[1].sha256.clone());
        settle(&mut l);
        assert!(l[0].active, "not named: still in force");
        assert!(!l[1].active, "named, whatever its scope");
        assert!(blocked(&mut l, "staging"));
    }

    fn app(policy_roles: &[&str]) -> AppConfig {
        let roles: Vec<String> = policy_roles.iter().map(|r| format!("\"{r}\"")).collect();
        let text = format!(
            "name = \"api\"\nrepository = \"r/p/api\"\nenvironments = [{{ name = \"dev\", tag = \"dev\" }}, {{ name = \"staging\", tag = \"staging\", policy = {{ approvals = 1, roles = [{}] }} }}]\n",
            roles.join(", ")
        );
        toml::from_str(&text).unwrap()
    }

    fn approver(roles: &[&str]) -> ApproverConfig {
        ApproverConfig {
            id: "dev@example.com".into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            key: String::new(),
            previous_keys: vec![],
        }
    }

    #[test]
    fn only_a_role_a_covered_policy_names_may_say_no() {
        let a = app(&["qa"]);
        let dev = approver(&["developer"]);
        let qa = approver(&["qa"]);
        let who = "dev@example.com";
        let why = may_say(Some(&dev), who, &a, Some("staging"), "developer").unwrap_err();
        assert!(
            why.contains("only a role the policies of staging name (qa)"),
            "{why}"
        );
        assert!(may_say(Some(&qa), who, &a, Some("staging"), "qa").is_ok());
        assert!(may_say(Some(&qa), who, &a, None, "qa").is_ok());
        assert!(
            may_say(Some(&dev), who, &a, Some("staging"), "qa").is_err(),
            "claimed, not held"
        );
        assert!(may_say(None, who, &a, None, "qa")
            .unwrap_err()
            .contains("not an approver"));
        // Where no policy names a role, any approver may, in a role they hold (or none).
        let open = app(&[]);
        assert!(may_say(Some(&dev), who, &open, None, "developer").is_ok());
        assert!(may_say(Some(&dev), who, &open, None, "").is_ok());
        assert!(may_say(Some(&dev), who, &open, None, "qa").is_err());
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
        assert!(
            rule.reason.contains(
                "rejected for staging and later by qa@example.com (qa) at 2026-11-25T08:00:00Z: crashes"
            ),
            "{}",
            rule.reason
        );
        assert_eq!(
            rule.fix,
            Some(Hint::Unreject {
                app: "api".into(),
                digest: l[0].digest.to_string(),
                env: Some("staging".into()),
            })
        );
        crate::policy::evaluate::tests::assert_app_facing(&rule.reason);
        assert!(super::rule(&[], "api", "dev").is_none());
    }
}
