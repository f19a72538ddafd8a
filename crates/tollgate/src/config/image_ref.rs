//! Image references as people and CI type them, resolved against `[[registries]]`: the
//! registry's name (`local/payments/api@sha256:…`), or its host as docker, kubectl and
//! deployment files write it (`registry.example.com/payments/api@sha256:…`, with a port, and a
//! tag beside the digest, which is dropped: the digest is what counts). The same host rule
//! matches the references in deployment files to registries (`gitops::file`).

use crate::config::{RegistryLocation, Workspace};
use crate::domain::reference::normalize_registry_host;
use crate::domain::ImageRef;
use crate::{Code, Error, Result};

impl Workspace {
    /// `typed` as an [`ImageRef`] whose `registry` is a `[[registries]]` name.
    pub fn image_ref(&self, typed: &str) -> Result<ImageRef> {
        let typed = typed.trim();
        let Some((repository, digest)) = typed.split_once('@') else {
            return ImageRef::parse(typed);
        };
        // `host/path:tag@sha256:…`: the tag is a label beside the digest.
        let repository = match repository.rsplit_once('/') {
            Some((head, last)) => match last.split_once(':') {
                Some((name, _tag)) => format!("{head}/{name}"),
                None => repository.to_string(),
            },
            None => repository.to_string(),
        };
        let Some((first, path)) = repository.split_once('/') else {
            return ImageRef::parse(typed);
        };
        if self.config.registries.iter().any(|r| r.name == first) {
            return ImageRef::parse(&format!("{repository}@{digest}"));
        }
        let host = normalize_registry_host(first);
        let by_host: Vec<&str> = self
            .config
            .registries
            .iter()
            .filter(|r| {
                matches!(r.location(self.dir()), Ok(RegistryLocation::Remote { host: h, .. }) if normalize_registry_host(&h) == host)
            })
            .map(|r| r.name.as_str())
            .collect();
        match by_host.as_slice() {
            [name] => ImageRef::parse(&format!("{name}/{path}@{digest}")),
            [] => {
                let names: Vec<&str> = self
                    .config
                    .registries
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect();
                Err(Error::new(
                    Code::InvalidReference,
                    format!(
                        "'{typed}': '{first}' is neither a registry name nor the host of one in [[registries]] of {} (names: {}); write <registry name or host>/<path>@sha256:<64 hex>, or add the registry",
                        self.config_path.display(),
                        if names.is_empty() { "none".to_string() } else { names.join(", ") }
                    ),
                ))
            }
            several => Err(Error::new(
                Code::InvalidReference,
                format!(
                    "'{typed}': host '{first}' is the url of several registries ({}); write the registry's name instead of its host",
                    several.join(", ")
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Workspace;
    use crate::domain::Digest;
    use crate::Code;

    fn ws() -> Workspace {
        let text = r#"[workspace]
name = "p"
database = "t.db"

[[registries]]
name = "local"
url = "http://127.0.0.1:5000"

[[registries]]
name = "hub"
url = "https://index.docker.io"

[[apps]]
name = "api"
repository = "local/payments/api"
environments = [{ name = "dev", tag = "dev" }]
"#;
        Workspace::from_str(text, Path::new("/w/tollgate.toml"), None).unwrap()
    }

    #[test]
    fn a_registry_is_named_or_given_by_its_host_as_docker_prints_it() {
        let ws = ws();
        let d = Digest::of(b"x");
        for typed in [
            format!("local/payments/api@{d}"),
            format!("127.0.0.1:5000/payments/api@{d}"),
            format!("127.0.0.1:5000/payments/api:1.4@{d}"),
            format!(" local/payments/api:1.4@{d}"),
        ] {
            let r = ws.image_ref(&typed).unwrap();
            assert_eq!(
                (r.registry.as_str(), r.repository.as_str(), &r.digest),
                ("local", "payments/api", &d),
                "{typed}"
            );
        }
        let hub = ws.image_ref(&format!("docker.io/acme/api@{d}")).unwrap();
        assert_eq!(
            (hub.registry.as_str(), hub.repository.as_str()),
            ("hub", "acme/api")
        );
    }

    #[test]
    fn an_unknown_host_or_a_tag_alone_is_one_line() {
        let ws = ws();
        let d = Digest::of(b"x");
        let e = ws
            .image_ref(&format!("registry.example.com/api@{d}"))
            .unwrap_err();
        assert_eq!(e.code, Code::InvalidReference);
        assert!(
            e.message
                .contains("'registry.example.com' is neither a registry name nor the host")
                && e.message.contains("names: local, hub")
                && !e.message.contains('\n'),
            "{}",
            e.message
        );
        let e = ws.image_ref("127.0.0.1:5000/payments/api:1.4").unwrap_err();
        assert!(e.message.contains("has no digest"), "{}", e.message);
    }
}
