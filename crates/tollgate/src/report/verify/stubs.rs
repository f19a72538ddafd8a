//! Stubs and links of a report: what a left-out event must prove.
//!
//! - A report without filters holds every event whole: any stub or link is a problem (an
//!   event was taken out of the file, its hash kept so the links still hold).
//! - A version 2 stub carries `hashed`, its formula 2 header text: `sha256(prev_hash + "\n" +
//!   hashed)` is its hash, and the header's app, environment and time are outside the filters.
//!   A stub without it (formula 1 cannot be stubbed) is a problem.
//! - A link (a formula 1 event outside the filters, included whole) must be outside them too.
//! - A version 1 stub (no header) proves only its links: counted as unproven, allowed with the
//!   rest of an unsealed report under `--allow-unsealed`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::domain::canonical_json;
use crate::report::Filters;
use crate::store::chain::FORMULA_2_PREFIX;

/// The header fields of formula 2, sorted.
pub const HEADER_FIELDS: [&str; 8] = [
    "actor",
    "app",
    "at",
    "data_sha256",
    "digest",
    "env",
    "kind",
    "seq",
];

/// A stub's header, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StubHeader {
    pub kind: String,
    pub app: String,
    pub env: String,
    pub digest: Option<String>,
}

/// What a stub or link check found.
#[derive(Debug, Default)]
pub struct StubCheck {
    /// One line each, without the event (the caller names it).
    pub problems: Vec<String>,
    /// Version 1 stubs: left out, and nothing shows they were outside the filters.
    pub unproven: bool,
    pub header: Option<StubHeader>,
}

/// Whether a report's filters select everything.
pub fn unfiltered(filters: &Filters) -> bool {
    filters.app.is_none()
        && filters.env.is_none()
        && filters.since.is_none()
        && filters.until.is_none()
}

const UNFILTERED: &str = "is left out of a report without filters, which holds every event whole: the event was removed from the file and its hash kept so the links still hold";

/// Check one stub of a report of `version` with these filters.
pub fn check_stub(
    version: u64,
    filters: &Filters,
    seq: i64,
    prev_hash: &str,
    hash: &str,
    hashed: Option<&str>,
) -> StubCheck {
    let mut out = StubCheck::default();
    if unfiltered(filters) {
        out.problems.push(UNFILTERED.into());
        return out;
    }
    let Some(hashed) = hashed else {
        if version >= 2 {
            out.problems.push("is a stub without its hashed header: only an event hashed with formula 2 can be left out (a formula 1 event is included whole), so nothing shows this one was outside the filters".into());
        } else {
            out.unproven = true;
        }
        return out;
    };
    let preimage = format!("{prev_hash}\n{hashed}");
    if hex::encode(Sha256::digest(preimage.as_bytes())) != hash {
        out.problems.push(
            "its hash is not sha256(prev_hash + \"\\n\" + hashed): the stub's header was edited"
                .into(),
        );
        return out;
    }
    let header = match read_header(hashed, seq) {
        Ok(h) => h,
        Err(why) => {
            out.problems.push(why);
            return out;
        }
    };
    let (app, env, at) = header;
    let kind = header_str(hashed, "kind").unwrap_or_default();
    let digest = header_str(hashed, "digest");
    if filters.matches(&app, &env, at) {
        out.problems.push(format!(
            "is a stub, but its hashed header says {kind} in app {app}, environment {env} at {}, which the report's filters ({}) select: an event in the filters was left out",
            crate::report::rfc3339(at),
            filters.describe()
        ));
        return out;
    }
    out.header = Some(StubHeader {
        kind,
        app,
        env,
        digest,
    });
    out
}

/// Check a link: a whole event included in place of a stub, which must be outside the filters.
pub fn check_link(filters: &Filters, app: &str, env: &str, at: DateTime<Utc>) -> Option<String> {
    if unfiltered(filters) {
        return Some("is marked a link (left out, included whole), but a report without filters holds every event in it".into());
    }
    if filters.matches(app, env, at) {
        return Some(format!(
            "is marked a link (outside the filters) but matches the report's filters ({})",
            filters.describe()
        ));
    }
    None
}

/// Read a formula 2 header text: prefix, canonical JSON object with exactly the header fields,
/// `seq` equal to the stub's. Returns its app, environment and time.
pub fn read_header(hashed: &str, seq: i64) -> Result<(String, String, DateTime<Utc>), String> {
    let header = parse_header(hashed)?;
    if header.get("seq").and_then(Value::as_i64) != Some(seq) {
        return Err("its hashed header is for another seq".into());
    }
    let s = |k: &str| header.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(app), Some(env), Some(at)) = (s("app"), s("env"), s("at")) else {
        return Err("its hashed header has no app, env or at text".into());
    };
    let at = DateTime::parse_from_rfc3339(&at)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("its hashed header's at {at:?} is not an RFC 3339 time"))?;
    Ok((app, env, at))
}

