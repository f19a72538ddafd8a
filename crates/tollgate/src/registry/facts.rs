//! Reading what the release diff compares: a manifest, and for each platform its image
//! manifest and config, bounded in count and size, each checked against its digest.

use futures::stream::{self, StreamExt, TryStreamExt};

use super::media::{Kind, ParsedManifest, MAX_CONFIG_BYTES};
use super::{Manifest, Registry};
use crate::diff::{ImageFacts, Layer, PlatformFacts, RuntimeConfig};
use crate::domain::Digest;
use crate::{Code, Error, Result};

/// Platforms of an index read for a diff; an index naming more is refused.
pub const MAX_DIFF_PLATFORMS: usize = 64;
/// Platform manifests and configs read at once.
const PARALLEL_READS: usize = 4;

impl Registry {
    /// The facts of `repository@digest` for a release diff: for an image, its manifest and
    /// config; for an index, every platform's (attestations and nested indexes left out).
    pub async fn image_facts(&self, repository: &str, digest: &Digest) -> Result<ImageFacts> {
        let manifest = self.fetch_manifest(repository, digest).await?;
        let parsed = Self::parse(&manifest, repository)?;
        let index = parsed.kind == Kind::Index;
        let mut platforms = match parsed.kind {
            Kind::Image => vec![
                self.platform_facts(repository, &manifest, &parsed, None)
                    .await?,
            ],
            Kind::Index => {
                let entries: Vec<_> = parsed
                    .manifests
                    .iter()
                    .filter(|m| m.platform.is_some())
                    .cloned()
                    .collect();
                if entries.len() > MAX_DIFF_PLATFORMS {
                    return Err(Error::new(
                        Code::TooLarge,
                        format!("{repository}@{digest} names {} platforms, more than the {MAX_DIFF_PLATFORMS} a diff reads", entries.len()),
                    ));
                }
                let read: Vec<Option<PlatformFacts>> = stream::iter(entries)
                    .map(|entry| async move {
                        let child = self.fetch_manifest(repository, &entry.digest).await?;
                        let parsed = Self::parse(&child, repository)?;
                        if parsed.kind != Kind::Image {
                            return Ok(None);
                        }
                        self.platform_facts(repository, &child, &parsed, entry.platform)
                            .await
                            .map(Some)
                    })
                    .buffered(PARALLEL_READS)
                    .try_collect()
                    .await?;
                read.into_iter().flatten().collect()
            }
        };
        platforms.sort_by(|a, b| a.platform.cmp(&b.platform));
        platforms.dedup_by(|a, b| a.platform == b.platform);
        Ok(ImageFacts {
            digest: manifest.digest.clone(),
            media_type: manifest.media_type.clone(),
            index,
            annotations: parsed.annotations,
            platforms,
        })
    }

    /// One image manifest's layers and config. `platform` is the index entry's; a single
    /// image's comes from its config.
    async fn platform_facts(
        &self,
        repository: &str,
        manifest: &Manifest,
        parsed: &ParsedManifest,
        platform: Option<String>,
    ) -> Result<PlatformFacts> {
        let config = match &parsed.config {
            Some(c) if c.size > MAX_CONFIG_BYTES as u64 => {
                return Err(Error::new(
                    Code::TooLarge,
                    format!(
                        "the config {} of {repository}@{} is {} bytes, over the {MAX_CONFIG_BYTES}-byte limit a diff reads",
                        c.digest, manifest.digest, c.size
                    ),
                ))
            }
            Some(c) => RuntimeConfig::parse(
                &self
                    .read_blob(repository, &c.digest, MAX_CONFIG_BYTES, "config")
                    .await?,
            ),
            None => RuntimeConfig::default(),
        };
        Ok(PlatformFacts {
            platform: platform.unwrap_or_else(|| config.platform()),
            manifest: manifest.digest.clone(),
            annotations: parsed.annotations.clone(),
            layers: parsed
                .layers
                .iter()
                .map(|l| Layer {
                    digest: l.digest.clone(),
                    size: l.size,
                })
                .collect(),
            config,
        })
    }
}
