//! Publishing: push an event's artifact (blobs, then the manifest by digest), then make sure the
//! referrers of its subject list it: on a registry without the referrers API, by merging it into
//! the fallback index, reading back and retrying while another writer's index replaced ours.

use std::time::Duration;

use super::artifact::{TeamEvent, CREATED_ANNOTATION, EMPTY_CONFIG};
use super::index::{self, fallback_tag, Entry};
use super::TeamRegistry;
use crate::domain::Digest;
use crate::registry::{OCI_INDEX, OCI_MANIFEST};
use crate::{Code, Error, Result};

/// Rounds of read-merge-write-read-back on the fallback index before giving up.
pub const MAX_INDEX_ATTEMPTS: u32 = 8;

/// How long a publish waits after its read-back before reading the fallback index once more:
/// longer than the read-to-write gap of another writer's read-merge-write.
pub const SETTLE: Duration = Duration::from_millis(250);

/// What publishing an event came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Publish {
    /// The artifact is in the registry and listed among its subject's referrers.
    Shared(Published),
    /// The registry refused the push (no push rights, or no credentials): the caller keeps the
    /// event local, marked unshared, and tries again later.
    Denied(Denied),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The artifact manifest's digest: the event's identity in the registry.
    pub artifact: Digest,
    /// Its manifest's size in bytes.
    pub size: u64,
    pub repository: String,
    /// `None` when the registry has the referrers API (it lists the artifact itself).
    pub fallback: Option<FallbackWrite>,
}

/// A fallback index that lists what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FallbackWrite {
    /// The fallback tag, `sha256-<hex>`.
    pub tag: String,
    /// The digest of the index read back.
    pub index: Digest,
    /// Rounds it took (1 when no other writer interfered).
    pub attempts: u32,
    /// Entries this call added (those already listed are not counted).
    pub added: Vec<Digest>,
    /// Entries left out because the registry no longer has their manifests (it refuses an
    /// index that lists them).
    pub dropped: Vec<Digest>,
}

/// A push the registry denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// `host[:port]`
    pub registry: String,
    pub repository: String,
    /// One line: which registry, what right to ask for.
    pub line: String,
}

impl Denied {
    pub(super) fn new(registry: String, repository: &str, e: &Error) -> Self {
        let line = format!(
            "not shared yet: registry {registry} does not let you push to {repository} ({}); the event stays in this history, marked unshared, and is published on a later sync once you have push rights on {repository} (ask the registry's admin), or set [team] ledger in tollgate.toml to a repository you may push to",
            match e.code {
                Code::AuthRequired => "no valid credentials",
                _ => "pull rights only",
            }
        );
        Denied {
            registry,
            repository: repository.to_string(),
            line,
        }
    }
}

/// The index entry that lists an artifact this history knows (for [`TeamRegistry::ensure_listed`]):
/// its manifest's `digest` and `size`, its `kind` (`approval`, `promotion`, ...) as the store
/// keeps it; `None` when that is not a kind Tollgate publishes.
pub fn known_entry(digest: &Digest, size: u64, kind: &str) -> Option<Entry> {
    let kind = super::ArtifactKind::parse(kind)?;
    Some(Entry {
        digest: digest.clone(),
        size,
        media_type: OCI_MANIFEST.into(),
        artifact_type: Some(kind.artifact_type()),
        annotations: Default::default(),
    })
}

/// The index entry that lists an event's artifact.
fn entry_for(event: &TeamEvent, artifact: &Digest, size: u64) -> Entry {
    let mut annotations = event.annotations.clone();
    annotations.insert(
        CREATED_ANNOTATION.into(),
        event
            .created
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    );
    Entry {
        digest: artifact.clone(),
        size,
        media_type: OCI_MANIFEST.into(),
        artifact_type: Some(event.kind.artifact_type()),
        annotations,
    }
}

