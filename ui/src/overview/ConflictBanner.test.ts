import { render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { backendContext } from '../lib/backend';
import { conflict, fakeBackend, nothingWaiting, sampleOverview } from '../lib/testing';
import ConflictBanner from './ConflictBanner.svelte';
import Overview from './Overview.svelte';

describe('ConflictBanner', () => {
  it('renders nothing when there are no conflicts', () => {
    render(ConflictBanner, { props: { conflicts: [] } });
    expect(screen.queryByTestId('conflict-banner')).toBeNull();
  });

  it('names each conflict, its kind and description, linked to the app timeline', () => {
    const reused = conflict({
      kind: 'approval_reused',
      app: 'web',
      env: 'staging',
      description: 'web staging: approval 4 by quinn@example.com was consumed by 2 moves',
    });
    render(ConflictBanner, { props: { conflicts: [conflict(), reused] } });
    const banner = screen.getByRole('alert');
    expect(within(banner).getByText('2 conflicts')).toBeTruthy();
    const items = within(banner).getAllByTestId('conflict');
    expect(items).toHaveLength(2);
    const [first, second] = items as [HTMLElement, HTMLElement];
    expect(first.textContent).toContain('Two promotions from one digest');
    expect(first.textContent).toContain('promotion 12 by bob@example.com (imported)');
    expect(second.textContent).toContain('Approval used twice');
    expect(within(second).getByRole('link', { name: 'web staging' }).getAttribute('href')).toBe(
      '#/timeline/web',
    );
  });

  it('is shown by the overview from the core answer', async () => {
    render(Overview, {
      context: backendContext(
        fakeBackend({ overview: sampleOverview([], null, nothingWaiting, [conflict()]) }),
      ),
    });
    const banner = await screen.findByTestId('conflict-banner');
    expect(banner.textContent).toContain('api production');
  });
});
