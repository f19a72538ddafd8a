//! Incidents: a signed "this digest has an incident in ENV" (`incident open`) and the signed
//! close that ends it (`incident close`). Both are chained events whose signed message is an
//! [`IncidentMessage`]; the gate's `incidents` rule and the incident-free `min_soak` read them
//! ([`crate::policy::incidents`]).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::actor::{resolve_actor, signer_for};
use crate::api::{open, Context};
use crate::config::{AppConfig, Workspace};
use crate::domain::statement::message_sha256;
use crate::domain::{Digest, Event, EventKind, IncidentMark, NewEvent};
use crate::policy::incidents;
use crate::policy::{Incident, RuleResult};
use crate::report::crosscheck::incident_statement;
use crate::signing::{
    self, check_incident_id, check_incident_text, Anchor, IncidentMessage, IncidentSays,
    Incidenting,
};
use crate::store::Store;
use crate::{Error, Hint, Result};

/// `tollgate incident open`: an incident on one digest running in one environment.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct IncidentOpenRequest {
    pub app: String,
    pub env: String,
    pub digest: String,
    /// The team's incident id (`INC-42`): one word, at most 64 characters.
    pub id: String,
    /// What is wrong, in one line (at most 500 characters).
    pub summary: String,
    /// Who signs (`--actor`); default as for `record`: `$TOLLGATE_ACTOR`, the listed identity
    /// whose key is in `TOLLGATE_SIGNING_KEY` or ssh-agent, this machine's signing identity.
    #[serde(skip)]
    pub actor: Option<String>,
}

/// `tollgate incident close`: the end of the open incident `id` of `app` (its environment and
/// digest are the open incident's).
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct IncidentCloseRequest {
    pub app: String,
    pub id: String,
    /// How it was resolved, in one line (at most 500 characters).
    pub resolution: String,
    /// Who signs, as for [`IncidentOpenRequest::actor`].
    #[serde(skip)]
    pub actor: Option<String>,
}

/// What was signed and appended.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct IncidentReceipt {
    pub event: Event,
    /// The open or close as the views show it.
    pub incident: Incident,
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

/// Sign that `digest` of `app` has incident `id` in `env`, append it, and publish it to the
/// team's registry. Refused unless the digest ran in `env`, no incident `id` of the app is
/// open already, and the signer (resolved like `record`'s actor) is an approver or
/// `[[signers]]` identity whose listed key is at hand. The teammates' events on the digest are
/// pulled first when the registry answers (an incident is never refused for an unreachable
/// registry: it only makes the gate stricter).
#[tracing::instrument(skip_all, fields(app = %req.app, env = %req.env, id = %req.id))]
pub async fn incident_open(
    ws: &Workspace,
    ctx: &Context,
    req: IncidentOpenRequest,
) -> Result<IncidentReceipt> {
    if let (Ok(app), Ok(digest)) = (ws.app(&req.app), Digest::parse(&req.digest)) {
        pull_quietly(ws, ctx, &app.name, &digest, "incident open").await?;
    }
    let app = ws.app(&req.app)?;
    let env = ws.env(app, &req.env)?.name.clone();
    let digest = Digest::parse(&req.digest)?;
    let id = check_incident_id(&req.id)?.to_string();
    let summary = check_incident_text(&req.summary, "the summary")?.to_string();
    let store = open::store(ws)?;
    let ran = store
        .timeline(&app.name, Some(&env))?
        .iter()
        .any(|s| s.digest == digest);
    if !ran {
        return Err(Error::refused(format!(
            "{digest} never ran in {} {env}: open an incident on a digest the history shows there (its timeline lists them; a teammate's moves arrive with a sync)",
            app.name
        ))
        .with_hint(Hint::Sync));
    }
    let list = incidents_of(ws, &store, app, None)?;
    if let Some(i) = list
        .iter()
        .find(|i| i.open && i.id.eq_ignore_ascii_case(&id))
    {
        return Err(Error::refused(format!(
            "incident {} of {} is open already, on {} in {} since {} (opened by {}): close it first, or give the new one its own id",
            i.id,
            app.name,
            i.digest.short(),
            i.env,
            secs(i.at),
            i.by
        )));
    }
    drop(store);
    let says = IncidentSays::Open { summary: &summary };
    let receipt = sign(ws, ctx, app, &env, &digest, &id, says, req.actor.as_deref())?;
    publish(ws, ctx, receipt).await
}

