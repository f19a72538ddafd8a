// The one way the UI reaches the core: a `Backend` whose methods mirror the Tauri commands
// (src-tauri/src/commands.rs), each of which calls one core API function. Components get it from
// context (`useBackend`): main.ts mounts the app with `tauriBackend`, tests render components
// with a fake one (`fakeBackend` in ./testing). Every method rejects only with `{code, message}`.
import { Channel, invoke } from '@tauri-apps/api/core';
import { getContext, setContext } from 'svelte';
import type { ApprovalReceipt } from './bindings/ApprovalReceipt';
import type { Commands } from './bindings/Commands';
import type { DigestDetail } from './bindings/DigestDetail';
import type { Error as TollgateError } from './bindings/Error';
import type { ExportRequest } from './bindings/ExportRequest';
import type { ExportSummary } from './bindings/ExportSummary';
import type { Overview } from './bindings/Overview';
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

export type {
  ApprovalReceipt,
  DigestDetail,
  ExportSummary,
  Overview,
  PromotionCheck,
  PromotionOutcome,
  PromotionStep,
  KeyRotation,
  PublicKeyInfo,
  RegistryView,
  Segment,
  SignerStatus,
  StatusRow,
  SyncProgress,
  SyncReport,
  TollgateError,
  WorkspaceInfo,
};

/** What to export and where: the core's `ExportRequest` (format "pdf" | "csv" | "json"; times RFC 3339 or null). */
export type ExportArgs = ExportRequest;

export interface ApproveArgs {
  app: string;
  to: string;
  digest: string;
  /** The first 12 hex digits of the digest, typed by the person approving. */
  confirm: string;
  role: string | null;
  note: string | null;
}

export interface PromoteArgs {
  app: string;
  to: string;
  digest: string;
}

export interface RollbackArgs {
  app: string;
  env: string;
  digest: string;
}

export interface Backend {
  /** The open workspace; rejects with a `config` error when there is none. */
  workspaceInfo(): Promise<WorkspaceInfo>;
  /** Current digest per app and environment, with drift flags. */
  status(): Promise<StatusRow[]>;
  /** Every app × environment with the digest waiting to come in and its checklist, and the last sync. */
  overview(): Promise<Overview>;
  /** Read every environment tag; `onProgress` gets one call per tag read. */
  sync(onProgress: (p: SyncProgress) => void): Promise<SyncReport>;
  /** What ran where and when for one app, oldest first. */
  timeline(app: string): Promise<Segment[]>;
  /** Everything known about one digest of one app. */
  digestDetail(app: string, digest: string): Promise<DigestDetail>;
  /** The policy checklist for promoting `digest` of `app` into `to`. */
  checkPromotion(app: string, to: string, digest: string): Promise<PromotionCheck>;
  /** Who this machine signs as, and why it cannot sign if it cannot. */
  signer(): Promise<SignerStatus>;
  /** Sign an approval with this machine's key. */
  approve(req: ApproveArgs): Promise<ApprovalReceipt>;
  /** Promote; `onStep` gets each journalled step (intended, pushed, verified, recorded). */
  promote(req: PromoteArgs, onStep: (s: PromotionStep) => void): Promise<PromotionOutcome>;
  /** Put an earlier digest back; `onStep` as for `promote`. */
  rollback(req: RollbackArgs, onStep: (s: PromotionStep) => void): Promise<PromotionOutcome>;
  /** Write an audit report to `req.out`. */
  exportReport(req: ExportArgs): Promise<ExportSummary>;
  /** Show a report this window exported in the file manager (any other path is refused). */
  revealFile(path: string): Promise<void>;
  /** Make this machine's signing key for approver `id`. */
  keyInit(id: string): Promise<PublicKeyInfo>;
  /** This machine's public key, or null when it has none yet. */
  keyShow(): Promise<PublicKeyInfo | null>;
  /** Replace this machine's signing key with a new one; the result says what to write in tollgate.toml. */
  keyRotate(): Promise<KeyRotation>;
  /** The workspace's registries and whether the keychain holds credentials for each (never the secret). */
  registries(): Promise<RegistryView[]>;
  /** Store registry credentials in the OS keychain; resolves to the host they are stored for. */
  login(registry: string, username: string, password: string): Promise<string>;
  /** Open the tollgate.toml at `path` and show it from now on. */
  openWorkspace(path: string): Promise<WorkspaceInfo>;
  /** Create a demo workspace in the app's data folder and open it. */
  openDemo(): Promise<WorkspaceInfo>;
}

/** `invoke`, typed by the generated command map, rejecting only with `{code, message}`. */
async function call<K extends keyof Commands>(
  command: K,
  args: Commands[K]['args'],
): Promise<Commands[K]['result']> {
  try {
    return await invoke<Commands[K]['result']>(command, args);
  } catch (e) {
    throw toTollgateError(e);
  }
}

/** A Tauri `Channel` that hands every message to `listener`. */
function channel<T>(listener: (value: T) => void): Channel<T> {
  return new Channel<T>(listener);
}

export const tauriBackend: Backend = {
  workspaceInfo: () => call('workspace_info', {}),
  status: () => call('status', {}),
  overview: () => call('overview', {}),
  sync: (onProgress) => call('sync', { onProgress: channel(onProgress) }),
  timeline: (app) => call('timeline', { app }),
  digestDetail: (app, digest) => call('digest_detail', { app, digest }),
  checkPromotion: (app, to, digest) => call('check_promotion', { app, to, digest }),
  signer: () => call('signer', {}),
  approve: (req) =>
    call('approve', {
      app: req.app,
      to: req.to,
      digest: req.digest,
      confirm: req.confirm,
      role: req.role,
      note: req.note,
    }),
  promote: (req, onStep) =>
    call('promote', { app: req.app, to: req.to, digest: req.digest, onStep: channel(onStep) }),
  rollback: (req, onStep) =>
    call('rollback', { app: req.app, env: req.env, digest: req.digest, onStep: channel(onStep) }),
  exportReport: (req) => call('export_report', { req }),
  revealFile: async (path) => {
    await call('reveal_file', { path });
  },
  keyInit: (id) => call('key_init', { id }),
  keyShow: () => call('key_show', {}),
  keyRotate: () => call('key_rotate', {}),
  registries: () => call('registries', {}),
  login: (registry, username, password) => call('login', { registry, username, password }),
  openWorkspace: (path) => call('open_workspace', { path }),
  openDemo: () => call('open_demo', {}),
};

/**
 * Commands reject with the core's `{code, message}`; Tauri itself rejects with a bare string
 * (a command not allowed, a panic). Either way the UI gets `{code, message}`.
 */
export function toTollgateError(e: unknown): TollgateError {
  if (typeof e === 'object' && e !== null && 'code' in e && 'message' in e) {
    return e as TollgateError;
  }
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

const BACKEND = Symbol('tollgate.backend');

export function useBackend(): Backend {
  const backend = getContext<Backend | undefined>(BACKEND);
  if (!backend) throw new Error('no Backend in context: mount with { context: backendContext(backend) }');
  return backend;
}

/** Give the components below this one `backend` (App wraps the one it was mounted with). */
export function provideBackend(backend: Backend): void {
  setContext(BACKEND, backend);
}

/** The `context` option of `mount` (or of a test's `render`) that gives every component `backend`. */
export function backendContext(backend: Backend): Map<symbol, Backend> {
  return new Map([[BACKEND, backend]]);
}
