// What a cell says about the digest waiting to come in: "1 of 2 approvals", which rules still
// block it. Read from the core's evaluation; no policy is decided here.
import type { Evaluation } from '../lib/bindings/Evaluation';
import type { Rule } from '../lib/bindings/Rule';

/** Distinct approvers counted and needed, as the core's evaluation states them. */
export function approvalCount(e: Evaluation): { has: number; needs: number } | null {
  if (e.approvals_needed === 0) return null;
  return { needs: e.approvals_needed, has: e.approvers.length };
}

/** "1 of 2 approvals", or how many approvals count when the policy asks for no number. */
export function approvalsText(e: Evaluation): string {
  const c = approvalCount(e);
  if (c) return `${c.has} of ${c.needs} approval${c.needs === 1 ? '' : 's'}`;
  if (e.rules.some((r) => r.rule === 'policy')) return 'no approval needed';
  const n = e.counted.length;
  return `${n} approval${n === 1 ? '' : 's'} counted`;
}

const RULE_NAMES: Record<Rule, string> = {
  policy: 'policy',
  approvals: 'approvals',
  roles: 'roles',
  min_soak: 'soak time',
  four_eyes: 'four eyes',
  provenance: 'provenance',
  signatures: 'signatures',
  rejected: 'rejected',
  pinned: 'pinned by digest',
  incidents: 'open incident',
  checks: 'evidence',
};

/** The blocking rules that fail, in people's words (each once: `checks` has a rule per check). */
export function blockers(e: Evaluation): string[] {
  const names = e.rules.filter((r) => r.blocking && !r.passed).map((r) => RULE_NAMES[r.rule] ?? r.rule);
  return [...new Set(names)];
}

/** The failed `rejected` rule of an evaluation (the candidate was said no to), if any. */
export function rejectedRule(e: Evaluation): string | null {
  return e.rules.find((r) => r.rule === 'rejected' && !r.passed)?.reason ?? null;
}
