use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::gate::{self, resolve};
use crate::api::key::default_approver;
use crate::api::{open, Context};
use crate::config::Workspace;
use crate::domain::{Event, EventKind, NewEvent};
use crate::signing::{self, Anchor, ApprovalMessage, Signer, Sources, Target};
use crate::{Error, Hint, Result};

/// A person's signed "yes" for one digest moving from one environment to the next.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct ApproveRequest {
    pub app: String,
    pub to: String,
    pub digest: String,
    /// Must equal the first 12 hex digits of the digest: the typed twin of the explicit click.
    pub confirm: String,
    /// Which of the approver's roles this approval is given in (default: their only role).
    pub role: Option<String>,
    pub note: Option<String>,
    /// Approver id (default: `$TOLLGATE_APPROVER`, then the id `key init` remembered).
    #[serde(skip)]
    pub approver: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ApprovalReceipt {
    pub event: Event,
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

/// Approve one digest for one move: the teammates' events on the digest are pulled first (what
/// the approval is given on), then the approval is signed with the approver's listed key and
/// appended (`approve_local`), then published to the team's registry (`[team] share`). A denied
/// or failed push keeps it local and unshared (`team.unshared` says why); it counts here anyway.
#[tracing::instrument(skip_all, fields(app = %req.app, to = %req.to))]
pub async fn approve(
    ws: &Workspace,
    ctx: &Context,
    req: ApproveRequest,
) -> Result<ApprovalReceipt> {
    // Teammates' events on this digest first (one pull): what the approval is given on.
    if let Ok((app, _, _, digest)) = resolve(ws, &req.app, &req.to, &req.digest) {
        let mut store = open::store(ws)?;
        crate::api::team::sync::pull_digest(ws, ctx, &mut store, &app.name, &digest, "approve")
            .await?;
    }
    let mut receipt = approve_local(ws, ctx, req, &Sources::from_env())?;
    let mut store = open::store(ws)?;
    receipt.team =
        crate::api::team::sync::publish_event(ws, ctx, &mut store, &receipt.event).await?;
    Ok(receipt)
}

/// The sign-only step of [`approve`]: sign the canonical approval message (version 2: with the
/// chain head it is given on) with the approver's listed key (from the key `sources`:
/// `TOLLGATE_SIGNING_KEY`, ssh-agent; then the OS keychain, see [`Signer::resolve`]; the demo
/// passes none) and append it to the history, nothing pulled or published. Refused unless the
/// approver, key and role qualify and the digest ran in the source environment.
#[tracing::instrument(skip_all, fields(app = %req.app, to = %req.to))]
pub(crate) fn approve_local(
    ws: &Workspace,
    ctx: &Context,
    req: ApproveRequest,
    sources: &Sources,
) -> Result<ApprovalReceipt> {
    let (app, target, source, digest) = resolve(ws, &req.app, &req.to, &req.digest)?;
    if !req.confirm.eq_ignore_ascii_case(digest.short()) {
        return Err(Error::bad_input(format!(
            "the confirmation {} does not match the digest: type its first 12 hex digits ({}) to confirm you mean this exact image",
            req.confirm,
            digest.short()
        )));
    }
    check_note(req.note.as_deref())?;
    let approver_id = match req.approver.clone() {
        Some(id) => id,
        None => default_approver(ctx.secrets.as_ref())?.ok_or_else(|| {
            Error::bad_input("who is approving? this machine has no signing key yet")
                .with_hint(crate::Hint::KeyInit { id: None })
        })?,
    };
    let approver = ws
        .config
        .approvers
        .iter()
        .find(|a| a.id == approver_id)
        .ok_or_else(|| {
            Error::refused(format!(
            "{approver_id} is not an approver in {}: whoever keeps it adds your public key line",
            ws.config_path.display()
        ))
            .with_hint(crate::Hint::HandOverKey {
                id: approver_id.to_string(),
            })
        })?;
    let role = match &req.role {
        Some(r) => r.clone(),
        None => {
            let wanted: Vec<&String> = approver
                .roles
                .iter()
                .filter(|r| target.policy.as_ref().is_some_and(|p| p.roles.contains(r)))
                .collect();
            match (approver.roles.as_slice(), wanted.as_slice()) {
                ([only], _) => only.clone(),
                (_, [only]) => (*only).clone(),
                ([], _) => {
                    return Err(Error::refused(format!(
                        "{approver_id} holds no role in {}",
                        ws.config_path.display()
                    )))
                }
                _ => {
                    return Err(Error::bad_input(format!(
                        "{approver_id} holds several roles ({}): an approval is in one",
                        approver.roles.join(", ")
                    ))
                    .with_hint(crate::Hint::ChooseRole {
                        roles: approver.roles.clone(),
                    }))
                }
            }
        }
    };
    if !approver.roles.contains(&role) {
        return Err(Error::refused(format!(
            "{approver_id} does not hold role '{role}' (roles: {}); approve in a role you hold",
            approver.roles.join(", ")
        )));
    }
    // The key in this machine's keychain must be the one tollgate.toml lists for the approver.
    // The listed key, from TOLLGATE_SIGNING_KEY, ssh-agent or the OS keychain.
    let signer = Signer::resolve(approver, sources, ctx.secrets.as_ref())?;
    let mut store = open::store(ws)?;
    if gate::last_stay(&store, &app.name, &source.name, &digest)?.is_none() {
        return Err(Error::refused(format!(
            "{digest} never ran in {} {}: approve only what ran in the previous environment (its timeline lists them)",
            app.name, source.name
        ))
        .with_hint(Hint::Sync));
    }
    let now = ctx.clock.now();
    // The chain head this approval is given on: signed, so that removing or rewriting the
    // events below it is detected (`tollgate verify`).
    let (head_seq, head) = store.chain_head()?;
    let head = Anchor {
        seq: head_seq,
        hash: head,
    };
    let t = Target {
        app: app.name.clone(),
        digest: digest.clone(),
        from: source.name.clone(),
        to: target.name.clone(),
    };
    let message = ApprovalMessage::new(&t, &approver_id, &role, now, req.note.as_deref(), &head);
    let bytes = message.to_bytes();
    let signature = signer.sign(&bytes)?;
    let verified = signing::verify_approval(&bytes, &signature, approver, now)?;
    let message_text = String::from_utf8(bytes)
        .map_err(|e| Error::internal(format!("approval message is not UTF-8: {e}")))?;
    let event = NewEvent {
        at: now,
        kind: EventKind::Approval,
        app: app.name.clone(),
        env: target.name.clone(),
        digest: Some(digest.clone()),
        actor: Some(approver_id.clone()),
        data: serde_json::json!({
            "from": source.name,
            "to": target.name,
            "role": role,
            "note": req.note.clone().unwrap_or_default(),
            "message": message_text,
            "signature": signature,
            "fingerprint": verified.fingerprint,
            "key_source": signer.source().kind(),
        }),
    };
    let event = store
        .append(vec![event])?
        .pop()
        .ok_or_else(|| Error::internal("append returned no event"))?;
    Ok(ApprovalReceipt {
        event,
        fingerprint: verified.fingerprint,
        message: message_text,
        signature,
        team: None,
    })
}

/// The note is signed and shown in every checklist, export and teammate's history: like a
/// rejection's reason ([`signing::check_reason`]), it must read as what it says, so a line break
/// or another control character is refused.
fn check_note(note: Option<&str>) -> Result<()> {
    if note.is_some_and(|n| n.chars().any(crate::domain::is_control)) {
        return Err(Error::bad_input(
            "the note holds a line break or another control character: say it in one line",
        ));
    }
    Ok(())
}
