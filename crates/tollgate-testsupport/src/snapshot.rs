//! Output made comparable for inline snapshots (`insta::assert_snapshot!`): what changes from
//! one run to the next (digests, times, ports, temporary folders, key fingerprints, the unique
//! ids of test approvers) replaced by placeholders, as uv's `uv_snapshot!` filters do.

use std::sync::OnceLock;

use regex::Regex;

/// `text` with its run-specific parts replaced: `sha256:[DIGEST]`, `[TIME]` (shown or RFC 3339),
/// `127.0.0.1:[PORT]`, `[TEMP]` (the system's temporary folder and the folder made in it),
/// `SHA256:[FINGERPRINT]`, `NAME-[ID]@example.com`.
pub fn normalize(text: &str) -> String {
    static FILTERS: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    let filters = FILTERS.get_or_init(|| {
        let temp = std::env::temp_dir();
        let temp = regex::escape(temp.to_string_lossy().trim_end_matches('/'));
        [
            (r"sha256:[0-9a-f]{64}".to_string(), "sha256:[DIGEST]"),
            (
                r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})".to_string(),
                "[TIME]",
            ),
            (
                r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} [+-]\d{2}:\d{2}".to_string(),
                "[TIME]",
            ),
            (r"127\.0\.0\.1:\d+".to_string(), "127.0.0.1:[PORT]"),
            (format!(r"{temp}/[^/\s]+"), "[TEMP]"),
            (
                r"SHA256:[A-Za-z0-9+/]{43}".to_string(),
                "SHA256:[FINGERPRINT]",
            ),
            (r"-\d+-\d+@example\.com".to_string(), "-[ID]@example.com"),
        ]
        .into_iter()
        .map(|(pattern, to)| (Regex::new(&pattern).expect("a valid filter"), to))
        .collect()
    });
    let mut text = text.to_string();
    for (pattern, to) in filters {
        text = pattern.replace_all(&text, *to).into_owned();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_specific_parts_become_placeholders() {
        let temp = std::env::temp_dir().join(".tmpAbC123/tollgate.toml");
        let text = format!(
            "api dev sha256:{} 2026-11-02 09:00 +00:00 2026-11-02T09:00:00Z 127.0.0.1:41234 {} SHA256:{} quinn-4242-7@example.com",
            "a".repeat(64),
            temp.display(),
            "B".repeat(43)
        );
        assert_eq!(
            normalize(&text),
            "api dev sha256:[DIGEST] [TIME] [TIME] 127.0.0.1:[PORT] [TEMP]/tollgate.toml SHA256:[FINGERPRINT] quinn-[ID]@example.com"
        );
    }
}
