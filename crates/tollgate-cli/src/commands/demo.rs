//! `tollgate demo DIR`: a self-contained demo workspace; prints its path.

use tollgate::api::{self, Context};
use tollgate::Result;

use crate::args::DemoArgs;

pub async fn run(ctx: &Context, args: DemoArgs) -> Result<i32> {
    let path = api::demo(&args.dir, ctx).await?;
    say!("{}", path.display());
    Ok(0)
}
