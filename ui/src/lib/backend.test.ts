import { Channel } from '@tauri-apps/api/core';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { methodName, tauriBackend, toTollgateError, type Backend } from './backend';
import { COMMAND_NAMES } from './bindings/Commands';
import type { SyncProgress } from './bindings/SyncProgress';
import { digestA, row, sampleSyncReport, sampleWorkspace } from './testing';

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

  it('sends each method’s one request as `req` (null for commands without one)', async () => {
    const seen: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      return null;
    });
    const b: Backend = tauriBackend;
    await b.overview();
    await b.timeline({ app: 'api' });
    await b.digestDetail({ app: 'api', digest: digestA });
    await b.check({ app: 'api', to: 'production', digest: digestA });
    await b.signer();
    await b.approve({
      app: 'api',
      to: 'production',
      digest: digestA,
      confirm: 'a1b2c3d4e5f6',
      role: null,
      note: 'ok',
    });
    await b.chooseExportPath({ format: 'pdf', suggested_name: 'r.pdf' });
    await b.export({
      target: 'export-1',
      format: 'pdf',
      app: null,
      env: null,
      since: null,
      until: null,
    });
    await b.revealFile({ path: '/tmp/r.pdf' });
    await b.keyInit({ id: 'alice@example.com' });
    await b.keyShow();
    await b.keyRotate();
    await b.registries();
    await b.login({ registry: 'hub', username: 'ci', password: 'pw' });
    await b.chooseWorkspace();
    await b.recentWorkspaces();
    await b.openWorkspace({ token: 'workspace-1', recent: null });
    await b.openDemo();
    expect(seen).toEqual([
      ['overview', { req: null }],
      ['timeline', { req: { app: 'api' } }],
      ['digest_detail', { req: { app: 'api', digest: digestA } }],
      ['check', { req: { app: 'api', to: 'production', digest: digestA } }],
      ['signer', { req: null }],
      [
        'approve',
        {
          req: {
            app: 'api',
            to: 'production',
            digest: digestA,
            confirm: 'a1b2c3d4e5f6',
            role: null,
            note: 'ok',
          },
        },
      ],
      ['choose_export_path', { req: { format: 'pdf', suggested_name: 'r.pdf' } }],
      [
        'export',
        { req: { target: 'export-1', format: 'pdf', app: null, env: null, since: null, until: null } },
      ],
      ['reveal_file', { req: { path: '/tmp/r.pdf' } }],
      ['key_init', { req: { id: 'alice@example.com' } }],
      ['key_show', { req: null }],
      ['key_rotate', { req: null }],
      ['registries', { req: null }],
      ['login', { req: { registry: 'hub', username: 'ci', password: 'pw' } }],
      ['choose_workspace', { req: null }],
      ['recent_workspaces', { req: null }],
      ['open_workspace', { req: { token: 'workspace-1', recent: null } }],
      ['open_demo', { req: null }],
    ]);
  });

  it('has a method for every declared command', () => {
    expect(Object.keys(tauriBackend).sort()).toEqual(COMMAND_NAMES.map(methodName).sort());
  });

  it('hands sync progress and promotion steps from their channels to the listeners', async () => {
    mockIPC((cmd, args) => {
      const a = args as Record<string, Channel<unknown>>;
      if (cmd === 'sync') {
        a.onProgress!.onmessage({ done: 1, total: 2, app: 'api', env: 'dev' });
        a.onProgress!.onmessage({ done: 2, total: 2, app: 'api', env: 'staging' });
        return sampleSyncReport();
      }
      a.onProgress!.onmessage('intended');
      a.onProgress!.onmessage('pushed');
      return { cmd, req: (args as Record<string, unknown>).req };
    });
    const progress: SyncProgress[] = [];
    await tauriBackend.sync((p) => progress.push(p));
    expect(progress.map((p) => `${p.done}/${p.total} ${p.env}`)).toEqual(['1/2 dev', '2/2 staging']);

    const steps: string[] = [];
    await tauriBackend.promote({ app: 'api', to: 'production', digest: digestA }, (s) => steps.push(s));
    await tauriBackend.rollback({ app: 'api', env: 'production', digest: digestA }, (s) => steps.push(s));
    expect(steps).toEqual(['intended', 'pushed', 'intended', 'pushed']);
  });

  it('passes the core error {code, message} through', async () => {
    mockIPC(() => {
      throw { code: 'config', message: 'no workspace is open' };
    });
    await expect(tauriBackend.workspaceInfo()).rejects.toEqual({
      code: 'config',
      message: 'no workspace is open',
    });
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
