//! Discovery: the referrers of a digest, through the referrers API where the registry has it,
//! else the fallback tag. An unchanged index costs one request (a HEAD of the fallback tag
//! compared with the index digest seen last); an index that lists fewer of the artifacts this
//! desktop knows is reported (`lost`), never read as "nothing exists".
//!
//! A sync asks about many digests of one repository: [`TeamRegistry::fallbacks`] lists the
//! repository's tags once (`GET /v2/<name>/tags/list`, paged) when it has no referrers API, and
//! [`TeamRegistry::pull_in`] then asks nothing about a digest whose fallback tag is absent from
//! that list and was absent before. A digest with a fallback tag costs what it did (one HEAD
//! when it was read before, else one GET); one whose tag is absent now but whose index was read
//! before is asked for as before, so an index that disappeared is reported as lost, never read
//! as "nothing exists". The answer "no referrers API" is remembered by the process for
//! [`NO_API_MEMORY`] (the probe is one request per repository).
//!
//! Bounded whatever the registry serves: a listing (the fallback index, or every page of a
//! referrers answer together) is read up to [`MAX_LISTING_BYTES`] and may list up to
//! [`MAX_ENTRIES_PER_SUBJECT`] entries, else the subject is refused in one line (the caller
//! names it and goes on with the others); a tag list holds only the fallback tags, up to
//! [`MAX_FALLBACK_TAGS`]; artifacts skipped before (`Seen::skipped`) are not fetched again.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::artifact::{
    self, ArtifactManifest, MAX_ARTIFACT_MANIFEST_BYTES, MAX_MESSAGE_BYTES, MAX_SIGNATURE_BYTES,
};
use super::index::{self, fallback_tag, is_fallback_tag, Listing, Skipped};
use super::TeamRegistry;
use crate::domain::Digest;
use crate::{Code, Error, Result};

/// What the caller saw of a subject's referrers before (from its store).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// The digest of the index read last time.
    pub index_digest: Option<Digest>,
    /// The artifacts known to be among the referrers (published or imported).
    pub known: Vec<Digest>,
    /// Artifacts skipped before (untrusted, malformed, replayed, ...) under the identities
    /// tollgate.toml lists now: listed again, they are not fetched (see [`Pulled::remembered`]).
    pub skipped: Vec<Digest>,
}

/// Bytes of one subject's listing read at most: the fallback index, or all pages of a
/// referrers answer together (1 MiB: some 2,500 entries with their annotations).
pub const MAX_LISTING_BYTES: usize = 1024 * 1024;
/// Entries one subject's listing may hold (Tollgate's and other tools' together).
pub const MAX_ENTRIES_PER_SUBJECT: usize = 1000;
/// Fallback tags (`sha256-…`) of one repository held from its tag list at most; over it, each
/// subject's fallback tag is asked for on its own.
pub const MAX_FALLBACK_TAGS: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    ReferrersApi,
    FallbackTag,
}

/// A subject's referrers as the registry lists them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrers {
    pub source: Source,
    /// The digest of the index read (of the API answer's bytes, or of the fallback tag's
    /// manifest); `None` when there is no fallback tag. Keep it for the next call.
    pub index_digest: Option<Digest>,
    /// The index is the one seen last: `listing` is empty, nothing new.
    pub unchanged: bool,
    pub listing: Listing,
    /// Known artifacts the index no longer lists: it shrank (another writer's index replaced
    /// one that had them, or someone removed them). `ensure_listed` puts them back.
    pub lost: Vec<Digest>,
}

impl Referrers {
    /// One line when the index shrank, naming where and how much.
    pub fn lost_line(&self, repository: &str, subject: &Digest) -> Option<String> {
        if self.lost.is_empty() {
            return None;
        }
        let lost: Vec<&str> = self.lost.iter().map(Digest::short).collect();
        Some(format!(
            "the referrers of {repository}@{} no longer list {} event(s) this history knows ({}): another writer replaced the index (registries have no compare-and-swap) or someone removed them; they are not gone: the next sync lists them again",
            subject.short(),
            self.lost.len(),
            lost.join(", ")
        ))
    }
}

/// An artifact's manifest and its two layers, read and checked against their digests and
/// size caps (not verified: the caller checks the signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub manifest: ArtifactManifest,
    pub message: Vec<u8>,
    pub signature: String,
}

