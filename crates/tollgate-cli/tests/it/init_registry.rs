//! `tollgate init --registry` against a real `docker-registry`: its catalog (paged), a catalog
//! refused through the fault proxy, credentials into the real keychain only once the registry
//! accepted them, the first approver's key; every written file loads and `sync` reads the
//! digests skopeo sees.

use tollgate::api::{self, Context};
use tollgate::keychain::OsKeychain;
use tollgate_testsupport::images::make_image;
use tollgate_testsupport::proxy::FaultProxy;
use tollgate_testsupport::registry::TestRegistry;
use tollgate_testsupport::signed::{rt, unique_id};
use tollgate_testsupport::skopeo::{push, skopeo_digest};
use tollgate_testsupport::workspace::{Run, TempWorkspace};

/// payments/api (dev, staging, production, 1.0.0), shop/web (prod, dev), tools/lint (latest).
fn fill(reg: &TestRegistry) {
    let a = make_image("init-a");
    let b = make_image("init-b");
    push(&a, reg, "payments/api:dev");
    push(&a, reg, "payments/api:1.0.0");
    push(&b, reg, "payments/api:staging");
    push(&b, reg, "payments/api:production");
    push(&a, reg, "shop/web:prod");
    push(&b, reg, "shop/web:dev");
    push(&a, reg, "tools/lint:latest");
}

/// The digest `status --json` shows for `app` in `env`.
fn status_digest(ws: &TempWorkspace, app: &str, env: &str) -> String {
    let st = ws.run(&["status", "--json"]);
    st.ok();
    st.json()
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["app"] == app && r["env"] == env)
        .unwrap_or_else(|| panic!("no row {app}/{env}: {}", st.stdout))["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

fn init(ws: &TempWorkspace, args: &[&str], stdin: Option<&str>) -> Run {
    let mut all = vec!["init"];
    all.extend_from_slice(args);
    ws.run_with_stdin(&all, stdin)
}

#[test]
fn init_from_the_catalog_writes_a_workspace_that_loads_and_syncs() {
    let reg = TestRegistry::start();
    fill(&reg);
    let ws = TempWorkspace::empty();
    let made = init(&ws, &["--registry", &reg.url()], None);
    made.ok();
    let out = &made.stdout;
    assert!(
        out.contains(&format!("registry {} lists 3 repositories", reg.host())),
        "{out}"
    );
    assert!(
        out.contains("payments/api: 4 tags; environments: dev → staging → production"),
        "{out}"
    );
    assert!(
        out.contains("shop/web: 2 tags; environments: dev → prod"),
        "{out}"
    );
    assert!(
        out.contains("not added: tools/lint: no tag is named"),
        "{out}"
    );
    assert!(out.contains("no approvers and no policies yet"), "{out}");

    let text = std::fs::read_to_string(ws.config()).unwrap();
    assert!(
        text.contains("repository = \"main/payments/api\""),
        "{text}"
    );
    assert!(!text.contains("\n[[approvers]]"), "{text}");
    let policies: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("policy") && !l.trim_start().starts_with('#'))
        .collect();
    assert!(policies.is_empty(), "{policies:?}");
    assert!(text.contains("#   one approval: "), "{text}");

    ws.run(&["sync"]).ok();
    assert_eq!(
        status_digest(&ws, "api", "dev"),
        skopeo_digest(&reg, "payments/api:dev")
    );
    assert_eq!(
        status_digest(&ws, "api", "production"),
        skopeo_digest(&reg, "payments/api:production")
    );
    assert_eq!(
        status_digest(&ws, "web", "prod"),
        skopeo_digest(&reg, "shop/web:prod")
    );

    // Never over a file without --force.
    let before = std::fs::read_to_string(ws.config()).unwrap();
    init(&ws, &["--registry", &reg.url()], None).fails_with(2, &["already exists", "--force"]);
    assert_eq!(std::fs::read_to_string(ws.config()).unwrap(), before);
    init(
        &ws,
        &[
            "--registry",
            &reg.url(),
            "--repository",
            "shop/web",
            "--force",
        ],
        None,
    )
    .ok();
    let text = std::fs::read_to_string(ws.config()).unwrap();
    assert!(
        text.contains("main/shop/web") && !text.contains("main/payments/api"),
        "{text}"
    );
}

#[test]
fn the_catalog_is_read_page_by_page() {
    let reg = TestRegistry::start();
    fill(&reg);
    let proxy = FaultProxy::start(reg.port());
    let ctx = Context::system();
    let url = format!("http://{}", proxy.host());
    let probe = rt()
        .block_on(api::registry_probe(&ctx, &url, None, Some(1)))
        .unwrap();
    assert_eq!(
        probe.repositories,
        ["payments/api", "shop/web", "tools/lint"]
    );
    assert_eq!(probe.catalog_refused, None);
    let pages = proxy
        .requests()
        .iter()
        .filter(|(m, p)| m == "GET" && p.starts_with("/v2/_catalog"))
        .count();
    assert!(pages >= 3, "{:?}", proxy.requests());
}

