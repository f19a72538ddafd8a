//! The hash chain: how an event's hash is computed ([`event_hash`], formula 2, for every event
//! appended now; [`event_hash_v1`], formula 1, for events of older histories: the definitions
//! used by the store, the audit export and `docs/src/audit/format.md`), and how the whole chain is
//! checked ([`verify`]: the walk in [`walk`], the derived timeline tables in [`derived`]).

mod derived;
mod walk;

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::domain::Event;

pub use walk::verify;

/// `prev_hash` of the first event: 64 `0`s.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The append-only triggers that migration 1 creates on `events`.
pub const TRIGGERS: [&str; 2] = ["events_no_update", "events_no_delete"];

/// How an event time is stored and hashed: RFC 3339, UTC, milliseconds, `Z`
/// (`2026-11-25T08:00:00.000Z`). Finer precision is dropped when an event is appended.
pub fn format_at(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The fields of an event that its hash covers, exactly as stored.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Hashed<'a> {
    pub seq: i64,
    /// The stored time string ([`format_at`]), not a re-formatted time.
    pub at: &'a str,
    /// The kind's lower-case name (`observation`, `record`, ...).
    pub kind: &'a str,
    pub app: &'a str,
    pub env: &'a str,
    /// `sha256:<hex>`, or `None` (JSON `null`).
    pub digest: Option<&'a str>,
    /// `None` is JSON `null`.
    pub actor: Option<&'a str>,
    /// The event's details: a JSON object.
    pub data: &'a serde_json::Value,
}

impl<'a> Hashed<'a> {
    /// The hashed fields of a stored event; `at` must be `format_at(event.at)`.
    pub fn of(event: &'a Event, at: &'a str) -> Self {
        Hashed {
            seq: event.seq,
            at,
            kind: event.kind.as_str(),
            app: &event.app,
            env: &event.env,
            digest: event.digest.as_ref().map(|d| d.as_str()),
            actor: event.actor.as_deref(),
            data: &event.data,
        }
    }
}

/// Which formula an event's hash was made with. Every event appended from now on uses
/// [`Formula::Header`]; events of older histories keep [`Formula::Whole`] and are never rehashed
/// (the table is append-only). Which one a stored event uses is read from its hash: the
/// preimages are domain-separated (formula 2's text after `prev_hash + "\n"` starts with
/// [`FORMULA_2_PREFIX`], formula 1's with `{`), so no hash can be both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Formula {
    /// Formula 1 ([`event_hash_v1`]): the whole event in one canonical JSON text.
    Whole = 1,
    /// Formula 2 ([`event_hash`]): a canonical header holding the sha256 of the canonical data,
    /// so that a report can leave an event out (a stub with the header) and still prove which
    /// app, environment, kind and time it had.
    Header = 2,
}

impl Formula {
    pub fn number(self) -> u8 {
        self as u8
    }
}

/// What formula 2's hashed text starts with (domain separation from formula 1).
pub const FORMULA_2_PREFIX: &str = "tollgate.event.v2\n";

/// The header formula 2 hashes: the fields of [`Hashed`] with `data` replaced by
/// `data_sha256`, the lower-case hex sha256 of the canonical JSON of `data`.
#[derive(Debug, Clone, Serialize)]
pub struct Header<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub kind: &'a str,
    pub app: &'a str,
    pub env: &'a str,
    pub digest: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub data_sha256: String,
}

/// Lower-case hex sha256 of the canonical JSON of an event's `data`.
pub fn data_sha256(data: &serde_json::Value) -> String {
    let mut hasher = HashWriter(Sha256::new());
    serde_json::to_writer(&mut hasher, data).expect("writing to a hasher cannot fail");
    hex::encode(hasher.0.finalize())
}

/// Formula 2's hashed text: [`FORMULA_2_PREFIX`] then the canonical JSON of the [`Header`]
/// (`{"actor":…,"app":…,"at":…,"data_sha256":…,"digest":…,"env":…,"kind":…,"seq":…}`).
pub fn header_text(fields: &Hashed<'_>) -> String {
    let header = Header {
        seq: fields.seq,
        at: fields.at,
        kind: fields.kind,
        app: fields.app,
        env: fields.env,
        digest: fields.digest,
        actor: fields.actor,
        data_sha256: data_sha256(fields.data),
    };
    format!(
        "{FORMULA_2_PREFIX}{}",
        crate::domain::canonical_json(&header)
    )
}

