//! The JSON report: self-contained, checkable with `sha256sum` and `ssh-keygen -Y verify`.
//! The layout is documented in `docs/AUDIT-FORMAT.md`; the writer streams it, one event per line:
//!
//! ```text
//! {"format":"tollgate.audit-report",
//! "version":1,
//! ... (generator, generated_at, workspace, filters, hash_formula, database, allowed_signers)
//! "events":[
//! {"seq":1,"prev_hash":"…","hash":"…","at":"…","kind":"record",…,"data":{…},"hashed":"{…}","in_filter":true},
//! {"seq":2,"prev_hash":"…","hash":"…","stub":true},
//! …
//! ],
//! "range":{"first_seq":1,"last_seq":2,"start_prev_hash":"…","end_hash":"…"},
//! "summary":{…},
//! "conflicts":[…]}
//! ```

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::conflicts::Conflict;
use super::{rfc3339, Item, Meta, Selection, Summary, SummaryBuilder, FORMAT, VERSION};
use crate::domain::{canonical_json, Event};
use crate::store::chain::{format_at, Hashed};
use crate::{Error, Result};

/// The hash formula, stated in every report (the definition: [`crate::store::chain::event_hash`]).
pub const HASH_FORMULA: &str = "hash = sha256_hex(prev_hash + \"\\n\" + hashed); hashed = canonical JSON (keys sorted, no white space, UTF-8) of {seq, at, kind, app, env, digest, actor, data}; the first event's prev_hash is 64 zeros";

/// A whole event as the report writes it.
#[derive(Debug, Serialize)]
struct FullEvent<'a> {
    seq: i64,
    prev_hash: &'a str,
    hash: &'a str,
    at: &'a str,
    kind: &'a str,
    app: &'a str,
    env: &'a str,
    digest: Option<&'a str>,
    actor: Option<&'a str>,
    data: &'a serde_json::Value,
    /// The exact string whose hash (after `prev_hash` and a newline) is `hash`.
    hashed: &'a str,
    in_filter: bool,
    /// A `record` that skipped a policy's approvals (derived at export time, not hashed).
    unapproved: bool,
}

#[derive(Debug, Serialize)]
struct StubEvent<'a> {
    seq: i64,
    prev_hash: &'a str,
    hash: &'a str,
    stub: bool,
}

/// The range of the chain a report covers (`null`s when nothing matched).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
    pub start_prev_hash: Option<String>,
    pub end_hash: Option<String>,
}

impl From<&Selection> for Range {
    fn from(s: &Selection) -> Self {
        Range {
            first_seq: s.first_seq,
            last_seq: s.last_seq,
            start_prev_hash: s.start_prev_hash.clone(),
            end_hash: s.end_hash.clone(),
        }
    }
}

/// The canonical string an event's hash covers (without `prev_hash`).
pub fn hashed_string(event: &Event) -> String {
    let at = format_at(event.at);
    canonical_json(&Hashed::of(event, &at))
}

/// Streams a JSON report to `out`: [`start`](Self::start), [`item`](Self::item) for each item in
/// order, then [`finish`](Self::finish).
pub struct JsonWriter<W: Write> {
    out: W,
    first: bool,
    summary: SummaryBuilder,
    conflicts: Vec<Conflict>,
}

fn io(e: std::io::Error) -> Error {
    Error::internal(format!("cannot write the report: {e}"))
}

fn to_json<T: Serialize + ?Sized>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::internal(format!("cannot write JSON: {e}")))
}

impl<W: Write> JsonWriter<W> {
    pub fn start(mut out: W, meta: &Meta) -> Result<Self> {
        let generator = format!("tollgate {}", env!("CARGO_PKG_VERSION"));
        let fields: [(&str, String); 9] = [
            ("version", to_json(&VERSION)?),
            ("generator", to_json(&generator)?),
            ("generated_at", to_json(&rfc3339(meta.generated_at))?),
            ("workspace", to_json(&meta.workspace)?),
            ("filters", to_json(&meta.filters)?),
            ("hash_formula", to_json(HASH_FORMULA)?),
            ("database", to_json(&meta.database)?),
            ("allowed_signers", to_json(&meta.allowed_signers)?),
            ("events", "[".to_string()),
        ];
        write!(out, "{{\"format\":{}", to_json(FORMAT)?).map_err(io)?;
        for (k, v) in fields {
            write!(out, ",\n\"{k}\":{v}").map_err(io)?;
        }
        Ok(JsonWriter {
            out,
            first: true,
            summary: SummaryBuilder::default(),
            conflicts: Vec::new(),
        })
    }

    /// The team conflicts the report states (after the summary, key `conflicts`).
    pub fn with_conflicts(mut self, conflicts: Vec<Conflict>) -> Self {
        self.conflicts = conflicts;
        self
    }

    pub fn item(&mut self, item: &Item) -> Result<()> {
        let line = match item {
            Item::Event {
                event,
                in_filter,
                unapproved,
            } => {
                self.summary.event(event);
                let at = format_at(event.at);
                let hashed = canonical_json(&Hashed::of(event, &at));
                to_json(&FullEvent {
                    seq: event.seq,
                    prev_hash: &event.prev_hash,
                    hash: &event.hash,
                    at: &at,
                    kind: event.kind.as_str(),
                    app: &event.app,
                    env: &event.env,
                    digest: event.digest.as_ref().map(|d| d.as_str()),
                    actor: event.actor.as_deref(),
                    data: &event.data,
                    hashed: &hashed,
                    in_filter: *in_filter,
                    unapproved: *unapproved,
                })?
            }
            Item::Stub {
                seq,
                prev_hash,
                hash,
            } => {
                self.summary.stub();
                to_json(&StubEvent {
                    seq: *seq,
                    prev_hash,
                    hash,
                    stub: true,
                })?
            }
        };
        let sep = if std::mem::take(&mut self.first) {
            "\n"
        } else {
            ",\n"
        };
        self.out.write_all(sep.as_bytes()).map_err(io)?;
        self.out.write_all(line.as_bytes()).map_err(io)
    }

    /// Close the events, write the range and the summary; returns the summary and the writer.
    pub fn finish(mut self, selection: &Selection) -> Result<(Summary, W)> {
        let summary = self.summary.finish();
        write!(
            self.out,
            "\n],\n\"range\":{},\n\"summary\":{},\n\"conflicts\":{}}}\n",
            to_json(&Range::from(selection))?,
            to_json(&summary)?,
            to_json(&self.conflicts)?
        )
        .map_err(io)?;
        self.out.flush().map_err(io)?;
        Ok((summary, self.out))
    }
}
