//! Which links the window may open in the default browser (`open_link`): web pages only
//! (`https://`, or `http://` for a forge on a private network), with a host and without
//! credentials. The links the window shows are the core's forge and source pages (a commit, a
//! compare view, an image's source); nothing else (files, custom schemes, `javascript:`) is
//! handed to the desktop's opener.

use tauri::Url;
use tollgate::{Code, Error, Result};

/// The warning when the desktop's file manager (or its portal) could not show a written report:
/// the report is fine, and this is where it is.
pub fn not_revealed(path: &std::path::Path, e: &dyn std::fmt::Display) -> String {
    let folder = path.parent().unwrap_or(path);
    tracing::warn!(path = %path.display(), error = %e, "the file manager could not show the report");
    format!(
        "The report is saved, but the file manager could not show it ({e}). It is {}, in the folder {}.",
        path.display(),
        folder.display()
    )
}

/// The longest link opened, in bytes.
const MAX_LINK: usize = 2048;

/// `url`, checked to be a web page the browser may open.
pub fn web_page(url: &str) -> Result<Url> {
    let refuse = |why: &str| {
        Error::new(
            Code::BadInput,
            format!("the app does not open this link ({why}); copy it and open it yourself if you trust it"),
        )
    };
    if url.len() > MAX_LINK {
        return Err(refuse("it is too long"));
    }
    let parsed = Url::parse(url).map_err(|_| refuse("it is not a web address"))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(refuse("only https:// and http:// pages are opened"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(refuse("it names no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(refuse("it carries credentials"));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_manager_that_fails_is_a_warning_naming_the_path() {
        let w = not_revealed(
            std::path::Path::new("/home/me/audit.pdf"),
            &"org.freedesktop.portal.Error.Failed",
        );
        assert!(w.contains("/home/me/audit.pdf"), "{w}");
        assert!(w.contains("in the folder /home/me"), "{w}");
        assert!(!w.to_lowercase().contains("bug"), "{w}");
    }

    #[test]
    fn forge_pages_are_opened() {
        for url in [
            "https://github.com/acme/deploy/commit/0123456789abcdef",
            "https://gitlab.example.com/acme/deploy/-/compare/main...tollgate%2Fapi-prod-0123",
            "http://forgejo.internal:3000/acme/deploy/commit/abc",
        ] {
            assert_eq!(web_page(url).unwrap().as_str(), url);
        }
    }

    #[test]
    fn anything_but_a_web_page_is_refused_in_one_line() {
        for url in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "ssh://git@github.com/acme/deploy.git",
            "https://user:secret@github.com/acme/deploy",
            "https://token@github.com/acme/deploy",
            "not a url",
            "",
        ] {
            let e = web_page(url).unwrap_err();
            assert_eq!(e.code, Code::BadInput, "{url}");
            assert!(!e.message.contains('\n'), "{url}");
            assert!(!e.message.contains("secret"), "{}", e.message);
        }
        assert!(web_page(&format!("https://github.com/{}", "a".repeat(3000))).is_err());
    }
}
