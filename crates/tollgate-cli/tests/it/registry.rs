//! registry integration tests: `tollgate::registry` against a real `docker-registry`, images
//! made with `umoci`, every answer cross-checked with `skopeo`.

use std::path::Path;
use std::time::{Duration, Instant};

use tollgate::config::RegistryLocation;
use tollgate::domain::{Digest, ImageInfo};
use tollgate::keychain::MemoryKeychain;
use tollgate::registry::{
    self, Credentials, Manifest, Registry, RegistryOptions, RetryPolicy, MAX_MANIFEST_BYTES,
    OCI_INDEX, OCI_MANIFEST,
};
use tollgate::Code;

use tollgate_testsupport::images::{make_image, make_multiarch_image, OciLayoutImage};
use tollgate_testsupport::process::run;
use tollgate_testsupport::proxy::{Fault, FaultProxy};
use tollgate_testsupport::registry::{fast_options, TestRegistry};
use tollgate_testsupport::skopeo::{
    push, push_to_layout, skopeo_digest, skopeo_layout_digest, skopeo_pull, skopeo_pull_layout,
    skopeo_raw,
};

fn digest(s: &str) -> Digest {
    Digest::parse(s).unwrap()
}

/// What `client` resolves `payments/api:{tag}` to; panics when there is no such tag.
async fn resolved(client: &Registry, tag: &str) -> Digest {
    client
        .resolve_tag("payments/api", tag)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("payments/api:{tag} exists"))
}

/// A missing tag, and a tag of a missing repository, resolve to `None` (not an error).
async fn assert_missing_tags_resolve_to_none(client: &Registry) {
    assert_eq!(
        client.resolve_tag("payments/api", "nope").await.unwrap(),
        None
    );
    assert_eq!(
        client.resolve_tag("payments/missing", "dev").await.unwrap(),
        None
    );
}

/// A fresh registry holding the image made from `content` as `payments/api:{tag}`; a client.
fn registry_with(content: &str, tag: &str) -> (TestRegistry, OciLayoutImage, Registry) {
    let reg = TestRegistry::start();
    let image = make_image(content);
    push(&image, &reg, &format!("payments/api:{tag}"));
    let client = reg.client();
    (reg, image, client)
}

/// A fresh registry holding the image made from `content` as `payments/api:dev`; a client, the
/// digest it resolves the tag to, and that manifest.
async fn registry_with_dev_manifest(content: &str) -> (TestRegistry, Registry, Digest, Manifest) {
    let (reg, _image, client) = registry_with(content, "dev");
    let d = resolved(&client, "dev").await;
    let m = client.fetch_manifest("payments/api", &d).await.unwrap();
    (reg, client, d, m)
}

/// A fresh registry holding one image (made from `content`) in `payments/api` under every one
/// of `tags`: pushed by skopeo as the first, the same manifest pushed under the others.
async fn registry_with_tags(content: &str, tags: &[String]) -> (TestRegistry, Manifest) {
    let (reg, image, client) = registry_with(content, &tags[0]);
    let m = client
        .fetch_manifest("payments/api", &digest(&image.digest()))
        .await
        .unwrap();
    for t in &tags[1..] {
        client
            .push_manifest("payments/api", t, &m.bytes, &m.media_type)
            .await
            .unwrap();
    }
    (reg, m)
}

/// An anonymous client for `host`, over plain HTTP or HTTPS.
fn remote(host: &str, plain_http: bool, options: RegistryOptions) -> Registry {
    Registry::open_with(
        &RegistryLocation::Remote {
            host: host.into(),
            plain_http,
        },
        Credentials::Anonymous,
        options,
    )
    .unwrap()
}

/// `from.copy_image(...)`, which must succeed and answer the digest it copied.
async fn copy(from: &Registry, src: &str, d: &Digest, to: &Registry, dst: &str, tag: &str) {
    assert_eq!(from.copy_image(src, d, to, dst, tag).await.unwrap(), *d);
}

