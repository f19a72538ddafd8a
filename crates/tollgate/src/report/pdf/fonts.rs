//! The PDF's fonts: DejaVu Sans, DejaVu Sans Bold and DejaVu Sans Mono (for digests, hashes and
//! key fingerprints), built into the program from `assets/fonts/` (Bitstream Vera license, in
//! `assets/fonts/LICENSE-DejaVu.txt`), so a report looks the same whichever machine wrote it.
//! They cover Latin with its extensions, Greek, Cyrillic, the arrow `→` and typographic marks.
//!
//! Each font is embedded as a subset holding only the glyphs the report draws (`subsetter`), as a
//! Type 0 / CIDFontType2 font: every character the report uses gets its own code (CID), and the
//! font's `ToUnicode` map gives each code its character, so text copied or extracted from the PDF
//! (`pdftotext`) is exactly the report's text. Widths for wrapping are the fonts' own advances
//! (`ttf-parser`), the same that the PDF's width arrays give the reader.
//!
//! A character a font does not have (CJK, for example), a control character, or one of a
//! right-to-left script (which would need reordering and joining that the report does not do)
//! is drawn as the font's missing-glyph box; it is never replaced silently: the report lists such
//! characters on its page one ([`missing`]), and its text layer still carries them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str};
use sha2::{Digest as _, Sha256};
use ttf_parser::{Face, GlyphId};

/// A font of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Font {
    Regular,
    Bold,
    Mono,
}

pub const ALL: [Font; 3] = [Font::Regular, Font::Bold, Font::Mono];

static REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");
static MONO: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSansMono.ttf");

impl Font {
    /// The name of the font in each page's resources.
    pub fn resource(self) -> &'static [u8] {
        match self {
            Font::Regular => b"F1",
            Font::Bold => b"F2",
            Font::Mono => b"F3",
        }
    }

    /// The font's PostScript name.
    pub fn base_font(self) -> &'static str {
        match self {
            Font::Regular => "DejaVuSans",
            Font::Bold => "DejaVuSans-Bold",
            Font::Mono => "DejaVuSansMono",
        }
    }

    /// The TrueType file.
    fn data(self) -> &'static [u8] {
        match self {
            Font::Regular => REGULAR,
            Font::Bold => BOLD,
            Font::Mono => MONO,
        }
    }

    fn metrics(self) -> &'static Metrics {
        static METRICS: OnceLock<[Metrics; 3]> = OnceLock::new();
        let all = METRICS.get_or_init(|| ALL.map(Metrics::new));
        &all[self as usize]
    }
}

/// Characters below this have their glyph and advance looked up once, in a table.
const TABLE: usize = 0x500;

/// A parsed font, with a quick table for the common characters.
struct Metrics {
    face: Face<'static>,
    /// 1000 / units per em: font units to 1/1000 of the size.
    scale: f32,
    /// Glyph and advance (font units) of the characters below [`TABLE`]; glyph 0 if missing.
    table: Vec<(u16, u16)>,
}

impl Metrics {
    fn new(font: Font) -> Metrics {
        let face = Face::parse(font.data(), 0).expect("the built-in font parses");
        let scale = 1000.0 / f32::from(face.units_per_em());
        let mut m = Metrics {
            face,
            scale,
            table: Vec::new(),
        };
        m.table = (0..TABLE as u32)
            .map(|code| {
                let gid = char::from_u32(code).map_or(0, |c| m.lookup(c));
                (gid, m.advance(gid))
            })
            .collect();
        m
    }

    /// The glyph of `c`, or 0 (the missing-glyph box) if it is not drawn.
    fn lookup(&self, c: char) -> u16 {
        if !drawable_script(c) {
            return 0;
        }
        self.face.glyph_index(c).map_or(0, |g| g.0)
    }

    fn glyph(&self, c: char) -> u16 {
        match self.table.get(c as usize) {
            Some(&(gid, _)) => gid,
            None => self.lookup(c),
        }
    }

    fn advance(&self, gid: u16) -> u16 {
        self.face.glyph_hor_advance(GlyphId(gid)).unwrap_or(0)
    }
}

