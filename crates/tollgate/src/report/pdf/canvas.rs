//! A small page-layout layer over `pdf-writer`: A4 pages, a cursor that moves down, wrapped
//! text (long words such as digests are broken, never cut), tables whose rows move to the next
//! page whole, and a footer with "page N of M" added once the page count is known.

use std::collections::BTreeSet;

use super::fonts::{self, Font};
use super::structure::{Tag, Tree};

pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
pub const MARGIN_X: f32 = 40.0;
pub const TOP: f32 = PAGE_H - 48.0;
pub const BOTTOM: f32 = 56.0;
pub const BODY_W: f32 = PAGE_W - 2.0 * MARGIN_X;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb(pub f32, pub f32, pub f32);

pub const INK: Rgb = Rgb(0.11, 0.12, 0.14);
pub const MUTED: Rgb = Rgb(0.38, 0.40, 0.44);
pub const GOOD: Rgb = Rgb(0.05, 0.45, 0.22);
pub const BAD: Rgb = Rgb(0.72, 0.09, 0.09);
pub const RULE: Rgb = Rgb(0.80, 0.82, 0.85);
pub const HEADER_BG: Rgb = Rgb(0.91, 0.93, 0.96);
pub const DRIFT_BG: Rgb = Rgb(1.0, 0.91, 0.88);

/// How a run of text looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    pub font: Font,
    pub size: f32,
    pub color: Rgb,
}

impl Style {
    pub const fn new(font: Font, size: f32, color: Rgb) -> Self {
        Style { font, size, color }
    }
    pub fn leading(&self) -> f32 {
        self.size * 1.3
    }
}

/// A paragraph of one style; wrapped to the width it is laid out in.
#[derive(Debug, Clone, PartialEq)]
pub struct Para {
    pub text: String,
    pub style: Style,
    /// Extra space above, in points.
    pub space_before: f32,
}

impl Para {
    pub fn new(text: impl Into<String>, style: Style) -> Self {
        Para {
            text: text.into(),
            style,
            space_before: 0.0,
        }
    }
    pub fn gap(mut self, points: f32) -> Self {
        self.space_before = points;
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Op {
    Text {
        x: f32,
        y: f32,
        style: Style,
        text: String,
        /// The element the text belongs to; `None`: an artifact (a repeated table header).
        node: Option<usize>,
    },
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        color: Rgb,
    },
}

/// Lines of `text` no wider than `max` points: breaks at spaces, and inside a word only when the
/// word alone is wider than `max` (a digest), so nothing is ever cut off. A line that ends a
/// word keeps a space after it (invisible), so that text extracted through the structure keeps
/// the words of wrapped lines and of neighbouring paragraphs apart; a piece of a broken word
/// does not, so a digest copied from the text stays whole. Control characters
/// (a line break too: names, notes and reasons may come from the registry or a teammate) are
/// drawn escaped, as `\u{1b}`, never acted on.
pub fn wrap(text: &str, font: Font, size: f32, max: f32) -> Vec<String> {
    let text = crate::domain::escape_controls(text);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if fonts::width(font, size, &candidate) <= max {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            line.push(' ');
            lines.push(std::mem::take(&mut line));
        }
        // The word alone: break it by characters if it does not fit.
        let mut piece = String::new();
        for c in word.chars() {
            piece.push(c);
            if fonts::width(font, size, &piece) > max && piece.chars().count() > 1 {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                piece.push(c);
            }
        }
        line = piece;
    }
    if !line.is_empty() {
        line.push(' ');
    }
    lines.push(line);
    lines
}

/// Laid-out lines of paragraphs within `width`: `(dy from the top, style, text)`, and the height.
pub fn lay_out(paras: &[Para], width: f32) -> (Vec<(f32, Style, String)>, f32) {
    let mut out = Vec::new();
    let mut y = 0.0;
    for p in paras {
        y += p.space_before;
        for line in wrap(&p.text, p.style.font, p.style.size, width) {
            y += p.style.leading();
            out.push((y - p.style.leading() * 0.25, p.style, line));
        }
    }
    (out, y)
}

/// The document being laid out.
pub struct Canvas {
    pub(super) pages: Vec<Vec<Op>>,
    /// The cursor: the top of the next thing drawn.
    pub y: f32,
    pub(super) footer_left: String,
    /// The logical structure, built as the pages are laid out.
    pub(super) tree: Tree,
    /// Text drawn now is an artifact (not in the structure).
    artifact: bool,
    /// The headings, in order: level (1 for a section, 2 for a subsection), text, page index.
    pub toc: Vec<(u8, String, usize)>,
}

impl Canvas {
    pub fn new(footer_left: String) -> Self {
        Canvas {
            pages: vec![Vec::new()],
            y: TOP,
            footer_left,
            tree: Tree::default(),
            artifact: false,
            toc: Vec::new(),
        }
    }

    /// The index of the page being laid out.
    pub fn page(&self) -> usize {
        self.pages.len() - 1
    }

