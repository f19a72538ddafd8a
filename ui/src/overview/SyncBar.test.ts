import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { row, sampleSyncReport } from '../lib/testing';
import SyncBar from './SyncBar.svelte';

describe('SyncBar', () => {
  it('names replayed team events and ones that need a newer Tollgate in the sync result', () => {
    const report = sampleSyncReport([row({ app: 'api', env: 'staging', drift: true })]);
    report.team = { ...report.team, replayed: 1, needs_newer: 2 };
    render(SyncBar, {
      props: {
        lastSync: null,
        now: Date.now(),
        running: false,
        progress: null,
        result: report,
        onsync: () => {},
      },
    });
    expect(screen.getByText('Drift found.')).toBeTruthy();
    expect(screen.getByTestId('replayed-found').textContent!.replace(/\s+/g, ' ')).toBe(
      '1 replayed team event ignored (a signed statement counts once).',
    );
    expect(screen.getByTestId('needs-newer').textContent).toBe('2 team events need a newer Tollgate.');
  });
});
