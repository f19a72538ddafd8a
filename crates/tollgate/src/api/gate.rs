//! The facts a promotion gate looks at, gathered from the workspace and the history: which
//! environment a digest comes from, when and by whom it got there, and the approvals on record.

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::api::open;
use crate::config::{AppConfig, EnvConfig, Workspace};
use crate::domain::{Digest, Segment};
use crate::policy::{self, CandidateApproval, Evaluation, PolicyInput, Target};
use crate::store::Store;
use crate::{Error, Result};

/// What promoting `digest` into `to` would do, and whether the policy allows it now.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PromotionCheck {
    pub app: String,
    pub from: String,
    pub to: String,
    #[ts(type = "string")]
    pub digest: Digest,
    /// The digest the target environment has now (`None`: nothing yet).
    #[ts(type = "string | null")]
    pub current: Option<Digest>,
    /// When the digest entered `from`, and who put it there.
    #[ts(type = "string | null")]
    pub entered_from: Option<DateTime<Utc>>,
    pub entered_by: Option<String>,
    pub evaluation: Evaluation,
}

/// Parse the digest and find the app, the target environment and its source (the one before).
pub(crate) fn resolve<'a>(
    ws: &'a Workspace,
    app: &str,
    to: &str,
    digest: &str,
) -> Result<(&'a AppConfig, &'a EnvConfig, &'a EnvConfig, Digest)> {
    let digest = Digest::parse(digest)?;
    let a = ws.app(app)?;
    let target = ws.env(a, to)?;
    let source = ws.previous_env(a, to).ok_or_else(|| {
        Error::bad_input(format!("{to} is the first environment of {app}: nothing is promoted into it; record deployments there with `tollgate record`"))
    })?;
    Ok((a, target, source, digest))
}

/// The most recent stay of `digest` in `env`.
pub(crate) fn last_stay(
    store: &Store,
    app: &str,
    env: &str,
    digest: &Digest,
) -> Result<Option<Segment>> {
    Ok(store
        .timeline(app, Some(env))?
        .into_iter()
        .rev()
        .find(|s| &s.digest == digest))
}

/// The approvals on record for this app, target environment and digest, as the policy sees them.
pub(crate) fn candidates(
    store: &Store,
    app: &str,
    to: &str,
    digest: &Digest,
) -> Result<Vec<CandidateApproval>> {
    let in_use = store.approvals_in_use()?;
    let mut out = Vec::new();
    for e in store.approval_events(app, to, digest)? {
        let message = e.data_str("message").unwrap_or_default();
        let signature = e.data_str("signature").unwrap_or_default();
        match CandidateApproval::from_signed(
            e.seq,
            message.as_bytes(),
            signature,
            in_use.contains(&e.seq),
        ) {
            Ok(c) => out.push(c.appended_at(store.approval_appended_at(&e)?)),
            Err(err) => tracing::warn!(seq = e.seq, error = %err, "unreadable approval ignored"),
        }
    }
    Ok(out)
}

/// Evaluate the target environment's policy for promoting `digest` from `from` into `to`.
pub(crate) fn evaluate(
    ws: &Workspace,
    store: &Store,
    now: DateTime<Utc>,
    app: &AppConfig,
    from: &EnvConfig,
    to: &EnvConfig,
    digest: &Digest,
) -> Result<PromotionCheck> {
    let stay = last_stay(store, &app.name, &from.name, digest)?;
    let approvals = candidates(store, &app.name, &to.name, digest)?;
    let target = Target {
        app: app.name.clone(),
        digest: digest.clone(),
        from: from.name.clone(),
        to: to.name.clone(),
    };
    let evaluation = policy::evaluate(&PolicyInput {
        policy: to.policy.as_ref(),
        now,
        approvers: &ws.config.approvers,
        approvals: &approvals,
        target: &target,
        entered_previous: stay.as_ref().map(|s| s.from),
        previous_actor: stay.as_ref().and_then(|s| s.actor.as_deref()),
    });
    let current = store.head(&app.name, &to.name)?.segment.map(|s| s.digest);
    Ok(PromotionCheck {
        app: app.name.clone(),
        from: from.name.clone(),
        to: to.name.clone(),
        digest: digest.clone(),
        current,
        entered_from: stay.as_ref().map(|s| s.from),
        entered_by: stay.and_then(|s| s.actor),
        evaluation,
    })
}

/// The policy checklist for promoting `digest` of `app` into `to`, before anyone clicks.
#[tracing::instrument(skip(ws, now), fields(workspace = %ws.config.workspace.name))]
pub fn check_promotion(
    ws: &Workspace,
    now: DateTime<Utc>,
    app: &str,
    to: &str,
    digest: &str,
) -> Result<PromotionCheck> {
    let (a, target, source, digest) = resolve(ws, app, to, digest)?;
    let store = open::store(ws)?;
    evaluate(ws, &store, now, a, source, target, &digest)
}

/// One line per unmet blocking rule: what the CLI prints and the UI lists when refusing.
pub(crate) fn unmet(check: &PromotionCheck) -> Vec<String> {
    check
        .evaluation
        .rules
        .iter()
        .filter(|r| r.blocking && !r.passed)
        .map(|r| format!("{}: {}", r.rule, r.reason))
        .collect()
}
