use super::*;
use crate::Code;

fn d(c: char) -> Digest {
    Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).unwrap()
}

fn app() -> RepositoryMatcher {
    RepositoryMatcher::new("ghcr.io", "acme/api").unwrap()
}

/// Pin `new` and check the whole output is `text` with exactly the `(old, new)` line
/// replacements, and that the reported changes are those lines.
fn pin_and_expect(
    text: &str,
    selector: Option<&ImageSelector>,
    new: &Digest,
    replaced: &[(&str, &str)],
) -> PinnedFile {
    let out = pin("deploy.yaml", text, &app(), selector, new).unwrap();
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    for (old, new) in replaced {
        let at: Vec<usize> = (0..lines.len()).filter(|&i| lines[i] == *old).collect();
        assert_eq!(at.len(), 1, "{old} once in the input");
        lines[at[0]] = new.to_string();
    }
    let expected = lines.join("\n");
    assert_eq!(out.text, expected);
    let changed: Vec<(Option<String>, String)> = out
        .changes
        .iter()
        .map(|c| (c.old.clone(), c.new.clone()))
        .collect();
    let wanted: Vec<(Option<String>, String)> = replaced
        .iter()
        .map(|(o, n)| (Some(o.to_string()), n.to_string()))
        .collect();
    assert_eq!(changed, wanted);
    for c in &out.changes {
        assert_eq!(out.text.split('\n').nth(c.line - 1), Some(c.new.as_str()));
    }
    out
}

const DEPLOYMENT: &str = r#"# Production deployment for api.
# Owned by the platform team; Tollgate pins the digest.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api   # the service name
  labels: {app: api, tier: "backend"}
spec:
  replicas: 3

  template:
    metadata:
      annotations:
        note: 'keep: this'
    spec:
      containers:
        - name: api
          # pinned by Tollgate
          image: "ghcr.io/acme/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" # {"$imagepolicy": "flux-system:api"}
          ports:
            - containerPort: 8080   # http
        - name: proxy
          image: docker.io/envoyproxy/envoy:v1.30
"#;

#[test]
fn comment_rich_deployment_is_read_and_pinned_in_one_line() {
    let found = find("deploy.yaml", DEPLOYMENT, &app(), None).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].location.to_string(),
        "spec.template.spec.containers[0].image"
    );
    assert_eq!(found[0].line, 19);
    assert_eq!(found[0].form, ValueForm::Reference);
    let image = read_image("deploy.yaml", DEPLOYMENT, &app(), None).unwrap();
    assert_eq!(image.digest(), Some(&d('a')));
    assert!(!image.deployed_by_tag());

    let out = pin_and_expect(
        DEPLOYMENT,
        None,
        &d('b'),
        &[(
            r#"          image: "ghcr.io/acme/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" # {"$imagepolicy": "flux-system:api"}"#,
            r#"          image: "ghcr.io/acme/api@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" # {"$imagepolicy": "flux-system:api"}"#,
        )],
    );
    assert_eq!(out.changes[0].line, 19);
    let again = read_image("deploy.yaml", &out.text, &app(), None).unwrap();
    assert_eq!(again.digest(), Some(&d('b')));
    // Pinning what is already pinned changes nothing.
    let same = pin("deploy.yaml", &out.text, &app(), None, &d('b')).unwrap();
    assert!(same.unchanged());
    assert_eq!(same.text, out.text);
}

const MULTI: &str = "apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  ports:
    - port: 80
---
# the web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:v1.2@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: api-cleanup
spec:
  schedule: '0 3 * * *'
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: cleanup
              image: 'ghcr.io/acme/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
              args: [cleanup]
          restartPolicy: OnFailure
";

