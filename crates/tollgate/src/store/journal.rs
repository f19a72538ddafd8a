//! The promotion journal (migration 0004): each promotion or rollback moves through
//! `intended → pushed → verified → recorded` (or `failed`), one committed step at a time, so a
//! process killed at any point leaves a row that the next start finishes or cleanly fails.
//! Migration 0005 gives each open entry an owner (host, pid, process start, a random token) and
//! a heartbeat, so that recovery can tell a running promotion from an abandoned one; at most one
//! entry per target repository and tag is open at a time.
//! Migration 0014 adds the entries of environments in a deployment repository's file: the
//! `[[git]]` entry, file, image selector and branch ([`GitPlace`]; at most one open entry per
//! git, file and selector), the signed commit's id, and the `review` end state of a commit pushed
//! to a review branch (`push = "branch"`).

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
    /// Pushed to a review branch (`push = "branch"`): not open (nothing to recover), not
    /// recorded (the stay begins when a sync sees the commit reach the branch).
    Review,
}

impl JournalState {
    pub fn as_str(self) -> &'static str {
        match self {
            JournalState::Intended => "intended",
            JournalState::Pushed => "pushed",
            JournalState::Verified => "verified",
            JournalState::Recorded => "recorded",
            JournalState::Failed => "failed",
            JournalState::Review => "review",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "intended" => JournalState::Intended,
            "pushed" => JournalState::Pushed,
            "verified" => JournalState::Verified,
            "recorded" => JournalState::Recorded,
            "failed" => JournalState::Failed,
            "review" => JournalState::Review,
            other => {
                return Err(Error::database(format!(
                    "promotion journal holds an unknown state '{other}'"
                )))
            }
        })
    }
}

/// The process that holds an open journal entry: written when the entry begins (or when a
/// recovery claims it), cleared when that process stops without deciding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalOwner {
    /// The host name of the machine it runs on.
    pub host: String,
    pub pid: u32,
    /// An identity of that process beyond its pid (on Linux the boot id and the process start
    /// time), so that a pid reused by another program is not taken for the owner; `None` where
    /// the platform does not tell.
    pub started: Option<String>,
    /// Random, one per run holding the entry: only that run refreshes or releases it.
    pub token: String,
}

/// Where a promotion into a deployment repository's file goes: the `[[git]]` entry, the file,
/// the image selector (`None`: every reference to the app's repository) and the branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct GitPlace {
    pub git: String,
    pub file: String,
    pub image: Option<String>,
    pub branch: String,
}

impl GitPlace {
    /// `deploy:apps/api/deployment.yaml` (and `#api.image` with a selector), for people.
    pub fn describe(&self) -> String {
        match &self.image {
            Some(image) => format!("{}:{}#{image}", self.git, self.file),
            None => format!("{}:{}", self.git, self.file),
        }
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
    /// The tag moved; `""` for an environment in a deployment repository (`git` is set).
    pub tag: String,
    /// The deployment file, for an environment that lives in one.
    pub git: Option<GitPlace>,
    pub approvals: Vec<i64>,
    pub evaluation: serde_json::Value,
    pub actor: String,
    pub previous: Option<Digest>,
    pub at: DateTime<Utc>,
    /// The process running it.
    pub owner: JournalOwner,
    /// An emergency rollback (`rollback = { approvals = N }`): the reason given.
    pub emergency_reason: Option<String>,
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
    /// `""` for an environment in a deployment repository.
    pub tag: String,
    /// The deployment file, for an environment that lives in one.
    pub git: Option<GitPlace>,
    /// The signed commit that pins the digest (git environments; written before its push).
    pub commit: Option<String>,
    /// The review branch it was pushed to (`push = "branch"`).
    pub review_branch: Option<String>,
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
    /// Who holds the entry while it is open (operational, not shown at the boundary).
    #[serde(skip)]
    #[ts(skip)]
    pub owner: Option<JournalOwner>,
    /// When the owner last said it is still running.
    #[serde(skip)]
    #[ts(skip)]
    pub heartbeat_at: Option<DateTime<Utc>>,
    /// An emergency rollback (it passed under the policy's `rollback = { approvals = N }`):
    /// the reason its actor gave; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub emergency_reason: Option<String>,
}

pub(super) const COLUMNS: &str = "id, kind, app, from_env, to_env, digest, src_repository, dst_repository, tag, approvals, evaluation, actor, previous, state, error, event_seq, created_at, owner_host, owner_pid, owner_started, owner_token, heartbeat_at, git, file, image, branch, commit_id, review_branch, emergency_reason";

const OPEN: &str = "state NOT IN ('recorded', 'failed', 'review')";

pub(super) fn read(r: &rusqlite::Row<'_>) -> Result<Promotion> {
    let text = |i: usize| -> Result<String> { Ok(r.get::<_, String>(i)?) };
    let time = |i: usize, what: &str| time_at(r, i, what);
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
        created_at: time(16, "created_at")?
            .ok_or_else(|| Error::database("promotion journal: created_at is empty"))?,
        owner: match (
            r.get::<_, Option<String>>(17)?,
            r.get::<_, Option<u32>>(18)?,
            r.get::<_, Option<String>>(20)?,
        ) {
            (Some(host), Some(pid), Some(token)) => Some(JournalOwner {
                host,
                pid,
                started: r.get(19)?,
                token,
            }),
            _ => None,
        },
        heartbeat_at: time(21, "heartbeat_at")?,
        git: match (
            r.get::<_, Option<String>>(22)?,
            r.get::<_, Option<String>>(23)?,
            r.get::<_, Option<String>>(25)?,
        ) {
            (Some(git), Some(file), Some(branch)) => Some(GitPlace {
                git,
                file,
                image: r.get(24)?,
                branch,
            }),
            _ => None,
        },
        commit: r.get(26)?,
        review_branch: r.get(27)?,
        emergency_reason: r.get(28)?,
    })
}

