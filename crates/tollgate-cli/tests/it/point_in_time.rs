//! Point in time (`status --at T`, `timeline --app A --at T`, the overview as of a moment)
//! against a real registry: promotions, a record, a rollback and a tag moved outside Tollgate
//! at known times of the test clock, then what ran at moments between them, with the digests
//! checked against what `skopeo inspect` saw at each step; and the real CLI's `--at`.

use chrono::{DateTime, Duration, Utc};
use tollgate::api;
use tollgate::domain::{parse_at, StatusRow, Via};

use tollgate_testsupport::signed::{at, t0, SignedWorkspace};
use tollgate_testsupport::skopeo::{skopeo_digest, skopeo_retag};

/// `minutes` after [`t0`].
fn m(minutes: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(minutes)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The digests `skopeo inspect` saw after each step.
struct Seen {
    /// dev at hour 0 (image A) and after the record at hour 4 (image B).
    dev_a: String,
    dev_b: String,
    /// staging after the promotion of A (hour 2), of B (hour 5), the rollback to A (hour 6) and
    /// the move outside Tollgate to B (hour 8).
    staging_promoted_a: String,
    staging_promoted_b: String,
    staging_rolled_back: String,
    staging_moved: String,
}

/// dev, staging, and production (another repository) with a policy. The history, in hours
/// after t0: 0 sync (dev: A, the rest missing); 2 promote A into staging; 4 dev's tag moved to
/// B and CI records it; 5 promote B into staging; 6 roll staging back to A; 7 CI pushes A to
/// production and records it (no approvals: unapproved); 8 staging's tag moved to B outside
/// Tollgate, sync (drift).
fn history() -> (SignedWorkspace, Seen) {
    let f = SignedWorkspace::builder(
        "point-in-time",
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging" }"#,
            r#"{ name = "production", tag = "production", repository = "local/prod/api", policy = { approvals = 1, roles = ["qa"] } }"#,
        ],
    )
    .image("dev", "pit-a")
    .image("old", "pit-b")
    .approver("quinn", &["qa"])
    .build();
    let (a, b) = (f.digests[0].clone(), f.digests[1].clone());
    assert_ne!(a, b);
    let seen = |tag: &str| skopeo_digest(&f.reg, &format!("payments/api:{tag}"));

    f.sync(&at(0));
    let dev_a = seen("dev");
    f.promote(&at(2), "staging", &a, "release-bot").unwrap();
    let staging_promoted_a = seen("staging");
    skopeo_retag(&f.reg, "payments/api:old", "payments/api:dev");
    f.record(&at(4), "dev", &b);
    let dev_b = seen("dev");
    f.promote(&at(5), "staging", &b, "release-bot").unwrap();
    let staging_promoted_b = seen("staging");
    f.rollback(&at(6), "staging", &a, "release-bot").unwrap();
    let staging_rolled_back = seen("staging");
    // CI pushes A to production (from staging, which runs A again) and records it.
    skopeo_retag(&f.reg, "payments/api:staging", "prod/api:production");
    assert_eq!(skopeo_digest(&f.reg, "prod/api:production"), a);
    f.record(&at(7), "production", &a);
    skopeo_retag(&f.reg, "payments/api:dev", "payments/api:staging");
    let report = f.sync(&at(8));
    assert!(report.drifted().any(|t| t.env == "staging"), "{report:?}");
    let staging_moved = seen("staging");
    (
        f,
        Seen {
            dev_a,
            dev_b,
            staging_promoted_a,
            staging_promoted_b,
            staging_rolled_back,
            staging_moved,
        },
    )
}

fn row<'a>(rows: &'a [StatusRow], env: &str) -> &'a StatusRow {
    rows.iter().find(|r| r.env == env).unwrap()
}

fn digest(rows: &[StatusRow], env: &str) -> Option<String> {
    row(rows, env).digest.as_ref().map(|d| d.to_string())
}

