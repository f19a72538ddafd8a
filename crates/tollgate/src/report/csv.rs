//! The CSV report: one row per event that matches the filters (RFC 4180: comma-separated,
//! `"`-quoted where needed, CRLF line ends, a header row). The columns are [`COLUMNS`], documented
//! in `docs/src/audit/format.md`; columns may be added at the end, never renamed or reordered.
//! A cell that a spreadsheet would run as a formula is written with a leading `'`
//! ([`spreadsheet_safe`]); the JSON report keeps every text exactly.

use std::collections::HashMap;
use std::io::Write;

use super::{rfc3339, ApprovalInfo, Item, Summary, Tally};
use crate::domain::conflicts::Conflict;
use crate::domain::{Event, EventKind};
use crate::{Error, Result};

/// The header row.
pub const COLUMNS: [&str; 38] = [
    "seq",
    "at",
    "kind",
    "app",
    "env",
    "digest",
    "actor",
    "from",
    "to",
    "repository",
    "image",
    "tag",
    "previous",
    "role",
    "note",
    "fingerprint",
    "approvals",
    "approvers",
    "policy_passed",
    "policy",
    "prev_hash",
    "hash",
    "unapproved",
    "reason",
    "conflicts",
    "git",
    "file",
    "commit",
    "incident",
    "incident_text",
    "closes",
    "check",
    "result",
    "summary",
    "url",
    "report_sha256",
    "evidence",
    "emergency",
];

/// Where the `conflicts` column is: the writer fills it after the row is made.
const CONFLICTS: usize = 24;

fn csv_error(e: ::csv::Error) -> Error {
    Error::internal(format!("cannot write the CSV report: {e}"))
}

/// Streams a CSV report: [`start`](Self::start), [`item`](Self::item) for each item in order,
/// then [`finish`](Self::finish).
pub struct CsvWriter<W: Write> {
    out: ::csv::Writer<W>,
    tally: Tally,
    /// The descriptions of the team conflicts each event is part of, by `seq`.
    conflicts: HashMap<i64, Vec<String>>,
}

impl<W: Write> CsvWriter<W> {
    pub fn start(out: W) -> Result<Self> {
        let mut out = ::csv::WriterBuilder::new()
            .terminator(::csv::Terminator::CRLF)
            .from_writer(out);
        out.write_record(COLUMNS).map_err(csv_error)?;
        Ok(CsvWriter {
            out,
            tally: Tally::default(),
            conflicts: HashMap::new(),
        })
    }

    /// Fill the `conflicts` column of the events these conflicts involve.
    pub fn with_conflicts(mut self, conflicts: &[Conflict]) -> Self {
        for c in conflicts {
            for e in &c.events {
                self.conflicts.entry(e.seq).or_default().push(format!(
                    "{}: {}",
                    c.kind.as_str(),
                    c.description
                ));
            }
        }
        self
    }

    pub fn item(&mut self, item: &Item) -> Result<()> {
        let Some((event, in_filter, unapproved)) = self.tally.take(item) else {
            return Ok(());
        };
        if in_filter {
            let mut row = row(event, &self.tally.approvals, unapproved);
            if let (Some(cell), Some(c)) = (row.get_mut(CONFLICTS), self.conflicts.get(&event.seq))
            {
                *cell = c.join(" | ");
            }
            let row = row.into_iter().map(spreadsheet_safe);
            self.out.write_record(row).map_err(csv_error)?;
        }
        Ok(())
    }

    pub fn finish(self) -> Result<(Summary, W)> {
        let out = self
            .out
            .into_inner()
            .map_err(|e| Error::internal(format!("cannot write the CSV report: {}", e.error())))?;
        Ok((self.tally.summary.finish(), out))
    }
}

