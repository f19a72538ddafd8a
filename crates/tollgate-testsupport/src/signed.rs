//! A workspace with signed approvals: a real registry holding images, approvers whose fresh
//! keys are in the real OS keychain (run under `scripts/with-keychain.sh`), and the library
//! calls of a release (sync, approve, promote, record, rollback) made on it for app `api`.
//!
//! ```ignore
//! let s = SignedWorkspace::builder("promote", &[r#"{ name = "dev", tag = "dev" }"#, ...])
//!     .image("dev", "promote-a")
//!     .approver("quinn", &["qa"])
//!     .build();
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use tollgate::api::{
    self, ApprovalReceipt, ApproveRequest, Context, PromoteRequest, PromotionOutcome,
    RecordRequest, RollbackRequest, SyncReport,
};
use tollgate::config::Workspace;
use tollgate::domain::{Event, FixedClock};
use tollgate::keychain::OsKeychain;

use crate::images::make_image;
use crate::registry::TestRegistry;
use crate::skopeo::{push, skopeo_digest, skopeo_find_digest};
use crate::workspace::{workspace_toml, TempWorkspace};

/// The note every approval made by [`SignedWorkspace::approve`] carries (it is in the signed
/// message).
pub const APPROVAL_NOTE: &str = "looks good";

/// A multi-threaded tokio runtime for the library's async calls.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// When the release tests start: every clock of theirs is fixed at whole hours after it.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

/// A context whose clock stands still `hours` after [`t0`], with the real OS keychain.
pub fn at(hours: i64) -> Context {
    Context {
        clock: Arc::new(FixedClock(t0() + Duration::hours(hours))),
        secrets: Arc::new(OsKeychain),
    }
}

/// A context whose clock stands still at `t`, with the real OS keychain.
pub fn ctx_at(t: DateTime<Utc>) -> Context {
    Context {
        clock: Arc::new(FixedClock(t)),
        secrets: Arc::new(OsKeychain),
    }
}

/// The arguments of `tollgate approve` of `digest` (`sha256:…`) of app `api` into `staging` as
/// `approver`, confirmed with the first 12 hex digits of the digest.
pub fn approve_staging_args<'a>(digest: &'a str, approver: &'a str) -> [&'a str; 11] {
    let short = &digest["sha256:".len()..][..12];
    [
        "approve",
        "--app",
        "api",
        "--to",
        "staging",
        "--digest",
        digest,
        "--confirm",
        short,
        "--approver",
        approver,
    ]
}

/// `api::check` of `digest` of app `api` into production, `hours` after [`t0`]: the
/// production checklist.
pub fn production_check(ws: &Workspace, hours: i64, digest: &str) -> api::PromotionCheck {
    api::check(
        ws,
        t0() + Duration::hours(hours),
        "api",
        "production",
        digest,
    )
    .unwrap()
}

