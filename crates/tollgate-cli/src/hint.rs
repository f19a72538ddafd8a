//! The CLI's words for a [`Hint`]: the command line that does it, with its flags. (The desktop
//! words the same facts as actions in its window, in `ui/src/lib/hint.ts`.)

use tollgate::Hint;

/// What to do, as a clause that follows a sentence of what is wrong (`…; run \`tollgate …\``).
pub fn words(hint: &Hint) -> String {
    match hint {
        Hint::Record { app, env, image } => format!(
            "if it is right, record it (signed by you) with `tollgate record --app {app} --env {env} --image {image}`"
        ),
        Hint::RecordWho { app, env, image } => format!(
            "say who deployed it with `tollgate record --app {app} --env {env} --image {image} --actor ID`"
        ),
        Hint::CloseIncident { app, id } => {
            format!("`tollgate incident close --app {app} --id {id} --resolution TEXT`")
        }
        Hint::Attest { app, digest, check } => format!(
            "`tollgate attest --app {app} --digest {digest} --check {check} --result pass --summary TEXT`"
        ),
        Hint::Unreject { app, digest, env } => {
            let confirm = digest.strip_prefix("sha256:").unwrap_or(digest);
            let confirm = confirm.get(..12).unwrap_or(confirm);
            let env = env
                .as_deref()
                .map(|e| format!(" --env {e}"))
                .unwrap_or_default();
            format!(
                "lift it with `tollgate unreject --app {app} --digest {digest} --confirm {confirm}{env} --reason TEXT`"
            )
        }
        Hint::SignWithKey { id } => format!(
            "make one with `tollgate key init --id {id}` (and list its public key in tollgate.toml), set TOLLGATE_SIGNING_KEY to {id}'s OpenSSH private key file, or add {id}'s key to ssh-agent (`ssh-add`)"
        ),
        Hint::KeyInit { id: Some(id) } => format!("run `tollgate key init --id {id}`"),
        Hint::KeyInit { id: None } => {
            "run `tollgate key init --id YOUR-ID` once, or pass --approver ID".to_string()
        }
        Hint::Login { registry } => format!(
            "run `tollgate login {registry} --username U --password-stdin`, or add them to your docker config"
        ),
        Hint::Sync => "run `tollgate sync`".to_string(),
        Hint::Verify => "run `tollgate verify` to check the history".to_string(),
        Hint::HandOverKey { id } => format!(
            "the line to hand over is what `tollgate key show --id {id}` prints on {id}'s machine"
        ),
        Hint::ListIdentity { id } => format!(
            "add a [[signers]] entry for {id} with its public key (`tollgate key init --id {id}`, then `tollgate key show --id {id}`; or the .pub of the key in TOLLGATE_SIGNING_KEY or ssh-agent), or act as a listed identity (--actor, $TOLLGATE_ACTOR)"
        ),
        Hint::NameActor => "pass --actor ID, set $TOLLGATE_ACTOR, or make this machine's signing key (`tollgate key init --id ID`) and have it listed in tollgate.toml".to_string(),
        Hint::GiveReason => "give it with --reason TEXT".to_string(),
        Hint::ChooseRole { roles } => format!("pass --role (one of {})", roles.join(", ")),
        Hint::NameDigest => "pass --digest sha256:HEX to compare a digest with what it runs".to_string(),
        Hint::OpenWorkspace => {
            "run `tollgate init` to write one, or pass --config FILE".to_string()
        }
    }
}

/// An error's message with its hint worded, as the CLI prints it: the hint follows the message
/// (on its own line when the message has several).
pub fn error_text(e: &tollgate::Error) -> String {
    match &e.hint {
        None => e.message.clone(),
        Some(h) if e.message.contains('\n') => format!("{}\nto fix: {}", e.message, words(h)),
        Some(h) => format!("{}; {}", e.message, words(h)),
    }
}

/// A checklist rule's reason with its fix worded.
pub fn reason_text(r: &tollgate::policy::RuleResult) -> String {
    match &r.fix {
        None => r.reason.clone(),
        Some(h) => format!("{}; {}", r.reason, words(h)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn each_hint_is_a_command_line_with_its_flags() {
        assert_eq!(
            words(&Hint::Unreject {
                app: "api".into(),
                digest: DIGEST.into(),
                env: Some("staging".into())
            }),
            format!("lift it with `tollgate unreject --app api --digest {DIGEST} --confirm 0123456789ab --env staging --reason TEXT`")
        );
        assert!(words(&Hint::Record {
            app: "api".into(),
            env: "staging".into(),
            image: format!("local/payments/api@{DIGEST}")
        })
        .contains(&format!(
            "tollgate record --app api --env staging --image local/payments/api@{DIGEST}"
        )));
        let e = tollgate::Error::refused("no key to sign as bob")
            .with_hint(Hint::SignWithKey { id: "bob".into() });
        assert!(error_text(&e)
            .starts_with("no key to sign as bob; make one with `tollgate key init --id bob`"));
        let e = tollgate::Error::refused("a\nb").with_hint(Hint::Sync);
        assert_eq!(error_text(&e), "a\nb\nto fix: run `tollgate sync`");
    }
}