#[test]
fn multi_document_file_finds_each_object_and_pins_both() {
    let found = find("deploy.yaml", MULTI, &app(), None).unwrap();
    let places: Vec<String> = found.iter().map(|f| f.location.to_string()).collect();
    assert_eq!(
        places,
        [
            "document 2: spec.template.spec.containers[0].image",
            "document 3: spec.jobTemplate.spec.template.spec.containers[0].image"
        ]
    );
    assert_eq!(
        found[0].pinned,
        Pinned::Digest {
            digest: d('a'),
            tag: Some("v1.2".into())
        }
    );
    pin_and_expect(
        MULTI,
        None,
        &d('c'),
        &[
            (
                "          image: ghcr.io/acme/api:v1.2@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "          image: ghcr.io/acme/api:v1.2@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
            ),
            (
                "              image: 'ghcr.io/acme/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'",
                "              image: 'ghcr.io/acme/api@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc'",
            ),
        ],
    );
}

const POD_WITH_INIT: &str = "apiVersion: v1
kind: Pod
metadata:
  name: api
spec:
  initContainers:
    - name: migrate
      image: ghcr.io/acme/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
      command: [migrate]
  containers:
    - name: api
      image: ghcr.io/acme/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa # same image
";

#[test]
fn init_containers_count_and_are_pinned_with_the_containers() {
    let found = find("pod.yaml", POD_WITH_INIT, &app(), None).unwrap();
    let places: Vec<String> = found.iter().map(|f| f.location.to_string()).collect();
    assert_eq!(
        places,
        ["spec.initContainers[0].image", "spec.containers[0].image"]
    );
    pin_and_expect(
        POD_WITH_INIT,
        None,
        &d('b'),
        &[
            (
                "      image: ghcr.io/acme/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "      image: ghcr.io/acme/api@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            ),
            (
                "      image: ghcr.io/acme/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa # same image",
                "      image: ghcr.io/acme/api@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb # same image",
            ),
        ],
    );
}

const KUSTOMIZATION: &str = "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base   # shared base
images:
  - name: api
    newName: ghcr.io/acme/api
    digest: sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
  - name: ghcr.io/acme/api   # referenced by the full name in another base
    newTag: v1.2
    digest: \"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"
  - name: redis
    newTag: '7'
";

#[test]
fn kustomization_entries_with_and_without_new_name_pin_the_digest_field() {
    let found = find("kustomization.yaml", KUSTOMIZATION, &app(), None).unwrap();
    let places: Vec<String> = found.iter().map(|f| f.location.to_string()).collect();
    assert_eq!(places, ["images[0].digest", "images[1].digest"]);
    assert!(found.iter().all(|f| f.form == ValueForm::KustomizeDigest));
    assert_eq!(
        found[1].pinned,
        Pinned::Digest {
            digest: d('a'),
            tag: Some("v1.2".into())
        }
    );
    assert_eq!(
        found[1].text,
        "ghcr.io/acme/api:v1.2@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    );
    pin_and_expect(
        KUSTOMIZATION,
        None,
        &d('e'),
        &[
            (
                "    digest: sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "    digest: sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
            ),
            (
                "    digest: \"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
                "    digest: \"sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\"",
            ),
        ],
    );
}

#[test]
fn kustomization_with_a_new_tag_only_is_by_tag_and_pinning_adds_the_digest_line() {
    let text = "# no kind: kustomize reads it all the same
resources: [deployment.yaml]
images:
- name: api
  newName: ghcr.io/acme/api
  newTag: v1.3.0   # bumped by hand

configMapGenerator: []
";
    let image = read_image("kustomization.yaml", text, &app(), None).unwrap();
    assert!(image.deployed_by_tag());
    assert_eq!(
        image.pinned,
        Pinned::TagOnly {
            tag: Some("v1.3.0".into())
        }
    );
    assert_eq!(image.digest(), None);
    let out = pin("kustomization.yaml", text, &app(), None, &d('b')).unwrap();
    assert_eq!(
        out.text,
        text.replace(
            "  newTag: v1.3.0   # bumped by hand\n",
            "  newTag: v1.3.0   # bumped by hand\n  digest: sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"
        )
    );
    assert_eq!(
        out.changes,
        [LineChange {
            line: 7,
            old: None,
            new: format!("  digest: {}", d('b')),
        }]
    );
    let again = read_image("kustomization.yaml", &out.text, &app(), None).unwrap();
    assert_eq!(
        again.pinned,
        Pinned::Digest {
            digest: d('b'),
            tag: Some("v1.3.0".into())
        }
    );
}

#[test]
fn a_flow_style_kustomization_entry_without_digest_is_refused_at_pin() {
    let text = "images:\n  - {name: ghcr.io/acme/api, newTag: v1}\n";
    let image = read_image("k.yaml", text, &app(), None).unwrap();
    assert!(image.deployed_by_tag());
    let e = pin("k.yaml", text, &app(), None, &d('b')).unwrap_err();
    assert_eq!(e.code, Code::BadInput);
    assert!(e.message.contains("flow style"), "{}", e.message);
}

const COMPOSE: &str = "services:
  api:
    image: ghcr.io/acme/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
    ports:
      - \"8080:8080\"
  db:
    image: postgres:16   # not ours
volumes:
  data: {}
";

#[test]
fn compose_service_image_is_found_and_pinned() {
    let found = find("compose.yaml", COMPOSE, &app(), None).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].location.to_string(), "services.api.image");
    pin_and_expect(
        COMPOSE,
        None,
        &d('f'),
        &[(
            "    image: ghcr.io/acme/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "    image: ghcr.io/acme/api@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        )],
    );
}