/// Push manifest `m` as `payments/api:{tag}` through `client`: it answers the manifest's digest,
/// and skopeo sees that digest under the tag.
async fn retag(reg: &TestRegistry, client: &Registry, m: &Manifest, tag: &str) {
    assert_eq!(
        client
            .push_manifest("payments/api", tag, &m.bytes, &m.media_type)
            .await
            .unwrap(),
        m.digest
    );
    assert_eq!(
        skopeo_digest(reg, &format!("payments/api:{tag}")),
        m.digest.as_str()
    );
}

/// Copy `payments/api@{d}` to `prod/api:production` of the same registry; skopeo sees it there.
async fn copy_to_production(reg: &TestRegistry, client: &Registry, d: &Digest) {
    copy(client, "payments/api", d, client, "prod/api", "production").await;
    assert_eq!(skopeo_digest(reg, "prod/api:production"), d.as_str());
}

/// An OCI layout folder used as a registry.
fn layout_registry(root: &Path) -> Registry {
    Registry::open(
        &RegistryLocation::Layout {
            root: root.to_path_buf(),
        },
        Credentials::Anonymous,
    )
    .unwrap()
}

/// Resolving a tag through `client` fails, and within 2 seconds; the error.
async fn fails_fast(client: &Registry) -> tollgate::Error {
    let started = Instant::now();
    let e = client.resolve_tag("payments/api", "dev").await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    e
}

/// An anonymous client of a registry that wants credentials: resolving a tag fails, saying how
/// to log in. That client and its error.
async fn anonymous_is_asked_to_log_in(reg: &TestRegistry) -> (Registry, tollgate::Error) {
    let anonymous = reg.client_with(Credentials::Anonymous);
    let e = fails_with(
        anonymous.resolve_tag("payments/api", "dev").await,
        Code::AuthRequired,
    );
    assert_eq!(
        e.hint,
        Some(tollgate::Hint::Login {
            registry: reg.host()
        }),
        "{}",
        e.message
    );
    (anonymous, e)
}

/// Credentials the registry refused: said so, in one line that holds none of `passwords`.
fn assert_rejected(e: &tollgate::Error, passwords: &[&str]) {
    assert_eq!(e.code, Code::AuthRequired, "{}", e.message);
    assert!(e.message.contains("rejected"), "{}", e.message);
    assert_clean_message(e, passwords);
}

/// The error of a call that must fail with `code` (its message shown when it does not).
fn fails_with<T: std::fmt::Debug>(result: tollgate::Result<T>, code: Code) -> tollgate::Error {
    let e = result.unwrap_err();
    assert_eq!(e.code, code, "{}", e.message);
    e
}

/// The image's config was read: the revision label and the `created` time the test image has.
fn assert_config_was_read(info: &ImageInfo, image: &OciLayoutImage) {
    assert_eq!(
        info.revision.as_ref(),
        image.labels.get("org.opencontainers.image.revision")
    );
    assert_eq!(
        info.created.unwrap().to_rfc3339(),
        "2026-01-02T03:04:05+00:00"
    );
}

/// One line, and no secret in it.
fn assert_clean_message(e: &tollgate::Error, secrets: &[&str]) {
    assert!(
        !e.message.contains('\n'),
        "multi-line message: {}",
        e.message
    );
    for s in secrets {
        assert!(!e.message.contains(s), "secret in message: {}", e.message);
    }
}

#[tokio::test]
async fn resolve_matches_skopeo_and_missing_tags_are_none() {
    let (reg, image, client) = registry_with("resolve", "dev");

    let got = client
        .resolve_tag("payments/api", "dev")
        .await
        .unwrap()
        .expect("tag exists");
    assert_eq!(got.as_str(), skopeo_digest(&reg, "payments/api:dev"));
    assert_eq!(got.as_str(), image.digest());

    assert_missing_tags_resolve_to_none(&client).await;

    let m = client.fetch_manifest("payments/api", &got).await.unwrap();
    assert_eq!(m.media_type, OCI_MANIFEST);
    assert_eq!(m.bytes, skopeo_raw(&reg, "payments/api:dev"));

    let unknown = Digest::of(b"no such manifest");
    let e = fails_with(
        client.fetch_manifest("payments/api", &unknown).await,
        Code::NotFound,
    );
    assert_clean_message(&e, &[]);

    for (repo, tag) in [
        ("Payments/API", "dev"),
        ("payments/../etc", "dev"),
        ("payments/api", "a/b"),
        ("payments/api", ""),
    ] {
        let e = client.resolve_tag(repo, tag).await.unwrap_err();
        assert_eq!(e.code, Code::InvalidReference, "{repo}:{tag}");
    }
}

