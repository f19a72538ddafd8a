// What ran in one environment at a moment, from the timeline's segments: the newest segment (in
// history order, `seq`) that began at or before it. The same rule as the core's
// `status --at` / `timeline --at` (crates/tollgate/src/store/point_in_time.rs), applied to the
// segments the timeline already has, so that the cursor answers while it is dragged.
import type { Segment } from '../lib/bindings/Segment';

/** The segment of `env` covering `t` (ms), or `null` when none had begun by then. */
export function segmentAt(segments: Segment[], env: string, t: number): Segment | null {
  let best: Segment | null = null;
  for (const s of segments) {
    if (s.env !== env || Date.parse(s.from) > t) continue;
    if (best === null || s.seq > best.seq) best = s;
  }
  return best;
}

/** Where the cursor may go: from the first stay's start (or the window's) up to now. */
export function clampCursor(t: number, min: number, now: number): number {
  return Math.min(Math.max(t, min), now);
}
