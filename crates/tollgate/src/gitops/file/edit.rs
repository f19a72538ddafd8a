//! Pinning a new digest: the edit of the target values alone, checked by a re-parse.

use super::check::{check_edit, ExpectedValue};
use super::reference::RepositoryMatcher;
use super::selector::ImageSelector;
use super::tree;
use super::{read_image, FoundReference, Quote, Site, ValueForm};
use crate::domain::Digest;
use crate::{Error, Result};

/// One line the edit changes, for showing the diff: its number in the edited file, the line
/// before (`None` for a line the edit adds) and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineChange {
    pub line: usize,
    pub old: Option<String>,
    pub new: String,
}

/// The edited file: its whole new text, the lines that changed, and the references as they
/// were before the edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedFile {
    pub text: String,
    pub changes: Vec<LineChange>,
    pub references: Vec<FoundReference>,
}

impl PinnedFile {
    /// Whether the file already pinned the digest (then `text` is the original).
    pub fn unchanged(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Pin `digest` in `text` (the deployment file `file`): each of the app's references (the ones
/// [`read_image`] reads, which must agree) is rewritten to `<host>/<path>@<digest>` in its own
/// quoting (a `tag@digest` keeps its tag), a kustomization entry's `digest:` field is set (or
/// added), a bare digest is replaced; every other byte stays. The result is parsed again and
/// must differ from the original in those values alone ([`check_edit`]), or this is an error and
/// nothing is returned.
pub fn pin(
    file: &str,
    text: &str,
    matcher: &RepositoryMatcher,
    selector: Option<&ImageSelector>,
    digest: &Digest,
) -> Result<PinnedFile> {
    let image = read_image(file, text, matcher, selector)?;
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut expected = Vec::new();
    for r in &image.references {
        let value = match (&r.form, &r.reference) {
            (ValueForm::Reference, Some(reference)) => reference.pinned_to(digest),
            _ => digest.to_string(),
        };
        match &r.site {
            Site::Replace { .. } if r.text == value => {}
            Site::Replace { start, end, quote } => {
                edits.push((*start, *end, quoted(&value, *quote)));
            }
            Site::Insert { line_end, indent } => {
                let line = format!("\n{}digest: {value}", " ".repeat(*indent));
                edits.push((*line_end, *line_end, line));
            }
            Site::Refuse(why) => {
                return Err(Error::bad_input(format!("{file}: {} {why}", r.location)));
            }
        }
        expected.push(ExpectedValue {
            location: r.location.clone(),
            value,
        });
    }
    edits.sort_by_key(|(start, _, _)| *start);
    let mut out = String::with_capacity(text.len() + 80 * edits.len());
    let mut at = 0;
    for (start, end, replacement) in &edits {
        out.push_str(&text[at..*start]);
        out.push_str(replacement);
        at = *end;
    }
    out.push_str(&text[at..]);
    check_edit(file, text, &out, &expected)?;
    let changes = line_changes(text, &out, &edits);
    Ok(PinnedFile {
        text: out,
        changes,
        references: image.references,
    })
}

/// `value` in the scalar's quoting. Pinned references and digests hold no character that needs
/// escaping in any of the three.
fn quoted(value: &str, quote: Quote) -> String {
    match quote {
        Quote::Plain => value.to_string(),
        Quote::Single => format!("'{value}'"),
        Quote::Double => format!("\"{value}\""),
    }
}

/// The changed lines, from the edits (sorted by position; each within one line, or adding one).
fn line_changes(before: &str, after: &str, edits: &[(usize, usize, String)]) -> Vec<LineChange> {
    let old_lines: Vec<&str> = before
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let new_lines: Vec<&str> = after
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut changes: Vec<LineChange> = Vec::new();
    let mut added = 0;
    for (start, end, replacement) in edits {
        let old_line = tree::line_of(before, *start);
        if start == end && replacement.starts_with('\n') {
            added += 1;
            let line = old_line + added;
            changes.push(LineChange {
                line,
                old: None,
                new: new_lines.get(line - 1).unwrap_or(&"").to_string(),
            });
            continue;
        }
        let line = old_line + added;
        if changes.last().is_some_and(|c| c.line == line) {
            continue;
        }
        changes.push(LineChange {
            line,
            old: old_lines.get(old_line - 1).map(|l| l.to_string()),
            new: new_lines.get(line - 1).unwrap_or(&"").to_string(),
        });
    }
    changes
}
