//! Every whole event's hash: its fields are the ones in `hashed` (so an edited field is named;
//! formula 2 hashes a header whose `data_sha256` stands for the data), `hashed` is canonical
//! JSON, and `sha256(prev_hash + "\n" + hashed)` is its `hash`.

use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use super::events::Whole;
use super::{short, Checker};
use crate::domain::canonical_json;
use crate::store::chain::{data_sha256, FORMULA_2_PREFIX};

impl Checker<'_> {
    /// The fields against `hashed`, and `hashed` against `hash`.
    pub(super) fn check_content(&mut self, w: &Whole) {
        let seq = Some(w.event.seq);
        let formula_2 = w.hashed.starts_with(FORMULA_2_PREFIX);
        let text = w.hashed.strip_prefix(FORMULA_2_PREFIX).unwrap_or(&w.hashed);
        let hashed: Value = match serde_json::from_str(text) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                self.problem(seq, "its \"hashed\" text is not a JSON object");
                return;
            }
        };
        let mut fields = fields_of(w);
        if formula_2 {
            let data = fields.remove("data").unwrap_or(Value::Null);
            fields.insert("data_sha256".into(), Value::from(data_sha256(&data)));
        }
        let mut differs = false;
        for (k, v) in &fields {
            let h = hashed.get(k).unwrap_or(&Value::Null);
            if h != v {
                differs = true;
                self.problem(
                    seq,
                    format!(
                        "{k} is {} in the report but {} in the hashed content: the event was edited",
                        short(v),
                        short(h)
                    ),
                );
            }
        }
        if let Some(extra) = hashed
            .as_object()
            .and_then(|o| o.keys().find(|k| !fields.contains_key(*k)))
        {
            differs = true;
            self.problem(
                seq,
                format!("the hashed content has a field {extra:?} that no event has"),
            );
        }
        if !differs && canonical_json(&hashed) != text {
            self.problem(
                seq,
                "its \"hashed\" text is not canonical JSON (sorted keys, no white space)",
            );
        }
        let preimage = format!("{}\n{}", w.event.prev_hash, w.hashed);
        if hex::encode(Sha256::digest(preimage.as_bytes())) != w.event.hash {
            self.problem(
                seq,
                "its hash is not sha256(prev_hash + \"\\n\" + hashed): the hashed text or the hash was edited",
            );
        }
    }
}

/// The fields the hash covers, as the report states them.
fn fields_of(w: &Whole) -> Map<String, Value> {
    let e = &w.event;
    let mut m = Map::new();
    m.insert("seq".into(), Value::from(e.seq));
    m.insert("at".into(), Value::from(w.at.clone()));
    m.insert("kind".into(), Value::from(e.kind.as_str()));
    m.insert("app".into(), Value::from(e.app.clone()));
    m.insert("env".into(), Value::from(e.env.clone()));
    m.insert(
        "digest".into(),
        e.digest
            .as_ref()
            .map_or(Value::Null, |d| Value::from(d.as_str())),
    );
    m.insert(
        "actor".into(),
        e.actor.clone().map_or(Value::Null, Value::from),
    );
    m.insert("data".into(), e.data.clone());
    m
}
