//! Section "Exceptions" on page one: how many of each kind (drift, unapproved records, emergency
//! rollbacks, failed promotions, rejections, conflicts) and how many are still open, then each one
//! with when, where, what (version beside the short digest) and whether it is open or which event
//! closed it. The rules are the report's ([`crate::report::exceptions`]).

use std::collections::HashMap;

use super::canvas::{Canvas, Para, Style, BAD, BODY_W, DRIFT_BG, GOOD, INK, MARGIN_X};
use super::fonts::Font;
use super::table::{empty, end, row, short_label, start, time_paras, Columns};
use super::{heading, words, SMALL, SMALL_BOLD, SMALL_MUTED};
use crate::report::exceptions::{Exception, ExceptionKind};

pub(super) fn section(c: &mut Canvas, list: &[Exception], versions: &HashMap<String, String>) {
    heading(c, "Exceptions");
    let open = list.iter().filter(|x| x.open).count();
    c.paras(
        MARGIN_X,
        BODY_W,
        &[Para::new(
            format!(
                "{} in this period, {open} still open. Open means no event in this report closed it: drift until a record, promotion or rollback in that environment; an unapproved record until an approved promotion or rollback replaced it; an emergency rollback until a promotion or rollback with approvals followed; a failed promotion until the same digest was promoted there; a rejection until it was lifted; a conflict until a later move settled that environment.",
                super::title::plural(list.len() as u64, "exception", "exceptions")
            ),
            SMALL_MUTED,
        )],
    );
    c.y -= 6.0;
    let cols: Columns<'_> = &[
        ("Exception", 150.0),
        ("Count", 60.0),
        ("Still open", 60.0),
        ("Closed", BODY_W - 270.0),
    ];
    start(c, cols);
    for kind in ExceptionKind::ALL {
        let of_kind = list.iter().filter(|x| x.kind == kind);
        let (n, open) = of_kind.fold((0, 0), |(n, o), x| (n + 1, o + usize::from(x.open)));
        let n_style = Style::new(Font::Regular, 8.0, INK);
        let open_style = if open > 0 {
            Style::new(Font::Bold, 8.0, BAD)
        } else {
            n_style
        };
        row(
            c,
            cols,
            &[
                vec![Para::new(kind.title(), SMALL_BOLD)],
                vec![Para::new(n.to_string(), n_style)],
                vec![Para::new(open.to_string(), open_style)],
                vec![Para::new((n - open).to_string(), n_style)],
            ],
            None,
        );
    }
    end(c);
    c.y -= 12.0;

    let cols: Columns<'_> = &[
        ("When", 74.0),
        ("Exception and where", 150.0),
        ("What", BODY_W - 298.0),
        ("Status", 74.0),
    ];
    start(c, cols);
    if list.is_empty() {
        empty(c, cols, "No exceptions in this period.");
    }
    for x in list {
        let mut when = vec![Para::new(
            match (x.seq, x.journal) {
                (_, Some(j)) => format!("journal {j}"),
                (Some(seq), None) => format!("#{seq}"),
                (None, None) => String::new(),
            },
            Style::new(Font::Bold, 8.0, INK),
        )];
        match x.at {
            Some(at) => when.extend(time_paras(at)),
            None => when.push(Para::new("before this report's events", SMALL_MUTED)),
        }
        let env = if x.env.is_empty() {
            "every environment"
        } else {
            &x.env
        };
        let mut where_ = vec![
            Para::new(kind_label(x.kind), Style::new(Font::Bold, 7.5, BAD)),
            Para::new(format!("{} · {env}", x.app), SMALL).gap(1.0),
        ];
        if let Some(d) = &x.digest {
            where_.push(Para::new(short_label(d, versions), SMALL).gap(1.0));
        }
        let status = match (x.open, x.closed_by) {
            (true, _) => Para::new("OPEN", Style::new(Font::Bold, 8.0, BAD)),
            (false, Some(seq)) => Para::new(
                format!("closed by #{seq}"),
                Style::new(Font::Bold, 7.5, GOOD),
            ),
            (false, None) => Para::new("closed", Style::new(Font::Bold, 7.5, GOOD)),
        };
        row(
            c,
            cols,
            &[
                when,
                where_,
                vec![Para::new(words::plain(&x.what), SMALL)],
                vec![status],
            ],
            x.open.then_some(DRIFT_BG),
        );
    }
    end(c);
}

/// One exception's kind, singular, as its row names it.
fn kind_label(kind: ExceptionKind) -> &'static str {
    match kind {
        ExceptionKind::Drift => "DRIFT",
        ExceptionKind::UnapprovedRecord => "UNAPPROVED RECORD",
        ExceptionKind::EmergencyRollback => "EMERGENCY ROLLBACK",
        ExceptionKind::FailedPromotion => "FAILED PROMOTION",
        ExceptionKind::Rejection => "REJECTION",
        ExceptionKind::Conflict => "CONFLICT",
    }
}
