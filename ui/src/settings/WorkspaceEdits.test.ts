// The Settings forms that edit tollgate.toml (add a registry, an app, an approver), log out of a
// registry and open another workspace. The native confirmation with the diff is the backend's;
// here `null` stands for "cancelled there".
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { backendContext, type Backend as BaseBackend } from '../lib/backend';
import { fakeBackend, publicKey, sampleRegistries, type FakeBackend } from '../lib/testing';
import AddApp from './AddApp.svelte';
import AddApprover from './AddApprover.svelte';
import AddRegistry from './AddRegistry.svelte';
import SettingsView from './SettingsView.svelte';

const SECRET = 'hunter2-s3cret-token';
const context = (backend: FakeBackend) => backendContext(backend as BaseBackend);

function input(name: string): HTMLInputElement {
  return document.querySelector(`[name="${name}"]`) as HTMLInputElement;
}

async function type(name: string, value: string) {
  await fireEvent.input(input(name), { target: { value } });
}

describe('AddRegistry', () => {
  it('sends the registry and the credentials, clears the password and says what was stored', async () => {
    const backend = fakeBackend();
    let added = 0;
    render(AddRegistry, { context: context(backend), props: { onadded: () => (added += 1) } });
    await type('registry-name', ' hub ');
    await type('registry-url', 'https://hub.example.com');
    await type('registry-user', 'ci');
    input('registry-password').value = SECRET;
    await fireEvent.click(screen.getByRole('button', { name: 'Check and add…' }));
    await waitFor(() => expect(backend.registryAdd).toHaveBeenCalledTimes(1));
    expect(backend.registryAdd).toHaveBeenCalledWith({
      registry: { name: 'hub', url: 'https://hub.example.com', insecure: false },
      login: { username: 'ci', password: SECRET },
    });
    expect(input('registry-password').value).toBe('');
    const result = await screen.findByTestId('add-registry-result');
    await waitFor(() =>
      expect(result.textContent).toContain(
        "Written to tollgate.toml: add registry 'hub' (https://hub.example.com). Credentials for hub.example.com are in the OS keychain.",
      ),
    );
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(added).toBe(1);
  });

  it('shows the one-line refusal of an unreachable registry, and a cancelled confirmation', async () => {
    const unreachable = {
      code: 'unreachable' as const,
      message: 'cannot reach registry 127.0.0.1:9 while checking access to the registry; nothing was stored',
    };
    const backend = fakeBackend({ registryAdd: unreachable });
    render(AddRegistry, { context: context(backend), props: { onadded: () => {} } });
    await type('registry-name', 'dead');
    await type('registry-url', 'http://127.0.0.1:9');
    await fireEvent.click(screen.getByRole('button', { name: 'Check and add…' }));
    expect(await screen.findByText(unreachable.message, { exact: false })).toBeTruthy();
    expect(screen.queryByText(/Stored|Written/)).toBeNull();
    expect(backend.registryAdd.mock.calls[0]?.[0].login).toBeNull();

    backend.registryAdd.mockResolvedValueOnce(null);
    await fireEvent.click(screen.getByRole('button', { name: 'Check and add…' }));
    expect(await screen.findByText('Not written: the confirmation was cancelled.')).toBeTruthy();
  });
});

describe('AddApp', () => {
  it('sends the app with its repository in the chosen registry and its environments in order', async () => {
    const backend = fakeBackend();
    render(AddApp, { context: context(backend), props: { registries: sampleRegistries } });
    await type('app-name', 'worker');
    await type('app-path', 'team/worker');
    await fireEvent.click(screen.getByRole('button', { name: 'Add an environment' }));
    const names = document.querySelectorAll<HTMLInputElement>('[name="env-name"]');
    const tags = document.querySelectorAll<HTMLInputElement>('[name="env-tag"]');
    await fireEvent.input(names[1]!, { target: { value: 'prod' } });
    await fireEvent.input(tags[1]!, { target: { value: 'production' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add app…' }));
    await waitFor(() => expect(backend.appAdd).toHaveBeenCalledTimes(1));
    expect(backend.appAdd).toHaveBeenCalledWith({
      name: 'worker',
      repository: 'hub/team/worker',
      environments: [
        { name: 'dev', tag: 'dev' },
        { name: 'prod', tag: 'production' },
      ],
    });
    expect((await screen.findByTestId('add-app-result')).textContent).toContain(
      "Written to tollgate.toml: add app 'worker'. Sync to read its tags.",
    );
  });

  it('shows why the file refused the app', async () => {
    const refused = {
      code: 'config' as const,
      message:
        "the edit would make tollgate.toml invalid, so nothing was written: app 'w': '-x' is not a valid tag",
    };
    render(AddApp, {
      context: context(fakeBackend({ appAdd: refused })),
      props: { registries: sampleRegistries },
    });
    await type('app-name', 'w');
    await type('app-path', 'w');
    await fireEvent.click(screen.getByRole('button', { name: 'Add app…' }));
    expect(await screen.findByText(refused.message, { exact: false })).toBeTruthy();
  });
});

describe('AddApprover', () => {
  it('adds this machine with the roles chosen, or someone from a pasted key', async () => {
    const backend = fakeBackend();
    render(AddApprover, {
      context: context(backend),
      props: { me: publicKey('quinn@example.com'), onadded: () => {} },
    });
    await type('my-roles', 'qa, manager ,');
    await fireEvent.click(screen.getByRole('button', { name: 'Add me (quinn@example.com)…' }));
    await waitFor(() =>
      expect(backend.approverAdd).toHaveBeenCalledWith({ id: null, key: null, roles: ['qa', 'manager'] }),
    );

    await type('approver-id', 'bob@example.com');
    await fireEvent.input(document.querySelector('[name="approver-key"]')!, {
      target: { value: ' ssh-ed25519 AAAAbob bob@example.com\n' },
    });
    await type('approver-roles', 'qa');
    await fireEvent.click(screen.getByRole('button', { name: 'Add approver…' }));
    await waitFor(() =>
      expect(backend.approverAdd).toHaveBeenLastCalledWith({
        id: 'bob@example.com',
        key: 'ssh-ed25519 AAAAbob bob@example.com',
        roles: ['qa'],
      }),
    );
    expect((await screen.findByTestId('add-approver-result')).textContent).toContain(
      "Written to tollgate.toml: add approver 'bob@example.com'.",
    );
  });

  it('offers no "Add me" without a key on this machine', () => {
    render(AddApprover, { context: context(fakeBackend()), props: { me: null, onadded: () => {} } });
    expect(screen.queryByRole('button', { name: /Add me/ })).toBeNull();
    expect(screen.getByRole('button', { name: 'Add approver…' })).toBeTruthy();
  });
});

describe('SettingsView workspace edits', () => {
  it('logs out of a registry with stored credentials and opens another workspace', async () => {
    const backend = fakeBackend();
    render(SettingsView, { context: context(backend) });
    await fireEvent.click(await screen.findByRole('button', { name: 'Log out' }));
    expect(backend.logout).toHaveBeenCalledWith({ registry: 'hub' });
    expect(
      await screen.findByText('Logged out of hub: its credentials are no longer in the OS keychain.'),
    ).toBeTruthy();
    await waitFor(() => expect(backend.registries).toHaveBeenCalledTimes(2));

    await fireEvent.click(screen.getByRole('button', { name: 'Open tollgate.toml…' }));
    await waitFor(() =>
      expect(backend.openWorkspace).toHaveBeenCalledWith({
        token: 'token:/home/me/payments/tollgate.toml',
        recent: null,
      }),
    );
  });
});
