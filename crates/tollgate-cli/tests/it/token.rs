//! The token endpoint of the Docker/OCI token flow, as a hostile or broken registry may point
//! Tollgate at it: a plain-http realm that is not loopback (credentials are not sent there
//! unless the registry is `insecure = true`), an endless answer, and a huge `expires_in`.
//! A real `docker-registry` with its `auth.token` mode and a small token service.

use tollgate::registry::{Credentials, Registry};
use tollgate::Code;

use tollgate_testsupport::images::make_image;
use tollgate_testsupport::registry::{fast_options, TestRegistry};
use tollgate_testsupport::skopeo::{push, skopeo_digest};
use tollgate_testsupport::token::TokenQuirks;
use tollgate_testsupport::workspace::{toml_for, TempWorkspace};

/// The registry names `http://0.0.0.0:PORT/token` (plain http, not a loopback address) as its
/// token realm. `sync` with credentials from the docker config refuses to send them there, and
/// the token service receives nothing; with `insecure = true` on that registry it works.
#[test]
fn credentials_go_to_a_plain_http_token_realm_only_when_the_registry_is_insecure() {
    let quirks = TokenQuirks {
        realm_host: "0.0.0.0".into(),
        ..TokenQuirks::default()
    };
    let reg = TestRegistry::start_with_token_quirks("carol", "realm-pw", quirks);
    push(&make_image("plain-realm"), &reg, "payments/api:dev");
    let a = skopeo_digest(&reg, "payments/api:dev");
    let ws = TempWorkspace::new(&toml_for(&reg.url()));
    let docker = ws.path().join("home/.docker");
    std::fs::create_dir_all(&docker).unwrap();
    let auth = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        b"carol:realm-pw",
    );
    std::fs::write(
        docker.join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, reg.host()),
    )
    .unwrap();

    let before = reg.token_requests().len();
    let line = ws
        .run(&["sync"])
        .fails_with(1, &["plain http", "http://0.0.0.0", "insecure = true"]);
    assert!(!line.contains("realm-pw"), "{line}");
    assert_eq!(
        reg.token_requests().len(),
        before,
        "no request reached the token service: {:?}",
        reg.token_requests()
    );
    assert_eq!(ws.event_count(), 0, "nothing written");

    let toml = std::fs::read_to_string(ws.config()).unwrap();
    let insecure = toml.replace(
        &format!("url = \"{}\"\n", reg.url()),
        &format!("url = \"{}\"\ninsecure = true\n", reg.url()),
    );
    assert_ne!(insecure, toml);
    std::fs::write(ws.config(), insecure).unwrap();
    ws.run(&["sync"]).ok();
    let status = ws.run(&["status", "--json"]);
    status.ok();
    assert_eq!(status.json()[0]["digest"], a.as_str());
    assert!(reg.token_requests().len() > before);
}

/// `expires_in` of 2^63 - 1 seconds (it used to overflow the clock and panic; skopeo, which
/// pushes the test image, reads it as a Go int, so not 2^64 - 1): the token is used, and kept,
/// for a bounded time.
#[tokio::test]
async fn a_huge_expires_in_is_clamped() {
    let quirks = TokenQuirks {
        expires_in: serde_json::json!(i64::MAX),
        ..TokenQuirks::default()
    };
    let reg = TestRegistry::start_with_token_quirks("carol", "tok-pw", quirks);
    push(&make_image("huge-expiry"), &reg, "payments/api:dev");
    let by_skopeo = skopeo_digest(&reg, "payments/api:dev");
    let before = reg.token_requests().len();
    let client = reg.client();
    for _ in 0..3 {
        let d = client
            .resolve_tag("payments/api", "dev")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(d.as_str(), by_skopeo);
    }
    assert_eq!(
        reg.token_requests().len() - before,
        1,
        "one token, reused: {:?}",
        reg.token_requests()
    );
}

/// A token answer over 1 MiB is refused while it is read, with one clear line. (The registry
/// stays empty: skopeo refuses such a token too, and the first request needs the token anyway.)
#[tokio::test]
async fn a_token_answer_over_one_mebibyte_is_refused() {
    let quirks = TokenQuirks {
        padding: 1024 * 1024 + 1,
        ..TokenQuirks::default()
    };
    let reg = TestRegistry::start_with_token_quirks("carol", "tok-pw", quirks);
    let client = Registry::open_with(
        &reg.location(),
        Credentials::Basic {
            username: "carol".into(),
            password: "tok-pw".into(),
        },
        fast_options(),
    )
    .unwrap();
    let e = client.resolve_tag("payments/api", "dev").await.unwrap_err();
    assert_eq!(e.code, Code::Protocol, "{}", e.message);
    assert!(
        e.message.contains("token service") && e.message.contains("1048576-byte limit"),
        "{}",
        e.message
    );
    assert!(!e.message.contains('\n') && !e.message.contains("tok-pw"));
}
