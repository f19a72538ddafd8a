//! Kubernetes objects: the image of every container and init container of a pod template.

use yaml_edit::YamlNode;

use super::reference::RepositoryMatcher;
use super::scan::reference_at;
use super::tree::{self, Location, ValuePath};
use super::FoundReference;
use crate::Result;

/// Where the pod spec is, by `kind`; `None` for kinds that hold no pod template.
pub(crate) fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Pod" => Some(&["spec"]),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            Some(&["spec", "template", "spec"])
        }
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

/// The containers' and init containers' images of the object `root` (document `document`)
/// that are references to `matcher`'s repository, appended to `out`.
pub(crate) fn references(
    file: &str,
    text: &str,
    document: usize,
    kind: &str,
    root: &YamlNode,
    matcher: &RepositoryMatcher,
    out: &mut Vec<FoundReference>,
) -> Result<()> {
    let Some(steps) = pod_spec_path(kind) else {
        return Ok(());
    };
    let mut path = ValuePath::default();
    let mut spec = root.clone();
    for step in steps {
        let Some(next) = tree::get(&spec, step) else {
            return Ok(());
        };
        spec = next;
        path = path.key(step);
    }
    for list in ["containers", "initContainers"] {
        let Some(containers) = tree::get(&spec, list) else {
            continue;
        };
        for (i, container) in tree::items(&containers).iter().enumerate() {
            let Some(image) = tree::get(container, "image") else {
                continue;
            };
            let location = Location {
                document,
                path: path.key(list).index(i).key("image"),
            };
            if let Some(found) = reference_at(file, text, location, &image, matcher)? {
                out.push(found);
            }
        }
    }
    Ok(())
}
