use crate::api::open::{self, Registries};
use crate::api::Context;
use crate::config::Workspace;
use crate::domain::{Event, EventKind, NewEvent};
use crate::registry::Registry;
use crate::store::{JournalState, Promotion, Store};
use crate::{Error, Result};

use super::{fault, owner, promotion_event};

/// Finish or cleanly fail every promotion whose process is gone (see [`owner`] for how that is
/// decided); entries of running promotions are left alone. The history never claims a
/// promotion the registry does not show: an entry is recorded only when the target tag reads
/// back as the approved digest, and failed (its approvals released) otherwise. An entry whose
/// registry is no longer in tollgate.toml is failed with that reason; one whose registry cannot
/// be reached now stays open for a later recovery, without holding up the others.
/// Returns the entries it touched, as they are now (one left open carries, in `error`, why it
/// could not be finished yet; that text is not stored).
#[tracing::instrument(skip_all)]
pub async fn recover(ws: &Workspace, ctx: &Context) -> Result<Vec<Promotion>> {
    let mut store = open::store(ws)?;
    let open_entries = store.journal_open()?;
    let mut touched = Vec::new();
    let mut registries = Registries::new(ws, ctx);
    for entry in open_entries {
        let Some(why) = owner::gone(&entry, ctx.clock.now()) else {
            tracing::debug!(id = entry.id, "promotion still running; not recovered");
            continue;
        };
        let me = owner::this_process();
        let was = entry.owner.as_ref().map(|o| o.token.as_str());
        if !store.journal_claim(entry.id, was, &me, ctx.clock.now())? {
            // Another recovery took it first, or it was just decided.
            continue;
        }
        let _heartbeat =
            owner::Heartbeat::start(store.path(), entry.id, me.token, ctx.clock.clone());
        tracing::info!(
            id = entry.id,
            state = entry.state.as_str(),
            why,
            "recovering promotion"
        );
        if let Some(place) = &entry.git {
            // A deployment file: the commit on the branch is recorded (and shared like any
            // other promotion), else the entry fails.
            match super::git::recover_entry(ws, ctx, &mut store, &entry, place) {
                Ok(event) => {
                    publish_recovered(ws, ctx, &mut store, &entry, &event).await;
                    touched.push(store.journal_get(entry.id)?);
                }
                Err(e) => {
                    tracing::warn!(id = entry.id, error = %e.message, "git promotion not recovered");
                    let mut now = store.journal_get(entry.id)?;
                    if matches!(
                        now.state,
                        JournalState::Intended | JournalState::Pushed | JournalState::Verified
                    ) {
                        now.error = Some(format!("not finished yet: {}", e.message));
                    }
                    touched.push(now);
                }
            }
            continue;
        }
        if let Err(e) = ws.resolve_repository(&entry.dst_repository) {
            let reason = format!(
                "cannot be recovered: {}; whether its push landed is unknown, check the tag, then sync",
                e.message
            );
            match store.journal_fail(entry.id, &reason, ctx.clock.now()) {
                // Decided meanwhile by someone else: nothing to do.
                Err(e) if e.code == crate::Code::Refused => {}
                other => other?,
            }
            touched.push(store.journal_get(entry.id)?);
            continue;
        }
        let outcome = match registries.get(&entry.dst_repository) {
            Ok((dst, path)) => {
                verify_and_record(
                    ws,
                    ctx,
                    &mut store,
                    &entry,
                    &dst,
                    &path,
                    true,
                    &super::Notes::default(),
                )
                .await
            }
            Err(e) => Err(e),
        };
        if let Ok(event) = &outcome {
            publish_recovered(ws, ctx, &mut store, &entry, event).await;
        }
        let mut now = store.journal_get(entry.id)?;
        if let (Err(e), JournalState::Intended | JournalState::Pushed | JournalState::Verified) =
            (&outcome, now.state)
        {
            now.error = Some(format!("not finished yet: {}", e.message));
        }
        touched.push(now);
    }
    Ok(touched)
}

/// A promotion recovery finished is shared like any other (unless recorded unsigned); a
/// publish that fails is logged (a push the registry refuses is kept unshared for the next sync).
async fn publish_recovered(
    ws: &Workspace,
    ctx: &Context,
    store: &mut Store,
    entry: &Promotion,
    event: &Event,
) {
    if let Err(e) = crate::api::team::sync::publish_event(ws, ctx, store, event).await {
        tracing::warn!(id = entry.id, error = %e.message, "recovered promotion not published");
    }
}

/// Read the target tag back; record the promotion if it shows the digest, else fail the entry.
/// `diff`: the release diff summary read at promote time (`None` when recovering).
#[allow(clippy::too_many_arguments)]
pub(super) async fn verify_and_record(
    ws: &Workspace,
    ctx: &Context,
    store: &mut Store,
    entry: &Promotion,
    dst: &Registry,
    path: &str,
    recovering: bool,
    notes: &super::Notes<'_>,
) -> Result<Event> {
    let seen = dst.resolve_tag(path, &entry.tag).await?;
    let shows_digest = seen.as_ref() == Some(&entry.digest);
    let state = store.journal_get(entry.id)?.state;
    match (state, shows_digest) {
        (JournalState::Recorded | JournalState::Failed | JournalState::Review, _) => {
            Err(Error::refused(format!(
                "promotion {} is already {}",
                entry.id,
                state.as_str()
            )))
        }
        (JournalState::Verified, _) | (JournalState::Intended | JournalState::Pushed, true) => {
            if state != JournalState::Verified {
                store.journal_advance(entry.id, JournalState::Verified, ctx.clock.now())?;
                fault::point("verified");
            }
            let now = ctx.clock.now();
            // What the read-back showed is what the tag is labelled with from now on, so the
            // status never shows the digest from before the promotion.
            let observation = shows_digest.then(|| NewEvent {
                at: now,
                kind: EventKind::Observation,
                app: entry.app.clone(),
                env: entry.to_env.clone(),
                digest: seen.clone(),
                actor: None,
                data: serde_json::json!({
                    "repository": entry.dst_repository,
                    "tag": entry.tag,
                    "journal": entry.id,
                }),
            });
            store.journal_record(
                entry.id,
                promotion_event(ws, ctx, store, entry, now, recovering, notes)?,
                observation,
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
