//! The one rule every format shares: is this scalar the app's image reference, and what does it
//! pin.

use yaml_edit::{Scalar, YamlNode};

use super::reference::{FileReference, RepositoryMatcher};
use super::tree::{self, Location};
use super::{FoundReference, Pinned, Quote, Site, ValueForm};
use crate::{Code, Error, Result};

/// Where a scalar's bytes are and how it is quoted; an edit of a value written over several
/// lines, or through an alias or a tag, is refused.
pub(crate) fn replace_site(
    file: &str,
    text: &str,
    location: &Location,
    s: &Scalar,
) -> Result<Site> {
    let (start, end) = tree::span(s);
    let raw = text.get(start..end).unwrap_or_default();
    if raw.is_empty() || raw.contains('\n') {
        return Err(Error::bad_input(format!(
            "{file}: {location} is written over several lines or could not be located; write it on one line"
        )));
    }
    let quote = match raw.as_bytes()[0] {
        b'"' => Quote::Double,
        b'\'' => Quote::Single,
        _ => Quote::Plain,
    };
    Ok(Site::Replace { start, end, quote })
}

/// The reference at `location` if `node` is one to `matcher`'s repository. A scalar that does
/// not parse is passed over, unless it starts with the app's repository (then it is an error
/// naming it); a value that is not a scalar is passed over.
pub(crate) fn reference_at(
    file: &str,
    text: &str,
    location: Location,
    node: &YamlNode,
    matcher: &RepositoryMatcher,
) -> Result<Option<FoundReference>> {
    let Some(s) = tree::scalar(node) else {
        return Ok(None);
    };
    let value = s.as_string();
    let reference = match FileReference::parse(&value) {
        Ok(r) => r,
        Err(e) if matcher.looks_like(&value) => return Err(unparsable(file, &location, &e)),
        Err(_) => return Ok(None),
    };
    if !matcher.matches(&reference) {
        return Ok(None);
    }
    let (start, _) = tree::span(&s);
    let site = replace_site(file, text, &location, &s)?;
    Ok(Some(FoundReference {
        line: tree::line_of(text, start),
        location,
        text: value,
        form: ValueForm::Reference,
        pinned: pinned(&reference),
        reference: Some(reference),
        site,
    }))
}

/// What a parsed reference pins.
pub(crate) fn pinned(reference: &FileReference) -> Pinned {
    match &reference.digest {
        Some(digest) => Pinned::Digest {
            digest: digest.clone(),
            tag: reference.tag.clone(),
        },
        None => Pinned::TagOnly {
            tag: reference.tag.clone(),
        },
    }
}

/// The one line for a value that should be a reference and is not.
pub(crate) fn unparsable(file: &str, location: &Location, e: &Error) -> Error {
    Error::new(
        Code::InvalidReference,
        format!(
            "{file}: {location}: {}; fix the value in the deployment repository",
            e.message
        ),
    )
}
