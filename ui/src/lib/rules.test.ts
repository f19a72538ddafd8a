import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import Checklist from '../promote/Checklist.svelte';
import type { Rule } from './bindings/Rule';
import { RULE_WORDS, ruleTitle, ruleWords } from './rules';
import { evaluation } from './testing';

const ALL: Rule[] = [
  'policy',
  'approvals',
  'roles',
  'min_soak',
  'four_eyes',
  'provenance',
  'signatures',
  'rejected',
  'pinned',
  'incidents',
  'checks',
];

describe('the rules’ vocabulary', () => {
  it('names every rule in words, the same words as the core’s reasons', () => {
    expect(Object.keys(RULE_WORDS).sort()).toEqual([...ALL].sort());
    for (const r of ALL) expect(ruleWords(r)).not.toMatch(/_/);
    expect(ruleWords('min_soak')).toBe('soak time');
    expect(ruleTitle('min_soak')).toBe('Soak time');
    expect(ruleWords('four_eyes')).toBe('four-eyes');
    expect(ruleWords('checks')).toBe('evidence');
    // a rule from a newer core still reads as words
    expect(ruleWords('max_age' as Rule)).toBe('max age');
  });

  it('is what the checklist shows', () => {
    render(Checklist, {
      props: {
        to: 'production',
        evaluation: evaluation({
          rules: ALL.map((rule) => ({ rule, passed: true, reason: `${rule} ok`, blocking: true })),
        }),
      },
    });
    const names = [...document.querySelectorAll('.rule .name')].map((n) => n.textContent);
    expect(names).toEqual(ALL.map(ruleTitle));
    expect(names).toContain('Soak time');
    expect(names).toContain('Four-eyes');
    expect(screen.queryByText('min_soak')).toBeNull();
  });
});
