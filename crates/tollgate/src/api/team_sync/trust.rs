//! Trust: a pulled artifact counts only if it is a Tollgate message about the image it is
//! attached to and the workspace's app, signed by a key tollgate.toml lists for its signer
//! (approvers for approvals; approvers or `[[signers]]` for promotions, rollbacks and records;
//! key rotation rules as for approvals).

use chrono::{DateTime, Utc};

use crate::config::Workspace;
use crate::domain::{Digest, EventKind};
use crate::signing::{self, ApprovalMessage, EventMessage, RejectionMessage, Verdict};
use crate::team::{ArtifactKind, Fetched};

/// A pulled event that verified.
pub(super) struct Verified {
    pub kind: EventKind,
    /// The exact signed bytes, as text.
    pub text: String,
    pub signature: String,
    /// `SHA256:…` of the key that signed.
    pub fingerprint: String,
    pub what: What,
}

/// What a verified event says.
pub(super) enum What {
    Approval(ApprovalMessage),
    /// A promotion, rollback or deployment record.
    Move(EventMessage),
    /// A rejection or the unrejection that lifts one.
    Verdict(RejectionMessage),
}

/// Check `f`, attached to `subject`, for `app`. `Err` says why not, in one line.
pub(super) fn check(
    ws: &Workspace,
    app: &str,
    subject: &Digest,
    f: &Fetched,
    appended_at: DateTime<Utc>,
) -> Result<Verified, String> {
    let kind = f.manifest.kind;
    let event_kind = super::event_kind(kind)
        .ok_or_else(|| format!("this Tollgate does not import {} artifacts", kind.as_str()))?;
    let text = String::from_utf8(f.message.clone()).map_err(|e| e.to_string())?;
    let (what, signer) = match kind {
        ArtifactKind::Approval => {
            let m = approval(ws, app, subject, &f.message)?;
            let signer = m.approver.clone();
            (What::Approval(m), signer)
        }
        ArtifactKind::Promotion | ArtifactKind::Rollback | ArtifactKind::Deployment => {
            let m = event_move(ws, app, subject, kind, &f.message)?;
            let signer = m.signer.clone();
            (What::Move(m), signer)
        }
        ArtifactKind::Rejection | ArtifactKind::Unrejection => {
            let m = verdict(ws, app, subject, kind, &f.message)?;
            let signer = m.signer.clone();
            (What::Verdict(m), signer)
        }
    };
    let identity = match &what {
        What::Approval(_) | What::Verdict(_) => {
            ws.config.approvers.iter().find(|x| x.id == signer).cloned()
        }
        What::Move(_) => ws.config.identity(&signer),
    }
    .ok_or_else(|| match &what {
        What::Approval(_) | What::Verdict(_) => {
            format!("its signer '{signer}' is not an approver in tollgate.toml")
        }
        What::Move(_) => {
            format!("its signer '{signer}' is not an approver or signer in tollgate.toml")
        }
    })?;
    let verified = signing::verify_approval(&f.message, &f.signature, &identity, appended_at)
        .map_err(|e| e.message)?;
    Ok(Verified {
        kind: event_kind,
        text,
        signature: f.signature.clone(),
        fingerprint: verified.fingerprint,
        what,
    })
}

/// An approval message about `app` and `subject`, for a step of the app.
fn approval(
    ws: &Workspace,
    app: &str,
    subject: &Digest,
    bytes: &[u8],
) -> Result<ApprovalMessage, String> {
    let message = ApprovalMessage::parse(bytes).map_err(|e| e.message)?;
    if message.app != app {
        return Err(format!("it approves app '{}', not '{app}'", message.app));
    }
    if &message.digest != subject {
        return Err(format!(
            "it approves {}, not the image it is attached to ({subject})",
            message.digest
        ));
    }
    let a = ws.app(app).map_err(|e| e.message)?;
    let envs: Vec<&str> = a.environments.iter().map(|e| e.name.as_str()).collect();
    let step_ok = envs
        .windows(2)
        .any(|w| w[0] == message.from && w[1] == message.to);
    if !step_ok {
        return Err(format!(
            "it approves a move from '{}' to '{}', which is not a step of {app}",
            message.from, message.to
        ));
    }
    Ok(message)
}

