//! Numbered schema migrations, embedded in the binary. `PRAGMA user_version` is the schema
//! version: the number of the last migration applied. All pending migrations run in one
//! transaction, so a database is never left half-migrated; a database written by a newer
//! Tollgate (a version this build does not know) is refused before anything is written.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::{Code, Error, Result};

/// `(version, sql)`, in increasing order (a number reserved by a branch not merged yet may be
/// missing). Append only: never edit or renumber a migration that has shipped.
const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("migrations/0001_events.sql")),
    (2, include_str!("migrations/0002_timeline.sql")),
    (3, include_str!("migrations/0003_image_info.sql")),
    (4, include_str!("migrations/0004_promotions.sql")),
    (5, include_str!("migrations/0005_journal_owner.sql")),
    (6, include_str!("migrations/0006_team.sql")),
    (7, include_str!("migrations/0007_team_status.sql")),
    (8, include_str!("migrations/0008_segment_times.sql")),
    (9, include_str!("migrations/0009_unplaced.sql")),
    (10, include_str!("migrations/0010_signed_messages.sql")),
    (11, include_str!("migrations/0011_team_channel.sql")),
    (12, include_str!("migrations/0012_checkpoints.sql")),
    (13, include_str!("migrations/0013_team_artifact_origin.sql")),
    (14, include_str!("migrations/0014_git_promotions.sql")),
    (15, include_str!("migrations/0015_incidents.sql")),
    (16, include_str!("migrations/0016_checks.sql")),
    (17, include_str!("migrations/0017_emergency_rollback.sql")),
    (18, include_str!("migrations/0018_team_moves.sql")),
];

/// Migrations that create or change the derived timeline tables: after any of them, the tables
/// are recomputed from the events in the same transaction (a no-op on a new database).
const REBUILD_TIMELINE_AFTER: &[u32] = &[2, 8, 10];

/// Migrations after which the `signed_messages` table is filled from the events (before the
/// timeline is rebuilt: a replayed move is drift there).
const FILL_MESSAGES_AFTER: &[u32] = &[10];

/// The schema version this build writes and understands: the last migration's number.
pub const SCHEMA_VERSION: u32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// The schema version stored in the database file.
pub fn schema_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Refuse a database from a newer Tollgate.
pub fn check_not_newer(path: &Path, found: u32) -> Result<()> {
    if found > SCHEMA_VERSION {
        return Err(Error::new(
            Code::SchemaTooNew,
            format!(
                "history database {} was written by a newer Tollgate (schema {found}, this build knows {SCHEMA_VERSION}): upgrade Tollgate",
                path.display()
            ),
        ));
    }
    Ok(())
}

/// Apply every pending migration in one `BEGIN IMMEDIATE` transaction. Returns the versions
/// applied (empty when the schema was already current).
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<Vec<u32>> {
    // Cheap check without taking the write lock: the common case is "nothing to do".
    let found = schema_version(conn)?;
    check_not_newer(path, found)?;
    if found == SCHEMA_VERSION {
        return Ok(Vec::new());
    }
    let _span =
        tracing::debug_span!("migrate", path = %path.display(), from = found, to = SCHEMA_VERSION)
            .entered();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Another process may have migrated between the check and the lock: read it again.
    let found = schema_version(&tx)?;
    check_not_newer(path, found)?;
    let mut applied = Vec::new();
    for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.execute_batch(sql).map_err(|e| {
            Error::database(format!(
                "history database {}: migration {version} failed ({e}); the database was left unchanged",
                path.display()
            ))
        })?;
        applied.push(version);
    }
    if applied.iter().any(|v| FILL_MESSAGES_AFTER.contains(v)) {
        super::messages::fill(&tx)?;
    }
    if applied.iter().any(|v| REBUILD_TIMELINE_AFTER.contains(v)) {
        super::timeline::rebuild(&tx)?;
    }
    // PRAGMA takes no parameters; the version is our own integer.
    tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
    tx.commit()?;
    tracing::debug!(?applied, "migrations applied");
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_numbered_in_order() {
        let mut last = 0;
        for (v, sql) in MIGRATIONS {
            // Increasing; a number reserved by a branch not merged yet may be missing.
            assert!(*v > last, "migration {v} after {last}");
            assert!(!sql.trim().is_empty());
            last = *v;
        }
        assert_eq!(MIGRATIONS[0].0, 1);
    }

    #[test]
    fn applies_all_once_then_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        let path = Path::new(":memory:");
        assert_eq!(
            migrate(&mut conn, path).unwrap(),
            MIGRATIONS.iter().map(|(v, _)| *v).collect::<Vec<_>>()
        );
        assert_eq!(schema_version(&conn).unwrap(), SCHEMA_VERSION);
        assert!(migrate(&mut conn, path).unwrap().is_empty());
    }

    #[test]
    fn failed_migration_leaves_nothing_behind() {
        let mut conn = Connection::open_in_memory().unwrap();
        // A table in the way of migration 1: the whole batch must roll back.
        conn.execute_batch("CREATE TABLE segments (x)").unwrap();
        let err = migrate(&mut conn, Path::new("x.db")).unwrap_err();
        assert_eq!(err.code, Code::Database);
        assert_eq!(schema_version(&conn).unwrap(), 0);
        let events: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'events'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(events, 0, "migration 1 was rolled back with 2");
    }

    #[test]
    fn newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        let newer = SCHEMA_VERSION + 1;
        conn.execute_batch(&format!("PRAGMA user_version = {newer}"))
            .unwrap();
        let err = migrate(&mut conn, Path::new("h.db")).unwrap_err();
        assert_eq!(err.code, Code::SchemaTooNew);
        assert_eq!(
            err.message,
            format!("history database h.db was written by a newer Tollgate (schema {newer}, this build knows {SCHEMA_VERSION}): upgrade Tollgate")
        );
    }
}
