//! Every rule of the diff, on facts built in memory.

use std::collections::BTreeMap;

use super::*;

fn digest(s: &str) -> Digest {
    Digest::of(s.as_bytes())
}

fn config(json: &str) -> RuntimeConfig {
    RuntimeConfig::parse(json.as_bytes())
}

/// A platform image whose config is `cfg` (the JSON of `config`), with `layers`.
fn platform(name: &str, cfg: &str, layers: &[(&str, u64)]) -> PlatformFacts {
    PlatformFacts {
        platform: name.into(),
        manifest: digest(&format!("{name}{cfg}")),
        annotations: BTreeMap::new(),
        layers: layers
            .iter()
            .map(|(l, size)| Layer {
                digest: digest(l),
                size: *size,
            })
            .collect(),
        config: config(cfg),
    }
}

fn image(name: &str, platforms: Vec<PlatformFacts>, index: bool) -> ImageFacts {
    ImageFacts {
        digest: digest(name),
        media_type: if index {
            crate::registry::OCI_INDEX.into()
        } else {
            crate::registry::OCI_MANIFEST.into()
        },
        index,
        annotations: BTreeMap::new(),
        platforms,
    }
}

/// A config with these `config` fields and labels revision/source/created.
fn cfg(rev: &str, created: &str, fields: &str) -> String {
    format!(
        r#"{{"created":"{created}","os":"linux","architecture":"amd64","config":{{{fields}{}"Labels":{{"org.opencontainers.image.revision":"{rev}","org.opencontainers.image.source":"https://github.com/acme/api.git","org.opencontainers.image.version":"1.{rev}"}}}}}}"#,
        if fields.is_empty() { "" } else { "," }
    )
}

fn single(name: &str, config: &str, layers: &[(&str, u64)]) -> ImageFacts {
    image(name, vec![platform("linux/amd64", config, layers)], false)
}

fn codes(d: &ReleaseDiff) -> Vec<&str> {
    d.risk_flags.iter().map(|f| f.code.as_str()).collect()
}

const T1: &str = "2026-11-01T10:00:00Z";
const T2: &str = "2026-11-02T10:00:00Z";

