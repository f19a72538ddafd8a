//! Writing the laid-out pages as a PDF/A-2b tagged document: the pages with their footers
//! ("page N of M"), the embedded font subsets, the logical structure (`structure`) with each
//! text's marked-content sequence, the bookmarks (`outline`), and what PDF/A asks for: XMP metadata that says
//! `pdfaid:part 2, conformance B` and repeats the document information (title, producer, dates),
//! an sRGB output intent (the profile in `assets/color/`, Zlib license beside it) for the
//! device RGB colours, and a file identifier.

use chrono::{DateTime, Datelike, Timelike, Utc};
use pdf_writer::types::OutputIntentSubtype;
use pdf_writer::{Content, Date, Filter, Finish, Name, Pdf, Rect, Ref, Settings, Str, TextStr};
use sha2::{Digest as _, Sha256};

use super::canvas::{Canvas, Op, Style, BOTTOM, MARGIN_X, MUTED, PAGE_H, PAGE_W, RULE};
use super::fonts::{self, Font};
use super::structure::{Kid, Tag};

static SRGB: &[u8] = include_bytes!("../../../assets/color/sRGB.icc");

/// The BDC tag of a marked-content sequence of an element (its role's name).
fn tag_name(tag: Tag) -> &'static [u8] {
    match tag {
        Tag::H1 => b"H1",
        Tag::H2 => b"H2",
        Tag::H3 => b"H3",
        Tag::TH => b"TH",
        Tag::TD => b"TD",
        Tag::Figure => b"Figure",
        Tag::Toci => b"TOCI",
        _ => b"P",
    }
}