const HELM_FULL: &str = "# values for production
replicaCount: 2
api:
  image: ghcr.io/acme/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  # promoted by Tollgate
  resources: {}
worker:
  image: ghcr.io/acme/api@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc
";

const HELM_DIGEST: &str = "api:
  image:
    repository: ghcr.io/acme/api
    tag: \"\"
    digest: \"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"
";

#[test]
fn helm_values_through_a_selector_full_reference_and_bare_digest() {
    let selector = ImageSelector::parse("api.image").unwrap();
    let image = read_image("values.yaml", HELM_FULL, &app(), Some(&selector)).unwrap();
    assert_eq!(image.references.len(), 1);
    assert_eq!(image.digest(), Some(&d('a')));
    pin_and_expect(
        HELM_FULL,
        Some(&selector),
        &d('b'),
        &[(
            "  image: ghcr.io/acme/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  # promoted by Tollgate",
            "  image: ghcr.io/acme/api@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb  # promoted by Tollgate",
        )],
    );

    let selector = ImageSelector::parse("api.image.digest").unwrap();
    let found = find("values.yaml", HELM_DIGEST, &app(), Some(&selector)).unwrap();
    assert_eq!(found[0].form, ValueForm::BareDigest);
    assert_eq!(found[0].location.to_string(), "api.image.digest");
    pin_and_expect(
        HELM_DIGEST,
        Some(&selector),
        &d('b'),
        &[(
            "    digest: \"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
            "    digest: \"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"",
        )],
    );
}

#[test]
fn selector_errors_name_the_value() {
    let missing = ImageSelector::parse("web.image").unwrap();
    let e = read_image("values.yaml", HELM_FULL, &app(), Some(&missing)).unwrap_err();
    assert_eq!(e.code, Code::NotFound);
    assert!(e.message.contains("values.yaml") && e.message.contains("web.image"));

    let mapping = ImageSelector::parse("api.image").unwrap();
    let e = read_image("values.yaml", HELM_DIGEST, &app(), Some(&mapping)).unwrap_err();
    assert!(
        e.message.contains("api.image") && e.message.contains("not a single value"),
        "{}",
        e.message
    );

    let other = "api:\n  image: quay.io/acme/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
    let e = read_image("values.yaml", other, &app(), Some(&mapping)).unwrap_err();
    assert_eq!(e.code, Code::InvalidReference);
    assert!(e.message.contains("not ghcr.io/acme/api"), "{}", e.message);

    for bad in ["", "api..image", ".api"] {
        assert_eq!(ImageSelector::parse(bad).unwrap_err().code, Code::Config);
    }
}

#[test]
fn a_tag_only_reference_is_flagged_and_pinning_writes_the_digest() {
    let text = "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: ghcr.io/acme/api:v1.4 # by tag\n";
    let image = read_image("deploy.yaml", text, &app(), None).unwrap();
    assert!(image.deployed_by_tag());
    assert_eq!(image.pinned.to_string(), "tag v1.4 (no digest)");
    pin_and_expect(
        text,
        None,
        &d('b'),
        &[(
            "          image: ghcr.io/acme/api:v1.4 # by tag",
            "          image: ghcr.io/acme/api@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb # by tag",
        )],
    );
}

