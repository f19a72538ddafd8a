//! `tollgate timeline --app A`: what ran where and when, or with `--at T` the segment each
//! environment was in at that moment.

use chrono::{DateTime, Utc};

use tollgate::api::{self, Context};
use tollgate::domain::{parse_at, Segment};
use tollgate::Result;

use super::{load_and_recover, Load};
use crate::args::TimelineArgs;
use crate::output;

pub async fn run(load: Load<'_>, ctx: &Context, args: TimelineArgs) -> Result<i32> {
    let TimelineArgs { app, env, json, at } = args;
    match at {
        None => {
            let segments =
                api::timeline(&load_and_recover(load, ctx).await?, &app, env.as_deref())?;
            output::show(json, segments.as_slice(), timeline_table)?;
            Ok(0)
        }
        Some(at) => {
            let at = parse_at(&at, ctx.clock.now())?;
            let ws = load_and_recover(load, ctx).await?;
            let segments = api::timeline_at(&ws, &app, env.as_deref(), at)?;
            let envs: Vec<&str> = (ws.app(&app)?.environments.iter())
                .map(|e| e.name.as_str())
                .filter(|e| env.as_deref().is_none_or(|n| n == *e))
                .collect();
            output::show(json, segments.as_slice(), |s| {
                timeline_at_table(s, &app, &envs, at)
            })?;
            Ok(0)
        }
    }
}

fn timeline_table(segments: &[Segment]) {
    let rows = segments
        .iter()
        .map(|s| {
            vec![
                s.env.clone(),
                s.digest.to_string(),
                output::time(&s.from),
                s.until.as_ref().map_or("now".into(), output::time),
                {
                    let mut via = String::from(output::via(s.via));
                    if s.emergency {
                        via.push_str(" EMERGENCY");
                    }
                    if s.unapproved {
                        via.push_str(" UNAPPROVED");
                    }
                    // A stay in a deployment repository names the commit that began it.
                    match &s.commit {
                        Some(c) => format!("{via} @{}", &c[..c.len().min(12)]),
                        None => via,
                    }
                },
                s.actor.clone().unwrap_or_default(),
            ]
        })
        .collect();
    output::print_table(&["ENV", "DIGEST", "FROM", "UNTIL", "VIA", "ACTOR"], rows);
}

/// `timeline --app A --at T`: the segment each environment was in at T (and a line for each
/// environment where nothing had begun yet).
fn timeline_at_table(
    segments: &[tollgate::api::SegmentAt],
    app: &str,
    envs: &[&str],
    at: DateTime<Utc>,
) {
    say!("{app} as of {}", output::time(&at));
    let rows = segments
        .iter()
        .map(|s| {
            let seg = &s.segment;
            vec![
                seg.env.clone(),
                seg.digest.to_string(),
                output::time(&seg.from),
                seg.until.as_ref().map_or("now".into(), output::time),
                output::via(seg.via).into(),
                seg.actor.clone().unwrap_or_default(),
                output::with_emergency(
                    seg.emergency,
                    output::flags(s.drift, seg.unapproved, false),
                ),
            ]
        })
        .collect();
    if !segments.is_empty() {
        output::print_table(
            &["ENV", "DIGEST", "FROM", "UNTIL", "VIA", "ACTOR", "FLAGS"],
            rows,
        );
    }
    for env in envs {
        if !segments.iter().any(|s| s.segment.env == *env) {
            say!("nothing had run in {env} yet at that time, as far as the history knows");
        }
    }
}
