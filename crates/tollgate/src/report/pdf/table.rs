//! The tables of the report: [`start`] opens a table (its element and header row), [`row`] adds
//! a row (moved whole to the next page, with the header again as an artifact, when it does not
//! fit), [`end`] closes it; and the cells the event tables share (when, digest with version).
//! Each row is a TR element of TH or TD cells, so that the structure reads row by row.

use std::collections::HashMap;

use super::canvas::{lay_out, Canvas, Para, Rgb, Style, BODY_W, HEADER_BG, INK, MARGIN_X, RULE};
use super::fonts::Font;
use super::structure::Tag;
use super::{local, MONO, SMALL, SMALL_BOLD, SMALL_MUTED};
use crate::domain::Event;

/// One column of a table: heading and width.
pub(super) type Columns<'a> = &'a [(&'a str, f32)];

const PAD: f32 = 4.0;

/// Open a table and draw its header row.
pub(super) fn start(c: &mut Canvas, cols: Columns<'_>) {
    c.begin(Tag::Table);
    header(c, cols);
}

/// Close the table [`start`] opened.
pub(super) fn end(c: &mut Canvas) {
    c.end();
}

fn header(c: &mut Canvas, cols: Columns<'_>) {
    let style = Style::new(Font::Bold, 7.5, INK);
    let h = style.leading() + 2.0 * PAD;
    if c.room() < h + 30.0 {
        c.new_page();
    }
    c.fill(MARGIN_X, c.y, BODY_W, h, HEADER_BG);
    c.begin(Tag::TR);
    let mut x = MARGIN_X;
    for (title, w) in cols {
        let (lines, _) = lay_out(&[Para::new(*title, style)], w - 2.0 * PAD);
        let y = c.y;
        c.y -= PAD;
        c.begin(Tag::TH);
        c.draw_lines(x + PAD, &lines);
        c.end();
        c.y = y;
        x += w;
    }
    c.end();
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
        c.artifact(|c| header(c, cols));
    }
    if let Some(bg) = bg {
        c.fill(MARGIN_X, c.y, BODY_W, h, bg);
    }
    let top = c.y;
    let mut x = MARGIN_X;
    c.begin(Tag::TR);
    for ((lines, _), (_, w)) in laid.iter().zip(cols) {
        c.y = top - PAD;
        c.begin(Tag::TD);
        c.draw_lines(x + PAD, lines);
        c.end();
        x += w;
    }
    c.end();
    c.y = top - h;
    c.hline(MARGIN_X, MARGIN_X + BODY_W, c.y, RULE);
}

pub(super) fn when_cell(e: &Event, label: &str, color: Rgb) -> Vec<Para> {
    let mut cell = vec![
        Para::new(format!("#{}", e.seq), Style::new(Font::Bold, 9.0, INK)),
        Para::new(label, Style::new(Font::Bold, 7.5, color)).gap(1.0),
    ];
    cell.extend(time_paras(e.at));
    cell
}

/// A time on two lines (date, then time and offset), in the report's one format.
pub(super) fn time_paras(at: chrono::DateTime<chrono::Utc>) -> Vec<Para> {
    let t = local(at);
    let (date, time) = t.split_once(' ').unwrap_or((&t, ""));
    vec![
        Para::new(date, SMALL).gap(2.0),
        Para::new(time, SMALL_MUTED),
    ]
}

pub(super) fn digest_of(e: &Event) -> String {
    e.digest
        .as_ref()
        .map_or("(no digest)".to_string(), |d| d.to_string())
}

/// An event's digest in full, with the image's version above it when the history knows one.
pub(super) fn digest_paras(e: &Event, versions: &HashMap<String, String>) -> Vec<Para> {
    let digest = digest_of(e);
    let mut out = Vec::new();
    if let Some(v) = versions.get(&digest) {
        out.push(Para::new(format!("version {v}"), SMALL_BOLD).gap(2.0));
    }
    out.push(Para::new(digest, MONO).gap(if out.is_empty() { 2.0 } else { 0.0 }));
    out
}

/// `1.4.2 (sha256:0123456789ab)`, or the short digest alone when no version is known.
pub(super) fn short_label(digest: &str, versions: &HashMap<String, String>) -> String {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    let short = format!("sha256:{}", hex.get(..12).unwrap_or(hex));
    match versions.get(digest) {
        Some(v) => format!("{v} ({short})"),
        None => short,
    }
}

/// A cell saying a table has no rows.
pub(super) fn empty(c: &mut Canvas, cols: Columns<'_>, text: &str) {
    row(c, cols, &[vec![Para::new(text, SMALL_MUTED)]], None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_stand_beside_short_digests() {
        let d = format!("sha256:{}", "ab".repeat(32));
        let mut v = HashMap::new();
        assert_eq!(short_label(&d, &v), "sha256:abababababab");
        v.insert(d.clone(), "1.4.2".to_string());
        assert_eq!(short_label(&d, &v), "1.4.2 (sha256:abababababab)");
    }

    #[test]
    fn a_row_is_one_tr_of_cells_in_the_table() {
        let mut c = Canvas::new(String::new());
        let cols: Columns<'_> = &[("A", 100.0), ("B", 100.0)];
        start(&mut c, cols);
        row(
            &mut c,
            cols,
            &[vec![Para::new("a1", SMALL)], vec![Para::new("b1", SMALL)]],
            None,
        );
        end(&mut c);
        let t = &c.tree;
        let kinds: Vec<Tag> = t.nodes.iter().map(|n| n.tag).collect();
        assert_eq!(
            kinds,
            [
                Tag::Document,
                Tag::Table,
                Tag::TR,
                Tag::TH,
                Tag::TH,
                Tag::TR,
                Tag::TD,
                Tag::TD
            ]
        );
        assert_eq!(t.top(), 0, "the table is closed");
    }
}
