//! What the diff compares: the facts of one image, read from its manifests and configs by the
//! registry code, parsed here from bytes already in memory. Environment variables are reduced
//! to their names the moment a config is parsed: a value is never kept, so it cannot be shown,
//! stored or logged.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::Digest;

/// `org.opencontainers.image.revision`
pub const REVISION: &str = "org.opencontainers.image.revision";
/// `org.opencontainers.image.version`
pub const VERSION: &str = "org.opencontainers.image.version";
/// `org.opencontainers.image.source`
pub const SOURCE: &str = "org.opencontainers.image.source";
/// `org.opencontainers.image.base.name`
pub const BASE_NAME: &str = "org.opencontainers.image.base.name";
/// `org.opencontainers.image.base.digest`
pub const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";
/// `org.opencontainers.image.created`
pub const CREATED: &str = "org.opencontainers.image.created";

/// One image as the diff sees it: a single-platform manifest (one entry in `platforms`) or an
/// index (one entry per platform it names; attestations and nested indexes left out).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFacts {
    pub digest: Digest,
    pub media_type: String,
    /// Whether the digest is an index / manifest list.
    pub index: bool,
    /// The annotations of the top manifest (the index's, for an index).
    pub annotations: BTreeMap<String, String>,
    /// Sorted by platform.
    pub platforms: Vec<PlatformFacts>,
}

/// One platform's image manifest and config.
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformFacts {
    /// `os/arch[/variant]`
    pub platform: String,
    /// The digest of this platform's image manifest.
    pub manifest: Digest,
    pub annotations: BTreeMap<String, String>,
    pub layers: Vec<Layer>,
    pub config: RuntimeConfig,
}

/// A layer descriptor: its digest and compressed size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    pub digest: Digest,
    pub size: u64,
}

/// The parts of an image config that matter for a release: when and for what it was built,
/// and how it runs. Environment variables by name only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeConfig {
    pub created: Option<DateTime<Utc>>,
    pub os: Option<String>,
    pub architecture: Option<String>,
    pub variant: Option<String>,
    /// `config.User`; empty when not set.
    pub user: String,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub exposed_ports: BTreeSet<String>,
    /// The names of `config.Env` (`NAME=value` → `NAME`); never the values.
    pub env_names: BTreeSet<String>,
    pub volumes: BTreeSet<String>,
    pub labels: BTreeMap<String, String>,
}

impl RuntimeConfig {
    /// Parse an image config. Anything that is not an image config (an artifact's config, or
    /// not JSON) gives the empty config, not an error: there is nothing to compare in it.
    pub fn parse(bytes: &[u8]) -> RuntimeConfig {
        let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
            return RuntimeConfig::default();
        };
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let c = value.get("config");
        let field = |k: &str| c.and_then(|c| c.get(k));
        let list = |k: &str| {
            field(k).and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
        };
        let keys = |k: &str| {
            field(k)
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect::<BTreeSet<_>>())
                .unwrap_or_default()
        };
        // Only the part before `=` is ever read out of an Env entry.
        let env_names = field("Env")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(|e| e.split_once('=').map_or(e, |(name, _)| name).to_string())
                    .filter(|n| !n.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let labels = field("Labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        RuntimeConfig {
            created: value
                .get("created")
                .and_then(Value::as_str)
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc)),
            os: text(value.get("os")),
            architecture: text(value.get("architecture")),
            variant: text(value.get("variant")).filter(|v| !v.is_empty()),
            user: text(field("User")).unwrap_or_default(),
            entrypoint: list("Entrypoint"),
            cmd: list("Cmd"),
            exposed_ports: keys("ExposedPorts"),
            env_names,
            volumes: keys("Volumes"),
            labels,
        }
    }

    /// `os/arch[/variant]` from the config, `unknown` where it says nothing.
    pub fn platform(&self) -> String {
        let os = self.os.as_deref().unwrap_or("unknown");
        let arch = self.architecture.as_deref().unwrap_or("unknown");
        match &self.variant {
            Some(v) => format!("{os}/{arch}/{v}"),
            None => format!("{os}/{arch}"),
        }
    }
}

impl ImageFacts {
    /// The platform the summary fields describe: `linux/amd64` when there, else the first.
    pub fn primary(&self) -> Option<&PlatformFacts> {
        self.platforms
            .iter()
            .find(|p| p.platform == "linux/amd64")
            .or(self.platforms.first())
    }

    pub fn platform(&self, name: &str) -> Option<&PlatformFacts> {
        self.platforms.iter().find(|p| p.platform == name)
    }

    /// A label as the image states it: the top manifest's annotation, then the primary
    /// platform's manifest annotation, then its config label (the precedence of `ImageInfo`).
    pub fn label(&self, key: &str) -> Option<String> {
        self.annotations
            .get(key)
            .or_else(|| self.primary().and_then(|p| p.annotations.get(key)))
            .or_else(|| self.primary().and_then(|p| p.config.labels.get(key)))
            .filter(|v| !v.trim().is_empty())
            .cloned()
    }

    /// When it was built: the primary config's `created`, else the created annotation.
    pub fn created(&self) -> Option<DateTime<Utc>> {
        self.primary().and_then(|p| p.config.created).or_else(|| {
            self.label(CREATED)
                .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                .map(|t| t.with_timezone(&Utc))
        })
    }

    pub fn platform_names(&self) -> Vec<String> {
        self.platforms.iter().map(|p| p.platform.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_matters_and_keeps_env_names_only() {
        let cfg = br#"{"created":"2026-11-20T10:00:00Z","os":"linux","architecture":"arm64","variant":"v8",
            "config":{"User":"app","Env":["PATH=/usr/bin","DB_PASSWORD=hunter2-secret","EMPTY=","NOVALUE"],
            "Entrypoint":["/app"],"Cmd":null,"ExposedPorts":{"8080/tcp":{}},"Volumes":{"/data":{}},
            "Labels":{"a":"b","n":null}}}"#;
        let c = RuntimeConfig::parse(cfg);
        assert_eq!(c.platform(), "linux/arm64/v8");
        assert_eq!(c.user, "app");
        assert_eq!(c.entrypoint, Some(vec!["/app".to_string()]));
        assert_eq!(c.cmd, None);
        assert_eq!(
            c.env_names.iter().map(String::as_str).collect::<Vec<_>>(),
            ["DB_PASSWORD", "EMPTY", "NOVALUE", "PATH"]
        );
        assert_eq!(c.exposed_ports.len(), 1);
        assert!(c.volumes.contains("/data"));
        assert_eq!(c.labels.len(), 1);
        assert!(!format!("{c:?}").contains("hunter2"), "{c:?}");
        assert_eq!(RuntimeConfig::parse(b"not json"), RuntimeConfig::default());
        assert_eq!(RuntimeConfig::parse(b"{}").platform(), "unknown/unknown");
    }
}
