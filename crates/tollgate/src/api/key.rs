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
    let id = match id {
        Some(id) => id.to_string(),
        None => default_approver(ctx.secrets.as_ref())?.ok_or_else(|| {
            Error::bad_input("no signing key on this machine yet: run `tollgate key init --id YOUR-ID` (or pass --id)")
        })?,
    };
    signing::public_key(&id, ctx.secrets.as_ref())
}

/// The approver id this machine signs as: `$TOLLGATE_APPROVER`, else the one `key init` remembered.
pub(crate) fn default_approver(secrets: &dyn SecretStore) -> Result<Option<String>> {
    if let Ok(id) = std::env::var("TOLLGATE_APPROVER") {
        if !id.is_empty() {
            return Ok(Some(id));
        }
    }
    secrets.get(DEFAULT_SERVICE, DEFAULT_ACCOUNT)
}
