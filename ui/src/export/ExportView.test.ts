import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { backendContext, type Backend as BaseBackend } from '../lib/backend';
import { row } from '../lib/testing';
import { fullBackend } from '../promote/fake';
import ExportView from './ExportView.svelte';
import { untilBound } from './range';

const dialog = vi.hoisted(() => ({ save: vi.fn(), open: vi.fn() }));
vi.mock('@tauri-apps/plugin-dialog', () => dialog);

function show(backend = fullBackend()) {
  backend.status.mockResolvedValue([
    row({ app: 'api', env: 'dev' }),
    row({ app: 'api', env: 'staging' }),
    row({ app: 'web', env: 'dev' }),
  ]);
  const view = render(ExportView, { context: backendContext(backend as BaseBackend) });
  return { backend, ...view };
}

beforeEach(() => {
  dialog.save.mockReset();
});

describe('ExportView', () => {
  it('asks where to save, has the core write the report, shows the file in its folder, and its summary', async () => {
    const order: string[] = [];
    dialog.save.mockImplementation(async () => {
      order.push('dialog');
      return '/home/me/audit.csv';
    });
    const { backend, container } = show();
    backend.exportReport.mockImplementation(async (req) => {
      order.push('export');
      const { exportSummary } = await import('../promote/fake');
      return { ...exportSummary(req.out), format: req.format };
    });
    backend.revealFile.mockImplementation(async () => {
      order.push('reveal');
    });
    await screen.findByRole('option', { name: 'web' });
    await fireEvent.change(screen.getByLabelText('App'), { target: { value: 'api' } });
    await fireEvent.change(screen.getByLabelText('Environment'), { target: { value: 'staging' } });
    await fireEvent.input(screen.getByLabelText('From (inclusive)'), { target: { value: '2026-11-01' } });
    await fireEvent.input(screen.getByLabelText('To (inclusive)'), { target: { value: '2026-11-30' } });
    await fireEvent.click(screen.getByRole('radio', { name: /CSV/ }));
    await fireEvent.click(screen.getByRole('button', { name: 'Export CSV…' }));

    await screen.findByText('Report written');
    await waitFor(() => expect(order).toEqual(['dialog', 'export', 'reveal']));
    expect(dialog.save).toHaveBeenCalledWith(
      expect.objectContaining({
        filters: [{ name: 'CSV', extensions: ['csv'] }],
        defaultPath: expect.stringMatching(/^tollgate-audit-api-staging-.*\.csv$/),
      }),
    );
    expect(backend.exportReport).toHaveBeenCalledWith({
      format: 'csv',
      app: 'api',
      env: 'staging',
      since: '2026-11-01T00:00:00Z',
      until: '2026-12-01T00:00:00Z',
      out: '/home/me/audit.csv',
    });
    expect(screen.getByText('/home/me/audit.csv')).toBeTruthy();
    expect(screen.getByText(/intact \(122 events checked\)/)).toBeTruthy();
    expect(screen.getByText('6 of 6 approvals verify')).toBeTruthy();
    expect(container.querySelector('table.apps tbody th')!.textContent).toBe('api');

    expect(backend.revealFile).toHaveBeenCalledWith('/home/me/audit.csv');
    await fireEvent.click(screen.getByRole('button', { name: 'Show in folder' }));
    expect(backend.revealFile).toHaveBeenCalledTimes(2);
  });

  it('does not reveal the file when asked not to, and shows a reveal failure in place', async () => {
    dialog.save.mockResolvedValue('/tmp/r.json');
    const backend = fullBackend();
    backend.revealFile.mockRejectedValue({
      code: 'not_found',
      message: 'no file manager to show /tmp/r.json: open it yourself',
    });
    show(backend);
    await fireEvent.click(await screen.findByRole('checkbox', { name: /Show the file/ }));
    await fireEvent.click(screen.getByRole('button', { name: 'Export PDF…' }));
    await screen.findByText('Report written');
    expect(backend.revealFile).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByRole('button', { name: 'Show in folder' }));
    expect((await screen.findByRole('alert')).dataset.code).toBe('not_found');
    expect(screen.getByText('Report written')).toBeTruthy();
  });

  it('does nothing when the save dialog is cancelled', async () => {
    dialog.save.mockResolvedValue(null);
    const { backend } = show();
    await fireEvent.click(await screen.findByRole('button', { name: 'Export PDF…' }));
    await waitFor(() => expect(dialog.save).toHaveBeenCalled());
    expect(backend.exportReport).not.toHaveBeenCalled();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('exports everything with no filters, and shows a failure in place', async () => {
    dialog.save.mockResolvedValue('/tmp/r.pdf');
    const backend = fullBackend();
    backend.exportReport.mockRejectedValue({
      code: 'bad_input',
      message: 'since must be before until: pick an earlier start',
    });
    show(backend);
    await fireEvent.click(await screen.findByRole('button', { name: 'Export PDF…' }));
    const alert = await screen.findByRole('alert');
    expect(alert.dataset.code).toBe('bad_input');
    expect(backend.exportReport).toHaveBeenCalledWith({
      format: 'pdf',
      app: null,
      env: null,
      since: null,
      until: null,
      out: '/tmp/r.pdf',
    });
  });

  it('turns the last day picked into an exclusive bound, across month and year ends', () => {
    expect(untilBound('2026-12-31')).toBe('2027-01-01T00:00:00Z');
    expect(untilBound('2028-02-28')).toBe('2028-02-29T00:00:00Z');
    expect(untilBound('')).toBeNull();
  });
});
