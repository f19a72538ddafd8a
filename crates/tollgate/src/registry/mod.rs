//! OCI Distribution registries and local OCI image-layout folders, behind one [`Registry`]
//! handle. Every manifest read is checked against its digest.
//!
//! - `remote`: the distribution HTTP API (bounded requests in flight, timeouts, retries,
//!   Basic/Bearer auth, a [`Code`] for every failure).
//! - `copy`: an image copied between repositories (promotion): blobs mounted or copied, then
//!   the manifests.
//! - `layout`: a folder holding one OCI image layout per repository path, read and written.
//! - `credentials`: the OS keychain, then the docker config, then anonymous.
//! - `facts`: what a release diff compares (each platform's manifest and config).
//! - `media`: manifest media types; what a manifest references; config labels.
//! - `retry`: backoff and `Retry-After`.

mod auth;
mod copy;
mod credentials;
mod facts;
mod layout;
mod media;
mod remote;
mod retry;

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::config::RegistryLocation;
use crate::domain::reference::{is_path_component, is_tag};
use crate::domain::{Digest, ImageInfo};
use crate::{Code, Error, Result};

pub use credentials::{
    credential_host, credentials_for, delete_credentials, has_stored_credentials, store_credentials,
};
pub use facts::MAX_DIFF_PLATFORMS;
pub use media::{DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST};
pub use retry::RetryPolicy;

use layout::Layout;
use media::{Kind, ParsedManifest, MAX_CONFIG_BYTES};
use remote::Remote;

/// Manifests larger than this are refused (the distribution spec's recommended limit).
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// A stream of blob bytes, for copies between registries.
pub(crate) type BlobStream = Pin<Box<dyn futures::Stream<Item = std::io::Result<Vec<u8>>> + Send>>;

#[derive(Clone)]
pub enum Credentials {
    Anonymous,
    Basic {
        username: String,
        password: String,
    },
    /// A registry token, sent as `Authorization: Bearer` as is (docker config `registrytoken`).
    Bearer {
        token: String,
    },
    /// An OAuth2 refresh token, exchanged at the registry's token service for access tokens
    /// (docker config `identitytoken`, or a credential helper's `<token>` user).
    IdentityToken {
        token: String,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a secret, not even in debug output.
        match self {
            Credentials::Anonymous => f.write_str("Anonymous"),
            Credentials::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Credentials::Bearer { .. } => f.write_str("Bearer(***)"),
            Credentials::IdentityToken { .. } => f.write_str("IdentityToken(***)"),
        }
    }
}

/// A manifest exactly as the registry stores it.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub digest: Digest,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// How a remote registry is talked to. The defaults suit real use; tests shorten the waits.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Requests in flight at once on this handle (and its clones).
    pub max_in_flight: usize,
    /// TCP + TLS connection set-up.
    pub connect_timeout: Duration,
    /// One API request, from sending to the last byte of a manifest; for blob streams, the
    /// longest silence.
    pub request_timeout: Duration,
    /// Retries after 429 and 5xx answers.
    pub retry: RetryPolicy,
    /// `n` asked for per page of a tag list. `None` (the default): the registry's own page
    /// size, following its `Link` headers (some registries refuse a large `n`). With `Some`,
    /// a registry that pages without `Link` is also followed with `n` + `last`.
    pub tag_page_size: Option<usize>,
    /// The registry is `insecure = true` in tollgate.toml: its token service may get
    /// credentials over plain http too (otherwise only over https or to a loopback host).
    pub insecure: bool,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            max_in_flight: 32,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            tag_page_size: None,
            insecure: false,
        }
    }
}

enum Backend {
    Remote(Box<Remote>),
    Layout(Layout),
}

struct Inner {
    location: RegistryLocation,
    backend: Backend,
}

/// A handle on one registry. Cheap to clone; safe to use from many tasks at once: clones share
/// one connection pool, one token cache and one bound on requests in flight.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("location", &self.inner.location)
            .finish()
    }
}

/// Check a repository path (`payments/api`): lower-case components of letters and digits
/// with `.`, `_`, `-` inside, separated by `/`. Keeps URLs and layout paths safe.
fn validate_repository(repository: &str) -> Result<()> {
    let ok = !repository.is_empty()
        && repository.len() <= 255
        && repository.split('/').all(is_path_component);
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            Code::InvalidReference,
            format!("'{repository}' is not a repository path: use lower-case letters and digits, with . _ - inside and / between parts, e.g. payments/api"),
        ))
    }
}