/// A cell as a spreadsheet may show it without running it: one that starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return (which Excel, LibreOffice and Google Sheets take for a
/// formula) gets a leading `'`, the OWASP recipe against CSV injection. Other cells are
/// unchanged: Tollgate's own values (seqs, RFC 3339 UTC times, digests, hashes) never start
/// with one of those characters, so only free text (notes, actors, names) is ever changed.
pub fn spreadsheet_safe(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// The cells of one event, in [`COLUMNS`] order, exactly as the history holds them (see
/// [`spreadsheet_safe`] for what the CSV file writes); `unapproved` as [`Item::Event`] has it.
pub fn row(event: &Event, approvals: &HashMap<i64, ApprovalInfo>, unapproved: bool) -> Vec<String> {
    let d = &event.data;
    let text = |k: &str| match d.get(k) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let counted = event.counted_approvals();
    let approvers: Vec<String> = counted
        .iter()
        .map(|seq| match approvals.get(seq) {
            Some(a) => format!("#{seq} {}", a.describe()),
            None => format!("#{seq} (not in the report)"),
        })
        .collect();
    let evaluation = d.get("evaluation");
    let policy_passed = evaluation
        .and_then(|e| e.get("passed"))
        .and_then(|p| p.as_bool())
        .map_or(String::new(), |p| p.to_string());
    let policy = evaluation
        .and_then(|e| e.get("rules"))
        .and_then(|r| r.as_array())
        .map(|rules| {
            rules
                .iter()
                .map(|r| {
                    let s = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("");
                    let passed = r.get("passed").and_then(|v| v.as_bool()) == Some(true);
                    format!(
                        "{} {}: {}",
                        if passed { "PASS" } else { "FAIL" },
                        s("rule"),
                        s("reason")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    let is_move = matches!(event.kind, EventKind::Promotion | EventKind::Rollback);
    let incident = matches!(event.kind, EventKind::Incident | EventKind::IncidentClose);
    vec![
        event.seq.to_string(),
        rfc3339(event.at),
        event.kind.as_str().to_string(),
        event.app.clone(),
        event.env.clone(),
        event
            .digest
            .as_ref()
            .map_or(String::new(), |x| x.to_string()),
        event.actor.clone().unwrap_or_default(),
        text("from"),
        text("to"),
        text("repository"),
        text("image"),
        text("tag"),
        text("previous"),
        text("role"),
        text("note"),
        text("fingerprint"),
        if is_move {
            counted
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(";")
        } else {
            String::new()
        },
        approvers.join("; "),
        policy_passed,
        policy,
        event.prev_hash.clone(),
        event.hash.clone(),
        unapproved.to_string(),
        // An unplaced move's reason is why this history does not place it.
        if event.kind == EventKind::Unplaced {
            text("why")
        } else {
            text("reason")
        },
        // `conflicts`: filled by the writer (`CsvWriter::with_conflicts`).
        String::new(),
        // An environment in a deployment repository: where, and the commit.
        text("git"),
        text("file"),
        text("commit"),
        // An incident open or close: its id, its summary (open) or resolution (close), and
        // the sha256 of the open message a close closes.
        if incident { text("id") } else { String::new() },
        match event.kind {
            EventKind::Incident => text("summary"),
            EventKind::IncidentClose => text("resolution"),
            _ => String::new(),
        },
        if incident {
            text("closes")
        } else {
            String::new()
        },
        // An attestation: the check, its result, summary, link and attached report's sha256.
        text("check"),
        text("result"),
        text("summary"),
        text("url"),
        d.get("report")
            .and_then(|r| r.get("sha256"))
            .and_then(|s| s.as_str())
            .unwrap_or_default()
            .to_string(),
        // A promotion: the attestations its `checks` rule relied on.
        evidence(evaluation),
        // An emergency rollback (its reason is in `reason`).
        (event.kind == EventKind::Rollback
            && d.get("emergency").and_then(|v| v.as_bool()) == Some(true))
        .to_string(),
    ]
}

/// `load-test pass by ci@example.com at T (message sha256 …, report sha256 …)`, one per
/// attestation a promotion relied on, `; `-separated.
fn evidence(evaluation: Option<&serde_json::Value>) -> String {
    let Some(list) = evaluation
        .and_then(|e| e.get("evidence"))
        .and_then(|l| l.as_array())
    else {
        return String::new();
    };
    list.iter()
        .map(|a| {
            let s = |k: &str| a.get(k).and_then(|v| v.as_str()).unwrap_or("");
            let mut line = format!(
                "{} {} by {} at {} (message sha256 {}",
                s("check"),
                s("result"),
                s("by"),
                s("signed_at"),
                s("sha256")
            );
            if !s("report_sha256").is_empty() {
                line.push_str(&format!(", report sha256 {}", s("report_sha256")));
            }
            line.push(')');
            line
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::{spreadsheet_safe, COLUMNS, CONFLICTS};

    #[test]
    fn the_conflicts_column_is_where_the_writer_fills_it() {
        assert_eq!(COLUMNS[CONFLICTS], "conflicts");
    }

    #[test]
    fn formula_cells_are_neutralised_and_others_kept() {
        for (cell, written) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("sha256:ab", "sha256:ab"),
            ("2026-11-02T09:00:00.000Z", "2026-11-02T09:00:00.000Z"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(cell.to_string()), written, "{cell:?}");
        }
    }
}
