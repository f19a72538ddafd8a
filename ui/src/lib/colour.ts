// The colours of digests (timeline bars, swatches): 12 hues in 3 tones, each with the text
// colour that reads best on it, and a contrast check (WCAG 2) that the palette's tests use.
// Pure functions, tested on their own (colour.test.ts).

/** Hues far from each other and from the red that marks drift. */
const HUES = [30, 50, 85, 130, 165, 190, 210, 235, 260, 285, 310, 335];
/** Saturation and lightness of the three tones: dark, middle, light. */
const TONES = [
  { s: 60, l: 30 },
  { s: 60, l: 60 },
  { s: 70, l: 82 },
];

const WHITE = '#ffffff';
const INK = '#111827';

export interface DigestColour {
  fill: string;
  text: string;
}

/** Every colour of the palette, hue by hue within each tone (36). */
export const PALETTE: DigestColour[] = TONES.flatMap((t) =>
  HUES.map((h) => {
    const fill = `hsl(${h} ${t.s}% ${t.l}%)`;
    const onWhite = contrast(fill, WHITE);
    const onInk = contrast(fill, INK);
    return { fill, text: onWhite >= onInk ? WHITE : INK };
  }),
);

/** The palette index a digest prefers: all of its hex hashed (FNV-1a), so digests that merely
 * start alike do not look alike. */
export function preferredIndex(hex: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < hex.length; i++) {
    h ^= hex.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const hue = (h >>> 3) % HUES.length;
  const tone = (h >>> 9) % TONES.length;
  return tone * HUES.length + hue;
}

/**
 * Two palette colours are told apart at a glance: another tone, or hues at least two steps
 * apart on the wheel (neighbouring hues of one tone look alike on a thin bar).
 */
export function distinguishable(a: number, b: number): boolean {
  const n = HUES.length;
  if (Math.floor(a / n) !== Math.floor(b / n)) return true;
  const d = Math.abs((a % n) - (b % n));
  return Math.min(d, n - d) >= 2;
}

/**
 * A colour per digest for one chart: each digest its preferred colour, unless a stay it
 * borders (the stay before or after it in the same lane) already has a colour too close to
 * it; then the next palette colour that is far from all of them. Digests are taken in the
 * order given (oldest stay first), so the same history gives the same colours every time.
 * `lanes` holds each lane's digests in time order.
 */
export function chartColours(lanes: string[][], hexOf: (d: string) => string): Map<string, number> {
  const out = new Map<string, number>();
  const neighbours = new Map<string, Set<string>>();
  const order: string[] = [];
  for (const lane of lanes) {
    lane.forEach((d, i) => {
      if (!neighbours.has(d)) neighbours.set(d, new Set());
      for (const n of [lane[i - 1], lane[i + 1]]) if (n !== undefined && n !== d) neighbours.get(d)!.add(n);
    });
  }
  // Oldest first: the first lane's order, then what the other lanes add.
  for (const lane of lanes) for (const d of lane) if (!order.includes(d)) order.push(d);
  for (const d of order) {
    const taken = [...(neighbours.get(d) ?? [])].map((n) => out.get(n)).filter((i) => i !== undefined);
    const first = preferredIndex(hexOf(d));
    let pick = first;
    for (let k = 0; k < PALETTE.length; k++) {
      // Step by 5 hues and a tone: the next candidate is far from the last one.
      const i = (first + k * (HUES.length + 5)) % PALETTE.length;
      if (taken.every((t) => distinguishable(i, t))) {
        pick = i;
        break;
      }
    }
    out.set(d, pick);
  }
  return out;
}

/** WCAG 2 contrast ratio of two colours (`#rrggbb` or `hsl(h s% l%)`), 1 to 21. */
export function contrast(a: string, b: string): number {
  const la = luminance(rgbOf(a));
  const lb = luminance(rgbOf(b));
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

function luminance([r, g, b]: [number, number, number]): number {
  const c = (v: number) => (v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
  return 0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b);
}

/** sRGB channels 0..1 of `#rrggbb` or `hsl(h s% l%)`. */
export function rgbOf(colour: string): [number, number, number] {
  const hex = /^#([0-9a-f]{6})$/i.exec(colour);
  if (hex) {
    const n = parseInt(hex[1]!, 16);
    return [(n >> 16) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
  }
  const hsl = /^hsl\((\d+(?:\.\d+)?) (\d+(?:\.\d+)?)% (\d+(?:\.\d+)?)%\)$/.exec(colour);
  if (!hsl) throw new Error(`not a colour: ${colour}`);
  const h = Number(hsl[1]);
  const s = Number(hsl[2]) / 100;
  const l = Number(hsl[3]) / 100;
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [f(0), f(8), f(4)];
}
