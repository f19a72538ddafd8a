//! The filters: each whole event matches the report's filters and is marked `in_filter`, or is
//! an approval a promotion in the report counted.

use std::collections::{BTreeMap, HashSet};

use super::events::Whole;
use super::Checker;
use crate::report::Filters;

impl Checker<'_> {
    /// Whole events match the filters, or are approvals a promotion in the report counted.
    pub(super) fn check_filters(&mut self, wholes: &BTreeMap<i64, &Whole>) {
        let filters: Filters = match self.top.get("filters") {
            Some(f) => match serde_json::from_value(f.clone()) {
                Ok(f) => f,
                Err(e) => {
                    self.problem(None, format!("the report's filters are unreadable: {e}"));
                    return;
                }
            },
            None => {
                self.problem(None, "the report has no \"filters\"");
                return;
            }
        };
        let counted: HashSet<i64> = wholes
            .values()
            .filter(|w| w.in_filter)
            .flat_map(|w| w.event.counted_approvals())
            .collect();
        for (&seq, w) in wholes {
            let matches = filters.matches(&w.event.app, &w.event.env, w.event.at);
            if w.in_filter && !matches {
                self.problem(
                    Some(seq),
                    format!(
                        "does not match the report's filters ({}) yet is marked in_filter",
                        filters.describe()
                    ),
                );
            } else if !w.in_filter && !counted.contains(&seq) {
                self.problem(
                    Some(seq),
                    "is included outside the filters, but no promotion in the report counted it",
                );
            }
        }
    }
}
