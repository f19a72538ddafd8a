import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backendContext } from '../lib/backend';
import type { SyncReport } from '../lib/bindings/SyncReport';
import {
  cell,
  digestA,
  digestB,
  digestC,
  evaluation,
  fakeBackend,
  row,
  sampleCheck,
  sampleOverview,
  sampleSyncReport,
  type FakeBackend,
} from '../lib/testing';
import Overview from './Overview.svelte';

const NOW = '2025-11-25T10:00:00Z';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(NOW));
});
afterEach(() => vi.useRealTimers());

function renderWith(backend: FakeBackend) {
  return render(Overview, { context: backendContext(backend) });
}

const threeEnvs = () => [
  cell(row({ app: 'api', env: 'dev', digest: digestC, since: '2025-11-25T07:30:00Z', via: 'record' })),
  cell(
    row({ app: 'api', env: 'staging', digest: digestB, since: '2025-11-22T06:00:00Z', version: '1.6.0' }),
    sampleCheck({
      app: 'api',
      from: 'dev',
      to: 'staging',
      digest: digestC,
      evaluation: evaluation({ passed: true, rules: [] }),
    }),
  ),
  cell(
    row({ app: 'api', env: 'production', digest: digestA, since: '2025-10-01T10:00:00Z' }),
    sampleCheck({ app: 'api', to: 'production', digest: digestB }),
  ),
  cell(row({ app: 'web', env: 'dev' })),
  cell(row({ app: 'web', env: 'staging' })),
];