/// Render every page of `c` (with the footer) to PDF bytes.
pub fn finish(c: Canvas, title: &str, created: DateTime<Utc>) -> Vec<u8> {
    let Canvas {
        pages,
        footer_left,
        mut tree,
        toc,
        ..
    } = c;
    let count = pages.len();
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
                    text: footer_left.clone(),
                    node: None,
                },
                Op::Text {
                    x: PAGE_W - MARGIN_X - fonts::width(footer.font, footer.size, &number),
                    y: BOTTOM - 30.0,
                    style: footer,
                    text: number,
                    node: None,
                },
            ]
        })
        .collect();

    // The characters each font draws: they decide the subsets and the codes.
    let mut usage = fonts::Usage::default();
    for op in pages.iter().chain(&footers).flatten() {
        if let Op::Text { style, text, .. } = op {
            usage.add(style.font, text);
        }
    }
    usage.seal();
    let used: Vec<Font> = usage.fonts().collect();

    let mut pdf = Pdf::with_settings(Settings { pretty: false });
    let catalog = Ref::new(1);
    let page_tree = Ref::new(2);
    let info = Ref::new(3);
    let struct_root = Ref::new(4);
    let metadata = Ref::new(5);
    let icc = Ref::new(6);
    let font_ref = |i: usize| Ref::new(7 + fonts::OBJECTS * i as i32);
    let first_page = 7 + fonts::OBJECTS * used.len() as i32;
    let page_ref = |i: usize| Ref::new(first_page + 2 * i as i32);
    let content_ref = |i: usize| Ref::new(first_page + 2 * i as i32 + 1);
    let first_node = first_page + 2 * count as i32;

    pdf.pages(page_tree)
        .kids((0..count).map(page_ref))
        .count(count as i32);
    let producer = concat!("Tollgate ", env!("CARGO_PKG_VERSION"));
    let date = Date::new(created.year().clamp(0, 9999) as u16)
        .month(created.month() as u8)
        .day(created.day() as u8)
        .hour(created.hour() as u8)
        .minute(created.minute() as u8)
        .second(created.second() as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0);
    pdf.document_info(info)
        .title(TextStr(title))
        .creator(TextStr(producer))
        .producer(TextStr(producer))
        .creation_date(date)
        .modified_date(date);
    for (i, font) in used.iter().enumerate() {
        usage.write(&mut pdf, *font, font_ref(i));
    }
    for (i, (ops, footer)) in pages.iter().zip(&footers).enumerate() {
        let mut page = pdf.page(page_ref(i));
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(page_tree)
            .contents(content_ref(i))
            .struct_parents(i as i32);
        let mut resources = page.resources();
        let mut dict = resources.fonts();
        for (j, font) in used.iter().enumerate() {
            dict.pair(Name(font.resource()), font_ref(j));
        }
        dict.finish();
        resources.finish();
        page.finish();

        // Each run of text of one element is a marked-content sequence with the next MCID;
        // everything else is an artifact.
        let mut content = Content::new();
        let mut open: Option<Option<usize>> = None;
        let mut mcid = 0;
        for op in ops.iter().chain(footer) {
            let node = match op {
                Op::Text { node, .. } => *node,
                _ => None,
            };
            if open != Some(node) {
                if open.is_some() {
                    content.end_marked_content();
                }
                match node {
                    Some(n) => {
                        let name = Name(tag_name(tree.nodes[n].tag));
                        content
                            .begin_marked_content_with_properties(name)
                            .properties()
                            .identify(mcid);
                        tree.nodes[n].kids.push(Kid::Content { page: i, mcid });
                        mcid += 1;
                    }
                    None => {
                        content.begin_marked_content(Name(b"Artifact"));
                    }
                }
                open = Some(node);
            }
            draw(&mut content, op, &usage);
        }
        if open.is_some() {
            content.end_marked_content();
        }
        let raw = content.finish();
        pdf.stream(content_ref(i), &fonts::deflate(raw.as_slice()))
            .filter(Filter::FlateDecode);
    }
    let pages: Vec<Ref> = (0..count).map(page_ref).collect();
    let next = tree.write(&mut pdf, struct_root, first_node, &pages);
    let outline = Ref::new(next);
    super::outline::write(&mut pdf, outline, next + 1, &toc, &pages);

    let mut cat = pdf.catalog(catalog);
    cat.pages(page_tree)
        .lang(TextStr("en"))
        .metadata(metadata)
        .outlines(outline)
        .pair(Name(b"StructTreeRoot"), struct_root);
    cat.mark_info().marked(true);
    cat.viewer_preferences().display_doc_title(true);
    cat.output_intents()
        .push()
        .subtype(OutputIntentSubtype::PDFA)
        .output_condition_identifier(TextStr("sRGB"))
        .info(TextStr("sRGB IEC61966-2.1"))
        .dest_output_profile(icc);
    cat.finish();
    pdf.icc_profile(icc, &fonts::deflate(SRGB))
        .n(3)
        .range([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
        .filter(Filter::FlateDecode);
    let xmp = xmp(title, producer, created);
    pdf.metadata(metadata, xmp.as_bytes());
    let id: Vec<u8> = Sha256::digest(format!("{title}\n{}", created.to_rfc3339()))[..16].to_vec();
    pdf.set_file_id((id.clone(), id));
    pdf.finish()
}

/// The XMP metadata packet: PDF/A-2b identification and the document information again.
fn xmp(title: &str, producer: &str, created: DateTime<Utc>) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let at = created.format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
    format!(
        r#"<?xpacket begin="{bom}" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
<dc:language><rdf:Bag><rdf:li>en</rdf:li></rdf:Bag></dc:language>
<xmp:CreatorTool>{producer}</xmp:CreatorTool>
<xmp:CreateDate>{at}</xmp:CreateDate>
<xmp:ModifyDate>{at}</xmp:ModifyDate>
<pdf:Producer>{producer}</pdf:Producer>
<pdfaid:part>2</pdfaid:part>
<pdfaid:conformance>B</pdfaid:conformance>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"#,
        bom = '\u{feff}',
        title = esc(title),
        producer = esc(producer),
    )
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
        Op::Text {
            x, y, style, text, ..
        } => {
            content.begin_text();
            content.set_fill_rgb(style.color.0, style.color.1, style.color.2);
            content.next_line(*x, *y);
            content.set_font(Name(style.font.resource()), style.size);
            content.show(Str(&usage.encode(style.font, text)));
            content.end_text();
        }
    }
}
