// Test helpers: a fake Backend and sample boundary data. Imported only by *.test.ts files.
//
//   const backend = fakeBackend({ overview: sampleOverview([...cells]), timeline: [segment(...)] });
//   render(View, { context: backendContext(backend) });
//   expect(backend.calls).toContainEqual({ method: 'sync', args: [] });
//
// Every method answers from `data` (or rejects when the answer is a `{code, message}`); a
// function in `data` is called with the method's arguments instead. Progress (sync) and steps
// (promote, rollback) are sent before the method resolves.
import type { Backend, TollgateError } from './backend';
import type { ApprovalReceipt } from './bindings/ApprovalReceipt';
import type { ApprovalView } from './bindings/ApprovalView';
import type { DigestDetail } from './bindings/DigestDetail';
import type { Evaluation } from './bindings/Evaluation';
import type { Event } from './bindings/Event';
import type { ExportSummary } from './bindings/ExportSummary';
import type { Overview } from './bindings/Overview';
import type { OverviewCell } from './bindings/OverviewCell';
import type { PromotionCheck } from './bindings/PromotionCheck';
import type { PromotionOutcome } from './bindings/PromotionOutcome';
import type { PromotionStep } from './bindings/PromotionStep';
import type { KeyRotation } from './bindings/KeyRotation';
import type { PublicKeyInfo } from './bindings/PublicKeyInfo';
import type { RegistryView } from './bindings/RegistryView';
import type { Segment } from './bindings/Segment';
import type { SignerStatus } from './bindings/SignerStatus';
import type { StatusRow } from './bindings/StatusRow';
import type { SyncProgress } from './bindings/SyncProgress';
import type { SyncReport } from './bindings/SyncReport';
import type { WorkspaceInfo } from './bindings/WorkspaceInfo';

type Answer<T> = T | TollgateError;
type Method = keyof Backend;
/** A fixed answer, or a function of the method's arguments that returns one. */
type Data<M extends Method> =
  | Answer<Awaited<ReturnType<Backend[M]>>>
  | ((
      ...args: Parameters<Backend[M]>
    ) => Answer<Awaited<ReturnType<Backend[M]>>> | Promise<Awaited<ReturnType<Backend[M]>>>);

export type FakeData = { [M in Method]?: Data<M> } & {
  /** Sent to `sync`'s `onProgress` before it resolves (default: one per status row). */
  syncProgress?: SyncProgress[];
  /** Sent to `promote`'s / `rollback`'s `onStep` before they resolve (default: all four). */
  steps?: PromotionStep[];
};

export interface FakeBackend extends Backend {
  /** Every call, in order, with its arguments (callbacks included). */
  calls: { method: Method; args: unknown[] }[];
}

function isError(a: unknown): a is TollgateError {
  return typeof a === 'object' && a !== null && 'code' in a && 'message' in a;
}

/** The 64-bit integers of the bindings (`bigint` in TypeScript) arrive as JSON numbers. */
export function n(value: number): bigint {
  return value as unknown as bigint;
}

/** A Backend that answers from fixed data (or rejects with the given `{code, message}`). */
export function fakeBackend(data: FakeData = {}): FakeBackend {
  const calls: FakeBackend['calls'] = [];
  function answer<M extends Method>(
    method: M,
    fallback: () => Awaited<ReturnType<Backend[M]>>,
    args: unknown[],
  ) {
    calls.push({ method, args });
    const d: unknown = data[method];
    const a =
      typeof d === 'function'
        ? (d as (...a: unknown[]) => unknown)(...args)
        : d === undefined
          ? fallback()
          : d;
    return Promise.resolve(a).then((v) => (isError(v) ? Promise.reject(v) : v)) as Promise<
      Awaited<ReturnType<Backend[M]>>
    >;
  }
  const statusRows = (): StatusRow[] => {
    const s = data.status;
    return Array.isArray(s) ? s : [];
  };
  const steps: PromotionStep[] = data.steps ?? ['intended', 'pushed', 'verified', 'recorded'];
  return {
    calls,
    workspaceInfo: () => answer('workspaceInfo', () => sampleWorkspace, []),
    status: () => answer('status', () => [], []),
    overview: () =>
      answer(
        'overview',
        () => sampleOverview(statusRows().map((status) => ({ status, candidate: null }))),
        [],
      ),
    sync: (onProgress) => {
      const rows = statusRows();
      const progress =
        data.syncProgress ??
        rows.map((r, i) => ({ done: i + 1, total: rows.length, app: r.app, env: r.env }));
      progress.forEach((p) => onProgress(p));
      return answer('sync', () => sampleSyncReport(rows), [onProgress]);
    },
    timeline: (app) => answer('timeline', () => [], [app]),
    digestDetail: (app, digest) => answer('digestDetail', () => sampleDetail({ app, digest }), [app, digest]),
    checkPromotion: (app, to, digest) =>
      answer('checkPromotion', () => sampleCheck({ app, to, digest }), [app, to, digest]),
    signer: () => answer('signer', () => sampleSigner, []),
    approve: (req) => answer('approve', () => sampleReceipt(req.app, req.to, req.digest), [req]),
    promote: (req, onStep) => {
      steps.forEach((s) => onStep(s));
      return answer('promote', () => sampleOutcome(req.app, req.to, req.digest), [req, onStep]);
    },
    rollback: (req, onStep) => {
      steps.forEach((s) => onStep(s));
      return answer('rollback', () => sampleOutcome(req.app, req.env, req.digest), [req, onStep]);
    },
    exportReport: (req) => answer('exportReport', () => sampleExportSummary(req.out, req.format), [req]),
    revealFile: (path) => answer('revealFile', () => undefined, [path]),
    keyInit: (id) => answer('keyInit', () => sampleKey(id), [id]),
    keyShow: () => answer('keyShow', () => null, []),
    keyRotate: () => answer('keyRotate', () => sampleRotation('alice@example.com'), []),
    registries: () => answer('registries', () => sampleRegistries, []),
    login: (registry, username, password) =>
      answer('login', () => 'registry.example.com', [registry, username, password]),
    openWorkspace: (path) =>
      answer('openWorkspace', () => ({ ...sampleWorkspace, config_path: path }), [path]),
    openDemo: () => answer('openDemo', () => sampleWorkspace, []),
  };
}