/// Check a tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn validate_tag(tag: &str) -> Result<()> {
    if is_tag(tag) {
        Ok(())
    } else {
        Err(Error::new(
            Code::InvalidReference,
            format!("'{tag}' is not a valid tag: use up to 128 letters, digits, _ . - (not starting with . or -)"),
        ))
    }
}

impl Registry {
    /// Open a registry at `location` with these credentials. No network traffic yet.
    pub fn open(location: &RegistryLocation, credentials: Credentials) -> Result<Self> {
        Self::open_with(location, credentials, RegistryOptions::default())
    }

    /// [`Registry::open`] with explicit limits, timeouts and retry policy.
    pub fn open_with(
        location: &RegistryLocation,
        credentials: Credentials,
        options: RegistryOptions,
    ) -> Result<Self> {
        let backend = match location {
            RegistryLocation::Remote { host, plain_http } => Backend::Remote(Box::new(
                Remote::new(host, *plain_http, credentials, options)?,
            )),
            RegistryLocation::Layout { root } => Backend::Layout(Layout::new(root)),
        };
        Ok(Registry {
            inner: Arc::new(Inner {
                location: location.clone(),
                backend,
            }),
        })
    }

    /// Where this registry is.
    pub fn location(&self) -> &RegistryLocation {
        &self.inner.location
    }

    /// "registry HOST" or "OCI layout ROOT", for messages.
    fn describe(&self) -> String {
        match &self.inner.backend {
            Backend::Remote(r) => format!("registry {}", r.host()),
            Backend::Layout(l) => format!("OCI layout {}", l.root().display()),
        }
    }

    /// Whether the registry answers at all with these credentials (`GET /v2/`); a refusal is
    /// `Code::AuthRequired`. A local folder always does.
    pub async fn check_access(&self) -> Result<()> {
        match &self.inner.backend {
            Backend::Remote(r) => r.check_access().await,
            Backend::Layout(_) => Ok(()),
        }
    }

    /// Every repository the registry's catalog lists (`GET /v2/_catalog`, every page), sorted;
    /// `page` is the `n` asked for per page. Registries that refuse their catalog (Docker Hub,
    /// GHCR) answer `Code::AuthRequired`, `Code::Forbidden` or `Code::NotFound`.
    pub async fn catalog(&self, page: Option<usize>) -> Result<Vec<String>> {
        match &self.inner.backend {
            Backend::Remote(r) => r.catalog(page).await,
            Backend::Layout(l) => Err(Error::bad_input(format!(
                "{} is a local folder; name its repositories instead",
                l.root().display()
            ))),
        }
    }

    /// All tags of a repository (following pagination), sorted.
    pub async fn list_tags(&self, repository: &str) -> Result<Vec<String>> {
        validate_repository(repository)?;
        match &self.inner.backend {
            Backend::Remote(r) => r.list_tags(repository).await,
            Backend::Layout(l) => l.list_tags(repository).await,
        }
    }

    /// The tags of `repository` that `keep` accepts, sorted, refused (`Code::TooLarge`) over
    /// `max`: only those are held in memory while the pages are read.
    pub async fn list_tags_where(
        &self,
        repository: &str,
        keep: &(dyn Fn(&str) -> bool + Sync),
        max: usize,
    ) -> Result<Vec<String>> {
        validate_repository(repository)?;
        match &self.inner.backend {
            Backend::Remote(r) => r.list_tags_where(repository, keep, max).await,
            Backend::Layout(l) => {
                let tags: Vec<String> = l
                    .list_tags(repository)
                    .await?
                    .into_iter()
                    .filter(|t| keep(t.as_str()))
                    .collect();
                if tags.len() > max {
                    return Err(Error::new(
                        Code::TooLarge,
                        format!(
                            "{} has more than {max} tags of the kind asked for in {repository}",
                            self.describe()
                        ),
                    ));
                }
                Ok(tags)
            }
        }
    }

    /// The digest a tag points to now, or `None` when the tag (or repository) does not exist.
    /// On a remote registry this is one HEAD request.
    pub async fn resolve_tag(&self, repository: &str, tag: &str) -> Result<Option<Digest>> {
        validate_repository(repository)?;
        validate_tag(tag)?;
        match &self.inner.backend {
            Backend::Remote(r) => r.resolve_tag(repository, tag).await,
            Backend::Layout(l) => l.resolve_tag(repository, tag).await,
        }
    }

