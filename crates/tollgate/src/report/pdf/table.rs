//! The tables of the report: the header row, rows moved whole to the next page (with the header
//! again) when they do not fit, and the cells the event tables share (when, digest).

use super::canvas::{lay_out, Canvas, Para, Rgb, Style, BODY_W, HEADER_BG, INK, MARGIN_X, RULE};
use super::fonts::Font;
use super::{local, SMALL, SMALL_MUTED};
use crate::domain::Event;

/// One column of a table: heading and width.
pub(super) type Columns<'a> = &'a [(&'a str, f32)];

const PAD: f32 = 4.0;

pub(super) fn header(c: &mut Canvas, cols: Columns<'_>) {
    let style = Style::new(Font::Bold, 7.5, INK);
    let h = style.leading() + 2.0 * PAD;
    c.fill(MARGIN_X, c.y, BODY_W, h, HEADER_BG);
    let mut x = MARGIN_X;
    for (title, w) in cols {
        let (lines, _) = lay_out(&[Para::new(*title, style)], w - 2.0 * PAD);
        let y = c.y;
        c.y -= PAD;
        c.draw_lines(x + PAD, &lines);
        c.y = y;
        x += w;
    }
    c.y -= h;
}

/// One row; moved whole to a new page (with the header again) when it does not fit.
pub(super) fn row(c: &mut Canvas, cols: Columns<'_>, cells: &[Vec<Para>], bg: Option<Rgb>) {
    let laid: Vec<_> = cells
        .iter()
        .zip(cols)
        .map(|(paras, (_, w))| lay_out(paras, w - 2.0 * PAD))
        .collect();
    let h = laid.iter().map(|(_, h)| *h).fold(0.0, f32::max) + 2.0 * PAD;
    if c.room() < h {
        c.new_page();
        header(c, cols);
    }
    if let Some(bg) = bg {
        c.fill(MARGIN_X, c.y, BODY_W, h, bg);
    }
    let top = c.y;
    let mut x = MARGIN_X;
    for ((lines, _), (_, w)) in laid.iter().zip(cols) {
        c.y = top - PAD;
        c.draw_lines(x + PAD, lines);
        x += w;
    }
    c.y = top - h;
    c.hline(MARGIN_X, MARGIN_X + BODY_W, c.y, RULE);
}

pub(super) fn when_cell(e: &Event, label: &str, color: Rgb) -> Vec<Para> {
    let t = local(e.at);
    let (date, time) = t.split_once(' ').unwrap_or((&t, ""));
    vec![
        Para::new(format!("#{}", e.seq), Style::new(Font::Bold, 9.0, INK)),
        Para::new(label, Style::new(Font::Bold, 7.5, color)).gap(1.0),
        Para::new(date, SMALL).gap(2.0),
        Para::new(time, SMALL_MUTED),
    ]
}

pub(super) fn digest_of(e: &Event) -> String {
    e.digest
        .as_ref()
        .map_or("(no digest)".to_string(), |d| d.to_string())
}
