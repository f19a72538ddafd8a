//! `tollgate demo DIR`: a self-contained demo workspace; prints its path (alone on standard
//! output, for scripts). This machine's identity is listed as an approver of the demo, with a
//! key created in the keychain first when there is none (said on standard error before), so
//! that one can approve and promote in it; `--without-signing` leaves it out.

use tollgate::api::{self, Context, DemoSigner, DemoSignerPlan};
use tollgate::Result;

use crate::args::DemoArgs;

pub async fn run(ctx: &Context, args: DemoArgs) -> Result<i32> {
    let plan = api::demo_signer_plan(ctx);
    let new_id = args.r#as.unwrap_or_else(api::proposed_identity);
    let signer = if args.without_signing {
        DemoSigner::Nobody
    } else {
        match &plan {
            DemoSignerPlan::CreateKey { id } => esay!(
                "this machine signs as {id} but the keychain holds no key for it: creating one, so that you can approve in the demo"
            ),
            DemoSignerPlan::NewIdentity => esay!(
                "this machine has no signing identity yet: creating a key for {new_id} in the keychain (it becomes this machine's identity; `tollgate key show` prints it), so that you can approve in the demo"
            ),
            DemoSignerPlan::Existing { .. } | DemoSignerPlan::Unavailable { .. } => {}
        }
        DemoSigner::Machine {
            plan: &plan,
            new_id: &new_id,
        }
    };
    let demo = api::demo(&args.dir, ctx, signer).await?;
    match (&demo.signing.approver, &demo.signing.problem) {
        (Some(id), _) => esay!(
            "you approve in the demo as {id} ({}): try `tollgate --config {} check --app api --to staging`",
            demo.signing.roles.join(", "),
            demo.config_path.display()
        ),
        (None, Some(why)) if !args.without_signing => esay!("{why}"),
        _ => {}
    }
    say!("{}", demo.config_path.display());
    Ok(0)
}
