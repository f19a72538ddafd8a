//! OCI Distribution registries (through `oci-client`) and local OCI image-layout folders,
//! behind one [`Registry`] handle. Every manifest read is checked against its digest.
//!
//! OWNER: registry helper. Public API below is what the use cases call; keep it stable.

use crate::config::RegistryLocation;
use crate::domain::{Digest, ImageInfo};
use crate::keychain::SecretStore;
use crate::Result;

/// Manifests larger than this are refused (the distribution spec's recommended limit).
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone)]
pub enum Credentials {
    Anonymous,
    Basic { username: String, password: String },
    Bearer { token: String },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a secret, not even in debug output.
        match self {
            Credentials::Anonymous => f.write_str("Anonymous"),
            Credentials::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Credentials::Bearer { .. } => f.write_str("Bearer(***)"),
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

/// A handle on one registry. Cheap to clone; safe to use from many tasks at once.
#[derive(Clone)]
pub struct Registry {}

impl Registry {
    /// Open a registry at `location` with these credentials. No network traffic yet.
    pub fn open(_location: &RegistryLocation, _credentials: Credentials) -> Result<Self> {
        todo!("registry helper")
    }

    /// All tags of a repository (following pagination).
    pub async fn list_tags(&self, _repository: &str) -> Result<Vec<String>> {
        todo!("registry helper")
    }

    /// The digest a tag points to now, or `None` when the tag (or repository) does not exist.
    pub async fn resolve_tag(&self, _repository: &str, _tag: &str) -> Result<Option<Digest>> {
        todo!("registry helper")
    }

    /// The manifest bytes of `digest`, checked to hash to it, refused over 4 MiB.
    pub async fn fetch_manifest(&self, _repository: &str, _digest: &Digest) -> Result<Manifest> {
        todo!("registry helper")
    }

    /// Manifest + config metadata: created time, OCI labels, platforms of an index.
    pub async fn image_info(&self, _repository: &str, _digest: &Digest) -> Result<ImageInfo> {
        todo!("registry helper")
    }
}

/// Credentials for `host`: the OS keychain (`tollgate login`), then the docker config
/// (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`: `auths`, `credHelpers`,
/// `credsStore`), then anonymous.
pub fn credentials_for(_host: &str, _secrets: &dyn SecretStore) -> Result<Credentials> {
    todo!("registry helper")
}
