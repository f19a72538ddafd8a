//! Every signed message kind keeps its own `v`: a change adds a version, and older versions
//! keep verifying with their meaning. A message of a kind this build knows, in a version newer
//! than it reads, is named "needs a newer Tollgate" ([`needs_newer`]), never taken for an
//! untrusted or malformed one.

use serde::Deserialize;

use super::check::{CHECK_KIND, CHECK_VERSION};
use super::event::{
    DEPLOYMENT_KIND, EVENT_VERSION, GIT_EVENT_VERSION, PROMOTION_KIND, ROLLBACK_KIND,
};
use super::incident::{INCIDENT_CLOSE_KIND, INCIDENT_KIND, INCIDENT_VERSION};
use super::message::{KIND, VERSION};
use super::rejection::{REJECTION_KIND, REJECTION_VERSION, UNREJECTION_KIND, UNREJECTION_VERSION};

/// Each message kind this build reads, with the newest `v` it reads.
pub const KNOWN_VERSIONS: &[(&str, u32)] = &[
    (KIND, VERSION),
    (DEPLOYMENT_KIND, GIT_EVENT_VERSION),
    (PROMOTION_KIND, GIT_EVENT_VERSION),
    // Version 3: an emergency rollback (`emergency`, `reason`).
    (ROLLBACK_KIND, EVENT_VERSION),
    (REJECTION_KIND, REJECTION_VERSION),
    (UNREJECTION_KIND, UNREJECTION_VERSION),
    (INCIDENT_KIND, INCIDENT_VERSION),
    (INCIDENT_CLOSE_KIND, INCIDENT_VERSION),
    (CHECK_KIND, CHECK_VERSION),
];

#[derive(Deserialize)]
struct Head {
    kind: String,
    v: u64,
}

/// Why signed message `bytes` needs a newer Tollgate: a kind this build knows, in a version
/// newer than it reads. `None` for anything else (which the kind's own parser judges).
pub fn needs_newer(bytes: &[u8]) -> Option<String> {
    let head: Head = serde_json::from_slice(bytes).ok()?;
    let (_, newest) = KNOWN_VERSIONS.iter().find(|(k, _)| *k == head.kind)?;
    (head.v > u64::from(*newest)).then(|| {
        format!(
            "it is a {} message of version {}, and this Tollgate reads up to version {newest}: it needs a newer Tollgate (upgrade this desktop; until then it counts for nothing here)",
            head.kind, head.v
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_version_of_a_known_kind_needs_a_newer_tollgate() {
        let why = needs_newer(br#"{"kind":"tollgate.promotion","v":3,"app":"api"}"#).unwrap();
        assert!(
            why.contains("tollgate.promotion message of version 3")
                && why.contains("needs a newer Tollgate"),
            "{why}"
        );
        assert!(needs_newer(br#"{"kind":"tollgate.promotion","v":1}"#).is_none());
        // Version 2 (a move into a deployment repository's file) is read by this build; a
        // build that reads only version 1 names it as needing a newer Tollgate.
        assert!(needs_newer(br#"{"kind":"tollgate.promotion","v":2}"#).is_none());
        assert!(needs_newer(br#"{"kind":"tollgate.rollback","v":2}"#).is_none());
        // Version 3 is an emergency rollback; no promotion or record has a version 3.
        assert!(needs_newer(br#"{"kind":"tollgate.rollback","v":3}"#).is_none());
        assert!(needs_newer(br#"{"kind":"tollgate.rollback","v":4}"#).is_some());
        assert!(needs_newer(br#"{"kind":"tollgate.deployment","v":3}"#).is_some());
        assert!(needs_newer(br#"{"kind":"tollgate.unrejection","v":2}"#).is_none());
        assert!(needs_newer(br#"{"kind":"tollgate.unrejection","v":3}"#).is_some());
        assert!(needs_newer(br#"{"kind":"tollgate.approval","v":3}"#).is_some());
        assert!(needs_newer(br#"{"kind":"other.kind","v":9}"#).is_none());
        assert!(needs_newer(b"not json").is_none());
    }
}
