import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { backendContext, type Backend as BaseBackend } from '../lib/backend';
import { sampleWorkspace } from '../lib/testing';
import { promoteBackend } from '../lib/testing';
import NoWorkspace from './NoWorkspace.svelte';

const dialog = vi.hoisted(() => ({ save: vi.fn(), open: vi.fn() }));
vi.mock('@tauri-apps/plugin-dialog', () => dialog);

const error = {
  code: 'config' as const,
  message: 'no workspace is open: start Tollgate with --workspace FILE',
};

function show(backend = promoteBackend()) {
  const onopen = vi.fn();
  render(NoWorkspace, { props: { error, onopen }, context: backendContext(backend as BaseBackend) });
  return { backend, onopen };
}

beforeEach(() => dialog.open.mockReset());

describe('NoWorkspace', () => {
  it('says why, and opens the demo workspace', async () => {
    const { backend, onopen } = show();
    expect(screen.getByRole('alert').textContent).toContain(error.message);
    await fireEvent.click(screen.getByRole('button', { name: 'Open the demo workspace' }));
    await waitFor(() => expect(onopen).toHaveBeenCalledWith(sampleWorkspace));
    expect(backend.openDemo).toHaveBeenCalled();
  });

  it('opens a tollgate.toml picked in the native dialog', async () => {
    dialog.open.mockResolvedValue('/home/me/payments/tollgate.toml');
    const { backend, onopen } = show();
    await fireEvent.click(screen.getByRole('button', { name: 'Open tollgate.toml…' }));
    await waitFor(() => expect(onopen).toHaveBeenCalled());
    expect(dialog.open).toHaveBeenCalledWith(
      expect.objectContaining({ filters: [{ name: 'Tollgate workspace', extensions: ['toml'] }] }),
    );
    expect(backend.openWorkspace).toHaveBeenCalledWith({ path: '/home/me/payments/tollgate.toml' });
  });

  it('does nothing when the dialog is cancelled, and shows a bad file in place', async () => {
    dialog.open.mockResolvedValueOnce(null);
    const backend = promoteBackend({
      openWorkspace: async () => {
        throw { code: 'config', message: 'unknown key `colour` at line 3 of /x/tollgate.toml: remove it' };
      },
    });
    const { onopen } = show(backend);
    await fireEvent.click(screen.getByRole('button', { name: 'Open tollgate.toml…' }));
    await waitFor(() => expect(dialog.open).toHaveBeenCalledTimes(1));
    expect(backend.openWorkspace).not.toHaveBeenCalled();

    dialog.open.mockResolvedValueOnce('/x/tollgate.toml');
    await fireEvent.click(screen.getByRole('button', { name: 'Open tollgate.toml…' }));
    await screen.findByText(/unknown key `colour`/);
    expect(screen.getAllByRole('alert')).toHaveLength(2);
    expect(onopen).not.toHaveBeenCalled();
  });
});
