//! The registry's list of repositories (`GET /v2/_catalog`, paged by `Link` headers or by `n`
//! and `last`), and whether the registry accepts the credentials at all (`GET /v2/`).

use serde::Deserialize;

use super::tags::next_link;
use super::{Call, Remote};
use crate::registry::auth::Scope;
use crate::{Code, Error, Result};

/// A catalog page larger than this is refused.
const MAX_CATALOG_PAGE: usize = 16 * 1024 * 1024;
/// Pages of a catalog followed at most.
const MAX_CATALOG_PAGES: usize = 10_000;
/// Repositories held at most.
const MAX_REPOSITORIES: usize = 100_000;

#[derive(Deserialize)]
struct Catalog {
    #[serde(default)]
    repositories: Option<Vec<String>>,
}

impl Remote {
    /// `GET /v2/`: `Ok` when the registry answers it with these credentials (anonymous ones
    /// included); a refusal is `Code::AuthRequired` with the usual one line.
    pub(crate) async fn check_access(&self) -> Result<()> {
        let what = "checking access to the registry";
        let call = Call::get(self.url("v2/"), &[], what, "the registry");
        let reply = self.call(&call).await?;
        if reply.resp.status().is_success() {
            return Ok(());
        }
        Err(self.status_error(reply, &call).await)
    }

    /// Every repository the registry's catalog lists, sorted. `page` is the `n` asked for
    /// (`None`: the registry's own page size, following its `Link` headers).
    pub(crate) async fn catalog(&self, page: Option<usize>) -> Result<Vec<String>> {
        let what = "listing the registry's repositories";
        let scopes = [Scope::catalog()];
        let first = || {
            let mut url = self.url("v2/_catalog");
            if let Some(n) = page {
                url.query_pairs_mut().append_pair("n", &n.to_string());
            }
            url
        };
        let mut url = first();
        let mut repositories: Vec<String> = Vec::new();
        let mut last_page_end: Option<String> = None;
        for _ in 0..MAX_CATALOG_PAGES {
            let call =
                Call::get(url.clone(), &scopes, what, "the catalog").accept("application/json");
            let reply = self.call(&call).await?;
            if !reply.resp.status().is_success() {
                return Err(self.status_error(reply, &call).await);
            }
            let next = next_link(reply.resp.headers());
            let body = self.read_body(reply, MAX_CATALOG_PAGE, &call).await?;
            let list: Catalog = serde_json::from_slice(&body).map_err(|e| {
                Error::new(Code::Protocol, format!("registry {} answered {what} with something that is not a catalog ({e}); check the url points at an OCI registry", self.host))
            })?;
            let list = list.repositories.unwrap_or_default();
            let page_len = list.len();
            let page_end = list.last().cloned();
            let stalled = page_end.is_none() || page_end == last_page_end;
            repositories.extend(list);
            if repositories.len() > MAX_REPOSITORIES {
                return Err(Error::new(
                    Code::TooLarge,
                    format!("registry {} lists more than {MAX_REPOSITORIES} repositories; name the ones you mean instead", self.host),
                ));
            }
            if stalled {
                break;
            }
            url = match next {
                Some(link) => {
                    let next = self.base.join(&link).map_err(|e| {
                        Error::new(Code::Protocol, format!("registry {} sent an invalid next-page link '{link}' while {what} ({e})", self.host))
                    })?;
                    if next.origin() != self.base.origin() {
                        return Err(Error::new(Code::Protocol, format!("registry {} sent a next-page link to another host ({}) while {what}; refusing to follow it with credentials", self.host, next.origin().ascii_serialization())));
                    }
                    next
                }
                None => match (page, &page_end) {
                    (Some(n), Some(last)) if page_len >= n => {
                        let mut u = first();
                        u.query_pairs_mut().append_pair("last", last);
                        u
                    }
                    _ => break,
                },
            };
            last_page_end = page_end;
        }
        repositories.sort();
        repositories.dedup();
        Ok(repositories)
    }
}
