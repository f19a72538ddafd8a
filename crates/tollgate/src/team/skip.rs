//! Why a pulled artifact was skipped, as remembered (store `team_skipped`, migration 0011):
//! a skipped artifact is not fetched again while tollgate.toml's identities are the same
//! ([`crate::config::Config::identities_digest`]), whatever the reason.

/// Why an artifact does not count. Every reason is remembered the same way; a new one is one
/// variant here (its `as_str` is what the database holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// Its signature does not verify against a key tollgate.toml lists, or its message does
    /// not say what it is attached to.
    Untrusted,
    /// Not a well-formed Tollgate artifact (manifest, layers, sizes, subject).
    Malformed,
    /// Its signed message is already in the history (issue 17: a statement counts once).
    Replayed,
    /// A newer version of a message kind this Tollgate knows: it needs a newer Tollgate.
    NeedsNewer,
}

impl SkipReason {
    pub const ALL: [SkipReason; 4] = [
        SkipReason::Untrusted,
        SkipReason::Malformed,
        SkipReason::Replayed,
        SkipReason::NeedsNewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Untrusted => "untrusted",
            SkipReason::Malformed => "malformed",
            SkipReason::Replayed => "replayed",
            SkipReason::NeedsNewer => "newer",
        }
    }

    pub fn parse(s: &str) -> Option<SkipReason> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for r in SkipReason::ALL {
            assert_eq!(SkipReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(SkipReason::parse("other"), None);
    }
}
