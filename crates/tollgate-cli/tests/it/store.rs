//! The history store against real SQLite files, tampered with by the real `sqlite3` CLI.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use tempfile::TempDir;
use tollgate::domain::timeline::derive_timeline;
use tollgate::domain::{Digest, EventKind, ImageInfo, NewEvent, Via};
use tollgate::store::{chain, migrations, BrokenLink, ChainReport, EventFilter, Store};
use tollgate::Code;

use tollgate_testsupport::workspace::{sqlite3, sqlite3_fails};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap()
}

fn minutes(n: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(n)
}

fn digest(n: u32) -> Digest {
    Digest::of(format!("image {n}").as_bytes())
}

fn ev(
    at: i64,
    kind: EventKind,
    app: &str,
    env: &str,
    d: Option<u32>,
    actor: Option<&str>,
) -> NewEvent {
    NewEvent {
        at: minutes(at),
        kind,
        app: app.into(),
        env: env.into(),
        digest: d.map(digest),
        actor: actor.map(Into::into),
        data: json!({"tag": env, "repository": format!("local/payments/{app}")}),
    }
}

fn obs(at: i64, env: &str, d: Option<u32>) -> NewEvent {
    ev(at, EventKind::Observation, "api", env, d, None)
}

/// An event of `kind` of `api/production` with digest `d`.
fn prod(at: i64, kind: EventKind, d: u32, actor: Option<&str>) -> NewEvent {
    ev(at, kind, "api", "production", Some(d), actor)
}

/// An approval whose data and actor need every kind of escaping (quotes, newlines, tabs,
/// non-ASCII, nested arrays and objects, null), at minute 1.
fn awkward_approval() -> NewEvent {
    NewEvent {
        data: json!({"note": "déployé \"vite\"\nligne 2\ttab", "z": [1, {"b": true, "a": null}], "n": -42}),
        ..prod(1, EventKind::Approval, 3, Some("Ålice <a@example.com>"))
    }
}

fn temp_db() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tollgate.db");
    (dir, path)
}

/// A store in a fresh file.
fn temp_store() -> (TempDir, PathBuf, Store) {
    let (dir, path) = temp_db();
    let store = Store::open(&path).unwrap();
    (dir, path, store)
}

/// `verify_chain` on a fresh connection to the file.
fn verify(path: &Path) -> ChainReport {
    Store::open(path).unwrap().verify_chain().unwrap()
}

/// The first broken link `verify_chain` finds in the file; panics when the chain holds.
fn broken(path: &Path) -> BrokenLink {
    verify(path).broken.expect("the chain is reported broken")
}

/// Assert the link is broken at `seq` and its reason starts with `prefix`.
fn assert_broken_at(broken: &BrokenLink, seq: i64, prefix: &str) {
    assert_eq!(broken.seq, seq, "{}", broken.reason);
    assert!(broken.reason.starts_with(prefix), "{}", broken.reason);
}

/// Assert the reason contains every one of `words`.
fn assert_reason_has(broken: &BrokenLink, words: &[&str]) {
    for w in words {
        assert!(broken.reason.contains(w), "'{w}' not in: {}", broken.reason);
    }
}

/// Five events of `api/staging` (seq 1..=5), the store closed afterwards.
fn five_events(path: &Path) -> Vec<tollgate::domain::Event> {
    let mut store = Store::open(path).unwrap();
    let stored = store
        .append(vec![
            obs(0, "staging", Some(1)),
            ev(10, EventKind::Record, "api", "staging", Some(2), Some("ci")),
            obs(20, "staging", Some(2)),
            prod(30, EventKind::Approval, 2, Some("alice@example.com")),
            prod(40, EventKind::Promotion, 2, Some("alice@example.com")),
        ])
        .unwrap();
    assert!(store.verify_chain().unwrap().broken.is_none());
    stored
}

/// [`five_events`] in a fresh file, then `sql` run on it by the real `sqlite3`.
fn five_events_then(sql: &str) -> (TempDir, PathBuf) {
    let (dir, path) = temp_db();
    five_events(&path);
    sqlite3(&path, sql);
    (dir, path)
}

