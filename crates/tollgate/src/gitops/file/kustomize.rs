//! Kustomization files: `images:` entries (`name`, `newName`, `newTag`, `digest`).

use yaml_edit::YamlNode;

use super::reference::{FileReference, RepositoryMatcher};
use super::scan::{replace_site, unparsable};
use super::tree::{self, Location, ValuePath};
use super::{FoundReference, Pinned, Site, ValueForm};
use crate::domain::Digest;
use crate::Result;

/// The `images:` entries of `root` (document `document`) whose image (`newName`, else `name`)
/// is `matcher`'s repository, appended to `out`. The location is the entry's `digest` field,
/// present or not.
pub(crate) fn references(
    file: &str,
    text: &str,
    document: usize,
    root: &YamlNode,
    matcher: &RepositoryMatcher,
    out: &mut Vec<FoundReference>,
) -> Result<()> {
    let Some(images) = tree::get(root, "images") else {
        return Ok(());
    };
    for (i, entry) in tree::items(&images).iter().enumerate() {
        let YamlNode::Mapping(mapping) = entry else {
            continue;
        };
        let Some(name) = tree::get_string(entry, "name") else {
            continue;
        };
        let entry_path = ValuePath::default().key("images").index(i);
        let image = tree::get_string(entry, "newName").unwrap_or(name);
        let reference = match FileReference::parse(&image) {
            Ok(r) => r,
            Err(e) if matcher.looks_like(&image) => {
                let location = Location {
                    document,
                    path: entry_path,
                };
                return Err(unparsable(file, &location, &e));
            }
            Err(_) => continue,
        };
        if !matcher.matches(&reference) {
            continue;
        }
        let tag = tree::get_string(entry, "newTag");
        let location = Location {
            document,
            path: entry_path.key("digest"),
        };
        let (pinned, site, line) = match tree::get(entry, "digest") {
            Some(node) => {
                let Some(s) = tree::scalar(&node) else {
                    return Err(tree::unexpected(file, &location, "is not a digest"));
                };
                let digest =
                    Digest::parse(&s.as_string()).map_err(|e| unparsable(file, &location, &e))?;
                let site = replace_site(file, text, &location, &s)?;
                let line = tree::line_of(text, tree::span(&s).0);
                let pinned = Pinned::Digest {
                    digest,
                    tag: tag.clone(),
                };
                (pinned, site, line)
            }
            None => {
                let (site, line) = insert_site(text, mapping);
                (Pinned::TagOnly { tag: tag.clone() }, site, line)
            }
        };
        let mut shown = image.clone();
        if let Some(tag) = &tag {
            shown = format!("{shown}:{tag}");
        }
        if let Pinned::Digest { digest, .. } = &pinned {
            shown = format!("{shown}@{digest}");
        }
        out.push(FoundReference {
            location,
            line,
            text: shown,
            form: ValueForm::KustomizeDigest,
            pinned,
            reference: Some(reference),
            site,
        });
    }
    Ok(())
}

/// Where a `digest:` line goes in an entry that has none: after the entry's last line, at its
/// keys' indentation. A flow-style entry (`{name: ..., newTag: ...}`) is refused at pin time.
fn insert_site(text: &str, mapping: &yaml_edit::Mapping) -> (Site, usize) {
    let range = mapping.byte_range();
    let start = range.start as usize;
    let first_line = tree::line_of(text, start);
    if mapping.is_flow_style() || text.get(start..start + 1) == Some("{") {
        let why = "has no digest field and is written in flow style ({...}); add `digest:` by hand once, or write the entry in block style";
        return (Site::Refuse(why.to_string()), first_line);
    }
    let mut last = start;
    for (key, value) in mapping.iter() {
        for node in [key, value] {
            if let Some(s) = tree::scalar(&node) {
                last = last.max(tree::span(&s).1);
            }
        }
    }
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let indent = start - line_start;
    let line_end = text[last..].find('\n').map_or(text.len(), |i| last + i);
    (Site::Insert { line_end, indent }, first_line)
}
