//! A folder of OCI image layouts used as a registry: repository `P` is the standard image
//! layout in `ROOT/P` (`oci-layout`, `index.json`, `blobs/sha256/<hex>`), and its tags are the
//! `org.opencontainers.image.ref.name` annotations of `index.json` — what
//! `skopeo copy ... oci:ROOT/P:TAG` writes and reads.
//!
//! Writes are safe for readers: blobs and `index.json` are written to a temporary file in the
//! same folder and renamed into place. Concurrent writers to one layout within this process are
//! serialized; separate processes writing the same `index.json` at once are not.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::media::{OCI_INDEX, REF_NAME};
use super::BlobStream;
use crate::domain::Digest;
use crate::{Code, Error, Result};

const OCI_LAYOUT_FILE: &str = "oci-layout";
const INDEX_FILE: &str = "index.json";

pub(crate) struct Layout {
    root: PathBuf,
    index_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Layout").field("root", &self.root).finish()
    }
}

fn io_error(e: std::io::Error, what: &str, path: &Path) -> Error {
    Error::internal(format!(
        "cannot {what} {} ({e}); check the folder exists and is writable",
        path.display()
    ))
}

/// A unique temporary name next to `path`.
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Write `bytes` to `path` atomically: a temporary file in the same folder, synced, renamed.
async fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path(path);
    let result = async {
        let mut f = tokio::fs::File::create(&tmp).await?;
        f.write_all(bytes).await?;
        f.sync_all().await?;
        drop(f);
        tokio::fs::rename(&tmp, path).await
    }
    .await;
    if let Err(e) = result {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(io_error(e, "write", path));
    }
    Ok(())
}

