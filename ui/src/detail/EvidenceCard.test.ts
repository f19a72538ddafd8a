import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { backendContext, type Backend } from '../lib/backend';
import { attestation, digestA, fakeBackend, signer } from '../lib/testing';
import EvidenceCard from './EvidenceCard.svelte';

function show(backend = fakeBackend(), props: Record<string, unknown> = {}) {
  const onchanged = vi.fn();
  render(EvidenceCard, {
    props: {
      app: 'api',
      digest: digestA,
      checks: [],
      declared: ['load-test', 'security-review'],
      onchanged,
      ...props,
    },
    context: backendContext(backend as Backend),
  });
  return { backend, onchanged };
}

describe('EvidenceCard', () => {
  it('lists each attestation with result, who, summary, link, report hash and a failed verification', async () => {
    show(fakeBackend(), {
      checks: [
        attestation({ report: { sha256: 'cd'.repeat(32), size: 412, media_type: 'application/json' } }),
        attestation({
          seq: 13,
          check: 'security-review',
          result: 'fail',
          by: 'sam@example.com',
          verified: false,
          problem: 'no key',
        }),
      ],
    });
    const card = screen.getByRole('region', { name: 'Evidence' });
    const [first, second] = within(card).getAllByRole('listitem') as [HTMLElement, HTMLElement];
    expect(first.getAttribute('data-result')).toBe('pass');
    expect(first.textContent).toContain('load-test: passed');
    expect(first.textContent).toContain('“p99 180 ms at 2x peak”');
    expect(first.textContent).toContain('https://ci.example.com/runs/7');
    expect(first.textContent).toContain(`report sha256:${'cd'.repeat(32)} (412 bytes, application/json)`);
    expect(second.textContent).toContain('security-review: failed');
    expect(second.textContent).toContain('✗ does not verify: no key');
  });

  it('attests a declared check with a summary, and never names a file', async () => {
    const { backend, onchanged } = show();
    await fireEvent.click(screen.getByRole('button', { name: 'Attest…' }));
    const dialog = screen.getByRole('dialog');
    const submit = within(dialog).getByRole('button', { name: 'Attest' }) as HTMLButtonElement;
    // Validation when the person acts, not before.
    expect(within(dialog).queryByRole('alert')).toBeNull();
    await fireEvent.click(submit);
    expect(within(dialog).getByRole('alert').textContent).toMatch(/Say in a line what was checked/);
    expect(backend.attest).not.toHaveBeenCalled();
    await fireEvent.change(within(dialog).getByLabelText('Check'), { target: { value: 'security-review' } });
    await fireEvent.change(within(dialog).getByLabelText('Result'), { target: { value: 'fail' } });
    await fireEvent.input(dialog.querySelector('input[name=summary]')!, {
      target: { value: ' 2 highs open ' },
    });
    expect(submit.disabled).toBe(false);
    await fireEvent.click(submit);
    await waitFor(() => expect(onchanged).toHaveBeenCalled());
    expect(backend.attest).toHaveBeenCalledWith({
      attest: {
        app: 'api',
        digest: digestA,
        check: 'security-review',
        result: 'fail',
        summary: '2 highs open',
        url: null,
        file: null,
      },
      attach_report: false,
    });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('saves an attested report where the person chooses, naming the file it suggests', async () => {
    const report = { sha256: 'cd'.repeat(32), size: 412, media_type: 'application/json' };
    const { backend } = show(fakeBackend(), { checks: [attestation({ report })] });
    await fireEvent.click(screen.getByRole('button', { name: 'Save report…' }));
    await waitFor(() =>
      expect(screen.getByText(/Saved to \/home\/me\/load-test-cdcdcdcdcdcd.json/)).toBeTruthy(),
    );
    expect(backend.saveReport).toHaveBeenCalledWith({
      app: 'api',
      sha256: report.sha256,
      suggested_name: 'load-test-cdcdcdcdcdcd.json',
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Show in folder' }));
    expect(backend.revealFile).toHaveBeenCalledWith({ path: '/home/me/load-test-cdcdcdcdcdcd.json' });
  });

  it('asks the app to let the person choose a report file, never naming one itself', async () => {
    const { backend, onchanged } = show();
    await fireEvent.click(screen.getByRole('button', { name: 'Attest…' }));
    const dialog = screen.getByRole('dialog');
    await fireEvent.input(dialog.querySelector('input[name=summary]')!, {
      target: { value: 'p99 180 ms at 2x peak' },
    });
    await fireEvent.click(within(dialog).getByLabelText(/Attach a report file/));
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Attest' }));
    await waitFor(() => expect(onchanged).toHaveBeenCalled());
    const sent = vi.mocked(backend.attest).mock.calls[0]![0];
    expect(sent.attach_report).toBe(true);
    expect(sent.attest.file).toBeNull();
  });

  it('lists what other tools attached as not verified, and offers no attest without declared checks', async () => {
    const backend = fakeBackend({
      referrers: {
        referrers: [
          {
            repository: 'local/payments/api',
            digest: 'sha256:' + 'ef'.repeat(32),
            artifact_type: 'application/vnd.dev.cosign.artifact.sig.v1+json',
            size: 900,
            created: null,
            verified: false,
          },
        ],
        problems: [],
      },
    });
    show(backend, { declared: [] });
    await waitFor(() =>
      expect(screen.getByText('application/vnd.dev.cosign.artifact.sig.v1+json')).toBeTruthy(),
    );
    expect(screen.getByText(/900 bytes · not verified by Tollgate/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Attest…' })).toBeNull();
    expect(backend.referrers).toHaveBeenCalledWith({ app: 'api', digest: digestA });
  });

  it('disables Attest… with the reason when this machine cannot sign; a listed CI signer may', async () => {
    show(
      fakeBackend({ signer: signer({ problem: 'the keychain holds no signing key for quinn@example.com' }) }),
    );
    const attest = (await screen.findByRole('button', { name: 'Attest…' })) as HTMLButtonElement;
    await waitFor(() => expect(attest.disabled).toBe(true));
    expect(document.getElementById(attest.getAttribute('aria-describedby')!)!.textContent).toBe(
      'Attesting is signed, and the keychain holds no signing key for quinn@example.com.',
    );
  });
});
