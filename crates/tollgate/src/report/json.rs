//! The JSON report: self-contained, checkable with `sha256sum` and `ssh-keygen -Y verify`.
//! The layout is documented in `docs/src/audit/format.md`; the writer streams it, one event per
//! line:
//!
//! ```text
//! {"format":"tollgate.audit-report",
//! "version":2,
//! ... (generator, generated_at, workspace, filters, hash_formula, database, allowed_signers, policies)
//! "events":[
//! {"seq":1,"prev_hash":"…","hash":"…","at":"…","kind":"record",…,"data":{…},"formula":2,"hashed":"tollgate.event.v2\n{…}","hashed_data":"{…}","in_filter":true},
//! {"seq":2,"prev_hash":"…","hash":"…","stub":true,"hashed":"tollgate.event.v2\n{…}"},
//! …
//! ],
//! "range":{"first_seq":1,"last_seq":2,"start_prev_hash":"…","end_hash":"…"},
//! "summary":{…},
//! "conflicts":[…],
//! "exceptions":[…] (derived from the events, the conflicts and the promotion journal; not sealed),
//! "seal":{…} (or null, with "unsealed": why)}
//! ```

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::exceptions::ExceptionsBuilder;
use super::seal::{Seal, SealedValues};
use super::{rfc3339, Item, Meta, Selection, Summary, SummaryBuilder, FORMAT, VERSION};
use crate::domain::conflicts::Conflict;
use crate::domain::{canonical_json, Event};
use crate::store::chain::{format_at, formula_of, header_text, Formula, Hashed};
use crate::store::Promotion;
use crate::{Error, Result};

/// The hash formula, stated in every report (the definition: [`crate::store::chain::event_hash`]).
pub const HASH_FORMULA: &str = "hash = sha256_hex(prev_hash + \"\\n\" + hashed); formula 2 (\"formula\":2, every stub): hashed = \"tollgate.event.v2\\n\" + canonical JSON (keys sorted, no white space, UTF-8) of {seq, at, kind, app, env, digest, actor, data_sha256}, data_sha256 = sha256_hex(hashed_data), hashed_data = canonical JSON of data; formula 1 (\"formula\":1): hashed = canonical JSON of {seq, at, kind, app, env, digest, actor, data}; the first event's prev_hash is 64 zeros";

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
    /// Which formula `hash` was made with (1 or 2).
    formula: u8,
    /// The exact string whose hash (after `prev_hash` and a newline) is `hash`.
    hashed: &'a str,
    /// Formula 2: the canonical JSON of `data`, whose sha256 the header holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    hashed_data: Option<&'a str>,
    in_filter: bool,
    /// A formula 1 event outside the filters, included whole in place of a stub.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    link: bool,
    /// A `record` that skipped a policy's approvals (derived at export time, not hashed).
    unapproved: bool,
}

#[derive(Debug, Serialize)]
struct StubEvent<'a> {
    seq: i64,
    prev_hash: &'a str,
    hash: &'a str,
    stub: bool,
    /// The formula 2 header text its hash covers (which shows it is outside the filters).
    hashed: &'a str,
}

