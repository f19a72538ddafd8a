import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backendContext } from '../lib/backend';
import { cell, digestA, digestB, fakeBackend, row, sampleOverview } from '../lib/testing';
import Overview from './Overview.svelte';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2025-11-25T10:00:00Z'));
});
afterEach(() => vi.useRealTimers());

const AT = '2025-11-22T06:00:00Z';

function backend() {
  return fakeBackend({
    overview: sampleOverview([cell(row({ app: 'api', env: 'dev', digest: digestB }))]),
    overviewAt: (req) =>
      req.at === 'yesterday'
        ? { code: 'bad_input', message: "'yesterday' is not a point in time: write an RFC 3339 time or -3h" }
        : {
            ...sampleOverview([cell(row({ app: 'api', env: 'dev', digest: digestA, at: AT }))]),
            at: AT,
          },
  });
}

const devDigest = (c: HTMLElement) =>
  c.querySelector('td[data-app="api"][data-env="dev"] [data-digest]')?.getAttribute('data-digest');

describe('the overview as of a moment', () => {
  it('shows the grid then with a banner, and returns to now in one click', async () => {
    const b = backend();
    const { container } = render(Overview, { context: backendContext(b) });
    await screen.findByRole('table');
    expect(devDigest(container)).toBe(digestB);
    const input = screen.getByLabelText('As of');
    await fireEvent.input(input, { target: { value: '-3d' } });
    await fireEvent.submit(input.closest('form')!);
    const banner = await screen.findByTestId('as-of-banner');
    expect(banner.textContent).toContain('As of 2025-11-22 06:00 UTC');
    expect(b.overviewAt).toHaveBeenCalledWith({ at: '-3d' });
    expect(devDigest(container)).toBe(digestA);
    await fireEvent.click(screen.getByRole('button', { name: 'Return to now' }));
    await waitFor(() => expect(screen.queryByTestId('as-of-banner')).toBeNull());
    await waitFor(() => expect(devDigest(container)).toBe(digestB));
  });

  it('takes presets, returns to now on Escape, and shows a bad moment as one line', async () => {
    const b = backend();
    render(Overview, { context: backendContext(b) });
    await screen.findByRole('table');
    await fireEvent.click(screen.getByRole('button', { name: '1 day ago' }));
    await screen.findByTestId('as-of-banner');
    expect(b.overviewAt).toHaveBeenCalledWith({ at: '-1d' });
    const input = screen.getByLabelText('As of');
    await fireEvent.keyDown(input, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('as-of-banner')).toBeNull());
    await fireEvent.input(input, { target: { value: 'yesterday' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    await fireEvent.submit(input.closest('form')!);
    expect((await screen.findByRole('alert')).textContent).toContain('is not a point in time');
    expect(screen.queryByTestId('as-of-banner')).toBeNull();
  });

  it('takes a moment from the date-time picker, as UTC', async () => {
    const b = backend();
    render(Overview, { context: backendContext(b) });
    await screen.findByRole('table');
    const picker = screen.getByLabelText('As of: pick a date and time (UTC)');
    expect(picker.getAttribute('type')).toBe('datetime-local');
    await fireEvent.change(picker, { target: { value: '2025-11-22T06:00' } });
    await screen.findByTestId('as-of-banner');
    expect(b.overviewAt).toHaveBeenCalledWith({ at: '2025-11-22T06:00:00Z' });
    // what was picked is the typed form too
    expect((screen.getByLabelText('As of') as HTMLInputElement).value).toBe('2025-11-22T06:00:00Z');
  });
});
