// The four journalled steps name what is moving: a rollback is recorded as a rollback.
import { render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import PromotionSteps from './PromotionSteps.svelte';

const recorded = (name: string) =>
  within(screen.getByRole('list', { name })).getByText(/appended to the history/).textContent;

describe('the promotion steps', () => {
  it('record a promotion as a promotion', () => {
    render(PromotionSteps, { props: { reached: [], running: false, failed: false, to: 'staging' } });
    expect(recorded('Promotion steps')).toBe('promotion appended to the history; approvals consumed');
  });

  it('record a rollback as a rollback', () => {
    render(PromotionSteps, {
      props: { reached: ['intended'], running: true, failed: false, to: 'production', mode: 'rollback' },
    });
    expect(recorded('Rollback steps')).toBe('rollback appended to the history; approvals consumed');
  });
});
