//! The contents: every section and subsection heading with its page number (known once the
//! report has been laid out: the report is laid out again with the numbers of the layout before).

use super::canvas::{Canvas, Para, Style, BODY_W, INK, MARGIN_X, RULE};
use super::fonts::{self, Font};
use super::structure::Tag;
use super::H2;

/// A heading of the report: its level (1 section, 2 subsection), its text and its page index.
pub(super) type Entry = (u8, String, usize);

/// The headings of a laid-out report (for the next layout's contents).
pub(super) fn entries(c: &Canvas) -> Vec<Entry> {
    c.toc.clone()
}

pub(super) fn page(c: &mut Canvas, entries: &[Entry]) {
    c.begin(Tag::H2);
    c.paras(MARGIN_X, BODY_W, &[Para::new("Contents", H2)]);
    c.end();
    c.y -= 10.0;
    c.begin(Tag::Toc);
    for (level, text, page) in entries {
        let (style, indent, gap) = match level {
            1 => (Style::new(Font::Bold, 9.5, INK), 0.0, 5.0),
            _ => (Style::new(Font::Regular, 8.5, INK), 14.0, 1.5),
        };
        let number = (page + 1).to_string();
        let number_w = fonts::width(style.font, style.size, &number);
        if c.room() < style.leading() + gap {
            c.new_page();
        }
        c.y -= gap + style.leading();
        let baseline = c.y + style.leading() * 0.25;
        c.begin(Tag::Toci);
        let width = BODY_W - indent - number_w - 24.0;
        let shown = fit(text, style, width);
        c.text(MARGIN_X + indent, baseline, style, &format!("{shown} "));
        c.text(MARGIN_X + BODY_W - number_w, baseline, style, &number);
        c.end();
        let dots_from = MARGIN_X + indent + fonts::width(style.font, style.size, &shown) + 6.0;
        let dots_to = MARGIN_X + BODY_W - number_w - 6.0;
        if dots_to > dots_from {
            c.hline(dots_from, dots_to, baseline, RULE);
        }
    }
    c.end();
}

/// `text` cut with `…` to fit `width`.
fn fit(text: &str, style: Style, width: f32) -> String {
    if fonts::width(style.font, style.size, text) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for ch in text.chars() {
        out.push(ch);
        if fonts::width(style.font, style.size, &format!("{out}…")) > width {
            out.pop();
            break;
        }
    }
    format!("{out}…")
}
