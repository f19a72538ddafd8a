import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { backendContext } from '../lib/backend';
import {
  cell,
  digestA,
  digestB,
  fakeBackend,
  row,
  sampleOverview,
  signer,
  type FakeBackend,
} from '../lib/testing';
import Overview from './Overview.svelte';

/** api: dev runs A; staging drifted from A to B (the tag moved outside Tollgate). */
const drifted = () =>
  row({
    app: 'api',
    env: 'staging',
    digest: digestB,
    drift: true,
    via: 'drift',
    tag: 'staging',
    drifted_from: digestA,
  });

function show(backend: FakeBackend) {
  return render(Overview, { context: backendContext(backend) });
}

describe('Drift fixed where it is shown', () => {
  it('records what runs as right from the banner, signed by the app, then shows the new state', async () => {
    let recorded = false;
    const backend = fakeBackend({
      overview: () =>
        sampleOverview([
          cell(row({ app: 'api', env: 'dev', digest: digestA })),
          cell(recorded ? { ...drifted(), drift: false, via: 'record', unapproved: true } : drifted()),
        ]),
    });
    backend.record.mockImplementation(async (req) => {
      recorded = true;
      return (await import('../lib/testing')).recordReceipt(req);
    });
    show(backend);
    const banner = await screen.findByTestId('drift-banner');
    await waitFor(() =>
      expect(
        (within(banner).getByRole('button', { name: 'This is right: record it' }) as HTMLButtonElement)
          .disabled,
      ).toBe(false),
    );
    await fireEvent.click(within(banner).getByRole('button', { name: 'This is right: record it' }));
    // The digest the tag points to now, in that environment; who signs is the app's to decide.
    expect(backend.record).toHaveBeenCalledWith({ app: 'api', env: 'staging', digest: digestB });
    await waitFor(() => expect(screen.queryByTestId('drift-banner')).toBeNull());
    expect(document.querySelector('td[data-env="staging"] .unapproved-badge')).toBeTruthy();
  });

  it('offers the same two fixes in the drifted cell, and rolling back picks what ran before', async () => {
    const { container } = show(fakeBackend({ overview: sampleOverview([cell(drifted())]) }));
    await screen.findByTestId('drift-banner');
    const td = container.querySelector<HTMLElement>('td[data-env="staging"]')!;
    const fix = within(td);
    expect(fix.getByRole('button', { name: 'This is right: record it' })).toBeTruthy();
    const back = fix.getByRole('link', { name: `Roll back to ${digestA.slice(7, 19)}` });
    expect(back.getAttribute('href')).toBe(`#/rollback/api/staging/${digestA}`);
    const banner = screen.getByTestId('drift-banner');
    expect(
      within(banner)
        .getByRole('link', { name: `Roll back to ${digestA.slice(7, 19)}` })
        .getAttribute('href'),
    ).toBe(`#/rollback/api/staging/${digestA}`);
  });

  it('a Cancel in the confirmation records nothing and changes nothing here', async () => {
    const backend = fakeBackend({ overview: sampleOverview([cell(drifted())]), record: null });
    show(backend);
    const banner = await screen.findByTestId('drift-banner');
    const button = within(banner).getByRole('button', { name: 'This is right: record it' });
    await waitFor(() => expect((button as HTMLButtonElement).disabled).toBe(false));
    const loads = backend.overview.mock.calls.length;
    await fireEvent.click(button);
    await waitFor(() => expect(backend.record).toHaveBeenCalledTimes(1));
    expect(backend.overview.mock.calls.length).toBe(loads);
    expect(screen.getByTestId('drift-banner')).toBeTruthy();
  });

  it('is disabled with the reason when this machine cannot sign, or there is nothing to record', async () => {
    const backend = fakeBackend({
      overview: sampleOverview([
        cell(drifted()),
        cell(row({ app: 'web', env: 'prod', digest: null, drift: true, via: 'drift', tag: 'prod' })),
      ]),
      signer: signer({ problem: 'this machine has no signing key yet: create one in Settings' }),
    });
    const { container } = show(backend);
    await screen.findByTestId('drift-banner');
    const api = container.querySelector<HTMLElement>('[data-drifted="api/staging"]')!;
    const button = within(api).getByRole('button', { name: 'This is right: record it' }) as HTMLButtonElement;
    await waitFor(() => expect(button.disabled).toBe(true));
    const why = document.getElementById(button.getAttribute('aria-describedby')!)!;
    expect(why.textContent).toBe(
      'Recording is signed, and this machine has no signing key yet: create one in Settings.',
    );
    const web = container.querySelector<HTMLElement>('[data-drifted="web/prod"]')!;
    expect(web.textContent).toContain('The tag is missing: there is no image to record');
    await fireEvent.click(button);
    expect(backend.record).not.toHaveBeenCalled();
  });

  it('a CI signer whose key is listed may record (it signs records, never approvals)', async () => {
    const backend = fakeBackend({
      overview: sampleOverview([cell(drifted())]),
      signer: signer({
        ci_signer: true,
        listed: true,
        problem: 'ci@example.com is a CI signer: never approvals',
      }),
    });
    show(backend);
    const banner = await screen.findByTestId('drift-banner');
    const button = within(banner).getByRole('button', {
      name: 'This is right: record it',
    }) as HTMLButtonElement;
    await waitFor(() => expect(button.disabled).toBe(false));
  });

  it('shows a failed record where it was asked, in words, with what to do in the window', async () => {
    const backend = fakeBackend({
      overview: sampleOverview([cell(drifted())]),
      record: {
        code: 'refused',
        message: 'no key to sign as quinn@example.com',
        hint: { kind: 'sign_with_key', id: 'quinn@example.com' },
      },
    });
    show(backend);
    const banner = await screen.findByTestId('drift-banner');
    const button = within(banner).getByRole('button', { name: 'This is right: record it' });
    await waitFor(() => expect((button as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(button);
    const alert = await within(banner).findByRole('alert');
    expect(alert.dataset.code).toBe('refused');
    expect(alert.textContent).toContain('Refused');
    expect(alert.textContent).not.toContain('refused');
    expect(alert.textContent).toContain(
      'Create this machine’s signing key for quinn@example.com in Settings',
    );
    expect(alert.textContent).not.toMatch(/--|tollgate key/);
  });
});
