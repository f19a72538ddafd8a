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
    fn new(registry: String, repository: &str, e: &Error) -> Self {
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

/// The index entry that lists an artifact this history knows (for [`TeamRegistry::ensure_listed`]);
/// `None` when its kind is not one Tollgate publishes.
pub fn known_entry(a: &crate::store::TeamArtifact) -> Option<Entry> {
    let kind = super::ArtifactKind::parse(&a.kind)?;
    Some(Entry {
        digest: a.digest.clone(),
        size: a.size,
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
                .add_to_fallback(repository, &event.subject.digest, &[entry])
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
    /// write when something was missing, `None` when the index lists them all (one GET) or the
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
        Ok((!w.added.is_empty()).then_some(w))
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
        for attempt in 1..=MAX_INDEX_ATTEMPTS {
            let current = r.fetch_tag(repository, &tag).await?;
            let merged = index::merge(current.as_ref().map(|m| m.bytes.as_slice()), add, &what)?;
            let index_digest = match (merged, &current) {
                (None, Some(cur)) => cur.digest.clone(),
                (None, None) => return Err(Error::internal(format!("nothing to add to {what}"))),
                (Some(bytes), _) => {
                    if let Some(cur) = &current {
                        let listing = index::read(&cur.bytes, &what)?;
                        for e in add {
                            if !listing.contains(&e.digest) && !added.contains(&e.digest) {
                                added.push(e.digest.clone());
                            }
                        }
                    } else {
                        added = add.iter().map(|e| e.digest.clone()).collect();
                    }
                    r.push_manifest(repository, &tag, &bytes, OCI_INDEX).await?;
                    match r.fetch_tag(repository, &tag).await? {
                        Some(back)
                            if add.iter().all(|e| {
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
            });
        }
        Err(Error::new(
            Code::Refused,
            format!("{what} of registry {} kept being replaced by other writers ({MAX_INDEX_ATTEMPTS} attempts); the artifacts are pushed but not listed yet: run sync again, which re-adds them", r.display_name()),
        ))
    }
}

/// A short, jittered pause between index rounds, so that two writers stop meeting.
fn backoff(attempt: u32) -> Duration {
    let mut b = [0u8; 1];
    let _ = rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut b);
    Duration::from_millis(u64::from(attempt) * 15 + u64::from(b[0] % 40))
}
