use std::io::{IsTerminal, Read};

use tollgate::api::{
    self, ApproveRequest, Context, PromoteRequest, RecordRequest, RejectRequest, RollbackRequest,
};
use tollgate::config::Workspace;
use tollgate::domain::{parse_at, parse_time, Digest};
use tollgate::{Error, Result};

use super::args::{Cli, Command, KeyCommand, TeamCommand, VerdictArgs};
use super::output;

/// Run one command; `Ok(status)` is the exit status of a command that ran to its end
/// (1 when it found drift or a broken chain), `Err` a failure to report in one line.
pub async fn run(cli: Cli) -> Result<i32> {
    let ctx = Context::system();
    let load = || Workspace::load(&Workspace::locate(cli.config.as_deref()), cli.db.as_deref());
    match cli.command {
        Command::Init => {
            let path = Workspace::locate(cli.config.as_deref());
            api::init(&path)?;
            say!("wrote {}", path.display());
            Ok(0)
        }
        Command::Demo { dir } => {
            let path = api::demo(&dir, &ctx).await?;
            say!("{}", path.display());
            Ok(0)
        }
        Command::Login {
            registry,
            username,
            password_stdin: _,
        } => {
            let ws = load()?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(|e| {
                    Error::bad_input(format!("cannot read the password from standard input: {e}"))
                })?;
            let host = api::login(
                &ws,
                &ctx,
                &registry,
                &username,
                password.trim_end_matches(['\n', '\r']),
            )?;
            say!("stored credentials for {username} at {host} in the OS keychain");
            Ok(0)
        }
        Command::Sync { app } => {
            let ws = load_and_recover(&load, &ctx).await?;
            let bar = output::progress_bar();
            let report = api::sync(&ws, &ctx, app.as_deref(), &|p| {
                bar.set_length(p.total as u64);
                bar.set_position(p.done as u64);
                bar.set_message(format!("{} {}", p.app, p.env));
            })
            .await;
            bar.finish_and_clear();
            let report = report?;
            output::sync_report(&report);
            Ok(if report.drifted().next().is_some() {
                1
            } else {
                0
            })
        }
        Command::Status {
            app,
            json,
            at: None,
        } => {
            let rows = api::status(&load_and_recover(&load, &ctx).await?, app.as_deref())?;
            output::show(json, rows.as_slice(), output::status_table)?;
            Ok(0)
        }
        Command::Status {
            app,
            json,
            at: Some(at),
        } => {
            let at = parse_at(&at, ctx.clock.now())?;
            let ws = load_and_recover(&load, &ctx).await?;
            let rows = api::status_at(&ws, app.as_deref(), Some(at))?;
            output::show(json, rows.as_slice(), |rows| {
                output::status_at_table(rows, at)
            })?;
            Ok(0)
        }
        Command::Timeline {
            app,
            env,
            json,
            at: None,
        } => {
            let segments =
                api::timeline(&load_and_recover(&load, &ctx).await?, &app, env.as_deref())?;
            output::show(json, segments.as_slice(), output::timeline_table)?;
            Ok(0)
        }
        Command::Timeline {
            app,
            env,
            json,
            at: Some(at),
        } => {
            let at = parse_at(&at, ctx.clock.now())?;
            let ws = load_and_recover(&load, &ctx).await?;
            let segments = api::timeline_at(&ws, &app, env.as_deref(), at)?;
            let envs: Vec<&str> = (ws.app(&app)?.environments.iter())
                .map(|e| e.name.as_str())
                .filter(|e| env.as_deref().is_none_or(|n| n == *e))
                .collect();
            output::show(json, segments.as_slice(), |s| {
                output::timeline_at_table(s, &app, &envs, at)
            })?;
            Ok(0)
        }
        Command::Record {
            app,
            env,
            image,
            actor,
            at,
        } => {
            let ws = load_and_recover(&load, &ctx).await?;
            let actor = api::resolve_actor(&ws, &ctx, actor.as_deref())?;
            let at = at.as_deref().map(parse_time).transpose()?;
            let receipt = api::record(
                &ws,
                &ctx,
                RecordRequest {
                    app,
                    env,
                    image,
                    actor,
                    at,
                },
            )
            .await?;
            let event = receipt.event;
            say!(
                "recorded {} in {} {} (event {})",
                event
                    .digest
                    .as_ref()
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                event.app,
                event.env,
                event.seq
            );
            output::team_share(receipt.team.as_ref());
            if api::record_is_unapproved(&ws, &event)? {
                esay!("warning: {} {} has a policy and this record skipped its approvals: it is flagged UNAPPROVED until an approved promotion of that digest replaces it", event.app, event.env);
            }
            Ok(0)
        }
        Command::Key {
            command: KeyCommand::Init { id },
        } => {
            output::key(&api::key_init(&ctx, &id)?);
            Ok(0)
        }
        Command::Key {
            command: KeyCommand::Show { id },
        } => {
            output::key(&api::key_show(&ctx, id.as_deref())?);
            Ok(0)
        }
        Command::Key {
            command: KeyCommand::Rotate { id, json },
        } => {
            let rotation = api::key_rotate(&ctx, id.as_deref())?;
            output::show(json, &rotation, output::key_rotation)?;
            Ok(0)
        }
        Command::Approve {
            app,
            to,
            digest,
            confirm,
            role,
            note,
            approver,
        } => {
            let ws = load_and_recover(&load, &ctx).await?;
            let receipt = api::approve(
                &ws,
                &ctx,
                ApproveRequest {
                    app,
                    to,
                    digest,
                    confirm,
                    role,
                    note,
                    approver,
                },
            )
            .await?;
            say!(
                "approved {} for {} {} as {} (event {}, key {})",
                receipt
                    .event
                    .digest
                    .as_ref()
                    .map(|d| d.as_str())
                    .unwrap_or_default(),
                receipt.event.app,
                receipt.event.env,
                receipt.event.actor.as_deref().unwrap_or_default(),
                receipt.event.seq,
                receipt.fingerprint
            );
            output::team_share(receipt.team.as_ref());
            Ok(0)
        }
        Command::Check {
            app,
            to,
            digest,
            json,
        } => {
            let ws = load_and_recover(&load, &ctx).await?;
            let check = api::check(&ws, ctx.clock.now(), &app, &to, &digest)?;
            // The checklist does not depend on the registry; the diff does, and says why not.
            let diff = match api::diff(&ws, &ctx, &app, &to, Some(check.digest.clone())).await {
                Ok(d) => Some(d),
                Err(e) => {
                    esay!("warning: no release diff: {}", e.message);
                    None
                }
            };
            let shown = output::CheckWithDiff {
                check: &check,
                diff: diff.as_ref(),
            };
            output::show(json, &shown, output::checklist_with_diff)?;
            Ok(if check.evaluation.passed { 0 } else { 1 })
        }
        Command::Promote {
            app,
            to,
            digest,
            actor,
            json,
        } => {
            let ws = load_and_recover(&load, &ctx).await?;
            let actor = api::resolve_actor(&ws, &ctx, actor.as_deref())?;
            let outcome = api::promote(
                &ws,
                &ctx,
                PromoteRequest {
                    app,
                    to,
                    digest,
                    actor,
                },
                &output::step,
            )
            .await?;
            output::show(json, &outcome, output::promotion)?;
            Ok(0)
        }
        Command::Rollback {
            app,
            env,
            digest,
            actor,
            json,
        } => {
            let ws = load_and_recover(&load, &ctx).await?;
            let actor = api::resolve_actor(&ws, &ctx, actor.as_deref())?;
            let outcome = api::rollback(
                &ws,
                &ctx,
                RollbackRequest {
                    app,
                    env,
                    digest,
                    actor,
                },
                &output::step,
            )
            .await?;
            // The team channel did not block it: one warning line of what it could not read.
            if let Some(line) = &outcome.team_unread {
                esay!("warning: {line}");
            }
            output::show(json, &outcome, output::promotion)?;
            Ok(0)
        }
        Command::Diff {
            app,
            to,
            digest,
            json,
        } => {
            let ws = load_and_recover(&load, &ctx).await?;
            let digest = digest.as_deref().map(Digest::parse).transpose()?;
            let diff = api::diff(&ws, &ctx, &app, &to, digest).await?;
            output::show(json, &diff, output::release_diff)?;
            Ok(0)
        }
        Command::Export {
            format,
            app,
            env,
            since,
            until,
            out,
            json,
        } => {
            let format = match format.as_str() {
                "pdf" => api::ExportFormat::Pdf,
                "csv" => api::ExportFormat::Csv,
                _ => api::ExportFormat::Json,
            };
            let since = since.as_deref().map(parse_time).transpose()?;
            let until = until.as_deref().map(parse_time).transpose()?;
            let summary = api::export(
                &load()?,
                &ctx,
                api::ExportRequest {
                    format,
                    app,
                    env,
                    since,
                    until,
                    out,
                },
            )?;
            output::export_summary(&summary, json)?;
            Ok(if summary.clean() { 0 } else { 1 })
        }
        Command::Reject { verdict } => {
            let ws = load_and_recover(&load, &ctx).await?;
            let (json, req) = verdict_request(verdict);
            let receipt = api::reject(&ws, &ctx, req).await?;
            output::show(json, &receipt, output::rejection)?;
            Ok(0)
        }
        Command::Unreject { verdict } => {
            let ws = load_and_recover(&load, &ctx).await?;
            let (json, req) = verdict_request(verdict);
            let receipt = api::unreject(&ws, &ctx, req).await?;
            output::show(json, &receipt, output::rejection)?;
            Ok(0)
        }
        Command::Verify {
            file: Some(file),
            allow_unsealed,
            json,
            ..
        } => {
            // The workspace's keys only when --config names one: without it, the report's own.
            let ws = match cli.config.as_deref() {
                Some(_) => Some(load()?),
                None => None,
            };
            let result = api::verify_report(&file, ws.as_ref(), allow_unsealed)?;
            output::report_verification(&result, json)?;
            // With a workspace, the report's end against the team's signed checkpoints.
            let checkpoints = match &ws {
                Some(ws) => Some(api::report_checkpoints(ws, &ctx, &file).await?),
                None => None,
            };
            if let Some(c) = &checkpoints {
                super::checkpoint::check(c, "the report", json);
            }
            let contradicted = checkpoints.as_ref().is_some_and(|c| !c.ok());
            Ok(if result.ok() && !contradicted { 0 } else { 1 })
        }
        Command::Verify {
            file: None,
            json,
            checkpoints,
            ..
        } => {
            let ws = load_and_recover(&load, &ctx).await?;
            let report = api::verify(&ws)?;
            let checked = match checkpoints {
                true => Some(api::verify_checkpoints(&ws, &ctx).await?),
                false => None,
            };
            let contradicted = checked.as_ref().is_some_and(|c| !c.ok());
            match (&checked, json) {
                // --checkpoints --json: both checks in one object.
                (Some(c), true) => {
                    output::json(&serde_json::json!({ "verify": report, "checkpoints": c }))?
                }
                (None, true) => output::json(&report)?,
                (Some(c), false) => super::checkpoint::check(c, "this history", false),
                (None, false) => {}
            }
            if let Some(b) = &report.chain.broken {
                esay!("error: history chain broken at event {}: {}; the database was altered outside Tollgate, restore it from a backup or an export", b.seq, b.reason);
            }
            for p in &report.problems {
                esay!("error: {}", p.message);
            }
            for w in &report.warnings {
                esay!("warning: {}", w.message);
            }
            if report.ok() && !json {
                say!(
                    "chain intact: {} events, {} approval signatures verify, {} record/promotion/rollback signatures verify ({} unsigned), head {}",
                    report.chain.events,
                    report.approvals,
                    report.signed_events,
                    report.unsigned_events,
                    report.chain.head
                );
                if report.rejections > 0 {
                    say!(
                        "{} rejection/unrejection signatures verify",
                        report.rejections
                    );
                }
                say!(
                    "{}",
                    anchored_line(report.anchored_seq, report.chain.events)
                );
            }
            Ok(if report.ok() && !contradicted { 0 } else { 1 })
        }
        Command::Team {
            command: TeamCommand::Status { json },
        } => {
            let status = api::team_status(&load()?, &ctx)?;
            output::show(json, &status, super::team::status)?;
            Ok(0)
        }
    }
}

/// `--json` and the request of `reject` / `unreject`.
fn verdict_request(v: VerdictArgs) -> (bool, RejectRequest) {
    (
        v.json,
        RejectRequest {
            app: v.app,
            digest: v.digest,
            confirm: v.confirm,
            reason: v.reason,
            env: v.env,
            approver: v.approver,
        },
    )
}

/// What the signed chain heads vouch for, in one line.
fn anchored_line(anchored: i64, events: u64) -> String {
    match anchored {
        0 => "no signed approval anchors the chain yet: removing events would go unnoticed here".into(),
        n if n as u64 + 1 >= events => format!("anchored: every event up to {n} is vouched for by a signed approval"),
        n => format!(
            "anchored up to event {n} by a signed approval; the {} events after it are not: removing them would go unnoticed here (compare the head with an export or a copy kept elsewhere)",
            events - n as u64
        ),
    }
}

/// Whether standard error is a terminal (progress bars only there).
pub fn interactive() -> bool {
    std::io::stderr().is_terminal()
}

/// Load the workspace, then finish or fail any promotion a stopped process left open.
async fn load_and_recover(
    load: &dyn Fn() -> Result<Workspace>,
    ctx: &Context,
) -> Result<Workspace> {
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
