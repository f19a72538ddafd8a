use crate::api::open::{self, Registries};
use crate::api::Context;
use crate::config::Workspace;
use crate::domain::Event;
use crate::registry::Registry;
use crate::store::{JournalState, Promotion, Store};
use crate::{Error, Result};

use super::{fault, promotion_event};

/// Finish or cleanly fail every promotion a dead process left open. The history never claims a
/// promotion the registry does not show: an entry is recorded only when the target tag reads
/// back as the approved digest, and failed (its approvals released) otherwise.
/// Returns the entries it touched, as they are now.
#[tracing::instrument(skip_all)]
pub async fn recover(ws: &Workspace, ctx: &Context) -> Result<Vec<Promotion>> {
    let mut store = open::store(ws)?;
    let open_entries = store.journal_open()?;
    let mut touched = Vec::new();
    let mut registries = Registries::new(ws, ctx);
    for entry in open_entries {
        let (dst, path) = registries.get(&entry.dst_repository)?;
        tracing::info!(
            id = entry.id,
            state = entry.state.as_str(),
            "recovering promotion"
        );
        verify_and_record(ws, ctx, &mut store, &entry, &dst, &path, true)
            .await
            .ok();
        touched.push(store.journal_get(entry.id)?);
    }
    Ok(touched)
}

/// Read the target tag back; record the promotion if it shows the digest, else fail the entry.
pub(super) async fn verify_and_record(
    _ws: &Workspace,
    ctx: &Context,
    store: &mut Store,
    entry: &Promotion,
    dst: &Registry,
    path: &str,
    recovering: bool,
) -> Result<Event> {
    let seen = dst.resolve_tag(path, &entry.tag).await?;
    let shows_digest = seen.as_ref() == Some(&entry.digest);
    let state = store.journal_get(entry.id)?.state;
    match (state, shows_digest) {
        (JournalState::Recorded | JournalState::Failed, _) => Err(Error::refused(format!(
            "promotion {} is already {}",
            entry.id,
            state.as_str()
        ))),
        (JournalState::Verified, _) | (JournalState::Intended | JournalState::Pushed, true) => {
            if state != JournalState::Verified {
                store.journal_advance(entry.id, JournalState::Verified, ctx.clock.now())?;
                fault::point("verified");
            }
            store.journal_record(
                entry.id,
                promotion_event(store, entry, ctx.clock.now(), recovering)?,
            )
        }
        (_, false) => {
            let reason = match (state, &seen) {
                (JournalState::Intended, _) => {
                    "interrupted before the push; nothing was published".to_string()
                }
                (_, Some(other)) => format!(
                    "read-back of {}:{} shows {other}, not {}",
                    entry.dst_repository, entry.tag, entry.digest
                ),
                (_, None) => format!(
                    "read-back of {}:{} finds no such tag",
                    entry.dst_repository, entry.tag
                ),
            };
            store.journal_fail(entry.id, &reason, ctx.clock.now())?;
            Err(Error::refused(format!(
                "promotion {} failed: {reason}; its approvals are released, nothing was recorded",
                entry.id
            )))
        }
    }
}
