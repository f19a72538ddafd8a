use std::collections::HashMap;

use serde::Serialize;
use ts_rs::TS;

use crate::api::open;
use crate::config::Workspace;
use crate::domain::EventKind;
use crate::signing;
use crate::store::{ChainReport, EventFilter};
use crate::Result;

/// What `tollgate verify` found in the database.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct VerifyReport {
    pub chain: ChainReport,
    /// Approval events whose signature was checked against tollgate.toml's keys.
    #[ts(type = "number")]
    pub approvals: u64,
    /// Every problem besides the chain: an approval that does not verify, an approval used by
    /// two promotions. Empty when all holds.
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Problem {
    #[ts(type = "number")]
    pub seq: i64,
    pub reason: String,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.chain.broken.is_none() && self.problems.is_empty()
    }
}

/// Walk the database's hash chain, check every approval's signature against the keys
/// tollgate.toml lists (a previous key only for what it signed before its `until`), and check that no approval was consumed twice.
#[tracing::instrument(skip(ws), fields(workspace = %ws.config.workspace.name))]
pub fn verify(ws: &Workspace) -> Result<VerifyReport> {
    let store = open::store(ws)?;
    let chain = store.verify_chain()?;
    let mut problems = Vec::new();
    let mut signed: Vec<(i64, String, String, String)> = Vec::new();
    let mut used_by: HashMap<i64, i64> = HashMap::new();
    let trusted = signing::TrustedKeys::from_approvers(&ws.config.approvers);
    store.for_each_event(&EventFilter::default(), |e| {
        let text = |k: &str| e.data_str(k).unwrap_or_default().to_string();
        match e.kind {
            EventKind::Approval => {
                let approver = e.actor.clone().unwrap_or_default();
                let (message, signature) = (text("message"), text("signature"));
                match trusted.of(&approver) {
                    Some(_) => match trusted.key_for(&approver, message.as_bytes(), &signature) {
                        Ok(key) => signed.push((e.seq, message, signature, key)),
                        Err(reason) => problems.push(Problem { seq: e.seq, reason }),
                    },
                    None => problems.push(Problem {
                        seq: e.seq,
                        reason: format!(
                            "approval by {approver}, who is not an approver in tollgate.toml"
                        ),
                    }),
                }
            }
            EventKind::Promotion | EventKind::Rollback => {
                for seq in e.counted_approvals() {
                    if let Some(first) = used_by.insert(seq, e.seq) {
                        problems.push(Problem {
                            seq: e.seq,
                            reason: format!("approval {seq} was already consumed by event {first}"),
                        });
                    }
                }
            }
            _ => {}
        }
        Ok(())
    })?;
    let items: Vec<(&[u8], &str, &str)> = signed
        .iter()
        .map(|(_, m, s, k)| (m.as_bytes(), s.as_str(), k.as_str()))
        .collect();
    for ((seq, ..), result) in signed.iter().zip(signing::verify_many(&items)) {
        if let Err(e) = result {
            problems.push(Problem {
                seq: *seq,
                reason: e.message,
            });
        }
    }
    problems.sort_by_key(|p| p.seq);
    Ok(VerifyReport {
        approvals: signed.len() as u64,
        chain,
        problems,
    })
}
