//! `[[checks]]`: the named pieces of evidence a policy may require (a load test, a reviewed
//! security scan) and who may attest them, by role or by identity
//! (docs/src/contracts/incidents-and-evidence.md):
//!
//! ```toml
//! [[checks]]
//! name = "load-test"
//! signers = ["ci@example.com"]          # listed identities (approvers or [[signers]])
//!
//! [[checks]]
//! name = "security-review"
//! roles = ["security"]                  # any approver holding one of these roles
//! ```
//!
//! A policy requires them with `checks = ["load-test", "security-review"]`.

use serde::Deserialize;

use super::{ApproverConfig, Config};

/// The longest check name accepted, in characters.
pub const CHECK_NAME_MAX: usize = 64;

/// One `[[checks]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckConfig {
    /// The check's name, as a policy's `checks` and `tollgate attest --check` write it.
    pub name: String,
    /// Approvers holding any of these roles may attest it.
    #[serde(default)]
    pub roles: Vec<String>,
    /// These identities (approver or `[[signers]]` ids) may attest it.
    #[serde(default)]
    pub signers: Vec<String>,
}

impl CheckConfig {
    /// Whether `identity` (an approver or a signer, as listed) may attest this check: its id is
    /// one of `signers`, or it holds one of `roles`.
    pub fn allows(&self, identity: &ApproverConfig) -> bool {
        self.signers.iter().any(|s| s == &identity.id)
            || identity.roles.iter().any(|r| self.roles.contains(r))
    }

    /// Who may attest it, in words: `roles security; signers ci@example.com`.
    pub fn who(&self) -> String {
        let mut parts = Vec::new();
        if !self.roles.is_empty() {
            parts.push(format!("role {}", self.roles.join(", ")));
        }
        if !self.signers.is_empty() {
            parts.push(self.signers.join(", "));
        }
        parts.join(" or ")
    }
}

impl Config {
    /// The ids of every listed identity (approvers, then `[[signers]]`) that may attest `check`.
    pub fn attesters(&self, check: &CheckConfig) -> Vec<String> {
        self.identities()
            .into_iter()
            .filter(|i| check.allows(i))
            .map(|i| i.id)
            .collect()
    }
}

