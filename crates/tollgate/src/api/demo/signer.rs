//! This machine's identity in the demo: the demo's history is signed by throwaway keys, and a
//! newcomer could not sign anything in it. The demo therefore lists this machine's identity as
//! an approver (manager and qa) with its keychain key, creating the key first when there is
//! none (the caller says so before: [`DemoSignerPlan`]), so the newcomer can approve and promote
//! a waiting digest. Where no keychain is reachable, the demo is made as before and says why.

use serde::Serialize;
use ts_rs::TS;

use crate::api::key::{default_approver, key_init};
use crate::api::Context;
use crate::signing::{self, PublicKeyInfo};
use crate::Code;

/// The roles this machine's identity gets in the demo: every role its policies name, so one
/// person can approve into staging (qa) and add the manager's approval in production.
pub const DEMO_ROLES: [&str; 2] = ["manager", "qa"];

/// What making the demo would do about this machine's identity, before anything is created:
/// what a caller shows (and asks) first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DemoSignerPlan {
    /// This machine signs as `id` with the key the keychain holds.
    Existing { id: String },
    /// This machine signs as `id` (`$TOLLGATE_APPROVER`, or the one `key init` remembered) but
    /// the keychain holds no key for it: one is created.
    CreateKey { id: String },
    /// This machine has no identity yet: a key is created for the id the caller proposes, and
    /// it becomes this machine's identity (as `key init` does).
    NewIdentity,
    /// No keychain is reachable: the demo is made without this machine as an approver.
    Unavailable { why: String },
}

/// How this machine's identity came out in a demo that was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DemoSigning {
    /// The identity the demo lists as an approver; `None` when signing is not offered.
    pub approver: Option<String>,
    pub roles: Vec<String>,
    /// A key was created in the keychain for it.
    pub created_key: bool,
    /// Why signing is not offered in this demo, in one line; `None` when it is.
    pub problem: Option<String>,
}

impl DemoSigning {
    /// The person chose a demo without signing.
    pub(super) fn not_asked() -> DemoSigning {
        DemoSigning::not_offered(
            "signing was not asked for: this demo lists only its own approvers".into(),
        )
    }

    fn not_offered(why: String) -> DemoSigning {
        DemoSigning {
            approver: None,
            roles: Vec::new(),
            created_key: false,
            problem: Some(why),
        }
    }
}

/// The identity proposed for a machine that has none: `<user>@<host>` (`$USER` or
/// `%USERNAME%`, and the host name), with anything an approver id may not hold replaced by `-`.
#[allow(
    clippy::disallowed_methods,
    reason = "the proposed identity is named after the user ($USER, %USERNAME%)"
)]
pub fn proposed_identity() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_default();
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    identity_of(&user, &host)
}

fn identity_of(user: &str, host: &str) -> String {
    let clean = |s: &str, or: &str| {
        let s: String = s
            .trim()
            .chars()
            .map(|c| {
                if c.is_whitespace() || c.is_control() || ",\"*?!#@".contains(c) {
                    '-'
                } else {
                    c
                }
            })
            .collect();
        if s.is_empty() {
            or.to_string()
        } else {
            s
        }
    };
    format!("{}@{}", clean(user, "you"), clean(host, "this-machine"))
}

/// What the demo would do about this machine's identity. Reads the keychain, changes nothing.
#[tracing::instrument(skip_all)]
pub fn demo_signer_plan(ctx: &Context) -> DemoSignerPlan {
    let unavailable = |e: crate::Error| DemoSignerPlan::Unavailable {
        why: format!(
            "signing is not offered in the demo: no keychain is reachable ({})",
            e.message
        ),
    };
    let id = match default_approver(ctx.secrets.as_ref()) {
        Ok(Some(id)) => id,
        Ok(None) => return DemoSignerPlan::NewIdentity,
        Err(e) => return unavailable(e),
    };
    match signing::public_key(&id, ctx.secrets.as_ref()) {
        Ok(_) => DemoSignerPlan::Existing { id },
        Err(e) if e.code == Code::NotFound => DemoSignerPlan::CreateKey { id },
        Err(e) => unavailable(e),
    }
}

