import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../lib/backend';
import { digestA, laneSegment, promoteBackend } from '../lib/testing';
import { sampleDiff } from '../lib/testing-diff';
import { labelsText, listText, setText, sizeChange } from './diff';
import ReleaseDiff from './ReleaseDiff.svelte';
import RollbackView from './RollbackView.svelte';
import PromoteView from './PromoteView.svelte';
import { backendContext } from '../lib/backend';

const req = { app: 'api', to: 'staging', digest: digestA };

function show(backend: Backend) {
  return render(ReleaseDiff, { props: { backend, ...req }, context: backendContext(backend) });
}

describe('ReleaseDiff', () => {
  it('shows the risk flags first, prominently, with their codes', async () => {
    const backend = promoteBackend({
      diff: (r) =>
        sampleDiff(r, {
          risk_flags: [
            { code: 'user_root', text: 'runs as root now: user app → 0' },
            { code: 'env_names_changed', text: 'environment variables: added DB_PASSWORD' },
          ],
        }),
    });
    const { container } = show(backend);
    const flags = await screen.findByRole('list', { name: 'Risk flags' });
    expect(backend.diff).toHaveBeenCalledWith(req);
    const items = within(flags).getAllByRole('listitem');
    expect(items.map((i) => i.getAttribute('data-code'))).toEqual(['user_root', 'env_names_changed']);
    expect(items[0]!.textContent).toContain('runs as root now: user app → 0');
    // Flags come before the details.
    const section = container.querySelector('.release-diff')!;
    expect(section.firstElementChild!.nextElementSibling!.classList.contains('risk-flags')).toBe(true);
  });

  it('shows the revision range, the compare view to open or copy (no link followed in the window) and the rest', async () => {
    const backend = promoteBackend();
    const { container } = show(backend);
    await screen.findByText('No risk flags.');
    expect(container.querySelector('.revisions')!.textContent!.trim()).toBe('rev-old → rev-new');
    const url = container.querySelector('.compare .url')!;
    expect(url.textContent).toBe('https://github.com/acme/api/compare/rev-old...rev-new');
    expect(container.querySelector('.release-diff a')).toBeNull();
    expect(screen.getByRole('button', { name: /Copy compare view/ })).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Open compare view in the browser' }));
    expect(backend.openLink).toHaveBeenCalledWith({
      url: 'https://github.com/acme/api/compare/rev-old...rev-new',
    });
    expect(container.querySelector('.layers')!.textContent).toContain('2 shared, 1 added, 1 removed');
    expect(container.querySelector('.layers')!.textContent).toContain('+1.0 KiB');
  });

  it('says first deployment when nothing runs there', async () => {
    const backend = promoteBackend({
      diff: (r) =>
        sampleDiff(r, {
          current: null,
          first_deployment: true,
          risk_flags: [{ code: 'first_deployment', text: 'nothing runs in staging yet' }],
        }),
    });
    const { container } = show(backend);
    await screen.findByText(/this is its first deployment/);
    expect(container.querySelector('.revisions')!.textContent!.trim()).toBe('rev-new');
  });

  it('shows the core error with a retry, without hiding anything else', async () => {
    const backend = promoteBackend({
      diff: { code: 'unreachable', message: 'registry 127.0.0.1:5000 cannot be reached' },
    });
    show(backend);
    const alert = await screen.findByRole('alert');
    expect(alert.getAttribute('data-code')).toBe('unreachable');
  });

  it('is beside the checklist in the promote and the rollback view', async () => {
    const backend = promoteBackend();
    const promote = render(PromoteView, { props: req, context: backendContext(backend) });
    await waitFor(() => expect(promote.container.querySelector('.checklist + .release-diff')).toBeTruthy());
    promote.unmount();

    const digestC = `sha256:${'c0ffee'.repeat(10)}c0ff`;
    const rollback = promoteBackend({
      timeline: async () => [
        laneSegment('staging', digestC, '2026-10-02T00:00:00Z', '2026-10-05T00:00:00Z', 2),
        laneSegment('staging', digestA, '2026-10-05T00:00:00Z', null, 3),
      ],
    });
    const { container } = render(RollbackView, {
      props: { app: 'api', env: 'staging' },
      context: backendContext(rollback),
    });
    const radios = await screen.findAllByRole('radio');
    await fireEvent.click(radios[0]!);
    await waitFor(() => expect(container.querySelector('.checklist + .release-diff')).toBeTruthy());
    expect(rollback.diff).toHaveBeenCalledWith({ app: 'api', to: 'staging', digest: digestC });
  });
});

describe('diff words', () => {
  it('says sets, lists, labels and sizes the same way the CLI does', () => {
    expect(setText({ added: ['22/tcp'], removed: ['8080/tcp'] })).toBe('+22/tcp −8080/tcp');
    expect(setText({ added: [], removed: [] })).toBe('unchanged');
    expect(listText({ from: ['/app'], to: ['/app', '--debug'], changed: true })).toBe(
      '[/app] → [/app --debug]',
    );
    expect(listText({ from: null, to: null, changed: false })).toBe('(not set) (unchanged)');
    expect(
      labelsText({
        added: [{ key: 'new', value: 'x' }],
        removed: [],
        changed: [{ key: 'team', from: 'a', to: 'b' }],
      }),
    ).toBe('+new ~team');
    expect(sizeChange(-3 * 1024 * 1024)).toBe('−3.0 MiB');
    expect(sizeChange(0)).toBe('+0 B');
  });
});
