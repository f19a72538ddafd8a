use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::config::{
    AppConfig, Config, EnvConfig, EnvTarget, GitConfig, RegistryConfig, RegistryLocation,
};
use crate::domain::reference::{is_tag, split_repository};
use crate::{Error, Result};

pub const DEFAULT_CONFIG: &str = "tollgate.toml";
/// Environment variable naming the workspace file when `--config` is not given.
pub const CONFIG_ENV: &str = "TOLLGATE_CONFIG";

/// A loaded, validated workspace: the config, where it came from, and the database it uses.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub config: Config,
    pub config_path: PathBuf,
    pub db_path: PathBuf,
}

impl Workspace {
    /// Find the workspace file: `--config`, then `$TOLLGATE_CONFIG`, then `./tollgate.toml`.
    #[allow(
        clippy::disallowed_methods,
        reason = "$TOLLGATE_CONFIG names the workspace file"
    )]
    pub fn locate(explicit: Option<&Path>) -> PathBuf {
        explicit
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os(CONFIG_ENV).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG))
    }

    /// Read and validate `config_path`; `db_override` (`--db`) wins over the file's `database`.
    pub fn load(config_path: &Path, db_override: Option<&Path>) -> Result<Self> {
        let text = std::fs::read_to_string(config_path).map_err(|e| {
            Error::config(format!(
                "cannot read workspace file {}: {e}",
                config_path.display()
            ))
            .with_hint(crate::Hint::OpenWorkspace)
        })?;
        Self::from_str(&text, config_path, db_override)
    }

    pub fn from_str(text: &str, config_path: &Path, db_override: Option<&Path>) -> Result<Self> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let place = e
                .span()
                .map(|s| format!(" line {}", text[..s.start].matches('\n').count() + 1))
                .unwrap_or_default();
            Error::config(format!(
                "{}{place}: {}; fix the file (see the book: docs/src/reference/tollgate-toml.md)",
                config_path.display(),
                e.message().trim().replace('\n', " ")
            ))
        })?;
        let config_path = absolute(config_path);
        let dir = config_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let db_path = match (db_override, &config.workspace.database) {
            (Some(p), _) => p.to_path_buf(),
            (None, Some(p)) => dir.join(p),
            (None, None) => default_db_path(&config.workspace.name)?,
        };
        let ws = Workspace {
            config,
            config_path,
            db_path,
        };
        ws.validate()?;
        if let Some(why) = super::identities::same_person(text) {
            return Err(Error::config(format!(
                "{}: {why}",
                ws.config_path.display()
            )));
        }
        Ok(ws)
    }

    pub fn dir(&self) -> &Path {
        self.config_path.parent().unwrap_or(Path::new("."))
    }

    fn validate(&self) -> Result<()> {
        let c = &self.config;
        let bad = |m: String| {
            Err(Error::config(format!(
                "{}: {m}",
                self.config_path.display()
            )))
        };
        if c.workspace.name.trim().is_empty() {
            return bad("[workspace] name is empty".into());
        }
        let mut names = HashSet::new();
        for r in &c.registries {
            if !names.insert(r.name.as_str()) {
                return bad(format!("registry '{}' is defined twice", r.name));
            }
            r.location(self.dir())?;
            r.check_pull()?;
        }
        let mut gits = HashSet::new();
        for g in &c.git {
            if !gits.insert(g.name.as_str()) {
                return bad(format!("git '{}' is defined twice", g.name));
            }
            g.check(self.dir()).map_err(|e| {
                Error::config(format!("{}: {}", self.config_path.display(), e.message))
            })?;
        }
        let mut apps = HashSet::new();
        for app in &c.apps {
            if !apps.insert(app.name.as_str()) {
                return bad(format!("app '{}' is defined twice", app.name));
            }
            if app.environments.is_empty() {
                return bad(format!("app '{}' has no environments", app.name));
            }
            let mut envs = HashSet::new();
            for env in &app.environments {
                if !envs.insert(env.name.as_str()) {
                    return bad(format!(
                        "app '{}': environment '{}' is listed twice",
                        app.name, env.name
                    ));
                }
                let repo = env.repository.as_deref().unwrap_or(&app.repository);
                let (registry, _) = split_repository(repo).map_err(|e| {
                    as_config(e, format!("app '{}', environment '{}'", app.name, env.name))
                })?;
                let Some(registry) = c.registries.iter().find(|r| r.name == registry) else {
                    return bad(format!("app '{}', environment '{}': repository '{repo}' names registry '{registry}', which is not in [[registries]]", app.name, env.name));
                };
                match &env.target {
                    EnvTarget::Tag(tag) => {
                        if !is_tag(tag) {
                            return bad(format!("app '{}', environment '{}': '{tag}' is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -)", app.name, env.name));
                        }
                    }
                    EnvTarget::Git(g) => {
                        let place = format!("app '{}', environment '{}'", app.name, env.name);
                        super::git::check_target(g, &c.git).map_err(|m| {
                            Error::config(format!("{}: {place}: {m}", self.config_path.display()))
                        })?;
                        if let RegistryLocation::Layout { .. } = registry.location(self.dir())? {
                            return bad(format!("{place}: lives in a deployment file, which names images by registry host, but registry '{}' is a local OCI layout (oci:) with no host; give the app a registry with a host", registry.name));
                        }
                        let twin = app
                            .environments
                            .iter()
                            .take_while(|e| e.name != env.name)
                            .find(|e| e.git_target() == Some(g));
                        if let Some(twin) = twin {
                            return bad(format!("{place}: the same value of {}:{} is environment '{}' already; set `image` to tell them apart, or use another file", g.git, g.file, twin.name));
                        }
                    }
                }
                if let Some(p) = &env.policy {
                    let place = |key: &str| {
                        format!(
                            "app '{}', environment '{}', policy.{key}",
                            app.name, env.name
                        )
                    };
                    p.min_soak().map_err(|e| as_config(e, place("min_soak")))?;
                    p.approval_max_age()
                        .map_err(|e| as_config(e, place("approval_max_age")))?;
                    for role in &p.roles {
                        if !c.approvers.iter().any(|a| a.roles.contains(role)) {
                            return bad(format!("app '{}', environment '{}': policy needs role '{role}' but no approver has it", app.name, env.name));
                        }
                    }
                    if let Some(why) = p.rollback_problem() {
                        return bad(format!("{}: {why}", place("rollback")));
                    }
                }
            }
            if app.environments.first().is_some_and(|e| e.policy.is_some()) {
                return bad(format!("app '{}': the first environment '{}' has a policy, but nothing is promoted into the first environment; move the policy to a later one", app.name, app.environments[0].name));
            }
        }
        if let Some(ledger) = &c.team.ledger {
            let (registry, _) =
                split_repository(ledger).map_err(|e| as_config(e, "[team] ledger".to_string()))?;
            if !c.registries.iter().any(|r| r.name == registry) {
                return bad(format!("[team] ledger '{ledger}' names registry '{registry}', which is not in [[registries]]"));
            }
        }
        let mut ids = HashSet::new();
        for a in &c.approvers {
            if !ids.insert(a.id.as_str()) {
                return bad(format!("approver '{}' is listed twice", a.id));
            }
            super::validate_approver(a)
                .map_err(|e| as_config(e, format!("approver '{}'", a.id)))?;
        }
        for s in &c.signers {
            if c.approvers.iter().any(|a| a.id == s.id) {
                return bad(format!("signer '{}' is also an approver; an approver already signs records and promotions, so remove its [[signers]] entry", s.id));
            }
            if !ids.insert(s.id.as_str()) {
                return bad(format!("signer '{}' is listed twice", s.id));
            }
            super::validate_approver(&s.as_identity()).map_err(|e| {
                let e = Error::config(e.message.replacen("approver '", "signer '", 1).replacen(
                    "[[approvers]]",
                    "[[signers]]",
                    1,
                ))
                .with_hint_opt(e.hint);
                as_config(e, format!("signer '{}'", s.id))
            })?;
        }
        let mistakes = super::checks::mistakes(c);
        if !mistakes.is_empty() {
            let path = self.config_path.display();
            let lines: Vec<String> = mistakes.iter().map(|m| format!("{path}: {m}")).collect();
            return Err(Error::config(lines.join("\n")));
        }
        Ok(())
    }

    pub fn app(&self, name: &str) -> Result<&AppConfig> {
        self.config
            .apps
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = self.config.apps.iter().map(|a| a.name.as_str()).collect();
                Error::bad_input(format!(
                    "no app '{name}' in {}; known apps: {}",
                    self.config_path.display(),
                    known.join(", ")
                ))
            })
    }

    pub fn env<'a>(&'a self, app: &'a AppConfig, name: &str) -> Result<&'a EnvConfig> {
        app.environments
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = app.environments.iter().map(|e| e.name.as_str()).collect();
                Error::bad_input(format!(
                    "app '{}' has no environment '{name}'; its environments are: {}",
                    app.name,
                    known.join(", ")
                ))
            })
    }

    /// The environment before `env` in the app's order (the source of a promotion into `env`).
    pub fn previous_env<'a>(&'a self, app: &'a AppConfig, env: &str) -> Option<&'a EnvConfig> {
        let i = app.environments.iter().position(|e| e.name == env)?;
        i.checked_sub(1).map(|p| &app.environments[p])
    }

    /// The `[[git]]` entry named `name`.
    pub fn git(&self, name: &str) -> Result<&GitConfig> {
        self.config
            .git
            .iter()
            .find(|g| g.name == name)
            .ok_or_else(|| {
                Error::config(format!(
                    "no [[git]] entry '{name}' in {}; add it, or correct the environment's `git`",
                    self.config_path.display()
                ))
            })
    }

    /// Where this history's bare clone of the `[[git]]` entry `name` lives: beside the
    /// database (`<db>.gitops/<name>.git`), so two databases never share a clone.
    pub fn git_clone_dir(&self, name: &str) -> PathBuf {
        let mut dir = self.db_path.clone().into_os_string();
        dir.push(".gitops");
        PathBuf::from(dir).join(format!("{name}.git"))
    }

    /// The url this history's clone of the `[[git]]` entry `name` is made from: the url as
    /// written for a remote, the absolute path for a repository on this machine (`file://` or a
    /// path). Sync and promote both open the clone with it (the clone refuses another url).
    pub fn git_clone_url(&self, name: &str) -> Result<String> {
        Ok(match self.git(name)?.location(self.dir())? {
            crate::config::GitLocation::Remote { url } => url,
            crate::config::GitLocation::Local { path } => path.to_string_lossy().into_owned(),
        })
    }

    /// `<registry name>/<path>` of an environment.
    pub fn env_repository<'a>(&self, app: &'a AppConfig, env: &'a EnvConfig) -> &'a str {
        env.repository.as_deref().unwrap_or(&app.repository)
    }

    /// The registry config and repository path of an environment.
    pub fn resolve_repository(
        &self,
        repo: &str,
    ) -> Result<(&RegistryConfig, RegistryLocation, String)> {
        let (registry, path) = split_repository(repo)?;
        let r = self
            .config
            .registries
            .iter()
            .find(|r| r.name == registry)
            .ok_or_else(|| {
                Error::bad_input(format!(
                    "'{repo}' names registry '{registry}', which is not in [[registries]] of {}",
                    self.config_path.display()
                ))
            })?;
        Ok((r, r.location(self.dir())?, path))
    }
}

