import { fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backendContext } from '../lib/backend';
import { digestA, fakeBackend, row, segment, stubResizeObserver } from '../lib/testing';
import { nowLabel, NOW_MIN_W, sinceText, stayLabel } from './current';
import Timeline from './Timeline.svelte';

const NOW = '2026-12-07T21:00:00Z';
const bbdc = `sha256:bbdc${'0123456789ab'.repeat(5)}0000`;

beforeEach(() => {
  stubResizeObserver();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(NOW));
});
afterEach(() => vi.useRealTimers());

// 60 days of digestA in production, then bbdc since 20:46 today (14 minutes: a sliver at most zooms).
const history = [
  segment({
    env: 'production',
    digest: digestA,
    from: '2026-10-08T09:00:00Z',
    until: '2026-12-07T20:46:00Z',
    seq: 1,
  }),
  segment({ env: 'production', digest: bbdc, from: '2026-12-07T20:46:00Z', seq: 2 }),
];

function renderTimeline() {
  const backend = fakeBackend({ timeline: history, status: [row({ app: 'api', env: 'production' })] });
  return render(Timeline, { props: { app: 'api' }, context: backendContext(backend) });
}

const current = (c: HTMLElement) => c.querySelector<SVGGElement>(`g.segment.current[data-digest="${bbdc}"]`)!;

describe('the current stay', () => {
  it('has a minimum width and a label at every zoom', async () => {
    const { container } = renderTimeline();
    await screen.findByRole('group', { name: /Timeline chart/ });
    const chart = screen.getByRole('group', { name: /Timeline chart/ });
    const zooms: [string, () => Promise<unknown>][] = [
      ['30 days', () => Promise.resolve()],
      ['7 days', () => fireEvent.click(screen.getByRole('button', { name: '7 days' }))],
      ['90 days', () => fireEvent.click(screen.getByRole('button', { name: '90 days' }))],
      ['All', () => fireEvent.click(screen.getByRole('button', { name: 'All' }))],
      [
        'an hour',
        async () => {
          for (let i = 0; i < 12; i++) await fireEvent.keyDown(chart, { key: '+' });
        },
      ],
    ];
    for (const [name, go] of zooms) {
      await go();
      const g = current(container);
      expect(g, name).toBeTruthy();
      const width = Number(g.querySelector('rect.bar')!.getAttribute('width'));
      expect(width, name).toBeGreaterThanOrEqual(NOW_MIN_W);
      const label = g.querySelector('text.now-stay')!;
      expect(label, name).toBeTruthy();
      expect(label.textContent, name).toMatch(/since 20:46$/);
      if (name === 'an hour') {
        // zoomed in to the hour, the 14 minutes are wide: the label is inside the bar
        expect(label.textContent).toBe('bbdc01234567 since 20:46');
        expect(label.classList.contains('outside')).toBe(false);
        expect(width).toBeGreaterThan(100);
      } else {
        // a sliver: the short label sits beside it, on a tag of its own
        expect(label.textContent, name).toBe('bbdc… since 20:46');
        expect(label.classList.contains('outside'), name).toBe(true);
        expect(g.querySelector('rect.now-tag'), name).toBeTruthy();
      }
    }
    // zooming in kept now in view all along
    expect(container.querySelector('line.now')).toBeTruthy();
  });

  it('says since when in words that fit the bar', () => {
    const now = Date.parse(NOW);
    expect(sinceText(Date.parse('2026-12-07T20:46:00Z'), now)).toBe('20:46');
    expect(sinceText(Date.parse('2026-12-03T08:00:00Z'), now)).toBe('3 Dec');
    expect(sinceText(Date.parse('2025-12-03T08:00:00Z'), now)).toBe('3 Dec 2025');
    const seg = segment({ env: 'production', digest: bbdc, from: '2026-12-07T20:46:00Z', version: '1.4.2' });
    expect(nowLabel(seg, now, 1000)).toMatchObject({ text: 'bbdc01234567 1.4.2 since 20:46', inside: true });
    expect(nowLabel(seg, now, 200)).toMatchObject({ text: 'bbdc… 1.4.2 since 20:46', inside: true });
    expect(nowLabel(seg, now, 20)).toMatchObject({ text: 'bbdc… 1.4.2 since 20:46', inside: false });
    // without room for the version, the digest and since when still fit inside
    expect(nowLabel(seg, now, 130)).toMatchObject({ text: 'bbdc… since 20:46', inside: true });
    // a past stay: its short digest, and its version when there is room
    expect(stayLabel(seg, 1000)).toBe('bbdc01234567 1.4.2');
    expect(stayLabel(seg, 100)).toBe('bbdc01234567');
    expect(stayLabel(seg, 40)).toBeNull();
  });

  it('names its version in the tooltip too', async () => {
    const backend = fakeBackend({
      timeline: [
        segment({ env: 'production', digest: bbdc, from: '2026-12-01T08:00:00Z', version: '1.4.2', seq: 1 }),
      ],
      status: [row({ app: 'api', env: 'production' })],
    });
    const { container } = render(Timeline, { props: { app: 'api' }, context: backendContext(backend) });
    await screen.findByRole('group', { name: /Timeline chart/ });
    await fireEvent.pointerEnter(current(container));
    const tip = screen.getByRole('tooltip');
    expect(tip.textContent).toContain('bbdc01234567 1.4.2 in production');
  });
});
