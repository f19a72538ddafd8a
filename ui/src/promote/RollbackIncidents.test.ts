import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { backendContext, type Backend as BaseBackend } from '../lib/backend';
import { digestA, digestB, laneSegment, promoteBackend } from '../lib/testing';
import { incidentsIn } from './rollback';
import RollbackView from './RollbackView.svelte';

const digestC = `sha256:${'c0ffee'.repeat(10)}c0ff`;
const mark = (id: string) => ({
  id,
  summary: 'errors',
  by: 'oncall-bot',
  opened_at: '2026-10-03T00:00:00.000Z',
  closed_at: '2026-10-03T06:00:00.000Z',
  resolution: 'fixed',
});

// staging ran C (with INC-9 in its first stay), then B (no incident), then C again, then A (now).
const timeline = [
  {
    ...laneSegment('staging', digestC, '2026-10-02T00:00:00Z', '2026-10-05T00:00:00Z', 2),
    incidents: [mark('INC-9')],
  },
  { ...laneSegment('staging', digestB, '2026-10-05T00:00:00Z', '2026-10-08T00:00:00Z', 3), version: '1.4.2' },
  laneSegment('staging', digestC, '2026-10-08T00:00:00Z', '2026-10-10T00:00:00Z', 4),
  laneSegment('staging', digestA, '2026-10-10T00:00:00Z', null, 5),
];

describe('the rollback choice and incidents', () => {
  it('counts the incidents of every stay of the digest in that environment', () => {
    expect(incidentsIn(timeline, 'staging', digestC)).toEqual(['INC-9']);
    expect(incidentsIn(timeline, 'staging', digestB)).toEqual([]);
    expect(incidentsIn(timeline, 'dev', digestC)).toEqual([]);
  });

  it('says how long each earlier digest ran and whether it had incidents', async () => {
    const backend = promoteBackend({ timeline: async () => timeline });
    const { container } = render(RollbackView, {
      props: { app: 'api', env: 'staging' },
      context: backendContext(backend as BaseBackend),
    });
    await screen.findAllByRole('radio');
    const ran = (d: string) => container.querySelector(`[data-digest="${d}"] .ran`)!;
    expect(ran(digestC).textContent).toMatch(/ran 2d\b.*had INC-9/s);
    expect(ran(digestC).getAttribute('data-incidents')).toBe('INC-9');
    expect(ran(digestB).textContent).toMatch(/ran 3d\b.*no incidents/s);
    // Versions before hex: the version beside the short digest where the image has one.
    expect(container.querySelector(`[data-digest="${digestB}"] [data-version]`)!.textContent).toBe('1.4.2');
    expect(container.querySelector(`[data-digest="${digestC}"] [data-version]`)).toBeNull();
  });
});
