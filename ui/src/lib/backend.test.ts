import { Channel } from '@tauri-apps/api/core';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { tauriBackend, toTollgateError, type Backend } from './backend';
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

  it('passes each method’s arguments under the names the Rust commands take', async () => {
    const seen: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      return null;
    });
    const b: Backend = tauriBackend;
    await b.overview();
    await b.timeline('api');
    await b.digestDetail('api', digestA);
    await b.checkPromotion('api', 'production', digestA);
    await b.signer();
    await b.approve({
      app: 'api',
      to: 'production',
      digest: digestA,
      confirm: 'a1b2c3d4e5f6',
      role: null,
      note: 'ok',
    });
    await b.exportReport({
      format: 'pdf',
      app: null,
      env: null,
      since: null,
      until: null,
      out: '/tmp/r.pdf',
    });
    await b.revealFile('/tmp/r.pdf');
    await b.keyInit('alice@example.com');
    await b.keyShow();
    await b.registries();
    await b.login('hub', 'ci', 'pw');
    await b.openWorkspace('/w/tollgate.toml');
    await b.openDemo();
    expect(seen).toEqual([
      ['overview', {}],
      ['timeline', { app: 'api' }],
      ['digest_detail', { app: 'api', digest: digestA }],
      ['check_promotion', { app: 'api', to: 'production', digest: digestA }],
      ['signer', {}],
      [
        'approve',
        { app: 'api', to: 'production', digest: digestA, confirm: 'a1b2c3d4e5f6', role: null, note: 'ok' },
      ],
      [
        'export_report',
        { req: { format: 'pdf', app: null, env: null, since: null, until: null, out: '/tmp/r.pdf' } },
      ],
      ['reveal_file', { path: '/tmp/r.pdf' }],
      ['key_init', { id: 'alice@example.com' }],
      ['key_show', {}],
      ['registries', {}],
      ['login', { registry: 'hub', username: 'ci', password: 'pw' }],
      ['open_workspace', { path: '/w/tollgate.toml' }],
      ['open_demo', {}],
    ]);
  });

  it('hands sync progress and promotion steps from their channels to the callbacks', async () => {
    mockIPC((cmd, args) => {
      const a = args as Record<string, Channel<unknown>>;
      if (cmd === 'sync') {
        a.onProgress!.onmessage({ done: 1, total: 2, app: 'api', env: 'dev' });
        a.onProgress!.onmessage({ done: 2, total: 2, app: 'api', env: 'staging' });
        return sampleSyncReport();
      }
      a.onStep!.onmessage('intended');
      a.onStep!.onmessage('pushed');
      return { cmd, app: (args as Record<string, unknown>).app };
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
