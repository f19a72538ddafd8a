// The time window of the timeline chart: zoom and pan kept within the history, and axis ticks
// that suit the zoom level. Pure functions of milliseconds (UTC), tested on their own.
import { formatDay } from '../lib/format';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface Window {
  start: number;
  end: number;
}

/** The narrowest and widest windows: an hour, and the whole history with a margin. */
export const MIN_SPAN = HOUR;

/** Keep `w` at least MIN_SPAN wide, at most as wide as `domain`, and inside `domain`. */
export function clampWindow(w: Window, domain: Window): Window {
  const maxSpan = Math.max(domain.end - domain.start, MIN_SPAN);
  const span = Math.min(Math.max(w.end - w.start, MIN_SPAN), maxSpan);
  let start = w.start;
  if (start < domain.start) start = domain.start;
  if (start + span > domain.end) start = domain.end - span;
  return { start, end: start + span };
}

/** Zoom by `factor` (< 1 zooms in) around the time `at` (which stays where it is on screen). */
export function zoom(w: Window, factor: number, at: number, domain: Window): Window {
  const start = at - (at - w.start) * factor;
  const end = at + (w.end - at) * factor;
  return clampWindow({ start, end }, domain);
}

/** Move by `fraction` of the window's width (negative: back in time). */
export function pan(w: Window, fraction: number, domain: Window): Window {
  const d = (w.end - w.start) * fraction;
  return clampWindow({ start: w.start + d, end: w.end + d }, domain);
}

/** A preset (7 days, 30 days, ...): the last `span` ms up to `now`, with a little room after it. */
export function lastSpan(span: number, now: number, domain: Window): Window {
  const end = now + span * 0.03;
  return clampWindow({ start: end - span, end }, domain);
}

/** The whole history, from the first segment to now, with a little room on both sides. */
export function domainOf(firstStart: number | null, now: number): Window {
  const start = firstStart ?? now - 7 * DAY;
  const pad = Math.max((now - start) * 0.03, HOUR);
  return { start: start - pad, end: now + pad };
}

export interface Tick {
  at: number;
  label: string;
}

const STEPS = [HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY];

/** Ticks for a window drawn `width` px wide, about one per 90 px, on round UTC times. */
export function ticks(w: Window, width: number): Tick[] {
  const span = w.end - w.start;
  const wanted = Math.max(2, Math.floor(width / 90));
  const step = STEPS.find((s) => span / s <= wanted);
  if (step === undefined) return monthTicks(w, span / wanted);
  const out: Tick[] = [];
  for (let t = Math.ceil(w.start / step) * step; t <= w.end; t += step) {
    const d = new Date(t);
    const time = `${String(d.getUTCHours()).padStart(2, '0')}:00`;
    out.push({ at: t, label: step < DAY ? (d.getUTCHours() === 0 ? formatDay(t) : time) : formatDay(t) });
  }
  return out;
}

/** Month (or every 2nd, 3rd, 6th month) starts, for windows of months. */
function monthTicks(w: Window, minStep: number): Tick[] {
  const months = [1, 2, 3, 6, 12].find((m) => m * 30 * DAY >= minStep) ?? 12;
  const out: Tick[] = [];
  const d = new Date(w.start);
  let y = d.getUTCFullYear();
  let m = d.getUTCMonth() + 1;
  m = Math.ceil(m / months) * months;
  for (;;) {
    while (m >= 12) {
      m -= 12;
      y += 1;
    }
    const t = Date.UTC(y, m, 1);
    if (t > w.end) break;
    if (t >= w.start) out.push({ at: t, label: m === 0 ? String(y) : formatDay(t).replace(/^1 /, '') });
    m += months;
  }
  return out;
}
