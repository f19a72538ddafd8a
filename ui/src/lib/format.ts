// Small, pure display helpers: deterministic (UTC) so tests and screenshots agree everywhere.
import { PALETTE, preferredIndex, type DigestColour } from './colour';

/** The first 12 hex digits of `sha256:<hex>`: what a person compares and types to confirm. */
export function shortDigest(digest: string): string {
  return hexOf(digest).slice(0, 12);
}

/** The hex part of `sha256:<hex>`. */
export function hexOf(digest: string): string {
  return digest.startsWith('sha256:') ? digest.slice('sha256:'.length) : digest;
}

/** `2025-11-25 08:23 UTC` from an RFC 3339 time. */
export function formatTime(rfc3339: string): string {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * A sentence from the core (a rule's reason, "ready at 2025-11-25T08:23:00Z") with each RFC 3339
 * time in it written as `formatTime` writes it, so that a view shows one date format.
 */
export function withTimes(text: string): string {
  return text.replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g, (t) =>
    formatTime(t),
  );
}

/** `25 Nov` (or `25 Nov 2025` when `withYear`), UTC. */
export function formatDay(ms: number, withYear = false): string {
  const d = new Date(ms);
  const month = MONTHS[d.getUTCMonth()];
  return withYear ? `${d.getUTCDate()} ${month} ${d.getUTCFullYear()}` : `${d.getUTCDate()} ${month}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A length of time as people say it, two units at most: `45m`, `5h 10m`, `3d 4h`, `62d`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < MINUTE) return 'under a minute';
  const days = Math.floor(ms / DAY);
  const hours = Math.floor((ms % DAY) / HOUR);
  const minutes = Math.floor((ms % HOUR) / MINUTE);
  if (days >= 30) return `${days}d`;
  if (days > 0) return hours > 0 ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  return `${minutes}m`;
}

/** How long ago `rfc3339` was, from `now` (ms): `5m ago`, `3d 4h ago`, `just now`. */
export function formatAgo(rfc3339: string, now: number): string {
  const t = Date.parse(rfc3339);
  if (Number.isNaN(t)) return rfc3339;
  const ms = now - t;
  return ms < MINUTE ? 'just now' : `${formatDuration(ms)} ago`;
}

/** Soak: how long a digest has been where it is, from `since` to `now` (ms). */
export function soak(since: string, now: number): string {
  const t = Date.parse(since);
  return Number.isNaN(t) ? since : formatDuration(now - t);
}

/** Items in first-seen order, without repeats (environment columns across apps). */
export function uniqueInOrder<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}

/**
 * The colour of a digest, derived from its hex alone, so that the same digest has the same
 * colour in every lane, view and session (see ./colour: 36 colours, each with a text colour of
 * WCAG AA contrast). Bars also print their short digest, so two digests that do share a colour
 * are still told apart; the timeline chart moves a digest off a colour its neighbour has
 * (`chartColours`).
 */
export function digestColor(digest: string): DigestColour {
  return PALETTE[preferredIndex(hexOf(digest))]!;
}
