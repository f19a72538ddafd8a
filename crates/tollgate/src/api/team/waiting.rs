//! The team part of the overview: the approvals on each waiting digest (a teammate's, imported
//! through the registry, or this desktop's, shared or not yet), and the digests waiting for
//! this machine's approver.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::api::gate::PromotionCheck;
use crate::api::key::default_approver;
use crate::api::Context;
use crate::config::Workspace;
use crate::signing::ApprovalMessage;
use crate::store::Store;
use crate::Result;

/// One approval of the digest waiting in a cell: who, in which role, when, and where it
/// came from.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct WaitingApproval {
    #[ts(type = "number")]
    pub seq: i64,
    pub approver: String,
    pub role: String,
    /// When it was signed (the signed message's time; else when it was appended here).
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    /// It counts toward the policy now.
    pub counted: bool,
    /// A teammate's, pulled from the registry: the repository it was imported from.
    pub imported_from: Option<String>,
    /// This desktop's, not in the registry yet: why, in one line ("not shared yet: …").
    pub not_shared: Option<String>,
}

/// The digests this machine's approver may approve and has not.
#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export)]
pub struct WaitingForYou {
    /// This machine's approver id (`$TOLLGATE_APPROVER`, else `key init`'s), when
    /// tollgate.toml lists it as an approver; `null` otherwise (nothing waits for a non-approver).
    pub approver: Option<String>,
    pub digests: Vec<WaitingDigest>,
}

/// A waiting digest that needs a role this machine's approver holds.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct WaitingDigest {
    pub app: String,
    pub from: String,
    pub to: String,
    pub digest: String,
    /// The roles still missing that the approver holds (empty: the policy counts approvers,
    /// not roles, and one more is needed).
    pub roles: Vec<String>,
}

/// Why each of this desktop's events is not shared yet, read once per overview.
pub(crate) type Unshared = HashMap<i64, Option<String>>;

/// The approvals of the waiting digest of `check`, oldest first.
pub(crate) fn waiting_approvals(
    store: &Store,
    check: &PromotionCheck,
    unshared: &Unshared,
    in_use: &HashSet<i64>,
) -> Result<Vec<WaitingApproval>> {
    let counted: HashSet<i64> = check.evaluation.counted.iter().copied().collect();
    let mut out = Vec::new();
    for e in store.approval_events(&check.app, &check.to, &check.digest)? {
        if in_use.contains(&e.seq) && !counted.contains(&e.seq) {
            continue; // consumed by an earlier promotion of this digest
        }
        let signed = e
            .data_str("message")
            .and_then(|m| ApprovalMessage::parse(m.as_bytes()).ok())
            .and_then(|m| DateTime::parse_from_rfc3339(&m.at).ok())
            .map(|t| t.with_timezone(&Utc));
        let imported_from = e
            .data
            .get("imported")
            .and_then(|i| i.get("repository"))
            .and_then(|r| r.as_str())
            .map(str::to_string);
        let not_shared = unshared.get(&e.seq).map(|why| {
            why.clone()
                .unwrap_or_else(|| "not shared yet: the next sync publishes it".into())
        });
        out.push(WaitingApproval {
            seq: e.seq,
            approver: e.actor.clone().unwrap_or_default(),
            role: e.data_str("role").unwrap_or_default().to_string(),
            at: signed.unwrap_or(e.at),
            counted: counted.contains(&e.seq),
            imported_from,
            not_shared,
        });
    }
    Ok(out)
}

/// This machine's approver, as tollgate.toml lists it. A keychain that cannot be read names
/// nobody.
fn local_approver(ws: &Workspace, ctx: &Context) -> Option<(String, Vec<String>)> {
    let id = match default_approver(ctx.secrets.as_ref()) {
        Ok(id) => id?,
        Err(e) => {
            tracing::debug!(error = %e.message, "no approver identity from the keychain");
            return None;
        }
    };
    ws.config
        .approvers
        .iter()
        .find(|a| a.id.eq_ignore_ascii_case(&id))
        .map(|a| (a.id.clone(), a.roles.clone()))
}

/// The waiting digests (each cell's candidate with its approvals) that need a role this
/// machine's approver holds and that they have not approved: a role the policy needs with no
/// counted approval yet (or, for a policy that names no roles, one approver more), and no
/// approval of theirs counts. Not when four-eyes would set their approval aside (they put it
/// there).
pub(crate) fn waiting_for_you(
    ws: &Workspace,
    ctx: &Context,
    candidates: &[(&PromotionCheck, &[WaitingApproval])],
) -> WaitingForYou {
    let Some((me, my_roles)) = local_approver(ws, ctx) else {
        return WaitingForYou::default();
    };
    let mut digests = Vec::new();
    for (check, approvals) in candidates {
        let e = &check.evaluation;
        if e.passed || approvals.iter().any(|a| a.approver == me && a.counted) {
            continue;
        }
        let four_eyes = ws
            .app(&check.app)
            .and_then(|a| ws.env(a, &check.to))
            .ok()
            .and_then(|env| env.policy.as_ref())
            .is_some_and(|p| p.four_eyes);
        if four_eyes && check.entered_by.as_deref() == Some(me.as_str()) {
            continue;
        }
        let covered: HashSet<&str> = approvals
            .iter()
            .filter(|a| a.counted)
            .map(|a| a.role.as_str())
            .collect();
        let roles: Vec<String> = e
            .roles_needed
            .iter()
            .filter(|r| !covered.contains(r.as_str()) && my_roles.contains(r))
            .cloned()
            .collect();
        let more_approvers = e.roles_needed.is_empty()
            && (e.approvers.len() as u32) < e.approvals_needed
            && !my_roles.is_empty();
        if roles.is_empty() && !more_approvers {
            continue;
        }
        digests.push(WaitingDigest {
            app: check.app.clone(),
            from: check.from.clone(),
            to: check.to.clone(),
            digest: check.digest.to_string(),
            roles,
        });
    }
    WaitingForYou {
        approver: Some(me),
        digests,
    }
}