export const sampleWorkspace: WorkspaceInfo = {
  name: 'payments',
  config_path: '/home/ci/payments/tollgate.toml',
  db_path: '/home/ci/payments/tollgate.db',
};

export const digestA = `sha256:${'a1b2c3d4e5f6'.repeat(5)}a1b2`;
export const digestB = `sha256:${'0f1e2d3c4b5a'.repeat(5)}0f1e`;
export const digestC = `sha256:${'77aa88bb99cc'.repeat(5)}77aa`;

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

export function evaluation(over: Partial<Evaluation> = {}): Evaluation {
  return {
    passed: false,
    rules: [
      {
        rule: 'approvals',
        passed: false,
        reason: 'needs 2 distinct approvers, has 1 (alice@example.com)',
        blocking: true,
      },
      {
        rule: 'roles',
        passed: true,
        reason: 'has an approval from each role: manager (alice@example.com)',
        blocking: true,
      },
      { rule: 'min_soak', passed: true, reason: 'soaked 3d2h in staging, needs 24h', blocking: true },
    ],
    counted: [n(7)],
    ignored: [],
    approvers: ['alice@example.com'],
    approvals_needed: 2,
    roles_needed: [],
    ...over,
  };
}

export function sampleCheck(
  over: Partial<PromotionCheck> & Pick<PromotionCheck, 'app' | 'to' | 'digest'>,
): PromotionCheck {
  return {
    from: 'staging',
    current: digestA,
    entered_from: '2025-11-22T06:00:00Z',
    entered_by: 'ci',
    evaluation: evaluation(),
    ...over,
  };
}

export function cell(status: StatusRow, candidate: PromotionCheck | null = null): OverviewCell {
  return { status, candidate };
}

export function sampleOverview(
  cells: OverviewCell[],
  lastSync: string | null = '2025-11-25T08:00:00Z',
): Overview {
  return { cells, last_sync: lastSync };
}

export function sampleSyncReport(rows: StatusRow[] = []): SyncReport {
  return {
    tags: rows.map((r) => ({
      app: r.app,
      env: r.env,
      repository: r.repository,
      tag: r.tag,
      digest: r.digest,
      previous: null,
      drift: r.drift,
    })),
    new_images: 0,
    at: '2025-11-25T09:00:00Z',
  };
}

export function segment(over: Partial<Segment> & Pick<Segment, 'env' | 'digest' | 'from'>): Segment {
  return { app: 'api', until: null, via: 'promotion', actor: 'alice@example.com', seq: n(1), ...over };
}

export function approvalView(over: Partial<ApprovalView> = {}): ApprovalView {
  return {
    seq: n(7),
    at: '2025-11-23T10:00:00Z',
    approver: 'alice@example.com',
    role: 'manager',
    from: 'staging',
    to: 'production',
    note: 'verified in staging',
    fingerprint: 'SHA256:3q2+7w0Yd1bWkq5xQ0F9dXo4mDhD3t1n0ZlC9aQm4pE',
    verified: true,
    problem: null,
    consumed: false,
    ...over,
  };
}