/// What [`TeamRegistry::pull`] read: the listing, the new artifacts, and what was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    pub referrers: Referrers,
    pub fetched: Vec<Fetched>,
    /// Entries that are not Tollgate artifacts or are malformed, each named.
    pub skipped: Vec<Skipped>,
    /// Listed artifacts skipped before (`Seen::skipped`), not fetched again.
    pub remembered: Vec<Digest>,
}

/// How long this process remembers that a repository has no referrers API.
pub const NO_API_MEMORY: Duration = Duration::from_secs(600);

/// What one sync knows of a repository's fallback tags ([`TeamRegistry::fallbacks`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallbacks {
    /// Not listed: every subject's fallback tag is asked for.
    Unknown,
    /// The repository has the referrers API; `answer` is the probe's answer about `probe`.
    Api { probe: Digest, answer: Vec<u8> },
    /// The repository has no referrers API; these are its `sha256-<hex>` tags, as listed.
    Listed(HashSet<String>),
}

/// Repositories found to have no referrers API, by registry and repository, with when.
fn no_api_memory() -> &'static Mutex<HashMap<String, Instant>> {
    static MEMORY: OnceLock<Mutex<HashMap<String, Instant>>> = OnceLock::new();
    MEMORY.get_or_init(|| Mutex::new(HashMap::new()))
}

impl TeamRegistry {
    fn memory_key(&self, repository: &str) -> String {
        format!("{:?} {repository}", self.registry.location())
    }

    /// Once per repository per sync: probe the referrers API (with `probe`, a subject the sync
    /// asks about; the answer "none" is remembered for [`NO_API_MEMORY`]) and, when there is
    /// none, list the repository's tags once to learn which fallback tags exist. A tag list the
    /// registry refuses (or that fails) gives [`Fallbacks::Unknown`]: every digest is asked, as
    /// before; a repository that does not exist yet has no fallback tags.
    #[tracing::instrument(level = "debug", skip(self), fields(probe = %probe))]
    pub async fn fallbacks(&self, repository: &str, probe: &Digest) -> Result<Fallbacks> {
        let key = self.memory_key(repository);
        let remembered = no_api_memory()
            .lock()
            .ok()
            .and_then(|m| m.get(&key).copied())
            .is_some_and(|at| at.elapsed() < NO_API_MEMORY);
        if remembered {
            if let Ok(mut map) = self.has_api.lock() {
                map.insert(repository.to_string(), false);
            }
        } else if let Some(answer) = self.api_listing(repository, probe).await? {
            return Ok(Fallbacks::Api {
                probe: probe.clone(),
                answer,
            });
        } else if let Ok(mut m) = no_api_memory().lock() {
            m.insert(key, Instant::now());
        }
        match self
            .registry
            .list_tags_where(repository, &|t| is_fallback_tag(t), MAX_FALLBACK_TAGS)
            .await
        {
            Ok(tags) => Ok(Fallbacks::Listed(
                tags.into_iter().filter(|t| is_fallback_tag(t)).collect(),
            )),
            Err(e) if e.code == Code::NotFound => Ok(Fallbacks::Listed(HashSet::new())),
            Err(e) => {
                tracing::warn!(repository, error = %e.message, "cannot list the tags: every fallback index is asked for");
                Ok(Fallbacks::Unknown)
            }
        }
    }

    /// The referrers of `subject` in `repository`.
    #[tracing::instrument(level = "debug", skip(self, seen), fields(subject = %subject))]
    pub async fn discover(
        &self,
        repository: &str,
        subject: &Digest,
        seen: &Seen,
    ) -> Result<Referrers> {
        self.discover_in(repository, subject, seen, &Fallbacks::Unknown)
            .await
    }

