//! The commented tollgate.toml of a [`WorkspacePlan`].

use std::fmt::Write as _;

use super::plan::{PolicyPreset, WorkspacePlan};

/// The registry's name in the written file.
pub const REGISTRY_NAME: &str = "main";
/// The roles the first approver gets: every role a preset names.
pub const FIRST_APPROVER_ROLES: [&str; 2] = ["manager", "qa"];

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The file for `plan`; `key` is the first approver's public key (`ssh-ed25519 AAAA… id`),
/// given when the plan names one.
pub fn render(plan: &WorkspacePlan, key: Option<&str>) -> String {
    let approver = plan.approver.as_deref().zip(key);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Tollgate workspace, written by `tollgate init --registry` from what the registry holds.\n# Reference: the README's \"tollgate.toml\" section.\n[workspace]\nname = {}\ndatabase = \"tollgate.db\"          # relative to this file; omit for the platform data dir\n",
        quoted(&plan.name)
    );
    let _ = writeln!(
        out,
        "[[registries]]\nname = \"{REGISTRY_NAME}\"\nurl = {}\n# Credentials never go here: `tollgate login {REGISTRY_NAME} --username U --password-stdin`, or your docker config.\n",
        quoted(&plan.registry_url)
    );
    for app in &plan.apps {
        let _ = writeln!(
            out,
            "[[apps]]\nname = {}\nrepository = {}\nenvironments = [",
            quoted(&app.name),
            quoted(&format!("{REGISTRY_NAME}/{}", app.repository))
        );
        for (i, env) in app.environments.iter().enumerate() {
            let policy = match (i, approver) {
                (0, _) | (_, None) => None,
                (_, Some(_)) => env.policy.toml(),
            };
            let _ = match policy {
                Some(p) => writeln!(
                    out,
                    "  {{ name = {}, tag = {}, {p} }},",
                    quoted(&env.name),
                    quoted(&env.tag)
                ),
                None => writeln!(
                    out,
                    "  {{ name = {}, tag = {} }},",
                    quoted(&env.name),
                    quoted(&env.tag)
                ),
            };
        }
        out.push_str("]\n\n");
    }
    for why in &plan.skipped {
        let _ = writeln!(out, "# Not added: {why}");
    }
    if !plan.skipped.is_empty() {
        out.push('\n');
    }
    out.push_str(&presets_comment(approver.is_some()));
    match approver {
        Some((id, key)) => {
            let roles = FIRST_APPROVER_ROLES
                .iter()
                .map(|r| quoted(r))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = write!(
                out,
                "\n# The first approver: this person, with the key `tollgate key init` keeps in the OS keychain.\n# Each approver's public key comes from `tollgate key init --id ID` on their machine.\n[[approvers]]\nid = {}\nroles = [{roles}]\nkey = {}\n",
                quoted(id),
                quoted(key)
            );
        }
        None => out.push_str(
            "\n# Approvers: each one runs `tollgate key init --id ID` and sends you the public key it prints.\n# [[approvers]]\n# id = \"manager@example.com\"\n# roles = [\"manager\"]\n# key = \"ssh-ed25519 AAAA… manager@example.com\"\n",
        ),
    }
    out
}

fn presets_comment(has_approver: bool) -> String {
    let mut s = String::from(if has_approver {
        "# Policy presets for an environment digests are promoted into (every one after the first):\n"
    } else {
        "# No policies yet: anyone may promote. Once approvers are listed below, give an environment\n# after the first one of these presets:\n"
    });
    for (what, preset) in [
        ("none", PolicyPreset::None),
        ("one approval", PolicyPreset::OneApproval),
        ("two approvals", PolicyPreset::TwoApprovals),
    ] {
        match preset.toml() {
            Some(p) => {
                let _ = writeln!(
                    s,
                    "#   {what}: {{ name = \"production\", tag = \"production\", {p} }}"
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "#   {what}: {{ name = \"production\", tag = \"production\" }}"
                );
            }
        }
    }
    s.push_str("# Policy keys: approvals, roles, min_soak (the current stay in the previous environment),\n# four_eyes (who put it there is known and may not approve), approval_max_age (e.g. \"7d\").\n");
    s
}
