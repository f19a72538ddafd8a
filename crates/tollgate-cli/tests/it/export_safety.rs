//! Exports that must not hurt: never written over the database's own files (its `-wal`,
//! `-shm` and `-journal` companions included), and CSV cells a spreadsheet would run as
//! formulas neutralised, while the JSON report keeps the exact text and still verifies.

use std::path::PathBuf;

use chrono::{Duration, TimeZone, Utc};
use tollgate::api::{self, ExportFormat, ExportRequest};
use tollgate::config::Workspace;
use tollgate::domain::{Digest, EventKind, NewEvent};
use tollgate::store::Store;
use tollgate::Code;

use tollgate_testsupport::workspace::{sqlite3, workspace_toml, TempWorkspace};

/// Free text a spreadsheet would take for a formula, each as an actor of a record.
const HOSTILE: [&str; 6] = [
    "=HYPERLINK(\"http://evil.example/\",\"click\")",
    "+1+2",
    "-2+3",
    "@SUM(A1:A9)",
    "\tcmd",
    "\r=1",
];

/// A workspace whose history holds one record per [`HOSTILE`] actor.
fn hostile_history() -> (TempWorkspace, Workspace) {
    let tmp = TempWorkspace::new(&workspace_toml(
        "hostile",
        "http://127.0.0.1:9",
        &[r#"{ name = "dev", tag = "dev" }"#],
    ));
    let ws = Workspace::load(&tmp.config(), None).unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    let events = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, actor)| {
            let d = Digest::of(format!("release {i}").as_bytes());
            NewEvent {
                at: t0 + Duration::hours(i as i64),
                kind: EventKind::Record,
                app: "api".into(),
                env: "dev".into(),
                digest: Some(d.clone()),
                actor: Some(actor.to_string()),
                data: serde_json::json!({"repository": "local/payments/api", "image": format!("local/payments/api@{d}")}),
            }
        })
        .collect();
    Store::open(&ws.db_path).unwrap().append(events).unwrap();
    (tmp, ws)
}

#[test]
#[allow(
    clippy::disallowed_methods,
    reason = "any time will do here: the reports' generation time"
)]
fn export_refuses_the_databases_wal_shm_and_journal_files() {
    let (tmp, ws) = hostile_history();
    let before = tmp.sqlite("SELECT count(*) FROM events");
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = ws.db_path.clone().into_os_string();
        name.push(suffix);
        let out = PathBuf::from(name);
        let e = api::export(
            &ws,
            &tollgate_testsupport::signed::ctx_at(Utc::now()),
            ExportRequest::everything(ExportFormat::Csv, &out),
        )
        .unwrap_err();
        assert_eq!(e.code, Code::BadInput, "{suffix}: {}", e.message);
        assert!(
            e.message.contains("history database") && e.message.contains("another file"),
            "{suffix}: {}",
            e.message
        );
        // Also through the CLI, with the path written relative to the workspace folder.
        let relative = format!("tollgate.db{suffix}");
        tmp.run(&["export", "--format", "json", "--out", &relative])
            .fails_with(2, &["history database"]);
        assert!(
            !std::fs::read(&out).is_ok_and(|b| b.starts_with(b"seq,") || b.starts_with(b"{")),
            "{suffix}: no report was written there"
        );
    }
    assert_eq!(tmp.sqlite("SELECT count(*) FROM events"), before);
    assert!(api::verify(&ws).unwrap().chain.broken.is_none());
    assert_eq!(sqlite3(&ws.db_path, "PRAGMA integrity_check"), "ok");
}

#[test]
#[allow(
    clippy::disallowed_methods,
    reason = "any time will do here: the reports' generation time"
)]
fn csv_cells_that_spreadsheets_would_run_are_neutralised_and_json_keeps_the_text() {
    let (tmp, ws) = hostile_history();
    let csv_path = tmp.path().join("audit.csv");
    api::export(
        &ws,
        &tollgate_testsupport::signed::ctx_at(Utc::now()),
        ExportRequest::everything(ExportFormat::Csv, &csv_path),
    )
    .unwrap();
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), HOSTILE.len());
    for (row, actor) in rows.iter().zip(HOSTILE) {
        assert_eq!(row[col("actor")], format!("'{actor}"), "neutralised");
        // Tollgate's own values are never touched.
        assert!(row[col("at")].starts_with("2026-03-01T"), "{row:?}");
        assert!(row[col("digest")].starts_with("sha256:"), "{row:?}");
        assert_eq!(row[col("hash")].len(), 64, "{row:?}");
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "cell {cell:?} of {row:?}"
            );
        }
    }

    // The JSON report keeps the exact text and verifies.
    let json_path = tmp.path().join("audit.json");
    api::export(
        &ws,
        &tollgate_testsupport::signed::ctx_at(Utc::now()),
        ExportRequest::everything(ExportFormat::Json, &json_path),
    )
    .unwrap();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    let text = report.to_string();
    for actor in HOSTILE {
        let exact = serde_json::Value::String(actor.to_string()).to_string();
        assert!(text.contains(&exact), "{actor:?} kept exactly");
        let quoted = serde_json::Value::String(format!("'{actor}")).to_string();
        assert!(!text.contains(&quoted), "{actor:?} not altered");
    }
    let verified = api::verify_report(&json_path, None, true).unwrap();
    assert!(verified.problems.is_empty(), "{:?}", verified.problems);
}
