import { render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { waitingApproval } from '../lib/testing';
import TeamApprovals from './TeamApprovals.svelte';

const NOW = Date.parse('2025-11-25T10:00:00Z');

describe('TeamApprovals', () => {
  it("lists who approved the waiting digest, in which role and when, marking a teammate's and an unshared one", () => {
    const line =
      'not shared yet: 127.0.0.1:5000 denied the push to payments/api; ask for push rights on payments/api';
    const { container } = render(TeamApprovals, {
      props: {
        now: NOW,
        approvals: [
          waitingApproval({
            seq: 3,
            approver: 'quinn@example.com',
            role: 'qa',
            at: '2025-11-25T08:00:00Z',
            imported_from: 'local/payments/api',
          }),
          waitingApproval({ seq: 4, at: '2025-11-25T09:30:00Z', not_shared: line }),
          waitingApproval({ seq: 5, approver: 'bob@example.com', counted: false }),
        ],
      },
    });
    const items = [...container.querySelectorAll('li')];
    expect(items.map((li) => li.dataset.approver)).toEqual([
      'quinn@example.com',
      'alice@example.com',
      'bob@example.com',
    ]);
    const quinn = within(items[0]!);
    expect(quinn.getByText('qa')).toBeTruthy();
    expect(quinn.getByText('2h ago').getAttribute('title')).toBe('2025-11-25 08:00 UTC');
    expect(quinn.getByTestId('teammate').textContent).toBe('from a teammate');
    expect(quinn.getByTestId('teammate').getAttribute('title')).toBe(
      'Pulled from local/payments/api and verified',
    );
    expect(items[0]!.dataset.teammate).toBe('true');
    const alice = within(items[1]!);
    expect(alice.getByTestId('not-shared').textContent).toBe(`not shared yet: ${line}`);
    expect(alice.getByTestId('not-shared').getAttribute('title')).toBe(line);
    expect(alice.queryByTestId('teammate')).toBeNull();
    expect(items[1]!.dataset.teammate).toBe('false');
    expect(items[2]!.classList.contains('not-counted')).toBe(true);
    expect(within(items[2]!).getByText('(does not count)')).toBeTruthy();
  });

  it('shows nothing when nobody has approved', () => {
    const { container } = render(TeamApprovals, { props: { now: NOW, approvals: [] } });
    expect(container.querySelector('ul')).toBeNull();
    expect(screen.queryByRole('list')).toBeNull();
  });
});