/// Whether the report can draw `c` at all, given a glyph: not a control character and not a
/// right-to-left script (Hebrew, Arabic, Syriac, Thaana, N'Ko and others, whose letters would be
/// shown in the wrong order and unjoined).
fn drawable_script(c: char) -> bool {
    !c.is_control()
        && !matches!(
            c as u32,
            0x0590..=0x08ff | 0xfb1d..=0xfdff | 0xfe70..=0xfeff | 0x10800..=0x10fff | 0x1e800..=0x1efff
        )
}

/// The glyph that draws `c` in `font`, or `None` if the font cannot draw it (it is then shown as
/// the missing-glyph box).
pub fn glyph(font: Font, c: char) -> Option<u16> {
    match font.metrics().glyph(c) {
        0 => None,
        gid => Some(gid),
    }
}

/// Width of `c` in `font`, in 1/1000 of the size (the box's width for a character not drawn).
pub fn char_width(font: Font, c: char) -> f32 {
    let m = font.metrics();
    let advance = match m.table.get(c as usize) {
        Some(&(_, advance)) => advance,
        None => m.advance(m.lookup(c)),
    };
    f32::from(advance) * m.scale
}

/// Width of `text` in points at `size`.
pub fn width(font: Font, size: f32, text: &str) -> f32 {
    let units: f32 = text.chars().map(|c| char_width(font, c)).sum();
    units * size / 1000.0
}

/// The characters of `chars`, in the font each is drawn in, that cannot be drawn.
pub fn missing<'a>(chars: impl IntoIterator<Item = (Font, &'a str)>) -> BTreeSet<char> {
    let mut out = BTreeSet::new();
    for (font, text) in chars {
        out.extend(text.chars().filter(|&c| glyph(font, c).is_none()));
    }
    out
}

/// The characters a document draws in each font, and the codes (CIDs) they are shown with: each
/// character its own two-byte code, in character order. The codes are made of printable ASCII
/// bytes (from `0x2020`), so that the page contents hold two bytes per character, unescaped.
#[derive(Debug, Default)]
pub struct Usage {
    fonts: BTreeMap<Font, Codes>,
}

/// The characters of one font and their codes.
#[derive(Debug)]
struct Codes {
    /// For the characters below [`TABLE`]: used, then (once sealed) the code, or 0.
    low: Vec<u16>,
    high: BTreeMap<char, u16>,
}

/// The code of the `i`th character of a font: two printable ASCII bytes while there are enough
/// (9,025 characters), then from `0x8000`.
fn code(i: usize) -> u16 {
    const PRINTABLE: usize = 95;
    if i < PRINTABLE * PRINTABLE {
        (((0x20 + i / PRINTABLE) << 8) | (0x20 + i % PRINTABLE)) as u16
    } else {
        (0x8000 + i).min(0xffff) as u16
    }
}

impl Usage {
    pub fn add(&mut self, font: Font, text: &str) {
        let codes = self.fonts.entry(font).or_insert_with(|| Codes {
            low: vec![0; TABLE],
            high: BTreeMap::new(),
        });
        for c in text.chars() {
            match codes.low.get_mut(c as usize) {
                Some(used) => *used = 1,
                None => {
                    codes.high.insert(c, 1);
                }
            }
        }
    }

    /// Number the characters; call once every text has been added.
    pub fn seal(&mut self) {
        for codes in self.fonts.values_mut() {
            let mut next = 0;
            let mut number = |slot: &mut u16| {
                *slot = code(next);
                next += 1;
            };
            codes
                .low
                .iter_mut()
                .filter(|u| **u != 0)
                .for_each(&mut number);
            codes.high.values_mut().for_each(number);
        }
    }

