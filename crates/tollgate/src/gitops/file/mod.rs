//! The deployment file: which of its values are the app's image, what they pin, and the edit
//! that pins a new digest. Pure: text in, values or new text out; no git, no I/O, no clock.
//!
//! The file is parsed with `yaml-edit`, a lossless syntax tree: every byte of the text (comments,
//! quoting, blank lines) is in the tree, so the position of each value is known exactly and an
//! edit replaces those bytes alone. After an edit the result is parsed again and compared with
//! the original, the edited values masked ([`check_edit`]): any other difference refuses it.
//! `yaml-edit` reports unclosed brackets and quotes as errors but recovers silently from some
//! other malformed YAML (`a: b: c`); such a file is read as it recovers it, and the references
//! found must still parse and agree.
//!
//! Which values ([`find`]): with an [`ImageSelector`] (`image = "api.image"`), exactly that
//! value, holding a full reference or a bare `sha256:` digest (Helm values); otherwise every
//! reference to the app's repository ([`RepositoryMatcher`]) in
//! - Kubernetes objects: each pod template's `containers` and `initContainers` (Pod `spec`;
//!   Deployment, StatefulSet, DaemonSet, ReplicaSet, Job `spec.template.spec`; CronJob
//!   `spec.jobTemplate.spec.template.spec`), in every document of a `---` file;
//! - kustomization `images:` entries (`name`, `newName`, `newTag`, `digest`);
//! - Compose `services.*.image`.
//!
//! Written form ([`pin`]): `<host>/<path>@sha256:<hex>` in the value's own quoting, keeping a
//! tag only where the value already had `tag@digest`; for a kustomization entry, its `digest:`
//! field (added below the entry's last line when it has none).

mod check;
mod compose;
mod edit;
mod kubernetes;
mod kustomize;
mod reference;
mod scan;
mod selector;
mod tree;

#[cfg(test)]
mod tests;

pub use check::{check_edit, ExpectedValue};
pub use edit::{pin, LineChange, PinnedFile};
pub use reference::{FileReference, RepositoryMatcher};
pub use selector::ImageSelector;
pub use tree::{Location, Step, ValuePath};

use std::fmt;

use crate::domain::Digest;
use crate::{Code, Error, Result};

/// What kind of value holds the app's image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueForm {
    /// A full image reference, `host/path[:tag][@sha256:hex]`.
    Reference,
    /// The `digest:` field of a kustomization `images:` entry (its tag is in `newTag`). When the
    /// entry has no `digest:` yet, the location names the field a pin adds.
    KustomizeDigest,
    /// A bare `sha256:<hex>` digest, chosen by an [`ImageSelector`].
    BareDigest,
}

/// What a value pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pinned {
    /// A digest; `tag` is the tag written beside it (`api:v1@sha256:...`, kustomize `newTag`).
    Digest { digest: Digest, tag: Option<String> },
    /// A tag and no digest: the environment is deployed by tag, not pinned. A risk to show,
    /// not an error. `tag` is `None` when none is written either (the runtime reads `latest`).
    TagOnly { tag: Option<String> },
}

impl Pinned {
    /// The digest, when one is pinned.
    pub fn digest(&self) -> Option<&Digest> {
        match self {
            Pinned::Digest { digest, .. } => Some(digest),
            Pinned::TagOnly { .. } => None,
        }
    }
}

impl fmt::Display for Pinned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pinned::Digest { digest, .. } => write!(f, "{digest}"),
            Pinned::TagOnly { tag: Some(tag) } => write!(f, "tag {tag} (no digest)"),
            Pinned::TagOnly { tag: None } => f.write_str("no tag and no digest"),
        }
    }
}

/// The quoting of a scalar, kept by an edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quote {
    Plain,
    Single,
    Double,
}

/// Where an edit writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Site {
    /// Replace the scalar at these bytes, in its quoting.
    Replace {
        start: usize,
        end: usize,
        quote: Quote,
    },
    /// Add `digest: <value>` as a new line after the line ending at byte `line_end`, indented
    /// by `indent` spaces (a kustomization entry without a `digest:` field).
    Insert { line_end: usize, indent: usize },
    /// No edit is possible here; the reason, for the error.
    Refuse(String),
}