impl TeamRegistry {
    /// Publish `event` to `repository` (a path in this registry). Idempotent: the same event
    /// gives the same artifact, already listed the second time.
    #[tracing::instrument(level = "debug", skip(self, event), fields(kind = event.kind.as_str(), subject = %event.subject.digest))]
    pub async fn publish(&self, repository: &str, event: &TeamEvent) -> Result<Publish> {
        let manifest = event.manifest()?;
        match self.push_artifact(repository, event, &manifest).await {
            Ok(()) => {}
            Err(e) if matches!(e.code, Code::Forbidden | Code::AuthRequired) => {
                let denied = Denied::new(self.registry.display_name(), repository, &e);
                tracing::info!(line = %denied.line, "push denied");
                return Ok(Publish::Denied(denied));
            }
            Err(e) => return Err(e),
        }
        let artifact = Digest::of(&manifest);
        let size = manifest.len() as u64;
        let entry = entry_for(event, &artifact, size);
        let fallback = match self.api_listing(repository, &event.subject.digest).await? {
            Some(_) => None,
            None => match self
                .add_to_fallback_settled(repository, &event.subject.digest, &[entry])
                .await
            {
                Ok(w) => Some(w),
                Err(e) if matches!(e.code, Code::Forbidden | Code::AuthRequired) => {
                    return Ok(Publish::Denied(Denied::new(
                        self.registry.display_name(),
                        repository,
                        &e,
                    )))
                }
                Err(e) => return Err(e),
            },
        };
        Ok(Publish::Shared(Published {
            artifact,
            size,
            repository: repository.to_string(),
            fallback,
        }))
    }

    async fn push_artifact(
        &self,
        repository: &str,
        event: &TeamEvent,
        manifest: &[u8],
    ) -> Result<()> {
        let r = &self.registry;
        r.push_blob(repository, EMPTY_CONFIG).await?;
        r.push_blob(repository, &event.message).await?;
        r.push_blob(repository, event.signature.as_bytes()).await?;
        r.push_manifest_by_digest(repository, manifest, OCI_MANIFEST)
            .await?;
        Ok(())
    }

    /// Re-add to `subject`'s fallback index the `known` artifacts (verified events this desktop
    /// holds) that it no longer lists: another writer's read-merge-write lost them. Returns the
    /// write when something was missing (added, or left out because its manifest is gone:
    /// `dropped`), `None` when the index lists them all (one GET) or the
    /// registry has the referrers API (it lists artifacts itself).
    #[tracing::instrument(level = "debug", skip(self, known), fields(subject = %subject, known = known.len()))]
    pub async fn ensure_listed(
        &self,
        repository: &str,
        subject: &Digest,
        known: &[Entry],
    ) -> Result<Option<FallbackWrite>> {
        if known.is_empty() || self.api_listing(repository, subject).await?.is_some() {
            return Ok(None);
        }
        let w = self.add_to_fallback(repository, subject, known).await?;
        Ok((!w.added.is_empty() || !w.dropped.is_empty()).then_some(w))
    }

    /// [`Self::add_to_fallback`], then, after [`SETTLE`], read the index once more and merge
    /// again if a concurrent writer (whose read came before our write and whose write came after
    /// our read-back) replaced it: so that when two desktops publish at the same moment, both
    /// entries are listed once both have returned, and either desktop's next sync sees both.
    pub(super) async fn add_to_fallback_settled(
        &self,
        repository: &str,
        subject: &Digest,
        add: &[Entry],
    ) -> Result<FallbackWrite> {
        let mut w = self.add_to_fallback(repository, subject, add).await?;
        let tag = fallback_tag(subject);
        let what = format!("the referrers index {repository}:{tag}");
        for _ in 0..MAX_INDEX_ATTEMPTS {
            tokio::time::sleep(SETTLE + backoff(1)).await;
            let Some(now) = self.registry.fetch_tag(repository, &tag).await? else {
                break;
            };
            let listing = index::read(&now.bytes, &what)?;
            let kept = add
                .iter()
                .filter(|e| !w.dropped.contains(&e.digest))
                .all(|e| listing.contains(&e.digest));
            if kept {
                w.index = now.digest;
                return Ok(w);
            }
            tracing::debug!(%tag, "a concurrent writer replaced the referrers index after our read-back; merging again");
            let again = self.add_to_fallback(repository, subject, add).await?;
            w.attempts += again.attempts;
            w.index = again.index;
        }
        Ok(w)
    }