#[tokio::test]
async fn list_tags_follows_pagination() {
    let mut expected: Vec<String> = (0..11).map(|i| format!("t{i:02}")).collect();
    let (reg, _m) = registry_with_tags("tags", &expected).await;
    let client = reg.client();
    expected.sort();

    // Straight from the registry (distribution 2.8 answers every tag at once).
    assert_eq!(client.list_tags("payments/api").await.unwrap(), expected);

    // Through a proxy that pages by n/last with Link headers, 3 tags a page.
    let proxy = FaultProxy::start(reg.port());
    proxy.page_tags(true);
    let paged = proxy.client(
        Credentials::Anonymous,
        RegistryOptions {
            tag_page_size: Some(3),
            ..fast_options()
        },
    );
    assert_eq!(paged.list_tags("payments/api").await.unwrap(), expected);
    let pages: Vec<String> = proxy
        .requests()
        .into_iter()
        .filter(|(_, p)| p.contains("/tags/list"))
        .map(|(_, p)| p)
        .collect();
    assert_eq!(pages.len(), 4, "{pages:?}");
    assert!(pages[0].ends_with("tags/list?n=3"), "{pages:?}");
    assert!(pages[1].contains("last=t02"), "{pages:?}");

    fails_with(client.list_tags("payments/missing").await, Code::NotFound);
}

#[tokio::test]
async fn image_info_reads_labels_created_and_platforms() {
    let reg = TestRegistry::start();
    let client = reg.client();

    let single = make_image("info");
    push(&single, &reg, "payments/api:dev");
    let d = resolved(&client, "dev").await;
    let info = client.image_info("payments/api", &d).await.unwrap();
    assert_eq!(info.digest, d);
    assert_eq!(info.media_type, OCI_MANIFEST);
    assert_eq!(info.size, skopeo_raw(&reg, "payments/api:dev").len() as u64);
    assert_config_was_read(&info, &single);
    assert_eq!(
        info.version.as_ref(),
        single.labels.get("org.opencontainers.image.version")
    );
    assert_eq!(
        info.source.as_deref(),
        Some("https://git.example.com/payments/api")
    );
    // A single image names its platform in its config (as umoci wrote it).
    assert_eq!(info.platforms, ["linux/amd64"]);

    let multi = make_multiarch_image("info");
    push(&multi, &reg, "payments/api:multi");
    let d = resolved(&client, "multi").await;
    assert_eq!(d.as_str(), multi.digest());
    assert_eq!(d.as_str(), skopeo_digest(&reg, "payments/api:multi"));
    let info = client.image_info("payments/api", &d).await.unwrap();
    assert_eq!(info.media_type, OCI_INDEX);
    assert_eq!(info.platforms, vec!["linux/amd64", "linux/arm64/v8"]);
    assert_config_was_read(&info, &multi);
    assert_eq!(
        info.labels
            .get("org.opencontainers.image.title")
            .map(String::as_str),
        Some("multi")
    );
}

#[tokio::test]
async fn docker_v2_manifests_are_read_too() {
    let reg = TestRegistry::start();
    let image = make_image("docker-v2");
    // skopeo converts to Docker schema 2 on request.
    run(std::process::Command::new("skopeo")
        .args([
            "copy",
            "--quiet",
            "--format",
            "v2s2",
            "--dest-tls-verify=false",
        ])
        .arg(image.oci_ref())
        .arg(format!("docker://{}/payments/api:docker", reg.host())));
    let client = reg.client();
    let d = resolved(&client, "docker").await;
    assert_eq!(d.as_str(), skopeo_digest(&reg, "payments/api:docker"));
    let info = client.image_info("payments/api", &d).await.unwrap();
    assert_eq!(info.media_type, registry::DOCKER_MANIFEST);
    assert_config_was_read(&info, &image);
}