impl Layout {
    pub(crate) fn new(root: &Path) -> Self {
        Layout {
            root: root.to_path_buf(),
            index_lock: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    fn dir(&self, repository: &str) -> PathBuf {
        // Repository paths are validated (lower-case components, no `..`) before they get here.
        repository
            .split('/')
            .fold(self.root.clone(), |p, c| p.join(c))
    }

    fn blob_path(&self, repository: &str, digest: &Digest) -> PathBuf {
        self.dir(repository)
            .join("blobs")
            .join("sha256")
            .join(digest.hex())
    }

    fn not_found(&self, repository: &str) -> Error {
        Error::new(
            Code::NotFound,
            format!(
                "repository {repository} does not exist in the OCI layout folder {}: check the path, or create it with `skopeo copy ... oci:{}:TAG`",
                self.root.display(),
                self.dir(repository).display()
            ),
        )
    }

    /// `index.json` of a repository, or `None` when the repository folder does not exist.
    async fn read_index(&self, repository: &str) -> Result<Option<Value>> {
        let dir = self.dir(repository);
        let path = dir.join(INDEX_FILE);
        let bytes = match tokio::fs::read(&path).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return if tokio::fs::try_exists(&dir).await.unwrap_or(false)
                    && !tokio::fs::try_exists(dir.join(OCI_LAYOUT_FILE))
                        .await
                        .unwrap_or(false)
                {
                    Err(Error::new(Code::Protocol, format!("{} is not an OCI image layout (no oci-layout, no index.json); point the registry at the folder that holds one layout per repository", dir.display())))
                } else {
                    Ok(None)
                };
            }
            Err(e) => return Err(io_error(e, "read", &path)),
        };
        let index: Value = serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                Code::Protocol,
                format!(
                    "{} is not valid JSON ({e}); the OCI layout of {repository} is damaged",
                    path.display()
                ),
            )
        })?;
        if !index.get("manifests").is_some_and(Value::is_array) {
            return Err(Error::new(
                Code::Protocol,
                format!(
                    "{} has no 'manifests' list; the OCI layout of {repository} is damaged",
                    path.display()
                ),
            ));
        }
        Ok(Some(index))
    }

    fn entries(index: &Value) -> impl Iterator<Item = &Value> {
        index
            .get("manifests")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    }

    fn ref_name(entry: &Value) -> Option<&str> {
        entry
            .get("annotations")
            .and_then(|a| a.get(REF_NAME))
            .and_then(Value::as_str)
    }

    pub(crate) async fn list_tags(&self, repository: &str) -> Result<Vec<String>> {
        let index = self
            .read_index(repository)
            .await?
            .ok_or_else(|| self.not_found(repository))?;
        let mut tags: Vec<String> = Self::entries(&index)
            .filter_map(Self::ref_name)
            .map(str::to_string)
            .collect();
        tags.sort();
        tags.dedup();
        Ok(tags)
    }

    pub(crate) async fn resolve_tag(&self, repository: &str, tag: &str) -> Result<Option<Digest>> {
        let Some(index) = self.read_index(repository).await? else {
            return Ok(None);
        };
        let Some(entry) = Self::entries(&index)
            .filter(|e| Self::ref_name(e) == Some(tag))
            .last()
        else {
            return Ok(None);
        };
        let d = entry.get("digest").and_then(Value::as_str).unwrap_or("");
        Digest::parse(d).map(Some).map_err(|_| {
            Error::new(Code::Protocol, format!("tag {tag} in the OCI layout of {repository} points at '{d}', which is not a sha256 digest"))
        })
    }

    /// The manifest bytes (unchecked; the caller verifies) and the media type the index gives it.
    pub(crate) async fn get_manifest(
        &self,
        repository: &str,
        digest: &Digest,
    ) -> Result<(Vec<u8>, Option<String>)> {
        let bytes = self
            .get_blob(repository, digest, super::MAX_MANIFEST_BYTES, "manifest")
            .await?;
        let media_type = match self.read_index(repository).await {
            Ok(Some(index)) => Self::entries(&index)
                .find(|e| e.get("digest").and_then(Value::as_str) == Some(digest.as_str()))
                .and_then(|e| e.get("mediaType"))
                .and_then(Value::as_str)
                .map(str::to_string),
            _ => None,
        };
        Ok((bytes, media_type))
    }

    pub(crate) async fn blob_exists(&self, repository: &str, digest: &Digest) -> Result<bool> {
        Ok(tokio::fs::try_exists(self.blob_path(repository, digest))
            .await
            .unwrap_or(false))
    }

    /// A whole blob, refusing more than `limit` bytes (checked before reading).
    pub(crate) async fn get_blob(
        &self,
        repository: &str,
        digest: &Digest,
        limit: usize,
        kind: &str,
    ) -> Result<Vec<u8>> {
        let path = self.blob_path(repository, digest);
        let mut f = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if self.read_index(repository).await?.is_none() {
                    return Err(self.not_found(repository));
                }
                return Err(Error::new(Code::NotFound, format!("{kind} {digest} is not in the OCI layout of {repository} ({}): the layout is incomplete, copy the image again", self.root.display())));
            }
            Err(e) => return Err(io_error(e, "read", &path)),
        };
        let len = f
            .metadata()
            .await
            .map_err(|e| io_error(e, "read", &path))?
            .len();
        if len > limit as u64 {
            return Err(Error::new(
                Code::TooLarge,
                format!("{kind} {digest} in the OCI layout of {repository} is {len} bytes, over the {limit}-byte limit for a {kind}; check the image"),
            ));
        }
        let mut bytes = Vec::with_capacity(len as usize);
        f.read_to_end(&mut bytes)
            .await
            .map_err(|e| io_error(e, "read", &path))?;
        Ok(bytes)
    }

    pub(crate) async fn open_blob(
        &self,
        repository: &str,
        digest: &Digest,
    ) -> Result<(Option<u64>, BlobStream)> {
        let path = self.blob_path(repository, digest);
        let f = tokio::fs::File::open(&path).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::new(Code::NotFound, format!("blob {digest} is not in the OCI layout of {repository} ({}): the layout is incomplete, copy the image again", self.root.display()))
            } else {
                io_error(e, "read", &path)
            }
        })?;
        let len = f
            .metadata()
            .await
            .map_err(|e| io_error(e, "read", &path))?
            .len();
        let stream = futures::stream::unfold(f, |mut f| async move {
            let mut buf = vec![0u8; 256 * 1024];
            match f.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(buf), f))
                }
                Err(e) => Some((Err(e), f)),
            }
        });
        Ok((Some(len), Box::pin(stream)))
    }

    /// Create the layout skeleton (`oci-layout`, empty `index.json`, `blobs/sha256`) if missing.
    async fn ensure_layout(&self, repository: &str) -> Result<()> {
        let dir = self.dir(repository);
        let blobs = dir.join("blobs").join("sha256");
        tokio::fs::create_dir_all(&blobs)
            .await
            .map_err(|e| io_error(e, "create", &blobs))?;
        let layout = dir.join(OCI_LAYOUT_FILE);
        if !tokio::fs::try_exists(&layout).await.unwrap_or(false) {
            write_atomic(&layout, br#"{"imageLayoutVersion":"1.0.0"}"#).await?;
        }
        let index = dir.join(INDEX_FILE);
        if !tokio::fs::try_exists(&index).await.unwrap_or(false) {
            let _guard = self.index_lock.lock().await;
            if !tokio::fs::try_exists(&index).await.unwrap_or(false) {
                let empty = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []});
                write_atomic(&index, empty.to_string().as_bytes()).await?;
            }
        }
        Ok(())
    }

    /// Store a blob whose digest the caller has computed from `bytes`.
    pub(crate) async fn put_blob(
        &self,
        repository: &str,
        digest: &Digest,
        bytes: &[u8],
    ) -> Result<()> {
        self.ensure_layout(repository).await?;
        let path = self.blob_path(repository, digest);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(());
        }
        write_atomic(&path, bytes).await
    }

    /// Store a blob from a stream, checking it hashes to `digest` before it becomes visible.
    pub(crate) async fn put_blob_stream(
        &self,
        repository: &str,
        digest: &Digest,
        mut stream: BlobStream,
    ) -> Result<()> {
        self.ensure_layout(repository).await?;
        let path = self.blob_path(repository, digest);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(());
        }
        let tmp = temp_path(&path);
        let result: Result<()> = async {
            let mut f = tokio::fs::File::create(&tmp).await.map_err(|e| io_error(e, "write", &tmp))?;
            let mut hasher = Sha256::new();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| Error::new(Code::Unreachable, format!("reading blob {digest} failed while copying it into {repository}: {e}; retry")))?;
                hasher.update(&chunk);
                f.write_all(&chunk).await.map_err(|e| io_error(e, "write", &tmp))?;
            }
            f.sync_all().await.map_err(|e| io_error(e, "write", &tmp))?;
            let actual = format!("sha256:{}", hex::encode(hasher.finalize()));
            if actual != digest.as_str() {
                return Err(Error::new(
                    Code::DigestMismatch,
                    format!("blob copied into {repository} does not match its digest: expected {digest}, got {actual}; the source is serving altered bytes, do not use this image"),
                ));
            }
            tokio::fs::rename(&tmp, &path).await.map_err(|e| io_error(e, "write", &path))
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result
    }

    /// Store manifest bytes and, when `tag` is given, point the tag at them in `index.json`
    /// (replacing the tag's previous entry), atomically.
    pub(crate) async fn put_manifest(
        &self,
        repository: &str,
        tag: Option<&str>,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<Digest> {
        let digest = Digest::of(bytes);
        self.put_blob(repository, &digest, bytes).await?;
        let Some(tag) = tag else {
            return Ok(digest);
        };
        let _guard = self.index_lock.lock().await;
        let mut index = self
            .read_index(repository)
            .await?
            .ok_or_else(|| self.not_found(repository))?;
        let entry = json!({
            "mediaType": media_type,
            "digest": digest.as_str(),
            "size": bytes.len(),
            "annotations": { REF_NAME: tag },
        });
        if let Some(list) = index.get_mut("manifests").and_then(Value::as_array_mut) {
            list.retain(|e| Self::ref_name(e) != Some(tag));
            list.push(entry);
        }
        let text = serde_json::to_vec(&index)
            .map_err(|e| Error::internal(format!("cannot encode index.json: {e}")))?;
        write_atomic(&self.dir(repository).join(INDEX_FILE), &text).await?;
        Ok(digest)
    }
}