fn time_at(r: &rusqlite::Row<'_>, i: usize, what: &str) -> Result<Option<DateTime<Utc>>> {
    r.get::<_, Option<String>>(i)?
        .map(|t| {
            DateTime::parse_from_rfc3339(&t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| Error::database(format!("promotion journal: {what}: {e}")))
        })
        .transpose()
}

/// The refusal of a second promotion into a tag that an open entry is still moving.
pub fn busy(open: &Promotion) -> Error {
    let beat = open
        .heartbeat_at
        .map(|t| format!(", last heartbeat {}", stamp(t)))
        .unwrap_or_default();
    let (who, what_to_do) = match &open.owner {
        Some(o) => (
            format!("process {} on {}", o.pid, o.host),
            "wait for it to finish and try again; if its process is gone, the next tollgate command finishes or fails it",
        ),
        None => (
            "held by no process".to_string(),
            "it could not be finished yet (its tag could not be read back) and every tollgate command retries it: check that the registry is reachable and try again",
        ),
    };
    let target = match &open.git {
        Some(g) => g.describe(),
        None => format!("{}:{}", open.dst_repository, open.tag),
    };
    Error::refused(format!(
        "promotion {} ({} of {} by {}, {who}, open since {}, now {}{beat}) is still moving {target}: {what_to_do}",
        open.id,
        open.kind.as_str(),
        open.digest,
        open.actor,
        stamp(open.created_at),
        open.state.as_str(),
    ))
}

pub(super) fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn open_for(conn: &rusqlite::Connection, repository: &str, tag: &str) -> Result<Option<Promotion>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM promotions WHERE dst_repository = ?1 AND tag = ?2 AND git IS NULL AND {OPEN} ORDER BY id LIMIT 1"),
        params![repository, tag],
        |r| Ok(read(r)),
    )
    .optional()?
    .transpose()
}

fn open_for_git(conn: &rusqlite::Connection, g: &GitPlace) -> Result<Option<Promotion>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM promotions WHERE git = ?1 AND file = ?2 AND image IS ?3 AND {OPEN} ORDER BY id LIMIT 1"),
        params![g.git, g.file, g.image],
        |r| Ok(read(r)),
    )
    .optional()?
    .transpose()
}

