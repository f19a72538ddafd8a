import { fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backendContext } from '../lib/backend';
import { digestA, fakeBackend, row, segment, stubResizeObserver } from '../lib/testing';
import Timeline from './Timeline.svelte';

beforeEach(() => {
  stubResizeObserver();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2025-11-25T10:00:00Z'));
});
afterEach(() => vi.useRealTimers());

describe('Timeline evidence', () => {
  it("names a stay's attestations in its label and lists them, a failed or unverified one marked", async () => {
    const backend = fakeBackend({
      timeline: [
        segment({
          env: 'staging',
          digest: digestA,
          from: '2025-11-01T09:00:00Z',
          seq: 1,
          version: '1.7.0',
          checks: [
            {
              check: 'load-test',
              result: 'pass',
              by: 'ci@example.com',
              at: '2025-11-02T09:00:00.000Z',
              verified: true,
            },
            {
              check: 'security-review',
              result: 'fail',
              by: 'sec@example.com',
              at: '2025-11-03T09:00:00.000Z',
              verified: true,
            },
          ],
        }),
      ],
      status: [row({ app: 'api', env: 'staging' })],
    });
    const { container } = render(Timeline, { props: { app: 'api' }, context: backendContext(backend) });
    await screen.findByRole('group', { name: /Timeline chart/ });
    const stay = container.querySelector<SVGGElement>(`g.segment[data-digest="${digestA}"]`)!;
    expect(stay.getAttribute('aria-label')).toContain('evidence: load-test pass, security-review fail');
    expect(stay.getAttribute('aria-label')).toContain('(1.7.0)');
    await fireEvent.click(stay);
    expect(container.querySelector('dd[data-version]')!.textContent).toBe('1.7.0');
    const details = container.querySelector('[data-checks]')!;
    const text = (e: Element) => (e.textContent ?? '').replace(/\s+/g, ' ');
    expect(text(details)).toContain('load-test pass by ci@example.com');
    expect(text(details.querySelector('.failed')!)).toContain('security-review fail');
  });
});