/// Whether `name` is a check name: 1 to [`CHECK_NAME_MAX`] ASCII letters, digits, `-`, `_`, `.`,
/// starting with a letter or digit.
pub fn is_check_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= CHECK_NAME_MAX
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// Every mistake in `[[checks]]` and in the policies' `checks`, one line each (empty: none).
pub(super) fn mistakes(c: &Config) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for check in &c.checks {
        let name = check.name.as_str();
        if !is_check_name(name) {
            out.push(format!("[[checks]] name {name:?} is not a check name: use 1 to {CHECK_NAME_MAX} letters, digits, '-', '_' or '.' (e.g. \"load-test\")"));
        }
        if seen.contains(&name) {
            out.push(format!(
                "check '{name}' is defined twice in [[checks]]; keep one entry per check"
            ));
        }
        seen.push(name);
        if check.roles.is_empty() && check.signers.is_empty() {
            out.push(format!("check '{name}' names nobody who may attest it: add roles = [\"...\"] and/or signers = [\"id\"]"));
        }
        for role in &check.roles {
            if !c.approvers.iter().any(|a| a.roles.contains(role)) {
                out.push(format!("check '{name}': role '{role}' is held by no approver, so nobody could attest it; give an approver that role or correct it"));
            }
        }
        for id in &check.signers {
            if c.identity(id).is_none() {
                out.push(format!("check '{name}': signer '{id}' is not an [[approvers]] or [[signers]] id; list it with its key, or correct the id"));
            }
        }
    }
    for app in &c.apps {
        for env in &app.environments {
            let Some(p) = &env.policy else { continue };
            let mut required: Vec<&str> = Vec::new();
            for name in &p.checks {
                if !c.checks.iter().any(|x| &x.name == name) {
                    let known: Vec<&str> = c.checks.iter().map(|x| x.name.as_str()).collect();
                    out.push(format!(
                        "app '{}', environment '{}', policy.checks: no [[checks]] entry is named '{name}' ({}); declare it, or correct the name",
                        app.name,
                        env.name,
                        if known.is_empty() {
                            "none is declared".to_string()
                        } else {
                            format!("declared: {}", known.join(", "))
                        }
                    ));
                }
                if required.contains(&name.as_str()) {
                    out.push(format!(
                        "app '{}', environment '{}', policy.checks lists '{name}' twice",
                        app.name, env.name
                    ));
                }
                required.push(name);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{test_key, Workspace};

    fn base(checks: &str, policy_checks: &str) -> String {
        format!(
            "[workspace]\nname = \"p\"\ndatabase = \"t.db\"\n\n[[registries]]\nname = \"local\"\nurl = \"http://127.0.0.1:5000\"\n\n[[apps]]\nname = \"api\"\nrepository = \"local/p/api\"\nenvironments = [\n  {{ name = \"staging\", tag = \"staging\" }},\n  {{ name = \"production\", tag = \"production\", policy = {{ approvals = 1, checks = [{policy_checks}] }} }},\n]\n\n[[approvers]]\nid = \"sec@example.com\"\nroles = [\"security\"]\nkey = \"{}\"\n\n[[signers]]\nid = \"ci@example.com\"\nkey = \"{}\"\n{checks}",
            test_key(1, "sec@example.com"),
            test_key(2, "ci@example.com")
        )
    }

    fn load(text: &str) -> crate::Result<Workspace> {
        Workspace::from_str(text, Path::new("/w/tollgate.toml"), None)
    }

    const GOOD: &str = "\n[[checks]]\nname = \"load-test\"\nsigners = [\"ci@example.com\"]\n\n[[checks]]\nname = \"security-review\"\nroles = [\"security\"]\n";

    #[test]
    fn checks_are_read_and_required_by_policies() {
        let ws = load(&base(GOOD, "\"load-test\", \"security-review\"")).unwrap();
        assert_eq!(ws.config.checks.len(), 2);
        let p = ws.config.apps[0].environments[1].policy.as_ref().unwrap();
        assert_eq!(p.checks, vec!["load-test", "security-review"]);
        let ci = ws.config.identity("ci@example.com").unwrap();
        let sec = ws.config.identity("sec@example.com").unwrap();
        assert!(ws.config.checks[0].allows(&ci) && !ws.config.checks[0].allows(&sec));
        assert!(ws.config.checks[1].allows(&sec) && !ws.config.checks[1].allows(&ci));
        assert_eq!(ws.config.checks[0].who(), "ci@example.com");
        assert_eq!(ws.config.checks[1].who(), "role security");
        assert_eq!(
            ws.config.attesters(&ws.config.checks[0]),
            ["ci@example.com"]
        );
        assert_eq!(
            ws.config.attesters(&ws.config.checks[1]),
            ["sec@example.com"]
        );
    }

    #[test]
    fn every_mistake_is_one_line() {
        let e = load(&base(GOOD, "\"load-tset\"")).unwrap_err();
        assert_eq!(e.code, crate::Code::Config);
        assert!(
            e.message
                .contains("no [[checks]] entry is named 'load-tset'")
                && e.message.contains("declared: load-test, security-review")
                && !e.message.contains('\n'),
            "{}",
            e.message
        );
        let bad = "\n[[checks]]\nname = \"load test\"\nroles = [\"dba\"]\nsigners = [\"nobody@example.com\"]\n\n[[checks]]\nname = \"x\"\n\n[[checks]]\nname = \"x\"\nroles = [\"security\"]\n";
        let e = load(&base(bad, "\"x\", \"x\"")).unwrap_err();
        let lines: Vec<&str> = e.message.lines().collect();
        assert_eq!(lines.len(), 6, "{}", e.message);
        for (line, needle) in lines.iter().zip([
            "\"load test\" is not a check name",
            "role 'dba' is held by no approver",
            "signer 'nobody@example.com' is not",
            "check 'x' names nobody",
            "check 'x' is defined twice",
            "lists 'x' twice",
        ]) {
            assert!(
                line.starts_with("/w/tollgate.toml: ") && line.contains(needle),
                "{line} / {needle}"
            );
        }
        let e = load(&base(GOOD.replace("signers", "signer").as_str(), "")).unwrap_err();
        assert!(e.message.contains("signer"), "{}", e.message);
    }
}
