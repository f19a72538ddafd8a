//! The chain walk behind [`crate::store::Store::verify_chain`]: every event in `seq` order,
//! each row's link and hash checked, the append-only triggers, and the derived timeline tables
//! ([`super::derived`]).

use std::collections::HashMap;

use rusqlite::types::ValueRef;
use rusqlite::Connection;

use super::derived::Derived;
use super::{formula_trying, Formula, Hashed, GENESIS, TRIGGERS};
use crate::store::{BrokenLink, ChainReport};
use crate::Result;

/// Walk every event in `seq` order (streaming) and report the first link that does not hold:
/// a missing `seq` (a deleted row), a `prev_hash` that is not the previous row's hash (rows
/// reordered or replaced), a hash that its content does not produce (an edited row). Then check
/// the append-only triggers, and that the derived timeline tables agree with the events.
pub fn verify(conn: &Connection) -> Result<ChainReport> {
    let _span = tracing::debug_span!("verify_chain").entered();
    let mut stmt = conn.prepare(
        "SELECT seq, at, kind, app, env, digest, actor, data, prev_hash, hash FROM events ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut count: u64 = 0;
    let mut expected_seq: i64 = 1;
    let mut prev_hash = GENESIS.to_string();
    let mut broken: Option<BrokenLink> = None;
    let mut derived = Derived::default();
    let mut formula = Formula::Whole;
    while let Some(row) = rows.next()? {
        count += 1;
        let seq: i64 = row.get(0)?;
        if broken.is_none() {
            broken = check_row(
                row,
                seq,
                expected_seq,
                &prev_hash,
                &mut formula,
                &mut derived,
            )?;
        }
        expected_seq = seq + 1;
        prev_hash.clear();
        if let ValueRef::Text(hash) = row.get_ref(9)? {
            prev_hash.push_str(&String::from_utf8_lossy(hash));
        }
    }
    drop(rows);
    tracing::debug!(events = count, "chain walked");

    if broken.is_none() {
        broken = derived.compare(conn)?;
    }
    let missing_triggers = missing_triggers(conn)?;
    if !missing_triggers.is_empty() {
        let what = format!(
            "the append-only triggers on events are missing or altered ({}): the database was modified outside Tollgate",
            missing_triggers.join(", ")
        );
        broken = Some(match broken {
            Some(b) => BrokenLink {
                seq: b.seq,
                reason: format!("{}; also, {what}", b.reason),
            },
            None => BrokenLink {
                seq: 0,
                reason: what,
            },
        });
    }
    Ok(ChainReport {
        events: count,
        head: prev_hash,
        broken,
    })
}

/// Check one row against the previous one; on success, take it into the derived timeline.
fn check_row(
    row: &rusqlite::Row<'_>,
    seq: i64,
    expected_seq: i64,
    prev_hash: &str,
    formula: &mut Formula,
    derived: &mut Derived,
) -> Result<Option<BrokenLink>> {
    if seq != expected_seq {
        return Ok(Some(missing(expected_seq, seq)));
    }
    const COLUMNS: [&str; 10] = [
        "seq",
        "at",
        "kind",
        "app",
        "env",
        "digest",
        "actor",
        "data",
        "prev_hash",
        "hash",
    ];
    let mut text: [Option<&str>; 10] = [None; 10];
    for (i, name) in COLUMNS.iter().enumerate().skip(1) {
        text[i] = match row.get_ref(i)? {
            ValueRef::Null if *name == "digest" || *name == "actor" => None,
            ValueRef::Text(t) => match std::str::from_utf8(t) {
                Ok(t) => Some(t),
                Err(_) => return Ok(Some(edited(seq, &format!("its {name} is not UTF-8 text")))),
            },
            _ => return Ok(Some(edited(seq, &format!("its {name} is not text")))),
        };
    }
    let req = |i: usize| text[i].expect("required columns are text");
    if req(8) != prev_hash {
        return Ok(Some(BrokenLink {
            seq,
            reason: format!(
                "event {seq} does not follow event {}: its prev_hash is not that event's hash, so rows were reordered or replaced",
                seq - 1
            ),
        }));
    }
    let data = match serde_json::from_str::<serde_json::Value>(req(7)) {
        Ok(d) if d.is_object() => d,
        _ => return Ok(Some(edited(seq, "its data is not a JSON object"))),
    };
    let (at, kind, app, env, digest, actor) = (req(1), req(2), req(3), req(4), text[5], text[6]);
    let fields = Hashed {
        seq,
        at,
        kind,
        app,
        env,
        digest,
        actor,
        data: &data,
    };
    match formula_trying(prev_hash, &fields, req(9), *formula) {
        Some(f) => *formula = f,
        None => return Ok(Some(edited(seq, "its content no longer produces its hash"))),
    }
    derived.apply(seq, kind, app, env, digest, &data);
    Ok(None)
}

fn missing(expected: i64, found: i64) -> BrokenLink {
    let what = if found == expected + 1 {
        format!("event {expected} is missing")
    } else {
        format!("events {expected} to {} are missing", found - 1)
    };
    BrokenLink {
        seq: expected,
        reason: format!("{what} (the next is {found}): rows were deleted from the history"),
    }
}

fn edited(seq: i64, why: &str) -> BrokenLink {
    BrokenLink {
        seq,
        reason: format!("event {seq} was edited: {why}"),
    }
}

/// Names of the append-only triggers that are absent or no longer refuse the change.
fn missing_triggers(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'",
    )?;
    let found: HashMap<String, String> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(TRIGGERS
        .iter()
        .filter(|name| {
            found
                .get(**name)
                .is_none_or(|sql| !sql.to_ascii_uppercase().contains("RAISE(ABORT"))
        })
        .map(|name| name.to_string())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_rows_are_named() {
        assert_eq!(missing(2, 3).seq, 2);
        assert!(missing(2, 3).reason.starts_with("event 2 is missing"));
        assert!(missing(2, 5)
            .reason
            .starts_with("events 2 to 4 are missing"));
    }
}
