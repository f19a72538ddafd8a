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
/// desktop attaches no report file (`file` is ignored: the page never names a file to upload).
pub async fn attest_if_confirmed(
    dialogs: &dyn Dialogs,
    ws: &Workspace,
    ctx: &Context,
    req: AttestRequest,
    actor: String,
) -> Result<Option<AttestReceipt>> {
    let req = AttestRequest {
        file: None,
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
    Ok(Signing {
        action: Action::Attest,
        app: app.name.clone(),
        env: format!("check {}: {}", req.check.trim(), req.result.as_str()),
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
        text: None,
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
mod tests {
    use super::*;
    use crate::dialogs::scripted::Scripted;

    const DIGEST: &str = "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";

    /// A workspace dev → staging → production with approver alice, whose key this machine's
    /// (memory) keychain holds.
    fn workspace(dir: &std::path::Path) -> (Workspace, Context) {
        let ctx = Context {
            clock: std::sync::Arc::new(tollgate::domain::SystemClock),
            secrets: std::sync::Arc::new(tollgate::keychain::MemoryKeychain::default()),
        };
        let key = tollgate::api::key_init(&ctx, "alice@example.com").unwrap();
        let file = dir.join("tollgate.toml");
        std::fs::write(
            &file,
            format!(
                "[workspace]\nname = \"payments\"\ndatabase = \"history.db\"\n\n[[registries]]\nname = \"local\"\nurl = \"http://127.0.0.1:5000\"\n\n[[apps]]\nname = \"api\"\nrepository = \"local/payments/api\"\nenvironments = [{{ name = \"dev\", tag = \"dev\" }}, {{ name = \"staging\", tag = \"staging\" }}, {{ name = \"production\", tag = \"production\" }}]\n\n[[approvers]]\nid = \"alice@example.com\"\nroles = [\"qa\"]\nkey = \"{}\"\n\n[team]\nshare = false\n",
                key.public_key
            ),
        )
        .unwrap();
        (Workspace::load(&file, None).unwrap(), ctx)
    }

    /// "This is right: record it" signs nothing until the person says yes: the dialog shows the
    /// environment, the full digest and who signs; Cancel returns `None` before the core (and
    /// the registry) is reached.
    #[test]
    fn a_record_of_what_runs_is_signed_only_after_the_native_confirmation() {
        let dir = tempfile::tempdir().unwrap();
        let (ws, ctx) = workspace(dir.path());
        let no = Scripted::default();
        let req = RecordRunningRequest {
            app: "api".into(),
            env: "staging".into(),
            digest: DIGEST.into(),
        };
        let out = tauri::async_runtime::block_on(record_if_confirmed(
            &no,
            &ws,
            &ctx,
            req,
            "alice@example.com".into(),
        ))
        .unwrap();
        assert!(out.is_none());
        assert!(
            no.asked()[0].contains("Sign the record"),
            "{:?}",
            no.asked()
        );
        let m = &no.messages()[0];
        assert!(
            m.starts_with("Record this image as right where it runs?\n\nApp: api\nEnvironment: staging\nDigest: ")
                && m.contains(DIGEST)
                && m.contains("Signed by: alice@example.com"),
            "{m}"
        );
    }

    /// An incident's open is signed only after the native confirmation, which shows the
    /// environment, the full digest, who signs (resolved like `record`'s actor) and the id and
    /// summary; Cancel returns `None` before the core is reached.
    #[test]
    fn an_incident_is_signed_only_after_the_native_confirmation() {
        let dir = tempfile::tempdir().unwrap();
        let (ws, ctx) = workspace(dir.path());
        let no = Scripted::default();
        let req: IncidentOpenRequest = serde_json::from_value(serde_json::json!({
            "app": "api", "env": "staging", "digest": DIGEST, "id": "INC-42",
            "summary": "5xx spike",
        }))
        .unwrap();
        let out = tauri::async_runtime::block_on(incident_open_if_confirmed(&no, &ws, &ctx, req))
            .unwrap();
        assert!(out.is_none());
        assert_eq!(no.asked().len(), 1);
        assert!(
            no.asked()[0].contains("Sign the incident"),
            "{:?}",
            no.asked()
        );
        let m = &no.messages()[0];
        assert!(
            m.starts_with(
                "Open an incident on this image?\n\nApp: api\nEnvironment: staging\nDigest: "
            ) && m.contains(DIGEST)
                && m.contains("Incident: INC-42: 5xx spike"),
            "{m}"
        );
    }

    fn approve_request(note: Option<&str>) -> ApproveRequest {
        serde_json::from_value(serde_json::json!({
            "app": "api", "to": "staging", "digest": DIGEST, "confirm": &DIGEST[7..19],
            "role": null, "note": note,
        }))
        .unwrap()
    }

    /// The page's request alone signs nothing: the native dialog shows what would be signed
    /// (app, environments, the full digest, who signs with which key, the note escaped), and
    /// Cancel returns `None` before the core is reached; OK goes on to the core.
    #[test]
    fn an_approval_is_signed_only_after_the_native_confirmation() {
        let dir = tempfile::tempdir().unwrap();
        let (ws, ctx) = workspace(dir.path());
        let key = tollgate::api::key_show(&ctx, None).unwrap();
        let no = Scripted::default();
        let run = |d: &Scripted, note: &str| {
            tauri::async_runtime::block_on(approve_if_confirmed(
                d,
                &ws,
                &ctx,
                approve_request(Some(note)),
            ))
        };
        assert!(run(&no, "ok\u{1b}[2J").unwrap().is_none());
        assert_eq!(no.asked(), ["Sign the approval? Sign approval"]);
        assert_eq!(
            no.messages(),
            [format!(
                "Approve this image?\n\nApp: api\nEnvironment: dev \u{2192} staging\nDigest: {DIGEST}\nSigned by: alice@example.com (key {})\nNote: ok\\u{{1b}}[2J\n\nNothing is signed unless you press \u{201c}Sign approval\u{201d}.",
                key.fingerprint
            )]
        );
        assert!(
            !ws.db_path.exists(),
            "cancelled before the history was opened"
        );

        // Confirmed: the core decides (a note with a control character is bad input; then the
        // digest never ran in dev).
        let yes = Scripted::confirming();
        let e = run(&yes, "ok\u{1b}[2J").unwrap_err();
        assert_eq!(e.code, tollgate::Code::BadInput, "{}", e.message);
        let e = run(&yes, "looks good").unwrap_err();
        assert_eq!(e.code, tollgate::Code::Refused, "{}", e.message);
        assert!(e.message.contains("never ran in"), "{}", e.message);
        assert_eq!(yes.asked().len(), 2);
    }

    /// An attestation asked from the page names no file: the confirmation shows the check and
    /// result, the summary escaped and who signs; Cancel signs nothing.
    #[test]
    fn an_attestation_is_signed_only_after_the_native_confirmation() {
        let dir = tempfile::tempdir().unwrap();
        let (ws, ctx) = workspace(dir.path());
        let req: AttestRequest = serde_json::from_value(serde_json::json!({
            "app": "api", "digest": DIGEST, "check": "load-test", "result": "pass",
            "summary": "p99 ok\u{1b}", "url": null, "file": "/etc/shadow",
        }))
        .unwrap();
        let no = Scripted::default();
        let out = tauri::async_runtime::block_on(attest_if_confirmed(
            &no,
            &ws,
            &ctx,
            req.clone(),
            "alice@example.com".into(),
        ));
        assert!(out.unwrap().is_none());
        assert_eq!(no.asked(), ["Sign the attestation? Sign attestation"]);
        assert_eq!(
            no.messages(),
            [format!(
                "Attest this check for this image?\n\nApp: api\nEnvironment: check load-test: pass\nDigest: {DIGEST}\nSigned by: alice@example.com\nSummary: p99 ok\\u{{1b}}\n\nNothing is signed unless you press \u{201c}Sign attestation\u{201d}."
            )]
        );
        assert!(
            !ws.db_path.exists(),
            "cancelled before the history was opened"
        );
        // Confirmed: the core decides (no [[checks]] is declared here).
        let yes = Scripted::confirming();
        let e = tauri::async_runtime::block_on(attest_if_confirmed(
            &yes,
            &ws,
            &ctx,
            req,
            "alice@example.com".into(),
        ))
        .unwrap_err();
        assert!(e.message.contains("no check 'load-test'"), "{}", e.message);
    }

    #[test]
    fn verdicts_promotions_and_rollbacks_show_what_they_sign() {
        let dir = tempfile::tempdir().unwrap();
        let (ws, ctx) = workspace(dir.path());
        let req: RejectRequest = serde_json::from_value(serde_json::json!({
            "app": "api", "digest": DIGEST, "confirm": &DIGEST[7..19], "reason": "crashes on start",
            "env": null,
        }))
        .unwrap();
        let no = Scripted::default();
        let out = tauri::async_runtime::block_on(verdict_if_confirmed(
            &no,
            &ws,
            &ctx,
            req.clone(),
            Verdict::Reject,
        ))
        .unwrap();
        assert!(out.is_none());
        assert_eq!(no.asked(), ["Sign the rejection? Sign rejection"]);
        let m = &no.messages()[0];
        assert!(
            m.contains("App: api\nEnvironment: every environment\nDigest: ")
                && m.contains(DIGEST)
                && m.contains("Signed by: alice@example.com (key SHA256:")
                && m.contains("Reason: crashes on start"),
            "{m}"
        );
        let staging = RejectRequest {
            env: Some("staging".into()),
            ..req
        };
        let s = for_verdict(&ws, &ctx, &staging, Verdict::Unreject).unwrap();
        assert_eq!(
            (s.action, s.env.as_str()),
            (Action::Unreject, "staging and later")
        );

        let promote: PromoteRequest = serde_json::from_value(
            serde_json::json!({"app": "api", "to": "production", "digest": DIGEST}),
        )
        .unwrap();
        let promote = PromoteRequest {
            actor: "alice@example.com".into(),
            ..promote
        };
        let s = for_promote(&ws, &promote).unwrap();
        assert!(
            s.message().contains(&format!(
                "App: api\nEnvironment: staging \u{2192} production\nDigest: {DIGEST}\nSigned by: alice@example.com"
            )),
            "{}",
            s.message()
        );
        let rollback: RollbackRequest = serde_json::from_value(
            serde_json::json!({"app": "api", "env": "production", "digest": DIGEST}),
        )
        .unwrap();
        let s = for_rollback(
            &ws,
            &RollbackRequest {
                actor: "alice@example.com".into(),
                ..rollback
            },
        )
        .unwrap();
        assert_eq!((s.action, s.env.as_str()), (Action::Rollback, "production"));
        let no = Scripted::default();
        assert!(!confirmed(&no, &s));
        assert_eq!(no.asked(), ["Sign the rollback? Sign and roll back"]);

        // A digest that is not one is refused before any dialog.
        let bad = ApproveRequest {
            digest: "sha256:zz".into(),
            ..approve_request(None)
        };
        assert_eq!(
            for_approve(&ws, &ctx, &bad).unwrap_err().code,
            tollgate::Code::InvalidReference
        );
    }
}
