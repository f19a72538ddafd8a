//! Section "Summary per app": promotions, rollbacks, drift and approvals per app, and who
//! approved (role, approvals).

use super::canvas::{Canvas, Para, Style, BAD, BODY_W, INK};
use super::fonts::Font;
use super::table::{end, row, start, Columns};
use super::{heading, SMALL, SMALL_MUTED};
use crate::report::Summary;

/// The rollbacks of an app, and how many of them were emergency rollbacks (in red).
fn rollbacks(app: &crate::report::AppSummary) -> Vec<Para> {
    let mut cell = vec![Para::new(
        app.rollbacks.to_string(),
        Style::new(Font::Regular, 8.0, INK),
    )];
    if app.emergency_rollbacks > 0 {
        cell.push(Para::new(
            format!("{} emergency", app.emergency_rollbacks),
            Style::new(Font::Bold, 7.5, BAD),
        ));
    }
    cell
}

pub(super) fn table(c: &mut Canvas, summary: &Summary) {
    heading(c, "Summary per app");
    let cols: Columns<'_> = &[
        ("App", 92.0),
        ("Promotions", 58.0),
        // Wide enough for "N emergency" under the count.
        ("Rollbacks", 64.0),
        ("Drift", 44.0),
        ("Approvals", 54.0),
        ("Approved by (role, approvals)", BODY_W - 312.0),
    ];
    start(c, cols);
    if summary.apps.is_empty() {
        row(
            c,
            cols,
            &[vec![Para::new("No events in this report.", SMALL_MUTED)]],
            None,
        );
    }
    for app in &summary.apps {
        let approvers: Vec<Para> = if app.approvers.is_empty() {
            vec![Para::new("nobody", SMALL_MUTED)]
        } else {
            app.approvers
                .iter()
                .map(|a| {
                    Para::new(
                        format!("{} ({}, {})", a.id, a.roles.join(", "), a.approvals),
                        SMALL,
                    )
                })
                .collect()
        };
        let drift_style = if app.drift > 0 {
            Style::new(Font::Bold, 8.0, BAD)
        } else {
            Style::new(Font::Regular, 8.0, INK)
        };
        let n = |v: u64| {
            vec![Para::new(
                v.to_string(),
                Style::new(Font::Regular, 8.0, INK),
            )]
        };
        row(
            c,
            cols,
            &[
                vec![Para::new(&app.app, Style::new(Font::Bold, 8.0, INK))],
                n(app.promotions),
                rollbacks(app),
                vec![Para::new(app.drift.to_string(), drift_style)],
                n(app.approvals),
                approvers,
            ],
            None,
        );
    }
    end(c);
}