/// `{name}-{pid}-{n}@example.com`: an approver id no other test of any run uses, since the
/// keychain is shared by all of them.
pub fn unique_id(name: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{name}-{}-{}@example.com",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// What [`SignedWorkspace::build`] makes.
pub struct SignedWorkspaceBuilder {
    name: String,
    environments: Vec<String>,
    images: Vec<(String, String)>,
    approvers: Vec<(String, Vec<String>)>,
    token_auth: bool,
    extra: String,
}

/// The user and password of a [`SignedWorkspaceBuilder::token_auth`] registry.
pub const TOKEN_USER: (&str, &str) = ("team", "team-pw");

impl SignedWorkspaceBuilder {
    /// A registry with the token flow (whose service can be made to deny push:
    /// [`TestRegistry::set_push_denied`]); its credentials are stored in the OS keychain.
    pub fn token_auth(mut self) -> Self {
        self.token_auth = true;
        self
    }

    /// TOML appended to tollgate.toml after the approvers (a `[[git]]` entry).
    pub fn extra_toml(mut self, toml: &str) -> Self {
        self.extra.push_str(toml);
        self
    }

    /// Push the image made from `content` as `payments/api:{tag}` before the workspace exists.
    pub fn image(mut self, tag: &str, content: &str) -> Self {
        self.images.push((tag.into(), content.into()));
        self
    }

    /// An approver ([`unique_id`] of `name`) with `roles` and a fresh key in the OS keychain.
    pub fn approver(mut self, name: &str, roles: &[&str]) -> Self {
        self.approvers
            .push((name.into(), roles.iter().map(|r| r.to_string()).collect()));
        self
    }

    pub fn build(self) -> SignedWorkspace {
        let reg = if self.token_auth {
            let reg = TestRegistry::start_with_token_auth(TOKEN_USER.0, TOKEN_USER.1);
            tollgate::registry::store_credentials(
                &reg.host(),
                TOKEN_USER.0,
                TOKEN_USER.1,
                &OsKeychain,
            )
            .expect("keychain (run under scripts/with-keychain.sh)");
            reg
        } else {
            TestRegistry::start()
        };
        let digests = self
            .images
            .iter()
            .map(|(tag, content)| {
                let repo_tag = format!("payments/api:{tag}");
                push(&make_image(content), &reg, &repo_tag);
                skopeo_digest(&reg, &repo_tag)
            })
            .collect();
        let environments: Vec<&str> = self.environments.iter().map(String::as_str).collect();
        let mut toml = workspace_toml(&self.name, &reg.url(), &environments);
        let mut approvers = Vec::new();
        for (name, roles) in &self.approvers {
            let id = unique_id(name);
            let key = tollgate::signing::generate_key(&id, &OsKeychain)
                .expect("keychain (run under scripts/with-keychain.sh)");
            let roles: Vec<String> = roles.iter().map(|r| format!("\"{r}\"")).collect();
            toml.push_str(&format!(
                "\n[[approvers]]\nid = \"{id}\"\nroles = [{}]\nkey = \"{}\"\n",
                roles.join(", "),
                key.public_key
            ));
            approvers.push(id);
        }
        toml.push_str(&self.extra);
        let tmp = TempWorkspace::new(&toml);
        let ws = Workspace::load(&tmp.config(), None).unwrap();
        SignedWorkspace {
            reg,
            tmp,
            ws,
            toml,
            digests,
            approvers,
        }
    }
}

/// A workspace `api` over a real registry, with approvers whose keys are in the OS keychain.
pub struct SignedWorkspace {
    pub reg: TestRegistry,
    pub tmp: TempWorkspace,
    /// The workspace as built (a changed tollgate.toml is loaded anew).
    pub ws: Workspace,
    toml: String,
    /// The digest skopeo sees for each image given to the builder, in that order.
    pub digests: Vec<String>,
    /// The id of each approver given to the builder, in that order.
    pub approvers: Vec<String>,
}

impl SignedWorkspace {
    /// Workspace `name` with app `api` in `local/payments/api` and these `environments`
    /// (entries as [`workspace_toml`] takes them).
    pub fn builder(name: &str, environments: &[&str]) -> SignedWorkspaceBuilder {
        SignedWorkspaceBuilder {
            name: name.into(),
            environments: environments.iter().map(|e| e.to_string()).collect(),
            images: Vec::new(),
            approvers: Vec::new(),
            token_auth: false,
            extra: String::new(),
        }
    }

    /// `api::sync` of every tag.
    pub fn sync(&self, ctx: &Context) -> SyncReport {
        rt().block_on(api::sync(&self.ws, ctx, None, &|_| {}))
            .unwrap()
    }

    /// `who` signs an approval of `digest` for `to`, confirming with the digest's first 12 hex
    /// digits, with [`APPROVAL_NOTE`].
    pub fn approve(
        &self,
        ctx: &Context,
        who: &str,
        to: &str,
        digest: &str,
        role: Option<&str>,
    ) -> tollgate::Result<ApprovalReceipt> {
        self.approve_in(&self.ws, ctx, who, to, digest, role)
    }

    /// [`Self::approve`] under another reading of tollgate.toml (after a key rotation).
    pub fn approve_in(
        &self,
        ws: &Workspace,
        ctx: &Context,
        who: &str,
        to: &str,
        digest: &str,
        role: Option<&str>,
    ) -> tollgate::Result<ApprovalReceipt> {
        rt().block_on(api::approve(
            ws,
            ctx,
            ApproveRequest {
                app: "api".into(),
                to: to.into(),
                digest: digest.into(),
                confirm: digest[7..19].into(),
                role: role.map(str::to_string),
                note: Some(APPROVAL_NOTE.into()),
                approver: Some(who.into()),
            },
        ))
    }

    /// `api::promote` of `digest` into `to`.
    pub fn promote(
        &self,
        ctx: &Context,
        to: &str,
        digest: &str,
        actor: &str,
    ) -> tollgate::Result<PromotionOutcome> {
        rt().block_on(api::promote(
            &self.ws,
            ctx,
            PromoteRequest {
                app: "api".into(),
                to: to.into(),
                digest: digest.into(),
                actor: actor.into(),
            },
            &|_| {},
        ))
    }

    /// `api::rollback` of `env` to `digest`.
    pub fn rollback(
        &self,
        ctx: &Context,
        env: &str,
        digest: &str,
        actor: &str,
    ) -> tollgate::Result<PromotionOutcome> {
        self.rollback_because(ctx, env, digest, actor, None)
    }

    /// `api::rollback` of `env` to `digest` with `reason` (`--reason`: an emergency rollback's).
    pub fn rollback_because(
        &self,
        ctx: &Context,
        env: &str,
        digest: &str,
        actor: &str,
        reason: Option<&str>,
    ) -> tollgate::Result<PromotionOutcome> {
        rt().block_on(api::rollback(
            &self.ws,
            ctx,
            RollbackRequest {
                app: "api".into(),
                env: env.into(),
                digest: digest.into(),
                reason: reason.map(str::to_string),
                actor: actor.into(),
            },
            &|_| {},
        ))
    }

    /// CI (actor `ci`) records that `local/payments/api@{digest}` now runs in `env`.
    pub fn record(&self, ctx: &Context, env: &str, digest: &str) -> Event {
        rt().block_on(api::record(
            &self.ws,
            ctx,
            RecordRequest {
                app: "api".into(),
                env: env.into(),
                image: format!("local/payments/api@{digest}"),
                actor: "ci".into(),
                at: None,
            },
        ))
        .unwrap()
        .event
    }

    /// The digest skopeo sees for `REPO:TAG` in the registry, `None` when there is no such tag.
    pub fn tag(&self, repo_tag: &str) -> Option<String> {
        skopeo_find_digest(&self.reg, repo_tag)
    }

    /// Replace approver `id`'s key in tollgate.toml with a new key (in the keychain under
    /// another id) that none of their approvals was signed with; the workspace loaded from the
    /// changed file. [`Self::restore_config`] puts the file back.
    pub fn rotate_key(&self, id: &str) -> Workspace {
        self.rotate(id, "other", None)
    }

    /// A key rotation done right: `id` gets a new key and the one it signed with stays under
    /// `previous_keys`, valid for approvals signed until `until` (RFC 3339).
    /// [`Self::restore_config`] puts the file back.
    pub fn rotate_key_keeping_old(&self, id: &str, until: &str) -> Workspace {
        self.rotate(id, "next", Some(until))
    }

    fn rotate(&self, id: &str, prefix: &str, keep_until: Option<&str>) -> Workspace {
        let account = format!("{prefix}-{id}");
        let new = tollgate::signing::generate_key(&account, &OsKeychain)
            .or_else(|_| tollgate::signing::public_key(&account, &OsKeychain))
            .unwrap()
            .public_key;
        let listed = &self
            .ws
            .config
            .approvers
            .iter()
            .find(|a| a.id == id)
            .expect("a listed approver")
            .key;
        let old_line = format!("key = \"{listed}\"\n");
        assert!(self.toml.contains(&old_line), "the approver's key line");
        let new_lines = match keep_until {
            None => format!("key = \"{new}\"\n"),
            Some(until) => format!(
                "key = \"{new}\"\nprevious_keys = [{{ key = \"{listed}\", until = \"{until}\" }}]\n"
            ),
        };
        std::fs::write(self.tmp.config(), self.toml.replace(&old_line, &new_lines)).unwrap();
        Workspace::load(&self.tmp.config(), None).unwrap()
    }

    /// Another desktop of the same team: the same tollgate.toml in another directory, with its
    /// own database (same registry, same approvers).
    pub fn desktop(&self) -> (TempWorkspace, Workspace) {
        let tmp = TempWorkspace::new(&self.toml);
        let ws = Workspace::load(&tmp.config(), None).unwrap();
        (tmp, ws)
    }

    /// Write tollgate.toml back as it was built.
    pub fn restore_config(&self) {
        std::fs::write(self.tmp.config(), &self.toml).unwrap();
    }
}
