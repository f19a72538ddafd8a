//! The PDF report, for people: a title page (workspace, period, filters, when it was made, the
//! chain head and what the checks found), a summary per app, the approvers' key fingerprints,
//! a table of every promotion, rollback and drift in the period with the digest, the move,
//! when, who approved (role and key fingerprint), the revision range and risk flags of its
//! release diff (kept in the event at promote time) and the policy checklist as it was evaluated,
//! the rejected digests, the incidents of the period, and the team conflicts (section
//! "Conflicts").
//! Drift rows are highlighted, and so are unapproved deployments (a `record` into an environment
//! with a policy that no approved promotion had put there). Times are shown in the exporting
//! machine's time zone with their UTC offset.
//!
//! One file per section, in the order [`PdfReport::render`] lays them out: [`title`],
//! [`summary`], [`approvers`], [`moves`] (with [`release_diff`] under each move's digest),
//! [`rejections`], [`incidents`], [`conflicts`]; [`table`] draws the rows of every table, [`canvas`] the pages.
//!
//! Names and other text in any Latin, Greek or Cyrillic script are drawn as they are, in embedded
//! DejaVu fonts (see `fonts`); a character the fonts cannot draw is shown as a box and the title
//! page says so, with its code point, never replaced silently.
//!
//! Written with `pdf-writer` (the typst project's PDF writer): it writes PDF objects directly,
//! fast and with four tiny dependencies; the fonts are subset with `subsetter` (also typst's)
//! and measured with `ttf-parser`. `printpdf` 0.12 needs Rust 1.88 (above this workspace's 1.85)
//! and brings a layout engine.

mod approvers;
mod canvas;
mod conflicts;
mod fonts;
mod incidents;
mod moves;
mod rejections;
mod release_diff;
mod summary;
mod table;
mod title;

use std::collections::BTreeSet;

use chrono::{DateTime, Local, Utc};

use super::signatures::SignatureCheck;
use super::{Item, Meta, Selection, Summary, Tally};
use crate::domain::conflicts::Conflict;
use crate::domain::{Event, EventKind};
use canvas::{Canvas, Para, Style, BAD, BODY_W, INK, MARGIN_X, MUTED};
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
    /// Promotions, rollbacks, drift, unapproved records, and deployment files that start to
    /// reference the image by tag only, with whether each is unapproved.
    rows: Vec<(Event, bool)>,
    /// The app × environments whose latest observation read a file pinned by tag only, so
    /// that a run of such observations is listed once.
    by_tag: std::collections::HashSet<(String, String)>,
    /// Rejections and unrejections, for "Rejected digests".
    rejections: Vec<Event>,
    /// Incident opens and closes, for "Incidents".
    incidents: Vec<Event>,
    tally: Tally,
    conflicts: Vec<Conflict>,
}

impl PdfReport {
    pub fn new(meta: Meta) -> Self {
        PdfReport {
            meta,
            rows: Vec::new(),
            by_tag: std::collections::HashSet::new(),
            rejections: Vec::new(),
            incidents: Vec::new(),
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
        // A file that starts to reference the image by tag only: listed once per run.
        let by_tag = event.kind == EventKind::Observation && {
            let key = (event.app.clone(), event.env.clone());
            if event.data_str("deployed_by_tag").is_some() {
                self.by_tag.insert(key)
            } else {
                self.by_tag.remove(&key);
                false
            }
        };
        let listed = unapproved
            || by_tag
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
        if in_filter && matches!(event.kind, EventKind::Incident | EventKind::IncidentClose) {
            self.incidents.push(event.clone());
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
            title::page(&mut c, &self.meta, selection, signatures, &summary, missing);
            c.new_page();
            summary::table(&mut c, &summary);
            c.y -= 22.0;
            approvers::table(&mut c, &self.meta.allowed_signers);
            c.new_page();
            moves::table(&mut c, &self.rows, &self.tally.approvals);
            c.y -= 22.0;
            rejections::table(&mut c, &self.rejections);
            c.y -= 22.0;
            incidents::table(&mut c, &self.incidents);
            c.y -= 22.0;
            conflicts::table(&mut c, &self.conflicts);
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

/// A section's heading, on a new page when less than 80 points are left.
fn heading(c: &mut Canvas, text: &str) {
    if c.room() < 80.0 {
        c.new_page();
    }
    c.paras(MARGIN_X, BODY_W, &[Para::new(text, H2)]);
    c.y -= 8.0;
}
