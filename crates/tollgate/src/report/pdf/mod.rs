//! The PDF report, for people and for the auditor a compliance lead hands it to. In order:
//! page one ([`title`]: workspace, period, the verification result and the exceptions, counted
//! and listed, each open or closed), the contents ([`toc`]), a summary per app ([`summary`]),
//! the approvers' keys ([`approvers`]), per app and environment a timeline picture and the table
//! of its stays ([`timelines`]), every promotion, rollback and drift with its digest and
//! version, move, approvals (role, key, note), release diff ([`release_diff`]) and the policy
//! checklist as it was evaluated ([`moves`]), the deployment records CI made ([`records`]), the
//! rejected digests with their reasons ([`rejections`]), the incidents ([`incidents`]), the team
//! conflicts ([`conflicts`]), how to check the report ([`checking`]) and a sign-off page.
//! [`table`] draws the rows of every table, [`canvas`] lays out the pages and the structure
//! ([`structure`]), [`document`] writes them as a tagged PDF/A-2b file. [`words`] keeps one
//! vocabulary and one date format: times are shown in the exporting machine's time zone with
//! their UTC offset (`2026-11-25 09:00:00 +01:00`), versions beside digests.
//!
//! Names and other text in any Latin, Greek or Cyrillic script are drawn as they are, in embedded
//! DejaVu fonts (see `fonts`); a character the fonts cannot draw is shown as a box and page one
//! says so, with its code point, never replaced silently.
//!
//! Written with `pdf-writer` (the typst project's PDF writer): it writes PDF objects directly,
//! fast and with four tiny dependencies; the fonts are subset with `subsetter` (also typst's)
//! and measured with `ttf-parser`. `printpdf` 0.12 needs Rust 1.88 (above this workspace's 1.85)
//! and brings a layout engine.

mod approvers;
mod canvas;
mod checking;
mod conflicts;
mod document;
mod exceptions;
mod fonts;
mod incidents;
mod moves;
mod outline;
mod records;
mod rejections;
mod release_diff;
mod structure;
mod summary;
mod table;
mod timelines;
mod title;
mod toc;
mod words;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Local, Utc};

use super::exceptions::ExceptionsBuilder;
use super::signatures::SignatureCheck;
use super::{Item, Meta, Selection, Summary, Tally};
use crate::domain::conflicts::Conflict;
use crate::domain::{Event, EventKind, Segment};
use crate::store::Promotion;
use canvas::{Canvas, Para, Style, BAD, BODY_W, INK, MARGIN_X, MUTED};
use fonts::Font;
use structure::Tag;

pub use checking::AUDITOR_RECIPE;

const H1: Style = Style::new(Font::Bold, 24.0, INK);
const H2: Style = Style::new(Font::Bold, 15.0, INK);
const H3: Style = Style::new(Font::Bold, 11.0, INK);
const LABEL: Style = Style::new(Font::Bold, 9.0, MUTED);
const BODY: Style = Style::new(Font::Regular, 9.5, INK);
const BAD_BODY: Style = Style::new(Font::Regular, 9.5, BAD);
const SMALL: Style = Style::new(Font::Regular, 7.5, INK);
const SMALL_MUTED: Style = Style::new(Font::Regular, 7.0, MUTED);
const SMALL_BOLD: Style = Style::new(Font::Bold, 7.5, INK);
const MONO: Style = Style::new(Font::Mono, 7.0, INK);
const MONO_MUTED: Style = Style::new(Font::Mono, 6.5, MUTED);
const MONO_BODY: Style = Style::new(Font::Mono, 8.0, INK);

/// A time as people read it, the one format of the report: local, with the UTC offset.
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
    /// Deployment records (what CI recorded), with whether each is unapproved.
    records: Vec<(Event, bool)>,
    tally: Tally,
    exceptions: ExceptionsBuilder,
    conflicts: Vec<Conflict>,
    /// The failed promotion journal entries of the period.
    failed: Vec<Promotion>,
    /// What ran where in the period, per app × environment, oldest first.
    stays: Vec<Segment>,
    /// The image version of each digest (`sha256:…`) the history knows one for.
    versions: HashMap<String, String>,
}

impl PdfReport {
    pub fn new(meta: Meta) -> Self {
        PdfReport {
            meta,
            rows: Vec::new(),
            by_tag: std::collections::HashSet::new(),
            rejections: Vec::new(),
            incidents: Vec::new(),
            records: Vec::new(),
            tally: Tally::default(),
            exceptions: ExceptionsBuilder::default(),
            conflicts: Vec::new(),
            failed: Vec::new(),
            stays: Vec::new(),
            versions: HashMap::new(),
        }
    }

