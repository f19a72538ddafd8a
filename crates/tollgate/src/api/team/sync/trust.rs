//! Trust: a pulled artifact counts only if it is a Tollgate message about the image it is
//! attached to and the workspace's app, signed by a key tollgate.toml lists for its signer
//! (approvers for approvals; approvers or `[[signers]]` for promotions, rollbacks and records;
//! key rotation rules as for approvals; for rejections and unrejections, an approver holding a
//! role a covered policy names), that this history does not hold already (a replay: the same
//! signed message, by its sha256), signed no later than 5 minutes after now, in a message
//! version this Tollgate reads ([`judge`]).

use chrono::{DateTime, Utc};

use super::import::Found;
use super::TeamSyncReport;
use crate::config::Workspace;
use crate::domain::statement::{message_sha256, signed_ahead};
use crate::domain::{Digest, EventKind};
use crate::policy::rejected::may_say;
use crate::signing::{
    self, ApprovalMessage, CheckMessage, EventMessage, IncidentMessage, MovePlace,
    RejectionMessage, Verdict,
};
use crate::store::Store;
use crate::team::{ArtifactKind, Fetched, SkipReason};
use crate::Result;

/// Why a pulled artifact is not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Skip {
    /// It does not verify against tollgate.toml, or does not say what it is attached to.
    Untrusted(String),
    /// Its signed message is in this history already: a copy re-listed under a new artifact.
    Replayed(String),
    /// A message version this Tollgate does not read yet.
    Newer(String),
    /// Signed more than 5 minutes after the moment it was pulled.
    Ahead(String),
}

impl Skip {
    /// How `team status` files it (`team_untrusted.class`).
    pub(super) fn class(&self) -> &'static str {
        match self {
            Skip::Untrusted(_) => "untrusted",
            Skip::Replayed(_) => "replayed",
            Skip::Newer(_) => "newer",
            Skip::Ahead(_) => "ahead",
        }
    }

    /// Why, in one line (as `team status` keeps it).
    pub(super) fn why(&self) -> String {
        match self {
            Skip::Untrusted(why) | Skip::Ahead(why) => why.clone(),
            Skip::Replayed(why) => format!("replayed: {why}"),
            Skip::Newer(why) => format!("needs a newer Tollgate: {why}"),
        }
    }

    /// How it is remembered so that it is not fetched again while tollgate.toml's identities
    /// stay the same; `None` when a later sync may judge it otherwise (a newer Tollgate reads a
    /// newer version; a message signed ahead comes into its time).
    pub(super) fn remembered_as(&self) -> Option<SkipReason> {
        match self {
            Skip::Untrusted(_) => Some(SkipReason::Untrusted),
            Skip::Replayed(_) => Some(SkipReason::Replayed),
            Skip::Newer(_) | Skip::Ahead(_) => None,
        }
    }

    /// Count it in `report`, remember it for `team status`, and name it in the sync's skipped
    /// lines; the line is returned too.
    pub(super) fn note(
        &self,
        store: &mut Store,
        report: &mut TeamSyncReport,
        found: &Found,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let kind = found.kind.as_str();
        let (artifact, repository) = (&found.artifact, &found.repository);
        store.note_team_skipped(
            artifact,
            repository,
            &found.subject,
            kind,
            self.class(),
            &self.why(),
            now,
        )?;
        let line = match self {
            Skip::Untrusted(why) | Skip::Ahead(why) => {
                report.untrusted += 1;
                format!("untrusted {kind} {artifact} in {repository}: {why}; it is ignored by the policy and explains no tag move")
            }
            Skip::Replayed(why) => {
                report.replayed += 1;
                format!("replayed {kind} {artifact} in {repository}: {why}; it is not imported, counts in no rule and explains no tag move")
            }
            Skip::Newer(why) => {
                report.needs_newer += 1;
                format!("needs a newer Tollgate: {kind} {artifact} in {repository}: {why}")
            }
        };
        report.skipped.push(line.clone());
        Ok(line)
    }
}

/// Whether this history holds the signed message `message` already, other than as the
/// `unplaced` event kept from this very artifact (`artifact`, which may still come to fit):
/// why it is a replay, naming the event that holds it.
pub(super) fn replayed(store: &Store, message: &[u8], artifact: &Digest) -> Result<Option<Skip>> {
    let sha = message_sha256(message);
    let held = store.statement_events(&sha)?;
    let Some(h) = held
        .iter()
        .find(|h| !(h.kind == EventKind::Unplaced && h.artifact.as_ref() == Some(artifact)))
    else {
        return Ok(None);
    };
    let from = match &h.artifact {
        Some(a) => format!(", imported from artifact {a}"),
        None => ", signed on this desktop".to_string(),
    };
    Ok(Some(Skip::Replayed(format!(
        "its signed message (sha256 {}) is already in this history as event {} ({}{from}); a signed statement counts once",
        &sha[..12],
        h.seq,
        h.kind.as_str()
    ))))
}

