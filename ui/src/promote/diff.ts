// Words for the release diff: set changes as +added / −removed, sizes, lists.
import type { LabelsChange } from '../lib/bindings/LabelsChange';
import type { ListChange } from '../lib/bindings/ListChange';
import type { SetChange } from '../lib/bindings/SetChange';

/** `+22/tcp −8080/tcp`, or `unchanged`. */
export function setText(c: SetChange): string {
  const parts = [...c.added.map((a) => `+${a}`), ...c.removed.map((r) => `−${r}`)];
  return parts.length ? parts.join(' ') : 'unchanged';
}

/** `+team −old ~org.opencontainers.image.revision`, or `unchanged`. */
export function labelsText(c: LabelsChange): string {
  const parts = [
    ...c.added.map((l) => `+${l.key}`),
    ...c.removed.map((l) => `−${l.key}`),
    ...c.changed.map((l) => `~${l.key}`),
  ];
  return parts.length ? parts.join(' ') : 'unchanged';
}

function list(v: string[] | null): string {
  return v === null ? '(not set)' : `[${v.join(' ')}]`;
}

/** `[/app] → [/app --debug]`, or `[/app] (unchanged)`. */
export function listText(c: ListChange): string {
  return c.changed ? `${list(c.from)} → ${list(c.to)}` : `${list(c.to)} (unchanged)`;
}

/** A signed byte count: `+1.5 KiB`, `−3.0 MiB`, `+0 B`. */
export function sizeChange(n: number): string {
  const sign = n < 0 ? '−' : '+';
  return sign + bytes(Math.abs(n));
}

export function bytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}
