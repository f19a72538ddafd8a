// Test helpers: a fake Backend and sample boundary data. Imported only by *.test.ts files.
import type { Backend, TollgateError } from './backend';
import type { StatusRow } from './bindings/StatusRow';
import type { WorkspaceInfo } from './bindings/WorkspaceInfo';

type Answer<T> = T | TollgateError;

function isError(a: unknown): a is TollgateError {
  return typeof a === 'object' && a !== null && 'code' in a && 'message' in a;
}

function answer<T>(a: Answer<T>): Promise<T> {
  return isError(a) ? Promise.reject(a) : Promise.resolve(a as T);
}

/** A Backend that answers from fixed data (or rejects with the given `{code, message}`). */
export function fakeBackend(data: { status?: Answer<StatusRow[]>; workspaceInfo?: Answer<WorkspaceInfo> }): Backend {
  return {
    status: () => answer(data.status ?? []),
    workspaceInfo: () => answer(data.workspaceInfo ?? sampleWorkspace),
  };
}

export const sampleWorkspace: WorkspaceInfo = {
  name: 'payments',
  config_path: '/home/ci/payments/tollgate.toml',
  db_path: '/home/ci/payments/tollgate.db',
};

export const digestA = `sha256:${'a1b2c3d4e5f6'.repeat(5)}a1b2`;
export const digestB = `sha256:${'0f1e2d3c4b5a'.repeat(5)}0f1e`;

export function row(over: Partial<StatusRow> & Pick<StatusRow, 'app' | 'env'>): StatusRow {
  return {
    repository: `local/payments/${over.app}`,
    tag: over.env,
    digest: digestA,
    since: '2025-11-20T09:30:00Z',
    drift: false,
    via: 'promotion',
    last_observed: '2025-11-25T08:00:00Z',
    ...over,
  };
}
