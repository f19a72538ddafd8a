//! Section "Rejected digests": every rejection and unrejection in the period, who signed it
//! (role, key), its scope and its reason; rejections are highlighted.

use std::collections::HashMap;

use super::canvas::{Canvas, Para, Style, BAD, BODY_W, DRIFT_BG, GOOD, INK, MARGIN_X};
use super::fonts::Font;
use super::table::{digest_paras, end, row, start, when_cell, Columns};
use super::{heading, MONO_MUTED, SMALL, SMALL_BOLD, SMALL_MUTED};
use crate::domain::{Event, EventKind};

pub(super) fn table(c: &mut Canvas, rows: &[Event], versions: &HashMap<String, String>) {
    heading(c, "Rejected digests");
    c.paras(
        MARGIN_X,
        BODY_W,
        &[Para::new(
            "Every signed rejection (this digest must not be promoted into the environment named or any later one, or into any environment) and every unrejection that lifted one, in the period. A rejection stays in force until an unrejection of the same scope.",
            SMALL_MUTED,
        )],
    );
    c.y -= 6.0;
    let cols: Columns<'_> = &[
        ("Event", 74.0),
        ("App, digest and scope", 190.0),
        ("Signed by (role, key)", 122.0),
        ("Reason", BODY_W - 386.0),
    ];
    start(c, cols);
    if rows.is_empty() {
        row(
            c,
            cols,
            &[vec![Para::new(
                "No digest was rejected or unrejected in this period.",
                SMALL_MUTED,
            )]],
            None,
        );
    }
    for e in rows {
        let rejected = e.kind == EventKind::Rejection;
        let when = when_cell(
            e,
            if rejected { "REJECTED" } else { "LIFTED" },
            if rejected { BAD } else { GOOD },
        );
        let scope = if e.env.is_empty() {
            "every environment".to_string()
        } else {
            format!("{} and later", e.env)
        };
        let mut what = vec![Para::new(e.app.clone(), Style::new(Font::Bold, 8.5, INK))];
        what.extend(digest_paras(e, versions));
        what.push(
            Para::new(
                format!(
                    "{} for {scope}",
                    if rejected { "rejected" } else { "unrejected" }
                ),
                SMALL,
            )
            .gap(2.0),
        );
        let who = vec![
            Para::new(e.actor.clone().unwrap_or_default(), SMALL_BOLD),
            Para::new(e.data_str("role").unwrap_or_default(), SMALL).gap(1.0),
            Para::new(e.data_str("fingerprint").unwrap_or_default(), MONO_MUTED).gap(1.0),
        ];
        let reason = vec![Para::new(e.data_str("reason").unwrap_or_default(), SMALL)];
        row(
            c,
            cols,
            &[when, what, who, reason],
            rejected.then_some(DRIFT_BG),
        );
    }
    end(c);
}
