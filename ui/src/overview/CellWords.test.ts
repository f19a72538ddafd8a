// What an overview cell says in words: who put the digest there, what the waiting digest still
// needs ("needs 1 manager approval"), and "your approval needed" for this machine's approver.
import { render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backendContext } from '../lib/backend';
import type { Evaluation } from '../lib/bindings/Evaluation';
import {
  cell,
  digestA,
  digestB,
  evaluation,
  fakeBackend,
  row,
  sampleCheck,
  sampleOverview,
  waitingApproval,
} from '../lib/testing';
import Overview from './Overview.svelte';
import { needsText } from './pending';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2025-11-25T10:00:00Z'));
});
afterEach(() => vi.useRealTimers());

const rule = (r: Evaluation['rules'][number]['rule'], passed = false) => ({
  rule: r,
  passed,
  reason: `${r} reason`,
  blocking: true,
});

describe('what a waiting digest needs', () => {
  it('counts the approvals and names the roles still missing', () => {
    const manager = evaluation({
      rules: [rule('approvals'), rule('roles'), rule('min_soak', true)],
      approvers: ['qa-person@example.com'],
      approvals_needed: 2,
      roles_needed: ['manager', 'qa'],
    });
    const qaDone = [waitingApproval({ approver: 'qa-person@example.com', role: 'qa' })];
    expect(needsText(manager, qaDone)).toBe('needs 1 manager approval');
    expect(needsText({ ...manager, approvers: [] }, [])).toBe('needs 1 manager and 1 qa approval');
    // approvals that do not count do not cover a role
    expect(needsText(manager, [waitingApproval({ role: 'qa', counted: false })])).toBe(
      'needs 1 manager and 1 qa approval',
    );
    const three = evaluation({
      rules: [rule('approvals'), rule('roles')],
      approvers: [],
      approvals_needed: 3,
      roles_needed: ['manager'],
    });
    expect(needsText(three, [])).toBe('needs 1 manager approval and 2 more');
    expect(needsText(evaluation({ approvers: ['a'], approvals_needed: 2 }), [])).toBe(
      'needs 1 more approval',
    );
    expect(needsText(evaluation({ approvers: [], approvals_needed: 2 }), [])).toBe('needs 2 approvals');
  });

  it('names the other failing rules in the app’s words, never their keys', () => {
    const e = evaluation({
      rules: [
        rule('approvals'),
        rule('min_soak'),
        rule('four_eyes'),
        rule('checks'),
        rule('checks'),
        rule('pinned'),
      ],
      approvers: [],
      approvals_needed: 1,
    });
    const text = needsText(e, [])!;
    expect(text).toBe('needs 1 approval, soak time, four-eyes, evidence, pinned by digest');
    expect(text).not.toMatch(/min_soak|four_eyes|checks/);
    expect(needsText(evaluation({ passed: true, rules: [rule('approvals', true)] }), [])).toBeNull();
  });
});

describe('an overview cell', () => {
  it('says who put the digest there and when this machine’s approval is needed', async () => {
    const candidate = sampleCheck({
      app: 'api',
      to: 'production',
      digest: digestB,
      evaluation: evaluation({
        rules: [rule('approvals'), rule('roles')],
        approvers: ['qa-person@example.com'],
        approvals_needed: 2,
        roles_needed: ['manager', 'qa'],
      }),
    });
    const overview = sampleOverview(
      [
        cell(
          row({
            app: 'api',
            env: 'staging',
            digest: digestB,
            via: 'promotion',
            actor: 'quinn@example.com',
            since: '2025-11-22T06:00:00Z',
          }),
        ),
        cell(
          row({
            app: 'api',
            env: 'production',
            digest: digestA,
            via: 'record',
            actor: null,
            since: '2025-11-01T06:00:00Z',
          }),
          candidate,
          [waitingApproval({ approver: 'qa-person@example.com', role: 'qa' })],
        ),
      ],
      '2025-11-25T08:00:00Z',
      {
        approver: 'alice@example.com',
        digests: [{ app: 'api', from: 'staging', to: 'production', digest: digestB, roles: ['manager'] }],
      },
    );
    const { container } = render(Overview, { context: backendContext(fakeBackend({ overview })) });
    await screen.findByRole('table');
    const staging = container.querySelector<HTMLElement>('td[data-env="staging"]')!;
    expect(staging.querySelector('.soak')!.textContent!.replace(/\s+/g, ' ').trim()).toBe(
      'for 3d 4h· promotion by quinn@example.com',
    );
    const prod = container.querySelector<HTMLElement>('td[data-env="production"]')!;
    expect(prod.querySelector('.soak')!.textContent).not.toContain(' by '); // nobody known
    expect(prod.querySelector('[data-testid="cell-needs"]')!.textContent).toBe('needs 1 manager approval');
    expect(prod.querySelector('[data-testid="your-approval"]')!.textContent).toBe('your approval needed');
    expect(staging.querySelector('[data-testid="your-approval"]')).toBeNull();
  });

  it('asks nothing of a machine whose approver is not asked', async () => {
    const candidate = sampleCheck({ app: 'api', to: 'production', digest: digestB });
    const overview = sampleOverview([
      cell(row({ app: 'api', env: 'production', digest: digestA }), candidate),
    ]);
    const { container } = render(Overview, { context: backendContext(fakeBackend({ overview })) });
    await screen.findByRole('table');
    expect(container.querySelector('[data-testid="your-approval"]')).toBeNull();
  });
});
