//! The document outline (bookmarks): one item per section, its subsections under it, each opening
//! its page; the same headings as the contents.

use pdf_writer::{Finish, Pdf, Ref, TextStr};

use super::toc::Entry;

/// Write the outline at `root` and its items from `first` on (one object each); returns the next
/// free object. `pages[i]` is page i's object.
pub(super) fn write(pdf: &mut Pdf, root: Ref, first: i32, entries: &[Entry], pages: &[Ref]) -> i32 {
    let item = |i: usize| Ref::new(first + i as i32);
    // Each entry's parent: the outline for a section, the section before for a subsection.
    let mut parent: Vec<Option<usize>> = Vec::with_capacity(entries.len());
    let mut section = None;
    for (i, (level, _, _)) in entries.iter().enumerate() {
        if *level == 1 {
            section = Some(i);
            parent.push(None);
        } else {
            parent.push(section);
        }
    }
    let children = |p: Option<usize>| -> Vec<usize> {
        (0..entries.len()).filter(|&i| parent[i] == p).collect()
    };
    let top = children(None);
    let mut outline = pdf.outline(root);
    if let (Some(a), Some(b)) = (top.first(), top.last()) {
        outline.first(item(*a)).last(item(*b));
    }
    outline.count(top.len() as i32);
    outline.finish();
    for (i, (_, text, page)) in entries.iter().enumerate() {
        let siblings = children(parent[i]);
        let at = siblings
            .iter()
            .position(|&s| s == i)
            .expect("its own sibling");
        let mut it = pdf.outline_item(item(i));
        it.title(TextStr(text)).parent(parent[i].map_or(root, item));
        if at > 0 {
            it.prev(item(siblings[at - 1]));
        }
        if let Some(&next) = siblings.get(at + 1) {
            it.next(item(next));
        }
        let kids = children(Some(i));
        if let (Some(a), Some(b)) = (kids.first(), kids.last()) {
            it.first(item(*a))
                .last(item(*b))
                .count(-(kids.len() as i32));
        }
        if let Some(&p) = pages.get(*page) {
            it.dest().page(p).fit();
        }
    }
    first + entries.len() as i32
}
