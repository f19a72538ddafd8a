//! The `events` table: appending chained events and reading them back.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use super::chain::{event_hash, format_at, Hashed, GENESIS};
use super::messages::NOT_REPLAYED;
use super::timeline::{insert_segment, load_head, save_head};
use super::EventFilter;
use crate::domain::timeline::HeadState;
use crate::domain::{canonical_json, Digest, Event, EventKind, NewEvent};
use crate::{Error, Result};

/// The columns of `events`, in the order [`read_event`] expects.
pub(super) const COLUMNS: &str = "seq, at, kind, app, env, digest, actor, data, prev_hash, hash";

/// See [`super::Store::digests_starting_with`]. The prefix is matched as a range of the
/// text column (`>= sha256:P` and `< sha256:P` followed by a character above every hex digit),
/// so no pattern character in it could widen the match.
pub(super) fn digests_starting_with(
    conn: &Connection,
    app: &str,
    hex_prefix: &str,
    limit: usize,
) -> Result<Vec<Digest>> {
    let low = format!("sha256:{hex_prefix}");
    let high = format!("sha256:{hex_prefix}~");
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT digest FROM events WHERE app = ?1 AND digest >= ?2 AND digest < ?3 \
         ORDER BY digest LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![app, low, high, limit as i64], |r| {
        r.get::<_, String>(0)
    })?;
    let mut out = Vec::new();
    for row in rows {
        out.push(Digest::parse(&row?)?);
    }
    Ok(out)
}

/// `seq` and `hash` of the last event (`0` and [`GENESIS`] for an empty chain).
pub(super) fn chain_head(conn: &Connection) -> Result<(i64, String)> {
    let mut stmt = conn.prepare_cached("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")?;
    Ok(stmt
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or_else(|| (0, GENESIS.to_string())))
}

/// The hash of the event at `seq`, if there is one.
pub(super) fn hash_at(conn: &Connection, seq: i64) -> Result<Option<String>> {
    let mut stmt = conn.prepare_cached("SELECT hash FROM events WHERE seq = ?1")?;
    Ok(stmt.query_row([seq], |r| r.get(0)).optional()?)
}

/// Append `events` after the current head, chaining each, and keep the timeline tables up to
/// date. The caller runs this inside one `BEGIN IMMEDIATE` transaction.
pub(super) fn append(conn: &Connection, events: Vec<NewEvent>) -> Result<Vec<Event>> {
    let (mut seq, mut prev_hash) = chain_head(conn)?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO events (seq, at, kind, app, env, digest, actor, data, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    // Head state of each app × environment touched by this batch: app → env → state.
    let mut heads: HashMap<String, HashMap<String, HeadState>> = HashMap::new();
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        seq += 1;
        let data = match e.data {
            serde_json::Value::Null => serde_json::Value::Object(Default::default()),
            d @ serde_json::Value::Object(_) => d,
            other => {
                return Err(Error::bad_input(format!(
                    "event data must be a JSON object, not {other}; nothing was appended"
                )))
            }
        };
        let at = format_at(e.at);
        let kind = e.kind.as_str();
        let digest = e.digest.as_ref().map(Digest::as_str);
        let hash = event_hash(
            &prev_hash,
            &Hashed {
                seq,
                at: &at,
                kind,
                app: &e.app,
                env: &e.env,
                digest,
                actor: e.actor.as_deref(),
                data: &data,
            },
        );
        insert.execute(params![
            seq,
            at,
            kind,
            e.app,
            e.env,
            digest,
            e.actor,
            canonical_json(&data),
            prev_hash,
            hash
        ])?;

        if !heads.contains_key(&e.app) {
            heads.insert(e.app.clone(), HashMap::new());
        }
        let envs = heads.get_mut(&e.app).expect("inserted above");
        if !envs.contains_key(&e.env) {
            envs.insert(e.env.clone(), load_head(conn, &e.app, &e.env)?);
        }
        let replayed = super::messages::note(conn, seq, e.kind, &data)?.is_some();
        if envs.get_mut(&e.env).expect("inserted above").apply_event(
            seq,
            e.kind,
            digest,
            replayed,
            crate::domain::timeline::is_baseline(&data),
        ) {
            insert_segment(conn, &e.app, &e.env, seq, &at)?;
        }

        let stored_at = parse_time(seq, &at)?;
        out.push(Event {
            seq,
            at: stored_at,
            kind: e.kind,
            app: e.app,
            env: e.env,
            digest: e.digest,
            actor: e.actor,
            data,
            prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
            hash,
        });
    }
    for (app, envs) in &heads {
        for (env, state) in envs {
            save_head(conn, app, env, state)?;
        }
    }
    Ok(out)
}

