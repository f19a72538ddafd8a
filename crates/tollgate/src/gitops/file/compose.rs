//! Compose files: `services.<name>.image`.

use yaml_edit::YamlNode;

use super::reference::RepositoryMatcher;
use super::scan::reference_at;
use super::tree::{self, Location, ValuePath};
use super::FoundReference;
use crate::Result;

/// The services' images in `root` (document `document`) that are references to `matcher`'s
/// repository, appended to `out`.
pub(crate) fn references(
    file: &str,
    text: &str,
    document: usize,
    root: &YamlNode,
    matcher: &RepositoryMatcher,
    out: &mut Vec<FoundReference>,
) -> Result<()> {
    let Some(services) = tree::get_mapping(root, "services") else {
        return Ok(());
    };
    for (name, service) in tree::entries(&services) {
        let Some(image) = tree::get(&service, "image") else {
            continue;
        };
        let location = Location {
            document,
            path: ValuePath::default().key("services").key(&name).key("image"),
        };
        if let Some(found) = reference_at(file, text, location, &image, matcher)? {
            out.push(found);
        }
    }
    Ok(())
}
