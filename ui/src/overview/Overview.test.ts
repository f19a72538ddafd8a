import { render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { backendContext } from '../lib/backend';
import { digestA, digestB, fakeBackend, row } from '../lib/testing';
import Overview from './Overview.svelte';

function renderWith(backend: ReturnType<typeof fakeBackend>) {
  return render(Overview, { context: backendContext(backend) });
}

describe('Overview', () => {
  it('shows one row per app and one column per environment, in workspace order', async () => {
    renderWith(
      fakeBackend({
        status: [
          row({ app: 'api', env: 'dev' }),
          row({ app: 'api', env: 'staging' }),
          row({ app: 'api', env: 'production' }),
          row({ app: 'web', env: 'dev' }),
          row({ app: 'web', env: 'staging' }),
        ],
      }),
    );
    const table = await screen.findByRole('table');
    const headers = within(table)
      .getAllByRole('columnheader')
      .map((h) => h.textContent?.trim());
    expect(headers).toEqual(['App', 'dev', 'staging', 'production']);
    expect(within(table).getAllByRole('rowheader').map((h) => h.textContent)).toEqual(['api', 'web']);
    // web has no production environment: an empty, explained cell.
    expect(within(table).getByTitle('web has no production environment')).toBeTruthy();
  });

  it('shows the short digest, with the full one in the title and data-digest', async () => {
    const { container } = renderWith(
      fakeBackend({ status: [row({ app: 'api', env: 'dev', digest: digestB, tag: 'dev-latest' })] }),
    );
    const short = await screen.findByText(digestB.slice(7, 19));
    expect(short.getAttribute('title')).toBe(digestB);
    expect(short.getAttribute('data-digest')).toBe(digestB);
    expect(container.querySelector(`[data-digest="${digestB}"]`)).toBe(short);
    expect(screen.getByText(':dev-latest')).toBeTruthy();
    expect(screen.getByText('since 2025-11-20 09:30 UTC')).toBeTruthy();
    expect(screen.getByText('promotion')).toBeTruthy();
  });

  it('marks a drifted environment loudly, and only that one', async () => {
    const { container } = renderWith(
      fakeBackend({
        status: [
          row({ app: 'api', env: 'dev', digest: digestA }),
          row({ app: 'api', env: 'staging', digest: digestB, drift: true, via: 'drift' }),
        ],
      }),
    );
    const badge = await screen.findByText('Drift');
    expect(badge.closest('td')?.dataset.env).toBe('staging');
    expect(badge.closest('td')?.classList.contains('drift')).toBe(true);
    expect(screen.getAllByText('Drift')).toHaveLength(1);
    expect(container.querySelector('td[data-env="dev"]')?.classList.contains('drift')).toBe(false);
  });

  it('says so when a tag has no image', async () => {
    renderWith(fakeBackend({ status: [row({ app: 'api', env: 'dev', digest: null, since: null, via: null })] }));
    expect(await screen.findByText('no image')).toBeTruthy();
  });

  it('shows an error in place as {code, message}', async () => {
    renderWith(
      fakeBackend({
        status: { code: 'database', message: 'history database error: file is not a database' },
      }),
    );
    const alert = await screen.findByRole('alert');
    expect(alert.dataset.code).toBe('database');
    expect(within(alert).getByText('database')).toBeTruthy();
    expect(within(alert).getByText('history database error: file is not a database')).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });
});