    /// Read-merge-write the fallback index of `subject` until a read back lists every entry
    /// of `add` (bounded: [`MAX_INDEX_ATTEMPTS`] rounds).
    async fn add_to_fallback(
        &self,
        repository: &str,
        subject: &Digest,
        add: &[Entry],
    ) -> Result<FallbackWrite> {
        let tag = fallback_tag(subject);
        let what = format!("the referrers index {repository}:{tag}");
        let r = &self.registry;
        let mut added: Vec<Digest> = Vec::new();
        let mut dropped: Vec<Digest> = Vec::new();
        for attempt in 1..=MAX_INDEX_ATTEMPTS {
            let wanted: Vec<Entry> = add
                .iter()
                .filter(|e| !dropped.contains(&e.digest))
                .cloned()
                .collect();
            let current = r.fetch_tag(repository, &tag).await?;
            let base = match &current {
                Some(cur) if !dropped.is_empty() => {
                    Some(index::without(&cur.bytes, &dropped, &what)?)
                }
                Some(cur) => Some(cur.bytes.clone()),
                None => None,
            };
            let pruned = match (&base, &current) {
                (Some(b), Some(cur)) => b != &cur.bytes,
                _ => false,
            };
            let merged = match index::merge(base.as_deref(), &wanted, &what)? {
                None if pruned => base.clone(),
                m => m,
            };
            let index_digest = match (merged, &current) {
                (None, Some(cur)) => cur.digest.clone(),
                (None, None) => return Err(Error::internal(format!("nothing to add to {what}"))),
                (Some(bytes), _) => {
                    let before = match &current {
                        Some(cur) => index::read(&cur.bytes, &what)?,
                        None => index::Listing::default(),
                    };
                    for e in &wanted {
                        if !before.contains(&e.digest) && !added.contains(&e.digest) {
                            added.push(e.digest.clone());
                        }
                    }
                    match r.push_manifest(repository, &tag, &bytes, OCI_INDEX).await {
                        Ok(_) => {}
                        // Distribution refuses an index that lists a manifest it no longer has
                        // (deleted by an admin or garbage collection): such an entry points at
                        // nothing, so it is left out, and named in `dropped`.
                        Err(e)
                            if e.code == Code::Protocol
                                && e.message.contains("MANIFEST_BLOB_UNKNOWN") =>
                        {
                            let missing = self.missing_children(repository, &bytes).await?;
                            if missing.is_empty() || missing.iter().all(|d| dropped.contains(d)) {
                                return Err(e);
                            }
                            tracing::warn!(%tag, missing = missing.len(), "leaving out index entries whose manifests are gone");
                            for d in missing {
                                if !dropped.contains(&d) {
                                    dropped.push(d);
                                }
                            }
                            added.retain(|d| !dropped.contains(d));
                            continue;
                        }
                        Err(e) => return Err(e),
                    }
                    match r.fetch_tag(repository, &tag).await? {
                        Some(back)
                            if wanted.iter().all(|e| {
                                index::read(&back.bytes, &what).is_ok_and(|l| l.contains(&e.digest))
                            }) =>
                        {
                            back.digest
                        }
                        _ => {
                            tracing::debug!(attempt, %tag, "another writer replaced the referrers index; merging again");
                            tokio::time::sleep(backoff(attempt)).await;
                            continue;
                        }
                    }
                }
            };
            return Ok(FallbackWrite {
                tag,
                index: index_digest,
                attempts: attempt,
                added,
                dropped,
            });
        }
        Err(Error::new(
            Code::Refused,
            format!("{what} of registry {} kept being replaced by other writers ({MAX_INDEX_ATTEMPTS} attempts); the artifacts are pushed but not listed yet: run sync again, which re-adds them", r.display_name()),
        ))
    }

    /// The manifests an index lists that the repository does not have (one GET each: only
    /// asked after the registry refused the index for that reason).
    async fn missing_children(&self, repository: &str, index_bytes: &[u8]) -> Result<Vec<Digest>> {
        let v: serde_json::Value = serde_json::from_slice(index_bytes)
            .map_err(|e| Error::internal(format!("referrers index: {e}")))?;
        let mut missing = Vec::new();
        for m in v["manifests"].as_array().into_iter().flatten() {
            let Some(d) = m["digest"].as_str().and_then(|d| Digest::parse(d).ok()) else {
                continue;
            };
            match self.registry.fetch_manifest(repository, &d).await {
                Ok(_) => {}
                Err(e) if e.code == Code::NotFound => missing.push(d),
                Err(e) => return Err(e),
            }
        }
        Ok(missing)
    }
}

/// A short, jittered pause between index rounds, so that two writers stop meeting.
fn backoff(attempt: u32) -> Duration {
    let mut b = [0u8; 1];
    let _ = rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut b);
    Duration::from_millis(u64::from(attempt) * 15 + u64::from(b[0] % 40))
}
