//! Recipes the documentation shows, read from the repository's own files so that the tests
//! run exactly what a reader would copy.

use std::path::Path;

/// The first fenced code block between the `begin` and `end` marker comments of `doc` (a path
/// from the repository root, e.g. `docs/src/audit/format.md`), its lines each ended with `\n`.
pub fn fenced_block(doc: &str, begin: &str, end: &str) -> String {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(doc),
    )
    .unwrap();
    let start = text.find(begin).expect("begin marker");
    let end = text.find(end).expect("end marker");
    text[start..end]
        .lines()
        .skip_while(|l| !l.starts_with("```"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .map(|l| format!("{l}\n"))
        .collect()
}