    /// The manifest bytes of `digest`, checked to hash to it, refused over 4 MiB.
    pub async fn fetch_manifest(&self, repository: &str, digest: &Digest) -> Result<Manifest> {
        validate_repository(repository)?;
        let (bytes, declared) = match &self.inner.backend {
            Backend::Remote(r) => {
                r.get_manifest(
                    repository,
                    digest.as_str(),
                    &format!("reading manifest {repository}@{digest}"),
                )
                .await?
            }
            Backend::Layout(l) => l.get_manifest(repository, digest).await?,
        };
        digest.verify(&bytes).map_err(|e| {
            e.context(format!(
                "{} served manifest {repository}@{digest}",
                self.describe()
            ))
        })?;
        let media_type = match media::parse_manifest(&bytes, declared.as_deref(), "manifest") {
            Ok(p) => p.media_type,
            Err(_) => declared.unwrap_or_else(|| "application/octet-stream".to_string()),
        };
        Ok(Manifest {
            digest: digest.clone(),
            media_type,
            bytes,
        })
    }

    /// A whole blob, checked to hash to `digest`, refused over `limit` bytes.
    async fn read_blob(
        &self,
        repository: &str,
        digest: &Digest,
        limit: usize,
        kind: &str,
    ) -> Result<Vec<u8>> {
        let bytes = match &self.inner.backend {
            Backend::Remote(r) => r.get_blob(repository, digest, limit).await?,
            Backend::Layout(l) => l.get_blob(repository, digest, limit, kind).await?,
        };
        digest.verify(&bytes).map_err(|e| {
            e.context(format!(
                "{} served {kind} {digest} of {repository}",
                self.describe()
            ))
        })?;
        Ok(bytes)
    }

    fn parse(manifest: &Manifest, repository: &str) -> Result<ParsedManifest> {
        media::parse_manifest(
            &manifest.bytes,
            Some(&manifest.media_type),
            &format!("manifest {repository}@{}", manifest.digest),
        )
    }

    /// The manifest a tag points to now (one GET), or `None` when the tag does not exist. Its
    /// digest is computed from the bytes received, so it cannot disagree with them. Cheaper than
    /// [`Self::resolve_tag`] + [`Self::fetch_manifest`] when the manifest is needed anyway.
    pub async fn fetch_tag(&self, repository: &str, tag: &str) -> Result<Option<Manifest>> {
        self.fetch_tag_within(repository, tag, MAX_MANIFEST_BYTES)
            .await
    }

