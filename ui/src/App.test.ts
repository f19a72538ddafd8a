import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from './App.svelte';
import { backendContext } from './lib/backend';
import {
  cell,
  digestA,
  fakeBackend,
  row,
  sampleOverview,
  sampleWorkspace,
  segment,
  stubResizeObserver,
} from './lib/testing';

beforeEach(() => {
  stubResizeObserver();
  location.hash = '';
});
afterEach(() => {
  location.hash = '';
});

async function go(hash: string) {
  location.hash = hash;
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

const overview = sampleOverview([cell(row({ app: 'api', env: 'dev' }))]);

describe('App', () => {
  it('shows the open workspace, the main navigation and the overview', async () => {
    render(App, { context: backendContext(fakeBackend({ overview })) });
    expect(await screen.findByText(sampleWorkspace.name)).toBeTruthy();
    expect(screen.getByText(sampleWorkspace.config_path)).toBeTruthy();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(
      within(nav)
        .getAllByRole('link')
        .map((a) => [a.textContent, a.getAttribute('href')]),
    ).toEqual([
      ['Overview', '#/'],
      ['Export', '#/export'],
      ['Settings', '#/settings'],
    ]);
    expect(within(nav).getByRole('link', { name: 'Overview' }).getAttribute('aria-current')).toBe('page');
    expect(await screen.findByRole('table')).toBeTruthy();
  });

  it('shows the no-workspace screen with the reason when none is open', async () => {
    const error = {
      code: 'config' as const,
      message: 'no workspace is open: start Tollgate with --workspace FILE',
    };
    render(App, { context: backendContext(fakeBackend({ workspaceInfo: error })) });
    expect(await screen.findByRole('heading', { name: 'No workspace open' })).toBeTruthy();
    expect(screen.getByRole('alert').dataset.code).toBe('config');
    expect(screen.getByText(error.message)).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('routes to the timeline and the digest detail, and Escape goes back', async () => {
    const backend = fakeBackend({
      overview,
      status: [row({ app: 'api', env: 'dev' })],
      timeline: [segment({ env: 'dev', digest: digestA, from: '2025-11-20T09:30:00Z' })],
    });
    render(App, { context: backendContext(backend) });
    await screen.findByRole('table');

    await go('#/timeline/api');
    expect(await screen.findByRole('heading', { name: /Timeline/ })).toBeTruthy();
    expect(
      backend.calls.some((c) => c.method === 'timeline' && (c.args[0] as { app: string }).app === 'api'),
    ).toBe(true);

    await go(`#/digest/api/${digestA}`);
    expect(await screen.findByRole('heading', { name: /Digest of api/ })).toBeTruthy();
  });

  it('Escape goes one level up when there is nothing to go back to, and not from a text field', async () => {
    location.hash = `#/digest/api/${digestA}`;
    const backend = fakeBackend({ overview, timeline: [] });
    render(App, { context: backendContext(backend) });
    expect(await screen.findByRole('heading', { name: /Digest of api/ })).toBeTruthy();
    const input = document.createElement('input');
    document.body.appendChild(input);
    await fireEvent.keyDown(input, { key: 'Escape' });
    expect(location.hash).toBe(`#/digest/api/${digestA}`);
    input.remove();
    await fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(location.hash).toBe('#/timeline/api'));
    expect(await screen.findByRole('heading', { name: /Timeline/ })).toBeTruthy();
  });

  it('sends unknown addresses to a not-found page with a way out', async () => {
    location.hash = '#/nowhere';
    render(App, { context: backendContext(fakeBackend({ overview })) });
    expect(await screen.findByRole('heading', { name: 'Nothing here' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Go to the overview' }).getAttribute('href')).toBe('#/');
  });

  it('opens the demo from the first-start screen and shows it', async () => {
    const demo = {
      name: 'demo-payments',
      config_path: '/data/demo/tollgate.toml',
      db_path: '/data/demo/tollgate.db',
      note: null,
    };
    let open = false;
    const backend = fakeBackend({
      workspaceInfo: () => (open ? demo : { code: 'config', message: 'no workspace is open' }),
      openDemo: () => {
        open = true;
        return demo;
      },
      overview,
    });
    render(App, { context: backendContext(backend) });
    await screen.findByRole('heading', { name: 'No workspace open' });
    await fireEvent.click(document.querySelector<HTMLButtonElement>('button.open-demo')!);
    expect(await screen.findByText('demo-payments')).toBeTruthy();
    expect(await screen.findByRole('table')).toBeTruthy();
    expect(backend.calls.filter((c) => c.method === 'openDemo')).toHaveLength(1);
  });

  it('toggles the theme between system, light and dark', async () => {
    render(App, { context: backendContext(fakeBackend({ overview })) });
    const toggle = await screen.findByRole('button', { name: /Theme:/ });
    expect(toggle.textContent?.trim()).toBe('Theme: system');
    await fireEvent.click(toggle);
    expect(document.documentElement.dataset.theme).toBe('light');
    await fireEvent.click(toggle);
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(toggle.textContent?.trim()).toBe('Theme: dark');
    await fireEvent.click(toggle);
    expect(document.documentElement.dataset.theme).toBeUndefined();
  });

  it('says when tollgate.toml changed on disk: reloaded (the views start over) or kept (not loadable)', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const backend = fakeBackend({ overview });
      const refused =
        'tollgate.toml changed on disk but does not load, so the last good version stays in use: tollgate.toml line 3: invalid table header';
      backend.workspaceReload
        .mockResolvedValueOnce({ reloaded: true, message: 'tollgate.toml changed on disk: reloaded' })
        .mockResolvedValueOnce(null)
        .mockResolvedValueOnce({ reloaded: false, message: refused });
      render(App, { context: backendContext(backend) });
      expect(await screen.findByRole('table')).toBeTruthy();
      expect(backend.overview).toHaveBeenCalledTimes(1);

      await vi.advanceTimersByTimeAsync(2000);
      const notice = await screen.findByTestId('reload-notice');
      expect(notice.textContent).toContain('tollgate.toml changed on disk: reloaded');
      expect(notice.getAttribute('role')).toBe('status');
      await waitFor(() => expect(backend.overview).toHaveBeenCalledTimes(2));
      expect(backend.workspaceInfo).toHaveBeenCalledTimes(2);

      await vi.advanceTimersByTimeAsync(4000);
      await waitFor(() => expect(screen.getByTestId('reload-notice').textContent).toContain(refused));
      expect(screen.getByTestId('reload-notice').getAttribute('role')).toBe('alert');
      expect(backend.overview).toHaveBeenCalledTimes(2);
      await fireEvent.click(
        within(screen.getByTestId('reload-notice')).getByRole('button', { name: 'Dismiss' }),
      );
      expect(screen.queryByTestId('reload-notice')).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });
});
