//! The `incidents` rule and the incident-free soak: while an incident is open on a digest in an
//! environment, promoting that digest out of it is refused, naming the incident; `min_soak`
//! counts only incident-free time, from the later of the stay's start and the close of the
//! last incident on that digest in that environment during the stay (append times).
//!
//! An incident is an `incident` event (a signed open); an `incident_close` event closes the one
//! open whose signed message's sha256 it names, when that open is about the same app,
//! environment and digest and is still open. A close that names an open this history does not
//! hold, or one about another app, environment or digest, or one closed already, closes
//! nothing; a copy of an earlier statement's signed message (a replay) counts for nothing. Only
//! statements whose signature verified take part ([`Incident::verified`]). Pure: the use case
//! reads and verifies them.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::{Rule, RuleResult};
use crate::domain::{Digest, EventKind};
use crate::hint::Hint;

/// One incident open or close, as the history holds it and the views show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Incident {
    /// Its event's `seq`.
    #[ts(type = "number")]
    pub seq: i64,
    /// `incident` (an open) or `incident_close`.
    pub kind: EventKind,
    pub app: String,
    pub env: String,
    #[ts(type = "string")]
    pub digest: Digest,
    /// The team's incident id (`INC-42`).
    pub id: String,
    /// An open's summary, or a close's resolution.
    pub text: String,
    /// The identity that signed it.
    pub by: String,
    /// When the history appended it (what the soak counts from).
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    /// When it was signed (its message's `at`; the append time when unreadable).
    #[ts(type = "string")]
    pub signed_at: DateTime<Utc>,
    /// The sha256 of its signed message: its name.
    pub sha256: String,
    /// A close: the sha256 of the open message it names.
    pub closes: Option<String>,
    /// `SHA256:…` of the key that signed, as recorded.
    pub fingerprint: String,
    /// Its signature verifies against the keys tollgate.toml lists for `by`, and its signed
    /// message says what the event says. Only verified ones count.
    pub verified: bool,
    /// Why it counts for nothing (unverified, a replay, or a close that closes nothing).
    pub problem: Option<String>,
    /// An open that no close has closed: it is open now. Always `false` for a close.
    pub open: bool,
    /// An open: the `seq` of the close that closed it. A close: the `seq` of the open it
    /// closed (`null`: it closed nothing).
    #[ts(type = "number | null")]
    pub paired: Option<i64>,
}

/// Mark which incidents are open: every verified open is open, then each verified close (in
/// `seq` order) closes the still-open incident whose message it names, of the same app,
/// environment and digest. Replays (the same signed message as an earlier event) count for
/// nothing and say so in their `problem`.
pub fn settle(list: &mut [Incident]) {
    list.sort_by_key(|i| i.seq);
    let mut first: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for i in list.iter_mut() {
        i.open = false;
        i.paired = None;
        if !i.sha256.is_empty() {
            if let Some(&seq) = first.get(&i.sha256) {
                i.verified = false;
                i.problem = Some(format!(
                    "it is the same signed message as event {seq}: a replayed {} counts for nothing",
                    i.kind.as_str()
                ));
                continue;
            }
            first.insert(i.sha256.clone(), i.seq);
        }
        i.open = i.verified && i.kind == EventKind::Incident;
    }
    // A close names its open's exact message, so it was signed after it, whatever order the
    // history appended them in (a teammate's close may be imported before its open).
    for i in 0..list.len() {
        if !(list[i].verified && list[i].kind == EventKind::IncidentClose) {
            continue;
        }
        let target = (0..list.len()).find(|&j| {
            let (o, c) = (&list[j], &list[i]);
            o.kind == EventKind::Incident
                && o.open
                && Some(&o.sha256) == c.closes.as_ref()
                && o.app == c.app
                && o.env == c.env
                && o.digest == c.digest
        });
        match target {
            Some(j) => {
                list[j].open = false;
                list[j].paired = Some(list[i].seq);
                list[i].paired = Some(list[j].seq);
            }
            None => {
                list[i].problem = Some(format!(
                    "it closes nothing: no open incident {} of {} {} {} has the signed message it names (not in this history, about another digest or environment, or closed already)",
                    list[i].id,
                    list[i].app,
                    list[i].env,
                    list[i].digest.short()
                ));
            }
        }
    }
}

/// The incidents open now on `digest` in `env`, oldest first.
pub fn open_on<'a>(list: &'a [Incident], env: &str, digest: &Digest) -> Vec<&'a Incident> {
    list.iter()
        .filter(|i| i.open && i.kind == EventKind::Incident && i.env == env && &i.digest == digest)
        .collect()
}

