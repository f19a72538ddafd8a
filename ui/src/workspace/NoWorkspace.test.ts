import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { backendContext, type Backend as BaseBackend } from '../lib/backend';
import { recentWorkspace, sampleWorkspace } from '../lib/testing';
import { promoteBackend } from '../lib/testing';
import NoWorkspace from './NoWorkspace.svelte';

const error = {
  code: 'config' as const,
  message: 'no workspace is open: start Tollgate with --workspace FILE',
};

function show(backend = promoteBackend()) {
  const onopen = vi.fn();
  render(NoWorkspace, { props: { error, onopen }, context: backendContext(backend as BaseBackend) });
  return { backend, onopen };
}

describe('NoWorkspace', () => {
  it('says why, and opens the demo workspace', async () => {
    const { backend, onopen } = show();
    expect(screen.getByRole('alert').textContent).toContain(error.message);
    await fireEvent.click(screen.getByRole('button', { name: 'Open the demo workspace' }));
    await waitFor(() => expect(onopen).toHaveBeenCalledWith(sampleWorkspace));
    expect(backend.openDemo).toHaveBeenCalled();
  });

  it('offers a new workspace from a registry, and closes the wizard on cancel', async () => {
    show();
    expect(screen.queryByLabelText('Registry URL')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'New workspace…' }));
    expect(screen.getByLabelText('Registry URL')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByLabelText('Registry URL')).toBeNull();
  });

  it('opens the tollgate.toml chosen in the native dialog the app opens, by its token', async () => {
    const { backend, onopen } = show();
    await fireEvent.click(screen.getByRole('button', { name: 'Open tollgate.toml…' }));
    await waitFor(() => expect(onopen).toHaveBeenCalled());
    expect(backend.chooseWorkspace).toHaveBeenCalled();
    // The page never names a path: only the token the app issued for the chosen file.
    expect(backend.openWorkspace).toHaveBeenCalledWith({
      token: 'token:/home/me/payments/tollgate.toml',
      recent: null,
    });
  });

  it('does nothing when the dialog is cancelled, and shows a bad file in place', async () => {
    const backend = promoteBackend({
      chooseWorkspace: null,
      openWorkspace: async () => {
        throw { code: 'config', message: 'unknown key `colour` at line 3 of /x/tollgate.toml: remove it' };
      },
    });
    const { onopen } = show(backend);
    await fireEvent.click(screen.getByRole('button', { name: 'Open tollgate.toml…' }));
    await waitFor(() => expect(backend.chooseWorkspace).toHaveBeenCalledTimes(1));
    expect(backend.openWorkspace).not.toHaveBeenCalled();

    backend.chooseWorkspace.mockResolvedValueOnce({ token: 'workspace-2', path: '/x/tollgate.toml' });
    await fireEvent.click(screen.getByRole('button', { name: 'Open tollgate.toml…' }));
    await screen.findByText(/unknown key `colour`/);
    expect(screen.getAllByRole('alert')).toHaveLength(2);
    expect(onopen).not.toHaveBeenCalled();
  });

  it('lists the recent workspaces, newest first, and opens one from the list', async () => {
    const backend = promoteBackend({
      recentWorkspaces: [
        recentWorkspace('/home/me/payments/tollgate.toml', 'payments'),
        recentWorkspace('/home/me/shop/tollgate.toml', 'shop'),
      ],
    });
    const { onopen } = show(backend);
    const buttons = await screen.findAllByRole('button', { name: /^(payments|shop)$/ });
    expect(buttons.map((b) => b.textContent?.trim())).toEqual(['payments', 'shop']);
    expect(screen.getByText('/home/me/shop/tollgate.toml')).toBeTruthy();
    await fireEvent.click(buttons[1]!);
    await waitFor(() => expect(onopen).toHaveBeenCalled());
    expect(backend.openWorkspace).toHaveBeenCalledWith({
      token: null,
      recent: '/home/me/shop/tollgate.toml',
    });
    expect(backend.chooseWorkspace).not.toHaveBeenCalled();
  });
});
