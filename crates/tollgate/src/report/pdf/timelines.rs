//! Section "Timelines": per app, a picture of what ran in each environment over the period (one
//! swimlane per environment, one bar per stay, labelled with the image's version or its short
//! digest; drift and unapproved stays underlined in red), then per environment the table of its
//! stays: from when until when, which version and digest, who put it there and how.
//!
//! The bars' colours are light tints on which the labels' dark ink has a contrast ratio above
//! 7:1 (WCAG AA asks 4.5:1); a digest keeps its colour across the lanes of an app, so the eye
//! follows it from environment to environment.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::canvas::{Canvas, Para, Rgb, Style, BAD, BODY_W, DRIFT_BG, INK, MARGIN_X, MUTED, RULE};
use super::fonts::{self, Font};
use super::structure::Tag;
use super::table::{end, row, short_label, start, time_paras, Columns};
use super::{heading, local, subheading, MONO, SMALL, SMALL_BOLD, SMALL_MUTED};
use crate::domain::{Segment, Via};
use crate::report::Meta;

/// Light tints (relative luminance above 0.6: contrast with [`INK`] above 10:1).
const TINTS: [Rgb; 6] = [
    Rgb(0.80, 0.89, 1.00),
    Rgb(0.82, 0.94, 0.84),
    Rgb(1.00, 0.90, 0.75),
    Rgb(0.90, 0.85, 0.98),
    Rgb(0.96, 0.88, 0.92),
    Rgb(0.86, 0.93, 0.93),
];

const LABEL_W: f32 = 78.0;
const LANE_H: f32 = 18.0;
const LANE_GAP: f32 = 6.0;

pub(super) fn section(
    c: &mut Canvas,
    stays: &[Segment],
    meta: &Meta,
    versions: &HashMap<String, String>,
) {
    heading(c, "Timelines");
    c.paras(
        MARGIN_X,
        BODY_W,
        &[Para::new(
            "What ran where during the period: per app, one lane per environment, one bar per stay (a digest from its arrival until the next one), labelled with the image's version or, when none is known, its short digest; a red underline marks drift or an unapproved deployment. The table under the picture lists every stay: from when until when, what, and who put it there.",
            SMALL_MUTED,
        )],
    );
    c.y -= 6.0;
    if stays.is_empty() {
        c.paras(
            MARGIN_X,
            BODY_W,
            &[Para::new(
                "Nothing ran in the environments of this report during the period.",
                SMALL_MUTED,
            )],
        );
        return;
    }
    let from = meta
        .filters
        .since
        .unwrap_or_else(|| stays.iter().map(|s| s.from).min().expect("not empty"));
    let until = meta.filters.until.unwrap_or(meta.generated_at).max(from);
    let mut apps: Vec<&str> = Vec::new();
    for s in stays {
        if !apps.contains(&s.app.as_str()) {
            apps.push(&s.app);
        }
    }
    for app in apps {
        let of_app: Vec<&Segment> = stays.iter().filter(|s| s.app == app).collect();
        let mut envs: Vec<&str> = Vec::new();
        for s in &of_app {
            if !envs.contains(&s.env.as_str()) {
                envs.push(&s.env);
            }
        }
        let picture_h = envs.len() as f32 * (LANE_H + LANE_GAP) + 24.0;
        subheading(c, app, picture_h + 40.0);
        picture(c, app, &envs, &of_app, (from, until), versions);
        for env in envs {
            let lane: Vec<&Segment> = of_app.iter().copied().filter(|s| s.env == env).collect();
            stays_table(c, env, &lane, versions);
        }
        c.y -= 10.0;
    }
}

