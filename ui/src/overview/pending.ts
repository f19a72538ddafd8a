// What a cell says about the digest waiting to come in: "1 of 2 approvals", which rules still
// block it. Read from the core's evaluation; no policy is decided here.
import type { Evaluation } from '../lib/bindings/Evaluation';
import type { WaitingApproval } from '../lib/bindings/WaitingApproval';
import { ruleWords } from '../lib/rules';

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

/** The blocking rules that fail, in people's words (each once: `checks` has a rule per check). */
export function blockers(e: Evaluation): string[] {
  const names = e.rules.filter((r) => r.blocking && !r.passed).map((r) => ruleWords(r.rule));
  return [...new Set(names)];
}

/**
 * What the candidate still needs, in one phrase: `needs 1 manager approval`, `needs 1 manager
 * and 1 qa approval, soak time`, `needs 2 more approvals`. The approvals part is counted from
 * the core's evaluation (distinct approvers needed and counted, the roles it needs) and the
 * cell's approvals (which counted, in which role); the other failing rules by name. `null`
 * when nothing blocks it.
 */
export function needsText(e: Evaluation, approvals: WaitingApproval[]): string | null {
  const failing = e.rules.filter((r) => r.blocking && !r.passed).map((r) => r.rule);
  if (failing.length === 0) return null;
  const parts: string[] = [];
  if (failing.includes('approvals') || failing.includes('roles')) {
    const covered = new Set(approvals.filter((a) => a.counted).map((a) => a.role));
    const missingRoles = failing.includes('roles') ? e.roles_needed.filter((r) => !covered.has(r)) : [];
    const moreApprovers = Math.max(e.approvals_needed - e.approvers.length, 0);
    const extra = Math.max(moreApprovers - missingRoles.length, 0);
    const plural = (n: number) => `approval${n === 1 ? '' : 's'}`;
    if (missingRoles.length > 0) {
      let text = `${missingRoles.map((r) => `1 ${r}`).join(' and ')} ${plural(1)}`;
      if (extra > 0) text += ` and ${extra} more`;
      parts.push(text);
    } else if (moreApprovers > 0) {
      parts.push(`${moreApprovers} ${e.approvers.length > 0 ? 'more ' : ''}${plural(moreApprovers)}`);
    } else {
      // the core says approvals fail but the counts agree: say the rule
      parts.push(ruleWords(failing.includes('roles') ? 'roles' : 'approvals'));
    }
  }
  for (const rule of failing) {
    if (rule === 'approvals' || rule === 'roles') continue;
    const w = ruleWords(rule);
    if (!parts.includes(w)) parts.push(w);
  }
  return `needs ${parts.join(', ')}`;
}

/** The failed `rejected` rule of an evaluation (the candidate was said no to), if any. */
export function rejectedRule(e: Evaluation): string | null {
  return e.rules.find((r) => r.rule === 'rejected' && !r.passed)?.reason ?? null;
}
