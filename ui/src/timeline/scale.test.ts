import { describe, expect, it } from 'vitest';
import { clampWindow, DAY, domainOf, HOUR, lastSpan, pan, ticks, zoom } from './scale';

const domain = { start: Date.parse('2025-10-01T00:00:00Z'), end: Date.parse('2025-11-25T00:00:00Z') };

describe('timeline window', () => {
  it('zooms around a point that stays put, within limits', () => {
    const w = { start: domain.start, end: domain.start + 10 * DAY };
    const at = domain.start + 5 * DAY;
    const z = zoom(w, 0.5, at, domain);
    expect(z).toEqual({ start: at - 2.5 * DAY, end: at + 2.5 * DAY });
    // never narrower than an hour, never wider than the history
    expect(zoom(w, 1e-9, at, domain).end - zoom(w, 1e-9, at, domain).start).toBe(HOUR);
    expect(zoom(w, 1000, at, domain)).toEqual(domain);
  });

  it('pans by a fraction of the window and stops at the ends', () => {
    const w = { start: domain.start + DAY, end: domain.start + 11 * DAY };
    expect(pan(w, 0.5, domain).start).toBe(domain.start + 6 * DAY);
    expect(pan(w, -1, domain)).toEqual({ start: domain.start, end: domain.start + 10 * DAY });
    expect(clampWindow({ start: domain.end, end: domain.end + DAY }, domain).end).toBe(domain.end);
  });

  it('has presets that end now, and a domain with a margin around the history', () => {
    const now = domain.end - DAY;
    expect(lastSpan(10 * DAY, now, domain)).toEqual({ start: now - 9.7 * DAY, end: now + 0.3 * DAY });
    expect(lastSpan(10 * DAY, domain.end, domain)).toEqual({ start: domain.end - 10 * DAY, end: domain.end });
    const d = domainOf(domain.start, domain.end);
    expect(d.start).toBeLessThan(domain.start);
    expect(d.end).toBeGreaterThan(domain.end);
  });

  it('ticks on round UTC times that suit the zoom', () => {
    const day = ticks(
      { start: Date.parse('2025-11-20T00:00:00Z'), end: Date.parse('2025-11-21T00:00:00Z') },
      900,
    );
    expect(day.map((t) => t.label)).toEqual([
      '20 Nov',
      '03:00',
      '06:00',
      '09:00',
      '12:00',
      '15:00',
      '18:00',
      '21:00',
      '21 Nov',
    ]);
    const month = ticks(
      { start: Date.parse('2025-11-01T00:00:00Z'), end: Date.parse('2025-11-30T00:00:00Z') },
      900,
    );
    expect(month.map((t) => t.label)).toEqual(['6 Nov', '13 Nov', '20 Nov', '27 Nov']);
    expect(month.every((t) => (t.at - month[0]!.at) % (7 * DAY) === 0)).toBe(true);
    const year = ticks(
      { start: Date.parse('2025-01-15T00:00:00Z'), end: Date.parse('2026-01-15T00:00:00Z') },
      900,
    );
    expect(year.map((t) => t.label)).toContain('2026');
    expect(year.map((t) => t.label)).toEqual(['Mar', 'May', 'Jul', 'Sep', 'Nov', '2026']);
  });
});
