//! Copying an image between repositories (promotion): every blob it references, mounted across
//! repositories of one registry or copied (through memory when small, streamed otherwise), the
//! child manifests of an index pushed by digest, then the exact manifest bytes under the tag.

use futures::stream::{self, StreamExt, TryStreamExt};

use super::media::Kind;
use super::{validate_repository, validate_tag, Backend, Manifest, Registry};
use crate::config::RegistryLocation;
use crate::domain::Digest;
use crate::{Code, Result};

/// Blobs up to this size are copied through memory (and retried); larger ones are streamed.
const BUFFERED_COPY_BYTES: u64 = 32 * 1024 * 1024;
/// Blobs copied at once by one `copy_image`.
const PARALLEL_BLOB_COPIES: usize = 4;

impl Registry {
    /// Whether blobs can move between repositories of `self` and `other` without a copy.
    fn same_store(&self, other: &Registry) -> bool {
        match (&self.inner.location, &other.inner.location) {
            (
                RegistryLocation::Remote { host: a, .. },
                RegistryLocation::Remote { host: b, .. },
            ) => a == b,
            _ => false,
        }
    }

    /// Copy the image `src_repository@digest` of this registry to `dst_repository:tag` of
    /// `dst` (which may be this registry): every blob it references (config and layers, and
    /// those of every child manifest of an index) is mounted or copied, child manifests are
    /// pushed by digest, then the exact manifest bytes are pushed under `tag`.
    /// Returns the digest the tag now points to (always `digest`).
    pub async fn copy_image(
        &self,
        src_repository: &str,
        digest: &Digest,
        dst: &Registry,
        dst_repository: &str,
        tag: &str,
    ) -> Result<Digest> {
        validate_repository(src_repository)?;
        validate_repository(dst_repository)?;
        validate_tag(tag)?;
        let manifest = self.fetch_manifest(src_repository, digest).await?;
        self.copy_contents(src_repository, &manifest, dst, dst_repository)
            .await?;
        let pushed = dst
            .put_manifest(
                dst_repository,
                Some(tag),
                &manifest.bytes,
                &manifest.media_type,
            )
            .await?;
        debug_assert_eq!(&pushed, digest);
        Ok(pushed)
    }

    /// Everything `manifest` references, copied into `dst_repository` of `dst`.
    async fn copy_contents(
        &self,
        src_repository: &str,
        manifest: &Manifest,
        dst: &Registry,
        dst_repository: &str,
    ) -> Result<()> {
        let parsed = Self::parse(manifest, src_repository)?;
        match parsed.kind {
            Kind::Image => {
                stream::iter(parsed.blobs().cloned().collect::<Vec<_>>())
                    .map(|blob| async move {
                        self.copy_blob(src_repository, &blob.digest, blob.size, dst, dst_repository)
                            .await
                    })
                    .buffer_unordered(PARALLEL_BLOB_COPIES)
                    .try_collect::<Vec<()>>()
                    .await?;
            }
            Kind::Index => {
                for child in &parsed.manifests {
                    let child = self.fetch_manifest(src_repository, &child.digest).await?;
                    Box::pin(self.copy_contents(src_repository, &child, dst, dst_repository))
                        .await?;
                    dst.put_manifest(dst_repository, None, &child.bytes, &child.media_type)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// One blob into `dst_repository` of `dst`: nothing if it is there, a cross-repository
    /// mount on the same registry, else a copy (through memory when small, streamed otherwise).
    async fn copy_blob(
        &self,
        src_repository: &str,
        digest: &Digest,
        size: u64,
        dst: &Registry,
        dst_repository: &str,
    ) -> Result<()> {
        if dst.blob_exists(dst_repository, digest).await? {
            return Ok(());
        }
        if self.same_store(dst) && src_repository != dst_repository {
            if let Backend::Remote(r) = &dst.inner.backend {
                match r.mount_blob(dst_repository, src_repository, digest).await {
                    Ok(true) => return Ok(()),
                    Ok(false) => {}
                    Err(e) if e.code == Code::Unreachable => return Err(e),
                    Err(e) => {
                        tracing::debug!(error = %e.message, "blob mount refused; copying instead")
                    }
                }
            }
        }
        if size <= BUFFERED_COPY_BYTES {
            let bytes = self
                .read_blob(src_repository, digest, BUFFERED_COPY_BYTES as usize, "blob")
                .await?;
            return dst.put_blob(dst_repository, digest, &bytes).await;
        }
        let (len, stream) = match &self.inner.backend {
            Backend::Remote(r) => r.open_blob(src_repository, digest).await?,
            Backend::Layout(l) => l.open_blob(src_repository, digest).await?,
        };
        match &dst.inner.backend {
            Backend::Remote(r) => r.put_blob_stream(dst_repository, digest, len, stream).await,
            Backend::Layout(l) => l.put_blob_stream(dst_repository, digest, stream).await,
        }
    }
}
