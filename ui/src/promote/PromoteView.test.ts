import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { backendContext, type Backend as BaseBackend } from '../lib/backend';
import type { PromotionStep } from '../lib/bindings/PromotionStep';
import type { Backend } from '../lib/backend';
import {
  check,
  detail,
  digestA,
  digestB,
  promoteBackend,
  outcome,
  passedEvaluation,
  quinnKey,
  signer,
} from '../lib/testing';
import PromoteView from './PromoteView.svelte';

function show(backend: Backend) {
  return render(PromoteView, {
    props: { app: 'api', to: 'staging', digest: digestA },
    context: backendContext(backend as BaseBackend),
  });
}

const approveButton = () => screen.findByRole('button', { name: /^Approve / });
const runButton = () => screen.findByRole('button', { name: /^Promote .* to staging$/ });

describe('PromoteView', () => {
  it('shows the policy checklist with pass/fail and reasons, and the ignored approvals with why', async () => {
    const backend = promoteBackend();
    const { container } = show(backend);
    await screen.findByText('needs 1 distinct approver, has none');
    expect(backend.check).toHaveBeenCalledWith({ app: 'api', to: 'staging', digest: digestA });
    const rules = [...container.querySelectorAll('.rule')].map((r) => [
      r.getAttribute('data-rule'),
      r.getAttribute('data-passed'),
    ]);
    expect(rules).toEqual([
      ['approvals', 'false'],
      ['roles', 'false'],
      ['signatures', 'false'],
    ]);
    expect(container.querySelector('.checklist .verdict')!.textContent).toBe('not met');
    expect(screen.getByText(/mallory@example.com ignored: not an approver/)).toBeTruthy();
  });

  it('words a failed rule’s fix as an action in the window, never a command line', async () => {
    const evaluation = {
      ...passedEvaluation,
      passed: false,
      rules: [
        {
          rule: 'incidents' as const,
          passed: false,
          blocking: true,
          reason:
            'INC-7 is open on 0123456789ab in dev since 2026-11-25T08:00:00Z (opened by quinn: 5xx); close it once it is resolved',
          fix: { kind: 'close_incident' as const, app: 'api', id: 'INC-7' },
        },
      ],
    };
    const { container } = show(
      promoteBackend({ check: async ({ to, digest }) => check({ to, digest, evaluation }) }),
    );
    const fix = await waitFor(() => {
      const f = container.querySelector<HTMLElement>('.rule[data-rule=incidents] .fix');
      if (!f) throw new Error('no fix shown');
      return f;
    });
    expect(fix.dataset.fix).toBe('close_incident');
    expect(fix.textContent).toBe(
      'Close INC-7 (Close… in the Incidents card of the digest’s page) once it is resolved.',
    );
    expect(container.querySelector('.checklist')!.textContent).not.toMatch(/--|tollgate incident/);
  });

  it('shows the full digest with its first 12 hex digits emphasised, and what changes', async () => {
    const { container } = show(promoteBackend());
    const head = container.querySelector('.head .digest-text')!;
    expect(head.textContent).toBe(digestA);
    expect(head.querySelector('strong')!.textContent).toBe(digestA.slice(7, 19));
    const change = await screen.findByRole('region', { name: 'What changes in staging' });
    await within(change).findByText('rev-new');
    expect(within(change).getByText('rev-old')).toBeTruthy();
    expect(within(change).getByText(digestB.slice(7, 19))).toBeTruthy();
    expect(within(change).getByText('2026-11-01 08:00 UTC')).toBeTruthy();
  });

  it('signs with confirm = the first 12 hex digits and shows the fingerprint, then re-checks', async () => {
    const backend = promoteBackend();
    const { container } = show(backend);
    const button = await approveButton();
    expect(button).toBe(screen.getByRole('button', { name: `Approve ${digestA.slice(7, 19)}` }));
    await waitFor(() => expect((button as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(button);
    expect(backend.approve).toHaveBeenCalledWith({
      app: 'api',
      to: 'staging',
      digest: digestA,
      confirm: digestA.slice(7, 19),
      role: 'qa',
      note: null,
    });
    await screen.findByText(/^Signed\./);
    expect(container.querySelector('.signed .fingerprint')!.textContent).toBe(quinnKey.fingerprint);
    await waitFor(() => expect(backend.check).toHaveBeenCalledTimes(2));
    // One approval per role: the button now says so instead of signing the same thing twice.
    expect(button).toBe(screen.getByRole('button', { name: 'Approved ✓' }));
    expect((button as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('role').textContent).toBe('qa');
  });

  it('knows an earlier live approval by this approver (from the digest detail) and does not offer to sign again', async () => {
    const backend = promoteBackend({
      digestDetail: async ({ digest }) => {
        const d = detail(digest, '2026-11-01T08:00:00Z', 'rev');
        d.approvals = [
          {
            seq: 5,
            at: '2026-11-02T09:00:00Z',
            approver: 'quinn@example.com',
            role: 'qa',
            from: 'dev',
            to: 'staging',
            note: '',
            fingerprint: quinnKey.fingerprint,
            verified: true,
            problem: null,
            consumed: false,
            imported_from: null,
            not_shared: null,
          },
        ];
        return d;
      },
    });
    show(backend);
    await screen.findByText(/You have approved this digest as qa/);
    const button = screen.getByRole('button', { name: 'Approved ✓' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
  });

  it('disables approve with the reason when the signer has a problem', async () => {
    const problem =
      'the key in your keychain is not the key listed for quinn@example.com: hand over your allowed_signers line';
    show(promoteBackend({ signer: async () => signer({ listed: false, problem }) }));
    const button = (await approveButton()) as HTMLButtonElement;
    await screen.findByText(problem);
    expect(button.disabled).toBe(true);
    expect(button.getAttribute('aria-describedby')).toBe('approve-why');
  });

  it('disables approve with the reason when the approver holds no role the policy needs', async () => {
    show(
      promoteBackend({
        check: async () => check({ to: 'production', roles_needed: ['manager'] }),
        signer: async () => signer({ roles: ['qa'] }),
      }),
    );
    const reason = await screen.findByText(/needs an approval from manager; quinn@example.com holds qa/);
    expect(reason).toBeTruthy();
    expect(((await approveButton()) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('role').textContent).toBe('qa');
  });

  it('lets the approver pick a role when they hold several that qualify', async () => {
    const backend = promoteBackend({
      check: async () => check({ roles_needed: ['qa', 'manager'] }),
      signer: async () => signer({ roles: ['qa', 'manager', 'dev'] }),
    });
    show(backend);
    const select = (await screen.findByRole('combobox', { name: 'Approve as role' })) as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(['qa', 'manager']);
    await fireEvent.change(select, { target: { value: 'manager' } });
    await fireEvent.click(await approveButton());
    expect(backend.approve).toHaveBeenCalledWith(expect.objectContaining({ role: 'manager' }));
    // The other qualifying role is still offered.
    await screen.findByText(/^Signed\./);
    expect(screen.getByTestId('role').textContent).toBe('qa');
    expect(((await approveButton()) as HTMLButtonElement).disabled).toBe(false);
  });

  it("signs nothing and shows nothing when the app's own confirmation is cancelled", async () => {
    const backend = promoteBackend({ approve: null });
    const { container } = show(backend);
    const button = await approveButton();
    await waitFor(() => expect((button as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(button);
    await waitFor(() => expect(backend.approve).toHaveBeenCalledTimes(1));
    await waitFor(() => expect((button as HTMLButtonElement).disabled).toBe(false));
    expect(container.querySelector('.signed')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(button.textContent).toContain(`Approve ${digestA.slice(7, 19)}`);
    expect(backend.check).toHaveBeenCalledTimes(1);
  });

  it("a promotion cancelled in the app's own confirmation leaves the view as it was", async () => {
    const backend = promoteBackend({
      check: async () => check({ evaluation: passedEvaluation }),
      promote: null,
    });
    const { container } = show(backend);
    const button = (await runButton()) as HTMLButtonElement;
    await waitFor(() => expect(button.disabled).toBe(false));
    await fireEvent.click(button);
    await waitFor(() => expect(backend.promote).toHaveBeenCalledTimes(1));
    await waitFor(() => expect(button.disabled).toBe(false));
    expect(container.querySelector('.outcome .snippets, .failed-outcome')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows a refused approval from the core in place', async () => {
    show(
      promoteBackend({
        approve: async () => {
          throw {
            code: 'refused',
            message: 'sha256:… never ran in api dev: approve only what ran in the previous environment',
          };
        },
      }),
    );
    const button = await approveButton();
    await waitFor(() => expect((button as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(button);
    const alert = await screen.findByRole('alert');
    expect(alert.dataset.code).toBe('refused');
    expect(alert.textContent).toContain('never ran in api dev');
  });

  it('keeps Promote disabled, with the unmet rules, until the policy is met', async () => {
    const backend = promoteBackend();
    show(backend);
    const button = (await runButton()) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(screen.getByText(/policy for staging is not met yet: approvals, roles/)).toBeTruthy();
    expect(backend.promote).not.toHaveBeenCalled();
  });

  it('a commit pushed for review says nothing runs yet, and opens the review compare view', async () => {
    const compare = 'https://github.com/acme/deploy/compare/main...tollgate/api-staging-a1b2c3d4e5f6';
    const pushed = outcome();
    pushed.event = null;
    pushed.git = {
      git: 'deploy',
      file: 'apps/api/staging.yaml',
      branch: 'main',
      commit: 'c'.repeat(40),
      review_branch: 'tollgate/api-staging-a1b2c3d4e5f6',
      compare_url: compare,
    };
    const backend = promoteBackend({
      check: async () => check({ evaluation: passedEvaluation }),
      promote: async () => pushed,
    });
    show(backend);
    const button = (await runButton()) as HTMLButtonElement;
    await waitFor(() => expect(button.disabled).toBe(false));
    await fireEvent.click(button);
    const headline = await screen.findByTestId('pushed-for-review');
    expect(headline.textContent).toContain('once tollgate/api-staging-a1b2c3d4e5f6 is merged');
    expect(headline.textContent).not.toContain('now runs');
    await fireEvent.click(screen.getByRole('button', { name: 'Open review compare view in the browser' }));
    expect(backend.openLink).toHaveBeenCalledWith({ url: compare });
  });

  it('promotes with every step visible, then shows the snippets with copy buttons', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const backend = promoteBackend({
      check: async () => check({ evaluation: passedEvaluation }),
      promote: async (_req, onStep: (s: PromotionStep) => void) => {
        onStep('intended');
        onStep('pushed');
        await gate;
        onStep('verified');
        onStep('recorded');
        return outcome();
      },
    });
    const { container } = show(backend);
    const button = (await runButton()) as HTMLButtonElement;
    await waitFor(() => expect(button.disabled).toBe(false));
    await fireEvent.click(button);
    const states = () =>
      [...container.querySelectorAll('.step')].map(
        (s) => `${s.getAttribute('data-step')}:${s.getAttribute('data-state')}`,
      );
    await waitFor(() =>
      expect(states()).toEqual(['intended:done', 'pushed:done', 'verified:active', 'recorded:todo']),
    );
    release();
    await screen.findByText('kubectl');
    expect(states()).toEqual(['intended:done', 'pushed:done', 'verified:done', 'recorded:done']);
    expect(button).toBe(screen.getByRole('button', { name: 'Promoted ✓' }));
    const kubectl = container.querySelector('[data-snippet="kubectl"]')!;
    expect(kubectl.textContent).toBe(
      `kubectl set image deployment/api api=127.0.0.1:5000/payments/api@${digestA}`,
    );
    expect(container.querySelector('[data-snippet="compose"]')!.textContent).toBe(
      `image: 127.0.0.1:5000/payments/api@${digestA}`,
    );
    expect(screen.getByRole('button', { name: 'Copy kubectl command' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Copy compose line' })).toBeTruthy();
    expect(button.disabled).toBe(true);
    // The view shows what happened, not the question it answered: no NOW → AFTER, no checklist
    // saying "met", no Reject… for a digest that already runs there.
    expect(screen.getByRole('heading', { name: 'What changed in staging' })).toBeTruthy();
    expect(container.querySelector('.side.current .label')!.textContent).toBe('before');
    expect(container.querySelector('.side.next .label')!.textContent).toBe('now');
    expect(container.querySelector('.checklist')).toBeNull();
    expect(screen.getByTestId('policy-used').textContent).toContain('approvals it counted are consumed');
    expect(screen.queryByRole('button', { name: /Reject/ })).toBeNull();
  });

  it('shows a failed promotion plainly: the failed step and the core error in place', async () => {
    const backend = promoteBackend({
      check: async () => check({ evaluation: passedEvaluation }),
      promote: async (_req, onStep: (s: PromotionStep) => void) => {
        onStep('intended');
        onStep('pushed');
        throw {
          code: 'digest_mismatch',
          message:
            'the staging tag reads back as sha256:0f1e… not the approved digest; the promotion was failed and its approvals released',
        };
      },
    });
    const { container } = show(backend);
    const button = (await runButton()) as HTMLButtonElement;
    await waitFor(() => expect(button.disabled).toBe(false));
    await fireEvent.click(button);
    const alert = await screen.findByRole('alert');
    expect(alert.dataset.code).toBe('digest_mismatch');
    expect(alert.textContent).toContain('approvals released');
    expect(screen.getByText('Promote failed after “pushed”.')).toBeTruthy();
    expect(container.querySelector('[data-step="verified"]')!.getAttribute('data-state')).toBe('failed');
    expect(container.querySelector('[data-snippet]')).toBeNull();
    // The approvals may have been released: the checklist is read again.
    await waitFor(() => expect(backend.check).toHaveBeenCalledTimes(2));
  });

  it('says no approval is needed for an environment without policy', async () => {
    show(
      promoteBackend({
        check: async () =>
          check({
            evaluation: {
              passed: true,
              rules: [
                { rule: 'policy', passed: true, reason: 'no policy: no approval needed', blocking: true },
              ],
              counted: [],
              ignored: [],
              approvers: [],
              approvals_needed: 0,
              roles_needed: [],
            },
          }),
      }),
    );
    expect(await screen.findByText(/no approval is needed/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: /^Approve / })).toBeNull();
  });

  it('shows a failed check in place, with a retry', async () => {
    let calls = 0;
    const backend = promoteBackend({
      check: async () => {
        calls += 1;
        if (calls === 1) throw { code: 'unreachable', message: 'the history database is busy: try again' };
        return check();
      },
    });
    show(backend);
    const alert = await screen.findByRole('alert');
    expect(alert.dataset.code).toBe('unreachable');
    await fireEvent.click(within(alert).getByRole('button'));
    await screen.findByText('needs 1 distinct approver, has none');
  });
});