    /// [`Self::discover`] with what [`Self::fallbacks`] learned of the repository this sync:
    /// no request at all for a subject whose fallback tag is not listed and was not there
    /// before.
    #[tracing::instrument(level = "debug", skip(self, seen, fallbacks), fields(subject = %subject))]
    pub async fn discover_in(
        &self,
        repository: &str,
        subject: &Digest,
        seen: &Seen,
        fallbacks: &Fallbacks,
    ) -> Result<Referrers> {
        let tag = fallback_tag(subject);
        if let Fallbacks::Listed(tags) = fallbacks {
            if seen.index_digest.is_none() && !tags.contains(&tag) {
                return Ok(Referrers {
                    source: Source::FallbackTag,
                    index_digest: None,
                    unchanged: true,
                    listing: Listing::default(),
                    lost: Vec::new(),
                });
            }
        }
        let what = format!("the referrers index {repository}:{tag}");
        let api = match fallbacks {
            Fallbacks::Api { probe, answer } if probe == subject => Some(answer.clone()),
            Fallbacks::Listed(_) => None,
            _ => self.api_listing(repository, subject).await?,
        };
        let (source, index_digest, listing) = match api {
            Some(bytes) => {
                let d = Digest::of(&bytes);
                if seen.index_digest.as_ref() == Some(&d) {
                    return Ok(unchanged(Source::ReferrersApi, d));
                }
                let what = format!("the referrers of {repository}@{subject}");
                (
                    Source::ReferrersApi,
                    Some(d),
                    within_caps(index::read(&bytes, &what)?, &what)?,
                )
            }
            None => {
                if let Some(last) = &seen.index_digest {
                    let now = self.registry.resolve_tag(repository, &tag).await?;
                    if now.as_ref() == Some(last) {
                        return Ok(unchanged(Source::FallbackTag, last.clone()));
                    }
                }
                let fetched = self
                    .registry
                    .fetch_tag_within(repository, &tag, MAX_LISTING_BYTES)
                    .await
                    .map_err(|e| match e.code {
                        Code::TooLarge => Error::new(
                            Code::TooLarge,
                            format!("{what} is over the cap of {MAX_LISTING_BYTES} bytes (1 MiB) per listing"),
                        ),
                        _ => e,
                    })?;
                match fetched {
                    Some(m) => (
                        Source::FallbackTag,
                        Some(m.digest.clone()),
                        within_caps(index::read(&m.bytes, &what)?, &what)?,
                    ),
                    None => (Source::FallbackTag, None, Listing::default()),
                }
            }
        };
        let lost = seen
            .known
            .iter()
            .filter(|d| !listing.contains(d))
            .cloned()
            .collect();
        Ok(Referrers {
            source,
            index_digest,
            unchanged: false,
            listing,
            lost,
        })
    }

    /// Read artifact `digest` of `repository`: its manifest (checked to be a Tollgate artifact,
    /// about `subject` when given) and its two layers (size caps, digests). `Err(Skipped)` names
    /// what is wrong with an artifact that is not one; registry failures are errors.
    pub async fn fetch(
        &self,
        repository: &str,
        digest: &Digest,
        subject: Option<&Digest>,
    ) -> Result<std::result::Result<Fetched, Skipped>> {
        let skip = |reason: String| {
            Ok(Err(Skipped {
                digest: Some(digest.to_string()),
                reason,
                lasting: true,
            }))
        };
        let r = &self.registry;
        let manifest = match r.fetch_manifest(repository, digest).await {
            Ok(m) => m,
            // Listed but not there (yet, or any more): asked again next time.
            Err(e) if e.code == Code::NotFound => {
                return Ok(Err(Skipped {
                    digest: Some(digest.to_string()),
                    reason: e.message,
                    lasting: false,
                }))
            }
            Err(e) if is_content_error(e.code) => return skip(e.message),
            Err(e) => return Err(e),
        };
        if manifest.bytes.len() > MAX_ARTIFACT_MANIFEST_BYTES {
            return skip(format!(
                "its manifest is {} bytes, over {MAX_ARTIFACT_MANIFEST_BYTES}",
                manifest.bytes.len()
            ));
        }
        let parsed = match artifact::parse(&manifest.bytes, digest) {
            Ok(p) => p,
            Err(reason) => return skip(reason),
        };
        if let Some(s) = subject {
            if &parsed.subject.digest != s {
                return skip(format!("its subject is {}, not {s}", parsed.subject.digest));
            }
        }
        let message = match r
            .fetch_blob(
                repository,
                &parsed.message.digest,
                MAX_MESSAGE_BYTES as usize,
                "message",
            )
            .await
        {
            Ok(b) => b,
            Err(e) if is_content_error(e.code) => {
                return skip(format!("its message layer: {}", e.message))
            }
            Err(e) => return Err(e),
        };
        let signature = match r
            .fetch_blob(
                repository,
                &parsed.signature.digest,
                MAX_SIGNATURE_BYTES as usize,
                "signature",
            )
            .await
        {
            Ok(b) => b,
            Err(e) if is_content_error(e.code) => {
                return skip(format!("its signature layer: {}", e.message))
            }
            Err(e) => return Err(e),
        };
        let Ok(signature) = String::from_utf8(signature) else {
            return skip("its signature layer is not text".into());
        };
        Ok(Ok(Fetched {
            manifest: parsed,
            message,
            signature,
        }))
    }

