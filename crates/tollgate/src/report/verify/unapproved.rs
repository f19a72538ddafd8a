//! The `unapproved` flag of every record in a report, re-derived from the report's events and
//! the policies it states (sealed in version 2): a `record` into an environment that has a
//! policy is unapproved when no promotion or rollback into that app × environment happened
//! between the start of the segment it belongs to and it (the store's rule,
//! `store::timeline::record_unapproved`). Segments are followed with the timeline rules'
//! [`HeadState`], from whole events and from stubs' headers alike, so this needs the report to
//! start at event 1; a report that starts later is named as not re-derivable.

use std::collections::HashMap;

use serde_json::Value;

use crate::domain::timeline::HeadState;
use crate::domain::EventKind;

/// One event of the report, as far as this rule needs it.
#[derive(Debug, Clone)]
pub struct LaneEvent<'a> {
    pub seq: i64,
    pub kind: EventKind,
    pub app: &'a str,
    pub env: &'a str,
    pub digest: Option<&'a str>,
    /// The flag as the report states it (whole records only).
    pub stated: Option<bool>,
}

/// Whether `policies` (`{app: {env: policy or null}}`) gives this environment a policy.
pub fn gated(policies: &Value, app: &str, env: &str) -> bool {
    policies
        .get(app)
        .and_then(|envs| envs.get(env))
        .is_some_and(|p| p.is_object())
}

/// The records whose stated flag is not the re-derived one: `(seq, line)`.
pub fn check<'a>(
    events: impl IntoIterator<Item = LaneEvent<'a>>,
    policies: &Value,
) -> Vec<(i64, String)> {
    let mut lanes: HashMap<(&str, &str), (HeadState, bool)> = HashMap::new();
    let mut out = Vec::new();
    for e in events {
        let (head, approved) = lanes.entry((e.app, e.env)).or_default();
        if head.apply(e.seq, e.kind, e.digest) {
            *approved = false;
        }
        if e.kind == EventKind::Record && e.digest.is_some() {
            let derived = gated(policies, e.app, e.env) && !*approved;
            if let Some(stated) = e.stated {
                if stated != derived {
                    out.push((
                        e.seq,
                        format!(
                            "unapproved is {stated} in the report, but its history and the report's policies make it {derived}: the flag was edited"
                        ),
                    ));
                }
            }
        }
        if matches!(e.kind, EventKind::Promotion | EventKind::Rollback) {
            *approved = true;
        }
    }
    out
}

impl super::Checker<'_> {
    /// The `unapproved` flags, from event 1 on, under the policies the report states ([`check`]);
    /// stubs take part through their headers (`headers`, by `seq`, from
    /// [`super::stubs`]). Nothing is checked in a report that starts later or states no
    /// policies.
    pub(super) fn check_unapproved(
        &mut self,
        entries: &[super::events::Entry],
        headers: &[(i64, super::stubs::StubHeader)],
    ) {
        use super::events::{starts_at_one, Entry};
        let policies = self.top.get("policies").cloned();
        let Some(policies) = policies.as_ref().filter(|_| starts_at_one(entries)) else {
            return;
        };
        let mut lane: Vec<LaneEvent<'_>> = Vec::new();
        let mut stub_headers = headers.iter().peekable();
        for e in entries {
            match e {
                Entry::Whole(w) => lane.push(LaneEvent {
                    seq: w.event.seq,
                    kind: w.event.kind,
                    app: &w.event.app,
                    env: &w.event.env,
                    digest: w.event.digest.as_ref().map(|d| d.as_str()),
                    stated: (!w.link).then_some(w.unapproved),
                }),
                Entry::Stub { seq, .. } => {
                    while stub_headers.next_if(|(s, _)| s < seq).is_some() {}
                    if let Some((_, h)) = stub_headers.next_if(|(s, _)| s == seq) {
                        if let Some(kind) = EventKind::parse(&h.kind) {
                            lane.push(LaneEvent {
                                seq: *seq,
                                kind,
                                app: &h.app,
                                env: &h.env,
                                digest: h.digest.as_deref(),
                                stated: None,
                            });
                        }
                    }
                }
            }
        }
        for (seq, why) in check(lane, policies) {
            self.problem(Some(seq), why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(
        seq: i64,
        kind: EventKind,
        digest: &'static str,
        stated: Option<bool>,
    ) -> LaneEvent<'static> {
        LaneEvent {
            seq,
            kind,
            app: "api",
            env: "production",
            digest: Some(digest),
            stated,
        }
    }

    #[test]
    fn a_record_without_a_promotion_in_its_stay_is_unapproved() {
        let policies = json!({"api": {"production": {"approvals": 1}, "dev": null}});
        let events = vec![
            ev(1, EventKind::Promotion, "a", None),
            ev(2, EventKind::Record, "a", Some(false)),
            ev(3, EventKind::Record, "b", Some(false)),
        ];
        let found = check(events, &policies);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, 3);
        assert!(!gated(&policies, "api", "dev"));
    }
}
