//! The seal of a JSON report (format version 2): the exporting identity's SSHSIG, namespace
//! [`SEAL_NAMESPACE`], over the canonical JSON of what no event hash covers: the report's
//! version, workspace, generation time, range, database head, filters, summary, the team
//! conflicts it states and the export-time policies ([`seal_message`]). Editing any of them after the export breaks it.
//!
//! Domain code: the signature is made by the caller (`api::export`), checked by
//! [`super::verify::seal`].

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::json::Range;
use super::{DatabaseCheck, Filters, Summary};
use crate::domain::canonical_json;
use crate::domain::conflicts::Conflict;

/// The SSHSIG namespace of a report's seal (`ssh-keygen -Y verify -n tollgate-report`).
pub const SEAL_NAMESPACE: &str = "tollgate-report";

/// `kind` of the sealed message.
pub const SEAL_KIND: &str = "tollgate.report-seal";

/// `v` of the sealed message this build writes and reads.
pub const SEAL_VERSION: u32 = 1;

/// The `seal` object of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    /// The identity that sealed it (an approver or `[[signers]]` id of the exporting workspace).
    pub signer: String,
    /// `SHA256:…` of the key that signed.
    pub fingerprint: String,
    /// `<signer> namespaces="tollgate-report" ssh-ed25519 AAAA…`: the signer's key as the
    /// exporter states it, for `ssh-keygen -Y verify -f` (a reader checks it against the keys
    /// they trust; `verify FILE --config` uses the workspace's instead).
    pub allowed_signers: String,
    /// The exact signed text ([`seal_message`]).
    pub message: String,
    /// The armored SSHSIG over `message` (namespace `tollgate-report`, sha512).
    pub signature: String,
}

/// The fields of a report that the seal covers, as the report states them.
#[derive(Debug, Clone, Copy)]
pub struct Sealed<'a> {
    pub version: &'a Value,
    pub workspace: &'a Value,
    pub generated_at: &'a Value,
    pub range: &'a Value,
    /// The report's `database` object: only `head_seq` and `head_hash` are sealed.
    pub database: &'a Value,
    pub filters: &'a Value,
    pub summary: &'a Value,
    pub conflicts: &'a Value,
    pub policies: &'a Value,
}

/// The sealed text: canonical JSON of `{"v":1,"kind":"tollgate.report-seal","signer",
/// "version","workspace","generated_at","range","database":{"head_seq","head_hash"},"filters",
/// "summary","conflicts","policies"}`.
pub fn seal_message(fields: &Sealed<'_>, signer: &str) -> String {
    canonical_json(&sealed_value(fields, signer))
}

/// [`seal_message`] as a JSON value (what a check compares field by field).
pub fn sealed_value(f: &Sealed<'_>, signer: &str) -> Value {
    let head = |k: &str| f.database.get(k).cloned().unwrap_or(Value::Null);
    json!({
        "v": SEAL_VERSION,
        "kind": SEAL_KIND,
        "signer": signer,
        "version": f.version,
        "workspace": f.workspace,
        "generated_at": f.generated_at,
        "range": f.range,
        "database": { "head_seq": head("head_seq"), "head_hash": head("head_hash") },
        "filters": f.filters,
        "summary": f.summary,
        "conflicts": f.conflicts,
        "policies": f.policies,
    })
}

/// The values a report being written states, in the form [`Sealed`] reads.
#[derive(Debug, Clone)]
pub struct SealedValues {
    pub version: Value,
    pub workspace: Value,
    pub generated_at: Value,
    pub range: Value,
    pub database: Value,
    pub filters: Value,
    pub summary: Value,
    pub conflicts: Value,
    pub policies: Value,
}

impl SealedValues {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        version: u32,
        workspace: &str,
        generated_at: &str,
        range: &Range,
        database: &DatabaseCheck,
        filters: &Filters,
        summary: &Summary,
        conflicts: &[Conflict],
        policies: &Value,
    ) -> Self {
        let v = |x: serde_json::Result<Value>| x.unwrap_or(Value::Null);
        SealedValues {
            version: json!(version),
            workspace: json!(workspace),
            generated_at: json!(generated_at),
            range: v(serde_json::to_value(range)),
            database: v(serde_json::to_value(database)),
            filters: v(serde_json::to_value(filters)),
            summary: v(serde_json::to_value(summary)),
            conflicts: v(serde_json::to_value(conflicts)),
            policies: policies.clone(),
        }
    }

    pub fn fields(&self) -> Sealed<'_> {
        Sealed {
            version: &self.version,
            workspace: &self.workspace,
            generated_at: &self.generated_at,
            range: &self.range,
            database: &self.database,
            filters: &self.filters,
            summary: &self.summary,
            conflicts: &self.conflicts,
            policies: &self.policies,
        }
    }
}

/// The `allowed_signers` line of a seal: `<id> namespaces="tollgate-report" <key>`.
pub fn seal_signers_line(id: &str, openssh_key: &str) -> String {
    format!("{id} namespaces=\"{SEAL_NAMESPACE}\" {openssh_key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_canonical_and_covers_each_field() {
        let vals = SealedValues {
            version: json!(2),
            workspace: json!("w"),
            generated_at: json!("2026-11-25T08:00:00.000Z"),
            range: json!({"first_seq": 1}),
            database: json!({"head_seq": 3, "head_hash": "h", "events": 3}),
            filters: json!({"app": null}),
            summary: json!({"events": 3}),
            conflicts: json!([]),
            policies: json!({}),
        };
        let m = seal_message(&vals.fields(), "a@example.com");
        assert!(
            m.starts_with(r#"{"conflicts":[],"database":{"head_hash":"h","head_seq":3},"filters""#),
            "{m}"
        );
        assert!(m.contains(r#""kind":"tollgate.report-seal""#));
        let mut edited = vals.clone();
        edited.summary = json!({"events": 2});
        assert_ne!(seal_message(&edited.fields(), "a@example.com"), m);
        assert_ne!(seal_message(&vals.fields(), "b@example.com"), m);
    }
}
