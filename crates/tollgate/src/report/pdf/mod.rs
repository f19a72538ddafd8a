//! The PDF report, for people: a title page (workspace, period, filters, when it was made, the
//! chain head and what the checks found), a summary per app, the approvers' key fingerprints,
//! a table of every promotion, rollback and drift in the period with the digest, the move,
//! when, who approved (role and key fingerprint), the revision range and risk flags of its
//! release diff (kept in the event at promote time) and the policy checklist as it was evaluated,
//! and the team conflicts (section "Conflicts").
//! Drift rows are highlighted, and so are unapproved deployments (a `record` into an environment
//! with a policy that no approved promotion had put there). Times are shown in the exporting machine's time zone with their
//! UTC offset.
//!
//! Names and other text in any Latin, Greek or Cyrillic script are drawn as they are, in embedded
//! DejaVu fonts (see `fonts`); a character the fonts cannot draw is shown as a box and the title
//! page says so, with its code point, never replaced silently.
//!
//! Written with `pdf-writer` (the typst project's PDF writer): it writes PDF objects directly,
//! fast and with four tiny dependencies; the fonts are subset with `subsetter` (also typst's)
//! and measured with `ttf-parser`. `printpdf` 0.12 needs Rust 1.88 (above this workspace's 1.85)
//! and brings a layout engine.

mod canvas;
mod fonts;
mod release_diff;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Local, Utc};
use serde_json::Value;

use super::conflicts::Conflict;
use super::signatures::SignatureCheck;
use super::{ApprovalInfo, Item, Meta, Selection, Summary, Tally};
use crate::domain::{Event, EventKind};
use crate::signing::parse_allowed_signers;
use canvas::{
    lay_out, Canvas, Para, Rgb, Style, BAD, BODY_W, DRIFT_BG, GOOD, HEADER_BG, INK, MARGIN_X,
    MUTED, RULE,
};
use fonts::Font;

const H1: Style = Style::new(Font::Bold, 24.0, INK);
const H2: Style = Style::new(Font::Bold, 15.0, INK);
const LABEL: Style = Style::new(Font::Bold, 9.0, MUTED);
const BODY: Style = Style::new(Font::Regular, 9.5, INK);
const BAD_BODY: Style = Style::new(Font::Regular, 9.5, BAD);
const SMALL: Style = Style::new(Font::Regular, 7.5, INK);
const SMALL_MUTED: Style = Style::new(Font::Regular, 7.0, MUTED);
const SMALL_BOLD: Style = Style::new(Font::Bold, 7.5, INK);
const MONO: Style = Style::new(Font::Mono, 7.0, INK);
const MONO_MUTED: Style = Style::new(Font::Mono, 6.5, MUTED);
const MONO_BODY: Style = Style::new(Font::Mono, 8.0, INK);

/// A time as people read it: local, with the UTC offset.
pub fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S %:z")
        .to_string()
}

/// Collects the items of a report, then lays the PDF out at [`render`](Self::render).
pub struct PdfReport {
    meta: Meta,
    /// Promotions, rollbacks, drift, and unapproved records, with whether each is unapproved.
    rows: Vec<(Event, bool)>,
    /// Rejections and unrejections, for "Rejected digests".
    rejections: Vec<Event>,
    tally: Tally,
    conflicts: Vec<Conflict>,
}

impl PdfReport {
    pub fn new(meta: Meta) -> Self {
        PdfReport {
            meta,
            rows: Vec::new(),
            rejections: Vec::new(),
            tally: Tally::default(),
            conflicts: Vec::new(),
        }
    }

    /// The team conflicts the report lists (section "Conflicts").
    pub fn with_conflicts(mut self, conflicts: Vec<Conflict>) -> Self {
        self.conflicts = conflicts;
        self
    }

