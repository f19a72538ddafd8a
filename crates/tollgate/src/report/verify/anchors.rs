//! Every anchor inside the range (an approval's signed chain head, a promotion's stated head) is
//! an earlier event with that hash ([`crate::report::crosscheck::check_anchor`]); the highest
//! one a verified approval vouches for is the report's `anchored_seq`.

use std::collections::{BTreeMap, HashSet};

use super::events::{Entry, Whole};
use super::Checker;
use crate::report::crosscheck::{check_anchor, stated_anchor, AtSeq};

impl Checker<'_> {
    /// The chain heads approvals signed and promotions state, against the events of the range;
    /// returns the highest one a verified approval vouches for.
    pub(super) fn check_anchors(
        &mut self,
        entries: &[Entry],
        wholes: &BTreeMap<i64, &Whole>,
        verified: &HashSet<i64>,
    ) -> i64 {
        let hashes: BTreeMap<i64, &str> = entries.iter().map(|e| (e.seq(), e.hash())).collect();
        let first = hashes.keys().next().copied().unwrap_or(0);
        let mut anchored = 0;
        for (&seq, w) in wholes {
            let anchor = match stated_anchor(&w.event) {
                Ok(Some(a)) => a,
                Ok(None) => continue,
                Err(why) => {
                    self.problem(Some(seq), why);
                    continue;
                }
            };
            let at = match hashes.get(&anchor.seq) {
                Some(h) => AtSeq::Hash(h.to_string()),
                None if anchor.seq < first => AtSeq::Unknown,
                None => AtSeq::Missing,
            };
            match check_anchor(seq, w.event.kind, &anchor, at) {
                Some(why) => self.problem(Some(seq), why),
                None if verified.contains(&seq) => anchored = anchored.max(anchor.seq),
                None => {}
            }
        }
        anchored
    }
}
