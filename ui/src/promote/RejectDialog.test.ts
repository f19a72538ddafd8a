import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { backendContext, type Backend } from '../lib/backend';
import type { OverviewCell as Cell } from '../lib/bindings/OverviewCell';
import RejectionsCard from '../detail/RejectionsCard.svelte';
import OverviewCell from '../overview/OverviewCell.svelte';
import {
  cell,
  check,
  digestA,
  evaluation,
  fakeBackend,
  promoteBackend,
  rejection,
  row,
  sampleDetail,
} from '../lib/testing';
import PromoteView from './PromoteView.svelte';
import RejectDialog from './RejectDialog.svelte';

const short = digestA.slice(7, 19);

function showDialog(backend = fakeBackend(), props: Record<string, unknown> = {}) {
  const onchanged = vi.fn();
  render(RejectDialog, {
    props: {
      backend,
      app: 'api',
      digest: digestA,
      environments: ['dev', 'staging', 'production'],
      env: 'staging',
      onchanged,
      ...props,
    },
  });
  return { backend, onchanged };
}

describe('RejectDialog', () => {
  it('needs a reason and the 12 hex digits typed, says so when the person acts, then signs that scope', async () => {
    const { backend, onchanged } = showDialog();
    await fireEvent.click(screen.getByRole('button', { name: 'Reject…' }));
    const dialog = screen.getByRole('dialog');
    const submit = within(dialog).getByRole('button', { name: `Reject ${short}` });
    // Nothing is wrong before the person acts: no "Say why…" on an empty, untouched form.
    expect(within(dialog).queryByText(/Say why/)).toBeNull();
    expect(within(dialog).queryByRole('alert')).toBeNull();
    expect((within(dialog).getByLabelText('Scope') as HTMLSelectElement).value).toBe('staging');
    await fireEvent.click(submit);
    expect(within(dialog).getByRole('alert').textContent).toMatch(/Say why/);
    expect(backend.reject).not.toHaveBeenCalled();

    await fireEvent.input(dialog.querySelector('input[name=reason]')!, { target: { value: ' crashes ' } });
    expect(within(dialog).getByText(`Type ${short} to confirm this exact digest.`)).toBeTruthy();
    await fireEvent.input(dialog.querySelector('input[name=confirm]')!, {
      target: { value: 'a1b2c3d4e5f7' },
    });
    await fireEvent.click(submit);
    expect(backend.reject).not.toHaveBeenCalled();
    await fireEvent.input(dialog.querySelector('input[name=confirm]')!, { target: { value: short } });
    expect(within(dialog).queryByRole('alert')).toBeNull();
    await fireEvent.click(submit);

    await waitFor(() => expect(onchanged).toHaveBeenCalled());
    expect(backend.reject).toHaveBeenCalledWith({
      app: 'api',
      digest: digestA,
      confirm: short,
      reason: 'crashes',
      env: 'staging',
    });
    expect(screen.queryByRole('dialog')).toBeNull();
    // What it published to the team's registry.
    expect(screen.getByTestId('team-share').textContent).toContain(
      'Shared with the team: local/payments/api',
    );
  });

  it('rejects for every environment when that scope is chosen', async () => {
    const { backend } = showDialog();
    await fireEvent.click(screen.getByRole('button', { name: 'Reject…' }));
    const dialog = screen.getByRole('dialog');
    await fireEvent.change(within(dialog).getByLabelText('Scope'), { target: { value: '*' } });
    await fireEvent.input(dialog.querySelector('input[name=reason]')!, { target: { value: 'CVE' } });
    await fireEvent.input(dialog.querySelector('input[name=confirm]')!, { target: { value: short } });
    await fireEvent.click(within(dialog).getByRole('button', { name: `Reject ${short}` }));
    await waitFor(() => expect(backend.reject).toHaveBeenCalled());
    expect(vi.mocked(backend.reject).mock.calls[0]![0].env).toBeNull();
  });

  it("shows the core's refusal in place and keeps the dialog open", async () => {
    const backend = fakeBackend({
      reject: {
        code: 'refused',
        message: 'dave@example.com holds no role that the policies of staging name',
      },
    });
    showDialog(backend);
    await fireEvent.click(screen.getByRole('button', { name: 'Reject…' }));
    const dialog = screen.getByRole('dialog');
    await fireEvent.input(dialog.querySelector('input[name=reason]')!, { target: { value: 'no' } });
    await fireEvent.input(dialog.querySelector('input[name=confirm]')!, { target: { value: short } });
    await fireEvent.click(within(dialog).getByRole('button', { name: `Reject ${short}` }));
    expect(await within(dialog).findByText(/holds no role/)).toBeTruthy();
    expect(screen.getByRole('dialog')).toBeTruthy();
  });

  it("does nothing when the app's own confirmation is cancelled: no error, the form stays", async () => {
    const { backend, onchanged } = showDialog(fakeBackend({ reject: null }));
    await fireEvent.click(screen.getByRole('button', { name: 'Reject…' }));
    const dialog = screen.getByRole('dialog');
    await fireEvent.input(dialog.querySelector('input[name=reason]')!, { target: { value: 'crashes' } });
    await fireEvent.input(dialog.querySelector('input[name=confirm]')!, { target: { value: short } });
    await fireEvent.click(within(dialog).getByRole('button', { name: `Reject ${short}` }));
    await waitFor(() => expect(backend.reject).toHaveBeenCalled());
    await waitFor(() =>
      expect(
        (within(dialog).getByRole('button', { name: `Reject ${short}` }) as HTMLButtonElement).disabled,
      ).toBe(false),
    );
    expect(onchanged).not.toHaveBeenCalled();
    expect(screen.getByRole('dialog')).toBeTruthy();
    expect(within(dialog).queryByRole('alert')).toBeNull();
    expect((dialog.querySelector('input[name=reason]') as HTMLInputElement).value).toBe('crashes');
  });

  it('lifts exactly the scope of a rejection in force (unreject)', async () => {
    const { backend } = showDialog(fakeBackend(), { lift: true, env: 'staging' });
    await fireEvent.click(screen.getByRole('button', { name: 'Lift…' }));
    const dialog = screen.getByRole('dialog');
    expect((within(dialog).getByLabelText('Scope') as HTMLSelectElement).disabled).toBe(true);
    await fireEvent.input(dialog.querySelector('input[name=reason]')!, { target: { value: 'fixed' } });
    await fireEvent.input(dialog.querySelector('input[name=confirm]')!, { target: { value: short } });
    await fireEvent.click(within(dialog).getByRole('button', { name: `Lift ${short}` }));
    await waitFor(() => expect(backend.unreject).toHaveBeenCalled());
    expect(vi.mocked(backend.unreject).mock.calls[0]![0]).toMatchObject({ env: 'staging', reason: 'fixed' });
    expect(backend.reject).not.toHaveBeenCalled();
  });
});

