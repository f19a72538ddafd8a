import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { digestA, digestB, nothingWaiting } from '../lib/testing';
import WaitingForYou from './WaitingForYou.svelte';

describe('WaitingForYou', () => {
  it('counts the digests waiting for this approver, each a link to its review', () => {
    render(WaitingForYou, {
      props: {
        waiting: {
          approver: 'quinn@example.com',
          digests: [
            { app: 'api', from: 'dev', to: 'staging', digest: digestA, roles: ['qa'] },
            { app: 'web', from: 'staging', to: 'production', digest: digestB, roles: [] },
          ],
        },
      },
    });
    const strip = screen.getByTestId('waiting-for-you');
    expect(strip.textContent!.replace(/\s+/g, ' ').trim()).toBe(
      `· 2 waiting for you: api → staging ${digestA.slice(7, 19)}, web → production ${digestB.slice(7, 19)}`,
    );
    const links = screen.getAllByRole('link');
    expect(links.map((a) => a.getAttribute('href'))).toEqual([
      `#/promote/api/staging/${digestA}`,
      `#/promote/web/production/${digestB}`,
    ]);
    expect(links[0]!.getAttribute('title')).toBe(`api dev → staging: ${digestA} (needs qa)`);
    expect(links[1]!.getAttribute('title')).toBe(`web staging → production: ${digestB}`);
  });

  it('says nothing when nothing waits, or when this machine signs as no listed approver', () => {
    const { container } = render(WaitingForYou, { props: { waiting: nothingWaiting } });
    expect(container.textContent!.trim()).toBe('');
    const other = render(WaitingForYou, {
      props: { waiting: { approver: 'quinn@example.com', digests: [] } },
    });
    expect(other.container.textContent!.trim()).toBe('');
  });
});
