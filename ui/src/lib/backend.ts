// The one way the UI reaches the core: a `Backend` whose methods mirror the Tauri commands
// (src-tauri/src/commands.rs). Components get it from context (`useBackend`): main.ts mounts the
// app with `tauriBackend`, tests render components with a fake one.
import { invoke } from '@tauri-apps/api/core';
import { getContext } from 'svelte';
import type { Commands } from './bindings/Commands';
import type { Error as TollgateError } from './bindings/Error';
import type { StatusRow } from './bindings/StatusRow';
import type { WorkspaceInfo } from './bindings/WorkspaceInfo';

export type { TollgateError };

export interface Backend {
  /** Current digest per app and environment, with drift flags. Rejects with a `TollgateError`. */
  status(): Promise<StatusRow[]>;
  /** The open workspace; rejects with a `config` error when there is none. */
  workspaceInfo(): Promise<WorkspaceInfo>;
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

export const tauriBackend: Backend = {
  status: () => call('status', {}),
  workspaceInfo: () => call('workspace_info', {}),
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

/** The `context` option of `mount` (or of a test's `render`) that gives every component `backend`. */
export function backendContext(backend: Backend): Map<symbol, Backend> {
  return new Map([[BACKEND, backend]]);
}
