//! `image = "dotted.path"`: the one value that holds the environment's image (Helm values).

use std::fmt;

use yaml_edit::{Document, YamlNode};

use super::reference::{FileReference, RepositoryMatcher};
use super::scan::{pinned, replace_site, unparsable};
use super::tree::{self, Location, ValuePath};
use super::{FoundReference, Pinned, ValueForm};
use crate::domain::Digest;
use crate::{Code, Error, Result};

/// A dotted path to one value (`api.image`, `images.0.ref`): mapping keys, and a number where
/// the value is a sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSelector {
    keys: Vec<String>,
}

impl ImageSelector {
    /// Parse `a.b.c`; an empty path or an empty key is an error.
    pub fn parse(s: &str) -> Result<Self> {
        let keys: Vec<String> = s.split('.').map(str::to_string).collect();
        if s.trim().is_empty() || keys.iter().any(|k| k.trim().is_empty()) {
            return Err(Error::config(format!(
                "image = \"{s}\" is not a dotted path: write the keys down to the value, e.g. image = \"api.image\""
            )));
        }
        Ok(ImageSelector { keys })
    }

    /// The node at this path in `root`, and its path.
    fn resolve(&self, root: &YamlNode) -> Option<(YamlNode, ValuePath)> {
        let mut node = root.clone();
        let mut path = ValuePath::default();
        for key in &self.keys {
            let by_key = tree::get(&node, key);
            (node, path) = match by_key {
                Some(next) => (next, path.key(key)),
                None => {
                    let index: usize = key.parse().ok()?;
                    let next = tree::items(&node).into_iter().nth(index)?;
                    (next, path.index(index))
                }
            };
        }
        Some((node, path))
    }
}

impl fmt::Display for ImageSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.keys.join("."))
    }
}

/// The selected value in each document that has it: a full reference to `matcher`'s repository
/// or a bare digest. A selected value that is not a scalar, does not parse, or names another
/// repository is an error.
pub(crate) fn references(
    file: &str,
    text: &str,
    documents: &[Document],
    selector: &ImageSelector,
    matcher: &RepositoryMatcher,
    out: &mut Vec<FoundReference>,
) -> Result<()> {
    for (document, doc) in documents.iter().enumerate() {
        let Some((node, path)) = tree::root(doc).and_then(|root| selector.resolve(&root)) else {
            continue;
        };
        let location = Location { document, path };
        let Some(s) = tree::scalar(&node) else {
            return Err(tree::unexpected(
                file,
                &location,
                &format!("(image = \"{selector}\") is not a single value; point `image` at the value that holds the reference or the digest"),
            ));
        };
        let value = s.as_string();
        let site = replace_site(file, text, &location, &s)?;
        let line = tree::line_of(text, tree::span(&s).0);
        let (form, pinned, reference) = if value.starts_with("sha256:") {
            let digest = Digest::parse(&value).map_err(|e| unparsable(file, &location, &e))?;
            let pinned = Pinned::Digest { digest, tag: None };
            (ValueForm::BareDigest, pinned, None)
        } else {
            let reference =
                FileReference::parse(&value).map_err(|e| unparsable(file, &location, &e))?;
            if !matcher.matches(&reference) {
                return Err(Error::new(
                    Code::InvalidReference,
                    format!("{file}: {location} (image = \"{selector}\") holds '{value}', which is not {matcher}; check the app's repository and its [[registries]] host"),
                ));
            }
            (ValueForm::Reference, pinned(&reference), Some(reference))
        };
        out.push(FoundReference {
            location,
            line,
            text: value,
            form,
            pinned,
            reference,
            site,
        });
    }
    Ok(())
}