/// Sign the close of the open incident `id` of `app` (in the environment and on the digest
/// it was opened on), naming the sha256 of its open message, append it, and publish it. The
/// teammates' events on that digest are pulled first when the registry answers. Refused when
/// no incident `id` of the app is open.
#[tracing::instrument(skip_all, fields(app = %req.app, id = %req.id))]
pub async fn incident_close(
    ws: &Workspace,
    ctx: &Context,
    req: IncidentCloseRequest,
) -> Result<IncidentReceipt> {
    let app = ws.app(&req.app)?;
    let id = check_incident_id(&req.id)?.to_string();
    let resolution = check_incident_text(&req.resolution, "the resolution")?.to_string();
    let known = {
        let store = open::store(ws)?;
        incidents_of(ws, &store, app, None)?
            .into_iter()
            .filter(|i| i.kind == EventKind::Incident && i.id.eq_ignore_ascii_case(&id))
            .map(|i| i.digest)
            .collect::<Vec<_>>()
    };
    for digest in known.iter().collect::<std::collections::BTreeSet<_>>() {
        pull_quietly(ws, ctx, &app.name, digest, "incident close").await?;
    }
    let store = open::store(ws)?;
    let list = incidents_of(ws, &store, app, None)?;
    let open: Vec<&Incident> = list
        .iter()
        .filter(|i| i.open && i.id.eq_ignore_ascii_case(&id))
        .collect();
    let target = match open.as_slice() {
        [one] => (*one).clone(),
        [] => {
            return Err(Error::refused(format!(
                "no incident {id} of {} is open{}: the status of {} lists the open ones (a teammate's incidents arrive with a sync)",
                app.name,
                if known.is_empty() {
                    String::new()
                } else {
                    " (it was closed already)".to_string()
                },
                app.name
            )))
        }
        several => {
            let where_: Vec<String> = several
                .iter()
                .map(|i| format!("{} in {}", i.digest.short(), i.env))
                .collect();
            return Err(Error::refused(format!(
                "{} incidents {id} of {} are open ({}): this history holds several with that id, which a close cannot tell apart",
                several.len(),
                app.name,
                where_.join(", ")
            )));
        }
    };
    drop(store);
    let says = IncidentSays::Close {
        resolution: &resolution,
        closes: &target.sha256,
    };
    let receipt = sign(
        ws,
        ctx,
        app,
        &target.env,
        &target.digest,
        &target.id,
        says,
        req.actor.as_deref(),
    )?;
    publish(ws, ctx, receipt).await
}

/// Every incident open and close of `app` (or of one digest), oldest first, each verified and
/// marked open, closed or counting for nothing: for the views.
#[tracing::instrument(skip(ws), fields(workspace = %ws.config.workspace.name))]
pub fn incidents(ws: &Workspace, app: &str, digest: Option<&str>) -> Result<Vec<Incident>> {
    let a = ws.app(app)?;
    let digest = digest.map(Digest::parse).transpose()?;
    let store = open::store(ws)?;
    incidents_of(ws, &store, a, digest.as_ref())
}

/// Pull the team's events on `digest` before acting; a registry that does not answer is
/// logged, not a refusal.
async fn pull_quietly(
    ws: &Workspace,
    ctx: &Context,
    app: &str,
    digest: &Digest,
    verb: &str,
) -> Result<()> {
    let mut store = open::store(ws)?;
    if let Err(e) =
        crate::api::team::sync::pull_digest(ws, ctx, &mut store, app, digest, verb).await
    {
        tracing::warn!(error = %e.message, "the team's events were not pulled; going on with this history");
    }
    Ok(())
}

async fn publish(
    ws: &Workspace,
    ctx: &Context,
    mut receipt: IncidentReceipt,
) -> Result<IncidentReceipt> {
    let mut store = open::store(ws)?;
    receipt.team =
        crate::api::team::sync::publish_event(ws, ctx, &mut store, &receipt.event).await?;
    Ok(receipt)
}

/// The sign-only step of [`incident_open`] and [`incident_close`]: signed by the actor's listed
/// key and appended, nothing pulled or published.
#[allow(clippy::too_many_arguments)]
fn sign(
    ws: &Workspace,
    ctx: &Context,
    app: &AppConfig,
    env: &str,
    digest: &Digest,
    id: &str,
    says: IncidentSays,
    actor: Option<&str>,
) -> Result<IncidentReceipt> {
    let actor = resolve_actor(ws, ctx, actor)?;
    let signer = signer_for(ws, ctx, &actor)?;
    let identity = ws
        .config
        .identity(signer.id())
        .ok_or_else(|| Error::internal("the signer is not listed"))?;
    let mut store = open::store(ws)?;
    let now = ctx.clock.now();
    let (head_seq, head) = store.chain_head()?;
    let message = IncidentMessage::new(
        &Incidenting {
            app: &app.name,
            env,
            digest,
            id,
            signer: signer.id(),
            says,
        },
        now,
        &Anchor {
            seq: head_seq,
            hash: head,
        },
    );
    let bytes = message.to_bytes();
    let signature = signer.sign(&bytes)?;
    let verified = signing::verify_approval(&bytes, &signature, &identity, now)?;
    let text = String::from_utf8(bytes)
        .map_err(|e| Error::internal(format!("incident message is not UTF-8: {e}")))?;
    let (kind, mut data) = match says {
        IncidentSays::Open { summary } => (
            EventKind::Incident,
            serde_json::json!({ "id": id, "summary": summary }),
        ),
        IncidentSays::Close { resolution, closes } => (
            EventKind::IncidentClose,
            serde_json::json!({ "id": id, "resolution": resolution, "closes": closes }),
        ),
    };
    data["message"] = text.clone().into();
    data["signature"] = signature.clone().into();
    data["fingerprint"] = verified.fingerprint.clone().into();
    data["key_source"] = signer.source().kind().into();
    let event = store
        .append(vec![NewEvent {
            at: now,
            kind,
            app: app.name.clone(),
            env: env.to_string(),
            digest: Some(digest.clone()),
            actor: Some(signer.id().to_string()),
            data,
        }])?
        .pop()
        .ok_or_else(|| Error::internal("append returned no event"))?;
    let incident = incidents_of(ws, &store, app, Some(digest))?
        .into_iter()
        .find(|i| i.seq == event.seq)
        .ok_or_else(|| Error::internal("the incident just appended is not in the history"))?;
    Ok(IncidentReceipt {
        event,
        incident,
        fingerprint: verified.fingerprint,
        message: text,
        signature,
        team: None,
    })
}

