use serde::Serialize;
use ts_rs::TS;

use crate::api::open;
use crate::api::DeploySnippets;
use crate::config::Workspace;
use crate::domain::{Digest, ImageInfo, Segment};
use crate::signing;
use crate::Result;

/// Everything known about one digest of one app: for the digest detail view.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DigestDetail {
    pub app: String,
    #[ts(type = "string")]
    pub digest: Digest,
    /// Registry metadata (created, labels, platforms), when sync or record has read it.
    pub image: Option<ImageInfo>,
    /// Every stay of this digest in an environment (where and when it ran), oldest first.
    pub stays: Vec<Segment>,
    /// Environment tags that point to it now.
    pub tags: Vec<String>,
    /// Every approval of this digest, in any environment.
    pub approvals: Vec<ApprovalView>,
    /// Deploy snippets pinned by digest, per environment repository it ran in.
    pub snippets: Vec<EnvSnippets>,
    /// Every rejection and unrejection of this digest, oldest first, verified, with which are
    /// in force (`active`).
    pub rejections: Vec<crate::policy::Rejection>,
    /// The app's environments in order (the scopes a rejection may name).
    pub environments: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct EnvSnippets {
    pub env: String,
    pub snippets: DeploySnippets,
}

/// One approval as a reviewer sees it: who, in which role, with which key, and whether it holds.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ApprovalView {
    #[ts(type = "number")]
    pub seq: i64,
    #[ts(type = "string")]
    pub at: chrono::DateTime<chrono::Utc>,
    pub approver: String,
    pub role: String,
    pub from: String,
    pub to: String,
    pub note: String,
    /// `SHA256:…` of the key that signed.
    pub fingerprint: String,
    /// The signature verifies against the key tollgate.toml lists for the approver.
    pub verified: bool,
    /// Why it does not verify, when it does not.
    pub problem: Option<String>,
    /// Used by a promotion (or reserved by one in flight).
    pub consumed: bool,
    /// A teammate's, pulled from the registry: the repository it was imported from.
    pub imported_from: Option<String>,
    /// This desktop's, not in the registry yet: why, in one line ("not shared yet: …").
    pub not_shared: Option<String>,
}

/// The digest detail of `digest` in `app`.
#[tracing::instrument(skip(ws), fields(workspace = %ws.config.workspace.name))]
pub fn digest_detail(ws: &Workspace, app: &str, digest: &str) -> Result<DigestDetail> {
    let a = ws.app(app)?;
    let digest = Digest::parse(digest)?;
    let store = open::store(ws)?;
    let image = store.image_info(&digest)?;
    let stays: Vec<Segment> = store
        .timeline(app, None)?
        .into_iter()
        .filter(|s| s.digest == digest)
        .collect();
    let in_use = store.approvals_in_use()?;
    let unshared = store.unshared_events()?;
    let mut tags = Vec::new();
    let mut approvals = Vec::new();
    let mut snippets = Vec::new();
    for env in &a.environments {
        let head = store.head(app, &env.name)?;
        if head
            .last_observation
            .as_ref()
            .and_then(|o| o.digest.as_ref())
            == Some(&digest)
        {
            tags.push(match env.tag() {
                Some(tag) => format!("{}:{tag}", ws.env_repository(a, env)),
                None => env.place(),
            });
        }
        if stays.iter().any(|s| s.env == env.name) {
            snippets.push(EnvSnippets {
                env: env.name.clone(),
                snippets: DeploySnippets::new(ws, app, ws.env_repository(a, env), &digest)?,
            });
        }
        for e in store.approval_events(app, &env.name, &digest)? {
            let text = |k: &str| e.data_str(k).unwrap_or_default().to_string();
            let approver = e.actor.clone().unwrap_or_default();
            let check = match ws.config.approvers.iter().find(|x| x.id == approver) {
                Some(cfg) => signing::verify_approval(
                    text("message").as_bytes(),
                    &text("signature"),
                    cfg,
                    e.at,
                )
                .map(|_| ()),
                None => Err(crate::Error::new(
                    crate::Code::SignatureInvalid,
                    format!("{approver} is not an approver in tollgate.toml"),
                )),
            };
            approvals.push(ApprovalView {
                seq: e.seq,
                at: e.at,
                role: text("role"),
                from: text("from"),
                to: text("to"),
                note: text("note"),
                fingerprint: text("fingerprint"),
                verified: check.is_ok(),
                problem: check.err().map(|e| e.message),
                consumed: in_use.contains(&e.seq),
                imported_from: e
                    .data
                    .get("imported")
                    .and_then(|i| i.get("repository"))
                    .and_then(|r| r.as_str())
                    .map(str::to_string),
                not_shared: unshared.get(&e.seq).map(|why| {
                    why.clone()
                        .unwrap_or_else(|| "not shared yet: the next sync publishes it".into())
                }),
                approver,
            });
        }
    }
    approvals.sort_by_key(|a| a.seq);
    let rejections = crate::api::reject::rejections_of(ws, &store, a, Some(&digest))?;
    Ok(DigestDetail {
        app: app.to_string(),
        digest,
        image,
        stays,
        tags,
        approvals,
        snippets,
        rejections,
        environments: a.environments.iter().map(|e| e.name.clone()).collect(),
    })
}