/// One of the app's image references in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundReference {
    /// The value that holds (or, for a kustomization entry without one, will hold) the digest.
    pub location: Location,
    /// The 1-based line of that value (of the entry, when the `digest:` field is still absent).
    pub line: usize,
    /// The reference as the file says it (for a kustomization entry, `name:newTag@digest`
    /// assembled from its fields; for a bare digest, the digest).
    pub text: String,
    /// What kind of value it is.
    pub form: ValueForm,
    /// What it pins.
    pub pinned: Pinned,
    /// The parsed reference (a bare digest has none).
    pub(crate) reference: Option<FileReference>,
    pub(crate) site: Site,
}

/// What a file says about the environment: the references found, and what they all pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileImage {
    /// What every reference pins (they agree, or reading fails).
    pub pinned: Pinned,
    /// Each reference, in file order.
    pub references: Vec<FoundReference>,
}

impl FileImage {
    /// The environment's digest, when the file pins one.
    pub fn digest(&self) -> Option<&Digest> {
        self.pinned.digest()
    }

    /// "Deployed by tag, not pinned": a risk flag to show beside the environment.
    pub fn deployed_by_tag(&self) -> bool {
        matches!(self.pinned, Pinned::TagOnly { .. })
    }
}

/// Every value in `text` (the deployment file `file`, named in errors) that is the app's image:
/// the value the `selector` names, or without one every reference to `matcher`'s repository in
/// Kubernetes pod templates, kustomization `images:` and Compose services.
///
/// Errors: the text is not YAML; a value that names the app's repository does not parse; the
/// selected value is missing, not a scalar, or not the app's. Finding nothing is not an error
/// here ([`read_image`] makes it one).
pub fn find(
    file: &str,
    text: &str,
    matcher: &RepositoryMatcher,
    selector: Option<&ImageSelector>,
) -> Result<Vec<FoundReference>> {
    let parsed = tree::parse(file, text)?;
    let documents = tree::documents(&parsed);
    let mut found = Vec::new();
    if let Some(selector) = selector {
        selector::references(file, text, &documents, selector, matcher, &mut found)?;
        return Ok(found);
    }
    for (index, document) in documents.iter().enumerate() {
        let Some(root) = tree::root(document) else {
            continue;
        };
        let kind = tree::get_string(&root, "kind");
        match kind.as_deref() {
            Some("Kustomization") => {
                kustomize::references(file, text, index, &root, matcher, &mut found)?
            }
            Some(kind) => {
                kubernetes::references(file, text, index, kind, &root, matcher, &mut found)?
            }
            None => {
                kustomize::references(file, text, index, &root, matcher, &mut found)?;
                compose::references(file, text, index, &root, matcher, &mut found)?;
            }
        }
    }
    found.sort_by_key(|f| f.line);
    Ok(found)
}

/// What the file pins for the environment. All matching references must agree: none is an
/// error naming the file and what was looked for, and references that disagree are an error
/// naming each (where, and its value). Never a guess.
pub fn read_image(
    file: &str,
    text: &str,
    matcher: &RepositoryMatcher,
    selector: Option<&ImageSelector>,
) -> Result<FileImage> {
    let references = find(file, text, matcher, selector)?;
    let Some(first) = references.first() else {
        let what = match selector {
            Some(s) => format!("value at '{s}'"),
            None => format!(
                "image reference to {matcher} (Kubernetes containers or initContainers, kustomization images:, Compose services.*.image)"
            ),
        };
        return Err(Error::new(
            Code::NotFound,
            format!("{file} has no {what}; check the environment's file and the app's repository, or set `image` to the value's dotted path"),
        ));
    };
    let pinned = first.pinned.clone();
    if references.iter().any(|r| !same_pin(&r.pinned, &pinned)) {
        let each: Vec<String> = references
            .iter()
            .map(|r| format!("{} (line {}) = {}", r.location, r.line, r.text))
            .collect();
        return Err(Error::bad_input(format!(
            "{file} has {} references to {matcher} that disagree: {}; make them pin one digest, or set `image` to the one that is the environment's",
            references.len(),
            each.join("; ")
        )));
    }
    Ok(FileImage { pinned, references })
}

/// Two references agree when they pin the same digest (tags beside a digest aside), or are
/// both unpinned with the same tag.
fn same_pin(a: &Pinned, b: &Pinned) -> bool {
    match (a, b) {
        (Pinned::Digest { digest: x, .. }, Pinned::Digest { digest: y, .. }) => x == y,
        (Pinned::TagOnly { tag: x }, Pinned::TagOnly { tag: y }) => x == y,
        _ => false,
    }
}