#[test]
fn status_at_moments_between_events_says_what_ran_and_how() {
    let (f, seen) = history();
    let status = |minutes: i64| api::status_at(&f.ws, None, Some(m(minutes))).unwrap();
    assert_eq!(seen.dev_b, seen.staging_promoted_b);
    assert_eq!(seen.staging_rolled_back, seen.staging_promoted_a);

    // Hour 1: only the baseline of dev.
    let h1 = status(60);
    assert!(h1.iter().all(|r| r.at == Some(m(60)) && !r.before_history));
    assert_eq!(digest(&h1, "dev"), Some(seen.dev_a.clone()));
    assert_eq!(row(&h1, "dev").via, Some(Via::Observed));
    assert_eq!(row(&h1, "dev").since, Some(m(0)));
    assert_eq!(row(&h1, "dev").until, Some(m(240)), "the record at hour 4");
    assert_eq!(digest(&h1, "staging"), None);
    assert_eq!(digest(&h1, "production"), None);

    // Exactly at hour 2, the promotion counts (a stay covers its first moment).
    let h2 = status(120);
    assert_eq!(
        digest(&h2, "staging"),
        Some(seen.staging_promoted_a.clone())
    );
    let staging = row(&h2, "staging");
    assert_eq!(staging.via, Some(Via::Promotion));
    assert_eq!(staging.actor.as_deref(), Some("release-bot"));
    assert_eq!((staging.since, staging.until), (Some(m(120)), Some(m(300))));
    assert_eq!(digest(&status(119), "staging"), None);

    // 4:30: CI's record of B in dev.
    let h4 = status(270);
    assert_eq!(digest(&h4, "dev"), Some(seen.dev_b.clone()));
    assert_eq!(row(&h4, "dev").via, Some(Via::Record));
    assert_eq!(row(&h4, "dev").actor.as_deref(), Some("ci"));
    assert_eq!(row(&h4, "dev").until, None, "dev still runs B");
    assert_eq!(
        digest(&h4, "staging"),
        Some(seen.staging_promoted_a.clone())
    );

    // 5:30: B promoted into staging; 6:30: rolled back to A.
    let h5 = status(330);
    assert_eq!(
        digest(&h5, "staging"),
        Some(seen.staging_promoted_b.clone())
    );
    assert_eq!(row(&h5, "staging").via, Some(Via::Promotion));
    let h6 = status(390);
    assert_eq!(
        digest(&h6, "staging"),
        Some(seen.staging_rolled_back.clone())
    );
    assert_eq!(row(&h6, "staging").via, Some(Via::Rollback));
    assert_eq!(row(&h6, "staging").until, Some(m(480)), "until the drift");
    assert!(!row(&h6, "staging").drift);

    // 7:30: A recorded in production, which has a policy: unapproved.
    let h7 = status(450);
    assert_eq!(
        digest(&h7, "production"),
        Some(seen.staging_promoted_a.clone())
    );
    let production = row(&h7, "production");
    assert_eq!(production.via, Some(Via::Record));
    assert!(production.unapproved);
    assert_eq!(production.repository, "local/prod/api");

    // Hour 9: staging's tag was moved outside Tollgate: drift.
    let h9 = status(540);
    assert_eq!(digest(&h9, "staging"), Some(seen.staging_moved.clone()));
    assert_eq!(row(&h9, "staging").via, Some(Via::Drift));
    assert!(row(&h9, "staging").drift);

    // Now and the latest moment agree on every digest.
    let now: Vec<_> = api::status(&f.ws, None)
        .unwrap()
        .into_iter()
        .map(|r| (r.env, r.digest, r.via, r.drift))
        .collect();
    let latest: Vec<_> = status(600)
        .into_iter()
        .map(|r| (r.env, r.digest, r.via, r.drift))
        .collect();
    assert_eq!(now, latest);

    // The chain and the derived tables (with their start times) still verify.
    let v = f.tmp.run(&["verify"]);
    v.ok();
    assert!(v.stdout.contains("chain intact"), "{}", v.stdout);
}