/// Judge pulled artifact `f`, attached to `subject`, for `app`, at `now`: a message version
/// this Tollgate reads, not a replay of what the history holds, trusted ([`check`]), and not
/// signed more than 5 minutes ahead of `now`.
pub(super) fn judge(
    ws: &Workspace,
    store: &Store,
    app: &str,
    subject: &Digest,
    f: &Fetched,
    now: DateTime<Utc>,
) -> Result<std::result::Result<Verified, Skip>> {
    if let Some(why) = signing::needs_newer(&f.message) {
        return Ok(Err(Skip::Newer(why)));
    }
    if let Some(skip) = replayed(store, &f.message, &f.manifest.digest)? {
        return Ok(Err(skip));
    }
    let verified = match check(ws, app, subject, f, now) {
        Ok(v) => v,
        Err(why) => return Ok(Err(Skip::Untrusted(why))),
    };
    let signed_at = match &verified.what {
        What::Approval(m) => m.signed_at(),
        What::Move(m) => m.signed_at(),
        What::Verdict(m) => m.signed_at(),
        What::Incident(m) => m.signed_at(),
        What::Check(m) => m.signed_at(),
    };
    if let Some(why) = signed_at.ok().and_then(|at| signed_ahead(at, now)) {
        return Ok(Err(Skip::Ahead(why)));
    }
    Ok(Ok(verified))
}

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
    /// An incident open or close.
    Incident(IncidentMessage),
    /// An attestation of a check (whether its signer may attest that check is the `checks`
    /// rule's question, asked with the tollgate.toml in force then).
    Check(CheckMessage),
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
        ArtifactKind::Incident | ArtifactKind::IncidentClose => {
            let m = incident(ws, app, subject, kind, &f.message)?;
            let signer = m.signer.clone();
            (What::Incident(m), signer)
        }
        ArtifactKind::Check => {
            let m = CheckMessage::parse(&f.message).map_err(|e| e.message)?;
            same_statement(
                kind,
                m.kind == signing::CHECK_KIND,
                &m.kind,
                (app, subject),
                (&m.app, &m.digest),
                "attests",
            )?;
            let signer = m.signer.clone();
            (What::Check(m), signer)
        }
    };
    let identity = match &what {
        What::Approval(_) | What::Verdict(_) => {
            ws.config.approvers.iter().find(|x| x.id == signer).cloned()
        }
        What::Move(_) | What::Incident(_) | What::Check(_) => ws.config.identity(&signer),
    }
    .ok_or_else(|| match &what {
        What::Approval(_) | What::Verdict(_) => {
            format!("its signer '{signer}' is not an approver in tollgate.toml")
        }
        What::Move(_) | What::Incident(_) | What::Check(_) => {
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
    // A tag move (version 1) names the environment's tag; a move into a deployment file
    // (version 2) its `[[git]]` name and file.
    let place_ok = match m.place()? {
        MovePlace::Tag(tag) => env.tag() == Some(tag.as_str()),
        MovePlace::Git { git, file, .. } => env
            .git_target()
            .is_some_and(|g| g.git == git && g.file == file),
    };
    if !repository_ok || !place_ok {
        let place = match env.tag() {
            Some(tag) => format!("{repository}:{tag}"),
            None => format!("{repository} in {}", env.place()),
        };
        let moved = match m.place()? {
            MovePlace::Tag(tag) => format!("{}:{tag}", m.repository),
            MovePlace::Git { git, file, .. } => format!("{} in {git}:{file}", m.repository),
        };
        return Err(format!(
            "it moves {moved}, but {app} {} is {place} in tollgate.toml",
            m.env
        ));
    }
    if kind == ArtifactKind::Deployment && m.git_commit().is_some() {
        return Err("a signed deployment into a deployment file is its signed commit, which each desktop reads on its own fetch; a deployment message naming a commit is not imported".into());
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
/// first covered environment (if any) is one of the app's, signed in a role a covered policy
/// names by an approver holding it ([`may_say`]; the `rejected` rule checks it again).
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
    let approver = ws.config.approvers.iter().find(|x| x.id == m.signer);
    may_say(approver, &m.signer, a, m.env.as_deref(), &m.role)?;
    Ok(m)
}

/// An incident open or close message about `app` and `subject`, of the artifact's kind, in an
/// environment of the app (its signer may be any listed identity: checked by the caller).
fn incident(
    ws: &Workspace,
    app: &str,
    subject: &Digest,
    kind: ArtifactKind,
    bytes: &[u8],
) -> Result<IncidentMessage, String> {
    let m = IncidentMessage::parse(bytes).map_err(|e| e.message)?;
    same_statement(
        kind,
        m.is_close() == (kind == ArtifactKind::IncidentClose),
        &m.kind,
        (app, subject),
        (&m.app, &m.digest),
        "is about",
    )?;
    let a = ws.app(app).map_err(|e| e.message)?;
    if !a.environments.iter().any(|e| e.name == m.env) {
        return Err(format!("{app} has no environment '{}'", m.env));
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