#[test]
fn references_that_disagree_are_an_error_naming_each() {
    let text = MULTI.replace(
        "'ghcr.io/acme/api@sha256:aaaa",
        "'ghcr.io/acme/api@sha256:bbbb",
    );
    let e = read_image("deploy.yaml", &text, &app(), None).unwrap_err();
    assert_eq!(e.code, Code::BadInput);
    for part in [
        "deploy.yaml has 2 references to ghcr.io/acme/api that disagree",
        "document 2: spec.template.spec.containers[0].image (line 19) = ghcr.io/acme/api:v1.2@sha256:aaaa",
        "document 3: spec.jobTemplate.spec.template.spec.containers[0].image (line 33) = ghcr.io/acme/api@sha256:bbbb",
    ] {
        assert!(e.message.contains(part), "{part} in {}", e.message);
    }
    // Pinning never picks one of them either.
    assert_eq!(
        pin("deploy.yaml", &text, &app(), None, &d('c'))
            .unwrap_err()
            .code,
        Code::BadInput
    );
}

#[test]
fn other_hosts_and_ports_are_not_the_app() {
    let text = "services:
  a:
    image: ghcr.example.com/acme/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
  b:
    image: ghcr.io:5000/acme/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
  c:
    image: ghcr.io/acme/api-worker@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
  d:
    image: acme/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
";
    assert!(find("compose.yaml", text, &app(), None).unwrap().is_empty());
    let e = read_image("compose.yaml", text, &app(), None).unwrap_err();
    assert_eq!(e.code, Code::NotFound);
    assert!(
        e.message
            .starts_with("compose.yaml has no image reference to ghcr.io/acme/api"),
        "{}",
        e.message
    );
    // The same file, read for a registry on port 5000, finds service b only.
    let on_port = RepositoryMatcher::new("GHCR.io:5000", "acme/api").unwrap();
    let found = find("compose.yaml", text, &on_port, None).unwrap();
    let places: Vec<String> = found.iter().map(|f| f.location.to_string()).collect();
    assert_eq!(places, ["services.b.image"]);
    // Docker Hub: no host means docker.io.
    let hub = RepositoryMatcher::new("registry-1.docker.io", "acme/api").unwrap();
    let found = find("compose.yaml", text, &hub, None).unwrap();
    let places: Vec<String> = found.iter().map(|f| f.location.to_string()).collect();
    assert_eq!(places, ["services.d.image"]);
}

#[test]
fn a_file_that_is_not_yaml_is_one_error_naming_it() {
    // yaml-edit recovers from some errors silently (`a: b: c`); these it reports.
    for text in [
        "key: [unclosed\nother: {",
        "{\"kind\": \"Pod\",\n",
        "image: 'unterminated\n",
    ] {
        let e = find("deploy.yaml", text, &app(), None).unwrap_err();
        assert_eq!(e.code, Code::BadInput, "{text}");
        assert!(
            e.message.starts_with("deploy.yaml is not valid YAML"),
            "{}",
            e.message
        );
    }
}

#[test]
fn an_app_reference_that_does_not_parse_is_an_error_naming_it() {
    let text = "services:\n  api:\n    image: ghcr.io/acme/api@sha256:abc\n";
    let e = find("compose.yaml", text, &app(), None).unwrap_err();
    assert_eq!(e.code, Code::InvalidReference);
    assert!(
        e.message
            .starts_with("compose.yaml: services.api.image: 'ghcr.io/acme/api@sha256:abc'"),
        "{}",
        e.message
    );
}

