import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { backendContext, type Backend } from '../lib/backend';
import { check, digestA, laneSegment, passedEvaluation, promoteBackend } from '../lib/testing';
import { samplePreview } from '../lib/testing-diff';
import FileDiff from './FileDiff.svelte';
import PromoteView from './PromoteView.svelte';
import RollbackView from './RollbackView.svelte';

const req = { app: 'api', to: 'production', digest: digestA };

function show(backend: Backend) {
  return render(FileDiff, { props: { backend, ...req } });
}

describe('FileDiff', () => {
  it('shows where the commit goes and each changed line before and after, as the core read them', async () => {
    const backend = promoteBackend({ gitPreview: () => samplePreview() });
    const { container } = show(backend);
    const table = await screen.findByRole('table', { name: 'Lines the commit changes' });
    expect(backend.gitPreview).toHaveBeenCalledWith(req);
    expect(container.querySelector('.where')!.textContent!.replace(/\s+/g, ' ').trim()).toBe(
      'deploy:apps/api/deployment.yaml on main at 0123456789ab',
    );
    const rows = within(table).getAllByRole('row');
    expect(rows.map((r) => r.className.replace(/\s*svelte-\S+/g, ''))).toEqual([
      'removed',
      'added',
      'removed',
      'added',
    ]);
    const p = samplePreview();
    expect(rows[0]!.querySelector('.n')!.textContent).toBe('12');
    expect(rows[0]!.querySelector('.text')!.textContent).toBe(p.changes[0]!.before);
    expect(rows[1]!.querySelector('.text')!.textContent).toBe(p.changes[0]!.after);
    expect(rows[3]!.querySelector('.n')!.textContent).toBe('20');
    expect(rows[3]!.querySelector('.text')!.textContent).toBe(p.changes[1]!.after);
    expect(container.querySelector('.note')!.textContent).toContain('pushed onto main');
  });

  it('names the review branch for push = "branch", and says when nothing changes', async () => {
    const review = show(
      promoteBackend({
        gitPreview: () => samplePreview({ review_branch: 'tollgate/api-production-a1b2c3d4e5f6' }),
      }),
    );
    await waitFor(() =>
      expect(review.container.querySelector('.note')?.textContent).toContain(
        'pushed for review to tollgate/api-production-a1b2c3d4e5f6, not onto main',
      ),
    );
    review.unmount();
    const same = show(promoteBackend({ gitPreview: () => samplePreview({ changes: [] }) }));
    await screen.findByText(/pins this digest already: there is nothing to commit/);
    expect(same.container.querySelector('table')).toBeNull();
  });

  it('shows nothing for an environment with a registry tag', async () => {
    const backend = promoteBackend();
    const { container } = show(backend);
    await waitFor(() => expect(backend.gitPreview).toHaveBeenCalled());
    await Promise.resolve();
    expect(container.querySelector('.file-diff')).toBeNull();
  });

  it('is one line when the file cannot be read, and the checklist and the run stay usable', async () => {
    const backend = promoteBackend({
      check: () => check({ to: 'production', evaluation: passedEvaluation }),
      gitPreview: { code: 'unreachable', message: "git fetch of /srv/deploy.git failed: 'main' not found" },
    });
    const { container } = render(PromoteView, { props: req, context: backendContext(backend) });
    const line = await waitFor(() => {
      const l = container.querySelector('.file-diff .read-error');
      expect(l).toBeTruthy();
      return l!;
    });
    expect(line.getAttribute('data-code')).toBe('unreachable');
    expect(line.textContent).toBe(
      "Cannot read the deployment file now: git fetch of /srv/deploy.git failed: 'main' not found",
    );
    expect(container.querySelectorAll('.file-diff p')).toHaveLength(1);
    expect(container.querySelector('.checklist')).toBeTruthy();
    const run = screen.getByRole('button', { name: /Promote .* to production/ });
    expect((run as HTMLButtonElement).disabled).toBe(false);
  });

  it('is beside the checklist in the promote and the rollback view, and the run says it commits', async () => {
    const backend = promoteBackend({
      check: () => check({ to: 'production', evaluation: passedEvaluation }),
      gitPreview: () => samplePreview(),
    });
    const promote = render(PromoteView, { props: req, context: backendContext(backend) });
    await waitFor(() => expect(promote.container.querySelector('.checklist + .file-diff')).toBeTruthy());
    expect(promote.container.querySelector('#run-why')!.textContent).toContain(
      'Commits apps/api/deployment.yaml pinning',
    );
    expect(promote.container.querySelector('[data-step=pushed] .what')!.textContent).toBe(
      'signed commit pinning the digest in apps/api/deployment.yaml pushed to main',
    );
    promote.unmount();

    const digestC = `sha256:${'c0ffee'.repeat(10)}c0ff`;
    const rollback = promoteBackend({
      gitPreview: () => samplePreview(),
      timeline: async () => [
        laneSegment('production', digestC, '2026-10-02T00:00:00Z', '2026-10-05T00:00:00Z', 2),
        laneSegment('production', digestA, '2026-10-05T00:00:00Z', null, 3),
      ],
    });
    const { container } = render(RollbackView, {
      props: { app: 'api', env: 'production' },
      context: backendContext(rollback),
    });
    const radios = await screen.findAllByRole('radio');
    await fireEvent.click(radios[0]!);
    await waitFor(() => expect(container.querySelector('.checklist + .file-diff')).toBeTruthy());
    expect(rollback.gitPreview).toHaveBeenCalledWith({ app: 'api', to: 'production', digest: digestC });
  });
});
