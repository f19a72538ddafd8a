//! A release build never loads its page from a dev server. Without the `custom-protocol`
//! feature Tauri loads `build.devUrl` (the Vite dev server on localhost) instead of the page
//! embedded in the binary: whatever listens on that port would then drive the window, with
//! every command the page may call. Debug builds do that on purpose; a release build built that
//! way by mistake refuses to start, with one line saying how to build it.

/// Why this build must not start, or `None` when it may: `release` is a build without
/// `debug_assertions`, `custom_protocol` whether the page is embedded, `dev_url` the configured
/// `build.devUrl`.
pub fn refusal(release: bool, custom_protocol: bool, dev_url: Option<&str>) -> Option<String> {
    let url = dev_url.filter(|_| release && !custom_protocol)?;
    Some(format!(
        "tollgate-app: this release build would load its page from the dev server {url} instead of the page built into it; build it with scripts/build-app.sh (cargo build --release --features custom-protocol)"
    ))
}

#[cfg(test)]
mod tests {
    use super::refusal;

    const DEV: Option<&str> = Some("http://localhost:5173/");

    #[test]
    fn only_a_release_build_that_would_load_the_dev_server_is_refused() {
        let line = refusal(true, false, DEV).unwrap();
        assert!(
            line.contains("http://localhost:5173/")
                && line.contains("custom-protocol")
                && !line.contains('\n'),
            "{line}"
        );
        assert_eq!(refusal(true, true, DEV), None, "the embedded page");
        assert_eq!(
            refusal(false, false, DEV),
            None,
            "a debug build may use Vite"
        );
        assert_eq!(refusal(false, true, DEV), None);
        assert_eq!(refusal(true, false, None), None, "no dev server configured");
    }
}
