//! What the team step costs a repeat sync, counted at a proxy in front of a real
//! `docker-registry` (distribution 2.8: no referrers API, so fallback tags). A desktop syncs
//! through the proxy; a teammate publishes straight to the registry.
//!
//! - Nothing shared: a repeat sync asks no fallback index at all, only one tag list per
//!   repository (and the environment tags, as with sharing off).
//! - An index a teammate created after the last sync is found by the next one.
//! - An index that disappeared while this history knew it is reported as lost (and put back),
//!   never read as "nothing exists".

use tollgate::api::{self, ApproveRequest};
use tollgate::config::Workspace;
use tollgate::domain::Digest;
use tollgate::team::fallback_tag;

use tollgate_testsupport::process::run;
use tollgate_testsupport::proxy::FaultProxy;
use tollgate_testsupport::signed::{at, rt, SignedWorkspace};
use tollgate_testsupport::skopeo::skopeo_raw;
use tollgate_testsupport::workspace::TempWorkspace;

fn sync(ws: &Workspace, hours: i64) -> api::SyncReport {
    rt().block_on(api::sync(ws, &at(hours), None, &|_| {}))
        .unwrap()
}

/// `(method, path)` of the requests the proxy forwarded since the last clear, sorted.
fn requests(proxy: &FaultProxy) -> Vec<(String, String)> {
    let mut r = proxy.requests();
    r.sort();
    r
}

#[test]
fn a_repeat_sync_asks_only_for_indexes_that_exist_and_finds_new_ones() {
    let f = SignedWorkspace::builder(
        "sync-cost",
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging", policy = { approvals = 1, roles = ["qa"] } }"#,
        ],
    )
    .image("dev", "sync-cost-a")
    .image("staging", "sync-cost-s")
    .approver("quinn", &["qa"])
    .build();
    let (a, s) = (f.digests[0].clone(), f.digests[1].clone());
    let quinn = f.approvers[0].clone();
    let proxy = FaultProxy::start(f.reg.port());
    let toml = std::fs::read_to_string(f.tmp.config())
        .unwrap()
        .replace(&f.reg.url(), &format!("http://{}", proxy.host()));
    let tmp = TempWorkspace::new(&toml);
    let desktop = Workspace::load(&tmp.config(), None).unwrap();

    f.sync(&at(0));
    // First sync, then a repeat with nothing shared: two tag HEADs and one tag list, no index.
    sync(&desktop, 0);
    proxy.clear_requests();
    let report = sync(&desktop, 1);
    assert_eq!(report.team.imported, 0);
    let got = requests(&proxy);
    let paths: Vec<&str> = got.iter().map(|(_, p)| p.as_str()).collect();
    assert!(
        !paths.iter().any(|p| p.contains("/manifests/sha256-")),
        "no fallback index asked: {got:?}"
    );
    assert!(
        !paths.iter().any(|p| p.contains("/referrers/")),
        "the probe's answer is remembered: {got:?}"
    );
    assert_eq!(
        got,
        vec![
            ("GET".to_string(), "/v2/payments/api/tags/list".to_string()),
            (
                "HEAD".to_string(),
                "/v2/payments/api/manifests/dev".to_string()
            ),
            (
                "HEAD".to_string(),
                "/v2/payments/api/manifests/staging".to_string()
            ),
        ]
    );

    // A teammate approves image A and shares it (straight to the registry): the next sync
    // lists the new fallback tag and imports the approval.
    rt().block_on(api::approve(
        &f.ws,
        &at(2),
        ApproveRequest {
            app: "api".into(),
            to: "staging".into(),
            digest: a.clone(),
            confirm: a[7..19].into(),
            role: None,
            note: Some("verified in staging".into()),
            approver: Some(quinn.clone()),
        },
    ))
    .unwrap();
    let report = sync(&desktop, 3);
    assert_eq!(report.team.imported, 1, "{:?}", report.team);

    // Repeat: the index of A is one HEAD (unchanged); S, with no index, still costs nothing.
    proxy.clear_requests();
    let report = sync(&desktop, 4);
    assert_eq!(report.team.imported, 0);
    assert!(report.team.skipped.is_empty(), "{:?}", report.team.skipped);
    let tag_a = fallback_tag(&Digest::parse(&a).unwrap());
    let tag_s = fallback_tag(&Digest::parse(&s).unwrap());
    let got = requests(&proxy);
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got.contains(&(
        "HEAD".to_string(),
        format!("/v2/payments/api/manifests/{tag_a}")
    )));
    assert!(!got.iter().any(|(_, p)| p.contains(&tag_s)), "{got:?}");

    // The index of A disappears (its manifest deleted): the next sync reports what it lost and
    // lists it again; it never reads "nothing exists".
    let index = Digest::of(&skopeo_raw(&f.reg, &format!("payments/api:{tag_a}")));
    run(std::process::Command::new("curl").args([
        "-fsS",
        "-X",
        "DELETE",
        &format!("{}/v2/payments/api/manifests/{index}", f.reg.url()),
    ]));
    let report = sync(&desktop, 5);
    assert!(
        report
            .team
            .skipped
            .iter()
            .any(|l| l.contains("no longer list 1 event")),
        "{:?}",
        report.team.skipped
    );
    let listed: serde_json::Value =
        serde_json::from_slice(&skopeo_raw(&f.reg, &format!("payments/api:{tag_a}"))).unwrap();
    assert_eq!(listed["manifests"].as_array().unwrap().len(), 1);
}
