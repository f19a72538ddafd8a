//! A small page-layout layer over `pdf-writer`: A4 pages, a cursor that moves down, wrapped
//! text (long words such as digests are broken, never cut), tables whose rows move to the next
//! page whole, and a footer with "page N of M" added once the page count is known.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Timelike, Utc};
use pdf_writer::{Content, Date, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::fonts::{self, Font};

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
enum Op {
    Text {
        x: f32,
        y: f32,
        style: Style,
        text: String,
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
/// word alone is wider than `max` (a digest), so nothing is ever cut off. Control characters
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
    pages: Vec<Vec<Op>>,
    /// The cursor: the top of the next thing drawn.
    pub y: f32,
    footer_left: String,
}

impl Canvas {
    pub fn new(footer_left: String) -> Self {
        Canvas {
            pages: vec![Vec::new()],
            y: TOP,
            footer_left,
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
        self.op(Op::Text {
            x,
            y: baseline,
            style,
            text: crate::domain::escape_controls(text).into_owned(),
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
            for line in wrap(&p.text, p.style.font, p.style.size, width) {
                if self.room() < p.style.leading() {
                    self.new_page();
                }
                self.y -= p.style.leading();
                self.text(x, self.y + p.style.leading() * 0.25, p.style, &line);
            }
        }
    }

    /// Draw laid-out lines with their top at the cursor, from `x` (the cursor does not move).
    pub fn draw_lines(&mut self, x: f32, lines: &[(f32, Style, String)]) {
        let top = self.y;
        for (dy, style, text) in lines {
            self.text(x, top - dy, *style, text);
        }
    }

    /// The characters of the laid-out text, in the font each is drawn in, that the fonts cannot
    /// draw (see [`fonts::missing`]); the footer included.
    pub fn missing(&self) -> BTreeSet<char> {
        let footer = (Font::Regular, self.footer_left.as_str());
        fonts::missing(self.texts().chain([footer]))
    }

    /// Every text drawn on the pages (not the footers), with its font.
    fn texts(&self) -> impl Iterator<Item = (Font, &str)> + '_ {
        self.pages.iter().flatten().filter_map(|op| match op {
            Op::Text { style, text, .. } => Some((style.font, text.as_str())),
            _ => None,
        })
    }

    /// Render every page (with the footer) to PDF bytes.
    pub fn finish(self, title: &str, created: DateTime<Utc>) -> Vec<u8> {
        let count = self.pages.len();
        // The footer's font is the one `missing` checks the footer in.
        let footer = Style::new(Font::Regular, 7.5, MUTED);
        let footers: Vec<Vec<Op>> = (0..count)
            .map(|i| {
                let number = format!("page {} of {count}", i + 1);
                vec![
                    Op::Line {
                        x1: MARGIN_X,
                        y1: BOTTOM - 18.0,
                        x2: PAGE_W - MARGIN_X,
                        y2: BOTTOM - 18.0,
                        color: RULE,
                    },
                    Op::Text {
                        x: MARGIN_X,
                        y: BOTTOM - 30.0,
                        style: footer,
                        text: self.footer_left.clone(),
                    },
                    Op::Text {
                        x: PAGE_W - MARGIN_X - fonts::width(footer.font, footer.size, &number),
                        y: BOTTOM - 30.0,
                        style: footer,
                        text: number,
                    },
                ]
            })
            .collect();

        // The characters each font draws: they decide the subsets and the codes.
        let mut usage = fonts::Usage::default();
        for op in self.pages.iter().chain(&footers).flatten() {
            if let Op::Text { style, text, .. } = op {
                usage.add(style.font, text);
            }
        }
        usage.seal();
        let used: Vec<Font> = usage.fonts().collect();

        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let info = Ref::new(3);
        let font_ref = |i: usize| Ref::new(4 + fonts::OBJECTS * i as i32);
        let first_page = 4 + fonts::OBJECTS * used.len() as i32;
        let page_ref = |i: usize| Ref::new(first_page + 2 * i as i32);
        let content_ref = |i: usize| Ref::new(first_page + 2 * i as i32 + 1);

        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids((0..count).map(page_ref))
            .count(count as i32);
        pdf.document_info(info)
            .title(TextStr(title))
            .producer(TextStr(concat!("Tollgate ", env!("CARGO_PKG_VERSION"))))
            .creation_date(
                Date::new(created.year().clamp(0, 9999) as u16)
                    .month(created.month() as u8)
                    .day(created.day() as u8)
                    .hour(created.hour() as u8)
                    .minute(created.minute() as u8)
                    .second(created.second() as u8)
                    .utc_offset_hour(0),
            );
        for (i, font) in used.iter().enumerate() {
            usage.write(&mut pdf, *font, font_ref(i));
        }
        for (i, (ops, footer)) in self.pages.iter().zip(&footers).enumerate() {
            let mut page = pdf.page(page_ref(i));
            page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
                .parent(tree)
                .contents(content_ref(i));
            let mut resources = page.resources();
            let mut dict = resources.fonts();
            for (j, font) in used.iter().enumerate() {
                dict.pair(Name(font.resource()), font_ref(j));
            }
            dict.finish();
            resources.finish();
            page.finish();

            let mut content = Content::new();
            for op in ops.iter().chain(footer) {
                draw(&mut content, op, &usage);
            }
            let raw = content.finish();
            pdf.stream(content_ref(i), &fonts::deflate(raw.as_slice()))
                .filter(Filter::FlateDecode);
        }
        pdf.finish()
    }
}

fn draw(content: &mut Content, op: &Op, usage: &fonts::Usage) {
    match op {
        Op::Fill { x, y, w, h, color } => {
            content
                .save_state()
                .set_fill_rgb(color.0, color.1, color.2)
                .rect(*x, *y, *w, *h)
                .fill_nonzero()
                .restore_state();
        }
        Op::Line {
            x1,
            y1,
            x2,
            y2,
            color,
        } => {
            content
                .save_state()
                .set_stroke_rgb(color.0, color.1, color.2)
                .set_line_width(0.5)
                .move_to(*x1, *y1)
                .line_to(*x2, *y2)
                .stroke()
                .restore_state();
        }
        Op::Text { x, y, style, text } => {
            content.begin_text();
            content.set_fill_rgb(style.color.0, style.color.1, style.color.2);
            content.next_line(*x, *y);
            content.set_font(Name(style.font.resource()), style.size);
            content.show(Str(&usage.encode(style.font, text)));
            content.end_text();
        }
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
        assert_eq!(lines.concat(), digest);
        for l in &lines {
            assert!(fonts::width(Font::Mono, 8.0, l) <= 150.0);
        }
        let lines = wrap("promoted by alice to production", Font::Regular, 10.0, 80.0);
        assert_eq!(lines.join(" "), "promoted by alice to production");
        assert_eq!(wrap("", Font::Regular, 10.0, 80.0), vec![String::new()]);
    }

    #[test]
    fn control_characters_are_drawn_escaped_and_start_no_line() {
        let planted = "ok\u{1b}[2J\nFAKE";
        assert_eq!(
            wrap(planted, Font::Regular, 10.0, 500.0),
            vec!["ok\\u{1b}[2J\\u{a}FAKE".to_string()]
        );
        let mut canvas = Canvas::new(String::new());
        let style = Style::new(Font::Regular, 10.0, INK);
        canvas.text(0.0, 0.0, style, planted);
        let drawn: Vec<&str> = canvas.texts().map(|(_, t)| t).collect();
        assert_eq!(drawn, ["ok\\u{1b}[2J\\u{a}FAKE"]);
        assert!(canvas.missing().is_empty(), "{:?}", canvas.missing());
    }
}
