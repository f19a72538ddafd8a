import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backendContext } from '../lib/backend';
import { digestColor } from '../lib/format';
import { digestA, digestB, digestC, fakeBackend, row, segment, stubResizeObserver } from '../lib/testing';
import Timeline from './Timeline.svelte';

const NOW = '2025-11-25T10:00:00Z';

beforeEach(() => {
  stubResizeObserver();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(NOW));
});
afterEach(() => vi.useRealTimers());

// digestA went dev → staging → production; digestB followed into dev and staging; production
// was rolled back to digestC once; staging drifted to digestC.
const history = [
  segment({
    env: 'dev',
    digest: digestA,
    from: '2025-11-01T09:00:00Z',
    until: '2025-11-10T09:00:00Z',
    via: 'record',
    seq: 1,
  }),
  segment({
    env: 'staging',
    digest: digestA,
    from: '2025-11-03T09:00:00Z',
    until: '2025-11-12T09:00:00Z',
    seq: 2,
  }),
  segment({
    env: 'production',
    digest: digestC,
    from: '2025-10-20T09:00:00Z',
    until: '2025-11-06T09:00:00Z',
    via: 'observed',
    seq: 3,
  }),
  segment({
    env: 'production',
    digest: digestA,
    from: '2025-11-06T09:00:00Z',
    until: '2025-11-08T09:00:00Z',
    seq: 4,
  }),
  segment({ env: 'production', digest: digestC, from: '2025-11-08T09:00:00Z', via: 'rollback', seq: 5 }),
  segment({ env: 'dev', digest: digestB, from: '2025-11-10T09:00:00Z', via: 'record', seq: 6 }),
  segment({
    env: 'staging',
    digest: digestB,
    from: '2025-11-12T09:00:00Z',
    until: '2025-11-24T09:00:00Z',
    seq: 7,
  }),
  segment({
    env: 'staging',
    digest: digestC,
    from: '2025-11-24T09:00:00Z',
    via: 'drift',
    actor: null,
    seq: 8,
  }),
];

function renderTimeline(select: string | null = null) {
  const backend = fakeBackend({
    timeline: history,
    status: [
      row({ app: 'api', env: 'dev' }),
      row({ app: 'api', env: 'staging' }),
      row({ app: 'api', env: 'production' }),
    ],
  });
  const r = render(Timeline, { props: { app: 'api', select }, context: backendContext(backend) });
  return { ...r, backend };
}

const segs = (c: HTMLElement, sel = '') => [...c.querySelectorAll<SVGGElement>(`g.segment${sel}`)];

