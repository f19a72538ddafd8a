//! The release diff of a promotion or rollback in the PDF: its revision range and risk flags,
//! printed from what the event's data kept at promote time (`data.diff`), so the report needs
//! no registry and shows what the approver's move changed then, not what the registry holds now.

use super::canvas::{Para, Style, BAD, INK, MUTED};
use super::fonts::Font;
use crate::diff::DiffSummary;
use crate::domain::Event;

/// The lines under a move's digest: `revisions A → B`, the compare link, each risk flag.
pub(super) fn paras(e: &Event) -> Vec<Para> {
    let small = Style::new(Font::Regular, 7.5, INK);
    let muted = Style::new(Font::Regular, 7.0, MUTED);
    let Some(summary) = e
        .data
        .get("diff")
        .and_then(|d| serde_json::from_value::<DiffSummary>(d.clone()).ok())
    else {
        return vec![Para::new(
            "release diff: not recorded (made before Tollgate kept it, by a recovery, or the registry could not be read then)",
            muted,
        )
        .gap(2.0)];
    };
    let mut out =
        vec![Para::new(format!("revisions {}", summary.revision_range()), small).gap(2.0)];
    if let Some(url) = &summary.compare_url {
        out.push(Para::new(url, Style::new(Font::Mono, 6.5, MUTED)));
    }
    if summary.risk_flags.is_empty() {
        out.push(Para::new("no risk flags", muted));
    }
    for f in &summary.risk_flags {
        out.push(Para::new(format!("RISK {}", f.code), Style::new(Font::Bold, 7.0, BAD)).gap(1.5));
        out.push(Para::new(&f.text, Style::new(Font::Regular, 7.0, INK)));
    }
    out
}
