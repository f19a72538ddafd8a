import { render, screen, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backendContext } from '../lib/backend';
import {
  cell,
  digestA,
  digestB,
  fakeBackend,
  row,
  sampleCheck,
  sampleOverview,
  waitingApproval,
} from '../lib/testing';
import Overview from './Overview.svelte';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2025-11-25T10:00:00Z'));
});
afterEach(() => vi.useRealTimers());

describe('Overview, team', () => {
  it("shows a teammate's approval on the waiting digest and what waits for this machine's approver", async () => {
    const overview = sampleOverview(
      [
        cell(row({ app: 'api', env: 'staging', digest: digestB })),
        cell(
          row({ app: 'api', env: 'production', digest: digestA }),
          sampleCheck({ app: 'api', to: 'production', digest: digestB }),
          [
            waitingApproval({
              approver: 'quinn@example.com',
              role: 'qa',
              at: '2025-11-25T07:00:00Z',
              imported_from: 'local/payments/api',
            }),
          ],
        ),
      ],
      '2025-11-25T09:00:00Z',
      {
        approver: 'alice@example.com',
        digests: [{ app: 'api', from: 'staging', to: 'production', digest: digestB, roles: ['manager'] }],
      },
    );
    const { container } = render(Overview, { context: backendContext(fakeBackend({ overview })) });
    await screen.findByText('quinn@example.com');
    const prod = container.querySelector('td[data-env="production"]') as HTMLElement;
    const approval = within(prod).getByText('quinn@example.com').closest('li')!;
    expect(approval.textContent!.replace(/\s+/g, ' ').trim()).toBe(
      'quinn@example.com qa 3h ago from a teammate',
    );
    expect(screen.getByTestId('waiting-for-you').textContent!.replace(/\s+/g, ' ')).toContain(
      '1 waiting for you: api → production',
    );
  });
});
