use serde::Serialize;

/// Canonical JSON: object keys sorted, no insignificant white space, UTF-8.
/// Used for event hashes and for the signed approval message.
pub fn canonical_json<T: Serialize>(value: &T) -> String {
    // serde_json::Value keeps objects in a BTreeMap (no `preserve_order`), so a round trip
    // through Value sorts every object's keys at every depth.
    let v = serde_json::to_value(value).expect("serializable value");
    serde_json::to_string(&v).expect("JSON value always serializes")
}

#[cfg(test)]
mod tests {
    #[test]
    fn sorts_keys_at_every_depth() {
        let v = serde_json::json!({"b": 1, "a": {"z": [1, {"y": 2, "x": 3}], "c": "é"}});
        assert_eq!(
            super::canonical_json(&v),
            r#"{"a":{"c":"é","z":[1,{"x":3,"y":2}]},"b":1}"#
        );
    }
}
