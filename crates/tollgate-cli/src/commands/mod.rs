//! One file per command, each a thin adapter over `tollgate::api` that prints what it got
//! (`tollgate sync` is sync.rs, `tollgate team status` team/status.rs), and [`run`], which picks
//! the one the arguments name.

mod approve;
mod attest;
mod check;
mod demo;
mod diff;
mod edit;
mod export;
mod fetch_report;
mod incident;
mod init;
mod key;
mod login;
mod logout;
mod password;
mod promote;
mod record;
mod reject;
mod rollback;
mod status;
mod sync;
mod team;
mod timeline;
mod unreject;
mod verify;

use tollgate::api::{self, Context};
use tollgate::config::Workspace;
use tollgate::Result;

use crate::args::{
    AppCommand, ApproverCommand, Cli, Command, IncidentCommand, KeyCommand, RegistryCommand,
    TeamCommand,
};

/// Reads the workspace the arguments name (`--config`, `--db`).
pub type Load<'a> = &'a dyn Fn() -> Result<Workspace>;

/// Run one command; `Ok(status)` is the exit status of a command that ran to its end
/// (1 when it found drift or a broken chain), `Err` a failure to report in one line.
pub async fn run(cli: Cli) -> Result<i32> {
    let ctx = Context::system();
    let load = || Workspace::load(&Workspace::locate(cli.config.as_deref()), cli.db.as_deref());
    match cli.command {
        Command::Init(args) => init::run(&ctx, cli.config.as_deref(), args).await,
        Command::Demo(args) => demo::run(&ctx, args).await,
        Command::Login(args) => login::run(&load, &ctx, args).await,
        Command::Logout(args) => logout::run(&load, &ctx, args),
        Command::Registry {
            command: RegistryCommand::Add(args),
        } => edit::registry_add::run(&load, &ctx, args).await,
        Command::App {
            command: AppCommand::Add(args),
        } => edit::app_add::run(&load, args),
        Command::Approver {
            command: ApproverCommand::Add(args),
        } => edit::approver_add::run(&load, &ctx, args),
        Command::Sync(args) => sync::run(&load, &ctx, args).await,
        Command::Status(args) => status::run(&load, &ctx, args).await,
        Command::Timeline(args) => timeline::run(&load, &ctx, args).await,
        Command::Record(args) => record::run(&load, &ctx, args).await,
        Command::Key {
            command: KeyCommand::Init { id },
        } => key::init::run(&ctx, &id),
        Command::Key {
            command: KeyCommand::Show { id, git: false },
        } => key::show::run(&ctx, id.as_deref()),
        Command::Key {
            command: KeyCommand::Show { git: true, .. },
        } => key::show::run_git(&load),
        Command::Key {
            command: KeyCommand::Rotate { id, json },
        } => key::rotate::run(&ctx, id.as_deref(), json),
        Command::Approve(args) => approve::run(&load, &ctx, args).await,
        Command::Check(args) => check::run(&load, &ctx, args).await,
        Command::Promote(args) => promote::run(&load, &ctx, args).await,
        Command::Rollback(args) => rollback::run(&load, &ctx, args).await,
        Command::Diff(args) => diff::run(&load, &ctx, args).await,
        Command::Export(args) => export::run(&load, &ctx, args),
        Command::Reject { verdict } => reject::run(&load, &ctx, verdict).await,
        Command::Unreject { verdict } => unreject::run(&load, &ctx, verdict).await,
        Command::Verify(args) => verify::run(&load, &ctx, cli.config.is_some(), args).await,
        Command::Team {
            command: TeamCommand::Status { json },
        } => team::status::run(&load, &ctx, json),
        Command::Incident {
            command: IncidentCommand::Open(args),
        } => incident::open(&load, &ctx, args).await,
        Command::Incident {
            command: IncidentCommand::Close(args),
        } => incident::close(&load, &ctx, args).await,
        Command::Attest(args) => attest::run(&load, &ctx, args).await,
        Command::FetchReport(args) => fetch_report::run(&load, &ctx, args).await,
    }
}

/// Load the workspace, then finish or fail any promotion a stopped process left open.
async fn load_and_recover(load: Load<'_>, ctx: &Context) -> Result<Workspace> {
    let ws = load()?;
    match api::recover(&ws, ctx).await {
        Ok(touched) => {
            for p in touched {
                esay!(
                    "note: promotion {} of {} {} → {} left open by a stopped process is now {}{}",
                    p.id,
                    p.app,
                    p.from_env,
                    p.to_env,
                    p.state.as_str(),
                    p.error.map(|e| format!(" ({e})")).unwrap_or_default()
                );
            }
        }
        // The database itself is unusable: that is the command's error, not a warning.
        Err(e)
            if matches!(
                e.code,
                tollgate::Code::Database | tollgate::Code::SchemaTooNew
            ) =>
        {
            return Err(e)
        }
        Err(e) => esay!(
            "warning: an interrupted promotion could not be finished yet: {}",
            e.message
        ),
    }
    Ok(ws)
}
