//! Signed statements by the sha256 of their message bytes (migration 0010): which event first
//! carried each, and which events replay an earlier one ([`crate::domain::statement`]). Kept in
//! the append transaction; filled for older databases by the migration.

use rusqlite::{params, Connection, OptionalExtension};

use super::Store;
use crate::domain::statement::{data_message_sha256, Replays};
use crate::domain::{Digest, EventKind};
use crate::Result;

/// SQL condition: the event `seq` of the outer query is not a replay.
pub(super) const NOT_REPLAYED: &str =
    "seq NOT IN (SELECT seq FROM signed_messages WHERE replay_of IS NOT NULL)";

/// Remember the message of event `seq` (appended now, with `data`); the earlier event it
/// replays, if it does.
pub(super) fn note(
    conn: &Connection,
    seq: i64,
    kind: EventKind,
    data: &serde_json::Value,
) -> Result<Option<i64>> {
    let Some(sha) = data_message_sha256(data) else {
        return Ok(None);
    };
    let mut first = conn.prepare_cached(
        "SELECT min(seq) FROM signed_messages WHERE sha256 = ?1 AND kind != 'unplaced' AND seq < ?2",
    )?;
    let replay_of: Option<i64> = first.query_row(params![sha, seq], |r| r.get(0))?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO signed_messages (seq, sha256, kind, replay_of) VALUES (?1, ?2, ?3, ?4)",
    )?;
    insert.execute(params![seq, sha, kind.as_str(), replay_of])?;
    Ok(replay_of)
}

/// Fill the table from the events (migration 0010: the rows of a database written before it).
pub(super) fn fill(conn: &Connection) -> Result<()> {
    conn.execute("DELETE FROM signed_messages", [])?;
    let mut replays = Replays::default();
    let mut stmt = conn.prepare(
        "SELECT seq, kind, data FROM events WHERE json_extract(data, '$.message') IS NOT NULL ORDER BY seq",
    )?;
    let mut insert = conn.prepare(
        "INSERT INTO signed_messages (seq, sha256, kind, replay_of) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut rows = stmt.query([])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        let (seq, kind, data): (i64, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let Ok(data) = serde_json::from_str::<serde_json::Value>(&data) else {
            continue; // `verify` names an unreadable row
        };
        let Some(sha) = data_message_sha256(&data) else {
            continue;
        };
        let k = EventKind::parse(&kind).unwrap_or(EventKind::Observation);
        let replay_of = replays.see(seq, k, Some(&sha));
        insert.execute(params![seq, sha, kind, replay_of])?;
        n += 1;
    }
    tracing::debug!(messages = n, "signed messages indexed");
    Ok(())
}

/// The earlier event event `seq` replays, if it does.
pub(super) fn replay_of(conn: &Connection, seq: i64) -> Result<Option<i64>> {
    let mut stmt = conn.prepare_cached("SELECT replay_of FROM signed_messages WHERE seq = ?1")?;
    Ok(stmt
        .query_row([seq], |r| r.get::<_, Option<i64>>(0))
        .optional()?
        .flatten())
}

/// An event of the history that carries a signed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldStatement {
    pub seq: i64,
    pub kind: EventKind,
    /// The artifact it was imported from or kept from (`data.imported.artifact`), if any.
    pub artifact: Option<Digest>,
}

impl Store {
    /// The events that carry the signed message named `sha256` ([`crate::domain::statement::message_sha256`]), oldest
    /// first (empty: the history does not hold it).
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn statement_events(&self, sha256: &str) -> Result<Vec<HeldStatement>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.seq, e.kind, json_extract(e.data, '$.imported.artifact')
               FROM signed_messages m JOIN events e ON e.seq = m.seq
              WHERE m.sha256 = ?1 ORDER BY m.seq",
        )?;
        let rows = stmt.query_map([sha256], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, kind, artifact) = row?;
            out.push(HeldStatement {
                seq,
                kind: EventKind::parse(&kind).unwrap_or(EventKind::Observation),
                artifact: artifact.and_then(|a| Digest::parse(&a).ok()),
            });
        }
        Ok(out)
    }

    /// The earlier event that event `seq` replays (the same signed message), if it does.
    pub fn replay_of(&self, seq: i64) -> Result<Option<i64>> {
        replay_of(&self.conn, seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::statement::message_sha256;
    use crate::domain::NewEvent;

    fn ev(kind: EventKind, message: Option<&str>) -> NewEvent {
        NewEvent {
            at: "2026-11-25T08:00:00Z".parse().unwrap(),
            kind,
            app: "api".into(),
            env: "staging".into(),
            digest: Some(Digest::of(b"y")),
            actor: Some("alice".into()),
            data: match message {
                Some(m) => serde_json::json!({ "message": m }),
                None => serde_json::json!({}),
            },
        }
    }

    #[test]
    fn appends_and_the_migration_fill_agree_on_replays() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("t.db")).unwrap();
        s.append(vec![
            ev(EventKind::Observation, None),
            ev(EventKind::Unplaced, Some("m1")),
            ev(EventKind::Promotion, Some("m1")),
            ev(EventKind::Promotion, Some("m2")),
            ev(EventKind::Promotion, Some("m1")),
        ])
        .unwrap();
        let replays = |s: &Store| -> Vec<Option<i64>> {
            (1..=5).map(|seq| s.replay_of(seq).unwrap()).collect()
        };
        assert_eq!(replays(&s), vec![None, None, None, None, Some(3)]);
        let held = s.statement_events(&message_sha256(b"m1")).unwrap();
        assert_eq!(
            held.iter().map(|h| (h.seq, h.kind)).collect::<Vec<_>>(),
            vec![
                (2, EventKind::Unplaced),
                (3, EventKind::Promotion),
                (5, EventKind::Promotion)
            ]
        );
        fill(&s.conn).unwrap();
        assert_eq!(replays(&s), vec![None, None, None, None, Some(3)]);
    }
}
