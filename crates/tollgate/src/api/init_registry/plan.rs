//! What a new workspace holds before it is written: apps, their environments (suggested from
//! tag names) and a policy preset per gated environment. Pure: no registry, no keychain.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Tag names that suggest an environment, in the order environments are promoted through.
pub const ENVIRONMENT_TAGS: [&str; 6] = ["dev", "test", "qa", "staging", "prod", "production"];

/// A policy for an environment digests are promoted into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PolicyPreset {
    /// Anyone may promote.
    None,
    /// One signed approval.
    OneApproval,
    /// Two approvals, one from a manager and one from qa, after 24 h in the previous
    /// environment, by people other than the one who put it there.
    TwoApprovals,
}

impl PolicyPreset {
    /// The inline `policy = { ... }` of the preset; `None` for no policy.
    pub fn toml(self) -> Option<&'static str> {
        match self {
            PolicyPreset::None => None,
            PolicyPreset::OneApproval => Some("policy = { approvals = 1 }"),
            PolicyPreset::TwoApprovals => Some(
                r#"policy = { approvals = 2, roles = ["manager", "qa"], min_soak = "24h", four_eyes = true }"#,
            ),
        }
    }
}

/// One environment of an app: a tag of its repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EnvPlan {
    pub name: String,
    pub tag: String,
    /// Ignored for the first environment (nothing is promoted into it).
    pub policy: PolicyPreset,
}

/// One app: a repository of the registry and its environments, in promotion order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AppPlan {
    pub name: String,
    /// The repository path in the registry (`payments/api`).
    pub repository: String,
    pub environments: Vec<EnvPlan>,
}

/// Everything a new tollgate.toml holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WorkspacePlan {
    /// `[workspace] name`.
    pub name: String,
    /// `https://host[:port]` (or `http://` for a loopback host).
    pub registry_url: String,
    pub apps: Vec<AppPlan>,
    /// The first approver (this person), with the roles every preset names; `None`: no
    /// approvers and no policies, the presets as comments.
    pub approver: Option<String>,
    /// Repositories that got no app, each with why (one line), written as comments.
    pub skipped: Vec<String>,
}

/// The environments the tags of a repository suggest: each of [`ENVIRONMENT_TAGS`] that is a
/// tag (case-insensitively), in that order, named as the list names it.
pub fn suggest_environments(tags: &[String], preset: PolicyPreset) -> Vec<EnvPlan> {
    ENVIRONMENT_TAGS
        .iter()
        .filter_map(|name| {
            tags.iter()
                .find(|t| t.as_str() == *name)
                .or_else(|| tags.iter().find(|t| t.eq_ignore_ascii_case(name)))
                .map(|tag| EnvPlan {
                    name: name.to_string(),
                    tag: tag.clone(),
                    policy: preset,
                })
        })
        .collect()
}

/// An app name for each repository path: its last part, or the whole path with `-` for `/`
/// where two repositories end alike.
pub fn app_names(repositories: &[String]) -> Vec<String> {
    let last = |r: &str| r.rsplit('/').next().unwrap_or(r).to_string();
    repositories
        .iter()
        .map(|r| {
            let short = last(r);
            let clash = repositories.iter().filter(|o| last(o) == short).count() > 1;
            if clash {
                r.replace('/', "-")
            } else {
                short
            }
        })
        .collect()
}

/// The apps of a plan from each repository's tags (`(repository, tags)`), every gated
/// environment with `preset`; repositories whose tags suggest no environment are skipped,
/// with why.
pub fn plan_apps(
    found: &[(String, Vec<String>)],
    preset: PolicyPreset,
) -> (Vec<AppPlan>, Vec<String>) {
    let names = app_names(&found.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>());
    let mut apps = Vec::new();
    let mut skipped = Vec::new();
    for ((repository, tags), name) in found.iter().zip(names) {
        let environments = suggest_environments(tags, preset);
        if environments.is_empty() {
            skipped.push(not_added(repository, tags));
            continue;
        }
        apps.push(AppPlan {
            name,
            repository: repository.clone(),
            environments,
        });
    }
    (apps, skipped)
}

/// Why a repository whose tags suggest no environment gets no app, in one line.
pub fn not_added(repository: &str, tags: &[String]) -> String {
    format!(
        "{repository}: no tag is named {}{}; add it by hand",
        ENVIRONMENT_TAGS.join(", "),
        if tags.is_empty() {
            " (it has no tags)".to_string()
        } else {
            format!(" (its tags: {})", shorten(tags))
        }
    )
}

fn shorten(tags: &[String]) -> String {
    let mut s = tags.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if tags.len() > 5 {
        s.push_str(&format!(" and {} more", tags.len() - 5));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn environments_follow_the_known_order_not_the_tag_order() {
        let envs = suggest_environments(
            &tags(&["production", "1.2.0", "dev", "latest", "QA", "staging"]),
            PolicyPreset::OneApproval,
        );
        let got: Vec<(&str, &str)> = envs
            .iter()
            .map(|e| (e.name.as_str(), e.tag.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("dev", "dev"),
                ("qa", "QA"),
                ("staging", "staging"),
                ("production", "production")
            ]
        );
        assert!(suggest_environments(&tags(&["latest", "v1"]), PolicyPreset::None).is_empty());
    }

    #[test]
    fn app_names_are_the_last_part_unless_two_clash() {
        let names = app_names(&tags(&["payments/api", "shop/api", "shop/web", "worker"]));
        assert_eq!(names, ["payments-api", "shop-api", "web", "worker"]);
    }

    #[test]
    fn repositories_without_environment_tags_are_skipped_with_why() {
        let (apps, skipped) = plan_apps(
            &[
                ("a/api".into(), tags(&["dev", "prod"])),
                ("a/tools".into(), tags(&["latest"])),
                ("a/empty".into(), vec![]),
            ],
            PolicyPreset::None,
        );
        assert_eq!(apps.len(), 1);
        assert_eq!(apps[0].name, "api");
        assert_eq!(skipped.len(), 2);
        assert!(
            skipped[0].contains("a/tools") && skipped[0].contains("latest"),
            "{}",
            skipped[0]
        );
        assert!(skipped[1].contains("has no tags"), "{}", skipped[1]);
    }
}
