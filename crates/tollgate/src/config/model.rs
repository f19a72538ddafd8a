use std::path::{Path, PathBuf};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::domain::parse_duration;
use crate::{Error, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub workspace: WorkspaceSection,
    #[serde(default)]
    pub registries: Vec<RegistryConfig>,
    #[serde(default)]
    pub apps: Vec<AppConfig>,
    #[serde(default)]
    pub approvers: Vec<ApproverConfig>,
    #[serde(default)]
    pub team: TeamConfig,
    /// CI identities (`[[signers]]`): they sign records, promotions and rollbacks, and never
    /// count as approvers.
    #[serde(default)]
    pub signers: Vec<SignerConfig>,
    /// Deployment repositories (`[[git]]`) whose files are environments.
    #[serde(default)]
    pub git: Vec<super::GitConfig>,
    /// Named evidence (`[[checks]]`) a policy may require, and who may attest each.
    #[serde(default)]
    pub checks: Vec<super::CheckConfig>,
}

impl Config {
    /// Every identity that may sign an authored event (record, promotion, rollback): the
    /// approvers, then the signers, each as an [`ApproverConfig`] (signers with no roles).
    pub fn identities(&self) -> Vec<ApproverConfig> {
        self.approvers
            .iter()
            .cloned()
            .chain(self.signers.iter().map(SignerConfig::as_identity))
            .collect()
    }

    /// The identity (approver or signer) with id `id`, exactly as listed.
    pub fn identity(&self, id: &str) -> Option<ApproverConfig> {
        self.identities().into_iter().find(|a| a.id == id)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceSection {
    pub name: String,
    /// Path of the history database, relative to the directory of tollgate.toml.
    pub database: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    pub name: String,
    /// `https://host[:port]`, `http://127.0.0.1:port` (loopback, or with `insecure = true`),
    /// or `oci:PATH` for a local OCI image-layout folder (relative to tollgate.toml).
    pub url: String,
    #[serde(default)]
    pub insecure: bool,
    /// Where deployments pull this registry's images from, when that is not where Tollgate reads
    /// them (a mirror, a pull-through cache, a local layout copied from a registry):
    /// `host[:port][/path]`. Deploy snippets name images there (`{pull}/{path}@sha256:…`).
    #[serde(default)]
    pub pull: Option<String>,
}

/// Where a registry lives, once its `url` is understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryLocation {
    /// An OCI Distribution registry. `host` is `host[:port]`, as used for credentials.
    Remote { host: String, plain_http: bool },
    /// A folder holding one OCI image layout per repository path.
    Layout { root: PathBuf },
}

impl RegistryConfig {
    /// `pull` checked: `host[:port][/path]`, no scheme, no tag or digest, no spaces.
    pub fn check_pull(&self) -> Result<()> {
        let Some(pull) = &self.pull else {
            return Ok(());
        };
        let host = pull.split('/').next().unwrap_or_default();
        let ok = !pull.is_empty()
            && !pull.contains("://")
            && !pull.ends_with('/')
            && !host.is_empty()
            && pull
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._:/".contains(c))
            && pull
                .split('/')
                .skip(1)
                .all(|p| !p.is_empty() && !p.contains(':'));
        if ok {
            Ok(())
        } else {
            Err(Error::config(format!(
                "registry '{}': pull '{pull}' is not host[:port][/path]; write where deployments pull from, e.g. registry.example.com or registry.example.com:5000/mirror",
                self.name
            )))
        }
    }

