//! Checking a history (`verify --checkpoints`) or an exported report (`verify FILE --config`)
//! against the trusted checkpoints of its chain in the team's registry.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{repositories, short};
use crate::api::open::{self, Registries};
use crate::api::Context;
use crate::config::Workspace;
use crate::signing::{verify_checkpoint, TrustedCheckpoint};
use crate::team::{chain_tag_prefix, TeamRegistry, CHECKPOINT_TAG_PREFIX};
use crate::{Error, Result};

/// A trusted checkpoint found in the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointSeen {
    pub signer: String,
    pub seq: i64,
    pub hash: String,
    /// When it was signed (RFC 3339, UTC).
    pub at: String,
    pub genesis: String,
    /// `<registry name>/<path>` and tag it was read from.
    pub repository: String,
    pub tag: String,
    /// `SHA256:…` of the key that signed it.
    pub fingerprint: String,
}

/// What checking a history (or a report) against the registry's checkpoints found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckpointCheck {
    /// The chain checked: the hash of its event 1; `null` when the report does not hold it.
    pub genesis: Option<String>,
    /// The last event of what was checked (the database head, the report's last event).
    pub end_seq: i64,
    pub end_hash: String,
    /// Whether the registry could be read (in at least one team repository).
    pub checked: bool,
    /// The trusted checkpoints of this chain, newest first.
    pub checkpoints: Vec<CheckpointSeen>,
    /// The newest of them (of the exporting identity, for a report that names it).
    pub newest: Option<CheckpointSeen>,
    /// `end_seq` is at or after `newest`'s seq; `null` when there is none.
    pub at_or_after_newest: Option<bool>,
    /// Whether `newest`'s event is in what was checked with its hash: `true` it is, `false`
    /// it is not (a contradiction), `null` when it is not covered (past the end, or before a
    /// report's range) or there is no checkpoint.
    pub newest_holds: Option<bool>,
    /// Checkpoints the history or report contradicts (a cut tail, a rewritten past): exit 1.
    pub contradictions: Vec<String>,
    /// Lines that flag without contradicting (a report older than the newest checkpoint).
    pub warnings: Vec<String>,
    /// Checkpoints that do not count (bad signature, unknown signer), named and ignored.
    pub untrusted: Vec<String>,
    /// Why some or all of the registry could not be read.
    pub unread: Vec<String>,
    /// The identity whose checkpoints a report is compared with (its seal's signer).
    pub exporter: Option<String>,
}

impl CheckpointCheck {
    pub fn ok(&self) -> bool {
        self.contradictions.is_empty()
    }
}

/// The checkpoints under tags starting with `prefix` in every team repository: trusted ones,
/// and lines for the untrusted and the unreadable.
async fn read_checkpoints(
    ws: &Workspace,
    ctx: &Context,
    prefix: &str,
    out: &mut CheckpointCheck,
) -> Vec<CheckpointSeen> {
    let identities = ws.config.identities();
    let mut registries = Registries::new(ws, ctx);
    let mut seen = Vec::new();
    for repository in repositories(ws) {
        let team = match registries
            .get(&repository)
            .map(|(r, p)| (TeamRegistry::new(r), p))
        {
            Ok((Ok(t), path)) => (t, path),
            Ok((Err(e), _)) | Err(e) => {
                out.unread.push(format!("{repository}: {}", e.message));
                continue;
            }
        };
        let (team, path) = team;
        let (tags, more) = match team.checkpoint_tags(&path, prefix).await {
            Ok(t) => t,
            Err(e) => {
                out.unread.push(format!("{repository}: {}", e.message));
                continue;
            }
        };
        out.checked = true;
        if more > 0 {
            out.unread.push(format!(
                "{repository}: {more} more checkpoint tags than the {} read were left unread",
                tags.len()
            ));
        }
        for tag in tags {
            let fetched = match team.fetch_checkpoint(&path, &tag).await {
                Ok(Some(f)) => f,
                Ok(None) => continue,
                Err(e) => {
                    out.unread
                        .push(format!("{repository}:{tag}: {}", e.message));
                    continue;
                }
            };
            let trusted: std::result::Result<TrustedCheckpoint, String> = fetched
                .read
                .and_then(|(m, s)| verify_checkpoint(&m, &s, &identities));
            match trusted {
                Ok(t) => seen.push(CheckpointSeen {
                    signer: t.message.signer,
                    seq: t.message.seq,
                    hash: t.message.hash,
                    at: t.message.at,
                    genesis: t.message.genesis,
                    repository: repository.clone(),
                    tag,
                    fingerprint: t.fingerprint,
                }),
                Err(why) => out.untrusted.push(format!(
                    "checkpoint {repository}:{tag} ({}) ignored: {why}",
                    fetched.artifact.short()
                )),
            }
        }
    }
    seen.sort_by(|a, b| b.seq.cmp(&a.seq).then(a.signer.cmp(&b.signer)));
    seen
}

