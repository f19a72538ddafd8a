import { render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { backendContext, type Backend as BaseBackend } from '../lib/backend';
import { digestA, fakeBackend, promoteBackend, teamStatus, type FakeBackend } from '../lib/testing';
import SettingsView from './SettingsView.svelte';
import TeamSettings from './TeamSettings.svelte';

function show(backend: FakeBackend) {
  return render(TeamSettings, { context: backendContext(backend as BaseBackend) });
}

const DENIED =
  'not shared yet: 127.0.0.1:5000 denied the push to payments/api (HTTP 403); ask for push rights on payments/api, or a [team] ledger you may push to';

describe('TeamSettings', () => {
  it('shows the team channel problems with their lines, only when there are some', async () => {
    const line = `team channel: the team's events on api ${digestA} in local/payments/api cannot be read: not an OCI image index`;
    show(
      fakeBackend({
        teamStatus: teamStatus({
          problems: [
            {
              app: 'api',
              repository: 'local/payments/api',
              subject: digestA,
              line,
              first_seen: '2025-11-24T08:00:00Z',
              last_seen: '2025-11-25T09:00:00Z',
            },
          ],
        }),
      }),
    );
    expect((await screen.findByTestId('problems-count')).textContent).toBe('1');
    const problem = document.querySelector(`[data-problem="${digestA}"]`) as HTMLElement;
    expect(within(problem).getByText(line)).toBeTruthy();
    expect(problem.textContent!.replace(/\s+/g, ' ')).toContain(
      'first met 2025-11-24 08:00 UTC, last 2025-11-25 09:00 UTC',
    );
  });

  it('shows sharing on with the line that turns it off, the repositories and the last pull', async () => {
    const backend = fakeBackend();
    show(backend);
    expect((await screen.findByTestId('team-sharing')).textContent).toContain('on');
    expect(backend.teamStatus).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId('team-change').textContent).toBe(
      'to turn sharing off, write `share = false` under `[team]` in /home/ci/payments/tollgate.toml',
    );
    expect(screen.getByTestId('team-ledger').textContent).toContain(
      'none: each app’s events go to its own repository',
    );
    expect(screen.getByText('local/payments/api')).toBeTruthy();
    expect(screen.getByTestId('team-last-pull').textContent!.replace(/\s+/g, ' ').trim()).toBe(
      '2025-11-25 09:00 UTC (3 digests asked, 1 imported, 0 untrusted)',
    );
    expect(screen.getByTestId('unshared-count').textContent).toBe('0');
    expect(screen.getByText('Every event of this desktop is in the registry.')).toBeTruthy();
    expect(screen.getByTestId('untrusted-count').textContent).toBe('0');
    expect(screen.queryByTestId('problems-count')).toBeNull();
  });

  it('lists unshared events with why, and untrusted events with when they were seen', async () => {
    const forged = `sha256:${'f0'.repeat(32)}`;
    show(
      fakeBackend({
        teamStatus: teamStatus({
          ledger: 'local/tollgate/payments',
          unshared: [
            {
              seq: 12,
              kind: 'approval',
              app: 'api',
              env: 'staging',
              digest: digestA,
              artifact: `sha256:${'12'.repeat(32)}`,
              repository: 'local/tollgate/payments',
              reason: DENIED,
            },
          ],
          untrusted: [
            {
              artifact: forged,
              repository: 'local/tollgate/payments',
              subject: digestA,
              kind: 'approval',
              reason: 'signed by key SHA256:abc, not the key listed for quinn@example.com',
              class: 'untrusted',
              first_seen: '2025-11-24T08:00:00Z',
              last_seen: '2025-11-25T09:00:00Z',
            },
            {
              artifact: `sha256:${'e1'.repeat(32)}`,
              repository: 'local/tollgate/payments',
              subject: digestA,
              kind: 'promotion',
              reason:
                'replayed: its signed message (sha256 0123456789ab) is already in this history as event 9',
              class: 'replayed',
              first_seen: '2025-11-25T09:00:00Z',
              last_seen: '2025-11-25T09:00:00Z',
            },
          ],
        }),
      }),
    );
    expect((await screen.findByTestId('team-ledger')).textContent).toContain('local/tollgate/payments');
    expect(screen.getByTestId('unshared-count').textContent).toBe('1');
    const unshared = document.querySelector(`[data-unshared="sha256:${'12'.repeat(32)}"]`) as HTMLElement;
    expect(unshared.textContent!.replace(/\s+/g, ' ')).toContain(
      `approval · api staging · ${digestA.slice(7, 19)}`,
    );
    expect(within(unshared).getByText(DENIED)).toBeTruthy();
    expect(screen.getByText('Every sync tries again.')).toBeTruthy();
    expect(screen.getByTestId('untrusted-count').textContent).toBe('2');
    const replayed = document.querySelector(`[data-untrusted="sha256:${'e1'.repeat(32)}"]`) as HTMLElement;
    expect(replayed.querySelector('[data-class="replayed"]')!.textContent).toBe('replayed');
    expect(within(replayed).getByText(/already in this history as event 9/)).toBeTruthy();
    const untrusted = document.querySelector(`[data-untrusted="${forged}"]`) as HTMLElement;
    expect(untrusted.querySelector('[data-class]')).toBeNull();
    expect(within(untrusted).getByText(/not the key listed for quinn@example.com/)).toBeTruthy();
    expect(untrusted.textContent!.replace(/\s+/g, ' ')).toContain(
      'first seen 2025-11-24 08:00 UTC, last 2025-11-25 09:00 UTC',
    );
    expect(screen.getByText('Ignored by the policy.')).toBeTruthy();
    // With a ledger, the per-app list is not repeated.
    expect(screen.queryByText('local/payments/api')).toBeNull();
  });

  it('says when sharing is off and nothing was ever pulled', async () => {
    show(
      fakeBackend({
        teamStatus: teamStatus({
          sharing: false,
          change: 'to turn sharing on, write `share = true` under `[team]` in /w/tollgate.toml',
          last_pull: null,
        }),
      }),
    );
    expect((await screen.findByTestId('team-sharing')).textContent).toContain('off');
    expect(screen.getByTestId('team-last-pull').textContent!.trim()).toBe('never (sharing is off)');
    expect(screen.getByTestId('team-change').textContent).toContain('`share = true`');
  });

  it('shows the core error in place', async () => {
    show(
      fakeBackend({
        teamStatus: {
          code: 'database',
          message: 'history database t.db is locked; close the other Tollgate',
        },
      }),
    );
    expect((await screen.findByRole('alert')).dataset.code).toBe('database');
  });

  it('is part of Settings', async () => {
    render(SettingsView, { context: backendContext(promoteBackend() as BaseBackend) });
    expect(await screen.findByRole('heading', { name: 'Team' })).toBeTruthy();
    expect(await screen.findByTestId('team-last-pull')).toBeTruthy();
  });
});
