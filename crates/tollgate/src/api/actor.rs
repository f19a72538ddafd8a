//! Who is acting: one identity, resolved the same way for the CLI (`record`, `promote`,
//! `rollback`) and the desktop app, so that the history names people consistently and
//! four-eyes compares identities, not spellings.

use crate::api::key::default_approver;
use crate::api::Context;
use crate::config::Workspace;
use crate::policy::identity::{identify, Identity};
use crate::signing::{self, Signer, Sources};
use crate::{Error, Hint, Result};

/// Environment variable naming who acts (CI sets it).
pub const ACTOR_ENV: &str = "TOLLGATE_ACTOR";

tokio::task_local! {
    /// Key sources that stand in for the environment's inside [`with_sources`].
    static SOURCES: Sources;
}

/// Run `f` with `sources` instead of `TOLLGATE_SIGNING_KEY` and `SSH_AUTH_SOCK` for every
/// event it signs through [`signer_for`] (the demo passes none: it signs with its in-memory
/// keychain, whatever the environment holds).
pub(crate) async fn with_sources<F: std::future::Future>(sources: Sources, f: F) -> F::Output {
    SOURCES.scope(sources, f).await
}

/// The key sources in effect: those of [`with_sources`], else the process environment's.
fn sources() -> Sources {
    SOURCES
        .try_with(Sources::clone)
        .unwrap_or_else(|_| Sources::from_env())
}

/// Who is acting, as an identity. The first of: `explicit` (`--actor`), `$TOLLGATE_ACTOR`,
/// the listed identity whose key is in `TOLLGATE_SIGNING_KEY` or (the only one) in ssh-agent,
/// this machine's signing identity (the approver id `tollgate key init` remembered in the
/// keychain, or `$TOLLGATE_APPROVER`) when tollgate.toml lists it, and the login name
/// (`$USER`, or `%USERNAME%` on Windows). A name that is an approver's (see
/// [`crate::policy::identity`]) becomes that approver's id; one that could be several
/// approvers is refused. With none of them, a bad-input error saying what to set.
#[tracing::instrument(skip(ws, ctx))]
#[allow(
    clippy::disallowed_methods,
    reason = "the actor may be named by $TOLLGATE_ACTOR, $USER or %USERNAME%"
)]
pub fn resolve_actor(ws: &Workspace, ctx: &Context, explicit: Option<&str>) -> Result<String> {
    let var = |name: &str| std::env::var(name).ok();
    let chosen = choose(
        explicit,
        var(ACTOR_ENV),
        || {
            signing::identity_in_sources(&ws.config.identities(), &sources())
                .or_else(|| machine_identity(ws, ctx))
        },
        var("USER").or_else(|| var("USERNAME")),
    )?;
    identity(ws, &chosen)
}

/// The first name given, in the order of [`resolve_actor`]; empty ones are skipped, except an
/// explicit `--actor ""`, which is an error.
fn choose(
    explicit: Option<&str>,
    env_actor: Option<String>,
    machine: impl FnOnce() -> Option<String>,
    user: Option<String>,
) -> Result<String> {
    if let Some(a) = explicit {
        if a.trim().is_empty() {
            return Err(Error::bad_input(
                "--actor is empty: say who is acting (an approver id, or a name such as ci@example.com)",
            ));
        }
        return Ok(a.trim().to_string());
    }
    let given = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    given(env_actor)
        .or_else(|| given(machine()))
        .or_else(|| given(user))
        .ok_or_else(|| {
            Error::bad_input("who is acting? nothing names you").with_hint(Hint::NameActor)
        })
}

/// The listed identity this machine signs as without being asked who it is: the one whose key
/// is in `TOLLGATE_SIGNING_KEY` or (the only one) in ssh-agent, else this machine's keychain
/// identity when tollgate.toml lists it. `None` when nothing names one (what a checkpoint is
/// signed as).
pub(crate) fn signing_identity(ws: &Workspace, ctx: &Context) -> Option<String> {
    signing::identity_in_sources(&ws.config.identities(), &sources())
        .or_else(|| machine_identity(ws, ctx))
}

/// This machine's signing identity, when tollgate.toml lists it as an approver. A keychain
/// that cannot be read (no Secret Service, as under cron) names nobody; the next source is
/// asked.
fn machine_identity(ws: &Workspace, ctx: &Context) -> Option<String> {
    match default_approver(ctx.secrets.as_ref()) {
        Ok(Some(id)) => ws
            .config
            .identities()
            .into_iter()
            .find(|a| a.id.eq_ignore_ascii_case(&id))
            .map(|a| a.id),
        Ok(None) => None,
        Err(e) => {
            tracing::debug!(error = %e.message, "no signing identity from the keychain");
            None
        }
    }
}

/// The key that signs an event authored by `actor` (an identity from [`resolve_actor`]): the
/// approver or `[[signers]]` entry with that id must be listed in tollgate.toml, and its listed
/// key must be in `TOLLGATE_SIGNING_KEY`, ssh-agent or the OS keychain
/// ([`Signer::resolve`]). Refused with one line saying how to get one otherwise.
pub fn signer_for(ws: &Workspace, ctx: &Context, actor: &str) -> Result<Signer> {
    signer_from(ws, ctx, actor, &sources())
}

