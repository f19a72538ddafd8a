//! Tag lists, paged by `Link` headers or by `n` and `last`.

use reqwest::header::{HeaderMap, LINK};
use serde::Deserialize;

use super::{Call, Remote};
use crate::registry::auth::Scope;
use crate::{Code, Error, Result};

/// A tags list page larger than this is refused.
const MAX_TAGS_PAGE: usize = 16 * 1024 * 1024;
/// Pages of a tag list followed at most.
const MAX_TAG_PAGES: usize = 10_000;

#[derive(Deserialize)]
struct TagList {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

impl Remote {
    pub(crate) async fn list_tags(&self, repository: &str) -> Result<Vec<String>> {
        let what = format!("listing the tags of {repository}");
        let scopes = [Scope::pull(repository)];
        let mut url = self.url(&format!("v2/{repository}/tags/list"));
        if let Some(n) = self.options.tag_page_size {
            url.query_pairs_mut().append_pair("n", &n.to_string());
        }
        let mut tags: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MAX_TAG_PAGES {
            let call =
                Call::get(url.clone(), &scopes, &what, repository).accept("application/json");
            let reply = self.call(&call).await?;
            if !reply.resp.status().is_success() {
                return Err(self.status_error(reply, &call).await);
            }
            let next = next_link(reply.resp.headers());
            let body = self.read_body(reply, MAX_TAGS_PAGE, &call).await?;
            let page: TagList = serde_json::from_slice(&body).map_err(|e| {
                Error::new(Code::Protocol, format!("registry {} answered {what} with something that is not a tag list ({e}); check the url points at an OCI registry", self.host))
            })?;
            let page = page.tags.unwrap_or_default();
            let page_len = page.len();
            let mut new = 0;
            for t in page {
                if seen.insert(t.clone()) {
                    tags.push(t);
                    new += 1;
                }
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
                // No Link header: a registry that pages by `n` and `last` only. Ask for the
                // next page while pages come back full and bring new tags.
                None => match (self.options.tag_page_size, tags.last()) {
                    (Some(n), Some(last)) if page_len >= n && new > 0 => {
                        let mut u = self.url(&format!("v2/{repository}/tags/list"));
                        u.query_pairs_mut()
                            .append_pair("n", &n.to_string())
                            .append_pair("last", last);
                        u
                    }
                    _ => break,
                },
            };
            if new == 0 {
                break;
            }
        }
        tags.sort();
        Ok(tags)
    }
}

/// The `rel="next"` target of a `Link` header.
pub(super) fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|part| {
            let (target, params) = part.split_once(';')?;
            let is_next = params.split(';').any(|p| {
                let p = p.trim().to_ascii_lowercase();
                p == "rel=\"next\"" || p == "rel=next"
            });
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            is_next.then(|| target.to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn link_headers() {
        let mut h = HeaderMap::new();
        h.insert(
            LINK,
            HeaderValue::from_static(r#"</v2/p/api/tags/list?last=t3&n=3>; rel="next""#),
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("/v2/p/api/tags/list?last=t3&n=3")
        );
        h.insert(
            LINK,
            HeaderValue::from_static(
                r#"<https://r.example/x?a=1>; rel="prev", <https://r.example/y?b=2>; rel=next"#,
            ),
        );
        assert_eq!(next_link(&h).as_deref(), Some("https://r.example/y?b=2"));
        h.insert(
            LINK,
            HeaderValue::from_static(r#"<https://r.example/x>; rel="prev""#),
        );
        assert_eq!(next_link(&h), None);
        assert_eq!(next_link(&HeaderMap::new()), None);
    }
}
