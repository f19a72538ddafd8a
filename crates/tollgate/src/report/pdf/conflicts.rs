//! Section "Conflicts": what two desktops did that cannot both be right, one row each.

use super::canvas::{Canvas, Para, BODY_W, DRIFT_BG, MARGIN_X};
use super::table::{end, row, start, Columns};
use super::{heading, SMALL, SMALL_BOLD, SMALL_MUTED};
use crate::domain::conflicts::Conflict;

pub(super) fn table(c: &mut Canvas, conflicts: &[Conflict]) {
    heading(c, "Conflicts");
    c.paras(
        MARGIN_X,
        BODY_W,
        &[Para::new(
            "Team conflicts detected in the history (registries have no compare-and-swap, so they are detected, not prevented, and never resolved silently): two promotions from the same previous digest to different digests, one approval consumed by two promotions, a promotion whose tag move no sync saw.",
            SMALL_MUTED,
        )],
    );
    c.y -= 6.0;
    let cols: Columns<'_> = &[
        ("Kind", 96.0),
        ("Events (actor)", 140.0),
        ("What", BODY_W - 236.0),
    ];
    start(c, cols);
    if conflicts.is_empty() {
        row(
            c,
            cols,
            &[vec![Para::new("No conflicts detected.", SMALL_MUTED)]],
            None,
        );
    }
    for x in conflicts {
        let events: Vec<Para> = x
            .events
            .iter()
            .map(|e| {
                Para::new(
                    format!(
                        "{} {} ({})",
                        e.kind.as_str(),
                        e.seq,
                        e.actor.as_deref().unwrap_or("-")
                    ),
                    SMALL,
                )
            })
            .collect();
        row(
            c,
            cols,
            &[
                vec![Para::new(x.kind.as_str(), SMALL_BOLD)],
                events,
                vec![Para::new(x.description.as_str(), SMALL)],
            ],
            Some(DRIFT_BG),
        );
    }
    end(c);
}