#[tokio::test]
async fn basic_auth_needs_the_right_password() {
    let reg = TestRegistry::start_with_auth("alice", "s3cret-pw");
    let image = make_image("auth");
    push(&image, &reg, "payments/api:dev");

    let right = reg.client();
    let d = resolved(&right, "dev").await;
    assert_eq!(d.as_str(), skopeo_digest(&reg, "payments/api:dev"));
    right.image_info("payments/api", &d).await.unwrap();
    assert_eq!(right.list_tags("payments/api").await.unwrap(), vec!["dev"]);

    let (anonymous, e) = anonymous_is_asked_to_log_in(&reg).await;
    assert!(e.message.contains("payments/api"), "{}", e.message);
    assert_clean_message(&e, &[]);

    let wrong = reg.client_with(Credentials::Basic {
        username: "alice".into(),
        password: "not-the-pw".into(),
    });
    for e in [
        wrong.resolve_tag("payments/api", "dev").await.unwrap_err(),
        wrong.fetch_manifest("payments/api", &d).await.unwrap_err(),
        wrong.list_tags("payments/api").await.unwrap_err(),
    ] {
        assert_rejected(&e, &["not-the-pw", "s3cret-pw"]);
    }

    // Credentials stored the way `tollgate login` stores them are found and work.
    let keychain = MemoryKeychain::default();
    registry::store_credentials(&reg.host(), "alice", "s3cret-pw", &keychain).unwrap();
    let creds = registry::credentials_for(&reg.host(), &keychain).unwrap();
    assert_eq!(format!("{creds:?}"), "Basic(alice, ***)");
    let from_keychain = reg.client_with(creds);
    assert_eq!(resolved(&from_keychain, "dev").await, d);

    // Pushing needs the credentials too.
    let m = right.fetch_manifest("payments/api", &d).await.unwrap();
    fails_with(
        anonymous
            .push_manifest("payments/api", "staging", &m.bytes, &m.media_type)
            .await,
        Code::AuthRequired,
    );
    retag(&reg, &right, &m, "staging").await;
}

#[tokio::test]
async fn unreachable_registry_fails_fast() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let host = format!("127.0.0.1:{port}");
    let e = fails_fast(&remote(&host, true, fast_options())).await;
    assert_eq!(e.code, Code::Unreachable, "{}", e.message);
    assert!(e.message.contains(&host), "{}", e.message);
    assert_clean_message(&e, &[]);

    // A registry that accepts the connection and never answers: the request timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_host = silent.local_addr().unwrap().to_string();
    let client = remote(
        &silent_host,
        true,
        RegistryOptions {
            request_timeout: Duration::from_millis(300),
            ..fast_options()
        },
    );
    let e = fails_fast(&client).await;
    assert_eq!(e.code, Code::Unreachable, "{}", e.message);
    assert!(
        e.message.contains("did not answer in time"),
        "{}",
        e.message
    );
    drop(silent);

    // HTTPS against a plain-HTTP registry: unreachable, with a hint about http://.
    let reg = TestRegistry::start();
    let tls = remote(&reg.host(), false, fast_options());
    let e = fails_with(
        tls.resolve_tag("payments/api", "dev").await,
        Code::Unreachable,
    );
    assert!(e.message.contains("http://"), "{}", e.message);
    assert_clean_message(&e, &[]);
}

