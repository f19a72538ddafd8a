//! Section "Deployment records": every signed record of the period (what a deploy pipeline,
//! usually CI, said it deployed), with the version and digest, the identity and key that signed
//! it, the image reference, and whether it skipped a policy's approvals (highlighted).

use std::collections::HashMap;

use super::canvas::{Canvas, Para, Style, BAD, BODY_W, DRIFT_BG, GOOD, INK, MARGIN_X};
use super::fonts::Font;
use super::table::{digest_paras, empty, end, row, start, when_cell, Columns};
use super::{heading, MONO_MUTED, SMALL_BOLD, SMALL_MUTED};
use crate::domain::Event;

pub(super) fn table(c: &mut Canvas, rows: &[(Event, bool)], versions: &HashMap<String, String>) {
    heading(c, "Deployment records");
    c.paras(
        MARGIN_X,
        BODY_W,
        &[Para::new(
            "Every signed deployment record in the period: what a deploy pipeline (usually CI, with its own key) said it deployed where. A record into an environment with a policy that no approved promotion put there is unapproved and highlighted.",
            SMALL_MUTED,
        )],
    );
    c.y -= 6.0;
    let cols: Columns<'_> = &[
        ("Event", 74.0),
        ("App, environment and digest", 190.0),
        ("Signed by (key)", 122.0),
        ("Approval", BODY_W - 386.0),
    ];
    start(c, cols);
    if rows.is_empty() {
        empty(c, cols, "No deployment was recorded in this period.");
    }
    for (e, unapproved) in rows {
        let when = when_cell(e, "RECORD", INK);
        let mut what = vec![Para::new(
            format!("{} · {}", e.app, e.env),
            Style::new(Font::Bold, 8.5, INK),
        )];
        what.extend(digest_paras(e, versions));
        if let Some(image) = e.data_str("image") {
            what.push(Para::new(image, SMALL_MUTED).gap(1.0));
        }
        let who = vec![
            Para::new(e.actor.clone().unwrap_or_default(), SMALL_BOLD),
            Para::new(e.data_str("fingerprint").unwrap_or_default(), MONO_MUTED).gap(1.0),
        ];
        let approval = if *unapproved {
            Para::new(
                "UNAPPROVED: the environment has a policy and no approved promotion put this digest there",
                Style::new(Font::Bold, 7.5, BAD),
            )
        } else {
            Para::new(
                "within policy (no policy there, or an approved move put this digest there)",
                Style::new(Font::Regular, 7.5, GOOD),
            )
        };
        row(
            c,
            cols,
            &[when, what, who, vec![approval]],
            unapproved.then_some(DRIFT_BG),
        );
    }
    end(c);
}
