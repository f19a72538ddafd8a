//! Section "Promotions, rollbacks and drift": every promotion and rollback in the period with
//! its move, digest, the approvals it counted (role, key), the evidence (attestations of checks,
//! with the hashes of their messages and reports) its checklist relied on and the policy
//! checklist as it was evaluated; drift and unapproved deployments highlighted.

use std::collections::HashMap;

use serde_json::Value;

use super::canvas::{Canvas, Para, Rgb, Style, BAD, BODY_W, DRIFT_BG, GOOD, INK, MARGIN_X, MUTED};
use super::fonts::Font;
use super::table::{digest_paras, end, row, start, when_cell, Columns};
use super::{heading, local, release_diff, words, MONO_MUTED, SMALL, SMALL_BOLD, SMALL_MUTED};
use crate::domain::{Event, EventKind};
use crate::report::ApprovalInfo;

pub(super) fn table(
    c: &mut Canvas,
    rows: &[(Event, bool)],
    approvals: &HashMap<i64, ApprovalInfo>,
    versions: &HashMap<String, String>,
) {
    heading(c, "Promotions, rollbacks and drift");
    c.paras(
        MARGIN_X,
        BODY_W,
        &[Para::new(
            "Every promotion and rollback in the period, with the approvals it counted and the policy checklist as it was evaluated at the time; drift (a tag moved, or a deployment file changed, outside Tollgate), unapproved deployments (a record into an environment with a policy, with no approved promotion) and deployment files that reference the image by tag only are highlighted.",
            SMALL_MUTED,
        )],
    );
    c.y -= 6.0;
    let cols: Columns<'_> = &[
        ("Event", 74.0),
        ("App, move and digest", 172.0),
        ("Approvals (role, key)", 140.0),
        ("Policy at the time", BODY_W - 386.0),
    ];
    start(c, cols);
    if rows.is_empty() {
        row(
            c,
            cols,
            &[vec![Para::new(
                "No promotions, rollbacks or drift in this period.",
                SMALL_MUTED,
            )]],
            None,
        );
    }
    for (e, unapproved) in rows {
        let (cells, bg) = match e.kind {
            EventKind::Drift => (drift_cells(e, versions), Some(DRIFT_BG)),
            EventKind::Record if *unapproved => (unapproved_cells(e, versions), Some(DRIFT_BG)),
            EventKind::Observation => (by_tag_cells(e), Some(DRIFT_BG)),
            _ => (move_cells(e, approvals, versions), None),
        };
        row(c, cols, &cells, bg);
    }
    end(c);
}