/// A formula 2 header text as a JSON object: `Err` says what is wrong with it.
pub fn parse_header(hashed: &str) -> Result<Map<String, Value>, String> {
    let Some(json) = hashed.strip_prefix(FORMULA_2_PREFIX) else {
        return Err(
            "its hashed header does not start with \"tollgate.event.v2\\n\" (formula 2)".into(),
        );
    };
    let Ok(Value::Object(header)) = serde_json::from_str::<Value>(json) else {
        return Err("its hashed header is not a JSON object".into());
    };
    let keys: Vec<&str> = header.keys().map(String::as_str).collect();
    if keys != HEADER_FIELDS {
        return Err(format!(
            "its hashed header has the fields {keys:?}, not {HEADER_FIELDS:?}"
        ));
    }
    if canonical_json(&header) != json {
        return Err("its hashed header is not canonical JSON (sorted keys, no white space)".into());
    }
    Ok(header)
}

fn header_str(hashed: &str, key: &str) -> Option<String> {
    parse_header(hashed)
        .ok()?
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
}

impl super::Checker<'_> {
    /// Every stub ([`check_stub`]) and link ([`check_link`]) against the report's filters; the
    /// version 1 stubs, which carry no header, are listed as unproven. Returns the stubs'
    /// headers, by `seq`.
    pub(super) fn check_stubs(
        &mut self,
        entries: &[super::events::Entry],
    ) -> Vec<(i64, StubHeader)> {
        use super::events::Entry;
        let filters: Filters = self
            .top
            .get("filters")
            .and_then(|f| serde_json::from_value(f.clone()).ok())
            .unwrap_or_default();
        let mut unproven_stubs = 0;
        let mut headers: Vec<(i64, StubHeader)> = Vec::new();
        for e in entries {
            match e {
                Entry::Stub {
                    seq,
                    prev_hash,
                    hash,
                    hashed,
                } => {
                    let c = check_stub(
                        self.version,
                        &filters,
                        *seq,
                        prev_hash,
                        hash,
                        hashed.as_deref(),
                    );
                    for p in c.problems {
                        self.problem(Some(*seq), p);
                    }
                    unproven_stubs += u64::from(c.unproven);
                    if let Some(h) = c.header {
                        headers.push((*seq, h));
                    }
                }
                Entry::Whole(w) if w.link => {
                    if let Some(p) = check_link(&filters, &w.event.app, &w.event.env, w.event.at) {
                        self.problem(Some(w.event.seq), p);
                    }
                }
                Entry::Whole(_) => {}
            }
        }
        if unproven_stubs > 0 {
            self.unproven.push(format!(
                "{unproven_stubs} link stubs of this version 1 report carry no header: nothing shows they were outside the filters"
            ));
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::chain::{event_hash, Hashed};
    use crate::store::chain::{header_text, GENESIS};

    fn filters() -> Filters {
        Filters {
            app: Some("api".into()),
            ..Filters::default()
        }
    }

    fn stub(app: &str) -> (String, String) {
        let data = serde_json::json!({"x": 1});
        let f = Hashed {
            seq: 2,
            at: "2026-11-25T08:00:00.000Z",
            kind: "drift",
            app,
            env: "staging",
            digest: None,
            actor: None,
            data: &data,
        };
        (header_text(&f), event_hash(GENESIS, &f))
    }

    #[test]
    fn a_stub_outside_the_filters_verifies_and_one_inside_does_not() {
        let (hashed, hash) = stub("web");
        let c = check_stub(2, &filters(), 2, GENESIS, &hash, Some(&hashed));
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(c.header.unwrap().kind, "drift");

        let (hashed, hash) = stub("api");
        let c = check_stub(2, &filters(), 2, GENESIS, &hash, Some(&hashed));
        assert!(
            c.problems[0].contains("which the report's filters"),
            "{:?}",
            c.problems
        );
        // A header claiming another app does not give the hash.
        let (other, _) = stub("web");
        let c = check_stub(2, &filters(), 2, GENESIS, &hash, Some(&other));
        assert!(
            c.problems[0].contains("header was edited"),
            "{:?}",
            c.problems
        );
    }

    #[test]
    fn unfiltered_reports_and_headerless_stubs() {
        let (hashed, hash) = stub("web");
        let c = check_stub(2, &Filters::default(), 2, GENESIS, &hash, Some(&hashed));
        assert!(c.problems[0].contains("without filters"));
        let c = check_stub(2, &filters(), 2, GENESIS, &hash, None);
        assert!(c.problems[0].contains("without its hashed header"));
        let c = check_stub(1, &filters(), 2, GENESIS, &hash, None);
        assert!(c.problems.is_empty() && c.unproven);
    }
}