    /// [`Self::discover`], then [`Self::fetch`] of every listed artifact not in `seen.known`.
    pub async fn pull(&self, repository: &str, subject: &Digest, seen: &Seen) -> Result<Pulled> {
        self.pull_in(repository, subject, seen, &Fallbacks::Unknown)
            .await
    }

    /// [`Self::pull`] with what [`Self::fallbacks`] learned of the repository this sync.
    #[tracing::instrument(level = "debug", skip(self, seen, fallbacks), fields(subject = %subject))]
    pub async fn pull_in(
        &self,
        repository: &str,
        subject: &Digest,
        seen: &Seen,
        fallbacks: &Fallbacks,
    ) -> Result<Pulled> {
        let referrers = self
            .discover_in(repository, subject, seen, fallbacks)
            .await?;
        let mut skipped = referrers.listing.skipped.clone();
        let mut fetched = Vec::new();
        let mut remembered = Vec::new();
        for entry in &referrers.listing.entries {
            if seen.known.contains(&entry.digest) {
                continue;
            }
            if seen.skipped.contains(&entry.digest) {
                remembered.push(entry.digest.clone());
                continue;
            }
            match self.fetch(repository, &entry.digest, Some(subject)).await? {
                Ok(f) => fetched.push(f),
                Err(s) => skipped.push(s),
            }
        }
        for s in &skipped {
            tracing::info!(digest = s.digest.as_deref().unwrap_or("-"), reason = %s.reason, "skipped a referrer");
        }
        Ok(Pulled {
            referrers,
            fetched,
            skipped,
            remembered,
        })
    }
}

impl Skipped {
    /// One line naming the skipped entry.
    pub fn line(&self, repository: &str) -> String {
        format!(
            "skipped referrer {} in {repository}: {}",
            self.digest.as_deref().unwrap_or("(no digest)"),
            self.reason
        )
    }
}

/// `listing`, unless it holds more than [`MAX_ENTRIES_PER_SUBJECT`] entries.
fn within_caps(listing: Listing, what: &str) -> Result<Listing> {
    let n = listing.entries.len() + listing.skipped.len() + listing.attachments.len();
    if n > MAX_ENTRIES_PER_SUBJECT {
        return Err(Error::new(
            Code::TooLarge,
            format!(
                "{what} lists {n} entries, over the cap of {MAX_ENTRIES_PER_SUBJECT} per subject"
            ),
        ));
    }
    Ok(listing)
}

fn unchanged(source: Source, digest: Digest) -> Referrers {
    Referrers {
        source,
        index_digest: Some(digest),
        unchanged: true,
        listing: Listing::default(),
        lost: Vec::new(),
    }
}

/// Failures that are about the artifact's content, not the registry's health.
fn is_content_error(code: Code) -> bool {
    matches!(
        code,
        Code::NotFound | Code::DigestMismatch | Code::TooLarge | Code::Protocol
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::team::index::Entry;

    fn listing(entries: usize, skipped: usize) -> Listing {
        Listing {
            entries: (0..entries)
                .map(|i| Entry {
                    digest: Digest::of(&i.to_le_bytes()),
                    size: 500,
                    media_type: crate::registry::OCI_MANIFEST.into(),
                    artifact_type: Some(super::super::ArtifactKind::Approval.artifact_type()),
                    annotations: Default::default(),
                })
                .collect(),
            skipped: (0..skipped)
                .map(|_| Skipped {
                    digest: None,
                    reason: "not a Tollgate one".into(),
                    lasting: true,
                })
                .collect(),
            attachments: Vec::new(),
        }
    }

    #[test]
    fn a_listing_over_the_entry_cap_is_refused_naming_it() {
        assert!(within_caps(listing(MAX_ENTRIES_PER_SUBJECT, 0), "x").is_ok());
        // Other tools' entries count too.
        let e = within_caps(
            listing(MAX_ENTRIES_PER_SUBJECT, 1),
            "the referrers index r:t",
        )
        .unwrap_err();
        assert_eq!(e.code, Code::TooLarge);
        assert_eq!(
            e.message,
            "the referrers index r:t lists 1001 entries, over the cap of 1000 per subject"
        );
    }
}