    /// The fonts used, in order.
    pub fn fonts(&self) -> impl Iterator<Item = Font> + '_ {
        self.fonts.keys().copied()
    }

    /// The characters of `font` and their codes, in order.
    fn codes(&self, font: Font) -> impl Iterator<Item = (char, u16)> + '_ {
        let codes = &self.fonts[&font];
        let low = (0u32..).zip(&codes.low).filter(|(_, code)| **code != 0);
        low.filter_map(|(c, code)| Some((char::from_u32(c)?, *code)))
            .chain(codes.high.iter().map(|(c, code)| (*c, *code)))
    }

    /// `text` in `font` as the bytes of a PDF string (big-endian codes).
    pub fn encode(&self, font: Font, text: &str) -> Vec<u8> {
        let codes = &self.fonts[&font];
        let mut out = Vec::with_capacity(2 * text.len());
        for c in text.chars() {
            let code = match codes.low.get(c as usize) {
                Some(code) => *code,
                None => codes.high.get(&c).copied().unwrap_or(0),
            };
            out.extend(code.to_be_bytes());
        }
        out
    }

    /// Write `font` with the characters it draws: six objects, from `first`.
    pub fn write(&self, pdf: &mut Pdf, font: Font, first: Ref) {
        let [type0, cid_ref, descriptor, file, to_unicode, cid_to_gid] =
            std::array::from_fn(|i| Ref::new(first.get() + i as i32));
        let codes: Vec<(char, u16)> = self.codes(font).collect();
        let m = font.metrics();

        // The subset: the glyphs drawn, numbered in character order.
        let mut remapper = subsetter::GlyphRemapper::new();
        // A character the font cannot draw is shown as the box `□` (never the font's missing
        // glyph, which PDF/A forbids showing); its code still stands for the character.
        let boxed = m.glyph('\u{25a1}');
        let glyphs: Vec<u16> = codes
            .iter()
            .map(|&(c, _)| match m.glyph(c) {
                0 => boxed,
                g => g,
            })
            .collect();
        for &g in &glyphs {
            remapper.remap(g);
        }
        let (program, new_gid): (Vec<u8>, Vec<u16>) =
            match subsetter::subset(font.data(), 0, &remapper) {
                Ok(program) => {
                    let new = glyphs.iter().map(|&g| remapper.get(g).unwrap_or(0));
                    (program, new.collect())
                }
                // Never seen with these fonts; the whole font is then embedded instead.
                Err(_) => (font.data().to_vec(), glyphs.clone()),
            };

        // A subset's name starts with six capital letters naming the subset.
        let tag: String = Sha256::digest(&program)
            .iter()
            .take(6)
            .map(|b| char::from(b'A' + b % 26))
            .collect();
        let name = format!("{tag}+{}", font.base_font());
        let name = Name(name.as_bytes());
        let system_info = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };

        pdf.type0_font(type0)
            .base_font(name)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid_ref)
            .to_unicode(to_unicode);

        let mut cid = pdf.cid_font(cid_ref);
        cid.subtype(CidFontType::Type2)
            .base_font(name)
            .system_info(system_info)
            .font_descriptor(descriptor)
            .default_width(f32::from(m.advance(0)) * m.scale)
            .cid_to_gid_map_stream(cid_to_gid);
        // Widths, in runs of consecutive codes.
        let mut widths = cid.widths();
        let mut rest = &codes[..];
        let mut glyphs_rest = &glyphs[..];
        while let Some(&(_, first)) = rest.first() {
            let run = rest
                .iter()
                .zip(first..)
                .take_while(|((_, code), want)| code == want)
                .count();
            let advances = glyphs_rest[..run].iter();
            widths.consecutive(first, advances.map(|&g| f32::from(m.advance(g)) * m.scale));
            rest = &rest[run..];
            glyphs_rest = &glyphs_rest[run..];
        }
        widths.finish();
        cid.finish();

        let face = &m.face;
        let s = |v: i16| f32::from(v) * m.scale;
        let bbox = face.global_bounding_box();
        let mut flags = FontFlags::SYMBOLIC;
        if font == Font::Mono {
            flags |= FontFlags::FIXED_PITCH;
        }
        let stem_v = 10.0 + 0.244 * (f32::from(face.weight().to_number()) - 50.0);
        pdf.font_descriptor(descriptor)
            .name(name)
            .flags(flags)
            .bbox(Rect::new(
                s(bbox.x_min),
                s(bbox.y_min),
                s(bbox.x_max),
                s(bbox.y_max),
            ))
            .italic_angle(face.italic_angle())
            .ascent(s(face.ascender()))
            .descent(s(face.descender()))
            .cap_height(s(face.capital_height().unwrap_or(face.ascender())))
            .stem_v(stem_v)
            .font_file2(file);

        pdf.stream(file, &deflate(&program))
            .filter(Filter::FlateDecode)
            .pair(Name(b"Length1"), program.len() as i32);

        // Code to glyph: 0 for the missing glyph and the characters the font cannot draw.
        let last = codes.last().map_or(0, |&(_, code)| usize::from(code));
        let mut map = vec![0u8; 2 * (last + 1)];
        for (&(_, code), gid) in codes.iter().zip(&new_gid) {
            let at = 2 * usize::from(code);
            map[at..at + 2].copy_from_slice(&gid.to_be_bytes());
        }
        pdf.stream(cid_to_gid, &deflate(&map))
            .filter(Filter::FlateDecode);

        // Code to character, for every code: also for a character drawn as the box, so that
        // copied text is still exact.
        let mut cmap = UnicodeCmap::new(Name(b"Custom"), system_info);
        for &(c, code) in &codes {
            cmap.pair(code, c);
        }
        let cmap = cmap.finish();
        pdf.cmap(to_unicode, &deflate(&cmap))
            .name(Name(b"Custom"))
            .system_info(system_info)
            .writing_mode(pdf_writer::writers::WMode::Horizontal)
            .filter(Filter::FlateDecode);
    }
}

