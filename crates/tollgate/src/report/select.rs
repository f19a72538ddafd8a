//! Which events a report holds, streamed in `seq` order.
//!
//! 1. The events that match the filters.
//! 2. The approvals that a matching promotion or rollback counted (`data.approvals`), even when
//!    they fall outside the filters (an approval signed before `--since`, say): a report shows
//!    who approved every promotion in it, with the signature.
//! 3. For every other event between the first and the last of those, a *link stub*: its `seq`,
//!    `prev_hash`, `hash` and, the event being hashed with formula 2, its hashed header (`seq`,
//!    `at`, `kind`, `app`, `env`, `digest`, `actor`, the sha256 of its data), which proves that
//!    it is outside the filters. An event hashed with formula 1 cannot prove that without its
//!    data: it is included whole instead ([`Item::Link`]). The range a report covers is then a
//!    contiguous piece of the chain, so a reader can check that nothing in it was left out or
//!    reordered. A report without filters has no stubs: every event is whole.
//!
//! Two streaming passes over the store (the filtered events, then the range), holding only the
//! `seq`s of the matching events and of the counted approvals in memory.

use std::collections::BTreeSet;

use super::Filters;
use crate::domain::Event;
use crate::store::chain::{event_hash, format_at, header_text, Hashed};
use crate::store::{EventFilter, Store};
use crate::{Code, Error, Result};

/// One entry of a report, in `seq` order.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A whole event. `in_filter` is `false` for an approval included only because a promotion
    /// in the report counted it. `unapproved`: a `record` into an environment with a policy
    /// that no approved promotion or rollback had put its digest there before (derived from the
    /// history and tollgate.toml at export time, not part of the hashed event).
    Event {
        event: Event,
        in_filter: bool,
        unapproved: bool,
    },
    /// An event of the range that the report leaves out: enough to check the links, and its
    /// formula 2 header text (`hashed`), which shows that it is outside the filters.
    Stub {
        seq: i64,
        prev_hash: String,
        hash: String,
        hashed: String,
    },
    /// An event of the range outside the filters that formula 1 hashed: a stub could not prove
    /// where it belongs, so it is included whole, as a link (counted as a stub in summaries).
    Link { event: Event },
}

impl Item {
    pub fn seq(&self) -> i64 {
        match self {
            Item::Event { event, .. } | Item::Link { event } => event.seq,
            Item::Stub { seq, .. } => *seq,
        }
    }
}

/// What [`select`] walked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// First and last `seq` of the range (`None` when nothing matched).
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
    /// `prev_hash` of the first event of the range, `hash` of the last.
    pub start_prev_hash: Option<String>,
    pub end_hash: Option<String>,
    /// Whole events that match the filters.
    pub matched: u64,
    /// Whole events included only because a promotion counted them.
    pub context: u64,
    /// Events of the range outside the filters: link stubs, and formula 1 events included
    /// whole as links.
    pub stubs: u64,
}

/// The message of the error that stops the walk early (never shown).
const STOP: &str = "report selection complete";

/// Walk the report's items in `seq` order, calling `f` with each. `head_seq` bounds the walk:
/// events appended after the chain check that preceded the export are left out. `gated(app,
/// env)`: the environment has a policy (its records are checked for being unapproved).
pub fn select(
    store: &Store,
    filters: &Filters,
    head_seq: i64,
    gated: &dyn Fn(&str, &str) -> bool,
    mut f: impl FnMut(Item) -> Result<()>,
) -> Result<Selection> {
    let unfiltered = filters.app.is_none()
        && filters.env.is_none()
        && filters.since.is_none()
        && filters.until.is_none();
    // Pass 1: the seqs that match, and the approvals they counted.
    let mut matched: Vec<i64> = Vec::new();
    let mut referenced: BTreeSet<i64> = BTreeSet::new();
    if !unfiltered {
        store.for_each_event(&filters.event_filter(), |e| {
            if e.seq <= head_seq {
                referenced.extend(e.counted_approvals());
                matched.push(e.seq);
            }
            Ok(())
        })?;
        if matched.is_empty() {
            return Ok(Selection::default());
        }
    }
    let first = match (matched.first(), referenced.first()) {
        _ if unfiltered => 1,
        (Some(&m), Some(&r)) => m.min(r),
        (Some(&m), None) => m,
        (None, _) => return Ok(Selection::default()),
    };
    let last = if unfiltered {
        head_seq
    } else {
        *matched.last().expect("not empty")
    };

    // Pass 2: the range, in order. Stubs wait until a whole event follows them, so that the
    // range ends with the last whole event.
    let mut sel = Selection::default();
    let mut pending: Vec<Item> = Vec::new();
    let mut next_match = matched.iter().peekable();
    let walk = store.for_each_event(&EventFilter::default(), |event| {
        let seq = event.seq;
        if seq < first {
            return Ok(());
        }
        if seq > last {
            return Err(Error::internal(STOP));
        }
        while next_match.next_if(|&&m| m < seq).is_some() {}
        let in_filter = unfiltered || next_match.next_if(|&&m| m == seq).is_some();
        if !in_filter && !referenced.contains(&seq) {
            pending.push(left_out(event));
            return Ok(());
        }
        if sel.first_seq.is_none() {
            sel.first_seq = Some(pending.first().map_or(seq, Item::seq));
            sel.start_prev_hash = Some(match pending.first() {
                Some(Item::Stub { prev_hash, .. }) => prev_hash.clone(),
                Some(Item::Link { event: first }) => first.prev_hash.clone(),
                _ => event.prev_hash.clone(),
            });
        }
        for stub in pending.drain(..) {
            sel.stubs += 1;
            f(stub)?;
        }
        sel.last_seq = Some(seq);
        sel.end_hash = Some(event.hash.clone());
        if in_filter {
            sel.matched += 1;
        } else {
            sel.context += 1;
        }
        let unapproved = event.kind == crate::domain::EventKind::Record
            && gated(&event.app, &event.env)
            && store.record_unapproved(&event)?;
        f(Item::Event {
            event,
            in_filter,
            unapproved,
        })
    });
    match walk {
        Err(e) if e.code == Code::Internal && e.message == STOP => {}
        other => other?,
    }
    Ok(sel)
}

/// An event of the range outside the filters: a stub with its formula 2 header, or, hashed
/// with formula 1 (or with a hash its content does not give: never hidden), the whole event.
fn left_out(event: Event) -> Item {
    let at = format_at(event.at);
    let fields = Hashed::of(&event, &at);
    if event_hash(&event.prev_hash, &fields) == event.hash {
        let hashed = header_text(&fields);
        return Item::Stub {
            seq: event.seq,
            prev_hash: event.prev_hash,
            hash: event.hash,
            hashed,
        };
    }
    Item::Link { event }
}
