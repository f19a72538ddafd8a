//! Saying no: a signed rejection of a digest ("never this digest into ENV or later"), and the
//! signed unrejection that lifts it. Both are chained events whose signed message is a
//! [`RejectionMessage`]; the gate's `rejected` rule reads them ([`crate::policy::rejected`]).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::key::default_approver;
use crate::api::{open, Context};
use crate::config::{AppConfig, ApproverConfig, Workspace};
use crate::domain::statement::message_sha256;
use crate::domain::{Digest, Event, EventKind, NewEvent};
use crate::policy::rejected::{self, Rejection};
use crate::policy::RuleResult;
use crate::report::crosscheck::rejection_statement;
use crate::signing::{
    self, check_reason, identity_in_sources, Anchor, Rejecting, RejectionMessage, Signer, Sources,
    Verdict,
};
use crate::store::Store;
use crate::{Error, Hint, Result};

/// A person's signed "no" for one digest (or the lifting of one): `reject` and `unreject`.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct RejectRequest {
    pub app: String,
    pub digest: String,
    /// Must equal the first 12 hex digits of the digest: the typed twin of the explicit click.
    pub confirm: String,
    /// Why, in one line (required; at most 500 characters).
    pub reason: String,
    /// The first environment it covers (and every later one); `None`: every environment.
    pub env: Option<String>,
    /// Approver id (default: `$TOLLGATE_APPROVER`, the id `key init` remembered, then the
    /// listed approver whose key is in `TOLLGATE_SIGNING_KEY` or ssh-agent).
    #[serde(skip)]
    pub approver: Option<String>,
}

/// What was signed and appended.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RejectionReceipt {
    pub event: Event,
    /// The rejection or unrejection as the views show it.
    pub rejection: Rejection,
    /// `SHA256:…` of the key that signed.
    pub fingerprint: String,
    /// The exact signed bytes (canonical JSON).
    pub message: String,
    /// The armored SSHSIG.
    pub signature: String,
    /// What was published to the team's registry: the artifact, or why it is not shared yet;
    /// `null` when sharing is off or the registry is an OCI layout.
    pub team: Option<crate::api::team::sync::TeamShare>,
}

/// Sign that `digest` of `app` must not be promoted into `env` or any later environment (into
/// any environment when `env` is `None`), and append it to the history. Refused unless the
/// signer is an approver holding a role that the covered environments' policies name, the
/// reason is one non-empty line, the digest ran in some environment of the app, and it is not
/// already rejected for exactly that scope. Shared like an approval (see `share_verdict`).
#[tracing::instrument(skip_all, fields(app = %req.app, env = ?req.env))]
pub async fn reject(ws: &Workspace, ctx: &Context, req: RejectRequest) -> Result<RejectionReceipt> {
    share_verdict(ws, ctx, req, Verdict::Reject).await
}

/// Lift the rejection in force of exactly this scope (same `env`, or none for every
/// environment), with a reason, signed the same way: the unrejection names that rejection (the
/// sha256 of its signed message) and lifts only it. The history keeps both. Shared like an
/// approval (see `share_verdict`).
#[tracing::instrument(skip_all, fields(app = %req.app, env = ?req.env))]
pub async fn unreject(
    ws: &Workspace,
    ctx: &Context,
    req: RejectRequest,
) -> Result<RejectionReceipt> {
    share_verdict(ws, ctx, req, Verdict::Unreject).await
}

/// [`reject`] or [`unreject`] as a teammate sees it: the digest's teammates' events are pulled
/// first (a rejection or unrejection signed elsewhere decides what this one may do), then it is
/// signed and appended (`sign_verdict`), and published to the team's registry like an approval
/// (`team`: shared, or the one line saying why not yet).
async fn share_verdict(
    ws: &Workspace,
    ctx: &Context,
    req: RejectRequest,
    verdict: Verdict,
) -> Result<RejectionReceipt> {
    if let (Ok(app), Ok(digest)) = (ws.app(&req.app), Digest::parse(&req.digest)) {
        let mut store = open::store(ws)?;
        let verb = match verdict {
            Verdict::Reject => "reject",
            Verdict::Unreject => "unreject",
        };
        crate::api::team::sync::pull_digest(ws, ctx, &mut store, &app.name, &digest, verb).await?;
    }
    let mut receipt = sign_verdict(ws, ctx, req, verdict, &Sources::from_env())?;
    let mut store = open::store(ws)?;
    receipt.team =
        crate::api::team::sync::publish_event(ws, ctx, &mut store, &receipt.event).await?;
    Ok(receipt)
}