/// Objects each font takes in the PDF.
pub const OBJECTS: i32 = 6;

pub fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_the_fonts_advances() {
        // DejaVu Sans Mono: 1233 of 2048 units per em for every character.
        let mono = 1233.0 / 2048.0 * 1000.0;
        assert!((char_width(Font::Mono, 'a') - mono).abs() < 0.01);
        assert!((width(Font::Mono, 10.0, "sha256:") - 7.0 * mono / 100.0).abs() < 0.01);
        // DejaVu Sans: `T` 1251, `o` 1253, `l` 569 units.
        let t = 1251.0 / 2048.0 * 1000.0;
        assert!((char_width(Font::Regular, 'T') - t).abs() < 0.01);
        assert!(char_width(Font::Bold, 'l') > char_width(Font::Regular, 'l'));
        // Wider letters are wider: no base-letter approximation.
        assert!(char_width(Font::Regular, 'W') > char_width(Font::Regular, 'i'));
        assert!(char_width(Font::Regular, 'Ж') > char_width(Font::Regular, 'г'));
        // A character beyond the quick table is measured too.
        assert!(char_width(Font::Regular, '→') > 500.0);
    }

    #[test]
    fn latin_greek_cyrillic_and_the_arrow_are_drawn_cjk_is_not() {
        for c in "Zoë Ærø Ελένη Ярослав → · … – “”ŁőřŠ".chars() {
            assert!(glyph(Font::Regular, c).is_some(), "{c}");
            assert!(glyph(Font::Bold, c).is_some(), "{c}");
        }
        for c in "sha256:0123456789abcdef".chars() {
            assert!(glyph(Font::Mono, c).is_some(), "{c}");
        }
        assert_eq!(glyph(Font::Regular, '李'), None);
        assert_eq!(
            glyph(Font::Regular, 'ש'),
            None,
            "right-to-left is not drawn"
        );
        assert_eq!(glyph(Font::Regular, '\t'), None);
        assert!(glyph(Font::Regular, '□').is_some());
        assert_eq!(
            missing([(Font::Regular, "Zoë 李"), (Font::Mono, "ab李c")]),
            BTreeSet::from(['李'])
        );
        // The box has a width: text after it does not overlap it.
        assert!(char_width(Font::Regular, '李') > 0.0);
    }

    #[test]
    fn each_character_has_its_own_code() {
        let mut usage = Usage::default();
        usage.add(Font::Regular, "ba→李");
        usage.add(Font::Mono, "0");
        usage.seal();
        assert_eq!(
            usage.fonts().collect::<Vec<_>>(),
            [Font::Regular, Font::Mono]
        );
        // Codes in character order, two printable bytes each: a `  `, b ` !`, → ` "`, 李 ` #`.
        assert_eq!(usage.encode(Font::Regular, "ab→李"), b"   ! \" #");
        assert_eq!(usage.encode(Font::Mono, "0"), b"  ");
        assert_eq!(code(94), 0x207e);
        assert_eq!(code(95), 0x2120);
        assert_eq!(code(95 * 95), 0x8000 + 95 * 95);
    }
}