#[test]
fn the_reparse_check_refuses_any_other_change() {
    let new = d('b');
    let location = Location {
        document: 0,
        path: ValuePath(vec![
            Step::Key("services".into()),
            Step::Key("api".into()),
            Step::Key("image".into()),
        ]),
    };
    let value = format!("ghcr.io/acme/api@{new}");
    let expected = [ExpectedValue {
        location: location.clone(),
        value: value.clone(),
    }];
    let right = COMPOSE.replace(
        "ghcr.io/acme/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        &value,
    );
    check_edit("compose.yaml", COMPOSE, &right, &expected).unwrap();

    // Another value changed too.
    let also_port = right.replace("\"8080:8080\"", "\"8081:8080\"");
    let e = check_edit("compose.yaml", COMPOSE, &also_port, &expected).unwrap_err();
    assert_eq!(e.code, Code::Internal);
    assert!(
        e.message.contains("it also changes services.api.ports[0]"),
        "{}",
        e.message
    );
    // A key renamed, a document added.
    let renamed = right.replace("  db:", "  database:");
    assert!(check_edit("compose.yaml", COMPOSE, &renamed, &expected).is_err());
    let extra = format!("{right}---\nkind: Secret\n");
    let e = check_edit("compose.yaml", COMPOSE, &extra, &expected).unwrap_err();
    assert!(e.message.contains("2 documents"), "{}", e.message);
    // The target does not read as intended.
    let wrong = COMPOSE.replace("sha256:aaaa", "sha256:cccc");
    let e = check_edit("compose.yaml", COMPOSE, &wrong, &expected).unwrap_err();
    assert!(
        e.message
            .contains("services.api.image reads 'ghcr.io/acme/api@sha256:cccc"),
        "{}",
        e.message
    );
    // The edit broke the syntax.
    let broken = right.replace("services:", "services: [");
    assert!(check_edit("compose.yaml", COMPOSE, &broken, &expected).is_err());
    // Without the mask, the right edit is itself a difference.
    assert!(check_edit("compose.yaml", COMPOSE, &right, &[]).is_err());
}

#[test]
fn references_parse_as_runtimes_read_them() {
    let r = FileReference::parse(
        "Localhost:5000/team/api:v1@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    )
    .unwrap();
    assert_eq!(
        (r.host.as_str(), r.path.as_str(), r.tag.as_deref()),
        ("localhost:5000", "team/api", Some("v1"))
    );
    assert_eq!(r.digest, Some(d('a')));
    let r = FileReference::parse("nginx").unwrap();
    assert_eq!(
        (r.host.as_str(), r.path.as_str(), r.tag.as_deref()),
        ("docker.io", "library/nginx", None)
    );
    for bad in [
        "",
        "ghcr.io/acme/api@sha256:abc",
        "ghcr.io/acme/api@sha512:aa",
        "ghcr.io/Acme/api",
        "ghcr.io/acme/api:",
        "ghcr.io/acme/api:v 1",
        "ghcr.io:port/acme/api",
    ] {
        assert_eq!(
            FileReference::parse(bad).unwrap_err().code,
            Code::InvalidReference,
            "{bad}"
        );
    }
    assert!(RepositoryMatcher::new("https://ghcr.io", "acme/api").is_err());
    assert!(RepositoryMatcher::new("ghcr.io", "Acme/api").is_err());
}

#[test]
fn anchors_quoted_keys_crlf_tags_flow_style_and_no_final_newline_keep_every_other_byte() {
    let (old, new) = (d('a'), d('b'));
    for text in [
        format!("services:\n  api:\n    image: &img ghcr.io/acme/api@{old}\n  worker:\n    image: *img\n"),
        format!("---\nservices:\n  api:\n    \"image\": ghcr.io/acme/api@{old}\n...\n"),
        format!("services:\r\n  api:\r\n    image: ghcr.io/acme/api@{old}\r\n  db:\r\n    image: x\r\n"),
        format!("services:\n  api:\n    image: ghcr.io/acme/api@{old}"),
        format!("services:\n  api:\n    image: !!str 'ghcr.io/acme/api@{old}'\n"),
        format!("services: {{api: {{image: ghcr.io/acme/api@{old}}}, db: {{image: x}}}}\n"),
    ] {
        let out = pin("f.yaml", &text, &app(), None, &new).unwrap();
        assert_eq!(out.text, text.replace(old.as_str(), new.as_str()), "{text:?}");
        assert_eq!(out.changes.len(), 1, "{text:?}");
    }
}
