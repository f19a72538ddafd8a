//! `tollgate check`: the policy checklist of a promotion without doing it, and the release
//! diff beside it; exit 1 when it is not ready.

use serde::Serialize;

use tollgate::api::{self, Context, PromotionCheck};
use tollgate::diff::ReleaseDiff;
use tollgate::Result;

use super::{load_and_recover, Load};
use crate::args::CheckArgs;
use crate::output;

pub async fn run(load: Load<'_>, ctx: &Context, args: CheckArgs) -> Result<i32> {
    let CheckArgs {
        app,
        to,
        digest,
        json,
    } = args;
    let ws = load_and_recover(load, ctx).await?;
    let digest = api::resolve_digest(&ws, &app, &digest)?;
    let check = api::check(&ws, ctx.clock.now(), &app, &to, &digest)?;
    // The checklist does not depend on the registry; the diff does, and says why not.
    let diff = match api::diff(&ws, ctx, &app, &to, Some(check.digest.clone())).await {
        Ok(d) => Some(d),
        Err(e) => {
            esay!("warning: no release diff: {}", e.message);
            None
        }
    };
    let shown = CheckWithDiff {
        check: &check,
        diff: diff.as_ref(),
    };
    output::show(json, &shown, checklist_with_diff)?;
    Ok(if check.evaluation.passed { 0 } else { 1 })
}

/// `tollgate check --json`: the checklist's fields, and `diff` (`null` when the registry could
/// not be read; the warning on stderr says why).
#[derive(Serialize)]
struct CheckWithDiff<'a> {
    #[serde(flatten)]
    check: &'a PromotionCheck,
    diff: Option<&'a ReleaseDiff>,
}

fn checklist_with_diff(c: &CheckWithDiff<'_>) {
    checklist(c.check);
    if let Some(d) = c.diff {
        say!();
        say!("release diff");
        output::diff::release_diff(d);
    }
}

fn checklist(check: &tollgate::api::PromotionCheck) {
    say!(
        "{} {} → {}  {}  {}",
        check.app,
        check.from,
        check.to,
        check.digest,
        if check.evaluation.passed {
            "READY"
        } else {
            "NOT READY"
        }
    );
    for r in &check.evaluation.rules {
        let mark = if r.passed {
            "ok  "
        } else if r.blocking {
            "FAIL"
        } else {
            "warn"
        };
        say!("  {mark} {:<10} {}", r.rule, crate::hint::reason_text(r));
    }
    for i in &check.evaluation.ignored {
        say!(
            "  ignored approval {} by {}: {}",
            i.id,
            i.approver,
            i.reason
        );
    }
    // A promotion never uses it; `tollgate rollback` does, with --reason.
    if let Some(e) = &check.emergency {
        say!(
            "  as a rollback: an emergency rollback (rollback = {{ approvals = {} }}) {} with a reason (`tollgate rollback ... --reason TEXT`)",
            e.approvals_needed,
            if e.evaluation.passed {
                "would pass"
            } else {
                "would not pass either"
            }
        );
    }
}
