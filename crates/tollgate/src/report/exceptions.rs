//! The exceptions of a report: what an auditor asks about first. Drift, unapproved records,
//! emergency rollbacks, failed promotions, rejections and team conflicts in the report's period,
//! each saying whether it is still open at the end of what the report holds, and which event
//! closed it.
//!
//! One rule for every format: [`ExceptionsBuilder`] takes a report's whole events in `seq`
//! order (as the JSON, CSV and PDF writers receive them), then [`finish`](ExceptionsBuilder::finish)
//! adds the conflicts the report states and the failed promotion journal entries of its period.
//!
//! When one is closed:
//! - drift: by a later record, promotion or rollback in the same app × environment (it was
//!   acknowledged, or Tollgate put a digest there again);
//! - an unapproved record: by a later promotion or rollback there (an approved move replaced it);
//! - an emergency rollback ([`is_emergency`]): by a later promotion or rollback there that counted
//!   approvals (the environment is back on the approved path);
//! - a failed promotion: by a later promotion or rollback of the same digest there;
//! - a rejection: by an unrejection of the same digest and scope;
//! - a conflict: by a promotion, rollback or record there after all of its events (the team
//!   settled what runs there; the conflict stays stated, as conflicts are never resolved silently).
//!
//! Domain code: no clock, no I/O.

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::rfc3339;
use crate::domain::conflicts::Conflict;
use crate::domain::{Event, EventKind};
use crate::store::Promotion;

/// What kind of exception; the order is the order a report lists them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    Drift,
    UnapprovedRecord,
    EmergencyRollback,
    FailedPromotion,
    Rejection,
    Conflict,
}

impl ExceptionKind {
    pub const ALL: [ExceptionKind; 6] = [
        ExceptionKind::Drift,
        ExceptionKind::UnapprovedRecord,
        ExceptionKind::EmergencyRollback,
        ExceptionKind::FailedPromotion,
        ExceptionKind::Rejection,
        ExceptionKind::Conflict,
    ];

    /// The kind's name for people, plural (a report's list heading).
    pub fn title(self) -> &'static str {
        match self {
            ExceptionKind::Drift => "Drift",
            ExceptionKind::UnapprovedRecord => "Unapproved records",
            ExceptionKind::EmergencyRollback => "Emergency rollbacks",
            ExceptionKind::FailedPromotion => "Failed promotions",
            ExceptionKind::Rejection => "Rejections",
            ExceptionKind::Conflict => "Conflicts",
        }
    }
}

/// One exception. Field names are the JSON report's `exceptions` contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exception {
    pub kind: ExceptionKind,
    /// The event (for a conflict, its first event); `None` for a failed promotion, which is a
    /// journal entry and not an event.
    pub seq: Option<i64>,
    /// A failed promotion's journal entry (`promotions.id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal: Option<i64>,
    pub app: String,
    /// The environment (`""` for a rejection of every environment).
    pub env: String,
    pub digest: Option<String>,
    /// When it happened; `None` for a conflict none of whose events the report holds whole.
    #[serde(serialize_with = "millis")]
    pub at: Option<DateTime<Utc>>,
    pub actor: Option<String>,
    /// One line for people: what happened (the digest is in `digest`).
    pub what: String,
    /// Not closed by any event the report holds.
    pub open: bool,
    /// The event that closed it.
    pub closed_by: Option<i64>,
}

fn millis<S: Serializer>(at: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => s.serialize_str(&rfc3339(*at)),
        None => s.serialize_none(),
    }
}

/// A rollback made as an emergency: its event says `"emergency": true` (rollbacks written
/// before that flag existed are not emergencies).
pub fn is_emergency(e: &Event) -> bool {
    e.kind == EventKind::Rollback && crate::domain::timeline::emergency_reason(&e.data).is_some()
}

/// A promotion, rollback, record or unplaced move seen so far: what can close an exception (an
/// unplaced move closes nothing; it may be a conflict's first event).
#[derive(Debug)]
struct Move {
    seq: i64,
    kind: EventKind,
    app: String,
    env: String,
    digest: Option<String>,
    at: DateTime<Utc>,
}

/// Collects the exceptions of a report from its events, in `seq` order.
#[derive(Debug, Default)]
pub struct ExceptionsBuilder {
    items: Vec<Exception>,
    moves: Vec<Move>,
}

