//! The logical structure of the report (a tagged PDF): a tree of elements (Document, headings,
//! paragraphs, tables with rows and header and data cells, figures with their alternate text, the
//! table of contents) built while the pages are laid out, in reading order. Each text drawn
//! belongs to one leaf element; when the document is written, each run of text of one element on
//! a page becomes a marked-content sequence with its own MCID, referenced from the element, and
//! every page's MCIDs are mapped back to their elements in the parent tree. Screen readers and
//! text extraction follow this tree; everything else drawn (rules, fills, footers, repeated table
//! headers) is marked as an artifact.

use pdf_writer::types::{StructRole, TableHeaderScope};
use pdf_writer::writers::StructTreeRoot;
use pdf_writer::{Finish, Pdf, Ref, TextStr};

/// The role of an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Document,
    H1,
    H2,
    H3,
    P,
    Table,
    TR,
    TH,
    TD,
    Figure,
    Toc,
    Toci,
}

impl Tag {
    /// Elements that hold text directly (the others hold elements).
    pub fn is_leaf(self) -> bool {
        matches!(
            self,
            Tag::H1 | Tag::H2 | Tag::H3 | Tag::P | Tag::TH | Tag::TD | Tag::Figure | Tag::Toci
        )
    }

    fn role(self) -> StructRole {
        match self {
            Tag::Document => StructRole::Document,
            Tag::H1 => StructRole::H1,
            Tag::H2 => StructRole::H2,
            Tag::H3 => StructRole::H3,
            Tag::P => StructRole::P,
            Tag::Table => StructRole::Table,
            Tag::TR => StructRole::TR,
            Tag::TH => StructRole::TH,
            Tag::TD => StructRole::TD,
            Tag::Figure => StructRole::Figure,
            Tag::Toc => StructRole::TOC,
            Tag::Toci => StructRole::TOCI,
        }
    }
}

/// A child of an element: another element, or a marked-content sequence on a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Kid {
    Node(usize),
    Content { page: usize, mcid: i32 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub tag: Tag,
    pub parent: Option<usize>,
    pub kids: Vec<Kid>,
    /// Alternate text (a figure's description).
    pub alt: Option<String>,
}

/// The element tree; element 0 is the Document.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub nodes: Vec<Node>,
    /// The elements open for new children, innermost last (the Document first).
    open: Vec<usize>,
}

impl Default for Tree {
    fn default() -> Self {
        Tree {
            nodes: vec![Node {
                tag: Tag::Document,
                parent: None,
                kids: Vec::new(),
                alt: None,
            }],
            open: vec![0],
        }
    }
}

impl Tree {
    /// Open a new element as the last child of the innermost open one.
    pub fn begin(&mut self, tag: Tag) -> usize {
        let parent = self.top();
        let id = self.nodes.len();
        self.nodes.push(Node {
            tag,
            parent: Some(parent),
            kids: Vec::new(),
            alt: None,
        });
        self.nodes[parent].kids.push(Kid::Node(id));
        self.open.push(id);
        id
    }

    /// Close the innermost open element (never the Document).
    pub fn end(&mut self) {
        if self.open.len() > 1 {
            self.open.pop();
        }
    }

    pub fn top(&self) -> usize {
        *self.open.last().expect("the Document stays open")
    }

    /// The innermost open element when it holds text.
    pub fn leaf(&self) -> Option<usize> {
        let top = self.top();
        self.nodes[top].tag.is_leaf().then_some(top)
    }

    /// Write the tree: the StructTreeRoot at `root`, the elements from `first` on (one object
    /// each), and the parent tree's arrays from `first + nodes` on (one per page). `pages[i]`
    /// is page i's object; page i's `StructParents` key is i. Returns the next free object.
    pub fn write(&self, pdf: &mut Pdf, root: Ref, first: i32, pages: &[Ref]) -> i32 {
        let node_ref = |i: usize| Ref::new(first + i as i32);
        let arrays = first + self.nodes.len() as i32;
        // Page by page, the element of each MCID.
        let mut by_page: Vec<Vec<(i32, usize)>> = vec![Vec::new(); pages.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            for k in &n.kids {
                if let Kid::Content { page, mcid } = k {
                    by_page[*page].push((*mcid, i));
                }
            }
        }
        let mut tree = pdf.indirect(root).start::<StructTreeRoot>();
        tree.child(node_ref(0));
        let mut parents = tree.parent_tree();
        let mut nums = parents.nums();
        for i in 0..pages.len() {
            nums.insert(i as i32, Ref::new(arrays + i as i32));
        }
        nums.finish();
        parents.finish();
        tree.parent_tree_next_key(pages.len() as i32);
        tree.finish();

        for (i, n) in self.nodes.iter().enumerate() {
            let mut el = pdf.struct_element(node_ref(i));
            el.kind(n.tag.role());
            el.parent(n.parent.map_or(root, node_ref));
            if let Some(alt) = &n.alt {
                el.alt(TextStr(alt));
            }
            if n.tag == Tag::TH {
                el.attributes()
                    .push()
                    .table()
                    .scope(TableHeaderScope::Column);
            }
            // Content on one page only (most elements): the page once, the MCIDs as integers.
            let mut on = n.kids.iter().filter_map(|k| match k {
                Kid::Content { page, .. } => Some(*page),
                Kid::Node(_) => None,
            });
            let one_page = on.next().filter(|first| on.all(|p| p == *first));
            if let Some(page) = one_page {
                el.page(pages[page]);
            }
            let mut kids = el.children();
            for k in &n.kids {
                match k {
                    Kid::Node(c) => {
                        kids.struct_element(node_ref(*c));
                    }
                    Kid::Content { mcid, .. } if one_page.is_some() => {
                        kids.marked_content_id(*mcid);
                    }
                    Kid::Content { page, mcid } => {
                        kids.marked_content_ref()
                            .page(pages[*page])
                            .marked_content_id(*mcid);
                    }
                }
            }
        }
        for (i, mut list) in by_page.into_iter().enumerate() {
            list.sort();
            pdf.indirect(Ref::new(arrays + i as i32))
                .array()
                .items(list.into_iter().map(|(_, n)| node_ref(n)));
        }
        arrays + pages.len() as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_nest_in_the_order_they_are_opened() {
        let mut t = Tree::default();
        let table = t.begin(Tag::Table);
        let row = t.begin(Tag::TR);
        let cell = t.begin(Tag::TD);
        assert_eq!(t.leaf(), Some(cell));
        t.end();
        assert_eq!(t.leaf(), None, "a row holds cells, not text");
        t.end();
        t.end();
        t.end();
        t.end();
        assert_eq!(t.top(), 0, "the Document stays open");
        assert_eq!(t.nodes[0].kids, vec![Kid::Node(table)]);
        assert_eq!(t.nodes[table].kids, vec![Kid::Node(row)]);
        assert_eq!(t.nodes[cell].parent, Some(row));
    }
}