/// The close that restarts the soak of a stay of `digest` in `env` that began (in append
/// time) at `entered`: the last close appended since then of an incident on that digest there.
pub fn soak_reset<'a>(
    list: &'a [Incident],
    env: &str,
    digest: &Digest,
    entered: DateTime<Utc>,
) -> Option<&'a Incident> {
    list.iter()
        .filter(|c| {
            c.kind == EventKind::IncidentClose
                && c.paired.is_some()
                && c.env == env
                && &c.digest == digest
                && c.at >= entered
        })
        .max_by_key(|c| (c.at, c.seq))
}

/// How long a finished stay of `digest` in `env`, from `since` to `left` (append times), ran
/// without incidents, as `min_soak` counts it: from the later of `since` and the close of the
/// last incident closed during the stay, to `left` or, when an incident opened since then was
/// still open as the stay ended, to when the first such one was opened.
pub fn incident_free(
    list: &[Incident],
    env: &str,
    digest: &Digest,
    since: DateTime<Utc>,
    left: DateTime<Utc>,
) -> chrono::Duration {
    let here = |i: &&Incident| i.env == env && &i.digest == digest && i.verified;
    let start = list
        .iter()
        .filter(here)
        .filter(|c| c.kind == EventKind::IncidentClose && c.paired.is_some())
        .filter(|c| c.at >= since && c.at < left)
        .map(|c| c.at)
        .max()
        .map_or(since, |closed| closed.max(since));
    let closed_at = |open: &Incident| {
        open.paired
            .and_then(|seq| list.iter().find(|c| c.seq == seq))
            .map(|c| c.at)
    };
    let end = list
        .iter()
        .filter(here)
        .filter(|o| o.kind == EventKind::Incident && o.at >= start && o.at < left)
        .filter(|o| closed_at(o).is_none_or(|c| c >= left))
        .map(|o| o.at)
        .min()
        .unwrap_or(left);
    (end - start).max(chrono::Duration::zero())
}

/// The blocking `incidents` rule for promoting `digest` out of `from`: failed while incidents
/// are open there (naming each, newest last); passed, saying which incident was closed last,
/// when all are closed; `None` when the digest never had one there (the rule is shown only
/// then).
pub fn rule(list: &[Incident], app: &str, from: &str, digest: &Digest) -> Option<RuleResult> {
    let open = open_on(list, from, digest);
    if !open.is_empty() {
        let named: Vec<String> = open
            .iter()
            .map(|i| {
                format!(
                    "{} is open on {} in {from} since {} (opened by {}: {})",
                    i.id,
                    digest.short(),
                    secs(i.at),
                    i.by,
                    i.text
                )
            })
            .collect();
        let ids: Vec<&str> = open.iter().map(|i| i.id.as_str()).collect();
        return Some(RuleResult {
            rule: Rule::Incidents,
            passed: false,
            reason: format!(
                "{}; close {} once it is resolved",
                named.join("; "),
                if ids.len() == 1 { "it" } else { "each" },
            ),
            blocking: true,
            fix: Some(Hint::CloseIncident {
                app: app.to_string(),
                id: ids[0].to_string(),
            }),
        });
    }
    let last = list
        .iter()
        .filter(|c| {
            c.kind == EventKind::IncidentClose
                && c.paired.is_some()
                && c.env == from
                && &c.digest == digest
        })
        .max_by_key(|c| (c.at, c.seq))?;
    Some(RuleResult {
        rule: Rule::Incidents,
        passed: true,
        reason: format!(
            "no incident open on {} in {from}; the last, {}, was closed at {} by {}: {}",
            digest.short(),
            last.id,
            secs(last.at),
            last.by,
            last.text
        ),
        blocking: true,
        fix: None,
    })
}

/// What the `min_soak` rule adds when `reset` restarted the soak.
pub fn soak_note(reset: &Incident) -> String {
    format!(
        "counted from the close of incident {} at {} (by {}), which reset the soak",
        reset.id,
        secs(reset.at),
        reset.by
    )
}

