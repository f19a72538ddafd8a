//! Page one: workspace, period, filters, when the report was made, what the checks found (in a
//! box), the characters the fonts cannot draw, and the exceptions, counted and listed.

use std::collections::{BTreeSet, HashMap};

use super::canvas::{
    lay_out, Canvas, Para, Rgb, Style, BAD, BODY_W, GOOD, INK, MARGIN_X, MUTED, RULE,
};
use super::fonts::Font;
use super::structure::Tag;
use super::{exceptions, local, BAD_BODY, BODY, H1, LABEL, MONO_BODY};
use crate::report::exceptions::Exception;
use crate::report::signatures::SignatureCheck;
use crate::report::Meta;

/// `1 event`, `2 events`.
pub(super) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A label on the left, paragraphs on the right.
pub(super) fn key_value(c: &mut Canvas, label: &str, value: &[Para]) {
    const LABEL_W: f32 = 118.0;
    let (lines, height) = lay_out(value, BODY_W - LABEL_W);
    let (label_lines, label_h) = lay_out(&[Para::new(label, LABEL)], LABEL_W - 8.0);
    let h = height.max(label_h) + 7.0;
    if c.room() < h {
        c.new_page();
    }
    c.begin(Tag::P);
    c.draw_lines(MARGIN_X, &label_lines);
    c.draw_lines(MARGIN_X + LABEL_W, &lines);
    c.end();
    c.y -= h;
}

pub(super) fn page(
    c: &mut Canvas,
    meta: &Meta,
    signatures: &SignatureCheck,
    exceptions: &[Exception],
    versions: &HashMap<String, String>,
    missing: &BTreeSet<char>,
) {
    c.paras(
        MARGIN_X,
        BODY_W,
        &[Para::new("TOLLGATE", Style::new(Font::Bold, 10.0, MUTED))],
    );
    c.begin(Tag::H1);
    c.paras(MARGIN_X, BODY_W, &[Para::new("Audit report", H1).gap(4.0)]);
    c.end();
    c.paras(
        MARGIN_X,
        BODY_W,
        &[Para::new(
            format!("Workspace {}", meta.workspace),
            Style::new(Font::Regular, 13.0, INK),
        )
        .gap(2.0)],
    );
    c.y -= 12.0;
    c.hline(MARGIN_X, MARGIN_X + BODY_W, c.y, RULE);
    c.y -= 14.0;

    let f = &meta.filters;
    let period = match (f.since, f.until) {
        (None, None) => "the whole history".to_string(),
        (Some(s), None) => format!("from {} (inclusive)", local(s)),
        (None, Some(u)) => format!("until {} (exclusive)", local(u)),
        (Some(s), Some(u)) => format!(
            "from {} (inclusive) until {} (exclusive)",
            local(s),
            local(u)
        ),
    };
    key_value(c, "Workspace", &[Para::new(&meta.workspace, BODY)]);
    key_value(c, "Period", &[Para::new(period, BODY)]);
    let filters = match (&f.app, &f.env) {
        (None, None) => "all apps, all environments".to_string(),
        (Some(a), None) => format!("app {a}, all environments"),
        (None, Some(e)) => format!("all apps, environment {e}"),
        (Some(a), Some(e)) => format!("app {a}, environment {e}"),
    };
    key_value(c, "Filters", &[Para::new(filters, BODY)]);
    key_value(
        c,
        "Generated at",
        &[Para::new(local(meta.generated_at), BODY)],
    );
    let db = &meta.database;
    key_value(
        c,
        "Chain head",
        &[
            Para::new(format!("event {}, hash:", db.head_seq), BODY),
            Para::new(&db.head_hash, MONO_BODY).gap(1.0),
        ],
    );
    // The verification result, in a box.
    let mut lines = Vec::new();
    match &db.broken {
        None if db.intact => lines.push(Para::new(
            format!(
                "History chain intact: all {} events of the database were re-hashed and every link holds.",
                db.events
            ),
            Style::new(Font::Bold, 9.5, GOOD),
        )),
        None => lines.push(Para::new(
            "History chain NOT intact.",
            Style::new(Font::Bold, 9.5, BAD),
        )),
        Some(b) => lines.push(Para::new(
            format!("History chain BROKEN at event {}: {}", b.seq, b.reason),
            Style::new(Font::Bold, 9.5, BAD),
        )),
    }
    let sig_ok = signatures.problems.is_empty();
    lines.push(
        Para::new(
            format!(
                "Approval signatures: {} of {} verify against the approvers' keys (allowed_signers, namespace tollgate-approval).",
                signatures.verified, signatures.approvals
            ),
            Style::new(Font::Bold, 9.5, if sig_ok { GOOD } else { BAD }),
        )
        .gap(3.0),
    );
    for p in signatures.problems.iter().take(8) {
        lines.push(Para::new(&p.message, Style::new(Font::Regular, 8.0, BAD)).gap(1.0));
    }
    if signatures.problems.len() > 8 {
        lines.push(Para::new(
            format!("… and {} more.", signatures.problems.len() - 8),
            Style::new(Font::Regular, 8.0, BAD),
        ));
    }
    let ok = db.intact && sig_ok;
    let bg = if ok {
        Rgb(0.90, 0.97, 0.92)
    } else {
        Rgb(1.0, 0.92, 0.92)
    };
    c.y -= 4.0;
    let (laid, h) = lay_out(&lines, BODY_W - 20.0);
    if c.room() < h + 30.0 {
        c.new_page();
    }
    c.fill(MARGIN_X, c.y, BODY_W, h + 18.0, bg);
    c.y -= 9.0;
    c.draw_lines(MARGIN_X + 10.0, &laid);
    c.y -= h + 9.0 + 14.0;

    if !missing.is_empty() {
        key_value(
            c,
            "Characters",
            &[Para::new(missing_notice(missing), BAD_BODY)],
        );
    }
    exceptions::section(c, exceptions, versions);
}

/// What the report says when some of its characters cannot be drawn: how many and which (by
/// code point, as the characters themselves would not show).
fn missing_notice(missing: &BTreeSet<char>) -> String {
    const LISTED: usize = 12;
    let mut codes: Vec<String> = missing
        .iter()
        .take(LISTED)
        .map(|c| format!("U+{:04X}", u32::from(*c)))
        .collect();
    if missing.len() > LISTED {
        codes.push(format!("and {} more", missing.len() - LISTED));
    }
    let (n, verb) = match missing.len() {
        1 => ("1 character".to_string(), "is"),
        n => (format!("{n} characters"), "are"),
    };
    format!(
        "{n} of this report ({}) cannot be drawn with its fonts and {verb} shown as □; text copied from this PDF has them, and the JSON and CSV reports carry them exactly.",
        codes.join(", ")
    )
}
