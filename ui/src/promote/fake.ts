// Test helpers for the promote, rollback, export, settings and first-start views: a complete
// fake Backend (the agreed interface) over sample data, built on lib/testing's fakeBackend.
// Imported only by *.test.ts files.
import { vi } from 'vitest';
import type { PromotionCheck } from '../lib/bindings/PromotionCheck';
import type { DigestDetail } from '../lib/bindings/DigestDetail';
import type { PromotionOutcome } from '../lib/bindings/PromotionOutcome';
import type { KeyRotation } from '../lib/bindings/KeyRotation';
import type { PublicKeyInfo } from '../lib/bindings/PublicKeyInfo';
import type { Segment } from '../lib/bindings/Segment';
import { digestA, digestB, fakeBackend, sampleWorkspace } from '../lib/testing';
import type { Backend, ExportArgs, ExportSummary, SignerStatus } from '../lib/backend';

export { digestA, digestB };

/** The bindings' 64-bit integers (`bigint`) arrive as JSON numbers at run time. */
const big = (v: number) => v as unknown as bigint;

export const sampleKey: PublicKeyInfo = {
  id: 'quinn@example.com',
  public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIQuinnQuinnQuinn quinn@example.com',
  fingerprint: 'SHA256:qU1nNqU1nNqU1nNqU1nNqU1nNqU1nNqU1nNqU1nNqU1',
  allowed_signers_line:
    'quinn@example.com namespaces="tollgate-approval" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIQuinnQuinnQuinn',
};

export function signer(over: Partial<SignerStatus> = {}): SignerStatus {
  return {
    approver: 'quinn@example.com',
    key: sampleKey,
    listed: true,
    roles: ['qa'],
    problem: null,
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
    evaluation: {
      passed: false,
      rules: [
        { rule: 'approvals', passed: false, reason: 'needs 1 approval, has 0', blocking: true },
        {
          rule: 'roles',
          passed: false,
          reason: 'needs an approval from each of qa; missing qa',
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
          id: 7n,
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
      reason: 'needs 1 approval, has 1 (quinn@example.com)',
      blocking: true,
    },
    { rule: 'roles', passed: true, reason: 'has qa (quinn@example.com)', blocking: true },
  ],
  counted: [9n],
  ignored: [],
  approvers: ['quinn@example.com'],
  approvals_needed: 1,
  roles_needed: [],
};

export function detail(digest: string, created: string, revision: string): DigestDetail {
  return {
    app: 'api',
    digest,
    image: {
      digest,
      media_type: 'application/vnd.oci.image.manifest.v1+json',
      size: 500n,
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
  };
}

export function outcome(digest = digestA): PromotionOutcome {
  const event = {
    seq: 42n,
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
      id: 3n,
      kind: 'promotion',
      app: 'api',
      from_env: 'dev',
      to_env: 'staging',
      digest,
      src_repository: 'local/payments/api',
      dst_repository: 'local/payments/api',
      tag: 'staging',
      approvals: [9n],
      evaluation: {},
      actor: 'quinn@example.com',
      previous: digestB,
      state: 'recorded',
      error: null,
      event_seq: 42n,
      created_at: '2026-11-02T10:00:00Z',
    },
    event,
    check: check({ evaluation: passedEvaluation }),
    snippets: {
      image: `127.0.0.1:5000/payments/api@${digest}`,
      kubectl: `kubectl set image deployment/api api=127.0.0.1:5000/payments/api@${digest}`,
      compose: `image: 127.0.0.1:5000/payments/api@${digest}`,
    },
  };
}

export function segment(
  env: string,
  digest: string,
  from: string,
  until: string | null,
  seq: number,
): Segment {
  return {
    app: 'api',
    env,
    digest,
    from,
    until,
    via: 'promotion',
    actor: 'quinn@example.com',
    seq: BigInt(seq),
  };
}

export function exportSummary(path: string): ExportSummary {
  return {
    format: 'pdf',
    path,
    bytes: big(20480),
    events: big(120),
    context_events: big(2),
    stubs: big(0),
    first_seq: big(1),
    last_seq: big(122),
    database: {
      events: big(122),
      head_seq: big(122),
      head_hash: 'ab'.repeat(32),
      intact: true,
      broken: null,
    },
    signatures: { approvals: big(6), verified: big(6), problems: [] },
    summary: {
      events: big(122),
      stubs: big(0),
      apps: [
        {
          app: 'api',
          promotions: big(4),
          rollbacks: big(1),
          drift: big(1),
          approvals: big(6),
          records: big(10),
          observations: big(98),
          approvers: [],
        },
      ],
    },
  };
}

/** Every method a `vi.fn`, answering from sample data unless overridden. */
/** The rotation `keyRotate` answers with: sampleKey retired at 2026-11-25 09:00 UTC. */
export const rotation: KeyRotation = {
  previous: sampleKey,
  current: {
    ...sampleKey,
    public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINewQuinnNew quinn@example.com',
    fingerprint: 'SHA256:nEwQuInN',
  },
  retired_at: '2026-11-25T09:00:00Z',
  toml: `key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINewQuinnNew quinn@example.com"\nprevious_keys = [{ key = "${sampleKey.public_key}", until = "2026-11-25T09:00:00Z" }]`,
};

export function fullBackend(over: Partial<Backend> = {}) {
  const base = fakeBackend({ workspaceInfo: sampleWorkspace });
  const backend = {
    status: vi.fn(base.status),
    workspaceInfo: vi.fn(base.workspaceInfo),
    overview: vi.fn(async () => ({ cells: [], last_sync: null })),
    sync: vi.fn(async () => ({ tags: [], new_images: 0, at: '2026-11-02T10:00:00Z' })),
    timeline: vi.fn(async () => [] as Segment[]),
    digestDetail: vi.fn(async (_app: string, digest: string) =>
      digest === digestA
        ? detail(digestA, '2026-11-01T08:00:00Z', 'rev-new')
        : detail(digest, '2026-10-01T08:00:00Z', 'rev-old'),
    ),
    checkPromotion: vi.fn(async () => check()),
    signer: vi.fn(async () => signer()),
    approve: vi.fn(async () => ({
      event: { ...outcome().event, seq: 9n, kind: 'approval' as const },
      fingerprint: sampleKey.fingerprint,
      message: '{}',
      signature: '-----BEGIN SSH SIGNATURE-----',
    })),
    promote: vi.fn(async () => outcome()),
    rollback: vi.fn(async () => outcome()),
    exportReport: vi.fn(async (req: ExportArgs) => exportSummary(req.out)),
    revealFile: vi.fn(async () => {}),
    keyInit: vi.fn(async () => sampleKey),
    keyShow: vi.fn(async () => sampleKey as PublicKeyInfo | null),
    keyRotate: vi.fn(async () => rotation),
    registries: vi.fn(async () => [
      {
        name: 'local',
        url: 'http://127.0.0.1:5000',
        kind: 'remote' as const,
        host: '127.0.0.1:5000',
        keychain_credentials: false,
      },
      { name: 'demo', url: 'oci:registry', kind: 'layout' as const, host: null, keychain_credentials: false },
    ]),
    login: vi.fn(async () => '127.0.0.1:5000'),
    openWorkspace: vi.fn(async () => sampleWorkspace),
    openDemo: vi.fn(async () => sampleWorkspace),
  };
  // Overrides become spies too, so tests can assert on calls either way.
  for (const [name, f] of Object.entries(over)) {
    (backend as Record<string, unknown>)[name] = vi.fn(f as (...args: unknown[]) => unknown);
  }
  return backend satisfies Backend;
}