describe('Timeline', () => {
  it('draws one lane per environment in workspace order, one bar per stay', async () => {
    const { container, backend } = renderTimeline();
    await screen.findByRole('group', { name: /Timeline chart/ });
    expect([...container.querySelectorAll('.lane-label .env')].map((e) => e.textContent)).toEqual([
      'dev',
      'staging',
      'production',
    ]);
    expect([...container.querySelectorAll('rect.lane')].map((e) => e.getAttribute('data-lane'))).toEqual([
      'dev',
      'staging',
      'production',
    ]);
    expect(segs(container)).toHaveLength(8);
    expect(segs(container, '[data-env="production"]')).toHaveLength(3);
    expect(backend.calls.map((c) => c.method)).toEqual(['timeline', 'status', 'rejections']);
  });

  it('gives a digest the same colour in every lane, and other digests other colours', async () => {
    const { container } = renderTimeline();
    await screen.findByRole('group', { name: /Timeline chart/ });
    const fills = (d: string) =>
      new Set(
        segs(container, `[data-digest="${d}"]`).map((g) => g.querySelector('rect.bar')!.getAttribute('fill')),
      );
    expect(fills(digestA)).toEqual(new Set([digestColor(digestA).fill]));
    expect(segs(container, `[data-digest="${digestA}"]`).map((g) => g.dataset.env)).toEqual([
      'dev',
      'staging',
      'production',
    ]);
    expect(fills(digestB)).toEqual(new Set([digestColor(digestB).fill]));
    expect(digestColor(digestA).fill).not.toBe(digestColor(digestB).fill);
  });

  it('marks promotions with an arrow from the lane above, rollbacks and drift', async () => {
    const { container } = renderTimeline();
    await screen.findByRole('group', { name: /Timeline chart/ });
    // digestA into staging and production, digestB into staging: three arrows (production's rollback of digestC has no digestC above)
    expect(container.querySelectorAll('g.arrow')).toHaveLength(3);
    const rollback = segs(container, '[data-via="rollback"]');
    expect(rollback).toHaveLength(1);
    expect(rollback[0]!.querySelector('circle.rollback')).toBeTruthy();
    const drift = segs(container, '[data-via="drift"]')[0]!;
    expect(drift.querySelector('.drift-outline')).toBeTruthy();
    expect(drift.getAttribute('aria-label')).toContain('tag moved outside Tollgate');
    const staging = container.querySelector<HTMLElement>('.lane-label[data-env="staging"]')!;
    expect(within(staging).getByText('Drift')).toBeTruthy();
  });

  it('selects a stay with Enter or a click, shows its details and highlights the digest', async () => {
    const { container } = renderTimeline();
    await screen.findByRole('group', { name: /Timeline chart/ });
    expect(screen.getByText(/Select a stay/)).toBeTruthy();
    const prod = segs(container, `[data-env="production"][data-digest="${digestA}"]`)[0]!;
    await fireEvent.keyDown(prod, { key: 'Enter' });
    const details = await screen.findByRole('region', { name: 'Selected stay' });
    expect(details.dataset.digest).toBe(digestA);
    expect(within(details).getByText('production')).toBeTruthy();
    expect(within(details).getByText('2025-11-06 09:00 UTC')).toBeTruthy();
    expect(within(details).getByText('2d')).toBeTruthy();
    expect(within(details).getByRole('link', { name: 'Digest detail →' }).getAttribute('href')).toBe(
      `#/digest/api/${digestA}`,
    );
    expect(within(details).getByRole('link', { name: 'Roll production back…' }).getAttribute('href')).toBe(
      '#/rollback/api/production',
    );
    expect(prod.getAttribute('aria-pressed')).toBe('true');
    // every stay of the selected digest stands out; the others are dimmed
    expect(segs(container, '.same').map((g) => g.dataset.digest)).toEqual([digestA, digestA, digestA]);
    expect(segs(container, '.dim')).toHaveLength(5);

    // Escape clears the selection first (and is not passed on to go back)
    const esc = new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true });
    prod.dispatchEvent(esc);
    expect(esc.defaultPrevented).toBe(true);
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Selected stay' })).toBeNull());

    await fireEvent.click(segs(container, '[data-via="drift"]')[0]!);
    const d2 = await screen.findByRole('region', { name: 'Selected stay' });
    expect(within(d2).getByText(/DRIFT: the tag was moved outside Tollgate/)).toBeTruthy();
    expect(within(d2).queryByRole('link', { name: /Roll staging back/ })).toBeNull(); // it is the current one
  });

  it('shows an unapproved stay as such, in its label and when selected', async () => {
    const backend = fakeBackend({
      timeline: [
        segment({
          env: 'production',
          digest: digestB,
          from: '2025-11-20T09:00:00Z',
          via: 'record',
          unapproved: true,
          seq: 1,
        }),
      ],
      status: [row({ app: 'api', env: 'production' })],
    });
    const { container } = render(Timeline, { props: { app: 'api' }, context: backendContext(backend) });
    await screen.findByRole('group', { name: /Timeline chart/ });
    const seg = segs(container)[0]!;
    expect(seg.getAttribute('aria-label')).toContain('unapproved');
    await fireEvent.click(seg);
    const details = await screen.findByRole('region', { name: 'Selected stay' });
    expect(within(details).getByText(/UNAPPROVED: recorded without the policy's approvals/)).toBeTruthy();
  });

  it('shows an emergency rollback as such, in its label and with its reason when selected', async () => {
    const backend = fakeBackend({
      timeline: [
        segment({
          env: 'production',
          digest: digestB,
          from: '2025-11-20T09:00:00Z',
          via: 'rollback',
          emergency: true,
          reason: 'checkout is down',
          seq: 1,
        }),
      ],
      status: [row({ app: 'api', env: 'production' })],
    });
    const { container } = render(Timeline, { props: { app: 'api' }, context: backendContext(backend) });
    await screen.findByRole('group', { name: /Timeline chart/ });
    const seg = segs(container)[0]!;
    expect(seg.getAttribute('aria-label')).toContain('emergency rollback');
    await fireEvent.click(seg);
    const details = await screen.findByRole('region', { name: 'Selected stay' });
    expect(within(details).getByText(/EMERGENCY ROLLBACK: .*reason: checkout is down/)).toBeTruthy();
  });

  it('opens with the stay running in an environment selected (the drift banner’s link)', async () => {
    renderTimeline('staging');
    const details = await screen.findByRole('region', { name: 'Selected stay' });
    expect(details.dataset.digest).toBe(digestC);
    // A stay that began by drift names the digest expected there (the stay before it) and rolls
    // back to it, like every other stay links its rollback.
    expect(details.querySelector<HTMLElement>('[data-expected]')!.dataset.expected).toBe(digestB);
    expect(
      within(details)
        .getByRole('link', { name: `Roll back to ${digestB.slice(7, 19)}…` })
        .getAttribute('href'),
    ).toBe(`#/rollback/api/staging/${digestB}`);
  });

  it('has a "Roll back…" link per environment lane', async () => {
    renderTimeline();
    const links = await screen.findAllByRole('link', { name: 'Roll back…' });
    expect(links.map((l) => l.getAttribute('href'))).toEqual([
      '#/rollback/api/dev',
      '#/rollback/api/staging',
      '#/rollback/api/production',
    ]);
  });

  it('zooms and pans over days to months, with presets', async () => {
    const { container } = renderTimeline();
    await screen.findByRole('group', { name: /Timeline chart/ });
    const range = () => screen.getByTestId('range').textContent;
    // The history is 36 days long: it starts on the last 30 days.
    expect(screen.getByRole('button', { name: '30 days' }).getAttribute('aria-pressed')).toBe('true');
    expect(range()).toBe('27 Oct – 26 Nov 2025');

    await fireEvent.click(screen.getByRole('button', { name: '7 days' }));
    expect(range()).toBe('18 Nov – 25 Nov 2025');
    // the first stays are out of view now
    expect(segs(container, '[data-env="dev"]')).toHaveLength(1);

    await fireEvent.click(screen.getByRole('button', { name: 'Earlier' }));
    expect(range()).toBe('15 Nov – 22 Nov 2025');
    await fireEvent.click(screen.getByRole('button', { name: 'Zoom in' }));
    expect(range()).toBe('16 Nov – 20 Nov 2025');
    await fireEvent.click(screen.getByRole('button', { name: 'Zoom out' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Zoom out' }));
    expect(range()).toBe('11 Nov – 25 Nov 2025');

    const chart = screen.getByRole('group', { name: /Timeline chart/ });
    await fireEvent.keyDown(chart, { key: 'ArrowRight' });
    await fireEvent.keyDown(chart, { key: '-' });
    expect(screen.getByRole('button', { name: 'All' }).getAttribute('aria-pressed')).toBe('false');

    await fireEvent.click(screen.getByRole('button', { name: 'All' }));
    expect(screen.getByRole('button', { name: 'All' }).getAttribute('aria-pressed')).toBe('true');
    expect(range()).toBe('19 Oct – 26 Nov 2025');
    expect(segs(container)).toHaveLength(8);
    // axis ticks follow the zoom
    expect(container.querySelectorAll('text.tick').length).toBeGreaterThan(2);
  });

  it('shows a load error in place, with a retry', async () => {
    const backend = fakeBackend({
      timeline: { code: 'not_found', message: 'no app named nope in tollgate.toml' },
    });
    render(Timeline, { props: { app: 'nope' }, context: backendContext(backend) });
    const alert = await screen.findByRole('alert');
    expect(alert.dataset.code).toBe('not_found');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});
