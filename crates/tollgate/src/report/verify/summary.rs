//! The summary: the per-app counts a report states are those its events give
//! ([`crate::report::SummaryBuilder`]); the first difference is named.

use serde_json::Value;

use super::events::Entry;
use super::{short, Checker};
use crate::report::{Summary, SummaryBuilder};

impl Checker<'_> {
    pub(super) fn check_summary(&mut self, entries: &[Entry]) {
        let mut b = SummaryBuilder::default();
        for e in entries {
            match e {
                Entry::Whole(w) if !w.link => b.event(&w.event),
                Entry::Whole(_) | Entry::Stub { .. } => b.stub(),
            }
        }
        let actual = b.finish();
        let stated: Option<Summary> = self
            .top
            .get("summary")
            .and_then(|s| serde_json::from_value(s.clone()).ok());
        match stated {
            None => self.problem(None, "the report has no readable \"summary\""),
            Some(s) if s != actual => {
                let what = summary_difference(&s, &actual);
                self.problem(
                    None,
                    format!("the summary does not agree with the events: {what}"),
                )
            }
            Some(_) => {}
        }
    }
}

/// The first difference between a stated and a recomputed summary, in words.
fn summary_difference(stated: &Summary, actual: &Summary) -> String {
    if stated.events != actual.events {
        return format!(
            "{} events stated, {} in the report",
            stated.events, actual.events
        );
    }
    if stated.stubs != actual.stubs {
        return format!(
            "{} stubs stated, {} in the report",
            stated.stubs, actual.stubs
        );
    }
    for a in &actual.apps {
        match stated.apps.iter().find(|s| s.app == a.app) {
            None => return format!("app {} is missing from it", a.app),
            Some(s) if s != a => {
                let s_json = serde_json::to_value(s).unwrap_or_default();
                let a_json = serde_json::to_value(a).unwrap_or_default();
                let field = a_json
                    .as_object()
                    .and_then(|o| {
                        o.iter()
                            .find(|(k, v)| s_json.get(k.as_str()) != Some(*v))
                            .map(|(k, v)| {
                                format!(
                                    "app {}: {k} {} stated, {} in the events",
                                    a.app,
                                    short(s_json.get(k.as_str()).unwrap_or(&Value::Null)),
                                    short(v)
                                )
                            })
                    })
                    .unwrap_or_else(|| format!("app {}", a.app));
                return field;
            }
            Some(_) => {}
        }
    }
    "it names an app that has no events in the report".into()
}