impl ExceptionsBuilder {
    /// Take one whole event of the report (`in_filter`, `unapproved`: as the report states them).
    pub fn event(&mut self, e: &Event, in_filter: bool, unapproved: bool) {
        let digest = e.digest.as_ref().map(|d| d.to_string());
        let is_move = matches!(e.kind, EventKind::Promotion | EventKind::Rollback);
        let approved = is_move && !e.counted_approvals().is_empty();
        for x in self.items.iter_mut().filter(|x| x.open) {
            let here = x.app == e.app && x.env == e.env;
            let closes = match x.kind {
                ExceptionKind::Drift => here && (is_move || e.kind == EventKind::Record),
                ExceptionKind::UnapprovedRecord => here && is_move,
                ExceptionKind::EmergencyRollback => here && approved,
                ExceptionKind::Rejection => {
                    here && e.kind == EventKind::Unrejection && x.digest == digest
                }
                ExceptionKind::FailedPromotion | ExceptionKind::Conflict => false,
            };
            if closes {
                x.open = false;
                x.closed_by = Some(e.seq);
            }
        }
        if is_move || matches!(e.kind, EventKind::Record | EventKind::Unplaced) {
            self.moves.push(Move {
                seq: e.seq,
                kind: e.kind,
                app: e.app.clone(),
                env: e.env.clone(),
                digest: digest.clone(),
                at: e.at,
            });
        }
        if !in_filter {
            return;
        }
        let actor = e.actor.clone().unwrap_or_else(|| "?".into());
        let s = |k: &str| e.data_str(k).unwrap_or("?").to_string();
        let (kind, what) = match e.kind {
            EventKind::Drift => (ExceptionKind::Drift, drift_what(e)),
            EventKind::Record if unapproved => (
                ExceptionKind::UnapprovedRecord,
                format!("recorded by {actor} with no approved promotion"),
            ),
            EventKind::Rollback if is_emergency(e) => (
                ExceptionKind::EmergencyRollback,
                match e.data_str("reason") {
                    Some(why) => format!("emergency rollback by {actor}: {why}"),
                    None => format!("emergency rollback by {actor}"),
                },
            ),
            EventKind::Rejection => {
                let scope = if e.env.is_empty() {
                    "every environment".to_string()
                } else {
                    format!("{} and later", e.env)
                };
                (
                    ExceptionKind::Rejection,
                    format!("rejected by {actor} for {scope}: {}", s("reason")),
                )
            }
            _ => return,
        };
        self.items.push(Exception {
            kind,
            seq: Some(e.seq),
            journal: None,
            app: e.app.clone(),
            env: e.env.clone(),
            digest,
            at: Some(e.at),
            actor: e.actor.clone(),
            what,
            open: true,
            closed_by: None,
        });
    }

    /// The exceptions, by kind then time: the events' ones, the `conflicts` the report states and
    /// the `failed` promotion journal entries of its period.
    pub fn finish(mut self, conflicts: &[Conflict], failed: &[Promotion]) -> Vec<Exception> {
        for p in failed {
            let digest = p.digest.to_string();
            let closed_by = self
                .moves
                .iter()
                .find(|m| {
                    matches!(m.kind, EventKind::Promotion | EventKind::Rollback)
                        && m.app == p.app
                        && m.env == p.to_env
                        && m.digest.as_deref() == Some(digest.as_str())
                        && m.at >= p.created_at
                })
                .map(|m| m.seq);
            self.items.push(Exception {
                kind: ExceptionKind::FailedPromotion,
                seq: None,
                journal: Some(p.id),
                app: p.app.clone(),
                env: p.to_env.clone(),
                digest: Some(digest),
                at: Some(p.created_at),
                actor: Some(p.actor.clone()),
                what: format!(
                    "{} from {} by {} failed: {}",
                    p.kind.as_str(),
                    p.from_env,
                    p.actor,
                    p.error.as_deref().unwrap_or("no error recorded")
                ),
                open: closed_by.is_none(),
                closed_by,
            });
        }
        for c in conflicts {
            let (Some(first), Some(last)) =
                (c.seqs().into_iter().min(), c.seqs().into_iter().max())
            else {
                continue;
            };
            let closed_by = self
                .moves
                .iter()
                .find(|m| {
                    m.seq > last
                        && m.kind != EventKind::Unplaced
                        && m.app == c.app
                        && m.env == c.env
                })
                .map(|m| m.seq);
            let seqs = c.seqs();
            let at = self
                .moves
                .iter()
                .find(|m| seqs.contains(&m.seq))
                .map(|m| m.at);
            self.items.push(Exception {
                kind: ExceptionKind::Conflict,
                seq: Some(first),
                journal: None,
                app: c.app.clone(),
                env: c.env.clone(),
                digest: None,
                at,
                actor: c.events.first().and_then(|e| e.actor.clone()),
                what: format!("{}: {}", c.kind.as_str(), c.description),
                open: closed_by.is_none(),
                closed_by,
            });
        }
        self.items.sort_by_key(|x| (x.kind, x.at, x.seq));
        self.items
    }
}