/// Every rejection and unrejection of `app`'s digests (or of one digest), oldest first, each
/// verified and marked in force or not: for the timeline and the digest detail.
#[tracing::instrument(skip(ws), fields(workspace = %ws.config.workspace.name))]
pub fn rejections(ws: &Workspace, app: &str, digest: Option<&str>) -> Result<Vec<Rejection>> {
    let a = ws.app(app)?;
    let digest = digest.map(Digest::parse).transpose()?;
    let store = open::store(ws)?;
    rejections_of(ws, &store, a, digest.as_ref())
}

/// The sign-only step of [`reject`] and [`unreject`]: checked, signed with the key from
/// `sources` and appended, nothing pulled or published.
fn sign_verdict(
    ws: &Workspace,
    ctx: &Context,
    req: RejectRequest,
    verdict: Verdict,
    sources: &Sources,
) -> Result<RejectionReceipt> {
    let app = ws.app(&req.app)?;
    let digest = Digest::parse(&req.digest)?;
    let env = match req.env.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(e) => Some(ws.env(app, e)?.name.clone()),
    };
    if !req.confirm.trim().eq_ignore_ascii_case(digest.short()) {
        return Err(Error::bad_input(format!(
            "the confirmation {} does not match the digest: type its first 12 hex digits ({}) to confirm you mean this exact image",
            req.confirm,
            digest.short()
        )));
    }
    let reason = check_reason(&req.reason)?.to_string();
    let approver = who(ws, ctx, req.approver.as_deref(), sources)?;
    let role = role_for(app, approver, env.as_deref(), verdict)?;
    let signer = Signer::resolve(approver, sources, ctx.secrets.as_ref())?;
    let mut store = open::store(ws)?;
    let known = store
        .timeline(&app.name, None)?
        .iter()
        .any(|s| s.digest == digest);
    if !known && verdict == Verdict::Reject {
        return Err(Error::refused(format!(
            "{digest} never ran in any environment of {}: reject a digest the history knows (the app's timeline lists them; a teammate's moves arrive with a sync)",
            app.name
        ))
        .with_hint(Hint::Sync));
    }
    let existing = rejections_of(ws, &store, app, Some(&digest))?;
    let same_scope = existing.iter().rev().find(|r| r.active && r.env == env);
    // An unrejection names the one rejection it lifts (message version 2).
    let lifted = same_scope.map(|r| r.sha256.clone());
    let scope = match &env {
        Some(e) => format!("{e} and later"),
        None => "every environment".into(),
    };
    match (verdict, same_scope) {
        (Verdict::Reject, Some(r)) => {
            return Err(Error::refused(format!(
                "{digest} is already rejected for {scope} by {} at {}: {}",
                r.by,
                r.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                r.reason
            )))
        }
        (Verdict::Unreject, None) => {
            let others: Vec<String> = existing
                .iter()
                .filter(|r| r.active)
                .map(|r| match &r.env {
                    Some(e) => format!("for {e} and later"),
                    None => "for every environment".into(),
                })
                .collect();
            let hint = if others.is_empty() {
                "it is not rejected at all".to_string()
            } else {
                format!(
                    "an unrejection lifts exactly one scope; it is rejected {}",
                    others.join(" and ")
                )
            };
            return Err(Error::refused(format!(
                "{digest} has no rejection in force for {scope} to lift: {hint}"
            )));
        }
        _ => {}
    }

    let now = ctx.clock.now();
    let (head_seq, head) = store.chain_head()?;
    let message = RejectionMessage::new(
        &Rejecting {
            verdict,
            app: &app.name,
            digest: &digest,
            env: env.as_deref(),
            reason: &reason,
            signer: &approver.id,
            role: &role,
        },
        now,
        &Anchor {
            seq: head_seq,
            hash: head,
        },
    );
    let message = match (verdict, lifted) {
        (Verdict::Unreject, Some(sha)) => message.lifting(&sha),
        _ => message,
    };
    let bytes = message.to_bytes();
    let signature = signer.sign(&bytes)?;
    let verified = signing::verify_approval(&bytes, &signature, approver, now)?;
    let message_text = String::from_utf8(bytes)
        .map_err(|e| Error::internal(format!("rejection message is not UTF-8: {e}")))?;
    let kind = match verdict {
        Verdict::Reject => EventKind::Rejection,
        Verdict::Unreject => EventKind::Unrejection,
    };
    let event = store
        .append(vec![NewEvent {
            at: now,
            kind,
            app: app.name.clone(),
            env: env.clone().unwrap_or_default(),
            digest: Some(digest.clone()),
            actor: Some(approver.id.clone()),
            data: serde_json::json!({
                "env": env,
                "reason": reason,
                "role": role,
                "message": message_text,
                "signature": signature,
                "fingerprint": verified.fingerprint,
                "key_source": signer.source().kind(),
            }),
        }])?
        .pop()
        .ok_or_else(|| Error::internal("append returned no event"))?;
    let rejection = rejections_of(ws, &store, app, Some(&digest))?
        .into_iter()
        .find(|r| r.seq == event.seq)
        .ok_or_else(|| Error::internal("the rejection just appended is not in the history"))?;
    Ok(RejectionReceipt {
        event,
        rejection,
        fingerprint: verified.fingerprint,
        message: message_text,
        signature,
        team: None,
    })
}

