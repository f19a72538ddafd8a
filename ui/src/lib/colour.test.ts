import { describe, expect, it } from 'vitest';
import { chartColours, contrast, distinguishable, PALETTE, preferredIndex, rgbOf } from './colour';
import { digestColor, hexOf } from './format';

const hex = (n: number) => n.toString(16).padStart(4, '0').repeat(16);

describe('digest colours', () => {
  it('computes WCAG contrast ratios', () => {
    expect(contrast('#ffffff', '#000000')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#777777')).toBe(1);
    // #767676 on white is the classic AA boundary (4.54:1)
    expect(contrast('#767676', '#ffffff')).toBeCloseTo(4.54, 2);
    expect(rgbOf('hsl(0 100% 50%)')).toEqual([1, 0, 0]);
  });

  it('gives every colour of the palette a label colour of at least 4.5:1 (WCAG AA)', () => {
    expect(PALETTE).toHaveLength(36);
    const ratios = PALETTE.map((c) => contrast(c.fill, c.text));
    for (const [i, r] of ratios.entries())
      expect(r, `${PALETTE[i]!.fill} / ${PALETTE[i]!.text}`).toBeGreaterThanOrEqual(4.5);
    // and the colours are all different
    expect(new Set(PALETTE.map((c) => c.fill)).size).toBe(36);
  });

  it('keeps a digest its own colour everywhere', () => {
    const d = `sha256:${hex(7)}`;
    expect(digestColor(d)).toEqual(PALETTE[preferredIndex(hexOf(d))]);
  });

  it('never gives neighbouring stays in a lane colours that look alike', () => {
    // 200 digests, each lane a run of them: whatever their hashes, each neighbour differs.
    const digests = Array.from({ length: 200 }, (_, i) => `sha256:${hex(i)}`);
    const lanes = [digests.slice(0, 120), digests.slice(60, 200), digests.filter((_, i) => i % 3 === 0)];
    const colours = chartColours(lanes, hexOf);
    for (const lane of lanes)
      for (let i = 1; i < lane.length; i++)
        expect(distinguishable(colours.get(lane[i - 1]!)!, colours.get(lane[i]!)!)).toBe(true);
    // a digest keeps its preferred colour when its neighbours do not clash with it
    const alone = chartColours([[digests[0]!]], hexOf);
    expect(alone.get(digests[0]!)).toBe(preferredIndex(hexOf(digests[0]!)));
  });

  it('tells colours apart by tone or by hues two steps apart', () => {
    expect(distinguishable(0, 1)).toBe(false); // neighbouring hues, same tone
    expect(distinguishable(0, 2)).toBe(true);
    expect(distinguishable(0, 11)).toBe(false); // the wheel wraps
    expect(distinguishable(0, 12)).toBe(true); // same hue, another tone
  });
});
