use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::api::Context;
use crate::keychain::SecretStore;
use crate::signing::{self, PublicKeyInfo};
use crate::{Error, Result};

/// Keychain entry that remembers which approver id this machine signs as (not a secret).
const DEFAULT_SERVICE: &str = "tollgate-signing-default";
const DEFAULT_ACCOUNT: &str = "approver";

/// Make an Ed25519 signing key for approver `id`, kept only in the OS keychain, and remember
/// `id` as this machine's approver.
#[tracing::instrument(skip(ctx))]
pub fn key_init(ctx: &Context, id: &str) -> Result<PublicKeyInfo> {
    let info = signing::generate_key(id, ctx.secrets.as_ref())?;
    ctx.secrets.set(DEFAULT_SERVICE, DEFAULT_ACCOUNT, id)?;
    Ok(info)
}

/// The public key and `allowed_signers` line of approver `id` (default: this machine's).
#[tracing::instrument(skip(ctx))]
pub fn key_show(ctx: &Context, id: Option<&str>) -> Result<PublicKeyInfo> {
    let id = approver_or_default(ctx, id)?;
    signing::public_key(&id, ctx.secrets.as_ref())
}

/// The `allowed_signers` file of every identity `tollgate.toml` lists (approvers and signers,
/// previous keys with their `valid-before`), restricted to the `git` namespace: what
/// `git -c gpg.ssh.allowedSignersFile=FILE verify-commit` checks promotion commits with.
#[tracing::instrument(skip_all)]
pub fn git_allowed_signers(ws: &crate::config::Workspace) -> String {
    signing::allowed_signers_in(signing::GIT_NAMESPACE, &ws.config.identities())
}

/// What `key rotate` did, and what tollgate.toml needs now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct KeyRotation {
    /// The key the keychain held until now (its private half is gone).
    pub previous: PublicKeyInfo,
    /// The key the keychain holds now.
    pub current: PublicKeyInfo,
    /// When the previous key was retired: the `until` of its `previous_keys` entry.
    #[ts(type = "string")]
    pub retired_at: DateTime<Utc>,
    /// The lines for the approver's `[[approvers]]` entry in tollgate.toml.
    pub toml: String,
}

/// Replace approver `id`'s key (default: this machine's) in the OS keychain with a new one,
/// and say what to write in tollgate.toml: the new `key`, and the previous key under
/// `previous_keys` until now, so that the approvals it signed keep verifying.
#[tracing::instrument(skip(ctx))]
pub fn key_rotate(ctx: &Context, id: Option<&str>) -> Result<KeyRotation> {
    let id = approver_or_default(ctx, id)?;
    let retired_at = DateTime::from_timestamp(ctx.clock.now().timestamp(), 0)
        .ok_or_else(|| Error::internal("the clock is out of range"))?;
    let (previous, current) = signing::rotate_key(&id, ctx.secrets.as_ref())?;
    let toml = format!(
        "key = \"{}\"\nprevious_keys = [{{ key = \"{}\", until = \"{}\" }}]",
        current.public_key,
        previous.public_key,
        retired_at.to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    tracing::info!(approver = %id, previous = %previous.fingerprint, current = %current.fingerprint, "signing key rotated");
    Ok(KeyRotation {
        previous,
        current,
        retired_at,
        toml,
    })
}

/// `id`, or this machine's approver when none is given.
fn approver_or_default(ctx: &Context, id: Option<&str>) -> Result<String> {
    match id {
        Some(id) => Ok(id.to_string()),
        None => default_approver(ctx.secrets.as_ref())?.ok_or_else(|| {
            Error::bad_input("no signing key on this machine yet")
                .with_hint(crate::Hint::KeyInit { id: None })
        }),
    }
}

/// The approver id this machine signs as: `$TOLLGATE_APPROVER`, else the one `key init` remembered.
#[allow(
    clippy::disallowed_methods,
    reason = "$TOLLGATE_APPROVER names the approver this machine signs as"
)]
pub(crate) fn default_approver(secrets: &dyn SecretStore) -> Result<Option<String>> {
    if let Ok(id) = std::env::var("TOLLGATE_APPROVER") {
        if !id.is_empty() {
            return Ok(Some(id));
        }
    }
    secrets.get(DEFAULT_SERVICE, DEFAULT_ACCOUNT)
}
