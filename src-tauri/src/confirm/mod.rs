//! A click the page cannot fake. Every command that signs (approve, reject, unreject, promote,
//! rollback) first opens a native confirmation from here, the way key rotation does: it shows
//! the app, the environment, the full digest and the identity that will sign, and nothing is
//! signed unless the person presses its button. A script in the page can send the request; it
//! cannot press a button in a window of the operating system.
//!
//! What the dialog shows is built by the functions below from the request and the workspace
//! (escaped: names come from tollgate.toml, notes and reasons from the page), so the tests check
//! it without a window, with the scripted [`Dialogs`] of `dialogs::scripted`.

use tollgate::api::{
    ApprovalReceipt, ApproveRequest, AttestReceipt, AttestRequest, Context, DemoSignerPlan,
    IncidentCloseRequest, IncidentOpenRequest, IncidentReceipt, PromoteRequest, RecordReceipt,
    RecordRequest, RejectRequest, RejectionReceipt, RollbackRequest,
};
use tollgate::config::Workspace;
use tollgate::domain::{escape_controls, Digest};
use tollgate::signing::Verdict;
use tollgate::Result;

use crate::dialogs::Dialogs;
use crate::requests::RecordRunningRequest;

/// The kinds of signing a confirmation is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Approve,
    Reject,
    Unreject,
    Promote,
    Rollback,
    IncidentOpen,
    IncidentClose,
    Attest,
    Record,
}

impl Action {
    /// The dialog's window title.
    pub fn title(self) -> &'static str {
        match self {
            Action::Approve => "Sign the approval",
            Action::Reject => "Sign the rejection",
            Action::Unreject => "Sign the unrejection",
            Action::Promote => "Sign the promotion",
            Action::Rollback => "Sign the rollback",
            Action::IncidentOpen => "Sign the incident",
            Action::IncidentClose => "Sign the incident's close",
            Action::Attest => "Sign the attestation",
            Action::Record => "Sign the record",
        }
    }

    /// The confirming button.
    pub fn ok(self) -> &'static str {
        match self {
            Action::Approve => "Sign approval",
            Action::Reject => "Sign rejection",
            Action::Unreject => "Sign unrejection",
            Action::Promote => "Sign and promote",
            Action::Rollback => "Sign and roll back",
            Action::IncidentOpen => "Sign incident",
            Action::IncidentClose => "Sign close",
            Action::Attest => "Sign attestation",
            Action::Record => "Sign record",
        }
    }

    fn question(self) -> &'static str {
        match self {
            Action::Approve => "Approve this image?",
            Action::Reject => "Reject this image?",
            Action::Unreject => "Lift the rejection of this image?",
            Action::Promote => "Promote this image?",
            Action::Rollback => "Roll back to this image?",
            Action::IncidentOpen => "Open an incident on this image?",
            Action::IncidentClose => "Close the incident on this image?",
            Action::Attest => "Attest this check for this image?",
            Action::Record => "Record this image as right where it runs?",
        }
    }
}

/// What is about to be signed, as the confirmation shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signing {
    pub action: Action,
    pub app: String,
    /// `staging → production`, `production`, or `every environment`.
    pub env: String,
    pub digest: Digest,
    /// Who signs: the identity, with its key's fingerprint when this machine holds it.
    pub identity: String,
    /// The note of an approval, the reason of a verdict.
    pub text: Option<(&'static str, String)>,
}

impl Signing {
    /// The dialog's text, every value on its own line, control characters escaped.
    pub fn message(&self) -> String {
        let e = |s: &str| escape_controls(s).into_owned();
        let mut m = format!(
            "{}\n\nApp: {}\nEnvironment: {}\nDigest: {}\nSigned by: {}",
            self.action.question(),
            e(&self.app),
            e(&self.env),
            self.digest,
            e(&self.identity)
        );
        if let Some((label, text)) = &self.text {
            m.push_str(&format!("\n{label}: {}", e(text)));
        }
        m.push_str(&format!(
            "\n\nNothing is signed unless you press \u{201c}{}\u{201d}.",
            self.action.ok()
        ));
        m
    }
}

