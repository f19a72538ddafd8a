//! Where a value is (document and path), the walk over `yaml-edit`'s lossless tree, and the
//! plain tree the re-parse check compares.

use std::fmt;

use yaml_edit::{Document, Mapping, Scalar, YamlFile, YamlNode};

use crate::{Code, Error, Result};

/// One step of a path: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// Where a value is inside one document: `spec.template.spec.containers[0].image`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ValuePath(pub Vec<Step>);

impl ValuePath {
    pub(crate) fn key(&self, key: &str) -> ValuePath {
        let mut steps = self.0.clone();
        steps.push(Step::Key(key.to_string()));
        ValuePath(steps)
    }

    pub(crate) fn index(&self, index: usize) -> ValuePath {
        let mut steps = self.0.clone();
        steps.push(Step::Index(index));
        ValuePath(steps)
    }
}

impl fmt::Display for ValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(key) if i == 0 => f.write_str(key)?,
                Step::Key(key) => write!(f, ".{key}")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A value's place in a file: the document (0 for the first; files with `---` have several)
/// and the path inside it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    pub document: usize,
    pub path: ValuePath,
}

impl fmt::Display for Location {
    /// `spec.containers[0].image`, or `document 2: spec.containers[0].image` past the first.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.document > 0 {
            write!(f, "document {}: ", self.document + 1)?;
        }
        write!(f, "{}", self.path)
    }
}

/// Parse `text` as YAML (all documents); a syntax error is one line naming `file`, the line
/// and the column.
pub(crate) fn parse(file: &str, text: &str) -> Result<YamlFile> {
    text.parse::<YamlFile>().map_err(|e| {
        Error::bad_input(format!(
            "{file} is not valid YAML ({e}); fix the file in the deployment repository"
        ))
    })
}

/// The documents of a parsed file, in order.
pub(crate) fn documents(file: &YamlFile) -> Vec<Document> {
    file.documents().collect()
}

/// The text of a key: a scalar's value, or the written form of a complex key.
fn key_text(key: &YamlNode) -> String {
    match key {
        YamlNode::Scalar(s) => s.as_string(),
        other => other.to_string(),
    }
}

/// A mapping's entries with their keys as text, in order.
pub(crate) fn entries(mapping: &Mapping) -> Vec<(String, YamlNode)> {
    mapping.iter().map(|(k, v)| (key_text(&k), v)).collect()
}

/// The value under `key` (the first, if a key is repeated).
pub(crate) fn get(node: &YamlNode, key: &str) -> Option<YamlNode> {
    match node {
        YamlNode::Mapping(m) => entries(m)
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v),
        _ => None,
    }
}

/// The mapping under `key`, if it is one.
pub(crate) fn get_mapping(node: &YamlNode, key: &str) -> Option<Mapping> {
    match get(node, key)? {
        YamlNode::Mapping(m) => Some(m),
        _ => None,
    }
}

/// The items of a sequence (none for anything else).
pub(crate) fn items(node: &YamlNode) -> Vec<YamlNode> {
    match node {
        YamlNode::Sequence(s) => s.values().collect(),
        _ => Vec::new(),
    }
}

/// The scalar `node` is, or holds under an explicit string tag (`!!str value`).
pub(crate) fn scalar(node: &YamlNode) -> Option<Scalar> {
    match node {
        YamlNode::Scalar(s) => Some(s.clone()),
        YamlNode::TaggedNode(t)
            if matches!(
                t.tag().as_deref(),
                Some("!!str" | "!<tag:yaml.org,2002:str>")
            ) =>
        {
            t.value()
        }
        _ => None,
    }
}

/// A plain string under `key` (quoting removed), if there is one.
pub(crate) fn get_string(node: &YamlNode, key: &str) -> Option<String> {
    get(node, key)
        .as_ref()
        .and_then(scalar)
        .map(|s| s.as_string())
}

/// The node at `path` from a document's root.
pub(crate) fn at(root: &YamlNode, path: &ValuePath) -> Option<YamlNode> {
    let mut node = root.clone();
    for step in &path.0 {
        node = match step {
            Step::Key(key) => get(&node, key)?,
            Step::Index(i) => items(&node).into_iter().nth(*i)?,
        };
    }
    Some(node)
}

/// A document's root value, if it has one.
pub(crate) fn root(document: &Document) -> Option<YamlNode> {
    if let Some(m) = document.as_mapping() {
        return Some(YamlNode::Mapping(m));
    }
    if let Some(s) = document.as_sequence() {
        return Some(YamlNode::Sequence(s));
    }
    document.as_scalar().map(YamlNode::Scalar)
}

/// What a document means, for comparing two parses: scalars by value (quoting aside), mappings
/// as ordered entries, and the values at masked paths left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plain {
    Scalar(String),
    Map(Vec<(String, Plain)>),
    Seq(Vec<Plain>),
    /// An alias, a tagged node: compared by their written text.
    Other(String),
    /// A value the edit was meant to change.
    Masked,
}

/// The plain form of `node` at `path`, with every path in `masked` left out (a masked mapping
/// entry is dropped, so a field the edit adds compares equal to its absence).
pub(crate) fn plain(node: &YamlNode, path: &ValuePath, masked: &[ValuePath]) -> Plain {
    if masked.contains(path) {
        return Plain::Masked;
    }
    match node {
        YamlNode::Scalar(s) => Plain::Scalar(s.as_string()),
        YamlNode::Mapping(m) => Plain::Map(
            entries(m)
                .into_iter()
                .filter(|(k, _)| !masked.contains(&path.key(k)))
                .map(|(k, v)| {
                    let child = plain(&v, &path.key(&k), masked);
                    (k, child)
                })
                .collect(),
        ),
        YamlNode::Sequence(s) => Plain::Seq(
            s.values()
                .enumerate()
                .map(|(i, v)| plain(&v, &path.index(i), masked))
                .collect(),
        ),
        other => Plain::Other(other.to_string()),
    }
}

/// The first path where two plain trees differ, if any.
pub(crate) fn first_difference(a: &Plain, b: &Plain, path: &ValuePath) -> Option<ValuePath> {
    match (a, b) {
        (Plain::Map(x), Plain::Map(y)) => {
            for ((kx, vx), (ky, vy)) in x.iter().zip(y) {
                if kx != ky {
                    return Some(path.key(kx));
                }
                if let Some(p) = first_difference(vx, vy, &path.key(kx)) {
                    return Some(p);
                }
            }
            (x.len() != y.len()).then(|| path.clone())
        }
        (Plain::Seq(x), Plain::Seq(y)) => {
            for (i, (vx, vy)) in x.iter().zip(y).enumerate() {
                if let Some(p) = first_difference(vx, vy, &path.index(i)) {
                    return Some(p);
                }
            }
            (x.len() != y.len()).then(|| path.clone())
        }
        (x, y) => (x != y).then(|| path.clone()),
    }
}

/// The 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The byte range of a scalar in the text it was parsed from.
pub(crate) fn span(s: &Scalar) -> (usize, usize) {
    let r = s.byte_range();
    (r.start as usize, r.end as usize)
}

/// An error for a value that is there but is not what the rules read.
pub(crate) fn unexpected(file: &str, location: &Location, what: &str) -> Error {
    Error::new(Code::BadInput, format!("{file}: {location} {what}"))
}