#[test]
fn before_the_first_event_and_relative_moments() {
    let (f, seen) = history();
    let before = api::status_at(&f.ws, None, Some(m(-1))).unwrap();
    assert_eq!(before.len(), 3);
    assert!(before
        .iter()
        .all(|r| r.before_history && r.digest.is_none() && r.via.is_none()));

    // Relative to the context clock (hour 10): -150m is 7:30, -3h is hour 7 exactly (the
    // record in production), -1d is before the history.
    let now = at(10).clock.now();
    let rows = |t: &str| api::status_at(&f.ws, None, Some(parse_at(t, now).unwrap())).unwrap();
    let h7 = rows("-150m");
    assert_eq!(h7[0].at, Some(m(450)));
    assert_eq!(
        digest(&h7, "staging"),
        Some(seen.staging_rolled_back.clone())
    );
    assert_eq!(
        digest(&rows("-3h"), "production"),
        Some(seen.staging_promoted_a.clone())
    );
    assert!(rows("-1d").iter().all(|r| r.before_history));
    assert!(rows("-1w").iter().all(|r| r.before_history));
    assert_eq!(digest(&rows("-0m"), "staging"), Some(seen.staging_moved));
    let earlier = parse_at("-0m", now - Duration::hours(1)).unwrap();
    assert_eq!(earlier, m(540));
    assert!(
        parse_at("2026-11-02T19:00:01Z", now).is_err(),
        "after hour 10"
    );
}

