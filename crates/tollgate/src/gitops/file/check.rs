//! The re-parse check: an edited file must mean what the original meant, except in the values
//! the edit was for, which must now read as intended.

use super::tree::{self, Location, ValuePath};
use crate::{Error, Result};

/// A value an edit writes: where, and what it must read as after the edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedValue {
    pub location: Location,
    pub value: String,
}

/// Parse `before` and `after` and check that they are the same documents with the same values,
/// the `expected` locations left out, and that each expected location in `after` now reads as
/// its value. Any other difference (a value, a key, a document, a parse error) refuses the
/// edit with one line naming the first place it differs.
pub fn check_edit(file: &str, before: &str, after: &str, expected: &[ExpectedValue]) -> Result<()> {
    let refuse = |what: String| {
        Error::internal(format!(
            "{file}: refusing the edit: {what}; nothing was changed (this is a bug in Tollgate: please report it with the file)"
        ))
    };
    let old = tree::parse(file, before)?;
    let new = tree::parse(file, after)
        .map_err(|e| refuse(format!("the edited text does not parse ({})", e.message)))?;
    let old_docs = tree::documents(&old);
    let new_docs = tree::documents(&new);
    if old_docs.len() != new_docs.len() {
        return Err(refuse(format!(
            "it has {} documents, the original {}",
            new_docs.len(),
            old_docs.len()
        )));
    }
    for (document, (a, b)) in old_docs.iter().zip(&new_docs).enumerate() {
        let masked: Vec<ValuePath> = expected
            .iter()
            .filter(|e| e.location.document == document)
            .map(|e| e.location.path.clone())
            .collect();
        let root = ValuePath::default();
        let pa = tree::root(a).map(|n| tree::plain(&n, &root, &masked));
        let pb = tree::root(b).map(|n| tree::plain(&n, &root, &masked));
        let differs = match (&pa, &pb) {
            (Some(x), Some(y)) => tree::first_difference(x, y, &root),
            (None, None) => None,
            _ => Some(root.clone()),
        };
        if let Some(path) = differs {
            let location = Location { document, path };
            return Err(refuse(format!("it also changes {}", shown(&location))));
        }
        for e in expected.iter().filter(|e| e.location.document == document) {
            let now = tree::root(b)
                .and_then(|n| tree::at(&n, &e.location.path))
                .and_then(|n| tree::scalar(&n).map(|s| s.as_string()));
            if now.as_deref() != Some(e.value.as_str()) {
                return Err(refuse(format!(
                    "{} reads {}, not {}",
                    e.location,
                    now.map_or("nothing".to_string(), |v| format!("'{v}'")),
                    e.value
                )));
            }
        }
    }
    Ok(())
}

/// A location, or "the document" for a document's root.
fn shown(location: &Location) -> String {
    if location.path.0.is_empty() {
        format!("document {}", location.document + 1)
    } else {
        location.to_string()
    }
}
