use serde::Serialize;
use ts_rs::TS;

use crate::api::key::default_approver;
use crate::api::Context;
use crate::config::Workspace;
use crate::signing::{self, PublicKeyInfo};
use crate::{Code, Result};

/// Who this machine signs as, and whether tollgate.toml lets that key approve.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SignerStatus {
    /// The approver id this machine signs as (`key init`, or `$TOLLGATE_APPROVER`).
    pub approver: Option<String>,
    /// Its public key, when the keychain holds one.
    pub key: Option<PublicKeyInfo>,
    /// The approver is in tollgate.toml with exactly this key.
    pub listed: bool,
    /// The approver's roles in tollgate.toml.
    pub roles: Vec<String>,
    /// Why this machine cannot sign approvals, in one sentence that says what to do; `None`
    /// when it can.
    pub problem: Option<String>,
}

/// Can this machine sign approvals for this workspace, as whom, in which roles?
#[tracing::instrument(skip_all)]
pub fn signer_status(ws: &Workspace, ctx: &Context) -> Result<SignerStatus> {
    let mut status = SignerStatus {
        approver: None,
        key: None,
        listed: false,
        roles: Vec::new(),
        problem: None,
    };
    let Some(id) = default_approver(ctx.secrets.as_ref())? else {
        status.problem = Some("this machine has no signing key yet: create one in Settings (or `tollgate key init --id YOUR-ID`)".into());
        return Ok(status);
    };
    status.approver = Some(id.clone());
    match signing::public_key(&id, ctx.secrets.as_ref()) {
        Ok(key) => status.key = Some(key),
        Err(e) if e.code == Code::NotFound => {
            status.problem = Some(format!("the keychain holds no signing key for {id}: create one in Settings (or `tollgate key init --id {id}`)"));
            return Ok(status);
        }
        Err(e) => return Err(e),
    }
    let Some(approver) = ws.config.approvers.iter().find(|a| a.id == id) else {
        status.problem = Some(format!(
            "{id} is not an approver in {}: hand your allowed_signers line (Settings) to whoever keeps it",
            ws.config_path.display()
        ));
        return Ok(status);
    };
    status.roles = approver.roles.clone();
    let listed = signing::parse_approver_key(approver)?
        .fingerprint(ssh_key::HashAlg::Sha256)
        .to_string();
    let mine = status
        .key
        .as_ref()
        .map(|k| k.fingerprint.clone())
        .unwrap_or_default();
    if listed == mine {
        status.listed = true;
    } else {
        status.problem = Some(format!(
            "the key in your keychain ({mine}) is not the key listed for {id} ({listed}): hand over your current public key (Settings)"
        ));
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::domain::SystemClock;
    use crate::keychain::MemoryKeychain;

    fn workspace(approvers: &str) -> Workspace {
        let text = format!(
            "[workspace]\nname = \"t\"\ndatabase = \"t.db\"\n[[registries]]\nname = \"r\"\nurl = \"oci:x\"\n{approvers}"
        );
        Workspace::from_str(&text, Path::new("/w/tollgate.toml"), None).unwrap()
    }

    #[test]
    fn says_why_this_machine_cannot_sign() {
        let secrets = Arc::new(MemoryKeychain::default());
        let ctx = Context {
            clock: Arc::new(SystemClock),
            secrets: secrets.clone(),
        };
        let ws = workspace("");
        let s = signer_status(&ws, &ctx).unwrap();
        assert!(s.problem.unwrap().contains("no signing key yet"));

        let key = crate::api::key_init(&ctx, "qa@example.com").unwrap();
        let s = signer_status(&ws, &ctx).unwrap();
        assert_eq!(s.approver.as_deref(), Some("qa@example.com"));
        assert!(s.problem.unwrap().contains("not an approver"));

        let other = signing::generate_key("someone-else", secrets.as_ref()).unwrap();
        let listed_other = format!(
            "[[approvers]]\nid = \"qa@example.com\"\nroles = [\"qa\"]\nkey = \"{}\"\n",
            other.public_key
        );
        let s = signer_status(&workspace(&listed_other), &ctx).unwrap();
        assert!(!s.listed && s.problem.unwrap().contains("is not the key listed"));

        let listed = format!(
            "[[approvers]]\nid = \"qa@example.com\"\nroles = [\"qa\"]\nkey = \"{}\"\n",
            key.public_key
        );
        let s = signer_status(&workspace(&listed), &ctx).unwrap();
        assert!(s.listed && s.problem.is_none(), "{:?}", s.problem);
        assert_eq!(s.roles, ["qa"]);
    }
}
