//! `tollgate app add NAME --repository R --env dev --env prod=production`.

use tollgate::api;
use tollgate::config::edit::{NewApp, NewEnvironment};
use tollgate::Result;

use crate::args::AppAddArgs;
use crate::commands::Load;

pub fn run(load: Load<'_>, args: AppAddArgs) -> Result<i32> {
    let ws = load()?;
    let environments = args
        .envs
        .iter()
        .map(|e| match e.split_once('=') {
            Some((name, tag)) => NewEnvironment {
                name: name.into(),
                tag: tag.into(),
            },
            None => NewEnvironment {
                name: e.clone(),
                tag: e.clone(),
            },
        })
        .collect();
    let new = NewApp {
        name: args.name,
        repository: args.repository,
        environments,
    };
    let dry_run = args.edit.dry_run;
    let edit = api::app_add(&ws, &new, &|e| super::show(e, dry_run))?;
    if let Some(edit) = edit {
        super::done(&edit.summary);
    }
    Ok(0)
}
