//! The last step of the "New workspace…" wizard: where its tollgate.toml goes, chosen in a
//! native save dialog opened here (never a path from the page), then written by the core.

use std::path::PathBuf;

use tollgate::api::{default_workspace_name, write_workspace, Context, WorkspacePlan};
use tollgate::Result;

use crate::dialogs::Dialogs;

/// Ask where the new workspace's tollgate.toml goes and write `plan` there (its name, when
/// empty, is the chosen folder's). `None` when the person cancelled. The save dialog asked
/// before replacing a file, so one that exists is overwritten.
pub fn new_workspace_at(
    dialogs: &dyn Dialogs,
    ctx: &Context,
    mut plan: WorkspacePlan,
) -> Result<Option<PathBuf>> {
    let Some(path) = dialogs.save_file("Save the new workspace", "tollgate.toml", "toml") else {
        return Ok(None);
    };
    if plan.name.trim().is_empty() {
        plan.name = default_workspace_name(&path);
    }
    write_workspace(ctx, &path, &plan, true)?;
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tollgate::api::{AppPlan, EnvPlan, PolicyPreset};
    use tollgate::config::Workspace;
    use tollgate::domain::SystemClock;
    use tollgate::keychain::MemoryKeychain;

    use super::*;
    use crate::dialogs::scripted::Scripted;

    fn plan() -> WorkspacePlan {
        let env = |name: &str, policy| EnvPlan {
            name: name.into(),
            tag: name.into(),
            policy,
        };
        WorkspacePlan {
            name: String::new(),
            registry_url: "https://registry.example.com".into(),
            apps: vec![AppPlan {
                name: "api".into(),
                repository: "payments/api".into(),
                environments: vec![
                    env("dev", PolicyPreset::None),
                    env("prod", PolicyPreset::TwoApprovals),
                ],
            }],
            approver: Some("me@example.com".into()),
            skipped: vec![],
        }
    }

    #[test]
    fn writes_where_the_save_dialog_chose_and_nothing_when_cancelled() {
        let ctx = Context {
            clock: Arc::new(SystemClock),
            secrets: Arc::new(MemoryKeychain::default()),
        };
        let cancelled = Scripted::default();
        assert_eq!(new_workspace_at(&cancelled, &ctx, plan()).unwrap(), None);
        assert_eq!(
            cancelled.asked(),
            ["Save the new workspace: tollgate.toml (.toml)"]
        );

        let dir = tempfile::tempdir().unwrap();
        let team = dir.path().join("payments");
        std::fs::create_dir(&team).unwrap();
        let file = team.join("tollgate.toml");
        let chosen = Scripted {
            save_to: Some(file.clone()),
            ..Scripted::default()
        };
        assert_eq!(
            new_workspace_at(&chosen, &ctx, plan()).unwrap(),
            Some(file.clone())
        );
        let ws = Workspace::load(&file, None).unwrap();
        assert_eq!(ws.config.workspace.name, "payments");
        assert_eq!(ws.config.approvers[0].id, "me@example.com");
        let prod = &ws.config.apps[0].environments[1];
        assert_eq!(prod.policy.as_ref().unwrap().approvals, 2);
    }
}