/// Who signs: the approver named, else this machine's default approver, else the one listed
/// approver whose key `TOLLGATE_SIGNING_KEY` or ssh-agent holds. `[[signers]]` (CI) identities
/// may not reject: saying no is a person's decision, as an approval is.
fn who<'a>(
    ws: &'a Workspace,
    ctx: &Context,
    named: Option<&str>,
    sources: &Sources,
) -> Result<&'a ApproverConfig> {
    let id = match named.map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => id.to_string(),
        None => match default_approver(ctx.secrets.as_ref())? {
            Some(id) => id,
            None => identity_in_sources(&ws.config.approvers, sources).ok_or_else(|| {
                Error::bad_input("who is rejecting? this machine has no signing key yet")
                    .with_hint(crate::Hint::KeyInit { id: None })
            })?,
        },
    };
    if let Some(a) = ws.config.approvers.iter().find(|a| a.id == id) {
        return Ok(a);
    }
    if ws.config.signers.iter().any(|s| s.id == id) {
        return Err(Error::refused(format!(
            "{id} is a [[signers]] (CI) identity in {}: CI identities may not reject or unreject; a person holding a role does",
            ws.config_path.display()
        )));
    }
    Err(Error::refused(format!(
        "{id} is not an approver in {}: only a person holding a role the policies name may reject; ask whoever keeps it to list you",
        ws.config_path.display()
    )))
}

/// The role the approver signs in: the first of their roles that a policy of a covered
/// environment names (`env` and the later ones; every environment when `None`). When no
/// covered policy names a role, any approver may, in their first role (or none).
fn role_for(
    app: &AppConfig,
    approver: &ApproverConfig,
    env: Option<&str>,
    verdict: Verdict,
) -> Result<String> {
    let first = env
        .and_then(|e| app.environments.iter().position(|x| x.name == e))
        .unwrap_or(0);
    let covered = &app.environments[first..];
    let mut named: Vec<&str> = Vec::new();
    for e in covered {
        for r in e.policy.iter().flat_map(|p| p.roles.iter()) {
            if !named.contains(&r.as_str()) {
                named.push(r);
            }
        }
    }
    if named.is_empty() {
        return Ok(approver.roles.first().cloned().unwrap_or_default());
    }
    match approver.roles.iter().find(|r| named.contains(&r.as_str())) {
        Some(r) => Ok(r.clone()),
        None => {
            let envs: Vec<&str> = covered.iter().map(|e| e.name.as_str()).collect();
            let what = match verdict {
                Verdict::Reject => "reject",
                Verdict::Unreject => "unreject",
            };
            Err(Error::refused(format!(
                "{} holds no role that the policies of {} name ({}; has: {}): only someone holding one of them may {what} there",
                approver.id,
                envs.join(", "),
                named.join(", "),
                if approver.roles.is_empty() {
                    "none".to_string()
                } else {
                    approver.roles.join(", ")
                }
            )))
        }
    }
}