    pub fn location(&self, base_dir: &Path) -> Result<RegistryLocation> {
        let bad = |why: &str| {
            Error::config(format!(
                "registry '{}': url '{}' {why}; write https://host[:port], http://127.0.0.1:PORT, or oci:PATH",
                self.name, self.url
            ))
        };
        if let Some(path) = self.url.strip_prefix("oci:") {
            if path.is_empty() {
                return Err(bad("names no folder"));
            }
            return Ok(RegistryLocation::Layout {
                root: base_dir.join(path),
            });
        }
        let (scheme, rest) = self
            .url
            .split_once("://")
            .ok_or_else(|| bad("has no scheme"))?;
        let host = rest.trim_end_matches('/');
        if host.is_empty() || host.contains('/') || host.contains('@') {
            return Err(bad(
                "must be a scheme and a host[:port] only, without a path or user",
            ));
        }
        match scheme {
            "https" => Ok(RegistryLocation::Remote {
                host: host.to_string(),
                plain_http: false,
            }),
            "http" => {
                if !(self.insecure || is_loopback(host)) {
                    return Err(bad("uses plain http for a host that is not loopback (add insecure = true if you really mean it)"));
                }
                Ok(RegistryLocation::Remote {
                    host: host.to_string(),
                    plain_http: true,
                })
            }
            _ => Err(bad("has an unknown scheme")),
        }
    }
}

pub(super) fn is_loopback(host_port: &str) -> bool {
    let host = if let Some(rest) = host_port.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host_port.rsplit_once(':').map_or(host_port, |(h, _)| h)
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    pub name: String,
    /// `<registry name>/<repository path>`
    pub repository: String,
    pub environments: Vec<EnvConfig>,
}

/// One environment: a registry tag (`tag`), or a file in a deployment repository (`git` +
/// `file`, optionally `image`), never both: [`EnvConfig::target`] says which.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawEnvConfig")]
pub struct EnvConfig {
    pub name: String,
    pub target: EnvTarget,
    /// Overrides the app's repository for this environment.
    pub repository: Option<String>,
    pub policy: Option<PolicyConfig>,
}

/// Where an environment's digest lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvTarget {
    /// A registry tag in the environment's repository. Never `sha256-*`: those are the
    /// fallback tags of team sharing.
    Tag(String),
    /// A file in a deployment repository.
    Git(GitTarget),
}

/// An environment that lives in a deployment repository's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitTarget {
    /// The `[[git]]` entry's name.
    pub git: String,
    /// The file's path inside the repository (`apps/api/production/deployment.yaml`).
    pub file: String,
    /// The dotted path of the one value that is the image (Helm values: `api.image`); without
    /// it, every reference to the app's repository in the file.
    pub image: Option<String>,
}

/// `environments = [{ ... }]` as written; [`EnvConfig`] once it names one target.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvConfig {
    name: String,
    #[serde(default, deserialize_with = "environment_tag")]
    tag: Option<String>,
    #[serde(default)]
    git: Option<String>,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    image: Option<String>,
    repository: Option<String>,
    policy: Option<PolicyConfig>,
}

impl TryFrom<RawEnvConfig> for EnvConfig {
    type Error = String;

    fn try_from(raw: RawEnvConfig) -> std::result::Result<Self, String> {
        let name = &raw.name;
        let target = match (raw.tag, raw.git, raw.file) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(format!("environment '{name}' has both `tag` and `git`/`file`; an environment is a registry tag or a file in a deployment repository, never both: keep one"));
            }
            (Some(tag), None, None) => {
                if raw.image.is_some() {
                    return Err(format!("environment '{name}': `image` selects a value in a deployment file and needs `git` and `file`; remove it from a tag environment"));
                }
                EnvTarget::Tag(tag)
            }
            (None, Some(git), Some(file)) => EnvTarget::Git(GitTarget {
                git,
                file,
                image: raw.image,
            }),
            (None, Some(_), None) => {
                return Err(format!("environment '{name}' names `git` but no `file`; add the deployment file's path in the repository (file = \"apps/api/deployment.yaml\")"));
            }
            (None, None, Some(_)) => {
                return Err(format!("environment '{name}' names `file` but no `git`; add the [[git]] entry's name (git = \"deploy\")"));
            }
            (None, None, None) => {
                return Err(format!("environment '{name}' names no target; add `tag = \"...\"` (a registry tag) or `git` + `file` (a file in a deployment repository)"));
            }
        };
        Ok(EnvConfig {
            name: raw.name,
            target,
            repository: raw.repository,
            policy: raw.policy,
        })
    }
}

impl EnvConfig {
    /// The registry tag, for an environment that is one.
    pub fn tag(&self) -> Option<&str> {
        match &self.target {
            EnvTarget::Tag(t) => Some(t),
            EnvTarget::Git(_) => None,
        }
    }

    /// The deployment file, for an environment that lives in a git repository.
    pub fn git_target(&self) -> Option<&GitTarget> {
        match &self.target {
            EnvTarget::Git(g) => Some(g),
            EnvTarget::Tag(_) => None,
        }
    }

