import { render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { backendContext } from '../lib/backend';
import type { DeployCommit } from '../lib/bindings/DeployCommit';
import { cell, digestA, fakeBackend, row, sampleDetail, sampleOverview, segment } from '../lib/testing';
import Overview from '../overview/Overview.svelte';
import SegmentDetails from '../timeline/SegmentDetails.svelte';
import DeployCommits from './DeployCommits.svelte';
import DigestDetailView from './DigestDetailView.svelte';

const c1 = '0123456789abcdef0123456789abcdef01234567';
const c2 = 'fedcba9876543210fedcba9876543210fedcba98';
const url2 = `https://github.com/acme/deploy/commit/${c2}`;

function commit(over: Partial<DeployCommit> = {}): DeployCommit {
  return {
    env: 'production',
    git: 'deploy',
    file: 'apps/api/deployment.yaml',
    commit: c1,
    commit_url: null,
    via: 'observation',
    actor: null,
    at: '2026-11-02T09:00:00Z',
    ...over,
  };
}

describe('DeployCommits', () => {
  it('lists each commit that deployed the digest, its file, how and the forge link to copy', () => {
    const { container } = render(DeployCommits, {
      props: {
        commits: [commit(), commit({ commit: c2, commit_url: url2, via: 'promotion', actor: 'release-bot' })],
      },
    });
    const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.textContent).toContain('0123456789ab');
    expect(rows[0]!.textContent).toContain('deploy:apps/api/deployment.yaml');
    expect(rows[0]!.textContent).toContain('read by sync');
    expect(rows[0]!.querySelector('.url')).toBeNull();
    expect(rows[1]!.getAttribute('data-via')).toBe('promotion');
    expect(rows[1]!.textContent).toContain('promoted by Tollgate · release-bot');
    expect(rows[1]!.querySelector('.url')!.textContent).toBe(url2);
    expect(within(rows[1]!).getByRole('button', { name: /Copy commit page/ })).toBeTruthy();
    // Shown to copy, never a link the window would follow.
    expect(container.querySelector('a')).toBeNull();
  });

  it('is absent when no commit deployed it, and the digest detail shows the core list', async () => {
    const none = render(DeployCommits, { props: { commits: [] } });
    expect(none.container.querySelector('.deploy-commits')).toBeNull();
    none.unmount();
    const backend = fakeBackend({
      digestDetail: (req) => sampleDetail({ ...req, commits: [commit({ commit: c2, commit_url: url2 })] }),
    });
    render(DigestDetailView, { props: { app: 'api', digest: digestA }, context: backendContext(backend) });
    const heading = await screen.findByRole('heading', { name: /Commits that deployed it/ });
    expect(heading.closest('section')!.querySelector('.commit')!.getAttribute('title')).toBe(c2);
  });
});

describe('commits of git environments elsewhere', () => {
  it('a timeline segment names its commit and the forge link', () => {
    const { container } = render(SegmentDetails, {
      props: {
        app: 'api',
        now: Date.parse('2026-11-03T00:00:00Z'),
        segment: segment({
          env: 'production',
          digest: digestA,
          from: '2026-11-02T09:00:00Z',
          git: 'deploy',
          file: 'apps/api/deployment.yaml',
          commit: c2,
          commit_url: url2,
        }),
      },
    });
    const dd = container.querySelector('.git-commit')!;
    expect(dd.textContent).toContain('fedcba987654');
    expect(dd.textContent).toContain('in deploy:apps/api/deployment.yaml');
    expect(dd.querySelector('.url')!.textContent).toBe(url2);
  });

  it('a tag segment has no commit line', () => {
    const { container } = render(SegmentDetails, {
      props: {
        app: 'api',
        now: 0,
        segment: segment({ env: 'staging', digest: digestA, from: '2026-11-02T09:00:00Z' }),
      },
    });
    expect(container.querySelector('.git-commit')).toBeNull();
  });

  it('an overview cell of a git environment shows git, file and short commit, and the link to copy', async () => {
    const git = row({
      app: 'api',
      env: 'production',
      tag: null,
      git: 'deploy',
      file: 'apps/api/deployment.yaml',
      commit: c2,
      commit_url: url2,
    });
    const tag = row({ app: 'api', env: 'staging' });
    const backend = fakeBackend({ overview: sampleOverview([cell(tag), cell(git)]) });
    const { container } = render(Overview, { context: backendContext(backend) });
    await screen.findByRole('table');
    const prod = container.querySelector('td[data-env="production"]')!;
    expect(prod.querySelector('.tag')!.textContent).toBe('deploy:apps/api/deployment.yaml @ fedcba987654');
    expect(prod.querySelector('.commit-link')!.getAttribute('data-commit-url')).toBe(url2);
    expect(prod.querySelector('a.main .commit-link')).toBeNull();
    expect(container.querySelector('td[data-env="staging"] .commit-link')).toBeNull();
  });
});