fn move_cells(
    e: &Event,
    approvals: &HashMap<i64, ApprovalInfo>,
    versions: &HashMap<String, String>,
) -> Vec<Vec<Para>> {
    let rollback = e.kind == EventKind::Rollback;
    let emergency = crate::domain::timeline::emergency_reason(&e.data).filter(|_| rollback);
    let when = when_cell(
        e,
        match (rollback, &emergency) {
            (true, Some(_)) => "EMERGENCY ROLLBACK",
            (true, None) => "ROLLBACK",
            _ => "PROMOTION",
        },
        match (rollback, &emergency) {
            (true, Some(_)) => BAD,
            (true, None) => Rgb(0.62, 0.35, 0.0),
            _ => INK,
        },
    );
    let from = e.data_str("from").unwrap_or("?");
    let mut what = vec![Para::new(
        format!("{}: {from} → {}", e.app, e.env),
        Style::new(Font::Bold, 8.5, INK),
    )];
    what.extend(digest_paras(e, versions));
    if let Some(actor) = &e.actor {
        what.push(Para::new(format!("by {actor}"), SMALL).gap(2.0));
    }
    // An emergency rollback: fewer approvals under the policy's rollback rule, and why.
    if let Some(reason) = &emergency {
        what.push(
            Para::new(
                format!("emergency rollback: {reason}"),
                Style::new(Font::Bold, 7.5, BAD),
            )
            .gap(2.0),
        );
    }
    if let (Some(tag), Some(repo)) = (e.data_str("tag"), e.data_str("repository")) {
        what.push(Para::new(format!("tag {tag} in {repo}"), SMALL_MUTED));
    }
    what.extend(git_paras(e));
    if let Some(prev) = e.data_str("previous") {
        what.push(Para::new("replaced", SMALL_MUTED).gap(2.0));
        what.push(Para::new(prev, MONO_MUTED));
    }
    what.extend(release_diff::paras(e));

    let counted = e.counted_approvals();
    let mut who = Vec::new();
    if counted.is_empty() {
        who.push(Para::new("none counted", SMALL_MUTED));
    }
    for seq in counted {
        match approvals.get(&seq) {
            Some(a) => {
                who.push(Para::new(&a.approver, SMALL_BOLD).gap(if who.is_empty() {
                    0.0
                } else {
                    4.0
                }));
                who.push(Para::new(
                    format!("{} · approval #{seq} · signed {}", a.role, local(a.at)),
                    SMALL_MUTED,
                ));
                who.push(Para::new(&a.fingerprint, MONO_MUTED));
                if !a.note.is_empty() {
                    who.push(Para::new(format!("note: {}", a.note), SMALL).gap(1.0));
                }
            }
            None => who.push(Para::new(
                format!("approval #{seq}: not in this report"),
                Style::new(Font::Regular, 7.5, BAD),
            )),
        }
    }

    // The attestations the `checks` rule relied on, with the hashes an auditor checks.
    for a in e
        .data
        .get("evaluation")
        .and_then(|ev| ev.get("evidence"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let s = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("");
        who.push(
            Para::new(
                format!("evidence: {} {}", s("check"), s("result")),
                SMALL_BOLD,
            )
            .gap(4.0),
        );
        who.push(Para::new(
            words::plain(&format!("by {} · signed {}", s("by"), s("signed_at"))),
            SMALL_MUTED,
        ));
        who.push(Para::new(
            format!("message sha256 {}", s("sha256")),
            MONO_MUTED,
        ));
        if !s("report_sha256").is_empty() {
            who.push(Para::new(
                format!("report sha256 {}", s("report_sha256")),
                MONO_MUTED,
            ));
        }
    }

    let mut policy = Vec::new();
    match e.data.get("evaluation") {
        Some(ev) => {
            let passed = ev.get("passed").and_then(Value::as_bool) == Some(true);
            policy.push(Para::new(
                if passed { "PASSED" } else { "NOT PASSED" },
                Style::new(Font::Bold, 8.0, if passed { GOOD } else { BAD }),
            ));
            for r in ev
                .get("rules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("");
                let ok = r.get("passed").and_then(Value::as_bool) == Some(true);
                let blocking = r.get("blocking").and_then(Value::as_bool) != Some(false);
                let (mark, color) = match (ok, blocking) {
                    (true, _) => ("PASS", GOOD),
                    (false, true) => ("FAIL", BAD),
                    (false, false) => ("NOTE", MUTED),
                };
                policy.push(
                    Para::new(
                        format!("{mark} · {}", words::rule(s("rule"))),
                        Style::new(Font::Bold, 7.0, color),
                    )
                    .gap(3.0),
                );
                policy.push(Para::new(
                    words::plain(s("reason")),
                    Style::new(Font::Regular, 7.0, INK),
                ));
            }
            for i in ev
                .get("ignored")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let reason = i.get("reason").and_then(Value::as_str).unwrap_or("");
                let reason = words::plain(reason);
                policy.push(Para::new(format!("ignored: {reason}"), SMALL_MUTED).gap(3.0));
            }
        }
        None => policy.push(Para::new("no checklist recorded", SMALL_MUTED)),
    }
    vec![when, what, who, policy]
}

