import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { backendContext, type Backend as BaseBackend } from '../lib/backend';
import {
  check,
  digestA,
  outcome,
  passedEvaluation,
  promoteBackend,
  sampleReceipt,
  teamShare,
} from '../lib/testing';
import PromoteView from './PromoteView.svelte';
import TeamShareNote from './TeamShareNote.svelte';

const DENIED =
  'not shared yet: 127.0.0.1:5000 denied the push to payments/api; ask for push rights on payments/api';

describe('TeamShareNote', () => {
  it('says which repository it was shared to, or why not yet, or nothing', () => {
    const shared = render(TeamShareNote, { props: { share: teamShare() } });
    expect(shared.getByTestId('team-share').textContent!.replace(/\s+/g, ' ').trim()).toBe(
      `Shared with the team: local/payments/api (artifact ${'5a'.repeat(6)})`,
    );
    shared.unmount();
    const unshared = render(TeamShareNote, {
      props: { share: teamShare({ shared: false, unshared: DENIED }) },
    });
    expect(unshared.getByTestId('team-share').textContent!.trim()).toBe(DENIED);
    unshared.unmount();
    const none = render(TeamShareNote, { props: { share: null } });
    expect(none.container.textContent!.trim()).toBe('');
  });
});

function show(backend = promoteBackend()) {
  return render(PromoteView, {
    props: { app: 'api', to: 'staging', digest: digestA },
    context: backendContext(backend as BaseBackend),
  });
}

describe('the approve and promote flows say what they published', () => {
  it('after approving: not shared yet, with the line', async () => {
    const backend = promoteBackend({
      approve: (req) => ({
        ...sampleReceipt(req.app, req.to, req.digest),
        team: teamShare({ shared: false, unshared: DENIED }),
      }),
    });
    show(backend);
    const button = await screen.findByRole('button', { name: /^Approve / });
    await waitFor(() => expect((button as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(button);
    expect((await screen.findByTestId('team-share')).textContent!.trim()).toBe(DENIED);
  });

  it('after promoting: shared to the repository', async () => {
    const backend = promoteBackend({
      check: () => check({ evaluation: passedEvaluation }),
      promote: () => ({ ...outcome(), shared: teamShare() }),
    });
    show(backend);
    const run = (await screen.findByRole('button', { name: /^Promote .* to staging$/ })) as HTMLButtonElement;
    await waitFor(() => expect(run.disabled).toBe(false));
    await fireEvent.click(run);
    expect((await screen.findByTestId('team-share')).textContent).toContain(
      'Shared with the team: local/payments/api',
    );
  });
});
