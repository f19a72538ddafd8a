//! An approval, rejection or unrejection marked `imported` (a teammate's, pulled by `sync`) is
//! not compared with this chain's head: the head it signed is another machine's. So the marker
//! must not be something anyone can add: it must name the team artifact it came from
//! (`data.imported.artifact`), and that artifact must be one this history imported as this very
//! event, not one this desktop published as its own (the `team_artifacts` table, looked up by
//! the caller; its origin is kept since migration 13).

use crate::domain::{Digest, Event, EventKind};

/// What the `team_artifacts` table says of an artifact: the event it was appended or imported
/// as, and whether this desktop published it as its own (`None`: the artifact is unknown;
/// `Some((None, _))`: known, no event; `published_here` is `false` for a row from before its
/// origin was kept).
pub type ArtifactEvent = Option<(Option<i64>, bool)>;

/// The problem with an event's `imported` marker, if it has one and it does not hold.
/// `lookup(artifact)` reads the team artifacts table.
pub fn check(
    e: &Event,
    lookup: impl FnOnce(&Digest) -> crate::Result<ArtifactEvent>,
) -> crate::Result<Option<String>> {
    if !matches!(
        e.kind,
        EventKind::Approval | EventKind::Rejection | EventKind::Unrejection
    ) {
        return Ok(None);
    }
    let Some(marker) = e.data.get("imported") else {
        return Ok(None);
    };
    let kind = e.kind.as_str();
    let artifact = marker
        .get("artifact")
        .and_then(serde_json::Value::as_str)
        .and_then(|a| Digest::parse(a).ok());
    let Some(artifact) = artifact else {
        return Ok(Some(format!(
            "{kind} marked imported names no team artifact (data.imported.artifact): the marker turns off its chain-head check, so it was added outside Tollgate"
        )));
    };
    Ok(match lookup(&artifact)? {
        None => Some(format!(
            "{kind} marked imported from artifact {artifact}, which this history never pulled (team artifacts): the marker, which turns off its chain-head check, was forged"
        )),
        Some((Some(_), true)) => Some(format!(
            "{kind} marked imported from artifact {artifact}, which this desktop published as its own event: the marker, which turns off its chain-head check, was forged"
        )),
        Some((Some(seq), false)) if seq == e.seq => None,
        Some((Some(seq), false)) => Some(format!(
            "{kind} marked imported from artifact {artifact}, which this history imported as event {seq}, not this one: the marker was forged"
        )),
        Some((None, _)) => Some(format!(
            "{kind} marked imported from artifact {artifact}, which this history never imported as an event: the marker was forged"
        )),
    })
}
