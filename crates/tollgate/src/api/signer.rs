use serde::Serialize;
use ts_rs::TS;

use crate::api::key::default_approver;
use crate::api::Context;
use crate::config::{ApproverConfig, Workspace};
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
    /// This machine's identity is a `[[signers]]` entry (a CI identity): it signs records,
    /// promotions and rollbacks, never approvals. `listed` then says whether its key is the
    /// listed one.
    pub ci_signer: bool,
    /// The CI identities tollgate.toml lists under `[[signers]]` (they never count as approvers).
    pub signers: Vec<String>,
}

/// Can this machine sign approvals for this workspace, as whom, in which roles?
#[tracing::instrument(skip_all)]
pub fn signer(ws: &Workspace, ctx: &Context) -> Result<SignerStatus> {
    let mut status = SignerStatus {
        approver: None,
        key: None,
        listed: false,
        roles: Vec::new(),
        problem: None,
        ci_signer: false,
        signers: ws.config.signers.iter().map(|s| s.id.clone()).collect(),
    };
    let Some(id) = default_approver(ctx.secrets.as_ref())? else {
        status.problem = Some("this machine has no signing key yet: create one in Settings".into());
        return Ok(status);
    };
    status.approver = Some(id.clone());
    match signing::public_key(&id, ctx.secrets.as_ref()) {
        Ok(key) => status.key = Some(key),
        Err(e) if e.code == Code::NotFound => {
            status.problem = Some(format!(
                "the keychain holds no signing key for {id}: create one in Settings"
            ));
            return Ok(status);
        }
        Err(e) => return Err(e),
    }
    if let Some(signer) = ws.config.signers.iter().find(|s| s.id == id) {
        status.ci_signer = true;
        status.listed = key_matches(&signer.as_identity(), &mut status)?;
        if status.problem.is_none() {
            status.problem = Some(format!(
                "{id} is a CI signer in {} ([[signers]]): it signs records, promotions and rollbacks, never approvals; approve as an [[approvers]] identity",
                ws.config_path.display()
            ));
        }
        return Ok(status);
    }
    let Some(approver) = ws.config.approvers.iter().find(|a| a.id == id) else {
        status.problem = Some(format!(
            "{id} is not an approver in {}: hand your allowed_signers line (Settings) to whoever keeps it",
            ws.config_path.display()
        ));
        return Ok(status);
    };
    status.roles = approver.roles.clone();
    status.listed = key_matches(approver, &mut status)?;
    Ok(status)
}

/// Whether the keychain's key is the one listed for `identity`; when not, `status.problem`
/// says so.
fn key_matches(identity: &ApproverConfig, status: &mut SignerStatus) -> Result<bool> {
    let listed = signing::parse_approver_key(identity)?
        .fingerprint(ssh_key::HashAlg::Sha256)
        .to_string();
    let mine = status
        .key
        .as_ref()
        .map(|k| k.fingerprint.clone())
        .unwrap_or_default();
    if listed == mine {
        return Ok(true);
    }
    status.problem = Some(format!(
        "the key in your keychain ({mine}) is not the key listed for {} ({listed}): hand over your current public key (Settings)",
        identity.id
    ));
    Ok(false)
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
        let s = signer(&ws, &ctx).unwrap();
        assert!(s.problem.unwrap().contains("no signing key yet"));

        let key = crate::api::key_init(&ctx, "qa@example.com").unwrap();
        let s = signer(&ws, &ctx).unwrap();
        assert_eq!(s.approver.as_deref(), Some("qa@example.com"));
        assert!(s.problem.unwrap().contains("not an approver"));

        let other = signing::generate_key("someone-else", secrets.as_ref()).unwrap();
        let listed_other = format!(
            "[[approvers]]\nid = \"qa@example.com\"\nroles = [\"qa\"]\nkey = \"{}\"\n",
            other.public_key
        );
        let s = signer(&workspace(&listed_other), &ctx).unwrap();
        assert!(!s.listed && s.problem.unwrap().contains("is not the key listed"));

        let listed = format!(
            "[[approvers]]\nid = \"qa@example.com\"\nroles = [\"qa\"]\nkey = \"{}\"\n",
            key.public_key
        );
        let s = signer(&workspace(&listed), &ctx).unwrap();
        assert!(s.listed && s.problem.is_none(), "{:?}", s.problem);
        assert_eq!(s.roles, ["qa"]);
        assert!(!s.ci_signer && s.signers.is_empty());
    }

    #[test]
    fn reports_ci_signers_and_a_machine_that_is_one() {
        let secrets = Arc::new(MemoryKeychain::default());
        let ctx = Context {
            clock: Arc::new(SystemClock),
            secrets: secrets.clone(),
        };
        let key = crate::api::key_init(&ctx, "ci@example.com").unwrap();
        let signers = format!(
            "[[signers]]\nid = \"ci@example.com\"\nkey = \"{}\"\n[[signers]]\nid = \"release-bot\"\nkey = \"{}\"\n",
            key.public_key,
            signing::generate_key("release-bot", secrets.as_ref())
                .unwrap()
                .public_key
        );
        let s = signer(&workspace(&signers), &ctx).unwrap();
        assert_eq!(s.signers, ["ci@example.com", "release-bot"]);
        assert!(s.ci_signer && s.listed, "{s:?}");
        assert!(s.roles.is_empty());
        let problem = s.problem.unwrap();
        assert!(
            problem.starts_with("ci@example.com is a CI signer in /w/tollgate.toml ([[signers]]): it signs records, promotions and rollbacks, never approvals"),
            "{problem}"
        );
        // Listed with another key: that is what it says.
        let other = signing::generate_key("other", secrets.as_ref()).unwrap();
        let moved = signers.replacen(&key.public_key, &other.public_key, 1);
        let s = signer(&workspace(&moved), &ctx).unwrap();
        assert!(s.ci_signer && !s.listed);
        assert!(s
            .problem
            .unwrap()
            .contains("is not the key listed for ci@example.com"));
    }
}