    pub fn item(&mut self, item: &Item) {
        let Some((event, in_filter, unapproved)) = self.tally.take(item) else {
            return;
        };
        let listed = unapproved
            || matches!(
                event.kind,
                EventKind::Promotion | EventKind::Rollback | EventKind::Drift
            );
        if in_filter && listed {
            self.rows.push((event.clone(), unapproved));
        }
        if in_filter && matches!(event.kind, EventKind::Rejection | EventKind::Unrejection) {
            self.rejections.push(event.clone());
        }
    }

    /// Lay out and write the PDF; returns the summary and the bytes.
    pub fn render(self, selection: &Selection, signatures: &SignatureCheck) -> (Summary, Vec<u8>) {
        let summary = self.tally.summary.finish();
        let footer = format!(
            "Tollgate audit report · {} · generated {}",
            self.meta.workspace,
            local(self.meta.generated_at)
        );
        let lay_out_all = |missing: &BTreeSet<char>| {
            let mut c = Canvas::new(footer.clone());
            title_page(&mut c, &self.meta, selection, signatures, &summary, missing);
            c.new_page();
            summary_pages(&mut c, &self.meta, &summary);
            c.new_page();
            moves_table(&mut c, &self.rows, &self.tally.approvals);
            c.y -= 22.0;
            rejections_table(&mut c, &self.rejections);
            c.y -= 22.0;
            conflicts_table(&mut c, &self.conflicts);
            c
        };
        // Laid out once more, with the notice on the title page, if some characters cannot be
        // drawn: the notice itself is drawable.
        let mut c = lay_out_all(&BTreeSet::new());
        let missing = c.missing();
        if !missing.is_empty() {
            c = lay_out_all(&missing);
        }
        let title = format!("Tollgate audit report: {}", self.meta.workspace);
        let bytes = c.finish(&title, self.meta.generated_at);
        (summary, bytes)
    }
}

/// `1 event`, `2 events`.
fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A label on the left, paragraphs on the right.
fn key_value(c: &mut Canvas, label: &str, value: &[Para]) {
    const LABEL_W: f32 = 118.0;
    let (lines, height) = lay_out(value, BODY_W - LABEL_W);
    let (label_lines, label_h) = lay_out(&[Para::new(label, LABEL)], LABEL_W - 8.0);
    let h = height.max(label_h) + 7.0;
    if c.room() < h {
        c.new_page();
    }
    c.draw_lines(MARGIN_X, &label_lines);
    c.draw_lines(MARGIN_X + LABEL_W, &lines);
    c.y -= h;
}

fn heading(c: &mut Canvas, text: &str) {
    if c.room() < 80.0 {
        c.new_page();
    }
    c.paras(MARGIN_X, BODY_W, &[Para::new(text, H2)]);
    c.y -= 8.0;
}