/// Ask the person; `true` only when they pressed the confirming button. Blocks until the
/// dialog closes: call it off the async runtime.
pub fn confirmed(dialogs: &dyn Dialogs, signing: &Signing) -> bool {
    let yes = dialogs.confirm(
        signing.action.title(),
        &signing.message(),
        signing.action.ok(),
    );
    if !yes {
        tracing::info!(
            app = %signing.app,
            env = %signing.env,
            digest = %signing.digest,
            "{} cancelled in the confirmation dialog: nothing signed",
            signing.action.title()
        );
    }
    yes
}

/// `approve` (signed and shared), only after the person said yes in the native confirmation; `None`
/// and nothing signed when they did not. Blocks on the dialog: run it off the async runtime.
pub async fn approve_if_confirmed(
    dialogs: &dyn Dialogs,
    ws: &Workspace,
    ctx: &Context,
    req: ApproveRequest,
) -> Result<Option<ApprovalReceipt>> {
    let req = ApproveRequest {
        approver: None,
        ..req
    };
    if !confirmed(dialogs, &for_approve(ws, ctx, &req)?) {
        return Ok(None);
    }
    tollgate::api::approve(ws, ctx, req).await.map(Some)
}

/// `reject` / `unreject` (signed and shared), only after the person said yes in the native
/// confirmation, as [`approve_if_confirmed`].
pub async fn verdict_if_confirmed(
    dialogs: &dyn Dialogs,
    ws: &Workspace,
    ctx: &Context,
    req: RejectRequest,
    verdict: Verdict,
) -> Result<Option<RejectionReceipt>> {
    let req = RejectRequest {
        approver: None,
        ..req
    };
    if !confirmed(dialogs, &for_verdict(ws, ctx, &req, verdict)?) {
        return Ok(None);
    }
    match verdict {
        Verdict::Reject => tollgate::api::reject(ws, ctx, req).await,
        Verdict::Unreject => tollgate::api::unreject(ws, ctx, req).await,
    }
    .map(Some)
}

/// `attest` (signed and shared) as `actor` (resolved by the core, never named by the page),
/// only after the person said yes in the native confirmation, as [`approve_if_confirmed`]. The
/// page never names a file to upload (`file` is ignored): with `attach_report`, the person
/// chooses the report in a native open dialog first (cancelling it signs nothing), and the
/// confirmation names it.
pub async fn attest_if_confirmed(
    dialogs: &dyn Dialogs,
    ws: &Workspace,
    ctx: &Context,
    req: AttestRequest,
    attach_report: bool,
    actor: String,
) -> Result<Option<AttestReceipt>> {
    let file = match attach_report {
        false => None,
        true => match dialogs.open_file("Choose the report to attach", "Report", "") {
            Some(path) => Some(path),
            None => return Ok(None),
        },
    };
    let req = AttestRequest {
        file,
        actor: Some(actor),
        ..req
    };
    if !confirmed(dialogs, &for_attest(ws, &req)?) {
        return Ok(None);
    }
    tollgate::api::attest(ws, ctx, req).await.map(Some)
}

