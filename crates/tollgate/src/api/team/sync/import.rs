//! Import: a verified teammate's event appended to this history once (idempotent by artifact
//! digest), like a local one plus `data.imported`, keeping the original signed message and
//! signature. A promotion, rollback or record changes the timeline, so it is appended only
//! where it fits this history's lane ([`fits`]); one that does not is named and kept once as an
//! `unplaced` event ([`keep_unplaced`]), which changes no timeline but lets the conflict rules
//! see it (a fork between this desktop's move and a teammate's is otherwise never detected).

use chrono::{DateTime, Utc};

use super::trust::{replayed, Skip, Verified, What};
use crate::config::Workspace;
use crate::diff::DiffSummary;
use crate::domain::statement::{signed_before_stay, stay_began};
use crate::domain::{Digest, EventKind, NewEvent, Via};
use crate::signing::{approval_id, EventMessage, MovePlace};
use crate::store::{Store, TeamArtifact};
use crate::team::ArtifactKind;
use crate::{Error, Result};

/// Where a pulled artifact was found: its repository, its subject, its manifest's size and
/// digest.
#[derive(Debug, Clone)]
pub(super) struct Found {
    pub repository: String,
    pub subject: Digest,
    pub size: u64,
    pub artifact: Digest,
    pub kind: ArtifactKind,
}

/// Whether a teammate's move fits this history's lane (its app × environment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Fit {
    /// Its previous digest is what this history says runs there: it is the next move (the one
    /// a sync sees as the tag's move, which it then explains).
    Continues,
    /// Its digest is what runs there already, and the lane is not drifting, or drifted to it
    /// from the digest the move names as previous (a late explanation of that drift).
    AlreadyThere,
    /// Neither: why, in words.
    No(String),
}

fn short(d: Option<&Digest>) -> String {
    d.map_or("nothing".to_string(), |d| d.short().to_string())
}

/// Does move `m` fit its lane now? `Continues` is only asked before a sync's observations
/// (`continuing`): afterwards the tag has been read, and a move to another digest would claim
/// what the registry does not show.
pub(super) fn fits(store: &Store, m: &EventMessage, continuing: bool) -> Result<Fit> {
    let head = store.head(&m.app, &m.env)?;
    let previous = m.previous.as_deref().map(Digest::parse).transpose()?;
    if continuing && head.expected == previous {
        // The stay of `previous` it ends: the current one, when it is of that digest.
        let stay = head
            .segment
            .as_ref()
            .filter(|s| Some(&s.digest) == previous.as_ref());
        if let Some(why) = stay
            .map(|s| too_old(store, m, s, None))
            .transpose()?
            .flatten()
        {
            return Ok(Fit::No(why));
        }
        return Ok(Fit::Continues);
    }
    if let Some(s) = &head.segment {
        if s.digest == m.digest {
            if !head.drift {
                return Ok(Fit::AlreadyThere);
            }
            if s.via == Via::Drift {
                let drift = store.event(s.seq)?;
                let expected = drift.data.get("expected").and_then(|v| v.as_str());
                if expected == m.previous.as_deref() && previous.is_some() {
                    // A late explanation of that drift: signed during the stay it ended.
                    let before = store
                        .timeline(&m.app, Some(&m.env))?
                        .into_iter()
                        .rev()
                        .find(|p| p.seq < s.seq);
                    if let Some(why) = before
                        .map(|p| too_old(store, m, &p, Some(s.seq)))
                        .transpose()?
                        .flatten()
                    {
                        return Ok(Fit::No(why));
                    }
                    return Ok(Fit::AlreadyThere);
                }
            }
        }
    }
    Ok(Fit::No(format!(
        "it moves {} {} from {} to {}, but this history has {} there{}",
        m.app,
        m.env,
        short(previous.as_ref()),
        m.digest.short(),
        short(head.expected.as_ref()),
        if head.drift { " (drifted)" } else { "" }
    )))
}