    /// How a person names where this environment lives: `tag production` or
    /// `deploy:apps/api/production/deployment.yaml`.
    pub fn place(&self) -> String {
        match &self.target {
            EnvTarget::Tag(t) => format!("tag {t}"),
            EnvTarget::Git(g) => format!("{}:{}", g.git, g.file),
        }
    }
}

// ----- [team]: team history in the registry -----

/// `[team]`: whether events are shared through the registry, and where.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamConfig {
    /// Publish and pull events through the registry (default `true`).
    #[serde(default = "share_default")]
    pub share: bool,
    /// One repository for all events, `<registry name>/<path>`; default: each app's own.
    #[serde(default)]
    pub ledger: Option<String>,
}

impl Default for TeamConfig {
    fn default() -> Self {
        TeamConfig {
            share: true,
            ledger: None,
        }
    }
}

fn share_default() -> bool {
    true
}

/// An environment tag, refused when it is a fallback tag of team sharing (`sha256-…`).
fn environment_tag<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    let tag = String::deserialize(d)?;
    if tag.starts_with("sha256-") {
        return Err(D::Error::custom(format!(
            "tag '{tag}': tags starting with sha256- hold the registry's list of signed events of a digest (team sharing) and are never environment tags; choose another tag"
        )));
    }
    Ok(Some(tag))
}

#[cfg(test)]
mod team_tests {
    use crate::config::Workspace;
    use std::path::Path;

    const BASE: &str = "[workspace]\nname = \"p\"\ndatabase = \"t.db\"\n\n[[registries]]\nname = \"local\"\nurl = \"http://127.0.0.1:5000\"\n\n[[apps]]\nname = \"api\"\nrepository = \"local/p/api\"\nenvironments = [\n  { name = \"dev\", tag = \"dev\" },\n]\n";

    fn load(text: &str) -> crate::Result<Workspace> {
        Workspace::from_str(text, Path::new("t.toml"), None)
    }

    #[test]
    fn team_section_defaults_reads_and_refuses() {
        let ws = load(BASE).unwrap();
        assert!(ws.config.team.share && ws.config.team.ledger.is_none());
        let ws = load(&format!(
            "{BASE}\n[team]\nshare = false\nledger = \"local/tollgate/p\"\n"
        ))
        .unwrap();
        assert!(!ws.config.team.share);
        assert_eq!(ws.config.team.ledger.as_deref(), Some("local/tollgate/p"));
        let e = load(&format!("{BASE}\n[team]\nshared = true\n")).unwrap_err();
        assert!(
            e.message.contains("shared") && e.message.contains("line 17"),
            "{}",
            e.message
        );
        let e = load(&format!("{BASE}\n[team]\nledger = \"elsewhere/x\"\n")).unwrap_err();
        assert!(e.message.contains("elsewhere"), "{}", e.message);
    }

    #[test]
    fn sha256_tags_are_never_environment_tags() {
        let text = BASE.replace("tag = \"dev\"", "tag = \"sha256-abc\"");
        let e = load(&text).unwrap_err();
        assert_eq!(e.code, crate::Code::Config);
        assert!(
            e.message.contains("sha256-abc")
                && e.message.contains("line 13")
                && !e.message.contains('\n'),
            "{}",
            e.message
        );
    }
}

// ----- end of [team] -----

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// Distinct approvers needed.
    #[serde(default)]
    pub approvals: u32,
    /// At least one approval from each of these roles.
    #[serde(default)]
    pub roles: Vec<String>,
    /// How long the digest's current stay in the previous environment must have lasted, e.g.
    /// "24h", counted from when the history learned of it. Checked while loading.
    #[serde(default, deserialize_with = "min_soak")]
    pub min_soak: Option<String>,
    /// An approver may not be the actor who put the digest into the previous environment, and
    /// that actor must be known.
    #[serde(default)]
    pub four_eyes: bool,
    /// Approvals older than this (e.g. "7d", counted from when they were signed and appended)
    /// do not count. Checked while loading.
    #[serde(default, deserialize_with = "approval_max_age")]
    pub approval_max_age: Option<String>,
    /// `[[checks]]` names: each needs a passing attestation of the digest by someone the check
    /// allows, and no failing one signed after it (rule `checks`).
    #[serde(default)]
    pub checks: Vec<String>,
    /// `rollback = { approvals = N }`: an emergency rollback (to a digest that ran in this
    /// environment before, in a stay that did not begin by drift and was not an unapproved
    /// record) passes with N approvals and a reason. N is below `approvals` and at least the
    /// number of `roles` (checked while loading).
    #[serde(default)]
    pub rollback: Option<RollbackRule>,
}

