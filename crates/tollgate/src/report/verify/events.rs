//! The events of a report, read back: whole events (links among them: formula 1 events outside
//! the filters, included whole in place of stubs) and stubs. An entry of `events` that is not an
//! event at all is a problem, and left out of every other check.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::Checker;
use crate::domain::{Digest, Event, EventKind};

/// A whole event, read back from the report.
pub(super) struct Whole {
    pub(super) event: Event,
    /// The `at` string as written (the hash covers the string).
    pub(super) at: String,
    pub(super) hashed: String,
    pub(super) in_filter: bool,
    /// A formula 1 event outside the filters, included whole in place of a stub.
    pub(super) link: bool,
    /// `unapproved` as the report states it.
    pub(super) unapproved: bool,
}

/// One entry of a report's `events`: a whole event (or a link), or a stub.
pub(super) enum Entry {
    Whole(Box<Whole>),
    Stub {
        seq: i64,
        prev_hash: String,
        hash: String,
        /// Its formula 2 header text (version 2).
        hashed: Option<String>,
    },
}

impl Entry {
    pub(super) fn seq(&self) -> i64 {
        match self {
            Entry::Whole(w) => w.event.seq,
            Entry::Stub { seq, .. } => *seq,
        }
    }
    pub(super) fn prev_hash(&self) -> &str {
        match self {
            Entry::Whole(w) => &w.event.prev_hash,
            Entry::Stub { prev_hash, .. } => prev_hash,
        }
    }
    pub(super) fn hash(&self) -> &str {
        match self {
            Entry::Whole(w) => &w.event.hash,
            Entry::Stub { hash, .. } => hash,
        }
    }
}

/// 64 lower-case hex digits.
fn is_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Checker<'_> {
    /// Read `events`; entries that are not events at all are problems and left out.
    pub(super) fn read_events(&mut self) -> Vec<Entry> {
        let Some(list) = self.top.get("events").and_then(Value::as_array) else {
            self.problem(None, "the report has no \"events\" list");
            return Vec::new();
        };
        let mut out = Vec::with_capacity(list.len());
        for (i, v) in list.iter().enumerate() {
            let obj = v.as_object();
            let seq = obj.and_then(|o| o.get("seq")).and_then(Value::as_i64);
            let hash_of = |k: &str| {
                obj.and_then(|o| o.get(k))
                    .and_then(Value::as_str)
                    .filter(|h| is_hash(h))
                    .map(str::to_string)
            };
            let (Some(o), Some(seq), Some(prev_hash), Some(hash)) =
                (obj, seq, hash_of("prev_hash"), hash_of("hash"))
            else {
                self.problem(
                    seq,
                    format!("entry {} of \"events\" is not an event: it needs seq, and prev_hash and hash as 64 lower-case hex digits", i + 1),
                );
                continue;
            };
            if o.get("stub").and_then(Value::as_bool) == Some(true) {
                out.push(Entry::Stub {
                    seq,
                    prev_hash,
                    hash,
                    hashed: o.get("hashed").and_then(Value::as_str).map(str::to_string),
                });
                continue;
            }
            match read_whole(o, seq, prev_hash, hash) {
                Ok(w) => out.push(Entry::Whole(Box::new(w))),
                Err(why) => self.problem(Some(seq), why),
            }
        }
        out
    }
}

/// Read a whole event; `Err` is why it cannot be read.
fn read_whole(
    o: &Map<String, Value>,
    seq: i64,
    prev_hash: String,
    hash: String,
) -> std::result::Result<Whole, String> {
    let string = |k: &str| -> std::result::Result<String, String> {
        o.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("{k} is missing or not a string"))
    };
    let optional = |k: &str| -> std::result::Result<Option<String>, String> {
        match o.get(k) {
            Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            _ => Err(format!("{k} is missing or neither a string nor null")),
        }
    };
    let at = string("at")?;
    let parsed_at: DateTime<Utc> = DateTime::parse_from_rfc3339(&at)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("at {at:?} is not an RFC 3339 time"))?;
    let kind_text = string("kind")?;
    let kind = EventKind::parse(&kind_text)
        .ok_or_else(|| format!("kind {kind_text:?} is not a kind this tollgate knows"))?;
    let digest = optional("digest")?
        .map(|d| Digest::parse(&d).map_err(|e| format!("digest: {}", e.message)))
        .transpose()?;
    let data = match o.get("data") {
        Some(d @ Value::Object(_)) => d.clone(),
        _ => return Err("data is missing or not a JSON object".into()),
    };
    Ok(Whole {
        event: Event {
            seq,
            at: parsed_at,
            kind,
            app: string("app")?,
            env: string("env")?,
            digest,
            actor: optional("actor")?,
            data,
            prev_hash,
            hash,
        },
        at,
        hashed: string("hashed")?,
        in_filter: o.get("in_filter").and_then(Value::as_bool).unwrap_or(true),
        link: o.get("link").and_then(Value::as_bool).unwrap_or(false),
        unapproved: o
            .get("unapproved")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// Whether the report starts at event 1: the whole history's start, from which the segments and
/// the conflicts can be re-derived.
pub(super) fn starts_at_one(entries: &[Entry]) -> bool {
    entries.iter().map(Entry::seq).min() == Some(1)
}
