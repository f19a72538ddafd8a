import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { backendContext, type Backend as BaseBackend } from '../lib/backend';
import { exportSummary, exportTarget, promoteBackend, row } from '../lib/testing';
import ExportView from './ExportView.svelte';
import { pickerValue, rangeProblem, sinceBound, untilBound } from './range';

function show(backend = promoteBackend()) {
  backend.status.mockResolvedValue([
    row({ app: 'api', env: 'dev' }),
    row({ app: 'api', env: 'staging' }),
    row({ app: 'web', env: 'dev' }),
  ]);
  const view = render(ExportView, { context: backendContext(backend as BaseBackend) });
  return { backend, ...view };
}

describe('ExportView', () => {
  it('asks where to save, has the core write the report, shows the file in its folder, and its summary', async () => {
    const order: string[] = [];
    const { backend, container } = show();
    backend.chooseExportPath.mockImplementation(async () => {
      order.push('dialog');
      return exportTarget('/home/me/audit.csv');
    });
    backend.export.mockImplementation(async (req) => {
      order.push('export');
      return { ...exportSummary(req.target.replace(/^token:/, '')), format: req.format };
    });
    backend.revealFile.mockImplementation(async () => {
      order.push('reveal');
      return null;
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
    expect(backend.chooseExportPath).toHaveBeenCalledWith({
      format: 'csv',
      suggested_name: expect.stringMatching(/^tollgate-audit-api-staging-.*\.csv$/),
    });
    expect(backend.export).toHaveBeenCalledWith({
      target: 'token:/home/me/audit.csv',
      format: 'csv',
      app: 'api',
      env: 'staging',
      since: '2026-11-01T00:00:00Z',
      until: '2026-12-01T00:00:00Z',
    });
    expect(screen.getByText('/home/me/audit.csv')).toBeTruthy();
    expect(screen.getByText(/intact \(122 events checked\)/)).toBeTruthy();
    expect(screen.getByText('6 of 6 approvals verify')).toBeTruthy();
    expect(container.querySelector('table.apps tbody th')!.textContent).toBe('api');

    expect(backend.revealFile).toHaveBeenCalledWith({ path: '/home/me/audit.csv' });
    await fireEvent.click(screen.getByRole('button', { name: 'Show in folder' }));
    expect(backend.revealFile).toHaveBeenCalledTimes(2);
  });

  it('shows a file manager that cannot show the report as a warning naming the file, not an error', async () => {
    const backend = promoteBackend({ chooseExportPath: exportTarget('/tmp/r.json') });
    const warning =
      'The report is saved, but the file manager could not show it (portal failed). It is /tmp/r.json, in the folder /tmp.';
    backend.revealFile.mockResolvedValue(warning);
    show(backend);
    await fireEvent.click(await screen.findByRole('button', { name: 'Export PDF…' }));
    await screen.findByText('Report written');
    expect((await screen.findByRole('status')).textContent).toBe(warning);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('does not reveal the file when asked not to, and shows a reveal failure in place', async () => {
    const backend = promoteBackend({ chooseExportPath: exportTarget('/tmp/r.json') });
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
    const { backend } = show(promoteBackend({ chooseExportPath: null }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Export PDF…' }));
    await waitFor(() => expect(backend.chooseExportPath).toHaveBeenCalled());
    expect(backend.export).not.toHaveBeenCalled();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('exports everything with no filters, and shows a failure in place', async () => {
    const backend = promoteBackend({ chooseExportPath: exportTarget('/tmp/r.pdf') });
    backend.export.mockRejectedValue({
      code: 'bad_input',
      message: 'since must be before until: pick an earlier start',
    });
    show(backend);
    await fireEvent.click(await screen.findByRole('button', { name: 'Export PDF…' }));
    const alert = await screen.findByRole('alert');
    expect(alert.dataset.code).toBe('bad_input');
    expect(backend.export).toHaveBeenCalledWith({
      target: 'token:/tmp/r.pdf',
      format: 'pdf',
      app: null,
      env: null,
      since: null,
      until: null,
    });
  });

  it('says whether a JSON report is sealed, and why not when it is not', async () => {
    const backend = promoteBackend({ chooseExportPath: exportTarget('/tmp/r.json') });
    backend.export.mockResolvedValueOnce({ ...exportSummary('/tmp/r.json', 'json') });
    const { container } = show(backend);
    await fireEvent.click(await screen.findByRole('radio', { name: /JSON/ }));
    await fireEvent.click(screen.getByRole('button', { name: 'Export JSON…' }));
    await screen.findByText('Report written');
    const seal = container.querySelector('[data-testid="seal"]')!;
    expect(seal.textContent).toContain('sealed by quinn@example.com');
    expect(seal.classList.contains('good')).toBe(true);

    backend.export.mockResolvedValueOnce({
      ...exportSummary('/tmp/r.json', 'json'),
      sealed_by: null,
      unsealed: 'this machine has no identity listed in tollgate.toml with a key at hand',
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Export JSON…' }));
    await waitFor(() =>
      expect(container.querySelector('[data-testid="seal"]')!.textContent).toContain(
        'UNSEALED: this machine',
      ),
    );
    expect(container.querySelector('[data-testid="seal"]')!.textContent).toContain(
      'accepts an unsealed report',
    );
  });

  it('turns the last day picked into an exclusive bound, across month and year ends', () => {
    expect(untilBound('2026-12-31')).toBe('2027-01-01T00:00:00Z');
    expect(untilBound('2028-02-28')).toBe('2028-02-29T00:00:00Z');
    expect(untilBound('')).toBeNull();
  });

  it('takes the range typed (days or moments) or picked with date-time pickers, in UTC', async () => {
    const backend = promoteBackend({ chooseExportPath: exportTarget('/tmp/r.json') });
    render(ExportView, { context: backendContext(backend) });
    const since = screen.getByLabelText('From: pick a date and time (UTC)');
    expect(since.getAttribute('type')).toBe('datetime-local');
    await fireEvent.change(since, { target: { value: '2026-11-01T08:30' } });
    // the picked moment is the typed form too
    expect((screen.getByLabelText('From (inclusive)') as HTMLInputElement).value).toBe(
      '2026-11-01T08:30:00Z',
    );
    await fireEvent.input(screen.getByLabelText('To (inclusive)'), { target: { value: '2026-11-30' } });
    expect((screen.getByLabelText('To: pick a date and time (UTC)') as HTMLInputElement).value).toBe(
      '2026-11-30T00:00',
    );
    expect(screen.getByText(/Times are UTC/)).toBeTruthy();
    await fireEvent.click(screen.getByRole('radio', { name: /JSON/ }));
    await fireEvent.click(screen.getByRole('button', { name: 'Export JSON…' }));
    await waitFor(() =>
      expect(backend.export).toHaveBeenCalledWith(
        expect.objectContaining({ since: '2026-11-01T08:30:00Z', until: '2026-12-01T00:00:00Z' }),
      ),
    );
    expect(sinceBound('2026-11-01T08:30')).toBe('2026-11-01T08:30:00Z');
    expect(untilBound('2026-11-02T10:00:00+02:00')).toBe('2026-11-02T10:00:00+02:00');
    expect(pickerValue('2026-11-02T10:00:00Z')).toBe('2026-11-02T10:00');
    expect(pickerValue('-7d')).toBe('');
  });

  it('names a range it cannot export when the person exports, before any save dialog', async () => {
    const { backend } = show(promoteBackend({ chooseExportPath: exportTarget('/tmp/r.pdf') }));
    const from = screen.getByLabelText('From (inclusive)');
    await fireEvent.input(from, { target: { value: 'last tuesday' } });
    // nothing is said while typing
    expect(screen.queryByRole('alert')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Export PDF…' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'From: “last tuesday” is not a day or a moment; type 2026-11-01 or 2026-11-01T08:00:00Z, or pick one.',
    );
    expect(from.getAttribute('aria-invalid')).toBe('true');
    expect(backend.chooseExportPath).not.toHaveBeenCalled();

    await fireEvent.input(from, { target: { value: '2026-11-30' } });
    await fireEvent.input(screen.getByLabelText('To (inclusive)'), { target: { value: '2026-11-01' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Export PDF…' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/^The period is empty/));
    expect(backend.chooseExportPath).not.toHaveBeenCalled();

    // one whole day is a period; a good range goes on to the save dialog and the core
    await fireEvent.input(from, { target: { value: '2026-11-01' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Export PDF…' }));
    await waitFor(() => expect(backend.export).toHaveBeenCalled());
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('accepts days, moments with a zone and picked moments, and nothing else', () => {
    expect(rangeProblem('', '')).toBeNull();
    expect(rangeProblem('2026-11-01', '2026-11-01')).toBeNull();
    expect(rangeProblem('2026-11-01T08:00:00Z', '2026-11-01T11:00:00+02:00')).toBeNull();
    expect(rangeProblem('2026-11-01T08:00', '')).toBeNull();
    for (const bad of ['-7d', '2026-02-30', '2026-11-01 08:00', 'yesterday', '2026-13-01']) {
      expect(rangeProblem(bad, ''), bad).toMatch(/^From: /);
    }
    expect(rangeProblem('', 'nope')).toMatch(/^To: /);
    expect(rangeProblem('2026-11-02T00:00:00Z', '2026-11-01')).toMatch(/^The period is empty/);
  });
});