/// The hash of one event appended by this version (formula 2): lower-case hex SHA-256 of the
/// UTF-8 bytes of
///
/// ```text
/// prev_hash + "\n" + "tollgate.event.v2" + "\n" + canonical_json({"seq", "at", "kind", "app", "env", "digest", "actor", "data_sha256"})
/// ```
///
/// with `data_sha256` = lower-case hex sha256 of `canonical_json(data)` ([`header_text`]).
/// The fields are those of [`event_hash_v1`]; a report can then leave the event out as a stub
/// carrying only the header (and prove the event was outside its filters) without the data.
///
/// Recomputing it with shell tools, from the database (the `data` column is already canonical):
///
/// ```sh
/// d=$(sqlite3 tollgate.db "SELECT data FROM events WHERE seq = 3" | head -c -1 | sha256sum | cut -d' ' -f1)
/// sqlite3 tollgate.db "SELECT prev_hash || char(10) || 'tollgate.event.v2' || char(10) ||
///   json_object('actor',actor,'app',app,'at',at,'data_sha256','$d','digest',digest,'env',env,
///   'kind',kind,'seq',seq) FROM events WHERE seq = 3" | head -c -1 | sha256sum
/// ```
///
/// or from an exported event `$e` (`jq -cS` sorts keys and prints compactly):
///
/// ```sh
/// d=$(jq -jcS .data <<<"$e" | sha256sum | cut -d' ' -f1)
/// printf '%s\ntollgate.event.v2\n%s' "$(jq -r .prev_hash <<<"$e")" \
///   "$(jq -cS --arg d "$d" '{seq,at,kind,app,env,digest,actor,data_sha256:$d}' <<<"$e")" | sha256sum
/// ```
pub fn event_hash(prev_hash: &str, fields: &Hashed<'_>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(header_text(fields).as_bytes());
    hex::encode(hasher.finalize())
}

/// The hash of an event of formula 1 (every event appended before formula 2 existed):
/// lower-case hex SHA-256 of the UTF-8 bytes of
///
/// ```text
/// prev_hash + "\n" + canonical_json({"seq", "at", "kind", "app", "env", "digest", "actor", "data"})
/// ```
///
/// - `prev_hash` is the previous event's `hash`; for the first event (`seq` 1) it is 64 `0`s
///   ([`GENESIS`]). There is no newline after the JSON.
/// - [`canonical_json`](crate::domain::canonical_json): object keys sorted (at every depth), no
///   white space between tokens, UTF-8, strings escaped as JSON requires, so the object is
///   `{"actor":…,"app":…,"at":…,"data":{…},"digest":…,"env":…,"kind":…,"seq":…}`.
/// - `seq` is a JSON number; `at` the stored string, RFC 3339 UTC with milliseconds
///   (`"2026-11-25T08:00:00.000Z"`); `kind` the lower-case kind name; `digest` and `actor` are
///   `null` when absent; `data` is the event's JSON object.
///
/// Recomputing it with shell tools, from the database:
///
/// ```sh
/// sqlite3 tollgate.db "SELECT prev_hash || char(10) || json_object('actor',actor,'app',app,
///   'at',at,'data',json(data),'digest',digest,'env',env,'kind',kind,'seq',seq)
///   FROM events WHERE seq = 3" | head -c -1 | sha256sum
/// ```
pub fn event_hash_v1(prev_hash: &str, fields: &Hashed<'_>) -> String {
    let mut hasher = HashWriter(Sha256::new());
    hasher.0.update(prev_hash.as_bytes());
    hasher.0.update(b"\n");
    // Serializing a `Value` writes its (BTreeMap) keys sorted: the same bytes as
    // `canonical_json(fields)`, streamed into the hasher (checked by a test below).
    let value = serde_json::to_value(fields).expect("hashed fields always serialize");
    serde_json::to_writer(&mut hasher, &value).expect("writing to a hasher cannot fail");
    hex::encode(hasher.0.finalize())
}

/// The formula that gives `hash` for these fields after `prev_hash`, if either does.
pub fn formula_of(prev_hash: &str, fields: &Hashed<'_>, hash: &str) -> Option<Formula> {
    formula_trying(prev_hash, fields, hash, Formula::Header)
}

/// [`formula_of`], trying `first` first (a walk of the chain tries the previous event's: a
/// history switches formula once, so each event costs one hash).
pub fn formula_trying(
    prev_hash: &str,
    fields: &Hashed<'_>,
    hash: &str,
    first: Formula,
) -> Option<Formula> {
    let gives = |f: Formula| match f {
        Formula::Header => event_hash(prev_hash, fields) == hash,
        Formula::Whole => event_hash_v1(prev_hash, fields) == hash,
    };
    let second = match first {
        Formula::Header => Formula::Whole,
        Formula::Whole => Formula::Header,
    };
    [first, second].into_iter().find(|f| gives(*f))
}

/// The formula a stored event's hash was made with (`None`: its content no longer gives it).
pub fn formula(event: &Event) -> Option<Formula> {
    let at = format_at(event.at);
    formula_of(&event.prev_hash, &Hashed::of(event, &at), &event.hash)
}