export function sampleDetail(
  over: Partial<DigestDetail> & Pick<DigestDetail, 'app' | 'digest'>,
): DigestDetail {
  const digest = over.digest;
  const image = `127.0.0.1:5000/payments/${over.app}@${digest}`;
  return {
    image: {
      digest,
      media_type: 'application/vnd.oci.image.manifest.v1+json',
      size: n(1024),
      created: '2025-11-18T12:00:00Z',
      revision: '4f2a9c1',
      version: '1.7.0',
      source: 'https://git.example.com/payments/api',
      labels: {},
      platforms: ['linux/amd64', 'linux/arm64'],
    },
    stays: [
      segment({
        app: over.app,
        env: 'dev',
        digest,
        from: '2025-11-18T12:00:00Z',
        until: '2025-11-21T08:00:00Z',
        via: 'record',
        actor: 'ci',
      }),
      segment({
        app: over.app,
        env: 'staging',
        digest,
        from: '2025-11-20T09:30:00Z',
        via: 'promotion',
        seq: n(5),
      }),
    ],
    tags: [`local/payments/${over.app}:staging`],
    approvals: [approvalView()],
    snippets: [
      {
        env: 'staging',
        snippets: {
          image,
          kubectl: `kubectl set image deployment/${over.app} ${over.app}=${image}`,
          compose: `image: ${image}`,
        },
      },
    ],
    ...over,
  };
}

export const sampleKey: (id: string) => PublicKeyInfo = (id) => ({
  id,
  public_key: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFake ${id}`,
  fingerprint: 'SHA256:3q2+7w0Yd1bWkq5xQ0F9dXo4mDhD3t1n0ZlC9aQm4pE',
  allowed_signers_line: `${id} namespaces="tollgate-approval" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFake`,
});

/** A rotation of `id`'s key at 2026-11-25 09:00 UTC. */
export const sampleRotation: (id: string) => KeyRotation = (id) => {
  const previous = sampleKey(id);
  const current: PublicKeyInfo = {
    ...previous,
    public_key: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINewNewNewNewNewNewNewNewNewNewNewNewNewNew ${id}`,
    fingerprint: 'SHA256:NewNewNewNewNewNewNewNewNewNewNewNewNewNewNew',
  };
  return {
    previous,
    current,
    retired_at: '2026-11-25T09:00:00Z',
    toml: `key = "${current.public_key}"\nprevious_keys = [{ key = "${previous.public_key}", until = "2026-11-25T09:00:00Z" }]`,
  };
};

export const sampleSigner: SignerStatus = {
  approver: 'alice@example.com',
  key: sampleKey('alice@example.com'),
  listed: true,
  roles: ['manager'],
  problem: null,
};

export const sampleRegistries: RegistryView[] = [
  {
    name: 'hub',
    url: 'https://registry.example.com',
    kind: 'remote',
    host: 'registry.example.com',
    keychain_credentials: true,
  },
  { name: 'local', url: 'oci:registry', kind: 'layout', host: null, keychain_credentials: false },
];

function sampleEvent(app: string, env: string, digest: string, kind: Event['kind']): Event {
  return {
    seq: n(42),
    at: '2025-11-25T09:00:00.000Z',
    kind,
    app,
    env,
    digest,
    actor: 'alice@example.com',
    data: {},
    prev_hash: '0'.repeat(64),
    hash: 'f'.repeat(64),
  };
}

export function sampleReceipt(app: string, to: string, digest: string): ApprovalReceipt {
  return {
    event: sampleEvent(app, to, digest, 'approval'),
    fingerprint: sampleSigner.key!.fingerprint,
    message: '{"app":"api"}',
    signature: '-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----',
  };
}

export function sampleOutcome(app: string, to: string, digest: string): PromotionOutcome {
  const image = `127.0.0.1:5000/payments/${app}@${digest}`;
  return {
    promotion: {
      id: n(3),
      kind: 'promotion',
      app,
      from_env: 'staging',
      to_env: to,
      digest,
      src_repository: `local/payments/${app}`,
      dst_repository: `local/payments/${app}`,
      tag: to,
      approvals: [n(7), n(8)],
      evaluation: {},
      actor: 'alice@example.com',
      previous: digestA,
      state: 'recorded',
      error: null,
      event_seq: n(42),
      created_at: '2025-11-25T09:00:00Z',
    },
    event: sampleEvent(app, to, digest, 'promotion'),
    check: sampleCheck({ app, to, digest, evaluation: evaluation({ passed: true }) }),
    snippets: {
      image,
      kubectl: `kubectl set image deployment/${app} ${app}=${image}`,
      compose: `image: ${image}`,
    },
  };
}

export function sampleExportSummary(path: string, format: ExportSummary['format']): ExportSummary {
  return {
    format,
    path,
    bytes: n(20480),
    events: n(120),
    context_events: n(2),
    stubs: n(0),
    first_seq: n(1),
    last_seq: n(120),
    database: { events: n(120), head_seq: n(120), head_hash: 'f'.repeat(64), intact: true, broken: null },
    signatures: { approvals: n(12), verified: n(12), problems: [] },
    summary: { events: n(120), stubs: n(0), apps: [] },
  };
}

/** jsdom has no ResizeObserver (`bind:clientWidth` uses it): a stub that never reports. */
export function stubResizeObserver(): void {
  if (typeof globalThis.ResizeObserver === 'undefined') {
    globalThis.ResizeObserver = class {
      observe() {}
      unobserve() {}
      disconnect() {}
    } as unknown as typeof ResizeObserver;
  }
}
