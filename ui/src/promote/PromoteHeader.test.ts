// Versions before hex: the promote view's header shows the image's version beside the digest.
import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { backendContext, type Backend as BaseBackend } from '../lib/backend';
import { detail, digestA, promoteBackend } from '../lib/testing';
import PromoteView from './PromoteView.svelte';

const show = (backend: ReturnType<typeof promoteBackend>) =>
  render(PromoteView, {
    props: { app: 'api', to: 'staging', digest: digestA },
    context: backendContext(backend as unknown as BaseBackend),
  });

describe('the promote view header', () => {
  it('shows the version beside the digest when the image has one', async () => {
    const withVersion = detail(digestA, '2026-11-01T08:00:00Z', 'rev-new');
    withVersion.image!.version = '2.3.1';
    show(promoteBackend({ digestDetail: () => withVersion }));
    const version = await screen.findByTestId('header-version');
    expect(version.textContent).toBe('2.3.1');
    const line = version.closest('.digest-line')!;
    expect(line.querySelector('.digest-text')!.getAttribute('data-digest')).toBe(digestA);
  });

  it('shows none when the image has no version', async () => {
    show(promoteBackend());
    await screen.findByText(/Promote api into staging/);
    await screen.findAllByText(/rev-new/);
    expect(screen.queryByTestId('header-version')).toBeNull();
  });
});
