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
        self.list_tags_where(repository, &|_| true, usize::MAX)
            .await
    }

    /// The tags of `repository` that `keep` accepts, sorted: every page is read (each up to
    /// 16 MiB) but only the kept tags are held, and more than `max` of them is refused
    /// (`Code::TooLarge`), so memory stays bounded whatever the registry lists.
    pub(crate) async fn list_tags_where(
        &self,
        repository: &str,
        keep: &(dyn Fn(&str) -> bool + Sync),
        max: usize,
    ) -> Result<Vec<String>> {
        let what = format!("listing the tags of {repository}");
        let scopes = [Scope::pull(repository)];
        let mut url = self.url(&format!("v2/{repository}/tags/list"));
        if let Some(n) = self.options.tag_page_size {
            url.query_pairs_mut().append_pair("n", &n.to_string());
        }
        let mut tags: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut last_page_end: Option<String> = None;
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
            drop(body);
            let page = page.tags.unwrap_or_default();
            let page_len = page.len();
            let page_end = page.last().cloned();
            // A page that ends where the previous one did brings nothing new: stop.
            let stalled = page_end.is_none() || page_end == last_page_end;
            for t in page {
                if keep(t.as_str()) && !seen.contains(&t) {
                    if tags.len() >= max {
                        return Err(Error::new(
                            Code::TooLarge,
                            format!("registry {} answered {what} with more than {max} tags of the kind asked for", self.host),
                        ));
                    }
                    seen.insert(t.clone());
                    tags.push(t);
                }
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
                // No Link header: a registry that pages by `n` and `last` only. Ask for the
                // next page while pages come back full.
                None => match (self.options.tag_page_size, &page_end) {
                    (Some(n), Some(last)) if page_len >= n => {
                        let mut u = self.url(&format!("v2/{repository}/tags/list"));
                        u.query_pairs_mut()
                            .append_pair("n", &n.to_string())
                            .append_pair("last", last);
                        u
                    }
                    _ => break,
                },
            };
            last_page_end = page_end;
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
