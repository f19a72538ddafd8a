//! `tollgate approver add --id ID --key "ssh-ed25519 …" --role qa`, or `--me --role qa`.

use tollgate::api::{self, ApproverAddRequest, Context};
use tollgate::Result;

use crate::args::ApproverAddArgs;
use crate::commands::Load;

pub fn run(load: Load<'_>, ctx: &Context, args: ApproverAddArgs) -> Result<i32> {
    let ws = load()?;
    let req = ApproverAddRequest {
        id: args.id,
        roles: args.roles,
        key: if args.me { None } else { args.key },
    };
    let dry_run = args.edit.dry_run;
    let edit = api::approver_add(&ws, ctx, &req, &|e| super::show(e, dry_run))?;
    if let Some(edit) = edit {
        super::done(&edit.summary);
    }
    Ok(0)
}
