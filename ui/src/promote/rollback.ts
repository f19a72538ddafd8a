// Which digests an environment can roll back to: the ones it ran before, per its timeline.
import type { Segment } from '../lib/bindings/Segment';

export type RollbackChoice = {
  /** The segment running now (`until` is null), if any. */
  current: Segment | null;
  /** Earlier digests of the environment, newest stay first, one entry per digest, never the current one. */
  earlier: Segment[];
};

export function earlierDigests(segments: Segment[], env: string): RollbackChoice {
  const mine = segments.filter((s) => s.env === env);
  const current = mine.find((s) => s.until === null) ?? null;
  const seen = new Set<string>(current ? [current.digest] : []);
  const earlier: Segment[] = [];
  for (const s of [...mine].reverse()) {
    if (s === current || seen.has(s.digest)) continue;
    seen.add(s.digest);
    earlier.push(s);
  }
  return { current, earlier };
}

/** The ids of the incidents opened on `digest` in `env` during any of its stays there. */
export function incidentsIn(segments: Segment[], env: string, digest: string): string[] {
  return segments
    .filter((s) => s.env === env && s.digest === digest)
    .flatMap((s) => (s.incidents ?? []).map((i) => i.id));
}
