import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import OverviewCell from '../overview/OverviewCell.svelte';
import { cell, digestA, digestB, fakeBackend, incident, row, signer } from '../lib/testing';
import IncidentsCard from './IncidentsCard.svelte';

function showCard(backend = fakeBackend()) {
  const onchanged = vi.fn();
  render(IncidentsCard, {
    props: {
      backend,
      app: 'api',
      digest: digestA,
      environments: ['dev', 'staging', 'production'],
      onchanged,
    },
  });
  return { backend, onchanged };
}

describe('IncidentsCard', () => {
  it('needs an id and a summary, said when the person acts, then opens the incident in the chosen environment', async () => {
    const { backend, onchanged } = showCard();
    await waitFor(() => expect(screen.getByText('No incident on this digest.')).toBeTruthy());
    await fireEvent.click(screen.getByRole('button', { name: 'Incident…' }));
    const dialog = screen.getByRole('dialog');
    const submit = within(dialog).getByRole('button', { name: 'Open incident' }) as HTMLButtonElement;
    // Nothing is said to be missing before the person acts.
    expect(within(dialog).queryByText(/Give the incident id/)).toBeNull();
    expect(within(dialog).queryByRole('alert')).toBeNull();
    await fireEvent.click(submit);
    expect(within(dialog).getByRole('alert').textContent).toMatch(/Give the incident id/);
    await fireEvent.input(dialog.querySelector('input[name=id]')!, { target: { value: 'INC 42' } });
    await fireEvent.click(submit);
    expect(within(dialog).getByRole('alert').textContent).toMatch(/Give the incident id/);
    await fireEvent.input(dialog.querySelector('input[name=id]')!, { target: { value: ' INC-42 ' } });
    expect(within(dialog).getByText(/Say what is wrong/)).toBeTruthy();
    expect(backend.incidentOpen).not.toHaveBeenCalled();
    await fireEvent.input(dialog.querySelector('input[name=text]')!, { target: { value: ' 5xx spike ' } });
    await fireEvent.change(within(dialog).getByLabelText('Environment'), { target: { value: 'staging' } });
    expect(within(dialog).getByText(/blocks promoting this digest out of staging/)).toBeTruthy();
    expect(submit.disabled).toBe(false);
    await fireEvent.click(submit);

    await waitFor(() => expect(onchanged).toHaveBeenCalled());
    expect(backend.incidentOpen).toHaveBeenCalledWith({
      app: 'api',
      env: 'staging',
      digest: digestA,
      id: 'INC-42',
      summary: '5xx spike',
    });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('lists this digest’s incidents and closes an open one with a resolution', async () => {
    const open = incident({ seq: 3, id: 'INC-7', text: 'errors', open: true });
    const closedOpen = incident({ seq: 1, id: 'INC-1', text: 'slow', open: false, paired: 2 });
    const close = incident({
      seq: 2,
      id: 'INC-1',
      kind: 'incident_close',
      text: 'scaled up',
      open: false,
      paired: 1,
    });
    const other = incident({ seq: 4, id: 'INC-9', digest: digestB });
    const backend = fakeBackend({ incidents: [closedOpen, close, open, other] });
    const { onchanged } = showCard(backend);
    await waitFor(() => expect(screen.getByText('INC-7')).toBeTruthy());
    expect(screen.queryByText('INC-9')).toBeNull();
    expect(screen.getByText(/closed by oncall-bot, .*: scaled up/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Close INC-1…' })).toBeNull();

    await fireEvent.click(screen.getByRole('button', { name: 'Close INC-7…' }));
    const dialog = screen.getByRole('dialog');
    expect(within(dialog).queryByLabelText('Environment')).toBeNull();
    const submit = within(dialog).getByRole('button', { name: 'Close incident' }) as HTMLButtonElement;
    await fireEvent.click(submit);
    expect(within(dialog).getByRole('alert').textContent).toMatch(/Say how it was resolved/);
    expect(backend.incidentClose).not.toHaveBeenCalled();
    await fireEvent.input(dialog.querySelector('input[name=text]')!, { target: { value: 'rolled back' } });
    await fireEvent.click(submit);
    await waitFor(() => expect(onchanged).toHaveBeenCalled());
    expect(backend.incidentClose).toHaveBeenCalledWith({
      app: 'api',
      id: 'INC-7',
      resolution: 'rolled back',
    });
  });

  it('keeps the form when the native confirmation is cancelled, and shows the core’s refusal', async () => {
    const cancelled = fakeBackend({ incidentOpen: null });
    const { onchanged } = showCard(cancelled);
    await fireEvent.click(await screen.findByRole('button', { name: 'Incident…' }));
    const dialog = screen.getByRole('dialog');
    await fireEvent.input(dialog.querySelector('input[name=id]')!, { target: { value: 'INC-1' } });
    await fireEvent.input(dialog.querySelector('input[name=text]')!, { target: { value: 'down' } });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Open incident' }));
    await waitFor(() => expect(cancelled.incidentOpen).toHaveBeenCalled());
    expect(screen.getByRole('dialog')).toBeTruthy();
    expect(onchanged).not.toHaveBeenCalled();
  });
});

describe('OverviewCell incident marker', () => {
  it('marks a cell whose digest has an open incident there', () => {
    const status = {
      ...row({ app: 'api', env: 'staging', digest: digestA }),
      incidents: [
        {
          id: 'INC-42',
          summary: '5xx spike',
          by: 'oncall-bot',
          opened_at: '2026-11-02T12:00:00.000Z',
          closed_at: null,
          resolution: null,
        },
      ],
    };
    const { container } = render(OverviewCell, { props: { cell: cell(status), now: Date.now() } });
    const badge = container.querySelector('[data-incident]')!;
    expect(badge.textContent).toBe('Incident INC-42');
    expect(badge.getAttribute('title')).toContain('INC-42 open since');
  });

  it('disables Incident… with the reason when this machine cannot sign', async () => {
    showCard(
      fakeBackend({
        signer: signer({ problem: 'this machine has no signing key yet: create one in Settings' }),
      }),
    );
    const open = (await screen.findByRole('button', { name: 'Incident…' })) as HTMLButtonElement;
    await waitFor(() => expect(open.disabled).toBe(true));
    expect(document.getElementById(open.getAttribute('aria-describedby')!)!.textContent!.trim()).toBe(
      'Incidents are signed, and this machine has no signing key yet: create one in Settings.',
    );
  });
});