/// `tollgate verify --checkpoints`: the database's chain against every trusted checkpoint of
/// it in the team's registry: each one's event must be in this chain with its hash.
#[tracing::instrument(skip_all)]
pub async fn verify_checkpoints(ws: &Workspace, ctx: &Context) -> Result<CheckpointCheck> {
    let store = open::store(ws)?;
    let (head_seq, head_hash) = store.chain_head()?;
    let mut out = CheckpointCheck {
        end_seq: head_seq,
        end_hash: head_hash,
        ..CheckpointCheck::default()
    };
    let Some(genesis) = store.hash_at(1)? else {
        out.warnings
            .push("the history is empty: there is no chain to check".into());
        return Ok(out);
    };
    out.genesis = Some(genesis.clone());
    let all = read_checkpoints(ws, ctx, CHECKPOINT_TAG_PREFIX, &mut out).await;
    let (mine, others): (Vec<_>, Vec<_>) = all.into_iter().partition(|c| c.genesis == genesis);
    for c in &mine {
        match store.hash_at(c.seq)? {
            None => out.contradictions.push(format!(
                "{} signed a checkpoint of event {} of this chain at {} ({}:{}), but this history ends at event {head_seq}: events were removed from its end (or this is an older copy)",
                c.signer, c.seq, c.at, c.repository, c.tag
            )),
            Some(h) if h != c.hash => out.contradictions.push(format!(
                "{} signed a checkpoint of event {} of this chain at {} ({}:{}) with hash {}, but this history's event {} has hash {}: its past was rewritten",
                c.signer, c.seq, c.at, c.repository, c.tag, short(&c.hash), c.seq, short(&h)
            )),
            Some(_) => {}
        }
    }
    if mine.is_empty() && !others.is_empty() && out.checked {
        let prefixes: std::collections::BTreeSet<String> = others
            .iter()
            .map(|c| chain_tag_prefix(&c.genesis))
            .collect();
        out.warnings.push(format!(
            "the registry holds checkpoints of {} other chain(s) ({}), none of this one ({}): if this database should continue one of them, its first event was rewritten",
            prefixes.len(),
            prefixes.into_iter().collect::<Vec<_>>().join(", "),
            chain_tag_prefix(&genesis)
        ));
    }
    out.newest = mine.first().cloned();
    out.at_or_after_newest = out.newest.as_ref().map(|n| head_seq >= n.seq);
    out.newest_holds = match &out.newest {
        Some(n) if n.seq <= head_seq => {
            Some(store.hash_at(n.seq)?.as_deref() == Some(n.hash.as_str()))
        }
        _ => None,
    };
    out.checkpoints = mine;
    tracing::info!(
        checkpoints = out.checkpoints.len(),
        contradictions = out.contradictions.len(),
        "checkpoints checked"
    );
    Ok(out)
}

