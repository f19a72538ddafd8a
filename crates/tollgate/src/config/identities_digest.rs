//! The identities tollgate.toml lists, as one digest: what a remembered skipped artifact is
//! checked against (an untrusted artifact may verify once a key is added, so everything skipped
//! is fetched again when the identities change).

use super::{ApproverConfig, Config};
use crate::domain::Digest;

impl Config {
    /// The sha256 of the approvers and signers (ids, roles, keys, previous keys with their
    /// `until`), in a canonical order: it changes exactly when one of them does.
    pub fn identities_digest(&self) -> Digest {
        let one = |kind: &str, a: &ApproverConfig| {
            let mut roles = a.roles.clone();
            roles.sort();
            let mut previous: Vec<(String, String)> = a
                .previous_keys
                .iter()
                .map(|p| (p.key.trim().to_string(), p.until.trim().to_string()))
                .collect();
            previous.sort();
            serde_json::json!([kind, a.id, roles, a.key.trim(), previous])
        };
        let mut all: Vec<serde_json::Value> = self
            .approvers
            .iter()
            .map(|a| one("approver", a))
            .chain(self.signers.iter().map(|s| one("signer", &s.as_identity())))
            .collect();
        all.sort_by_key(|v| v.to_string());
        Digest::of(serde_json::Value::Array(all).to_string().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Workspace;

    fn digest(extra: &str) -> String {
        let text = format!("[workspace]\nname = \"p\"\ndatabase = \"t.db\"\n[[registries]]\nname = \"local\"\nurl = \"http://127.0.0.1:5000\"\n[[apps]]\nname = \"api\"\nrepository = \"local/p/api\"\nenvironments = [{{ name = \"dev\", tag = \"dev\" }}]\n{extra}");
        let ws = Workspace::from_str(&text, std::path::Path::new("t.toml"), None).unwrap();
        ws.config.identities_digest().to_string()
    }

    const ALICE: &str = "[[approvers]]\nid = \"alice@example.com\"\nroles = [\"qa\", \"manager\"]\nkey = \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKnOtDybtJ1p01A2TSkf93Y52VOmKohWUzkWPrFZRPTw alice\"\n";

    #[test]
    fn changes_when_an_identity_does_and_only_then() {
        let base = digest(ALICE);
        assert_eq!(
            base,
            digest(&ALICE.replace("[\"qa\", \"manager\"]", "[\"manager\", \"qa\"]"))
        );
        assert_ne!(base, digest(""));
        assert_ne!(base, digest(&ALICE.replace("\"qa\", ", "")));
        let signer = "[[signers]]\nid = \"ci\"\nkey = \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA1ABTQN45ZTvgaytOAJdI13CLzbr9KyQXFiCdRFomQH ci\"\n";
        assert_ne!(base, digest(&format!("{ALICE}{signer}")));
    }
}
