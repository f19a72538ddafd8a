//! An attestation as the timeline shows it (`timeline --json`: `checks`): a check's pass or
//! fail for the segment's digest, signed during the stay, read from the signed `check` events.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One attestation of a stay's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CheckMark {
    /// The `[[checks]]` name (`load-test`).
    pub check: String,
    /// `pass` or `fail`.
    pub result: String,
    /// Who attested it (an approver or `[[signers]]` id).
    pub by: String,
    /// When the history appended it.
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    /// Its signature verifies against a key listed for `by`.
    pub verified: bool,
}