/// A policy's `rollback = { approvals = N }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackRule {
    /// Distinct approvers an emergency rollback needs.
    pub approvals: u32,
}

impl PolicyConfig {
    /// Why `rollback = { approvals = N }` cannot stand in this policy, in one line: N must be
    /// at least 1, below `approvals`, and (since `roles` still apply) no fewer than the roles.
    pub fn rollback_problem(&self) -> Option<String> {
        let n = self.rollback?.approvals;
        if n == 0 {
            return Some("approvals = 0: an emergency rollback needs at least 1 approval".into());
        }
        if n >= self.approvals {
            return Some(format!(
                "approvals = {n} is not below the policy's approvals = {}: an emergency rollback needs fewer approvals than the policy, or remove `rollback`",
                self.approvals
            ));
        }
        if (n as usize) < self.roles.len() {
            return Some(format!(
                "approvals = {n} is below the {} roles the policy needs ({}): an emergency rollback still needs one approval from each, so set it to at least {}",
                self.roles.len(),
                self.roles.join(", "),
                self.roles.len()
            ));
        }
        None
    }

    pub fn min_soak(&self) -> Result<Option<chrono::Duration>> {
        self.min_soak.as_deref().map(parse_duration).transpose()
    }

    pub fn approval_max_age(&self) -> Result<Option<chrono::Duration>> {
        self.approval_max_age
            .as_deref()
            .map(parse_duration)
            .transpose()
    }
}

/// A duration setting, checked as it is read, so that a bad one is reported with its line.
fn duration_setting<'de, D: Deserializer<'de>>(
    d: D,
    key: &str,
) -> std::result::Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    parse_duration(&text).map_err(|e| D::Error::custom(format!("{key}: {}", e.message)))?;
    Ok(Some(text))
}

fn min_soak<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<String>, D::Error> {
    duration_setting(d, "min_soak")
}

fn approval_max_age<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    duration_setting(d, "approval_max_age")
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproverConfig {
    pub id: String,
    #[serde(default)]
    pub roles: Vec<String>,
    /// OpenSSH public key: `ssh-ed25519 AAAA... comment`.
    pub key: String,
    /// Keys this approver signed with before `key` (a key rotation): each still verifies the
    /// approvals signed at or before its `until`, and nothing signed later.
    #[serde(default)]
    pub previous_keys: Vec<PreviousKeyConfig>,
}

/// A CI identity: `[[signers]]` with `id`, `key` and optional `previous_keys`, like an
/// approver but without roles: it signs records, promotions and rollbacks, never approvals.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerConfig {
    pub id: String,
    /// OpenSSH public key: `ssh-ed25519 AAAA... comment`.
    pub key: String,
    #[serde(default)]
    pub previous_keys: Vec<PreviousKeyConfig>,
}

impl SignerConfig {
    /// This signer as an identity with no roles, for the key and trust checks approvers share.
    pub fn as_identity(&self) -> ApproverConfig {
        ApproverConfig {
            id: self.id.clone(),
            roles: Vec::new(),
            key: self.key.clone(),
            previous_keys: self.previous_keys.clone(),
        }
    }
}

/// A retired key of an approver: `{ key = "ssh-ed25519 AAAA…", until = "2026-11-01T00:00:00Z" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviousKeyConfig {
    /// OpenSSH public key, as `key` above.
    pub key: String,
    /// RFC 3339: the last moment an approval signed with this key is valid.
    pub until: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in [
            "127.0.0.1:5000",
            "localhost:5000",
            "[::1]:5000",
            "127.3.2.1",
            "localhost",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "10.0.0.1:5000",
            "registry.example.com",
            "[2001:db8::1]:5000",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