/// `verify FILE --config`: an exported JSON report against the trusted checkpoints of its
/// chain: the report's end is at or after the newest (of the exporting identity when its seal
/// names one), and every checkpoint whose event the report covers has that event's hash.
#[tracing::instrument(skip_all, fields(file = %path.display()))]
pub async fn report_checkpoints(
    ws: &Workspace,
    ctx: &Context,
    path: &std::path::Path,
) -> Result<CheckpointCheck> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::bad_input(format!("cannot read {}: {e}", path.display())))?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|_| Error::bad_input(format!("{} is not a JSON report", path.display())))?;
    let mut hashes: BTreeMap<i64, String> = BTreeMap::new();
    for e in v["events"].as_array().into_iter().flatten() {
        if let (Some(seq), Some(hash)) = (e["seq"].as_i64(), e["hash"].as_str()) {
            hashes.insert(seq, hash.to_string());
        }
    }
    let mut out = CheckpointCheck::default();
    let (Some((&first, _)), Some((&last, end_hash))) =
        (hashes.first_key_value(), hashes.last_key_value())
    else {
        out.warnings
            .push("the report holds no events: there is no chain to compare".into());
        return Ok(out);
    };
    out.end_seq = last;
    out.end_hash = end_hash.clone();
    out.genesis = hashes.get(&1).cloned();
    out.exporter = ["signer", "identity", "id"]
        .iter()
        .find_map(|k| v["seal"][k].as_str())
        .map(str::to_string);
    let generated = v["generated_at"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let prefix = out
        .genesis
        .as_deref()
        .map_or_else(|| CHECKPOINT_TAG_PREFIX.to_string(), chain_tag_prefix);
    let all = read_checkpoints(ws, ctx, &prefix, &mut out).await;
    // The report's chain: named by its event 1, else tied by a checkpoint inside its range
    // whose hash it holds.
    let chains: Vec<String> = match &out.genesis {
        Some(g) => vec![g.clone()],
        None => {
            let mut g: Vec<String> = all
                .iter()
                .filter(|c| hashes.get(&c.seq) == Some(&c.hash))
                .map(|c| c.genesis.clone())
                .collect();
            g.sort();
            g.dedup();
            if g.is_empty() && out.checked {
                out.warnings.push(format!(
                    "the report starts at event {first}, not 1, and no checkpoint in the registry falls within it: it could not be tied to a chain, so its end could not be compared"
                ));
            }
            g
        }
    };
    let mine: Vec<CheckpointSeen> = all
        .into_iter()
        .filter(|c| chains.contains(&c.genesis))
        .collect();
    for c in &mine {
        if c.seq < first {
            continue;
        }
        if c.seq <= last {
            match hashes.get(&c.seq) {
                Some(h) if *h != c.hash => out.contradictions.push(format!(
                    "{} signed a checkpoint of event {} at {} ({}:{}) with hash {}, but the report's event {} has hash {}: the history it was exported from was rewritten",
                    c.signer, c.seq, c.at, c.repository, c.tag, short(&c.hash), c.seq, short(h)
                )),
                _ => {}
            }
            continue;
        }
        let signed = DateTime::parse_from_rfc3339(&c.at)
            .ok()
            .map(|t| t.with_timezone(&Utc));
        match (signed, generated) {
            (Some(s), Some(g)) if s <= g => out.contradictions.push(format!(
                "the report ends at event {last}, but {} signed a checkpoint of event {} at {} ({}:{}), before the report was generated ({}): its tail was cut",
                c.signer, c.seq, c.at, c.repository, c.tag, v["generated_at"].as_str().unwrap_or("")
            )),
            _ => out.warnings.push(format!(
                "the report ends at event {last}, before {}'s checkpoint of event {} ({}, {}:{}), which is newer than the report's generated_at ({}): the report is older than that checkpoint, or its tail was cut; export again to cover it",
                c.signer, c.seq, c.at, c.repository, c.tag, v["generated_at"].as_str().unwrap_or("unknown")
            )),
        }
    }
    out.newest = match &out.exporter {
        Some(x) => mine.iter().find(|c| &c.signer == x).cloned(),
        None => mine.first().cloned(),
    };
    out.at_or_after_newest = out.newest.as_ref().map(|n| last >= n.seq);
    out.newest_holds = out
        .newest
        .as_ref()
        .and_then(|n| hashes.get(&n.seq).map(|h| *h == n.hash));
    out.checkpoints = mine;
    Ok(out)
}
