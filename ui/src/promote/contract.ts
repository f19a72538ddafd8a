// The agreed Backend interface for the promote / rollback / export / settings views, and the
// boundary types that are not generated into lib/bindings yet (SignerStatus, ExportArgs,
// ExportSummary, RegistryView). Shapes mirror the Rust types in crates/tollgate/src/api.
// When lib/backend.ts and lib/bindings carry them, this file shrinks to re-exports.
import { useBackend, type Backend as BaseBackend } from '../lib/backend';
import type { ApprovalReceipt } from '../lib/bindings/ApprovalReceipt';
import type { DigestDetail } from '../lib/bindings/DigestDetail';
import type { PromotionCheck } from '../lib/bindings/PromotionCheck';
import type { PromotionOutcome } from '../lib/bindings/PromotionOutcome';
import type { PromotionStep } from '../lib/bindings/PromotionStep';
import type { PublicKeyInfo } from '../lib/bindings/PublicKeyInfo';
import type { Segment } from '../lib/bindings/Segment';
import type { WorkspaceInfo } from '../lib/bindings/WorkspaceInfo';

/** Who would sign on this machine, and whether they may. */
export type SignerStatus = {
  /** Approver id (from `key init`), `null` when this machine has none. */
  approver: string | null;
  /** The public half of the key in the keychain, `null` when there is none. */
  key: PublicKeyInfo | null;
  /** tollgate.toml lists this approver with this very key. */
  listed: boolean;
  /** The roles tollgate.toml gives the approver. */
  roles: string[];
  /** Why this approver cannot sign now (what to do next), `null` when they can. */
  problem: string | null;
};

export type ExportFormat = 'pdf' | 'csv' | 'json';

export type ExportArgs = {
  format: ExportFormat;
  app: string | null;
  env: string | null;
  since: string | null;
  until: string | null;
  out: string;
};

export type ReportProblem = { seq: number | bigint | null; message: string };
export type ApproverSummary = { id: string; roles: string[]; approvals: number | bigint };
export type AppSummary = {
  app: string;
  promotions: number | bigint;
  rollbacks: number | bigint;
  drift: number | bigint;
  approvals: number | bigint;
  records: number | bigint;
  observations: number | bigint;
  approvers: ApproverSummary[];
};

export type ExportSummary = {
  format: ExportFormat;
  path: string;
  bytes: number | bigint;
  events: number | bigint;
  context_events: number | bigint;
  stubs: number | bigint;
  first_seq: number | bigint | null;
  last_seq: number | bigint | null;
  database: {
    events: number | bigint;
    head_seq: number | bigint;
    head_hash: string;
    intact: boolean;
    broken: { seq: number | bigint; reason: string } | null;
  };
  signatures: { approvals: number | bigint; verified: number | bigint; problems: ReportProblem[] };
  summary: { events: number | bigint; stubs: number | bigint; apps: AppSummary[] };
};

export type RegistryView = {
  name: string;
  url: string;
  kind: 'remote' | 'layout';
  host: string | null;
  keychain_credentials: boolean;
};

export interface Backend extends BaseBackend {
  timeline(app: string): Promise<Segment[]>;
  digestDetail(app: string, digest: string): Promise<DigestDetail>;
  checkPromotion(app: string, to: string, digest: string): Promise<PromotionCheck>;
  signer(): Promise<SignerStatus>;
  approve(req: {
    app: string;
    to: string;
    digest: string;
    confirm: string;
    role: string | null;
    note: string | null;
  }): Promise<ApprovalReceipt>;
  promote(
    req: { app: string; to: string; digest: string },
    onStep: (s: PromotionStep) => void,
  ): Promise<PromotionOutcome>;
  rollback(
    req: { app: string; env: string; digest: string },
    onStep: (s: PromotionStep) => void,
  ): Promise<PromotionOutcome>;
  exportReport(req: ExportArgs): Promise<ExportSummary>;
  revealFile(path: string): Promise<void>;
  keyInit(id: string): Promise<PublicKeyInfo>;
  keyShow(): Promise<PublicKeyInfo | null>;
  registries(): Promise<RegistryView[]>;
  login(registry: string, username: string, password: string): Promise<string>;
  openWorkspace(path: string): Promise<WorkspaceInfo>;
  openDemo(): Promise<WorkspaceInfo>;
}

/** The context's Backend, with the methods these views use. */
export function useFullBackend(): Backend {
  return useBackend() as Backend;
}
