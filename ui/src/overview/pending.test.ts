import { describe, expect, it } from 'vitest';
import { evaluation } from '../lib/testing';
import { approvalCount, approvalsText, blockers } from './pending';

describe('pending approvals', () => {
  it('reads counted and needed approvers from the evaluation', () => {
    const e = (approvers: string[], approvals_needed: number) => evaluation({ approvers, approvals_needed });
    expect(approvalCount(e(['alice@example.com'], 2))).toEqual({ has: 1, needs: 2 });
    expect(approvalCount(e([], 2))).toEqual({ has: 0, needs: 2 });
    expect(approvalCount(e(['a', 'b'], 2))).toEqual({ has: 2, needs: 2 });
    expect(approvalsText(e([], 1))).toBe('0 of 1 approval');
  });

  it('says when no approval is needed', () => {
    const e = evaluation({
      passed: true,
      rules: [{ rule: 'policy', passed: true, reason: 'the policy sets no gate', blocking: true }],
      approvers: [],
      approvals_needed: 0,
    });
    expect(approvalsText(e)).toBe('no approval needed');
    expect(blockers(e)).toEqual([]);
  });

  it('lists the failing blocking rules only', () => {
    const e = evaluation({
      rules: [
        { rule: 'approvals', passed: false, reason: 'needs 2 distinct approvers, has 1', blocking: true },
        { rule: 'min_soak', passed: false, reason: 'soaked 3h in staging, needs 24h', blocking: true },
        { rule: 'signatures', passed: false, reason: 'approval by eve ignored', blocking: false },
        { rule: 'roles', passed: true, reason: 'ok', blocking: true },
      ],
    });
    expect(blockers(e)).toEqual(['approvals', 'soak time']);
  });
});