#[test]
fn a_plain_newer_build_has_a_compare_link_and_no_flags() {
    let cur = single(
        "a",
        &cfg("aaa111", T1, r#""User":"app""#),
        &[("base", 100), ("app1", 10)],
    );
    let cand = single(
        "b",
        &cfg("bbb222", T2, r#""User":"app""#),
        &[("base", 100), ("app2", 30)],
    );
    let d = compare("api", "production", &cand, Some(&cur));
    assert!(!d.first_deployment && !d.same_digest);
    assert_eq!(d.source.from_revision.as_deref(), Some("aaa111"));
    assert_eq!(d.source.to_revision.as_deref(), Some("bbb222"));
    assert_eq!(d.source.forge, Some(Forge::Github));
    assert_eq!(
        d.source.compare_url.as_deref(),
        Some("https://github.com/acme/api/compare/aaa111...bbb222")
    );
    assert_eq!(
        d.source.repository.as_deref(),
        Some("https://github.com/acme/api")
    );
    assert!(d.version.changed);
    assert_eq!(d.version.to.as_deref(), Some("1.bbb222"));
    assert!(!d.created.built_before_current);
    assert_eq!(
        (d.layers.shared, d.layers.added, d.layers.removed),
        (1, 1, 1)
    );
    assert_eq!(d.layers.size_change, 20);
    assert_eq!(d.platform.as_deref(), Some("linux/amd64"));
    assert!(d.risk_flags.is_empty(), "{:?}", d.risk_flags);
    let s = d.summary();
    assert_eq!(s.revision_range(), "aaa111 → bbb222");
}

#[test]
fn first_deployment_and_same_digest() {
    let cand = single("b", &cfg("bbb222", T2, ""), &[("l", 1)]);
    let d = compare("api", "production", &cand, None);
    assert!(d.first_deployment && d.current.is_none());
    assert_eq!(codes(&d), ["first_deployment"]);
    assert_eq!(d.layers.added, 1);
    assert_eq!(d.source.compare_url, None);
    assert!(!d.version.changed);
    assert_eq!(d.summary().revision_range(), "first deployment of bbb222");
    let same = compare("api", "production", &cand, Some(&cand));
    assert!(same.same_digest && same.risk_flags.is_empty());
    assert_eq!(same.layers.shared, 1);
}

#[test]
fn user_to_root_and_to_empty() {
    let cur = single("a", &cfg("r1", T1, r#""User":"app""#), &[]);
    for root in ["0", "root", "0:0", "root:wheel"] {
        let cand = single("b", &cfg("r2", T2, &format!(r#""User":"{root}""#)), &[]);
        let d = compare("api", "prod", &cand, Some(&cur));
        assert_eq!(codes(&d), ["user_root"], "{root}");
        assert!(d.risk_flags[0].text.contains(root));
    }
    let empty = single("b", &cfg("r2", T2, r#""User":"""#), &[]);
    let d = compare("api", "prod", &empty, Some(&cur));
    assert_eq!(codes(&d), ["user_empty"]);
    let unset = single("b", &cfg("r2", T2, ""), &[]);
    assert_eq!(
        codes(&compare("api", "prod", &unset, Some(&cur))),
        ["user_empty"]
    );
    // Root to root, or to another non-root user: no flag.
    let was_root = single("a", &cfg("r1", T1, r#""User":"0""#), &[]);
    let still = single("b", &cfg("r2", T2, r#""User":"root""#), &[]);
    assert!(compare("api", "prod", &still, Some(&was_root))
        .risk_flags
        .is_empty());
    let other = single("b", &cfg("r2", T2, r#""User":"1000""#), &[]);
    let d = compare("api", "prod", &other, Some(&cur));
    assert!(d.runtime.user.changed && d.risk_flags.is_empty());
}

#[test]
fn built_before_current() {
    let cur = single("a", &cfg("r1", T2, ""), &[]);
    let older = single("b", &cfg("r2", T1, ""), &[]);
    let d = compare("api", "prod", &older, Some(&cur));
    assert!(d.created.built_before_current);
    assert_eq!(codes(&d), ["built_before_current"]);
    // Same time or no time: not older.
    let undated = single("b", &cfg("r2", "", ""), &[]);
    assert!(
        !compare("api", "prod", &undated, Some(&cur))
            .created
            .built_before_current
    );
}

#[test]
fn base_image_changed_or_not() {
    let with_base = |name: &str, base: &str| {
        let mut i = single(name, &cfg(name, T1, ""), &[]);
        i.annotations
            .insert(BASE_NAME.into(), "docker.io/library/debian:12".into());
        i.annotations.insert(BASE_DIGEST.into(), base.into());
        i
    };
    let a = with_base("a", "sha256:aaaa");
    let d = compare("api", "prod", &with_base("b", "sha256:aaaa"), Some(&a));
    assert!(!d.base.changed);
    assert!(!codes(&d).contains(&"base_changed"));
    let d = compare("api", "prod", &with_base("b", "sha256:bbbb"), Some(&a));
    assert!(d.base.changed);
    assert_eq!(d.base.to_digest.as_deref(), Some("sha256:bbbb"));
    assert_eq!(codes(&d), ["base_changed"]);
    assert!(d.risk_flags[0].text.contains("debian:12@sha256:bbbb"));
    // No base stated on either side: nothing to say.
    let plain = single("c", &cfg("c", T1, ""), &[]);
    assert!(
        !compare("api", "prod", &plain, Some(&plain.clone()))
            .base
            .changed
    );
}

#[test]
fn entrypoint_cmd_ports_env_names_volumes_and_labels() {
    let cur = single(
        "a",
        &cfg(
            "r1",
            T1,
            r#""Entrypoint":["/app"],"Cmd":["serve"],"ExposedPorts":{"8080/tcp":{}},"Env":["PATH=/bin","OLD_TOKEN=s3cr3t-old"],"Volumes":{"/data":{}}"#,
        ),
        &[],
    );
    let cand = single(
        "b",
        &cfg(
            "r2",
            T2,
            r#""Entrypoint":["/app","--debug"],"Cmd":["serve"],"ExposedPorts":{"8080/tcp":{},"22/tcp":{}},"Env":["PATH=/bin","DB_PASSWORD=hunter2-value"],"Volumes":{}"#,
        ),
        &[],
    );
    let d = compare("api", "prod", &cand, Some(&cur));
    assert_eq!(
        codes(&d),
        [
            "entrypoint_changed",
            "ports_changed",
            "env_names_changed",
            "volumes_changed"
        ]
    );
    assert!(d.runtime.entrypoint.changed && !d.runtime.cmd.changed);
    assert_eq!(d.runtime.exposed_ports.added, ["22/tcp"]);
    assert_eq!(d.runtime.env_names.added, ["DB_PASSWORD"]);
    assert_eq!(d.runtime.env_names.removed, ["OLD_TOKEN"]);
    assert_eq!(d.runtime.volumes.removed, ["/data"]);
    let changed: Vec<&str> = d
        .runtime
        .labels
        .changed
        .iter()
        .map(|c| c.key.as_str())
        .collect();
    assert_eq!(changed, [REVISION, VERSION]);
    // Values are never anywhere in what the diff holds or serializes.
    let json = serde_json::to_string(&d).unwrap();
    for secret in ["hunter2-value", "s3cr3t-old"] {
        assert!(!json.contains(secret), "{json}");
        assert!(!format!("{d:?}").contains(secret));
        assert!(!format!("{cand:?}").contains(secret));
    }
    assert!(json.contains("DB_PASSWORD"));
}

#[test]
fn labels_added_and_removed() {
    let cur = single("a", &cfg("r1", T1, ""), &[]);
    let mut cand = cur.clone();
    cand.digest = digest("b");
    cand.platforms[0]
        .config
        .labels
        .insert("team".into(), "payments".into());
    cand.platforms[0].config.labels.remove(SOURCE);
    let d = compare("api", "prod", &cand, Some(&cur));
    assert_eq!(d.runtime.labels.added[0].key, "team");
    assert_eq!(d.runtime.labels.removed[0].key, SOURCE);
}

#[test]
fn source_repository_changed() {
    let cur = single("a", &cfg("r1", T1, ""), &[]);
    let mut cand = single("b", &cfg("r2", T2, ""), &[]);
    cand.annotations
        .insert(SOURCE.into(), "https://github.com/someone-else/api".into());
    let d = compare("api", "prod", &cand, Some(&cur));
    assert!(d.source.repository_changed);
    assert_eq!(codes(&d), ["source_changed"]);
    assert_eq!(d.source.compare_url, None, "no link across repositories");
}

#[test]
fn revision_unknown_and_same_revision() {
    let none = single(
        "a",
        r#"{"created":"2026-11-01T10:00:00Z","os":"linux","architecture":"amd64"}"#,
        &[],
    );
    let cand = single("b", &cfg("r2", T2, ""), &[]);
    let d = compare("api", "prod", &cand, Some(&none));
    assert_eq!(codes(&d), ["revision_unknown"]);
    assert!(d.risk_flags[0].text.contains("what runs now"));
    assert_eq!(d.summary().revision_range(), "(unknown) → r2");
    let rebuilt = single("c", &cfg("r2", T2, ""), &[("other", 1)]);
    let d = compare("api", "prod", &rebuilt, Some(&cand));
    assert_eq!(codes(&d), ["same_revision"]);
}

#[test]
fn indexes_are_compared_per_platform() {
    let c1 = cfg("r1", T1, r#""User":"app""#);
    let c2 = cfg("r2", T2, r#""User":"app""#);
    let c2_root = cfg("r2", T2, r#""User":"root""#);
    let cur = image(
        "a",
        vec![
            platform("linux/amd64", &c1, &[("base", 10), ("amd1", 5)]),
            platform("linux/arm64/v8", &c1, &[("base-arm", 10)]),
            platform("linux/s390x", &c1, &[("s", 1)]),
        ],
        true,
    );
    let cand = image(
        "b",
        vec![
            platform("linux/amd64", &c2, &[("base", 10), ("amd2", 7)]),
            platform("linux/arm64/v8", &c2_root, &[("base-arm", 10), ("arm2", 3)]),
            platform("linux/riscv64", &c2, &[("r", 1)]),
        ],
        true,
    );
    let d = compare("api", "prod", &cand, Some(&cur));
    assert_eq!(d.platforms.added, ["linux/riscv64"]);
    assert_eq!(d.platforms.removed, ["linux/s390x"]);
    assert_eq!(d.platforms.compared, ["linux/amd64", "linux/arm64/v8"]);
    assert_eq!(d.platform.as_deref(), Some("linux/amd64"));
    assert_eq!(
        (d.layers.shared, d.layers.added, d.layers.removed),
        (1, 1, 1)
    );
    let arm = &d.per_platform[1];
    assert_eq!((arm.layers.shared, arm.layers.added), (1, 1));
    assert_eq!(codes(&d), ["user_root", "platform_removed"]);
    assert!(
        d.risk_flags[0].text.ends_with("(on linux/arm64/v8)"),
        "{}",
        d.risk_flags[0].text
    );
    // A single image against an index: the index's other platforms are added.
    let one = single("c", &c2, &[]);
    let d = compare("api", "prod", &cand, Some(&one));
    assert_eq!(d.platforms.compared, ["linux/amd64"]);
    assert_eq!(d.platforms.added, ["linux/arm64/v8", "linux/riscv64"]);
    assert!(d.platforms.removed.is_empty());
}

#[test]
fn codes_are_listed_in_order_and_unique() {
    let mut seen = std::collections::BTreeSet::new();
    for c in RISK_CODES {
        assert!(seen.insert(c), "{c} twice");
    }
}

#[test]
fn source_credentials_are_not_shown() {
    let mut cand = single("b", &cfg("r2", T2, ""), &[]);
    cand.annotations.insert(
        SOURCE.into(),
        "https://user:tok3n@git.example.com/a/b".into(),
    );
    let d = compare("api", "prod", &cand, None);
    assert!(!serde_json::to_string(&d).unwrap().contains("tok3n"));
    assert_eq!(
        d.candidate.source.as_deref(),
        Some("https://git.example.com/a/b")
    );
}