/// The refusal of a state change on an entry that is no longer open (or does not exist).
fn no_longer_open(conn: &rusqlite::Connection, id: i64) -> Error {
    let state: Option<String> = conn
        .query_row("SELECT state FROM promotions WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()
        .ok()
        .flatten();
    match state {
        Some(state) => Error::refused(format!(
            "promotion {id} is no longer open (it is {state}); nothing was changed"
        )),
        None => Error::bad_input(format!("no promotion {id}")),
    }
}

impl Store {
    /// Start a promotion: write the `intended` row, owned by `p.owner`, and reserve its
    /// approvals, in one transaction. Refused ([`busy`]) while another entry targeting the same
    /// repository and tag is open, and when an approval is already reserved or consumed.
    pub fn journal_begin(&mut self, p: &NewPromotion) -> Result<Promotion> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let open = match &p.git {
            Some(g) => open_for_git(&tx, g)?,
            None => open_for(&tx, &p.dst_repository, &p.tag)?,
        };
        if let Some(open) = open {
            return Err(busy(&open));
        }
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
            "INSERT INTO promotions (kind, app, from_env, to_env, digest, src_repository, dst_repository, tag, approvals, evaluation, actor, previous, state, created_at, updated_at, owner_host, owner_pid, owner_started, owner_token, heartbeat_at, git, file, image, branch, emergency_reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'intended', ?13, ?13, ?14, ?15, ?16, ?17, ?13, ?18, ?19, ?20, ?21, ?22)",
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
                p.owner.host,
                p.owner.pid,
                p.owner.started,
                p.owner.token,
                p.git.as_ref().map(|g| &g.git),
                p.git.as_ref().map(|g| &g.file),
                p.git.as_ref().and_then(|g| g.image.as_ref()),
                p.git.as_ref().map(|g| &g.branch),
                p.emergency_reason,
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
            &format!("UPDATE promotions SET state = ?2, updated_at = ?3 WHERE id = ?1 AND {OPEN}"),
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

    /// Mark an open entry failed and release its approvals. Refused, with nothing changed, when
    /// the entry is no longer open: the approvals of a recorded entry stay consumed.
    pub fn journal_fail(&mut self, id: i64, error: &str, at: DateTime<Utc>) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            &format!("UPDATE promotions SET state = 'failed', error = ?2, updated_at = ?3 WHERE id = ?1 AND {OPEN}"),
            params![id, error, stamp(at)],
        )?;
        if n != 1 {
            return Err(no_longer_open(&tx, id));
        }
        tx.execute(
            "DELETE FROM promotion_approvals WHERE promotion_id = ?1",
            [id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Append the promotion's history event, then `observation` (what the read-back of the
    /// target tag showed) when given, and mark the entry recorded, in one transaction.
    /// Returns the promotion's event.
    pub fn journal_record(
        &mut self,
        id: i64,
        event: NewEvent,
        observation: Option<NewEvent>,
    ) -> Result<Event> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let state: String =
            tx.query_row("SELECT state FROM promotions WHERE id = ?1", [id], |r| {
                r.get(0)
            })?;
        if state == "recorded" || state == "failed" || state == "review" {
            return Err(Error::refused(format!("promotion {id} is already {state}")));
        }
        let at = stamp(event.at);
        let events = std::iter::once(event).chain(observation).collect();
        let event = super::events::append(&tx, events)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::internal("append returned no event"))?;
        let n = tx.execute(
            &format!("UPDATE promotions SET state = 'recorded', event_seq = ?2, updated_at = ?3 WHERE id = ?1 AND {OPEN}"),
            params![id, event.seq, at],
        )?;
        if n != 1 {
            return Err(no_longer_open(&tx, id));
        }
        tx.commit()?;
        Ok(event)
    }

    /// The owner says it is still running `id`: refresh the heartbeat. `false` when the entry is
    /// no longer open or no longer held by `token`.
    pub fn journal_heartbeat(&mut self, id: i64, token: &str, at: DateTime<Utc>) -> Result<bool> {
        let n = self.conn.execute(
            &format!("UPDATE promotions SET heartbeat_at = ?3 WHERE id = ?1 AND owner_token = ?2 AND {OPEN}"),
            params![id, token, stamp(at)],
        )?;
        Ok(n == 1)
    }

    /// Take over an open entry whose owner is gone: `true` when this call won (the entry was
    /// still open and still held by `was`, the token seen when deciding it was abandoned;
    /// `None` for an entry without owner). Two recoveries racing for one entry: one wins.
    pub fn journal_claim(
        &mut self,
        id: i64,
        was: Option<&str>,
        owner: &JournalOwner,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let n = self.conn.execute(
            &format!("UPDATE promotions SET owner_host = ?3, owner_pid = ?4, owner_started = ?5, owner_token = ?6, heartbeat_at = ?7 WHERE id = ?1 AND owner_token IS ?2 AND {OPEN}"),
            params![id, was, owner.host, owner.pid, owner.started, owner.token, stamp(at)],
        )?;
        Ok(n == 1)
    }

    /// The run holding `token` stops without deciding the entry: clear its owner, so that the
    /// next recovery (of any process) finishes or fails it. A closed entry is left as it is.
    pub fn journal_release(&mut self, id: i64, token: &str) -> Result<()> {
        self.conn.execute(
            &format!("UPDATE promotions SET owner_host = NULL, owner_pid = NULL, owner_started = NULL, owner_token = NULL WHERE id = ?1 AND owner_token = ?2 AND {OPEN}"),
            params![id, token],
        )?;
        Ok(())
    }

    /// The signed commit of an open git entry, written before it is pushed (a compare-and-swap
    /// retry replaces it with the commit made on the new tip).
    pub fn journal_set_commit(&mut self, id: i64, commit: &str, at: DateTime<Utc>) -> Result<()> {
        let n = self.conn.execute(
            &format!("UPDATE promotions SET commit_id = ?2, updated_at = ?3 WHERE id = ?1 AND git IS NOT NULL AND {OPEN}"),
            params![id, commit, stamp(at)],
        )?;
        if n != 1 {
            return Err(no_longer_open(&self.conn, id));
        }
        Ok(())
    }

    /// A git entry whose commit was pushed to `review_branch` (`push = "branch"`): it ends in
    /// `review`, its approvals stay consumed by the signed commit.
    pub fn journal_review(
        &mut self,
        id: i64,
        review_branch: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let n = self.conn.execute(
            &format!("UPDATE promotions SET state = 'review', review_branch = ?2, updated_at = ?3 WHERE id = ?1 AND git IS NOT NULL AND commit_id IS NOT NULL AND {OPEN}"),
            params![id, review_branch, stamp(at)],
        )?;
        if n != 1 {
            return Err(no_longer_open(&self.conn, id));
        }
        Ok(())
    }

    /// The open entry moving the deployment file `place`, if any.
    pub fn journal_open_for_git(&self, place: &GitPlace) -> Result<Option<Promotion>> {
        open_for_git(&self.conn, place)
    }

    /// The open entry moving `repository:tag`, if any.
    pub fn journal_open_for(&self, repository: &str, tag: &str) -> Result<Option<Promotion>> {
        open_for(&self.conn, repository, tag)
    }

    /// Entries neither recorded nor failed, oldest first.
    pub fn journal_open(&self) -> Result<Vec<Promotion>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM promotions WHERE {OPEN} ORDER BY id"
        ))?;
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

