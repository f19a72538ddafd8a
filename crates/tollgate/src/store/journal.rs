//! The promotion journal (migration 0004): each promotion or rollback moves through
//! `intended → pushed → verified → recorded` (or `failed`), one committed step at a time, so a
//! process killed at any point leaves a row that the next start finishes or cleanly fails.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use ts_rs::TS;

use crate::domain::{Digest, Event, EventKind, NewEvent};
use crate::store::Store;
use crate::{Code, Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum JournalState {
    Intended,
    Pushed,
    Verified,
    Recorded,
    Failed,
}

impl JournalState {
    pub fn as_str(self) -> &'static str {
        match self {
            JournalState::Intended => "intended",
            JournalState::Pushed => "pushed",
            JournalState::Verified => "verified",
            JournalState::Recorded => "recorded",
            JournalState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "intended" => JournalState::Intended,
            "pushed" => JournalState::Pushed,
            "verified" => JournalState::Verified,
            "recorded" => JournalState::Recorded,
            "failed" => JournalState::Failed,
            other => {
                return Err(Error::database(format!(
                    "promotion journal holds an unknown state '{other}'"
                )))
            }
        })
    }
}

/// A promotion (or rollback) about to start.
#[derive(Debug, Clone)]
pub struct NewPromotion {
    pub kind: EventKind,
    pub app: String,
    pub from_env: String,
    pub to_env: String,
    pub digest: Digest,
    pub src_repository: String,
    pub dst_repository: String,
    pub tag: String,
    pub approvals: Vec<i64>,
    pub evaluation: serde_json::Value,
    pub actor: String,
    pub previous: Option<Digest>,
    pub at: DateTime<Utc>,
}

/// One journal row.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Promotion {
    #[ts(type = "number")]
    pub id: i64,
    pub kind: EventKind,
    pub app: String,
    pub from_env: String,
    pub to_env: String,
    #[ts(type = "string")]
    pub digest: Digest,
    pub src_repository: String,
    pub dst_repository: String,
    pub tag: String,
    #[ts(type = "Array<number>")]
    pub approvals: Vec<i64>,
    #[ts(type = "Record<string, unknown>")]
    pub evaluation: serde_json::Value,
    pub actor: String,
    #[ts(type = "string | null")]
    pub previous: Option<Digest>,
    pub state: JournalState,
    pub error: Option<String>,
    #[ts(type = "number | null")]
    pub event_seq: Option<i64>,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, kind, app, from_env, to_env, digest, src_repository, dst_repository, tag, approvals, evaluation, actor, previous, state, error, event_seq, created_at";