fn drift_what(e: &Event) -> String {
    if let Some(late) = e.data.get("late_promotion") {
        let journal = late.get("journal").and_then(Value::as_i64).unwrap_or(0);
        return format!("failed promotion {journal} landed late, outside Tollgate");
    }
    match (e.data_str("git"), e.data_str("file")) {
        (Some(git), Some(file)) => format!("{git}:{file} changed outside Tollgate"),
        _ => format!(
            "tag {} moved outside Tollgate",
            e.data_str("tag").unwrap_or(&e.env)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn ev(seq: i64, kind: EventKind, env: &str, digest: u8, data: Value) -> Event {
        Event {
            seq,
            at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, seq as u32).unwrap(),
            kind,
            app: "api".into(),
            env: env.into(),
            digest: Some(
                format!("sha256:{}", format!("{digest:02x}").repeat(32))
                    .parse()
                    .unwrap(),
            ),
            actor: Some("alice".into()),
            data,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn each_kind_is_listed_and_closed_by_its_rule() {
        use EventKind::*;
        let mut b = ExceptionsBuilder::default();
        let events = [
            (ev(1, Drift, "prod", 2, json!({"tag": "prod"})), false),
            (ev(2, Record, "prod", 3, json!({})), true),
            (
                ev(
                    3,
                    Rollback,
                    "staging",
                    1,
                    json!({"from": "prod", "emergency": true}),
                ),
                false,
            ),
            (ev(4, Rejection, "prod", 4, json!({"reason": "CVE"})), false),
            (ev(5, Promotion, "prod", 5, json!({"approvals": []})), false),
            (
                ev(6, Rollback, "staging", 1, json!({"from": "prod"})),
                false,
            ),
        ];
        for (e, unapproved) in &events {
            b.event(e, true, *unapproved);
        }
        let x = b.finish(&[], &[]);
        let kinds: Vec<_> = x.iter().map(|x| (x.kind, x.open, x.closed_by)).collect();
        assert_eq!(
            kinds,
            [
                (ExceptionKind::Drift, false, Some(2)),
                (ExceptionKind::UnapprovedRecord, false, Some(5)),
                // Closed only by a move that counted approvals.
                (ExceptionKind::EmergencyRollback, true, None),
                (ExceptionKind::Rejection, true, None),
            ]
        );
        assert_eq!(x[0].what, "tag prod moved outside Tollgate");
        assert_eq!(x[3].what, "rejected by alice for prod and later: CVE");
    }

    #[test]
    fn a_rollback_without_the_flag_is_no_emergency_and_an_unrejection_closes() {
        use EventKind::*;
        let mut b = ExceptionsBuilder::default();
        b.event(
            &ev(1, Rollback, "prod", 1, json!({"from": "prod"})),
            true,
            false,
        );
        b.event(
            &ev(2, Rejection, "prod", 4, json!({"reason": "x"})),
            true,
            false,
        );
        b.event(&ev(3, Unrejection, "prod", 4, json!({})), true, false);
        let x = b.finish(&[], &[]);
        assert_eq!(x.len(), 1);
        assert_eq!(
            (x[0].kind, x[0].open, x[0].closed_by),
            (ExceptionKind::Rejection, false, Some(3))
        );
    }

    #[test]
    fn a_conflict_takes_its_first_event_s_time_and_is_closed_by_a_later_move_there() {
        use crate::domain::conflicts::{ConflictEvent, ConflictKind};
        use EventKind::*;
        let mut b = ExceptionsBuilder::default();
        b.event(&ev(1, Unplaced, "prod", 1, json!({})), true, false);
        b.event(
            &ev(2, Promotion, "prod", 2, json!({"approvals": []})),
            true,
            false,
        );
        b.event(
            &ev(3, Promotion, "prod", 3, json!({"approvals": []})),
            true,
            false,
        );
        let conflict = Conflict {
            kind: ConflictKind::Fork,
            app: "api".into(),
            env: "prod".into(),
            events: [1, 2]
                .map(|seq| ConflictEvent {
                    seq,
                    kind: Promotion,
                    actor: Some("bob".into()),
                    imported: true,
                })
                .to_vec(),
            description: "two promotions from one digest".into(),
        };
        let x = b.finish(&[conflict], &[]);
        assert_eq!(x.len(), 1);
        assert_eq!(x[0].at, Some(events_at(1)));
        assert_eq!((x[0].open, x[0].closed_by), (false, Some(3)));
        assert_eq!(x[0].what, "fork: two promotions from one digest");
    }

    fn events_at(seq: i64) -> DateTime<Utc> {
        ev(seq, EventKind::Record, "", 0, json!({})).at
    }
}
