// Test helper: a release diff as the core sends it (see crates/tollgate/src/diff). Imported
// only by tests (through ./testing).
import type { ReleaseDiff } from './bindings/ReleaseDiff';
import type { RiskFlag } from './bindings/RiskFlag';
import type { GitPreview } from './bindings/GitPreview';

const unchangedRuntime = (): ReleaseDiff['runtime'] => ({
  user: { from: 'app', to: 'app', changed: false },
  entrypoint: { from: ['/app'], to: ['/app'], changed: false },
  cmd: { from: null, to: null, changed: false },
  exposed_ports: { added: [], removed: [] },
  env_names: { added: [], removed: [] },
  volumes: { added: [], removed: [] },
  labels: { added: [], removed: [], changed: [] },
});

/** A diff of `req.digest` against `sha256:00…` in `req.to`: a newer build with no risk flag. */
export function sampleDiff(
  req: { app: string; to: string; digest: string },
  over: Partial<ReleaseDiff> = {},
): ReleaseDiff {
  const current = 'sha256:' + '0'.repeat(64);
  const side = (digest: string, revision: string, created: string) => ({
    digest,
    media_type: 'application/vnd.oci.image.manifest.v1+json',
    platforms: ['linux/amd64'],
    revision,
    version: revision === 'rev-new' ? '1.1.0' : '1.0.0',
    source: 'https://github.com/acme/api',
    created,
    base_name: null,
    base_digest: null,
  });
  return {
    app: req.app,
    env: req.to,
    candidate: side(req.digest, 'rev-new', '2026-11-01T08:00:00Z'),
    current: side(current, 'rev-old', '2026-10-01T08:00:00Z'),
    first_deployment: false,
    same_digest: false,
    source: {
      repository: 'https://github.com/acme/api',
      forge: 'github',
      from_revision: 'rev-old',
      to_revision: 'rev-new',
      compare_url: 'https://github.com/acme/api/compare/rev-old...rev-new',
      repository_changed: false,
    },
    version: { from: '1.0.0', to: '1.1.0', changed: true },
    created: { from: '2026-10-01T08:00:00Z', to: '2026-11-01T08:00:00Z', built_before_current: false },
    base: { from_name: null, from_digest: null, to_name: null, to_digest: null, changed: false },
    platforms: { added: [], removed: [], compared: ['linux/amd64'] },
    platform: 'linux/amd64',
    layers: { shared: 2, added: 1, removed: 1, size_from: 3000, size_to: 4024, size_change: 1024 },
    runtime: unchangedRuntime(),
    per_platform: [],
    risk_flags: [] as RiskFlag[],
    ...over,
  };
}

/** What `gitPreview` answers for an environment in a deployment file: two image lines change. */
export function samplePreview(over: Partial<GitPreview> = {}): GitPreview {
  const old = 'registry.example.com/payments/api@sha256:' + 'b'.repeat(64);
  const next = 'registry.example.com/payments/api@sha256:' + 'a'.repeat(64);
  return {
    git: 'deploy',
    file: 'apps/api/deployment.yaml',
    branch: 'main',
    tip: '0123456789abcdef0123456789abcdef01234567',
    pinned: 'sha256:' + 'b'.repeat(64),
    changes: [
      { line: 12, before: `          image: ${old} # api`, after: `          image: ${next} # api` },
      { line: 20, before: `          image: "${old}"`, after: `          image: "${next}"` },
    ],
    review_branch: null,
    ...over,
  };
}
