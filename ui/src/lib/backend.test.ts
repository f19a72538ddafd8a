import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { tauriBackend, toTollgateError } from './backend';
import { row, sampleWorkspace } from './testing';

afterEach(() => clearMocks());

describe('tauriBackend', () => {
  it('invokes the declared commands by name', async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      return cmd === 'status' ? [row({ app: 'api', env: 'dev' })] : sampleWorkspace;
    });
    expect(await tauriBackend.status()).toHaveLength(1);
    expect(await tauriBackend.workspaceInfo()).toEqual(sampleWorkspace);
    expect(calls).toEqual(['status', 'workspace_info']);
  });

  it('passes the core error {code, message} through', async () => {
    mockIPC(() => {
      throw { code: 'config', message: 'no workspace is open' };
    });
    await expect(tauriBackend.workspaceInfo()).rejects.toEqual({ code: 'config', message: 'no workspace is open' });
  });

  it('turns anything else Tauri rejects with into an internal {code, message}', async () => {
    mockIPC(() => {
      throw 'status not allowed. Command not found';
    });
    await expect(tauriBackend.status()).rejects.toEqual({
      code: 'internal',
      message: 'status not allowed. Command not found',
    });
  });
});

describe('toTollgateError', () => {
  it('keeps the message of a JavaScript Error', () => {
    expect(toTollgateError(new Error('boom'))).toEqual({ code: 'internal', message: 'boom' });
  });
});