/// Why move `m` cannot end stay `stay` of its lane (which lasted until event `until`, if it
/// ended): it was signed before that stay began (allowing 5 minutes of clock skew), so it was
/// made for an earlier stay of the same digest (a replay of a move rolled back since). The stay
/// began as its newest signed move says (a rollback to a digest that was there before begins its
/// stay anew), else as the signed event that began its segment, at the earlier of its append and
/// signing times; a stay begun by an observation or a drift is not judged (it had begun by then,
/// how long before is unknown).
fn too_old(
    store: &Store,
    m: &EventMessage,
    stay: &crate::domain::Segment,
    until: Option<i64>,
) -> Result<Option<String>> {
    let Ok(signed) = m.signed_at() else {
        return Ok(None);
    };
    let e = match store.last_vouch(&m.app, &m.env, &stay.digest, stay.seq - 1, until)? {
        Some(v) => v,
        None => store.event(stay.seq)?,
    };
    // Only a signed move says when a stay began: an observation (a baseline) or a drift says
    // only that it had begun by then, perhaps while this very move was being pushed.
    let Some(stay_signed) = e
        .data_str("message")
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .and_then(|v| v.get("at").and_then(|a| a.as_str()).map(str::to_string))
        .and_then(|a| crate::domain::parse_time(&a).ok())
    else {
        return Ok(None);
    };
    let began = stay_began(e.at, Some(stay_signed));
    Ok(signed_before_stay(signed, began).then(|| {
        format!(
            "it was signed at {}, before the stay of {} in {} {} began here ({}): a move made for an earlier stay fits no later one (a replay)",
            m.at,
            short(e.digest.as_ref()),
            m.app,
            m.env,
            began.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    }))
}

/// Append verified event `v` found at `found` to this history, and remember its artifact.
/// `diff`: a promotion's or rollback's release diff, kept in its data as a local one's is (not
/// signed: derived here from the registry by digest).
pub(super) fn import(
    ws: &Workspace,
    store: &mut Store,
    found: &Found,
    v: &Verified,
    diff: Option<&DiffSummary>,
    now: DateTime<Utc>,
) -> Result<Option<Skip>> {
    // Another copy of the same statement may have been imported earlier in this sync.
    if let Some(skip) = replayed(store, v.text.as_bytes(), &found.artifact)? {
        return Ok(Some(skip));
    }
    let imported = serde_json::json!({
        "artifact": found.artifact.as_str(),
        "repository": found.repository,
    });
    let event = match &v.what {
        What::Approval(m) => NewEvent {
            at: now,
            kind: EventKind::Approval,
            app: m.app.clone(),
            env: m.to.clone(),
            digest: Some(m.digest.clone()),
            actor: Some(m.approver.clone()),
            data: serde_json::json!({
                "from": m.from,
                "to": m.to,
                "role": m.role,
                "note": m.note,
                "message": v.text,
                "signature": v.signature,
                "fingerprint": v.fingerprint,
                "imported": imported,
            }),
        },
        What::Move(m) => {
            let mut event = move_event(ws, store, m, v, imported, now)?;
            if let Some(d) = diff {
                event.data["diff"] =
                    serde_json::to_value(d).map_err(|e| Error::internal(e.to_string()))?;
            }
            event
        }
        What::Verdict(m) => NewEvent {
            at: now,
            kind: v.kind,
            app: m.app.clone(),
            env: m.env.clone().unwrap_or_default(),
            digest: Some(m.digest.clone()),
            actor: Some(m.signer.clone()),
            data: serde_json::json!({
                "env": m.env,
                "reason": m.reason,
                "role": m.role,
                "message": v.text,
                "signature": v.signature,
                "fingerprint": v.fingerprint,
                "imported": imported,
            }),
        },
        What::Incident(m) => {
            let mut data = match (&m.summary, &m.resolution, &m.closes) {
                (Some(summary), ..) => serde_json::json!({ "id": m.id, "summary": summary }),
                (None, resolution, closes) => serde_json::json!({
                    "id": m.id,
                    "resolution": resolution,
                    "closes": closes,
                }),
            };
            data["message"] = v.text.clone().into();
            data["signature"] = v.signature.clone().into();
            data["fingerprint"] = v.fingerprint.clone().into();
            data["imported"] = imported;
            NewEvent {
                at: now,
                kind: v.kind,
                app: m.app.clone(),
                env: m.env.clone(),
                digest: Some(m.digest.clone()),
                actor: Some(m.signer.clone()),
                data,
            }
        }
        What::Check(m) => NewEvent {
            at: now,
            kind: EventKind::Check,
            app: m.app.clone(),
            env: String::new(),
            digest: Some(m.digest.clone()),
            actor: Some(m.signer.clone()),
            data: serde_json::json!({
                "check": m.check,
                "result": m.result,
                "summary": m.summary,
                "url": m.url,
                "report": m.report,
                "message": v.text,
                "signature": v.signature,
                "fingerprint": v.fingerprint,
                "imported": imported,
            }),
        },
    };
    let event = store
        .append(vec![event])?
        .pop()
        .ok_or_else(|| Error::internal("append returned no event"))?;
    store.put_team_artifact(&TeamArtifact {
        digest: found.artifact.clone(),
        subject: found.subject.clone(),
        repository: found.repository.clone(),
        kind: found.kind.as_str().into(),
        size: found.size,
        shared: true,
        event_seq: Some(event.seq),
        imported: Some(true),
    })?;
    tracing::info!(seq = event.seq, kind = event.kind.as_str(), artifact = %found.artifact, "imported a teammate's event");
    Ok(None)
}

/// The history event of a teammate's promotion, rollback or record: the data a local one has
/// (what it can be known from the signed message), the local chain head it is appended after,
/// the local approvals its message names, and `imported`.
fn move_event(
    ws: &Workspace,
    store: &Store,
    m: &EventMessage,
    v: &Verified,
    imported: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<NewEvent> {
    let data = match v.kind {
        EventKind::Record => {
            let mut data = serde_json::json!({
                "repository": m.repository,
                "image": format!("{}@{}", m.repository, m.digest),
                "message": v.text,
                "signature": v.signature,
                "fingerprint": v.fingerprint,
                "imported": imported,
            });
            if let Some(t) = &m.deployed_at {
                data["deployed_at"] = t.clone().into();
            }
            data
        }
        _ => {
            let app = ws.app(&m.app)?;
            let from = match &m.from {
                Some(f) => f.clone(),
                // A rollback passes the gate of a promotion from the previous environment (or
                // from itself when it is the first).
                None => ws
                    .previous_env(app, &m.env)
                    .map_or_else(|| m.env.clone(), |e| e.name.clone()),
            };
            let mut approvals = Vec::new();
            if !m.approvals.is_empty() {
                for e in store.approval_events(&m.app, &m.env, &m.digest)? {
                    let id = e.data_str("message").map(|s| approval_id(s.as_bytes()));
                    if id.is_some_and(|id| m.approvals.contains(&id)) {
                        approvals.push(e.seq);
                    }
                }
            }
            let (head_seq, head) = store.chain_head()?;
            let mut data = serde_json::json!({
                "from": from,
                "to": m.env,
                "repository": m.repository,
                "tag": m.tag,
                "previous": m.previous,
                "approvals": approvals,
                "recovered": false,
                "head": head,
                "head_seq": head_seq,
                "message": v.text,
                "signature": v.signature,
                "fingerprint": v.fingerprint,
                "imported": imported,
            });
            // A move into a deployment file (version 2): the data of a local one, so that this
            // desktop's sync finds its commit explained (`Store::move_of_commit`).
            if let (MovePlace::Git { git, file, commit }, Some(map)) =
                (m.place().map_err(Error::internal)?, data.as_object_mut())
            {
                map.remove("tag");
                let target = ws.env(app, &m.env)?.git_target();
                map.insert("git".into(), git.clone().into());
                map.insert("file".into(), file.into());
                map.insert("branch".into(), ws.git(&git)?.branch.clone().into());
                if let Some(image) = target.and_then(|t| t.image.clone()) {
                    map.insert("image".into(), image.into());
                }
                map.insert("commit".into(), commit.into());
            }
            // An emergency rollback (version 3) says so, as a local one does.
            if let Some(reason) = m.emergency_reason() {
                data["emergency"] = true.into();
                data["reason"] = reason.into();
            }
            data
        }
    };
    Ok(NewEvent {
        at: now,
        kind: v.kind,
        app: m.app.clone(),
        env: m.env.clone(),
        digest: Some(m.digest.clone()),
        actor: Some(m.signer.clone()),
        data,
    })
}

/// Keep verified move `v` found at `found`, which fits nowhere in this history (`why`: the line
/// [`fits`] gave), as an `unplaced` event: its signed message and signature, what it moved
/// (`moved`: promotion, rollback or record) and from what (`previous`), signer as actor. Once
/// per artifact: `None` when it is kept already. No `team_artifacts` row is written (its
/// `event_seq` stays unknown), so a later sync fetches it again and imports it normally if it
/// comes to fit; the conflict rules then count the two as one move (same signed message).
pub(super) fn keep_unplaced(
    store: &mut Store,
    found: &Found,
    v: &Verified,
    why: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let What::Move(m) = &v.what else {
        return Err(Error::internal("only a move can be unplaced"));
    };
    if store.unplaced_event(&found.artifact)?.is_some()
        || replayed(store, v.text.as_bytes(), &found.artifact)?.is_some()
    {
        return Ok(None);
    }
    let event = NewEvent {
        at: now,
        kind: EventKind::Unplaced,
        app: m.app.clone(),
        env: m.env.clone(),
        digest: Some(m.digest.clone()),
        actor: Some(m.signer.clone()),
        data: serde_json::json!({
            "moved": v.kind.as_str(),
            "previous": m.previous,
            "why": why,
            "message": v.text,
            "signature": v.signature,
            "fingerprint": v.fingerprint,
            "imported": {
                "artifact": found.artifact.as_str(),
                "repository": found.repository,
            },
        }),
    };
    let event = store
        .append(vec![event])?
        .pop()
        .ok_or_else(|| Error::internal("append returned no event"))?;
    tracing::info!(seq = event.seq, moved = v.kind.as_str(), artifact = %found.artifact, "kept a teammate's move this history does not place");
    Ok(Some(event.seq))
}