describe('Overview', () => {
  it('shows one row per app and one column per environment, in workspace order', async () => {
    renderWith(fakeBackend({ overview: sampleOverview(threeEnvs()) }));
    const table = await screen.findByRole('table');
    const headers = within(table)
      .getAllByRole('columnheader')
      .map((h) => h.textContent?.trim());
    expect(headers).toEqual(['App', 'dev', 'staging', 'production']);
    expect(
      within(table)
        .getAllByRole('rowheader')
        .map((h) => within(h).getByTitle(/^Timeline of/).textContent),
    ).toEqual(['api', 'web']);
    // web has no production environment: an empty, explained cell.
    expect(within(table).getByTitle('web has no production environment')).toBeTruthy();
  });

  it('shows the short digest, the tag and the soak time (now − since), linking to the digest', async () => {
    const { container } = renderWith(fakeBackend({ overview: sampleOverview(threeEnvs()) }));
    await screen.findByRole('table');
    const staging = container.querySelector<HTMLElement>('td[data-app="api"][data-env="staging"]')!;
    const short = within(staging).getByText(digestB.slice(7, 19));
    expect(short.closest('[data-digest]')?.getAttribute('data-digest')).toBe(digestB);
    expect(within(staging).getByText(':staging')).toBeTruthy();
    // Versions before hex: the image's version beside its short digest (none known: nothing).
    expect(within(staging).getByTestId('cell-version').textContent).toBe('1.6.0');
    expect(within(staging).getByText('3d 4h').parentElement?.textContent).toContain('for 3d 4h');
    expect(within(staging).getByTitle('since 2025-11-22 06:00 UTC')).toBeTruthy();
    const link = within(staging).getByRole('link', { name: /api staging/ });
    expect(link.getAttribute('href')).toBe(`#/digest/api/${digestB}`);
    const dev = container.querySelector<HTMLElement>('td[data-app="api"][data-env="dev"]')!;
    expect(within(dev).getByText('2h 30m')).toBeTruthy();
    expect(within(dev).queryByTestId('cell-version')).toBeNull();
    const prod = container.querySelector<HTMLElement>('td[data-app="api"][data-env="production"]')!;
    expect(within(prod).getByText('55d')).toBeTruthy();
  });

  it('opens a cell with Enter (a link) or Space, in Tab order row by row', async () => {
    const { container } = renderWith(fakeBackend({ overview: sampleOverview(threeEnvs()) }));
    await screen.findByRole('table');
    const links = [...container.querySelectorAll<HTMLAnchorElement>('td a.main')];
    expect(links.map((a) => `${a.closest('td')!.dataset.app} ${a.closest('td')!.dataset.env}`)).toEqual([
      'api dev',
      'api staging',
      'api production',
      'web dev',
      'web staging',
    ]);
    const clicked = vi.fn((e: Event) => e.preventDefault());
    links[1]!.addEventListener('click', clicked);
    const space = new KeyboardEvent('keydown', { key: ' ', bubbles: true, cancelable: true });
    links[1]!.dispatchEvent(space);
    expect(space.defaultPrevented).toBe(true); // no page scroll
    expect(clicked).toHaveBeenCalledTimes(1);
  });

  it('shows the digest waiting to come in with its pending approvals and a review link', async () => {
    const { container } = renderWith(fakeBackend({ overview: sampleOverview(threeEnvs()) }));
    await screen.findByRole('table');
    const prod = container.querySelector<HTMLElement>('td[data-env="production"]')!;
    const waiting = prod.querySelector<HTMLElement>('.candidate')!;
    expect(waiting.dataset.candidate).toBe(digestB);
    expect(within(waiting).getByText('waiting in staging')).toBeTruthy();
    expect(within(waiting).getByText('1 of 2 approvals')).toBeTruthy();
    expect(within(waiting).getByText('needs 1 more approval')).toBeTruthy();
    expect(within(waiting).getByRole('link', { name: 'Review & promote' }).getAttribute('href')).toBe(
      `#/promote/api/production/${digestB}`,
    );
    const staging = container.querySelector<HTMLElement>('td[data-env="staging"] .candidate')!;
    expect(within(staging).getByText('ready')).toBeTruthy();
    expect(container.querySelector('td[data-env="dev"] .candidate')).toBeNull();
    expect(screen.getByText('2')).toBeTruthy(); // "2 waiting for promotion"
  });

  it('says how much of the evidence the waiting digest needs is attested', async () => {
    const checks = (loadTest: boolean) =>
      evaluation({
        rules: [
          { rule: 'checks', passed: loadTest, reason: 'load-test: passed by ci@example.com', blocking: true },
          { rule: 'checks', passed: false, reason: 'security-review: not attested', blocking: true },
        ],
      });
    const cells = [
      cell(row({ app: 'api', env: 'staging', digest: digestB })),
      cell(
        row({ app: 'api', env: 'production', digest: digestA }),
        sampleCheck({ app: 'api', to: 'production', digest: digestB, evaluation: checks(true) }),
      ),
    ];
    const { container } = renderWith(fakeBackend({ overview: sampleOverview(cells) }));
    await screen.findByRole('table');
    const marker = container.querySelector<HTMLElement>('td[data-env="production"] .evidence')!;
    expect(marker.dataset.evidence).toBe('1/2');
    expect(marker.textContent).toBe('Evidence 1 of 2');
    expect(marker.title).toContain('security-review: not attested');
    expect(container.querySelector('td[data-env="staging"] .evidence')).toBeNull();
  });

  it('marks a drifted environment loudly, and only that one, with a banner naming it', async () => {
    const { container } = renderWith(
      fakeBackend({
        overview: sampleOverview([
          cell(row({ app: 'api', env: 'dev', digest: digestA })),
          cell(
            row({ app: 'api', env: 'staging', digest: digestB, drift: true, via: 'drift', tag: 'staging' }),
          ),
        ]),
      }),
    );
    const badge = await screen.findByText('Drift', { selector: '.drift-badge' });
    expect(badge.closest('td')?.dataset.env).toBe('staging');
    expect(badge.closest('td')?.classList.contains('drift')).toBe(true);
    expect(container.querySelectorAll('.drift-badge')).toHaveLength(1);
    expect(container.querySelector('td[data-env="dev"]')?.classList.contains('drift')).toBe(false);
    const banner = screen.getByTestId('drift-banner');
    // The banner's link opens the timeline with the drifted stay selected.
    expect(within(banner).getByRole('link', { name: 'api staging' }).getAttribute('href')).toBe(
      '#/timeline/api/staging',
    );
    expect(banner.textContent).toContain('local/payments/api:staging');
    expect(screen.getByText('1 drifted')).toBeTruthy();
  });

  it('flags an unapproved deployment in its cell, and only there', async () => {
    const { container } = renderWith(
      fakeBackend({
        overview: sampleOverview([
          cell(row({ app: 'api', env: 'dev', digest: digestA })),
          cell(row({ app: 'api', env: 'production', digest: digestB, via: 'record', unapproved: true })),
        ]),
      }),
    );
    const badge = await screen.findByText('Unapproved', { selector: '.unapproved-badge' });
    const td = badge.closest('td')!;
    expect(td.dataset.env).toBe('production');
    expect(td.classList.contains('unapproved')).toBe(true);
    expect(within(td).getByText('Deployed without approvals')).toBeTruthy();
    expect(within(td).getByRole('link', { name: /, unapproved$/ })).toBeTruthy();
    expect(container.querySelectorAll('.unapproved-badge')).toHaveLength(1);
  });

  it('marks the cell an emergency rollback put its digest in, with the reason', async () => {
    const { container } = renderWith(
      fakeBackend({
        overview: sampleOverview([
          cell(row({ app: 'api', env: 'dev', digest: digestA })),
          cell(
            row({
              app: 'api',
              env: 'production',
              digest: digestB,
              via: 'rollback',
              emergency: true,
              reason: 'checkout is down',
            }),
          ),
        ]),
      }),
    );
    const badge = await screen.findByText('Emergency', { selector: '.emergency-badge' });
    expect(badge.closest('td')!.dataset.env).toBe('production');
    expect(badge.getAttribute('title')).toContain('checkout is down');
    expect(container.querySelectorAll('.emergency-badge')).toHaveLength(1);
  });

  it('says so when a tag has no image', async () => {
    renderWith(
      fakeBackend({
        overview: sampleOverview([
          cell(row({ app: 'api', env: 'dev', digest: null, since: null, via: null })),
        ]),
      }),
    );
    expect(await screen.findByText('no image')).toBeTruthy();
  });

  it('syncs with a progress bar, then shows the new state and the time of the sync', async () => {
    let finish!: (r: SyncReport) => void;
    let report!: (p: { done: number; total: number; app: string; env: string }) => void;
    let synced = false;
    const backend = fakeBackend({
      overview: () =>
        sampleOverview(
          [cell(row({ app: 'api', env: 'dev', drift: synced }))],
          synced ? '2025-11-25T09:59:00Z' : '2025-11-24T10:00:00Z',
        ),
      syncProgress: [],
      sync: (onProgress) => {
        report = onProgress;
        return new Promise<SyncReport>((resolve) => (finish = resolve));
      },
    });
    renderWith(backend);
    expect(await screen.findByText('1d ago')).toBeTruthy();
    expect(screen.queryByRole('progressbar')).toBeNull();

    await fireEvent.click(screen.getByRole('button', { name: 'Sync now' }));
    const bar = await screen.findByRole('progressbar');
    expect(screen.getByRole('button', { name: 'Syncing…' })).toHaveProperty('disabled', true);
    expect(screen.getByText('Connecting to the registries…')).toBeTruthy();

    report({ done: 1, total: 4, app: 'api', env: 'dev' });
    await waitFor(() => expect(bar.getAttribute('aria-valuenow')).toBe('1'));
    expect(bar.getAttribute('aria-valuemax')).toBe('4');
    expect(bar.querySelector<HTMLElement>('.fill')!.style.width).toBe('25%');
    expect(screen.getByText('1 of 4 tags · api dev')).toBeTruthy();

    report({ done: 4, total: 4, app: 'api', env: 'production' });
    await waitFor(() => expect(bar.querySelector<HTMLElement>('.fill')!.style.width).toBe('100%'));

    synced = true;
    finish({ ...sampleSyncReport([row({ app: 'api', env: 'dev', drift: true })]), new_images: 2 });
    expect(await screen.findByText('1m ago')).toBeTruthy();
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(screen.getByRole('status').textContent).toContain('Synced 1 tag, 2 new images.');
    expect(screen.getByText('Drift found.')).toBeTruthy();
    expect(screen.queryByTestId('replayed-found')).toBeNull();
    expect(screen.getByTestId('drift-banner')).toBeTruthy();
    expect(backend.calls.filter((c) => c.method === 'overview')).toHaveLength(2);
  });

  it('shows a failed sync in place with what to do and a retry', async () => {
    const backend = fakeBackend({
      overview: sampleOverview([cell(row({ app: 'api', env: 'dev' }))]),
      sync: {
        code: 'unreachable',
        message: 'sync api dev (local/payments/api:dev): cannot reach 127.0.0.1:5000',
      },
    });
    renderWith(backend);
    await screen.findByRole('table');
    await fireEvent.click(screen.getByRole('button', { name: 'Sync now' }));
    const alert = await screen.findByRole('alert');
    expect(alert.dataset.code).toBe('unreachable');
    expect(within(alert).getByText(/Check the network/)).toBeTruthy();
    expect(screen.getByRole('table')).toBeTruthy(); // the last known state stays
    await fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(backend.calls.filter((c) => c.method === 'sync')).toHaveLength(2));
  });

  describe('with many apps', () => {
    // jsdom lays nothing out: rows are as tall as the element boxes these tests give them.
    const many = (n: number) =>
      sampleOverview(
        Array.from({ length: n }, (_, i) => `app${String(i).padStart(2, '0')}`).flatMap((app) => [
          cell(row({ app, env: 'dev' })),
          cell(row({ app, env: 'production' })),
        ]),
      );
    /** Each row `rowHeight` px tall, the table's top `tableTop()` px from the window's top. */
    function layout(rowHeight: number, tableTop: () => number) {
      vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockImplementation(function (
        this: HTMLElement,
      ) {
        if (this.tagName === 'TBODY') return new DOMRect(0, tableTop(), 1200, 60 * rowHeight);
        if (this.tagName === 'TR' && this.dataset.app) {
          const tbody = this.parentElement!;
          let top = tableTop();
          for (const tr of tbody.children) {
            if (tr === this) break;
            top += (tr as HTMLElement).dataset.app
              ? rowHeight
              : parseFloat((tr.firstElementChild as HTMLElement).style.height);
          }
          return new DOMRect(0, top, 1200, rowHeight);
        }
        return new DOMRect();
      });
    }
    const rendered = (c: HTMLElement) =>
      [...c.querySelectorAll<HTMLElement>('tbody tr[data-app]')].map((r) => r.dataset.app);
    const gaps = (c: HTMLElement) =>
      [...c.querySelectorAll<HTMLElement>('tbody tr.gap td')].map((td) => parseFloat(td.style.height));
    afterEach(() => vi.restoreAllMocks());

    it('puts only the rows near the window in the page, the others as spacers of their height', async () => {
      let top = 100;
      layout(80, () => top);
      const { container } = renderWith(fakeBackend({ overview: many(60) }));
      const table = await screen.findByRole('table');
      expect(table.getAttribute('aria-rowcount')).toBe('61');
      // The window (768 px in jsdom) and 400 px below it: rows of 80 px from 100 px down.
      await waitFor(() => expect(rendered(container)).toHaveLength(14));
      expect(rendered(container)[0]).toBe('app00');
      expect(container.querySelector('tbody tr[data-app="app13"]')?.getAttribute('aria-rowindex')).toBe('15');
      // The rows left out are estimated from the measured ones (80 px each).
      expect(gaps(container)).toEqual([46 * 80]);
      // Scrolled down: the rows around the window come in, those above become a spacer.
      top = -3000;
      window.dispatchEvent(new Event('scroll'));
      await waitFor(() => expect(rendered(container)[0]).toBe('app32'));
      // 2600 px (3000 − 400) to 4168 px (3000 + 768 + 400) down the table: rows 32 to 52.
      expect(rendered(container)).toEqual(Array.from({ length: 21 }, (_, i) => `app${32 + i}`));
      expect(gaps(container)).toEqual([32 * 80, 7 * 80]);
      expect(within(table).getAllByRole('rowheader')).toHaveLength(21);
    });

    it('keeps the focused row and its neighbours in, so Tab goes on from there', async () => {
      let top = 0;
      layout(80, () => top);
      const { container } = renderWith(fakeBackend({ overview: many(60) }));
      await screen.findByRole('table');
      await waitFor(() => expect(rendered(container)).toHaveLength(15));
      const link = container.querySelector<HTMLAnchorElement>('tr[data-app="app05"] a.main')!;
      link.focus();
      top = -3000;
      window.dispatchEvent(new Event('scroll'));
      await waitFor(() => expect(rendered(container)).toContain('app40'));
      expect(rendered(container).slice(0, 3)).toEqual(['app04', 'app05', 'app06']);
      expect(document.activeElement).toBe(link);
      expect(gaps(container)).toEqual([4 * 80, 25 * 80, 7 * 80]);
    });
  });

  it('shows an error in place as {code, message}', async () => {
    renderWith(
      fakeBackend({
        overview: { code: 'database', message: 'history database error: file is not a database' },
      }),
    );
    const alert = await screen.findByRole('alert');
    expect(alert.dataset.code).toBe('database');
    // The code is for the program (data-code); the person reads words.
    expect(within(alert).getByText('History database')).toBeTruthy();
    expect(within(alert).getByText('history database error: file is not a database')).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });
});