/// How the report is sealed at [`JsonWriter::finish`].
pub enum Sealing<'a> {
    /// Sign the sealed values (the exporting identity's key).
    Sign(&'a dyn Fn(&SealedValues) -> Result<Seal>),
    /// No seal, and why (written as `"unsealed"`).
    Unsealed(String),
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

/// The canonical string an event's hash covers (without `prev_hash`), the formula it uses, and
/// for formula 2 the canonical data text. An event whose content gives neither hash is written
/// as formula 1 (the check then names it).
pub fn hashed_string(event: &Event) -> (Formula, String, Option<String>) {
    let at = format_at(event.at);
    let fields = Hashed::of(event, &at);
    match formula_of(&event.prev_hash, &fields, &event.hash) {
        Some(Formula::Header) => (
            Formula::Header,
            header_text(&fields),
            Some(canonical_json(&event.data)),
        ),
        _ => (Formula::Whole, canonical_json(&fields), None),
    }
}

/// Streams a JSON report to `out`: [`start`](Self::start), [`item`](Self::item) for each item in
/// order, then [`finish`](Self::finish).
pub struct JsonWriter<W: Write> {
    out: W,
    first: bool,
    summary: SummaryBuilder,
    conflicts: Vec<Conflict>,
    exceptions: ExceptionsBuilder,
    failed: Vec<Promotion>,
    meta: Meta,
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
        let git_signers = match &meta.allowed_signers_git {
            Some(text) => Some(to_json(text)?),
            None => None,
        };
        let bot_signers = match &meta.allowed_signers_signers {
            Some(text) => Some(to_json(text)?),
            None => None,
        };
        let fields: [(&str, String); 10] = [
            ("version", to_json(&VERSION)?),
            ("generator", to_json(&generator)?),
            ("generated_at", to_json(&rfc3339(meta.generated_at))?),
            ("workspace", to_json(&meta.workspace)?),
            ("filters", to_json(&meta.filters)?),
            ("hash_formula", to_json(HASH_FORMULA)?),
            ("database", to_json(&meta.database)?),
            ("allowed_signers", to_json(&meta.allowed_signers)?),
            ("policies", to_json(&meta.policies)?),
            ("events", "[".to_string()),
        ];
        write!(out, "{{\"format\":{}", to_json(FORMAT)?).map_err(io)?;
        for (k, v) in fields {
            // After allowed_signers: the git namespace's, when the workspace has [[git]], and
            // the [[signers]]' lines, when it has any.
            if k == "policies" {
                if let Some(v) = &git_signers {
                    write!(out, ",\n\"allowed_signers_git\":{v}").map_err(io)?;
                }
                if let Some(v) = &bot_signers {
                    write!(out, ",\n\"allowed_signers_signers\":{v}").map_err(io)?;
                }
            }
            write!(out, ",\n\"{k}\":{v}").map_err(io)?;
        }
        Ok(JsonWriter {
            out,
            first: true,
            summary: SummaryBuilder::default(),
            conflicts: Vec::new(),
            exceptions: ExceptionsBuilder::default(),
            failed: Vec::new(),
            meta: meta.clone(),
        })
    }

    /// The team conflicts the report states (after the summary, key `conflicts`).
    pub fn with_conflicts(mut self, conflicts: Vec<Conflict>) -> Self {
        self.conflicts = conflicts;
        self
    }

    /// The failed promotion journal entries of the period (in `exceptions`).
    pub fn with_failed(mut self, failed: Vec<Promotion>) -> Self {
        self.failed = failed;
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
                self.exceptions.event(event, *in_filter, *unapproved);
                whole(event, *in_filter, false, *unapproved)?
            }
            Item::Link { event } => {
                self.summary.stub();
                whole(event, false, true, false)?
            }
            Item::Stub {
                seq,
                prev_hash,
                hash,
                hashed,
            } => {
                self.summary.stub();
                to_json(&StubEvent {
                    seq: *seq,
                    prev_hash,
                    hash,
                    stub: true,
                    hashed,
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

    /// Close the events, write the range, the summary, the conflicts, the exceptions and the seal; returns the
    /// summary, the seal (`None`: unsealed) and the writer.
    pub fn finish(
        mut self,
        selection: &Selection,
        sealing: Sealing<'_>,
    ) -> Result<(Summary, Option<Seal>, W)> {
        let summary = self.summary.finish();
        let range = Range::from(selection);
        let exceptions = std::mem::take(&mut self.exceptions).finish(&self.conflicts, &self.failed);
        let values = SealedValues::new(
            VERSION,
            &self.meta.workspace,
            &rfc3339(self.meta.generated_at),
            &range,
            &self.meta.database,
            &self.meta.filters,
            &summary,
            &self.conflicts,
            &self.meta.policies,
        );
        let (seal, unsealed) = match sealing {
            Sealing::Sign(sign) => (Some(sign(&values)?), String::new()),
            Sealing::Unsealed(why) => (None, format!(",\n\"unsealed\":{}", to_json(&why)?)),
        };
        write!(
            self.out,
            "\n],\n\"range\":{},\n\"summary\":{},\n\"conflicts\":{},\n\"exceptions\":{}{unsealed},\n\"seal\":{}}}\n",
            to_json(&range)?,
            to_json(&summary)?,
            to_json(&self.conflicts)?,
            to_json(&exceptions)?,
            to_json(&seal)?
        )
        .map_err(io)?;
        self.out.flush().map_err(io)?;
        Ok((summary, seal, self.out))
    }
}

/// A whole event's line: in the filters, counted by a promotion (`in_filter` false), or a
/// formula 1 event in place of a stub (`link`).
fn whole(event: &Event, in_filter: bool, link: bool, unapproved: bool) -> Result<String> {
    let at = format_at(event.at);
    let (formula, hashed, hashed_data) = hashed_string(event);
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
        formula: formula.number(),
        hashed: &hashed,
        hashed_data: hashed_data.as_deref(),
        in_filter,
        link,
        unapproved,
    })
}
