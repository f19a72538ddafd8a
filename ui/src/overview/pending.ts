// What a cell says about the digest waiting to come in: "1 of 2 approvals", which rules still
// block it. Read from the core's evaluation; no policy is decided here.
import type { Evaluation } from '../lib/bindings/Evaluation';

/** Distinct approvers counted and needed, from the `approvals` rule ("needs 2 …, has 1 …"). */
export function approvalCount(e: Evaluation): { has: number; needs: number } | null {
  const rule = e.rules.find((r) => r.rule === 'approvals');
  if (!rule) return null;
  const needs = /needs (\d+)/.exec(rule.reason);
  const has = /has (\d+|none)/.exec(rule.reason);
  if (!needs) return null;
  return { needs: Number(needs[1]), has: has && has[1] !== 'none' ? Number(has[1]) : 0 };
}

/** "1 of 2 approvals", or how many approvals count when the policy asks for no number. */
export function approvalsText(e: Evaluation): string {
  const c = approvalCount(e);
  if (c) return `${c.has} of ${c.needs} approval${c.needs === 1 ? '' : 's'}`;
  if (e.rules.some((r) => r.rule === 'policy')) return 'no approval needed';
  const n = e.counted.length;
  return `${n} approval${n === 1 ? '' : 's'} counted`;
}

const RULE_NAMES: Record<string, string> = {
  approvals: 'approvals',
  roles: 'roles',
  min_soak: 'soak time',
  four_eyes: 'four eyes',
  signatures: 'signatures',
};

/** The blocking rules that fail, in people's words. */
export function blockers(e: Evaluation): string[] {
  return e.rules.filter((r) => r.blocking && !r.passed).map((r) => RULE_NAMES[r.rule] ?? r.rule);
}
