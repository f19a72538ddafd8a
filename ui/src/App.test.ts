import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import { backendContext } from './lib/backend';
import { fakeBackend, row, sampleWorkspace } from './lib/testing';

describe('App', () => {
  it('shows the open workspace and its overview', async () => {
    render(App, {
      context: backendContext(fakeBackend({ status: [row({ app: 'api', env: 'dev' })] })),
    });
    expect(await screen.findByText(sampleWorkspace.name)).toBeTruthy();
    expect(screen.getByText(sampleWorkspace.config_path)).toBeTruthy();
    expect(await screen.findByRole('table')).toBeTruthy();
  });

  it('shows the no-workspace screen with the reason when none is open', async () => {
    const error = { code: 'config' as const, message: 'no workspace is open: start Tollgate with --workspace FILE' };
    render(App, { context: backendContext(fakeBackend({ workspaceInfo: error })) });
    expect(await screen.findByRole('heading', { name: 'No workspace open' })).toBeTruthy();
    expect(screen.getByRole('alert').dataset.code).toBe('config');
    expect(screen.getByText(error.message)).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });
});
