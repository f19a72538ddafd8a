// The label of the current stay in the timeline chart ("bbdc… since 20:46"): the stay that runs
// now is always labelled, however far out the chart is zoomed. Pure, tested in current.test.ts.
import type { Segment } from '../lib/bindings/Segment';
import { formatDay, hexOf, shortDigest } from '../lib/format';
import { clock, DAY } from './scale';

/** The least width (px) of the current stay's bar: visible and clickable at every zoom. */
export const NOW_MIN_W = 8;

/** About how wide one character of a bar's label is (12 px bold monospace). */
const CHAR_W = 7.4;

/** `20:46` when the stay began today (UTC), else `3 Dec` (with the year when not this year). */
export function sinceText(from: number, now: number): string {
  if (Math.floor(from / DAY) === Math.floor(now / DAY)) return clock(from);
  return formatDay(from, new Date(from).getUTCFullYear() !== new Date(now).getUTCFullYear());
}

/**
 * What the current stay's bar says, given the room inside it (px): the 12-digit short digest
 * when it fits, else its first 4 digits (`bbdc…`), with the version and "since …"; `inside`
 * when it fits in the bar, else it is drawn beside the bar. `width` is the text's width (px).
 */
export function nowLabel(
  seg: Segment,
  now: number,
  room: number,
): { text: string; inside: boolean; width: number } {
  const since = `since ${sinceText(Date.parse(seg.from), now)}`;
  const version = seg.version ? ` ${seg.version}` : '';
  const long = `${shortDigest(seg.digest)}${version} ${since}`;
  const short = `${hexOf(seg.digest).slice(0, 4)}…${version} ${since}`;
  const w = (t: string) => t.length * CHAR_W;
  if (w(long) <= room) return { text: long, inside: true, width: w(long) };
  return { text: short, inside: w(short) <= room, width: w(short) };
}