/// A promotion, rollback or record message about `app` and `subject` whose environment,
/// repository, tag and source are the workspace's.
fn event_move(
    ws: &Workspace,
    app: &str,
    subject: &Digest,
    kind: ArtifactKind,
    bytes: &[u8],
) -> Result<EventMessage, String> {
    let m = EventMessage::parse(bytes).map_err(|e| e.message)?;
    let expected = match kind {
        ArtifactKind::Promotion => signing::PROMOTION_KIND,
        ArtifactKind::Rollback => signing::ROLLBACK_KIND,
        _ => signing::DEPLOYMENT_KIND,
    };
    same_statement(
        kind,
        m.kind == expected,
        &m.kind,
        (app, subject),
        (&m.app, &m.digest),
        "moves",
    )?;
    let a = ws.app(app).map_err(|e| e.message)?;
    let env = a
        .environments
        .iter()
        .find(|e| e.name == m.env)
        .ok_or_else(|| format!("{app} has no environment '{}'", m.env))?;
    let repository = ws.env_repository(a, env);
    // A record names the repository its image was deployed from: any of the app's.
    let repository_ok = match kind {
        ArtifactKind::Deployment => a
            .environments
            .iter()
            .any(|e| ws.env_repository(a, e) == m.repository),
        _ => m.repository == repository,
    };
    if !repository_ok || m.tag != env.tag {
        return Err(format!(
            "it moves {}:{}, but {app} {} is {repository}:{} in tollgate.toml",
            m.repository, m.tag, m.env, env.tag
        ));
    }
    let from = ws.previous_env(a, &m.env).map(|e| e.name.clone());
    match kind {
        ArtifactKind::Promotion if m.from.is_none() || m.from != from => {
            return Err(format!(
                "it promotes from {:?} into {}, which is not a step of {app}",
                m.from, m.env
            ))
        }
        ArtifactKind::Rollback | ArtifactKind::Deployment if m.from.is_some() => {
            return Err(format!("a {} names no source environment", kind.as_str()))
        }
        _ => {}
    }
    if let Some(p) = &m.previous {
        Digest::parse(p)
            .map_err(|_| format!("its previous digest {p:?} is not a sha256 digest"))?;
    }
    Ok(m)
}

/// A rejection or unrejection message about `app` and `subject`, of the artifact's kind, whose
/// first covered environment (if any) is one of the app's. Whether its signer's role may say
/// no there is the `rejected` rule's business (it verifies every rejection it reads).
fn verdict(
    ws: &Workspace,
    app: &str,
    subject: &Digest,
    kind: ArtifactKind,
    bytes: &[u8],
) -> Result<RejectionMessage, String> {
    let m = RejectionMessage::parse(bytes).map_err(|e| e.message)?;
    let expected = match kind {
        ArtifactKind::Rejection => Verdict::Reject,
        _ => Verdict::Unreject,
    };
    same_statement(
        kind,
        m.verdict() == Some(expected),
        &m.kind,
        (app, subject),
        (&m.app, &m.digest),
        "is about",
    )?;
    let a = ws.app(app).map_err(|e| e.message)?;
    if let Some(env) = &m.env {
        if !a.environments.iter().any(|e| &e.name == env) {
            return Err(format!("{app} has no environment '{env}'"));
        }
    }
    Ok(m)
}

/// The checks every pulled move and verdict share: its signed kind is the artifact's
/// (`kind_ok`, the message saying `signed_kind`), and it is about the app and image (`expected`:
/// app, subject) it was asked for and is attached to (`stated`); `verb` says what it does to
/// the digest in the line ("moves", "is about").
fn same_statement(
    kind: ArtifactKind,
    kind_ok: bool,
    signed_kind: &str,
    (app, subject): (&str, &Digest),
    (stated_app, stated_digest): (&str, &Digest),
    verb: &str,
) -> Result<(), String> {
    if !kind_ok {
        return Err(format!(
            "its artifactType says {}, but its signed message is a {signed_kind}",
            kind.as_str()
        ));
    }
    if stated_app != app {
        return Err(format!("it is about app '{stated_app}', not '{app}'"));
    }
    if stated_digest != subject {
        return Err(format!(
            "it {verb} {stated_digest}, not the image it is attached to ({subject})"
        ));
    }
    Ok(())
}