/// Parse a stored event time.
pub(super) fn parse_time(seq: i64, at: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            Error::database(format!("event {seq} has an unreadable time '{at}' ({e})"))
                .with_hint(crate::Hint::Verify)
        })
}

/// One row of `SELECT {COLUMNS} FROM events` as an [`Event`].
pub(super) fn read_event(r: &Row<'_>) -> Result<Event> {
    let seq: i64 = r.get(0)?;
    let bad = |what: String| {
        Error::database(format!("event {seq} is unreadable: {what}")).with_hint(crate::Hint::Verify)
    };
    let at: String = r.get(1)?;
    let kind: String = r.get(2)?;
    let digest: Option<String> = r.get(5)?;
    let data: String = r.get(7)?;
    Ok(Event {
        seq,
        at: parse_time(seq, &at)?,
        kind: EventKind::parse(&kind).ok_or_else(|| bad(format!("unknown kind '{kind}'")))?,
        app: r.get(3)?,
        env: r.get(4)?,
        digest: digest
            .map(|d| Digest::parse(&d).map_err(|e| bad(e.message)))
            .transpose()?,
        actor: r.get(6)?,
        data: serde_json::from_str(&data)
            .map_err(|e| bad(format!("its data is not JSON ({e})")))?,
        prev_hash: r.get(8)?,
        hash: r.get(9)?,
    })
}

/// The event with this `seq`.
pub(super) fn event_by_seq(conn: &Connection, seq: i64) -> Result<Event> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM events WHERE seq = ?1"))?;
    let mut rows = stmt.query([seq])?;
    match rows.next()? {
        Some(r) => read_event(r),
        None => Err(Error::database(format!(
            "event {seq} is referenced by the timeline but missing from the history"
        ))
        .with_hint(crate::Hint::Verify)),
    }
}

/// The newest record, promotion or rollback of `digest` into this app × environment with
/// `after < seq < before` (no upper bound when `before` is `None`): who vouched for a stay. A
/// replayed statement vouches for nothing.
pub(super) fn last_vouch(
    conn: &Connection,
    app: &str,
    env: &str,
    digest: &Digest,
    after: i64,
    before: Option<i64>,
) -> Result<Option<Event>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM events
          WHERE app = ?1 AND env = ?2 AND kind IN ('record', 'promotion', 'rollback')
            AND digest = ?3 AND seq > ?4 AND seq < ?5 AND {NOT_REPLAYED}
          ORDER BY seq DESC LIMIT 1"
    ))?;
    let mut rows = stmt.query(params![
        app,
        env,
        digest.as_str(),
        after,
        before.unwrap_or(i64::MAX)
    ])?;
    rows.next()?.map(read_event).transpose()
}

/// Round up to a whole millisecond.
fn ceil_ms(t: DateTime<Utc>) -> DateTime<Utc> {
    let sub = t.timestamp_subsec_nanos() % 1_000_000;
    if sub == 0 {
        t
    } else {
        t + chrono::Duration::nanoseconds(i64::from(1_000_000 - sub))
    }
}

/// Call `f` with each event that matches `filter`, in `seq` order, streaming.
pub(super) fn for_each(
    conn: &Connection,
    filter: &EventFilter,
    mut f: impl FnMut(Event) -> Result<()>,
) -> Result<()> {
    let mut conds = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    if let Some(app) = &filter.app {
        args.push(Value::Text(app.clone()));
        conds.push(format!("app = ?{}", args.len()));
    }
    if let Some(env) = &filter.env {
        args.push(Value::Text(env.clone()));
        conds.push(format!("env = ?{}", args.len()));
    }
    // Stored times all have the same fixed-width form, so text order is time order; a bound
    // finer than a millisecond is rounded up, which keeps `since` inclusive and `until` exclusive.
    if let Some(since) = filter.since {
        args.push(Value::Text(format_at(ceil_ms(since))));
        conds.push(format!("at >= ?{}", args.len()));
    }
    if let Some(until) = filter.until {
        args.push(Value::Text(format_at(ceil_ms(until))));
        conds.push(format!("at < ?{}", args.len()));
    }
    let mut sql = format!("SELECT {COLUMNS} FROM events");
    if !conds.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conds.join(" AND "));
    }
    sql.push_str(" ORDER BY seq");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(args))?;
    while let Some(r) = rows.next()? {
        f(read_event(r)?)?;
    }
    Ok(())
}
