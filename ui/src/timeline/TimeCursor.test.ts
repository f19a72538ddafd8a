import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backendContext } from '../lib/backend';
import { digestA, digestB, fakeBackend, row, segment, stubResizeObserver } from '../lib/testing';
import { segmentAt } from './at';
import Timeline from './Timeline.svelte';

const NOW = '2025-11-25T10:00:00Z';

beforeEach(() => {
  stubResizeObserver();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(NOW));
});
afterEach(() => vi.useRealTimers());

const history = [
  segment({
    env: 'dev',
    digest: digestA,
    from: '2025-11-20T09:00:00Z',
    until: '2025-11-24T09:00:00Z',
    seq: 1,
  }),
  segment({ env: 'dev', digest: digestB, from: '2025-11-24T09:00:00Z', via: 'record', actor: 'ci', seq: 5 }),
];

describe('segmentAt', () => {
  it('is the newest segment (by seq) that began at or before the moment', () => {
    expect(segmentAt(history, 'dev', Date.parse('2025-11-19T00:00:00Z'))).toBeNull();
    expect(segmentAt(history, 'dev', Date.parse('2025-11-24T09:00:00Z'))?.digest).toBe(digestB);
    expect(segmentAt(history, 'dev', Date.parse('2025-11-22T00:00:00Z'))?.digest).toBe(digestA);
    // A back-dated segment (newer seq, earlier start) wins from its start on, as in the core.
    const backdated = [
      ...history,
      segment({ env: 'dev', digest: digestA, from: '2025-11-21T00:00:00Z', seq: 9 }),
    ];
    expect(segmentAt(backdated, 'dev', Date.parse('2025-11-25T00:00:00Z'))?.seq).toBe(9);
    expect(segmentAt(backdated, 'staging', Date.parse('2025-11-25T00:00:00Z'))).toBeNull();
  });
});

describe('the time cursor', () => {
  it('is placed and moved with the keyboard and shows what each env ran then', async () => {
    render(Timeline, {
      props: { app: 'api' },
      context: backendContext(
        fakeBackend({
          timeline: history,
          status: [row({ app: 'api', env: 'dev' }), row({ app: 'api', env: 'staging' })],
        }),
      ),
    });
    const slider = await screen.findByRole('slider', { name: /Time cursor/ });
    expect(slider.getAttribute('aria-valuetext')).toBe('not placed');
    expect(screen.queryByTestId('at-moment')).toBeNull();
    slider.focus();
    await fireEvent.keyDown(slider, { key: 'End' });
    expect(slider.getAttribute('aria-valuetext')).toBe('2025-11-25 10:00 UTC');
    const panel = screen.getByTestId('at-moment');
    const dev = panel.querySelector<HTMLElement>('tr[data-env="dev"]')!;
    expect(dev.dataset.digest).toBe(digestB);
    expect(within(dev).getByText(/record/).textContent).toBe('record');
    expect(dev.textContent).toContain('by ci');
    expect(panel.querySelector<HTMLElement>('tr[data-env="staging"]')!.textContent).toContain('nothing yet');
    // Home: the first stay's start, where dev ran A.
    await fireEvent.keyDown(slider, { key: 'Home' });
    expect(slider.getAttribute('aria-valuetext')).toBe('2025-11-20 09:00 UTC');
    expect(panel.querySelector<HTMLElement>('tr[data-env="dev"]')!.dataset.digest).toBe(digestA);
    // Right moves it later, Left earlier.
    await fireEvent.keyDown(slider, { key: 'ArrowRight', shiftKey: true });
    const later = Number(slider.getAttribute('aria-valuenow'));
    expect(later).toBeGreaterThan(Date.parse('2025-11-20T09:00:00Z'));
    await fireEvent.keyDown(slider, { key: 'ArrowLeft' });
    expect(Number(slider.getAttribute('aria-valuenow'))).toBeLessThan(later);
    // Escape removes it.
    await fireEvent.keyDown(slider, { key: 'Escape' });
    expect(screen.queryByTestId('at-moment')).toBeNull();
  });
});
