import { fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backendContext } from '../lib/backend';
import { digestA, digestB, fakeBackend, row, segment, stubResizeObserver } from '../lib/testing';
import Timeline from './Timeline.svelte';

beforeEach(() => {
  stubResizeObserver();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2025-11-25T10:00:00Z'));
});
afterEach(() => vi.useRealTimers());

const incident = (id: string, closed: string | null) => ({
  id,
  summary: '5xx spike',
  by: 'oncall-bot',
  opened_at: '2025-11-05T09:00:00.000Z',
  closed_at: closed,
  resolution: closed ? 'rolled back the flag' : null,
});

describe('Timeline incident marks', () => {
  it('marks a stay that had incidents, open or closed, and lists them in its details', async () => {
    const backend = fakeBackend({
      timeline: [
        segment({
          env: 'staging',
          digest: digestA,
          from: '2025-11-01T09:00:00Z',
          until: '2025-11-10T09:00:00Z',
          seq: 1,
          incidents: [incident('INC-1', '2025-11-06T09:00:00.000Z')],
        }),
        segment({
          env: 'staging',
          digest: digestB,
          from: '2025-11-10T09:00:00Z',
          seq: 2,
          incidents: [incident('INC-2', null)],
        }),
      ],
      status: [row({ app: 'api', env: 'staging' })],
    });
    const { container } = render(Timeline, { props: { app: 'api' }, context: backendContext(backend) });
    await screen.findByRole('group', { name: /Timeline chart/ });
    const marks = [...container.querySelectorAll<SVGPathElement>('path.incident-mark')];
    expect(marks.map((m) => [m.dataset.incident, m.classList.contains('closed')])).toEqual([
      ['INC-1', true],
      ['INC-2', false],
    ]);
    const current = container.querySelector<SVGGElement>(`g.segment[data-digest="${digestB}"]`)!;
    expect(current.getAttribute('aria-label')).toContain('incidents: INC-2 (open)');
    await fireEvent.click(current);
    const details = container.querySelector('[data-incidents]')!;
    expect(details.textContent).toContain('INC-2: 5xx spike (open)');
  });
});
