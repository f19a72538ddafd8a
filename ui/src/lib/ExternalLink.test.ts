import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { backendContext } from './backend';
import ExternalLink from './ExternalLink.svelte';
import { fakeBackend } from './testing';

const url = 'https://github.com/acme/deploy/commit/0123456789abcdef0123456789abcdef01234567';

describe('ExternalLink', () => {
  it('asks the app to open exactly the page, and can copy it', async () => {
    const backend = fakeBackend();
    render(ExternalLink, { props: { url, what: 'commit page' }, context: backendContext(backend) });
    expect(screen.getByText(url)).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Open commit page in the browser' }));
    expect(backend.openLink).toHaveBeenCalledWith({ url });
    expect(screen.getByRole('button', { name: 'Copy commit page' })).toBeTruthy();
  });

  it('says in one line why the page did not open, and keeps the address to copy', async () => {
    const backend = fakeBackend();
    backend.openLink.mockRejectedValue({
      code: 'unreachable',
      message: `the desktop could not open ${url} (no browser); copy the link and open it in your browser`,
    });
    render(ExternalLink, { props: { url, what: 'commit page' }, context: backendContext(backend) });
    await fireEvent.click(screen.getByRole('button', { name: 'Open commit page in the browser' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('no browser'));
    expect(screen.getByRole('button', { name: 'Copy commit page' })).toBeTruthy();
  });

  it('offers only the copy button where no backend is in context', () => {
    render(ExternalLink, { props: { url, what: 'commit page', showUrl: false } });
    expect(screen.queryByRole('button', { name: /Open/ })).toBeNull();
    expect(screen.queryByText(url)).toBeNull();
    expect(screen.getByRole('button', { name: 'Copy commit page' })).toBeTruthy();
  });
});
