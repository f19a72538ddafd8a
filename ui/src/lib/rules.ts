// One vocabulary for the policy's rules wherever the app names them (the checklist, the
// overview's "needs …", the promote button's reason): words people say, never the rule's key
// (`min_soak`), and the same words the core's reasons use ("soak time", "four-eyes").
import type { Rule } from './bindings/Rule';

export const RULE_WORDS: Record<Rule, string> = {
  policy: 'policy',
  approvals: 'approvals',
  roles: 'roles',
  min_soak: 'soak time',
  four_eyes: 'four-eyes',
  provenance: 'provenance',
  signatures: 'signatures',
  rejected: 'rejected',
  pinned: 'pinned by digest',
  incidents: 'incidents',
  checks: 'evidence',
};

/** A rule in words: `soak time` (an unknown rule, from a newer core, as its key with spaces). */
export function ruleWords(rule: Rule): string {
  return RULE_WORDS[rule] ?? String(rule).replace(/_/g, ' ');
}

/** A rule as a checklist's row title: `Soak time`. */
export function ruleTitle(rule: Rule): string {
  const w = ruleWords(rule);
  return w.charAt(0).toUpperCase() + w.slice(1);
}