/// A problem found inside the workspace file is a config error, whatever found it.
/// `e` as a config error that names `place` (once: messages that already start with it are
/// kept as they are).
/// `e` as a config error placed at `place` (once), its hint kept.
fn as_config(e: Error, place: String) -> Error {
    let message = if e.message.starts_with(&format!("{place}:")) {
        e.message
    } else {
        format!("{place}: {}", e.message)
    };
    Error::config(message).with_hint_opt(e.hint)
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn default_db_path(workspace: &str) -> Result<PathBuf> {
    let base = dirs::data_dir().ok_or_else(|| Error::config("no data directory for this user (is $HOME set?); set [workspace] database in tollgate.toml"))?;
    let safe: String = workspace
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(base.join("tollgate").join(format!("{safe}.db")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[workspace]
name = "payments"
database = "t.db"

[[registries]]
name = "local"
url = "http://127.0.0.1:5000"

[[apps]]
name = "api"
repository = "local/payments/api"
environments = [
  { name = "dev", tag = "dev" },
  { name = "production", tag = "production", repository = "local/prod/api",
    policy = { approvals = 1, roles = ["manager"], min_soak = "24h", four_eyes = true } },
]

[[approvers]]
id = "alice@example.com"
roles = ["manager"]
key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKnOtDybtJ1p01A2TSkf93Y52VOmKohWUzkWPrFZRPTw alice"
"#;

    #[test]
    fn loads_the_contract_example() {
        let ws = Workspace::from_str(GOOD, Path::new("/w/tollgate.toml"), None).unwrap();
        assert_eq!(ws.db_path, PathBuf::from("/w/t.db"));
        let app = ws.app("api").unwrap();
        assert_eq!(ws.previous_env(app, "production").unwrap().name, "dev");
        assert!(ws.previous_env(app, "dev").is_none());
        let prod = ws.env(app, "production").unwrap();
        assert_eq!(ws.env_repository(app, prod), "local/prod/api");
    }

    #[test]
    fn a_damaged_approver_key_says_whose_line_to_hand_over() {
        let text = GOOD.replace("AAAAC3NzaC1lZDI1NTE5AAAAIKnOtDybtJ1p01A2", "AAAA");
        let e = Workspace::from_str(&text, Path::new("t.toml"), None).unwrap_err();
        assert_eq!(e.code, crate::Code::Config);
        assert!(
            e.message.starts_with("approver 'alice@example.com': key "),
            "{}",
            e.message
        );
        assert_eq!(
            e.hint,
            Some(crate::Hint::HandOverKey {
                id: "alice@example.com".into()
            })
        );
    }

    #[test]
    fn unknown_key_names_the_key_and_the_line() {
        let text = GOOD.replace(
            "url = \"http://127.0.0.1:5000\"",
            "url = \"http://127.0.0.1:5000\"\ncolour = \"red\"",
        );
        let e = Workspace::from_str(&text, Path::new("t.toml"), None).unwrap_err();
        assert_eq!(e.code, crate::Code::Config);
        assert!(
            e.message.contains("colour") && e.message.contains("line 9"),
            "{}",
            e.message
        );
        assert!(!e.message.contains('\n'));
    }

    #[test]
    fn durations_too_long_are_config_errors_with_their_key_and_line() {
        for (key, value) in [
            ("min_soak", "200000000000d"),
            ("min_soak", "100000000d"),
            ("min_soak", "99999999999999999999999h"),
            ("approval_max_age", "100000000d"),
        ] {
            let text = GOOD.replace(
                "min_soak = \"24h\"",
                &format!("min_soak = \"24h\", {key} = \"{value}\""),
            );
            let text = text.replacen("min_soak = \"24h\", min_soak", "min_soak", 1);
            let e = Workspace::from_str(&text, Path::new("t.toml"), None).unwrap_err();
            assert_eq!(e.code, crate::Code::Config, "{value}: {}", e.message);
            assert!(
                e.message.contains(key)
                    && e.message.contains("line 16")
                    && e.message.contains("too long a duration"),
                "{key} = {value}: {}",
                e.message
            );
            assert!(!e.message.contains('\n'));
        }
    }

    #[test]
    fn approval_max_age_is_read_and_checked() {
        let text = GOOD.replace(
            "min_soak = \"24h\"",
            "min_soak = \"24h\", approval_max_age = \"7d\"",
        );
        let ws = Workspace::from_str(&text, Path::new("t.toml"), None).unwrap();
        let app = ws.app("api").unwrap();
        let policy = ws.env(app, "production").unwrap().policy.as_ref().unwrap();
        assert_eq!(
            policy.approval_max_age().unwrap(),
            Some(chrono::Duration::days(7))
        );
        let bad = GOOD.replace(
            "min_soak = \"24h\"",
            "min_soak = \"24h\", approval_max_age = \"a week\"",
        );
        let e = Workspace::from_str(&bad, Path::new("t.toml"), None).unwrap_err();
        assert!(
            e.message.contains("approval_max_age") && e.message.contains("line 16"),
            "{}",
            e.message
        );
        // Unknown policy keys are still errors that name the key.
        let unknown = GOOD.replace(
            "min_soak = \"24h\"",
            "min_soak = \"24h\", approval_max_ages = \"7d\"",
        );
        let e = Workspace::from_str(&unknown, Path::new("t.toml"), None).unwrap_err();
        assert!(e.message.contains("approval_max_ages"), "{}", e.message);
    }

    #[test]
    fn an_emergency_rollback_rule_needs_fewer_approvals_but_every_role() {
        let with = |rule: &str| {
            GOOD.replace(
                "approvals = 1, roles = [\"manager\"]",
                &format!("approvals = 2, roles = [\"manager\"], rollback = {{ {rule} }}"),
            )
        };
        let ws = Workspace::from_str(&with("approvals = 1"), Path::new("t.toml"), None).unwrap();
        let app = ws.app("api").unwrap();
        let policy = ws.env(app, "production").unwrap().policy.as_ref().unwrap();
        assert_eq!(policy.rollback.map(|r| r.approvals), Some(1));
        for (rule, says) in [
            ("approvals = 2", "not below the policy's approvals = 2"),
            ("approvals = 0", "at least 1"),
            ("approvals = 1, soak = \"1h\"", "soak"),
        ] {
            let e = Workspace::from_str(&with(rule), Path::new("t.toml"), None).unwrap_err();
            assert_eq!(e.code, crate::Code::Config, "{rule}: {}", e.message);
            assert!(e.message.contains(says), "{rule}: {}", e.message);
            assert!(!e.message.contains('\n'), "{}", e.message);
        }
        // `roles` still apply: N below the number of roles is refused in one line.
        let two_roles = with("approvals = 1")
            .replace(
                "roles = [\"manager\"], rollback",
                "roles = [\"manager\", \"qa\"], rollback",
            )
            .replace("approvals = 2, roles", "approvals = 3, roles")
            .replace(
                "roles = [\"manager\"]\nkey",
                "roles = [\"manager\", \"qa\"]\nkey",
            );
        let e = Workspace::from_str(&two_roles, Path::new("t.toml"), None).unwrap_err();
        assert!(
            e.message.contains("policy.rollback")
                && e.message.contains("below the 2 roles")
                && !e.message.contains('\n'),
            "{}",
            e.message
        );
    }

    #[test]
    fn refuses_inconsistent_workspaces() {
        for (from, to) in [
            (
                "url = \"http://127.0.0.1:5000\"",
                "url = \"http://registry.example.com\"",
            ),
            (
                "repository = \"local/prod/api\"",
                "repository = \"nowhere/prod/api\"",
            ),
            ("min_soak = \"24h\"", "min_soak = \"a day\""),
            ("roles = [\"manager\"], min", "roles = [\"qa\"], min"),
            ("tag = \"dev\"", "tag = \"dev:1\""),
        ] {
            let text = GOOD.replace(from, to);
            assert_ne!(text, GOOD);
            let e = Workspace::from_str(&text, Path::new("t.toml"), None).unwrap_err();
            assert_eq!(e.code, crate::Code::Config, "{to}: {}", e.message);
        }
    }

    /// Another key than alice's in GOOD: one key is one person.
    const CI: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f ci";

    #[test]
    fn signers_are_identities_without_roles() {
        let text = format!("{GOOD}\n[[signers]]\nid = \"ci@example.com\"\nkey = \"{CI}\"\n");
        let ws = Workspace::from_str(&text, Path::new("t.toml"), None).unwrap();
        assert_eq!(ws.config.signers.len(), 1);
        assert_eq!(ws.config.approvers.len(), 1, "a signer is not an approver");
        let ci = ws.config.identity("ci@example.com").unwrap();
        assert!(ci.roles.is_empty());
        assert_eq!(ws.config.identities().len(), 2);

        let roles = format!(
            "{GOOD}\n[[signers]]\nid = \"ci@example.com\"\nroles = [\"qa\"]\nkey = \"{CI}\"\n"
        );
        let e = Workspace::from_str(&roles, Path::new("t.toml"), None).unwrap_err();
        assert_eq!(e.code, crate::Code::Config);
        assert!(
            e.message.contains("roles") && e.message.contains("line 26"),
            "{}",
            e.message
        );

        let bad_key =
            format!("{GOOD}\n[[signers]]\nid = \"ci@example.com\"\nkey = \"ssh-rsa AAAA\"\n");
        let e = Workspace::from_str(&bad_key, Path::new("t.toml"), None).unwrap_err();
        assert!(
            e.message.starts_with("signer 'ci@example.com'"),
            "{}",
            e.message
        );

        let twice = format!("{GOOD}\n[[signers]]\nid = \"alice@example.com\"\nkey = \"{CI}\"\n");
        let e = Workspace::from_str(&twice, Path::new("t.toml"), None).unwrap_err();
        assert!(e.message.contains("is also an approver"), "{}", e.message);
    }
}

#[cfg(test)]
mod identity_tests {
    use super::*;

    const KEY_A: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKnOtDybtJ1p01A2TSkf93Y52VOmKohWUzkWPrFZRPTw a";
    const KEY_B: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f b";

    fn base() -> String {
        "[workspace]\nname = \"p\"\ndatabase = \"t.db\"\n\n[[registries]]\nname = \"local\"\nurl = \"http://127.0.0.1:5000\"\n\n[[apps]]\nname = \"api\"\nrepository = \"local/p/api\"\nenvironments = [{ name = \"dev\", tag = \"dev\" }]\n".into()
    }

    fn entry(table: &str, id: &str, key: &str) -> String {
        format!("\n[[{table}]]\nid = \"{id}\"\nkey = \"{key}\"\n")
    }

    fn load(text: &str) -> Result<Workspace> {
        Workspace::from_str(text, Path::new("t.toml"), None)
    }

    #[test]
    fn ids_that_differ_only_in_case_are_refused_with_both_lines() {
        let text = format!(
            "{}{}{}",
            base(),
            entry("approvers", "alice@example.com", KEY_A),
            entry("approvers", "Alice@Example.com", KEY_B)
        );
        let e = load(&text).unwrap_err();
        assert_eq!(e.code, crate::Code::Config);
        assert_eq!(
            e.message.split(": ").nth(1).unwrap(),
            "approver 'alice@example.com' (line 15) and approver 'Alice@Example.com' (line 19) differ only in letter case, so one person would count twice; keep one entry per person, with one spelling of the id"
        );
        assert!(!e.message.contains('\n'));
    }

    #[test]
    fn one_key_for_two_identities_is_refused_current_or_previous() {
        // An approver and a signer sharing a current key.
        let text = format!(
            "{}{}{}",
            base(),
            entry("approvers", "alice@example.com", KEY_A),
            entry("signers", "ci@example.com", &KEY_A.replace(" a", " ci"))
        );
        let e = load(&text).unwrap_err();
        assert!(
            e.message
                .contains("approver 'alice@example.com' (line 16, key)")
                && e.message.contains("signer 'ci@example.com' (line 20, key)")
                && e.message.contains("same public key"),
            "{}",
            e.message
        );
        // One's retired key is the other's current one.
        let text = format!(
            "{}{}{}previous_keys = [{{ key = \"{KEY_A}\", until = \"2026-01-01T00:00:00Z\" }}]\n",
            base(),
            entry("approvers", "alice@example.com", KEY_A),
            entry("approvers", "bob@example.com", KEY_B)
        );
        let e = load(&text).unwrap_err();
        assert!(
            e.message
                .contains("approver 'bob@example.com' (line 21, previous_keys #1)"),
            "{}",
            e.message
        );
        // Distinct ids with distinct keys load.
        let text = format!(
            "{}{}{}",
            base(),
            entry("approvers", "alice@example.com", KEY_A),
            entry("approvers", "bob@example.com", KEY_B)
        );
        load(&text).unwrap();
    }
}