/// [`signer_for`] with the key file and agent given (the demo passes none: it signs with its
/// in-memory keychain whatever the environment holds).
pub(crate) fn signer_from(
    ws: &Workspace,
    ctx: &Context,
    actor: &str,
    sources: &Sources,
) -> Result<Signer> {
    let Some(listed) = ws.config.identity(actor) else {
        return Err(Error::refused(format!(
            "{actor} is not an approver or signer in {}: events are signed by a listed identity",
            ws.config_path.display()
        ))
        .with_hint(Hint::ListIdentity {
            id: actor.to_string(),
        }));
    };
    Signer::resolve(&listed, sources, ctx.secrets.as_ref())
}

/// The key that signs for this machine's listed identity without asking anyone: the identity
/// whose key is in `TOLLGATE_SIGNING_KEY` or (the only one) in ssh-agent, else this machine's
/// signing identity (`tollgate key init`) when tollgate.toml lists it, with its listed key in
/// one of the sources. `Err` says in one line why there is none (a report's seal then says so).
pub(crate) fn machine_signer(ws: &Workspace, ctx: &Context) -> std::result::Result<Signer, String> {
    let id = signing_identity(ws, ctx).ok_or_else(|| {
            format!(
                "no identity listed in {} has its key at hand on this machine: TOLLGATE_SIGNING_KEY, ssh-agent or the keychain",
                ws.config_path.display()
            )
        })?;
    signer_for(ws, ctx, &id).map_err(|e| e.message)
}

/// `actor` as the history records it: the id of the approver it names (`bob`,
/// `BOB@example.com` → `bob@example.com`), else as given (trimmed). A name several approvers
/// share is refused: say which one.
pub(crate) fn identity(ws: &Workspace, actor: &str) -> Result<String> {
    match identify(&ws.config.approvers, actor) {
        Identity::Approver(id) => Ok(id.to_string()),
        Identity::Other => Ok(ws
            .config
            .signers
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(actor.trim()))
            .map_or_else(|| actor.trim().to_string(), |s| s.id.clone())),
        Identity::Ambiguous(ids) => Err(Error::bad_input(format!(
            "actor '{}' could be any of {}: give the full approver id",
            actor.trim(),
            ids.join(", ")
        ))),
    }
}

/// An actor already in the history, as an identity: [`identity`], but a name several approvers
/// share stays as written (four-eyes then excludes all of them).
pub(crate) fn recorded_identity(ws: &Workspace, actor: &str) -> String {
    identity(ws, actor).unwrap_or_else(|_| actor.trim().to_string())
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::domain::SystemClock;
    use crate::keychain::MemoryKeychain;

    fn workspace(ids: &[&str]) -> Workspace {
        let mut text = String::from(
            "[workspace]\nname = \"t\"\ndatabase = \"t.db\"\n[[registries]]\nname = \"r\"\nurl = \"oci:x\"\n",
        );
        for (n, id) in ids.iter().enumerate() {
            text.push_str(&format!(
                "[[approvers]]\nid = \"{id}\"\nroles = [\"qa\"]\nkey = \"{}\"\n",
                crate::config::test_key(n as u8, id)
            ));
        }
        Workspace::from_str(&text, Path::new("/w/tollgate.toml"), None).unwrap()
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn the_first_source_that_names_someone_wins() {
        let none = || None;
        assert_eq!(
            choose(Some("x"), some("y"), || some("z"), some("u")).unwrap(),
            "x"
        );
        assert_eq!(
            choose(None, some("y"), || some("z"), some("u")).unwrap(),
            "y"
        );
        assert_eq!(
            choose(None, some(" "), || some("z"), some("u")).unwrap(),
            "z"
        );
        assert_eq!(choose(None, None, none, some("u")).unwrap(), "u");
        let e = choose(None, None, none, None).unwrap_err();
        assert_eq!(e.code, crate::Code::BadInput);
        assert_eq!(e.hint, Some(Hint::NameActor));
        assert!(choose(Some("  "), some("y"), none, None).is_err());
    }

    #[test]
    fn the_keychain_identity_counts_only_when_listed() {
        let secrets = Arc::new(MemoryKeychain::default());
        let ctx = Context {
            clock: Arc::new(SystemClock),
            secrets: secrets.clone(),
        };
        let ws = workspace(&["bob@example.com"]);
        assert_eq!(machine_identity(&ws, &ctx), None, "no key yet");
        crate::api::key_init(&ctx, "BOB@example.com").unwrap();
        assert_eq!(
            machine_identity(&ws, &ctx).as_deref(),
            Some("bob@example.com")
        );
        assert_eq!(machine_identity(&workspace(&[]), &ctx), None, "not listed");
    }

    #[test]
    fn names_of_approvers_are_recorded_as_their_ids() {
        let ws = workspace(&["bob@example.com", "bob@corp.example", "carol@example.com"]);
        assert_eq!(identity(&ws, "Carol").unwrap(), "carol@example.com");
        assert_eq!(identity(&ws, "BOB@EXAMPLE.COM").unwrap(), "bob@example.com");
        assert_eq!(identity(&ws, " ci-bot ").unwrap(), "ci-bot");
        let e = identity(&ws, "bob").unwrap_err();
        assert!(
            e.message.contains("bob@example.com, bob@corp.example"),
            "{}",
            e.message
        );
        assert_eq!(recorded_identity(&ws, "bob"), "bob");
    }
}
