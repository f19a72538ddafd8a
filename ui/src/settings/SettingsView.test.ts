import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { backendContext, type Backend as BaseBackend } from '../lib/backend';
import { sampleWorkspace } from '../lib/testing';
import { promoteBackend, rotation, quinnKey, signer } from '../lib/testing';
import SettingsView from './SettingsView.svelte';

const SECRET = 'hunter2-s3cret-token';

function show(backend = promoteBackend()) {
  const view = render(SettingsView, { context: backendContext(backend as BaseBackend) });
  return { backend, ...view };
}

describe('SettingsView', () => {
  it('shows the workspace file, the registries with their credential state, and the signing key', async () => {
    const { container } = show();
    expect(await screen.findByText(sampleWorkspace.config_path)).toBeTruthy();
    expect(await screen.findByText('http://127.0.0.1:5000')).toBeTruthy();
    expect(screen.getByText('local folder: none needed')).toBeTruthy();
    expect((await screen.findByTestId('public-key')).textContent).toBe(quinnKey.public_key);
    expect(screen.getByTestId('allowed-signers').textContent).toBe(quinnKey.allowed_signers_line);
    expect(container.querySelectorAll('.signing-key .copy-button')).toHaveLength(2);
    const standing = await screen.findByTestId('approver-standing');
    expect(standing.dataset.listed).toBe('true');
    expect(standing.textContent).toContain('An approver of this workspace (qa)');
  });

  it('says when this machine is not an approver here, and what to hand over, with a copy button', async () => {
    const problem =
      'quinn@example.com is not listed in tollgate.toml: ask whoever keeps it to add this key under [[approvers]]';
    const backend = promoteBackend({
      signer: async () => signer({ listed: false, roles: [], problem }),
    });
    show(backend);
    const standing = await screen.findByTestId('approver-standing');
    expect(standing.dataset.listed).toBe('false');
    expect(standing.textContent).toContain('Not an approver of this workspace yet.');
    expect(standing.textContent).toContain(problem);
    const entry = screen.getByTestId('approver-entry').textContent ?? '';
    expect(entry).toContain('[[approvers]]\nid = "quinn@example.com"');
    expect(entry).toContain(`key = "${quinnKey.public_key}"`);
    expect(screen.getByRole('button', { name: 'Copy approvers entry' })).toBeTruthy();
  });

  it('sends the password to the core once and never displays or keeps it', async () => {
    const { backend, container } = show();
    const password = (await screen.findByLabelText('Password or token')) as HTMLInputElement;
    expect(password.type).toBe('password');
    await fireEvent.input(screen.getByLabelText('Username'), { target: { value: 'ci' } });
    await fireEvent.input(password, { target: { value: SECRET } });
    await fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await screen.findByText('Stored credentials for 127.0.0.1:5000 in the OS keychain.');
    expect(backend.login).toHaveBeenCalledWith({ registry: 'local', username: 'ci', password: SECRET });
    expect(password.value).toBe('');
    expect(container.innerHTML).not.toContain(SECRET);
    expect(document.body.textContent).not.toContain(SECRET);
    await waitFor(() => expect(backend.registries).toHaveBeenCalledTimes(2));
  });

  it('clears the password and shows the error in place when login fails', async () => {
    const backend = promoteBackend({
      login: async () => {
        throw {
          code: 'auth_required',
          message: '127.0.0.1:5000 refused these credentials: check the username and password',
        };
      },
    });
    const { container } = show(backend);
    const password = (await screen.findByLabelText('Password or token')) as HTMLInputElement;
    await fireEvent.input(screen.getByLabelText('Username'), { target: { value: 'ci' } });
    await fireEvent.input(password, { target: { value: SECRET } });
    await fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect((await screen.findByRole('alert')).dataset.code).toBe('auth_required');
    expect(password.value).toBe('');
    expect(container.innerHTML).not.toContain(SECRET);
  });

  it('creates a signing key when there is none and shows its public half', async () => {
    const backend = promoteBackend({ keyShow: async () => null });
    show(backend);
    const id = await screen.findByLabelText('Your approver id');
    await fireEvent.input(id, { target: { value: 'quinn@example.com' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Create signing key' }));
    expect(backend.keyInit).toHaveBeenCalledWith({ id: 'quinn@example.com' });
    expect((await screen.findByTestId('public-key')).textContent).toBe(quinnKey.public_key);
  });

  it('rotates the key only after a second click and shows the tollgate.toml lines', async () => {
    const backend = promoteBackend();
    show(backend);
    await fireEvent.click(await screen.findByRole('button', { name: 'Rotate key…' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(backend.keyRotate).not.toHaveBeenCalled();

    await fireEvent.click(screen.getByRole('button', { name: 'Rotate key…' }));
    expect(backend.keyRotate).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByRole('button', { name: 'Rotate now' }));
    expect(backend.keyRotate).toHaveBeenCalledTimes(1);
    expect((await screen.findByTestId('rotation-toml')).textContent).toBe(rotation.toml);
    expect(screen.getByTestId('public-key').textContent).toBe(rotation.current.public_key);
    expect(screen.queryByRole('button', { name: 'Rotate key…' })).toBeNull();
  });

  it('keeps the key and shows the error in place when the rotation fails', async () => {
    const backend = promoteBackend({
      keyRotate: async () => {
        throw {
          code: 'keychain',
          message:
            'the OS keychain did not keep the new signing key for quinn@example.com; check the keychain is unlocked and writable, then try again',
        };
      },
    });
    show(backend);
    await fireEvent.click(await screen.findByRole('button', { name: 'Rotate key…' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Rotate now' }));
    expect((await screen.findByRole('alert')).dataset.code).toBe('keychain');
    expect(screen.getByTestId('public-key').textContent).toBe(quinnKey.public_key);
  });
});