/// The rejections and unrejections of `app` (of `digest`, or of all its digests), each with
/// its signature verified against the keys tollgate.toml lists for its signer (key rotation
/// rules apply, judged at its append time) and marked in force or not ([`rejected::settle`]).
pub(crate) fn rejections_of(
    ws: &Workspace,
    store: &Store,
    app: &AppConfig,
    digest: Option<&Digest>,
) -> Result<Vec<Rejection>> {
    let mut scopes: Vec<&str> = vec![""];
    scopes.extend(app.environments.iter().map(|e| e.name.as_str()));
    let mut out = Vec::new();
    for e in store.rejection_events(&app.name, &scopes, digest)? {
        let Some(d) = e.digest.clone() else { continue };
        let text = |k: &str| e.data_str(k).unwrap_or_default().to_string();
        let by = e.actor.clone().unwrap_or_default();
        let (mut signed_at, mut sha256, mut lifts) = (e.at, String::new(), None);
        let check = match rejection_statement(&e) {
            Ok(Some((m, message, signature))) => {
                signed_at = m.signed_at().unwrap_or(e.at);
                sha256 = message_sha256(message.as_bytes());
                lifts = m.lifts.clone();
                let cfg = ws.config.approvers.iter().find(|a| a.id == by);
                match rejected::may_say(cfg, &by, app, m.env.as_deref(), &m.role) {
                    Err(why) => Err(why),
                    Ok(()) => signing::verify_approval(
                        message.as_bytes(),
                        &signature,
                        cfg.expect("may_say found the approver"),
                        store.approval_appended_at(&e)?,
                    )
                    .map(|_| ())
                    .map_err(|err| err.message),
                }
            }
            Ok(None) => Err("not a rejection".to_string()),
            Err(why) => Err(why),
        };
        out.push(Rejection {
            seq: e.seq,
            kind: e.kind,
            app: e.app.clone(),
            digest: d,
            env: (!e.env.is_empty()).then(|| e.env.clone()),
            by,
            role: text("role"),
            reason: text("reason"),
            at: e.at,
            signed_at,
            sha256,
            lifts,
            fingerprint: text("fingerprint"),
            verified: check.is_ok(),
            problem: check.err(),
            active: false,
        });
    }
    // In force per digest: settle each digest's list on its own.
    out.sort_by(|a, b| {
        a.digest
            .as_str()
            .cmp(b.digest.as_str())
            .then(a.seq.cmp(&b.seq))
    });
    let mut settled = Vec::with_capacity(out.len());
    for chunk in out.chunk_by_mut(|a, b| a.digest == b.digest) {
        rejected::settle(chunk);
        settled.extend(chunk.iter().cloned());
    }
    settled.sort_by_key(|r| r.seq);
    Ok(settled)
}

/// The rejections in force that cover `to` for `digest`, oldest first.
pub(crate) fn covering(
    ws: &Workspace,
    store: &Store,
    app: &AppConfig,
    to: &str,
    digest: &Digest,
) -> Result<Vec<Rejection>> {
    let list = rejections_of(ws, store, app, Some(digest))?;
    let order: Vec<&str> = app.environments.iter().map(|e| e.name.as_str()).collect();
    Ok(rejected::covering(&list, &order, to)
        .into_iter()
        .cloned()
        .collect())
}

/// The failed `rejected` rule of a promotion of `digest` into `to`, when it is rejected there.
pub(crate) fn rejected_rule(
    ws: &Workspace,
    store: &Store,
    app: &AppConfig,
    to: &str,
    digest: &Digest,
) -> Result<Option<RuleResult>> {
    let covering = covering(ws, store, app, to, digest)?;
    let refs: Vec<&Rejection> = covering.iter().collect();
    Ok(rejected::rule(&refs, &app.name, to))
}
