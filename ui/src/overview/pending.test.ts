import { describe, expect, it } from 'vitest';
import { evaluation } from '../lib/testing';
import { approvalCount, approvalsText, blockers } from './pending';

describe('pending approvals', () => {
  it('reads counted and needed approvers from the approvals rule, passing or not', () => {
    const rule = (reason: string, passed = false) =>
      evaluation({ rules: [{ rule: 'approvals', passed, reason, blocking: true }] });
    expect(approvalCount(rule('needs 2 distinct approvers, has 1 (alice@example.com)'))).toEqual({ has: 1, needs: 2 });
    expect(approvalCount(rule('needs 2 distinct approvers, has none'))).toEqual({ has: 0, needs: 2 });
    expect(approvalCount(rule('has 2 distinct approvers (a, b), needs 2', true))).toEqual({ has: 2, needs: 2 });
    expect(approvalsText(rule('needs 1 distinct approver, has none'))).toBe('0 of 1 approval');
  });

  it('says when no approval is needed', () => {
    const e = evaluation({
      passed: true,
      rules: [{ rule: 'policy', passed: true, reason: 'the policy sets no gate', blocking: true }],
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