#[test]
fn timeline_at_gives_each_environment_its_segment() {
    let (f, seen) = history();
    let segments = api::timeline_at(&f.ws, "api", None, m(390)).unwrap();
    let got: Vec<_> = segments
        .iter()
        .map(|s| {
            (
                s.segment.env.as_str(),
                s.segment.digest.to_string(),
                s.segment.via,
                s.segment.until,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("dev", seen.dev_b.clone(), Via::Record, None),
            (
                "staging",
                seen.staging_rolled_back.clone(),
                Via::Rollback,
                Some(m(480))
            ),
        ],
        "production ran nothing yet"
    );
    assert!(segments.iter().all(|s| s.at == m(390)));
    // The same segment as the full timeline has over that moment.
    let full = api::timeline(&f.ws, "api", Some("staging")).unwrap();
    let covering = full
        .iter()
        .find(|s| s.from <= m(390) && s.until.is_none_or(|u| m(390) < u))
        .unwrap();
    assert_eq!(&segments[1].segment, covering);

    let one = api::timeline_at(&f.ws, "api", Some("staging"), m(540)).unwrap();
    assert_eq!(one.len(), 1);
    assert!(one[0].drift);
    assert_eq!(one[0].segment.digest.to_string(), seen.staging_moved);
    assert!(api::timeline_at(&f.ws, "api", None, m(-60))
        .unwrap()
        .is_empty());
    let e = api::timeline_at(&f.ws, "api", Some("qa"), m(60)).unwrap_err();
    assert_eq!(e.code, tollgate::Code::BadInput, "{}", e.message);
}

#[test]
fn overview_as_of_a_moment_has_the_grid_then_and_no_candidates() {
    let (f, seen) = history();
    let then = api::overview_at(&f.ws, &at(10), Some(m(150))).unwrap();
    assert_eq!(then.at, Some(m(150)));
    assert!(then.cells.iter().all(|c| c.candidate.is_none()));
    let staging = then
        .cells
        .iter()
        .find(|c| c.status.env == "staging")
        .unwrap();
    assert_eq!(
        staging.status.digest.as_ref().map(|d| d.to_string()),
        Some(seen.staging_promoted_a)
    );
    let now = api::overview_at(&f.ws, &at(10), None).unwrap();
    assert_eq!(now.at, None);
    assert_eq!(
        now.last_sync, then.last_sync,
        "the last sync is the real one"
    );
}

#[test]
fn the_cli_takes_at_as_rfc3339_or_relative_and_refuses_anything_else() {
    let (f, seen) = history();
    let ws = &f.tmp;

    // RFC 3339, with an offset: 12:00 UTC, hour 3.
    let st = ws.run(&["status", "--at", "2026-11-02T13:00:00+01:00", "--json"]);
    st.ok();
    let rows = st.json();
    let staging = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["env"] == "staging")
        .unwrap();
    assert_eq!(staging["digest"], seen.staging_promoted_a.as_str());
    assert_eq!(staging["via"], "promotion");
    assert_eq!(staging["actor"], "release-bot");
    assert_eq!(staging["before_history"], false);
    let at = staging["at"].as_str().unwrap();
    assert_eq!(
        DateTime::parse_from_rfc3339(at).unwrap(),
        m(180),
        "the moment, in UTC: {at}"
    );
    for field in ["app", "env", "repository", "tag", "since", "drift", "until"] {
        assert!(staging.get(field).is_some(), "{field} in {staging}");
    }
    let human = ws.run(&["status", "--at", &rfc3339(m(240)), "--wide"]);
    human.ok();
    assert!(human.stdout.starts_with("as of "), "{}", human.stdout);
    assert!(
        human.stdout.contains(&seen.staging_promoted_a),
        "{}",
        human.stdout
    );

    // timeline --at.
    let tl = ws.run(&[
        "timeline",
        "--app",
        "api",
        "--at",
        &rfc3339(m(390)),
        "--json",
    ]);
    tl.ok();
    let segs = tl.json();
    let segs = segs.as_array().unwrap();
    assert_eq!(segs.len(), 2, "{segs:?}");
    assert_eq!(segs[1]["env"], "staging");
    assert_eq!(segs[1]["digest"], seen.staging_rolled_back.as_str());
    assert_eq!(segs[1]["via"], "rollback");
    assert!(segs[1]["at"].is_string() && segs[1]["from"].is_string());
    let human = ws.run(&["timeline", "--app", "api", "--at", &rfc3339(m(390))]);
    human.ok();
    assert!(
        human
            .stdout
            .contains("nothing had run in production yet at that time"),
        "{}",
        human.stdout
    );

    // Relative forms, from the real clock (the test history is weeks before it): a minute ago
    // is what runs now; a thousand days ago is before the history.
    let recent = ws.run(&["status", "--at", "-1m", "--json"]);
    recent.ok();
    let now = ws.run(&["status", "--json"]);
    now.ok();
    let digests = |v: serde_json::Value| -> Vec<serde_json::Value> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["digest"].clone())
            .collect()
    };
    assert_eq!(digests(recent.json()), digests(now.json()));
    let long_ago = ws.run(&["status", "--at", "-1000d"]);
    long_ago.ok();
    let lines: Vec<&str> = long_ago.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("nothing had happened yet at ")
            && lines[0].ends_with("it is before the first event in the history"),
        "{}",
        lines[0]
    );
    let long_ago = ws.run(&["status", "--at", "-1000d", "--json"]);
    long_ago.ok();
    assert!(long_ago
        .json()
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["before_history"] == true && r["digest"].is_null()));

    // Anything else: one line naming both forms; the future: one line.
    for bad in ["yesterday", "3h", "-3x", "2026-11-02 13:00"] {
        ws.run(&["status", "--at", bad])
            .fails_with(2, &["is not a point in time", "RFC 3339", "-3h"]);
        ws.run(&["timeline", "--app", "api", "--at", bad])
            .fails_with(2, &["is not a point in time"]);
    }
    ws.run(&["status", "--at", "2999-01-01T00:00:00Z"])
        .fails_with(2, &["is in the future"]);
}