#[test]
fn a_refused_catalog_asks_for_repositories_and_takes_them() {
    let reg = TestRegistry::start();
    fill(&reg);
    let proxy = FaultProxy::start(reg.port());
    proxy.refuse("/v2/_catalog", 401);
    let url = format!("http://{}", proxy.host());
    let ws = TempWorkspace::empty();
    init(&ws, &["--registry", &url], None).fails_with(
        2,
        &[
            "does not list its repositories",
            "refuses its catalog",
            "--repository PATH",
        ],
    );
    assert!(!ws.config().exists());

    let made = init(
        &ws,
        &[
            "--registry",
            &url,
            "--repository",
            "payments/api",
            "--repository",
            "shop/web",
        ],
        None,
    );
    made.ok();
    assert!(
        made.stdout.contains("refuses its catalog"),
        "{}",
        made.stdout
    );
    assert!(made.stdout.contains("using the 2 named"), "{}", made.stdout);
    ws.run(&["sync"]).ok();
    assert_eq!(
        status_digest(&ws, "web", "dev"),
        skopeo_digest(&reg, "shop/web:dev")
    );
    // The catalog was asked for, and refused by the proxy, never by the registry.
    assert!(proxy
        .requests()
        .iter()
        .any(|(_, p)| p.starts_with("/v2/_catalog")));
}

#[test]
fn credentials_go_to_the_keychain_only_once_accepted_and_the_approver_gets_a_key() {
    let reg = TestRegistry::start_with_auth("ci", "s3cret-init");
    fill(&reg);
    let ws = TempWorkspace::empty();
    let url = reg.url();
    let me = unique_id("init-first");

    // Nothing stored yet: the registry wants credentials.
    init(&ws, &["--registry", &url], None).fails_with(1, &["needs credentials"]);
    // Wrong ones are refused and not kept.
    init(
        &ws,
        &["--registry", &url, "--username", "ci", "--password-stdin"],
        Some("wrong\n"),
    )
    .fails_with(1, &["rejected the credentials of user 'ci'"]);
    assert!(!tollgate::registry::has_stored_credentials(&reg.host(), &OsKeychain).unwrap());
    assert!(!ws.config().exists());

    let made = init(
        &ws,
        &[
            "--registry",
            &url,
            "--username",
            "ci",
            "--password-stdin",
            "--approver",
            &me,
        ],
        Some("s3cret-init\n"),
    );
    made.ok();
    assert!(
        made.stdout
            .contains(&format!("stored the credentials for {}", reg.host())),
        "{}",
        made.stdout
    );
    assert!(
        made.stdout
            .contains("with a new signing key in the OS keychain"),
        "{}",
        made.stdout
    );
    assert!(!made.stdout.contains("s3cret") && !made.stderr.contains("s3cret"));
    let text = std::fs::read_to_string(ws.config()).unwrap();
    assert!(!text.contains("s3cret"), "{text}");
    let key = tollgate::signing::public_key(&me, &OsKeychain).unwrap();
    assert!(
        text.contains(&format!("key = \"{}\"", key.public_key)),
        "{text}"
    );
    assert!(
        text.contains("{ name = \"staging\", tag = \"staging\", policy = { approvals = 1 } },"),
        "{text}"
    );
    assert!(
        text.contains("{ name = \"dev\", tag = \"dev\" },"),
        "{text}"
    );

    // The stored credentials are what sync uses.
    ws.run(&["sync"]).ok();
    assert_eq!(
        status_digest(&ws, "api", "staging"),
        skopeo_digest(&reg, "payments/api:staging")
    );
    // One approval into every environment after the first; the approver has every role.
    let loaded = tollgate::config::Workspace::load(&ws.config(), None).unwrap();
    assert_eq!(loaded.config.approvers[0].id, me);
    assert_eq!(loaded.config.approvers[0].roles, ["manager", "qa"]);
    let envs = &loaded.config.apps[0].environments;
    assert!(envs[0].policy.is_none());
    assert!(envs[1..]
        .iter()
        .all(|e| e.policy.as_ref().is_some_and(|p| p.approvals == 1)));

    // Made again, the key is kept.
    let again = init(
        &ws,
        &["--registry", &url, "--approver", &me, "--force"],
        None,
    );
    again.ok();
    assert!(
        again
            .stdout
            .contains("with its signing key from the OS keychain"),
        "{}",
        again.stdout
    );
    assert_eq!(
        tollgate::signing::public_key(&me, &OsKeychain).unwrap(),
        key
    );
}

#[test]
fn a_token_registry_lists_its_catalog_with_a_catalog_scoped_token() {
    let reg = TestRegistry::start_with_token_auth("ci", "tok3n-pass");
    fill(&reg);
    let ws = TempWorkspace::empty();
    let made = init(
        &ws,
        &[
            "--registry",
            &reg.url(),
            "--username",
            "ci",
            "--password-stdin",
        ],
        Some("tok3n-pass"),
    );
    made.ok();
    assert!(
        made.stdout
            .contains(&format!("registry {} lists 3 repositories", reg.host())),
        "{}",
        made.stdout
    );
    let asked: Vec<String> = reg.token_requests();
    assert!(
        asked
            .iter()
            .any(|q| q.contains("scope=registry%3Acatalog%3A*")),
        "{asked:?}"
    );
    ws.run(&["sync"]).ok();
    assert_eq!(
        status_digest(&ws, "web", "dev"),
        skopeo_digest(&reg, "shop/web:dev")
    );
}
