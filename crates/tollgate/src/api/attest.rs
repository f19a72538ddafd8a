//! Evidence: a signed attestation that a named check (`[[checks]]`: a load test, a reviewed
//! security scan) passed or failed for one digest, optionally with its report attached to the
//! image in the registry; and the `checks` rule of the gate that reads them
//! ([`crate::policy::checks`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::actor::{resolve_actor, signer_for};
use crate::api::open::{self, Registries};
use crate::api::Context;
use crate::config::{AppConfig, CheckConfig, Workspace};
use crate::domain::statement::message_sha256;
use crate::domain::{Digest, Event, EventKind, ImageInfo, NewEvent};
use crate::policy::checks::{self, Attestation, CheckOutcome};
use crate::signing::{
    self, check_summary, check_url, Anchor, Attesting, CheckMessage, CheckResult, ReportRef,
};
use crate::store::Store;
use crate::team::{
    media_type_of, repository_for, Descriptor, Publish, ReportArtifact, TeamRegistry,
    MAX_REPORT_BYTES,
};
use crate::{Error, Result};

/// `tollgate attest`: what a person or CI states about one digest.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct AttestRequest {
    pub app: String,
    pub digest: String,
    /// The `[[checks]]` name.
    pub check: String,
    pub result: CheckResult,
    /// One line: what was checked and what it showed.
    pub summary: String,
    /// A link to the run or review (`http(s)://`).
    pub url: Option<String>,
    /// A report file to attach to the image in the registry (its sha256, size and media type
    /// are signed).
    #[ts(type = "string | null")]
    pub file: Option<PathBuf>,
    /// Who attests (`--actor`); default as for `record`: `$TOLLGATE_ACTOR`, the identity whose
    /// key is in `TOLLGATE_SIGNING_KEY` or ssh-agent, this machine's identity.
    #[serde(skip)]
    pub actor: Option<String>,
}

/// What was signed and appended.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AttestReceipt {
    pub event: Event,
    pub attestation: Attestation,
    /// `SHA256:…` of the key that signed.
    pub fingerprint: String,
    /// The exact signed bytes (canonical JSON).
    pub message: String,
    /// The armored SSHSIG.
    pub signature: String,
    /// The attached report in the registry; `null` without `--file`.
    pub report: Option<ReportPlace>,
    /// What was published to the team's registry; `null` when sharing is off.
    pub team: Option<crate::api::team::sync::TeamShare>,
}

/// Where an attached report lies: `curl …/v2/<path>/blobs/<blob>` returns the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReportPlace {
    /// `<registry name>/<path>`.
    pub repository: String,
    /// The report artifact's manifest digest.
    pub artifact: String,
    /// The file's blob digest (`sha256:` + the signed sha256).
    pub blob: String,
}