fn read(r: &rusqlite::Row<'_>) -> Result<Promotion> {
    let text = |i: usize| -> Result<String> { Ok(r.get::<_, String>(i)?) };
    let kind = text(1)?;
    Ok(Promotion {
        id: r.get(0)?,
        kind: EventKind::parse(&kind).ok_or_else(|| {
            Error::database(format!("promotion journal holds an unknown kind '{kind}'"))
        })?,
        app: text(2)?,
        from_env: text(3)?,
        to_env: text(4)?,
        digest: Digest::parse(&text(5)?)?,
        src_repository: text(6)?,
        dst_repository: text(7)?,
        tag: text(8)?,
        approvals: serde_json::from_str(&text(9)?)
            .map_err(|e| Error::database(format!("promotion journal: approvals: {e}")))?,
        evaluation: serde_json::from_str(&text(10)?)
            .map_err(|e| Error::database(format!("promotion journal: evaluation: {e}")))?,
        actor: text(11)?,
        previous: r
            .get::<_, Option<String>>(12)?
            .map(|d| Digest::parse(&d))
            .transpose()?,
        state: JournalState::parse(&text(13)?)?,
        error: r.get(14)?,
        event_seq: r.get(15)?,
        created_at: DateTime::parse_from_rfc3339(&text(16)?)
            .map_err(|e| Error::database(format!("promotion journal: created_at: {e}")))?
            .with_timezone(&Utc),
    })
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Store {
    /// Start a promotion: write the `intended` row and reserve its approvals, in one
    /// transaction. Refused when an approval is already reserved or consumed.
    pub fn journal_begin(&mut self, p: &NewPromotion) -> Result<Promotion> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for seq in &p.approvals {
            let used: Option<(i64, String)> = tx
                .query_row(
                    "SELECT p.id, p.state FROM promotion_approvals a JOIN promotions p ON p.id = a.promotion_id WHERE a.approval_seq = ?1 AND p.state != 'failed'",
                    [seq],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((id, state)) = used {
                return Err(Error::refused(format!(
                    "approval {seq} is already used by promotion {id} ({state}); each approval is consumed by one promotion: ask for a new approval"
                )));
            }
        }
        let approvals =
            serde_json::to_string(&p.approvals).map_err(|e| Error::internal(e.to_string()))?;
        let evaluation =
            serde_json::to_string(&p.evaluation).map_err(|e| Error::internal(e.to_string()))?;
        tx.execute(
            "INSERT INTO promotions (kind, app, from_env, to_env, digest, src_repository, dst_repository, tag, approvals, evaluation, actor, previous, state, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'intended', ?13, ?13)",
            params![
                p.kind.as_str(),
                p.app,
                p.from_env,
                p.to_env,
                p.digest.as_str(),
                p.src_repository,
                p.dst_repository,
                p.tag,
                approvals,
                evaluation,
                p.actor,
                p.previous.as_ref().map(Digest::as_str),
                stamp(p.at),
            ],
        )?;
        let id = tx.last_insert_rowid();
        // Approvals are reserved in a table of their own (one row per approval, primary key),
        // so two processes racing for the same approval cannot both win.
        for seq in &p.approvals {
            tx.execute(
                "DELETE FROM promotion_approvals WHERE approval_seq = ?1",
                [seq],
            )?;
            tx.execute(
                "INSERT INTO promotion_approvals (approval_seq, promotion_id) VALUES (?1, ?2)",
                params![seq, id],
            )?;
        }
        let row = tx.query_row(
            &format!("SELECT {COLUMNS} FROM promotions WHERE id = ?1"),
            [id],
            |r| Ok(read(r)),
        )??;
        tx.commit()?;
        Ok(row)
    }

    /// Move an open entry to `pushed` or `verified`.
    pub fn journal_advance(
        &mut self,
        id: i64,
        state: JournalState,
        at: DateTime<Utc>,
    ) -> Result<()> {
        if !matches!(state, JournalState::Pushed | JournalState::Verified) {
            return Err(Error::internal(format!(
                "journal_advance to {}",
                state.as_str()
            )));
        }
        let n = self.conn.execute(
            "UPDATE promotions SET state = ?2, updated_at = ?3 WHERE id = ?1 AND state NOT IN ('recorded', 'failed')",
            params![id, state.as_str(), stamp(at)],
        )?;
        if n != 1 {
            return Err(Error::new(
                Code::Refused,
                format!("promotion {id} is no longer open"),
            ));
        }
        Ok(())
    }

    /// Mark an open entry failed and release its approvals.
    pub fn journal_fail(&mut self, id: i64, error: &str, at: DateTime<Utc>) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE promotions SET state = 'failed', error = ?2, updated_at = ?3 WHERE id = ?1 AND state NOT IN ('recorded', 'failed')",
            params![id, error, stamp(at)],
        )?;
        tx.execute(
            "DELETE FROM promotion_approvals WHERE promotion_id = ?1",
            [id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Append the promotion's history event and mark the entry recorded, in one transaction.
    pub fn journal_record(&mut self, id: i64, event: NewEvent) -> Result<Event> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let state: String =
            tx.query_row("SELECT state FROM promotions WHERE id = ?1", [id], |r| {
                r.get(0)
            })?;
        if state == "recorded" || state == "failed" {
            return Err(Error::refused(format!("promotion {id} is already {state}")));
        }
        let at = stamp(event.at);
        let mut stored = super::events::append(&tx, vec![event])?;
        let event = stored
            .pop()
            .ok_or_else(|| Error::internal("append returned no event"))?;
        tx.execute(
            "UPDATE promotions SET state = 'recorded', event_seq = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, event.seq, at],
        )?;
        tx.commit()?;
        Ok(event)
    }

    /// Entries neither recorded nor failed, oldest first.
    pub fn journal_open(&self) -> Result<Vec<Promotion>> {
        let mut stmt = self.conn.prepare(&format!("SELECT {COLUMNS} FROM promotions WHERE state NOT IN ('recorded', 'failed') ORDER BY id"))?;
        let rows = stmt.query_map([], |r| Ok(read(r)))?;
        rows.map(|r| r?).collect()
    }

    pub fn journal_get(&self, id: i64) -> Result<Promotion> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM promotions WHERE id = ?1"),
                [id],
                |r| Ok(read(r)),
            )
            .optional()?
            .ok_or_else(|| Error::bad_input(format!("no promotion {id}")))?
    }

    /// Approval seqs reserved by an open entry or consumed by a recorded one.
    pub fn approvals_in_use(&self) -> Result<std::collections::HashSet<i64>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT approval_seq FROM promotion_approvals")?;
        let rows = stmt.query_map([], |r| r.get::<_, i64>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Approval events for one app, target environment and digest, oldest first.
    pub fn approval_events(&self, app: &str, to_env: &str, digest: &Digest) -> Result<Vec<Event>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {} FROM events WHERE app = ?1 AND env = ?2 AND kind = 'approval' AND digest = ?3 ORDER BY seq",
            super::events::COLUMNS
        ))?;
        let rows = stmt.query_map(params![app, to_env, digest.as_str()], |r| {
            Ok(super::events::read_event(r))
        })?;
        rows.map(|r| r?).collect()
    }
}