/// The columns of an event that its hash covers, but for `seq` (and the links themselves).
const CONTENT_COLUMNS: [&str; 7] = ["at", "kind", "app", "env", "digest", "actor", "data"];

/// SQL that drops the update trigger and swaps `cols` between events `a` and `b`.
fn swap_sql(a: i64, b: i64, cols: &[&str]) -> String {
    let set = |from: &str| {
        cols.iter()
            .map(|c| format!("{c} = (SELECT {c} FROM {from})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "DROP TRIGGER events_no_update;
         CREATE TEMP TABLE saved AS SELECT * FROM events WHERE seq = {a};
         UPDATE events SET {} WHERE seq = {a};
         UPDATE events SET {} WHERE seq = {b};",
        set(&format!("events WHERE seq = {b}")),
        set("saved")
    )
}

/// `sh -c SCRIPT` (or `bash`) with `var` set to `value`; the first word it prints (the hash of
/// `sha256sum`).
fn shell_hash(shell: &str, script: &str, var: &str, value: impl AsRef<OsStr>) -> String {
    let out = Command::new(shell)
        .arg("-c")
        .arg(script)
        .env(var, value)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).unwrap();
    line.split_whitespace()
        .next()
        .expect("sha256sum printed a hash")
        .to_string()
}

#[test]
fn chain_appends_and_verifies() {
    let (_dir, path, mut store) = temp_store();
    let empty = store.verify_chain().unwrap();
    assert_eq!(
        (empty.events, empty.head.as_str(), &empty.broken),
        (0, chain::GENESIS, &None)
    );
    assert!(store.append(Vec::new()).unwrap().is_empty());

    let first = store
        .append(vec![obs(0, "dev", Some(1)), obs(1, "staging", None)])
        .unwrap();
    let second = store
        .append(vec![ev(
            2,
            EventKind::Record,
            "api",
            "dev",
            Some(2),
            Some("ci"),
        )])
        .unwrap();
    drop(store);
    // A new connection continues the same chain.
    let mut store = Store::open(&path).unwrap();
    let third = store.append(vec![obs(3, "dev", Some(2))]).unwrap();

    let all: Vec<_> = first.into_iter().chain(second).chain(third).collect();
    assert_eq!(
        all.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(all[0].prev_hash, chain::GENESIS);
    for pair in all.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    for e in &all {
        assert_eq!(
            chain::recompute(e),
            e.hash,
            "the stored hash is the documented formula"
        );
        assert_eq!(e.hash.len(), 64);
        assert!(e
            .hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }
    // What was returned is what is stored.
    assert_eq!(store.events(&EventFilter::default()).unwrap(), all);

    let report = store.verify_chain().unwrap();
    assert_eq!(report.events, 4);
    assert_eq!(report.head, all[3].hash);
    assert_eq!(report.broken, None);
    assert_eq!(
        sqlite3(&path, "SELECT at FROM events WHERE seq = 1"),
        "2026-11-25T08:00:00.000Z"
    );
}

#[test]
fn times_are_stored_in_utc_with_milliseconds() {
    let (_dir, path, mut store) = temp_store();
    let at = DateTime::parse_from_rfc3339("2026-11-25T09:30:00.123456789+01:00")
        .unwrap()
        .with_timezone(&Utc);
    let stored = store
        .append(vec![NewEvent {
            at,
            ..obs(0, "dev", Some(1))
        }])
        .unwrap();
    assert_eq!(
        sqlite3(&path, "SELECT at FROM events"),
        "2026-11-25T08:30:00.123Z"
    );
    assert_eq!(
        stored[0].at,
        Utc.with_ymd_and_hms(2026, 11, 25, 8, 30, 0).unwrap() + Duration::milliseconds(123)
    );
    assert_eq!(store.events(&EventFilter::default()).unwrap(), stored);
}

#[test]
fn event_data_must_be_an_object() {
    let (_dir, _path, mut store) = temp_store();
    let err = store
        .append(vec![
            obs(0, "dev", Some(1)),
            NewEvent {
                data: json!([1]),
                ..obs(1, "dev", Some(1))
            },
        ])
        .unwrap_err();
    assert_eq!(err.code, Code::BadInput);
    assert!(
        store.events(&EventFilter::default()).unwrap().is_empty(),
        "the batch is all or nothing"
    );
    let stored = store
        .append(vec![NewEvent {
            data: serde_json::Value::Null,
            ..obs(0, "dev", Some(1))
        }])
        .unwrap();
    assert_eq!(stored[0].data, json!({}));
}

/// The shell recipe of `chain::event_hash`'s documentation, run for real.
#[test]
fn hash_recipe_with_sqlite3_and_sha256sum() {
    let (_dir, path, mut store) = temp_store();
    let stored = store
        .append(vec![
            obs(0, "dev", None),
            awkward_approval(),
            obs(2, "dev", Some(1)),
        ])
        .unwrap();
    drop(store);
    for e in &stored {
        // Formula 2: the sha256 of the (canonical) data column, then the prefixed header.
        let script = format!(
            r#"d=$(sqlite3 "$DB" "SELECT data FROM events WHERE seq = {seq}" | head -c -1 | sha256sum | cut -d' ' -f1)
sqlite3 "$DB" "SELECT prev_hash || char(10) || 'tollgate.event.v2' || char(10) || json_object('actor',actor,'app',app,'at',at,'data_sha256','$d','digest',digest,'env',env,'kind',kind,'seq',seq) FROM events WHERE seq = {seq}" | head -c -1 | sha256sum"#,
            seq = e.seq
        );
        assert_eq!(
            shell_hash("sh", &script, "DB", &path),
            e.hash,
            "seq {}",
            e.seq
        );
    }
}

/// The `jq` recipe of `chain::event_hash`'s documentation, on events laid out as an export
/// writes them: every field of the event, with `at` as stored (`chain::format_at`).
#[test]
fn hash_recipe_with_jq_and_sha256sum() {
    let (_dir, _path, mut store) = temp_store();
    let stored = store
        .append(vec![obs(0, "dev", None), awkward_approval()])
        .unwrap();
    for e in &stored {
        let mut exported = serde_json::to_value(e).unwrap();
        exported["at"] = json!(chain::format_at(e.at));
        let script = r#"d=$(jq -jcS .data <<<"$E" | sha256sum | cut -d' ' -f1)
printf '%s\ntollgate.event.v2\n%s' "$(jq -r .prev_hash <<<"$E")" "$(jq -cS --arg d "$d" '{seq,at,kind,app,env,digest,actor,data_sha256:$d}' <<<"$E")" | sha256sum"#;
        assert_eq!(
            shell_hash("bash", script, "E", exported.to_string()),
            e.hash,
            "seq {}",
            e.seq
        );
    }
}

#[test]
fn triggers_refuse_update_and_delete() {
    let (_dir, path) = temp_db();
    five_events(&path);
    let err = sqlite3_fails(&path, "UPDATE events SET actor = 'mallory' WHERE seq = 2");
    assert!(err.contains("events are append-only"), "{err}");
    let err = sqlite3_fails(&path, "DELETE FROM events WHERE seq = 5");
    assert!(err.contains("events are append-only"), "{err}");
    assert_eq!(sqlite3(&path, "SELECT count(*) FROM events"), "5");
    assert!(verify(&path).broken.is_none());
}

#[test]
fn edited_row_is_named() {
    let (_dir, path) = five_events_then(&format!(
        "DROP TRIGGER events_no_update; UPDATE events SET digest = '{}' WHERE seq = 3",
        digest(9)
    ));
    let report = verify(&path);
    let broken = report.broken.expect("an edited row is detected");
    assert_broken_at(&broken, 3, "event 3 was edited");
    assert!(
        broken.reason.contains("events_no_update"),
        "the dropped trigger is reported too: {}",
        broken.reason
    );
    assert!(!broken.reason.contains('\n'));
    assert_eq!(report.events, 5);
}

#[test]
fn edited_row_with_a_value_of_another_type_is_named() {
    let (_dir, path) = five_events_then(
        "DROP TRIGGER events_no_update; UPDATE events SET app = X'ff00' WHERE seq = 4",
    );
    assert_broken_at(&broken(&path), 4, "event 4 was edited: its app is not text");
}

#[test]
fn edited_row_with_recomputed_hash_breaks_the_next_link() {
    let (_dir, path) = temp_db();
    let stored = five_events(&path);
    // A careful forger recomputes the edited row's own hash; the next row still points at the old one.
    let mut forged = stored[2].clone();
    forged.actor = Some("mallory".into());
    let forged_hash = chain::recompute(&forged);
    sqlite3(
        &path,
        &format!("DROP TRIGGER events_no_update; UPDATE events SET actor = 'mallory', hash = '{forged_hash}' WHERE seq = 3"),
    );
    let broken = broken(&path);
    assert_eq!(broken.seq, 4);
    assert_reason_has(&broken, &["does not follow event 3"]);
}

#[test]
fn deleted_row_is_named() {
    let (_dir, path) =
        five_events_then("DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = 2");
    assert_broken_at(&broken(&path), 2, "event 2 is missing");
}

#[test]
fn deleted_first_rows_are_named() {
    let (_dir, path) =
        five_events_then("DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq <= 2");
    assert_broken_at(&broken(&path), 1, "events 1 to 2 are missing");
}

#[test]
fn swapped_rows_are_named() {
    // Swap everything but seq between rows 2 and 4, hashes included: a reordering.
    let cols = [&CONTENT_COLUMNS[..], &["prev_hash", "hash"]].concat();
    let (_dir, path) = five_events_then(&swap_sql(2, 4, &cols));
    assert_eq!(
        sqlite3(
            &path,
            "SELECT kind FROM events WHERE seq IN (2, 4) ORDER BY seq"
        ),
        "approval\nrecord"
    );
    let broken = broken(&path);
    assert_eq!(broken.seq, 2);
    assert_reason_has(&broken, &["does not follow event 1"]);
}

#[test]
fn swapped_contents_keeping_hashes_are_named() {
    let (_dir, path) = five_events_then(&swap_sql(2, 3, &CONTENT_COLUMNS));
    assert_broken_at(&broken(&path), 2, "event 2 was edited");
}

#[test]
fn missing_triggers_are_reported_on_an_intact_chain() {
    let (_dir, path) = five_events_then("DROP TRIGGER events_no_delete");
    let broken_link = broken(&path);
    assert_eq!(broken_link.seq, 0);
    assert_reason_has(&broken_link, &["append-only triggers", "events_no_delete"]);
    assert!(
        !broken_link.reason.contains("events_no_update"),
        "{}",
        broken_link.reason
    );

    // A trigger of the right name that no longer refuses anything is no better than none.
    let (_dir2, path2) = five_events_then("DROP TRIGGER events_no_update; CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT 1; END;");
    assert_reason_has(&broken(&path2), &["events_no_update"]);
}

/// Run `sql` on the file; then `verify_chain` names event `seq` with every one of `words`, and
/// holds again after `rebuild_timeline`. The store, still open.
fn reported_then_rebuilt(path: &Path, sql: &str, seq: i64, words: &[&str]) -> Store {
    sqlite3(path, sql);
    let mut store = Store::open(path).unwrap();
    let broken = store.verify_chain().unwrap().broken.unwrap();
    assert_eq!(broken.seq, seq, "{}", broken.reason);
    assert_reason_has(&broken, words);
    store.rebuild_timeline().unwrap();
    assert_eq!(store.verify_chain().unwrap().broken, None);
    store
}

#[test]
fn altered_timeline_tables_are_reported_and_rebuilt() {
    let (_dir, path, mut store) = temp_store();
    store
        .append(vec![
            obs(0, "production", Some(1)),
            prod(1, EventKind::Drift, 2, None),
        ])
        .unwrap();
    assert!(store.head("api", "production").unwrap().drift);
    drop(store);
    // Hiding drift by editing the derived table is noticed: only the events are trusted.
    let store = reported_then_rebuilt(
        &path,
        "UPDATE heads SET drift = 0",
        2,
        &["derived timeline", "api/production"],
    );
    assert!(store.head("api", "production").unwrap().drift);
    drop(store);

    let mut store = reported_then_rebuilt(
        &path,
        "DELETE FROM segments WHERE seq = 2",
        2,
        &["a segment is missing"],
    );
    assert_eq!(store.timeline("api", None).unwrap().len(), 2);
    store.append(vec![obs(2, "staging", Some(5))]).unwrap();
    drop(store);

    reported_then_rebuilt(
        &path,
        "DELETE FROM heads WHERE env = 'staging'",
        3,
        &["the head of api/staging is missing"],
    );
}

#[test]
fn newer_schema_is_refused() {
    let (_dir, path) = temp_db();
    five_events(&path);
    sqlite3(&path, "PRAGMA user_version = 99");
    let err = Store::open(&path).unwrap_err();
    assert_eq!(err.code, Code::SchemaTooNew);
    assert_eq!(
        err.message,
        format!(
            "history database {} was written by a newer Tollgate (schema 99, this build knows {}): upgrade Tollgate",
            path.display(),
            migrations::SCHEMA_VERSION
        )
    );
    assert_eq!(
        sqlite3(&path, "PRAGMA user_version"),
        "99",
        "nothing was written"
    );
}

#[test]
fn not_a_database_is_a_one_line_error() {
    let (dir, _) = temp_db();
    let path = dir.path().join("notes.txt");
    std::fs::write(
        &path,
        "these are not the rows you are looking for\n".repeat(200),
    )
    .unwrap();
    let err = Store::open(&path).unwrap_err();
    assert_eq!(err.code, Code::Database);
    assert!(
        err.message.contains("is not a Tollgate history database"),
        "{}",
        err.message
    );
    assert!(err.message.contains("notes.txt"));
    assert!(!err.message.contains('\n'));
}

#[test]
fn migrations_are_idempotent_on_reopen() {
    let (_dir, path) = temp_db();
    let stored = five_events(&path);
    let schema = sqlite3(&path, "SELECT type, name FROM sqlite_master ORDER BY name");
    for _ in 0..3 {
        let store = Store::open(&path).unwrap();
        assert_eq!(store.events(&EventFilter::default()).unwrap(), stored);
    }
    assert_eq!(
        sqlite3(&path, "SELECT type, name FROM sqlite_master ORDER BY name"),
        schema
    );
    assert_eq!(
        sqlite3(&path, "PRAGMA user_version"),
        migrations::SCHEMA_VERSION.to_string()
    );
    for table in ["events", "segments", "heads", "image_info"] {
        assert!(
            schema.contains(&format!("table|{table}")),
            "{table} in {schema}"
        );
    }
}

#[test]
fn older_schema_is_upgraded_in_one_go() {
    let (_dir, path) = temp_db();
    let stored = five_events(&path);
    let timeline = Store::open(&path).unwrap().timeline("api", None).unwrap();
    // Make it a schema-1 database: every table but events goes (children before parents).
    let tables = sqlite3(
        &path,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'events' ORDER BY rowid DESC",
    );
    let drops: String = tables
        .lines()
        .map(|t| format!("DROP TABLE {t}; "))
        .collect();
    sqlite3(&path, &format!("{drops} PRAGMA user_version = 1"));
    let store = Store::open(&path).unwrap();
    assert_eq!(
        sqlite3(&path, "PRAGMA user_version"),
        migrations::SCHEMA_VERSION.to_string()
    );
    // The derived tables that migration 2 created were filled from the existing events.
    assert_eq!(store.timeline("api", None).unwrap(), timeline);
    assert_eq!(store.verify_chain().unwrap().broken, None);
    assert_eq!(store.events(&EventFilter::default()).unwrap(), stored);
}

#[test]
fn creates_the_folder_and_uses_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("tollgate").join("history.db");
    let mut store = Store::open(&path).unwrap();
    store.append(vec![obs(0, "dev", Some(1))]).unwrap();
    assert_eq!(sqlite3(&path, "PRAGMA journal_mode"), "wal");
    assert_eq!(store.path(), path);
}

#[test]
fn concurrent_writers_keep_one_chain() {
    let (_dir, path) = temp_db();
    Store::open(&path).unwrap();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&path).unwrap();
                for i in 0..25 {
                    store
                        .append(vec![
                            obs(i, &format!("env{w}"), Some(i as u32)),
                            obs(i, &format!("env{w}"), Some(i as u32)),
                        ])
                        .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let report = Store::open(&path).unwrap().verify_chain().unwrap();
    assert_eq!((report.events, report.broken), (200, None));
}

/// A realistic history of one app: baseline observations, CI records, repeated observations,
/// a tag moved behind Tollgate's back, a signed promotion, a rollback.
#[test]
fn timeline_of_a_realistic_history() {
    let (_dir, _path, mut store) = temp_store();
    use EventKind::*;
    store
        .append(vec![
            obs(0, "staging", Some(1)),    // 1 baseline staging
            obs(0, "production", Some(1)), // 2 baseline production
            ev(60, Record, "api", "staging", Some(2), Some("ci")), // 3
            obs(61, "staging", Some(2)),   // 4
            obs(62, "production", Some(1)), // 5
            ev(90, Observation, "web", "staging", Some(7), None), // 6 another app
            obs(120, "staging", Some(3)),  // 7 tag moved: an observation never starts a segment...
            ev(120, Drift, "api", "staging", Some(3), None), // 8 ...the drift event sync writes does
            prod(180, Approval, 2, Some("alice@example.com")), // 9
            prod(181, Promotion, 2, Some("bob@example.com")), // 10
            obs(200, "production", Some(2)),                 // 11
            prod(240, Rollback, 1, Some("bob@example.com")), // 12
            obs(241, "production", Some(1)),                 // 13
            ev(300, Record, "api", "staging", Some(3), Some("ci")), // 14 acknowledges the drift, same digest
            obs(301, "staging", None),                              // 15 the tag was deleted
        ])
        .unwrap();

    let staging = store.timeline("api", Some("staging")).unwrap();
    let summary = |segs: &[tollgate::domain::Segment]| {
        segs.iter()
            .map(|s| {
                (
                    s.seq,
                    s.env.clone(),
                    s.digest.clone(),
                    s.via,
                    s.actor.clone(),
                    s.from,
                    s.until,
                )
            })
            .collect::<Vec<_>>()
    };
    let st = |s: &str| s.to_string();
    assert_eq!(
        summary(&staging),
        vec![
            (
                1,
                st("staging"),
                digest(1),
                Via::Observed,
                None,
                minutes(0),
                Some(minutes(60))
            ),
            (
                3,
                st("staging"),
                digest(2),
                Via::Record,
                Some(st("ci")),
                minutes(60),
                Some(minutes(120))
            ),
            (
                8,
                st("staging"),
                digest(3),
                Via::Drift,
                None,
                minutes(120),
                None
            ),
        ]
    );
    let production = store.timeline("api", Some("production")).unwrap();
    assert_eq!(
        summary(&production),
        vec![
            (
                2,
                st("production"),
                digest(1),
                Via::Observed,
                None,
                minutes(0),
                Some(minutes(181))
            ),
            (
                10,
                st("production"),
                digest(2),
                Via::Promotion,
                Some(st("bob@example.com")),
                minutes(181),
                Some(minutes(240))
            ),
            (
                12,
                st("production"),
                digest(1),
                Via::Rollback,
                Some(st("bob@example.com")),
                minutes(240),
                None
            ),
        ]
    );
    // All environments: oldest first, each segment closed by the next one of its own environment.
    let all = store.timeline("api", None).unwrap();
    assert_eq!(
        all.iter().map(|s| s.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 8, 10, 12]
    );
    let web = store.timeline("web", None).unwrap();
    assert_eq!(
        summary(&web),
        vec![(
            6,
            st("staging"),
            digest(7),
            Via::Observed,
            None,
            minutes(90),
            None
        )]
    );
    assert!(store.timeline("nope", None).unwrap().is_empty());

    // The stored (incremental) timeline is the reference derivation over the events.
    let events = store.events(&EventFilter::default()).unwrap();
    let mut reference: Vec<_> = derive_timeline(&events)
        .into_iter()
        .filter(|s| s.app == "api")
        .collect();
    reference.sort_by_key(|s| s.seq);
    assert_eq!(all, reference);

    let head = store.head("api", "staging").unwrap();
    assert_eq!(head.segment.as_ref().map(|s| s.seq), Some(8));
    assert!(!head.drift, "acknowledged by the record at seq 14");
    let last = head.last_observation.unwrap();
    assert_eq!(
        (last.seq, last.digest),
        (15, None),
        "the newest observation, even without a digest"
    );
    let head = store.head("api", "production").unwrap();
    assert_eq!(head.segment.unwrap().via, Via::Rollback);
    assert_eq!(head.last_observation.unwrap().seq, 13);
    assert!(store.verify_chain().unwrap().broken.is_none());
}

/// Whether a record or promotion of digest `d` into `api/{env}` after event `after` explains it.
fn explained(store: &Store, env: &str, d: u32, after: i64) -> bool {
    store
        .explained_since("api", env, &digest(d), after)
        .unwrap()
}

#[test]
fn drift_is_flagged_until_a_later_record_acknowledges_it() {
    let (_dir, _path, mut store) = temp_store();
    let empty = store.head("api", "production").unwrap();
    assert_eq!(
        (empty.segment, empty.drift, empty.last_observation),
        (None, false, None)
    );
    assert_eq!(store.last_observation("api", "production").unwrap(), None);

    let stored = store.append(vec![obs(0, "production", Some(1))]).unwrap();
    let head = store.head("api", "production").unwrap();
    assert!(
        !head.drift,
        "the first observation is a baseline, not drift"
    );
    assert_eq!(head.segment.unwrap().via, Via::Observed);
    assert_eq!(
        store.last_observation("api", "production").unwrap(),
        Some(stored[0].clone())
    );

    // sync sees the tag moved to digest 2 and nothing explains it.
    let seen = store.append(vec![obs(10, "production", Some(2))]).unwrap()[0].clone();
    assert!(!explained(&store, "production", 2, 1));
    store
        .append(vec![prod(10, EventKind::Drift, 2, None)])
        .unwrap();
    let head = store.head("api", "production").unwrap();
    assert!(head.drift);
    assert_eq!(head.segment.as_ref().unwrap().via, Via::Drift);
    assert_eq!(head.last_observation.unwrap(), seen);

    // An approval or another observation does not acknowledge it.
    store
        .append(vec![
            prod(20, EventKind::Approval, 2, Some("alice@example.com")),
            obs(21, "production", Some(2)),
        ])
        .unwrap();
    assert!(store.head("api", "production").unwrap().drift);
    // A record of the drifted digest does (and explains it from then on), without a new segment.
    store
        .append(vec![prod(30, EventKind::Record, 2, Some("ci"))])
        .unwrap();
    let head = store.head("api", "production").unwrap();
    assert!(!head.drift);
    assert_eq!(head.segment.unwrap().seq, 3);
    assert!(explained(&store, "production", 2, 2));
    assert!(
        !explained(&store, "production", 2, 6),
        "only after after_seq"
    );
    assert!(!explained(&store, "staging", 2, 0), "only this environment");
    assert!(
        !explained(&store, "production", 1, 0),
        "observations explain nothing"
    );

    // Drift again, then a promotion of another digest: the newest change is not a drift.
    store
        .append(vec![prod(40, EventKind::Drift, 3, None)])
        .unwrap();
    assert!(store.head("api", "production").unwrap().drift);
    store
        .append(vec![prod(50, EventKind::Promotion, 4, Some("bob"))])
        .unwrap();
    let head = store.head("api", "production").unwrap();
    assert!(!head.drift);
    assert_eq!(head.segment.unwrap().digest, digest(4));
    assert!(explained(&store, "production", 4, 0));
}

#[test]
fn events_are_filtered_by_app_environment_and_period() {
    let (_dir, _path, mut store) = temp_store();
    store
        .append(vec![
            obs(0, "dev", Some(1)),
            obs(10, "staging", Some(1)),
            ev(20, EventKind::Record, "web", "dev", Some(2), None),
            obs(30, "dev", Some(1)),
            obs(40, "dev", Some(1)),
        ])
        .unwrap();
    let seqs = |f: EventFilter| {
        store
            .events(&f)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>()
    };
    assert_eq!(seqs(EventFilter::default()), vec![1, 2, 3, 4, 5]);
    assert_eq!(
        seqs(EventFilter {
            app: Some("api".into()),
            ..Default::default()
        }),
        vec![1, 2, 4, 5]
    );
    assert_eq!(
        seqs(EventFilter {
            env: Some("dev".into()),
            ..Default::default()
        }),
        vec![1, 3, 4, 5]
    );
    assert_eq!(
        seqs(EventFilter {
            app: Some("api".into()),
            env: Some("dev".into()),
            ..Default::default()
        }),
        vec![1, 4, 5]
    );
    // since inclusive, until exclusive
    assert_eq!(
        seqs(EventFilter {
            since: Some(minutes(10)),
            until: Some(minutes(30)),
            ..Default::default()
        }),
        vec![2, 3]
    );
    assert_eq!(
        seqs(EventFilter {
            since: Some(minutes(10) + Duration::microseconds(1)),
            ..Default::default()
        }),
        vec![3, 4, 5],
        "a bound finer than the stored milliseconds"
    );
    assert_eq!(
        seqs(EventFilter {
            until: Some(minutes(30) + Duration::microseconds(1)),
            ..Default::default()
        }),
        vec![1, 2, 3, 4]
    );
    assert!(seqs(EventFilter {
        app: Some("nope".into()),
        ..Default::default()
    })
    .is_empty());

    // Streaming: each event once, in order; an error stops the walk.
    let mut seen = Vec::new();
    let err = store
        .for_each_event(&EventFilter::default(), |e| {
            seen.push(e.seq);
            if e.seq == 3 {
                return Err(tollgate::Error::internal("stop"));
            }
            Ok(())
        })
        .unwrap_err();
    assert_eq!((seen, err.message.as_str()), (vec![1, 2, 3], "stop"));
}

#[test]
fn image_info_is_a_cache_outside_the_chain() {
    let (_dir, path, mut store) = temp_store();
    let mut info = ImageInfo {
        digest: digest(1),
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        size: 1234,
        created: Some(t0()),
        revision: Some("abc123".into()),
        version: None,
        source: Some("https://example.com/api".into()),
        labels: [(
            "org.opencontainers.image.revision".to_string(),
            "abc123".to_string(),
        )]
        .into(),
        platforms: vec![],
    };
    assert_eq!(store.image_info(&info.digest).unwrap(), None);
    store.put_image_info(&info).unwrap();
    assert_eq!(store.image_info(&info.digest).unwrap(), Some(info.clone()));
    info.size = 99;
    info.platforms = vec!["linux/amd64".into(), "linux/arm64".into()];
    store.put_image_info(&info).unwrap();
    assert_eq!(store.image_info(&info.digest).unwrap(), Some(info.clone()));
    assert_eq!(store.verify_chain().unwrap().events, 0);
    drop(store);
    // A damaged cache row is a miss, not an error.
    sqlite3(&path, "UPDATE image_info SET json = 'garbage'");
    assert_eq!(
        Store::open(&path)
            .unwrap()
            .image_info(&info.digest)
            .unwrap(),
        None
    );
}