/// Sign that check `req.check` gave `req.result` for `req.digest` of `req.app`, attach the
/// report file (if any) to the image in the registry, append the attestation to the history and
/// share it like an approval. Refused unless the check is declared, the signer is a listed
/// identity the check allows, the image exists in the registry, and the summary and link are
/// one line each. With a report, nothing is signed unless the report was pushed.
#[tracing::instrument(skip_all, fields(app = %req.app, check = %req.check))]
pub async fn attest(ws: &Workspace, ctx: &Context, req: AttestRequest) -> Result<AttestReceipt> {
    let app = ws.app(&req.app)?;
    let digest = Digest::parse(&req.digest)?;
    let check = declared(ws, &req.check)?;
    let summary = check_summary(&req.summary)?.to_string();
    let url = match req.url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(u) => Some(check_url(u)?.to_string()),
    };
    let actor = resolve_actor(ws, ctx, req.actor.as_deref())?;
    let Some(listed) = ws.config.identity(&actor) else {
        return Err(Error::refused(format!(
            "{actor} is not an approver or signer in {}: an attestation is signed by a listed identity that check '{}' allows ({})",
            ws.config_path.display(),
            check.name,
            check.who()
        )));
    };
    if !check.allows(&listed) {
        return Err(Error::refused(format!(
            "{actor} may not attest check '{}': tollgate.toml allows {}; attest as one of them, or ask whoever keeps tollgate.toml to allow {actor}",
            check.name,
            check.who()
        )));
    }
    let signer = signer_for(ws, ctx, &actor)?;
    let file = match &req.file {
        Some(path) => Some(read_report(path)?),
        None => None,
    };
    let (info, repository) = find_image(ws, ctx, app, &digest).await?;
    let now = ctx.clock.now();
    let report_ref = file.as_ref().map(|(_, bytes, media_type)| ReportRef {
        sha256: message_sha256(bytes),
        size: bytes.len() as u64,
        media_type: media_type.clone(),
    });
    let place = match file {
        Some((title, bytes, media_type)) => {
            let subject = Descriptor {
                media_type: info.media_type.clone(),
                digest: digest.clone(),
                size: info.size,
            };
            let report = ReportArtifact {
                bytes,
                media_type,
                title,
                subject,
                created: now,
                annotations: BTreeMap::from([
                    ("dev.tollgate.app".to_string(), app.name.clone()),
                    ("dev.tollgate.check".to_string(), check.name.clone()),
                ]),
            };
            Some(attach(ws, ctx, app, &report).await?)
        }
        None => None,
    };

    let mut store = open::store(ws)?;
    store.put_image_info(&info)?;
    let (head_seq, head) = store.chain_head()?;
    let message = CheckMessage::new(
        &Attesting {
            app: &app.name,
            digest: &digest,
            check: &check.name,
            result: req.result,
            summary: &summary,
            url: url.as_deref(),
            report: report_ref.clone(),
            signer: &listed.id,
        },
        now,
        &Anchor {
            seq: head_seq,
            hash: head,
        },
    );
    let bytes = message.to_bytes();
    let signature = signer.sign(&bytes)?;
    let verified = signing::verify_approval(&bytes, &signature, &listed, now)?;
    let text = String::from_utf8(bytes)
        .map_err(|e| Error::internal(format!("check message is not UTF-8: {e}")))?;
    let event = store
        .append(vec![NewEvent {
            at: now,
            kind: EventKind::Check,
            app: app.name.clone(),
            env: String::new(),
            digest: Some(digest.clone()),
            actor: Some(listed.id.clone()),
            data: serde_json::json!({
                "check": check.name,
                "result": req.result,
                "summary": summary,
                "url": url,
                "report": report_ref,
                "report_artifact": place,
                "repository": repository,
                "message": text,
                "signature": signature,
                "fingerprint": verified.fingerprint,
                "key_source": signer.source().kind(),
            }),
        }])?
        .pop()
        .ok_or_else(|| Error::internal("append returned no event"))?;
    let attestation = attestation_of(ws, &store, &event)?;
    let team = crate::api::team::sync::publish_event(ws, ctx, &mut store, &event).await?;
    Ok(AttestReceipt {
        event,
        attestation,
        fingerprint: verified.fingerprint,
        message: text,
        signature,
        report: place,
        team,
    })
}

/// Every attestation of `app`'s digests (or of one digest), oldest first, each verified.
#[tracing::instrument(skip(ws), fields(workspace = %ws.config.workspace.name))]
pub fn attestations(ws: &Workspace, app: &str, digest: Option<&str>) -> Result<Vec<Attestation>> {
    let a = ws.app(app)?;
    let digest = digest.map(Digest::parse).transpose()?;
    let store = open::store(ws)?;
    attestations_of(ws, &store, a, digest.as_ref())
}

/// The `[[checks]]` entry named `name`, or a bad-input error naming the declared ones.
fn declared<'a>(ws: &'a Workspace, name: &str) -> Result<&'a CheckConfig> {
    ws.config
        .checks
        .iter()
        .find(|c| c.name == name.trim())
        .ok_or_else(|| {
            let known: Vec<&str> = ws.config.checks.iter().map(|c| c.name.as_str()).collect();
            Error::bad_input(format!(
                "no check '{}' in {} ({}); declare it under [[checks]] with who may attest it",
                name.trim(),
                ws.config_path.display(),
                if known.is_empty() {
                    "none is declared".to_string()
                } else {
                    format!("declared: {}", known.join(", "))
                }
            ))
        })
}