    /// Open an element of the structure (closed by [`end`](Self::end)).
    pub fn begin(&mut self, tag: Tag) -> usize {
        self.tree.begin(tag)
    }

    pub fn end(&mut self) {
        self.tree.end();
    }

    /// Give element `node` (a figure) its alternate text.
    pub fn alt(&mut self, node: usize, text: impl Into<String>) {
        self.tree.nodes[node].alt = Some(text.into());
    }

    /// Draw with `f` as artifacts: what is drawn is not part of the structure (a repeated header).
    pub fn artifact(&mut self, f: impl FnOnce(&mut Canvas)) {
        let was = std::mem::replace(&mut self.artifact, true);
        f(self);
        self.artifact = was;
    }

    /// Run `f` inside a new paragraph unless the innermost open element holds text already.
    fn in_leaf(&mut self, f: impl FnOnce(&mut Canvas)) {
        if self.artifact || self.tree.leaf().is_some() {
            f(self);
        } else {
            self.begin(Tag::P);
            f(self);
            self.end();
        }
    }

    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Room left on this page, in points.
    pub fn room(&self) -> f32 {
        self.y - BOTTOM
    }

    fn op(&mut self, op: Op) {
        self.pages.last_mut().expect("a page").push(op);
    }

    /// Draw one line of `text`, its control characters escaped (see [`wrap`]).
    pub fn text(&mut self, x: f32, baseline: f32, style: Style, text: &str) {
        self.in_leaf(|c| {
            let node = if c.artifact { None } else { c.tree.leaf() };
            c.op(Op::Text {
                x,
                y: baseline,
                style,
                text: crate::domain::escape_controls(text).into_owned(),
                node,
            });
        });
    }

    pub fn fill(&mut self, x: f32, top: f32, w: f32, h: f32, color: Rgb) {
        self.op(Op::Fill {
            x,
            y: top - h,
            w,
            h,
            color,
        });
    }

    pub fn hline(&mut self, x1: f32, x2: f32, y: f32, color: Rgb) {
        self.op(Op::Line {
            x1,
            y1: y,
            x2,
            y2: y,
            color,
        });
    }

    /// Paragraphs across the body width (or from `x`, `width` wide), moving the cursor; a new
    /// page is started when the next line does not fit.
    pub fn paras(&mut self, x: f32, width: f32, paras: &[Para]) {
        for p in paras {
            self.y -= p.space_before;
            self.in_leaf(|c| {
                for line in wrap(&p.text, p.style.font, p.style.size, width) {
                    if c.room() < p.style.leading() {
                        c.new_page();
                    }
                    c.y -= p.style.leading();
                    c.text(x, c.y + p.style.leading() * 0.25, p.style, &line);
                }
            });
        }
    }

    /// Draw laid-out lines with their top at the cursor, from `x` (the cursor does not move).
    pub fn draw_lines(&mut self, x: f32, lines: &[(f32, Style, String)]) {
        let top = self.y;
        self.in_leaf(|c| {
            for (dy, style, text) in lines {
                c.text(x, top - dy, *style, text);
            }
        });
    }

    /// The characters of the laid-out text, in the font each is drawn in, that the fonts cannot
    /// draw (see [`fonts::missing`]); the footer included.
    pub fn missing(&self) -> BTreeSet<char> {
        let footer = (Font::Regular, self.footer_left.as_str());
        fonts::missing(self.texts().chain([footer]))
    }

    /// Every text drawn on the pages (not the footers), with its font.
    pub(super) fn texts(&self) -> impl Iterator<Item = (Font, &str)> + '_ {
        self.pages.iter().flatten().filter_map(|op| match op {
            Op::Text { style, text, .. } => Some((style.font, text.as_str())),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_words_are_broken_not_cut() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        let lines = wrap(&digest, Font::Mono, 8.0, 150.0);
        assert!(lines.len() > 1);
        assert_eq!(
            lines.concat(),
            format!("{digest} "),
            "no space inside the digest"
        );
        for l in &lines {
            assert!(fonts::width(Font::Mono, 8.0, l.trim_end()) <= 150.0);
        }
        let lines = wrap("promoted by alice to production", Font::Regular, 10.0, 80.0);
        assert_eq!(lines.concat(), "promoted by alice to production ");
        assert_eq!(wrap("", Font::Regular, 10.0, 80.0), vec![String::new()]);
    }

    #[test]
    fn control_characters_are_drawn_escaped_and_start_no_line() {
        let planted = "ok\u{1b}[2J\nFAKE";
        assert_eq!(
            wrap(planted, Font::Regular, 10.0, 500.0),
            vec!["ok\\u{1b}[2J\\u{a}FAKE ".to_string()]
        );
        let mut canvas = Canvas::new(String::new());
        let style = Style::new(Font::Regular, 10.0, INK);
        canvas.text(0.0, 0.0, style, planted);
        let drawn: Vec<&str> = canvas.texts().map(|(_, t)| t).collect();
        assert_eq!(drawn, ["ok\\u{1b}[2J\\u{a}FAKE"]);
        assert!(canvas.missing().is_empty(), "{:?}", canvas.missing());
    }
}