/// Carry out `plan` (from [`demo_signer_plan`], shown to the person first): the identity's public
/// key, created when the plan says so (`new_id` names a new identity). `reserved` are the demo's
/// own identities, which this machine cannot be. Never fails: what goes wrong is the
/// [`DemoSigning::problem`] line, and the demo is made without this machine as an approver.
pub(super) fn carry_out(
    ctx: &Context,
    plan: &DemoSignerPlan,
    new_id: &str,
    reserved: &[&str],
) -> (DemoSigning, Option<PublicKeyInfo>) {
    let (id, create): (&str, bool) = match plan {
        DemoSignerPlan::Existing { id } => (id, false),
        DemoSignerPlan::CreateKey { id } => (id, true),
        DemoSignerPlan::NewIdentity => (new_id, true),
        DemoSignerPlan::Unavailable { why } => {
            return (DemoSigning::not_offered(why.clone()), None)
        }
    };
    if reserved.iter().any(|r| r.eq_ignore_ascii_case(id)) {
        return (
            DemoSigning::not_offered(format!(
                "signing is not offered in the demo: {id} is one of the demo's own identities; sign as another identity (this machine's signing key made under your own id)"
            )),
            None,
        );
    }
    let key = match (plan, create) {
        (DemoSignerPlan::NewIdentity, _) => key_init(ctx, id),
        (_, true) => signing::generate_key(id, ctx.secrets.as_ref()),
        (_, false) => signing::public_key(id, ctx.secrets.as_ref()),
    };
    match key {
        Ok(key) => (
            DemoSigning {
                approver: Some(id.to_string()),
                roles: DEMO_ROLES.iter().map(|r| r.to_string()).collect(),
                created_key: create,
                problem: None,
            },
            Some(key),
        ),
        Err(e) => (
            DemoSigning::not_offered(format!(
                "signing is not offered in the demo: the key of {id} could not be {} ({})",
                if create { "created" } else { "read" },
                e.message
            )),
            None,
        ),
    }
}

/// The `[[approvers]]` entry that lists this machine's identity in the demo's tollgate.toml.
pub(super) fn approver_toml(id: &str, key: &PublicKeyInfo) -> String {
    let roles = DEMO_ROLES
        .iter()
        .map(|r| format!("\"{r}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "\n# You: this machine's identity and its keychain key, so that you can approve and promote\n# in the demo (the demo's own approvers above signed its history with throwaway keys).\n[[approvers]]\nid = \"{id}\"\nroles = [{roles}]\nkey = \"{}\"\n",
        key.public_key
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FixedClock;
    use crate::keychain::MemoryKeychain;
    use std::sync::Arc;

    fn ctx() -> Context {
        Context {
            clock: Arc::new(FixedClock(chrono::DateTime::UNIX_EPOCH)),
            secrets: Arc::new(MemoryKeychain::default()),
        }
    }

    #[test]
    fn a_machine_without_an_identity_gets_one_and_the_key_is_kept() {
        let ctx = ctx();
        // ($TOLLGATE_APPROVER is not set in unit tests.)
        assert_eq!(demo_signer_plan(&ctx), DemoSignerPlan::NewIdentity);
        let (signing, key) = carry_out(&ctx, &DemoSignerPlan::NewIdentity, "you@laptop", &[]);
        assert_eq!(signing.approver.as_deref(), Some("you@laptop"));
        assert!(signing.created_key && signing.problem.is_none());
        let key = key.unwrap();
        assert_eq!(
            demo_signer_plan(&ctx),
            DemoSignerPlan::Existing {
                id: "you@laptop".into()
            },
            "it is this machine's identity now"
        );
        let again = signing::public_key("you@laptop", ctx.secrets.as_ref()).unwrap();
        assert_eq!(again.public_key, key.public_key);
        let toml = approver_toml("you@laptop", &key);
        assert!(toml
            .contains("id = \"you@laptop\"\nroles = [\"manager\", \"qa\"]\nkey = \"ssh-ed25519 "));
    }

    #[test]
    fn the_proposed_identity_is_a_valid_approver_id() {
        assert_eq!(identity_of("sam", "laptop\n"), "sam@laptop");
        assert_eq!(identity_of("", ""), "you@this-machine");
        assert_eq!(identity_of("a b#c", "x\"y"), "a-b-c@x-y");
        for id in [
            identity_of("sam", "laptop"),
            identity_of("", ""),
            identity_of("#a", "b c"),
        ] {
            crate::config::validate_approver_id(&id).unwrap();
        }
        crate::config::validate_approver_id(&proposed_identity()).unwrap();
    }

    #[test]
    fn an_existing_key_is_used_as_it_is() {
        let ctx = ctx();
        let made = key_init(&ctx, "sam@example.com").unwrap();
        let plan = demo_signer_plan(&ctx);
        let (signing, key) = carry_out(&ctx, &plan, "ignored@laptop", &[]);
        assert_eq!(signing.approver.as_deref(), Some("sam@example.com"));
        assert!(!signing.created_key);
        assert_eq!(key.unwrap().public_key, made.public_key);
    }

    #[test]
    fn the_demos_own_identities_and_a_missing_keychain_are_one_line_each() {
        let ctx = ctx();
        let plan = DemoSignerPlan::Existing {
            id: "Alice@Example.com".into(),
        };
        let (signing, key) = carry_out(&ctx, &plan, "x", &["alice@example.com"]);
        assert!(key.is_none() && signing.approver.is_none());
        assert!(signing
            .problem
            .unwrap()
            .contains("one of the demo's own identities"));
        let plan = DemoSignerPlan::Unavailable {
            why: "signing is not offered in the demo: no keychain is reachable (no D-Bus)".into(),
        };
        let (signing, key) = carry_out(&ctx, &plan, "x", &[]);
        assert!(key.is_none());
        assert!(!signing.problem.unwrap().contains('\n'));
    }
}
