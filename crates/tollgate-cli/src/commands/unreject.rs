//! `tollgate unreject`: lift the rejection of exactly this scope (same `--env`, or none), with
//! a reason; signed and shared as a rejection is (reject.rs).

use tollgate::api::Context;
use tollgate::signing::Verdict;
use tollgate::Result;

use super::Load;
use crate::args::VerdictArgs;

pub async fn run(load: Load<'_>, ctx: &Context, verdict: VerdictArgs) -> Result<i32> {
    super::reject::sign(load, ctx, verdict, Verdict::Unreject).await
}