describe('rejected digests in the views', () => {
  it('the promote view shows the failed rejected rule and offers Reject… for the target', async () => {
    const reason =
      'rejected for staging and later by quinn@example.com (qa) at 2026-11-02T11:00:00Z: crashes';
    const backend = promoteBackend({
      check: check({
        evaluation: evaluation({
          passed: false,
          rules: [{ rule: 'rejected', passed: false, reason, blocking: true }],
        }),
      }),
    });
    const { container } = render(PromoteView, {
      props: { app: 'api', to: 'staging', digest: digestA },
      context: backendContext(backend as Backend),
    });
    // the checklist writes the time the one way the app writes times
    await screen.findByText(reason.replace('2026-11-02T11:00:00Z', '2026-11-02 11:00 UTC'));
    const rule = container.querySelector('.rule[data-rule=rejected]')!;
    expect(rule.getAttribute('data-passed')).toBe('false');
    expect(rule.textContent).toContain('Rejected');
    const run = await screen.findByRole('button', { name: /^Promote .* to staging$/ });
    expect((run as HTMLButtonElement).disabled).toBe(true);
    expect(await screen.findByRole('button', { name: 'Reject…' })).toBeTruthy();
  });

  it('the digest detail lists rejections, marks the one in force, and offers to lift it', async () => {
    const onchanged = vi.fn();
    const backend = fakeBackend();
    render(RejectionsCard, {
      props: {
        app: 'api',
        digest: digestA,
        environments: ['dev', 'staging', 'production'],
        rejections: [
          rejection({ seq: 3, env: null, reason: 'old news' }),
          rejection({
            seq: 4,
            kind: 'unrejection',
            env: null,
            by: 'alice@example.com',
            role: 'manager',
            reason: 'fixed',
          }),
          rejection({ seq: 9, active: true }),
        ],
        onchanged,
      },
      context: backendContext(backend as Backend),
    });
    const card = screen.getByRole('region', { name: /Rejections/ });
    expect(card.getAttribute('data-rejected')).toBe('true');
    expect(within(card).getByText('in force')).toBeTruthy();
    expect(within(card).getByText('“crashes on start (INC-42)”')).toBeTruthy();
    expect(within(card).getByText(/Lifted for every environment/)).toBeTruthy();
    expect(within(card).getAllByRole('button', { name: 'Lift…' })).toHaveLength(1);
    expect(within(card).getByRole('button', { name: 'Reject…' })).toBeTruthy();
  });

  it('the detail view passes its rejections and environments to the card', async () => {
    const backend = fakeBackend({
      digestDetail: sampleDetail({ app: 'api', digest: digestA, rejections: [rejection({ active: true })] }),
    });
    const { default: DigestDetailView } = await import('../detail/DigestDetailView.svelte');
    render(DigestDetailView, {
      props: { app: 'api', digest: digestA },
      context: backendContext(backend as Backend),
    });
    const card = await screen.findByRole('region', { name: /Rejections/ });
    expect(card.getAttribute('data-rejected')).toBe('true');
  });

  it('the overview cell shows a Rejected badge for the digest running there and for a rejected candidate', () => {
    const status = row({ app: 'api', env: 'staging', digest: digestA });
    const running: Cell = { ...cell(status), rejection: rejection({ active: true }) };
    const { container, unmount } = render(OverviewCell, { props: { cell: running, now: Date.now() } });
    const badge = container.querySelector('.line1 [data-rejected]')!;
    expect(badge.textContent).toBe('Rejected');
    expect(badge.getAttribute('title')).toContain('crashes on start (INC-42)');
    unmount();

    const candidate = check({
      evaluation: evaluation({
        passed: false,
        rules: [
          { rule: 'rejected', passed: false, reason: 'rejected for every environment by x', blocking: true },
        ],
      }),
    });
    const waiting = render(OverviewCell, {
      props: { cell: cell(row({ app: 'api', env: 'staging' }), candidate), now: Date.now() },
    });
    const state = waiting.container.querySelector('.candidate [data-rejected]')!;
    expect(state.textContent).toBe('Rejected');
    expect(waiting.container.querySelector('.candidate .state.ok')).toBeNull();
  });
});