fn secs(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        "2026-11-25T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + chrono::Duration::hours(h)
    }

    fn open(seq: i64, env: &str, digest: &Digest, sha: &str) -> Incident {
        Incident {
            seq,
            kind: EventKind::Incident,
            app: "api".into(),
            env: env.into(),
            digest: digest.clone(),
            id: format!("INC-{seq}"),
            text: "5xx spike".into(),
            by: "oncall-bot".into(),
            at: t(seq),
            signed_at: t(seq),
            sha256: sha.into(),
            closes: None,
            fingerprint: String::new(),
            verified: true,
            problem: None,
            open: false,
            paired: None,
        }
    }

    fn close(seq: i64, env: &str, digest: &Digest, sha: &str, closes: &str) -> Incident {
        Incident {
            kind: EventKind::IncidentClose,
            closes: Some(closes.into()),
            text: "fixed".into(),
            ..open(seq, env, digest, sha)
        }
    }

    #[test]
    fn a_close_closes_only_the_open_it_names_of_the_same_digest_and_environment() {
        let (a, b) = (Digest::of(b"a"), Digest::of(b"b"));
        let mut list = vec![
            open(1, "staging", &a, "o1"),
            open(2, "staging", &b, "o2"),
            // Names o2 but says it is about a: closes nothing.
            close(3, "staging", &a, "c3", "o2"),
            // Names an open this history does not hold.
            close(4, "staging", &a, "c4", "zz"),
        ];
        settle(&mut list);
        assert!(list[0].open && list[1].open);
        assert!(list[2].problem.as_ref().unwrap().contains("closes nothing"));
        assert_eq!(list[3].paired, None);
        let r = rule(&list, "api", "staging", &a).unwrap();
        assert!(!r.passed && r.blocking);
        assert!(r.reason.starts_with("INC-1 is open on"), "{}", r.reason);
        assert!(r.reason.contains("close it once it is resolved"));
        crate::policy::evaluate::tests::assert_app_facing(&r.reason);
        assert_eq!(
            r.fix,
            Some(Hint::CloseIncident {
                app: "api".into(),
                id: "INC-1".into()
            })
        );

        list.push(close(5, "staging", &a, "c5", "o1"));
        // A replay of that close, later: it counts for nothing.
        list.push(close(6, "staging", &a, "c5", "o1"));
        settle(&mut list);
        assert!(!list[0].open && list[0].paired == Some(5));
        assert!(list[5].problem.as_ref().unwrap().contains("replayed"));
        let r = rule(&list, "api", "staging", &a).unwrap();
        assert!(r.passed, "{}", r.reason);
        assert!(
            r.reason.contains("the last, INC-5, was closed at"),
            "{}",
            r.reason
        );
        assert_eq!(soak_reset(&list, "staging", &a, t(2)).unwrap().seq, 5);
        assert!(
            soak_reset(&list, "staging", &a, t(6)).is_none(),
            "before the stay"
        );
        assert!(rule(&list, "api", "production", &a).is_none());
        assert!(!rule(&list, "api", "staging", &b).unwrap().passed);
    }

    #[test]
    fn a_finished_stay_counts_only_its_incident_free_time() {
        let a = Digest::of(b"a");
        // A stay from t(0) to t(10): no incidents, all of it.
        let mut list: Vec<Incident> = Vec::new();
        assert_eq!(
            incident_free(&list, "staging", &a, t(0), t(10)),
            t(10) - t(0)
        );
        // An incident opened at t(2), closed at t(4): from t(4).
        list.push(open(2, "staging", &a, "o2"));
        list.push(close(4, "staging", &a, "c4", "o2"));
        settle(&mut list);
        assert_eq!(
            incident_free(&list, "staging", &a, t(0), t(10)),
            t(10) - t(4)
        );
        // Another opened at t(7), still open when the stay ended: t(4) to t(7).
        list.push(open(7, "staging", &a, "o7"));
        settle(&mut list);
        assert_eq!(
            incident_free(&list, "staging", &a, t(0), t(10)),
            t(7) - t(4)
        );
        // Closed only after the stay ended: the same.
        list.push(close(12, "staging", &a, "c12", "o7"));
        settle(&mut list);
        assert_eq!(
            incident_free(&list, "staging", &a, t(0), t(10)),
            t(7) - t(4)
        );
        // Another environment's or digest's incidents count for nothing here.
        assert_eq!(
            incident_free(&list, "production", &a, t(0), t(10)),
            t(10) - t(0)
        );
        let b = Digest::of(b"b");
        assert_eq!(
            incident_free(&list, "staging", &b, t(0), t(10)),
            t(10) - t(0)
        );
    }

    #[test]
    fn a_close_appended_before_its_open_still_closes_it() {
        let a = Digest::of(b"a");
        let mut list = vec![
            close(1, "staging", &a, "c1", "o2"),
            open(2, "staging", &a, "o2"),
        ];
        settle(&mut list);
        assert!(!list[1].open && list[1].paired == Some(1));
        assert!(rule(&list, "api", "staging", &a).unwrap().passed);
    }

    #[test]
    fn an_unverified_open_blocks_nothing() {
        let a = Digest::of(b"a");
        let mut o = open(1, "staging", &a, "o1");
        o.verified = false;
        let mut list = vec![o];
        settle(&mut list);
        assert!(rule(&list, "api", "staging", &a).is_none());
    }
}
