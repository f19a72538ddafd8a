//! Section "Incidents": every incident opened or closed in the period, on which digest and in
//! which environment, who signed it (key), its summary or resolution; opens are highlighted.

use std::collections::HashMap;

use super::canvas::{Canvas, Para, Style, BAD, BODY_W, DRIFT_BG, GOOD, INK, MARGIN_X};
use super::fonts::Font;
use super::table::{digest_paras, end, row, start, when_cell, Columns};
use super::{heading, MONO_MUTED, SMALL, SMALL_BOLD, SMALL_MUTED};
use crate::domain::{Event, EventKind};

pub(super) fn table(c: &mut Canvas, rows: &[Event], versions: &HashMap<String, String>) {
    heading(c, "Incidents");
    c.paras(
        MARGIN_X,
        BODY_W,
        &[Para::new(
            "Every signed incident opened on a digest in an environment (it blocks promoting that digest out of there while open) and every signed close, in the period. A close restarts the digest's soak time there.",
            SMALL_MUTED,
        )],
    );
    c.y -= 6.0;
    let cols: Columns<'_> = &[
        ("Event", 74.0),
        ("App, digest and environment", 190.0),
        ("Signed by (key)", 122.0),
        ("Summary or resolution", BODY_W - 386.0),
    ];
    start(c, cols);
    if rows.is_empty() {
        row(
            c,
            cols,
            &[vec![Para::new(
                "No incident was opened or closed in this period.",
                SMALL_MUTED,
            )]],
            None,
        );
    }
    for e in rows {
        let opened = e.kind == EventKind::Incident;
        let when = when_cell(
            e,
            if opened { "INCIDENT" } else { "CLOSED" },
            if opened { BAD } else { GOOD },
        );
        let id = e.data_str("id").unwrap_or_default();
        let mut what = vec![Para::new(e.app.clone(), Style::new(Font::Bold, 8.5, INK))];
        what.extend(digest_paras(e, versions));
        what.push(
            Para::new(
                format!(
                    "{id} {} in {}",
                    if opened { "opened" } else { "closed" },
                    e.env
                ),
                SMALL,
            )
            .gap(2.0),
        );
        let who = vec![
            Para::new(e.actor.clone().unwrap_or_default(), SMALL_BOLD),
            Para::new(e.data_str("fingerprint").unwrap_or_default(), MONO_MUTED).gap(1.0),
        ];
        let text = if opened {
            e.data_str("summary")
        } else {
            e.data_str("resolution")
        };
        row(
            c,
            cols,
            &[
                when,
                what,
                who,
                vec![Para::new(text.unwrap_or_default(), SMALL)],
            ],
            opened.then_some(DRIFT_BG),
        );
    }
    end(c);
}