fn picture(
    c: &mut Canvas,
    app: &str,
    envs: &[&str],
    stays: &[&Segment],
    (from, until): (DateTime<Utc>, DateTime<Utc>),
    versions: &HashMap<String, String>,
) {
    let x0 = MARGIN_X + LABEL_W;
    let w = BODY_W - LABEL_W;
    let span = (until - from).num_milliseconds().max(1) as f32;
    let x_of = |t: DateTime<Utc>| {
        let t = t.clamp(from, until);
        x0 + w * ((t - from).num_milliseconds() as f32 / span)
    };
    let mut colours: HashMap<String, Rgb> = HashMap::new();
    let figure = c.begin(Tag::Figure);
    let mut alt = vec![format!(
        "Timeline of {app} from {} until {}.",
        local(from),
        local(until)
    )];
    let label_style = Style::new(Font::Bold, 7.5, INK);
    let bar_style = Style::new(Font::Regular, 6.5, INK);
    let top = c.y;
    for (i, env) in envs.iter().enumerate() {
        let lane_top = top - i as f32 * (LANE_H + LANE_GAP);
        c.text(
            MARGIN_X,
            lane_top - LANE_H + 6.0,
            label_style,
            &format!("{env} "),
        );
        c.fill(x0, lane_top, w, LANE_H, Rgb(0.96, 0.97, 0.98));
        let mut described = Vec::new();
        for s in stays.iter().filter(|s| s.env == *env) {
            let end = s.until.unwrap_or(until);
            if end < from || s.from > until {
                continue;
            }
            let (a, b) = (x_of(s.from), x_of(end));
            let bar_w = (b - a - 0.75).max(1.5);
            let n = colours.len();
            let colour = *colours
                .entry(s.digest.to_string())
                .or_insert(TINTS[n % TINTS.len()]);
            c.fill(a, lane_top, bar_w, LANE_H, colour);
            if s.unapproved || s.via == Via::Drift {
                c.fill(a, lane_top - LANE_H + 2.0, bar_w, 2.0, BAD);
            }
            let label = short_label(s.digest.as_str(), versions);
            let label = match versions.get(s.digest.as_str()) {
                Some(v) if fonts::width(bar_style.font, bar_style.size, &label) > bar_w - 4.0 => {
                    v.clone()
                }
                _ => label,
            };
            if fonts::width(bar_style.font, bar_style.size, &label) <= bar_w - 4.0 {
                c.text(
                    a + 2.0,
                    lane_top - LANE_H + 6.5,
                    bar_style,
                    &format!("{label} "),
                );
            }
            described.push(format!(
                "{label} from {}{}",
                local(s.from),
                s.until
                    .map(|u| format!(" until {}", local(u)))
                    .unwrap_or_default()
            ));
        }
        alt.push(format!("{env}: {}.", described.join("; ")));
    }
    // The time axis: the period's first and last moments.
    let axis_y = top - envs.len() as f32 * (LANE_H + LANE_GAP);
    c.hline(x0, x0 + w, axis_y + 2.0, RULE);
    let axis = Style::new(Font::Regular, 6.5, MUTED);
    let (first, last) = (local(from), local(until));
    c.text(x0, axis_y - 6.0, axis, &format!("{first} "));
    let last_w = fonts::width(axis.font, axis.size, &last);
    c.text(x0 + w - last_w, axis_y - 6.0, axis, &last);
    c.end();
    c.alt(figure, alt.join(" "));
    c.y = axis_y - 16.0;
}

fn stays_table(c: &mut Canvas, env: &str, lane: &[&Segment], versions: &HashMap<String, String>) {
    c.paras(
        MARGIN_X,
        BODY_W,
        &[Para::new(format!("{env}: stays"), SMALL_BOLD).gap(4.0)],
    );
    c.y -= 3.0;
    let cols: Columns<'_> = &[
        ("From", 84.0),
        ("Until", 84.0),
        ("Version and digest", 200.0),
        ("Put there by (how)", BODY_W - 368.0),
    ];
    start(c, cols);
    for s in lane {
        let until = match s.until {
            Some(u) => time_paras(u),
            None => vec![Para::new("still running", SMALL).gap(2.0)],
        };
        let mut what = Vec::new();
        if let Some(v) = versions.get(s.digest.as_str()) {
            what.push(Para::new(format!("version {v}"), SMALL_BOLD));
        }
        what.push(Para::new(s.digest.to_string(), MONO));
        let how = match s.via {
            Via::Promotion => "promotion",
            Via::Rollback => "rollback",
            Via::Record => "deployment record",
            Via::Observed => "first observed by a sync",
            Via::Drift => "drift: changed outside Tollgate",
        };
        let mut who = vec![
            Para::new(
                s.actor.clone().unwrap_or_else(|| "nobody recorded".into()),
                SMALL_BOLD,
            ),
            Para::new(format!("{how} · event #{}", s.seq), SMALL_MUTED),
        ];
        if s.unapproved {
            who.push(Para::new(
                "UNAPPROVED: no approved promotion put it there",
                Style::new(Font::Bold, 7.0, BAD),
            ));
        }
        let flagged = s.unapproved || s.via == Via::Drift;
        row(
            c,
            cols,
            &[time_paras(s.from), until, what, who],
            flagged.then_some(DRIFT_BG),
        );
    }
    end(c);
}
