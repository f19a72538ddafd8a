// Test helpers: the one fake Backend and the builders of boundary data. Imported only by
// *.test.ts files.
//
//   const backend = fakeBackend({ overview: sampleOverview([...cells]), timeline: [segment(...)] });
//   render(View, { context: backendContext(backend) });
//   expect(backend.sync).toHaveBeenCalled();            // every method is a vi.fn spy
//   expect(backend.calls).toContainEqual({ method: 'timeline', args: [{ app: 'api' }] });
//
// The fake is typed by the same derived `Backend` type as the real one, so a new command does
// not compile here until it has a default answer. Every method answers from `data` (or rejects
// when the answer is a `{code, message}`); a function in `data` is called with the method's
// arguments instead (and sends any progress itself). Otherwise progress (sync) and steps
// (promote, rollback) are sent before the method resolves. `promoteData()` is the sample
// workspace of the promote, rollback, export, settings and first-start views
// (quinn@example.com signs for qa; api moves dev → staging); two scenarios still have their own
// builders there: `check` / `detail` beside the overview's `sampleCheck` / `sampleDetail`.
import { vi, type Mock } from 'vitest';
import type { Backend, BackendMethod, ResultOf, TollgateError } from './backend';
import type { ApprovalReceipt } from './bindings/ApprovalReceipt';
import type { ApprovalView } from './bindings/ApprovalView';
import type { Conflict } from './bindings/Conflict';
import type { Attestation } from './bindings/Attestation';
import type { AttestReceipt } from './bindings/AttestReceipt';
import type { DigestDetail } from './bindings/DigestDetail';
import type { Evaluation } from './bindings/Evaluation';
import type { Incident } from './bindings/Incident';
import type { IncidentReceipt } from './bindings/IncidentReceipt';
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
import type { Rejection } from './bindings/Rejection';
import type { RejectionReceipt } from './bindings/RejectionReceipt';
import type { Segment } from './bindings/Segment';
import type { SignerStatus } from './bindings/SignerStatus';
import type { StatusRow } from './bindings/StatusRow';
import type { SyncProgress } from './bindings/SyncProgress';
import type { SyncReport } from './bindings/SyncReport';
import type { WorkspaceInfo } from './bindings/WorkspaceInfo';
import type { TeamShare } from './bindings/TeamShare';
import type { TeamStatus } from './bindings/TeamStatus';
import type { WaitingApproval } from './bindings/WaitingApproval';
import type { WaitingForYou } from './bindings/WaitingForYou';

import type { ExportTarget } from './bindings/ExportTarget';
import type { ChosenWorkspace } from './bindings/ChosenWorkspace';
import type { ConfigEdit } from './bindings/ConfigEdit';
import type { RecentWorkspace } from './bindings/RecentWorkspace';
import type { RecordReceipt } from './bindings/RecordReceipt';
import type { RecordRunningRequest } from './bindings/RecordRunningRequest';
import { sampleDiff } from './testing-diff';
// The core's own reasons for an unapproved digest, written by the core (src-tauri/src/sentences.rs).
import sentences from './bindings/sentences.json';
type Answer<T> = T | TollgateError;
/** A fixed answer, or a function of the method's arguments that returns one. */
type Data<M extends BackendMethod> =
  | Answer<ResultOf<M>>
  | ((...args: Parameters<Backend[M]>) => Answer<ResultOf<M>> | Promise<Answer<ResultOf<M>>>);

export type FakeData = { [M in BackendMethod]?: Data<M> } & {
  /** Sent to `sync`'s listener before it resolves (default: one per status row). */
  syncProgress?: SyncProgress[];
  /** Sent to `promote`'s / `rollback`'s listener before they resolve (default: all four). */
  steps?: PromotionStep[];
};

export type FakeBackend = { [M in BackendMethod]: Backend[M] & Mock<Backend[M]> } & {
  /** Every call, in order, with its arguments (listeners included). */
  calls: { method: BackendMethod; args: unknown[] }[];
};

function isError(a: unknown): a is TollgateError {
  return typeof a === 'object' && a !== null && 'code' in a && 'message' in a;
}

