// Small, pure display helpers: deterministic (UTC) so tests and screenshots agree everywhere.

/** The first 12 hex digits of `sha256:<hex>`: what a person compares and types to confirm. */
export function shortDigest(digest: string): string {
  const hex = digest.startsWith('sha256:') ? digest.slice('sha256:'.length) : digest;
  return hex.slice(0, 12);
}

/** `2025-11-25 08:23 UTC` from an RFC 3339 time. */
export function formatTime(rfc3339: string): string {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Items in first-seen order, without repeats (environment columns across apps). */
export function uniqueInOrder<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}
