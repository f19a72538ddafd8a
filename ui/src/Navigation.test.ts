// Back links and Escape across views (App + router): where the person came from, with the
// timeline's zoom and cursor; Escape from every kind of control.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compile } from 'svelte/compiler';
import App from './App.svelte';
import headerSource from './lib/AppHeader.svelte?raw';
import { backendContext } from './lib/backend';
import {
  cell,
  digestA,
  digestB,
  fakeBackend,
  row,
  sampleOverview,
  segment,
  stubResizeObserver,
} from './lib/testing';

const NOW = '2025-11-25T10:00:00Z';

beforeEach(() => {
  stubResizeObserver();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(NOW));
  location.hash = '';
});
afterEach(() => {
  vi.useRealTimers();
  location.hash = '';
});

async function go(hash: string) {
  location.hash = hash;
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

const backend = () =>
  fakeBackend({
    overview: sampleOverview([cell(row({ app: 'api', env: 'dev', digest: digestB }))]),
    status: [row({ app: 'api', env: 'dev' })],
    timeline: [
      segment({
        env: 'dev',
        digest: digestA,
        from: '2025-10-01T09:00:00Z',
        until: '2025-11-20T09:00:00Z',
        seq: 1,
      }),
      segment({ env: 'dev', digest: digestB, from: '2025-11-20T09:00:00Z', seq: 2 }),
    ],
  });

describe('back links', () => {
  it('return to the timeline with its zoom and cursor, and from there to the overview', async () => {
    render(App, { context: backendContext(backend()) });
    await screen.findByRole('table');
    await go('#/timeline/api');
    await screen.findByRole('group', { name: /Timeline chart/ });
    expect(screen.getByTestId('back-link').textContent).toBe('← Overview');
    expect(screen.getByTestId('back-link').getAttribute('href')).toBe('#/');

    // zoom to 7 days, then place the cursor at now: both go into the address
    await fireEvent.click(screen.getByRole('button', { name: '7 days' }));
    const slider = screen.getByRole('slider', { name: /Time cursor/ });
    slider.focus();
    await fireEvent.keyDown(slider, { key: 'End' });
    const range = screen.getByTestId('range').textContent;
    expect(range).toBe('18 Nov – 25 Nov 2025');
    await waitFor(() => expect(location.hash).toContain('at=2025-11-25T10:00:00.000Z'));
    const zoomed = location.hash;
    expect(zoomed).toMatch(/^#\/timeline\/api\?from=.*&until=.*&at=/);

    // to the digest of a stay
    const bar = document.querySelector<SVGGElement>(`g.segment[data-digest="${digestB}"]`)!;
    await fireEvent.click(bar);
    const details = await screen.findByRole('region', { name: 'Selected stay' });
    await go(within(details).getByRole('link', { name: 'Digest detail →' }).getAttribute('href')!);
    await screen.findByRole('heading', { name: /Digest of api/ });
    const back = screen.getByTestId('back-link');
    expect(back.textContent).toBe('← Timeline of api');
    expect(back.getAttribute('href')).toBe(zoomed);

    // back: the same window and the cursor where it was
    await go(back.getAttribute('href')!);
    await screen.findByRole('group', { name: /Timeline chart/ });
    expect(screen.getByTestId('range').textContent).toBe(range);
    expect(screen.getByRole('slider', { name: /Time cursor/ }).getAttribute('aria-valuetext')).toBe(
      '2025-11-25 10:00 UTC',
    );
    expect(screen.getByTestId('at-moment')).toBeTruthy();
    expect(screen.getByTestId('back-link').getAttribute('href')).toBe('#/');
  });

  it('of a digest opened from the overview return to the overview', async () => {
    render(App, { context: backendContext(backend()) });
    await screen.findByRole('table');
    await go(`#/digest/api/${digestB}`);
    await screen.findByRole('heading', { name: /Digest of api/ });
    expect(screen.getByTestId('back-link').textContent).toBe('← Overview');
  });

  it('of a view opened directly go one level up', async () => {
    location.hash = '#/rollback/api/dev';
    render(App, { context: backendContext(backend()) });
    await screen.findByRole('heading', { name: 'Roll back api in dev' });
    expect(screen.getByTestId('back-link').textContent).toBe('← Timeline of api');
    expect(screen.getByTestId('back-link').getAttribute('href')).toBe('#/timeline/api');
  });
});

describe('Escape', () => {
  it('works from every control: a field is left (what was typed kept), anything else goes back', async () => {
    location.hash = '#/timeline/api';
    render(App, { context: backendContext(backend()) });
    await screen.findByRole('group', { name: /Timeline chart/ });
    // a button of the toolbar
    await fireEvent.keyDown(screen.getByRole('button', { name: 'Zoom in' }), { key: 'Escape' });
    await waitFor(() => expect(location.hash).toBe('#/'));
    await screen.findByRole('table');

    await go('#/export');
    const field = (await screen.findAllByRole('textbox'))[0]!;
    field.focus();
    await fireEvent.input(field, { target: { value: '-7d' } });
    const esc = new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true });
    field.dispatchEvent(esc);
    expect(esc.defaultPrevented).toBe(true);
    expect(document.activeElement).not.toBe(field);
    expect((field as HTMLInputElement).value).toBe('-7d');
    expect(location.hash).toBe('#/export');
    // the same from a picker and a list
    for (const control of [
      screen.getByLabelText('To: pick a date and time (UTC)'),
      screen.getByLabelText('App'),
    ]) {
      control.focus();
      const e = new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true });
      control.dispatchEvent(e);
      expect(e.defaultPrevented).toBe(true);
      expect(document.activeElement).not.toBe(control);
      expect(location.hash).toBe('#/export');
    }
    // the next Escape (from where focus went) goes back
    await fireEvent.keyDown(document.activeElement ?? window, { key: 'Escape' });
    await waitFor(() => expect(location.hash).toBe('#/'));
  });
});

describe('the top navigation', () => {
  it('stays at the top of the window on long pages (its compiled style is sticky)', () => {
    // jsdom applies no component styles: read them from the compiled component.
    const css = compile(headerSource, { filename: 'AppHeader.svelte' }).css?.code ?? '';
    const rule = /\.app-header\.svelte-[\w-]+\s*\{([^}]*)\}/.exec(css)?.[1] ?? '';
    expect(rule).toMatch(/position:\s*sticky/);
    expect(rule).toMatch(/top:\s*0/);
  });
});
