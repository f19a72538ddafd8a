import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { backendContext, type Backend as BaseBackend } from '../lib/backend';
import { fakeBackend, type FakeBackend } from '../lib/testing';
import NewWorkspace from './NewWorkspace.svelte';

function show(backend: FakeBackend = fakeBackend()) {
  const onopen = vi.fn();
  const oncancel = vi.fn();
  render(NewWorkspace, { props: { onopen, oncancel }, context: backendContext(backend as BaseBackend) });
  return { backend, onopen, oncancel };
}

async function connect(url: string, user = '', password = '') {
  await fireEvent.input(screen.getByLabelText('Registry URL'), { target: { value: url } });
  if (user) await fireEvent.input(screen.getByLabelText('User'), { target: { value: user } });
  if (password) await fireEvent.input(screen.getByLabelText('Password'), { target: { value: password } });
  await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
}

describe('NewWorkspace', () => {
  it('walks registry → catalog → environments → approver → save, then syncs and opens', async () => {
    const { backend, onopen } = show(fakeBackend({ keyShow: null }));
    await connect('https://registry.example.com', 'ci', 'hunter2');
    expect(backend.registryProbe).toHaveBeenCalledWith({
      url: 'https://registry.example.com',
      login: { username: 'ci', password: 'hunter2' },
    });
    await screen.findByText('The credentials for registry.example.com are in the OS keychain.');
    // Only payments/api of the catalog.
    await fireEvent.click(screen.getByLabelText('payments/worker'));
    await fireEvent.click(screen.getByRole('button', { name: 'Next: environments' }));
    expect(backend.registryTags).toHaveBeenCalledWith({
      url: 'https://registry.example.com',
      repositories: ['payments/api'],
    });
    // Production before staging, and two approvals into it.
    await fireEvent.click(await screen.findByRole('button', { name: 'Move production of api earlier' }));
    await fireEvent.change(screen.getByRole('combobox', { name: 'Policy of api into production' }), {
      target: { value: 'two_approvals' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Next: approver' }));
    await fireEvent.input(await screen.findByLabelText('Your approver id'), {
      target: { value: 'me@example.com' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Save tollgate.toml…' }));
    await waitFor(() => expect(onopen).toHaveBeenCalled());
    expect(backend.newWorkspace).toHaveBeenCalledWith({
      name: '',
      registry_url: 'https://registry.example.com',
      apps: [
        {
          name: 'api',
          repository: 'payments/api',
          environments: [
            { name: 'dev', tag: 'dev', policy: 'none' },
            { name: 'production', tag: 'production', policy: 'two_approvals' },
            { name: 'staging', tag: 'staging', policy: 'one_approval' },
          ],
        },
      ],
      approver: 'me@example.com',
      skipped: [],
    });
    const order = backend.calls.map((c) => c.method);
    expect(order.indexOf('sync')).toBeGreaterThan(order.indexOf('newWorkspace'));
  });

  it('takes typed repositories where the registry refuses its catalog, and this machine’s identity', async () => {
    const backend = fakeBackend({
      registryProbe: {
        url: 'https://ghcr.io',
        host: 'ghcr.io',
        repositories: [],
        catalog_refused: 'registry ghcr.io does not list its repositories (it refuses its catalog)',
        stored_credentials: false,
      },
      registryTags: [
        {
          repository: 'acme/api',
          app: 'api',
          tags: ['dev', 'prod'],
          environments: [
            { name: 'dev', tag: 'dev', policy: 'none' },
            { name: 'prod', tag: 'prod', policy: 'none' },
          ],
          not_added: null,
        },
        {
          repository: 'acme/web',
          app: 'web',
          tags: ['latest'],
          environments: [],
          not_added:
            'acme/web: no tag is named dev, test, qa, staging, prod, production (its tags: latest); add it by hand',
        },
      ],
      keyShow: {
        id: 'alice@example.com',
        public_key: 'ssh-ed25519 AAAA alice@example.com',
        fingerprint: 'SHA256:x',
        allowed_signers_line: '',
      },
    });
    show(backend);
    await connect('ghcr.io');
    expect(backend.registryProbe).toHaveBeenCalledWith({ url: 'ghcr.io', login: null });
    await screen.findByText(/refuses its catalog/);
    await fireEvent.input(screen.getByLabelText(/Repositories/), { target: { value: 'acme/api\nacme/web' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Next: environments' }));
    expect(backend.registryTags).toHaveBeenCalledWith({
      url: 'https://ghcr.io',
      repositories: ['acme/api', 'acme/web'],
    });
    await fireEvent.click(await screen.findByRole('button', { name: 'Next: approver' }));
    expect((await screen.findByLabelText<HTMLInputElement>('Your approver id')).value).toBe(
      'alice@example.com',
    );
  });

  it('shows a refused login in place and stays on the step; a cancelled save writes nothing', async () => {
    const backend = fakeBackend({
      registryProbe: {
        code: 'auth_required',
        message: "registry r.example.com rejected the credentials of user 'ci' for the registry",
      },
      newWorkspace: null,
    });
    const { onopen } = show(backend);
    await connect('https://r.example.com', 'ci', 'wrong');
    await screen.findByText(/rejected the credentials/);
    expect(screen.getByRole('button', { name: 'Connect' })).toBeTruthy();

    backend.registryProbe.mockResolvedValueOnce({
      url: 'https://r.example.com',
      host: 'r.example.com',
      repositories: ['payments/api'],
      catalog_refused: null,
      stored_credentials: true,
    });
    await connect('https://r.example.com', 'ci', 'right');
    await fireEvent.click(await screen.findByRole('button', { name: 'Next: environments' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Next: approver' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Save tollgate.toml…' }));
    await screen.findByText('Nothing was saved.');
    expect(backend.sync).not.toHaveBeenCalled();
    expect(onopen).not.toHaveBeenCalled();
  });
});
