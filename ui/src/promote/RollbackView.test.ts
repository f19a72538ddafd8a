import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { backendContext, type Backend as BaseBackend } from '../lib/backend';
import type { PromotionStep } from '../lib/bindings/PromotionStep';
import {
  check,
  digestA,
  digestB,
  promoteBackend,
  outcome,
  passedEvaluation,
  laneSegment,
} from '../lib/testing';
import { earlierDigests } from './rollback';
import RollbackView from './RollbackView.svelte';

const digestC = `sha256:${'c0ffee'.repeat(10)}c0ff`;
const digestD = `sha256:${'d00d'.repeat(16)}`;
const UNREAD = `the rollback goes on with the history this desktop holds: it could not read the team's events on ${digestC} (not an OCI image index)`;

// staging ran C, then B, then C again, then A (now); dev ran D (never in staging).
const timeline = [
  laneSegment('dev', digestD, '2026-10-01T00:00:00Z', null, 1),
  laneSegment('staging', digestC, '2026-10-02T00:00:00Z', '2026-10-05T00:00:00Z', 2),
  laneSegment('staging', digestB, '2026-10-05T00:00:00Z', '2026-10-08T00:00:00Z', 3),
  laneSegment('staging', digestC, '2026-10-08T00:00:00Z', '2026-10-10T00:00:00Z', 4),
  laneSegment('staging', digestA, '2026-10-10T00:00:00Z', null, 5),
];

describe('earlierDigests', () => {
  it('lists the digests the environment ran before, newest first, once each, never the current one', () => {
    const c = earlierDigests(timeline, 'staging');
    expect(c.current?.digest).toBe(digestA);
    expect(c.earlier.map((s) => s.digest)).toEqual([digestC, digestB]);
    expect(c.earlier[0]!.seq).toBe(4);
  });

  it('has nothing to offer an environment that ran one digest', () => {
    expect(earlierDigests(timeline, 'dev').earlier).toEqual([]);
    expect(earlierDigests(timeline, 'production')).toEqual({ current: null, earlier: [] });
  });
});