/// The report file: its name, bytes and media type. Refused when it cannot be read or is over
/// [`MAX_REPORT_BYTES`].
fn read_report(path: &std::path::Path) -> Result<(String, Vec<u8>, String)> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Error::bad_input(format!(
            "cannot read the report {}: {e}; choose a report file this machine can read",
            path.display()
        ))
    })?;
    if !meta.is_file() || meta.len() > MAX_REPORT_BYTES {
        return Err(Error::bad_input(format!(
            "the report {} is not a file of at most {MAX_REPORT_BYTES} bytes (32 MiB); attach a summary of it and give the full report's link instead",
            path.display()
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| Error::bad_input(format!("cannot read the report {}: {e}", path.display())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let media_type = media_type_of(&name).to_string();
    Ok((name, bytes, media_type))
}

/// The image manifest of `digest`, from the first of the app's repositories that has it, and
/// that repository.
async fn find_image(
    ws: &Workspace,
    ctx: &Context,
    app: &AppConfig,
    digest: &Digest,
) -> Result<(ImageInfo, String)> {
    let mut repositories: Vec<&str> = vec![app.repository.as_str()];
    for e in &app.environments {
        let r = ws.env_repository(app, e);
        if !repositories.contains(&r) {
            repositories.push(r);
        }
    }
    let mut registries = Registries::new(ws, ctx);
    let mut first_error = None;
    for repository in repositories {
        let (registry, path) = registries.get(repository)?;
        match registry.image_info(&path, digest).await {
            Ok(info) => return Ok((info, repository.to_string())),
            Err(e) if e.code == crate::Code::NotFound => {
                first_error.get_or_insert(e);
            }
            Err(e) => return Err(e.context(format!("attest {}", digest.short()))),
        }
    }
    Err(first_error
        .map(|e| {
            Error::new(
                e.code,
                format!(
                    "{digest} is in none of {}'s repositories ({}): attest an image the registry holds",
                    app.name, e.message
                ),
            )
        })
        .unwrap_or_else(|| Error::internal("an app without repositories")))
}

/// Push the report to the app's team repository and list it among the image's referrers.
async fn attach(
    ws: &Workspace,
    ctx: &Context,
    app: &AppConfig,
    report: &ReportArtifact,
) -> Result<ReportPlace> {
    let repository = repository_for(ws, app).to_string();
    let mut registries = Registries::new(ws, ctx);
    let (registry, path) = registries.get(&repository)?;
    let team = TeamRegistry::new(registry).map_err(|_| {
        Error::bad_input(format!(
            "a report file is attached to the image in the registry, but {repository} is in a local OCI layout (oci:): attest without the file and give the report's link instead"
        ))
    })?;
    match team.attach_report(&path, report).await? {
        Publish::Shared(p) => Ok(ReportPlace {
            repository,
            artifact: p.artifact.to_string(),
            blob: report.layer().digest.to_string(),
        }),
        Publish::Denied(d) => Err(Error::refused(format!(
            "the report could not be attached, so nothing was signed: registry {} does not let you push to {}; ask for push rights, or attest without the file and give the report's link instead",
            d.registry, d.repository
        ))),
    }
}

/// One `check` event as an attestation, its signature verified against the keys tollgate.toml
/// lists for its signer (key rotation judged at its append time), its message matching the
/// event.
pub(crate) fn attestation_of(ws: &Workspace, store: &Store, e: &Event) -> Result<Attestation> {
    let text = e.data_str("message").unwrap_or_default();
    let signature = e.data_str("signature").unwrap_or_default();
    let by = e.actor.clone().unwrap_or_default();
    let parsed = CheckMessage::parse(text.as_bytes());
    let check = match &parsed {
        Err(err) => Err(err.message.clone()),
        Ok(m) if m.app != e.app || Some(&m.digest) != e.digest.as_ref() || m.signer != by => {
            Err("its signed message names another app, digest or signer than its event".into())
        }
        Ok(_) => match ws.config.identity(&by) {
            None => Err(format!(
                "its signer '{by}' is not an approver or signer in tollgate.toml"
            )),
            Some(id) => signing::verify_approval(
                text.as_bytes(),
                signature,
                &id,
                store.approval_appended_at(e)?,
            )
            .map(|_| ())
            .map_err(|err| err.message),
        },
    };
    let m = parsed.ok();
    let str_of = |k: &str| e.data_str(k).unwrap_or_default().to_string();
    Ok(Attestation {
        seq: e.seq,
        app: e.app.clone(),
        digest: e
            .digest
            .clone()
            .ok_or_else(|| Error::internal(format!("check event {} has no digest", e.seq)))?,
        check: m
            .as_ref()
            .map_or_else(|| str_of("check"), |m| m.check.clone()),
        result: m.as_ref().map_or(CheckResult::Fail, |m| m.result),
        summary: m
            .as_ref()
            .map_or_else(|| str_of("summary"), |m| m.summary.clone()),
        url: m.as_ref().and_then(|m| m.url.clone()),
        report: m.as_ref().and_then(|m| m.report.clone()),
        report_artifact: e
            .data
            .get("report_artifact")
            .and_then(|p| serde_json::from_value::<ReportPlace>(p.clone()).ok())
            .map(|p| format!("{}@{}", p.repository, p.artifact)),
        by,
        at: e.at,
        signed_at: m.as_ref().and_then(|m| m.signed_at().ok()).unwrap_or(e.at),
        sha256: message_sha256(text.as_bytes()),
        fingerprint: str_of("fingerprint"),
        verified: check.is_ok(),
        problem: check.err(),
    })
}

/// The attestations of `app` (of `digest`, or of all its digests), oldest first.
pub(crate) fn attestations_of(
    ws: &Workspace,
    store: &Store,
    app: &AppConfig,
    digest: Option<&Digest>,
) -> Result<Vec<Attestation>> {
    store
        .check_events(&app.name, digest)?
        .iter()
        .map(|e| attestation_of(ws, store, e))
        .collect()
}

/// Each segment's attestations: those of its digest the history appended during the stay.
pub(crate) fn mark_segments(
    ws: &Workspace,
    store: &Store,
    app: &AppConfig,
    segments: &mut [crate::domain::Segment],
) -> Result<()> {
    let list = attestations_of(ws, store, app, None)?;
    if list.is_empty() {
        return Ok(());
    }
    for s in segments.iter_mut() {
        s.checks = list
            .iter()
            .filter(|a| a.digest == s.digest && s.during(a.at))
            .map(|a| crate::domain::CheckMark {
                check: a.check.clone(),
                result: a.result.as_str().to_string(),
                by: a.by.clone(),
                at: a.at,
                verified: a.verified,
            })
            .collect();
    }
    Ok(())
}

/// The `checks` rule's outcome for each check `required` names, for `digest` of `app`.
pub(crate) fn outcomes(
    ws: &Workspace,
    store: &Store,
    app: &AppConfig,
    required: &[String],
    digest: &Digest,
) -> Result<Vec<CheckOutcome>> {
    if required.is_empty() {
        return Ok(Vec::new());
    }
    let list = attestations_of(ws, store, app, Some(digest))?;
    Ok(checks::decide(
        &app.name,
        required,
        &ws.config.checks,
        &ws.config.identities(),
        &list,
        digest,
    ))
}

/// The evaluation a promotion records (`data.evaluation`), with `evidence`: the attestations
/// its `checks` rule relied on (check, result, signer, signing time, the sha256 of the signed
/// message, the report's sha256 and the link), when the policy required any.
pub(crate) fn evaluation_with_evidence(
    check: &crate::api::PromotionCheck,
) -> Result<serde_json::Value> {
    let mut v =
        serde_json::to_value(&check.evaluation).map_err(|e| Error::internal(e.to_string()))?;
    if !check.evidence.is_empty() {
        let evidence: Vec<serde_json::Value> = check
            .evidence
            .iter()
            .map(|a| {
                serde_json::json!({
                    "seq": a.seq,
                    "check": a.check,
                    "result": a.result,
                    "by": a.by,
                    "signed_at": a.signed_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    "sha256": a.sha256,
                    "report_sha256": a.report.as_ref().map(|r| r.sha256.clone()),
                    "url": a.url,
                })
            })
            .collect();
        v["evidence"] = evidence.into();
    }
    Ok(v)
}