#[tokio::test]
async fn tampered_manifest_is_a_digest_mismatch() {
    let (mut reg, _client, d, original) = registry_with_dev_manifest("tamper").await;

    // Same manifest, one annotation more: valid JSON the registry will serve, other bytes.
    let mut altered: serde_json::Value = serde_json::from_slice(&original.bytes).unwrap();
    altered["annotations"] = serde_json::json!({"evil": "yes"});
    reg.tamper(d.as_str(), &serde_json::to_vec(&altered).unwrap());
    let client = reg.client();

    let e = fails_with(
        client.fetch_manifest("payments/api", &d).await,
        Code::DigestMismatch,
    );
    assert!(e.message.contains(d.as_str()), "{}", e.message);
    assert_clean_message(&e, &[]);
    fails_with(
        client.image_info("payments/api", &d).await,
        Code::DigestMismatch,
    );
    fails_with(
        client
            .copy_image("payments/api", &d, &client, "prod/api", "production")
            .await,
        Code::DigestMismatch,
    );
    assert_eq!(
        client.resolve_tag("prod/api", "production").await.unwrap(),
        None
    );
}

#[tokio::test]
async fn manifests_over_4_mib_are_refused() {
    let (reg, client, d, original) = registry_with_dev_manifest("huge").await;

    let mut huge: serde_json::Value = serde_json::from_slice(&original.bytes).unwrap();
    huge["annotations"] = serde_json::json!({"padding": "x".repeat(MAX_MANIFEST_BYTES + 1)});
    let huge = serde_json::to_vec(&huge).unwrap();

    // Our own push refuses it before sending.
    fails_with(
        client
            .push_manifest("payments/api", "huge", &huge, OCI_MANIFEST)
            .await,
        Code::TooLarge,
    );

    // distribution 2.8 itself will not serve a stored manifest over 4 MiB ("storage: read
    // exceeds limit", HTTP 500), so a proxy in front of it swaps the body: once with a
    // Content-Length (refused before reading), once chunked (refused while reading).
    for chunked in [false, true] {
        let proxy = FaultProxy::start(reg.port());
        proxy.replace_body(&format!("/manifests/{d}"), huge.clone(), chunked);
        let via_proxy = proxy.client(Credentials::Anonymous, fast_options());
        let e = via_proxy
            .fetch_manifest("payments/api", &d)
            .await
            .unwrap_err();
        assert_eq!(e.code, Code::TooLarge, "chunked={chunked}: {}", e.message);
        assert_clean_message(&e, &[]);
        fails_with(
            via_proxy.image_info("payments/api", &d).await,
            Code::TooLarge,
        );
    }
}

#[tokio::test]
async fn retries_429_and_5xx_then_maps_them() {
    let (reg, image, _client) = registry_with("retry", "dev");
    let proxy = FaultProxy::start(reg.port());
    let client = proxy.client(Credentials::Anonymous, fast_options());
    let expected = Some(digest(&image.digest()));
    let fault = |status: u16, retry_after: Option<&str>| Fault {
        status,
        retry_after: retry_after.map(str::to_string),
    };

    // Two 503s and a 429, then an answer: retried, succeeds.
    proxy.fail_next(&[fault(503, None), fault(429, Some("0")), fault(502, None)]);
    assert_eq!(
        client.resolve_tag("payments/api", "dev").await.unwrap(),
        expected
    );
    assert_eq!(proxy.requests().len(), 4);

    // 429 four times: rate limited. Retry-After of an hour is capped by the policy.
    proxy.clear_requests();
    proxy.fail_next(&[
        fault(429, Some("3600")),
        fault(429, Some("3600")),
        fault(429, Some("3600")),
        fault(429, Some("3600")),
    ]);
    let started = Instant::now();
    let e = fails_with(
        client.resolve_tag("payments/api", "dev").await,
        Code::RateLimited,
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(proxy.requests().len(), 4, "max 4 attempts");
    assert_clean_message(&e, &[]);

    // 5xx four times: unreachable.
    proxy.fail_next(&[
        fault(503, None),
        fault(500, None),
        fault(503, None),
        fault(504, None),
    ]);
    let e = fails_with(
        client.resolve_tag("payments/api", "dev").await,
        Code::Unreachable,
    );
    assert!(e.message.contains("HTTP 504"), "{}", e.message);

    // Retry-After is honoured (within the cap).
    let patient = proxy.client(
        Credentials::Anonymous,
        RegistryOptions {
            retry: RetryPolicy {
                max_attempts: 2,
                initial_backoff: Duration::from_millis(1),
                max_backoff: Duration::from_secs(5),
            },
            ..RegistryOptions::default()
        },
    );
    proxy.fail_next(&[fault(429, Some("1"))]);
    let started = Instant::now();
    assert_eq!(
        patient.resolve_tag("payments/api", "dev").await.unwrap(),
        expected
    );
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );

    // 403 is forbidden; other 4xx are protocol errors. Neither is retried.
    proxy.clear_requests();
    proxy.fail_next(&[fault(403, None)]);
    fails_with(
        client.resolve_tag("payments/api", "dev").await,
        Code::Forbidden,
    );
    proxy.fail_next(&[fault(400, None)]);
    fails_with(
        client
            .fetch_manifest("payments/api", expected.as_ref().unwrap())
            .await,
        Code::Protocol,
    );
    assert_eq!(proxy.requests().len(), 2);
}

