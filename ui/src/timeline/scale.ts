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

/**
 * Zoom by `factor` (< 1 zooms in) around the time `at` (which stays where it is on screen).
 * With `now`: when now was in view, it stays in view (it is slid back in, 3% from the edge it
 * left by), so zooming in on the present never loses it.
 */
export function zoom(w: Window, factor: number, at: number, domain: Window, now?: number): Window {
  const start = at - (at - w.start) * factor;
  const end = at + (w.end - at) * factor;
  const z = clampWindow({ start, end }, domain);
  if (now === undefined || !inView(w, now) || inView(z, now)) return z;
  const span = z.end - z.start;
  const shifted =
    now > z.end
      ? { start: now + span * 0.03 - span, end: now + span * 0.03 }
      : { start: now - span * 0.03, end: now - span * 0.03 + span };
  return clampWindow(shifted, domain);
}

/** `t` is inside the window (its edges included). */
export function inView(w: Window, t: number): boolean {
  return t >= w.start && t <= w.end;
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

const MINUTE = 60_000;

/** A tick step: a fixed length, or a number of calendar months (starts of months). */
type Step = { ms: number } | { months: number };

const STEPS: Step[] = [
  ...[5, 10, 15, 30].map((m) => ({ ms: m * MINUTE })),
  ...[1, 3, 6, 12].map((h) => ({ ms: h * HOUR })),
  ...[1, 2, 7, 14].map((d) => ({ ms: d * DAY })),
  ...[1, 2, 3, 6, 12, 24, 60, 120].map((months) => ({ months })),
];

/** A step's shortest length (months of 28 days). */
const lengthOf = (s: Step) => ('ms' in s ? s.ms : s.months * 28 * DAY);

/** The least room a tick's label has (px): `20 Nov` and `20:45` are about 40 px at 11 px. */
export const TICK_MIN_GAP = 60;

/**
 * Ticks for a window drawn `width` px wide, about one per 90 px and never closer than
 * TICK_MIN_GAP, on round UTC times, at every zoom: from the narrowest window (an hour: every
 * 10 minutes) to decades (every few years), and at least two where they have room. A tick at
 * midnight is labelled with its day, one at New Year with its year.
 */
export function ticks(w: Window, width: number): Tick[] {
  const span = w.end - w.start;
  const wanted = Math.max(2, Math.floor(width / 90));
  const gap = (s: Step) => (lengthOf(s) / span) * width;
  let i = STEPS.findIndex((s) => span / lengthOf(s) <= wanted && gap(s) >= TICK_MIN_GAP);
  if (i < 0) i = STEPS.length - 1;
  let out = ticksOf(STEPS[i]!, w);
  // A window just under two steps wide: a finer step, as long as the labels keep their room.
  for (let j = i - 1; out.length < 2 && j >= 0 && gap(STEPS[j]!) >= TICK_MIN_GAP; j--) {
    out = ticksOf(STEPS[j]!, w);
  }
  return out;
}

function ticksOf(step: Step, w: Window): Tick[] {
  if ('months' in step) return monthTicks(w, step.months);
  const ms = step.ms;
  const out: Tick[] = [];
  for (let t = Math.ceil(w.start / ms) * ms; t <= w.end; t += ms) {
    out.push({ at: t, label: ms < DAY && t % DAY !== 0 ? clock(t) : formatDay(t) });
  }
  return out;
}

/** `20:46`, UTC. */
export function clock(t: number): string {
  const d = new Date(t);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

/** Starts of every `months`th month (a year's when `months` is 12 or more), for long windows. */
function monthTicks(w: Window, months: number): Tick[] {
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
