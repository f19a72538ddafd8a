// The label of the current stay in the timeline chart ("bbdc… since 20:46"): the stay that runs
// now is always labelled, however far out the chart is zoomed. Pure, tested in current.test.ts.
import type { Segment } from '../lib/bindings/Segment';
import { formatDay, hexOf, shortDigest } from '../lib/format';
import { clock, DAY } from './scale';

/** The least width (px) of the current stay's bar: visible and clickable at every zoom. */
export const NOW_MIN_W = 8;

/** About how wide one character of a bar's label is (12 px bold monospace). */
export const CHAR_W = 7.25;

/** `20:46` when the stay began today (UTC), else `3 Dec` (with the year when not this year). */
export function sinceText(from: number, now: number): string {
  if (Math.floor(from / DAY) === Math.floor(now / DAY)) return clock(from);
  return formatDay(from, new Date(from).getUTCFullYear() !== new Date(now).getUTCFullYear());
}

/**
 * What the current stay's bar says, given the room inside it (px): the 12-digit short digest,
 * the version and "since …" when they fit; else its first 4 digits (`bbdc…`), with the version
 * if that fits, else without. `inside` when one of those fits in the bar; else the bar is too
 * thin and the label (with the version) is drawn beside it. `width` is the text's width (px).
 */
export function nowLabel(
  seg: Segment,
  now: number,
  room: number,
): { text: string; inside: boolean; width: number } {
  const since = `since ${sinceText(Date.parse(seg.from), now)}`;
  const version = seg.version ? ` ${seg.version}` : '';
  const head = `${hexOf(seg.digest).slice(0, 4)}…`;
  const forms = [
    `${shortDigest(seg.digest)}${version} ${since}`,
    `${head}${version} ${since}`,
    `${head} ${since}`,
  ];
  const fits = forms.find((t) => textWidth(t) <= room);
  const text = fits ?? forms[1]!;
  return { text, inside: fits !== undefined, width: textWidth(text) };
}

/** About how wide a bar's label is (px). */
export function textWidth(text: string): number {
  return text.length * CHAR_W;
}

/** A past stay's label: its short digest, and its version when the bar has room for both. */
export function stayLabel(seg: Segment, room: number): string | null {
  const short = shortDigest(seg.digest);
  const withVersion = seg.version ? `${short} ${seg.version}` : short;
  if (textWidth(withVersion) <= room) return withVersion;
  return textWidth(short) <= room ? short : null;
}