fn drift_cells(e: &Event, versions: &HashMap<String, String>) -> Vec<Vec<Para>> {
    let when = when_cell(e, "DRIFT", BAD);
    let moved = match (e.data_str("git"), e.data_str("file")) {
        (Some(git), Some(file)) => format!("{git}:{file} changed outside Tollgate to"),
        _ => format!(
            "tag {} moved outside Tollgate to",
            e.data_str("tag").unwrap_or(&e.env)
        ),
    };
    let mut what = vec![
        Para::new(
            format!("{}: {}", e.app, e.env),
            Style::new(Font::Bold, 8.5, BAD),
        ),
        Para::new(moved, SMALL).gap(1.0),
    ];
    what.extend(digest_paras(e, versions));
    if let Some(repo) = e.data_str("repository") {
        what.push(Para::new(format!("in {repo}"), SMALL_MUTED));
    }
    what.extend(git_paras(e));
    if let Some(why) = e.data_str("why") {
        what.push(Para::new(why, SMALL_MUTED).gap(2.0));
    }
    if let Some(prev) = e.data_str("previous") {
        what.push(Para::new("previously", SMALL_MUTED).gap(2.0));
        what.push(Para::new(prev, MONO_MUTED));
    }
    if let Some(expected) = e
        .data_str("expected")
        .filter(|x| Some(*x) != e.data_str("previous"))
    {
        what.push(Para::new("the history said", SMALL_MUTED).gap(2.0));
        what.push(Para::new(expected, MONO_MUTED));
    }
    if let Some(late) = e.data.get("late_promotion") {
        let journal = late.get("journal").and_then(Value::as_i64).unwrap_or(0);
        let actor = late.get("actor").and_then(Value::as_str).unwrap_or("?");
        what.push(
            Para::new(
                format!("failed promotion {journal} (started by {actor}) landed late"),
                Style::new(Font::Bold, 7.5, BAD),
            )
            .gap(2.0),
        );
    }
    vec![
        when,
        what,
        vec![Para::new(
            "none: no promotion or record explains this digest",
            Style::new(Font::Regular, 7.5, BAD),
        )],
        vec![Para::new(
            "not evaluated: the tag was moved without Tollgate",
            SMALL_MUTED,
        )],
    ]
}

/// For an event of an environment in a deployment repository: the commit it was made from
/// (and, for a commit by hand, its author and who signed it).
fn git_paras(e: &Event) -> Vec<Para> {
    let (Some(git), Some(file), Some(commit)) =
        (e.data_str("git"), e.data_str("file"), e.data_str("commit"))
    else {
        return Vec::new();
    };
    let mut paras = vec![Para::new(format!("{git}:{file}"), SMALL_MUTED).gap(2.0)];
    paras.push(Para::new(format!("commit {commit}"), MONO_MUTED));
    if let Some(review) = e.data_str("review_commit") {
        paras.push(Para::new(format!("signed as {review}"), MONO_MUTED));
    }
    if let Some(author) = e.data_str("author") {
        paras.push(Para::new(format!("author {author}"), SMALL_MUTED));
    }
    if let Some(signer) = e.data_str("signer") {
        paras.push(Para::new(format!("signed by {signer}"), SMALL_MUTED));
    }
    paras
}

/// A deployment file that references the image by tag only: what runs there is not pinned.
pub(super) fn by_tag_cells(e: &Event) -> Vec<Vec<Para>> {
    let when = when_cell(e, "BY TAG", BAD);
    let tag = e.data_str("deployed_by_tag").unwrap_or("latest");
    let mut what = vec![
        Para::new(
            format!("{}: {} deployed by tag, not pinned", e.app, e.env),
            Style::new(Font::Bold, 8.5, BAD),
        ),
        Para::new(format!("the file references :{tag}, no digest"), SMALL).gap(1.0),
    ];
    what.extend(git_paras(e));
    vec![
        when,
        what,
        vec![Para::new(
            "none: a tag is a label; what ran cannot be proven",
            Style::new(Font::Regular, 7.5, BAD),
        )],
        vec![Para::new(
            "not evaluated: pin the image by digest (promote through Tollgate writes the digest)",
            SMALL_MUTED,
        )],
    ]
}

fn unapproved_cells(e: &Event, versions: &HashMap<String, String>) -> Vec<Vec<Para>> {
    let when = when_cell(e, "UNAPPROVED", BAD);
    let mut what = vec![Para::new(
        format!("{}: recorded in {}", e.app, e.env),
        Style::new(Font::Bold, 8.5, BAD),
    )];
    what.extend(digest_paras(e, versions));
    if let Some(actor) = &e.actor {
        what.push(Para::new(format!("by {actor}"), SMALL).gap(2.0));
    }
    if let Some(image) = e.data_str("image") {
        what.push(Para::new(image, SMALL_MUTED));
    }
    vec![
        when,
        what,
        vec![Para::new(
            "none: a deployment record skips the approvals",
            Style::new(Font::Regular, 7.5, BAD),
        )],
        vec![Para::new(
            "not evaluated: the environment has a policy, and no approved promotion put this digest there",
            SMALL_MUTED,
        )],
    ]
}
