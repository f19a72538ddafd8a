import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backendContext } from '../lib/backend';
import { approvalView, digestB, fakeBackend, sampleDetail } from '../lib/testing';
import DigestDetailView from './DigestDetailView.svelte';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2025-11-25T10:00:00Z'));
});
afterEach(() => vi.useRealTimers());

const detail = sampleDetail({
  app: 'api',
  digest: digestB,
  approvals: [
    approvalView({ seq: 7, approver: 'alice@example.com', role: 'manager', consumed: true }),
    approvalView({
      seq: 9,
      approver: 'carol@example.com',
      role: 'qa',
      fingerprint: 'SHA256:qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq',
      verified: false,
      problem: 'its signature does not verify: the message or signature was altered',
      note: '',
    }),
  ],
});

function renderDetail(d = detail) {
  const backend = fakeBackend({ digestDetail: d });
  const r = render(DigestDetailView, {
    props: { app: 'api', digest: digestB },
    context: backendContext(backend),
  });
  return { ...r, backend };
}

describe('DigestDetailView', () => {
  it('shows the full digest with its first 12 hex digits emphasised, and copies it', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const { backend } = renderDetail();
    await screen.findByText('Tags now');
    expect(backend.calls[0]).toEqual({ method: 'digestDetail', args: [{ app: 'api', digest: digestB }] });
    const head = screen.getByRole('heading', { level: 2 }).parentElement!;
    const strong = head.querySelector('.digest-text strong')!;
    expect(strong.textContent).toBe(digestB.slice(7, 19));
    expect(head.querySelector('.digest-text')!.textContent).toBe(digestB);
    const copy = screen.getByRole('button', { name: 'Copy digest' });
    await fireEvent.click(copy);
    expect(writeText).toHaveBeenCalledWith(digestB);
    await waitFor(() => expect(copy.dataset.state).toBe('copied'));
    expect(within(copy).getByText('Copied ✓').classList.contains('shown')).toBe(true);
  });

  it('shows the tags, image metadata and where and when it ran', async () => {
    renderDetail();
    await screen.findByText('Tags now');
    expect(screen.getByText('local/payments/api:staging')).toBeTruthy();
    expect(screen.getByText('1.7.0', { selector: 'dd' })).toBeTruthy();
    // versions before hex: the version beside the digest in the header too
    expect(screen.getByTestId('detail-version').textContent).toBe('1.7.0');
    expect(screen.getByText('4f2a9c1')).toBeTruthy();
    // the source is a link to open (and copy), the platforms are named
    const source = screen.getByTestId('detail-source');
    expect(source.querySelector('[data-url]')?.getAttribute('data-url')).toBe(
      'https://git.example.com/payments/api',
    );
    expect(within(source).getByRole('button', { name: /Open source repository/ })).toBeTruthy();
    const platforms = screen.getByTestId('detail-platforms');
    expect([...platforms.querySelectorAll('code')].map((c) => c.textContent)).toEqual([
      'linux/amd64',
      'linux/arm64',
    ]);
    expect(screen.getByText('2025-11-18 12:00 UTC', { selector: 'dd' })).toBeTruthy();
    const stays = screen.getByRole('region', { name: 'Where and when it ran' });
    const rows = within(stays).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.dataset.env)).toEqual(['dev', 'staging']);
    expect(within(rows[0]!).getByText('2d 20h')).toBeTruthy();
    expect(within(rows[1]!).getByText('running now')).toBeTruthy();
  });

  it('lists every approval with signer, role, key fingerprint and verification status', async () => {
    renderDetail();
    const section = await screen.findByRole('region', { name: /Approvals/ });
    const rows = within(section).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    const [alice, carol] = rows as [HTMLElement, HTMLElement];
    expect(alice.dataset.verified).toBe('true');
    expect(within(alice).getByText('manager')).toBeTruthy();
    expect(within(alice).getByText('staging → production')).toBeTruthy();
    expect(within(alice).getByText('SHA256:3q2+7w0Yd1bWkq5xQ0F9dXo4mDhD3t1n0ZlC9aQm4pE')).toBeTruthy();
    expect(within(alice).getByText('✓ verified')).toBeTruthy();
    expect(within(alice).getByText('used by a promotion')).toBeTruthy();
    expect(within(alice).getByText('“verified in staging”')).toBeTruthy();
    expect(carol.dataset.verified).toBe('false');
    expect(within(carol).getByText('qa')).toBeTruthy();
    expect(within(carol).getByText('✗ does not verify')).toBeTruthy();
    expect(within(carol).getByText(/the message or signature was altered/)).toBeTruthy();
    expect(within(carol).getByText('open')).toBeTruthy();
  });

  it('has deploy snippets pinned by digest, each with a copy button', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    renderDetail();
    const section = await screen.findByRole('region', { name: 'Deploy exactly this digest' });
    const image = `127.0.0.1:5000/payments/api@${digestB}`;
    expect(within(section).getByText(image)).toBeTruthy();
    expect(within(section).getByText(`kubectl set image deployment/api api=${image}`)).toBeTruthy();
    expect(within(section).getByText(`image: ${image}`)).toBeTruthy();
    await fireEvent.click(within(section).getByRole('button', { name: 'Copy staging kubectl command' }));
    expect(writeText).toHaveBeenCalledWith(`kubectl set image deployment/api api=${image}`);
    expect(within(section).getAllByRole('button')).toHaveLength(3);
  });

  it('shows one set of snippets for environments that share a repository', async () => {
    const image = (repo: string) => `127.0.0.1:5000/${repo}@${digestB}`;
    const snippets = (env: string, repo: string) => ({
      env,
      snippets: {
        image: image(repo),
        kubectl: `kubectl set image deployment/api api=${image(repo)}`,
        compose: `image: ${image(repo)}`,
      },
    });
    renderDetail({
      ...detail,
      snippets: [
        snippets('dev', 'payments/api'),
        snippets('staging', 'payments/api'),
        snippets('production', 'prod/api'),
      ],
    });
    const section = await screen.findByRole('region', { name: 'Deploy exactly this digest' });
    expect(
      within(section)
        .getAllByRole('heading', { level: 4 })
        .map((h) => h.textContent),
    ).toEqual(['dev · staging', 'production']);
    expect(within(section).getByRole('button', { name: 'Copy production compose line' })).toBeTruthy();
    expect(
      within(section).getByRole('button', { name: 'Copy dev and staging image reference' }),
    ).toBeTruthy();
  });

  it('says what is missing instead of empty tables', async () => {
    renderDetail({ ...detail, image: null, approvals: [], tags: [] });
    expect(await screen.findByText(/Not read from the registry yet/)).toBeTruthy();
    expect(screen.getByText(/No one has approved this digest/)).toBeTruthy();
    expect(screen.getByText('no environment tag points to it now')).toBeTruthy();
  });

  it('shows an error in place with what to do', async () => {
    const backend = fakeBackend({
      digestDetail: { code: 'bad_input', message: 'not a digest: sha256:zz; pass sha256: and 64 hex digits' },
    });
    render(DigestDetailView, {
      props: { app: 'api', digest: 'sha256:zz' },
      context: backendContext(backend),
    });
    const alert = await screen.findByRole('alert');
    expect(alert.dataset.code).toBe('bad_input');
    expect(within(alert).getByText(/pass sha256: and 64 hex digits/)).toBeTruthy();
  });
});