/// [`event_hash`] (formula 2, what `append` writes) of a stored event, from its own fields and
/// `prev_hash`.
pub fn recompute(event: &Event) -> String {
    let at = format_at(event.at);
    event_hash(&event.prev_hash, &Hashed::of(event, &at))
}

struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::canonical_json;

    fn fields(data: &serde_json::Value) -> Hashed<'_> {
        Hashed {
            seq: 3,
            at: "2026-11-25T08:00:00.000Z",
            kind: "record",
            app: "api",
            env: "staging",
            digest: Some("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
            actor: None,
            data,
        }
    }

    #[test]
    fn hash_is_sha256_of_prev_newline_canonical_json() {
        let data = serde_json::json!({"tag": "staging", "a": {"z": 1, "b": "é\n"}});
        let f = fields(&data);
        let preimage = format!("{GENESIS}\n{}", canonical_json(&f));
        assert_eq!(
            canonical_json(&f),
            r#"{"actor":null,"app":"api","at":"2026-11-25T08:00:00.000Z","data":{"a":{"b":"é\n","z":1},"tag":"staging"},"digest":"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","env":"staging","kind":"record","seq":3}"#
        );
        assert_eq!(
            event_hash_v1(GENESIS, &f),
            hex::encode(Sha256::digest(preimage.as_bytes()))
        );
        // A known answer, so that a change of the formula cannot go unnoticed.
        assert_eq!(
            event_hash_v1(GENESIS, &fields(&serde_json::json!({}))),
            hex::encode(Sha256::digest(
                format!("{GENESIS}\n{{\"actor\":null,\"app\":\"api\",\"at\":\"2026-11-25T08:00:00.000Z\",\"data\":{{}},\"digest\":\"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\",\"env\":\"staging\",\"kind\":\"record\",\"seq\":3}}").as_bytes()
            ))
        );
    }

    #[test]
    fn formula_2_hashes_a_prefixed_header_with_the_data_hash() {
        let data = serde_json::json!({"tag": "staging", "a": {"z": 1, "b": "é\n"}});
        let f = fields(&data);
        let data_hash = hex::encode(Sha256::digest(canonical_json(&data).as_bytes()));
        assert_eq!(data_sha256(&data), data_hash);
        let header = format!(
            "tollgate.event.v2\n{{\"actor\":null,\"app\":\"api\",\"at\":\"2026-11-25T08:00:00.000Z\",\"data_sha256\":\"{data_hash}\",\"digest\":\"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\",\"env\":\"staging\",\"kind\":\"record\",\"seq\":3}}"
        );
        assert_eq!(header_text(&f), header);
        let hash = event_hash(GENESIS, &f);
        assert_eq!(
            hash,
            hex::encode(Sha256::digest(format!("{GENESIS}\n{header}").as_bytes()))
        );
        // The formula is read back from the hash; the two never agree (domain separation).
        assert_eq!(formula_of(GENESIS, &f, &hash), Some(Formula::Header));
        let v1 = event_hash_v1(GENESIS, &f);
        assert_ne!(v1, hash);
        assert_eq!(formula_of(GENESIS, &f, &v1), Some(Formula::Whole));
        assert_eq!(formula_of(GENESIS, &f, &"0".repeat(64)), None);
    }

    #[test]
    fn every_field_is_covered() {
        let data = serde_json::json!({"tag": "staging"});
        for hash in [event_hash, event_hash_v1] {
            every_field_is_covered_by(hash, &data);
        }
    }

    fn every_field_is_covered_by(
        event_hash: fn(&str, &Hashed<'_>) -> String,
        data: &serde_json::Value,
    ) {
        let data = data.clone();
        let base = event_hash(GENESIS, &fields(&data));
        let other_data = serde_json::json!({"tag": "prod"});
        let variants = [
            Hashed {
                seq: 4,
                ..fields(&data)
            },
            Hashed {
                at: "2026-11-25T08:00:00.001Z",
                ..fields(&data)
            },
            Hashed {
                kind: "promotion",
                ..fields(&data)
            },
            Hashed {
                app: "web",
                ..fields(&data)
            },
            Hashed {
                env: "dev",
                ..fields(&data)
            },
            Hashed {
                digest: None,
                ..fields(&data)
            },
            Hashed {
                actor: Some("ci"),
                ..fields(&data)
            },
            Hashed {
                data: &other_data,
                ..fields(&data)
            },
        ];
        for v in variants {
            assert_ne!(event_hash(GENESIS, &v), base, "{v:?}");
        }
        assert_ne!(event_hash(&"1".repeat(64), &fields(&data)), base);
    }

    #[test]
    fn times_are_stored_with_milliseconds_in_utc() {
        let t = DateTime::parse_from_rfc3339("2026-11-25T09:00:00.123456+01:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(format_at(t), "2026-11-25T08:00:00.123Z");
    }
}
