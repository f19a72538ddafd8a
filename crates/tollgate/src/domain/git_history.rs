//! The rules that turn a deployment file's history into events (the reading is
//! `gitops::history`, the writing `api::sync`). Pure: no clock, no I/O.
//!
//! - On an environment's first sync every digest change in the file's whole history is a
//!   baseline stay (an observation marked `baseline`, see [`super::timeline::is_baseline`]),
//!   never drift.
//! - Later, each commit that changed the digest is judged ([`judge_commit`]): Tollgate's own
//!   promotion or rollback (its event names the commit) is explained already; a promotion whose
//!   journal entry is still open records itself; a commit signed by a listed identity is a
//!   signed deployment by it (`via` record); anything else is drift.
//! - A commit's time is the committer time it claims, like `record --at`: it is clamped so that
//!   the history stays in order ([`claimed_times`]), and the event carries `appended_at` (the
//!   moment the history learned of it) from which soak counts.

use chrono::{DateTime, Utc};

/// How one commit that changed a git environment's digest enters the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitVerdict {
    /// Tollgate's own promotion or rollback: its event, naming this commit, is in the history.
    Explained,
    /// The commit of a promotion whose journal entry is still open: it records itself.
    InFlight,
    /// Signed by a key tollgate.toml lists: a signed deployment by that identity (a record).
    Signed,
    /// Unsigned, signed by an unlisted key, or a bad signature: drift.
    Drift,
}

/// The rule for one commit that changed the digest, after the environment's first sync and on
/// a history that was not rewritten (commits walked after a rewrite are never accepted: the
/// caller judges the tip like drift instead).
pub fn judge_commit(explained: bool, in_flight: bool, signed_by_listed: bool) -> CommitVerdict {
    if explained {
        CommitVerdict::Explained
    } else if in_flight {
        CommitVerdict::InFlight
    } else if signed_by_listed {
        CommitVerdict::Signed
    } else {
        CommitVerdict::Drift
    }
}

/// The times to give events made from commits whose committer times are `committed` (oldest
/// first on the branch): each commit's claimed time, but never before `floor` (when the current
/// stay began: a stay never ends before it starts), never before the time given to the commit
/// before it (committer times need not grow along a branch: a rebase or a skewed clock), and
/// never after `now` (a clock ahead).
pub fn claimed_times(
    committed: &[DateTime<Utc>],
    floor: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let mut low = floor;
    committed
        .iter()
        .map(|&t| {
            let t = low.map_or(t, |l| t.max(l)).min(now);
            low = Some(t);
            t
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 9, 21, h, 0, 0).unwrap()
    }

    #[test]
    fn an_explained_commit_wins_then_in_flight_then_signed_else_drift() {
        assert_eq!(judge_commit(true, false, false), CommitVerdict::Explained);
        assert_eq!(judge_commit(true, true, true), CommitVerdict::Explained);
        assert_eq!(judge_commit(false, true, false), CommitVerdict::InFlight);
        assert_eq!(judge_commit(false, false, true), CommitVerdict::Signed);
        assert_eq!(judge_commit(false, false, false), CommitVerdict::Drift);
    }

    #[test]
    fn claimed_times_keep_order_stay_after_the_floor_and_never_pass_now() {
        // In order: kept as claimed.
        assert_eq!(
            claimed_times(&[t(1), t(2), t(3)], None, t(9)),
            [t(1), t(2), t(3)]
        );
        // A commit older than the one before it (rebase, skewed clock) takes the time before.
        assert_eq!(
            claimed_times(&[t(1), t(5), t(3), t(6)], None, t(9)),
            [t(1), t(5), t(5), t(6)]
        );
        // Before the current stay began: moved up to it.
        assert_eq!(claimed_times(&[t(1), t(4)], Some(t(2)), t(9)), [t(2), t(4)]);
        // A clock ahead: not after now.
        assert_eq!(claimed_times(&[t(3), t(12)], None, t(9)), [t(3), t(9)]);
        assert!(claimed_times(&[], Some(t(1)), t(9)).is_empty());
    }
}
