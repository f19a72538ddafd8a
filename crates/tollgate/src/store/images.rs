//! The `image_info` table: registry metadata cached by manifest digest. A cache, not history:
//! rows are replaced freely and are not part of the hash chain.

use rusqlite::{params, Connection, OptionalExtension};

use crate::domain::{Digest, ImageInfo};
use crate::Result;

pub(super) fn get(conn: &Connection, digest: &Digest) -> Result<Option<ImageInfo>> {
    let mut stmt = conn.prepare_cached("SELECT json FROM image_info WHERE digest = ?1")?;
    let Some(json) = stmt
        .query_row([digest.as_str()], |r| r.get::<_, String>(0))
        .optional()?
    else {
        return Ok(None);
    };
    match serde_json::from_str(&json) {
        Ok(info) => Ok(Some(info)),
        Err(e) => {
            // Written by another version, or damaged: a cache miss, the registry will be asked again.
            tracing::debug!(%digest, error = %e, "ignoring unreadable cached image info");
            Ok(None)
        }
    }
}

pub(super) fn put(conn: &Connection, info: &ImageInfo) -> Result<()> {
    let json = serde_json::to_string(info)
        .map_err(|e| crate::Error::internal(format!("image info to JSON: {e}")))?;
    let mut stmt =
        conn.prepare_cached("INSERT OR REPLACE INTO image_info (digest, json) VALUES (?1, ?2)")?;
    stmt.execute(params![info.digest.as_str(), json])?;
    Ok(())
}
