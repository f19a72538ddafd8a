// Generated from src-tauri/src/commands.rs by `cargo test -p tollgate-app export_bindings`. Do not edit.
import type { AppRequest } from "./AppRequest";
import type { ApprovalReceipt } from "./ApprovalReceipt";
import type { ApproveRequest } from "./ApproveRequest";
import type { ApproverAddRequest } from "./ApproverAddRequest";
import type { AtRequest } from "./AtRequest";
import type { AttestInWindowRequest } from "./AttestInWindowRequest";
import type { AttestReceipt } from "./AttestReceipt";
import type { CheckRequest } from "./CheckRequest";
import type { ChooseExportRequest } from "./ChooseExportRequest";
import type { ChosenWorkspace } from "./ChosenWorkspace";
import type { ConfigEdit } from "./ConfigEdit";
import type { ConfigReload } from "./ConfigReload";
import type { DigestDetail } from "./DigestDetail";
import type { DigestRequest } from "./DigestRequest";
import type { ExportSummary } from "./ExportSummary";
import type { ExportTarget } from "./ExportTarget";
import type { ExportToChosenRequest } from "./ExportToChosenRequest";
import type { FetchedReport } from "./FetchedReport";
import type { GitPreview } from "./GitPreview";
import type { Incident } from "./Incident";
import type { IncidentCloseRequest } from "./IncidentCloseRequest";
import type { IncidentOpenRequest } from "./IncidentOpenRequest";
import type { IncidentReceipt } from "./IncidentReceipt";
import type { KeyInitRequest } from "./KeyInitRequest";
import type { KeyRotation } from "./KeyRotation";
import type { LoginRequest } from "./LoginRequest";
import type { LogoutRequest } from "./LogoutRequest";
import type { NewApp } from "./NewApp";
import type { OpenLinkRequest } from "./OpenLinkRequest";
import type { OpenWorkspaceRequest } from "./OpenWorkspaceRequest";
import type { OtherReferrers } from "./OtherReferrers";
import type { Overview } from "./Overview";
import type { PromoteRequest } from "./PromoteRequest";
import type { PromotionCheck } from "./PromotionCheck";
import type { PromotionOutcome } from "./PromotionOutcome";
import type { PromotionStep } from "./PromotionStep";
import type { PublicKeyInfo } from "./PublicKeyInfo";
import type { RecentWorkspace } from "./RecentWorkspace";
import type { RecordReceipt } from "./RecordReceipt";
import type { RecordRunningRequest } from "./RecordRunningRequest";
import type { RegistryAddRequest } from "./RegistryAddRequest";
import type { RegistryAdded } from "./RegistryAdded";
import type { RegistryProbe } from "./RegistryProbe";
import type { RegistryProbeRequest } from "./RegistryProbeRequest";
import type { RegistryTagsRequest } from "./RegistryTagsRequest";
import type { RegistryView } from "./RegistryView";
import type { RejectRequest } from "./RejectRequest";
import type { Rejection } from "./Rejection";
import type { RejectionReceipt } from "./RejectionReceipt";
import type { ReleaseDiff } from "./ReleaseDiff";
import type { RepositoryTags } from "./RepositoryTags";
import type { RevealRequest } from "./RevealRequest";
import type { RollbackRequest } from "./RollbackRequest";
import type { SaveReportRequest } from "./SaveReportRequest";
import type { Segment } from "./Segment";
import type { SignerStatus } from "./SignerStatus";
import type { StatusRow } from "./StatusRow";
import type { SyncProgress } from "./SyncProgress";
import type { SyncReport } from "./SyncReport";
import type { TeamStatus } from "./TeamStatus";
import type { WorkspaceInfo } from "./WorkspaceInfo";
import type { WorkspacePlan } from "./WorkspacePlan";