    /// The team conflicts the report lists (section "Conflicts").
    pub fn with_conflicts(mut self, conflicts: Vec<Conflict>) -> Self {
        self.conflicts = conflicts;
        self
    }

    /// The failed promotion journal entries of the period (exceptions on page one).
    pub fn with_failed(mut self, failed: Vec<Promotion>) -> Self {
        self.failed = failed;
        self
    }

    /// The stays of the period (section "Timelines"), oldest first.
    pub fn with_stays(mut self, stays: Vec<Segment>) -> Self {
        self.stays = stays;
        self
    }

    /// The image versions of the report's digests.
    pub fn with_versions(mut self, versions: HashMap<String, String>) -> Self {
        self.versions = versions;
        self
    }

    /// Every digest the report shows, to look their versions up.
    pub fn digests(&self) -> BTreeSet<String> {
        let events = self.rows.iter().map(|(e, _)| e);
        let events = events
            .chain(&self.rejections)
            .chain(&self.incidents)
            .chain(self.records.iter().map(|(e, _)| e));
        let mut out: BTreeSet<String> = events
            .filter_map(|e| e.digest.as_ref().map(|d| d.to_string()))
            .collect();
        out.extend(self.stays.iter().map(|s| s.digest.to_string()));
        out.extend(self.failed.iter().map(|p| p.digest.to_string()));
        out
    }

    pub fn item(&mut self, item: &Item) {
        let Some((event, in_filter, unapproved)) = self.tally.take(item) else {
            return;
        };
        self.exceptions.event(event, in_filter, unapproved);
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
        if in_filter && event.kind == EventKind::Record {
            self.records.push((event.clone(), unapproved));
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
        let exceptions = self.exceptions.finish(&self.conflicts, &self.failed);
        let v = &self.versions;
        let footer = format!(
            "Tollgate audit report · {} · generated {}",
            self.meta.workspace,
            local(self.meta.generated_at)
        );
        let lay_out_all = |missing: &BTreeSet<char>, contents: &[toc::Entry]| {
            let mut c = Canvas::new(footer.clone());
            let m = &self.meta;
            title::page(&mut c, m, signatures, &exceptions, v, missing);
            c.new_page();
            toc::page(&mut c, contents);
            c.new_page();
            summary::table(&mut c, &summary);
            c.y -= 22.0;
            approvers::table(&mut c, &m.allowed_signers);
            c.new_page();
            timelines::section(&mut c, &self.stays, m, v);
            c.new_page();
            moves::table(&mut c, &self.rows, &self.tally.approvals, v);
            c.y -= 22.0;
            records::table(&mut c, &self.records, v);
            c.y -= 22.0;
            rejections::table(&mut c, &self.rejections, v);
            c.y -= 22.0;
            incidents::table(&mut c, &self.incidents, v);
            c.y -= 22.0;
            conflicts::table(&mut c, &self.conflicts);
            c.new_page();
            checking::section(&mut c, m, selection, &summary);
            c.new_page();
            checking::sign_off(&mut c, m);
            c
        };
        // Laid out again until it settles: with the notice on page one if some characters
        // cannot be drawn (the notice itself is drawable), and with the contents' page numbers.
        let (mut missing, mut contents) = (BTreeSet::new(), Vec::new());
        let mut c = lay_out_all(&missing, &contents);
        for _ in 0..3 {
            let now = (c.missing(), toc::entries(&c));
            if now.0 == missing && now.1 == contents {
                break;
            }
            (missing, contents) = now;
            c = lay_out_all(&missing, &contents);
        }
        let title = format!("Tollgate audit report: {}", self.meta.workspace);
        let bytes = document::finish(c, &title, self.meta.generated_at);
        (summary, bytes)
    }
}

/// A section's heading (listed in the contents), on a new page when less than 80 points are
/// left.
fn heading(c: &mut Canvas, text: &str) {
    if c.room() < 80.0 {
        c.new_page();
    }
    c.toc.push((1, text.to_string(), c.page()));
    c.begin(Tag::H2);
    c.paras(MARGIN_X, BODY_W, &[Para::new(text, H2)]);
    c.end();
    c.y -= 8.0;
}

/// A subsection's heading (listed in the contents), on a new page when less than `need`
/// points are left.
fn subheading(c: &mut Canvas, text: &str, need: f32) {
    if c.room() < need {
        c.new_page();
    }
    c.toc.push((2, text.to_string(), c.page()));
    c.begin(Tag::H3);
    c.paras(MARGIN_X, BODY_W, &[Para::new(text, H3)]);
    c.end();
    c.y -= 6.0;
}
