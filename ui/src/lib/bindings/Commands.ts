// Generated from src-tauri/src/commands.rs by `cargo test -p tollgate-app export_bindings`. Do not edit.
import type { ApprovalReceipt } from "./ApprovalReceipt";
import type { DigestDetail } from "./DigestDetail";
import type { ExportRequest } from "./ExportRequest";
import type { ExportSummary } from "./ExportSummary";
import type { KeyRotation } from "./KeyRotation";
import type { Overview } from "./Overview";
import type { PromotionCheck } from "./PromotionCheck";
import type { PromotionOutcome } from "./PromotionOutcome";
import type { PromotionStep } from "./PromotionStep";
import type { PublicKeyInfo } from "./PublicKeyInfo";
import type { RegistryView } from "./RegistryView";
import type { Segment } from "./Segment";
import type { SignerStatus } from "./SignerStatus";
import type { StatusRow } from "./StatusRow";
import type { SyncProgress } from "./SyncProgress";
import type { SyncReport } from "./SyncReport";
import type { WorkspaceInfo } from "./WorkspaceInfo";
import type { Channel } from "@tauri-apps/api/core";

/** Every command the app declares: its arguments and what it resolves to. */
export type Commands = {
  status: { args: {}; result: Array<StatusRow> };
  workspace_info: { args: {}; result: WorkspaceInfo };
  overview: { args: {}; result: Overview };
  sync: { args: { onProgress: Channel<SyncProgress> }; result: SyncReport };
  timeline: { args: { app: string }; result: Array<Segment> };
  digest_detail: { args: { app: string; digest: string }; result: DigestDetail };
  check_promotion: { args: { app: string; to: string; digest: string }; result: PromotionCheck };
  approve: { args: { app: string; to: string; digest: string; confirm: string; role: string | null; note: string | null }; result: ApprovalReceipt };
  promote: { args: { app: string; to: string; digest: string; onStep: Channel<PromotionStep> }; result: PromotionOutcome };
  rollback: { args: { app: string; env: string; digest: string; onStep: Channel<PromotionStep> }; result: PromotionOutcome };
  signer: { args: {}; result: SignerStatus };
  export_report: { args: { req: ExportRequest }; result: ExportSummary };
  key_init: { args: { id: string }; result: PublicKeyInfo };
  key_show: { args: {}; result: PublicKeyInfo | null };
  key_rotate: { args: {}; result: KeyRotation };
  registries: { args: {}; result: Array<RegistryView> };
  login: { args: { registry: string; username: string; password: string }; result: string };
  open_workspace: { args: { path: string }; result: WorkspaceInfo };
  open_demo: { args: {}; result: WorkspaceInfo };
  reveal_file: { args: { path: string }; result: null };
};
