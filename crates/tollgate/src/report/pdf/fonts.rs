//! The PDF's fonts: four of the standard 14 that every PDF reader has (Helvetica,
//! Helvetica-Bold, Courier for digests and hashes, Symbol for the arrow), so nothing is embedded.
//! Text is encoded in WinAnsiEncoding (Latin-1 and a few typographic marks); a character outside
//! it is shown as `?` (the JSON and CSV reports carry every character exactly).
//!
//! Widths are the fonts' published metrics (Adobe's AFM files), in 1/1000 of the font size,
//! used to wrap text; accented letters take their base letter's width.

/// A font of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Font {
    Regular,
    Bold,
    Mono,
    Symbol,
}

pub const ALL: [Font; 4] = [Font::Regular, Font::Bold, Font::Mono, Font::Symbol];

impl Font {
    /// The name of the font in each page's resources.
    pub fn resource(self) -> &'static [u8] {
        match self {
            Font::Regular => b"F1",
            Font::Bold => b"F2",
            Font::Mono => b"F3",
            Font::Symbol => b"F4",
        }
    }

    pub fn base_font(self) -> &'static [u8] {
        match self {
            Font::Regular => b"Helvetica",
            Font::Bold => b"Helvetica-Bold",
            Font::Mono => b"Courier",
            Font::Symbol => b"Symbol",
        }
    }
}

/// Helvetica, characters 32 to 126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
    278, // space to /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0 to 9
    278, 278, 584, 584, 584, 556, 1015, // : to @
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, // A to M
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // N to Z
    278, 278, 278, 469, 556, 333, // [ to `
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, // a to m
    556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // n to z
    334, 260, 334, 584, // { to ~
];

/// Helvetica-Bold, characters 32 to 126.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278,
    278, // space to /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0 to 9
    333, 333, 584, 584, 584, 611, 975, // : to @
    722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, // A to M
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // N to Z
    333, 278, 333, 584, 556, 333, // [ to `
    556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, // a to m
    611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, // n to z
    389, 280, 389, 584, // { to ~
];

/// The WinAnsiEncoding byte of `c`, if it has one.
pub fn win_ansi(c: char) -> Option<u8> {
    let code = c as u32;
    match code {
        0x20..=0x7e | 0xa0..=0xff => Some(code as u8),
        _ => Some(match c {
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '™' => 0x99,
            _ => return None,
        }),
    }
}

/// The letter whose width an accented Latin-1 letter takes.
fn base_letter(c: char) -> char {
    match c {
        'À'..='Å' => 'A',
        'Ç' => 'C',
        'È'..='Ë' => 'E',
        'Ì'..='Ï' => 'I',
        'Ð' => 'D',
        'Ñ' => 'N',
        'Ò'..='Ö' | 'Ø' => 'O',
        'Ù'..='Ü' => 'U',
        'Ý' => 'Y',
        'Þ' => 'P',
        'à'..='å' => 'a',
        'ç' => 'c',
        'è'..='ë' => 'e',
        'ì'..='ï' => 't', // dotless i with an accent: 278, the width of t
        'ð' | 'þ' => 'o',
        'ñ' => 'n',
        'ò'..='ö' | 'ø' => 'o',
        'ù'..='ü' => 'u',
        'ý' | 'ÿ' => 'y',
        _ => c,
    }
}

/// How `c` is drawn: the font that draws it and the byte, in `font` (or in Symbol for `→`).
pub fn glyph(font: Font, c: char) -> (Font, u8) {
    if c == '→' {
        return (Font::Symbol, 0xae);
    }
    match win_ansi(c) {
        Some(b) => (font, b),
        None => (font, b'?'),
    }
}

/// Width of `c` in `font`, in 1/1000 of the size.
pub fn char_width(font: Font, c: char) -> u16 {
    let (font, byte) = glyph(font, c);
    let table = match font {
        Font::Mono => return 600,
        Font::Symbol => return 987,
        Font::Regular => &HELVETICA,
        Font::Bold => &HELVETICA_BOLD,
    };
    let c = base_letter(c);
    match c as u32 {
        0x20..=0x7e => table[(c as u32 - 0x20) as usize],
        _ => match (byte, font) {
            (0xa0, _) => 278,
            (0x85 | 0x97 | 0xc6, _) => 1000,
            (0xe6, _) => 889,
            (0xdf, _) => 611,
            (0x95, _) => 350,
            (0x91 | 0x92, Font::Bold) => 278,
            (0x91 | 0x92, _) => 222,
            (0x93 | 0x94, Font::Bold) => 500,
            (0x93 | 0x94, _) => 333,
            (0xb7, _) => 278,
            _ => 556,
        },
    }
}

/// Width of `text` in points at `size`.
pub fn width(font: Font, size: f32, text: &str) -> f32 {
    let units: u32 = text.chars().map(|c| u32::from(char_width(font, c))).sum();
    units as f32 * size / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_metrics() {
        assert_eq!(width(Font::Mono, 10.0, "sha256:"), 42.0);
        assert!((width(Font::Regular, 10.0, "Tollgate") - 35.57).abs() < 0.01);
        assert_eq!(
            char_width(Font::Regular, 'é'),
            char_width(Font::Regular, 'e')
        );
        assert_eq!(glyph(Font::Regular, '→'), (Font::Symbol, 0xae));
        assert_eq!(glyph(Font::Regular, '李'), (Font::Regular, b'?'));
    }
}