    /// [`Self::fetch_tag`], refusing (`Code::TooLarge`) a manifest over `limit` bytes without
    /// holding more than that (a team listing is capped well below the 4 MiB of a manifest).
    pub async fn fetch_tag_within(
        &self,
        repository: &str,
        tag: &str,
        limit: usize,
    ) -> Result<Option<Manifest>> {
        validate_repository(repository)?;
        validate_tag(tag)?;
        let fetched = match &self.inner.backend {
            Backend::Remote(r) => {
                r.get_manifest_claimed(
                    repository,
                    tag,
                    &format!("reading manifest {repository}:{tag}"),
                    limit,
                )
                .await
            }
            Backend::Layout(l) => match l.resolve_tag(repository, tag).await? {
                Some(digest) => {
                    return self.fetch_manifest(repository, &digest).await.map(Some);
                }
                None => return Ok(None),
            },
        };
        let (bytes, declared, claimed) = match fetched {
            Ok(found) => found,
            Err(e) if e.code == Code::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let digest = Digest::of(&bytes);
        // The registry's claimed digest must be the hash of what it sent.
        if let Some(claimed) = claimed {
            let claimed = Digest::parse(&claimed).map_err(|_| {
                Error::new(Code::Protocol, format!("{} answered manifest {repository}:{tag} with digest '{claimed}', which is not sha256:<64 hex>", self.describe()))
            })?;
            claimed.verify(&bytes).map_err(|e| {
                e.context(format!(
                    "{} served manifest {repository}:{tag}",
                    self.describe()
                ))
            })?;
        }
        let media_type = match media::parse_manifest(&bytes, declared.as_deref(), "manifest") {
            Ok(p) => p.media_type,
            Err(_) => declared.unwrap_or_else(|| "application/octet-stream".to_string()),
        };
        Ok(Some(Manifest {
            digest,
            media_type,
            bytes,
        }))
    }

    /// Manifest + config metadata: created time, OCI labels, platforms (of an index's entries,
    /// or the one a single image's config names).
    /// For an index, `created` and labels come from its first platform's image.
    pub async fn image_info(&self, repository: &str, digest: &Digest) -> Result<ImageInfo> {
        let manifest = self.fetch_manifest(repository, digest).await?;
        self.image_info_of(repository, &manifest).await
    }

    /// [`Self::image_info`] of a manifest already read (and checked).
    pub async fn image_info_of(&self, repository: &str, manifest: &Manifest) -> Result<ImageInfo> {
        let digest = &manifest.digest;
        let parsed = Self::parse(manifest, repository)?;
        let mut labels = BTreeMap::new();
        let mut created = None;
        let mut platforms = Vec::new();
        let image = match parsed.kind {
            Kind::Image => Some(parsed.clone()),
            Kind::Index => {
                platforms = parsed.platforms();
                let first = parsed
                    .manifests
                    .iter()
                    .find(|m| m.platform.is_some())
                    .or(parsed.manifests.first());
                match first {
                    Some(child) => {
                        let child = self.fetch_manifest(repository, &child.digest).await?;
                        let child = Self::parse(&child, repository)?;
                        (child.kind == Kind::Image).then_some(child)
                    }
                    None => None,
                }
            }
        };
        if let Some(image) = &image {
            if let Some(config) = &image.config {
                if config.size <= MAX_CONFIG_BYTES as u64 {
                    let bytes = self
                        .read_blob(repository, &config.digest, MAX_CONFIG_BYTES, "config")
                        .await?;
                    let (c, l) = media::config_metadata(&bytes);
                    created = c;
                    labels.extend(l);
                    // A single-platform image names its platform in its config.
                    if parsed.kind == Kind::Image {
                        platforms.extend(media::config_platform(&bytes));
                    }
                }
            }
            labels.extend(image.annotations.clone());
        }
        labels.extend(parsed.annotations.clone());
        if created.is_none() {
            created = labels
                .get("org.opencontainers.image.created")
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&chrono::Utc));
        }
        let label = |k: &str| labels.get(k).cloned();
        Ok(ImageInfo {
            digest: digest.clone(),
            media_type: manifest.media_type.clone(),
            size: manifest.bytes.len() as u64,
            created,
            revision: label("org.opencontainers.image.revision"),
            version: label("org.opencontainers.image.version"),
            source: label("org.opencontainers.image.source"),
            labels,
            platforms,
        })
    }

    /// Whether the repository holds this blob.
    pub async fn blob_exists(&self, repository: &str, digest: &Digest) -> Result<bool> {
        validate_repository(repository)?;
        match &self.inner.backend {
            Backend::Remote(r) => r.blob_exists(repository, digest).await,
            Backend::Layout(l) => l.blob_exists(repository, digest).await,
        }
    }

    /// Upload a blob (skipped when the repository already has it). Returns its digest.
    pub async fn push_blob(&self, repository: &str, bytes: &[u8]) -> Result<Digest> {
        validate_repository(repository)?;
        let digest = Digest::of(bytes);
        self.put_blob(repository, &digest, bytes).await?;
        Ok(digest)
    }

    async fn put_blob(&self, repository: &str, digest: &Digest, bytes: &[u8]) -> Result<()> {
        match &self.inner.backend {
            Backend::Remote(r) => r.put_blob(repository, digest, bytes).await,
            Backend::Layout(l) => l.put_blob(repository, digest, bytes).await,
        }
    }

    /// Publish these exact manifest bytes under `tag` (the blobs they reference must already
    /// be there). Returns the digest of the bytes, which is what the tag now resolves to.
    pub async fn push_manifest(
        &self,
        repository: &str,
        tag: &str,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<Digest> {
        validate_repository(repository)?;
        validate_tag(tag)?;
        self.put_manifest(repository, Some(tag), bytes, media_type)
            .await
    }

    /// Push manifest bytes under `tag`, or by digest only when `tag` is `None`.
    async fn put_manifest(
        &self,
        repository: &str,
        tag: Option<&str>,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<Digest> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(Error::new(
                Code::TooLarge,
                format!("the manifest for {repository} is {} bytes, over the {MAX_MANIFEST_BYTES}-byte limit registries accept; it cannot be pushed", bytes.len()),
            ));
        }
        let digest = Digest::of(bytes);
        match &self.inner.backend {
            Backend::Remote(r) => {
                let reference = tag.map_or_else(|| digest.to_string(), str::to_string);
                r.put_manifest(repository, &reference, bytes, media_type)
                    .await?;
                Ok(digest)
            }
            Backend::Layout(l) => l.put_manifest(repository, tag, bytes, media_type).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_repositories_and_tags() {
        for ok in ["api", "payments/api", "a.b_c-d/e2"] {
            validate_repository(ok).unwrap();
        }
        for bad in [
            "", "Api", "a//b", "../etc", "a/..", "/a", "a/", "-a", "a b", "a:b",
        ] {
            assert_eq!(
                validate_repository(bad).unwrap_err().code,
                Code::InvalidReference,
                "{bad}"
            );
        }
        for ok in ["dev", "v1.2.3", "_x", "A-b_c.d"] {
            validate_tag(ok).unwrap();
        }
        for bad in ["", ".x", "-x", "a/b", "a:b", &"x".repeat(129)] {
            assert_eq!(
                validate_tag(bad).unwrap_err().code,
                Code::InvalidReference,
                "{bad}"
            );
        }
    }

    #[test]
    fn credentials_never_show_secrets() {
        let all = [
            Credentials::Basic {
                username: "u".into(),
                password: "hunter2".into(),
            },
            Credentials::Bearer {
                token: "hunter2".into(),
            },
            Credentials::IdentityToken {
                token: "hunter2".into(),
            },
        ];
        for c in all {
            assert!(!format!("{c:?}").contains("hunter2"));
        }
    }

    #[tokio::test]
    async fn layout_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::open(
            &RegistryLocation::Layout {
                root: dir.path().to_path_buf(),
            },
            Credentials::Anonymous,
        )
        .unwrap();
        assert_eq!(reg.resolve_tag("p/api", "dev").await.unwrap(), None);
        assert_eq!(
            reg.list_tags("p/api").await.unwrap_err().code,
            Code::NotFound
        );
        let config = br#"{"created":"2026-11-20T10:00:00Z","config":{"Labels":{"org.opencontainers.image.revision":"abc"}}}"#;
        let layer = b"layer bytes";
        let cd = reg.push_blob("p/api", config).await.unwrap();
        let ld = reg.push_blob("p/api", layer).await.unwrap();
        assert!(reg.blob_exists("p/api", &ld).await.unwrap());
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{cd}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{ld}","size":{}}}]}}"#,
            config.len(),
            layer.len()
        );
        let d = reg
            .push_manifest("p/api", "dev", manifest.as_bytes(), OCI_MANIFEST)
            .await
            .unwrap();
        assert_eq!(
            reg.resolve_tag("p/api", "dev").await.unwrap(),
            Some(d.clone())
        );
        assert_eq!(reg.list_tags("p/api").await.unwrap(), vec!["dev"]);
        let info = reg.image_info("p/api", &d).await.unwrap();
        assert_eq!(info.revision.as_deref(), Some("abc"));
        assert_eq!(info.media_type, OCI_MANIFEST);

        // Retag, then copy into another repository of the same layout.
        reg.push_manifest("p/api", "staging", manifest.as_bytes(), OCI_MANIFEST)
            .await
            .unwrap();
        reg.push_manifest("p/api", "dev", manifest.as_bytes(), OCI_MANIFEST)
            .await
            .unwrap();
        assert_eq!(
            reg.list_tags("p/api").await.unwrap(),
            vec!["dev", "staging"]
        );
        assert_eq!(
            reg.copy_image("p/api", &d, &reg, "prod/api", "production")
                .await
                .unwrap(),
            d
        );
        assert_eq!(
            reg.resolve_tag("prod/api", "production").await.unwrap(),
            Some(d.clone())
        );
        assert!(reg.blob_exists("prod/api", &cd).await.unwrap());

        // Tampered storage is caught.
        let path = dir.path().join("p/api/blobs/sha256").join(d.hex());
        std::fs::write(&path, manifest.replace("layers", "layerz")).unwrap();
        assert_eq!(
            reg.fetch_manifest("p/api", &d).await.unwrap_err().code,
            Code::DigestMismatch
        );
        assert_eq!(
            reg.resolve_tag("p/../x", "dev").await.unwrap_err().code,
            Code::InvalidReference
        );
    }
}