#[tokio::test]
async fn resolving_is_one_head_per_tag_with_bounded_concurrency() {
    let tags: Vec<String> = (0..40).map(|i| format!("t{i}")).collect();
    let (reg, m) = registry_with_tags("heads", &tags).await;

    let proxy = FaultProxy::start(reg.port());
    let client = proxy.client(
        Credentials::Anonymous,
        RegistryOptions {
            max_in_flight: 4,
            ..fast_options()
        },
    );
    let tasks: Vec<_> = tags
        .iter()
        .map(|t| {
            let (c, t) = (client.clone(), t.clone());
            tokio::spawn(async move { c.resolve_tag("payments/api", &t).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), Some(m.digest.clone()));
    }
    let requests = proxy.requests();
    assert_eq!(requests.len(), tags.len(), "{requests:?}");
    assert!(
        requests
            .iter()
            .all(|(method, path)| method == "HEAD" && path.contains("/manifests/t")),
        "{requests:?}"
    );
    assert!(
        proxy.max_in_flight() <= 4,
        "max in flight {}",
        proxy.max_in_flight()
    );
    assert!(proxy.max_in_flight() >= 2, "requests never overlapped");
}

#[tokio::test]
async fn push_manifest_and_copy_image_across_repositories() {
    let (reg, _image, client) = registry_with("copy", "staging");
    let d = resolved(&client, "staging").await;

    // Retag in place: the same bytes under another tag.
    let m = client.fetch_manifest("payments/api", &d).await.unwrap();
    assert_eq!(m.digest, d);
    retag(&reg, &client, &m, "production").await;

    // Another repository of the same registry: blobs mounted, exact bytes pushed.
    copy_to_production(&reg, &client, &d).await;
    assert_eq!(skopeo_raw(&reg, "prod/api:production"), m.bytes);
    // Copying again is a no-op that still succeeds.
    copy(
        &client,
        "payments/api",
        &d,
        &client,
        "prod/api",
        "production",
    )
    .await;
    // Seen on the wire: cross-repository mounts, no blob bytes uploaded.
    let proxy = FaultProxy::start(reg.port());
    let watched = proxy.client(Credentials::Anonymous, fast_options());
    copy(
        &watched,
        "payments/api",
        &d,
        &watched,
        "mirror/api",
        "production",
    )
    .await;
    let requests = proxy.requests();
    let mounts = requests
        .iter()
        .filter(|(m, p)| m == "POST" && p.contains("mount=") && p.contains("from=payments%2Fapi"))
        .count();
    assert_eq!(mounts, 2, "config + one layer mounted: {requests:?}");
    assert!(
        !requests
            .iter()
            .any(|(m, p)| m == "PUT" && p.contains("/blobs/")),
        "{requests:?}"
    );
    assert_eq!(skopeo_digest(&reg, "mirror/api:production"), d.as_str());

    // Another registry (with auth), a multi-platform index: every child and blob copied.
    let other = TestRegistry::start_with_auth("bob", "pw-bob");
    let multi = make_multiarch_image("copy");
    push(&multi, &reg, "payments/api:multi");
    let md = resolved(&client, "multi").await;
    let dst = other.client();
    copy(&client, "payments/api", &md, &dst, "prod/api", "production").await;
    assert_eq!(skopeo_digest(&other, "prod/api:production"), md.as_str());
    let index: serde_json::Value =
        serde_json::from_slice(&skopeo_raw(&other, "prod/api:production")).unwrap();
    for child in index["manifests"].as_array().unwrap() {
        let cd = child["digest"].as_str().unwrap();
        assert_eq!(
            Digest::of(&skopeo_raw(&other, &format!("prod/api@{cd}"))).as_str(),
            cd
        );
    }
    // skopeo can pull the whole copied image (every blob is there).
    skopeo_pull(&other, "prod/api:production");
    let info = dst.image_info("prod/api", &md).await.unwrap();
    assert_eq!(info.platforms, multi.platforms);

    // push_blob / blob_exists
    let blob = b"a small blob";
    let bd = dst.push_blob("prod/api", blob).await.unwrap();
    assert_eq!(bd, Digest::of(blob));
    assert!(dst.blob_exists("prod/api", &bd).await.unwrap());
    assert!(!dst
        .blob_exists("prod/api", &Digest::of(b"absent"))
        .await
        .unwrap());
}

#[tokio::test]
async fn layout_folder_works_as_a_registry_both_ways() {
    let root = tempfile::tempdir().unwrap();
    let layout = layout_registry(root.path());
    let image = make_image("layout");

    // skopeo writes, tollgate reads.
    push_to_layout(&image, &root.path().join("payments/api"), "dev");
    assert_eq!(layout.list_tags("payments/api").await.unwrap(), vec!["dev"]);
    let d = resolved(&layout, "dev").await;
    assert_eq!(
        d.as_str(),
        skopeo_layout_digest(&root.path().join("payments/api"), "dev")
    );
    assert_missing_tags_resolve_to_none(&layout).await;
    let info = layout.image_info("payments/api", &d).await.unwrap();
    assert_config_was_read(&info, &image);

    // tollgate writes (retag, copy to another repository), skopeo reads.
    let m = layout.fetch_manifest("payments/api", &d).await.unwrap();
    layout
        .push_manifest("payments/api", "staging", &m.bytes, &m.media_type)
        .await
        .unwrap();
    assert_eq!(
        skopeo_layout_digest(&root.path().join("payments/api"), "staging"),
        d.as_str()
    );
    assert_eq!(
        skopeo_layout_digest(&root.path().join("payments/api"), "dev"),
        d.as_str()
    );
    copy(
        &layout,
        "payments/api",
        &d,
        &layout,
        "prod/api",
        "production",
    )
    .await;
    assert_eq!(
        skopeo_layout_digest(&root.path().join("prod/api"), "production"),
        d.as_str()
    );

    // Between a real registry and the layout, both directions, an index included.
    let reg = TestRegistry::start();
    let client = reg.client();
    copy(&layout, "payments/api", &d, &client, "payments/api", "dev").await;
    assert_eq!(skopeo_digest(&reg, "payments/api:dev"), d.as_str());
    let multi = make_multiarch_image("layout");
    push(&multi, &reg, "payments/api:multi");
    let md = digest(&multi.digest());
    copy(&client, "payments/api", &md, &layout, "mirror/api", "multi").await;
    assert_eq!(
        skopeo_layout_digest(&root.path().join("mirror/api"), "multi"),
        md.as_str()
    );
    skopeo_pull_layout(&root.path().join("mirror/api"), "multi");
    assert_eq!(
        layout
            .image_info("mirror/api", &md)
            .await
            .unwrap()
            .platforms,
        multi.platforms
    );

    // A tampered layout blob is caught.
    let blob = root.path().join("payments/api/blobs/sha256").join(d.hex());
    let mut altered = m.bytes.clone();
    altered.push(b' ');
    std::fs::write(blob, altered).unwrap();
    fails_with(
        layout.fetch_manifest("payments/api", &d).await,
        Code::DigestMismatch,
    );
}

#[tokio::test]
async fn bearer_token_auth_against_a_token_service() {
    let reg = TestRegistry::start_with_token_auth("carol", "tok-pw");
    let image = make_image("bearer");
    push(&image, &reg, "payments/api:dev");
    let by_skopeo = skopeo_digest(&reg, "payments/api:dev");
    let before = reg.token_requests().len();

    // The right password: one token per repository scope, reused for every later request.
    let client = reg.client();
    let d = resolved(&client, "dev").await;
    assert_eq!(d.as_str(), by_skopeo);
    for _ in 0..5 {
        assert_eq!(
            client.resolve_tag("payments/api", "dev").await.unwrap(),
            Some(d.clone())
        );
    }
    client.image_info("payments/api", &d).await.unwrap();
    let tokens: Vec<String> = reg.token_requests()[before..].to_vec();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert!(
        tokens[0].contains("scope=repository%3Apayments%2Fapi%3Apull"),
        "{tokens:?}"
    );
    assert!(tokens[0].contains("service=tollgate-test"), "{tokens:?}");

    // Push scope, and a cross-repository mount (a token for both repositories).
    let m = client.fetch_manifest("payments/api", &d).await.unwrap();
    retag(&reg, &client, &m, "staging").await;
    copy_to_production(&reg, &client, &d).await;
    assert!(
        reg.token_requests().iter().any(|t| t
            .contains("scope=repository%3Aprod%2Fapi%3Apull%2Cpush")
            && t.contains("scope=repository%3Apayments%2Fapi%3Apull")),
        "{:?}",
        reg.token_requests()
    );

    // No credentials: the anonymous token grants nothing.
    anonymous_is_asked_to_log_in(&reg).await;

    // A wrong password: the token service refuses it.
    let wrong = reg.client_with(Credentials::Basic {
        username: "carol".into(),
        password: "nope-pw".into(),
    });
    let e = wrong.resolve_tag("payments/api", "dev").await.unwrap_err();
    assert_rejected(&e, &["nope-pw", "tok-pw"]);
}

#[tokio::test]
async fn large_blobs_are_streamed_between_registries() {
    // A 33 MiB layer is over the in-memory copy size: it is streamed, registry to registry,
    // registry to layout and layout to registry, and checked against its digest on the way.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let layer: Vec<u8> = (0..33 * 1024 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let config = br#"{"created":"2026-01-02T03:04:05Z","architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#;
    let src = TestRegistry::start();
    let a = src.client();
    let ld = a.push_blob("big/app", &layer).await.unwrap();
    let cd = a.push_blob("big/app", config).await.unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd.as_str(), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld.as_str(), "size": layer.len()}],
    }))
    .unwrap();
    let d = a
        .push_manifest("big/app", "v1", &manifest, OCI_MANIFEST)
        .await
        .unwrap();
    assert_eq!(skopeo_digest(&src, "big/app:v1"), d.as_str());

    let other = TestRegistry::start_with_auth("dave", "pw-dave");
    let b = other.client();
    copy(&a, "big/app", &d, &b, "big/app", "v1").await;
    assert_eq!(skopeo_digest(&other, "big/app:v1"), d.as_str());
    assert!(b.blob_exists("big/app", &ld).await.unwrap());

    let root = tempfile::tempdir().unwrap();
    let layout = layout_registry(root.path());
    copy(&b, "big/app", &d, &layout, "big/app", "v1").await;
    assert_eq!(
        skopeo_layout_digest(&root.path().join("big/app"), "v1"),
        d.as_str()
    );
    let stored = std::fs::read(root.path().join("big/app/blobs/sha256").join(ld.hex())).unwrap();
    assert_eq!(Digest::of(&stored), ld);

    let third = TestRegistry::start();
    copy(&layout, "big/app", &d, &third.client(), "mirror/app", "v1").await;
    assert_eq!(skopeo_digest(&third, "mirror/app:v1"), d.as_str());
    assert!(third.client().blob_exists("mirror/app", &ld).await.unwrap());
}