/// Where a promotion journal entry stands, as far as drift is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalOutcome {
    /// `intended`, `pushed` or `verified`: still running (recovery finishes or fails entries
    /// whose process is gone before any CLI command, `sync` included).
    Open,
    Recorded,
    Failed,
}

/// The newest promotion journal entry that targets one tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPromotion {
    pub journal: i64,
    pub actor: String,
    pub digest: Digest,
    pub outcome: JournalOutcome,
}

/// The newest journal entry for app × environment and `repository:tag` (read only).
pub(super) fn newest_promotion(
    conn: &rusqlite::Connection,
    app: &str,
    env: &str,
    repository: &str,
    tag: &str,
) -> Result<Option<TagPromotion>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, actor, state, digest FROM promotions
          WHERE app = ?1 AND to_env = ?2 AND dst_repository = ?3 AND tag = ?4
          ORDER BY id DESC LIMIT 1",
    )?;
    let newest: Option<(i64, String, String, String)> = stmt
        .query_row(params![app, env, repository, tag], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((journal, actor, state, digest)) = newest else {
        return Ok(None);
    };
    let digest = Digest::parse(&digest).map_err(|_| {
        Error::database(format!(
            "promotion journal entry {journal} holds a malformed digest"
        ))
        .with_hint(crate::Hint::Verify)
    })?;
    Ok(Some(TagPromotion {
        journal,
        actor,
        digest,
        outcome: match state.as_str() {
            "recorded" => JournalOutcome::Recorded,
            "failed" => JournalOutcome::Failed,
            _ => JournalOutcome::Open,
        },
    }))
}