/// The confirmation of `attest`: the check and its result in place of an environment, the
/// summary as its text.
pub fn for_attest(ws: &Workspace, req: &AttestRequest) -> Result<Signing> {
    let app = ws.app(&req.app)?;
    // The report the person chose, named with its size (what the registry will hold).
    let report = req
        .file
        .as_ref()
        .map(|f| {
            let name = f.file_name().map_or_else(
                || f.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            match std::fs::metadata(f) {
                Ok(m) => format!(
                    ", with the report {name} ({} bytes) attached to the image",
                    m.len()
                ),
                Err(_) => format!(", with the report {name} attached to the image"),
            }
        })
        .unwrap_or_default();
    Ok(Signing {
        action: Action::Attest,
        app: app.name.clone(),
        env: format!(
            "check {}: {}{report}",
            req.check.trim(),
            req.result.as_str()
        ),
        digest: Digest::parse(&req.digest)?,
        identity: req.actor.clone().unwrap_or_default(),
        text: Some(("Summary", req.summary.trim().to_string())),
    })
}

/// `record` of what runs in an environment now (the drift fix "This is right: record it"),
/// signed as `actor` (resolved by the core, never named by the page), only after the person
/// said yes in the native confirmation, as [`approve_if_confirmed`]. The image is the
/// environment's repository at `req.digest`, built here from tollgate.toml.
pub async fn record_if_confirmed(
    dialogs: &dyn Dialogs,
    ws: &Workspace,
    ctx: &Context,
    req: RecordRunningRequest,
    actor: String,
) -> Result<Option<RecordReceipt>> {
    let app = ws.app(&req.app)?;
    let env = ws.env(app, &req.env)?;
    let digest = Digest::parse(&req.digest)?;
    let signing = Signing {
        action: Action::Record,
        app: app.name.clone(),
        env: env.name.clone(),
        digest: digest.clone(),
        identity: actor.clone(),
        text: Some((
            "Means",
            "a signed record that this image is right here: it ends the drift".to_string(),
        )),
    };
    if !confirmed(dialogs, &signing) {
        return Ok(None);
    }
    let record = RecordRequest {
        image: format!("{}@{digest}", ws.env_repository(app, env)),
        app: app.name.clone(),
        env: env.name.clone(),
        actor,
        at: None,
    };
    tollgate::api::record(ws, ctx, record).await.map(Some)
}

/// The confirmation of `approve`: from the previous environment to `to`, signed by this
/// machine's approver (the page never names it).
pub fn for_approve(ws: &Workspace, ctx: &Context, req: &ApproveRequest) -> Result<Signing> {
    let app = ws.app(&req.app)?;
    let to = ws.env(app, &req.to)?;
    let env = match ws.previous_env(app, &to.name) {
        Some(from) => format!("{} \u{2192} {}", from.name, to.name),
        None => to.name.clone(),
    };
    Ok(Signing {
        action: Action::Approve,
        app: app.name.clone(),
        env,
        digest: Digest::parse(&req.digest)?,
        identity: approver(ws, ctx)?,
        text: req
            .note
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .map(|n| ("Note", n.to_string())),
    })
}

/// The confirmation of `reject` / `unreject` of `req`'s scope.
pub fn for_verdict(
    ws: &Workspace,
    ctx: &Context,
    req: &RejectRequest,
    verdict: Verdict,
) -> Result<Signing> {
    let app = ws.app(&req.app)?;
    let env = match &req.env {
        Some(env) => format!("{} and later", ws.env(app, env)?.name),
        None => "every environment".to_string(),
    };
    Ok(Signing {
        action: match verdict {
            Verdict::Reject => Action::Reject,
            Verdict::Unreject => Action::Unreject,
        },
        app: app.name.clone(),
        env,
        digest: Digest::parse(&req.digest)?,
        identity: approver(ws, ctx)?,
        text: Some(("Reason", req.reason.trim().to_string())),
    })
}

/// `incident open` (signed as this machine's identity, resolved by the core like `record`'s
/// actor; shared), only after the person said yes in the native confirmation.
pub async fn incident_open_if_confirmed(
    dialogs: &dyn Dialogs,
    ws: &Workspace,
    ctx: &Context,
    req: IncidentOpenRequest,
) -> Result<Option<IncidentReceipt>> {
    let req = IncidentOpenRequest { actor: None, ..req };
    let app = ws.app(&req.app)?;
    let signing = Signing {
        action: Action::IncidentOpen,
        app: app.name.clone(),
        env: ws.env(app, &req.env)?.name.clone(),
        digest: Digest::parse(&req.digest)?,
        identity: tollgate::api::resolve_actor(ws, ctx, None)?,
        text: Some((
            "Incident",
            format!("{}: {}", req.id.trim(), req.summary.trim()),
        )),
    };
    if !confirmed(dialogs, &signing) {
        return Ok(None);
    }
    tollgate::api::incident_open(ws, ctx, req).await.map(Some)
}

/// `incident close` of the open incident `req.id` (its environment and digest shown), only after
/// the person said yes in the native confirmation.
pub async fn incident_close_if_confirmed(
    dialogs: &dyn Dialogs,
    ws: &Workspace,
    ctx: &Context,
    req: IncidentCloseRequest,
) -> Result<Option<IncidentReceipt>> {
    let req = IncidentCloseRequest { actor: None, ..req };
    let open = tollgate::api::incidents(ws, &req.app, None)?
        .into_iter()
        .find(|i| i.open && i.id.eq_ignore_ascii_case(req.id.trim()));
    // No such open incident: the core says so in its own words.
    let Some(open) = open else {
        return tollgate::api::incident_close(ws, ctx, req).await.map(Some);
    };
    let signing = Signing {
        action: Action::IncidentClose,
        app: open.app.clone(),
        env: open.env.clone(),
        digest: open.digest.clone(),
        identity: tollgate::api::resolve_actor(ws, ctx, None)?,
        text: Some((
            "Resolution",
            format!("{}: {}", open.id, req.resolution.trim()),
        )),
    };
    if !confirmed(dialogs, &signing) {
        return Ok(None);
    }
    tollgate::api::incident_close(ws, ctx, req).await.map(Some)
}

/// The confirmation of `promote`, signed by `req.actor` (resolved by the core, never the page).
pub fn for_promote(ws: &Workspace, req: &PromoteRequest) -> Result<Signing> {
    let app = ws.app(&req.app)?;
    let to = ws.env(app, &req.to)?;
    let env = match ws.previous_env(app, &to.name) {
        Some(from) => format!("{} \u{2192} {}", from.name, to.name),
        None => to.name.clone(),
    };
    Ok(Signing {
        action: Action::Promote,
        app: app.name.clone(),
        env,
        digest: Digest::parse(&req.digest)?,
        identity: req.actor.clone(),
        text: None,
    })
}

/// The confirmation of `rollback` of `req.env` to `req.digest`, signed by `req.actor`.
pub fn for_rollback(ws: &Workspace, req: &RollbackRequest) -> Result<Signing> {
    let app = ws.app(&req.app)?;
    Ok(Signing {
        action: Action::Rollback,
        app: app.name.clone(),
        env: ws.env(app, &req.env)?.name.clone(),
        digest: Digest::parse(&req.digest)?,
        identity: req.actor.clone(),
        // An emergency rollback's reason is signed with it: the dialog shows it.
        text: (req.reason.as_deref().map(str::trim))
            .filter(|r| !r.is_empty())
            .map(|r| ("Emergency reason", r.to_string())),
    })
}

/// This machine's approver, with its key's fingerprint; or the sentence saying there is none
/// (signing then fails in the core, after the person saw who would have signed).
fn approver(ws: &Workspace, ctx: &Context) -> Result<String> {
    let status = tollgate::api::signer(ws, ctx)?;
    Ok(match (status.approver, status.key) {
        (Some(id), Some(key)) => format!("{id} (key {})", key.fingerprint),
        (Some(id), None) => format!("{id} (no signing key on this machine)"),
        (None, _) => "nobody: this machine has no signing identity".to_string(),
    })
}

/// The confirmation before the demo creates a signing key in the keychain (title, message,
/// button): for which identity, that it stays, and why; `new_id` names a new identity.
pub fn demo_key(
    plan: &DemoSignerPlan,
    new_id: &str,
    roles: &str,
) -> (&'static str, String, &'static str) {
    let message = match plan {
        DemoSignerPlan::CreateKey { id } => {
            let id = escape_controls(id);
            format!(
            "This machine signs as {id}, but the keychain holds no key for it. Tollgate creates one there (it stays; Settings shows its public key) and lists {id} as an approver ({roles}) of the demo, so that you can approve and promote in it.\n\nCancel: the demo opens without you as an approver."
            )
        }
        _ => {
            let new_id = escape_controls(new_id);
            format!(
            "This machine has no signing key yet. Tollgate creates one for {new_id} in the keychain (it stays and becomes this machine's identity; Settings shows its public key) and lists {new_id} as an approver ({roles}) of the demo, so that you can approve and promote in it.\n\nCancel: the demo opens without you as an approver."
            )
        }
    };
    ("Sign in the demo", message, "Create key")
}

#[cfg(test)]
mod tests;
