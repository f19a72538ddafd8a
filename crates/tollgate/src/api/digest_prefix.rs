//! A digest as a person types it: the full `sha256:HEX`, or an unambiguous prefix of at least 12
//! hex digits with `sha256:` optional (as git takes short commit ids), resolved against the
//! digests the history knows for that app.

use crate::api::open;
use crate::config::Workspace;
use crate::domain::Digest;
use crate::{Error, Result};

/// The fewest hex digits a prefix may have: the 12 every screen shows.
pub const MIN_PREFIX: usize = 12;
/// How many candidates an ambiguous prefix lists.
const CANDIDATES: usize = 5;

/// The full digest `typed` names for `app`: a full digest as it is (`sha256:` optional), a
/// prefix resolved against the history. An unknown app is left to the use case to refuse.
#[tracing::instrument(skip(ws))]
pub fn resolve_digest(ws: &Workspace, app: &str, typed: &str) -> Result<String> {
    let text = typed.trim();
    let hex = text.strip_prefix("sha256:").unwrap_or(text);
    if hex.len() == 64 || hex.is_empty() || ws.app(app).is_err() {
        // A full digest (or nothing like one): the use case parses it and says what is wrong.
        return Ok(if hex.len() == 64 && !text.starts_with("sha256:") {
            format!("sha256:{hex}")
        } else {
            text.to_string()
        });
    }
    if hex.len() > 64 || hex.len() < MIN_PREFIX || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::bad_input(format!(
            "{typed:?} is not a digest: give sha256: and 64 hex digits, or a prefix of at least {MIN_PREFIX} hex digits (sha256: is optional)"
        )));
    }
    let hex = hex.to_ascii_lowercase();
    let found = open::store(ws)?.digests_starting_with(app, &hex, CANDIDATES + 1)?;
    match found.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(Error::bad_input(format!(
            "no digest of {app} in the history starts with {hex}: give the full sha256:… digest; the timeline of {app} lists the ones it knows"
        ))),
        many => Err(Error::bad_input(format!(
            "{hex} is ambiguous for {app}: it starts {}{}; give more hex digits",
            many.iter()
                .take(CANDIDATES)
                .map(Digest::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            if many.len() > CANDIDATES { ", …" } else { "" }
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventKind, NewEvent};
    use crate::store::Store;

    fn ws(dir: &std::path::Path) -> Workspace {
        let text = r#"
[workspace]
name = "t"
database = "t.db"

[[registries]]
name = "local"
url = "http://127.0.0.1:5000"

[[apps]]
name = "api"
repository = "local/api"
environments = [{ name = "dev", tag = "dev" }]

[[apps]]
name = "web"
repository = "local/web"
environments = [{ name = "dev", tag = "dev" }]
"#;
        Workspace::from_str(text, &dir.join("tollgate.toml"), None).unwrap()
    }

    fn observe(store: &mut Store, app: &str, hex: &str) {
        store
            .append(vec![NewEvent {
                at: chrono::DateTime::UNIX_EPOCH,
                kind: EventKind::Observation,
                app: app.into(),
                env: "dev".into(),
                digest: Some(Digest::parse(&format!("sha256:{hex}")).unwrap()),
                actor: None,
                data: serde_json::json!({"tag": "dev"}),
            }])
            .unwrap();
    }

    #[test]
    fn a_prefix_names_the_one_digest_of_that_app_it_starts() {
        let dir = tempfile::tempdir().unwrap();
        let ws = ws(dir.path());
        let mut store = Store::open(&ws.db_path).unwrap();
        let a1 = format!("aaaaaaaaaaaa1{}", "0".repeat(51));
        let a2 = format!("aaaaaaaaaaaa2{}", "0".repeat(51));
        let b = format!("bbbbbbbbbbbb{}", "1".repeat(52));
        observe(&mut store, "api", &a1);
        observe(&mut store, "api", &a2);
        observe(&mut store, "web", &b);
        observe(&mut store, "api", &a1);

        let full = |hex: &str| format!("sha256:{hex}");
        assert_eq!(
            resolve_digest(&ws, "api", "aaaaaaaaaaaa1").unwrap(),
            full(&a1)
        );
        assert_eq!(
            resolve_digest(&ws, "api", "sha256:AAAAAAAAAAAA2").unwrap(),
            full(&a2)
        );
        assert_eq!(resolve_digest(&ws, "api", &a1).unwrap(), full(&a1));
        assert_eq!(resolve_digest(&ws, "api", &full(&b)).unwrap(), full(&b));

        let ambiguous = resolve_digest(&ws, "api", "aaaaaaaaaaaa").unwrap_err();
        assert_eq!(ambiguous.code, crate::Code::BadInput);
        assert!(
            ambiguous.message.contains(&full(&a1)) && ambiguous.message.contains(&full(&a2)),
            "{}",
            ambiguous.message
        );
        let elsewhere = resolve_digest(&ws, "api", "bbbbbbbbbbbb").unwrap_err();
        assert!(elsewhere
            .message
            .starts_with("no digest of api in the history starts with bbbbbbbbbbbb"));
        let short = resolve_digest(&ws, "api", "aaaaaaaaaaa").unwrap_err();
        assert!(
            short.message.contains("at least 12 hex digits"),
            "{}",
            short.message
        );
        let bad = resolve_digest(&ws, "api", "aaaaaaaaaaaa%").unwrap_err();
        assert!(bad.message.contains("is not a digest"), "{}", bad.message);
        assert!(!bad.message.contains('\n'));
    }
}