describe('RollbackView', () => {
  it('offers only earlier digests of that environment, then checks, approves and rolls back the picked one', async () => {
    const steps: PromotionStep[] = ['intended', 'pushed', 'verified', 'recorded'];
    const backend = promoteBackend({
      timeline: async () => timeline,
      check: async ({ to, digest }) => check({ to, digest, current: digestA, evaluation: passedEvaluation }),
      rollback: async (_req, onStep: (s: PromotionStep) => void) => {
        steps.forEach(onStep);
        return { ...outcome(digestC), team_unread: UNREAD };
      },
    });
    const { container } = render(RollbackView, {
      props: { app: 'api', env: 'staging' },
      context: backendContext(backend as BaseBackend),
    });
    const radios = (await screen.findAllByRole('radio')) as HTMLInputElement[];
    expect(radios.map((r) => r.value)).toEqual([digestC, digestB]);
    expect(backend.timeline).toHaveBeenCalledWith({ app: 'api' });
    expect(container.querySelector('.head [data-digest]')!.getAttribute('data-digest')).toBe(digestA);

    await fireEvent.click(radios[0]!);
    const run = (await screen.findByRole('button', {
      name: /^Roll back .* to staging$/,
    })) as HTMLButtonElement;
    expect(backend.check).toHaveBeenCalledWith({ app: 'api', to: 'staging', digest: digestC });
    await screen.findByRole('button', { name: /^Approve / });
    await waitFor(() => expect(run.disabled).toBe(false));
    await fireEvent.click(run);
    expect(backend.rollback).toHaveBeenCalledWith(
      { app: 'api', env: 'staging', digest: digestC },
      expect.any(Function),
    );
    await screen.findByText('kubectl');
    expect(screen.getByTestId('team-unread').textContent).toBe(UNREAD);
    expect(
      [...container.querySelectorAll('.step')].every((s) => s.getAttribute('data-state') === 'done'),
    ).toBe(true);
    expect(backend.promote).not.toHaveBeenCalled();
    // The view shows the new state: C runs in staging now, and there is no picker to pick from.
    expect(container.querySelector('.head [data-digest]')!.getAttribute('data-digest')).toBe(digestC);
    expect(screen.getByTestId('rolled-back').textContent).toContain('runs');
    expect(screen.queryByRole('radio')).toBeNull();
  });

  it('opens with the digest of the link picked (the drift banner’s “Roll back to …”)', async () => {
    const backend = promoteBackend({
      timeline: async () => timeline,
      check: async ({ to, digest }) => check({ to, digest, current: digestA, evaluation: passedEvaluation }),
    });
    render(RollbackView, {
      props: { app: 'api', env: 'staging', digest: digestB },
      context: backendContext(backend as BaseBackend),
    });
    const radios = (await screen.findAllByRole('radio')) as HTMLInputElement[];
    await waitFor(() => expect(radios.find((r) => r.value === digestB)!.checked).toBe(true));
    await waitFor(() =>
      expect(backend.check).toHaveBeenCalledWith({ app: 'api', to: 'staging', digest: digestB }),
    );
  });

  it('asks for a reason when only the emergency rule lets the rollback pass, and sends it', async () => {
    const REASON = 'checkout is down';
    const usual = check({ to: 'staging', digest: digestC, current: digestA });
    const backend = promoteBackend({
      timeline: async () => timeline,
      check: async ({ to, digest }) =>
        check({
          to,
          digest,
          current: digestA,
          evaluation: { ...usual.evaluation, approvals_needed: 2 },
          emergency: { approvals_needed: 1, evaluation: passedEvaluation },
        }),
      rollback: async () => {
        const o = outcome(digestC);
        return { ...o, promotion: { ...o.promotion, kind: 'rollback', emergency_reason: REASON } };
      },
    });
    render(RollbackView, {
      props: { app: 'api', env: 'staging' },
      context: backendContext(backend as BaseBackend),
    });
    const radios = (await screen.findAllByRole('radio')) as HTMLInputElement[];
    await fireEvent.click(radios[0]!);
    const panel = await screen.findByTestId('emergency-rollback');
    expect(panel.querySelector('h3')!.textContent!.trim()).toBe(
      'Emergency rollback: needs 1 approval and a reason',
    );
    const run = (await screen.findByRole('button', {
      name: /^Roll back .* to staging$/,
    })) as HTMLButtonElement;
    await screen.findByRole('button', { name: /^Approve / });
    // The emergency checklist passes, but nothing runs without a reason.
    expect(run.disabled).toBe(true);
    expect(screen.getByText('Give the reason for this emergency rollback.')).toBeTruthy();
    const input = screen.getByRole('textbox', { name: 'Reason' }) as HTMLInputElement;
    await fireEvent.input(input, { target: { value: `  ${REASON} ` } });
    await waitFor(() => expect(run.disabled).toBe(false));
    await fireEvent.click(run);
    expect(backend.rollback).toHaveBeenCalledWith(
      { app: 'api', env: 'staging', digest: digestC, reason: REASON },
      expect.any(Function),
    );
    expect((await screen.findByTestId('emergency-done')).textContent).toContain(REASON);
    expect(backend.promote).not.toHaveBeenCalled();
  });

  it('shows no emergency panel when the ordinary checklist passes', async () => {
    const backend = promoteBackend({
      timeline: async () => timeline,
      check: async ({ to, digest }) =>
        check({
          to,
          digest,
          current: digestA,
          evaluation: passedEvaluation,
          emergency: { approvals_needed: 1, evaluation: passedEvaluation },
        }),
    });
    render(RollbackView, {
      props: { app: 'api', env: 'staging' },
      context: backendContext(backend as BaseBackend),
    });
    await fireEvent.click((await screen.findAllByRole('radio'))[0]!);
    await screen.findByRole('button', { name: /^Roll back .* to staging$/ });
    expect(screen.queryByTestId('emergency-rollback')).toBeNull();
  });

  it('says so when there is nothing to roll back to', async () => {
    render(RollbackView, {
      props: { app: 'api', env: 'dev' },
      context: backendContext(promoteBackend({ timeline: async () => timeline }) as BaseBackend),
    });
    expect(await screen.findByText(/has run no other digest of api before/)).toBeTruthy();
    expect(screen.queryByRole('radio')).toBeNull();
  });

  it('shows a timeline error in place', async () => {
    render(RollbackView, {
      props: { app: 'nope', env: 'dev' },
      context: backendContext(
        promoteBackend({
          timeline: async () => {
            throw { code: 'config', message: 'no app nope in tollgate.toml' };
          },
        }) as BaseBackend,
      ),
    });
    expect((await screen.findByRole('alert')).dataset.code).toBe('config');
  });
});