/** Every command the app declares: its request, what it reports while it runs (if anything) and what it resolves to. */
export type Commands = {
  status: { args: null; result: Array<StatusRow> };
  workspace_info: { args: null; result: WorkspaceInfo };
  overview: { args: null; result: Overview };
  sync: { args: null; progress: SyncProgress; result: SyncReport };
  timeline: { args: AppRequest; result: Array<Segment> };
  digest_detail: { args: DigestRequest; result: DigestDetail };
  check: { args: CheckRequest; result: PromotionCheck };
  diff: { args: CheckRequest; result: ReleaseDiff };
  git_preview: { args: CheckRequest; result: GitPreview | null };
  approve: { args: ApproveRequest; result: ApprovalReceipt | null };
  promote: { args: PromoteRequest; progress: PromotionStep; result: PromotionOutcome | null };
  rollback: { args: RollbackRequest; progress: PromotionStep; result: PromotionOutcome | null };
  record: { args: RecordRunningRequest; result: RecordReceipt | null };
  reject: { args: RejectRequest; result: RejectionReceipt | null };
  unreject: { args: RejectRequest; result: RejectionReceipt | null };
  attest: { args: AttestInWindowRequest; result: AttestReceipt | null };
  save_report: { args: SaveReportRequest; result: FetchedReport | null };
  referrers: { args: DigestRequest; result: OtherReferrers };
  rejections: { args: AppRequest; result: Array<Rejection> };
  incident_open: { args: IncidentOpenRequest; result: IncidentReceipt | null };
  incident_close: { args: IncidentCloseRequest; result: IncidentReceipt | null };
  incidents: { args: AppRequest; result: Array<Incident> };
  signer: { args: null; result: SignerStatus };
  choose_export_path: { args: ChooseExportRequest; result: ExportTarget | null };
  export: { args: ExportToChosenRequest; result: ExportSummary };
  key_init: { args: KeyInitRequest; result: PublicKeyInfo };
  key_show: { args: null; result: PublicKeyInfo | null };
  key_rotate: { args: null; result: KeyRotation | null };
  registries: { args: null; result: Array<RegistryView> };
  login: { args: LoginRequest; result: string };
  logout: { args: LogoutRequest; result: boolean };
  registry_add: { args: RegistryAddRequest; result: RegistryAdded | null };
  app_add: { args: NewApp; result: ConfigEdit | null };
  approver_add: { args: ApproverAddRequest; result: ConfigEdit | null };
  workspace_reload: { args: null; result: ConfigReload | null };
  registry_probe: { args: RegistryProbeRequest; result: RegistryProbe };
  registry_tags: { args: RegistryTagsRequest; result: Array<RepositoryTags> };
  new_workspace: { args: WorkspacePlan; result: WorkspaceInfo | null };
  choose_workspace: { args: null; result: ChosenWorkspace | null };
  recent_workspaces: { args: null; result: Array<RecentWorkspace> };
  open_workspace: { args: OpenWorkspaceRequest; result: WorkspaceInfo };
  open_demo: { args: null; result: WorkspaceInfo };
  reveal_file: { args: RevealRequest; result: string | null };
  open_link: { args: OpenLinkRequest; result: null };
  team_status: { args: null; result: TeamStatus };
  overview_at: { args: AtRequest; result: Overview };
};

/** The declared command names, in declaration order (the UI builds its backend from them). */
export const COMMAND_NAMES = [
  "status",
  "workspace_info",
  "overview",
  "sync",
  "timeline",
  "digest_detail",
  "check",
  "diff",
  "git_preview",
  "approve",
  "promote",
  "rollback",
  "record",
  "reject",
  "unreject",
  "attest",
  "save_report",
  "referrers",
  "rejections",
  "incident_open",
  "incident_close",
  "incidents",
  "signer",
  "choose_export_path",
  "export",
  "key_init",
  "key_show",
  "key_rotate",
  "registries",
  "login",
  "logout",
  "registry_add",
  "app_add",
  "approver_add",
  "workspace_reload",
  "registry_probe",
  "registry_tags",
  "new_workspace",
  "choose_workspace",
  "recent_workspaces",
  "open_workspace",
  "open_demo",
  "reveal_file",
  "open_link",
  "team_status",
  "overview_at",
] as const satisfies readonly (keyof Commands)[];