fn title_page(
    c: &mut Canvas,
    meta: &Meta,
    sel: &Selection,
    signatures: &SignatureCheck,
    summary: &Summary,
    missing: &BTreeSet<char>,
) {
    c.paras(
        MARGIN_X,
        BODY_W,
        &[
            Para::new("TOLLGATE", Style::new(Font::Bold, 10.0, MUTED)),
            Para::new("Audit report", H1).gap(4.0),
            Para::new(
                format!("Workspace {}", meta.workspace),
                Style::new(Font::Regular, 13.0, INK),
            )
            .gap(2.0),
        ],
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
    let events = match (sel.first_seq, sel.last_seq) {
        (Some(a), Some(b)) => {
            let mut paras = vec![Para::new(
                format!(
                    "{} matching the filters, in the chain range from event {a} to event {b}.",
                    plural(sel.matched, "event", "events")
                ),
                BODY,
            )];
            if sel.context > 0 {
                paras.push(
                    Para::new(
                        format!(
                            "Also included: {} from outside the filters that promotions in the period counted.",
                            plural(sel.context, "approval", "approvals")
                        ),
                        SMALL_MUTED,
                    )
                    .gap(2.0),
                );
            }
            if sel.stubs > 0 {
                paras.push(
                    Para::new(
                        format!(
                            "{} of the range outside the filters appear in the JSON export as link stubs (seq and hashes only).",
                            plural(sel.stubs, "other event", "other events")
                        ),
                        SMALL_MUTED,
                    )
                    .gap(2.0),
                );
            }
            paras
        }
        _ => vec![Para::new("No events match the filters.", BODY)],
    };
    key_value(c, "Events", &events);
    let db = &meta.database;
    key_value(
        c,
        "Chain head",
        &[
            Para::new(
                format!(
                    "event {} of the history database ({} events), hash:",
                    db.head_seq, db.events
                ),
                BODY,
            ),
            Para::new(&db.head_hash, MONO_BODY).gap(1.0),
        ],
    );
    if let (Some(last), Some(end)) = (sel.last_seq, &sel.end_hash) {
        if last != db.head_seq {
            key_value(
                c,
                "Range ends at",
                &[
                    Para::new(format!("event {last}, hash:"), BODY),
                    Para::new(end, MONO_BODY).gap(1.0),
                ],
            );
        }
    }

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

    let totals = summary.apps.iter().fold([0u64; 4], |t, a| {
        [
            t[0] + a.promotions,
            t[1] + a.rollbacks,
            t[2] + a.drift,
            t[3] + a.approvals,
        ]
    });
    key_value(
        c,
        "In this report",
        &[Para::new(
            format!(
                "{}, {}, {}, {}, across {}.",
                plural(totals[0], "promotion", "promotions"),
                plural(totals[1], "rollback", "rollbacks"),
                plural(totals[2], "drift incident", "drift incidents"),
                plural(totals[3], "approval", "approvals"),
                plural(summary.apps.len() as u64, "app", "apps")
            ),
            BODY,
        )],
    );
    if !missing.is_empty() {
        key_value(
            c,
            "Characters",
            &[Para::new(missing_notice(missing), BAD_BODY)],
        );
    }
    key_value(
        c,
        "Checking it",
        &[Para::new(
            "Export the same period as JSON (tollgate export --format json with the same filters) and run `tollgate verify FILE`, or check it with only sha256sum and ssh-keygen as docs/AUDIT-FORMAT.md shows. The chain head hash above names exactly which history this report describes: `tollgate verify` on the database prints the same hash.",
            SMALL,
        )],
    );
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

/// One column of a table: heading and width.
type Columns<'a> = &'a [(&'a str, f32)];

const PAD: f32 = 4.0;

fn table_header(c: &mut Canvas, cols: Columns<'_>) {
    let style = Style::new(Font::Bold, 7.5, INK);
    let h = style.leading() + 2.0 * PAD;
    c.fill(MARGIN_X, c.y, BODY_W, h, HEADER_BG);
    let mut x = MARGIN_X;
    for (title, w) in cols {
        let (lines, _) = lay_out(&[Para::new(*title, style)], w - 2.0 * PAD);
        let y = c.y;
        c.y -= PAD;
        c.draw_lines(x + PAD, &lines);
        c.y = y;
        x += w;
    }
    c.y -= h;
}

/// One row; moved whole to a new page (with the header again) when it does not fit.
fn table_row(c: &mut Canvas, cols: Columns<'_>, cells: &[Vec<Para>], bg: Option<Rgb>) {
    let laid: Vec<_> = cells
        .iter()
        .zip(cols)
        .map(|(paras, (_, w))| lay_out(paras, w - 2.0 * PAD))
        .collect();
    let h = laid.iter().map(|(_, h)| *h).fold(0.0, f32::max) + 2.0 * PAD;
    if c.room() < h {
        c.new_page();
        table_header(c, cols);
    }
    if let Some(bg) = bg {
        c.fill(MARGIN_X, c.y, BODY_W, h, bg);
    }
    let top = c.y;
    let mut x = MARGIN_X;
    for ((lines, _), (_, w)) in laid.iter().zip(cols) {
        c.y = top - PAD;
        c.draw_lines(x + PAD, lines);
        x += w;
    }
    c.y = top - h;
    c.hline(MARGIN_X, MARGIN_X + BODY_W, c.y, RULE);
}

fn summary_pages(c: &mut Canvas, meta: &Meta, summary: &Summary) {
    heading(c, "Summary per app");
    let cols: Columns<'_> = &[
        ("App", 92.0),
        ("Promotions", 58.0),
        ("Rollbacks", 54.0),
        ("Drift", 44.0),
        ("Approvals", 54.0),
        ("Approved by (role, approvals)", BODY_W - 302.0),
    ];
    table_header(c, cols);
    if summary.apps.is_empty() {
        table_row(
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
        table_row(
            c,
            cols,
            &[
                vec![Para::new(&app.app, Style::new(Font::Bold, 8.0, INK))],
                n(app.promotions),
                n(app.rollbacks),
                vec![Para::new(app.drift.to_string(), drift_style)],
                n(app.approvals),
                approvers,
            ],
            None,
        );
    }
    c.y -= 22.0;

    heading(c, "Approvers' keys");
    c.paras(
        MARGIN_X,
        BODY_W,
        &[Para::new(
            "The keys listed for the approvers in tollgate.toml when this report was made; approval signatures are checked against them. A previous key (a key rotation) counts only for approvals signed until the time shown.",
            SMALL_MUTED,
        )],
    );
    c.y -= 6.0;
    let cols: Columns<'_> = &[
        ("Approver", 200.0),
        ("Key fingerprint (SHA-256)", BODY_W - 200.0),
    ];
    table_header(c, cols);
    let (keys, _) = parse_allowed_signers(&meta.allowed_signers);
    let keys = keys.all();
    if keys.is_empty() {
        table_row(
            c,
            cols,
            &[vec![Para::new("No approvers are listed.", SMALL_MUTED)]],
            None,
        );
    }
    for (id, key) in keys {
        let fp = match key.valid_before {
            None => key.fingerprint(),
            Some(until) => format!(
                "{} (previous key: approvals signed until {})",
                key.fingerprint(),
                local(until)
            ),
        };
        table_row(
            c,
            cols,
            &[
                vec![Para::new(id, Style::new(Font::Regular, 8.0, INK))],
                vec![Para::new(fp, MONO_BODY)],
            ],
            None,
        );
    }
}

fn moves_table(c: &mut Canvas, rows: &[(Event, bool)], approvals: &HashMap<i64, ApprovalInfo>) {
    heading(c, "Promotions, rollbacks and drift");
    c.paras(
        MARGIN_X,
        BODY_W,
        &[Para::new(
            "Every promotion and rollback in the period, with the approvals it counted and the policy checklist as it was evaluated at the time; drift (a tag moved outside Tollgate) and unapproved deployments (a record into an environment with a policy, with no approved promotion) are highlighted.",
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
    table_header(c, cols);
    if rows.is_empty() {
        table_row(
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
            EventKind::Drift => (drift_cells(e), Some(DRIFT_BG)),
            EventKind::Record if *unapproved => (unapproved_cells(e), Some(DRIFT_BG)),
            _ => (move_cells(e, approvals), None),
        };
        table_row(c, cols, &cells, bg);
    }
}

/// Section "Conflicts": what two desktops did that cannot both be right, one row each.
fn conflicts_table(c: &mut Canvas, conflicts: &[Conflict]) {
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
    table_header(c, cols);
    if conflicts.is_empty() {
        table_row(
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
        table_row(
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
}

/// "Rejected digests": every rejection and unrejection in the period, who signed it (role,
/// key), its scope and its reason; rejections are highlighted.
fn rejections_table(c: &mut Canvas, rows: &[Event]) {
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
    table_header(c, cols);
    if rows.is_empty() {
        table_row(
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
        let what = vec![
            Para::new(e.app.clone(), Style::new(Font::Bold, 8.5, INK)),
            Para::new(digest_of(e), MONO).gap(2.0),
            Para::new(
                format!(
                    "{} for {scope}",
                    if rejected { "rejected" } else { "unrejected" }
                ),
                SMALL,
            )
            .gap(2.0),
        ];
        let who = vec![
            Para::new(e.actor.clone().unwrap_or_default(), SMALL_BOLD),
            Para::new(e.data_str("role").unwrap_or_default(), SMALL).gap(1.0),
            Para::new(e.data_str("fingerprint").unwrap_or_default(), MONO_MUTED).gap(1.0),
        ];
        let reason = vec![Para::new(e.data_str("reason").unwrap_or_default(), SMALL)];
        table_row(
            c,
            cols,
            &[when, what, who, reason],
            rejected.then_some(DRIFT_BG),
        );
    }
}

fn when_cell(e: &Event, label: &str, color: Rgb) -> Vec<Para> {
    let t = local(e.at);
    let (date, time) = t.split_once(' ').unwrap_or((&t, ""));
    vec![
        Para::new(format!("#{}", e.seq), Style::new(Font::Bold, 9.0, INK)),
        Para::new(label, Style::new(Font::Bold, 7.5, color)).gap(1.0),
        Para::new(date, SMALL).gap(2.0),
        Para::new(time, SMALL_MUTED),
    ]
}

fn digest_of(e: &Event) -> String {
    e.digest
        .as_ref()
        .map_or("(no digest)".to_string(), |d| d.to_string())
}

fn move_cells(e: &Event, approvals: &HashMap<i64, ApprovalInfo>) -> Vec<Vec<Para>> {
    let rollback = e.kind == EventKind::Rollback;
    let when = when_cell(
        e,
        if rollback { "ROLLBACK" } else { "PROMOTION" },
        if rollback { Rgb(0.62, 0.35, 0.0) } else { INK },
    );
    let from = e.data_str("from").unwrap_or("?");
    let mut what = vec![
        Para::new(
            format!("{}: {from} → {}", e.app, e.env),
            Style::new(Font::Bold, 8.5, INK),
        ),
        Para::new(digest_of(e), MONO).gap(2.0),
    ];
    if let Some(actor) = &e.actor {
        what.push(Para::new(format!("by {actor}"), SMALL).gap(2.0));
    }
    if let (Some(tag), Some(repo)) = (e.data_str("tag"), e.data_str("repository")) {
        what.push(Para::new(format!("tag {tag} in {repo}"), SMALL_MUTED));
    }
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
            }
            None => who.push(Para::new(
                format!("approval #{seq}: not in this report"),
                Style::new(Font::Regular, 7.5, BAD),
            )),
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
                        format!("{mark} · {}", s("rule")),
                        Style::new(Font::Bold, 7.0, color),
                    )
                    .gap(3.0),
                );
                policy.push(Para::new(s("reason"), Style::new(Font::Regular, 7.0, INK)));
            }
            for i in ev
                .get("ignored")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let reason = i.get("reason").and_then(Value::as_str).unwrap_or("");
                policy.push(Para::new(format!("ignored: {reason}"), SMALL_MUTED).gap(3.0));
            }
        }
        None => policy.push(Para::new("no checklist recorded", SMALL_MUTED)),
    }
    vec![when, what, who, policy]
}

fn drift_cells(e: &Event) -> Vec<Vec<Para>> {
    let when = when_cell(e, "DRIFT", BAD);
    let tag = e.data_str("tag").unwrap_or(&e.env);
    let mut what = vec![
        Para::new(
            format!("{}: {}", e.app, e.env),
            Style::new(Font::Bold, 8.5, BAD),
        ),
        Para::new(format!("tag {tag} moved outside Tollgate to"), SMALL).gap(1.0),
        Para::new(digest_of(e), MONO).gap(1.0),
    ];
    if let Some(repo) = e.data_str("repository") {
        what.push(Para::new(format!("in {repo}"), SMALL_MUTED));
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

fn unapproved_cells(e: &Event) -> Vec<Vec<Para>> {
    let when = when_cell(e, "UNAPPROVED", BAD);
    let mut what = vec![
        Para::new(
            format!("{}: recorded in {}", e.app, e.env),
            Style::new(Font::Bold, 8.5, BAD),
        ),
        Para::new(digest_of(e), MONO).gap(2.0),
    ];
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
