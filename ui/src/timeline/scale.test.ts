import { describe, expect, it } from 'vitest';
import {
  clampWindow,
  DAY,
  domainOf,
  HOUR,
  inView,
  lastSpan,
  MIN_SPAN,
  pan,
  TICK_MIN_GAP,
  ticks,
  zoom,
} from './scale';

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

  it('has readable ticks at every zoom: at least two, never crowded, neighbours distinct', () => {
    const end = Date.parse('2026-12-07T20:46:00Z');
    const spans = [
      MIN_SPAN,
      3 * HOUR,
      6 * HOUR,
      DAY,
      3 * DAY,
      7 * DAY,
      30 * DAY,
      90 * DAY,
      365 * DAY,
      3 * 365 * DAY,
      20 * 365 * DAY,
    ];
    for (const width of [320, 900, 1600]) {
      for (const span of spans) {
        const w = { start: end - span, end };
        const t = ticks(w, width);
        const where = `${span / HOUR}h at ${width}px: ${t.map((x) => x.label).join(' ')}`;
        expect(t.length, where).toBeGreaterThanOrEqual(2);
        expect(
          t.every((x) => x.label.length > 0 && inView(w, x.at)),
          where,
        ).toBe(true);
        for (let i = 1; i < t.length; i++) {
          expect(((t[i]!.at - t[i - 1]!.at) / span) * width, where).toBeGreaterThanOrEqual(TICK_MIN_GAP);
        }
        // neighbouring labels differ (times repeat across days, each day is marked)
        expect(
          t.every((x, k) => k === 0 || x.label !== t[k - 1]!.label),
          where,
        ).toBe(true);
      }
    }
  });

  it('labels minutes when zoomed in to the hour', () => {
    const w = { start: Date.parse('2026-12-07T20:00:00Z'), end: Date.parse('2026-12-07T21:00:00Z') };
    expect(ticks(w, 900).map((t) => t.label)).toEqual([
      '20:00',
      '20:10',
      '20:20',
      '20:30',
      '20:40',
      '20:50',
      '21:00',
    ]);
    const midnight = { start: Date.parse('2026-12-07T23:30:00Z'), end: Date.parse('2026-12-08T00:30:00Z') };
    expect(ticks(midnight, 900).map((t) => t.label)).toContain('8 Dec');
  });

  it('keeps now in view when zooming, when it was in view', () => {
    const now = domain.end - 2 * HOUR;
    const w = lastSpan(30 * DAY, now, domain);
    expect(inView(w, now)).toBe(true);
    // zooming in around the middle would lose now: it is slid back in
    let z = w;
    for (let i = 0; i < 12; i++) {
      z = zoom(z, 0.5, (z.start + z.end) / 2, domain, now);
      expect(inView(z, now), `step ${i}`).toBe(true);
    }
    expect(z.end - z.start).toBe(MIN_SPAN);
    // wheel-zooming at the left edge keeps it too
    expect(inView(zoom(w, 0.1, w.start, domain, now), now)).toBe(true);
    // when now was not in view, zoom stays where it was asked to
    const past = { start: domain.start, end: domain.start + 10 * DAY };
    expect(zoom(past, 0.5, past.start + 5 * DAY, domain, now)).toEqual(
      zoom(past, 0.5, past.start + 5 * DAY, domain),
    );
    expect(inView(zoom(past, 0.5, past.start + 5 * DAY, domain, now), now)).toBe(false);
  });
});