/// The incident opens and closes of `app` (of `digest`, or of all its digests), each with its
/// signature verified against the keys tollgate.toml lists for its signer (an approver or a
/// `[[signers]]` identity; key rotation rules apply, judged at its append time) and settled
/// ([`incidents::settle`]).
pub(crate) fn incidents_of(
    ws: &Workspace,
    store: &Store,
    app: &AppConfig,
    digest: Option<&Digest>,
) -> Result<Vec<Incident>> {
    let mut out = Vec::new();
    for e in store.incident_events(&app.name, digest)? {
        let Some(d) = e.digest.clone() else { continue };
        let by = e.actor.clone().unwrap_or_default();
        let appended = store.approval_appended_at(&e)?;
        let (mut signed_at, mut sha256) = (e.at, String::new());
        let check = match incident_statement(&e) {
            Ok(Some((m, message, signature))) => {
                signed_at = m.signed_at().unwrap_or(e.at);
                sha256 = message_sha256(message.as_bytes());
                match ws.config.identity(&by) {
                    None => Err(format!(
                        "{by} is not an approver or signer in tollgate.toml"
                    )),
                    Some(identity) => signing::verify_approval(
                        message.as_bytes(),
                        &signature,
                        &identity,
                        appended,
                    )
                    .map(|_| ())
                    .map_err(|err| err.message),
                }
            }
            Ok(None) => Err("not an incident".to_string()),
            Err(why) => Err(why),
        };
        let text = |k: &str| e.data_str(k).unwrap_or_default().to_string();
        out.push(Incident {
            seq: e.seq,
            kind: e.kind,
            app: e.app.clone(),
            env: e.env.clone(),
            digest: d,
            id: text("id"),
            text: match e.kind {
                EventKind::IncidentClose => text("resolution"),
                _ => text("summary"),
            },
            by,
            at: appended,
            signed_at,
            sha256,
            closes: e.data_str("closes").map(str::to_string),
            fingerprint: text("fingerprint"),
            verified: check.is_ok(),
            problem: check.err(),
            open: false,
            paired: None,
        });
    }
    incidents::settle(&mut out);
    Ok(out)
}

/// The `incidents` rule of promoting `digest` out of `from`, and the close that restarted its
/// soak there (when one was appended since `entered`, the current stay's start).
/// `list`: the digest's incidents ([`incidents_of`]).
pub(crate) fn gate_facts(
    list: &[Incident],
    app: &AppConfig,
    from: &str,
    digest: &Digest,
    entered: Option<chrono::DateTime<chrono::Utc>>,
) -> (Option<RuleResult>, Option<Incident>) {
    let rule = incidents::rule(list, &app.name, from, digest);
    let reset = entered
        .and_then(|t| incidents::soak_reset(list, from, digest, t))
        .cloned();
    (rule, reset)
}

fn secs(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `list`'s opens on `digest` in `env` that `keep` accepts, as the status and timeline rows
/// show them (with their close, when one closed them).
pub(crate) fn marks(
    list: &[Incident],
    env: &str,
    digest: &Digest,
    keep: impl Fn(&Incident) -> bool,
) -> Vec<IncidentMark> {
    list.iter()
        .filter(|i| {
            i.kind == EventKind::Incident
                && i.verified
                && i.env == env
                && &i.digest == digest
                && keep(i)
        })
        .map(|i| {
            let close = i.paired.and_then(|seq| list.iter().find(|c| c.seq == seq));
            IncidentMark {
                id: i.id.clone(),
                summary: i.text.clone(),
                by: i.by.clone(),
                opened_at: i.at,
                closed_at: close.map(|c| c.at),
                resolution: close.map(|c| c.text.clone()),
            }
        })
        .collect()
}

/// Fill each segment's `incidents`: the opens on its digest in its environment appended
/// during the stay.
pub(crate) fn mark_segments(
    ws: &Workspace,
    store: &Store,
    app: &AppConfig,
    segments: &mut [crate::domain::Segment],
) -> Result<()> {
    let list = incidents_of(ws, store, app, None)?;
    if list.is_empty() {
        return Ok(());
    }
    for s in segments.iter_mut() {
        s.incidents = marks(&list, &s.env, &s.digest, |i| s.during(i.at));
    }
    Ok(())
}
