// The one way the UI reaches the core: a `Backend` with one method per Tauri command
// (src-tauri/src/commands.rs), each of which calls one core API function. Its type is derived
// from the generated command map (`bindings/Commands.ts`): a method takes the command's one
// request (none when the request is `null`), plus a listener when the command reports progress,
// and resolves to its result. Nothing here is written per command. Components get it from
// context (`useBackend`): main.ts mounts the app with `tauriBackend`, tests render components
// with the fake one (`fakeBackend` in ./testing). Every method rejects only with `{code, message}`.
import { Channel, invoke } from '@tauri-apps/api/core';
import { getContext, setContext } from 'svelte';
import type { ApprovalReceipt } from './bindings/ApprovalReceipt';
import { COMMAND_NAMES, type Commands } from './bindings/Commands';
import type { DigestDetail } from './bindings/DigestDetail';
import type { Error as TollgateError } from './bindings/Error';
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

/** `workspace_info` → `workspaceInfo`. */
type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

type CommandName = keyof Commands;
/** The method name of a command. */
export type MethodOf<K extends CommandName> = Camel<K>;

/** A command's parameters: its request unless it has none, then its progress listener if any. */
type Params<C> = [
  ...(C extends { args: null } ? [] : C extends { args: infer A } ? [req: A] : never),
  ...(C extends { progress: infer P } ? [onProgress: (progress: P) => void] : []),
];
type Method<C> = C extends { result: infer R } ? (...args: Params<C>) => Promise<R> : never;

/** One method per declared command, typed by the generated map. */
export type Backend = { [K in CommandName as Camel<K>]: Method<Commands[K]> };
/** Every method name of the backend. */
export type BackendMethod = keyof Backend;
/** What method `M` resolves to. */
export type ResultOf<M extends BackendMethod> = Awaited<ReturnType<Backend[M]>>;
/** The request of method `M` (`undefined` for a command without one). */
export type RequestOf<M extends BackendMethod> = Parameters<Backend[M]>[0];

/** `workspace_info` → `workspaceInfo`, at run time. */
export function methodName<K extends CommandName>(command: K): MethodOf<K> {
  return command.replace(/_(.)/g, (_, c: string) => c.toUpperCase()) as MethodOf<K>;
}

/**
 * `invoke` of one command, rejecting only with `{code, message}`: the request goes as `req`
 * (`null` when the command takes none), a progress listener as the `onProgress` channel.
 */
async function call(command: CommandName, args: unknown[]): Promise<unknown> {
  const listener = args.find((a): a is (value: unknown) => void => typeof a === 'function');
  const req = typeof args[0] === 'function' || args[0] === undefined ? null : args[0];
  try {
    return await invoke(command, listener ? { req, onProgress: new Channel(listener) } : { req });
  } catch (e) {
    throw toTollgateError(e);
  }
}

/** The backend of the real app: every declared command through `call`. */
export const tauriBackend: Backend = Object.fromEntries(
  COMMAND_NAMES.map((command) => [methodName(command), (...args: unknown[]) => call(command, args)]),
) as Backend;

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

/** The backend in context, or `undefined` where there is none (a component rendered alone). */
export function backendIfAny(): Backend | undefined {
  return getContext<Backend | undefined>(BACKEND);
}

/** Give the components below this one `backend` (App wraps the one it was mounted with). */
export function provideBackend(backend: Backend): void {
  setContext(BACKEND, backend);
}

/** The `context` option of `mount` (or of a test's `render`) that gives every component `backend`. */
export function backendContext(backend: Backend): Map<symbol, Backend> {
  return new Map([[BACKEND, backend]]);
}