/** A Backend of `vi.fn` spies that answer from `data`, else from the sample builders below. */
export function fakeBackend(data: FakeData = {}): FakeBackend {
  const calls: FakeBackend['calls'] = [];
  const statusRows = (): StatusRow[] => {
    const s = data.status;
    return Array.isArray(s) ? s : [];
  };
  const steps: PromotionStep[] = data.steps ?? ['intended', 'pushed', 'verified', 'recorded'];
  /** Method `method` answering from `data[method]`, else `fallback(...args)`. */
  function method<M extends BackendMethod>(
    method: M,
    fallback: (...args: Parameters<Backend[M]>) => ResultOf<M>,
    before?: (...args: Parameters<Backend[M]>) => void,
  ) {
    return vi.fn((...args: Parameters<Backend[M]>) => {
      calls.push({ method, args });
      const d: unknown = data[method];
      // A function answer takes the call over, progress included.
      if (typeof d !== 'function') before?.(...args);
      const a =
        typeof d === 'function'
          ? (d as (...a: unknown[]) => unknown)(...args)
          : d === undefined
            ? fallback(...args)
            : d;
      return Promise.resolve(a).then((v) => (isError(v) ? Promise.reject(v) : v)) as Promise<ResultOf<M>>;
    });
  }
  const backend = {
    workspaceInfo: method('workspaceInfo', () => sampleWorkspace),
    status: method('status', () => []),
    overview: method('overview', () => sampleOverview(statusRows().map((status) => cell(status)))),
    sync: method(
      'sync',
      () => sampleSyncReport(statusRows()),
      (onProgress) => {
        const rows = statusRows();
        const progress =
          data.syncProgress ??
          rows.map((r, i) => ({ done: i + 1, total: rows.length, app: r.app, env: r.env }));
        progress.forEach((p) => onProgress(p));
      },
    ),
    timeline: method('timeline', () => []),
    digestDetail: method('digestDetail', (req) => sampleDetail(req)),
    check: method('check', (req) => sampleCheck(req)),
    diff: method('diff', (req) => sampleDiff(req)),
    gitPreview: method('gitPreview', () => null),
    signer: method('signer', () => signer()),
    approve: method('approve', (req) => sampleReceipt(req.app, req.to, req.digest)),
    promote: method(
      'promote',
      (req) => outcome(req.digest),
      (_req, onStep) => steps.forEach((s) => onStep(s)),
    ),
    rollback: method(
      'rollback',
      (req) => outcome(req.digest),
      (_req, onStep) => steps.forEach((s) => onStep(s)),
    ),
    chooseExportPath: method('chooseExportPath', (req) =>
      exportTarget(`/home/ci/reports/${req.suggested_name}`),
    ),
    export: method('export', (req) => exportSummary(exportedPath(req.target), req.format)),
    revealFile: method('revealFile', () => null),
    openLink: method('openLink', () => null),
    keyInit: method('keyInit', (req) => publicKey(req.id)),
    keyShow: method('keyShow', () => null),
    keyRotate: method('keyRotate', () => keyRotation('alice@example.com')),
    registries: method('registries', () => sampleRegistries),
    login: method('login', () => 'registry.example.com'),
    logout: method('logout', () => true),
    registryAdd: method('registryAdd', (req) => ({
      edit: configEdit(`add registry '${req.registry.name}' (${req.registry.url})`),
      host: req.registry.url.replace(/^https?:\/\//, ''),
      stored_credentials: req.login !== null,
    })),
    appAdd: method('appAdd', (req) => configEdit(`add app '${req.name}'`)),
    approverAdd: method('approverAdd', (req) =>
      configEdit(`add approver '${req.id ?? 'alice@example.com'}'`),
    ),
    workspaceReload: method('workspaceReload', () => null),
    chooseWorkspace: method('chooseWorkspace', () => chosenWorkspace('/home/me/payments/tollgate.toml')),
    recentWorkspaces: method('recentWorkspaces', () => []),
    openWorkspace: method('openWorkspace', (req) => ({
      ...sampleWorkspace,
      config_path: req.recent ?? exportedPath(req.token ?? ''),
    })),
    openDemo: method('openDemo', () => sampleWorkspace),
    registryProbe: method('registryProbe', (req) => ({
      url: req.url,
      host: req.url.replace(/^https?:\/\//, ''),
      repositories: ['payments/api', 'payments/worker'],
      catalog_refused: null,
      stored_credentials: req.login !== null,
    })),
    registryTags: method('registryTags', (req) =>
      req.repositories.map((repository) => ({
        repository,
        app: repository.split('/').pop() ?? repository,
        not_added: null,
        tags: ['dev', 'staging', 'production', '1.0.0'],
        environments: ['dev', 'staging', 'production'].map((name) => ({
          name,
          tag: name,
          policy: 'none' as const,
        })),
      })),
    ),
    newWorkspace: method('newWorkspace', () => ({
      ...sampleWorkspace,
      config_path: '/home/me/payments/tollgate.toml',
    })),
    record: method('record', (req) => recordReceipt(req)),
    reject: method('reject', (req) => rejectionReceipt(rejection({ ...req, active: true }))),
    unreject: method('unreject', (req) => rejectionReceipt(rejection({ ...req, kind: 'unrejection' }))),
    rejections: method('rejections', () => []),
    incidentOpen: method('incidentOpen', (req) =>
      incidentReceipt(
        incident({ app: req.app, env: req.env, digest: req.digest, id: req.id, text: req.summary }),
      ),
    ),
    incidentClose: method('incidentClose', (req) =>
      incidentReceipt(
        incident({ app: req.app, id: req.id, kind: 'incident_close', text: req.resolution, open: false }),
      ),
    ),
    incidents: method('incidents', () => []),
    attest: method('attest', (req) => attestReceipt(attestation({ ...req.attest }))),
    referrers: method('referrers', () => ({ referrers: [], problems: [] })),
    saveReport: method('saveReport', (req) => ({
      path: `/home/me/${req.suggested_name}`,
      sha256: req.sha256,
      size: 412,
      media_type: 'application/json',
      source: `local/payments/api@sha256:${req.sha256}`,
      check: 'load-test',
      result: 'pass',
      by: 'ci@example.com',
    })),
    teamStatus: method('teamStatus', () => teamStatus()),
    overviewAt: method('overviewAt', (req) => ({
      ...sampleOverview(
        statusRows().map((status) => ({ status: { ...status, at: req.at }, candidate: null, approvals: [] })),
      ),
      at: req.at,
    })),
  } satisfies Backend;
  return { ...backend, calls } as FakeBackend;
}

/** A written edit of tollgate.toml (what `appAdd` and `approverAdd` answer). */
export function configEdit(summary: string): ConfigEdit {
  return { config_path: sampleWorkspace.config_path, summary, diff: `+# ${summary}\n` };
}

/** What `record` answers: the signed record of `req`'s digest in its environment, shared. */
export function recordReceipt(
  req: RecordRunningRequest,
  team: TeamShare | null = teamShare(),
): RecordReceipt {
  return {
    event: {
      seq: 42,
      at: '2026-11-25T10:00:00Z',
      kind: 'record',
      app: req.app,
      env: req.env,
      digest: req.digest,
      actor: 'quinn@example.com',
      data: {},
      prev_hash: '0'.repeat(64),
      hash: '1'.repeat(64),
    },
    team,
  };
}

/** What `chooseWorkspace` answers: the chosen `path` under the token `token:<path>`. */
export function chosenWorkspace(path: string): ChosenWorkspace {
  return { token: `token:${path}`, path };
}

/** An entry of `recentWorkspaces`. */
export function recentWorkspace(path: string, name = 'payments'): RecentWorkspace {
  return { path, name, opened_at: '2025-11-25T08:00:00Z' };
}

/** What `chooseExportPath` answers: the chosen `path` under the token `token:<path>`. */
export function exportTarget(path: string): ExportTarget {
  return { token: `token:${path}`, path };
}

/** The path behind a token made by `exportTarget`. */
export function exportedPath(token: string): string {
  return token.replace(/^token:/, '');
}

export const sampleWorkspace: WorkspaceInfo = {
  name: 'payments',
  config_path: '/home/ci/payments/tollgate.toml',
  db_path: '/home/ci/payments/tollgate.db',
  note: null,
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
    unapproved: false,
    at: null,
    actor: 'ci',
    until: null,
    before_history: false,
    conflicts: [],
    version: null,
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
    counted: [7],
    ignored: [],
    approvers: ['alice@example.com'],
    approvals_needed: 2,
    roles_needed: [],
    ...over,
  };
}

/** The overview's waiting candidate: staging → `to`, one of two approvals in (a preset of [`check`]). */
export function sampleCheck(
  over: Partial<PromotionCheck> & Pick<PromotionCheck, 'app' | 'to' | 'digest'>,
): PromotionCheck {
  return check({
    from: 'staging',
    current: digestA,
    entered_from: '2025-11-22T06:00:00Z',
    entered_by: 'ci',
    evaluation: evaluation(),
    ...over,
  });
}

export function cell(
  status: StatusRow,
  candidate: PromotionCheck | null = null,
  approvals: WaitingApproval[] = [],
): OverviewCell {
  return { status, candidate, approvals };
}

/** Nothing waits for this machine's approver (none is listed). */
export const nothingWaiting: WaitingForYou = { approver: null, digests: [] };

export function sampleOverview(
  cells: OverviewCell[],
  lastSync: string | null = '2025-11-25T08:00:00Z',
  waitingForYou: WaitingForYou = nothingWaiting,
  conflicts: Conflict[] = [],
): Overview {
  return { cells, last_sync: lastSync, waiting_for_you: waitingForYou, at: null, conflicts };
}

/** An approval of a waiting digest, as the overview lists it: alice's, local, shared, counted. */
export function waitingApproval(over: Partial<WaitingApproval> = {}): WaitingApproval {
  return {
    seq: 7,
    approver: 'alice@example.com',
    role: 'manager',
    at: '2025-11-24T10:00:00Z',
    counted: true,
    imported_from: null,
    not_shared: null,
    ...over,
  };
}

/** Settings → Team of a workspace sharing through each app's repository, pulled once, clean. */
export function teamStatus(over: Partial<TeamStatus> = {}): TeamStatus {
  return {
    sharing: true,
    change: 'to turn sharing off, write `share = false` under `[team]` in /home/ci/payments/tollgate.toml',
    ledger: null,
    repositories: [{ app: 'api', repository: 'local/payments/api', can_share: true }],
    last_pull: { at: '2025-11-25T09:00:00Z', digests: 3, imported: 1, untrusted: 0 },
    unshared: [],
    untrusted: [],
    problems: [],
    skipped: [],
    ...over,
  };
}

/** What publishing to the team's registry answered: shared to local/payments/api. */
export function teamShare(over: Partial<TeamShare> = {}): TeamShare {
  return {
    repository: 'local/payments/api',
    artifact: `sha256:${'5a'.repeat(32)}`,
    shared: true,
    unshared: null,
    ...over,
  };
}

/** A team conflict as the core reports it: two promotions of api production from one digest. */
export function conflict(over: Partial<Conflict> = {}): Conflict {
  return {
    kind: 'fork',
    app: 'api',
    env: 'production',
    events: [
      { seq: 9, kind: 'promotion', actor: 'alice@example.com', imported: false },
      { seq: 12, kind: 'promotion', actor: 'bob@example.com', imported: true },
    ],
    description:
      'api production: 2 moves from the same previous digest sha256:a1b2c3d4e5f6 to different digests: promotion 9 by alice@example.com to sha256:0f1e2d3c4b5a, promotion 12 by bob@example.com (imported) to sha256:77aa88bb99cc',
    ...over,
  };
}

export function sampleSyncReport(rows: StatusRow[] = []): SyncReport {
  return {
    tags: rows
      .flatMap((r) => (r.tag === null ? [] : [{ ...r, tag: r.tag }]))
      .map((r) => ({
        app: r.app,
        env: r.env,
        repository: r.repository,
        tag: r.tag,
        digest: r.digest,
        previous: null,
        drift: r.drift,
        expected: r.digest,
        late_promotion: null,
      })),
    git: [],
    new_images: 0,
    at: '2025-11-25T09:00:00Z',
    team: {
      imported: 0,
      imported_events: 0,
      imported_rejections: 0,
      imported_incidents: 0,
      imported_checks: 0,
      unplaced: 0,
      untrusted: 0,
      replayed: 0,
      needs_newer: 0,
      unshared_retried: 0,
      still_unshared: 0,
      skipped: [],
      problems: [],
    },
  };
}

export function segment(over: Partial<Segment> & Pick<Segment, 'env' | 'digest' | 'from'>): Segment {
  return {
    app: 'api',
    until: null,
    via: 'promotion',
    actor: 'alice@example.com',
    seq: 1,
    unapproved: false,
    ...over,
  };
}

export function approvalView(over: Partial<ApprovalView> = {}): ApprovalView {
  return {
    seq: 7,
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
    imported_from: null,
    not_shared: null,
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
      size: 1024,
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
        seq: 5,
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
    rejections: [],
    environments: ['dev', 'staging', 'production'],
    commits: [],
    checks: [],
    declared_checks: [],
    ...over,
  };
}

/** A verified rejection of `digestA` of api for staging and later by quinn (not in force unless `active`). */
export function rejection(over: Partial<Rejection> = {}): Rejection {
  return {
    seq: 12,
    kind: 'rejection',
    app: 'api',
    digest: digestA,
    env: 'staging',
    by: 'quinn@example.com',
    role: 'qa',
    reason: 'crashes on start (INC-42)',
    at: '2026-11-02T11:00:00.000Z',
    signed_at: '2026-11-02T11:00:00Z',
    sha256: 'c4'.repeat(32),
    lifts: null,
    fingerprint: quinnKey.fingerprint,
    verified: true,
    problem: null,
    active: false,
    ...over,
  };
}

/** A verified incident INC-42 opened on `digestA` of api in staging by the on-call bot (open). */
export function incident(over: Partial<Incident> = {}): Incident {
  return {
    seq: 14,
    kind: 'incident',
    app: 'api',
    env: 'staging',
    digest: digestA,
    id: 'INC-42',
    text: '5xx spike after deploy',
    by: 'oncall-bot',
    at: '2026-11-02T12:00:00.000Z',
    signed_at: '2026-11-02T12:00:00Z',
    sha256: 'd5'.repeat(32),
    closes: null,
    fingerprint: quinnKey.fingerprint,
    verified: true,
    problem: null,
    open: true,
    paired: null,
    ...over,
  };
}

/** What `incidentOpen` / `incidentClose` answer for `i`. */
export function incidentReceipt(i: Incident, team: TeamShare | null = teamShare()): IncidentReceipt {
  return {
    event: {
      seq: i.seq,
      at: i.at,
      kind: i.kind,
      app: i.app,
      env: i.env,
      digest: i.digest,
      actor: i.by,
      data: { id: i.id },
      prev_hash: '0'.repeat(64),
      hash: '3'.repeat(64),
    },
    incident: i,
    fingerprint: i.fingerprint,
    message: '{}',
    signature: '-----BEGIN SSH SIGNATURE-----',
    team,
  };
}

/** What `reject` / `unreject` answer for `r`. */
export function rejectionReceipt(r: Rejection, team: TeamShare | null = teamShare()): RejectionReceipt {
  return {
    event: {
      seq: r.seq,
      at: r.at,
      kind: r.kind,
      app: r.app,
      env: r.env ?? '',
      digest: r.digest,
      actor: r.by,
      data: { reason: r.reason, role: r.role },
      prev_hash: '0'.repeat(64),
      hash: '2'.repeat(64),
    },
    rejection: r,
    fingerprint: r.fingerprint,
    message: '{}',
    signature: '-----BEGIN SSH SIGNATURE-----',
    team,
  };
}

/** `id`'s signing key (made up, but shaped like the real thing). */
export const publicKey: (id: string) => PublicKeyInfo = (id) => ({
  id,
  public_key: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFake ${id}`,
  fingerprint: 'SHA256:3q2+7w0Yd1bWkq5xQ0F9dXo4mDhD3t1n0ZlC9aQm4pE',
  allowed_signers_line: `${id} namespaces="tollgate-approval" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFake`,
});

/** A rotation of `id`'s key at 2026-11-25 09:00 UTC. */
export const keyRotation: (id: string) => KeyRotation = (id) => {
  const previous = publicKey(id);
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
    seq: 42,
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
    fingerprint: signer().key!.fingerprint,
    message: '{"app":"api"}',
    signature: '-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----',
    team: null,
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

// The promote, rollback, export, settings and first-start views' samples.

/** quinn@example.com's key (the signer of `promoteData`). */
export const quinnKey: PublicKeyInfo = publicKey('quinn@example.com');

export function signer(over: Partial<SignerStatus> = {}): SignerStatus {
  return {
    approver: 'quinn@example.com',
    key: quinnKey,
    listed: true,
    roles: ['qa'],
    problem: null,
    ci_signer: false,
    signers: [],
    ...over,
  };
}

/** dev → staging of digestA, staging runs digestB now; staging's policy wants one qa approval. */
export function check({
  roles_needed,
  ...over
}: Partial<PromotionCheck> & { roles_needed?: string[] } = {}): PromotionCheck {
  const c = {
    app: 'api',
    from: 'dev',
    to: 'staging',
    digest: digestA,
    current: digestB,
    entered_from: '2026-11-02T09:00:00Z',
    entered_by: 'ci@example.com',
    evidence: [],
    evaluation: {
      passed: false,
      rules: [
        { rule: 'approvals', passed: false, reason: sentences.unapproved.approvals, blocking: true },
        {
          rule: 'roles',
          passed: false,
          reason: sentences.unapproved.roles,
          blocking: true,
        },
        { rule: 'signatures', passed: false, reason: '1 approval set aside', blocking: false },
      ],
      counted: [],
      approvers: [],
      approvals_needed: 1,
      roles_needed: [],
      ignored: [
        {
          id: 7,
          approver: 'mallory@example.com',
          reason: 'approval by mallory@example.com ignored: not an approver in tollgate.toml',
        },
      ],
    },
    ...over,
  } as PromotionCheck;
  if (roles_needed) c.evaluation = { ...c.evaluation, roles_needed };
  return c;
}

export const passedEvaluation: PromotionCheck['evaluation'] = {
  passed: true,
  rules: [
    {
      rule: 'approvals',
      passed: true,
      reason: 'has 1 distinct approver (quinn@example.com), needs 1',
      blocking: true,
    },
    {
      rule: 'roles',
      passed: true,
      reason: 'has an approval from each role: qa (quinn@example.com)',
      blocking: true,
    },
  ],
  counted: [9],
  ignored: [],
  approvers: ['quinn@example.com'],
  approvals_needed: 1,
  roles_needed: [],
};

/** A bare detail: only the image's created time and revision (a preset of [`sampleDetail`]). */
export function detail(digest: string, created: string, revision: string): DigestDetail {
  return sampleDetail({
    app: 'api',
    digest,
    image: {
      digest,
      media_type: 'application/vnd.oci.image.manifest.v1+json',
      size: 500,
      created,
      revision,
      version: null,
      source: null,
      labels: {},
      platforms: [],
    },
    stays: [],
    tags: [],
    approvals: [],
    snippets: [],
  });
}

export function outcome(digest = digestA): PromotionOutcome {
  const event = {
    seq: 42,
    at: '2026-11-02T10:00:00.000Z',
    kind: 'promotion' as const,
    app: 'api',
    env: 'staging',
    digest,
    actor: 'quinn@example.com',
    data: {},
    prev_hash: '0'.repeat(64),
    hash: '1'.repeat(64),
  };
  return {
    promotion: {
      id: 3,
      kind: 'promotion',
      app: 'api',
      from_env: 'dev',
      to_env: 'staging',
      digest,
      src_repository: 'local/payments/api',
      dst_repository: 'local/payments/api',
      tag: 'staging',
      git: null,
      commit: null,
      review_branch: null,
      approvals: [9],
      evaluation: {},
      actor: 'quinn@example.com',
      previous: digestB,
      state: 'recorded',
      error: null,
      event_seq: 42,
      created_at: '2026-11-02T10:00:00Z',
    },
    event,
    check: check({ evaluation: passedEvaluation }),
    snippets: {
      image: `127.0.0.1:5000/payments/api@${digest}`,
      kubectl: `kubectl set image deployment/api api=127.0.0.1:5000/payments/api@${digest}`,
      compose: `image: 127.0.0.1:5000/payments/api@${digest}`,
    },
    shared: null,
    team_unread: null,
    git: null,
  };
}

export function laneSegment(
  env: string,
  digest: string,
  from: string,
  until: string | null,
  seq: number,
): Segment {
  return segment({ env, digest, from, until, seq, actor: 'quinn@example.com' });
}

export function exportSummary(path: string, format: ExportSummary['format'] = 'pdf'): ExportSummary {
  return {
    format,
    path,
    bytes: 20480,
    events: 120,
    context_events: 2,
    stubs: 0,
    first_seq: 1,
    last_seq: 122,
    database: {
      events: 122,
      head_seq: 122,
      head_hash: 'ab'.repeat(32),
      intact: true,
      broken: null,
    },
    signatures: { approvals: 6, verified: 6, problems: [] },
    conflicts: [],
    sealed_by: format === 'json' ? 'quinn@example.com' : null,
    unsealed: null,
    summary: {
      events: 122,
      stubs: 0,
      apps: [
        {
          app: 'api',
          promotions: 4,
          rollbacks: 1,
          emergency_rollbacks: 0,
          drift: 1,
          approvals: 6,
          records: 10,
          observations: 98,
          approvers: [],
        },
      ],
    },
  };
}

/** The rotation `keyRotate` answers with: quinnKey retired at 2026-11-25 09:00 UTC. */
export const rotation: KeyRotation = keyRotation('quinn@example.com');

/** The promote, rollback, export, settings and first-start views' workspace (see the top). */
export function promoteData(over: FakeData = {}): FakeData {
  return {
    overview: { cells: [], last_sync: null, waiting_for_you: nothingWaiting, at: null, conflicts: [] },
    sync: {
      tags: [],
      git: [],
      new_images: 0,
      at: '2026-11-02T10:00:00Z',
      team: {
        imported: 0,
        imported_events: 0,
        imported_rejections: 0,
        imported_incidents: 0,
        imported_checks: 0,
        unplaced: 0,
        untrusted: 0,
        replayed: 0,
        needs_newer: 0,
        unshared_retried: 0,
        still_unshared: 0,
        skipped: [],
        problems: [],
      },
    },
    digestDetail: (req) =>
      req.digest === digestA
        ? detail(digestA, '2026-11-01T08:00:00Z', 'rev-new')
        : detail(req.digest, '2026-10-01T08:00:00Z', 'rev-old'),
    check: () => check(),
    signer: () => signer(),
    promote: () => outcome(),
    rollback: () => outcome(),
    export: (req) => exportSummary(exportedPath(req.target)),
    keyInit: () => quinnKey,
    keyShow: () => quinnKey,
    keyRotate: () => rotation,
    registries: [
      {
        name: 'local',
        url: 'http://127.0.0.1:5000',
        kind: 'remote' as const,
        host: '127.0.0.1:5000',
        keychain_credentials: false,
      },
      { name: 'demo', url: 'oci:registry', kind: 'layout' as const, host: null, keychain_credentials: false },
    ],
    login: '127.0.0.1:5000',
    ...over,
  };
}

/** The fake backend over `promoteData`, with `over` answering instead where given. */
export function promoteBackend(over: FakeData = {}): FakeBackend {
  return fakeBackend(promoteData(over));
}

/** An attestation of `check` for `digest` (a pass by ci@example.com unless told). */
export function attestation(over: Partial<Attestation> = {}): Attestation {
  return {
    seq: 12,
    app: 'api',
    digest: digestA,
    check: 'load-test',
    result: 'pass',
    summary: 'p99 180 ms at 2x peak',
    url: 'https://ci.example.com/runs/7',
    report: null,
    report_artifact: null,
    by: 'ci@example.com',
    at: '2026-11-02T10:00:00.000Z',
    signed_at: '2026-11-02T10:00:00Z',
    sha256: 'ab'.repeat(32),
    fingerprint: 'SHA256:ci',
    verified: true,
    problem: null,
    ...over,
  };
}

/** What `attest` answers for `a`. */
export function attestReceipt(a: Attestation): AttestReceipt {
  return {
    event: {
      seq: a.seq,
      at: a.at,
      kind: 'check',
      app: a.app,
      env: '',
      digest: a.digest,
      actor: a.by,
      data: {},
      prev_hash: '0'.repeat(64),
      hash: '1'.repeat(64),
    },
    attestation: a,
    fingerprint: a.fingerprint,
    message: '{}',
    signature: '-----BEGIN SSH SIGNATURE-----',
    report: null,
    team: null,
  };
}
